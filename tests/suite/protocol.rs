//! The docker-credential-helpers protocol as clients meet it: actions, input forms, exact stdout
//! bytes, exit codes, and what goes to stderr.

use crate::support;

use support::stand_in::StandIn;
use support::{HOST, NOT_FOUND, Sandbox};

#[test]
fn get_prints_exactly_one_credentials_line_and_nothing_on_stderr() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    let run = sandbox.get(HOST);
    run.assert_clean_success();
    assert_eq!(
        run.stdout,
        format!("{{\"ServerURL\":\"{HOST}\",\"Username\":\"AWS\",\"Secret\":\"123456789012-token-1\"}}\n")
    );
    let requests = ecr.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].target, "ecr");
    assert_eq!(requests[0].service, "ecr");
    assert_eq!(requests[0].region, "us-east-1");
    assert_eq!(requests[0].registry_ids, vec!["123456789012".to_string()]);
    assert_eq!(requests[0].access_key, "AKIDSANDBOX");
}

#[test]
fn the_region_in_the_host_overrides_the_configured_region() {
    let ecr = StandIn::start();
    let mut sandbox = Sandbox::new(&ecr.url());
    sandbox.set("AWS_REGION", "us-west-2");
    sandbox.get("210987654321.dkr.ecr.eu-central-1.amazonaws.com").assert_clean_success();
    assert_eq!(ecr.requests()[0].region, "eu-central-1");
    assert_eq!(ecr.requests()[0].registry_ids, vec!["210987654321".to_string()]);
}

#[test]
fn every_input_form_of_one_host_gets_its_token_and_echoes_the_input() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    let forms = [
        HOST.to_string(),
        format!("https://{HOST}"),
        format!("HTTPS://{HOST}"),
        format!("http://{HOST}"),
        format!("{HOST}:443"),
        format!("{HOST}/my/repo"),
        format!("https://{HOST}/v2/"),
        format!("{HOST}/"),
        format!("{HOST}."),
        HOST.to_uppercase(),
        format!("  {HOST}  "),
        format!("{HOST}\r\n"),
        format!("{HOST}\n"),
    ];
    for form in &forms {
        let run = sandbox.get(form);
        run.assert_clean_success();
        let answer: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(answer["ServerURL"], form.trim(), "{form:?}");
        assert_eq!(answer["Username"], "AWS");
        assert_eq!(run.secret(), "123456789012-token-1", "{form:?}");
    }
    // All forms are one registry: one API call in all.
    assert_eq!(ecr.calls(), 1);
}

// Unix only: a FIFO with no writer is how the test catches a read; Windows has no FIFO files.
#[cfg(unix)]
#[test]
fn non_ecr_host_is_not_found_without_loading_aws_config() {
    let ecr = StandIn::start();
    let mut sandbox = Sandbox::new(&ecr.url());
    // A FIFO with no writer: anything that opened it for reading would hang here.
    let fifo = sandbox.dir.path().join("config-fifo");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    sandbox.set("AWS_CONFIG_FILE", fifo.to_str().unwrap());
    sandbox.set("AWS_SHARED_CREDENTIALS_FILE", fifo.to_str().unwrap());
    for host in [
        "docker.io",
        "https://index.docker.io/v1/",
        "ghcr.io",
        "localhost:5000",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example",
    ] {
        // A read of the FIFO would hang: past the deadline the helper is killed, and that fails.
        let run = get_within(&sandbox, host, std::time::Duration::from_secs(10))
            .unwrap_or_else(|| panic!("{host}: the helper hung, so it read the AWS config"));
        assert_eq!(run.code, 1, "{run:?}");
        assert_eq!(run.stdout, format!("{NOT_FOUND}\n"));
        assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
        assert!(run.stderr.contains("not an Amazon ECR registry"), "{run:?}");
    }
    assert_eq!(ecr.calls(), 0);
    assert!(sandbox.cache_entries().is_empty());
    // The trap works: an ECR host reads the AWS config, and hangs on the FIFO.
    assert!(
        get_within(&sandbox, HOST, std::time::Duration::from_secs(2)).is_none(),
        "an ECR host did not read the FIFO"
    );
}

