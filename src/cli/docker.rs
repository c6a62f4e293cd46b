//! The docker-credential-helpers protocol: its actions (`get`, `store`/`erase`, `list`) and its
//! wire types.
//!
//! `get`/`erase` read a bare server string (usually with no newline; the Go library joins all lines
//! and trims white space). `store` reads one JSON object. `list` answers a JSON object of
//! `{host: username}`. A successful `get` prints exactly one line,
//! `{"ServerURL":…,"Username":…,"Secret":…}`.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::auth_token::AuthToken;
use crate::aws::Aws;
use crate::config::{self, Config};
use crate::error::Error;
use crate::fallback;
use crate::identity::Identity;
use crate::lookup::{token_for_registry, trace_config};
use crate::principal;
use crate::printable::{json_problem, quote};
use crate::registry::{self, NotEcr, Registry};
use crate::serve;
use crate::world::{Streams, World};

/// The user name ECR tokens carry, and so the one `list` reports.
const ECR_USERNAME: &str = "AWS";

/// `get`: the token for the host on stdin. A non-ECR host is answered before any AWS
/// configuration, file or runtime is touched (or handed to the fallback store). An alias host is
/// answered with its registry's token, from the same cache entry. Every way of ending without a
/// token answers the protocol's not-found line ([`Error::outcome`]) with the cause on stderr.
pub fn get<A: Aws, I: Read, O: Write, E: Write>(streams: &mut Streams<I, O, E>, world: &World<'_, A>) -> u8 {
    let Request { input, server, config } = match request(streams, world, server_url) {
        Ok(request) => request,
        Err(e) => return streams.fail(&e),
    };
    let registry = match config::registry_for(config.as_ref(), &server) {
        Ok(registry) => registry,
        Err(NotEcr(host)) => {
            world.trace.note(|| format!("registry: {} is not ECR", quote(&host)));
            return not_ours(Action::Get, &input, &Error::NotEcr { host }, config.as_ref(), streams, world);
        }
    };
    let token = token_for_registry(config.as_ref(), &server, &registry, streams, world);
    match token.and_then(|token| write_credentials(&mut streams.stdout, &server, &token)) {
        Ok(()) => 0,
        Err(e) => streams.fail(&e),
    }
}

/// `store` and `erase`: accepted and ignored for ECR hosts and their aliases (ECR tokens are
/// minted, not kept), so that `docker login` and `docker logout` work; handed to the fallback
/// store for other hosts; else refused, or ignored for every host with
/// `AWS_ECR_IGNORE_CREDS_STORAGE=true`, as the Go helper does.
pub fn store_or_erase<A, I: Read, O: Write, E: Write>(
    action: Action,
    streams: &mut Streams<I, O, E>,
    world: &World<'_, A>,
) -> u8 {
    let read_server = if action == Action::Store { store_server_url } else { server_url };
    let Request { input, server, config } = match request(streams, world, read_server) {
        Ok(request) => request,
        // Nothing can be kept or forgotten without a valid request, but a store with switch on
        // succeeds whatever it was sent, as the Go helper's does.
        Err(_) if world.env.is_true("AWS_ECR_IGNORE_CREDS_STORAGE") => return 0,
        Err(e) => return streams.fail(&e),
    };
    let result = match (config::registry_for(config.as_ref(), &server), action) {
        (Ok(_), _) => Ok(()),
        (Err(NotEcr(host)), _) if config.as_ref().is_some_and(|c| c.fallback.is_some()) => {
            return not_ours(action, &input, &Error::NotEcr { host }, config.as_ref(), streams, world);
        }
        _ if world.env.is_true("AWS_ECR_IGNORE_CREDS_STORAGE") => Ok(()),
        (Err(NotEcr(host)), Action::Store) => Err(Error::StoreNotEcr { host }),
        (Err(NotEcr(host)), _) => Err(Error::NotEcr { host }),
    };
    match result {
        Ok(()) => 0,
        Err(e) => streams.fail(&e),
    }
}

