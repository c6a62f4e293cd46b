//! The AWS SDK's configuration, apart from the calls (as bottlerocket's pluto keeps it): the
//! pinned behaviour version, the named timeouts and retry budget, the HTTP client (rustls on ring,
//! the system's CAs plus `AWS_CA_BUNDLE`'s, `HTTPS_PROXY`, and the static build's own DNS
//! resolver), our app name in the User-Agent, and the config loader. The SDK's only default
//! timeout is a connect timeout, so each fetch also runs under one overall deadline.

use std::time::Duration;

use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{AppName, BehaviorVersion};
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_sdk_ecr::config::SharedHttpClient;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder as HttpClientBuilder, Connector};
use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns, ResolveDnsError};

use super::ca_bundle::{CaBundle, ca_bundle};
use super::dns;
use crate::env::Env;
use crate::error::Error;
use crate::identity::Identity;
use crate::shared_files;

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

/// Whether this is a static glibc build, which must not use glibc's NSS (see `dns`). A static
/// CRT elsewhere (Windows MSVC's `+crt-static`, musl) resolves names as the system does: the
/// condition is about glibc, not about static linking.
const STATIC_GLIBC: bool = cfg!(all(target_os = "linux", target_env = "gnu", target_feature = "crt-static"));

/// The app name every call's User-Agent ends with (`app/ecr-login#0.1.0`), so that CloudTrail
/// tells our calls from the CLI's. App names allow letters, digits and ``!#$%&'*+-.^_`|~`` only:
/// no `/`, so the version follows a `#`, as the User-Agent's own `name#version` pairs do.
fn app_name() -> Option<AppName> {
    AppName::new(format!("ecr-login#{}", crate::version::NUMBER)).or_else(|_| AppName::new("ecr-login")).ok()
}

/// An HTTPS client with rustls on ring (one TLS stack, no aws-lc build), trusting the system's
/// CAs and `bundle`'s, honouring `HTTPS_PROXY`/`NO_PROXY` like other AWS tools. The static build
/// resolves names itself; the dynamic one through glibc.
fn http_client(bundle: Option<&CaBundle>) -> SharedHttpClient {
    let mut trust = TrustStore::default();
    if let Some(bundle) = bundle {
        // Checked by `ca_bundle::ca_bundle`: every certificate in it parses as the client will parse it.
        trust.add_pem_certificate(bundle.pem.clone());
    }
    let tls = TlsContext::builder().with_trust_store(trust).build().unwrap_or_default();
    // `build_with_connector_fn` is the builder's way to add a proxy setting to the default
    // connector; the plain `build_https` has no proxy support. Proxy host names go through the
    // same resolver as the endpoints'. The TLS context also reaches the tunnel through a proxy.
    HttpClientBuilder::new().build_with_connector_fn(move |settings, components| {
        let mut builder = Connector::builder().proxy_config(ProxyConfig::from_env());
        builder.set_connector_settings(settings.cloned());
        builder.set_sleep_impl(
            components.and_then(aws_smithy_runtime_api::client::runtime_components::RuntimeComponents::sleep_impl),
        );
        let builder = builder.tls_provider(Provider::Rustls(CryptoMode::Ring)).tls_context(tls.clone());
        if STATIC_GLIBC { builder.build_with_resolver(OwnResolver) } else { builder.build() }
    })
}

/// [`dns::lookup`] as the SDK's DNS resolver.
#[derive(Debug, Clone, Copy)]
struct OwnResolver;

impl ResolveDns for OwnResolver {
    fn resolve_dns<'a>(&'a self, name: &'a str) -> DnsFuture<'a> {
        DnsFuture::new(async move { dns::lookup(name, &dns::Files::system()).await.map_err(ResolveDnsError::new) })
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

/// The SDK configuration for `region`, with every setting above and `timeout` over each
/// operation, for a fetch that signs as `identity`'s profile (whose `ca_bundle` counts unless
/// `AWS_CA_BUNDLE` is set). Runs on a cache miss only: the bundle is read here, not on a hit.
/// Fails only on a CA bundle that cannot be used.
pub async fn load_config(region: &str, timeout: Duration, identity: &Identity) -> Result<aws_config::SdkConfig, Error> {
    // The SDK reads the process environment itself; the bundle is read from the same one.
    let env = Env::from_process();
    let bundle = ca_bundle(&env, &identity.profile)?;
    let mut loader = aws_config::defaults(behavior_version());
    if let Some(files) = shared_files(&env) {
        loader = loader.profile_files(files);
    }
    let config = loader
        .region(aws_config::Region::new(region.to_string()))
        .http_client(http_client(bundle.as_ref()))
        .timeout_config(timeout_config(timeout))
        .retry_config(retry_config())
        .load()
        .await;
    // The loader has read `AWS_SDK_UA_APP_ID` and the profile's `sdk_ua_app_id`: those win.
    Ok(match (config.app_name(), app_name()) {
        (None, Some(ours)) => config.into_builder().app_name(ours).build(),
        _ => config,
    })
}

/// The shared config and credentials files as the identity fingerprint found them
/// (`shared_files::config_file_path`), read here and handed to the SDK as their contents instead of
/// letting it find them itself: on Windows the SDK takes `HOME` before `USERPROFILE`, and the two
/// differ under Git Bash (see `Env::home`). A file that is missing or unreadable is handed over
/// empty, as the SDK itself reads a missing default file (it refuses a missing file named by path).
/// `None` (the SDK's own search) when there is no home to place them in.
fn shared_files(env: &Env) -> Option<EnvConfigFiles> {
    let config = shared_files::config_file_path(env)?;
    let credentials = shared_files::credentials_file_path(env)?;
    let read = |path: &std::path::Path| std::fs::read_to_string(path).unwrap_or_default();
    Some(
        EnvConfigFiles::builder()
            .with_contents(EnvConfigFileKind::Config, read(&config))
            .with_contents(EnvConfigFileKind::Credentials, read(&credentials))
            .build(),
    )
}

/// The credentials of one profile of the shared files, whatever the environment holds (the
/// default chain would let keys in the environment win), with `config`'s HTTP client (and so its
/// CA bundle), timeouts and retries, for a profile that assumes a role or starts an SSO session.
pub fn profile_credentials(
    config: &aws_config::SdkConfig,
    profile: &str,
    region: &str,
    timeout: Duration,
) -> ProfileFileCredentialsProvider {
    let provider_config = ProviderConfig::without_region()
        .with_region(Some(aws_config::Region::new(region.to_string())))
        .with_behavior_version(Some(behavior_version()))
        .with_http_client(config.http_client().unwrap_or_else(|| http_client(None)))
        .with_timeout_config(timeout_config(timeout))
        .with_retry_config(retry_config());
    let mut builder = ProfileFileCredentialsProvider::builder().configure(&provider_config).profile_name(profile);
    if let Some(files) = shared_files(&Env::from_process()) {
        builder = builder.profile_files(files);
    }
    builder.build()
}
