//! The shipped examples and package definitions: each parses, and each names the binary and the
//! helper suffix (`ecr-login` → `docker-credential-ecr-login`) correctly.

use std::path::Path;

const SUFFIX: &str = "ecr-login";
/// The name clients run for the suffix: docker's rule, `docker-credential-` and the suffix.
const BINARY_NAME: &str = "docker-credential-ecr-login";

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_helper_suffix_names_the_built_binary() {
    let built = Path::new(env!("CARGO_BIN_EXE_docker-credential-ecr-login"));
    assert_eq!(built.file_name().unwrap(), BINARY_NAME);
}

fn assert_cred_helpers_route_ecr_hosts(relative: &str) {
    let config: serde_json::Value = serde_json::from_str(&read(relative)).unwrap();
    let helpers = config["credHelpers"].as_object().unwrap_or_else(|| panic!("{relative}: no credHelpers"));
    assert!(!helpers.is_empty());
    for (host, helper) in helpers {
        assert_eq!(helper, SUFFIX, "{relative}: {host}");
        assert!(ecr_login::parse_registry(host).is_ok(), "{relative}: {host} is not an ECR host");
    }
}

#[test]
fn docker_config_examples_parse_and_route_to_the_helper() {
    assert_cred_helpers_route_ecr_hosts("packaging/examples/docker/config.credHelpers.json");
    let store: serde_json::Value =
        serde_json::from_str(&read("packaging/examples/docker/config.credsStore.json")).unwrap();
    assert_eq!(store["credsStore"], SUFFIX);
}

#[test]
fn containers_examples_parse_and_route_to_the_helper() {
    assert_cred_helpers_route_ecr_hosts("packaging/examples/containers/auth.json");
    let conf: toml::Table = toml::from_str(&read("packaging/examples/containers/registries.conf")).unwrap();
    let helpers = conf["credential-helpers"].as_array().unwrap();
    assert!(helpers.iter().any(|h| h.as_str() == Some(SUFFIX)), "{helpers:?}");
}

#[test]
fn nerdctl_example_parses_and_routes_to_the_helper() {
    assert_cred_helpers_route_ecr_hosts("packaging/examples/nerdctl/config.json");
}

#[test]
fn ci_examples_parse_and_pull_without_docker_login() {
    for relative in ["packaging/examples/ci/github-actions.yml", "packaging/examples/ci/gitlab-ci.yml"] {
        let text = read(relative);
        let parsed: serde_norway::Value = serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{relative}: {e}"));
        assert!(parsed.as_mapping().is_some_and(|m| !m.is_empty()), "{relative}");
        assert!(text.contains("docker pull"), "{relative}");
        let logs_in = text.lines().filter(|l| !l.trim_start().starts_with('#')).any(|l| l.contains("docker login"));
        assert!(!logs_in, "{relative} logs in by hand");
        // The registry the job configures is an ECR host.
        let registry = text.lines().find_map(|l| l.trim().strip_prefix("REGISTRY: ")).unwrap();
        assert!(ecr_login::parse_registry(registry).is_ok(), "{relative}: {registry}");
    }
    let gitlab = read("packaging/examples/ci/gitlab-ci.yml");
    assert!(gitlab.contains(&format!("\\\"{SUFFIX}\\\"")), "gitlab-ci.yml does not route to {SUFFIX}");
}

/// GitHub's example routes its registry through the repository's own action (action.yml), used
/// at this version's tag, with an input the action defines.
#[test]
fn github_example_routes_the_registry_through_the_action_at_this_release() {
    let example: serde_norway::Value =
        serde_norway::from_str(&read("packaging/examples/ci/github-actions.yml")).unwrap();
    let action: serde_norway::Value = serde_norway::from_str(&read("action.yml")).unwrap();
    let cargo: toml::Table = toml::from_str(&read("Cargo.toml")).unwrap();
    let version = cargo["package"]["version"].as_str().unwrap();
    let steps = example["jobs"]["build"]["steps"].as_sequence().unwrap();
    let ours = steps
        .iter()
        .find(|step| step["uses"].as_str().is_some_and(|uses| uses.starts_with("ecr-login/ecr-login@")))
        .expect("github-actions.yml does not use the ecr-login action");
    assert_eq!(ours["uses"].as_str(), Some(format!("ecr-login/ecr-login@v{version}").as_str()));
    assert_eq!(ours["with"]["registries"].as_str(), Some("${{ env.REGISTRY }}"));
    assert!(action["inputs"]["registries"].is_mapping(), "action.yml has no registries input");
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
}

#[test]
fn package_definitions_install_the_binary_under_its_name() {
    let cargo: toml::Table = toml::from_str(&read("Cargo.toml")).unwrap();
    let deb = &cargo["package"]["metadata"]["deb"];
    let assets = deb["assets"].as_array().unwrap();
    assert!(
        assets
            .iter()
            .any(|a| a[0].as_str() == Some(&format!("target/release/{BINARY_NAME}"))
                && a[1].as_str() == Some("usr/bin/"))
    );
    assert!(assets.iter().any(|a| a[0].as_str() == Some(&format!("packaging/man/{BINARY_NAME}.1"))));
    assert_eq!(deb["conflicts"].as_str(), Some("amazon-ecr-credential-helper"));

    let spec = read("packaging/rpm/ecr-login.spec");
    assert!(spec.contains(&format!("%{{_bindir}}/{BINARY_NAME}")));
    let version = cargo["package"]["version"].as_str().unwrap();
    assert!(spec.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["Version:", version]), "spec version");

    let formula = read("packaging/homebrew/ecr-login.rb");
    assert!(formula.contains(&format!("#{{bin}}/{BINARY_NAME}")));
    assert!(formula.contains("class EcrLogin < Formula"));

    let man = read(&format!("packaging/man/{BINARY_NAME}.1"));
    assert!(man.starts_with(".TH DOCKER-CREDENTIAL-ECR-LOGIN 1"));
}