/// `list`: the hosts with tokens for the current identity, from the cache, with the aliases whose
/// registry is cached, merged with the fallback store's list. regctl asks `get` only for the hosts
/// `list` names, so on a cold cache (no registry of the configured region listed) it asks ECR once
/// for the caller's own registry in that region ([`serve::default_registry`]), caches its token
/// and lists it. A warm cache is read and nothing more: no SDK, no runtime. It never fails: a cache
/// that cannot be used, a fallback that fails, or a question ECR cannot answer leave the list as it
/// is, with one line on stderr only for what the user can fix.
pub fn list<A: Aws, I, O: Write, E: Write>(streams: &mut Streams<I, O, E>, world: &World<'_, A>) -> u8 {
    let config = Config::load(world.env).unwrap_or_else(|e| {
        streams.warn(&e);
        None
    });
    trace_config(world, config.as_ref());
    let mut hosts: BTreeMap<String, String> =
        config.as_ref().and_then(|c| list_fallback(c, streams, world)).unwrap_or_default();
    let identity = Identity::load(world.env);
    let mut found = cached_hosts(config.as_ref(), &identity, streams, world);
    if let Some(region) = default_registry_region(&identity, world.env, &found)
        && let Some(registry) = ask_default_registry(region, &identity, config.as_ref(), streams, world)
    {
        found.push(Listed::new(registry.host().to_string(), Some(registry), config.as_ref()));
    }
    for Listed { host, aliases, .. } in found {
        for name in std::iter::once(host).chain(aliases) {
            hosts.insert(name, ECR_USERNAME.to_string());
        }
    }
    match write_list(&mut streams.stdout, &hosts) {
        Ok(()) => 0,
        Err(e) => streams.fail(&e),
    }
}

/// The ECR hosts with a usable cached token, each with the aliases that stand for it. Each rule
/// is an identity of its own, so each identity's cache is asked for the hosts it selects;
/// `identity` is the caller's own, which serves the hosts no rule selects.
fn cached_hosts<A, I, O, E: Write>(
    config: Option<&Config>,
    identity: &Identity,
    streams: &mut Streams<I, O, E>,
    world: &World<'_, A>,
) -> Vec<Listed> {
    let path = config.map(|c| c.path.as_path());
    let mut found = Vec::new();
    hosts_served_by(identity, None, config, streams, world, &mut found);
    for index in 0..config.map_or(0, Config::rule_count) {
        let rule_identity = Identity::load_for(world.env, config.map(|c| c.rule(index)), path);
        hosts_served_by(&rule_identity, Some(index), config, streams, world, &mut found);
    }
    found
}

/// Adds to `found` the cached hosts of `identity` that it serves: those `rule` (an index into the
/// configuration's rules; `None`: no rule) is the first to select.
fn hosts_served_by<A, I, O, E: Write>(
    identity: &Identity,
    rule: Option<usize>,
    config: Option<&Config>,
    streams: &mut Streams<I, O, E>,
    world: &World<'_, A>,
    found: &mut Vec<Listed>,
) {
    let cache = serve::open_cache(world, identity).unwrap_or_else(|untrusted| {
        streams.warn(&untrusted);
        None
    });
    for host in cache.map(|c| c.hosts((world.now)())).unwrap_or_default() {
        let registry = registry::parse(&host).ok();
        let chosen = registry.as_ref().and_then(|r| config.and_then(|c| c.rule_index_for(r)));
        if chosen == rule {
            found.push(Listed::new(host, registry, config));
        }
    }
}

/// An ECR host that `list` names, with the registry it parses to (kept: the parse is most of what
/// the look for a cached registry of the configured region costs) and the aliases that stand for it.
struct Listed {
    host: String,
    registry: Option<Registry>,
    aliases: Vec<String>,
}

impl Listed {
    fn new(host: String, registry: Option<Registry>, config: Option<&Config>) -> Listed {
        let aliases = config.map(|c| c.aliases_of(&host).map(|a| a.host.clone()).collect()).unwrap_or_default();
        Listed { host, registry, aliases }
    }
}

