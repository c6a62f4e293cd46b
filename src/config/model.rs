//! The configuration file: per-registry identities (`[[registry]]` rules), alias hosts
//! (`[[alias]]`) and the fallback store for every other host (`fallback`).
//!
//! Where: `$ECR_LOGIN_CONFIG` when set (`/dev/null`, or `NUL` on Windows: no file at all), else
//! `$XDG_CONFIG_HOME/ecr-login/config.toml`, else `~/.config/ecr-login/config.toml` (on Windows
//! `%USERPROFILE%\.config\ecr-login\config.toml`, where podman keeps its `auth.json` too). A missing
//! file at the default place means no rules; a missing `$ECR_LOGIN_CONFIG` is an error, since
//! someone named it.
//!
//! It is read on every `get`, cache hits included, so it is read once, parsed once, and checked
//! whole: a file that does not parse, an unknown key, or a rule that cannot work is an error that
//! names the file, the line and the key, never a silent default. Another user who could write the
//! file could send our credentials anywhere, so it must belong to us or root and be writable by no
//! one else (as `files::trust` checks the cache).
//!
//! ```toml
//! fallback = "pass"                 # docker-credential-pass answers every host that is not ECR
//!
//! [[registry]]                      # the first rule that matches wins
//! match = "210987654321.dkr.ecr.*.amazonaws.com"   # a host pattern; or account = "210987654321"
//! profile = "prod-pull"             # built from the shared files alone: environment keys do not win
//! role_arn = "arn:aws:iam::210987654321:role/ecr-pull"   # assumed on top of the profile or the chain
//! external_id = "..."               # optional, with role_arn
//! role_session_name = "ci"          # optional, with role_arn (default ecr-login)
//!
//! [[alias]]
//! host = "registry.example.com"     # a custom domain or proxy in front of ECR
//! registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
//! ```

use std::io::Read;
use std::path::{Path, PathBuf};

use super::reader::{Raw, RawAlias, RawRule, Value};
use crate::env::{self, Env};
use crate::error::Error;
use crate::files::trust;
use crate::printable::{clip, quote};
use crate::registry::{self, Registry};

/// A configuration file larger than this is not a configuration file.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The session name of roles that a rule assumes, unless the rule names one.
pub const DEFAULT_ROLE_SESSION_NAME: &str = "ecr-login";

/// The helper's own name, which a fallback may not have (it would call itself).
const OWN_NAME: &str = "ecr-login";

/// The parsed, checked configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it came from.
    pub path: PathBuf,
    /// The `docker-credential-<NAME>` helper that answers hosts that are neither ECR nor aliases.
    pub fallback: Option<String>,
    /// The `[[alias]]` entries, in file order.
    pub aliases: Vec<Alias>,
    /// The file's text, which the rules' values point into.
    text: String,
    /// The `[[registry]]` rules, in file order: checked, and made into [`Rule`]s only when one
    /// is used (a `get` reads the file on every call and uses one rule at most).
    rules: Vec<RawRule>,
}

/// One `[[registry]]` rule: which registries it selects and whose identity they get.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rule {
    /// The line of its `[[registry]]` header, to name it in messages and in doctor.
    pub line: usize,
    /// A host pattern in which `*` matches any run of characters (`match`).
    pub host_pattern: Option<String>,
    /// A 12-digit account id (`account`).
    pub account: Option<String>,
    /// The profile whose credentials sign, built from the shared files alone.
    pub profile: Option<String>,
    /// A role assumed on top of the profile's (or the default chain's) credentials.
    pub role: Option<Role>,
}

/// A role to assume: a rule's, or an MFA profile's (`role_arn` in AWS's config file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// The role's ARN.
    pub arn: String,
    /// The external id the role's trust policy asks for.
    pub external_id: Option<String>,
    /// The session name, as CloudTrail shows it.
    pub session_name: String,
}

