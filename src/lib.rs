//! ecr-login: an Amazon ECR credential helper that speaks the docker-credential-helpers protocol.
//!
//! A `get` is a straight line: parse the host ([`registry`]) → fingerprint the caller's identity
//! without resolving credentials ([`identity`]) → look in the disk cache ([`cache`]) → on a miss or
//! a token past half its life, take the registry's lock, look again, fetch through the one seam
//! around AWS ([`ecr::TokenSource`]) and store → print ([`docker`]). A cache hit reads one small
//! file (and the shared AWS files for the fingerprint) and never loads SDK configuration or starts
//! an async runtime; a non-ECR host is answered before any of that.
//!
//! The same token path serves the kubelet ([`kubelet`]: `kubelet-provider`, or the binary run as
//! `ecr-credential-provider`); [`configure`] edits clients' configuration and [`doctor`] explains
//! a failing setup. The statically linked build resolves host names with [`resolve`] rather than
//! glibc's NSS.
//!
//! Every `get` that ends without a token answers the protocol's not-found line on stdout and its
//! cause on stderr: any other stdout text makes some clients drop every registry's credentials.
//!
//! The library takes its whole world as parameters ([`World`]: environment, clock, cache
//! directory, token source) and its streams as `Read`/`Write`, so tests need no network and no
//! real home directory. `main.rs` only gathers the real ones.

pub mod cache;
pub mod configure;
pub mod docker;
pub mod doctor;
pub mod ecr;
pub mod env;
pub mod error;
pub mod identity;
pub mod kubelet;
pub mod partition;
pub mod registry;
pub mod resolve;
pub mod secret;
pub mod token;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::cache::Cache;
use crate::docker::Action;
use crate::ecr::{FetchRequest, TokenSource};
use crate::env::Env;
use crate::error::{EXIT_FAILURE, Error, NOT_FOUND};
use crate::identity::{Identity, WebIdentity};
use crate::registry::Registry;
use crate::token::{AuthToken, Freshness, UnixSeconds};

/// The overall deadline of a token fetch unless `ECR_LOGIN_TIMEOUT` says otherwise. docker waits
/// for us without a limit and BuildKit for 60 s, so a dead network must fail well before that.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// The largest `ECR_LOGIN_TIMEOUT` accepted, in seconds.
const MAX_TIMEOUT_SECS: f64 = 3600.0;

/// The user name ECR tokens carry, and so the one `list` reports.
const ECR_USERNAME: &str = "AWS";

/// Prefix of every line the helper writes on stderr.
const STDERR_PREFIX: &str = "ecr-login";

/// The longest a `get` waits for another process's fetch (its lock) before fetching itself: a
/// fetch takes well under a second, so a holder still busy after this is stuck or stopped.
const LOCK_WAIT_MAX: Duration = Duration::from_secs(3);

/// At most this fraction (1/n) of the fetch deadline goes to waiting for another's lock.
const LOCK_WAIT_SHARE: u32 = 4;

/// How many of the arguments a usage error repeats.
const MAX_ARGS_QUOTED: usize = 4;

/// Everything a command may consult besides its streams.
pub struct World<'a, S> {
    /// The process environment.
    pub env: &'a Env,
    /// The cache's base directory; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// The wall clock, in Unix seconds.
    pub now: &'a dyn Fn() -> UnixSeconds,
    /// Where tokens come from on a cache miss.
    pub source: S,
}

/// The streams of one command.
pub struct Streams<I, O, E> {
    /// Standard input.
    pub stdin: I,
    /// Standard output: the protocol's answers and error lines.
    pub stdout: O,
    /// Standard error: one line saying why, on failure; warnings.
    pub stderr: E,
}

/// How long the kubelet may keep an empty answer for an image that is not on ECR.
const NOT_ECR_CACHE_SECS: u64 = 3600;

/// How long the kubelet may keep an empty answer after ECR Public's token could not be had, so
/// that public images pull anonymously and the token is tried again soon.
const PUBLIC_FAILURE_CACHE_SECS: u64 = 300;

