//! The Rust `docker_credential` crate, the way Rust tools read docker's credentials, run for real:
//! it reads `credHelpers` from `$DOCKER_CONFIG/config.json` and runs `docker-credential-ecr-login`
//! from PATH. The crate calls the helper from the process it lives in, so the test runs itself again
//! as a child with the sandbox's environment (PATH holding only our binary), rather than changing
//! its own environment under the other tests.
//!
//! The Go clients and the daemons run in `tests/e2e/`; this one needs no daemon and no root.

use crate::support;

use support::stand_in::StandIn;
use support::{HOST, Sandbox, run_command};

/// Set in the child: the server string it asks the crate for.
const CHILD: &str = "ECR_LOGIN_RUST_CLIENT_SERVER";

/// The child's line: the crate's answer, or its error.
const ANSWER: &str = "crate answer: ";

/// What the child prints, on a line of its own (the test harness has just written the test's name
/// without a newline).
fn ask_the_crate(server: &str) {
    let answer = match docker_credential::get_credential(server) {
        Ok(docker_credential::DockerCredential::UsernamePassword(user, password)) => {
            format!("user={user} password={password}")
        }
        Ok(docker_credential::DockerCredential::IdentityToken(_)) => "identity token".to_string(),
        Err(e) => format!("error={e}"),
    };
    // On one line, whatever the answer holds (the crate's error carries the helper's output).
    println!("\n{ANSWER}{}", answer.escape_debug());
}

/// Runs this test binary again as the crate's caller, in `sandbox`'s environment, running only
/// `test` (a test of this module).
fn run_client(sandbox: &Sandbox, test: &str, server: &str) -> String {
    // The harness names a test by its path below the crate: this module's path without the crate.
    let module = module_path!().split_once("::").map_or("", |(_, below)| below);
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command.args(["--exact", &format!("{module}::{test}"), "--nocapture", "--test-threads=1"]);
    command.env_clear().envs(sandbox.env.iter().map(|(k, v)| (k, v))).env(CHILD, server);
    let run = run_command(command, b"");
    assert_eq!(run.code, 0, "{run:?}");
    run.stdout.lines().find_map(|l| l.strip_prefix(ANSWER)).unwrap_or_default().to_string()
}

/// A sandbox whose docker config is `config` (JSON), with our binary alone on PATH.
fn sandbox_with_docker_config(ecr: &StandIn, config: &str) -> Sandbox {
    let mut sandbox = Sandbox::new(&ecr.url());
    sandbox.put_binary_on_path("docker-credential-ecr-login");
    let config = sandbox.write_home_file(".docker/config.json", config);
    sandbox.set("DOCKER_CONFIG", config.parent().unwrap().to_str().unwrap());
    sandbox
}

#[test]
fn the_rust_docker_credential_crate_gets_the_token_through_cred_helpers_and_creds_store() {
    if let Ok(server) = std::env::var(CHILD) {
        return ask_the_crate(&server);
    }
    let ecr = StandIn::start();
    let test = "the_rust_docker_credential_crate_gets_the_token_through_cred_helpers_and_creds_store";
    // credHelpers keys are looked up exactly as the caller writes the server: the bare host finds
    // the key, `https://HOST` does not (the crate then has no credentials at all).
    let helpers = sandbox_with_docker_config(&ecr, &format!(r#"{{"credHelpers":{{"{HOST}":"ecr-login"}}}}"#));
    assert_eq!(run_client(&helpers, test, HOST), "user=AWS password=123456789012-token-1");
    assert_eq!(run_client(&helpers, test, &format!("https://{HOST}")), "error=User has no credential configured");
    // credsStore hands the helper the string as given, scheme and all.
    let store = sandbox_with_docker_config(&ecr, r#"{"credsStore":"ecr-login"}"#);
    for server in [HOST.to_string(), format!("https://{HOST}")] {
        assert_eq!(run_client(&store, test, &server), "user=AWS password=123456789012-token-2", "{server}");
    }
    // One call per sandbox: each has a cache of its own.
    assert_eq!(ecr.calls(), 2);
}

#[test]
fn the_rust_docker_credential_crate_reports_no_credentials_for_a_host_the_helper_refuses() {
    if let Ok(server) = std::env::var(CHILD) {
        return ask_the_crate(&server);
    }
    let ecr = StandIn::start();
    let other = "210987654321.dkr.ecr.us-east-1.amazonaws.com";
    ecr.deny("210987654321");
    let sandbox = sandbox_with_docker_config(&ecr, &format!(r#"{{"credHelpers":{{"{other}":"ecr-login"}}}}"#));
    let test = "the_rust_docker_credential_crate_reports_no_credentials_for_a_host_the_helper_refuses";
    let answer = run_client(&sandbox, test, other);
    // The crate ran the helper and got its refusal: the not-found line on stdout, the cause on
    // stderr, and no password anywhere; the stand-in was asked once, for that account.
    let ran = "error=Credential helper `docker-credential-ecr-login` returned non-zero response code";
    assert!(answer.starts_with(ran), "{answer}");
    assert!(answer.contains("stdout:\\ncredentials not found in native keychain\\n"), "{answer}");
    assert!(answer.contains(&format!("ecr-login: access denied getting a token for {other}")), "{answer}");
    assert!(!support::has_stand_in_password(&answer), "{answer}");
    let asked: Vec<_> = ecr.requests().into_iter().map(|r| r.registry_ids).collect();
    assert_eq!(asked, [vec!["210987654321".to_string()]]);
}
