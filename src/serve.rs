//! The token path shared by `get`, the kubelet and doctor: a fresh cached token, else the
//! registry's lock (waited for a bounded while), a second look, a fetch through the AWS seam, a
//! store, and the old token while it may still be served when the fetch fails.
//!
//! It returns what it served together with its warnings ([`Served`]) rather than writing them,
//! so that each command decides where they go.
//!
//! `list` on a cold cache has a path of its own beside it ([`default_registry`]): no host is known
//! before ECR names the caller's own registry, so the question is locked by region instead, under
//! a short deadline of its own, and the answer lands in the cache under the host ECR named.

use std::time::{Duration, Instant};

use crate::auth_token::{self, AuthToken, Freshness, IssuedToken};
use crate::aws::{Aws, FetchRequest, Principal, Target, block_on};
use crate::cache::Cache;
use crate::clock::{self, UnixSeconds};
use crate::env::Env;
use crate::error::Error;
use crate::files::Untrusted;
use crate::identity::{Identity, WebIdentity};
use crate::partition;
use crate::principal;
use crate::registry::{self, Registry};
use crate::world::World;

/// The overall deadline of a token fetch unless `ECR_LOGIN_TIMEOUT` says otherwise. docker waits
/// for us without a limit and BuildKit for 60 s, so a dead network must fail well before that.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// The largest `ECR_LOGIN_TIMEOUT` accepted, in seconds.
const MAX_TIMEOUT_SECS: f64 = 3600.0;

/// The longest a `get` waits for another process's fetch (its lock) before fetching itself: a
/// fetch takes well under a second, so a holder still busy after this is stuck or stopped.
const LOCK_WAIT_MAX: Duration = Duration::from_secs(3);

/// At most this fraction (1/n) of the fetch deadline goes to waiting for another's lock.
const LOCK_WAIT_SHARE: u32 = 4;

/// The lock, in an identity's cache directory, that an `aws login` session's fetches take one at
/// a time (no host name is without a dot).
const LOGIN_SESSION_LOCK: &str = "login-session";

/// The deadline of `list`'s question for the caller's own registry (or `ECR_LOGIN_TIMEOUT` when
/// that is shorter). Every classic docker build and every regctl start runs `list`, and offline each
/// pays this on a cold cache, so it stays far below a `get`'s; a token call takes well under a
/// second, a credential source's round trip or two included.
pub const DEFAULT_REGISTRY_TIMEOUT: Duration = Duration::from_secs(3);

/// At most this fraction (1/n) of [`DEFAULT_REGISTRY_TIMEOUT`] goes to waiting for another
/// `list` asking the same question. More than a `get`'s share: the holder is bound by the same
/// short deadline, so the wait stays short whatever happens, and giving up early costs a call.
const DEFAULT_REGISTRY_LOCK_WAIT_SHARE: u32 = 2;

/// What the token path produced, and what the user should be told either way.
#[derive(Debug)]
pub struct Served {
    /// The token, or why there is none.
    pub token: Result<AuthToken, Error>,
    /// Warnings for stderr: a cache that cannot be used, a stale token, a skewed clock.
    pub warnings: Vec<String>,
}

/// The cache of `identity`: `Ok(None)` when the cache is off or has no home, `Err` when it is not
/// safe to use (the caller says so and goes on without it).
pub fn open_cache<A>(world: &World<'_, A>, identity: &Identity) -> Result<Option<Cache>, Untrusted> {
    if world.env.get("AWS_ECR_DISABLE_CACHE").is_some() {
        return Ok(None);
    }
    let Some(base) = world.cache_dir.as_deref() else { return Ok(None) };
    let cache = Cache::new(base, &identity.fingerprint);
    cache.check_trusted().map(|()| Some(cache))
}

/// The overall fetch deadline from `ECR_LOGIN_TIMEOUT` (seconds, fractions allowed).
pub fn fetch_timeout(env: &Env) -> Result<Duration, Error> {
    let Some(text) = env.get("ECR_LOGIN_TIMEOUT") else {
        return Ok(DEFAULT_TIMEOUT);
    };
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|secs| *secs > 0.0 && *secs <= MAX_TIMEOUT_SECS)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| Error::BadSetting {
            name: "ECR_LOGIN_TIMEOUT",
            expected: "a number of seconds greater than 0 and at most 3600",
            value: text.to_string(),
        })
}

