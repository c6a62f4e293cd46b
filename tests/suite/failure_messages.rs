//! What a user sees when a token cannot be had: the protocol's not-found line on stdout (so that no
//! client drops other registries' credentials because of us), one line on stderr naming the cause
//! and the fix, exit code 1, never a secret, never a backtick, never more than a bounded quote of
//! what the caller sent.

use crate::support;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use support::stand_in::{Answer, StandIn};
use support::{HOST, NOT_FOUND, Sandbox, closed_port_url};

fn private_failure(sandbox: &Sandbox) -> support::Run {
    let run = sandbox.get(HOST);
    run.assert_one_line_failure();
    assert_eq!(run.stdout, format!("{NOT_FOUND}\n"), "{run:?}");
    assert!(run.stderr.starts_with("ecr-login: "), "{run:?}");
    assert!(!run.stderr.contains('`'), "{run:?}");
    run
}

#[test]
fn no_credentials_names_the_profile_and_the_fix() {
    let ecr = StandIn::start();
    let mut sandbox = Sandbox::bare();
    sandbox.set("AWS_ENDPOINT_URL", &ecr.url());
    let run = private_failure(&sandbox);
    assert!(run.stderr.starts_with("ecr-login: no AWS credentials"), "{run:?}");
    assert!(run.stderr.contains("aws configure"), "{run:?}");
    assert_eq!(ecr.calls(), 0);
}

#[test]
fn an_unknown_profile_is_named() {
    let ecr = StandIn::start();
    let mut sandbox = Sandbox::bare();
    sandbox.set("AWS_ENDPOINT_URL", &ecr.url());
    sandbox.write_home_file(".aws/credentials", "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s\n");
    sandbox.set("AWS_PROFILE", "deve");
    let run = private_failure(&sandbox);
    assert!(run.stderr.contains("profile \"deve\""), "{run:?}");
    assert!(run.stderr.contains("AWS_PROFILE"), "{run:?}");
}

#[test]
fn access_denied_names_the_principal_and_action() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    ecr.answer(Answer::error(
        400,
        "AccessDeniedException",
        "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecr:GetAuthorizationToken on resource: *",
    ));
    let run = private_failure(&sandbox);
    assert!(run.stderr.contains("access denied"), "{run:?}");
    assert!(run.stderr.contains("arn:aws:iam::123456789012:user/ci"), "{run:?}");
    assert!(run.stderr.contains("ecr:GetAuthorizationToken"), "{run:?}");
    assert_eq!(ecr.calls(), 1, "access denied is not retried");
}

#[test]
fn throttling_is_retried_a_bounded_number_of_times_then_named() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    ecr.answer(Answer::error(400, "ThrottlingException", "Rate exceeded"));
    let run = private_failure(&sandbox);
    assert!(run.stderr.contains("throttled"), "{run:?}");
    assert_eq!(ecr.calls(), 3);
}

#[test]
fn rejected_credentials_are_named() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    ecr.answer(Answer::error(
        400,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    ));
    let run = private_failure(&sandbox);
    assert!(run.stderr.contains("rejected the credentials"), "{run:?}");
}

#[test]
fn server_errors_are_retried_then_reported() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    ecr.answer(Answer::error(500, "ServerException", "internal failure"));
    let run = private_failure(&sandbox);
    assert!(run.stderr.contains("ServerException"), "{run:?}");
    assert_eq!(ecr.calls(), 3);
}

#[test]
fn an_unreachable_endpoint_fails_fast_and_says_so() {
    let sandbox = Sandbox::new(&closed_port_url());
    let start = Instant::now();
    let run = private_failure(&sandbox);
    assert!(run.stderr.contains("cannot reach the ECR API in us-east-1"), "{run:?}");
    assert!(start.elapsed() < Duration::from_secs(10), "{:?}", start.elapsed());
}

