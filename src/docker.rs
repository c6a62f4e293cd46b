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

use crate::ecr::Aws;
use crate::error::Error;
use crate::identity::Identity;
use crate::registry::{self, NotEcr};
use crate::token::AuthToken;
use crate::tokens;
use crate::world::{Streams, World};

/// The user name ECR tokens carry, and so the one `list` reports.
const ECR_USERNAME: &str = "AWS";

/// `get`: the token for the host on stdin. A non-ECR host is answered before any AWS
/// configuration, file or runtime is touched. Every way of ending without a token answers the
/// protocol's not-found line ([`Error::outcome`]) with the cause on stderr.
pub fn get<A: Aws, I: Read, O: Write, E: Write>(streams: &mut Streams<I, O, E>, world: &World<'_, A>) -> u8 {
    let server = match streams.read_input().and_then(|input| server_url(&input)) {
        Ok(server) => server,
        Err(e) => return streams.fail(&e),
    };
    let registry = match registry::parse(&server) {
        Ok(registry) => registry,
        Err(NotEcr(host)) => return streams.fail(&Error::NotEcr { host }),
    };
    let identity = Identity::load(world.env);
    let served = tokens::token_for(&registry, &identity, None, world);
    for warning in &served.warnings {
        streams.warn(warning);
    }
    match served.token.and_then(|token| write_credentials(&mut streams.stdout, &server, &token)) {
        Ok(()) => 0,
        Err(e) => streams.fail(&e),
    }
}

/// `store` and `erase`: accepted and ignored for ECR hosts (ECR tokens are minted, not kept), so
/// that `docker login` and `docker logout` work; refused for others, or ignored for every host
/// with `AWS_ECR_IGNORE_CREDS_STORAGE=true`, as the Go helper does.
pub fn store_or_erase<A, I: Read, O: Write, E: Write>(
    action: Action,
    streams: &mut Streams<I, O, E>,
    world: &World<'_, A>,
) -> u8 {
    let result = streams.read_input().and_then(|input| {
        if world.env.is_true("AWS_ECR_IGNORE_CREDS_STORAGE") {
            return Ok(());
        }
        let server = if action == Action::Store { store_server_url(&input)? } else { server_url(&input)? };
        match (registry::parse(&server), action) {
            (Ok(_), _) => Ok(()),
            (Err(NotEcr(host)), Action::Store) => Err(Error::StoreNotEcr { host }),
            (Err(NotEcr(host)), _) => Err(Error::NotEcr { host }),
        }
    });
    match result {
        Ok(()) => 0,
        Err(e) => streams.fail(&e),
    }
}

/// `list`: the hosts with tokens for the current identity, from the cache only. It never fails
/// and never touches the network: a cache that cannot be used is an empty list (and a warning).
pub fn list<A, I, O: Write, E: Write>(streams: &mut Streams<I, O, E>, world: &World<'_, A>) -> u8 {
    let identity = Identity::load(world.env);
    let cache = tokens::open_cache(world, &identity).unwrap_or_else(|untrusted| {
        streams.warn(&untrusted);
        None
    });
    let hosts = cache.map(|c| c.hosts((world.now)())).unwrap_or_default();
    match write_list(&mut streams.stdout, &hosts, ECR_USERNAME) {
        Ok(()) => 0,
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
        .map_err(|e| Error::BadInput { reason: format!("store expects a JSON object: {e}") })?;
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

/// Writes the answer to `list`: `{host: "AWS", …}`, or `{}` when there are none.
pub fn write_list(out: &mut impl Write, hosts: &[String], username: &str) -> Result<(), Error> {
    let map: BTreeMap<&str, &str> = hosts.iter().map(|h| (h.as_str(), username)).collect();
    let mut line = serde_json::to_vec(&map).map_err(Error::Encode)?;
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
        write_list(&mut out, &[], "AWS").unwrap();
        assert_eq!(out, b"{}\n");
        out.clear();
        write_list(&mut out, &["b.example".into(), "a.example".into()], "AWS").unwrap();
        assert_eq!(out, b"{\"a.example\":\"AWS\",\"b.example\":\"AWS\"}\n");
    }
}
