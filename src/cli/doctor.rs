//! `doctor [HOST]`: walks everything a `get` depends on and prints what it found, with a fix for
//! each problem. It never prints a secret: credentials show as their source and access key id,
//! tokens as their expiry.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::auth_token::Freshness;
use crate::aws::{Aws, Principal, block_on};
use crate::aws::{CA_BUNDLE_VARIABLE, ca_bundle};
use crate::cache::Cache;
use crate::client_files;
use crate::clock;
use crate::config::{self, Config};
use crate::env::{Env, HOME_VARIABLE};
use crate::error::EXIT_FAILURE;
use crate::fallback;
use crate::files;
use crate::identity::Identity;
use crate::installs;
use crate::partition::PUBLIC_API_REGION;
use crate::principal::{self, mfa};
use crate::printable::{clip, quote};
use crate::programs;
use crate::registry::{self, Registry};
use crate::serve::{self, DEFAULT_TIMEOUT};
use crate::shared_files;
use crate::world::{Streams, World};

/// Runs doctor for `host` (or the first routed one), prints the findings and returns the exit
/// code: 0 when healthy, 1 when any problem was found.
pub fn report<A: Aws, I, O: Write, E: Write>(
    host: Option<&str>,
    streams: &mut Streams<I, O, E>,
    world: &World<'_, A>,
) -> u8 {
    let findings = run(host, world);
    let _ = streams.stdout.write_all(findings.render().as_bytes());
    if findings.problems.is_empty() {
        return 0;
    }
    streams.say(format!("doctor found {} problem(s)", findings.problems.len()));
    EXIT_FAILURE
}

/// What doctor found: lines to print, and the problems among them.
#[derive(Debug, Default)]
pub struct Findings {
    /// Everything found, in order.
    pub lines: Vec<String>,
    /// Problems, each with its fix.
    pub problems: Vec<String>,
}

impl Findings {
    fn fact(&mut self, label: &str, value: impl Into<String>) {
        self.lines.push(format!("{label:<13} {}", value.into()));
    }

    /// A problem; `fix` is `None` where the message already says what to do.
    fn problem(&mut self, label: &str, what: impl Into<String>, fix: Option<String>) {
        let what = what.into();
        self.lines.push(format!("{label:<13} PROBLEM: {what}"));
        match fix {
            Some(fix) => self.problems.push(format!("{label}: {what}\n  fix: {fix}")),
            None => self.problems.push(format!("{label}: {what}")),
        }
    }

    /// The report as printed: the findings, then a summary of the problems.
    pub fn render(&self) -> String {
        let mut out = self.lines.join("\n");
        if self.problems.is_empty() {
            out.push_str("\n\nno problems found\n");
        } else {
            let _ = write!(out, "\n\n{} problem(s):\n", self.problems.len());
            for problem in &self.problems {
                let _ = writeln!(out, "- {problem}");
            }
        }
        out
    }
}

/// docker's configuration file and its content, when it exists and is JSON.
fn docker_config(env: &Env) -> Option<(PathBuf, Option<serde_json::Value>)> {
    let path = client_files::docker_config_path(env)?;
    let config = std::fs::read_to_string(&path).ok().and_then(|t| serde_json::from_str(&t).ok());
    Some((path, config))
}

/// Picks the host to examine: the argument, else the first ECR host docker routes to us.
fn choose_host(arg: Option<&str>, docker: Option<&serde_json::Value>) -> Option<String> {
    if let Some(host) = arg {
        return Some(host.to_string());
    }
    docker?["credHelpers"]
        .as_object()?
        .iter()
        .find(|(h, v)| v == &installs::HELPER && registry::parse(h).is_ok())
        .map(|(h, _)| h.clone())
}

