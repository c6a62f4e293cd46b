//! ecr-login: an Amazon ECR credential helper that speaks the docker-credential-helpers protocol,
//! and the kubelet's image credential provider protocol.
//!
//! # The house: families in folders, every import pointing down
//!
//! The map below is the layer order: a module may import only modules listed below it (a folder
//! counts as one unit to the rest of the house; its children keep the same rule among
//! themselves). `tests/suite/layers.rs` reads this block and fails on an import that points up, on a
//! cycle, on a file the map does not list, on a child that takes its parent's items, on a folder
//! face that does more than declare and re-export, and on a command (a child of the folder under
//! the `commands` heading, but for the first, which reads the command line) importing another.
//!
//! ```text
//! main.rs          argv, environment, streams and clock in; exit code out
//! lib.rs           these docs; `run`: parse the command line once, dispatch
//!  tests and fuzzing only
//!   fuzz.rs        the fuzz targets' bodies and properties (for fuzz/ and its seed test)
//!   fake.rs        the hand-written fake of the AWS seam that unit tests use
//!  commands
//!   cli/           the command line and one file per command; no command imports another
//!     parse.rs     the command line → Command (protocol action, kubelet, doctor, configure, login); help
//!     doctor.rs    checks everything a get depends on, in checklist order, through the same seam
//!     login.rs     login HOST…: tokens into the cache now, the MFA prompt where needed
//!     export.rs    password HOST; dockerconfig HOST…: config.json auths or a Kubernetes Secret
//!     kubelet.rs   the kubelet CredentialProvider exchange and its cache durations
//!     docker.rs    the docker-credential-helpers actions (get, store/erase, list)
//!     configure.rs routes hosts in docker's / containers' files; --creds-store; kubelet config
//!  mechanisms
//!   lookup.rs      a named host's token: its registry's rule → identity → serve; the trace of alias and rule
//!   serve.rs       the token path: fresh → lock → look again → fetch → store → stale; returns Served;
//!                  a cold list's one question for the caller's own registry
//!   principal/     who signs a fetch, decided on a miss only
//!     choose.rs    default chain, a rule's profile, a service account's role, an MFA session;
//!                  a rule's role on top
//!     mfa.rs       MFA sessions: cached, else asked for once (one asker at a time) and started
//!     terminal.rs  the prompt on the person's terminal: echo off, Ctrl-C restores it, a limit of
//!                  its own; one module per OS below it, chosen there
//!     terminal_unix.rs     /dev/tty: termios, signal handlers, a select wait (Linux and macOS)
//!     terminal_windows.rs  the console: CONIN$/CONOUT$, console mode, Ctrl-C handler, timed wait
//!     aws_cli_sessions.rs  the AWS CLI's session cache: botocore's key and file format, shared with it
//!   aws/           everything that talks to AWS; the only place that names AWS crates
//!     sdk.rs       AwsSdk: each question of the seam to the file that asks it, under its deadline
//!     probe.rs     doctor's questions: who the caller is, which endpoint a registry's calls reach
//!     ecr.rs       GetAuthorizationToken of ECR and ECR Public; FIPS and dual-stack endpoints
//!     sts.rs       the credentials that sign: chain, profile, rule role, web identity, MFA session
//!     classify.rs  SDK errors and times into ours
//!     attempts.rs  the ECR_LOGIN_DEBUG trace of each HTTP attempt (an SDK interceptor)
//!     setup.rs     the SDK's configuration: behaviour version, timeouts, retries, HTTP client, app name
//!     ca_bundle.rs the CA bundle (AWS_CA_BUNDLE, else the profile's ca_bundle), read and checked
//!     dns.rs       the static build's own DNS client (no glibc NSS)
//!     seam.rs      trait Aws and the words it speaks (requests, Principal, reports); no AWS crate
//!     runtime.rs   block_on: the async runtime one call of the seam runs on, started for that call
//!   cache.rs       entry files under v1/<fingerprint>/, locks, prune (the only user of locks)
//!   fallback.rs    runs docker-credential-<fallback> for hosts that are not ours, passing it through
//!   installs.rs    our program names; every docker-credential-ecr-login on PATH (and the kubelet's)
//!                  and what each says it is
//!   programs/      other programs: found along PATH as clients find them, probed, ended
//!     os           (the face picks unix.rs or windows.rs as `programs::os`)
//!     unix.rs      the exact name, execute bits, process groups, argv[0]
//!     windows.rs   PATHEXT as Go's exec.LookPath reads it; no execute bit, no groups
//!     search.rs    the PATH search every OS shares, with the OS's candidates and test
//!  data
//!   identity.rs    the cheap identity fingerprint (env, profile sections, role, endpoints, rule)
//!   shared_files.rs  AWS's shared config and credentials files: where they are, their sections,
//!                  a profile's settings; where the AWS CLI keeps a login session
//!   config/        the configuration file
//!     model.rs     [[registry]] rules, [[alias]] hosts, fallback; where the file is; checked whole
//!     reader.rs    the one-pass reader of the TOML subset the file uses
//!   client_files.rs  where docker's config.json and the containers tools' auth.json are
//!   world.rs       World (env, clock, cache dir, Aws, trace) and Streams (bounded stdin, reporting)
//!   trace.rs       the ECR_LOGIN_DEBUG trace: one line per decision, on stderr or to a private file
//!   files/         atomic writes, private files and dirs, lock classes, ownership checks, no-follow
//!     trust        (the face picks unix.rs, windows.rs or unsupported.rs as `files::trust`)
//!     unix.rs      modes and owners: 0600/0700, ssh's StrictModes walk, O_NOFOLLOW, flock's errors
//!     windows.rs   SIDs and DACLs: owner-only at creation, the owner walk, reparse points refused
//!     unsupported.rs any other OS: every check fails and nothing is created, honestly
//!     replace.rs   the replace every OS shares: a private temporary file, renames tried within a bound
//!     lock.rs      the bounded lock wait every OS shares, its failures in classes
//!     untrusted.rs Untrusted: why a directory is refused, with its OS's remedy
//!   auth_token.rs  AuthToken, decoding AWS:password, freshness with an injected clock
//!   registry.rs    host string → Registry (private: account, region, partition, FIPS, dual-stack)
//!   partition.rs   the tables: DNS suffixes, partitions, the aws partition's regions (opt-in marked)
//!   error.rs       every outcome, its message beside it, and Error::outcome for stdout
//!   printable.rs   caller input made safe to repeat (clipped, escaped, quoted); other texts on one line
//!   env.rs         the environment snapshot; the home directory per OS, `~/` expanded against it
//!   secret.rs      Secret<T>: redacted Debug, no Display, one explicit expose()
//!   clock.rs       UnixSeconds, the clock's unit; UTC timestamps, written in messages, read from the
//!                  AWS CLI's session cache
//!   version.rs     the version text that version, help and doctor print
//!   startup.rs     what std's start-up did before main, cheaper: fds 0–2, SIGPIPE, the overflow line
//! ```
//!
//! Folders use the `F.rs` + `F/` form. A folder's face (`aws.rs`, `cli.rs`, `principal.rs`,
//! `config.rs`) declares its children and re-exports what the rest of the house uses; a child
//! reaches a sibling as `super::sibling`, never its parent's items. No module imports from the
//! crate root; `lib.rs` re-exports what the binary and tests use. This map is the only one: a face
//! says in a line what its folder is, and the children's own `//!` lines say the rest.
//!
//! Two rules the test cannot see: the async runtime and the SDK's configuration start only on a
//! cache miss (`serve.rs` calls the seam only then: a hit costs a few file reads); and the data
//! modules (`identity`, `shared_files`, `config`) read their files themselves and never import
//! `aws`, so that fingerprinting a caller resolves no credentials.
//!
//! # The path of a `get`
//!
//! `run` → `cli::parse` reads `get` → `cli::docker::get` reads the host and the configuration
//! file (`config::Config::load`: one small read, or none) → `config::registry_for`: an alias
//! becomes its registry, and `registry::parse` reads the host (a non-ECR host is answered
//! not-found here, or handed to the fallback store, `fallback`, before any AWS file, runtime or
//! cache is touched) → `lookup::token_for_registry`: the first matching rule, and
//! `identity::Identity::load_for` fingerprints the caller (and the rule) without resolving
//! credentials → `serve::token_for` → `cache` (ownership checked, entry opened without following
//! links; a fresh entry ends it here: no SDK configuration, no async runtime) → on a miss or a
//! token past half its life: `principal::choose` (an MFA profile's session, asked for once, in
//! `principal/mfa.rs`) → the registry's lock (bounded wait) → a second look → the seam,
//! `aws::Aws::fetch` on the runtime `aws::block_on` starts (`aws/sdk.rs` → `aws/ecr.rs`, signed
//! by `aws/sts.rs`, the SDK configured by `aws/setup.rs`, errors read by `aws/classify.rs`) →
//! `cache::Cache::store` → `cli::docker::write_credentials`. Every way of ending without a token
//! answers the protocol's not-found line (`error::Error::outcome`), with the cause on stderr: any
//! other stdout text makes some clients drop every registry's credentials.
//!
//! # Where the configuration lands
//!
//! The file is parsed in each command that needs it (`Config::load`), not in `main`: `version`,
//! `help` and the usage error never read it. Rules enter the fingerprint in `identity.rs`, so each
//! rule has a cache of its own and a hit still resolves nothing. The MFA prompt is on `/dev/tty`
//! (`principal/terminal.rs`), reached only on a miss, before the registry lock so that the API
//! deadline starts after the person has typed; the AWS seam starts the session,
//! `Aws::start_session`. Aliases are resolved by each command (`config::registry_for`) before
//! `registry::parse`, and the answer keeps the alias as ServerURL.

