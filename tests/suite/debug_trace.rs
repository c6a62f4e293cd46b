//! `ECR_LOGIN_DEBUG`, through the binary: one stderr line per decision with `1`, the same lines
//! appended to a private file with a path, nothing at all when unset, and never a secret. The
//! secrets audit (`tests/suite/secrets.rs`) also runs every path with the trace on.

use crate::support;

use support::stand_in::{Answer, StandIn};
use support::{HOST, SECRET_KEY, Sandbox};

/// The trace's lines in a run's stderr, without their `ecr-login debug [pid +time]` prefix.
fn trace_lines(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|line| line.strip_prefix("ecr-login debug ["))
        .filter_map(|rest| rest.split_once("] ").map(|(_, text)| text.to_string()))
        .collect()
}

/// Whether some line starts with `start` and contains `part`.
fn has(lines: &[String], start: &str, part: &str) -> bool {
    lines.iter().any(|l| l.starts_with(start) && l.contains(part))
}

#[test]
fn a_miss_then_a_hit_say_each_decision_in_order_and_never_a_secret() {
    let stand_in = StandIn::start();
    let mut sandbox = Sandbox::new(&stand_in.url());
    sandbox.set("ECR_LOGIN_DEBUG", "1");
    let miss = sandbox.get(HOST);
    assert_eq!(miss.code, 0, "{miss:?}");
    let lines = trace_lines(&miss.stderr);
    // Every stderr line of a successful get is a trace line.
    assert_eq!(lines.len(), miss.stderr.lines().count(), "{miss:?}");
    // The entry's path, under the sandbox's cache directory, written as the OS writes paths.
    let entry = format!("cache: {}", sandbox.cache_dir().display());
    let order = [
        "docker-credential-ecr-login",
        "config: none at",
        "registry: 123456789012",
        "rule: none",
        "identity: fingerprint",
        entry.as_str(),
        "cache: miss",
        "signer: the credential chain",
        "lock: held",
        "fetch: 123456789012",
        "credentials: access key id AKIDSANDBOX from",
        "ECR GetAuthorizationToken attempt 1: POST http://127.0.0.1:",
        "ECR GetAuthorizationToken attempt 1: HTTP 200",
        "fetch: 1 token(s)",
        "served: a token valid until",
    ];
    let mut at = 0;
    for start in order {
        let found = lines[at..].iter().position(|l| l.starts_with(start));
        at += found.unwrap_or_else(|| panic!("no {start:?} after line {at} in {lines:#?}")) + 1;
    }
    // The fingerprint's inputs by name, never by value.
    assert!(has(&lines, "identity:", "AWS_ACCESS_KEY_ID, AWS_EC2_METADATA_DISABLED, AWS_ENDPOINT_URL"), "{lines:#?}");
    assert!(!has(&lines, "identity:", "AKIDSANDBOX"), "{lines:#?}");
    let password = sandbox.get(HOST).secret();
    for secret in [SECRET_KEY, password.as_str()] {
        assert!(!miss.stderr.contains(secret), "{miss:?}");
    }

    let hit = sandbox.get(HOST);
    let lines = trace_lines(&hit.stderr);
    assert!(has(&lines, "cache: hit: fresh until", ""), "{lines:#?}");
    assert!(!has(&lines, "fetch:", "") && !has(&lines, "signer:", ""), "a hit fetched: {lines:#?}");
    assert_eq!(stand_in.requests().len(), 1);
}

#[test]
fn a_stale_entry_and_each_failed_attempt_are_said() {
    let stand_in = StandIn::start();
    let mut sandbox = Sandbox::new(&stand_in.url());
    sandbox.get(HOST).assert_clean_success();
    sandbox.age_entry(7 * 3600, 12 * 3600);
    stand_in.answer(Answer::error(500, "ServerException", "internal failure"));
    sandbox.set("ECR_LOGIN_DEBUG", "1");
    let stale = sandbox.get(HOST);
    assert_eq!(stale.code, 0, "the stale token is served: {stale:?}");
    let lines = trace_lines(&stale.stderr);
    assert!(has(&lines, "cache: stale: past half its life", "serving it until"), "{lines:#?}");
    for n in 1..=3 {
        let attempt = format!("ECR GetAuthorizationToken attempt {n}: HTTP 500 in ");
        assert!(has(&lines, &attempt, " ms"), "{attempt} in {lines:#?}");
    }
    assert!(has(&lines, "fetch: failed in", "ServerException"), "{lines:#?}");
    assert!(has(&lines, "served: a token valid until", ""), "{lines:#?}");
}