/// Runs every check for `host` (or the first routed one), in the order of the printed checklist.
/// A check whose failure makes the rest meaningless ends the walk here, where it can be seen.
pub fn run<A: Aws>(host_arg: Option<&str>, world: &World<'_, A>) -> Findings {
    let mut f = Findings::default();
    // Which build this is, first: a bug report starts with it.
    f.fact("version", crate::version::version());
    let env = world.env;
    let docker = docker_config(env);
    let Some(server) = choose_host(host_arg, docker.as_ref().and_then(|(_, c)| c.as_ref())) else {
        f.problem(
            "registry",
            "no host given and docker routes no ECR host to ecr-login",
            Some("run 'docker-credential-ecr-login doctor <account>.dkr.ecr.<region>.amazonaws.com'".into()),
        );
        return f;
    };
    let config = check_config(&mut f, env);
    let Some((registry, region)) = check_registry(&mut f, config.as_ref(), &server, env) else {
        return f;
    };
    let identity = Identity::for_registry(env, config.as_ref(), &registry);
    check_identity(&mut f, &identity, config.is_some(), env);
    check_ca_bundle(&mut f, &identity, env);
    check_login_session(&mut f, &identity, env);
    let timeout = check_timeout(&mut f, env);
    if !check_mfa(&mut f, &identity, registry.host(), world) {
        f.fact("token", "not tried: no MFA session (above)");
        return f;
    }
    let principal = match principal::choose(&registry, &identity, None, world) {
        Ok(principal) => principal,
        Err(e) => {
            f.problem("credentials", e.to_string(), None);
            return f;
        }
    };
    let caller = Caller { host: registry.host(), region: &region, identity: &identity, principal: &principal };
    let have_credentials = check_caller(&mut f, &caller, timeout, world);
    check_endpoint(&mut f, &registry, &identity, world);
    check_cache(&mut f, &identity, world);
    check_docker(&mut f, docker, registry.host());
    if let Some((name, config)) = config.as_ref().and_then(|c| Some((c.fallback.as_deref()?, c))) {
        check_fallback(&mut f, name, config, env);
    }
    check_path(&mut f, env);
    check_kubelet_provider(&mut f, env);
    if !have_credentials {
        f.fact("token", "not tried: no credentials (above)");
        return f;
    }
    check_token(&mut f, &registry, &caller, timeout, world);
    f
}

/// The configuration file: a broken one fails every get, so it is a problem; the rest is
/// examined without it.
fn check_config(f: &mut Findings, env: &Env) -> Option<Config> {
    match Config::load(env) {
        Ok(Some(config)) => {
            f.fact(
                "ecr-login",
                format!(
                    "{} ({} rule(s), {} alias(es))",
                    config.path.display(),
                    config.rule_count(),
                    config.aliases.len()
                ),
            );
            Some(config)
        }
        Ok(None) => {
            let place =
                config::location(env).map_or_else(|| format!("no {HOME_VARIABLE}"), |l| l.path.display().to_string());
            f.fact("ecr-login", format!("{place} (none: no rules, aliases or fallback)"));
            None
        }
        Err(e) => {
            f.problem("ecr-login", e.to_string(), Some("fix the line it names, or move the file away".into()));
            None
        }
    }
}

/// The alias `server` may be, and the registry it names with the region its API is called in.
/// `None` when it is no ECR registry: then the fallback store, if any, is all there is to check.
fn check_registry(f: &mut Findings, config: Option<&Config>, server: &str, env: &Env) -> Option<(Registry, String)> {
    if let Some((alias, config)) = config.and_then(|c| Some((c.alias_for(server)?, c))) {
        f.fact("alias", format!("{} stands for {} ({})", alias.host, alias.registry, config.path.display()));
    }
    let Ok(registry) = config::registry_for(config, server) else {
        match config.and_then(|c| Some((c.fallback.as_deref()?, c))) {
            Some((name, config)) => {
                f.fact("registry", format!("{} is not ECR: the fallback store answers for it", quote(server)));
                check_fallback(f, name, config, env);
            }
            None => f.problem(
                "registry",
                format!("{} is not an Amazon ECR registry host", quote(server)),
                Some("name an ECR host, an alias of one, or set fallback in the configuration".into()),
            ),
        }
        return None;
    };
    let host = registry.host();
    let region = match &registry {
        Registry::Private(r) => {
            f.fact(
                "registry",
                format!("{host}: account {}, region {}, partition {}", r.account, r.region, r.partition),
            );
            r.region.clone()
        }
        Registry::Public(_) => {
            f.fact("registry", format!("{host}: ECR Public, API in {PUBLIC_API_REGION}"));
            PUBLIC_API_REGION.to_string()
        }
    };
    Some((registry, region))
}