/// Runs one command line and returns the process exit code. `program` is how the binary was
/// invoked (`argv[0]`): under the name `ecr-credential-provider` it is a kubelet credential provider.
/// `args` are the arguments after it.
pub fn run<S: TokenSource, I: Read, O: Write, E: Write>(
    program: &str,
    args: &[String],
    streams: &mut Streams<I, O, E>,
    world: &World<'_, S>,
) -> u8 {
    let invoked_as = std::path::Path::new(program).file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if invoked_as == kubelet::PROGRAM_NAME || (args.len() == 1 && args[0] == kubelet::SUBCOMMAND) {
        // The kubelet copies stderr into its events: one line, never a secret, nothing on stdout.
        return match kubelet_provider(streams, world) {
            Ok(()) => 0,
            Err(e) => fail_on_stderr(streams, &e),
        };
    }
    if args.first().is_some_and(|a| a == "doctor") && args.len() <= 2 {
        let findings = doctor::run(args.get(1).map(String::as_str), world);
        let _ = streams.stdout.write_all(findings.render().as_bytes());
        if !findings.problems.is_empty() {
            let _ = writeln!(streams.stderr, "{STDERR_PREFIX}: doctor found {} problem(s)", findings.problems.len());
        }
        return doctor::exit_code(&findings);
    }
    if args.first().is_some_and(|a| a == "configure") {
        return match configure::run(&args[1..], world.env) {
            Ok(report) => {
                for warning in &report.warnings {
                    warn(streams, warning);
                }
                ok_or_fail(writeln!(streams.stdout, "{}", report.lines.join("\n")).map_err(Error::Output), streams)
            }
            Err(e) => fail_on_stderr(streams, &e),
        };
    }
    let Some(action) = Action::from_args(args) else {
        let _ = writeln!(streams.stdout, "{}", docker::USAGE);
        let got: Vec<String> = args.iter().take(MAX_ARGS_QUOTED).map(|a| error::quote(a)).collect();
        let _ = writeln!(
            streams.stderr,
            "{STDERR_PREFIX}: expected exactly one action (store, get, erase, list or version), got {} argument(s): {}",
            args.len(),
            got.join(" ")
        );
        return EXIT_FAILURE;
    };
    match action {
        Action::Version => ok_or_fail(writeln!(streams.stdout, "{}", version_line()).map_err(Error::Output), streams),
        Action::Help => ok_or_fail(streams.stdout.write_all(help_text().as_bytes()).map_err(Error::Output), streams),
        Action::List => {
            // Never fails and never touches the network: a broken cache is an empty list.
            let identity = Identity::load(world.env);
            let hosts = open_cache(world, &identity, streams).map(|c| c.hosts((world.now)())).unwrap_or_default();
            ok_or_fail(docker::write_list(&mut streams.stdout, &hosts, ECR_USERNAME), streams)
        }
        Action::Store => {
            let result = docker::read_input(&mut streams.stdin).and_then(|input| {
                if world.env.is_true("AWS_ECR_IGNORE_CREDS_STORAGE") {
                    return Ok(());
                }
                let server = docker::store_server_url(&input)?;
                match registry::parse(&server) {
                    Ok(_) => Ok(()),
                    Err(registry::NotEcr(host)) => Err(Error::StoreNotEcr { host }),
                }
            });
            ok_or_fail(result, streams)
        }
        Action::Erase => {
            let result = docker::read_input(&mut streams.stdin).and_then(|input| {
                if world.env.is_true("AWS_ECR_IGNORE_CREDS_STORAGE") {
                    return Ok(());
                }
                let server = docker::server_url(&input)?;
                registry::parse(&server).map(|_| ()).map_err(|registry::NotEcr(host)| Error::NotEcr { host })
            });
            ok_or_fail(result, streams)
        }
        Action::Get => get(streams, world),
    }
}

fn version_line() -> String {
    format!("docker-credential-ecr-login (ecr-login) {}", env!("CARGO_PKG_VERSION"))
}

