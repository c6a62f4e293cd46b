//! The configuration file.

mod model;
mod reader;

pub use model::{Config, Role, Rule, location, normal_host, registry_for};
#[cfg(any(test, fuzzing))]
pub(crate) use reader::readers_agree;
