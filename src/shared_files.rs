//! AWS's shared config and credentials files: where they are, their sections (read with the files'
//! own INI rules), and what a profile's section says about how its credentials are made; and where
//! the AWS CLI keeps an `aws login` session's credentials. Reading them resolves no credentials, so
//! the fingerprint may read them on every hit.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::env::Env;

/// What a profile's section says about how its credentials are made, for the MFA step.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileSettings {
    /// `mfa_serial`: the MFA device whose code STS asks for.
    pub mfa_serial: Option<String>,
    /// `role_arn`: the role the profile assumes.
    pub role_arn: Option<String>,
    /// `source_profile`: whose credentials assume it.
    pub source_profile: Option<String>,
    /// `credential_source`: where the keys that assume it come from (`Environment`,
    /// `Ec2InstanceMetadata`, `EcsContainer`), instead of a `source_profile`.
    pub credential_source: Option<String>,
    /// `external_id`, with `role_arn`.
    pub external_id: Option<String>,
    /// `role_session_name`, with `role_arn`.
    pub role_session_name: Option<String>,
    /// `duration_seconds`: the session's requested lifetime.
    pub duration_seconds: Option<u32>,
}

/// Reads what the shared config file says about `profile` (the credentials file does not hold
/// these keys).
pub fn profile_settings(env: &Env, profile: &str) -> ProfileSettings {
    let config = config_file_path(env).as_deref().map(SharedFile::read).unwrap_or_default();
    let name = if profile == "default" { "default".to_string() } else { format!("profile {profile}") };
    let section = config.section(&name).or_else(|| config.section(&format!("profile {profile}")));
    let get = |key: &str| value(section, key).map(str::to_string);
    ProfileSettings {
        mfa_serial: get("mfa_serial"),
        role_arn: get("role_arn"),
        source_profile: get("source_profile"),
        credential_source: get("credential_source"),
        external_id: get("external_id"),
        role_session_name: get("role_session_name"),
        duration_seconds: get("duration_seconds").and_then(|d| d.parse().ok()),
    }
}

/// A section's keys (lower case) and values, in the file's order.
pub type Section = Vec<(String, String)>;

/// The two shared files' sections, by their header as written (`profile dev`, `default`, `dev`).
#[derive(Debug, Default)]
pub(crate) struct SharedFile {
    pub(crate) sections: BTreeMap<String, Section>,
}

impl SharedFile {
    /// Reads the file at `path`; a missing or unreadable file has no sections.
    pub fn read(path: &Path) -> SharedFile {
        std::fs::read_to_string(path).map(|text| SharedFile::parse(&text)).unwrap_or_default()
    }

    /// A forgiving INI reader with the shared files' rules: `#` and `;` start comments, keys are
    /// case-insensitive, and indented lines continue the previous value (for `s3 =` style blocks).
    pub(crate) fn parse(text: &str) -> SharedFile {
        let mut file = SharedFile::default();
        let mut current: Option<String> = None;
        for raw in text.lines() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(header) = line.strip_prefix('[').and_then(|l| l.split_once(']')).map(|(h, _)| h) {
                let name = header.split_whitespace().collect::<Vec<_>>().join(" ");
                file.sections.entry(name.clone()).or_default();
                current = Some(name);
                continue;
            }
            let Some(section) = current.as_ref().and_then(|name| file.sections.get_mut(name)) else {
                continue;
            };
            let continues = raw.starts_with([' ', '\t']);
            match (continues, section.last_mut(), line.split_once('=')) {
                (true, Some((_, value)), _) => {
                    value.push('\n');
                    value.push_str(line);
                }
                (_, _, Some((key, value))) => {
                    section.push((key.trim().to_ascii_lowercase(), value.trim().to_string()));
                }
                _ => section.push((line.to_ascii_lowercase(), String::new())),
            }
        }
        file
    }

    /// The section headed `name`, as written (`profile dev`, `default`, `sso-session corp`).
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.get(name)
    }
}

/// The value of `key` in `section`, if both are there.
pub fn value<'a>(section: Option<&'a Section>, key: &str) -> Option<&'a str> {
    section?.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// The shared config file: `$AWS_CONFIG_FILE`, else `~/.aws/config`.
pub(crate) fn config_file_path(env: &Env) -> Option<PathBuf> {
    shared_file_path(env, "AWS_CONFIG_FILE", "config")
}

/// The shared credentials file: `$AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
pub(crate) fn credentials_file_path(env: &Env) -> Option<PathBuf> {
    shared_file_path(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials")
}

/// Where the AWS CLI and SDKs keep the credentials of the `aws login` session `arn`:
/// `$AWS_LOGIN_CACHE_DIRECTORY` (taken as written), else `~/.aws/login/cache`, then the SHA-256 of
/// the trimmed ARN in hex, `.json`. Only doctor reads it; a get leaves it to the SDK.
pub fn login_cache_file(env: &Env, arn: &str) -> Option<PathBuf> {
    let dir = match env.get("AWS_LOGIN_CACHE_DIRECTORY") {
        Some(dir) => PathBuf::from(dir),
        None => env.home()?.join(".aws").join("login").join("cache"),
    };
    let mut name = String::with_capacity(69);
    for byte in Sha256::digest(arn.trim().as_bytes()) {
        let _ = write!(name, "{byte:02x}");
    }
    name.push_str(".json");
    Some(dir.join(name))
}

/// `$variable`, else `~/.aws/default_name`.
fn shared_file_path(env: &Env, variable: &str, default_name: &str) -> Option<PathBuf> {
    match env.get(variable) {
        Some(path) => Some(env.expand_home(path)),
        None => env.home().map(|h| h.join(".aws").join(default_name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_cache_file_is_the_one_the_aws_sdk_reads() {
        // The AWS SDK for Rust's own test of its file names (aws-config, src/login/cache.rs).
        let env: Env = [("HOME", "/home/someuser")].into_iter().collect();
        let expected = "/home/someuser/.aws/login/cache/\
                        36db1d138ff460920374e4c3d8e01f53f9f73537e89c88d639f68393df0e2726.json";
        let file = |arn: &str| login_cache_file(&env, arn).unwrap();
        assert_eq!(file("arn:aws:iam::0123456789012:user/Admin"), PathBuf::from(expected));
        assert_eq!(file("  arn:aws:iam::0123456789012:user/Admin  "), PathBuf::from(expected));
        let moved: Env = [("HOME", "/h"), ("AWS_LOGIN_CACHE_DIRECTORY", "/elsewhere")].into_iter().collect();
        assert!(login_cache_file(&moved, "arn:aws:iam::0123456789012:user/Admin").unwrap().starts_with("/elsewhere"));
    }

    #[test]
    fn continuation_lines_belong_to_their_key() {
        let file = SharedFile::parse("[profile x]\ns3 =\n  max_concurrent_requests = 10\nregion=us-east-1\n");
        let section = file.section("profile x").unwrap();
        assert_eq!(section[0], ("s3".to_string(), "\nmax_concurrent_requests = 10".to_string()));
        assert_eq!(section[1], ("region".to_string(), "us-east-1".to_string()));
    }
}