/// The token for `registry`: from the cache while fresh, else fetched (once per identity and
/// registry, however many processes ask at the same time), else the cached one while it lasts.
pub fn token_for<A: Aws>(
    registry: &Registry,
    identity: &Identity,
    web_identity: Option<&WebIdentity>,
    world: &World<'_, A>,
) -> Served {
    let mut warnings = Vec::new();
    let trace = &world.trace;
    trace.note(|| {
        format!(
            "identity: fingerprint {} from {}",
            identity.fingerprint.as_str(),
            identity.fingerprint_inputs(world.env)
        )
    });
    let cache = open_cache(world, identity).unwrap_or_else(|untrusted| {
        warnings.push(untrusted.to_string());
        None
    });
    trace.note(|| match &cache {
        Some(cache) => format!("cache: {}", cache.entry_path(registry.host()).display()),
        None if world.env.get("AWS_ECR_DISABLE_CACHE").is_some() => "cache: off (AWS_ECR_DISABLE_CACHE)".into(),
        None => "cache: none (no cache directory, or one that cannot be trusted)".into(),
    });
    let token = fresh_or_fetched(registry, identity, web_identity, cache.as_ref(), world, &mut warnings);
    trace.note(|| match &token {
        Ok(token) => format!("served: a token valid until {}", clock::format_utc(token.expires_at)),
        Err(e) => format!("failed: {e}"),
    });
    Served { token, warnings }
}

/// The cache's state for `host` at `now`, for the trace: a hit, a stale entry, or a miss, and why.
fn cache_state(cached: Option<&AuthToken>, now: UnixSeconds) -> String {
    let Some(token) = cached else { return "miss: no usable entry".into() };
    match token.freshness(now) {
        Freshness::Fresh => format!("hit: fresh until {}", clock::format_utc(token.refresh_at())),
        Freshness::DueForRefresh => format!(
            "stale: past half its life since {}; refreshing, and serving it until {} if that fails",
            clock::format_utc(token.refresh_at()),
            clock::format_utc(token.usable_until())
        ),
        Freshness::Unusable => {
            format!("miss: the entry expired (or is about to) at {}", clock::format_utc(token.expires_at))
        }
    }
}

fn fresh_or_fetched<A: Aws>(
    registry: &Registry,
    identity: &Identity,
    web_identity: Option<&WebIdentity>,
    cache: Option<&Cache>,
    world: &World<'_, A>,
    warnings: &mut Vec<String>,
) -> Result<AuthToken, Error> {
    let host = registry.host();
    let is_fresh = |t: &AuthToken| t.freshness((world.now)()) == Freshness::Fresh;
    let cached = cache.and_then(|c| c.read(host));
    world.trace.note(|| format!("cache: {}", cache_state(cached.as_ref(), (world.now)())));
    if let Some(token) = cached.as_ref().filter(|t| is_fresh(t)) {
        return Ok(token.clone());
    }

    // Who signs is decided before the lock: an MFA prompt may wait for a person, and its own lock
    // makes ten processes ask once. The fetch deadline starts after it.
    let principal = match principal::choose(registry, identity, web_identity, world) {
        Ok(principal) => principal,
        Err(error) => return stale_or(error, cached, host, world, warnings),
    };
    world.trace.note(|| format!("signer: {}", principal.describe()));
    let timeout = fetch_timeout(world.env)?;
    let deadline = Instant::now() + timeout;
    // Whoever holds the lock is fetching; when it is ours, a waiter before us may have stored a
    // fresh token already. A holder that is stuck or stopped must not cost us the whole deadline:
    // past a bounded wait we fetch without the lock.
    let lock_deadline = Instant::now() + (timeout / LOCK_WAIT_SHARE).min(LOCK_WAIT_MAX);
    let waited = Instant::now();
    let lock = cache.and_then(|c| match c.lock(host, lock_deadline) {
        Ok(lock) => lock,
        Err(e) => {
            warnings.push(format!("{e}; fetching without the lock"));
            None
        }
    });
    // Whoever finds an `aws login` session due refreshes it through Sign-In with its refresh token
    // and rewrites the AWS CLI's file: gets of other registries wait, then sign with what it wrote
    // instead of spending the same refresh token again (eight gets at once would refresh eight
    // times).
    let _session_lock =
        identity.login_session.as_ref().and_then(|_| cache?.lock(LOGIN_SESSION_LOCK, lock_deadline).ok()?);
    world.trace.note(|| {
        let held = if lock.is_some() { "held" } else { "not held (none, unsupported, or waited out)" };
        format!("lock: {held} after {} ms", waited.elapsed().as_millis())
    });
    let cached = match cache {
        Some(c) => c.read(host),
        None => cached,
    };
    if let Some(token) = cached.as_ref().filter(|t| is_fresh(t)) {
        world.trace.note(|| "cache: another process stored a fresh token while we waited".into());
        return Ok(token.clone());
    }

    match fetch(registry, identity, &principal, (deadline, timeout), world) {
        Ok(token) => {
            let now = (world.now)();
            if token.freshness(now) == Freshness::Unusable && token.expiry_unknown() {
                warnings.push(format!(
                    "ECR's answer for {host} gives the token no expiry; using it once without caching it"
                ));
            } else if token.freshness(now) == Freshness::Unusable {
                warnings.push(format!(
                    "the token ECR just issued for {host} expires at {}, which this machine's clock puts within {} \
                     minutes or in the past; using it once without caching it (check the system clock)",
                    clock::format_utc(token.expires_at),
                    auth_token::SAFETY_MARGIN.as_secs() / 60
                ));
            } else if let Some(cache) = cache {
                if let Err(e) = cache.store(host, &token) {
                    warnings.push(format!("cannot cache the token in {}: {e}", cache.dir().display()));
                }
                cache.prune(now);
            }
            Ok(token)
        }
        Err(error) => stale_or(error, cached, host, world, warnings),
    }
}

