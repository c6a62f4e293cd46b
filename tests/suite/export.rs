//! `password` and `dockerconfig` through the binary, against the loopback ECR stand-in: the exact
//! bytes on stdout, the cache shared with `get` (the stand-in counts the calls), aliases, the MFA
//! prompt, and every failure as one line per cause on stderr with nothing on stdout. Every sandbox
//! here has a session token, so that `assert_no_secret` looks for it as well as for the secret key
//! and, on stderr, the registry password.

use crate::support;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use support::stand_in::{Answer, StandIn};
use support::{HOST, Run, SECRET_KEY, SESSION_TOKEN, Sandbox};

const OTHER_HOST: &str = "210987654321.dkr.ecr.eu-west-1.amazonaws.com";

fn run(sandbox: &Sandbox, args: &[&str]) -> Run {
    sandbox.run(args, b"")
}

/// Asserts a failure: exit 1, nothing on stdout, `lines` lines on stderr, no secret anywhere.
fn assert_failed(run: &Run, lines: usize) {
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "", "{run:?}");
    assert_eq!(run.stderr.lines().count(), lines, "{run:?}");
    assert!(run.stderr.lines().all(|l| l.starts_with("ecr-login: ")), "{run:?}");
    run.assert_no_secret();
}

/// The JSON on stdout of a successful run with nothing on stderr.
fn json_of(run: &Run) -> Value {
    run.assert_clean_success();
    assert!(run.stdout.ends_with('\n') && run.stdout.lines().count() == 1, "{run:?}");
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
}

fn auth(password: &str) -> String {
    STANDARD.encode(format!("AWS:{password}"))
}

#[test]
fn password_prints_the_password_alone_fetching_on_a_miss_and_reading_the_cache_on_a_hit() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::with_session_token(&ecr.url());
    let first = run(&sandbox, &["password", HOST]);
    first.assert_clean_success();
    assert_eq!(first.stdout, "123456789012-token-1\n");
    assert_eq!(ecr.calls(), 1);
    assert_eq!(run(&sandbox, &["password", &format!("https://{HOST}/team/app")]).stdout, "123456789012-token-1\n");
    // get shares the entry: still one call.
    assert_eq!(sandbox.get(HOST).secret(), "123456789012-token-1");
    assert_eq!(ecr.calls(), 1);
}

#[test]
fn password_follows_an_alias_to_its_registrys_token() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::with_session_token(&ecr.url());
    sandbox.write_home_file(
        ".config/ecr-login/config.toml",
        &format!("[[alias]]\nhost = \"registry.example.com\"\nregistry = \"{HOST}\"\n"),
    );
    assert_eq!(run(&sandbox, &["password", "registry.example.com"]).stdout, "123456789012-token-1\n");
    let answer = json_of(&run(&sandbox, &["dockerconfig", "https://Registry.Example.com/", HOST]));
    let entry = json!({"username": "AWS", "password": "123456789012-token-1", "auth": auth("123456789012-token-1")});
    assert_eq!(answer, json!({"auths": {"registry.example.com": entry, HOST: entry}}));
    assert_eq!(ecr.calls(), 1);
}

#[test]
fn password_failures_are_one_line_on_stderr_and_nothing_on_stdout() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::with_session_token(&ecr.url());
    let not_ecr = run(&sandbox, &["password", "ghcr.io"]);
    assert_failed(&not_ecr, 1);
    assert!(not_ecr.stderr.contains("\"ghcr.io\" is not an Amazon ECR registry"), "{not_ecr:?}");
    assert_eq!(ecr.calls(), 0);
    ecr.answer(Answer::error(400, "AccessDeniedException", "not authorized to perform ecr:GetAuthorizationToken"));
    let denied = run(&sandbox, &["password", HOST]);
    assert_failed(&denied, 1);
    assert!(denied.stderr.contains("access denied") && denied.stderr.contains(HOST), "{denied:?}");
    for args in [&["password"][..], &["password", HOST, HOST]] {
        let usage = run(&sandbox, args);
        assert_failed(&usage, 1);
        assert!(usage.stderr.contains("usage: docker-credential-ecr-login password HOST"), "{usage:?}");
    }
    let mut broken = Sandbox::with_session_token(&ecr.url());
    broken.set("ECR_LOGIN_TIMEOUT", "soon");
    assert_failed(&run(&broken, &["password", HOST]), 1);
}