#[test]
fn a_silent_endpoint_fails_within_the_configured_deadline() {
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let mut sandbox = Sandbox::new(&url);
    sandbox.set("ECR_LOGIN_TIMEOUT", "1.5");
    let start = Instant::now();
    let run = private_failure(&sandbox);
    let elapsed = start.elapsed();
    assert!(run.stderr.contains("no answer from AWS within 1.5s"), "{run:?}");
    assert!(elapsed >= Duration::from_millis(1400) && elapsed < Duration::from_secs(6), "{elapsed:?}");
    drop(listener);
}

#[test]
fn a_malformed_timeout_setting_is_refused_clearly() {
    let ecr = StandIn::start();
    let mut sandbox = Sandbox::new(&ecr.url());
    for value in ["soon", "0", "-3", "99999"] {
        sandbox.set("ECR_LOGIN_TIMEOUT", value);
        let run = private_failure(&sandbox);
        assert!(run.stderr.starts_with("ecr-login: ECR_LOGIN_TIMEOUT must be"), "{run:?}");
        assert!(run.stderr.contains(&format!("not \"{value}\"")), "{run:?}");
    }
    assert_eq!(ecr.calls(), 0);
}

#[test]
fn a_token_for_another_account_is_refused() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    ecr.answer(Answer::OtherAccount { account: "999999999999".into() });
    let run = private_failure(&sandbox);
    assert!(run.stderr.contains("names the requested account"), "{run:?}");
    assert!(run.stderr.contains("999999999999"), "{run:?}");
    assert!(!run.stderr.contains("token-1") && !run.stdout.contains("token-1"), "{run:?}");
    assert!(sandbox.cache_entries().is_empty());
}

#[test]
fn ecr_public_failures_answer_not_found_so_anonymous_pulls_proceed() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    ecr.answer(Answer::error(400, "AccessDeniedException", "User: arn:aws:iam::1:user/x is not authorized"));
    let run = sandbox.get("public.ecr.aws");
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, format!("{NOT_FOUND}\n"));
    assert_eq!(run.stderr.lines().count(), 1);
    assert!(run.stderr.contains("access denied"), "{run:?}");
}

#[test]
fn ecr_public_outside_the_aws_partition_fails_fast_without_a_call() {
    let ecr = StandIn::start();
    let mut sandbox = Sandbox::new(&ecr.url());
    sandbox.set("AWS_REGION", "cn-north-1");
    let run = sandbox.get("public.ecr.aws");
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, format!("{NOT_FOUND}\n"));
    assert!(run.stderr.contains("aws partition"), "{run:?}");
    assert_eq!(ecr.calls(), 0);
}

#[test]
fn an_unwritable_cache_directory_still_serves_the_token_and_warns() {
    let ecr = StandIn::start();
    let mut sandbox = Sandbox::new(&ecr.url());
    sandbox.make_cache_unwritable();
    let run = sandbox.get(HOST);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.secret(), "123456789012-token-1");
    assert!(run.stderr.contains("cannot cache the token"), "{run:?}");
}

#[test]
fn a_server_error_page_that_is_not_json_names_the_status_and_ecrs_side() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    ecr.answer(Answer::Raw {
        status: 503,
        content_type: "text/html".into(),
        body: "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>".into(),
    });
    let run = private_failure(&sandbox);
    assert!(run.stderr.contains("HTTP 503") && run.stderr.contains("ECR's side"), "{run:?}");
    assert!(!run.stderr.contains("UnknownError") && !run.stderr.contains("no message"), "{run:?}");
    assert!(!run.stderr.contains("<html>"), "{run:?}");
    assert_eq!(ecr.calls(), 3, "a 503 is retried");
}

