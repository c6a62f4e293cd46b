//! `password HOST` and `dockerconfig HOST…`: the registry password for the tools that take one
//! (`docker login --password-stdin`, `skopeo --creds`, CI `services:` credentials, helm and oras
//! logins: `aws ecr get-login-password`'s job), and a docker `config.json` `auths` object or a
//! Kubernetes `kubernetes.io/dockerconfigjson` Secret for the places that read credentials from a
//! file or the API instead of running a helper.
//!
//! Each token comes through the same path as a `get`'s ([`crate::serve::token_for`]): the cache, a fetch
//! on a miss, aliases, `[[registry]]` rules, the MFA prompt and the deadline. Unlike `get`, these
//! are not the credential-helper protocol: a failure is the cause on stderr and exit 1, with
//! nothing on stdout, and `dockerconfig` prints nothing unless every host has its token, because a
//! partial Secret piped to `kubectl apply` would replace a good one.

use std::collections::BTreeMap;
use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

use crate::auth_token::AuthToken;
use crate::aws::Aws;
use crate::config::{self, Config};
use crate::error::{EXIT_FAILURE, Error};
use crate::lookup;
use crate::printable::quote;
use crate::world::{Streams, World};

/// The usage of `password`.
pub const PASSWORD_USAGE: &str = "usage: docker-credential-ecr-login password HOST";

/// The usage of `dockerconfig`.
pub const DOCKERCONFIG_USAGE: &str =
    "usage: docker-credential-ecr-login dockerconfig [--kubernetes-secret NAME [--namespace NS]] HOST...";

/// The option that turns `dockerconfig`'s answer into a Secret manifest.
const SECRET_OPTION: &str = "--kubernetes-secret";

/// The option that puts the Secret in a namespace.
const NAMESPACE_OPTION: &str = "--namespace";

/// Kubernetes' longest DNS-1123 subdomain (a Secret's name).
const MAX_SUBDOMAIN_LEN: usize = 253;

/// Kubernetes' longest DNS-1123 label (a namespace).
const MAX_LABEL_LEN: usize = 63;

/// The Secret type the kubelet, Argo CD and Flux read registry credentials from.
const SECRET_TYPE: &str = "kubernetes.io/dockerconfigjson";

/// What `dockerconfig` was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The registries (or aliases), as the user wrote them, at least one.
    pub hosts: Vec<String>,
    /// With `--kubernetes-secret`: the Secret to print instead of the bare JSON.
    pub secret: Option<SecretName>,
}

/// The Secret's name and, with `--namespace`, its namespace, both checked as the API server
/// checks them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretName {
    /// A DNS-1123 subdomain.
    pub name: String,
    /// A DNS-1123 label; `None`: the namespace of `kubectl`'s context.
    pub namespace: Option<String>,
}

impl Request {
    /// Parses `dockerconfig`'s arguments (after the word): options and hosts in any order,
    /// `--option VALUE` or `--option=VALUE`. Names are checked here, before any token is fetched.
    pub fn parse(words: &[&str]) -> Result<Request, Error> {
        let (mut hosts, mut name, mut namespace) = (Vec::new(), None, None);
        let mut words = words.iter();
        while let Some(word) = words.next() {
            let (option, inline) = match word.split_once('=') {
                Some((option, value)) if option.starts_with("--") => (option, Some(value)),
                _ => (*word, None),
            };
            let slot = match option {
                SECRET_OPTION => &mut name,
                NAMESPACE_OPTION => &mut namespace,
                _ if option.starts_with('-') => {
                    return Err(usage(format!("unknown option {}", quote(option)), DOCKERCONFIG_USAGE));
                }
                _ => {
                    hosts.push((*word).to_string());
                    continue;
                }
            };
            let value = inline.or_else(|| words.next().copied());
            let value = value.ok_or_else(|| usage(format!("{option} needs a value"), DOCKERCONFIG_USAGE))?;
            *slot = Some(value.to_string());
        }
        if hosts.is_empty() {
            return Err(usage("name at least one registry host".into(), DOCKERCONFIG_USAGE));
        }
        let secret = match (name, namespace) {
            (Some(name), namespace) => Some(SecretName::checked(name, namespace)?),
            (None, Some(_)) => {
                return Err(usage(format!("{NAMESPACE_OPTION} goes with {SECRET_OPTION}"), DOCKERCONFIG_USAGE));
            }
            (None, None) => None,
        };
        Ok(Request { hosts, secret })
    }
}

