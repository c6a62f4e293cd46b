//! The one seam around AWS: [`TokenSource`] is what the rest of the crate asks for tokens, and
//! [`AwsTokenSource`] answers it with `aws-config`, `aws-sdk-ecr` and `aws-sdk-ecrpublic`. This is
//! the only file that names AWS crates; it returns our own types and errors.
//!
//! All SDK settings live here as named constants: the pinned behaviour version, the connect and
//! attempt timeouts, and the retry budget. The SDK's only default timeout is a connect timeout, so
//! the whole fetch (configuration, credentials, API call with retries) also runs under one overall
//! deadline that the caller passes in.

use std::future::Future;
use std::time::{Duration, SystemTime};

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::Credentials;
use aws_credential_types::credential_feature::AwsCredentialFeature;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_ecr::config::http::HttpResponse;
use aws_sdk_ecr::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder as HttpClientBuilder, Connector};
use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns, ResolveDnsError};

use crate::error::{Error, one_line};
use crate::identity::{Identity, WebIdentity};
use crate::partition::PUBLIC_API_REGION;
use crate::registry::{PrivateRegistry, Registry};
use crate::resolve;
use crate::secret::Secret;
use crate::token::{IssuedToken, UnixSeconds};

/// The SDK behaviour version we were tested with; pinned so that an SDK upgrade does not change
/// defaults under us.
fn behavior_version() -> BehaviorVersion {
    BehaviorVersion::v2026_01_12()
}

/// How long one TCP (and TLS) connect may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// How long one attempt of the API call may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(8);

/// Attempts of the API call, the first included; throttling and 5xx answers are retried.
const MAX_ATTEMPTS: u32 = 3;

/// The session name of roles assumed with a service account token, as CloudTrail shows it.
const WEB_IDENTITY_SESSION_NAME: &str = "ecr-login";

/// Backoff before the first retry, and the most any one retry waits.
const INITIAL_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Error codes that mean AWS does not accept the credentials themselves.
const REJECTED_CREDENTIAL_CODES: &[&str] = &[
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "IncompleteSignature",
    "MissingAuthenticationToken",
];

/// Error codes that mean "slow down".
const THROTTLING_CODES: &[&str] =
    &["ThrottlingException", "ThrottledException", "TooManyRequestsException", "RequestLimitExceeded"];

/// What a token request needs besides the registry.
#[derive(Debug, Clone, Copy)]
pub struct FetchRequest<'a> {
    /// The registry to get a token for.
    pub registry: &'a Registry,
    /// The caller's identity facts, for endpoint choice and error messages.
    pub identity: &'a Identity,
    /// The overall deadline for the whole fetch.
    pub timeout: Duration,
    /// A role to assume with a service account token instead of the caller's own credentials.
    pub web_identity: Option<&'a WebIdentity>,
}

/// Where tokens come from: AWS in the binary, a hand-written fake in tests.
pub trait TokenSource {
    /// Fetches the tokens for one registry. Private registries may answer several entries (one per
    /// registry id); ECR Public answers one.
    fn fetch(&self, request: FetchRequest<'_>) -> impl Future<Output = Result<Vec<IssuedToken>, Error>>;
}

/// The real source: the standard AWS credential chain and the ECR APIs.
#[derive(Debug, Default, Clone, Copy)]
pub struct AwsTokenSource;

impl TokenSource for AwsTokenSource {
    async fn fetch(&self, request: FetchRequest<'_>) -> Result<Vec<IssuedToken>, Error> {
        let registry = request.registry.host().to_string();
        match tokio::time::timeout(request.timeout, fetch_from_aws(request)).await {
            Ok(result) => result,
            Err(_) => Err(Error::TimedOut { registry, after: request.timeout }),
        }
    }
}

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
        builder.set_sleep_impl(components.and_then(|c| c.sleep_impl()));
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

async fn load_config(region: &str, timeout: Duration) -> aws_config::SdkConfig {
    aws_config::defaults(behavior_version())
        .region(aws_config::Region::new(region.to_string()))
        .http_client(http_client())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT.min(timeout))
                .operation_timeout(timeout)
                .build(),
        )
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(MAX_ATTEMPTS)
                .with_initial_backoff(INITIAL_BACKOFF)
                .with_max_backoff(MAX_BACKOFF),
        )
        .load()
        .await
}

/// Context for turning SDK errors into ours.
struct Context<'a> {
    registry: &'a str,
    region: &'a str,
    identity: &'a Identity,
    timeout: Duration,
}

