//! A hand-written fake of the AWS seam for unit tests: scripted token answers with a call count,
//! a caller report, and an endpoint, so that `get`, `list`, the token path and doctor run without
//! AWS.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::path::Path;
use std::time::Duration;

use base64::Engine;

use crate::auth_token::IssuedToken;
use crate::aws::{Aws, CallerReport, FetchRequest, Principal, SessionCredentials, SessionRequest};
use crate::clock::UnixSeconds;
use crate::env::Env;
use crate::error::Error;
use crate::identity::Identity;
use crate::registry::PrivateRegistry;
use crate::secret::Secret;
use crate::world::{Streams, World};

/// The registry the fake answers for.
pub const HOST: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

/// An AWS that answers from a script and counts its token calls.
#[derive(Default)]
pub struct FakeAws {
    answers: RefCell<VecDeque<Result<Vec<IssuedToken>, Error>>>,
    /// Token calls so far.
    pub calls: Cell<usize>,
    /// What `describe_caller` answers; `None`: no credentials.
    pub caller: RefCell<Option<CallerReport>>,
}

impl FakeAws {
    /// Queues a token with `password` that expires at `expires_at`.
    pub fn token(&self, password: &str, expires_at: UnixSeconds) {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("AWS:{password}"));
        self.answers.borrow_mut().push_back(Ok(vec![IssuedToken {
            authorization_token: Secret::new(encoded),
            expires_at: Some(expires_at),
            proxy_endpoint: Some(format!("https://{HOST}")),
        }]));
    }

    /// Queues a failure.
    pub fn error(&self) {
        self.fail_with(Error::Throttled { registry: HOST.into() });
    }

    /// Queues `error` as the next answer.
    pub fn fail_with(&self, error: Error) {
        self.answers.borrow_mut().push_back(Err(error));
    }

    /// Makes `describe_caller` name a caller.
    pub fn with_caller(self, arn: &str) -> FakeAws {
        *self.caller.borrow_mut() = Some(CallerReport {
            source: "[CredentialsEnvVars]".into(),
            access_key_id: "AKIDFAKE".into(),
            arn: Ok(arn.into()),
        });
        self
    }
}

impl Aws for &FakeAws {
    async fn fetch(&self, _request: FetchRequest<'_>) -> Result<Vec<IssuedToken>, Error> {
        self.calls.set(self.calls.get() + 1);
        self.answers.borrow_mut().pop_front().unwrap_or_else(|| Err(Error::Throttled { registry: HOST.into() }))
    }

    async fn start_session(&self, request: SessionRequest<'_>) -> Result<SessionCredentials, Error> {
        Err(Error::MfaRefused {
            registry: request.registry.into(),
            profile: request.profile.into(),
            detail: "the fake starts no sessions".into(),
        })
    }

    async fn describe_caller(
        &self,
        registry: &str,
        _region: &str,
        identity: &Identity,
        _principal: &Principal,
        _timeout: Duration,
    ) -> Result<CallerReport, Error> {
        self.caller
            .borrow()
            .clone()
            .ok_or_else(|| Error::NoCredentials { registry: registry.into(), profile: identity.profile.clone() })
    }

    async fn resolved_endpoint(&self, registry: &PrivateRegistry, env_endpoint: Option<&str>, _flags: bool) -> String {
        env_endpoint.map_or_else(|| format!("https://api.ecr.{}.amazonaws.com", registry.region), str::to_string)
    }
}

/// Runs `get` for `input` against `aws` at time `now`, with `env` and the cache under `cache`;
/// returns (exit code, stdout, stderr).
pub fn get_at(aws: &FakeAws, env: &Env, cache: &Path, now: UnixSeconds, input: &str) -> (u8, String, String) {
    let clock = move || now;
    let world =
        World { env, cache_dir: Some(cache.to_path_buf()), now: &clock, aws, trace: crate::trace::Trace::off() };
    let mut streams = Streams { stdin: input.as_bytes(), stdout: Vec::new(), stderr: Vec::new() };
    let code = crate::cli::docker::get(&mut streams, &world);
    (code, String::from_utf8_lossy(&streams.stdout).into_owned(), String::from_utf8_lossy(&streams.stderr).into_owned())
}