/// One `[[alias]]`: a host that stands for an ECR registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// The alias host (with its port, if any), lower case.
    pub host: String,
    /// The canonical host of the ECR registry it stands for.
    pub registry: String,
}

/// Where the configuration file is looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file's path.
    pub path: PathBuf,
    /// Whether someone named it (`ECR_LOGIN_CONFIG`): then a missing file is an error.
    pub named: bool,
}

/// Where the configuration file is looked for; `None` without a home, or when `ECR_LOGIN_CONFIG`
/// names the null device.
pub fn location(env: &Env) -> Option<Location> {
    if let Some(path) = env.get("ECR_LOGIN_CONFIG") {
        return (!env::is_null_device(path)).then(|| Location { path: env.expand_home(path), named: true });
    }
    let base = match env.get("XDG_CONFIG_HOME").filter(|d| Path::new(d).is_absolute()) {
        Some(dir) => PathBuf::from(dir),
        None => env.home()?.join(".config"),
    };
    Some(Location { path: base.join("ecr-login").join("config.toml"), named: false })
}

impl Config {
    /// Reads and checks the configuration file; `Ok(None)` when there is none.
    pub fn load(env: &Env) -> Result<Option<Config>, Error> {
        let Some(Location { path, named }) = location(env) else { return Ok(None) };
        let text = match read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => return Ok(None),
            Err(e) => return Err(config_error(&path, None, &format!("cannot be read: {e}"))),
        };
        Config::parse(&path, &text).map(Some)
    }

    /// Parses and checks the text of the file at `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, Error> {
        let raw = Raw::read(text).map_err(|(line, problem)| config_error(path, Some(line), &problem))?;
        let mut config = Config { path: path.to_path_buf(), ..Config::default() };
        for rule in &raw.rules {
            check_rule(rule, text).map_err(|problem| config_error(path, Some(rule.line), &problem))?;
        }
        config.rules = raw.rules;
        if let Some((name, line)) = raw.fallback {
            check_fallback(&name).map_err(|problem| config_error(path, Some(line), &problem))?;
            config.fallback = Some(name);
        }
        let alias_hosts: Vec<String> =
            raw.aliases.iter().filter_map(|a| a.host.as_ref()).map(|h| normal_host(h.get(text))).collect();
        for alias in &raw.aliases {
            let checked = check_alias(alias, text, &alias_hosts, &config.aliases)
                .map_err(|problem| config_error(path, Some(alias.line), &problem))?;
            config.aliases.push(checked);
        }
        config.text = text.to_string();
        Ok(config)
    }

    /// The first rule that selects `registry`, if any.
    pub fn rule_for(&self, registry: &Registry) -> Option<Rule> {
        self.rule_index_for(registry).map(|index| self.rule(index))
    }

    /// The position of the first rule that selects `registry`, if any.
    pub fn rule_index_for(&self, registry: &Registry) -> Option<usize> {
        self.rules.iter().position(|raw| raw.selects(registry, &self.text))
    }

    /// How many rules there are.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// The rule at `index` (in file order), as the rest of the crate uses it.
    pub fn rule(&self, index: usize) -> Rule {
        self.rules.get(index).map(|raw| raw.rule(&self.text)).unwrap_or_default()
    }

    /// The alias whose host `server` names (a host, or a URL whose host it is), if any.
    pub fn alias_for(&self, server: &str) -> Option<&Alias> {
        let host = normal_host(server);
        self.aliases.iter().find(|alias| alias.host == host)
    }

    /// The aliases that stand for `registry_host`.
    pub fn aliases_of<'a>(&'a self, registry_host: &'a str) -> impl Iterator<Item = &'a Alias> + 'a {
        self.aliases.iter().filter(move |alias| alias.registry == registry_host)
    }
}

impl RawRule {
    fn value<'a>(value: Option<&'a Value>, text: &'a str) -> Option<&'a str> {
        value.map(|v| v.get(text))
    }