/// `get` for `host`, or None when the helper has not ended within `deadline` (it is killed then).
#[cfg(unix)]
fn get_within(sandbox: &Sandbox, host: &str, deadline: std::time::Duration) -> Option<support::Run> {
    use std::io::Write;
    use std::process::Stdio;
    let mut command = sandbox.command(&["get"]);
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = support::spawn(&mut command);
    let _ = child.stdin.take().unwrap().write_all(host.as_bytes());
    let end = std::time::Instant::now() + deadline;
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > end {
            child.kill().unwrap();
            child.wait().unwrap();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Some(support::to_run(child.wait_with_output().unwrap()))
}

#[test]
fn empty_input_is_the_protocols_missing_url_error() {
    let sandbox = Sandbox::bare();
    for input in ["", "  \r\n"] {
        let run = sandbox.get(input);
        run.assert_one_line_failure();
        assert_eq!(run.stdout, "no credentials server URL\n");
    }
}

#[test]
fn input_over_one_mebibyte_is_refused() {
    let sandbox = Sandbox::bare();
    let big = vec![b'a'; 1024 * 1024 + 1];
    let run = sandbox.run(&["get"], &big);
    run.assert_one_line_failure();
    assert!(run.stdout.contains("larger than 1048576 bytes"), "{run:?}");
}

#[test]
fn input_that_is_not_utf8_is_refused() {
    let run = Sandbox::bare().run(&["get"], &[0xff, 0xfe, b'x']);
    run.assert_one_line_failure();
    assert!(run.stdout.contains("not UTF-8"), "{run:?}");
}

#[test]
fn version_and_help_answer_on_stdout() {
    let sandbox = Sandbox::bare();
    for flag in ["version", "-v", "--version"] {
        let run = sandbox.run(&[flag], b"");
        run.assert_clean_success();
        let commit = support::checkout_commit();
        assert_eq!(
            run.stdout,
            format!("docker-credential-ecr-login (ecr-login) {} (commit {commit})\n", env!("CARGO_PKG_VERSION"))
        );
    }
    for flag in ["-h", "--help"] {
        let run = sandbox.run(&[flag], b"");
        run.assert_clean_success();
        assert!(run.stdout.contains("Usage: docker-credential-ecr-login <store|get|erase|list|version>"));
        assert!(run.stdout.contains("AWS_ECR_DISABLE_CACHE"));
    }
}

#[test]
fn no_action_or_an_unknown_one_prints_usage_and_exits_1() {
    let sandbox = Sandbox::bare();
    for args in [&[][..], &["fetch"][..], &["get", "extra"][..]] {
        let run = sandbox.run(args, b"");
        assert_eq!(run.code, 1, "{run:?}");
        assert_eq!(run.stdout, "Usage: docker-credential-ecr-login <store|get|erase|list|version>\n");
        assert_eq!(run.stderr.lines().count(), 1);
    }
}

#[test]
fn store_and_erase_of_ecr_hosts_succeed_silently_so_docker_login_and_logout_work() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    let store = format!(r#"{{"ServerURL":"https://{HOST}","Username":"AWS","Secret":"from-get-login-password"}}"#);
    let run = sandbox.run(&["store"], store.as_bytes());
    run.assert_clean_success();
    assert_eq!(run.stdout, "");
    for form in [HOST.to_string(), format!("https://{HOST}"), format!("http://{HOST}")] {
        let run = sandbox.run(&["erase"], form.as_bytes());
        run.assert_clean_success();
        assert_eq!(run.stdout, "");
    }
    assert_eq!(ecr.calls(), 0);
    // Nothing of the stored secret is kept anywhere.
    assert!(sandbox.cache_entries().is_empty());
}

#[test]
fn store_for_another_registry_fails_and_explains_cred_helpers() {
    let sandbox = Sandbox::bare();
    let run = sandbox.run(&["store"], br#"{"ServerURL":"https://index.docker.io/v1/","Username":"me","Secret":"pw"}"#);
    run.assert_one_line_failure();
    assert!(run.stdout.contains("credHelpers"), "{run:?}");
    assert!(!run.stdout.contains("pw\""), "{run:?}");
}

#[test]
fn store_checks_the_protocols_fields() {
    let sandbox = Sandbox::bare();
    let run = sandbox.run(&["store"], format!(r#"{{"ServerURL":"{HOST}","Username":"","Secret":"x"}}"#).as_bytes());
    run.assert_one_line_failure();
    assert_eq!(run.stdout, "no credentials username\n");
    let run = sandbox.run(&["store"], br#"{"ServerURL":"","Username":"AWS","Secret":"x"}"#);
    assert_eq!(run.stdout, "no credentials server URL\n");
    let run = sandbox.run(&["store"], b"{not json");
    run.assert_one_line_failure();
}

#[test]
fn erase_of_another_registry_is_not_found() {
    let run = Sandbox::bare().run(&["erase"], b"docker.io");
    run.assert_one_line_failure();
    assert_eq!(run.stdout, format!("{NOT_FOUND}\n"));
}

#[test]
fn ignore_creds_storage_makes_every_store_and_erase_succeed() {
    let mut sandbox = Sandbox::bare();
    sandbox.set("AWS_ECR_IGNORE_CREDS_STORAGE", "true");
    let run = sandbox.run(&["store"], br#"{"ServerURL":"https://index.docker.io/v1/","Username":"me","Secret":"pw"}"#);
    run.assert_clean_success();
    sandbox.run(&["erase"], b"docker.io").assert_clean_success();
}

#[test]
fn ecr_public_gets_its_token_from_us_east_1() {
    let ecr = StandIn::start();
    let mut sandbox = Sandbox::new(&ecr.url());
    sandbox.set("AWS_REGION", "eu-west-1");
    let run = sandbox.get("public.ecr.aws");
    run.assert_clean_success();
    assert_eq!(run.secret(), "public-token-1");
    let request = &ecr.requests()[0];
    assert_eq!(
        (request.target.as_str(), request.service.as_str(), request.region.as_str()),
        ("ecr-public", "ecr-public", "us-east-1")
    );
}

#[test]
fn a_fips_host_with_a_configured_endpoint_uses_that_endpoint() {
    let ecr = StandIn::start();
    let mut sandbox = Sandbox::new("http://127.0.0.1:9");
    sandbox.set("AWS_ENDPOINT_URL_ECR", &ecr.url());
    for host in ["123456789012.dkr.ecr-fips.us-east-1.amazonaws.com", "123456789012.dkr-ecr.us-east-1.on.aws"] {
        let run = sandbox.get(host);
        run.assert_clean_success();
    }
    assert_eq!(ecr.calls(), 2);
}