/// The cached token while it may still be served after `error` (with a warning), else `error`.
fn stale_or<A>(
    error: Error,
    cached: Option<AuthToken>,
    host: &str,
    world: &World<'_, A>,
    warnings: &mut Vec<String>,
) -> Result<AuthToken, Error> {
    let now = (world.now)();
    match cached.filter(|t| t.freshness(now) == Freshness::DueForRefresh) {
        Some(token) => {
            warnings.push(format!(
                "cannot refresh the token for {host} ({error}); using the cached one, valid until {}",
                clock::format_utc(token.expires_at)
            ));
            Ok(token)
        }
        None => Err(error),
    }
}

/// The caller's own registry in `region`, for `list` on a cold cache: ECR's answer to
/// GetAuthorizationToken without `registryIds` names it. Asked once per identity and region however
/// many processes list at the same time (the later ones find it cached), within
/// [`DEFAULT_REGISTRY_TIMEOUT`], signed by the default chain or the role its profile assumes with
/// the environment's keys ([`principal::chain_base`]; never an MFA prompt: `list` is no
/// place for one), and its token cached under its host as a `get` caches it, so that the `get`
/// that follows is a hit. `serves` says whether this identity is the one a `get` of a registry
/// uses (no configuration rule selects it); a registry it does not serve is named but not cached.
pub fn default_registry<A: Aws>(
    region: &str,
    identity: &Identity,
    serves: impl Fn(&Registry) -> bool,
    world: &World<'_, A>,
    warnings: &mut Vec<String>,
) -> Result<Registry, Error> {
    // The region names the lock file: only a region's characters may go into a file name.
    if !registry::is_region(region) {
        return Err(Error::BadSetting {
            name: "the configured region",
            expected: "a region name such as us-east-1",
            value: region.to_string(),
        });
    }
    let timeout = fetch_timeout(world.env)?.min(DEFAULT_REGISTRY_TIMEOUT);
    let deadline = Instant::now() + timeout;
    // `list` has already said why a cache it cannot trust is not used.
    let cache = open_cache(world, identity).ok().flatten();
    let cached_in_region = |cache: &Cache| {
        let now = (world.now)();
        cache
            .hosts(now)
            .iter()
            .filter_map(|host| registry::parse(host).ok())
            .find(|r| matches!(r, Registry::Private(p) if p.region == region) && serves(r))
    };
    let lock_deadline = Instant::now() + timeout / DEFAULT_REGISTRY_LOCK_WAIT_SHARE;
    let _lock = cache.as_ref().and_then(|c| match c.lock(&format!("default-registry.{region}"), lock_deadline) {
        Ok(lock) => lock,
        Err(e) => {
            warnings.push(format!("{e}; asking without the lock"));
            None
        }
    });
    // A list that held the lock before us has cached the answer.
    if let Some(registry) = cache.as_ref().and_then(cached_in_region) {
        return Ok(registry);
    }

    identity.check_endpoints(&format!("the default registry of {region}"))?;
    let principal = Principal { base: principal::chain_base(identity, world.env), role: None, rule: None };
    let remaining = deadline.saturating_duration_since(Instant::now());
    let target = Target::Default { region };
    if remaining.is_zero() {
        return Err(Error::TimedOut { registry: target.label(), after: timeout });
    }
    let request = FetchRequest { target, identity, timeout: remaining, principal: &principal, trace: &world.trace };
    let issued = block_on(world.aws.fetch(request))?.map_err(|e| match e {
        Error::TimedOut { registry, .. } => Error::TimedOut { registry, after: timeout },
        other => other,
    })?;
    let now = (world.now)();
    let (registry, token) = select_default(&issued, region, now)
        .map_err(|detail| Error::BadResponse { registry: target.label(), detail })?;
    // A token the clock already puts inside the margin is not cached (the `get` says why).
    if let Some(cache) = cache.as_ref().filter(|_| serves(&registry) && token.freshness(now) != Freshness::Unusable) {
        if let Err(e) = cache.store(registry.host(), &token) {
            warnings.push(format!("cannot cache the token in {}: {e}", cache.dir().display()));
        }
        cache.prune(now);
    }
    Ok(registry)
}