    /// Whether this rule selects `registry`: every selector it has must agree.
    fn selects(&self, registry: &Registry, text: &str) -> bool {
        let account_ok = match (RawRule::value(self.account.as_ref(), text), registry) {
            (None, _) => true,
            (Some(account), Registry::Private(r)) => account == r.account,
            (Some(_), Registry::Public(_)) => false,
        };
        let pattern = RawRule::value(self.host_pattern.as_ref(), text);
        let host_ok = pattern.is_none_or(|pattern| glob(pattern.as_bytes(), registry.host().as_bytes()));
        account_ok && host_ok
    }

    /// The checked rule as the rest of the crate uses it.
    fn rule(&self, text: &str) -> Rule {
        let get = |value: &Option<Value>| RawRule::value(value.as_ref(), text).map(str::to_string);
        Rule {
            line: self.line,
            host_pattern: get(&self.host_pattern).map(|p| p.to_ascii_lowercase()),
            account: get(&self.account),
            profile: get(&self.profile),
            role: get(&self.role_arn).map(|arn| Role {
                arn,
                external_id: get(&self.external_id),
                session_name: get(&self.role_session_name).unwrap_or_else(|| DEFAULT_ROLE_SESSION_NAME.to_string()),
            }),
        }
    }
}

impl Rule {
    /// How doctor and messages name this rule.
    pub fn describe(&self, path: &Path) -> String {
        let selector = match (&self.host_pattern, &self.account) {
            (Some(pattern), Some(account)) => format!("match {} and account {account}", quote(pattern)),
            (Some(pattern), None) => format!("match {}", quote(pattern)),
            (None, Some(account)) => format!("account {account}"),
            (None, None) => "every registry".to_string(),
        };
        format!("the [[registry]] rule on line {} of {} ({selector})", self.line, path.display())
    }

    /// The text that makes this rule's tokens a separate identity in the cache.
    pub fn fingerprint_input(&self) -> String {
        let role = self.role.as_ref();
        format!(
            "rule profile={:?} role={:?} external_id={:?} session={:?}\n",
            self.profile,
            role.map(|r| &r.arn),
            role.map(|r| &r.external_id),
            role.map(|r| &r.session_name)
        )
    }
}

fn read(path: &Path) -> std::io::Result<String> {
    let (file, len) = trust::open_config(path)?;
    if len > MAX_CONFIG_BYTES {
        return Err(std::io::Error::other(format!("it is larger than {MAX_CONFIG_BYTES} bytes")));
    }
    // Sized from fstat: one read and the one that sees the end, not a series of growing ones.
    let mut text = String::with_capacity(usize::try_from(len).unwrap_or(0) + 1);
    file.take(MAX_CONFIG_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(std::io::Error::other(format!("it is larger than {MAX_CONFIG_BYTES} bytes")));
    }
    Ok(text)
}

fn config_error(path: &Path, line: Option<usize>, problem: &str) -> Error {
    Error::Config { path: path.to_path_buf(), line, problem: problem.to_string() }
}

fn check_fallback(name: &str) -> Result<(), String> {
    let valid = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !valid || name.starts_with('.') {
        return Err(format!(
            "fallback {} must be a helper name such as \"pass\", \"secretservice\" or \"desktop\" (letters, digits, \
             '-', '_' or '.')",
            quote(name)
        ));
    }
    if name == OWN_NAME {
        return Err("fallback \"ecr-login\" would hand every host back to this helper; name another store".into());
    }
    Ok(())
}

