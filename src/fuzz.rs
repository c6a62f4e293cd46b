//! The fuzz targets' bodies: one function per parser that takes outside bytes. Each runs the parser
//! and panics when a property fails, so the same body serves cargo-fuzz (`fuzz/`, libFuzzer on the
//! nightly toolchain) and the stable test below, which runs every seed of `fuzz/seeds/` through it.
//!
//! | target          | outside bytes                                  | properties beyond "no panic"                      |
//! |-----------------|------------------------------------------------|---------------------------------------------------|
//! | `host`          | a server string (stdin of get, an image host)  | canonical form parses to the same registry; suffix in the table; a clean host |
//! | `docker_input`  | stdin of get/erase and of store                | the server string is trimmed and stable; messages bounded, one line |
//! | `kubelet`       | a CredentialProviderRequest                    | the key is a prefix of the image; the answer is JSON; messages bounded |
//! | `cache_entry`   | a token cache entry file                       | a decoded entry re-encodes to bytes that decode and re-encode the same |
//! | `shared_file`   | `~/.aws/config` and `credentials`              | names and keys normalised as the fingerprint expects |
//! | `config_file`   | the configuration file                         | messages one line and bounded; rules and aliases usable; both readers agree |
//! | `aws_cli_sessions` | the AWS CLI's session cache file            | a decoded session re-encodes to the same session   |
//!
//! Linear time is checked by running the targets on inputs up to 64 KiB with a one-second limit
//! per input (`fuzz/run`): anything quadratic in the input would take seconds there.
//!
//! Not part of the crate's interface: compiled only for `fuzz/` (`--cfg fuzzing`) and the unit
//! tests. Every `expect` here is a property, named by its message: a fuzz target reports a broken
//! property by panicking.

use std::path::Path;

use crate::cache::{decode_entry, encode_entry};
use crate::cli::docker::{server_url, store_server_url};
use crate::cli::kubelet::{Response, parse_request};
use crate::clock::{format_utc, parse_utc};
use crate::config::Config;
use crate::error::Error;
use crate::partition::{PRIVATE_SUFFIXES, PUBLIC_HOSTS};
use crate::principal::{decode_session, encode_session};
use crate::registry::{Registry, parse};
use crate::shared_files::SharedFile;

/// The longest a message about caller input may be: two clipped quotes of 100 characters, each
/// of which may be escaped to six (`\u{60}` for a backtick), plus the sentence around them.
const MAX_MESSAGE_CHARS: usize = 2000;

/// A target's body: panics when a property fails for `data`.
pub type Target = fn(data: &[u8]);

/// The fuzz targets by name, for the seed test (`fuzz/fuzz_targets/` has one file each).
pub const TARGETS: &[(&str, Target)] = &[
    ("host", host),
    ("docker_input", docker_input),
    ("kubelet", kubelet),
    ("cache_entry", cache_entry),
    ("shared_file", shared_file),
    ("config_file", config_file),
    ("aws_cli_sessions", aws_cli_sessions),
];

