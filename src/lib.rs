//! ecr-login: an Amazon ECR credential helper that speaks the docker-credential-helpers protocol,
//! and the kubelet's image credential provider protocol.
//!
//! # The house: one room per job, dependencies pointing down
//!
//! ```text
//! main.rs        argv, environment, streams and clock in; exit code out
//! lib.rs         these docs; `run`: parse the command line once, dispatch
//!  commands
//!   command.rs   the command line → Command (protocol action, kubelet, doctor, configure, login); help
//!   docker.rs    the docker-credential-helpers actions (get, store/erase, list), aliases, fallback
//!   login.rs     login HOST…: tokens into the cache now, the MFA prompt where needed
//!   kubelet.rs   the kubelet CredentialProvider exchange and its cache durations
//!   doctor.rs    checks everything a get depends on, through the same AWS seam
//!   configure.rs routes hosts in docker's / containers' files; --creds-store; kubelet config
//!  mechanisms
//!   principal.rs who signs a fetch: default chain, a rule's profile, a service account role, an
//!                MFA session; a rule's role on top (decided on a miss only)
//!   mfa.rs       MFA sessions: the /dev/tty prompt, one asker at a time, the AWS CLI's session cache
//!   fallback.rs  runs docker-credential-<fallback> for hosts that are not ours, passing it through
//!   tokens.rs    the token path: fresh → lock → look again → fetch → store → stale; returns Served;
//!                a cold list's one question for the caller's own registry
//!   cache.rs     entry files under v1/<fingerprint>/, locks, prune (the only user of locks)
//!   files.rs     atomic writes, private files and dirs, lock classes, ownership checks, no-follow
//!   ecr.rs       the AWS seam: trait Aws (tokens, caller, endpoint) and AwsSdk; error mapping
//!   aws.rs       SDK configuration: behaviour version, timeouts, retries, HTTP client, loader
//!   resolve.rs   the static build's own name resolution (no glibc NSS)
//!  data
//!   registry.rs  host string → Registry (private: account, region, partition, FIPS, dual-stack)
//!   partition.rs the tables: DNS suffixes, partitions, the aws partition's regions (opt-in marked)
//!   config.rs    the configuration file: [[registry]] rules, [[alias]] hosts, fallback; checked whole
//!   identity.rs  the cheap identity fingerprint (env, profile sections, role, endpoints, rule)
//!   token.rs     AuthToken, decoding AWS:password, freshness with an injected clock
//!   error.rs     every outcome, its message beside it, and Error::outcome for stdout
//!   world.rs     World (env, clock, cache dir, Aws) and Streams (bounded stdin, reporting)
//!   env.rs       the environment snapshot;  secret.rs  Secret<T>
//!   fuzz.rs      the fuzz targets' bodies and properties (for fuzz/ and its seed test)
//! ```
//!
//! No module imports from the crate root; `lib.rs` re-exports what the binary and tests use.
//!
//! # The path of a `get`
//!
//! `run` → `command` parses `get` → `docker::get` reads the host and the configuration file
//! (`config::Config::load`: one small read, or none) → an alias becomes its registry →
//! `registry::parse` (a non-ECR host is answered not-found here, or handed to the fallback store,
//! before any AWS file, runtime or cache is touched) → the first matching rule →
//! `identity::Identity::load_for` fingerprints the caller (and the rule) without resolving
//! credentials → `tokens::token_for` → `cache` (ownership checked, entry opened without following
//! links; a fresh entry ends it here: no SDK configuration, no async runtime) → on a miss or a
//! token past half its life: `principal::choose` (an MFA profile's session, asked for once) →
//! the registry's lock (bounded wait) → a second look → `ecr::Aws::fetch` (the SDK configured by
//! `aws`) → `cache::Cache::store` → `docker::write_credentials`. Every way of ending without a
//! token answers the protocol's not-found line (`error::Error::outcome`), with the cause on
//! stderr: any other stdout text makes some clients drop every registry's credentials.
//!
//! # Where the configuration lands
//!
//! The file is parsed in each command that needs it (`Config::load`), not in `main`: `version`,
//! `help` and the usage error never read it. Rules enter the fingerprint in `identity.rs`, so each
//! rule has a cache of its own and a hit still resolves nothing. The MFA prompt is on `/dev/tty`
//! (`mfa.rs`), reached only on a miss, before the registry lock so that the API deadline starts
//! after the person has typed; the AWS seam gained one call, `Aws::start_session`. Aliases are
//! resolved by each command before `registry::parse`, and the answer keeps the alias as
//! ServerURL.

mod aws;
mod cache;
mod cli;
mod config;
mod env;
mod error;
mod files;
// cargo-fuzz builds with `--cfg fuzzing`; the shipped library does without these bodies.
#[cfg(any(test, fuzzing))]
#[doc(hidden)]
pub mod fuzz;
mod identity;
mod partition;
mod principal;
mod registry;
mod secret;
mod token;
mod tokens;
mod version;
mod world;

#[cfg(test)]
mod fake;

use std::io::{Read, Write};

pub use crate::aws::{Aws, AwsSdk};
pub use crate::cache::base_dir as cache_dir;
pub use crate::env::Env;
pub use crate::registry::parse as parse_registry;
pub use crate::token::{UnixSeconds, format_utc};
pub use crate::world::{Streams, World};

use crate::cli::docker::{self, Action};
use crate::cli::parse::{self, Command};
use crate::cli::{configure, doctor, kubelet, login};
use crate::error::{EXIT_FAILURE, Error, quote};

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
    match command {
        Command::Protocol(Action::Get) => docker::get(streams, world),
        Command::Protocol(action @ (Action::Store | Action::Erase)) => docker::store_or_erase(action, streams, world),
        Command::Protocol(Action::List) => docker::list(streams, world),
        Command::Protocol(Action::Version) => print(streams, &version::version_line()),
        Command::Protocol(Action::Help) => print(streams, &parse::help_text(tokens::DEFAULT_TIMEOUT.as_secs())),
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
