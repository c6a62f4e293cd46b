//! Who signs a token request, decided on a cache miss only. The face declares and re-exports.
//!
//! ```text
//! choose.rs     the decision: default chain, a rule's profile, a service account's role, an MFA
//!               session; a rule's role on top
//! mfa.rs        MFA sessions: cached, else asked for once (one asker at a time) and started
//! terminal.rs   the prompt on /dev/tty: echo off, Ctrl-C restores it, a limit of its own
//! cli_cache.rs  the AWS CLI's session cache: botocore's key and file format, shared with it
//! ```

mod choose;
mod cli_cache;
pub(crate) mod mfa;
mod terminal;

pub use choose::{chain_base, choose, mfa_settings};
// The fuzz targets read and write the AWS CLI's session files.
#[cfg(any(test, fuzzing))]
pub(crate) use cli_cache::{decode_session, encode_session};