impl SecretName {
    /// The name and namespace, if Kubernetes would accept them (`ValidateSecretName` and
    /// `ValidateNamespaceName` of its API server).
    fn checked(name: String, namespace: Option<String>) -> Result<SecretName, Error> {
        if !is_dns1123_subdomain(&name) {
            return Err(Error::KubernetesName {
                what: "Secret name (--kubernetes-secret)",
                value: name,
                rule: "a lowercase RFC 1123 subdomain: at most 253 characters of a-z, 0-9, '-' and '.', each part \
                       starting and ending with a letter or digit, e.g. ecr-pull",
            });
        }
        if let Some(namespace) = namespace.as_deref().filter(|ns| !is_dns1123_label(ns)) {
            return Err(Error::KubernetesName {
                what: "namespace (--namespace)",
                value: namespace.to_string(),
                rule: "a lowercase RFC 1123 label: at most 63 characters of a-z, 0-9 and '-', starting and ending \
                       with a letter or digit, e.g. default",
            });
        }
        Ok(SecretName { name, namespace })
    }
}

/// The usage error of `password` or `dockerconfig`.
pub fn usage(problem: String, usage: &'static str) -> Error {
    Error::ExportUsage { problem, usage }
}

/// `password HOST`: the registry password alone, and a newline; 0, else 1 with the cause on stderr
/// and nothing on stdout.
pub fn password<A: Aws, I, O: Write, E: Write>(host: &str, streams: &mut Streams<I, O, E>, world: &World<'_, A>) -> u8 {
    let answer = load_config(world)
        .and_then(|config| token_for_host(config.as_ref(), host, streams, world))
        .and_then(|token| write_all(&mut streams.stdout, format!("{}\n", token.password.expose()).as_bytes()));
    match answer {
        Ok(()) => 0,
        Err(e) => streams.fail_on_stderr(&e),
    }
}

/// `dockerconfig HOST…`: `{"auths":{HOST:{…}}}` for every host, or the Secret manifest that holds
/// it; printed only when every host has its token (each failure says why on stderr, exit 1).
pub fn dockerconfig<A: Aws, I, O: Write, E: Write>(
    request: &Request,
    streams: &mut Streams<I, O, E>,
    world: &World<'_, A>,
) -> u8 {
    let tokens = match load_config(world) {
        Ok(config) => every_token(config.as_ref(), &request.hosts, streams, world),
        Err(e) => return streams.fail_on_stderr(&e),
    };
    let Some(tokens) = tokens else { return EXIT_FAILURE };
    let answer = match &request.secret {
        None => docker_config_json(&tokens),
        Some(secret) => docker_config_json(&tokens).and_then(|json| secret_manifest(secret, &json)),
    };
    match answer.and_then(|text| write_all(&mut streams.stdout, format!("{text}\n").as_bytes())) {
        Ok(()) => 0,
        Err(e) => streams.fail_on_stderr(&e),
    }
}

/// The token of every host in `hosts`, keyed as `auths` keys them (a host written twice is asked
/// for once), or `None` when any has none: each failure is said on stderr, and every host is
/// tried, so that one run names every cause.
fn every_token<A: Aws, I, O, E: Write>(
    config: Option<&Config>,
    hosts: &[String],
    streams: &mut Streams<I, O, E>,
    world: &World<'_, A>,
) -> Option<BTreeMap<String, AuthToken>> {
    let mut tokens = BTreeMap::new();
    let mut failed = false;
    for host in hosts {
        let key = auths_key(host);
        if tokens.contains_key(&key) {
            continue;
        }
        match token_for_host(config, host, streams, world) {
            Ok(token) => {
                tokens.insert(key, token);
            }
            Err(e) => {
                streams.say(e);
                failed = true;
            }
        }
    }
    (!failed).then_some(tokens)
}

/// The key of `host` in `auths`: the bare host and port, as `docker login` writes it to
/// `config.json` (docker/cli's `ConvertToHostname`: no scheme, no path), and lower case, as every
/// reader compares host names. A key with a scheme or path would still work for the kubelet, but
/// not for every client that reads `config.json` or `--authfile`.
fn auths_key(host: &str) -> String {
    config::normal_host(host)
}

/// The configuration file, traced as `get` traces it.
fn load_config<A>(world: &World<'_, A>) -> Result<Option<Config>, Error> {
    let config = Config::load(world.env)?;
    lookup::trace_config(world, config.as_ref());
    Ok(config)
}

/// The token for `host` (an ECR host or an alias), through the token path as a `get` takes it; its
/// warnings go to stderr.
fn token_for_host<A: Aws, I, O, E: Write>(
    config: Option<&Config>,
    host: &str,
    streams: &mut Streams<I, O, E>,
    world: &World<'_, A>,
) -> Result<AuthToken, Error> {
    let Ok(registry) = config::registry_for(config, host) else {
        world.trace.note(|| format!("registry: {} is not ECR", quote(host)));
        return Err(Error::NotEcr { host: host.to_string() });
    };
    lookup::token_for_registry(config, host, &registry, streams, world)
}