/// The registry and token of an answer without `registryIds`: the entry whose `proxyEndpoint` is a
/// private registry in `region` (the one asked of); anything else is not an answer to the question.
fn select_default(issued: &[IssuedToken], region: &str, now: UnixSeconds) -> Result<(Registry, AuthToken), String> {
    let in_region = |token: &IssuedToken| {
        let registry = registry::parse(token.proxy_endpoint.as_deref()?).ok()?;
        let account = match &registry {
            Registry::Private(p) if p.region == region => p.account.clone(),
            _ => return None,
        };
        Some((registry, account))
    };
    let Some(((registry, account), chosen)) = issued.iter().find_map(|t| Some((in_region(t)?, t))) else {
        let endpoints: Vec<&str> = issued.iter().filter_map(|t| t.proxy_endpoint.as_deref()).collect();
        return Err(format!("no proxy endpoint names a registry in {region} (proxy endpoints: {endpoints:?})"));
    };
    let token = auth_token::select(std::slice::from_ref(chosen), Some(&account), now).map_err(|e| e.to_string())?;
    Ok((registry, token))
}

/// Asks the AWS seam, on a current-thread runtime started only now, for a token.
pub fn fetch<A: Aws>(
    registry: &Registry,
    identity: &Identity,
    principal: &Principal,
    (deadline, total): (Instant, Duration),
    world: &World<'_, A>,
) -> Result<AuthToken, Error> {
    let host = registry.host().to_string();
    let timeout = deadline.saturating_duration_since(Instant::now());
    if timeout.is_zero() {
        return Err(Error::TimedOut { registry: host, after: total });
    }
    if let (Registry::Public(_), Some(region)) = (registry, identity.configured_region.as_deref())
        && partition::partition_of_region(region) != partition::PUBLIC_PARTITION
    {
        return Err(Error::PublicOutsideAws { region: region.to_string() });
    }
    let request =
        FetchRequest { target: Target::Registry(registry), identity, timeout, principal, trace: &world.trace };
    world.trace.note(|| format!("fetch: {host}, deadline {} ms", timeout.as_millis()));
    let started = Instant::now();
    let issued = block_on(world.aws.fetch(request))?;
    world.trace.note(|| match &issued {
        Ok(tokens) => format!("fetch: {} token(s) in {} ms", tokens.len(), started.elapsed().as_millis()),
        Err(e) => format!("fetch: failed in {} ms: {e}", started.elapsed().as_millis()),
    });
    let issued = issued.map_err(|e| match e {
        // Report the deadline the user set, not what was left of it after waiting for a lock.
        Error::TimedOut { registry, .. } => Error::TimedOut { registry, after: total },
        other => other,
    })?;
    let account = match registry {
        Registry::Private(r) => Some(r.account.as_str()),
        Registry::Public(_) => None,
    };
    auth_token::select(&issued, account, (world.now)())
        .map_err(|e| Error::BadResponse { registry: host, detail: e.to_string() })
}

#[cfg(test)]
mod tests {
    use crate::auth_token;
    use crate::clock::UnixSeconds;
    use crate::env::Env;
    use crate::fake::{FakeAws, HOST, get_at};

    const T0: UnixSeconds = 1_800_000_000;
    const HOUR: u64 = 3600;

    fn get(aws: &FakeAws, cache: &std::path::Path, now: UnixSeconds) -> (u8, String, String) {
        let env: Env = [("AWS_ACCESS_KEY_ID", "AKIDUNIT")].into_iter().collect();
        get_at(aws, &env, cache, now, HOST)
    }

