//! The kubelet image credential provider protocol (`credentialprovider.kubelet.k8s.io/v1`, and the
//! older `v1beta1`/`v1alpha1` with the same fields).
//!
//! The kubelet writes one `CredentialProviderRequest` on stdin and decodes the response strictly,
//! so the response carries exactly its fields and echoes the request's `apiVersion`. What the
//! kubelet does with an answer (REFERENCE section 4): a non-zero exit and an empty `auth` both mean
//! "no credentials from this plugin" and the pull goes on anonymously; the exit is not cached, the
//! empty map is cached for `cacheDuration`.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::aws::Aws;
use crate::config::{self, Config};
use crate::error::Error;
use crate::identity::{Identity, WebIdentity};
use crate::lookup;
use crate::printable::{json_problem, quote};
use crate::registry::{self, Registry};
use crate::secret::Secret;
use crate::serve;
use crate::world::{Streams, World};

/// How long the kubelet may keep an empty answer for an image that is not on ECR.
const NOT_ECR_CACHE_SECS: u64 = 3600;

/// How long the kubelet may keep an empty answer after ECR Public's token could not be had, so
/// that public images pull anonymously and the token is tried again soon.
const PUBLIC_FAILURE_CACHE_SECS: u64 = 300;

/// Answers one `CredentialProviderRequest` from the same cache as `get`. A pod whose service
/// account names a role, or whose token arrives with [`ROLE_VARIABLE`] set, pulls as that role
/// (assumed with its token), cached per role. The kubelet
/// copies stderr into its events: one line, never a secret, and nothing on stdout on failure.
pub fn provide<A: Aws, I: Read, O: Write, E: Write>(streams: &mut Streams<I, O, E>, world: &World<'_, A>) -> u8 {
    match answer(streams, world) {
        Ok(line) => match streams.stdout.write_all(line.as_bytes()) {
            Ok(()) => 0,
            Err(e) => streams.fail_on_stderr(&Error::Output(e)),
        },
        Err(e) => streams.fail_on_stderr(&e),
    }
}

fn answer<A: Aws, I: Read, O, E: Write>(streams: &mut Streams<I, O, E>, world: &World<'_, A>) -> Result<String, Error> {
    let request = parse_request(&streams.read_input()?)?;
    let api_version = request.api_version.as_str();
    let key = request.registry();
    let config = Config::load(world.env)?;
    lookup::trace_config(world, config.as_ref());
    world.trace.note(|| format!("image: {}", quote(&request.image)));
    // An alias host keys the answer by the host the image names, with its registry's token.
    let Ok(registry) = config::registry_for(config.as_ref(), key) else {
        // Not ours: no credentials, and the kubelet need not ask again for a while.
        world.trace.note(|| format!("registry: {} is not ECR", quote(key)));
        return Response::new(api_version, NOT_ECR_CACHE_SECS, None).to_line();
    };
    lookup::trace_registry(world, config.as_ref(), key, &registry);
    let web_identity = match &request.service_account_token {
        Some(token) => request
            .role(world.env.get(ROLE_VARIABLE))
            .map(|role| WebIdentity { role_arn: role.to_string(), token: token.clone() }),
        // Without a token the variable means nothing (the kubelet sends none for this provider or
        // this pod), but an annotation asks for a role that cannot be assumed: say how to fix it.
        None => match request.role(None) {
            Some(role) => return Err(Error::NoServiceAccountToken { role: role.to_string() }),
            None => None,
        },
    };
    world.trace.note(|| match &web_identity {
        Some(w) => format!("service account: its token, for {}", w.role_arn),
        None => "service account: none (the node's own identity)".into(),
    });
    let node = Identity::for_registry(world.env, config.as_ref(), &registry);
    let identity = match &web_identity {
        Some(w) => node.for_role(&w.role_arn),
        None => node,
    };
    let served = serve::token_for(&registry, &identity, web_identity.as_ref(), world);
    for warning in &served.warnings {
        streams.warn(warning);
    }
    match served.token {
        Ok(token) => {
            let valid_for = token.usable_until().saturating_sub((world.now)());
            Response::new(api_version, valid_for, Some((key, &token.username, &token.password))).to_line()
        }
        Err(e) if matches!(registry, Registry::Public(_)) => {
            streams.warn(format!("{e}; public images pull anonymously"));
            Response::new(api_version, PUBLIC_FAILURE_CACHE_SECS, None).to_line()
        }
        Err(e) => Err(e),
    }
}

