//! Turning what the SDK answered into ours: its errors into the outcome a user acts on (access
//! denied, rejected credentials, throttled, unreachable, timed out, an unreadable answer), each
//! on one line and never from an error's `Debug` form, and its times into Unix seconds.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_ecr::config::http::HttpResponse;
use aws_sdk_ecr::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_signin::operation::create_o_auth2_token::CreateOAuth2TokenError;

use super::ca_bundle::CA_BUNDLE_VARIABLE;
use crate::clock::UnixSeconds;
use crate::error::Error;
use crate::identity::Identity;
use crate::printable::one_line;

/// Error codes that mean AWS does not accept the credentials themselves.
const REJECTED_CREDENTIAL_CODES: &[&str] = &[
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "IncompleteSignature",
    "MissingAuthenticationToken",
];

/// Error codes that mean "slow down".
const THROTTLING_CODES: &[&str] =
    &["ThrottlingException", "ThrottledException", "TooManyRequestsException", "RequestLimitExceeded"];

/// Context for turning SDK errors into ours.
pub(super) struct Context<'a> {
    pub(super) registry: &'a str,
    pub(super) region: &'a str,
    pub(super) identity: &'a Identity,
    pub(super) timeout: Duration,
}

/// Turns an SDK error of either ECR API into the outcome a user acts on.
pub(super) fn classify<E>(err: &SdkError<E, HttpResponse>, cx: &Context<'_>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let registry = cx.registry.to_string();
    match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let status = service.raw().status().as_u16();
            // A body that is not an AWS error (a load balancer's HTML page, an empty 503) parses
            // as an error with neither code nor message: name the HTTP status instead.
            let Some(code) = e.code() else {
                return Error::Service { registry, detail: unreadable_answer(status, None) };
            };
            let detail = one_line(&format!("{code}: {}", e.message().unwrap_or("no message")));
            if code == "AccessDeniedException" {
                Error::AccessDenied { registry, detail }
            } else if THROTTLING_CODES.contains(&code) {
                Error::Throttled { registry }
            } else if REJECTED_CREDENTIAL_CODES.contains(&code) {
                Error::CredentialsRejected { registry, detail }
            } else {
                Error::Service { registry, detail }
            }
        }
        SdkError::TimeoutError(_) => Error::TimedOut { registry, after: cx.timeout },
        SdkError::DispatchFailure(failure) if failure.is_timeout() => Error::TimedOut { registry, after: cx.timeout },
        SdkError::DispatchFailure(_) => {
            Error::Unreachable { registry, region: cx.region.to_string(), detail: causes(err) }
        }
        // An answer whose body cannot be read as ECR's (a truncated 200, a proxy's page).
        SdkError::ResponseError(response) => {
            Error::Service { registry, detail: unreadable_answer(response.raw().status().as_u16(), Some(causes(err))) }
        }
        SdkError::ConstructionFailure(_) => Error::Setup { detail: causes(err) },
        _ => Error::BadResponse { registry, detail: causes(err) },
    }
}

/// An error and its sources, by their `Display` alone, on one line. `Debug` output is never used:
/// for a response error it holds the raw response, and a response body may hold a token.
pub(super) fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = plain_error_debug(&one_line(&e.to_string()));
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    with_tls_hint(parts.join(": "))
}

/// How rustls names a certificate whose issuer no trusted CA vouches for.
const UNKNOWN_ISSUER: &str = "UnknownIssuer";

/// `text`, and when it is an unknown-issuer TLS failure the likely cause and its fix: behind a
/// TLS-inspecting proxy, every certificate is issued by the proxy's own CA.
pub(super) fn with_tls_hint(text: String) -> String {
    if !text.contains(UNKNOWN_ISSUER) {
        return text;
    }
    format!(
        "{text} (the server's certificate comes from a CA this machine does not trust: a TLS-inspecting proxy \
         needs its CA in {CA_BUNDLE_VARIABLE}, or in the profile's ca_bundle)"
    )
}

