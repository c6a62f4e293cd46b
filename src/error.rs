//! The outcomes a caller acts on, each with the one-line message a user acts on.
//!
//! Messages are lower case, carry the registry or profile involved, say what to do next, and never
//! contain a token or a secret key. Every failure exits with [`EXIT_FAILURE`], the protocol's code.

use std::fmt;
use std::time::Duration;

/// The exit code of every failure, as docker-credential-helpers defines it.
pub const EXIT_FAILURE: u8 = 1;

/// The exact not-found message; clients trim and compare it, then pull anonymously.
pub const NOT_FOUND: &str = "credentials not found in native keychain";

/// The most characters of caller input (a host, a profile, a value) that any message quotes.
pub const MAX_QUOTED_CHARS: usize = 100;

/// Caller input (a host, a profile, a value) made safe to repeat in a message: at most
/// [`MAX_QUOTED_CHARS`] characters, control characters, quotes, backslashes and backticks escaped, and a note
/// of how much was left out. A message never repeats a megabyte of stdin or puts a terminal escape
/// sequence on someone's screen.
pub fn clip(input: &str) -> String {
    let mut out = String::with_capacity(input.len().min(MAX_QUOTED_CHARS));
    let mut chars = input.chars();
    for c in chars.by_ref().take(MAX_QUOTED_CHARS) {
        if c == '`' {
            // docker wraps helper output in backticks of its own.
            out.extend(c.escape_unicode());
        } else if c.is_control() || c == '"' || c == '\\' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    let rest = chars.as_str().len();
    if rest > 0 {
        out.push_str(&format!("... ({rest} more bytes)"));
    }
    out
}

/// [`clip`] in double quotes.
pub fn quote(input: &str) -> String {
    format!("\"{}\"", clip(input))
}

/// Everything that can stop a command.
#[derive(Debug)]
pub enum Error {
    /// The server string names no ECR registry. Answer not-found so the client goes on without us.
    NotEcr {
        /// The host that was looked at.
        host: String,
    },
    /// `get`/`erase` received no server URL, or `store` an empty `ServerURL`. Protocol error text.
    NoServerUrl,
    /// `store` received an empty `Username`. Protocol error text.
    NoUsername,
    /// Standard input was larger than the helper accepts.
    InputTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// Standard input could not be read or understood.
    BadInput {
        /// What was wrong with it.
        reason: String,
    },
    /// `configure` cannot do what it was asked; the reason says what to fix.
    Configure {
        /// What was wrong.
        reason: String,
    },
    /// `store` for a registry that is not ECR: we keep no credentials of other registries.
    StoreNotEcr {
        /// The registry the client tried to store credentials for.
        host: String,
    },
    /// A setting in the environment is malformed.
    BadSetting {
        /// The variable's name.
        name: &'static str,
        /// What it should hold.
        expected: &'static str,
        /// What it holds.
        value: String,
    },
    /// No credential source in the chain produced credentials.
    NoCredentials {
        /// The registry the token was for.
        registry: String,
        /// The profile in effect.
        profile: String,
        /// Whether that profile exists in the shared files.
        profile_defined: bool,
        /// Whether AWS_PROFILE chose the profile.
        profile_from_env: bool,
    },
    /// A credential source was found but failed (expired SSO session, failed role assumption, …).
    CredentialsFailed {
        /// The registry the token was for.
        registry: String,
        /// The profile in effect.
        profile: String,
        /// The provider's own explanation, on one line.
        detail: String,
    },
    /// AWS rejected the credentials themselves (unknown key, bad signature, expired session).
    CredentialsRejected {
        /// The registry the token was for.
        registry: String,
        /// AWS's error code and message.
        detail: String,
    },
    /// STS refused to let the service account's token assume the annotated role.
    AssumeRoleFailed {
        /// The registry the token was for.
        registry: String,
        /// The role from the service account's annotation.
        role: String,
        /// AWS's error code and message.
        detail: String,
    },
    /// A kubelet request names a role but carries no service account token.
    NoServiceAccountToken {
        /// The role from the service account's annotation.
        role: String,
    },
    /// The principal may not call `ecr:GetAuthorizationToken`.
    AccessDenied {
        /// The registry the token was for.
        registry: String,
        /// AWS's message, which names the principal and the action.
        detail: String,
    },
    /// ECR throttled the call even after the bounded retries.
    Throttled {
        /// The registry the token was for.
        registry: String,
    },
    /// The API endpoint could not be reached at all (offline, DNS, proxy, refused).
    Unreachable {
        /// The registry the token was for.
        registry: String,
        /// The region whose endpoint was tried.
        region: String,
        /// The transport's explanation.
        detail: String,
    },
    /// No answer within the overall deadline.
    TimedOut {
        /// The registry the token was for.
        registry: String,
        /// The deadline that passed.
        after: Duration,
    },
    /// ECR Public is only in the `aws` partition and the caller's region is elsewhere.
    PublicOutsideAws {
        /// The configured region.
        region: String,
    },
    /// Any other error answered by the service.
    Service {
        /// The registry the token was for.
        registry: String,
        /// AWS's error code and message.
        detail: String,
    },
    /// The answer could not be used: no token, an undecodable token, or another account's token.
    BadResponse {
        /// The registry the token was for.
        registry: String,
        /// What was wrong, without the token itself.
        detail: String,
    },
    /// The SDK could not be set up (async runtime, endpoint configuration).
    Setup {
        /// What failed.
        detail: String,
    },
    /// Writing the answer to standard output failed.
    Output(std::io::Error),
}

impl Error {
    /// The line for standard output of `store` and `erase`, where docker shows it to the user: a
    /// host that is not ECR answers the exact not-found text, anything else its message. (`get`
    /// answers not-found for every failure to get a token; see `lib.rs`.)
    pub fn stdout_line(&self) -> String {
        match self {
            Error::NotEcr { .. } => NOT_FOUND.to_string(),
            other => other.to_string(),
        }
    }
}

/// Makes a provider's or transport's message fit on one line.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotEcr { host } => {
                write!(f, "{} is not an Amazon ECR registry, so this helper has no credentials for it", quote(host))
            }
            Error::NoServerUrl => f.write_str("no credentials server URL"),
            Error::NoUsername => f.write_str("no credentials username"),
            Error::InputTooLarge { limit } => {
                write!(f, "standard input is larger than {limit} bytes; send only the registry host")
            }
            // Parser messages quote field names in backticks, which nest badly in docker's own quoting.
            Error::BadInput { reason } => write!(f, "cannot read standard input: {}", reason.replace('`', "'")),
            Error::Configure { reason } => write!(f, "configure: {reason}"),
            Error::StoreNotEcr { host } => write!(
                f,
                "ecr-login keeps no credentials for {}, which is not an Amazon ECR registry; \
                 route only ECR hosts to it with \"credHelpers\" in ~/.docker/config.json instead of \"credsStore\"",
                quote(host)
            ),
            Error::BadSetting { name, expected, value } => write!(f, "{name} must be {expected}, not {}", quote(value)),
            Error::NoCredentials { registry, profile, profile_defined, profile_from_env } => {
                if *profile_from_env && !*profile_defined {
                    write!(
                        f,
                        "no AWS credentials for {registry}: profile {} (from AWS_PROFILE) is not in ~/.aws/config or \
                         ~/.aws/credentials; fix AWS_PROFILE or add the profile with 'aws configure --profile {}'",
                        quote(profile),
                        clip(profile)
                    )
                } else {
                    write!(
                        f,
                        "no AWS credentials for {registry} (profile {}): run 'aws configure' or 'aws sso login', \
                         or set AWS_PROFILE to a profile that has credentials",
                        quote(profile)
                    )
                }
            }
            Error::CredentialsFailed { registry, profile, detail } => write!(
                f,
                "cannot load AWS credentials for {registry} (profile {}): {detail}; \
                 if it is an SSO profile run 'aws sso login --profile {}'",
                quote(profile),
                clip(profile)
            ),
            Error::CredentialsRejected { registry, detail } => {
                write!(f, "AWS rejected the credentials used for {registry}: {detail}; refresh or replace them")
            }
            Error::AssumeRoleFailed { registry, role, detail } => write!(
                f,
                "cannot assume {} with the service account token for {registry}: {detail}; check the role's trust \
                 policy for the cluster's OIDC provider and the service account",
                quote(role)
            ),
            Error::NoServiceAccountToken { role } => write!(
                f,
                "the service account names {} but the kubelet sent no service account token; add tokenAttributes \
                 to the provider's entry in the CredentialProviderConfig",
                quote(role)
            ),
            Error::AccessDenied { registry, detail } => write!(
                f,
                "access denied getting a token for {registry}: {detail}; \
                 allow ecr:GetAuthorizationToken for that principal"
            ),
            Error::Throttled { registry } => write!(
                f,
                "ECR throttled GetAuthorizationToken for {registry} after retries (the API allows 20 calls a second \
                 per account and region); try again in a few seconds and keep the cache enabled"
            ),
            Error::Unreachable { registry, region, detail } => write!(
                f,
                "cannot reach the ECR API in {region} for {registry}: {detail}; \
                 check the network, proxy (HTTPS_PROXY) and AWS_ENDPOINT_URL* settings"
            ),
            Error::TimedOut { registry, after } => write!(
                f,
                "no answer from AWS within {}s getting a token for {registry}; check the network, \
                 or raise ECR_LOGIN_TIMEOUT",
                after.as_secs_f64()
            ),
            Error::PublicOutsideAws { region } => write!(
                f,
                "ECR Public tokens come only from the aws partition, and the configured region {} is outside it; \
                 public images still pull anonymously",
                quote(region)
            ),
            Error::Service { registry, detail } => {
                write!(f, "ECR failed to give a token for {registry}: {detail}; try again later")
            }
            Error::BadResponse { registry, detail } => {
                write!(f, "unusable answer from ECR for {registry}: {detail}")
            }
            Error::Setup { detail } => write!(f, "cannot set up the AWS client: {detail}"),
            Error::Output(e) => write!(f, "cannot write to standard output: {e}"),
        }
    }
}

impl std::error::Error for Error {}

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
            Error::Configure { reason: "unknown option".into() },
            Error::StoreNotEcr { host: text() },
            Error::BadSetting { name: "ECR_LOGIN_TIMEOUT", expected: "a number", value: text() },
            Error::NoCredentials {
                registry: registry(),
                profile: text(),
                profile_defined: false,
                profile_from_env: true,
            },
            Error::NoCredentials {
                registry: registry(),
                profile: text(),
                profile_defined: true,
                profile_from_env: false,
            },
            Error::CredentialsFailed { registry: registry(), profile: text(), detail: "expired".into() },
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
    fn quoting_clips_escapes_and_says_how_much_was_left_out() {
        assert_eq!(quote("docker.io"), "\"docker.io\"");
        assert_eq!(quote("a\"b\\c\u{7}"), "\"a\\\"b\\\\c\\u{7}\"");
        let long = "é".repeat(150);
        assert_eq!(quote(&long), format!("\"{}... (100 more bytes)\"", "é".repeat(100)));
    }
}