fn help_text() -> String {
    format!(
        "{version}
Amazon ECR credential helper for docker, podman, nerdctl and other container clients.

{usage}

  get       read a registry host on stdin, print {{\"ServerURL\",\"Username\",\"Secret\"}}
  store     accepted and ignored for ECR hosts (ECR tokens are minted, not stored)
  erase     accepted and ignored for ECR hosts
  list      print the ECR hosts with cached tokens for the current AWS identity
  version   print the version

  configure docker|podman [--registry HOST]... [--all-regions-of ACCOUNT]...
            route ECR hosts to this helper in docker's config.json or containers' auth.json
  configure kubelet [--service-accounts]
            print the kubelet's CredentialProviderConfig
  doctor [HOST]
            check everything a get depends on, with a fix for each problem
  kubelet-provider
            answer one kubelet CredentialProviderRequest on stdin (also when run as
            ecr-credential-provider)

Environment:
  AWS_PROFILE, AWS_REGION, AWS_* the standard AWS credential chain and endpoint settings
  AWS_ECR_CACHE_DIR              cache directory (default: the platform cache directory)
  AWS_ECR_DISABLE_CACHE          any non-empty value turns the cache off
  AWS_ECR_IGNORE_CREDS_STORAGE   true: store and erase succeed silently for every host
  ECR_LOGIN_TIMEOUT              seconds a token fetch may take in all (default {timeout})
",
        version = version_line(),
        usage = docker::USAGE,
        timeout = DEFAULT_TIMEOUT.as_secs(),
    )
}

fn ok_or_fail<I, O: Write, E: Write>(result: Result<(), Error>, streams: &mut Streams<I, O, E>) -> u8 {
    match result {
        Ok(()) => 0,
        Err(e) => fail(streams, &e),
    }
}

/// Reports a failure: the protocol line on stdout, the cause on stderr, and the failure exit code.
fn fail<I, O: Write, E: Write>(streams: &mut Streams<I, O, E>, error: &Error) -> u8 {
    let _ = writeln!(streams.stdout, "{}", error.stdout_line());
    let _ = writeln!(streams.stderr, "{STDERR_PREFIX}: {error}");
    EXIT_FAILURE
}

/// Reports a `get` that found no token: the protocol's not-found line on stdout whatever the cause,
/// the cause and its fix on stderr. Any other stdout text is fatal to more than this registry: the
/// docker 20.10 CLI's `GetAllCredentials` (classic builds) stops at the first helper error that is
/// not "not found" and then sends no credentials for any registry, and podman with a
/// `credential-helpers` entry fails pulls of unrelated registries. docker, podman, skopeo and
/// buildah all show the helper's stderr to the user, so the cause is not lost.
fn fail_not_found<I, O: Write, E: Write>(streams: &mut Streams<I, O, E>, error: &Error) -> u8 {
    let _ = writeln!(streams.stdout, "{NOT_FOUND}");
    let _ = writeln!(streams.stderr, "{STDERR_PREFIX}: {error}");
    EXIT_FAILURE
}

/// Reports a failure of a command outside the credential-helper protocol: stderr only.
fn fail_on_stderr<I, O, E: Write>(streams: &mut Streams<I, O, E>, error: &Error) -> u8 {
    let _ = writeln!(streams.stderr, "{STDERR_PREFIX}: {error}");
    EXIT_FAILURE
}

fn warn<I, O, E: Write>(streams: &mut Streams<I, O, E>, message: &str) {
    let _ = writeln!(streams.stderr, "{STDERR_PREFIX}: warning: {message}");
}

/// The cache of `identity`, unless the cache is off, has no home, or is not safe to use: then
/// the reason goes to stderr, once, and the command goes on without a cache.
fn open_cache<S, I, O, E: Write>(
    world: &World<'_, S>,
    identity: &Identity,
    streams: &mut Streams<I, O, E>,
) -> Option<Cache> {
    if world.env.get("AWS_ECR_DISABLE_CACHE").is_some() {
        return None;
    }
    let cache = Cache::new(world.cache_dir.as_deref()?, &identity.fingerprint);
    match cache.check_trusted() {
        Ok(()) => Some(cache),
        Err(untrusted) => {
            warn(streams, &untrusted.to_string());
            None
        }
    }
}

/// The overall fetch deadline from `ECR_LOGIN_TIMEOUT` (seconds, fractions allowed).
pub(crate) fn fetch_timeout(env: &Env) -> Result<Duration, Error> {
    let Some(text) = env.get("ECR_LOGIN_TIMEOUT") else {
        return Ok(DEFAULT_TIMEOUT);
    };
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|secs| *secs > 0.0 && *secs <= MAX_TIMEOUT_SECS)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| Error::BadSetting {
            name: "ECR_LOGIN_TIMEOUT",
            expected: "a number of seconds greater than 0 and at most 3600",
            value: text.to_string(),
        })
}