/// Some providers put the SDK's debug form of an error in their message (the SSO token provider:
/// `Error { code: "UnauthorizedException", message: "Session token not found or invalid", .. }`);
/// each such form becomes `UnauthorizedException: Session token not found or invalid`.
fn plain_error_debug(text: &str) -> String {
    let field = |body: &str, name: &str| {
        let start = body.find(&format!("{name}: \""))? + name.len() + 3;
        let end = body[start..].find('"')?;
        Some(body[start..start + end].to_string())
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("Error { ") {
        let Some(len) = rest[start..].find(" }") else { break };
        let body = &rest[start..start + len];
        out.push_str(&rest[..start]);
        match (field(body, "code"), field(body, "message")) {
            (Some(code), Some(message)) => {
                let _ = write!(out, "{code}: {message}");
            }
            (Some(only), None) | (None, Some(only)) => out.push_str(&only),
            (None, None) => out.push_str(&rest[start..start + len + 2]),
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

/// What to say of an HTTP answer whose body is not ECR's JSON: its status, and that the fault is
/// on ECR's side (or a proxy's), not the caller's.
fn unreadable_answer(status: u16, cause: Option<String>) -> String {
    let cause = cause.map(|c| format!(" ({c})")).unwrap_or_default();
    format!(
        "ECR answered HTTP {status} with a body that is not an ECR answer{cause}; the fault is on ECR's side or a proxy's"
    )
}

/// A failure of a login session's credentials (a profile with `login_session`, from `aws login`):
/// log in again when the AWS CLI's login cache has no usable credentials (missing, unreadable,
/// expired and not refreshable) or AWS Sign-In refused the refresh (the session ended, the
/// password changed); any other failure of Sign-In (unreachable, timed out, a 5xx, throttled) is
/// said as it is, since a new login would meet the same service.
pub(super) fn login_session_failure(err: &CredentialsError, cx: &Context<'_>) -> Error {
    let (registry, profile, detail) = (cx.registry.to_string(), cx.identity.profile.clone(), causes(err));
    if sign_in_failed_otherwise(err) {
        Error::CredentialsFailed { registry, profile, detail }
    } else {
        Error::LoginSessionNeeded { registry, profile, detail }
    }
}

/// Whether the chain holds a Sign-In refresh that failed for another reason than a refusal. The
/// SDK keeps Sign-In's error as the source of its own (`RefreshFailed`), with the transport's
/// failure under it.
fn sign_in_failed_otherwise(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(refresh) = e.downcast_ref::<CreateOAuth2TokenError>() {
            return !matches!(
                refresh,
                CreateOAuth2TokenError::AccessDeniedException(_) | CreateOAuth2TokenError::ValidationException(_)
            );
        }
        next = e.source();
    }
    false
}

/// A token answer that lacks what it must hold.
pub(super) fn bad_response(cx: &Context<'_>, detail: &str) -> Error {
    Error::BadResponse { registry: cx.registry.to_string(), detail: detail.to_string() }
}

/// An SDK time as Unix seconds; `None` before 1970 or beyond what the clock holds.
pub(super) fn to_unix(time: &aws_sdk_ecr::primitives::DateTime) -> Option<UnixSeconds> {
    SystemTime::try_from(*time).ok()?.duration_since(SystemTime::UNIX_EPOCH).ok().map(|d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::client::result::ConnectorError;

    #[test]
    fn the_sdks_debug_form_of_an_error_reads_plainly() {
        let text = "failed to load token: Error { code: \"UnauthorizedException\", message: \"Session token not found \
                    or invalid\", aws_request_id: \"x\" } (more)";
        assert_eq!(
            plain_error_debug(text),
            "failed to load token: UnauthorizedException: Session token not found or invalid (more)"
        );
        assert_eq!(plain_error_debug("no debug here"), "no debug here");
    }

    #[test]
    fn an_unknown_issuer_names_the_ca_bundle_variable() {
        let inner = std::io::Error::other("invalid peer certificate: UnknownIssuer");
        let text = causes(&ConnectorError::io(Box::new(inner)));
        assert!(
            text.starts_with("io error: invalid peer certificate: UnknownIssuer (the server's certificate"),
            "{text}"
        );
        assert!(text.contains("a TLS-inspecting proxy needs its CA in AWS_CA_BUNDLE"), "{text}");
        let other = causes(&ConnectorError::io(Box::new(std::io::Error::other("connection refused"))));
        assert!(!other.contains("AWS_CA_BUNDLE"), "{other}");
    }

    #[test]
    fn error_causes_are_joined_without_repeats() {
        let inner = std::io::Error::other("connection refused");
        let outer = ConnectorError::io(Box::new(inner));
        assert_eq!(causes(&outer), "io error: connection refused");
    }
}
