//! The configuration file. The face declares and re-exports.
//!
//! ```text
//! model.rs      [[registry]] rules, [[alias]] hosts, fallback; where the file is; checked whole
//! reader.rs     the one-pass reader of the TOML subset the file uses
//! ```

mod model;
mod reader;

pub use model::{Config, Role, Rule, location, normal_host, registry_for};
#[cfg(any(test, fuzzing))]
pub(crate) use reader::readers_agree;
