//! The extra certificate authorities every HTTPS call trusts besides the system's: the PEM file
//! that `AWS_CA_BUNDLE` names, else the profile's `ca_bundle`, as the AWS CLI, boto and the Go SDK
//! read them (the variable wins). The Rust SDK reads neither itself (awslabs/aws-sdk-rust#1362).
//!
//! The file is read and checked here, before the SDK sees it: the SDK's HTTP client parses the
//! certificates only when it opens its first connection, and panics on one it cannot parse.
//! Reading it costs a file read and a parse, so it happens on a cache miss only (and in doctor).

use std::path::PathBuf;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::env::Env;
use crate::error::Error;
use crate::shared_files::{SharedFile, config_file_path};

/// The variable that names a bundle, and the profile key that does when the variable is unset.
pub const CA_BUNDLE_VARIABLE: &str = "AWS_CA_BUNDLE";
const CA_BUNDLE_KEY: &str = "ca_bundle";

/// A CA bundle, read and checked.
#[derive(Debug, Clone)]
pub struct CaBundle {
    /// The file, as named (with `~/` expanded).
    pub path: PathBuf,
    /// Where it was named: `AWS_CA_BUNDLE`, or `ca_bundle of profile "dev"`.
    pub origin: String,
    /// The file's bytes: PEM, every certificate in it parsable.
    pub pem: Vec<u8>,
    /// How many certificates it holds (at least one).
    pub certificates: usize,
}

/// Where a bundle is named: its path as written, and what named it.
struct Named {
    /// The path, before `~/` is expanded.
    written: String,
    /// The variable, or the profile's key, for messages.
    origin: String,
}

/// Where a bundle is named, if anywhere: the variable (when not empty), else the profile's key.
fn locate(env: &Env, profile: &str) -> Option<Named> {
    if let Some(path) = env.get(CA_BUNDLE_VARIABLE).filter(|p| !p.trim().is_empty()) {
        return Some(Named { written: path.to_string(), origin: CA_BUNDLE_VARIABLE.to_string() });
    }
    let text = std::fs::read_to_string(config_file_path(env)?).ok()?;
    let file = SharedFile::parse(&text);
    let header = if profile == "default" { "default".to_string() } else { format!("profile {profile}") };
    let section = file.sections.get(&header).or_else(|| file.sections.get(&format!("profile {profile}")))?;
    let (_, path) = section.iter().find(|(key, value)| key == CA_BUNDLE_KEY && !value.is_empty())?;
    Some(Named { written: path.clone(), origin: format!("{CA_BUNDLE_KEY} of profile \"{profile}\"") })
}

/// The CA bundle in effect for `profile` (the profile a fetch signs with), read and checked;
/// `None` when neither the variable nor the profile names one. A file that cannot be read, is
/// not PEM, or holds no parsable certificate is an error naming the origin and the path.
pub fn ca_bundle(env: &Env, profile: &str) -> Result<Option<CaBundle>, Error> {
    let Some(Named { written, origin }) = locate(env, profile) else { return Ok(None) };
    let path = env.expand_home(&written);
    let refuse = |why: String| Error::Setup {
        detail: format!(
            "the CA bundle {} ({origin}) {why}; name a PEM file of certificates there, or unset it",
            path.display()
        ),
    };
    let pem = std::fs::read(&path).map_err(|e| refuse(format!("cannot be read ({e})")))?;
    let certificates = count_certificates(&pem).map_err(refuse)?;
    Ok(Some(CaBundle { path, origin, pem, certificates }))
}

