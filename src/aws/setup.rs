//! The AWS SDK's configuration, apart from the calls (as bottlerocket's pluto keeps it): the
//! pinned behaviour version, the named timeouts and retry budget, the HTTP client (rustls on ring,
//! `HTTPS_PROXY`, and the static build's own DNS resolver) and the config loader. The SDK's only
//! default timeout is a connect timeout, so each fetch also runs under one overall deadline.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder as HttpClientBuilder, Connector};
use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns, ResolveDnsError};

use super::resolve;

/// The SDK behaviour version we were tested with; pinned so that an SDK upgrade does not change
/// defaults under us.
pub fn behavior_version() -> BehaviorVersion {
    BehaviorVersion::v2026_01_12()
}

/// How long one TCP (and TLS) connect may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// How long one attempt of the API call may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(8);

/// Attempts of the API call, the first included; throttling and 5xx answers are retried.
const MAX_ATTEMPTS: u32 = 3;

/// Backoff before the first retry, and the most any one retry waits.
const INITIAL_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Whether this build is statically linked, and so must not use glibc's NSS (see `resolve`).
const STATIC_BUILD: bool = cfg!(target_feature = "crt-static");

/// An HTTPS client with rustls on ring (one TLS stack, no aws-lc build), honouring
/// `HTTPS_PROXY`/`NO_PROXY` like other AWS tools. The static build resolves names itself; the
/// dynamic one through glibc.
fn http_client() -> aws_sdk_ecr::config::SharedHttpClient {
    // `build_with_connector_fn` is the builder's way to add a proxy setting to the default
    // connector; the plain `build_https` has no proxy support. Proxy host names go through the
    // same resolver as the endpoints'.
    HttpClientBuilder::new().build_with_connector_fn(|settings, components| {
        let mut builder = Connector::builder().proxy_config(ProxyConfig::from_env());
        builder.set_connector_settings(settings.cloned());
        builder.set_sleep_impl(
            components.and_then(aws_smithy_runtime_api::client::runtime_components::RuntimeComponents::sleep_impl),
        );
        let builder = builder.tls_provider(Provider::Rustls(CryptoMode::Ring));
        if STATIC_BUILD { builder.build_with_resolver(OwnResolver) } else { builder.build() }
    })
}

/// [`resolve::lookup`] as the SDK's DNS resolver.
#[derive(Debug, Clone, Copy)]
struct OwnResolver;

impl ResolveDns for OwnResolver {
    fn resolve_dns<'a>(&'a self, name: &'a str) -> DnsFuture<'a> {
        DnsFuture::new(
            async move { resolve::lookup(name, &resolve::Files::system()).await.map_err(ResolveDnsError::new) },
        )
    }
}

fn timeout_config(timeout: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT.min(timeout))
        .operation_timeout(timeout)
        .build()
}

fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(INITIAL_BACKOFF)
        .with_max_backoff(MAX_BACKOFF)
}

/// The SDK configuration for `region`, with every setting above and `timeout` over each operation.
pub async fn load_config(region: &str, timeout: Duration) -> aws_config::SdkConfig {
    aws_config::defaults(behavior_version())
        .region(aws_config::Region::new(region.to_string()))
        .http_client(http_client())
        .timeout_config(timeout_config(timeout))
        .retry_config(retry_config())
        .load()
        .await
}

/// The credentials of one profile of the shared files, whatever the environment holds (the
/// default chain would let keys in the environment win), with the same HTTP client, timeouts and
/// retries, for a profile that assumes a role or starts an SSO session.
pub fn profile_credentials(profile: &str, region: &str, timeout: Duration) -> ProfileFileCredentialsProvider {
    let provider_config = ProviderConfig::without_region()
        .with_region(Some(aws_config::Region::new(region.to_string())))
        .with_behavior_version(Some(behavior_version()))
        .with_http_client(http_client())
        .with_timeout_config(timeout_config(timeout))
        .with_retry_config(retry_config());
    ProfileFileCredentialsProvider::builder().configure(&provider_config).profile_name(profile).build()
}