#[test]
fn a_truncated_answer_names_the_status_and_ecrs_side() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    ecr.answer(Answer::Raw {
        status: 200,
        content_type: "application/x-amz-json-1.1".into(),
        body: r#"{"authorizationData":[{"authorizationToken":"QVdTOnNlY3JldC1wYXJ0"#.into(),
    });
    let run = private_failure(&sandbox);
    assert!(run.stderr.contains("HTTP 200") && run.stderr.contains("ECR's side"), "{run:?}");
    assert!(!run.stderr.contains("QVdTOnNlY3JldC1wYXJ0"), "no part of the body is repeated: {run:?}");
    assert!(sandbox.cache_entries().is_empty());
}

#[test]
fn caller_input_is_quoted_short_and_escaped_in_messages() {
    let sandbox = Sandbox::bare();
    let long_host = format!("{}.example", "a".repeat(1024 * 1024 - 100));
    let run = sandbox.get(&long_host);
    assert_eq!((run.code, run.stdout.as_str()), (1, "credentials not found in native keychain\n"), "{run:?}");
    assert_eq!(run.stderr.lines().count(), 1);
    assert!(run.stderr.len() < 400, "stderr is {} bytes", run.stderr.len());
    assert!(run.stderr.contains("more bytes"), "{}", run.stderr);

    let run = sandbox.get("evil\u{1b}[2J.example\u{7}");
    assert!(!run.stderr.contains('\u{1b}') && !run.stderr.contains('\u{7}'), "{run:?}");
    assert!(run.stderr.contains("\\u{1b}[2j"), "{run:?}");

    let args: Vec<String> = (0..1000).map(|i| format!("arg{i}")).collect();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = sandbox.run(&refs, b"");
    assert_eq!(run.code, 1);
    assert!(run.stderr.len() < 400, "{}", run.stderr);
    assert!(run.stderr.contains("1000 argument(s)"), "{}", run.stderr);
}

#[test]
fn a_port_outside_the_tcp_range_is_not_a_registry() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    for server in [format!("{HOST}:99999"), format!("{HOST}:0"), format!("https://{HOST}:65536/v2/")] {
        let run = sandbox.get(&server);
        assert_eq!((run.code, run.stdout.as_str()), (1, "credentials not found in native keychain\n"), "{run:?}");
        assert!(run.stderr.contains("not an Amazon ECR registry"), "{run:?}");
    }
    assert_eq!(sandbox.get(&format!("{HOST}:65535")).code, 0);
    assert_eq!(ecr.calls(), 1);
}

#[test]
fn an_expired_sso_session_names_aws_sso_login_with_its_profile_and_reads_plainly() {
    let stand_in = StandIn::start();
    let mut sandbox = Sandbox::new(&stand_in.url());
    sandbox.unset("AWS_ACCESS_KEY_ID");
    sandbox.unset("AWS_SECRET_ACCESS_KEY");
    sandbox.set("AWS_PROFILE", "corp-sso");
    sandbox.write_home_file(
        ".aws/config",
        "[profile corp-sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Pull\n\n\
         [sso-session corp]\nsso_start_url = https://corp.example/start\nsso_region = us-east-1\n",
    );
    let run = sandbox.get(HOST);
    run.assert_one_line_failure();
    assert!(run.stderr.contains("run 'aws sso login --profile corp-sso'"), "{run:?}");
    assert!(!run.stderr.contains("Error {"), "{run:?}");
    assert_eq!(stand_in.calls(), 0);
}

#[test]
fn a_metadata_service_that_does_not_answer_sends_nobody_to_sso() {
    let stand_in = StandIn::start();
    let mut sandbox = Sandbox::bare();
    sandbox.set("AWS_ENDPOINT_URL", &stand_in.url());
    // The instance metadata service is on, at a loopback port where nothing listens.
    sandbox.unset("AWS_EC2_METADATA_DISABLED");
    sandbox.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", &closed_port_url());
    let run = sandbox.get(HOST);
    run.assert_one_line_failure();
    assert!(run.stderr.contains("no AWS credentials"), "{run:?}");
    assert!(!run.stderr.to_lowercase().contains("sso"), "{run:?}");
}