mod auth_token;
mod aws;
mod cache;
mod cli;
mod client_files;
mod clock;
mod config;
mod env;
mod error;
mod fallback;
mod files;
// cargo-fuzz builds with `--cfg fuzzing`; the shipped library does without these bodies.
#[cfg(any(test, fuzzing))]
#[doc(hidden)]
pub mod fuzz;
mod identity;
mod installs;
mod lookup;
mod partition;
mod principal;
mod printable;
mod programs;
mod registry;
mod secret;
mod serve;
mod shared_files;
pub mod startup;
mod trace;
mod version;
mod world;

#[cfg(test)]
mod fake;

use std::io::{Read, Write};

pub use crate::aws::{Aws, AwsSdk};
pub use crate::cache::base_dir as cache_dir;
pub use crate::clock::{UnixSeconds, format_utc};
pub use crate::env::Env;
pub use crate::registry::parse as parse_registry;
pub use crate::trace::Trace;
pub use crate::world::{Streams, World};

use crate::cli::docker::{self, Action};
use crate::cli::parse::{self, Command};
use crate::cli::{configure, doctor, export, kubelet, login};
use crate::error::{EXIT_FAILURE, Error};
use crate::printable::quote;

/// How many of the arguments a usage error repeats.
const MAX_ARGS_QUOTED: usize = 4;