fn get<S: TokenSource, I: Read, O: Write, E: Write>(streams: &mut Streams<I, O, E>, world: &World<'_, S>) -> u8 {
    let server = match docker::read_input(&mut streams.stdin).and_then(|input| docker::server_url(&input)) {
        Ok(server) => server,
        Err(e) => return fail(streams, &e),
    };
    // A non-ECR host is answered before any AWS configuration, file or runtime is touched.
    let registry = match registry::parse(&server) {
        Ok(registry) => registry,
        Err(registry::NotEcr(host)) => return fail_not_found(streams, &Error::NotEcr { host }),
    };
    let identity = Identity::load(world.env);
    match token_for(&registry, &identity, None, streams, world) {
        Ok(token) => match docker::write_credentials(&mut streams.stdout, &server, &token) {
            Ok(()) => 0,
            Err(e) => fail(streams, &e),
        },
        Err(e) => fail_not_found(streams, &e),
    }
}

/// The token for `registry`: from the cache while fresh, else fetched (once per identity and
/// registry, however many processes ask at the same time), else the cached one while it lasts.
fn token_for<S: TokenSource, I, O, E: Write>(
    registry: &Registry,
    identity: &Identity,
    web_identity: Option<&WebIdentity>,
    streams: &mut Streams<I, O, E>,
    world: &World<'_, S>,
) -> Result<AuthToken, Error> {
    let host = registry.host();
    let cache = open_cache(world, identity, streams);
    let cached = cache.as_ref().and_then(|c| c.read(host));
    if let Some(token) = cached.as_ref().filter(|t| t.freshness((world.now)()) == Freshness::Fresh) {
        return Ok(token.clone());
    }

    let timeout = fetch_timeout(world.env)?;
    let deadline = Instant::now() + timeout;
    // Whoever holds the lock is fetching; when it is ours, a waiter before us may have stored a
    // fresh token already. A holder that is stuck or stopped must not cost us the whole deadline:
    // past a bounded wait we fetch without the lock.
    let lock_deadline = Instant::now() + (timeout / LOCK_WAIT_SHARE).min(LOCK_WAIT_MAX);
    let _lock = cache.as_ref().and_then(|c| c.lock(host, lock_deadline));
    let cached = match &cache {
        Some(c) => c.read(host),
        None => cached,
    };
    if let Some(token) = cached.as_ref().filter(|t| t.freshness((world.now)()) == Freshness::Fresh) {
        return Ok(token.clone());
    }

    match fetch(registry, identity, web_identity, (deadline, timeout), world) {
        Ok(token) => {
            let now = (world.now)();
            if token.freshness(now) == Freshness::Unusable {
                warn(
                    streams,
                    &format!(
                        "the token ECR just issued for {host} expires at {}, which this machine's clock puts within {} \
                         minutes or in the past; using it once without caching it (check the system clock)",
                        token::format_utc(token.expires_at),
                        token::SAFETY_MARGIN.as_secs() / 60
                    ),
                );
            } else if let Some(cache) = &cache {
                if let Err(e) = cache.store(host, &token) {
                    warn(streams, &format!("cannot cache the token in {}: {e}", cache.dir().display()));
                }
                cache.prune(now);
            }
            Ok(token)
        }
        Err(error) => {
            let now = (world.now)();
            match cached.filter(|t| t.freshness(now) == Freshness::DueForRefresh) {
                Some(token) => {
                    warn(
                        streams,
                        &format!(
                            "cannot refresh the token for {host} ({error}); using the cached one, valid until {}",
                            token::format_utc(token.expires_at)
                        ),
                    );
                    Ok(token)
                }
                None => Err(error),
            }
        }
    }
}