/// The rule, the role on top, the shared files and the profile.
fn check_identity(f: &mut Findings, identity: &Identity, has_config: bool, env: &Env) {
    match identity.rule_description() {
        Some(description) => f.fact("rule", description.clone()),
        None if has_config => f.fact("rule", "none matches: the default credential chain"),
        None => {}
    }
    if let Some(role) = identity.rule.as_ref().and_then(|r| r.role.as_ref()) {
        let external = if role.external_id.is_some() { ", with an external id" } else { "" };
        f.fact("role", format!("{} assumed on top (session {}{external})", role.arn, role.session_name));
    }
    for (label, path) in [
        ("config file", shared_files::config_file_path(env)),
        ("credentials", shared_files::credentials_file_path(env)),
    ] {
        match path {
            Some(p) if p.is_file() => f.fact(label, format!("{} (found)", p.display())),
            Some(p) => f.fact(label, format!("{} (none)", p.display())),
            None => f.fact(label, format!("no {HOME_VARIABLE}")),
        }
    }
    let from = if identity.profile_from_env { format!("from {}", identity.profile_origin()) } else { "default".into() };
    if identity.profile_from_env && !identity.profile_defined {
        f.problem(
            "profile",
            format!("{} ({from}) is not in the shared files", quote(&identity.profile)),
            Some(format!(
                "fix AWS_PROFILE, or add the profile with 'aws configure --profile {}'",
                clip(&identity.profile)
            )),
        );
    } else {
        let defined = if identity.profile_defined { "defined" } else { "not in the shared files" };
        f.fact("profile", format!("{} ({from}), {defined}", quote(&identity.profile)));
    }
}

/// The CA bundle every HTTPS call trusts besides the system's CAs (`AWS_CA_BUNDLE`, else the
/// profile's `ca_bundle`): where it is named and how many certificates it holds. One that cannot
/// be used fails every call, so it is a problem; an unknown-issuer failure of a call below names
/// the variable (`aws/classify.rs`).
fn check_ca_bundle(f: &mut Findings, identity: &Identity, env: &Env) {
    match ca_bundle(env, &identity.profile) {
        Ok(Some(bundle)) => f.fact(
            "ca bundle",
            format!(
                "{} (from {}): {} certificate(s), trusted besides the system's",
                bundle.path.display(),
                bundle.origin,
                bundle.certificates
            ),
        ),
        Ok(None) => f.fact(
            "ca bundle",
            format!("none ({CA_BUNDLE_VARIABLE} and the profile's ca_bundle are unset): the system's CAs only"),
        ),
        Err(e) => f.problem("ca bundle", e.to_string(), None),
    }
}

/// An `aws login` profile: the session and the file its credentials are in. Without the file no
/// get can sign (the credentials line below says so too); whether the credentials in it are
/// current or refreshable is the SDK's to find out, on the credentials line.
fn check_login_session(f: &mut Findings, identity: &Identity, env: &Env) {
    let Some(arn) = identity.login_session.as_deref() else { return };
    let Some(file) = shared_files::login_cache_file(env, arn) else {
        f.problem("login", format!("{}: no {HOME_VARIABLE} to find its login cache in", quote(arn)), None);
        return;
    };
    if file.is_file() {
        f.fact("login", format!("{} (aws login session, cached in {})", quote(arn), file.display()));
    } else {
        f.problem(
            "login",
            format!("{}: no aws login session cached in {}", quote(arn), file.display()),
            Some(format!("run 'aws login --profile {}'", clip(&identity.profile))),
        );
    }
}

