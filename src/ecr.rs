//! The one seam around AWS: [`Aws`] is everything the rest of the crate asks of AWS (tokens, for a
//! registry or for the caller's own one that `list` names, and doctor's questions: who the caller
//! is, which endpoint a registry's calls go to), and [`AwsSdk`] answers it with the ECR, ECR Public
//! and STS calls and turns their errors into ours. With `aws.rs` (the SDK's configuration) it is
//! the only place that names AWS crates; it returns our own types. Tests answer the same trait
//! with a hand-written fake.

use std::fmt::Write as _;
use std::future::Future;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::credential_feature::AwsCredentialFeature;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_ecr::config::http::HttpResponse;
use aws_sdk_ecr::error::{ProvideErrorMetadata, SdkError};

use aws_credential_types::provider::SharedCredentialsProvider;

use crate::aws::{load_config, profile_credentials};
use crate::config::Role;
use crate::error::{Error, one_line};
use crate::identity::{Identity, WebIdentity};
use crate::partition::PUBLIC_API_REGION;
use crate::principal::{Base, Principal, SessionCredentials};
use crate::registry::{PrivateRegistry, Registry};
use crate::secret::Secret;
use crate::token::{IssuedToken, UnixSeconds};

/// The session name of roles assumed with a service account token, as CloudTrail shows it.
const WEB_IDENTITY_SESSION_NAME: &str = "ecr-login";

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

/// Which registry a token request asks for.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// One registry, named by its host (for a private one, `registryIds` names its account).
    Registry(&'a Registry),
    /// The caller's own registry in `region`, not known yet (`list` on a cold cache): no
    /// `registryIds`, so ECR answers the caller's account's registry and its `proxyEndpoint`
    /// names the host.
    Default {
        /// The region whose registry is asked for.
        region: &'a str,
    },
}

impl Target<'_> {
    /// How messages name the registry: its host, or what stands for it while it is not known.
    pub fn label(&self) -> String {
        match self {
            Target::Registry(registry) => registry.host().to_string(),
            Target::Default { region } => format!("the default registry in {region}"),
        }
    }
}

/// What a token request needs besides the registry.
#[derive(Debug, Clone, Copy)]
pub struct FetchRequest<'a> {
    /// The registry to get a token for.
    pub target: Target<'a>,
    /// The caller's identity facts, for endpoint choice and error messages.
    pub identity: &'a Identity,
    /// The overall deadline for the whole fetch.
    pub timeout: Duration,
    /// Whose credentials sign the call.
    pub principal: &'a Principal,
}

/// An MFA session to start with STS: AssumeRole with the code when `role` is set, else
/// GetSessionToken with it.
#[derive(Debug, Clone, Copy)]
pub struct SessionRequest<'a> {
    /// The registry the session is for (for messages).
    pub registry: &'a str,
    /// The region whose STS endpoint is called.
    pub region: &'a str,
    /// The profile with `mfa_serial` (for messages).
    pub profile: &'a str,
    /// The caller's identity facts, for messages.
    pub identity: &'a Identity,
    /// The profile whose credentials make the call; `None`: the default chain.
    pub source_profile: Option<&'a str>,
    /// The role to assume: ARN, external id and session name.
    pub role: Option<(&'a str, Option<&'a str>, &'a str)>,
    /// The session's requested lifetime.
    pub duration_seconds: Option<u32>,
    /// The MFA device.
    pub serial: &'a str,
    /// The code the person typed.
    pub code: &'a str,
    /// The deadline of the call.
    pub timeout: Duration,
}

