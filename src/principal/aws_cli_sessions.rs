//! The AWS CLI's session cache, shared with it: where a profile's session lives
//! (`~/.aws/cli/cache/<key>.json`, keyed as botocore keys an assumed role: the SHA-1 of the
//! sorted JSON of the AssumeRole arguments), and the file's format in both directions. A
//! `GetSessionToken` session, which the AWS CLI never makes, is kept beside them as
//! `ecr-login-<key>.json`.

use std::fmt::Write as _;
use std::io::Read;
use std::path::PathBuf;

use serde::Deserialize;
use sha1::{Digest, Sha1};

use crate::aws::SessionCredentials;
use crate::clock;
use crate::files::{create_private_dir, trust, write_atomic};
use crate::secret::Secret;
use crate::shared_files::ProfileSettings;
use crate::world::World;

/// A session file larger than this is not one.
const MAX_SESSION_BYTES: u64 = 64 * 1024;

/// The file that holds the session of `profile`, in the AWS CLI's cache directory.
pub(super) fn session_file<A>(world: &World<'_, A>, profile: &str, settings: &ProfileSettings) -> Option<PathBuf> {
    let dir = world.env.home()?.join(".aws").join("cli").join("cache");
    if let Some(role_arn) = &settings.role_arn {
        return Some(dir.join(format!("{}.json", cli_cache_key(role_arn, settings))));
    }
    let serial = settings.mfa_serial.as_deref().unwrap_or_default();
    let args = [("Profile", Arg::Text(profile)), ("SerialNumber", Arg::Text(serial))];
    Some(dir.join(format!("ecr-login-{}.json", sha1_hex(&python_json(&args)))))
}

/// An argument of the AssumeRole call, as botocore's JSON has it.
enum Arg<'a> {
    Text(&'a str),
    Number(u32),
}

/// botocore's key: `sha1(json.dumps(args, sort_keys=True))` of the AssumeRole arguments, with the
/// session name only when the profile names one.
pub fn cli_cache_key(role_arn: &str, settings: &ProfileSettings) -> String {
    let mut args: Vec<(&str, Arg<'_>)> = vec![("RoleArn", Arg::Text(role_arn))];
    if let Some(serial) = &settings.mfa_serial {
        args.push(("SerialNumber", Arg::Text(serial)));
    }
    if let Some(external_id) = &settings.external_id {
        args.push(("ExternalId", Arg::Text(external_id)));
    }
    if let Some(name) = &settings.role_session_name {
        args.push(("RoleSessionName", Arg::Text(name)));
    }
    if let Some(duration) = settings.duration_seconds {
        args.push(("DurationSeconds", Arg::Number(duration)));
    }
    sha1_hex(&python_json(&args))
}

fn sha1_hex(text: &str) -> String {
    Sha1::digest(text.as_bytes()).iter().fold(String::with_capacity(40), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

/// Python's `json.dumps(dict, sort_keys=True)`: `", "` and `": "` separators, keys sorted, and
/// every character outside ASCII escaped.
fn python_json(args: &[(&str, Arg<'_>)]) -> String {
    let mut sorted: Vec<&(&str, Arg<'_>)> = args.iter().collect();
    sorted.sort_by_key(|(key, _)| *key);
    let fields: Vec<String> = sorted
        .iter()
        .map(|(key, value)| {
            let value = match value {
                Arg::Text(text) => python_string(text),
                Arg::Number(n) => n.to_string(),
            };
            format!("{}: {value}", python_string(key))
        })
        .collect();
    format!("{{{}}}", fields.join(", "))
}

fn python_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
    out
}

/// The part of botocore's cache entry that we read and write.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CachedResponse {
    credentials: CachedCredentials,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CachedCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: String,
}

/// The session in the AWS CLI cache file at `path`, if it holds one (ours, not followed through a
/// link, and of a sane size).
pub(super) fn read_session(path: &std::path::Path) -> Option<SessionCredentials> {
    let mut bytes = Vec::new();
    trust::open_entry(path).ok()?.0.take(MAX_SESSION_BYTES).read_to_end(&mut bytes).ok()?;
    decode_session(&bytes)
}

/// An AWS CLI cache file's bytes → the session in it; `None` for anything else.
pub fn decode_session(bytes: &[u8]) -> Option<SessionCredentials> {
    let cached: CachedResponse = serde_json::from_slice(bytes).ok()?;
    let c = cached.credentials;
    Some(SessionCredentials {
        expires_at: clock::parse_utc(&c.expiration)?,
        access_key_id: c.access_key_id,
        secret_access_key: Secret::new(c.secret_access_key),
        session_token: Secret::new(c.session_token),
    })
}

/// Writes the session as botocore does: the response's `Credentials`, with `Expiration` in the
/// form its `JSONFileCache` writes (`2026-11-28T12:00:00UTC`).
pub(super) fn write_session(path: &std::path::Path, session: &SessionCredentials) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        create_private_dir(dir)?;
    }
    write_atomic(path, &encode_session(session), 0o600)
}

/// The bytes botocore's cache would hold for `session`: what [`decode_session`] reads back.
pub fn encode_session(session: &SessionCredentials) -> Vec<u8> {
    let expiration = clock::format_utc(session.expires_at).replace('Z', "UTC");
    let json = serde_json::json!({
        "Credentials": {
            "AccessKeyId": session.access_key_id,
            "SecretAccessKey": session.secret_access_key.expose(),
            "SessionToken": session.session_token.expose(),
            "Expiration": expiration,
        }
    });
    json.to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_key_is_botocores() {
        // Both digests were computed with Python:
        // hashlib.sha1(json.dumps(args, sort_keys=True).encode()).hexdigest()
        let mut settings = ProfileSettings {
            mfa_serial: Some("arn:aws:iam::111111111111:mfa/alice".into()),
            ..ProfileSettings::default()
        };
        let role = "arn:aws:iam::222222222222:role/admin";
        assert_eq!(cli_cache_key(role, &settings), "8c2e0077c564e1810b9cc34b0ef126aa8a91fec5");
        settings.external_id = Some("ext-1".into());
        settings.duration_seconds = Some(3600);
        assert_eq!(cli_cache_key(role, &settings), "c4525c54cc473afb2753a77867b61ffcc7b0048e");
    }

    #[test]
    fn python_json_sorts_and_escapes_as_python_does() {
        let args = [("b", Arg::Number(3600)), ("a", Arg::Text("é\"x"))];
        assert_eq!(python_json(&args), "{\"a\": \"\\u00e9\\\"x\", \"b\": 3600}");
        assert_eq!(python_string("😀"), "\"\\ud83d\\ude00\"");
    }
}