/// A malformed deadline makes every get fail: say so, and go on with the default to check the rest.
fn check_timeout(f: &mut Findings, env: &Env) -> Duration {
    serve::fetch_timeout(env).unwrap_or_else(|e| {
        f.problem(
            "timeout",
            e.to_string(),
            Some(format!(
                "set ECR_LOGIN_TIMEOUT to a number of seconds, or unset it for the default of {}s",
                DEFAULT_TIMEOUT.as_secs()
            )),
        );
        DEFAULT_TIMEOUT
    })
}

/// An MFA profile's session: doctor never asks for a code, it says how to start one. False when
/// the profile needs a session it does not have, so nothing can be signed.
fn check_mfa<A: Aws>(f: &mut Findings, identity: &Identity, host: &str, world: &World<'_, A>) -> bool {
    let Some(settings) = principal::mfa_settings(identity, world.env) else {
        return true;
    };
    let serial = settings.mfa_serial.as_deref().unwrap_or_default();
    let now = (world.now)();
    match mfa::cached_expiry(world, &identity.profile, &settings) {
        Some(expiry) if expiry > now + mfa::SESSION_MARGIN_SECS => {
            f.fact("mfa", format!("{serial}: session valid until {}", clock::format_utc(expiry)));
            true
        }
        other => {
            let state = other.map_or_else(
                || "no session".to_string(),
                |e| format!("the session expired (or is about to) at {}", clock::format_utc(e)),
            );
            f.problem(
                "mfa",
                format!("{serial}: {state}; a get without a terminal cannot ask for the code"),
                Some(format!("run 'docker-credential-ecr-login login {host}' in a terminal")),
            );
            false
        }
    }
}

/// Who signs, for the checks that call AWS.
struct Caller<'a> {
    host: &'a str,
    region: &'a str,
    identity: &'a Identity,
    principal: &'a Principal,
}

/// Who the caller is: the credentials' source and key id, and STS's answer. True when there are
/// credentials to fetch a token with.
fn check_caller<A: Aws>(f: &mut Findings, caller: &Caller<'_>, timeout: Duration, world: &World<'_, A>) -> bool {
    let Caller { host, region, identity, principal } = caller;
    match block_on(world.aws.describe_caller(host, region, identity, principal, timeout)) {
        Ok(Ok(caller)) => {
            f.fact("credentials", format!("from {} (access key id {})", caller.source, caller.access_key_id));
            match caller.arn {
                Ok(arn) => f.fact("identity", arn),
                Err(e) => f.problem("identity", format!("STS GetCallerIdentity failed: {e}"), None),
            }
            true
        }
        Ok(Err(e)) => {
            f.problem("credentials", e.to_string(), None);
            false
        }
        Err(e) => {
            f.problem("runtime", e.to_string(), None);
            false
        }
    }
}

