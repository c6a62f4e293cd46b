//! Doctor's questions to AWS: who the caller is (STS GetCallerIdentity with the credentials a
//! fetch would use), and which endpoint a registry's calls go to.

use std::time::Duration;

use super::classify::{Context, classify};
use super::seam::{CallerReport, Principal};
use super::setup::load_config;
use super::sts::{credential_source, principal_credentials};
use crate::error::Error;
use crate::identity::Identity;
use crate::registry::PrivateRegistry;

/// Resolves the caller's credentials as a fetch would and asks STS who that is, within `timeout`.
pub(super) async fn caller_report(
    registry: &str,
    region: &str,
    identity: &Identity,
    principal: &Principal,
    timeout: Duration,
) -> Result<CallerReport, Error> {
    let cx = Context { registry, region, identity, timeout };
    let work = async {
        let config = load_config(region, timeout, identity).await?;
        let credentials = principal_credentials(&config, principal, &cx).await?;
        let source = credential_source(&credentials, principal);
        let access_key_id = credentials.access_key_id().to_string();
        let sts = aws_sdk_sts::config::Builder::from(&config).credentials_provider(credentials).build();
        let arn = aws_sdk_sts::Client::from_conf(sts)
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| classify(&e, &cx).to_string())
            .and_then(|out| out.arn().map(str::to_string).ok_or_else(|| "STS answered no ARN".to_string()));
        Ok(CallerReport { source, access_key_id, arn })
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(Error::TimedOut { registry: registry.to_string(), after: timeout }),
    }
}

/// The endpoint URL the ECR client for `registry` calls: `env_endpoint`, or the SDK's own
/// resolution of the host's region, FIPS and dual-stack flags.
pub(super) async fn endpoint_url(
    registry: &PrivateRegistry,
    env_endpoint: Option<&str>,
    honour_host_flags: bool,
) -> String {
    use aws_sdk_ecr::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
    if let Some(url) = env_endpoint {
        return url.to_string();
    }
    let params = Params::builder()
        .region(registry.region.clone())
        .use_fips(honour_host_flags && registry.fips)
        .use_dual_stack(honour_host_flags && registry.dual_stack)
        .build();
    match params {
        Ok(params) => match DefaultResolver::new().resolve_endpoint(&params).await {
            Ok(endpoint) => endpoint.url().to_string(),
            Err(e) => format!("(cannot resolve: {e})"),
        },
        Err(e) => format!("(cannot resolve: {e})"),
    }
}