/// Answers one kubelet `CredentialProviderRequest` from the same cache as `get`. A pod whose
/// service account names a role pulls as that role (assumed with its token), cached per role.
fn kubelet_provider<S: TokenSource, I: Read, O: Write, E: Write>(
    streams: &mut Streams<I, O, E>,
    world: &World<'_, S>,
) -> Result<(), Error> {
    let input = docker::read_input(&mut streams.stdin)?;
    let request = kubelet::parse_request(&input)?;
    let api_version = request.api_version.as_str();
    let key = request.registry();
    let Ok(registry) = registry::parse(key) else {
        // Not ours: no credentials, and the kubelet need not ask again for a while.
        let line = kubelet::Response::new(api_version, NOT_ECR_CACHE_SECS, None).to_line()?;
        return streams.stdout.write_all(line.as_bytes()).map_err(Error::Output);
    };
    let web_identity = match (request.role(), &request.service_account_token) {
        (Some(role), Some(token)) => Some(WebIdentity { role_arn: role.to_string(), token: token.clone() }),
        (Some(role), None) => return Err(Error::NoServiceAccountToken { role: role.to_string() }),
        (None, _) => None,
    };
    let node = Identity::load(world.env);
    let identity = match &web_identity {
        Some(w) => node.for_role(&w.role_arn),
        None => node,
    };
    let line = match token_for(&registry, &identity, web_identity.as_ref(), streams, world) {
        Ok(token) => {
            let valid_for = token.usable_until().saturating_sub((world.now)());
            kubelet::Response::new(api_version, valid_for, Some((key, &token.username, &token.password))).to_line()?
        }
        Err(e) if matches!(registry, Registry::Public(_)) => {
            warn(streams, &format!("{e}; public images pull anonymously"));
            kubelet::Response::new(api_version, PUBLIC_FAILURE_CACHE_SECS, None).to_line()?
        }
        Err(e) => return Err(e),
    };
    streams.stdout.write_all(line.as_bytes()).map_err(Error::Output)
}