/// The endpoint the ECR call goes to, and where it came from.
fn check_endpoint<A: Aws>(f: &mut Findings, registry: &Registry, identity: &Identity, world: &World<'_, A>) {
    let endpoint_var = ["AWS_ENDPOINT_URL_ECR", "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|v| world.env.get(v).map(|u| format!("{u} (from {v})")));
    if let Registry::Private(r) = registry {
        let honour_host_flags = !identity.endpoint_configured;
        if let Ok(url) = block_on(world.aws.resolved_endpoint(r, endpoint_var.as_deref(), honour_host_flags)) {
            f.fact("endpoint", format!("{url} (region {} from the host)", r.region));
            return;
        }
    }
    f.fact("endpoint", endpoint_var.unwrap_or_else(|| format!("ecr-public in {PUBLIC_API_REGION}")));
}

/// The cache: its directory trusted and writable, and this identity's entries with their state.
fn check_cache<A: Aws>(f: &mut Findings, identity: &Identity, world: &World<'_, A>) {
    let base = match (world.env.get("AWS_ECR_DISABLE_CACHE"), world.cache_dir.as_deref()) {
        (Some(_), _) => {
            f.fact("cache", "disabled by AWS_ECR_DISABLE_CACHE: every get calls AWS");
            return;
        }
        (None, None) => {
            f.problem(
                "cache",
                format!("no cache directory (no {HOME_VARIABLE})"),
                Some("set AWS_ECR_CACHE_DIR".into()),
            );
            return;
        }
        (None, Some(base)) => base,
    };
    let cache = Cache::new(base, &identity.fingerprint);
    if let Err(e) = cache
        .check_trusted()
        .map_err(|u| u.to_string())
        .and_then(|()| cache.check_writable().map_err(|e| format!("cannot write to {}: {e}", cache.dir().display())))
    {
        let fix = format!("make {} writable, or set AWS_ECR_CACHE_DIR to a directory you own", base.display());
        f.problem("cache", e, Some(fix));
        return;
    }
    let now = (world.now)();
    let entries = cache.entries();
    f.fact(
        "cache",
        format!(
            "{} (writable, {}), {} entries for this identity",
            cache.dir().display(),
            files::PRIVATE,
            entries.len()
        ),
    );
    for entry in entries {
        let state = match entry.token.freshness(now) {
            Freshness::Fresh => "fresh",
            Freshness::DueForRefresh => "due for refresh",
            Freshness::Unusable => "expired",
        };
        f.fact("", format!("{}: {state}, expires {}", entry.host, clock::format_utc(entry.token.expires_at)));
    }
}

/// Does docker route the host here?
fn check_docker(f: &mut Findings, docker: Option<(PathBuf, Option<serde_json::Value>)>, host: &str) {
    let Some((path, config)) = docker else {
        f.problem(
            "docker",
            format!("no docker configuration (no {HOME_VARIABLE} or DOCKER_CONFIG)"),
            Some(format!("set {HOME_VARIABLE}")),
        );
        return;
    };
    let helper = config.as_ref().and_then(|c| c["credHelpers"][host].as_str().or_else(|| c["credsStore"].as_str()));
    match helper {
        Some(installs::HELPER) => f.fact("docker", format!("{} routes {host} to ecr-login", path.display())),
        other => f.problem(
            "docker",
            match other {
                Some(h) => format!("{} routes {host} to docker-credential-{h}", path.display()),
                None => format!("{} does not route {host} to ecr-login", path.display()),
            },
            Some(format!("docker-credential-ecr-login configure docker --registry {host}")),
        ),
    }
}

/// Which `docker-credential-ecr-login` docker runs: every one on PATH in order, each with where it
/// really is and what it says it is; the first one is docker's. A shadowed or stale install is
/// the problem desktop installers cause, and its fix names the directories to reorder.
fn check_path(f: &mut Findings, env: &Env) {
    let (found, skipped) = installs::on_path(env, installs::BINARY);
    if env.get(installs::PROBE_VARIABLE).is_some() {
        // Started by another doctor's version question: asking again could go on for ever.
        f.fact("PATH", format!("{} found; not asked what they are (doctor runs inside a probe)", found.len()));
        return;
    }
    let Some(first) = found.first() else {
        let why = skipped.first().map(|s| format!(" ({} is {})", s.path.display(), s.why)).unwrap_or_default();
        f.problem(
            "PATH",
            format!("{} is not on PATH, so docker cannot run it{why}", installs::BINARY),
            Some("install it into a directory on PATH".into()),
        );
        return;
    };
    let kinds = identify_each(&found, env);
    f.fact("PATH", format!("{} {} on PATH; docker runs the first", found.len(), installs::BINARY));
    for (n, (entry, kind)) in found.iter().zip(&kinds).enumerate() {
        f.fact("", format!("{}. {}: {}", n + 1, shown(entry), describe(kind)));
    }
    for s in &skipped {
        f.fact("", format!("skipped {}: {}", s.path.display(), s.why));
    }
    if is_current(&kinds[0]) {
        return;
    }
    let dir_of = |entry: &installs::Found| entry.path.parent().map_or_else(String::new, |d| d.display().to_string());
    let in_path = programs::PATH_TO_EDIT;
    let fix = match found.iter().zip(&kinds).find(|(_, kind)| is_current(kind)) {
        Some((good, _)) => {
            format!("put {} ahead of {} in {in_path}, or remove {}", dir_of(good), dir_of(first), first.path.display())
        }
        None => format!(
            "install ecr-login {} into a directory ahead of {} in {in_path}, or replace {}",
            ours().version,
            dir_of(first),
            first.target.as_ref().unwrap_or(&first.path).display()
        ),
    };
    // A desktop product puts its copy back on update: say whose it is, so the fix is the PATH.
    let whose = installs::bundled_by(first).map(|name| format!(" ({name}'s bundled copy)")).unwrap_or_default();
    f.problem("PATH", format!("docker runs {}{whose}, {}", first.path.display(), describe(&kinds[0])), Some(fix));
}

/// What each program found is, asked once per real file (`/bin` and `/usr/bin` are often one).
fn identify_each(found: &[installs::Found], env: &Env) -> Vec<installs::Kind> {
    let mut asked: Vec<(&PathBuf, installs::Kind)> = Vec::new();
    for entry in found {
        let real = entry.target.as_ref().unwrap_or(&entry.path);
        if !asked.iter().any(|(p, _)| *p == real) {
            asked.push((real, installs::identify(real, env)));
        }
    }
    found
        .iter()
        .filter_map(|e| asked.iter().find(|(p, _)| *p == e.target.as_ref().unwrap_or(&e.path)))
        .map(|(_, kind)| kind.clone())
        .collect()
}

/// The kubelet never looks at PATH: where its provider is, and what that is.
fn check_kubelet_provider(f: &mut Findings, env: &Env) {
    let name = installs::PROVIDER_NAME;
    f.fact(
        "kubelet",
        format!("does not use PATH: it runs the provider its configuration names ({name}) from --image-credential-provider-bin-dir"),
    );
    if env.get(installs::PROBE_VARIABLE).is_some() {
        return;
    }
    for dir in installs::KUBELET_BIN_DIRS {
        let path = Path::new(dir).join(name);
        if path.is_file() {
            let entry = installs::Found { target: programs::real_path(&path).filter(|t| *t != path), path };
            let kind = installs::identify_provider(&entry.path, env);
            f.fact("", format!("{}: {}", shown(&entry), describe(&kind)));
        }
    }
}

/// An entry as found, with where a link leads.
fn shown(entry: &installs::Found) -> String {
    match &entry.target {
        Some(target) => format!("{} -> {}", entry.path.display(), target.display()),
        None => entry.path.display().to_string(),
    }
}

/// This doctor's own version and commit.
fn ours() -> installs::Build {
    installs::parse_our_line(&crate::version::version_line()).unwrap_or_default()
}

/// ecr-login at least as new as this doctor (or of a version that does not compare).
fn is_current(kind: &installs::Kind) -> bool {
    match kind {
        installs::Kind::EcrLogin { version, .. } => {
            installs::compare_versions(version, &ours().version) != Some(std::cmp::Ordering::Less)
        }
        _ => false,
    }
}

/// What a program is, for a report line.
fn describe(kind: &installs::Kind) -> String {
    use std::cmp::Ordering;
    match kind {
        installs::Kind::EcrLogin { version, commit } => {
            let installs::Build { version: our_version, commit: our_commit } = ours();
            let age = match installs::compare_versions(version, &our_version) {
                Some(Ordering::Less) => format!(", older than this doctor ({our_version})"),
                Some(Ordering::Greater) => format!(", newer than this doctor ({our_version})"),
                Some(Ordering::Equal) if *commit == our_commit => ", the same build as this doctor".to_string(),
                Some(Ordering::Equal) => ", this doctor's version from another commit".to_string(),
                None => String::new(),
            };
            format!("ecr-login {version} (commit {commit}){age}")
        }
        installs::Kind::GoHelper { version } => format!("not ecr-login: AWS's Go helper {version}"),
        installs::Kind::AwsProvider { version } => format!("not ecr-login: cloud-provider-aws's plugin {version}"),
        installs::Kind::Other { said } => format!("not ecr-login: it {said}"),
    }
}

/// Can a token be had now? Fetched fresh, not from the cache, and not printed.
fn check_token<A: Aws>(
    f: &mut Findings,
    registry: &Registry,
    caller: &Caller<'_>,
    timeout: Duration,
    world: &World<'_, A>,
) {
    let started = Instant::now();
    match serve::fetch(registry, caller.identity, caller.principal, (started + timeout, timeout), world) {
        Ok(t) => f.fact(
            "token",
            format!(
                "ECR issued one in {} ms, expiring {}",
                started.elapsed().as_millis(),
                clock::format_utc(t.expires_at)
            ),
        ),
        Err(e) => f.problem("token", e.to_string(), None),
    }
}

/// The fallback store: named, and found on PATH or not.
fn check_fallback(f: &mut Findings, name: &str, config: &Config, env: &Env) {
    let program = format!("{}{name}", fallback::PROGRAM_PREFIX);
    match programs::find_on_path(env, &program) {
        Some(path) => f.fact("fallback", format!("{program} answers every other host ({})", path.display())),
        None => f.problem(
            "fallback",
            format!("{program} (fallback in {}) is not on PATH", config.path.display()),
            Some(format!("install {program}, or change fallback")),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Env;
    use crate::fake::{FakeAws, HOST};

    const NOW: u64 = 1_800_000_000;

    /// A home whose docker config routes HOST here and whose PATH holds the binary.
    fn healthy_env(dir: &std::path::Path) -> Env {
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        // It answers `version` as this build does, so docker runs a current ecr-login: a shell
        // script on Unix, a batch file on Windows (found through PATHEXT, run by cmd).
        #[cfg(unix)]
        {
            let binary = bin.join(installs::BINARY);
            std::fs::write(&binary, format!("#!/bin/sh\necho '{}'\n", crate::version::version_line())).unwrap();
            std::fs::set_permissions(&binary, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        }
        #[cfg(windows)]
        std::fs::write(
            bin.join(format!("{}.cmd", installs::BINARY)),
            format!("@echo {}\r\n", crate::version::version_line()),
        )
        .unwrap();
        std::fs::create_dir_all(dir.join("home/.docker")).unwrap();
        std::fs::write(
            dir.join("home/.docker/config.json"),
            format!("{{\"credHelpers\":{{\"{HOST}\":\"ecr-login\"}}}}"),
        )
        .unwrap();
        [
            (crate::env::HOME_VARIABLE, dir.join("home").to_str().unwrap()),
            ("PATH", bin.to_str().unwrap()),
            ("AWS_ACCESS_KEY_ID", "AKIDFAKE"),
        ]
        .into_iter()
        .collect()
    }

    fn doctor(aws: &FakeAws, env: &Env, cache: &std::path::Path, host: Option<&str>) -> Findings {
        let clock = || NOW;
        let world =
            World { env, cache_dir: Some(cache.to_path_buf()), now: &clock, aws, trace: crate::trace::Trace::off() };
        run(host, &world)
    }

    fn line<'a>(findings: &'a Findings, label: &str) -> &'a str {
        findings.lines.iter().find(|l| l.starts_with(label)).map_or("", String::as_str)
    }

    #[test]
    fn a_healthy_setup_has_no_problem_and_names_caller_endpoint_cache_and_token() {
        let dir = tempfile::tempdir().unwrap();
        let env = healthy_env(dir.path());
        let aws = FakeAws::default().with_caller("arn:aws:iam::123456789012:user/ci");
        aws.token("fake-registry-password", NOW + 12 * 3600);
        let findings = doctor(&aws, &env, &dir.path().join("cache"), None);
        assert!(findings.problems.is_empty(), "{:?}", findings.lines);
        assert!(line(&findings, "identity").ends_with("arn:aws:iam::123456789012:user/ci"));
        assert!(line(&findings, "endpoint").contains("https://api.ecr.us-east-1.amazonaws.com (region us-east-1"));
        assert!(line(&findings, "cache").contains(&format!("writable, {}", files::PRIVATE)), "{:?}", findings.lines);
        assert!(line(&findings, "token").contains("ECR issued one"), "{:?}", findings.lines);
        assert!(!findings.render().contains("fake-registry-password"), "a password was printed");
        assert_eq!(aws.calls.get(), 1);
    }

    #[test]
    fn without_credentials_the_token_is_not_tried() {
        let dir = tempfile::tempdir().unwrap();
        let env = healthy_env(dir.path());
        let aws = FakeAws::default();
        let findings = doctor(&aws, &env, &dir.path().join("cache"), Some(HOST));
        assert!(findings.problems.iter().any(|p| p.starts_with("credentials: no AWS credentials")), "{findings:?}");
        assert_eq!(line(&findings, "token"), "token         not tried: no credentials (above)");
        assert_eq!(aws.calls.get(), 0);
    }

    #[test]
    fn a_token_that_cannot_be_had_is_a_problem_with_the_cause() {
        let dir = tempfile::tempdir().unwrap();
        let env = healthy_env(dir.path());
        let aws = FakeAws::default().with_caller("arn:aws:iam::123456789012:user/ci");
        aws.error();
        let findings = doctor(&aws, &env, &dir.path().join("cache"), Some(HOST));
        assert!(findings.problems.iter().any(|p| p.starts_with("token: ECR throttled")), "{findings:?}");
    }

    #[test]
    fn the_ca_bundle_line_names_the_file_and_its_certificates_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let mut env = healthy_env(dir.path());
        let aws = FakeAws::default().with_caller("arn:aws:iam::123456789012:user/ci");
        aws.token("fake-registry-password", NOW + 12 * 3600);
        let findings = doctor(&aws, &env, &dir.path().join("cache"), Some(HOST));
        assert!(line(&findings, "ca bundle").contains("none (AWS_CA_BUNDLE and the profile's ca_bundle are unset)"));

        let missing = dir.path().join("corporate.pem");
        env.set("AWS_CA_BUNDLE", missing.to_str().unwrap());
        let findings = doctor(&aws, &env, &dir.path().join("cache"), Some(HOST));
        let expected =
            format!("ca bundle: cannot set up the AWS client: the CA bundle {} (AWS_CA_BUNDLE)", missing.display());
        assert!(findings.problems.iter().any(|p| p.starts_with(&expected)), "{findings:?}");
    }

    #[test]
    fn a_host_that_is_not_ecr_stops_after_the_configuration_line() {
        let dir = tempfile::tempdir().unwrap();
        let aws = FakeAws::default();
        let findings = doctor(&aws, &healthy_env(dir.path()), dir.path(), Some("ghcr.io"));
        assert_eq!(findings.lines.len(), 3, "{findings:?}");
        assert!(findings.lines[0].starts_with("version") && findings.lines[0].contains("(commit "), "{findings:?}");
        assert!(findings.lines[1].starts_with("ecr-login") && findings.lines[1].contains("(none"), "{findings:?}");
        assert!(findings.problems[0].contains("\"ghcr.io\" is not an Amazon ECR registry host"), "{findings:?}");
    }
}