/// The region whose default registry `list` asks ECR for, if it should: the region is known (the
/// environment or the profile, as a `get` of ECR Public reads it), no registry of that region is
/// listed yet (`listed`), and the profile needs no MFA code (a prompt has no place in `list`: every
/// classic docker build runs it). A cached registry of another region or ECR Public's does not
/// count: they would hide the caller's own registry from a list-first client for good.
fn default_registry_region<'a>(identity: &'a Identity, env: &crate::env::Env, listed: &[Listed]) -> Option<&'a str> {
    let region = identity.configured_region.as_deref()?;
    let in_region = |l: &Listed| matches!(&l.registry, Some(Registry::Private(r)) if r.region == region);
    if listed.iter().any(in_region) || principal::mfa_settings(identity, env).is_some() {
        return None;
    }
    Some(region)
}

/// Asks ECR for the caller's own registry in `region` (see [`serve::default_registry`]) and says
/// on stderr why not only when the user can fix it.
fn ask_default_registry<A: Aws, I, O, E: Write>(
    region: &str,
    identity: &Identity,
    config: Option<&Config>,
    streams: &mut Streams<I, O, E>,
    world: &World<'_, A>,
) -> Option<Registry> {
    let serves = |r: &Registry| config.and_then(|c| c.rule_index_for(r)).is_none();
    let mut warnings = Vec::new();
    let result = serve::default_registry(region, identity, serves, world, &mut warnings);
    for warning in &warnings {
        streams.warn(warning);
    }
    match result {
        Ok(registry) => Some(registry),
        Err(e) => {
            if worth_saying_in_list(&e) {
                streams.warn(&e);
            }
            None
        }
    }
}

/// Whether `list` mentions why it could not name the caller's own registry. Not for what the
/// user did not ask for or cannot change (no credentials here at all, no network, a slow or
/// throttling or failing ECR): the classic docker builder runs `list` on every build, and the
/// `get` that needs a token says those itself. Everything else (access denied, rejected or broken
/// credentials, an unknown profile, an expired SSO session, a bad setting) is a fix to make.
fn worth_saying_in_list(error: &Error) -> bool {
    !matches!(
        error,
        Error::NoCredentials { .. }
            | Error::Unreachable { .. }
            | Error::TimedOut { .. }
            | Error::Throttled { .. }
            | Error::Service { .. }
            | Error::BadResponse { .. }
    )
}

/// The fallback store's `list`, when there is one and it answers a JSON object.
fn list_fallback<A, I, O, E: Write>(
    config: &Config,
    streams: &mut Streams<I, O, E>,
    world: &World<'_, A>,
) -> Option<BTreeMap<String, String>> {
    let name = config.fallback.as_deref()?;
    let answer = match fallback::run(name, &config.path, "list", b"", world.env) {
        Ok(answer) => answer,
        Err(e) => {
            streams.warn(format!("{e}; listing ECR hosts only"));
            return None;
        }
    };
    let _ = streams.stderr.write_all(&answer.stderr);
    let parsed = (answer.code == 0).then(|| serde_json::from_slice::<BTreeMap<String, String>>(&answer.stdout).ok());
    if let Some(Some(map)) = parsed {
        return Some(map);
    }
    streams.warn(format!(
        "the fallback docker-credential-{name} failed to list (exit {}); listing ECR hosts only",
        answer.code
    ));
    None
}

/// A request of `get`, `store` or `erase`, with the configuration it is read against.
struct Request {
    /// The raw input, for a fallback store.
    input: String,
    /// The server it names.
    server: String,
    /// The configuration file, if any.
    config: Option<Config>,
}

/// Reads the request and the configuration.
fn request<A, I: Read, O, E>(
    streams: &mut Streams<I, O, E>,
    world: &World<'_, A>,
    read_server: fn(&str) -> Result<String, Error>,
) -> Result<Request, Error> {
    let input = streams.read_input()?;
    let server = read_server(&input)?;
    let config = Config::load(world.env)?;
    trace_config(world, config.as_ref());
    Ok(Request { input, server, config })
}

