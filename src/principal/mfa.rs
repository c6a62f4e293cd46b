//! MFA sessions for profiles with `mfa_serial`, which the SDK ignores: the code is asked for on
//! the terminal, once, and the session is shared with the AWS CLI through its own cache.
//!
//! - **Which call.** A profile with `role_arn` assumes the role with `SerialNumber` and `TokenCode`
//!   on its `source_profile`'s credentials (the default chain without one); a profile without
//!   `role_arn` calls `GetSessionToken` with the code on its own credentials.
//! - **The session cache is the AWS CLI's.** `~/.aws/cli/cache/<key>.json`, 0600, in botocore's
//!   format, keyed as botocore keys an assumed role: the SHA-1 of the sorted JSON of the
//!   AssumeRole arguments without a generated session name (`_create_cache_key` in botocore's
//!   `credentials.py`). `aws … --profile X` then reuses a session we started and we reuse one it
//!   started; both treat a session as over 15 minutes before it expires. A `GetSessionToken`
//!   session, which the AWS CLI never makes, is kept beside them as `ecr-login-<key>.json`.
//! - **One prompt.** Whoever must ask holds a lock (in our cache directory, `v1/sessions/`) while
//!   it asks and calls STS; the others (docker compose pulling ten images) wait for it and then
//!   read its session. The prompt goes to `/dev/tty`, never stdin or stdout, which the protocol
//!   owns, and has its own limit: a person typing does not count against the API deadline.
//! - **No terminal** (CI, a daemon): an error naming the command that starts the session from a
//!   terminal (`docker-credential-ecr-login login HOST`).

use std::time::{Duration, Instant};

use super::aws_cli_sessions::{read_session, session_file, write_session};
use super::terminal::{PROMPT_LIMIT, Terminal};
use crate::aws::{Aws, SessionCredentials, SessionRequest, block_on};
use crate::cache::Cache;
use crate::clock::{self, UnixSeconds};
use crate::config::Role;
use crate::error::Error;
use crate::identity::Identity;
use crate::registry::Registry;
use crate::shared_files::ProfileSettings;
use crate::world::World;

/// A session is not used within this many seconds of its expiry (botocore's own window, so that
/// the AWS CLI and we agree on when a session is over).
pub const SESSION_MARGIN_SECS: u64 = 15 * 60;

/// How long the STS call that starts a session may take.
const STS_TIMEOUT: Duration = Duration::from_secs(20);

/// The session name of MFA roles whose profile names none (not part of the cache key, as in
/// botocore, whose generated names are not either).
const MFA_SESSION_NAME: &str = "ecr-login-mfa";

/// The session of `profile` (which has `mfa_serial`): cached, else started with a code asked for
/// on the terminal.
pub fn session<A: Aws>(
    profile: &str,
    settings: &ProfileSettings,
    registry: &Registry,
    identity: &Identity,
    world: &World<'_, A>,
) -> Result<SessionCredentials, Error> {
    let serial = settings.mfa_serial.as_deref().unwrap_or_default();
    let file = session_file(world, profile, settings);
    let fresh = |now: UnixSeconds| {
        file.as_ref().and_then(|f| read_session(f)).filter(|s| s.expires_at > now + SESSION_MARGIN_SECS)
    };
    if let Some(session) = fresh((world.now)()) {
        return Ok(session);
    }
    let host = registry.host();
    let mut terminal = Terminal::open().map_err(|()| Error::MfaNeedsTerminal {
        registry: host.to_string(),
        profile: profile.to_string(),
        serial: serial.to_string(),
    })?;
    // Someone else may be asking right now: wait for their session rather than ask again.
    let _lock = world.cache_dir.as_deref().and_then(|base| {
        let sessions = Cache::for_sessions(base);
        sessions.check_trusted().ok()?;
        let key = file.as_ref()?.file_stem()?.to_string_lossy().into_owned();
        sessions.lock(&key, Instant::now() + PROMPT_LIMIT + STS_TIMEOUT).ok().flatten()
    });
    if let Some(session) = fresh((world.now)()) {
        return Ok(session);
    }
    let code = terminal.ask(serial, profile)?;
    let region = match registry {
        Registry::Private(r) => r.region.as_str(),
        Registry::Public(_) => crate::partition::PUBLIC_API_REGION,
    };
    let role = settings.role_arn.as_ref().map(|arn| Role {
        arn: arn.clone(),
        external_id: settings.external_id.clone(),
        session_name: settings.role_session_name.clone().unwrap_or_else(|| MFA_SESSION_NAME.to_string()),
    });
    let source_profile = match role {
        Some(_) => settings.source_profile.as_deref(),
        None => Some(profile),
    };
    let request = SessionRequest {
        registry: host,
        region,
        profile,
        identity,
        source_profile,
        role: role.as_ref(),
        duration_seconds: settings.duration_seconds,
        serial,
        code: &code,
        timeout: STS_TIMEOUT,
    };
    let session = block_on(world.aws.start_session(request))??;
    if let Some(file) = &file {
        // A session we cannot keep still serves this call; the next one asks again.
        let _ = write_session(file, &session);
    }
    terminal.say(&format!("MFA session for profile {profile} valid until {}", clock::format_utc(session.expires_at)));
    Ok(session)
}

/// The state of `profile`'s MFA session for doctor: its expiry, if one is cached.
pub fn cached_expiry<A>(world: &World<'_, A>, profile: &str, settings: &ProfileSettings) -> Option<UnixSeconds> {
    session_file(world, profile, settings).and_then(|f| read_session(&f)).map(|s| s.expires_at)
}