/// One `auths` entry, with the fields `docker login` writes and the kubelet, containerd and
/// containers/image read: `auth` alone is enough for most readers, `username` and `password` for
/// the others.
#[derive(Serialize)]
struct AuthEntry<'a> {
    username: &'a str,
    password: &'a str,
    auth: String,
}

/// docker's `config.json` with `auths` only. A sorted map: Go's encoder sorts map keys too.
#[derive(Serialize)]
struct DockerConfig<'a> {
    auths: BTreeMap<&'a str, AuthEntry<'a>>,
}

/// A `v1` Secret of type `kubernetes.io/dockerconfigjson`, in the field order `kubectl` prints.
#[derive(Serialize)]
struct SecretManifest<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata<'a>,
    #[serde(rename = "type")]
    secret_type: &'static str,
    data: SecretData,
}

#[derive(Serialize)]
struct Metadata<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
}

#[derive(Serialize)]
struct SecretData {
    #[serde(rename = ".dockerconfigjson")]
    docker_config_json: String,
}

/// `{"auths":{…}}` on one line, no newline.
fn docker_config_json(tokens: &BTreeMap<String, AuthToken>) -> Result<String, Error> {
    let auths = tokens
        .iter()
        .map(|(host, token)| {
            let password = token.password.expose();
            let auth = STANDARD.encode(format!("{}:{password}", token.username));
            (host.as_str(), AuthEntry { username: &token.username, password, auth })
        })
        .collect();
    serde_json::to_string(&DockerConfig { auths }).map_err(Error::Encode)
}

/// The Secret manifest that holds `json`, as JSON on one line: JSON is YAML, and `kubectl apply -f -`
/// takes either. Without a namespace, `kubectl` puts it in its context's.
fn secret_manifest(secret: &SecretName, json: &str) -> Result<String, Error> {
    let manifest = SecretManifest {
        api_version: "v1",
        kind: "Secret",
        metadata: Metadata { name: &secret.name, namespace: secret.namespace.as_deref() },
        secret_type: SECRET_TYPE,
        data: SecretData { docker_config_json: STANDARD.encode(json) },
    };
    serde_json::to_string(&manifest).map_err(Error::Encode)
}

/// Writes the whole answer at once and flushes it.
fn write_all(out: &mut impl Write, bytes: &[u8]) -> Result<(), Error> {
    out.write_all(bytes).and_then(|()| out.flush()).map_err(Error::Output)
}

/// Kubernetes' `IsDNS1123Label`: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
fn is_dns1123_label(text: &str) -> bool {
    text.len() <= MAX_LABEL_LEN && is_label_shape(text)
}

/// Kubernetes' `IsDNS1123Subdomain`: labels joined by dots, at most 253 characters in all (the
/// labels themselves are not limited to 63 there).
fn is_dns1123_subdomain(text: &str) -> bool {
    text.len() <= MAX_SUBDOMAIN_LEN && text.split('.').all(is_label_shape)
}

