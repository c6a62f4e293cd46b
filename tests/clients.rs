//! The exact exchanges that clients which need a daemon (docker CLI, BuildKit, nerdctl) or that we
//! cannot install here (crane, the Rust `docker_credential` crate) make with the helper, replayed
//! against the built binary in the order those clients use (REFERENCE section 2). skopeo, podman
//! and buildah run for real in `tests/e2e/run`.

mod support;

use support::stand_in::StandIn;
use support::{HOST, NOT_FOUND, Sandbox};

#[test]
fn docker_pull_asks_for_the_bare_host_and_gets_credentials() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    let run = sandbox.get(HOST);
    run.assert_clean_success();
    assert_eq!(run.secret(), "123456789012-token-1");
}

#[test]
fn docker_login_gets_then_stores_and_both_succeed() {
    // `aws ecr get-login-password | docker login --username AWS --password-stdin HOST`
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    sandbox.get(HOST).assert_clean_success();
    let store = format!(r#"{{"ServerURL":"{HOST}","Username":"AWS","Secret":"password-from-the-cli"}}"#);
    sandbox.run(&["store"], store.as_bytes()).assert_clean_success();
    // The helper keeps minting its own token: the stored password is not served.
    assert_eq!(sandbox.get(HOST).assert_clean_success().secret(), "123456789012-token-1");
}

#[test]
fn docker_logout_erases_every_form_it_tries_and_all_succeed() {
    let sandbox = Sandbox::bare();
    for form in [format!("https://{HOST}/"), HOST.to_string(), format!("http://{HOST}"), format!("https://{HOST}")] {
        sandbox.run(&["erase"], form.as_bytes()).assert_clean_success();
    }
}

#[test]
fn legacy_docker_build_lists_then_gets_every_listed_and_configured_host() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    let other = "210987654321.dkr.ecr.eu-west-1.amazonaws.com";
    sandbox.get(HOST).assert_clean_success();
    let list = sandbox.run(&["list"], b"unused");
    list.assert_clean_success();
    let listed: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&list.stdout).unwrap();
    assert!(listed.keys().all(|k| !k.starts_with("http://") && !k.starts_with("https://")));
    // Then a get for every listed key and every credHelpers key (here: one more registry and Docker Hub).
    for host in listed.keys().map(String::as_str).chain([other]) {
        sandbox.get(host).assert_clean_success();
    }
    let hub = sandbox.get("https://index.docker.io/v1/");
    assert_eq!((hub.code, hub.stdout.as_str()), (1, format!("{NOT_FOUND}\n").as_str()));
    assert_eq!(ecr.calls(), 2);
}

#[test]
fn buildkit_asks_for_the_host_as_the_image_reference_writes_it() {
    // Seen with buildctl 0.34 and buildx 0.38 (tests/e2e/buildkit.sh): the bare host for
    // `HOST/team/app:1`, and `HOST:443` only when the reference itself names the port.
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    for form in [HOST.to_string(), format!("{HOST}:443")] {
        assert_eq!(sandbox.get(&form).assert_clean_success().secret(), "123456789012-token-1");
    }
    assert_eq!(ecr.calls(), 1);
}

#[test]
fn nerdctl_forms_in_its_order_all_get_credentials() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    for form in [
        format!("{HOST}:443"),
        format!("https://{HOST}:443"),
        format!("http://{HOST}:443"),
        HOST.to_string(),
        format!("https://{HOST}"),
        format!("http://{HOST}"),
    ] {
        let run = sandbox.get(&form);
        run.assert_clean_success();
        let answer: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(answer["ServerURL"], form.as_str());
        assert_eq!(answer["Username"], "AWS");
        assert_eq!(answer["Secret"], "123456789012-token-1");
    }
    assert_eq!(ecr.calls(), 1);
}

#[test]
fn crane_asks_with_the_repository_path_first_then_the_host() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    for form in [format!("{HOST}/team/app"), HOST.to_string()] {
        assert_eq!(sandbox.get(&form).assert_clean_success().secret(), "123456789012-token-1");
    }
}

#[test]
fn podman_with_the_helper_for_every_registry_still_pulls_public_images() {
    // registries.conf `credential-helpers = ["ecr-login"]` asks us for docker.io too: only the
    // exact not-found answer lets podman go on to its next source.
    let sandbox = Sandbox::bare();
    for host in ["docker.io", "quay.io", "registry.fedoraproject.org"] {
        let run = sandbox.get(host);
        assert_eq!((run.code, run.stdout.as_str()), (1, format!("{NOT_FOUND}\n").as_str()), "{run:?}");
    }
}

#[test]
fn the_rust_docker_credential_crate_sends_https_urls_and_needs_both_fields() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    let run = sandbox.get(&format!("https://{HOST}"));
    run.assert_clean_success();
    let answer: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(answer["Username"].as_str().is_some_and(|u| !u.is_empty()));
    assert!(answer["Secret"].as_str().is_some_and(|s| !s.is_empty()));
}
