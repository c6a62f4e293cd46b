//! The words the seam around AWS speaks: the trait [`Aws`] (what the rest of the crate asks of
//! AWS), the requests it takes, who signs them ([`Principal`]) and what doctor is told. No AWS crate
//! is named here: the token path, the principal and doctor use these types without knowing the SDK,
//! and the unit tests answer the same trait with a hand-written fake.

use std::future::Future;
use std::time::Duration;

use crate::auth_token::IssuedToken;
use crate::clock::UnixSeconds;
use crate::config::Role;
use crate::error::Error;
use crate::identity::{Identity, WebIdentity};
use crate::registry::{PrivateRegistry, Registry};
use crate::secret::Secret;
use crate::trace::Trace;

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
    /// The `ECR_LOGIN_DEBUG` trace: the endpoint, the credentials' source and each attempt.
    pub trace: &'a Trace,
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
    /// The role to assume with the code.
    pub role: Option<&'a Role>,
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

/// The credentials that sign the ECR call, and how they are had.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Where the first credentials come from.
    pub base: Base,
    /// A rule's role, assumed with the base credentials.
    pub role: Option<Role>,
    /// The rule that chose this principal, described for messages.
    pub rule: Option<String>,
}

impl Principal {
    /// Who signs, in words for doctor and the trace; no secret.
    pub fn describe(&self) -> String {
        let base = match &self.base {
            Base::Session(session) => format!("an MFA session (access key id {})", session.access_key_id),
            Base::WebIdentity(web) => format!("a service account token for {}", web.role_arn),
            Base::Profile(profile) => format!("the credential chain of profile {profile}"),
            Base::DefaultChain => "the credential chain".to_string(),
        };
        match &self.role {
            Some(role) => format!("{base}, then AssumeRole {}", role.arn),
            None => base,
        }
    }
}

/// Where the first credentials come from.
#[derive(Debug, Clone)]
pub enum Base {
    /// The SDK's default chain (environment, shared files of `AWS_PROFILE`, SSO, IMDS, …).
    DefaultChain,
    /// One profile of the shared files, whatever the environment holds.
    Profile(String),
    /// A role assumed with a Kubernetes service account's token.
    WebIdentity(WebIdentity),
    /// Temporary credentials of an MFA session.
    Session(SessionCredentials),
}

/// Temporary credentials from STS (an MFA session).
#[derive(Debug, Clone)]
pub struct SessionCredentials {
    /// The access key id (not a secret).
    pub access_key_id: String,
    /// The secret key.
    pub secret_access_key: Secret<String>,
    /// The session token.
    pub session_token: Secret<String>,
    /// When STS says they expire.
    pub expires_at: UnixSeconds,
}