fn is_label_shape(text: &str) -> bool {
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-';
    !text.is_empty() && text.bytes().all(allowed) && !text.starts_with('-') && !text.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::UnixSeconds;
    use crate::env::Env;
    use crate::fake::{FakeAws, HOST};
    use crate::secret::Secret;

    const T0: UnixSeconds = 1_800_000_000;

    fn parse(words: &[&str]) -> Result<Request, Error> {
        Request::parse(words)
    }

    fn token(password: &str) -> AuthToken {
        AuthToken { username: "AWS".into(), password: Secret::new(password.into()), issued_at: 0, expires_at: 0 }
    }

    /// Runs `dockerconfig` for `request` against `aws` at `T0`; (exit code, stdout, stderr).
    fn run(aws: &FakeAws, request: &Request) -> (u8, String, String) {
        let cache = tempfile::tempdir().unwrap();
        let env: Env = [("AWS_ACCESS_KEY_ID", "AKIDUNIT"), ("ECR_LOGIN_CONFIG", "/dev/null")].into_iter().collect();
        let clock = || T0;
        let world = World {
            env: &env,
            cache_dir: Some(cache.path().to_path_buf()),
            now: &clock,
            aws,
            trace: crate::trace::Trace::off(),
        };
        let mut streams = Streams { stdin: &b""[..], stdout: Vec::new(), stderr: Vec::new() };
        let code = dockerconfig(request, &mut streams, &world);
        (code, String::from_utf8(streams.stdout).unwrap(), String::from_utf8(streams.stderr).unwrap())
    }

    #[test]
    fn names_are_checked_as_kubernetes_checks_them() {
        for good in ["a", "ecr-pull", "ecr.pull.example", "0", &"a".repeat(253), &format!("{}.b", "a".repeat(100))] {
            assert!(is_dns1123_subdomain(good), "{good}");
        }
        for bad in ["", "A", "ecr_pull", "-a", "a-", "a..b", ".a", "a.", "a.-b", &"a".repeat(254), "é"] {
            assert!(!is_dns1123_subdomain(bad), "{bad}");
        }
        for good in ["default", "kube-system", "0a", &"a".repeat(63)] {
            assert!(is_dns1123_label(good), "{good}");
        }
        for bad in ["", "a.b", "Default", "-a", "a-", &"a".repeat(64)] {
            assert!(!is_dns1123_label(bad), "{bad}");
        }
    }

    #[test]
    fn dockerconfig_arguments_take_options_anywhere_and_refuse_what_kubernetes_would() {
        let secret = |name: &str, namespace: Option<&str>| {
            Some(SecretName { name: name.into(), namespace: namespace.map(str::to_string) })
        };
        assert_eq!(parse(&[HOST]).unwrap(), Request { hosts: vec![HOST.into()], secret: None });
        let both = parse(&["a.example", "--kubernetes-secret", "pull", "--namespace=ci", HOST]).unwrap();
        assert_eq!(both, Request { hosts: vec!["a.example".into(), HOST.into()], secret: secret("pull", Some("ci")) });
        assert_eq!(parse(&["--kubernetes-secret=pull", HOST]).unwrap().secret, secret("pull", None));
        for words in [
            &[][..],
            &["--kubernetes-secret", "x"],
            &[HOST, "--namespace", "ci"],
            &[HOST, "--bogus"],
            &[HOST, "--kubernetes-secret"],
        ] {
            assert!(matches!(parse(words), Err(Error::ExportUsage { .. })), "{words:?}");
        }
        for words in [
            &[HOST, "--kubernetes-secret", "Pull_Secret"][..],
            &[HOST, "--kubernetes-secret", "pull", "--namespace", "a.b"],
        ] {
            assert!(matches!(parse(words), Err(Error::KubernetesName { .. })), "{words:?}");
        }
    }

    #[test]
    fn the_auths_bytes_are_exact_and_keyed_as_docker_login_writes_them() {
        assert_eq!(auths_key("https://123456789012.DKR.ecr.us-east-1.amazonaws.com/team/app"), HOST);
        assert_eq!(auths_key("registry.example:5000/x"), "registry.example:5000");
        let tokens: BTreeMap<String, AuthToken> =
            [("b.example".to_string(), token("p\"w")), ("a.example".to_string(), token("pw"))].into_iter().collect();
        assert_eq!(
            docker_config_json(&tokens).unwrap(),
            r#"{"auths":{"a.example":{"username":"AWS","password":"pw","auth":"QVdTOnB3"},"b.example":{"username":"AWS","password":"p\"w","auth":"QVdTOnAidw=="}}}"#
        );
    }

    #[test]
    fn the_secret_manifest_bytes_are_exact() {
        let name = SecretName { name: "pull".into(), namespace: Some("ci".into()) };
        assert_eq!(
            secret_manifest(&name, "{}").unwrap(),
            r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"pull","namespace":"ci"},"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"e30="}}"#
        );
        let name = SecretName { name: "pull".into(), namespace: None };
        assert!(secret_manifest(&name, "{}").unwrap().contains(r#""metadata":{"name":"pull"},"#));
    }

    #[test]
    fn one_failing_host_leaves_stdout_empty_and_each_cause_on_stderr() {
        let aws = FakeAws::default();
        aws.token("pw", T0 + 12 * 3600);
        let request = Request { hosts: vec![HOST.into(), "ghcr.io".into(), format!("https://{HOST}/")], secret: None };
        let (code, out, err) = run(&aws, &request);
        assert_eq!((code, out.as_str()), (EXIT_FAILURE, ""));
        assert_eq!(
            err,
            "ecr-login: \"ghcr.io\" is not an Amazon ECR registry, so this helper has no credentials for it\n"
        );
        // The second spelling of HOST is the same key: asked for once.
        assert_eq!(aws.calls.get(), 1);
        aws.token("pw", T0 + 12 * 3600);
        let request = Request { hosts: vec![HOST.into(), format!("https://{HOST}/")], secret: None };
        let (code, out, err) = run(&aws, &request);
        assert_eq!((code, err.as_str()), (0, ""));
        assert!(out.ends_with("}}}\n") && out.contains(&format!("\"{HOST}\":")), "{out}");
    }
}