async fn fetch_from_aws(request: FetchRequest<'_>) -> Result<Vec<IssuedToken>, Error> {
    let region = match request.registry {
        Registry::Private(r) => r.region.as_str(),
        Registry::Public(_) => PUBLIC_API_REGION,
    };
    let cx =
        Context { registry: request.registry.host(), region, identity: request.identity, timeout: request.timeout };
    let config = load_config(region, request.timeout).await;
    let credentials = match request.web_identity {
        Some(web_identity) => assume_role_with_web_identity(&config, web_identity, &cx).await?,
        None => resolve_credentials(&config, &cx).await?,
    };
    // An endpoint the user configured wins: the SDK refuses it together with FIPS or dual-stack.
    let honour_host_flags = !request.identity.endpoint_configured;
    match request.registry {
        Registry::Private(registry) => fetch_private(&config, credentials, registry, honour_host_flags, &cx).await,
        Registry::Public(public) => {
            let conf = aws_sdk_ecrpublic::config::Builder::from(&config)
                .credentials_provider(credentials)
                .use_dual_stack(honour_host_flags && public.dual_stack)
                .build();
            let output = aws_sdk_ecrpublic::Client::from_conf(conf)
                .get_authorization_token()
                .send()
                .await
                .map_err(|e| classify(e, &cx))?;
            let data = output.authorization_data().ok_or_else(|| bad_response(&cx, "no authorizationData"))?;
            let token = data.authorization_token().ok_or_else(|| bad_response(&cx, "no authorizationToken"))?;
            Ok(vec![IssuedToken {
                authorization_token: Secret::new(token.to_string()),
                expires_at: data.expires_at().and_then(to_unix),
                proxy_endpoint: None,
            }])
        }
    }
}

/// The ECR client settings for one private registry: the host's region, and the FIPS and
/// dual-stack endpoints when the host names them and no endpoint was configured explicitly.
pub(crate) fn private_client_config(
    config: &aws_config::SdkConfig,
    credentials: Credentials,
    registry: &PrivateRegistry,
    honour_host_flags: bool,
) -> aws_sdk_ecr::Config {
    let mut builder = aws_sdk_ecr::config::Builder::from(config).credentials_provider(credentials);
    if honour_host_flags && registry.fips {
        builder = builder.use_fips(true);
    }
    if honour_host_flags && registry.dual_stack {
        builder = builder.use_dual_stack(true);
    }
    builder.build()
}

async fn fetch_private(
    config: &aws_config::SdkConfig,
    credentials: Credentials,
    registry: &PrivateRegistry,
    honour_host_flags: bool,
    cx: &Context<'_>,
) -> Result<Vec<IssuedToken>, Error> {
    let conf = private_client_config(config, credentials, registry, honour_host_flags);
    // `registryIds` is deprecated in the SDK (it does not change the token's scope), but it makes
    // the answer name the requested account, which is then checked.
    #[allow(deprecated)]
    let output = aws_sdk_ecr::Client::from_conf(conf)
        .get_authorization_token()
        .registry_ids(&registry.account)
        .send()
        .await
        .map_err(|e| classify(e, cx))?;
    let issued: Vec<IssuedToken> = output
        .authorization_data()
        .iter()
        .filter_map(|data| {
            Some(IssuedToken {
                authorization_token: Secret::new(data.authorization_token()?.to_string()),
                expires_at: data.expires_at().and_then(to_unix),
                proxy_endpoint: data.proxy_endpoint().map(str::to_string),
            })
        })
        .collect();
    if issued.is_empty() {
        return Err(bad_response(cx, "no authorizationData with a token"));
    }
    Ok(issued)
}

fn to_unix(time: &aws_sdk_ecr::primitives::DateTime) -> Option<UnixSeconds> {
    SystemTime::try_from(*time).ok()?.duration_since(SystemTime::UNIX_EPOCH).ok().map(|d| d.as_secs())
}

/// An error and its sources, by their `Display` alone, on one line. `Debug` output is never used:
/// for a response error it holds the raw response, and a response body may hold a token.
fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = one_line(&e.to_string());
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// What to say of an HTTP answer whose body is not ECR's JSON: its status, and that the fault is
/// on ECR's side (or a proxy's), not the caller's.
fn unreadable_answer(status: u16, cause: Option<String>) -> String {
    let cause = cause.map(|c| format!(" ({c})")).unwrap_or_default();
    format!(
        "ECR answered HTTP {status} with a body that is not an ECR answer{cause}; the fault is on ECR's side or a proxy's"
    )
}

fn bad_response(cx: &Context<'_>, detail: &str) -> Error {
    Error::BadResponse { registry: cx.registry.to_string(), detail: detail.to_string() }
}