/// How many certificates `pem` holds, each parsed exactly as the SDK's HTTP client will parse
/// it (so that it cannot panic on them later); an error says why not, when none or a bad one.
fn count_certificates(pem: &[u8]) -> Result<usize, String> {
    let mut roots = RootCertStore::empty();
    for (n, der) in CertificateDer::pem_slice_iter(pem).enumerate() {
        let der = der.map_err(|e| format!("is not PEM ({e})"))?;
        roots.add(der).map_err(|e| format!("holds a certificate (number {}) that cannot be used ({e})", n + 1))?;
    }
    match roots.len() {
        0 => Err("holds no certificate".to_string()),
        n => Ok(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed CA certificate (P-256, made for these tests with the openssl CLI).
    const CA_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBlzCCAT2gAwIBAgIUGzensn0jvzjmtWBadI8Ivd3PnrAwCgYIKoZIzj0EAwIw
ITEfMB0GA1UEAwwWZWNyLWxvZ2luIHVuaXQgdGVzdCBDQTAeFw0yNjEyMDUwNzI0
MjFaFw0zNjEyMDIwNzI0MjFaMCExHzAdBgNVBAMMFmVjci1sb2dpbiB1bml0IHRl
c3QgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATGHnv3DQVYdtjQrDWlVtAi
Qun7d77le7XRRC5cnpW+FFa6XZQJSvdAHnFUteEEOzKcFT4d3XyEE90EJbQ53yrO
o1MwUTAdBgNVHQ4EFgQUC/ifxs+kYngK1J3Ibea9cx1pESUwHwYDVR0jBBgwFoAU
C/ifxs+kYngK1J3Ibea9cx1pESUwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQD
AgNIADBFAiA23k2vnrqR5HT6CnmgxRpxlRqDnBf+d3Ecz+PlaBdftgIhAK9Q6hrQ
YnkISh3aPmndc5yPbgRb2FOUrGX4CSflJD5B
-----END CERTIFICATE-----
";

    fn env_with(dir: &std::path::Path, vars: &[(&str, &str)]) -> Env {
        let home = dir.to_str().unwrap();
        [("HOME", home)].into_iter().chain(vars.iter().copied()).collect()
    }

    #[test]
    fn certificates_are_counted_and_other_pem_sections_skipped() {
        let two = format!(
            "# corporate roots\n{CA_PEM}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n{CA_PEM}"
        );
        assert_eq!(count_certificates(two.as_bytes()), Ok(2));
        assert_eq!(count_certificates(b"no pem here\n"), Err("holds no certificate".to_string()));
        let broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(count_certificates(broken.as_bytes()).unwrap_err().starts_with("holds a certificate (number 1)"));
    }

    #[test]
    fn the_variable_wins_over_the_profile_and_an_empty_one_counts_as_unset() {
        let dir = tempfile::tempdir().unwrap();
        let aws = dir.path().join(".aws");
        std::fs::create_dir(&aws).unwrap();
        std::fs::write(aws.join("config"), "[default]\nca_bundle = ~/profile.pem\n[profile dev]\nregion = x\n")
            .unwrap();
        std::fs::write(dir.path().join("profile.pem"), CA_PEM).unwrap();
        std::fs::write(dir.path().join("env.pem"), format!("{CA_PEM}{CA_PEM}")).unwrap();
        let env_pem = dir.path().join("env.pem");

        let from_profile = ca_bundle(&env_with(dir.path(), &[]), "default").unwrap().unwrap();
        assert_eq!((from_profile.origin.as_str(), from_profile.certificates), ("ca_bundle of profile \"default\"", 1));
        assert_eq!(from_profile.path, dir.path().join("profile.pem"));

        let env = env_with(dir.path(), &[("AWS_CA_BUNDLE", env_pem.to_str().unwrap())]);
        let from_env = ca_bundle(&env, "default").unwrap().unwrap();
        assert_eq!((from_env.origin.as_str(), from_env.certificates), ("AWS_CA_BUNDLE", 2));

        let empty = env_with(dir.path(), &[("AWS_CA_BUNDLE", "")]);
        assert_eq!(ca_bundle(&empty, "default").unwrap().unwrap().origin, "ca_bundle of profile \"default\"");
        assert!(ca_bundle(&env_with(dir.path(), &[]), "dev").unwrap().is_none());
    }

    #[test]
    fn a_missing_or_empty_bundle_is_an_error_naming_its_origin_and_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let env = env_with(dir.path(), &[("AWS_CA_BUNDLE", missing.to_str().unwrap())]);
        let text = ca_bundle(&env, "default").unwrap_err().to_string();
        assert!(
            text.contains(&format!("the CA bundle {} (AWS_CA_BUNDLE) cannot be read", missing.display())),
            "{text}"
        );
        assert_eq!(text.lines().count(), 1);

        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let env = env_with(dir.path(), &[("AWS_CA_BUNDLE", empty.to_str().unwrap())]);
        let text = ca_bundle(&env, "default").unwrap_err().to_string();
        assert!(text.contains("(AWS_CA_BUNDLE) holds no certificate"), "{text}");
    }
}
