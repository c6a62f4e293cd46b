//! The `ECR_LOGIN_DEBUG` trace of each HTTP attempt of an SDK call: an interceptor that notes
//! where the attempt went (method and URL: the endpoint as resolved) and how it ended (the HTTP
//! status, or no answer) with its duration. It sees the request but notes neither its headers
//! (the signature) nor either body (the token).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
// The SDK's own re-export: aws-smithy-types is not a dependency of ours.
use aws_sdk_ecr::config::ConfigBag;

use crate::trace::Trace;

/// Notes each attempt of one call on the trace.
#[derive(Debug)]
pub(super) struct Attempts {
    trace: Trace,
    /// The API and operation, as the lines name the call.
    call: &'static str,
    attempt: AtomicU32,
    started: Mutex<Option<Instant>>,
}

impl Attempts {
    /// The interceptor for `call` when the trace is on; `None` costs the call nothing.
    pub(super) fn when_tracing(trace: &Trace, call: &'static str) -> Option<Attempts> {
        trace.is_on().then(|| Attempts {
            trace: trace.clone(),
            call,
            attempt: AtomicU32::new(0),
            started: Mutex::new(None),
        })
    }
}

impl Intercept for Attempts {
    fn name(&self) -> &'static str {
        "ecr-login attempts trace"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let n = self.attempt.fetch_add(1, Ordering::Relaxed) + 1;
        if let Ok(mut started) = self.started.lock() {
            *started = Some(Instant::now());
        }
        let request = context.request();
        self.trace.note(|| format!("{} attempt {n}: {} {}", self.call, request.method(), without_query(request.uri())));
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let n = self.attempt.load(Ordering::Relaxed);
        let took = self.started.lock().ok().and_then(|s| *s).map_or(0, |s| s.elapsed().as_millis());
        let outcome = match (context.response(), context.output_or_error()) {
            (Some(response), _) => format!("HTTP {}", response.status().as_u16()),
            (None, Some(Err(e))) => format!("no answer ({e})"),
            (None, _) => "no answer".to_string(),
        };
        self.trace.note(|| format!("{} attempt {n}: {outcome} in {took} ms", self.call));
        Ok(())
    }
}

/// A URL without its query: ECR's calls carry none, but a presigned one would carry a signature.
fn without_query(uri: &str) -> &str {
    uri.split_once('?').map_or(uri, |(path, _)| path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_never_noted() {
        assert_eq!(
            without_query("https://api.ecr.us-east-1.amazonaws.com/"),
            "https://api.ecr.us-east-1.amazonaws.com/"
        );
        assert_eq!(without_query("https://sts.amazonaws.com/?X-Amz-Signature=abc"), "https://sts.amazonaws.com/");
    }

    #[test]
    fn off_means_no_interceptor() {
        assert!(Attempts::when_tracing(&Trace::off(), "ECR GetAuthorizationToken").is_none());
    }
}
