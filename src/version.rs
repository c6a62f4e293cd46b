//! The version text, in one leaf module: `version`, `help` and `doctor` all print it, and none of
//! them needs the others for it.

/// The commit the binary was built from: twelve hex digits, or `unknown` (see build.rs).
pub const COMMIT: &str = env!("ECR_LOGIN_COMMIT");

/// The package version alone (`0.1.0`): the SDK's app name carries it (see `aws/setup.rs`).
pub const NUMBER: &str = env!("CARGO_PKG_VERSION");

/// The version and the commit it was built from: `0.1.0 (commit 0123456789ab)`.
pub fn version() -> String {
    format!("{} (commit {COMMIT})", env!("CARGO_PKG_VERSION"))
}

/// `version`'s line.
pub fn version_line() -> String {
    format!("docker-credential-ecr-login (ecr-login) {}", version())
}
