//! `configure` through the binary: the files it writes, what it prints, and its warnings.

use crate::support;

use support::{HOST, Sandbox};

fn configure(sandbox: &Sandbox, args: &[&str]) -> support::Run {
    let mut all = vec!["configure"];
    all.extend_from_slice(args);
    sandbox.run(&all, b"")
}

#[test]
fn configure_docker_adds_cred_helpers_and_a_second_run_changes_nothing() {
    let mut sandbox = Sandbox::bare();
    sandbox.put_binary_on_path("docker-credential-ecr-login");
    sandbox.write_home_file(".docker/config.json", "{\"auths\":{\"ghcr.io\":{}}}");
    let run = configure(&sandbox, &["docker", "--registry", HOST, "--registry", "public.ecr.aws"]);
    run.assert_clean_success();
    assert!(run.stdout.contains(HOST) && run.stdout.contains("backup"), "{run:?}");
    let path = sandbox.home().join(".docker/config.json");
    let config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(config["credHelpers"][HOST], "ecr-login");
    assert_eq!(config["credHelpers"]["public.ecr.aws"], "ecr-login");
    assert!(config["auths"]["ghcr.io"].is_object());
    let before = std::fs::read(&path).unwrap();
    let again = configure(&sandbox, &["docker", "--registry", HOST]);
    again.assert_clean_success();
    assert!(again.stdout.contains("nothing changed"), "{again:?}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn configure_docker_honours_docker_config_and_warns_when_the_binary_is_not_on_path() {
    let mut sandbox = Sandbox::bare();
    let dir = sandbox.dir.path().join("docker-config");
    sandbox.set("DOCKER_CONFIG", dir.to_str().unwrap());
    sandbox.set("PATH", "/nonexistent");
    let run = configure(&sandbox, &["docker", "--all-regions-of", "123456789012"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("not on PATH"), "{run:?}");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    let helpers = config["credHelpers"].as_object().unwrap();
    // Only the regions every account has: an opt-in region the account has not enabled would
    // fail on every classic build, which asks for every configured registry.
    assert_eq!(helpers.len(), 17, "{helpers:?}");
    assert_eq!(helpers["123456789012.dkr.ecr.eu-west-1.amazonaws.com"], "ecr-login");
    assert!(!helpers.contains_key("123456789012.dkr.ecr.af-south-1.amazonaws.com"));

    let run = configure(&sandbox, &["docker", "--all-regions-of", "123456789012", "--include-opt-in-regions"]);
    assert_eq!(run.code, 0, "{run:?}");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    let helpers = config["credHelpers"].as_object().unwrap();
    assert!(helpers.len() >= 34, "{helpers:?}");
    assert_eq!(helpers["123456789012.dkr.ecr.af-south-1.amazonaws.com"], "ecr-login");
}

#[test]
fn configure_podman_writes_the_containers_auth_file() {
    let mut sandbox = Sandbox::bare();
    let auth = sandbox.dir.path().join("auth.json");
    sandbox.set("REGISTRY_AUTH_FILE", auth.to_str().unwrap());
    assert_eq!(configure(&sandbox, &["podman", "--registry", HOST]).code, 0);
    let config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&auth).unwrap()).unwrap();
    assert_eq!(config["credHelpers"][HOST], "ecr-login");

    sandbox.unset("REGISTRY_AUTH_FILE");
    assert_eq!(configure(&sandbox, &["podman", "--registry", HOST]).code, 0);
    assert!(sandbox.home().join(".config/containers/auth.json").is_file());
}

#[test]
fn configure_kubelet_prints_the_shipped_provider_config() {
    let sandbox = Sandbox::bare();
    let run = configure(&sandbox, &["kubelet"]);
    run.assert_clean_success();
    let shipped = |name: &str| {
        std::fs::read_to_string(format!("{}/packaging/kubelet/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    };
    assert_eq!(run.stdout, shipped("credential-provider-config.yaml"));
    let sa = configure(&sandbox, &["kubelet", "--service-accounts"]);
    sa.assert_clean_success();
    assert_eq!(sa.stdout, shipped("credential-provider-config.service-accounts.yaml"));
}

#[test]
fn bad_configure_arguments_fail_with_usage() {
    let sandbox = Sandbox::bare();
    for args in [&[][..], &["docker"], &["docker", "--registry", "docker.io"], &["nerd"], &["kubelet", "x"]] {
        let run = configure(&sandbox, args);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert_eq!(run.stdout, "");
        assert!(run.stderr.starts_with("ecr-login: configure:"), "{run:?}");
    }
    // A config file that is not JSON is left untouched.
    sandbox.write_home_file(".docker/config.json", "{oops");
    let run = configure(&sandbox, &["docker", "--registry", HOST]);
    assert_eq!(run.code, 1);
    assert_eq!(std::fs::read_to_string(sandbox.home().join(".docker/config.json")).unwrap(), "{oops");
}