/// Asks the token source, on a current-thread runtime started only now, for a token.
pub(crate) fn fetch<S: TokenSource>(
    registry: &Registry,
    identity: &Identity,
    web_identity: Option<&WebIdentity>,
    (deadline, total): (Instant, Duration),
    world: &World<'_, S>,
) -> Result<AuthToken, Error> {
    let host = registry.host().to_string();
    let timeout = deadline.saturating_duration_since(Instant::now());
    if timeout.is_zero() {
        return Err(Error::TimedOut { registry: host, after: total });
    }
    if let (Registry::Public(_), Some(region)) = (registry, identity.configured_region.as_deref())
        && partition::partition_of_region(region) != partition::PUBLIC_PARTITION
    {
        return Err(Error::PublicOutsideAws { region: region.to_string() });
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Setup { detail: format!("cannot start the async runtime: {e}") })?;
    let issued = runtime
        .block_on(world.source.fetch(FetchRequest { registry, identity, timeout, web_identity }))
        .map_err(|e| match e {
            // Report the deadline the user set, not what was left of it after waiting for a lock.
            Error::TimedOut { registry, .. } => Error::TimedOut { registry, after: total },
            other => other,
        })?;
    let account = match registry {
        Registry::Private(r) => Some(r.account.as_str()),
        Registry::Public(_) => None,
    };
    token::select(&issued, account, (world.now)())
        .map_err(|e| Error::BadResponse { registry: host, detail: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::token::IssuedToken;
    use base64::Engine;
    use std::cell::{Cell, RefCell};
    use std::collections::VecDeque;

    const HOST: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
    const T0: UnixSeconds = 1_800_000_000;
    const HOUR: u64 = 3600;

    /// A token source that answers from a script and counts its calls.
    #[derive(Default)]
    struct FakeSource {
        answers: RefCell<VecDeque<Result<Vec<IssuedToken>, Error>>>,
        calls: Cell<usize>,
    }

    impl FakeSource {
        fn token(&self, password: &str, expires_at: UnixSeconds) {
            let encoded = base64::engine::general_purpose::STANDARD.encode(format!("AWS:{password}"));
            self.answers.borrow_mut().push_back(Ok(vec![IssuedToken {
                authorization_token: Secret::new(encoded),
                expires_at: Some(expires_at),
                proxy_endpoint: Some(format!("https://{HOST}")),
            }]));
        }

        fn error(&self) {
            self.answers.borrow_mut().push_back(Err(Error::Throttled { registry: HOST.into() }));
        }
    }

    impl TokenSource for &FakeSource {
        async fn fetch(&self, _request: FetchRequest<'_>) -> Result<Vec<IssuedToken>, Error> {
            self.calls.set(self.calls.get() + 1);
            self.answers.borrow_mut().pop_front().unwrap_or_else(|| Err(Error::Throttled { registry: HOST.into() }))
        }
    }

    /// Runs `get` at time `now` and returns (exit code, stdout, stderr).
    fn get_at(source: &FakeSource, cache: &std::path::Path, now: UnixSeconds) -> (u8, String, String) {
        let env: Env = [("AWS_ACCESS_KEY_ID", "AKIDUNIT")].into_iter().collect();
        let clock = move || now;
        let world = World { env: &env, cache_dir: Some(cache.to_path_buf()), now: &clock, source };
        let mut streams = Streams { stdin: HOST.as_bytes(), stdout: Vec::new(), stderr: Vec::new() };
        let code = run("docker-credential-ecr-login", &["get".to_string()], &mut streams, &world);
        (code, String::from_utf8(streams.stdout).unwrap(), String::from_utf8(streams.stderr).unwrap())
    }

    #[test]
    fn a_token_is_served_from_the_cache_until_half_its_life_then_refreshed() {
        let dir = tempfile::tempdir().unwrap();
        let source = FakeSource::default();
        source.token("first", T0 + 12 * HOUR);
        source.token("second", T0 + 18 * HOUR);
        assert!(get_at(&source, dir.path(), T0).1.contains("first"));
        assert!(get_at(&source, dir.path(), T0 + 6 * HOUR - 1).1.contains("first"));
        assert_eq!(source.calls.get(), 1);
        let (code, out, err) = get_at(&source, dir.path(), T0 + 6 * HOUR);
        assert_eq!((code, err.as_str()), (0, ""));
        assert!(out.contains("second"));
        assert_eq!(source.calls.get(), 2);
    }

    #[test]
    fn a_failed_refresh_serves_the_old_token_until_the_margin_and_no_longer() {
        let dir = tempfile::tempdir().unwrap();
        let source = FakeSource::default();
        source.token("first", T0 + 12 * HOUR);
        get_at(&source, dir.path(), T0);
        source.error();
        let (code, out, err) = get_at(&source, dir.path(), T0 + 11 * HOUR);
        assert_eq!(code, 0);
        assert!(out.contains("first"));
        assert!(err.contains("warning: cannot refresh") && err.contains("throttled"), "{err}");
        source.error();
        let just_inside_margin = T0 + 12 * HOUR - token::SAFETY_MARGIN.as_secs();
        let (code, out, err) = get_at(&source, dir.path(), just_inside_margin);
        assert_eq!((code, out.as_str()), (1, "credentials not found in native keychain\n"));
        assert!(!err.contains("first") && err.contains("throttled"), "{err}");
    }

    #[test]
    fn an_expired_cache_entry_is_never_served() {
        let dir = tempfile::tempdir().unwrap();
        let source = FakeSource::default();
        source.token("first", T0 + 12 * HOUR);
        get_at(&source, dir.path(), T0);
        source.error();
        let (code, out, _) = get_at(&source, dir.path(), T0 + 13 * HOUR);
        assert_eq!(code, 1);
        assert!(!out.contains("first"));
    }

    #[test]
    fn a_non_ecr_host_never_reaches_the_source() {
        let dir = tempfile::tempdir().unwrap();
        let source = FakeSource::default();
        let env = Env::default();
        let clock = || T0;
        let world = World { env: &env, cache_dir: Some(dir.path().to_path_buf()), now: &clock, source: &source };
        let mut streams = Streams { stdin: &b"ghcr.io"[..], stdout: Vec::new(), stderr: Vec::new() };
        assert_eq!(run("docker-credential-ecr-login", &["get".to_string()], &mut streams, &world), 1);
        assert_eq!(streams.stdout, b"credentials not found in native keychain\n");
        assert_eq!(source.calls.get(), 0);
    }
}