fn check_rule(raw: &RawRule, text: &str) -> Result<(), String> {
    let (pattern, account, profile) = (
        RawRule::value(raw.host_pattern.as_ref(), text),
        RawRule::value(raw.account.as_ref(), text),
        RawRule::value(raw.profile.as_ref(), text),
    );
    if pattern.is_none() && account.is_none() {
        return Err("a [[registry]] rule needs match (a host pattern) or account; use match = \"*\" for every \
                    registry"
            .into());
    }
    if let Some(account) = account
        && (account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!("account {} is not a 12-digit AWS account id", quote(account)));
    }
    if let Some(pattern) = pattern
        && (pattern.is_empty() || pattern.bytes().any(|b| b == b'/' || b == b' '))
    {
        return Err(format!("match {} must be a host pattern such as \"*.dkr.ecr.*.amazonaws.com\"", quote(pattern)));
    }
    if profile.is_some_and(str::is_empty) {
        return Err("profile is empty; name a profile of ~/.aws/config or leave the key out".into());
    }
    match RawRule::value(raw.role_arn.as_ref(), text) {
        None if profile.is_none() => Err("a [[registry]] rule needs profile, role_arn or both".into()),
        None if raw.external_id.is_some() || raw.role_session_name.is_some() => {
            Err("external_id and role_session_name go with role_arn, which this rule does not have".into())
        }
        Some(arn) if !(arn.starts_with("arn:") && names_a_role(arn)) => {
            Err(format!("role_arn {} is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)", quote(arn)))
        }
        _ => Ok(()),
    }
}

/// Whether `arn` has `:role/` in it (a colon scan: a substring search, or a window compared at
/// every position, costs more than the rest of the rule's checks).
fn names_a_role(arn: &str) -> bool {
    let bytes = arn.as_bytes();
    bytes.iter().enumerate().any(|(at, &b)| b == b':' && bytes.get(at + 1..at + 6) == Some(b"role/"))
}

fn check_alias(raw: &RawAlias, text: &str, alias_hosts: &[String], earlier: &[Alias]) -> Result<Alias, String> {
    let host = normal_host(raw.host.as_ref().map_or("", |h| h.get(text)));
    if host.is_empty() {
        return Err("an [[alias]] needs a host".into());
    }
    // What a client can send for it: a host name or address, with a port. Anything else (white
    // space, '#' inside) could never be looked up, as `alias_for` reads the host again (the
    // `config_file` fuzz target checks that it finds every alias).
    if !host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._:[]".contains(&b)) {
        return Err(format!("alias host {} is not a host name (with a port, if any)", quote(&host)));
    }
    let Some(registry_text) = raw.registry.as_ref().map(|r| r.get(text)) else {
        return Err(format!("alias {} needs registry, the ECR registry it stands for", quote(&host)));
    };
    if registry::parse(&host).is_ok() {
        return Err(format!("alias host {} is an ECR host already; an alias is another name for one", quote(&host)));
    }
    if earlier.iter().any(|a| a.host == host) {
        return Err(format!("alias host {} is defined twice", quote(&host)));
    }
    let target = normal_host(registry_text);
    if alias_hosts.contains(&target) {
        return Err(format!(
            "alias {} points at {}, which is itself an alias; point it at the ECR registry",
            quote(&host),
            quote(&target)
        ));
    }
    match registry::parse(registry_text) {
        Ok(registry) => Ok(Alias { host, registry: registry.host().to_string() }),
        Err(_) => Err(format!(
            "alias {} points at {}, which is not an ECR registry host (ACCOUNT.dkr.ecr.REGION.amazonaws.com or \
             public.ecr.aws)",
            quote(&host),
            quote(&clip(registry_text))
        )),
    }
}

/// The ECR registry `server` names, directly or through an alias of `config`.
pub fn registry_for(config: Option<&Config>, server: &str) -> Result<Registry, registry::NotEcr> {
    match config.and_then(|c| c.alias_for(server)) {
        // A checked alias always names an ECR registry.
        Some(alias) => registry::parse(&alias.registry),
        None => registry::parse(server),
    }
}

