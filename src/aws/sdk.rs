//! [`AwsSdk`], the seam's real side: each question of [`Aws`] goes to the file that asks it of AWS
//! (`ecr.rs` for tokens, `sts.rs` for MFA sessions, `probe.rs` for doctor), under the request's
//! overall deadline.

use std::time::Duration;

use super::seam::{Aws, CallerReport, FetchRequest, Principal, SessionCredentials, SessionRequest};
use super::{ecr, probe, sts};
use crate::auth_token::IssuedToken;
use crate::error::Error;
use crate::identity::Identity;
use crate::registry::PrivateRegistry;

/// The real one: the standard AWS credential chain and the ECR, ECR Public and STS APIs.
#[derive(Debug, Default, Clone, Copy)]
pub struct AwsSdk;

impl Aws for AwsSdk {
    async fn fetch(&self, request: FetchRequest<'_>) -> Result<Vec<IssuedToken>, Error> {
        match tokio::time::timeout(request.timeout, ecr::fetch_tokens(request)).await {
            Ok(result) => result,
            Err(_) => Err(Error::TimedOut { registry: request.target.label(), after: request.timeout }),
        }
    }

    async fn start_session(&self, request: SessionRequest<'_>) -> Result<SessionCredentials, Error> {
        match tokio::time::timeout(request.timeout, sts::start_mfa_session(request)).await {
            Ok(result) => result,
            Err(_) => Err(Error::TimedOut { registry: request.registry.to_string(), after: request.timeout }),
        }
    }

    async fn describe_caller(
        &self,
        registry: &str,
        region: &str,
        identity: &Identity,
        principal: &Principal,
        timeout: Duration,
    ) -> Result<CallerReport, Error> {
        probe::caller_report(registry, region, identity, principal, timeout).await
    }

    async fn resolved_endpoint(
        &self,
        registry: &PrivateRegistry,
        env_endpoint: Option<&str>,
        honour_host_flags: bool,
    ) -> String {
        probe::endpoint_url(registry, env_endpoint, honour_host_flags).await
    }
}