/// A host that is neither ECR nor an alias: handed to the fallback store when there is one, its
/// answer passed through unchanged; else `error`.
fn not_ours<A, I, O: Write, E: Write>(
    action: Action,
    input: &str,
    error: &Error,
    config: Option<&Config>,
    streams: &mut Streams<I, O, E>,
    world: &World<'_, A>,
) -> u8 {
    let Some((name, path)) = config.and_then(|c| Some((c.fallback.as_deref()?, c.path.as_path()))) else {
        return streams.fail(error);
    };
    match fallback::run(name, path, action.word(), input.as_bytes(), world.env) {
        Ok(answer) => {
            let _ = streams.stdout.write_all(&answer.stdout).and_then(|()| streams.stdout.flush());
            let _ = streams.stderr.write_all(&answer.stderr);
            answer.code
        }
        Err(e) => streams.fail(&e),
    }
}

/// The protocol actions and the informational flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Print credentials for a server.
    Get,
    /// Keep credentials (a no-op for ECR hosts).
    Store,
    /// Forget credentials (a no-op for ECR hosts).
    Erase,
    /// Print the hosts with cached tokens.
    List,
    /// Print the version.
    Version,
    /// Print the help text.
    Help,
}

impl Action {
    /// The protocol's word for the action.
    pub fn word(self) -> &'static str {
        match self {
            Action::Get => "get",
            Action::Store => "store",
            Action::Erase => "erase",
            Action::List => "list",
            Action::Version => "version",
            Action::Help => "help",
        }
    }
}

/// The answer to `get`.
#[derive(Serialize)]
struct Credentials<'a> {
    #[serde(rename = "ServerURL")]
    server_url: &'a str,
    #[serde(rename = "Username")]
    username: &'a str,
    #[serde(rename = "Secret")]
    secret: &'a str,
}

/// The request of `store`. The secret is not read: we never keep it.
#[derive(Deserialize)]
struct StoreRequest {
    #[serde(rename = "ServerURL", default)]
    server_url: String,
    #[serde(rename = "Username", default)]
    username: String,
}

/// The server string of `get`/`erase`: all lines joined, white space trimmed, as the Go library does.
pub fn server_url(input: &str) -> Result<String, Error> {
    let joined: String = input.lines().collect();
    let trimmed = joined.trim();
    if trimmed.is_empty() {
        return Err(Error::NoServerUrl);
    }
    Ok(trimmed.to_string())
}

/// The server URL of a `store` request, after the protocol's checks.
pub fn store_server_url(input: &str) -> Result<String, Error> {
    let request: StoreRequest = serde_json::from_str(input.trim())
        .map_err(|e| Error::BadInput { reason: format!("store expects a JSON object: {}", json_problem(&e)) })?;
    if request.server_url.trim().is_empty() {
        return Err(Error::NoServerUrl);
    }
    if request.username.is_empty() {
        return Err(Error::NoUsername);
    }
    Ok(request.server_url)
}

/// Writes the one line that answers a successful `get`.
pub fn write_credentials(out: &mut impl Write, server_url: &str, token: &AuthToken) -> Result<(), Error> {
    let answer = Credentials { server_url, username: &token.username, secret: token.password.expose() };
    let mut line = serde_json::to_vec(&answer).map_err(Error::Encode)?;
    line.push(b'\n');
    out.write_all(&line).and_then(|()| out.flush()).map_err(Error::Output)
}

