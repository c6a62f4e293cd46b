//! `doctor` through the binary: a healthy setup and the broken ones users meet, each named with
//! its fix, and never a secret in the output.

mod support;

use support::stand_in::StandIn;
use support::{HOST, SECRET_KEY, Sandbox, closed_port_url};

/// A sandbox whose docker config routes HOST to the helper and whose PATH holds the binary.
fn healthy(endpoint: &str) -> Sandbox {
    let mut sandbox = Sandbox::new(endpoint);
    sandbox.write_home_file(".docker/config.json", &format!("{{\"credHelpers\":{{\"{HOST}\":\"ecr-login\"}}}}"));
    sandbox.put_binary_on_path("docker-credential-ecr-login");
    sandbox
}

fn doctor(sandbox: &Sandbox) -> support::Run {
    let run = sandbox.run(&["doctor", HOST], b"");
    assert!(!run.stdout.contains(SECRET_KEY) && !run.stderr.contains(SECRET_KEY), "{run:?}");
    assert!(!run.stdout.contains("-token-"), "a registry password was printed: {run:?}");
    run
}

fn assert_problem(run: &support::Run, label: &str, needle: &str) {
    assert_eq!(run.code, 1, "{run:?}");
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with(label) && l.contains("PROBLEM"))
        .unwrap_or_else(|| panic!("no {label} problem: {}", run.stdout));
    assert!(line.contains(needle), "{line}");
}

#[test]
fn a_healthy_setup_reports_every_check_and_no_problem() {
    let ecr = StandIn::start();
    let sandbox = healthy(&ecr.url());
    sandbox.get(HOST).assert_clean_success();
    let run = doctor(&sandbox);
    assert_eq!(run.code, 0, "{}", run.stdout);
    for needle in [
        "account 123456789012, region us-east-1",
        "from [CredentialsEnvVars] (access key id AKIDSANDBOX)",
        "arn:aws:iam::123456789012:user/AKIDSANDBOX",
        "(from AWS_ENDPOINT_URL)",
        "1 entries for this identity",
        &format!("{HOST}: fresh, expires"),
        "routes 123456789012.dkr.ecr.us-east-1.amazonaws.com to ecr-login",
        "ECR issued one in",
        "no problems found",
    ] {
        assert!(run.stdout.contains(needle), "missing {needle:?} in\n{}", run.stdout);
    }
    assert_eq!(run.stderr, "");
}

#[test]
fn no_credentials_is_a_problem_with_its_fix() {
    let ecr = StandIn::start();
    let mut sandbox = healthy(&ecr.url());
    sandbox.unset("AWS_ACCESS_KEY_ID");
    sandbox.unset("AWS_SECRET_ACCESS_KEY");
    let run = doctor(&sandbox);
    assert_problem(&run, "credentials", "no AWS credentials");
    assert!(run.stdout.contains("aws configure"), "{}", run.stdout);
    assert_eq!(run.stderr.lines().count(), 1);
}

#[test]
fn a_wrong_profile_name_is_named() {
    let ecr = StandIn::start();
    let mut sandbox = healthy(&ecr.url());
    sandbox.write_home_file(".aws/credentials", "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s\n");
    sandbox.unset("AWS_ACCESS_KEY_ID");
    sandbox.unset("AWS_SECRET_ACCESS_KEY");
    sandbox.set("AWS_PROFILE", "deve");
    let run = doctor(&sandbox);
    assert_problem(&run, "profile", "\"deve\"");
    assert!(run.stdout.contains("aws configure --profile deve"), "{}", run.stdout);
}

#[test]
fn an_unwritable_cache_directory_is_a_problem() {
    let ecr = StandIn::start();
    let mut sandbox = healthy(&ecr.url());
    sandbox.make_cache_unwritable();
    let run = doctor(&sandbox);
    assert_problem(&run, "cache", "cannot write");
    assert!(run.stdout.contains("set AWS_ECR_CACHE_DIR"), "{}", run.stdout);
}

#[test]
fn a_host_not_routed_to_the_helper_is_a_problem() {
    let ecr = StandIn::start();
    let sandbox = healthy(&ecr.url());
    sandbox.write_home_file(".docker/config.json", "{\"credsStore\":\"desktop\"}");
    let run = doctor(&sandbox);
    assert_problem(&run, "docker", "docker-credential-desktop");
    assert!(run.stdout.contains(&format!("configure docker --registry {HOST}")), "{}", run.stdout);
}

#[test]
fn an_unreachable_endpoint_is_a_problem() {
    let sandbox = healthy(&closed_port_url());
    let run = doctor(&sandbox);
    assert_problem(&run, "token", "cannot reach the ECR API");
    assert_problem(&run, "identity", "GetCallerIdentity failed");
}

#[test]
fn doctor_without_a_host_examines_the_first_routed_one() {
    let ecr = StandIn::start();
    let sandbox = healthy(&ecr.url());
    let run = sandbox.run(&["doctor"], b"");
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.lines().nth(2).unwrap_or_default().starts_with(&format!("registry      {HOST}")),
        "{}",
        run.stdout
    );
}

#[test]
fn a_malformed_timeout_setting_is_a_problem_as_it_is_for_get() {
    let ecr = StandIn::start();
    let mut sandbox = healthy(&ecr.url());
    sandbox.set("ECR_LOGIN_TIMEOUT", "soon");
    let run = doctor(&sandbox);
    assert_problem(&run, "timeout", "ECR_LOGIN_TIMEOUT must be");
    assert!(run.stdout.contains("fix: set ECR_LOGIN_TIMEOUT"), "{run:?}");
    // The other checks still run, with the default deadline.
    assert!(run.stdout.lines().any(|l| l.starts_with("token") && !l.contains("PROBLEM")), "{}", run.stdout);
}

#[cfg(unix)]
#[test]
fn a_cache_directory_others_can_write_is_a_problem_with_its_fix() {
    use std::os::unix::fs::PermissionsExt;
    let ecr = StandIn::start();
    let sandbox = healthy(&ecr.url());
    std::fs::create_dir(sandbox.cache_dir()).unwrap();
    std::fs::set_permissions(sandbox.cache_dir(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let run = doctor(&sandbox);
    assert_problem(&run, "cache", "can be written by other users");
    assert!(run.stdout.contains("AWS_ECR_CACHE_DIR"), "{}", run.stdout);
    assert!(!sandbox.cache_dir().join("v1").exists(), "doctor created directories in it");
}
