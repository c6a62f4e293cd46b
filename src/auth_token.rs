//! The registry password and its lifetime: decoding ECR's base64 `AWS:password` and deciding, with
//! an injected clock, whether a token is fresh, due for refresh, or no longer safe to serve.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::clock::UnixSeconds;
use crate::secret::Secret;

/// A token is never served once it is this close to its expiry: a pull that starts with it must
/// have time to finish. Tokens that the API hands out already inside the margin are not cached.
pub const SAFETY_MARGIN: Duration = Duration::from_secs(10 * 60);

/// A registry credential with its lifetime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthToken {
    /// The registry user name; `AWS` for every ECR token.
    pub username: String,
    /// The registry password.
    pub password: Secret<String>,
    /// When this process (or the one that cached it) received the token.
    pub issued_at: UnixSeconds,
    /// When ECR says the token stops working.
    pub expires_at: UnixSeconds,
}

/// One token as the API handed it out, before decoding.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// Base64 of `user:password`.
    pub authorization_token: Secret<String>,
    /// When the token expires, if the API said.
    pub expires_at: Option<UnixSeconds>,
    /// The registry URL the token is for (private registries only).
    pub proxy_endpoint: Option<String>,
}

/// What to do with a token at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Less than half its life has passed: serve it, call nobody.
    Fresh,
    /// Past half its life but outside the safety margin: refresh it, and serve it if that fails.
    DueForRefresh,
    /// Expired, or inside the safety margin: never serve it.
    Unusable,
}

/// Why a token from the API could not be decoded. The token itself never appears here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The token is not valid base64.
    NotBase64,
    /// The decoded token is not UTF-8 `user:password`.
    NotUserPassword,
}

/// Why an answer from the API gave no usable token. Carries no part of the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectError {
    /// No entry names the requested account; carries the endpoints that were named.
    WrongAccount {
        /// The proxy endpoints in the answer.
        endpoints: Vec<String>,
    },
    /// The chosen entry's token does not decode.
    Undecodable(DecodeError),
}

impl std::fmt::Display for SelectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SelectError::WrongAccount { endpoints } => {
                write!(f, "no token in the answer names the requested account (proxy endpoints: {endpoints:?})")
            }
            SelectError::Undecodable(DecodeError::NotBase64) => f.write_str("the token is not base64"),
            SelectError::Undecodable(DecodeError::NotUserPassword) => {
                f.write_str("the token is not of the form user:password")
            }
        }
    }
}

/// Picks the token for `account` (a private registry) or the only token (ECR Public, `None`) from
/// an API answer, checks that its proxy endpoint names the account, and decodes it. A token with no
/// expiry is taken as expiring `now`: it is served once and never cached.
pub fn select(issued: &[IssuedToken], account: Option<&str>, now: UnixSeconds) -> Result<AuthToken, SelectError> {
    let names_account = |token: &IssuedToken| match account {
        None => true,
        Some(account) => token
            .proxy_endpoint
            .as_deref()
            .and_then(|endpoint| crate::registry::host_of(endpoint).ok())
            .is_some_and(|host| host.split('.').next() == Some(account)),
    };
    let chosen = issued.iter().find(|t| names_account(t)).ok_or_else(|| SelectError::WrongAccount {
        endpoints: issued.iter().filter_map(|t| t.proxy_endpoint.clone()).collect(),
    })?;
    AuthToken::decode(chosen.authorization_token.expose(), now, chosen.expires_at.unwrap_or(now))
        .map_err(SelectError::Undecodable)
}

impl AuthToken {
    /// Decodes ECR's `authorizationToken` (base64 of `AWS:password`).
    pub fn decode(encoded: &str, issued_at: UnixSeconds, expires_at: UnixSeconds) -> Result<AuthToken, DecodeError> {
        let bytes = STANDARD.decode(encoded.trim()).map_err(|_| DecodeError::NotBase64)?;
        let text = String::from_utf8(bytes).map_err(|_| DecodeError::NotUserPassword)?;
        let (username, password) = text.split_once(':').ok_or(DecodeError::NotUserPassword)?;
        // `<token>` means "identity token" to every docker client: it must never be our user name.
        if username.is_empty() || password.is_empty() || username == "<token>" {
            return Err(DecodeError::NotUserPassword);
        }
        Ok(AuthToken {
            username: username.to_string(),
            password: Secret::new(password.to_string()),
            issued_at,
            expires_at,
        })
    }

    /// The last moment at which the token may still be served.
    pub fn usable_until(&self) -> UnixSeconds {
        self.expires_at.saturating_sub(SAFETY_MARGIN.as_secs())
    }

    /// Whether ECR gave this token no expiry: [`select`] dates such a token to the moment it
    /// arrived, its issue time.
    pub fn expiry_unknown(&self) -> bool {
        self.expires_at == self.issued_at
    }

