//! The configuration file. The face declares and re-exports.
//!
//! ```text
//! model.rs      [[registry]] rules, [[alias]] hosts, fallback; checked whole
//! ```

mod model;

pub use model::*;
