//! The cheap identity fingerprint: everything that decides which AWS principal a token request runs
//! as, read without resolving credentials (no STS, SSO, IMDS or `credential_process`).
//!
//! Two requests with the same fingerprint are made by the same principal, so a cached token may be
//! shared between them. The inputs are the environment variables that select or carry an identity
//! or an endpoint, and the content of the selected profile's sections in the shared config and
//! credentials files, following `source_profile`, `sso_session` and `services` references. Temporary
//! credentials (SSO, assumed roles) therefore keep one fingerprint across their renewals, and a
//! change of profile, key, role or endpoint gives another one.
//!
//! Secret values (`AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) are not read: the access key id
//! beside them already tells one key from another.

use std::fmt;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::config::{Config, Rule};
use crate::env::Env;
use crate::error::Error;
use crate::registry::Registry;
use crate::secret::Secret;
use crate::shared_files::{Section, SharedFile, config_file_path, credentials_file_path, value};

/// Environment variables that decide who the caller is, or where the request goes.
const IDENTITY_VARIABLES: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_ECR",
    "AWS_ENDPOINT_URL_ECR_PUBLIC",
    "AWS_ENDPOINT_URL_STS",
    // A login session's credentials come from this directory's file, refreshed through Sign-In.
    "AWS_LOGIN_CACHE_DIRECTORY",
    "AWS_ENDPOINT_URL_SIGNIN",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
];

/// Environment variables that point the ECR client at an explicit endpoint.
const ENDPOINT_VARIABLES: &[&str] = &["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR", "AWS_ENDPOINT_URL_ECR_PUBLIC"];

/// A chain of `source_profile` references longer than this is a loop or a mistake.
const MAX_PROFILE_DEPTH: usize = 8;

/// Bytes of the SHA-256 digest kept in the fingerprint (hex-encoded, twice as many characters).
const FINGERPRINT_BYTES: usize = 16;

