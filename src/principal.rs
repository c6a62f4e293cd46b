//! Who signs a token request, decided on a cache miss only.

mod aws_cli_sessions;
mod choose;
pub(crate) mod mfa;
mod terminal;
#[cfg(unix)]
mod terminal_unix;
#[cfg(windows)]
mod terminal_windows;

pub use choose::{chain_base, choose, mfa_settings};
// The fuzz targets read and write the AWS CLI's session files.
#[cfg(any(test, fuzzing))]
pub(crate) use aws_cli_sessions::{decode_session, encode_session};