/// Runs one command line and returns the process exit code. `program` is how the binary was
/// invoked (`argv[0]`): under the name `ecr-credential-provider` it is a kubelet credential provider.
/// `args` are the arguments after it.
pub fn run<A: Aws, I: Read, O: Write, E: Write>(
    program: &str,
    args: &[String],
    streams: &mut Streams<I, O, E>,
    world: &World<'_, A>,
) -> u8 {
    let command = match Command::parse(program, args) {
        Ok(command) => command,
        Err(e) => return streams.fail_on_stderr(&e),
    };
    world.trace.note(|| {
        let args: Vec<String> = args.iter().take(MAX_ARGS_QUOTED).map(|a| quote(a)).collect();
        format!("{}; run as {} {}", version::version_line(), quote(program), args.join(" "))
    });
    match command {
        Command::Protocol(Action::Get) => docker::get(streams, world),
        Command::Protocol(action @ (Action::Store | Action::Erase)) => docker::store_or_erase(action, streams, world),
        Command::Protocol(Action::List) => docker::list(streams, world),
        Command::Protocol(Action::Version) => print(streams, &version::version_line()),
        Command::Protocol(Action::Help) => print(streams, &parse::help_text(serve::DEFAULT_TIMEOUT.as_secs())),
        Command::Usage(args) => {
            let _ = writeln!(streams.stdout, "{}", parse::USAGE);
            let got: Vec<String> = args.iter().take(MAX_ARGS_QUOTED).map(|a| quote(a)).collect();
            streams.say(format!(
                "expected exactly one action (store, get, erase, list or version), got {} argument(s): {}",
                args.len(),
                got.join(" ")
            ));
            EXIT_FAILURE
        }
        Command::Kubelet => kubelet::provide(streams, world),
        Command::Doctor { host } => doctor::report(host.as_deref(), streams, world),
        Command::Login { hosts } => login::run(&hosts, streams, world),
        Command::Password { host } => export::password(&host, streams, world),
        Command::DockerConfig(request) => export::dockerconfig(&request, streams, world),
        Command::Configure(request) => match configure::run(&request, world.env) {
            Ok(report) => {
                for warning in &report.warnings {
                    streams.warn(warning);
                }
                print(streams, &report.lines.join("\n"))
            }
            Err(e) => streams.fail_on_stderr(&e),
        },
    }
}

/// Prints `text` and a newline on stdout.
fn print<I, O: Write, E: Write>(streams: &mut Streams<I, O, E>, text: &str) -> u8 {
    match writeln!(streams.stdout, "{}", text.trim_end_matches('\n')) {
        Ok(()) => 0,
        Err(e) => streams.fail_on_stderr(&Error::Output(e)),
    }
}
