//! Everything that talks to AWS, behind one seam. The face declares and re-exports; the rest of
//! the crate sees only the seam's words ([`Aws`], its requests, [`Principal`]) and [`AwsSdk`].
//!
//! ```text
//! sdk.rs       AwsSdk: each question of the seam to the file that asks it, under its deadline
//! probe.rs     doctor's questions: who the caller is, which endpoint a registry's calls reach
//! ecr.rs       GetAuthorizationToken of ECR and ECR Public; FIPS and dual-stack endpoints
//! sts.rs       the credentials that sign: chain, profile, rule role, web identity, MFA session
//! classify.rs  SDK errors and times into ours
//! attempts.rs  the ECR_LOGIN_DEBUG trace of each HTTP attempt (an SDK interceptor)
//! setup.rs     the SDK's configuration: behaviour version, timeouts, retries, HTTP client, app name
//! trust.rs     the CA bundle (AWS_CA_BUNDLE, else the profile's ca_bundle), read and checked
//! resolve.rs   the static build's own name resolution (no glibc NSS)
//! seam.rs      the trait Aws and the words it speaks; names no AWS crate
//! ```
//!
//! Only this folder names AWS crates. A cache hit never reaches it: the token path calls the seam
//! on a miss only, so the SDK's configuration and the async runtime start only then.

mod attempts;
mod ca_bundle;
mod classify;
mod dns;
mod ecr;
mod probe;
mod runtime;
mod sdk;
mod seam;
mod setup;
mod sts;

pub use ca_bundle::{CA_BUNDLE_VARIABLE, ca_bundle};
pub use runtime::block_on;
pub use sdk::AwsSdk;
#[cfg(test)]
pub use seam::CallerReport;
pub use seam::{Aws, Base, FetchRequest, Principal, SessionCredentials, SessionRequest, Target};
