//! Who signs a token request, decided on a cache miss only: the default credential chain, a
//! rule's profile (built from the shared files alone, so that keys in the environment do not
//! win), a service account's role (kubelet), or an MFA session; and a rule's role assumed on top.
//!
//! A profile with `mfa_serial` is not left to the SDK, which ignores that key: its session comes
//! from [`crate::mfa`], which asks for the code once and shares the session with the AWS CLI.

use crate::config::Role;
use crate::ecr::Aws;
use crate::env::Env;
use crate::error::Error;
use crate::identity::{self, Identity, ProfileSettings, WebIdentity};
use crate::mfa;
use crate::registry::Registry;
use crate::secret::Secret;
use crate::token::UnixSeconds;
use crate::world::World;

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

/// The settings of the profile in use when its `mfa_serial` asks for a code: a rule's profile,
/// or the one the default chain reaches (`identity.profile`) when no keys in the environment come
/// first. `None` when no MFA code is needed.
pub fn mfa_settings(identity: &Identity, env: &Env) -> Option<ProfileSettings> {
    let rule_profile = identity.rule.as_ref().is_some_and(|r| r.profile.is_some());
    if !rule_profile && env.get("AWS_ACCESS_KEY_ID").is_some() {
        return None;
    }
    // A rule's profile is `identity.profile` (`Identity::load_for`).
    let settings = identity::profile_settings(env, &identity.profile);
    settings.mfa_serial.is_some().then_some(settings)
}

/// Decides who signs the request for `registry`, asking for an MFA code (or reading a cached
/// session) when the profile in use has `mfa_serial`.
pub fn choose<A: Aws>(
    registry: &Registry,
    identity: &Identity,
    web_identity: Option<&WebIdentity>,
    world: &World<'_, A>,
) -> Result<Principal, Error> {
    identity.check_endpoints(registry.host())?;
    let rule = identity.rule.as_ref();
    let describe = identity.rule_description();
    if let Some(web_identity) = web_identity {
        return Ok(Principal { base: Base::WebIdentity(web_identity.clone()), role: None, rule: describe });
    }
    let base = match (mfa_settings(identity, world.env), rule.and_then(|r| r.profile.clone())) {
        (Some(settings), _) => Base::Session(mfa::session(&identity.profile, &settings, registry, identity, world)?),
        (None, Some(profile)) => Base::Profile(profile),
        (None, None) => Base::DefaultChain,
    };
    Ok(Principal { base, role: rule.and_then(|r| r.role.clone()), rule: describe })
}
