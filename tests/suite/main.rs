//! The integration tests, one crate with a module per theme. Each module runs the built binary as
//! users meet it (stdin, stdout, stderr, exit code, files on disk) through `support`'s sandbox, or
//! reads the shipped sources and documents; the library's logic is tested beside its code.
//!
//! One crate, not one per file: every integration-test crate links the whole library again, and
//! the links are most of a test build's time on two cores, three times over once the suites build
//! for Windows and arm64 too. A theme that does not apply on an OS is left out on its `mod` line.
//! `cargo test --test suite THEME::` runs one theme.

mod support;

// The protocols, as clients speak them.
mod bad_input;
mod kubelet;
mod list;
mod protocol;
mod rust_client;

// The commands besides the protocol's.
mod configure;
mod doctor;
mod export;

// Who signs, and what the configuration file chooses.
mod aws_login;
mod config_file;
mod credential_sources;
// Unix only: the prompt is driven through a Unix pseudo-terminal (support/answer-prompts.py) and
// setsid; the Windows console prompt needs a console that a test harness under Wine does not have.
#[cfg(unix)]
mod mfa;
mod moto_contract;
mod network;

// The cache, and what goes wrong around it.
mod cache;
mod cache_attacks;
mod failure_messages;
mod fault_injection;

// What the helper says and never says.
mod debug_trace;
mod secrets;

// The sources and documents: the layers of the house, the files comments name, the shipped
// examples, README and docs/.
mod docs;
mod layers;
mod named_paths;
mod packaging;