/// Resolves credentials once, before the API call, so that a failure to find them is reported as
/// such rather than as an opaque dispatch failure of the call.
async fn resolve_credentials(config: &aws_config::SdkConfig, cx: &Context<'_>) -> Result<Credentials, Error> {
    let no_credentials = || Error::NoCredentials {
        registry: cx.registry.to_string(),
        profile: cx.identity.profile.clone(),
        profile_defined: cx.identity.profile_defined,
        profile_from_env: cx.identity.profile_from_env,
    };
    let provider = config.credentials_provider().ok_or_else(no_credentials)?;
    provider.provide_credentials().await.map_err(|e| match e {
        CredentialsError::CredentialsNotLoaded(_) => no_credentials(),
        CredentialsError::ProviderTimedOut(_) => {
            Error::TimedOut { registry: cx.registry.to_string(), after: cx.timeout }
        }
        CredentialsError::InvalidConfiguration(_) if cx.identity.profile_from_env && !cx.identity.profile_defined => {
            no_credentials()
        }
        other => Error::CredentialsFailed {
            registry: cx.registry.to_string(),
            profile: cx.identity.profile.clone(),
            detail: causes(&other),
        },
    })
}

/// Exchanges a service account token for the annotated role's credentials (STS
/// AssumeRoleWithWebIdentity, an unsigned call), in the registry's region.
async fn assume_role_with_web_identity(
    config: &aws_config::SdkConfig,
    web_identity: &WebIdentity,
    cx: &Context<'_>,
) -> Result<Credentials, Error> {
    let failed = |detail: String| Error::AssumeRoleFailed {
        registry: cx.registry.to_string(),
        role: web_identity.role_arn.clone(),
        detail,
    };
    let output = aws_sdk_sts::Client::new(config)
        .assume_role_with_web_identity()
        .role_arn(&web_identity.role_arn)
        .role_session_name(WEB_IDENTITY_SESSION_NAME)
        .web_identity_token(web_identity.token.expose())
        .send()
        .await
        .map_err(|e| match classify(e, cx) {
            Error::AccessDenied { detail, .. }
            | Error::CredentialsRejected { detail, .. }
            | Error::Service { detail, .. } => failed(detail),
            other => other,
        })?;
    let issued = output.credentials().ok_or_else(|| failed("STS answered no credentials".into()))?;
    Ok(Credentials::new(
        issued.access_key_id(),
        issued.secret_access_key(),
        Some(issued.session_token().to_string()),
        SystemTime::try_from(*issued.expiration()).ok(),
        "WebIdentityToken",
    ))
}

/// What `doctor` reports about the caller, without any secret.
#[derive(Debug, Clone)]
pub struct CallerReport {
    /// The credential provider that produced the credentials (e.g. `EnvironmentVariable`, `Sso`).
    pub source: String,
    /// The access key id (not a secret), to tell keys apart.
    pub access_key_id: String,
    /// The caller's ARN from STS GetCallerIdentity, or why it could not be had.
    pub arn: Result<String, String>,
}

/// Resolves the caller's credentials through the standard chain and asks STS who that is.
pub async fn describe_caller(
    registry: &str,
    region: &str,
    identity: &Identity,
    timeout: Duration,
) -> Result<CallerReport, Error> {
    let cx = Context { registry, region, identity, timeout };
    let work = async {
        let config = load_config(region, timeout).await;
        let credentials = resolve_credentials(&config, &cx).await?;
        // The chain records which sources produced the credentials (for its user agent metrics).
        let source = credentials
            .get_property::<Vec<AwsCredentialFeature>>()
            .filter(|features| !features.is_empty())
            .map_or_else(|| "unknown".to_string(), |features| format!("{features:?}"));
        let access_key_id = credentials.access_key_id().to_string();
        let sts = aws_sdk_sts::config::Builder::from(&config).credentials_provider(credentials).build();
        let arn = aws_sdk_sts::Client::from_conf(sts)
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| classify(e, &cx).to_string())
            .and_then(|out| out.arn().map(str::to_string).ok_or_else(|| "STS answered no ARN".to_string()));
        Ok(CallerReport { source, access_key_id, arn })
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(Error::TimedOut { registry: registry.to_string(), after: timeout }),
    }
}