/// The API versions the kubelet may speak to a provider; the response uses the request's.
pub const API_VERSIONS: &[&str] = &[
    "credentialprovider.kubelet.k8s.io/v1",
    "credentialprovider.kubelet.k8s.io/v1beta1",
    "credentialprovider.kubelet.k8s.io/v1alpha1",
];

/// The service account annotation that names the role to pull with (as cloud-provider-aws uses).
pub const ROLE_ANNOTATION: &str = "eks.amazonaws.com/ecr-role-arn";

/// The standard IRSA annotation, also accepted for pulls (cloud-provider-aws#1264); when a pod has
/// both, [`ROLE_ANNOTATION`] wins, since it names the role for images in particular.
pub const IRSA_ANNOTATION: &str = "eks.amazonaws.com/role-arn";

/// The role a service account token is exchanged for when the service account names none, as
/// cloud-provider-aws's plugin reads it: set in the provider entry's `env` of the kubelet's
/// configuration. The node's own identity is used when no token arrives.
pub const ROLE_VARIABLE: &str = "AWS_ECR_ROLE_ARN";

/// The subcommand that selects this mode, for the kubelet configuration's `args`.
pub const SUBCOMMAND: &str = "kubelet-provider";

/// One request from the kubelet. Fields the kubelet may add later are tolerated.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// `credentialprovider.kubelet.k8s.io/v1` and friends.
    pub api_version: String,
    /// `CredentialProviderRequest`.
    pub kind: String,
    /// The image to pull, `host[:port]/path[:tag|@digest]`. Missing or empty is malformed.
    #[serde(default)]
    pub image: String,
    /// The pod's service account token, when the provider config asks for one.
    #[serde(default)]
    pub service_account_token: Option<Secret<String>>,
    /// The pod's service account annotations, when the provider config asks for them.
    #[serde(default)]
    pub service_account_annotations: BTreeMap<String, String>,
}

/// The answer, with exactly the kubelet's fields in its order.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Response<'a> {
    kind: &'static str,
    api_version: &'a str,
    cache_key_type: &'static str,
    cache_duration: String,
    auth: BTreeMap<&'a str, AuthConfig<'a>>,
}

#[derive(Debug, Serialize)]
struct AuthConfig<'a> {
    username: &'a str,
    password: &'a str,
}

impl<'a> Response<'a> {
    /// An answer keyed by registry, valid for `cache_seconds`; `auth` is `None` for "no credentials".
    pub fn new(api_version: &'a str, cache_seconds: u64, auth: Option<(&'a str, &'a str, &'a Secret<String>)>) -> Self {
        Response {
            kind: "CredentialProviderResponse",
            api_version,
            cache_key_type: "Registry",
            cache_duration: go_duration(cache_seconds),
            auth: auth
                .into_iter()
                .map(|(key, username, password)| (key, AuthConfig { username, password: password.expose() }))
                .collect(),
        }
    }

    /// The response as one JSON line.
    pub fn to_line(&self) -> Result<String, Error> {
        serde_json::to_string(self).map(|json| json + "\n").map_err(Error::Encode)
    }
}

/// Parses and checks a request.
pub fn parse_request(input: &str) -> Result<Request, Error> {
    let request: Request = serde_json::from_str(input.trim())
        .map_err(|e| Error::BadInput { reason: format!("not a CredentialProviderRequest: {}", json_problem(&e)) })?;
    if !API_VERSIONS.contains(&request.api_version.as_str()) {
        return Err(Error::BadInput {
            reason: format!("apiVersion {} is not one of {}", quote(&request.api_version), API_VERSIONS.join(", ")),
        });
    }
    if request.kind != "CredentialProviderRequest" {
        return Err(Error::BadInput {
            reason: format!("kind {} is not CredentialProviderRequest", quote(&request.kind)),
        });
    }
    // An empty answer would be cached by the kubelet for an image it never named: refuse instead.
    if request.image.trim().is_empty() {
        return Err(Error::BadInput { reason: "the CredentialProviderRequest names no image".into() });
    }
    Ok(request)
}

