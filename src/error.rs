//! The outcomes a caller acts on, each with the one-line message a user acts on, written beside
//! its variant.
//!
//! Messages are lower case, carry the registry or profile involved, say what to do next, and never
//! contain a token or a secret key; caller input in them goes through [`quote`]. Every failure
//! exits with [`EXIT_FAILURE`], the protocol's code. What a protocol client is told on stdout is
//! decided in one place, [`Error::outcome`].

use std::path::PathBuf;
use std::time::Duration;

use crate::printable::{clip, quote};

/// The exit code of every failure, as docker-credential-helpers defines it.
pub const EXIT_FAILURE: u8 = 1;

/// The exact not-found message; clients trim and compare it, then pull anonymously.
pub const NOT_FOUND: &str = "credentials not found in native keychain";

/// What a docker-credential-helpers client is told about an error on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The exact not-found line: the client goes on without credentials from us for this one
    /// registry (anonymously, or from its next source). Anything else on stdout makes some clients
    /// drop every registry's credentials (docker 20.10's classic builds, podman's
    /// `credential-helpers`), so every failure to get a token is this; the cause goes to stderr.
    NotFound,
    /// The request itself cannot be served: its message on stdout, where the client shows it.
    Refused,
}

/// Everything that can stop a command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    // The request: what the client sent cannot be served.
    /// `get`/`erase` received no server URL, or `store` an empty `ServerURL`. Protocol error text.
    #[error("no credentials server URL")]
    NoServerUrl,
    /// `store` received an empty `Username`. Protocol error text.
    #[error("no credentials username")]
    NoUsername,
    /// Standard input was larger than the helper accepts.
    #[error("standard input is larger than {limit} bytes; send only the registry host")]
    InputTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// Standard input could not be read or understood. Parser messages quote field names in
    /// backticks, which nest badly in docker's own quoting.
    #[error("cannot read standard input: {}", .reason.replace('`', "'"))]
    BadInput {
        /// What was wrong with it.
        reason: String,
    },
    /// `store` for a registry that is not ECR: we keep no credentials of other registries.
    #[error(
        "ecr-login keeps no credentials for {}, which is not an Amazon ECR registry; route only ECR hosts to it \
         with \"credHelpers\" in ~/.docker/config.json instead of \"credsStore\"",
        quote(.host)
    )]
    StoreNotEcr {
        /// The registry the client tried to store credentials for.
        host: String,
    },

    // Nothing for this host: the client goes on without us.
    /// The server string names no ECR registry.
    #[error("{} is not an Amazon ECR registry, so this helper has no credentials for it", quote(.host))]
    NotEcr {
        /// The host that was looked at.
        host: String,
    },

    // No token could be had.
    /// The configuration file cannot be used: it does not parse, has an unknown key, or a rule or
    /// alias cannot work. Nothing falls back to defaults: the user fixes the file.
    #[error("{}{}: {problem}; fix the file (ECR_LOGIN_CONFIG={} runs without it)", .path.display(), .line.map(|l| format!(" line {l}")).unwrap_or_default(), crate::env::NULL_DEVICE)]
    Config {
        /// The file.
        path: PathBuf,
        /// The line of the problem, when it has one.
        line: Option<usize>,
        /// What is wrong, naming the key.
        problem: String,
    },
    /// The fallback store named in the configuration is not installed.
    #[error(
        "the fallback credential helper docker-credential-{name} (fallback = \"{name}\" in {}) is not on PATH; install \
         it or change fallback",
        .config.display()
    )]
    FallbackMissing {
        /// The helper's name after `docker-credential-`.
        name: String,
        /// The configuration file that names it.
        config: PathBuf,
    },
    /// The fallback store could not be run at all.
    #[error("cannot run the fallback credential helper docker-credential-{name}: {detail}")]
    FallbackFailed {
        /// The helper's name after `docker-credential-`.
        name: String,
        /// What failed.
        detail: String,
    },
    /// A setting in the environment is malformed.
    #[error("{name} must be {expected}, not {}", quote(.value))]
    BadSetting {
        /// The variable's name.
        name: &'static str,
        /// What it should hold.
        expected: &'static str,
        /// What it holds.
        value: String,
    },
    /// No credential source in the chain produced credentials, and the profile AWS_PROFILE names
    /// is in neither shared file.
    #[error(
        "no AWS credentials for {registry}: profile {} (from {origin}) is not in ~/.aws/config or \
         ~/.aws/credentials; fix the profile name or add the profile with 'aws configure --profile {}'",
        quote(.profile),
        clip(.profile)
    )]
    UnknownProfile {
        /// The registry the token was for.
        registry: String,
        /// The profile AWS_PROFILE or a rule names.
        profile: String,
        /// What named it: `AWS_PROFILE`, or a configuration rule.
        origin: String,
    },
    /// A profile of the chain sets `endpoint_url` to nothing, which the AWS SDK cannot start with.
    #[error(
        "no token for {registry}: profile {} in the AWS config sets endpoint_url to nothing; give it a URL or \
         remove the line",
        quote(.profile)
    )]
    EmptyEndpoint {
        /// The registry the token was for.
        registry: String,
        /// The profile whose section (or services section) has the empty setting.
        profile: String,
    },
    /// No credential source in the chain produced credentials.
    #[error(
        "no AWS credentials for {registry} (profile {}): run 'aws configure', or set AWS_PROFILE to a profile \
         that has credentials",
        quote(.profile)
    )]
    NoCredentials {
        /// The registry the token was for.
        registry: String,
        /// The profile in effect.
        profile: String,
    },
    /// A credential source was found but failed (failed role assumption, a credential process,
    /// the metadata service, …). The caller fixes what the detail names.
    #[error("cannot load AWS credentials for {registry} (profile {}): {detail}", quote(.profile))]
    CredentialsFailed {
        /// The registry the token was for.
        registry: String,
        /// The profile in effect.
        profile: String,
        /// The provider's own explanation, on one line.
        detail: String,
    },
    /// The profile is an SSO profile and its session is missing or expired: only then is
    /// `aws sso login` the fix.
    #[error(
        "the SSO session of profile {} has expired or was never started ({detail}); run 'aws sso login --profile \
         {}', then try again",
        quote(.profile),
        clip(.profile)
    )]
    SsoLoginNeeded {
        /// The registry the token was for.
        registry: String,
        /// The SSO profile.
        profile: String,
        /// The provider's own explanation, on one line.
        detail: String,
    },
    /// The profile's credentials come from an `aws login` session (`login_session`) whose cached
    /// credentials are missing or unreadable, or that AWS Sign-In refused to refresh: only then is
    /// `aws login` the fix.
    #[error(
        "the login session of profile {} has expired or was never started ({detail}); run 'aws login --profile {}', \
         then try again",
        quote(.profile),
        clip(.profile)
    )]
    LoginSessionNeeded {
        /// The registry the token was for.
        registry: String,
        /// The profile with `login_session`.
        profile: String,
        /// The provider's own explanation, on one line.
        detail: String,
    },
    /// A profile with `mfa_serial` needs a code and there is no terminal to ask on (CI, a daemon).
    #[error(
        "profile {} needs an MFA code from {} and there is no terminal to ask on; run \
         'docker-credential-ecr-login login {registry}' in a terminal first (its session is then used until it expires)",
        quote(.profile),
        quote(.serial)
    )]
    MfaNeedsTerminal {
        /// The registry the token was for.
        registry: String,
        /// The profile with `mfa_serial`.
        profile: String,
        /// The MFA device's serial number or ARN.
        serial: String,
    },
    /// The MFA prompt got no usable code (no answer in time, an empty line, not digits).
    #[error("no MFA code for profile {}: {reason}; try again", quote(.profile))]
    MfaNoCode {
        /// The profile with `mfa_serial`.
        profile: String,
        /// What happened at the prompt.
        reason: String,
    },
    /// STS refused to start the MFA session (a wrong or reused code, a role that refuses).
    #[error("STS refused the MFA session of profile {} for {registry}: {detail}; check the code and mfa_serial, then \
             try again", quote(.profile))]
    MfaRefused {
        /// The registry the token was for.
        registry: String,
        /// The profile with `mfa_serial`.
        profile: String,
        /// AWS's error code and message.
        detail: String,
    },
    /// A rule's role could not be assumed.
    #[error("cannot assume {} for {registry} ({rule}): {detail}; check the role's trust policy and external_id", quote(.role))]
    RuleRoleFailed {
        /// The registry the token was for.
        registry: String,
        /// The role the rule names.
        role: String,
        /// Which rule, where.
        rule: String,
        /// AWS's error code and message.
        detail: String,
    },
    /// AWS rejected the credentials themselves (unknown key, bad signature, expired session).
    #[error("AWS rejected the credentials used for {registry}: {detail}; refresh or replace them")]
    CredentialsRejected {
        /// The registry the token was for.
        registry: String,
        /// AWS's error code and message.
        detail: String,
    },
    /// STS refused to let the service account's token assume the annotated role.
    #[error(
        "cannot assume {} with the service account token for {registry}: {detail}; check the role's trust policy \
         for the cluster's OIDC provider and the service account",
        quote(.role)
    )]
    AssumeRoleFailed {
        /// The registry the token was for.
        registry: String,
        /// The role from the service account's annotation.
        role: String,
        /// AWS's error code and message.
        detail: String,
    },
    /// A kubelet request names a role but carries no service account token.
    #[error(
        "the service account names {} but the kubelet sent no service account token; add tokenAttributes to the \
         provider's entry in the CredentialProviderConfig",
        quote(.role)
    )]
    NoServiceAccountToken {
        /// The role from the service account's annotation.
        role: String,
    },
    /// The principal may not call `ecr:GetAuthorizationToken`.
    #[error(
        "access denied getting a token for {registry}: {detail}; allow ecr:GetAuthorizationToken for that principal"
    )]
    AccessDenied {
        /// The registry the token was for.
        registry: String,
        /// AWS's message, which names the principal and the action.
        detail: String,
    },
    /// ECR throttled the call even after the bounded retries.
    #[error(
        "ECR throttled GetAuthorizationToken for {registry} after retries (the API allows 20 calls a second per \
         account and region); try again in a few seconds and keep the cache enabled"
    )]
    Throttled {
        /// The registry the token was for.
        registry: String,
    },
    /// The API endpoint could not be reached at all (offline, DNS, proxy, refused).
    #[error(
        "cannot reach the ECR API in {region} for {registry}: {detail}; check the network, proxy (HTTPS_PROXY) and \
         AWS_ENDPOINT_URL* settings"
    )]
    Unreachable {
        /// The registry the token was for.
        registry: String,
        /// The region whose endpoint was tried.
        region: String,
        /// The transport's explanation.
        detail: String,
    },
    /// No answer within the overall deadline.
    #[error(
        "no answer from AWS within {}s getting a token for {registry}; check the network, or raise ECR_LOGIN_TIMEOUT",
        .after.as_secs_f64()
    )]
    TimedOut {
        /// The registry the token was for.
        registry: String,
        /// The deadline that passed.
        after: Duration,
    },
    /// ECR Public is only in the `aws` partition and the caller's region is elsewhere.
    #[error(
        "ECR Public tokens come only from the aws partition, and the configured region {} is outside it; public \
         images still pull anonymously",
        quote(.region)
    )]
    PublicOutsideAws {
        /// The configured region.
        region: String,
    },
    /// Any other error answered by the service, or an answer that is not ECR's.
    #[error("ECR failed to give a token for {registry}: {detail}; try again later")]
    Service {
        /// The registry the token was for.
        registry: String,
        /// AWS's error code and message, or the HTTP status of an unreadable answer.
        detail: String,
    },
    /// The answer could not be used: no token, an undecodable token, or another account's token.
    #[error("unusable answer from ECR for {registry}: {detail}")]
    BadResponse {
        /// The registry the token was for.
        registry: String,
        /// What was wrong, without the token itself.
        detail: String,
    },
    /// The SDK could not be set up (async runtime, endpoint configuration).
    #[error("cannot set up the AWS client: {detail}")]
    Setup {
        /// What failed.
        detail: String,
    },

    // `configure`: stderr only, nothing is written.
    /// `login` was called without a host.
    #[error("{usage}")]
    LoginUsage {
        /// The usage.
        usage: &'static str,
    },
    /// `configure` was called without a target or with arguments it does not take.
    #[error("configure: {usage}")]
    ConfigureUsage {
        /// What was wrong, and the usage.
        usage: String,
    },
    /// `configure --registry` names a host that is not ECR.
    #[error("configure: {} is not an Amazon ECR registry host", quote(.value))]
    NotAnEcrHost {
        /// The value given.
        value: String,
    },
    /// `configure --all-regions-of` names something that is not an account id.
    #[error("configure: {} is not a 12-digit AWS account id", quote(.value))]
    NotAnAccount {
        /// The value given.
        value: String,
    },
    /// No home (or DOCKER_CONFIG / REGISTRY_AUTH_FILE) to find the clients' configuration in.
    #[error("configure: no {} to find the configuration in", crate::env::HOME_VARIABLE)]
    NoHome,
    /// The configuration file is not JSON of the expected shape; it is left as it is.
    #[error("configure: {} {problem}; fix it by hand, nothing was changed", .path.display())]
    BadConfigFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// Reading or writing a configuration file failed.
    #[error("configure: cannot {action} {}: {source}", .path.display())]
    ConfigFile {
        /// What was being done: read, write, back up, …
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },

    // `password` and `dockerconfig`: stderr only, nothing on stdout.
    /// `password` or `dockerconfig` was called with arguments it does not take.
    #[error("{problem}; {usage}")]
    ExportUsage {
        /// What was wrong, with any caller input quoted.
        problem: String,
        /// The command's usage.
        usage: &'static str,
    },
    /// `dockerconfig --kubernetes-secret NAME` or `--namespace NS` is a name the Kubernetes API
    /// server would refuse: the user picks another.
    #[error("dockerconfig: {} is not a valid {what}: Kubernetes wants {rule}", quote(.value))]
    KubernetesName {
        /// Which name, and the option that gave it.
        what: &'static str,
        /// The value given.
        value: String,
        /// What Kubernetes accepts.
        rule: &'static str,
    },

    // Our own output.
    /// Writing the answer to standard output failed.
    #[error("cannot write to standard output: {0}")]
    Output(#[source] std::io::Error),
    /// An answer could not be encoded as JSON (it holds only strings and numbers: a bug).
    #[error("cannot encode the answer as JSON: {0}")]
    Encode(#[source] serde_json::Error),
}

impl Error {
    /// What a docker-credential-helpers client is told on stdout: the one place that decides it.
    pub fn outcome(&self) -> Outcome {
        match self {
            Error::NoServerUrl
            | Error::NoUsername
            | Error::InputTooLarge { .. }
            | Error::BadInput { .. }
            | Error::StoreNotEcr { .. } => Outcome::Refused,
            _ => Outcome::NotFound,
        }
    }

    /// The line for standard output.
    pub fn stdout_line(&self) -> String {
        match self.outcome() {
            Outcome::NotFound => NOT_FOUND.to_string(),
            Outcome::Refused => self.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of every variant, with caller input where a variant carries some.
    fn every_error(input: &str) -> Vec<Error> {
        let registry = || "123456789012.dkr.ecr.us-east-1.amazonaws.com".to_string();
        let text = || input.to_string();
        vec![
            Error::NotEcr { host: text() },
            Error::NoServerUrl,
            Error::NoUsername,
            Error::InputTooLarge { limit: 1024 },
            Error::BadInput { reason: "missing field `image`".into() },
            Error::ConfigureUsage { usage: "usage: configure docker".into() },
            Error::LoginUsage { usage: "usage: login HOST..." },
            Error::ExportUsage { problem: format!("unknown option {}", quote(input)), usage: "usage: password HOST" },
            Error::KubernetesName { what: "namespace (--namespace)", value: text(), rule: "a label" },
            Error::NotAnEcrHost { value: text() },
            Error::NotAnAccount { value: text() },
            Error::NoHome,
            Error::BadConfigFile { path: "/home/u/.docker/config.json".into(), problem: "is not JSON".into() },
            Error::ConfigFile {
                action: "write",
                path: "/home/u/.docker/config.json".into(),
                source: std::io::Error::other("disk full"),
            },
            Error::StoreNotEcr { host: text() },
            Error::BadSetting { name: "ECR_LOGIN_TIMEOUT", expected: "a number", value: text() },
            Error::UnknownProfile { registry: registry(), profile: text(), origin: "AWS_PROFILE".into() },
            Error::NoCredentials { registry: registry(), profile: text() },
            Error::EmptyEndpoint { registry: registry(), profile: text() },
            Error::CredentialsFailed { registry: registry(), profile: text(), detail: "expired".into() },
            Error::SsoLoginNeeded { registry: registry(), profile: text(), detail: "expired".into() },
            Error::LoginSessionNeeded { registry: registry(), profile: text(), detail: "expired".into() },
            Error::MfaNeedsTerminal { registry: registry(), profile: text(), serial: text() },
            Error::MfaNoCode { profile: text(), reason: "no answer".into() },
            Error::MfaRefused { registry: registry(), profile: text(), detail: "denied".into() },
            Error::RuleRoleFailed { registry: registry(), role: text(), rule: "rule".into(), detail: "denied".into() },
            Error::Config {
                path: "/home/u/.config/ecr-login/config.toml".into(),
                line: Some(3),
                problem: "bad".into(),
            },
            Error::FallbackMissing { name: "pass".into(), config: "/c.toml".into() },
            Error::FallbackFailed { name: "pass".into(), detail: "denied".into() },
            Error::CredentialsRejected { registry: registry(), detail: "bad key".into() },
            Error::AssumeRoleFailed { registry: registry(), role: text(), detail: "denied".into() },
            Error::NoServiceAccountToken { role: text() },
            Error::AccessDenied { registry: registry(), detail: "denied".into() },
            Error::Throttled { registry: registry() },
            Error::Unreachable { registry: registry(), region: "us-east-1".into(), detail: "refused".into() },
            Error::TimedOut { registry: registry(), after: Duration::from_secs(20) },
            Error::PublicOutsideAws { region: text() },
            Error::Service { registry: registry(), detail: "HTTP 503".into() },
            Error::BadResponse { registry: registry(), detail: "no token".into() },
            Error::Setup { detail: "no runtime".into() },
            Error::Output(std::io::Error::other("broken pipe")),
            Error::Encode(serde_json::from_str::<u8>("x").unwrap_err()),
        ]
    }

    #[test]
    fn no_message_holds_a_backtick_or_more_than_a_short_escaped_quote_of_caller_input() {
        let hostile = format!("`\u{1b}[31m{}`", "x".repeat(10_000));
        for error in every_error(&hostile) {
            let message = error.to_string();
            assert!(!message.contains('`'), "{message}");
            assert!(!message.contains('\u{1b}'), "{message}");
            assert!(message.len() < 1000, "{} bytes: {error:?}", message.len());
            assert!(!message.contains('\n'), "{message}");
        }
    }

    #[test]
    fn only_a_request_that_cannot_be_served_is_refused_on_stdout_everything_else_is_not_found() {
        for error in every_error("docker.io") {
            let refused = matches!(
                error,
                Error::NoServerUrl
                    | Error::NoUsername
                    | Error::InputTooLarge { .. }
                    | Error::BadInput { .. }
                    | Error::StoreNotEcr { .. }
            );
            let expected = if refused { Outcome::Refused } else { Outcome::NotFound };
            assert_eq!(error.outcome(), expected, "{error:?}");
            let line = error.stdout_line();
            assert_eq!(line == NOT_FOUND, !refused, "{line}");
        }
    }
}