/// The endpoint URL the ECR client for `registry` calls: an explicit one from the environment, or
/// the SDK's resolution of the host's region, FIPS and dual-stack flags.
pub async fn resolved_endpoint(
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

/// Turns an SDK error of either ECR API into the outcome a user acts on.
fn classify<E>(err: SdkError<E, HttpResponse>, cx: &Context<'_>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let registry = cx.registry.to_string();
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let status = service.raw().status().as_u16();
            // A body that is not an AWS error (a load balancer's HTML page, an empty 503) parses
            // as an error with neither code nor message: name the HTTP status instead.
            let Some(code) = e.code() else {
                return Error::Service { registry, detail: unreadable_answer(status, None) };
            };
            let detail = one_line(&format!("{code}: {}", e.message().unwrap_or("no message")));
            if code == "AccessDeniedException" {
                Error::AccessDenied { registry, detail }
            } else if THROTTLING_CODES.contains(&code) {
                Error::Throttled { registry }
            } else if REJECTED_CREDENTIAL_CODES.contains(&code) {
                Error::CredentialsRejected { registry, detail }
            } else {
                Error::Service { registry, detail }
            }
        }
        SdkError::TimeoutError(_) => Error::TimedOut { registry, after: cx.timeout },
        SdkError::DispatchFailure(failure) if failure.is_timeout() => Error::TimedOut { registry, after: cx.timeout },
        SdkError::DispatchFailure(_) => {
            Error::Unreachable { registry, region: cx.region.to_string(), detail: causes(&err) }
        }
        // An answer whose body cannot be read as ECR's (a truncated 200, a proxy's page).
        SdkError::ResponseError(response) => {
            Error::Service { registry, detail: unreadable_answer(response.raw().status().as_u16(), Some(causes(&err))) }
        }
        SdkError::ConstructionFailure(_) => Error::Setup { detail: causes(&err) },
        _ => Error::BadResponse { registry, detail: causes(&err) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::client::http::{
        HttpConnector, HttpConnectorFuture, SharedHttpConnector, http_client_fn,
    };
    use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use std::sync::{Arc, Mutex};

    /// An HTTP connector that records each request's URL and fails it.
    #[derive(Debug, Clone, Default)]
    struct Recorder(Arc<Mutex<Vec<String>>>);

    impl HttpConnector for Recorder {
        fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
            self.0.lock().unwrap().push(request.uri().to_string());
            HttpConnectorFuture::ready(Err(ConnectorError::other("recorded, not sent".into(), None)))
        }
    }

    /// The URL that the ECR client built for `host` sends GetAuthorizationToken to.
    fn called_url(host: &str, honour_host_flags: bool) -> String {
        let Ok(Registry::Private(registry)) = crate::registry::parse(host) else { panic!("{host}") };
        let recorder = Recorder::default();
        let connector = recorder.clone();
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(behavior_version())
            .region(aws_config::Region::new(registry.region.clone()))
            .http_client(http_client_fn(move |_, _| SharedHttpConnector::new(connector.clone())))
            .build();
        let credentials = Credentials::new("AKIDTEST", "not-a-secret", None, None, "test");
        let conf = private_client_config(&sdk, credentials, &registry, honour_host_flags);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        #[allow(deprecated)]
        let result = runtime.block_on(
            aws_sdk_ecr::Client::from_conf(conf).get_authorization_token().registry_ids(&registry.account).send(),
        );
        assert!(result.is_err());
        let urls = recorder.0.lock().unwrap();
        urls.first().cloned().unwrap_or_default()
    }

    #[test]
    fn a_fips_host_calls_the_fips_endpoint() {
        let url = called_url("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com", true);
        assert_eq!(url, "https://api.ecr-fips.us-east-1.amazonaws.com/");
    }

    #[test]
    fn a_dual_stack_host_calls_the_dual_stack_endpoint() {
        let url = called_url("123456789012.dkr-ecr.eu-west-1.on.aws", true);
        assert_eq!(url, "https://ecr.eu-west-1.api.aws/");
    }

    #[test]
    fn a_plain_host_calls_the_regional_endpoint_of_its_partition() {
        assert_eq!(
            called_url("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", true),
            "https://api.ecr.cn-north-1.amazonaws.com.cn/"
        );
        assert_eq!(
            called_url("123456789012.dkr.ecr.eu-west-1.amazonaws.com", true),
            "https://api.ecr.eu-west-1.amazonaws.com/"
        );
    }

    #[test]
    fn a_configured_endpoint_switches_the_host_flags_off() {
        let url = called_url("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com", false);
        assert_eq!(url, "https://api.ecr.us-east-1.amazonaws.com/");
    }

    #[test]
    fn error_causes_are_joined_without_repeats() {
        let inner = std::io::Error::other("connection refused");
        let outer = ConnectorError::io(Box::new(inner));
        assert_eq!(causes(&outer), "io error: connection refused");
    }
}
