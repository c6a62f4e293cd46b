//! Who signs a token request, decided on a cache miss only: the default credential chain, a
//! rule's profile (built from the shared files alone, so that keys in the environment do not
//! win) or `AWS_PROFILE`'s when it assumes a role with those keys, a service account's role
//! (kubelet), or an MFA session; and a rule's role assumed on top.
//!
//! A profile with `mfa_serial` is not left to the SDK, which ignores that key: its session comes
//! from `mfa.rs`, which asks for the code once and shares the session with the AWS CLI.

use super::mfa;
use crate::aws::{Aws, Base, Principal};
use crate::env::Env;
use crate::error::Error;
use crate::identity::{Identity, WebIdentity};
use crate::registry::Registry;
use crate::shared_files::{self, ProfileSettings};
use crate::world::World;

/// The settings of the profile in use when its `mfa_serial` asks for a code: a rule's profile,
/// or the one the default chain reaches (`identity.profile`) when no keys in the environment come
/// first, or `AWS_PROFILE`'s when it assumes its role with those keys (its session is then
/// started with them). `None` when no MFA code is needed.
pub fn mfa_settings(identity: &Identity, env: &Env) -> Option<ProfileSettings> {
    let rule_profile = identity.rule.as_ref().is_some_and(|r| r.profile.is_some());
    let keys_come_first = env.get("AWS_ACCESS_KEY_ID").is_some() && !assumes_role_with_environment_keys(identity, env);
    if !rule_profile && keys_come_first {
        return None;
    }
    // A rule's profile is `identity.profile` (`Identity::load_for`).
    let settings = shared_files::profile_settings(env, &identity.profile);
    settings.mfa_serial.is_some().then_some(settings)
}

/// Whether `AWS_PROFILE` names a profile that assumes a role with the keys in the environment
/// (`role_arn` with `credential_source = Environment`). The default chain reads those keys before
/// any profile and would sign with them directly, never assuming the role (the AWS CLI does the
/// same unless `--profile` names the profile, which a credential helper cannot be given; the Go
/// helper's issue #181): such a profile is used as a rule's profile is, whatever the chain's order.
fn assumes_role_with_environment_keys(identity: &Identity, env: &Env) -> bool {
    if env.get("AWS_PROFILE").is_none() {
        return false;
    }
    let settings = shared_files::profile_settings(env, &identity.profile);
    settings.role_arn.is_some() && settings.credential_source.as_deref() == Some("Environment")
}

/// Who signs for the caller when no rule, MFA session or service account decides it: the default
/// chain, or `AWS_PROFILE`'s profile when it assumes a role with the environment's keys.
pub fn chain_base(identity: &Identity, env: &Env) -> Base {
    if assumes_role_with_environment_keys(identity, env) {
        Base::Profile(identity.profile.clone())
    } else {
        Base::DefaultChain
    }
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
        (None, None) => chain_base(identity, world.env),
    };
    Ok(Principal { base, role: rule.and_then(|r| r.role.clone()), rule: describe })
}