impl Request {
    /// The registry part of the image, `host[:port]`, which keys the answer. Like the kubelet, a
    /// first path component without a dot or colon (and not `localhost`) means Docker Hub.
    pub fn registry(&self) -> &str {
        let image = self.image.trim();
        let image = registry::split_scheme(image).map_or(image, |(_, rest)| rest);
        match image.split_once('/') {
            Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => first,
            _ => "docker.io",
        }
    }

    /// The role to pull as, given [`ROLE_VARIABLE`]'s value: cloud-provider-aws's precedence
    /// (v1.37.1, `buildCredentialsProvider`), then the standard IRSA annotation that it does not
    /// read (cloud-provider-aws#1264 proposes exactly this order). [`ROLE_ANNOTATION`] wins when
    /// present, even when empty: the plugin tests the key's presence, so an empty value is a service
    /// account's way to pull as the node despite the variable. Else the variable, else
    /// [`IRSA_ANNOTATION`] (empty means absent); `None`: the node's identity.
    pub fn role<'a>(&'a self, variable: Option<&'a str>) -> Option<&'a str> {
        let annotation = |key: &str| self.service_account_annotations.get(key).map(String::as_str);
        match annotation(ROLE_ANNOTATION) {
            Some(role) => Some(role).filter(|r| !r.is_empty()),
            None => variable.or_else(|| annotation(IRSA_ANNOTATION).filter(|r| !r.is_empty())),
        }
    }
}

