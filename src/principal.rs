//! Who signs a token request, decided on a cache miss only. The face declares and re-exports.
//!
//! ```text
//! choose.rs     the decision: default chain, a rule's profile, a service account's role, an MFA
//!               session; a rule's role on top
//! mfa.rs        MFA sessions: one asker at a time, the session shared with the AWS CLI
//! ```

mod choose;
pub(crate) mod mfa;

pub use choose::{choose, mfa_settings};