#[test]
fn a_path_gets_the_lines_in_a_private_file_appended_and_stderr_stays_quiet() {
    let stand_in = StandIn::start();
    let mut sandbox = Sandbox::new(&stand_in.url());
    let file = sandbox.dir.path().join("logs/trace.log");
    std::fs::create_dir(file.parent().unwrap()).unwrap();
    sandbox.set("ECR_LOGIN_DEBUG", file.to_str().unwrap());
    sandbox.get(HOST).assert_clean_success();
    sandbox.get(HOST).assert_clean_success();
    let text = std::fs::read_to_string(&file).unwrap();
    let lines = trace_lines(&text);
    assert_eq!(lines.len(), text.lines().count(), "{text}");
    assert!(has(&lines, "cache: miss", "") && has(&lines, "cache: hit", ""), "{text}");
    // Two processes, each line prefixed by its own pid.
    let pids: std::collections::BTreeSet<&str> =
        text.lines().filter_map(|l| l.strip_prefix("ecr-login debug [")?.split(' ').next()).collect();
    assert_eq!(pids.len(), 2, "{text}");
    support::assert_private(&file);
    assert!(!text.contains(SECRET_KEY));
}

// Unix only: a symbolic link and a mode-0777 directory; Windows's forms (reparse points, DACLs)
// are the files room's tests.
#[cfg(unix)]
#[test]
fn a_file_that_cannot_be_trusted_is_refused_with_one_warning_and_the_get_still_works() {
    use std::os::unix::fs::PermissionsExt;
    let stand_in = StandIn::start();
    let mut sandbox = Sandbox::new(&stand_in.url());
    let dir = sandbox.dir.path().to_path_buf();
    let target = dir.join("elsewhere.log");
    std::fs::write(&target, "").unwrap();
    std::os::unix::fs::symlink(&target, dir.join("link.log")).unwrap();
    let open_dir = dir.join("open");
    std::fs::create_dir(&open_dir).unwrap();
    std::fs::set_permissions(&open_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let cases = [
        (dir.join("link.log").display().to_string(), "it is a symbolic link"),
        (open_dir.join("trace.log").display().to_string(), "can be written by other users"),
        ("trace.log".to_string(), "absolute path"),
    ];
    for (value, why) in cases {
        sandbox.set("ECR_LOGIN_DEBUG", &value);
        let run = sandbox.get(HOST);
        assert_eq!(run.code, 0, "{value}: {run:?}");
        assert_eq!(run.stderr.lines().count(), 1, "{value}: {run:?}");
        assert!(run.stderr.starts_with("ecr-login: warning: ") && run.stderr.contains(why), "{value}: {run:?}");
    }
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "", "written through a link");
    assert!(!open_dir.join("trace.log").exists());
}

#[test]
fn unset_or_zero_says_nothing() {
    let stand_in = StandIn::start();
    let mut sandbox = Sandbox::new(&stand_in.url());
    sandbox.get(HOST).assert_clean_success();
    sandbox.set("ECR_LOGIN_DEBUG", "0");
    sandbox.get(HOST).assert_clean_success();
    sandbox.set("ECR_LOGIN_DEBUG", "");
    sandbox.get(HOST).assert_clean_success();
}

#[test]
fn the_kubelet_and_a_non_ecr_host_are_traced_too() {
    let stand_in = StandIn::start();
    let mut sandbox = Sandbox::new(&stand_in.url());
    sandbox.set("ECR_LOGIN_DEBUG", "1");
    let image = format!("{HOST}/team/app");
    let run = sandbox.run(&["kubelet-provider"], support::kubelet_request(support::KUBELET_V1, &image).as_bytes());
    assert_eq!(run.code, 0, "{run:?}");
    let lines = trace_lines(&run.stderr);
    assert!(has(&lines, "image: ", "team/app") && has(&lines, "service account: none", ""), "{lines:#?}");
    assert!(has(&lines, "served:", ""), "{lines:#?}");
    let other = sandbox.get("ghcr.io");
    assert!(has(&trace_lines(&other.stderr), "registry: \"ghcr.io\" is not ECR", ""), "{other:?}");
}