/// A whole number of seconds as Go's `time.Duration` prints it: `0s`, `45s`, `3m5s`, `5h59m0s`.
pub fn go_duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s}s"),
        _ => format!("{h}h{m}m{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kubelet's image matching (pkg/credentialprovider `URLsMatch`): ports must be equal, the
    /// host label counts must be equal, and each label matches as a glob in which `*` stays
    /// within the label.
    fn kubelet_matches(pattern: &str, image_host: &str) -> bool {
        let split = |s: &str| match s.rsplit_once(':') {
            Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => (h.to_string(), p.to_string()),
            _ => (s.to_string(), String::new()),
        };
        let ((pattern_host, pattern_port), (host, port)) = (split(pattern), split(image_host));
        let pattern_labels: Vec<&str> = pattern_host.split('.').collect();
        let labels: Vec<&str> = host.split('.').collect();
        pattern_port == port
            && pattern_labels.len() == labels.len()
            && pattern_labels.iter().zip(&labels).all(|(p, l)| glob(p.as_bytes(), l.as_bytes()))
    }

    fn glob(pattern: &[u8], text: &[u8]) -> bool {
        match (pattern.first(), text.first()) {
            (None, None) => true,
            (Some(b'*'), _) => glob(&pattern[1..], text) || (!text.is_empty() && glob(pattern, &text[1..])),
            (Some(b'?'), Some(_)) => glob(&pattern[1..], &text[1..]),
            (Some(p), Some(t)) if p == t => glob(&pattern[1..], &text[1..]),
            _ => false,
        }
    }

    fn match_images(file: &str) -> Vec<String> {
        let config: serde_norway::Value = serde_norway::from_str(file).unwrap();
        assert_eq!(config["apiVersion"].as_str(), Some("kubelet.config.k8s.io/v1"));
        assert_eq!(config["kind"].as_str(), Some("CredentialProviderConfig"));
        let provider = &config["providers"][0];
        assert_eq!(provider["name"].as_str(), Some(crate::installs::PROVIDER_NAME));
        assert_eq!(provider["apiVersion"].as_str(), Some(API_VERSIONS[0]));
        provider["matchImages"].as_sequence().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
    }

    const CONFIGS: &[&str] = &[
        include_str!("../../packaging/kubelet/credential-provider-config.yaml"),
        include_str!("../../packaging/kubelet/credential-provider-config.service-accounts.yaml"),
    ];

    #[test]
    fn the_glob_rules_are_the_kubelets() {
        assert!(kubelet_matches("*.dkr.ecr.*.amazonaws.com", "1.dkr.ecr.us-east-1.amazonaws.com"));
        assert!(!kubelet_matches("*.dkr.ecr.*.amazonaws.com", "1.dkr.ecr.us-east-1.amazonaws.com.cn"));
        assert!(!kubelet_matches("*.dkr.ecr.*.amazonaws.com", "1.dkr.ecr-fips.us-east-1.amazonaws.com"));
        assert!(!kubelet_matches("*.amazonaws.com", "a.b.amazonaws.com"));
        assert!(!kubelet_matches("public.ecr.aws", "public.ecr.aws:5000"));
        assert!(kubelet_matches("h.example:5000", "h.example:5000"));
    }

    #[test]
    fn the_provider_configs_match_every_ecr_host_form_and_nothing_else() {
        use crate::registry::tests::{PRIVATE, PUBLIC, REJECTED};
        for config in CONFIGS {
            let patterns = match_images(config);
            for host in PRIVATE.iter().map(|c| c.1).chain(PUBLIC.iter().map(|c| c.1)) {
                assert!(patterns.iter().any(|p| kubelet_matches(p, host)), "no pattern matches {host}");
            }
            for suffix in crate::partition::PRIVATE_SUFFIXES {
                for fips in ["", "-fips"] {
                    let sep = if suffix.dual_stack { "-" } else { "." };
                    let host = format!("123456789012.dkr{sep}ecr{fips}.eu-west-1.{}", suffix.dns_suffix);
                    assert!(patterns.iter().any(|p| kubelet_matches(p, &host)), "no pattern matches {host}");
                }
            }
            for host in REJECTED.iter().filter_map(|h| crate::registry::host_of(h).ok()) {
                let matched: Vec<_> = patterns.iter().filter(|p| kubelet_matches(p, &host)).collect();
                // A pattern may match a host that the parser rejects only for its account or region
                // shape (the kubelet's globs cannot say "12 digits"); never a foreign domain.
                for pattern in matched {
                    let suffix = pattern.split_once(".*.").map_or(pattern.as_str(), |(_, s)| s);
                    assert!(host.ends_with(&format!(".{suffix}")) || host == *pattern, "{pattern} matches {host}");
                }
            }
            for foreign in [
                "docker.io",
                "ghcr.io",
                "quay.io",
                "registry.k8s.io",
                "localhost:5000",
                "gcr.io",
                "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example",
                "evil.example",
            ] {
                assert!(!patterns.iter().any(|p| kubelet_matches(p, foreign)), "a pattern matches {foreign}");
            }
        }
    }

    #[test]
    fn the_service_account_config_lets_the_kubelet_share_an_answer_per_service_account() {
        let config: serde_norway::Value = serde_norway::from_str(CONFIGS[1]).unwrap();
        let attributes = &config["providers"][0]["tokenAttributes"];
        // Required since Kubernetes 1.34. The password belongs to the role the annotations name
        // and lives as long as the ECR token, not as the pod's token that assumed the role, so
        // the kubelet may key it by service account (tests/e2e/kubelet.sh runs the kubelet's code).
        assert_eq!(attributes["cacheType"].as_str(), Some("ServiceAccount"));
        assert_eq!(attributes["requireServiceAccount"].as_bool(), Some(false));
        assert_eq!(attributes["serviceAccountTokenAudience"].as_str(), Some("sts.amazonaws.com"));
        let keys: Vec<_> = attributes["optionalServiceAccountAnnotationKeys"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        assert_eq!(keys, [ROLE_ANNOTATION, IRSA_ANNOTATION]);
    }

    #[test]
    fn durations_print_as_go_does() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(45), "45s");
        assert_eq!(go_duration(185), "3m5s");
        assert_eq!(go_duration(3600), "1h0m0s");
        assert_eq!(go_duration(21_540), "5h59m0s");
    }

    #[test]
    fn requests_parse_with_and_without_service_account_fields() {
        let plain = parse_request(
            r#"{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1"}"#,
        )
        .unwrap();
        assert_eq!(plain.registry(), "123456789012.dkr.ecr.us-east-1.amazonaws.com");
        assert!(plain.role(None).is_none() && plain.service_account_token.is_none());
        let sa = parse_request(
            r#"{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"x.example:5000/a","serviceAccountToken":"jwt","serviceAccountAnnotations":{"eks.amazonaws.com/ecr-role-arn":"arn:aws:iam::1:role/r"},"futureField":1}"#,
        )
        .unwrap();
        assert_eq!(sa.registry(), "x.example:5000");
        assert_eq!(sa.role(None), Some("arn:aws:iam::1:role/r"));
        let irsa = parse_request(
            r#"{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"x.example/a","serviceAccountAnnotations":{"eks.amazonaws.com/role-arn":"arn:aws:iam::1:role/irsa"}}"#,
        )
        .unwrap();
        assert_eq!(irsa.role(None), Some("arn:aws:iam::1:role/irsa"));
        let both = parse_request(
            r#"{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"x.example/a","serviceAccountAnnotations":{"eks.amazonaws.com/role-arn":"arn:aws:iam::1:role/irsa","eks.amazonaws.com/ecr-role-arn":"arn:aws:iam::1:role/ecr"}}"#,
        )
        .unwrap();
        assert_eq!(both.role(None), Some("arn:aws:iam::1:role/ecr"));
        assert_eq!(format!("{:?}", sa.service_account_token), "Some(Secret(<redacted>))");
    }

    #[test]
    fn the_ecr_annotation_beats_the_variable_which_beats_the_irsa_annotation() {
        let with = |annotations: &[(&str, &str)]| Request {
            api_version: String::new(),
            kind: String::new(),
            image: "x.example/a".into(),
            service_account_token: None,
            service_account_annotations: annotations.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect(),
        };
        let variable = Some("arn:aws:iam::1:role/from-variable");
        let ecr = (ROLE_ANNOTATION, "arn:aws:iam::1:role/ecr");
        let irsa = (IRSA_ANNOTATION, "arn:aws:iam::1:role/irsa");
        assert_eq!(with(&[ecr, irsa]).role(variable), Some(ecr.1));
        assert_eq!(with(&[irsa]).role(variable), variable);
        assert_eq!(with(&[]).role(variable), variable);
        assert_eq!(with(&[irsa]).role(None), Some(irsa.1));
        assert_eq!(with(&[]).role(None), None);
        // Present but empty: the node's identity, as cloud-provider-aws tests the key's presence.
        assert_eq!(with(&[(ROLE_ANNOTATION, ""), irsa]).role(variable), None);
        assert_eq!(with(&[(IRSA_ANNOTATION, "")]).role(variable), variable);
    }

    #[test]
    fn bad_requests_are_refused() {
        for input in [
            "",
            "{}",
            r#"{"apiVersion":"v1","kind":"CredentialProviderRequest","image":"a/b"}"#,
            r#"{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"Other","image":"a/b"}"#,
        ] {
            assert!(parse_request(input).is_err(), "{input}");
        }
    }

    #[test]
    fn an_images_registry_is_its_first_component_when_that_looks_like_a_host() {
        let request = |image: &str| Request {
            api_version: String::new(),
            kind: String::new(),
            image: image.into(),
            service_account_token: None,
            service_account_annotations: BTreeMap::new(),
        };
        assert_eq!(request("public.ecr.aws/nginx/nginx:1").registry(), "public.ecr.aws");
        assert_eq!(request("nginx:latest").registry(), "docker.io");
        assert_eq!(request("library/nginx").registry(), "docker.io");
        assert_eq!(request("localhost/x").registry(), "localhost");
        assert_eq!(request("h.example:8443/x@sha256:abc").registry(), "h.example:8443");
    }

    #[test]
    fn responses_have_exactly_the_kubelets_fields() {
        let password = Secret::new("pw".to_string());
        let full = Response::new("credentialprovider.kubelet.k8s.io/v1", 21_540, Some(("h.example", "AWS", &password)));
        assert_eq!(
            full.to_line().unwrap(),
            "{\"kind\":\"CredentialProviderResponse\",\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\
             \"cacheKeyType\":\"Registry\",\"cacheDuration\":\"5h59m0s\",\"auth\":{\"h.example\":{\"username\":\"AWS\",\
             \"password\":\"pw\"}}}\n"
        );
        let empty = Response::new("credentialprovider.kubelet.k8s.io/v1beta1", 3600, None);
        assert_eq!(
            empty.to_line().unwrap(),
            "{\"kind\":\"CredentialProviderResponse\",\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1beta1\",\
             \"cacheKeyType\":\"Registry\",\"cacheDuration\":\"1h0m0s\",\"auth\":{}}\n"
        );
    }
}