    #[test]
    fn a_token_is_served_from_the_cache_until_half_its_life_then_refreshed() {
        let dir = tempfile::tempdir().unwrap();
        let aws = FakeAws::default();
        aws.token("first", T0 + 12 * HOUR);
        aws.token("second", T0 + 18 * HOUR);
        assert!(get(&aws, dir.path(), T0).1.contains("first"));
        assert!(get(&aws, dir.path(), T0 + 6 * HOUR - 1).1.contains("first"));
        assert_eq!(aws.calls.get(), 1);
        let (code, out, err) = get(&aws, dir.path(), T0 + 6 * HOUR);
        assert_eq!((code, err.as_str()), (0, ""));
        assert!(out.contains("second"));
        assert_eq!(aws.calls.get(), 2);
    }

    #[test]
    fn a_failed_refresh_serves_the_old_token_until_the_margin_and_no_longer() {
        let dir = tempfile::tempdir().unwrap();
        let aws = FakeAws::default();
        aws.token("first", T0 + 12 * HOUR);
        get(&aws, dir.path(), T0);
        aws.error();
        let (code, out, err) = get(&aws, dir.path(), T0 + 11 * HOUR);
        assert_eq!(code, 0);
        assert!(out.contains("first"));
        assert!(err.contains("warning: cannot refresh") && err.contains("throttled"), "{err}");
        aws.error();
        let just_inside_margin = T0 + 12 * HOUR - auth_token::SAFETY_MARGIN.as_secs();
        let (code, out, err) = get(&aws, dir.path(), just_inside_margin);
        assert_eq!((code, out.as_str()), (1, "credentials not found in native keychain\n"));
        assert!(!err.contains("first") && err.contains("throttled"), "{err}");
    }

    #[test]
    fn an_expired_cache_entry_is_never_served() {
        let dir = tempfile::tempdir().unwrap();
        let aws = FakeAws::default();
        aws.token("first", T0 + 12 * HOUR);
        get(&aws, dir.path(), T0);
        aws.error();
        let (code, out, _) = get(&aws, dir.path(), T0 + 13 * HOUR);
        assert_eq!(code, 1);
        assert!(!out.contains("first"));
    }

    fn issued(endpoint: Option<&str>) -> super::IssuedToken {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode("AWS:pw");
        super::IssuedToken {
            authorization_token: crate::secret::Secret::new(encoded),
            expires_at: Some(T0 + 12 * HOUR),
            proxy_endpoint: endpoint.map(str::to_string),
        }
    }

    #[test]
    fn the_default_registry_is_the_answers_registry_in_the_region_asked_of() {
        let answer = [
            issued(None),
            issued(Some("https://public.ecr.aws")),
            issued(Some("https://111111111111.dkr.ecr.eu-west-1.amazonaws.com")),
            issued(Some(&format!("https://{HOST}"))),
        ];
        let (registry, token) = super::select_default(&answer, "us-east-1", T0).unwrap();
        assert_eq!(registry.host(), HOST);
        assert_eq!((token.password.expose().as_str(), token.expires_at), ("pw", T0 + 12 * HOUR));
        let err = super::select_default(&answer[..3], "us-east-1", T0).unwrap_err();
        assert!(err.contains("no proxy endpoint names a registry in us-east-1"), "{err}");
        assert!(!err.contains("pw"), "{err}");
    }

    #[test]
    fn a_region_that_cannot_name_a_file_is_refused_before_anything_is_asked() {
        let dir = tempfile::tempdir().unwrap();
        let aws = FakeAws::default();
        let env: Env = [("AWS_ACCESS_KEY_ID", "AKIDUNIT")].into_iter().collect();
        let clock = || T0;
        let world = crate::world::World {
            env: &env,
            cache_dir: Some(dir.path().to_path_buf()),
            now: &clock,
            aws: &aws,
            trace: crate::trace::Trace::off(),
        };
        let identity = crate::identity::Identity::load(&env);
        let result = super::default_registry("../../x", &identity, |_| true, &world, &mut Vec::new());
        assert!(matches!(result, Err(crate::error::Error::BadSetting { .. })), "{result:?}");
        assert_eq!(aws.calls.get(), 0);
        assert!(!dir.path().join("v1").exists());
    }

    #[test]
    fn a_non_ecr_host_never_reaches_aws() {
        let dir = tempfile::tempdir().unwrap();
        let aws = FakeAws::default();
        let (code, out, _) = get_at(&aws, &Env::default(), dir.path(), T0, "ghcr.io");
        assert_eq!((code, out.as_str()), (1, "credentials not found in native keychain\n"));
        assert_eq!(aws.calls.get(), 0);
    }
}