// Unix only: setsid and a pseudo-terminal drive the prompt; Windows's console is not there under Wine.
#[cfg(unix)]
#[test]
fn password_asks_for_the_mfa_code_on_the_terminal_like_get_and_fails_cleanly_without_one() {
    use support::{SECRET_KEY, binary, run_command};
    let ecr = StandIn::start();
    ecr.require_mfa();
    let mut sandbox = Sandbox::with_session_token(&ecr.url());
    sandbox.unset("AWS_ACCESS_KEY_ID");
    sandbox.unset("AWS_SECRET_ACCESS_KEY");
    sandbox.set("AWS_PROFILE", "mfa");
    let serial = "arn:aws:iam::111111111111:mfa/alice";
    sandbox.write_home_file(".aws/config", &format!("[profile mfa]\nregion = us-east-1\nmfa_serial = {serial}\n"));
    sandbox.write_home_file(
        ".aws/credentials",
        &format!("[mfa]\naws_access_key_id = AKIAMFA\naws_secret_access_key = {SECRET_KEY}\n"),
    );
    // No controlling terminal (a new session): the MFA error, on stderr only.
    let mut command = std::process::Command::new("setsid");
    command.args(["--wait", binary(), "password", HOST]).env_clear().envs(sandbox.env.iter().map(|(k, v)| (k, v)));
    let alone = run_command(command, b"");
    assert_failed(&alone, 1);
    assert!(alone.stderr.contains("MFA") && alone.stderr.contains("login"), "{alone:?}");
    // On a terminal: the prompt, then the password alone on its line.
    let shown = run_command(support::answering_prompts("123456", &sandbox.env, &[binary(), "password", HOST]), b"");
    assert_eq!(shown.code, 0, "{shown:?}");
    assert!(shown.stdout.starts_with(&format!("ecr-login: MFA code for {serial}")), "{shown:?}");
    assert_eq!(shown.stdout.lines().last(), Some("123456789012-token-1"), "{shown:?}");
    assert!(!shown.stdout.contains(SECRET_KEY) && !shown.stderr.contains(SECRET_KEY), "{shown:?}");
}

#[test]
fn dockerconfig_of_two_registries_is_exactly_what_docker_login_would_write() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::with_session_token(&ecr.url());
    // Keys as docker login writes them: no scheme, no path; the same host twice is one entry.
    let answer = run(&sandbox, &["dockerconfig", OTHER_HOST, &format!("https://{HOST}/team"), HOST]);
    answer.assert_clean_success();
    let (a, b) = ("123456789012-token-2", "210987654321-token-1");
    assert_eq!(
        answer.stdout,
        format!(
            "{{\"auths\":{{\"{HOST}\":{{\"username\":\"AWS\",\"password\":\"{a}\",\"auth\":\"{}\"}},\
             \"{OTHER_HOST}\":{{\"username\":\"AWS\",\"password\":\"{b}\",\"auth\":\"{}\"}}}}}}\n",
            auth(a),
            auth(b)
        )
    );
    assert_eq!(ecr.calls(), 2);
    // A second run is served from the cache.
    assert_eq!(run(&sandbox, &["dockerconfig", HOST, OTHER_HOST]).stdout, answer.stdout);
    assert_eq!(ecr.calls(), 2);
}

#[test]
fn the_kubernetes_secret_holds_the_same_json_base64_encoded() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::with_session_token(&ecr.url());
    let config = run(&sandbox, &["dockerconfig", HOST]);
    let args = ["dockerconfig", HOST, "--kubernetes-secret", "ecr-pull", "--namespace", "ci"];
    let manifest = json_of(&run(&sandbox, &args));
    let keys: Vec<&str> = manifest.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["apiVersion", "kind", "metadata", "type", "data"]);
    assert_eq!(manifest["apiVersion"], "v1");
    assert_eq!(manifest["kind"], "Secret");
    assert_eq!(manifest["metadata"], json!({"name": "ecr-pull", "namespace": "ci"}));
    assert_eq!(manifest["type"], "kubernetes.io/dockerconfigjson");
    assert_eq!(manifest["data"].as_object().unwrap().len(), 1);
    let payload = STANDARD.decode(manifest["data"][".dockerconfigjson"].as_str().unwrap()).unwrap();
    assert_eq!(String::from_utf8(payload).unwrap(), config.stdout.trim_end());
    // No --namespace: none in the manifest, so kubectl uses its context's.
    let plain = json_of(&run(&sandbox, &["dockerconfig", "--kubernetes-secret=ecr-pull", HOST]));
    assert_eq!(plain["metadata"], json!({"name": "ecr-pull"}));
    assert_eq!(ecr.calls(), 1);
}

#[test]
fn names_kubernetes_would_refuse_are_refused_before_any_token_is_fetched() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::with_session_token(&ecr.url());
    for (args, says) in [
        (&["--kubernetes-secret", "ECR_pull"][..], "\"ECR_pull\" is not a valid Secret name"),
        (&["--kubernetes-secret", "-pull"], "\"-pull\" is not a valid Secret name"),
        (&["--kubernetes-secret", "pull", "--namespace", "team.ci"], "\"team.ci\" is not a valid namespace"),
        (&["--namespace", "ci"], "--namespace goes with --kubernetes-secret"),
        (&["--kubernetes-secret"], "--kubernetes-secret needs a value"),
        (&["--yaml"], "unknown option \"--yaml\""),
    ] {
        let refused = run(&sandbox, &[&["dockerconfig", HOST][..], args].concat());
        assert_failed(&refused, 1);
        assert!(refused.stderr.contains(says), "{args:?}: {refused:?}");
    }
    let long = "a".repeat(254);
    assert_failed(&run(&sandbox, &["dockerconfig", HOST, "--kubernetes-secret", &long]), 1);
    assert_failed(&run(&sandbox, &["dockerconfig"]), 1);
    assert_eq!(ecr.calls(), 0);
}

