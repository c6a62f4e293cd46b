//! Who signs a token request, decided on a cache miss only. The face declares and re-exports.
//!
//! ```text
//! choose.rs     the decision: default chain, a rule's profile, a service account's role, an MFA
//!               session; a rule's role on top
//! mfa.rs        MFA sessions: cached, else asked for once (one asker at a time) and started
//! terminal.rs   the prompt on the person's terminal: echo off, Ctrl-C restores it, a limit of
//!               its own; the face of the terminal room, whose OS modules follow
//! terminal_unix.rs     /dev/tty: termios, signal handlers, select (Linux and macOS)
//! terminal_windows.rs  the console: CONIN$/CONOUT$, console mode, Ctrl-C handler, timed wait
//! cli_cache.rs  the AWS CLI's session cache: botocore's key and file format, shared with it
//! ```

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