/// A server string reduced to the host (and port) that aliases are matched on: no scheme, no
/// path, no user info, lower case.
pub fn normal_host(server: &str) -> String {
    let server = server.trim();
    let rest = registry::split_scheme(server).map_or(server, |(_, rest)| rest);
    let host = registry::without_user(registry::authority_of(rest));
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// Whether `text` matches `pattern`, in which `*` matches any run of characters.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    // Iterative, with one backtrack point: linear enough for host names, never recursive.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p].eq_ignore_ascii_case(&text[t]) {
            p += 1;
            t += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|b| *b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRIVATE: &str = "210987654321.dkr.ecr.eu-west-1.amazonaws.com";

    fn parse(text: &str) -> Result<Config, Error> {
        Config::parse(Path::new("/home/u/.config/ecr-login/config.toml"), text)
    }

    fn problem(text: &str) -> String {
        match parse(text) {
            Err(e) => e.to_string(),
            Ok(c) => panic!("accepted: {c:?}"),
        }
    }

    fn registry(host: &str) -> Registry {
        registry::parse(host).unwrap()
    }

    #[test]
    fn the_example_of_the_issue_parses() {
        let config = parse(
            r#"
fallback = "pass"

[[registry]]
match = "210987654321.dkr.ecr.*.amazonaws.com"
profile = "prod-pull"
role_arn = "arn:aws:iam::210987654321:role/ecr-pull"
external_id = "x-1"

[[registry]]
account = "123456789012"
profile = "dev"

[[alias]]
host = "Registry.Example.com"
registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
"#,
        )
        .unwrap();
        assert_eq!(config.fallback.as_deref(), Some("pass"));
        assert_eq!(config.rule_count(), 2);
        assert_eq!(config.rule(0).line, 4);
        let rule = config.rule_for(&registry(PRIVATE)).unwrap();
        assert_eq!(rule.profile.as_deref(), Some("prod-pull"));
        assert_eq!(rule.role.as_ref().unwrap().session_name, DEFAULT_ROLE_SESSION_NAME);
        let dev = config.rule_for(&registry("123456789012.dkr.ecr.us-west-2.amazonaws.com")).unwrap();
        assert_eq!(dev.profile.as_deref(), Some("dev"));
        assert!(config.rule_for(&registry("111111111111.dkr.ecr.us-west-2.amazonaws.com")).is_none());
        let alias = config.alias_for("https://registry.example.com/v2/").unwrap();
        assert_eq!(alias.registry, "123456789012.dkr.ecr.us-east-1.amazonaws.com");
        assert!(config.alias_for("registry.example.com:5000").is_none());
    }

    #[test]
    fn the_first_matching_rule_wins_and_every_selector_must_agree() {
        let config = parse(
            "[[registry]]\nmatch = \"*.dkr.ecr.eu-*.amazonaws.com\"\naccount = \"210987654321\"\nprofile = \"a\"\n\
             [[registry]]\nmatch = \"*\"\nprofile = \"b\"\n",
        )
        .unwrap();
        let profile = |host: &str| config.rule_for(&registry(host)).and_then(|r| r.profile.clone()).unwrap();
        assert_eq!(profile(PRIVATE), "a");
        assert_eq!(profile("210987654321.dkr.ecr.us-east-1.amazonaws.com"), "b");
        assert_eq!(profile("111111111111.dkr.ecr.eu-west-1.amazonaws.com"), "b");
        assert_eq!(profile("public.ecr.aws"), "b");
    }

    #[test]
    fn errors_name_the_file_the_line_and_the_key() {
        let unknown = problem("fallback = \"pass\"\n\n[[registry]]\naccount = \"210987654321\"\nprofle = \"x\"\n");
        assert!(unknown.contains("unknown key \"profle\" in [[registry]]; the keys are match, account"), "{unknown}");
        assert!(
            unknown.contains("config.toml") && unknown.contains("line 5") && unknown.contains("profle"),
            "{unknown}"
        );
        let syntax = problem("[[registry]\n");
        assert!(syntax.contains("line 1"), "{syntax}");
        let top = problem("falback = \"pass\"\n");
        assert!(top.contains("line 1") && top.contains("falback"), "{top}");
        let wrong_type = problem("[[registry]]\naccount = 210987654321\nprofile = \"p\"\n");
        assert!(wrong_type.contains("line 2"), "{wrong_type}");
        assert!(!unknown.contains('`') && !unknown.contains('\n'), "{unknown}");
    }

    #[test]
    fn rules_that_cannot_work_are_refused_with_their_line() {
        for (text, needle) in [
            ("[[registry]]\nprofile = \"p\"\n", "needs match"),
            ("[[registry]]\naccount = \"12\"\nprofile = \"p\"\n", "12-digit"),
            ("[[registry]]\nmatch = \"*\"\n", "needs profile, role_arn"),
            ("[[registry]]\nmatch = \"*\"\nrole_arn = \"ecr-pull\"\n", "not a role ARN"),
            ("[[registry]]\nmatch = \"*\"\nprofile = \"p\"\nexternal_id = \"x\"\n", "go with role_arn"),
            ("[[registry]]\nmatch = \"*\"\nprofile = \"\"\n", "profile is empty"),
            ("fallback = \"ecr-login\"\n", "back to this helper"),
            ("fallback = \"../evil\"\n", "helper name"),
        ] {
            let message = problem(text);
            assert!(message.contains(needle), "{text}: {message}");
            assert!(message.contains("line "), "{text}: {message}");
        }
    }

    #[test]
    fn the_toml_subset_reads_as_the_toml_crate_reads_it() {
        // Strings (basic with escapes, literal), comments after values, spaces in headers, blank
        // lines and indentation: each value must come out as a real TOML parser reads it.
        let text = "# comment\nfallback = 'secret-service.v2'   # after\n\n[[ registry ]]  # header comment\n  \
                    match = \"*.dkr.ecr.*.amazonaws.com\"\n  profile = \"a\\\"b\\\\c\\u00e9\"\n\
                    role_arn = 'arn:aws:iam::210987654321:role/x#y'\n[[alias]]\nhost=\"r.example\"\n\
                    registry = \"123456789012.dkr.ecr.us-east-1.amazonaws.com\"\n";
        let ours = parse(text).unwrap();
        let theirs: toml::Table = toml::from_str(text).unwrap();
        assert_eq!(ours.fallback.as_deref(), theirs["fallback"].as_str());
        let rule = &theirs["registry"].as_array().unwrap()[0];
        let first = ours.rule(0);
        assert_eq!(first.host_pattern.as_deref(), rule["match"].as_str());
        assert_eq!(first.profile.as_deref(), rule["profile"].as_str());
        assert_eq!(first.profile.as_deref(), Some("a\"b\\cé"));
        assert_eq!(first.role.as_ref().map(|r| r.arn.as_str()), rule["role_arn"].as_str());
        assert_eq!(ours.aliases[0].host, theirs["alias"].as_array().unwrap()[0]["host"].as_str().unwrap());
        assert_eq!(first.line, 4);
    }

    #[test]
    fn toml_beyond_the_subset_is_refused_with_its_line() {
        for (text, line, needle) in [
            ("[registry]\n", 1, "not a table of this file"),
            ("[[registry]]\nmatch = \"*\"\nprofile = \"\"\"x\"\"\"\n", 3, "must be a string"),
            ("[[registry]]\nmatch = [\"*\"]\n", 2, "must be a string"),
            ("[[registry]]\nmatch = \"*\" extra\n", 2, "after the value"),
            ("[[registry]]\nmatch = \"*\nprofile = \"p\"\n", 2, "not closed"),
            ("[[registry]]\nmatch = \"*\"\nmatch = \"x\"\n", 3, "set twice"),
            ("fallback = \"a\"\nfallback = \"b\"\n", 2, "set twice"),
            ("[[alias]]\nhost = \"r.example\"\nregistri = \"x\"\n", 3, "unknown key \"registri\" in [[alias]]"),
            ("just words\n", 1, "expected key = "),
            ("[[registry]]\nmatch = \"\\q\"\n", 2, "unknown escape"),
        ] {
            let message = problem(text);
            assert!(message.contains(&format!("line {line}:")) && message.contains(needle), "{text:?}: {message}");
        }
    }

    #[test]
    fn malformed_aliases_are_refused() {
        let not_ecr = problem("[[alias]]\nhost = \"r.example\"\nregistry = \"ghcr.io\"\n");
        assert!(not_ecr.contains("not an ECR registry") && not_ecr.contains("line 1"), "{not_ecr}");
        let chained = problem(
            "[[alias]]\nhost = \"a.example\"\nregistry = \"123456789012.dkr.ecr.us-east-1.amazonaws.com\"\n\
             [[alias]]\nhost = \"b.example\"\nregistry = \"a.example\"\n",
        );
        assert!(chained.contains("itself an alias") && chained.contains("line 4"), "{chained}");
        let ecr_host = problem(&format!("[[alias]]\nhost = \"{PRIVATE}\"\nregistry = \"{PRIVATE}\"\n"));
        assert!(ecr_host.contains("is an ECR host already"), "{ecr_host}");
        let twice = problem(&format!(
            "[[alias]]\nhost = \"a.example\"\nregistry = \"{PRIVATE}\"\n[[alias]]\nhost = \"A.example\"\nregistry = \"{PRIVATE}\"\n"
        ));
        assert!(twice.contains("defined twice"), "{twice}");
        let spaced = problem(&format!("[[alias]]\nhost = \"r.e NN # x\"\nregistry = \"{PRIVATE}\"\n"));
        assert!(spaced.contains("is not a host name"), "{spaced}");
    }

    #[test]
    fn globs_match_runs_of_characters_case_blind() {
        assert!(glob(b"*.dkr.ecr.*.amazonaws.com", PRIVATE.as_bytes()));
        assert!(glob(b"*", b"anything"));
        assert!(glob(b"210987654321.*", PRIVATE.as_bytes()));
        assert!(!glob(b"210987654321.*.cn", PRIVATE.as_bytes()));
        assert!(glob(b"*EU-WEST-1*", PRIVATE.as_bytes()));
        assert!(!glob(b"a*b*c", b"aXbY"));
        assert!(glob(b"a**c", b"abc"));
    }

    #[test]
    fn the_file_is_found_where_the_issue_says() {
        // An absolute home and directory on this OS, and the variable its tools read the home from.
        let (home_var, home, x) =
            if cfg!(windows) { ("USERPROFILE", r"C:\Users\u", r"C:\x") } else { ("HOME", "/home/u", "/x") };
        let home = Path::new(home);
        let env: Env = [(home_var, home.to_str().unwrap())].into_iter().collect();
        let at = |path: PathBuf, named: bool| Some(Location { path, named });
        assert_eq!(location(&env), at(home.join(".config/ecr-login/config.toml"), false));
        let env: Env = [(home_var, home.to_str().unwrap()), ("XDG_CONFIG_HOME", x)].into_iter().collect();
        assert_eq!(location(&env), at(Path::new(x).join("ecr-login/config.toml"), false));
        let env: Env = [(home_var, home.to_str().unwrap()), ("ECR_LOGIN_CONFIG", "~/c.toml")].into_iter().collect();
        assert_eq!(location(&env), at(home.join("c.toml"), true));
        let env: Env = [("ECR_LOGIN_CONFIG", "/dev/null")].into_iter().collect();
        assert_eq!(location(&env), None);
        let nul: Env = [("ECR_LOGIN_CONFIG", "nul")].into_iter().collect();
        assert_eq!(location(&nul).is_none(), cfg!(windows), "NUL is the null device on Windows alone");
    }
}