    /// The moment after which a fresh token should be fetched: half the token's life.
    pub fn refresh_at(&self) -> UnixSeconds {
        let life = self.expires_at.saturating_sub(self.issued_at);
        self.issued_at.saturating_add(life / 2)
    }

    /// Classifies the token at `now`.
    pub fn freshness(&self, now: UnixSeconds) -> Freshness {
        if now >= self.usable_until() {
            Freshness::Unusable
        } else if now >= self.refresh_at() {
            Freshness::DueForRefresh
        } else {
            Freshness::Fresh
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: u64 = 3600;
    const T0: u64 = 1_800_000_000;

    fn token(issued_at: u64, expires_at: u64) -> AuthToken {
        AuthToken::decode(&STANDARD.encode("AWS:pw"), issued_at, expires_at).unwrap()
    }

    #[test]
    fn a_token_decodes_to_its_user_and_password() {
        let t = AuthToken::decode(&STANDARD.encode("AWS:abc:def=="), T0, T0 + 12 * HOUR).unwrap();
        assert_eq!(t.username, "AWS");
        assert_eq!(t.password.expose(), "abc:def==");
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for encoded in ["%%%", "", &STANDARD.encode("AWS"), &STANDARD.encode(":pw"), &STANDARD.encode("AWS:")] {
            assert!(AuthToken::decode(encoded, T0, T0).is_err(), "{encoded}");
        }
        assert_eq!(AuthToken::decode(&STANDARD.encode("<token>:x"), T0, T0), Err(DecodeError::NotUserPassword));
        assert_eq!(AuthToken::decode(&STANDARD.encode([0xff, b':', b'x']), T0, T0), Err(DecodeError::NotUserPassword));
    }

    #[test]
    fn a_token_is_fresh_for_half_its_life() {
        let t = token(T0, T0 + 12 * HOUR);
        assert_eq!(t.freshness(T0), Freshness::Fresh);
        assert_eq!(t.freshness(T0 + 6 * HOUR - 1), Freshness::Fresh);
        assert_eq!(t.freshness(T0 + 6 * HOUR), Freshness::DueForRefresh);
    }

    #[test]
    fn a_token_inside_the_safety_margin_is_unusable() {
        let t = token(T0, T0 + 12 * HOUR);
        let margin = SAFETY_MARGIN.as_secs();
        assert_eq!(t.freshness(T0 + 12 * HOUR - margin - 1), Freshness::DueForRefresh);
        assert_eq!(t.freshness(T0 + 12 * HOUR - margin), Freshness::Unusable);
        assert_eq!(t.freshness(T0 + 13 * HOUR), Freshness::Unusable);
    }

    #[test]
    fn a_token_that_arrives_already_expired_is_unusable() {
        // moto answers a fixed expiresAt in 2015.
        let t = token(T0, 1_420_070_400);
        assert_eq!(t.freshness(T0), Freshness::Unusable);
    }

    fn issued(password: &str, endpoint: Option<&str>) -> IssuedToken {
        IssuedToken {
            authorization_token: Secret::new(STANDARD.encode(format!("AWS:{password}"))),
            expires_at: Some(T0 + 12 * HOUR),
            proxy_endpoint: endpoint.map(str::to_string),
        }
    }

    #[test]
    fn select_picks_the_entry_of_the_requested_account() {
        let answer = [
            issued("other", Some("https://210987654321.dkr.ecr.us-east-1.amazonaws.com")),
            issued("mine", Some("https://123456789012.dkr.ecr.us-east-1.amazonaws.com")),
        ];
        let t = select(&answer, Some("123456789012"), T0).unwrap();
        assert_eq!(t.password.expose(), "mine");
        assert_eq!((t.issued_at, t.expires_at), (T0, T0 + 12 * HOUR));
    }

    #[test]
    fn select_refuses_another_accounts_token() {
        let answer = [issued("other", Some("https://210987654321.dkr.ecr.us-east-1.amazonaws.com"))];
        let err = select(&answer, Some("123456789012"), T0).unwrap_err();
        assert!(matches!(err, SelectError::WrongAccount { .. }));
        assert!(!err.to_string().contains("other"));
        let no_endpoint = [issued("x", None)];
        assert!(select(&no_endpoint, Some("123456789012"), T0).is_err());
    }

    #[test]
    fn select_takes_the_public_token_and_defaults_a_missing_expiry_to_now() {
        let mut public = issued("pub", None);
        public.expires_at = None;
        let t = select(&[public], None, T0).unwrap();
        assert_eq!(t.expires_at, T0);
        assert!(t.expiry_unknown());
        assert_eq!(t.freshness(T0), Freshness::Unusable);
    }

    #[test]
    fn a_clock_that_went_backwards_keeps_the_token_fresh() {
        let t = token(T0, T0 + 12 * HOUR);
        assert_eq!(t.freshness(T0 - HOUR), Freshness::Fresh);
    }
}
