//! Everything that talks to AWS, behind one seam; the only folder that names AWS crates.

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