/// What the crate asks of AWS: the SDK in the binary, a hand-written fake in tests.
pub trait Aws {
    /// Fetches the tokens for one registry. Private registries may answer several entries (one per
    /// registry id, each naming its host in `proxyEndpoint`); ECR Public answers one.
    fn fetch(&self, request: FetchRequest<'_>) -> impl Future<Output = Result<Vec<IssuedToken>, Error>>;

    /// Starts an MFA session with STS.
    fn start_session(&self, request: SessionRequest<'_>) -> impl Future<Output = Result<SessionCredentials, Error>>;

    /// Resolves the caller's credentials through the standard chain and asks STS who that is
    /// (doctor), within `timeout`.
    fn describe_caller(
        &self,
        registry: &str,
        region: &str,
        identity: &Identity,
        principal: &Principal,
        timeout: Duration,
    ) -> impl Future<Output = Result<CallerReport, Error>>;

    /// The endpoint URL the ECR client for `registry` calls (doctor): an explicit one from the
    /// environment, or the SDK's resolution of the host's region, FIPS and dual-stack flags.
    fn resolved_endpoint(
        &self,
        registry: &PrivateRegistry,
        env_endpoint: Option<&str>,
        honour_host_flags: bool,
    ) -> impl Future<Output = String>;
}

/// The real one: the standard AWS credential chain and the ECR, ECR Public and STS APIs.
#[derive(Debug, Default, Clone, Copy)]
pub struct AwsSdk;

impl Aws for AwsSdk {
    async fn fetch(&self, request: FetchRequest<'_>) -> Result<Vec<IssuedToken>, Error> {
        match tokio::time::timeout(request.timeout, fetch_from_aws(request)).await {
            Ok(result) => result,
            Err(_) => Err(Error::TimedOut { registry: request.target.label(), after: request.timeout }),
        }
    }

    async fn start_session(&self, request: SessionRequest<'_>) -> Result<SessionCredentials, Error> {
        match tokio::time::timeout(request.timeout, start_session(request)).await {
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
        describe_caller(registry, region, identity, principal, timeout).await
    }

    async fn resolved_endpoint(
        &self,
        registry: &PrivateRegistry,
        env_endpoint: Option<&str>,
        honour_host_flags: bool,
    ) -> String {
        resolved_endpoint(registry, env_endpoint, honour_host_flags).await
    }
}

/// Context for turning SDK errors into ours.
struct Context<'a> {
    registry: &'a str,
    region: &'a str,
    identity: &'a Identity,
    timeout: Duration,
}

async fn fetch_from_aws(request: FetchRequest<'_>) -> Result<Vec<IssuedToken>, Error> {
    let region = match request.target {
        Target::Registry(Registry::Private(r)) => r.region.as_str(),
        Target::Registry(Registry::Public(_)) => PUBLIC_API_REGION,
        Target::Default { region } => region,
    };
    let label = request.target.label();
    let cx = Context { registry: &label, region, identity: request.identity, timeout: request.timeout };
    let config = load_config(region, request.timeout).await;
    let credentials = principal_credentials(&config, request.principal, &cx).await?;
    // An endpoint the user configured wins: the SDK refuses it together with FIPS or dual-stack.
    let honour_host_flags = !request.identity.endpoint_configured;
    match request.target {
        Target::Registry(Registry::Private(registry)) => {
            fetch_private(&config, credentials, registry, honour_host_flags, &cx).await
        }
        Target::Default { .. } => fetch_default(&config, credentials, &cx).await,
        Target::Registry(Registry::Public(public)) => {
            let conf = aws_sdk_ecrpublic::config::Builder::from(&config)
                .credentials_provider(credentials)
                .use_dual_stack(honour_host_flags && public.dual_stack)
                .build();
            let output = aws_sdk_ecrpublic::Client::from_conf(conf)
                .get_authorization_token()
                .send()
                .await
                .map_err(|e| classify(&e, &cx))?;
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
        .map_err(|e| classify(&e, cx))?;
    issued_tokens(&output, cx)
}

/// The caller's own registry in the configuration's region: GetAuthorizationToken with no
/// `registryIds`, with the SDK's own endpoint settings (there is no host yet to take flags from).
async fn fetch_default(
    config: &aws_config::SdkConfig,
    credentials: Credentials,
    cx: &Context<'_>,
) -> Result<Vec<IssuedToken>, Error> {
    let conf = aws_sdk_ecr::config::Builder::from(config).credentials_provider(credentials).build();
    let output =
        aws_sdk_ecr::Client::from_conf(conf).get_authorization_token().send().await.map_err(|e| classify(&e, cx))?;
    issued_tokens(&output, cx)
}

/// The tokens of a private GetAuthorizationToken answer; none is a bad answer.
fn issued_tokens(
    output: &aws_sdk_ecr::operation::get_authorization_token::GetAuthorizationTokenOutput,
    cx: &Context<'_>,
) -> Result<Vec<IssuedToken>, Error> {
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
        let text = plain_error_debug(&one_line(&e.to_string()));
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// Some providers put the SDK's debug form of an error in their message (the SSO token provider:
/// `Error { code: "UnauthorizedException", message: "Session token not found or invalid", .. }`);
/// each such form becomes `UnauthorizedException: Session token not found or invalid`.
fn plain_error_debug(text: &str) -> String {
    let field = |body: &str, name: &str| {
        let start = body.find(&format!("{name}: \""))? + name.len() + 3;
        let end = body[start..].find('"')?;
        Some(body[start..start + end].to_string())
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("Error { ") {
        let Some(len) = rest[start..].find(" }") else { break };
        let body = &rest[start..start + len];
        out.push_str(&rest[..start]);
        match (field(body, "code"), field(body, "message")) {
            (Some(code), Some(message)) => {
                let _ = write!(out, "{code}: {message}");
            }
            (Some(only), None) | (None, Some(only)) => out.push_str(&only),
            (None, None) => out.push_str(&rest[start..start + len + 2]),
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
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

/// The credentials that `principal` signs with: its base credentials, and its rule's role
/// assumed with them.
async fn principal_credentials(
    config: &aws_config::SdkConfig,
    principal: &Principal,
    cx: &Context<'_>,
) -> Result<Credentials, Error> {
    let credentials = match &principal.base {
        Base::DefaultChain => resolve_credentials(config.credentials_provider(), cx).await?,
        Base::Profile(profile) => {
            let provider = SharedCredentialsProvider::new(profile_credentials(profile, cx.region, cx.timeout));
            resolve_credentials(Some(provider), cx).await?
        }
        Base::WebIdentity(web_identity) => assume_role_with_web_identity(config, web_identity, cx).await?,
        Base::Session(session) => Credentials::new(
            &session.access_key_id,
            session.secret_access_key.expose(),
            Some(session.session_token.expose().clone()),
            SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(session.expires_at)),
            "MfaSession",
        ),
    };
    match &principal.role {
        Some(role) => assume_rule_role(config, credentials, role, principal.rule.as_deref(), cx).await,
        None => Ok(credentials),
    }
}

/// Resolves credentials once, before the API call, so that a failure to find them is reported as
/// such rather than as an opaque dispatch failure of the call.
async fn resolve_credentials(
    provider: Option<SharedCredentialsProvider>,
    cx: &Context<'_>,
) -> Result<Credentials, Error> {
    let identity = cx.identity;
    let unknown_profile = identity.profile_from_env && !identity.profile_defined;
    let no_credentials = || {
        let (registry, profile) = (cx.registry.to_string(), identity.profile.clone());
        if unknown_profile {
            Error::UnknownProfile { registry, profile, origin: identity.profile_origin() }
        } else {
            Error::NoCredentials { registry, profile }
        }
    };
    let provider = provider.ok_or_else(no_credentials)?;
    provider.provide_credentials().await.map_err(|e| match e {
        CredentialsError::CredentialsNotLoaded(_) => no_credentials(),
        CredentialsError::ProviderTimedOut(_) => {
            Error::TimedOut { registry: cx.registry.to_string(), after: cx.timeout }
        }
        CredentialsError::InvalidConfiguration(_) if unknown_profile => no_credentials(),
        // Only an SSO profile's failure is an SSO login to renew; anything else (a metadata
        // service that does not answer, a credential process that fails) says what it is.
        other if identity.sso => Error::SsoLoginNeeded {
            registry: cx.registry.to_string(),
            profile: identity.profile.clone(),
            detail: causes(&other),
        },
        other => Error::CredentialsFailed {
            registry: cx.registry.to_string(),
            profile: identity.profile.clone(),
            detail: causes(&other),
        },
    })
}

/// Assumes a rule's role with `credentials` (STS AssumeRole, in the registry's region).
async fn assume_rule_role(
    config: &aws_config::SdkConfig,
    credentials: Credentials,
    role: &Role,
    rule: Option<&str>,
    cx: &Context<'_>,
) -> Result<Credentials, Error> {
    let failed = |detail: String| Error::RuleRoleFailed {
        registry: cx.registry.to_string(),
        role: role.arn.clone(),
        rule: rule.unwrap_or("a configuration rule").to_string(),
        detail,
    };
    let sts = aws_sdk_sts::config::Builder::from(config).credentials_provider(credentials).build();
    let output = aws_sdk_sts::Client::from_conf(sts)
        .assume_role()
        .role_arn(&role.arn)
        .role_session_name(&role.session_name)
        .set_external_id(role.external_id.clone())
        .send()
        .await
        .map_err(|e| refused_by_sts(classify(&e, cx), failed))?;
    let issued = output.credentials().ok_or_else(|| failed("STS answered no credentials".into()))?;
    Ok(sts_credentials(issued, "AssumeRole"))
}

/// An STS refusal (access denied, rejected credentials, any other service error) as the error of
/// the step that asked (`refused` wraps AWS's code and message); anything else (timeouts, an
/// unreachable endpoint) stays as it is.
fn refused_by_sts(error: Error, refused: impl FnOnce(String) -> Error) -> Error {
    match error {
        Error::AccessDenied { detail, .. }
        | Error::CredentialsRejected { detail, .. }
        | Error::Service { detail, .. } => refused(detail),
        other => other,
    }
}

fn sts_credentials(issued: &aws_sdk_sts::types::Credentials, source: &'static str) -> Credentials {
    Credentials::new(
        issued.access_key_id(),
        issued.secret_access_key(),
        Some(issued.session_token().to_string()),
        SystemTime::try_from(*issued.expiration()).ok(),
        source,
    )
}

/// Starts an MFA session: AssumeRole with the code, or GetSessionToken with it.
async fn start_session(request: SessionRequest<'_>) -> Result<SessionCredentials, Error> {
    let cx = Context {
        registry: request.registry,
        region: request.region,
        identity: request.identity,
        timeout: request.timeout,
    };
    let config = load_config(request.region, request.timeout).await;
    let provider = match request.source_profile {
        Some(profile) => {
            Some(SharedCredentialsProvider::new(profile_credentials(profile, request.region, request.timeout)))
        }
        None => config.credentials_provider(),
    };
    let source = resolve_credentials(provider, &cx).await?;
    let refused = |detail: String| Error::MfaRefused {
        registry: request.registry.to_string(),
        profile: request.profile.to_string(),
        detail,
    };
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(&config).credentials_provider(source).build(),
    );
    let duration = request.duration_seconds.and_then(|d| i32::try_from(d).ok());
    let issued = match request.role {
        Some((arn, external_id, session_name)) => {
            sts.assume_role()
                .role_arn(arn)
                .role_session_name(session_name)
                .set_external_id(external_id.map(str::to_string))
                .serial_number(request.serial)
                .token_code(request.code)
                .set_duration_seconds(duration)
                .send()
                .await
                .map_err(|e| refused_by_sts(classify(&e, &cx), refused))?
                .credentials
        }
        None => {
            sts.get_session_token()
                .serial_number(request.serial)
                .token_code(request.code)
                .set_duration_seconds(duration)
                .send()
                .await
                .map_err(|e| refused_by_sts(classify(&e, &cx), refused))?
                .credentials
        }
    };
    let issued = issued.ok_or_else(|| refused("STS answered no credentials".into()))?;
    let expires_at = to_unix(issued.expiration()).ok_or_else(|| refused("STS answered no expiry".into()))?;
    Ok(SessionCredentials {
        access_key_id: issued.access_key_id().to_string(),
        secret_access_key: Secret::new(issued.secret_access_key().to_string()),
        session_token: Secret::new(issued.session_token().to_string()),
        expires_at,
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
        .map_err(|e| refused_by_sts(classify(&e, cx), failed))?;
    let issued = output.credentials().ok_or_else(|| failed("STS answered no credentials".into()))?;
    Ok(sts_credentials(issued, "WebIdentityToken"))
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

async fn describe_caller(
    registry: &str,
    region: &str,
    identity: &Identity,
    principal: &Principal,
    timeout: Duration,
) -> Result<CallerReport, Error> {
    let cx = Context { registry, region, identity, timeout };
    let work = async {
        let config = load_config(region, timeout).await;
        let credentials = principal_credentials(&config, principal, &cx).await?;
        // The chain records which sources produced the credentials (for its user agent metrics).
        let source = credentials
            .get_property::<Vec<AwsCredentialFeature>>()
            .filter(|features| !features.is_empty())
            .map_or_else(|| principal_source(principal), |features| format!("{features:?}"));
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

/// How doctor names the credentials of `principal` when the SDK recorded no source for them (the
/// ones we make ourselves).
fn principal_source(principal: &Principal) -> String {
    let base = match &principal.base {
        Base::Session(_) => "an MFA session",
        Base::WebIdentity(_) => "a service account token",
        Base::Profile(_) | Base::DefaultChain => "the credential chain",
    };
    match &principal.role {
        Some(role) => format!("{base}, then AssumeRole {}", role.arn),
        None => base.to_string(),
    }
}

async fn resolved_endpoint(registry: &PrivateRegistry, env_endpoint: Option<&str>, honour_host_flags: bool) -> String {
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
fn classify<E>(err: &SdkError<E, HttpResponse>, cx: &Context<'_>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let registry = cx.registry.to_string();
    match err {
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
            Error::Unreachable { registry, region: cx.region.to_string(), detail: causes(err) }
        }
        // An answer whose body cannot be read as ECR's (a truncated 200, a proxy's page).
        SdkError::ResponseError(response) => {
            Error::Service { registry, detail: unreadable_answer(response.raw().status().as_u16(), Some(causes(err))) }
        }
        SdkError::ConstructionFailure(_) => Error::Setup { detail: causes(err) },
        _ => Error::BadResponse { registry, detail: causes(err) },
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
            .behavior_version(crate::aws::behavior_version())
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
    fn the_sdks_debug_form_of_an_error_reads_plainly() {
        let text = "failed to load token: Error { code: \"UnauthorizedException\", message: \"Session token not found \
                    or invalid\", aws_request_id: \"x\" } (more)";
        assert_eq!(
            plain_error_debug(text),
            "failed to load token: UnauthorizedException: Session token not found or invalid (more)"
        );
        assert_eq!(plain_error_debug("no debug here"), "no debug here");
    }

    #[test]
    fn error_causes_are_joined_without_repeats() {
        let inner = std::io::Error::other("connection refused");
        let outer = ConnectorError::io(Box::new(inner));
        assert_eq!(causes(&outer), "io error: connection refused");
    }
}