/// A message shown for bad input: one line, bounded, no backtick (docker wraps our text in its own).
fn assert_fit_message(message: &str) {
    assert!(!message.contains(['\n', '\r', '`']), "message not one clean line: {message:?}");
    assert!(message.chars().count() <= MAX_MESSAGE_CHARS, "message too long: {} chars", message.chars().count());
}

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// The host parser: every accepted server string names a registry whose canonical host parses to
/// the same registry again, in each form a client may send it, under a suffix of the table.
pub fn host(data: &[u8]) {
    let Some(server) = text(data) else { return };
    let Ok(registry) = parse(server) else { return };
    let host = registry.host();
    assert!(
        host.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'_'),
        "accepted host has other characters: {host:?}"
    );
    for form in [host.to_string(), format!("https://{host}/"), format!("{}.", host.to_ascii_uppercase())] {
        assert_eq!(parse(&form).as_ref(), Ok(&registry), "{form:?} of {server:?}");
    }
    match &registry {
        Registry::Public(public) => assert!(PUBLIC_HOSTS.iter().any(|(name, _)| *name == public.host)),
        Registry::Private(private) => {
            let suffix = PRIVATE_SUFFIXES
                .iter()
                .find(|s| host.ends_with(&format!(".{}.{}", private.region, s.dns_suffix)))
                .unwrap_or_else(|| panic!("accepted host outside the suffix table: {host:?}"));
            assert!(private.dual_stack || !suffix.dual_stack, "{host:?}");
            assert!(host.starts_with(&format!("{}.", private.account)), "{host:?}");
            assert!(private.account.len() == 12 && private.account.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}

/// The docker stdin reader: get/erase take the server string as the Go library reads it, store a
/// JSON object; whatever comes back is trimmed and stable, and a refusal is one bounded line.
pub fn docker_input(data: &[u8]) {
    let Some(input) = text(data) else { return };
    match server_url(input) {
        Ok(server) => {
            assert!(!server.is_empty() && server.trim() == server && !server.contains('\n'), "{server:?}");
            assert_eq!(server_url(&server).ok().as_deref(), Some(server.as_str()));
            host(server.as_bytes());
        }
        Err(e) => assert!(matches!(e, Error::NoServerUrl), "{e:?}"),
    }
    match store_server_url(input) {
        Ok(server) => assert!(!server.trim().is_empty()),
        Err(e) => assert_fit_message(&e.to_string()),
    }
}

/// The kubelet request decoder: a request that is accepted has an image whose registry key is its
/// start, and the answer for it is one JSON line naming the same API version.
pub fn kubelet(data: &[u8]) {
    let Some(input) = text(data) else { return };
    let request = match parse_request(input) {
        Ok(request) => request,
        Err(e) => return assert_fit_message(&e.to_string()),
    };
    let key = request.registry();
    let image = request.image.trim();
    assert!(key == "docker.io" || image.contains(key), "key {key:?} of {image:?}");
    for variable in [None, Some("arn:aws:iam::1:role/from-variable")] {
        assert!(request.role(variable).is_none_or(|role| !role.is_empty()));
    }
    let line = Response::new(&request.api_version, 3600, None).to_line().expect("an answer encodes");
    let answer: serde_json::Value = serde_json::from_str(&line).expect("the answer is JSON");
    assert_eq!(answer["apiVersion"].as_str(), Some(request.api_version.as_str()));
}

/// The cache-entry decoder: what decodes re-encodes to bytes that decode to the same entry and
/// re-encode to the same bytes (entries the helper wrote are already in that form).
pub fn cache_entry(data: &[u8]) {
    let Some(entry) = decode_entry(data) else { return };
    let bytes = encode_entry(&entry.host, &entry.token).expect("an entry encodes");
    let again = decode_entry(&bytes).expect("an encoded entry decodes");
    assert_eq!(again, entry);
    assert_eq!(encode_entry(&again.host, &again.token).expect("an entry encodes"), bytes);
}

/// The shared-file reader behind the fingerprint: section names are normalised (no outer or double
/// white space), keys lower case and trimmed, and reading is the same with CRLF line ends.
pub fn shared_file(data: &[u8]) {
    let Some(input) = text(data) else { return };
    let file = SharedFile::parse(input);
    for (name, entries) in &file.sections {
        assert_eq!(name.split_whitespace().collect::<Vec<_>>().join(" "), *name);
        for (key, _) in entries {
            assert_eq!(key.trim(), key);
            assert_eq!(key.to_ascii_lowercase(), *key);
        }
    }
    if !input.contains('\r') {
        let crlf = SharedFile::parse(&input.replace('\n', "\r\n"));
        assert_eq!(crlf.sections, file.sections, "CRLF reads otherwise");
    }
}

/// The configuration file parser: a refusal is one bounded line naming the file; an accepted file's
/// rules and aliases can be described and used, and aliases stand for registries.
pub fn config_file(data: &[u8]) {
    let Some(input) = text(data) else { return };
    assert!(crate::config::readers_agree(input), "the quick reader reads otherwise");
    let path = Path::new("/home/u/.config/ecr-login/config.toml");
    let config = match Config::parse(path, input) {
        Ok(config) => config,
        Err(e) => {
            let message = e.to_string();
            assert!(message.contains("config.toml"), "{message:?}");
            return assert!(!message.contains(['\n', '\r', '`']), "{message:?}");
        }
    };
    for index in 0..config.rule_count() {
        let rule = config.rule(index);
        assert_fit_message(&rule.describe(path).replace(path.to_str().unwrap_or_default(), ""));
        let _ = rule.fingerprint_input();
    }
    for alias in &config.aliases {
        let registry = parse(&alias.registry).expect("an alias stands for an ECR registry");
        assert_eq!(registry.host(), alias.registry);
        assert_eq!(config.alias_for(&alias.host).map(|a| &a.registry), Some(&alias.registry));
        let _ = config.rule_for(&registry);
    }
}

/// The reader of the AWS CLI's session cache: a session read from it writes back to a file that reads the same.
pub fn aws_cli_sessions(data: &[u8]) {
    let Some(session) = decode_session(data) else { return };
    let again = decode_session(&encode_session(&session)).expect("a written session reads back");
    assert_eq!(again.access_key_id, session.access_key_id);
    assert_eq!(again.secret_access_key, session.secret_access_key);
    assert_eq!(again.session_token, session.session_token);
    assert_eq!(again.expires_at, session.expires_at);
    assert_eq!(parse_utc(&format_utc(session.expires_at)), Some(session.expires_at));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every committed seed of every target holds its properties; the fuzzer starts from them.
    #[test]
    fn every_seed_holds_its_target_s_properties() {
        let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join("seeds");
        for (name, target) in TARGETS {
            let dir = seeds.join(name);
            let files: Vec<_> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|entry| entry.unwrap().path())
                .collect();
            assert!(files.len() >= 5, "{name}: only {} seeds", files.len());
            for file in files {
                target(&std::fs::read(&file).unwrap());
            }
        }
    }

    #[test]
    fn an_entry_that_does_not_decode_is_skipped_not_checked() {
        // A cache entry whose host is not a string decodes to nothing, so the target returns early.
        let entry = br#"{"host":1}"#;
        assert_eq!(decode_entry(entry), None);
        cache_entry(entry);
    }

    #[test]
    fn a_property_that_fails_panics() {
        // A message with a newline is refused by the check every target uses.
        assert!(std::panic::catch_unwind(|| assert_fit_message("two\nlines")).is_err());
        assert!(std::panic::catch_unwind(|| assert_fit_message(&"x".repeat(MAX_MESSAGE_CHARS + 1))).is_err());
    }
}
