//! The credentials that sign a call: the default chain or one profile's, resolved once so that a
//! failure to find them says so; a rule's role (AssumeRole), a service account's role
//! (AssumeRoleWithWebIdentity) and an MFA session (AssumeRole or GetSessionToken with the code).

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::credential_feature::AwsCredentialFeature;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};

use super::classify::{Context, causes, classify, login_session_failure, to_unix};
use super::seam::{Base, Principal, SessionCredentials, SessionRequest};
use super::setup::{load_config, profile_credentials};
use crate::config::Role;
use crate::error::Error;
use crate::identity::WebIdentity;
use crate::secret::Secret;

/// The session name of roles assumed with a service account token, as CloudTrail shows it.
const WEB_IDENTITY_SESSION_NAME: &str = "ecr-login";
/// The credentials that `principal` signs with: its base credentials, and its rule's role
/// assumed with them.
pub(super) async fn principal_credentials(
    config: &aws_config::SdkConfig,
    principal: &Principal,
    cx: &Context<'_>,
) -> Result<Credentials, Error> {
    let credentials = match &principal.base {
        Base::DefaultChain => resolve_credentials(config.credentials_provider(), cx).await?,
        Base::Profile(profile) => {
            let provider = SharedCredentialsProvider::new(profile_credentials(config, profile, cx.region, cx.timeout));
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

/// Where `credentials` came from, in words for doctor and the trace: the sources the SDK's chain
/// recorded, else who `principal` says signs. No secret.
pub(super) fn credential_source(credentials: &Credentials, principal: &Principal) -> String {
    credentials
        .get_property::<Vec<AwsCredentialFeature>>()
        .filter(|features| !features.is_empty())
        .map_or_else(|| principal.describe(), |features| format!("{features:?}"))
}

/// Resolves credentials once, before the API call, so that a failure to find them is reported as
/// such rather than as an opaque dispatch failure of the call.
pub(super) async fn resolve_credentials(
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
        other if identity.login_session.is_some() => login_session_failure(&other, cx),
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
pub(super) async fn start_mfa_session(request: SessionRequest<'_>) -> Result<SessionCredentials, Error> {
    let cx = Context {
        registry: request.registry,
        region: request.region,
        identity: request.identity,
        timeout: request.timeout,
    };
    let config = load_config(request.region, request.timeout, request.identity).await?;
    let provider = match request.source_profile {
        Some(profile) => {
            Some(SharedCredentialsProvider::new(profile_credentials(&config, profile, request.region, request.timeout)))
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
        Some(role) => {
            sts.assume_role()
                .role_arn(&role.arn)
                .role_session_name(&role.session_name)
                .set_external_id(role.external_id.clone())
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