/// Writes the answer to `list`: `{host: username, …}`, or `{}` when there are none.
pub fn write_list(out: &mut impl Write, hosts: &BTreeMap<String, String>) -> Result<(), Error> {
    let mut line = serde_json::to_vec(hosts).map_err(Error::Encode)?;
    line.push(b'\n');
    out.write_all(&line).and_then(|()| out.flush()).map_err(Error::Output)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::UnixSeconds;
    use crate::env::Env;
    use crate::fake::{FakeAws, HOST, get_at};
    use crate::secret::Secret;

    const T0: UnixSeconds = 1_800_000_000;

    /// Runs `list` against `aws` at `T0` with `env` and the cache under `cache`; returns (exit
    /// code, stdout, stderr).
    fn list_at(aws: &FakeAws, env: &Env, cache: &std::path::Path) -> (u8, String, String) {
        let clock = || T0;
        let world =
            World { env, cache_dir: Some(cache.to_path_buf()), now: &clock, aws, trace: crate::trace::Trace::off() };
        let mut streams = Streams { stdin: &b""[..], stdout: Vec::new(), stderr: Vec::new() };
        let code = list(&mut streams, &world);
        (
            code,
            String::from_utf8_lossy(&streams.stdout).into_owned(),
            String::from_utf8_lossy(&streams.stderr).into_owned(),
        )
    }

    fn env_with(vars: &[(&str, &str)]) -> Env {
        [("AWS_ACCESS_KEY_ID", "AKIDUNIT"), ("ECR_LOGIN_CONFIG", "/dev/null")].iter().chain(vars).copied().collect()
    }

    fn listed(hosts: &[&str]) -> Vec<Listed> {
        hosts.iter().map(|h| Listed::new(h.to_string(), registry::parse(h).ok(), None)).collect()
    }

    #[test]
    fn list_asks_for_the_default_registry_only_when_a_region_is_known_and_none_of_its_registries_is_listed() {
        let region = |vars: &[(&str, &str)], hosts: &[&str]| {
            let env = env_with(vars);
            default_registry_region(&Identity::load(&env), &env, &listed(hosts)).map(str::to_string)
        };
        assert_eq!(region(&[], &[]), None);
        assert_eq!(region(&[("AWS_REGION", "us-east-1")], &[]).as_deref(), Some("us-east-1"));
        assert_eq!(region(&[("AWS_DEFAULT_REGION", "eu-west-1")], &[]).as_deref(), Some("eu-west-1"));
        assert_eq!(region(&[("AWS_REGION", "us-east-1")], &[HOST]), None);
        // Another account's registry in the region is enough: the cache is warm there.
        assert_eq!(region(&[("AWS_REGION", "us-east-1")], &["210987654321.dkr.ecr.us-east-1.amazonaws.com"]), None);
        // ECR Public or another region's registry would otherwise hide the caller's own for good.
        assert_eq!(region(&[("AWS_REGION", "us-east-1")], &["public.ecr.aws"]).as_deref(), Some("us-east-1"));
        let elsewhere = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
        assert_eq!(region(&[("AWS_REGION", "us-east-1")], &[elsewhere]).as_deref(), Some("us-east-1"));
    }

    #[test]
    fn list_never_asks_when_the_profile_needs_an_mfa_code() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join(".aws")).unwrap();
        let config = "[profile mfa]\nregion = us-east-1\nmfa_serial = arn:aws:iam::111111111111:mfa/alice\n";
        std::fs::write(home.path().join(".aws/config"), config).unwrap();
        let env: Env = [("HOME", home.path().to_str().unwrap()), ("AWS_PROFILE", "mfa")].into_iter().collect();
        let identity = Identity::load(&env);
        assert_eq!(identity.configured_region.as_deref(), Some("us-east-1"));
        assert_eq!(default_registry_region(&identity, &env, &[]), None);
    }

    #[test]
    fn a_cold_list_asks_once_caches_the_answer_and_the_following_get_is_a_hit() {
        let dir = tempfile::tempdir().unwrap();
        let aws = FakeAws::default();
        aws.token("pw", T0 + 12 * 3600);
        let env = env_with(&[("AWS_REGION", "us-east-1")]);
        assert_eq!(list_at(&aws, &env, dir.path()), (0, format!("{{\"{HOST}\":\"AWS\"}}\n"), String::new()));
        assert_eq!(aws.calls.get(), 1);
        let (code, out, _) = get_at(&aws, &env, dir.path(), T0, HOST);
        assert_eq!(code, 0);
        assert!(out.contains("\"Secret\":\"pw\""), "{out}");
        assert_eq!(list_at(&aws, &env, dir.path()).1, format!("{{\"{HOST}\":\"AWS\"}}\n"));
        assert_eq!(aws.calls.get(), 1);
    }

    #[test]
    fn a_list_that_cannot_ask_lists_what_it_has_and_speaks_only_of_what_the_user_can_fix() {
        let dir = tempfile::tempdir().unwrap();
        let aws = FakeAws::default();
        let env = env_with(&[("AWS_REGION", "us-east-1")]);
        aws.error();
        assert_eq!(list_at(&aws, &env, dir.path()), (0, "{}\n".to_string(), String::new()));
        let registry = "the default registry in us-east-1".to_string();
        aws.fail_with(Error::AccessDenied { registry, detail: "AccessDeniedException: no".into() });
        let (code, out, err) = list_at(&aws, &env, dir.path());
        assert_eq!((code, out.as_str(), err.lines().count()), (0, "{}\n", 1), "{err}");
        assert!(err.contains("access denied") && err.contains("default registry in us-east-1"), "{err}");
        assert_eq!(aws.calls.get(), 2);
    }

    #[test]
    fn only_errors_the_user_can_fix_are_worth_a_line_in_list() {
        let registry = || HOST.to_string();
        assert!(!worth_saying_in_list(&Error::NoCredentials { registry: registry(), profile: "default".into() }));
        assert!(!worth_saying_in_list(&Error::TimedOut {
            registry: registry(),
            after: serve::DEFAULT_REGISTRY_TIMEOUT
        }));
        assert!(!worth_saying_in_list(&Error::Throttled { registry: registry() }));
        let unreachable =
            Error::Unreachable { registry: registry(), region: "us-east-1".into(), detail: "refused".into() };
        assert!(!worth_saying_in_list(&unreachable));
        assert!(worth_saying_in_list(&Error::AccessDenied { registry: registry(), detail: "no".into() }));
        assert!(worth_saying_in_list(&Error::CredentialsRejected { registry: registry(), detail: "bad".into() }));
        let unknown = Error::UnknownProfile { registry: registry(), profile: "x".into(), origin: "AWS_PROFILE".into() };
        assert!(worth_saying_in_list(&unknown));
    }

    #[test]
    fn server_url_joins_lines_and_trims() {
        assert_eq!(server_url("  host.example\r\n").unwrap(), "host.example");
        assert_eq!(server_url("host\n.example").unwrap(), "host.example");
        assert!(matches!(server_url(" \r\n"), Err(Error::NoServerUrl)));
    }

    #[test]
    fn store_requests_are_checked_as_the_protocol_says() {
        let ok = r#"{"ServerURL":"https://h.example","Username":"AWS","Secret":"s"}"#;
        assert_eq!(store_server_url(ok).unwrap(), "https://h.example");
        assert!(matches!(store_server_url(r#"{"Username":"AWS"}"#), Err(Error::NoServerUrl)));
        assert!(matches!(store_server_url(r#"{"ServerURL":"h","Username":""}"#), Err(Error::NoUsername)));
        assert!(matches!(store_server_url("not json"), Err(Error::BadInput { .. })));
    }

    #[test]
    fn get_answer_bytes_are_exact() {
        let token =
            AuthToken { username: "AWS".into(), password: Secret::new("p\"w".into()), issued_at: 0, expires_at: 0 };
        let mut out = Vec::new();
        write_credentials(&mut out, "https://h.example", &token).unwrap();
        assert_eq!(out, b"{\"ServerURL\":\"https://h.example\",\"Username\":\"AWS\",\"Secret\":\"p\\\"w\"}\n");
    }

    #[test]
    fn list_answer_bytes_are_exact() {
        let mut out = Vec::new();
        write_list(&mut out, &BTreeMap::new()).unwrap();
        assert_eq!(out, b"{}\n");
        out.clear();
        let hosts = [("b.example", "AWS"), ("a.example", "AWS")].map(|(h, u)| (h.to_string(), u.to_string()));
        write_list(&mut out, &hosts.into_iter().collect()).unwrap();
        assert_eq!(out, b"{\"a.example\":\"AWS\",\"b.example\":\"AWS\"}\n");
    }
}