#[test]
fn one_failing_host_prints_nothing_so_a_good_secret_is_never_replaced_by_half_of_one() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::with_session_token(&ecr.url());
    ecr.deny("210987654321");
    let args = ["dockerconfig", "--kubernetes-secret", "ecr-pull", HOST, OTHER_HOST, "ghcr.io"];
    let failed = run(&sandbox, &args);
    // One line per failing host, naming it; the good host's token is cached but not printed.
    assert_failed(&failed, 2);
    assert!(failed.stderr.contains(OTHER_HOST) && failed.stderr.contains("access denied"), "{failed:?}");
    assert!(failed.stderr.contains("\"ghcr.io\" is not an Amazon ECR registry"), "{failed:?}");
    assert!(!failed.stderr.contains("123456789012-token"), "{failed:?}");
    assert_eq!(run(&sandbox, &["password", HOST]).stdout, "123456789012-token-1\n");
}

#[test]
fn no_secret_reaches_stderr_even_with_warnings() {
    let ecr = StandIn::start();
    let mut sandbox = Sandbox::with_session_token(&ecr.url());
    // An unusable cache directory: a warning on stderr, the token still printed.
    sandbox.make_cache_unwritable();
    let password = run(&sandbox, &["password", HOST]);
    assert_eq!(password.code, 0, "{password:?}");
    assert_eq!(password.stdout, "123456789012-token-1\n");
    let config = run(&sandbox, &["dockerconfig", "--kubernetes-secret", "pull", HOST]);
    assert_eq!(config.code, 0, "{config:?}");
    for run in [&password, &config] {
        assert!(!run.stderr.is_empty() && !run.stderr.contains("-token-"), "{run:?}");
        run.assert_no_secret();
    }
}

#[test]
fn with_the_debug_trace_on_the_decisions_go_to_stderr_and_the_password_only_to_stdout() {
    let ecr = StandIn::start();
    let mut sandbox = Sandbox::with_session_token(&ecr.url());
    sandbox.set("ECR_LOGIN_DEBUG", "1");
    sandbox.write_home_file(
        ".config/ecr-login/config.toml",
        &format!("[[alias]]\nhost = \"registry.example.com\"\nregistry = \"{HOST}\"\n"),
    );
    let traced = run(&sandbox, &["password", "registry.example.com"]);
    assert_eq!((traced.code, traced.stdout.as_str()), (0, "123456789012-token-1\n"), "{traced:?}");
    for part in ["config: ", &format!("is an alias of {HOST}"), "cache: miss", "served: a token valid until"] {
        assert!(
            traced.stderr.lines().any(|l| l.starts_with("ecr-login debug [") && l.contains(part)),
            "{part}: {traced:?}"
        );
    }
    let failed = run(&sandbox, &["dockerconfig", HOST, "ghcr.io"]);
    assert_eq!((failed.code, failed.stdout.as_str()), (1, ""), "{failed:?}");
    assert!(failed.stderr.contains("registry: \"ghcr.io\" is not ECR"), "{failed:?}");
    for run in [&traced, &failed] {
        assert!(!run.stderr.contains("-token-"), "{run:?}");
        run.assert_no_secret();
    }
}

/// The leak check itself can fail: each secret, planted in an answer, is caught where it must not be.
#[test]
fn the_leak_check_finds_each_secret_where_it_must_not_be() {
    let clean = || Run { code: 1, stdout: String::new(), stderr: "ecr-login: a cause\n".into() };
    clean().assert_no_secret();
    let planted = [
        ("stderr", SECRET_KEY),
        ("stdout", SESSION_TOKEN),
        ("stderr", SESSION_TOKEN),
        ("stderr", "123456789012-token-1"),
        ("stderr", "public-token-0"),
    ];
    for (stream, secret) in planted {
        let mut run = clean();
        let text = if stream == "stdout" { &mut run.stdout } else { &mut run.stderr };
        *text += "ecr-login: leaked ";
        *text += secret;
        let caught = std::panic::catch_unwind(|| {
            run.assert_no_secret();
        });
        assert!(caught.is_err(), "{secret} on {stream} passed the leak check");
    }
    // The password shape alone: a word that merely contains "-token-" is not one.
    let mut run = clean();
    run.stderr.push_str("ecr-login: x-amz-security-token-ttl unset\n");
    run.assert_no_secret();
}