/// A short hex digest naming one identity; used as a cache directory name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The digest as lower-case hex.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the environment and the shared files say about the caller, read cheaply.
// Four independent facts, each read by a different check: not a state machine.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone)]
pub struct Identity {
    /// The fingerprint of all identity inputs.
    pub fingerprint: Fingerprint,
    /// The selected profile name (`AWS_PROFILE`, else `default`).
    pub profile: String,
    /// Whether `AWS_PROFILE` chose the profile, rather than the default.
    pub profile_from_env: bool,
    /// Whether the selected profile has a section in either shared file.
    pub profile_defined: bool,
    /// Whether an endpoint was configured explicitly, in the environment or in the profile.
    pub endpoint_configured: bool,
    /// The region the environment or the profile configures, if any.
    pub configured_region: Option<String>,
    /// The first profile of the chain whose section (or the services section it names) sets
    /// `endpoint_url` to nothing. The AWS SDK for Rust panics building a client on an empty URL
    /// (where the AWS CLI reads it as unset), also inside its own role provider and even with
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`, so no AWS call may start: [`Identity::check_endpoints`].
    pub empty_endpoint_in: Option<String>,

    /// Whether the profile is an SSO profile (`sso_session` or `sso_start_url`).
    pub sso: bool,
    /// The profile's `login_session` (an `aws login` console session's ARN), unless the profile
    /// assumes a role: its credentials come from the AWS CLI's login cache. The ARN is part of the
    /// fingerprint through the profile's section; the cache file, which each refresh rewrites, is
    /// not read here.
    pub login_session: Option<String>,
    /// The configuration rule that selected this identity, if any.
    pub rule: Option<Rule>,
    /// The configuration file the rule is in, to describe it.
    pub config_path: Option<PathBuf>,
    /// The profiles whose sections went into the fingerprint: the selected one, then each
    /// `source_profile` it leads to.
    pub chain: Vec<String>,
    /// The variables a rule's profile took back into the fingerprint because a section's
    /// `credential_source` reads them (see `hash_source_variables`).
    pub sourced: Vec<&'static str>,
}

/// Environment variables that carry credentials, which a rule's profile overrides.
const CREDENTIAL_VARIABLES: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
];

/// Whether the variable `name` is left out of the fingerprint because a rule's profile is in use
/// (`rule_profile`), which must win over credentials and a profile chosen in the environment.
fn overridden_by_rule(name: &str, rule_profile: bool) -> bool {
    rule_profile && (CREDENTIAL_VARIABLES.contains(&name) || name == "AWS_PROFILE" || name == "AWS_DEFAULT_PROFILE")
}

/// Whether a profile's section, or the `services` section it names, sets `endpoint_url` to nothing.
fn sets_empty_endpoint(config: &SharedFile, section: Option<&Section>) -> bool {
    if value(section, "endpoint_url") == Some("") {
        return true;
    }
    let Some(services) = value(section, "services") else { return false };
    let empty_in = |block: &str| {
        block.lines().any(|line| {
            line.split_once('=')
                .is_some_and(|(k, v)| k.trim().eq_ignore_ascii_case("endpoint_url") && v.trim().is_empty())
        })
    };
    config.section(&format!("services {services}")).is_some_and(|s| s.iter().any(|(_, block)| empty_in(block)))
}

/// A profile's `login_session`, as the SDK uses it: with `role_arn` the SDK assumes the role with
/// its source profile's credentials and ignores the profile's own session.
fn login_session_of(config_section: Option<&Section>, credentials_section: Option<&Section>) -> Option<String> {
    value(config_section, "login_session")
        .or_else(|| value(credentials_section, "login_session"))
        .filter(|_| value(config_section, "role_arn").is_none())
        .map(str::to_string)
}

/// The first 16 bytes of a SHA-256 digest as hex: the fingerprint's form.
fn fingerprint_of(hasher: Sha256) -> Fingerprint {
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(2 * FINGERPRINT_BYTES);
    for byte in &digest[..FINGERPRINT_BYTES] {
        let _ = write!(hex, "{byte:02x}");
    }
    Fingerprint(hex)
}

/// A role to assume with a Kubernetes service account's token (kubelet provider mode).
#[derive(Debug, Clone)]
pub struct WebIdentity {
    /// The role: the service account's annotation, else `AWS_ECR_ROLE_ARN` (see `cli::kubelet`).
    pub role_arn: String,
    /// The service account token the kubelet passed.
    pub token: Secret<String>,
}

impl Identity {
    /// The same caller acting as `role_arn`: another fingerprint, so that tokens are cached per
    /// role and never shared between roles. The rotating service account token is not part of it.
    pub fn for_role(&self, role_arn: &str) -> Identity {
        let mut hasher = Sha256::new();
        hasher.update(format!("ecr-login identity v1\nbase {}\nrole {role_arn}\n", self.fingerprint));
        Identity { fingerprint: fingerprint_of(hasher), ..self.clone() }
    }

    /// The identity a configuration rule gives (or the caller's own when no rule matched). A
    /// rule's profile is used as if `AWS_PROFILE` named it with no credentials in the environment,
    /// since the rule must win over them; the rule itself is hashed in, so that two rules never
    /// share a token. Still no credentials are resolved.
    pub fn load_for(env: &Env, rule: Option<Rule>, config_path: Option<&Path>) -> Identity {
        let Some(rule) = rule else { return Identity::load(env) };
        let mut identity = Identity::read(env, rule.profile.as_deref());
        let mut hasher = Sha256::new();
        hasher.update(format!("ecr-login identity v1\nbase {}\n{}", identity.fingerprint, rule.fingerprint_input()));
        identity.fingerprint = fingerprint_of(hasher);
        identity.rule = Some(rule);
        identity.config_path = config_path.map(Path::to_path_buf);
        identity
    }

    /// The identity that serves `registry`: the first rule of `config` that selects it, else the
    /// caller's own.
    pub fn for_registry(env: &Env, config: Option<&Config>, registry: &Registry) -> Identity {
        let rule = config.and_then(|c| c.rule_for(registry));
        Identity::load_for(env, rule, config.map(|c| c.path.as_path()))
    }

    /// The rule that selected this identity, described for messages and doctor.
    pub fn rule_description(&self) -> Option<String> {
        let rule = self.rule.as_ref()?;
        Some(self.config_path.as_deref().map_or_else(|| "a configuration rule".to_string(), |p| rule.describe(p)))
    }

    /// What chose the profile, for messages: a configuration rule, else `AWS_PROFILE`.
    pub fn profile_origin(&self) -> String {
        match self.rule.as_ref().filter(|r| r.profile.is_some()) {
            Some(_) => self.rule_description().unwrap_or_default(),
            None => "AWS_PROFILE".to_string(),
        }
    }

    /// Reads the environment and the shared files and fingerprints them.
    pub fn load(env: &Env) -> Identity {
        Identity::read(env, None)
    }

    /// [`Identity::load`], or with `profile_override` (a rule's profile) the identity of that
    /// profile as if `AWS_PROFILE` named it and no credentials were in the environment: the
    /// variables that carry credentials or choose a profile are left out of the fingerprint,
    /// without copying the environment (this runs on every cache hit).
    fn read(env: &Env, profile_override: Option<&str>) -> Identity {
        let config_path = config_file_path(env);
        let credentials_path = credentials_file_path(env);
        let config = config_path.as_deref().map(SharedFile::read).unwrap_or_default();
        let credentials = credentials_path.as_deref().map(SharedFile::read).unwrap_or_default();

        let profile_from_env = profile_override.is_some() || env.get("AWS_PROFILE").is_some();
        let profile = profile_override.or_else(|| env.get("AWS_PROFILE")).unwrap_or("default").to_string();

        let mut hasher = environment_hasher(env, profile_override);

        // Walk the profile and everything it refers to, hashing each section once.
        let mut seen = Vec::new();
        let mut sourced = Vec::new();
        let mut next = Some(profile.clone());
        let mut profile_defined = false;
        let mut endpoint_in_profile = false;
        let mut empty_endpoint_in = None;
        let mut configured_region = None;
        let (mut sso, mut login_session) = (false, None);
        for depth in 0..MAX_PROFILE_DEPTH {
            let Some(name) = next.take() else { break };
            if seen.contains(&name) {
                break;
            }
            let config_section_name = if name == "default" { "default".to_string() } else { format!("profile {name}") };
            let config_section =
                config.section(&config_section_name).or_else(|| config.section(&format!("profile {name}")));
            let credentials_section = credentials.section(&name);
            if depth == 0 {
                profile_defined = config_section.is_some() || credentials_section.is_some();
                endpoint_in_profile =
                    value(config_section, "endpoint_url").is_some() || value(config_section, "services").is_some();
                configured_region = value(config_section, "region").map(str::to_string);
                sso =
                    value(config_section, "sso_session").is_some() || value(config_section, "sso_start_url").is_some();
                login_session = login_session_of(config_section, credentials_section);
            }
            if empty_endpoint_in.is_none() && sets_empty_endpoint(&config, config_section) {
                empty_endpoint_in = Some(name.clone());
            }
            hash_section(&mut hasher, "config", &config_section_name, config_section);
            hash_section(&mut hasher, "credentials", &name, credentials_section);
            for (key, header) in [("sso_session", "sso-session"), ("services", "services")] {
                if let Some(target) = value(config_section, key) {
                    let header = format!("{header} {target}");
                    hash_section(&mut hasher, "config", &header, config.section(&header));
                }
            }
            let source = value(config_section, "credential_source");
            sourced.extend(hash_source_variables(&mut hasher, env, profile_override, source));
            next = value(config_section, "source_profile")
                .or_else(|| value(credentials_section, "source_profile"))
                .map(str::to_string);
            seen.push(name);
        }

        let fingerprint = fingerprint_of(hasher);
        let ignore_endpoints = env.is_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
        let endpoint_configured =
            !ignore_endpoints && (ENDPOINT_VARIABLES.iter().any(|v| env.get(v).is_some()) || endpoint_in_profile);
        Identity {
            fingerprint,
            profile,
            profile_from_env,
            profile_defined,
            endpoint_configured,
            configured_region: env
                .get("AWS_REGION")
                .or_else(|| env.get("AWS_DEFAULT_REGION"))
                .map(str::to_string)
                .or(configured_region),
            sso,
            login_session,
            empty_endpoint_in,
            rule: None,
            config_path: None,
            chain: seen,
            sourced,
        }
    }

    /// What the fingerprint was made of, by name only (never a value), for the `ECR_LOGIN_DEBUG`
    /// trace: the variables set, the profile chain, and the rule.
    pub fn fingerprint_inputs(&self, env: &Env) -> String {
        let rule_profile = self.rule.as_ref().is_some_and(|r| r.profile.is_some());
        let variables: Vec<&str> = IDENTITY_VARIABLES
            .iter()
            .copied()
            .filter(|name| env.get(name).is_some())
            .filter(|name| !overridden_by_rule(name, rule_profile) || self.sourced.contains(name))
            .collect();
        let variables = if variables.is_empty() { "none".to_string() } else { variables.join(", ") };
        let rule = self.rule_description().map_or_else(String::new, |r| format!("; {r}"));
        format!("variables {variables}; profiles {}{rule}", self.chain.join(" -> "))
    }

    /// Refuses, before any AWS call, a profile chain with an empty `endpoint_url` (see
    /// [`Identity::empty_endpoint_in`]); empty `AWS_ENDPOINT_URL*` variables are unset by `main`.
    pub fn check_endpoints(&self, registry: &str) -> Result<(), Error> {
        match &self.empty_endpoint_in {
            Some(profile) => Err(Error::EmptyEndpoint { registry: registry.to_string(), profile: profile.clone() }),
            None => Ok(()),
        }
    }
}

/// A fingerprint's hasher that has taken the identity variables of the environment, with those
/// a rule's profile (`profile_override`) overrides left out and the profile it names put in.
fn environment_hasher(env: &Env, profile_override: Option<&str>) -> Sha256 {
    let mut hasher = Sha256::new();
    hasher.update(b"ecr-login identity v1\n");
    if let Some(profile) = profile_override {
        hasher.update(format!("env AWS_PROFILE={profile}\n"));
    }
    for name in IDENTITY_VARIABLES {
        if let (Some(v), false) = (env.get(name), overridden_by_rule(name, profile_override.is_some())) {
            hasher.update(format!("env {name}={v}\n"));
        }
    }
    hasher
}

/// The environment variables a profile's `credential_source` reads its keys from (the metadata
/// service's are never left out of the fingerprint).
fn source_variables(credential_source: &str) -> &'static [&'static str] {
    match credential_source {
        "Environment" => &["AWS_ACCESS_KEY_ID"],
        "EcsContainer" => &["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"],
        _ => &[],
    }
}

/// Puts back the variables that a rule's profile (`profile_override`) left out of the fingerprint
/// (the environment's credentials, which the rule must win over) where a section of the profile's
/// chain takes its keys from them (`credential_source`): without them, two callers with different
/// keys would share one token.
/// Returns the names of the variables it hashed.
fn hash_source_variables(
    hasher: &mut Sha256,
    env: &Env,
    profile_override: Option<&str>,
    source: Option<&str>,
) -> Vec<&'static str> {
    let Some(source) = source.filter(|_| profile_override.is_some()) else { return Vec::new() };
    let mut hashed = Vec::new();
    for name in source_variables(source) {
        if let Some(v) = env.get(name) {
            hasher.update(format!("source {name}={v}\n"));
            hashed.push(*name);
        }
    }
    hashed
}

fn hash_section(hasher: &mut Sha256, file: &str, name: &str, section: Option<&Section>) {
    let Some(section) = section else { return };
    hasher.update(format!("[{file}:{name}]\n"));
    for (k, v) in section {
        hasher.update(format!("{k}={v}\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Home {
        dir: tempfile::TempDir,
    }

    impl Home {
        fn new(config: &str, credentials: &str) -> Home {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir(dir.path().join(".aws")).unwrap();
            std::fs::write(dir.path().join(".aws/config"), config).unwrap();
            std::fs::write(dir.path().join(".aws/credentials"), credentials).unwrap();
            Home { dir }
        }

        fn identity(&self, vars: &[(&str, &str)]) -> Identity {
            let mut env: Env = vars.iter().copied().collect();
            env.set("HOME", self.dir.path().to_str().unwrap());
            Identity::load(&env)
        }
    }

    const CONFIG: &str = "\
[default]
region = eu-west-1

[profile dev]
role_arn = arn:aws:iam::111111111111:role/dev
source_profile = base

[profile base]
region = us-east-1

[profile sso]
sso_session = corp
sso_account_id = 222222222222
sso_role_name = Admin

[sso-session corp]
sso_start_url = https://corp.example/start
sso_region = us-east-1

[profile unrelated]
region = ap-south-1
";

    const CREDENTIALS: &str = "\
[base]
aws_access_key_id = AKIABASE
aws_secret_access_key = base-secret

[default]
aws_access_key_id = AKIADEFAULT
aws_secret_access_key = default-secret
";

    #[test]
    fn the_same_inputs_give_the_same_fingerprint() {
        let home = Home::new(CONFIG, CREDENTIALS);
        assert_eq!(home.identity(&[]).fingerprint, home.identity(&[]).fingerprint);
        assert_eq!(home.identity(&[]).fingerprint.as_str().len(), 2 * FINGERPRINT_BYTES);
    }

    #[test]
    fn another_profile_gives_another_fingerprint() {
        let home = Home::new(CONFIG, CREDENTIALS);
        let default = home.identity(&[]).fingerprint;
        let dev = home.identity(&[("AWS_PROFILE", "dev")]).fingerprint;
        let sso = home.identity(&[("AWS_PROFILE", "sso")]).fingerprint;
        assert_ne!(default, dev);
        assert_ne!(dev, sso);
        assert_ne!(default, sso);
    }

    #[test]
    fn another_access_key_or_role_gives_another_fingerprint() {
        let home = Home::new("", "");
        let a = home.identity(&[("AWS_ACCESS_KEY_ID", "AKIAA")]).fingerprint;
        let b = home.identity(&[("AWS_ACCESS_KEY_ID", "AKIAB")]).fingerprint;
        let role = home.identity(&[("AWS_ROLE_ARN", "arn:aws:iam::1:role/x")]).fingerprint;
        let endpoint = home.identity(&[("AWS_ENDPOINT_URL_ECR", "http://127.0.0.1:1")]).fingerprint;
        assert_ne!(a, b);
        assert_ne!(a, role);
        assert_ne!(home.identity(&[]).fingerprint, endpoint);
    }

    #[test]
    fn secrets_do_not_change_the_fingerprint() {
        let home = Home::new("", "");
        let a = home.identity(&[
            ("AWS_ACCESS_KEY_ID", "AKIAA"),
            ("AWS_SECRET_ACCESS_KEY", "s1"),
            ("AWS_SESSION_TOKEN", "t1"),
        ]);
        let b = home.identity(&[
            ("AWS_ACCESS_KEY_ID", "AKIAA"),
            ("AWS_SECRET_ACCESS_KEY", "s2"),
            ("AWS_SESSION_TOKEN", "t2"),
        ]);
        assert_eq!(a.fingerprint, b.fingerprint);
    }

    #[test]
    fn editing_a_referenced_section_changes_the_fingerprint_and_an_unrelated_one_does_not() {
        let before = Home::new(CONFIG, CREDENTIALS).identity(&[("AWS_PROFILE", "dev")]).fingerprint;
        let source_edited = CREDENTIALS.replace("AKIABASE", "AKIAOTHER");
        let after = Home::new(CONFIG, &source_edited).identity(&[("AWS_PROFILE", "dev")]).fingerprint;
        assert_ne!(before, after);
        let unrelated_edited = CONFIG.replace("ap-south-1", "ap-south-2");
        let unchanged = Home::new(&unrelated_edited, CREDENTIALS).identity(&[("AWS_PROFILE", "dev")]).fingerprint;
        assert_eq!(before, unchanged);

        let sso_before = Home::new(CONFIG, CREDENTIALS).identity(&[("AWS_PROFILE", "sso")]).fingerprint;
        let session_edited = CONFIG.replace("corp.example", "other.example");
        let sso_after = Home::new(&session_edited, CREDENTIALS).identity(&[("AWS_PROFILE", "sso")]).fingerprint;
        assert_ne!(sso_before, sso_after);
    }

    #[test]
    fn an_empty_endpoint_url_anywhere_in_the_chain_is_found_and_a_set_one_is_not() {
        let config = "[profile base]\nendpoint_url =\n[profile role]\nsource_profile = base\n\
                      [profile svc]\nservices = s\n[services s]\necr =\n  endpoint_url =  \n\
                      [profile set]\nendpoint_url = http://127.0.0.1:9\nservices = t\n\
                      [services t]\nsts =\n  endpoint_url = http://127.0.0.1:9\n";
        let home = Home::new(config, "");
        let found = |profile: &str| home.identity(&[("AWS_PROFILE", profile)]).empty_endpoint_in;
        assert_eq!(found("base").as_deref(), Some("base"));
        assert_eq!(found("role").as_deref(), Some("base"), "found in the source profile");
        assert_eq!(found("svc").as_deref(), Some("svc"), "found in the services section");
        assert_eq!(found("set"), None);
        assert!(matches!(
            home.identity(&[("AWS_PROFILE", "role")]).check_endpoints("h"),
            Err(Error::EmptyEndpoint { profile, .. }) if profile == "base"
        ));
    }

    #[test]
    fn profile_facts_are_reported() {
        let home = Home::new(CONFIG, CREDENTIALS);
        let default = home.identity(&[]);
        assert_eq!(default.profile, "default");
        assert!(default.profile_defined && !default.profile_from_env);
        assert_eq!(default.configured_region.as_deref(), Some("eu-west-1"));
        let missing = home.identity(&[("AWS_PROFILE", "nope")]);
        assert!(!missing.profile_defined && missing.profile_from_env);
        let env_region = home.identity(&[("AWS_REGION", "us-west-2")]);
        assert_eq!(env_region.configured_region.as_deref(), Some("us-west-2"));
    }

    #[test]
    fn endpoints_in_env_or_profile_count_as_configured() {
        let home = Home::new("[default]\nendpoint_url = http://127.0.0.1:9\n[profile plain]\nregion = us-east-1\n", "");
        assert!(home.identity(&[]).endpoint_configured);
        assert!(!home.identity(&[("AWS_PROFILE", "plain")]).endpoint_configured);
        assert!(
            home.identity(&[("AWS_PROFILE", "plain"), ("AWS_ENDPOINT_URL_ECR", "http://127.0.0.1:9")])
                .endpoint_configured
        );
        assert!(!home.identity(&[("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")]).endpoint_configured);
    }

    #[test]
    fn each_role_gets_its_own_fingerprint() {
        let home = Home::new("", "");
        let node = home.identity(&[("AWS_ACCESS_KEY_ID", "AKIANODE")]);
        let a = node.for_role("arn:aws:iam::111111111111:role/a");
        let b = node.for_role("arn:aws:iam::111111111111:role/b");
        assert_ne!(a.fingerprint, b.fingerprint);
        assert_ne!(a.fingerprint, node.fingerprint);
        assert_eq!(a.fingerprint, node.for_role("arn:aws:iam::111111111111:role/a").fingerprint);
    }

    #[test]
    fn a_rules_profile_keeps_the_keys_its_credential_source_reads_and_no_others() {
        let config = "[profile env]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Environment\n\
                      [profile ecs]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = EcsContainer\n\
                      [profile keys]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n";
        let home = Home::new(config, "[base]\naws_access_key_id = AKIABASE\n");
        let rule = |profile: &str| Rule {
            line: 1,
            host_pattern: None,
            account: None,
            profile: Some(profile.to_string()),
            role: None,
        };
        let fingerprint = |profile: &str, vars: &[(&str, &str)]| {
            let mut env: Env = vars.iter().copied().collect();
            env.set("HOME", home.dir.path().to_str().unwrap());
            Identity::load_for(&env, Some(rule(profile)), None).fingerprint
        };
        let (key_a, key_b) = (("AWS_ACCESS_KEY_ID", "AKIAA"), ("AWS_ACCESS_KEY_ID", "AKIAB"));
        assert_ne!(fingerprint("env", &[key_a]), fingerprint("env", &[key_b]));
        let (uri_a, uri_b) = (
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/a"),
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/b"),
        );
        assert_ne!(fingerprint("ecs", &[uri_a]), fingerprint("ecs", &[uri_b]));
        // Keys in the environment neither sign for a source_profile nor for the container source.
        assert_eq!(fingerprint("keys", &[key_a]), fingerprint("keys", &[key_b]));
        assert_eq!(fingerprint("ecs", &[key_a]), fingerprint("ecs", &[key_b]));
    }

    #[test]
    fn two_login_sessions_never_share_a_fingerprint_and_a_refreshed_login_cache_keeps_it() {
        let config = "[profile a]\nlogin_session = arn:aws:iam::111111111111:user/A\nregion = us-east-1\n\
                      [profile b]\nlogin_session = arn:aws:iam::111111111111:user/B\nregion = us-east-1\n";
        let home = Home::new(config, "");
        let a = home.identity(&[("AWS_PROFILE", "a")]);
        let b = home.identity(&[("AWS_PROFILE", "b")]);
        assert_eq!(a.login_session.as_deref(), Some("arn:aws:iam::111111111111:user/A"));
        assert_ne!(a.fingerprint, b.fingerprint);
        let other_user = Home::new(&config.replace("user/A", "user/C"), "").identity(&[("AWS_PROFILE", "a")]);
        assert_ne!(a.fingerprint, other_user.fingerprint, "the same profile name with another session");
        // `aws login` and each refresh rewrite the login cache file: the fingerprint never reads it.
        let cache = home.dir.path().join(".aws/login/cache");
        std::fs::create_dir_all(&cache).unwrap();
        std::fs::write(cache.join("x.json"), "{\"refreshToken\":\"r\"}").unwrap();
        assert_eq!(home.identity(&[("AWS_PROFILE", "a")]).fingerprint, a.fingerprint);
        let moved = home.identity(&[("AWS_PROFILE", "a"), ("AWS_LOGIN_CACHE_DIRECTORY", "/elsewhere")]);
        assert_ne!(moved.fingerprint, a.fingerprint, "another login cache holds another session");
        assert_eq!(home.identity(&[]).login_session, None);
        let role = "[profile r]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = a\nlogin_session = arn:x\n";
        let home = Home::new(&format!("{config}{role}"), "");
        assert_eq!(home.identity(&[("AWS_PROFILE", "r")]).login_session, None, "the SDK assumes the role instead");
    }

    #[test]
    fn source_profile_loops_end() {
        let home = Home::new("[profile a]\nsource_profile = b\n[profile b]\nsource_profile = a\n", "");
        let _ = home.identity(&[("AWS_PROFILE", "a")]);
    }
}
