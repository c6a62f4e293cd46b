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

use crate::config::{self, Config};
use crate::ecr::Aws;
use crate::error::{Error, json_problem};
use crate::fallback;
use crate::identity::Identity;
use crate::registry::{self, NotEcr};
use crate::token::AuthToken;
use crate::tokens;
use crate::world::{Streams, World};

/// The user name ECR tokens carry, and so the one `list` reports.
const ECR_USERNAME: &str = "AWS";

/// `get`: the token for the host on stdin. A non-ECR host is answered before any AWS
/// configuration, file or runtime is touched (or handed to the fallback store). An alias host is
/// answered with its registry's token, from the same cache entry. Every way of ending without a
/// token answers the protocol's not-found line ([`Error::outcome`]) with the cause on stderr.
pub fn get<A: Aws, I: Read, O: Write, E: Write>(streams: &mut Streams<I, O, E>, world: &World<'_, A>) -> u8 {
    let (input, server, config) = match request(streams, world, server_url) {
        Ok(request) => request,
        Err(e) => return streams.fail(&e),
    };
    let registry = match config::resolve(config.as_ref(), &server) {
        Ok(registry) => registry,
        Err(NotEcr(host)) => {
            return not_ours(Action::Get, &input, &Error::NotEcr { host }, config.as_ref(), streams, world);
        }
    };
    let identity = Identity::for_registry(world.env, config.as_ref(), &registry);
    let served = tokens::token_for(&registry, &identity, None, world);
    for warning in &served.warnings {
        streams.warn(warning);
    }
    match served.token.and_then(|token| write_credentials(&mut streams.stdout, &server, &token)) {
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
    let (input, server, config) = match request(streams, world, read_server) {
        Ok(request) => request,
        // Nothing can be kept or forgotten without a valid request, but a store with switch on
        // succeeds whatever it was sent, as the Go helper's does.
        Err(_) if world.env.is_true("AWS_ECR_IGNORE_CREDS_STORAGE") => return 0,
        Err(e) => return streams.fail(&e),
    };
    let result = match (config::resolve(config.as_ref(), &server), action) {
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

/// `list`: the hosts with tokens for the current identity, from the cache only, with the aliases
/// whose registry is cached, merged with the fallback store's list. It never touches the network:
/// a cache that cannot be used is an empty list (and a warning), a fallback that fails a warning.
pub fn list<A, I, O: Write, E: Write>(streams: &mut Streams<I, O, E>, world: &World<'_, A>) -> u8 {
    let config = Config::load(world.env).unwrap_or_else(|e| {
        streams.warn(&e);
        None
    });
    let mut hosts: BTreeMap<String, String> =
        config.as_ref().and_then(|c| list_fallback(c, streams, world)).unwrap_or_default();
    for (host, aliases) in cached_hosts(config.as_ref(), streams, world) {
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
/// is an identity of its own, so each identity's cache is asked for the hosts it selects.
fn cached_hosts<A, I, O, E: Write>(
    config: Option<&Config>,
    streams: &mut Streams<I, O, E>,
    world: &World<'_, A>,
) -> Vec<(String, Vec<String>)> {
    let path = config.map(|c| c.path.as_path());
    let mut identities = vec![(Identity::load(world.env), None)];
    for index in 0..config.map_or(0, Config::rule_count) {
        let rule = config.map(|c| c.rule(index));
        identities.push((Identity::load_for(world.env, rule, path), Some(index)));
    }
    let mut found = Vec::new();
    for (identity, rule) in identities {
        let cache = tokens::open_cache(world, &identity).unwrap_or_else(|untrusted| {
            streams.warn(&untrusted);
            None
        });
        for host in cache.map(|c| c.hosts((world.now)())).unwrap_or_default() {
            // A host is served by the identity of the first rule that selects it.
            let chosen = registry::parse(&host).ok().and_then(|r| config.and_then(|c| c.rule_index_for(&r)));
            if chosen != rule {
                continue;
            }
            let aliases = config.map(|c| c.aliases_of(&host).map(|a| a.host.clone()).collect()).unwrap_or_default();
            found.push((host, aliases));
        }
    }
    found
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

/// Reads the request and the configuration: the raw input (for a fallback), the server named
/// and the configuration file, if any.
fn request<A, I: Read, O, E>(
    streams: &mut Streams<I, O, E>,
    world: &World<'_, A>,
    read_server: fn(&str) -> Result<String, Error>,
) -> Result<(String, String, Option<Config>), Error> {
    let input = streams.read_input()?;
    let server = read_server(&input)?;
    let config = Config::load(world.env)?;
    Ok((input, server, config))
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
    use crate::secret::Secret;

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
