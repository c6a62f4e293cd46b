//! The configuration file through the binary: per-registry profiles and roles (proved by the
//! access key that signed each call the stand-in received), alias hosts, the fallback store and
//! `configure docker --creds-store`, and configuration errors.

use crate::support;

use support::stand_in::{StandIn, access_key_for_role};
use support::{HOST, NOT_FOUND, Sandbox};

/// Account B's registry, which the rules below give their own identity.
const B_HOST: &str = "210987654321.dkr.ecr.eu-west-1.amazonaws.com";
const ROLE: &str = "arn:aws:iam::210987654321:role/ecr-pull";

/// A sandbox whose environment carries keys, with a profile `prod-pull` of its own keys.
fn sandbox(stand_in: &StandIn) -> Sandbox {
    let sandbox = Sandbox::new(&stand_in.url());
    sandbox.write_home_file(
        ".aws/credentials",
        "[prod-pull]\naws_access_key_id = AKIAPRODPULL\naws_secret_access_key = prod-secret\n",
    );
    sandbox
}

fn write_config(sandbox: &Sandbox, text: &str) -> std::path::PathBuf {
    sandbox.write_home_file(".config/ecr-login/config.toml", text)
}

#[test]
fn a_rules_profile_signs_even_with_keys_in_the_environment() {
    let stand_in = StandIn::start();
    let sandbox = sandbox(&stand_in);
    write_config(&sandbox, "[[registry]]\naccount = \"210987654321\"\nprofile = \"prod-pull\"\n");
    sandbox.get(B_HOST).assert_clean_success();
    sandbox.get(HOST).assert_clean_success();
    assert_eq!(stand_in.ecr_signers(), ["AKIAPRODPULL", "AKIDSANDBOX"]);
}

#[test]
fn a_rules_role_is_assumed_on_the_profile_and_its_key_signs() {
    let stand_in = StandIn::start();
    let sandbox = sandbox(&stand_in);
    write_config(
        &sandbox,
        &format!(
            "[[registry]]\nmatch = \"210987654321.dkr.ecr.*.amazonaws.com\"\nprofile = \"prod-pull\"\nrole_arn = \
             \"{ROLE}\"\nexternal_id = \"ext-7\"\n"
        ),
    );
    sandbox.get(B_HOST).assert_clean_success();
    let sts = stand_in.sts_requests();
    assert_eq!(sts.len(), 1, "{sts:?}");
    assert_eq!(sts[0].target, "sts:AssumeRole");
    assert_eq!((sts[0].access_key.as_str(), sts[0].role_arn.as_deref()), ("AKIAPRODPULL", Some(ROLE)));
    assert_eq!(sts[0].external_id.as_deref(), Some("ext-7"));
    assert_eq!(stand_in.ecr_signers(), [access_key_for_role(ROLE)]);
}

#[test]
fn a_role_without_a_profile_is_assumed_on_the_default_chain() {
    let stand_in = StandIn::start();
    let sandbox = sandbox(&stand_in);
    write_config(&sandbox, &format!("[[registry]]\naccount = \"210987654321\"\nrole_arn = \"{ROLE}\"\n"));
    sandbox.get(B_HOST).assert_clean_success();
    assert_eq!(stand_in.sts_requests()[0].access_key, "AKIDSANDBOX");
    assert_eq!(stand_in.ecr_signers(), [access_key_for_role(ROLE)]);
}

#[test]
fn a_cache_hit_under_a_rule_makes_no_call_and_two_rules_never_share_a_token() {
    let stand_in = StandIn::start();
    let sandbox = sandbox(&stand_in);
    let config = write_config(&sandbox, "[[registry]]\naccount = \"210987654321\"\nprofile = \"prod-pull\"\n");
    let first = sandbox.get(B_HOST).secret();
    assert_eq!(sandbox.get(B_HOST).secret(), first);
    assert_eq!(stand_in.calls(), 1);
    // Another rule for the same registry is another identity: a new token, not the cached one.
    std::fs::write(&config, format!("[[registry]]\naccount = \"210987654321\"\nrole_arn = \"{ROLE}\"\n")).unwrap();
    assert_ne!(sandbox.get(B_HOST).secret(), first);
    assert_eq!(stand_in.calls(), 2);
}

#[test]
fn cross_account_pulls_need_no_rule_and_ask_for_the_other_accounts_registry() {
    // Account B's repository policy lets account A pull: A's own keys ask for B's registry id.
    let stand_in = StandIn::start();
    let sandbox = sandbox(&stand_in);
    sandbox.get(B_HOST).assert_clean_success();
    let request = &stand_in.requests()[0];
    assert_eq!(request.registry_ids, ["210987654321"]);
    assert_eq!(request.access_key, "AKIDSANDBOX");
}

#[test]
fn an_alias_is_answered_with_its_registrys_token_from_the_same_cache_entry() {
    let stand_in = StandIn::start();
    let sandbox = sandbox(&stand_in);
    write_config(&sandbox, &format!("[[alias]]\nhost = \"registry.example.com\"\nregistry = \"{HOST}\"\n"));
    let run = sandbox.get("https://registry.example.com");
    run.assert_clean_success();
    let answer: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(answer["ServerURL"], "https://registry.example.com");
    assert_eq!(answer["Username"], "AWS");
    assert_eq!(run.secret(), "123456789012-token-1");
    assert_eq!(sandbox.get(HOST).secret(), "123456789012-token-1");
    assert_eq!(stand_in.calls(), 1);
    let list = sandbox.run(&["list"], b"");
    list.assert_clean_success();
    assert_eq!(list.stdout, format!("{{\"{HOST}\":\"AWS\",\"registry.example.com\":\"AWS\"}}\n"));
}

#[test]
fn list_reports_each_rules_cached_hosts_and_never_calls_aws() {
    let stand_in = StandIn::start();
    let sandbox = sandbox(&stand_in);
    write_config(&sandbox, "[[registry]]\naccount = \"210987654321\"\nprofile = \"prod-pull\"\n");
    sandbox.get(B_HOST).assert_clean_success();
    sandbox.get(HOST).assert_clean_success();
    let calls = stand_in.calls();
    let list = sandbox.run(&["list"], b"");
    list.assert_clean_success();
    assert_eq!(list.stdout, format!("{{\"{HOST}\":\"AWS\",\"{B_HOST}\":\"AWS\"}}\n"));
    assert_eq!(stand_in.calls(), calls);
}

#[test]
fn a_configuration_error_names_the_file_the_line_and_the_key_and_keeps_the_protocol() {
    let stand_in = StandIn::start();
    let sandbox = sandbox(&stand_in);
    let path =
        write_config(&sandbox, "fallback = \"pass\"\n\n[[registry]]\naccount = \"210987654321\"\nprofle = \"x\"\n");
    let run = sandbox.get(HOST);
    run.assert_one_line_failure();
    assert_eq!(run.stdout.trim(), NOT_FOUND);
    assert!(run.stderr.contains(&format!("{} line 5", path.display())), "{run:?}");
    assert!(run.stderr.contains("profle"), "{run:?}");
    assert_eq!(stand_in.calls(), 0);
    // An explicit ECR_LOGIN_CONFIG that does not exist is an error too; /dev/null means none.
    let mut sandbox = sandbox;
    sandbox.set("ECR_LOGIN_CONFIG", "/nonexistent/ecr-login.toml");
    let missing = sandbox.get(HOST);
    assert!(missing.stderr.contains("/nonexistent/ecr-login.toml") && missing.stderr.contains("cannot be read"));
    sandbox.set("ECR_LOGIN_CONFIG", support::NULL_DEVICE);
    sandbox.get(HOST).assert_clean_success();
}

// Unix only: mode 0666; the Windows form (a DACL that lets others write) is the files room's test.
#[cfg(unix)]
#[test]
fn a_configuration_file_others_can_write_is_refused() {
    let stand_in = StandIn::start();
    let sandbox = sandbox(&stand_in);
    let path = write_config(&sandbox, "[[registry]]\naccount = \"210987654321\"\nprofile = \"prod-pull\"\n");
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o666)).unwrap();
    let run = sandbox.get(B_HOST);
    run.assert_one_line_failure();
    assert!(run.stderr.contains("other users can write it"), "{run:?}");
    assert_eq!(stand_in.calls(), 0);
}

/// A fallback store that echoes what it was asked, on every stream, with a distinct exit code.
#[cfg(unix)]
fn install_echo_store(sandbox: &mut Sandbox) {
    let bin = sandbox.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("docker-credential-echo");
    std::fs::write(
        &script,
        "#!/bin/sh\ninput=$(cat)\nprintf 'err:%s\\n' \"$1\" >&2\n\
         [ \"$1\" = list ] && { printf '{\"docker.io\":\"someone\"}'; exit 0; }\nprintf 'out:%s:%s' \"$1\" \"$input\"\nexit 3\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    sandbox.set("PATH", &path);
}

// Unix only: the echo store is a shell script that hands stdin back byte for byte, which cmd.exe
// cannot do; on Windows the fallback is a docker-credential-*.exe.
#[cfg(unix)]
#[test]
fn every_action_for_another_host_passes_through_the_fallback_unchanged() {
    let stand_in = StandIn::start();
    let mut sandbox = sandbox(&stand_in);
    install_echo_store(&mut sandbox);
    write_config(&sandbox, "fallback = \"echo\"\n");
    for (action, input) in [
        ("get", "docker.io".to_string()),
        ("erase", "docker.io".to_string()),
        ("store", r#"{"ServerURL":"docker.io","Username":"u","Secret":"s3cr3t"}"#.to_string()),
    ] {
        let run = sandbox.run(&[action], input.as_bytes());
        assert_eq!(run.code, 3, "{run:?}");
        assert_eq!(run.stdout, format!("out:{action}:{input}"), "{run:?}");
        assert_eq!(run.stderr, format!("err:{action}\n"), "{run:?}");
    }
    // ECR hosts stay ours; list merges both.
    sandbox.get(HOST).assert_clean_success();
    let list = sandbox.run(&["list"], b"");
    assert_eq!(list.code, 0, "{list:?}");
    assert_eq!(list.stdout, format!("{{\"{HOST}\":\"AWS\",\"docker.io\":\"someone\"}}\n"));
    assert_eq!(list.stderr, "err:list\n");
}

#[test]
fn a_fallback_that_is_not_on_path_is_named() {
    let stand_in = StandIn::start();
    let mut sandbox = sandbox(&stand_in);
    sandbox.set("PATH", "/nonexistent");
    let path = write_config(&sandbox, "fallback = \"pass\"\n");
    let run = sandbox.get("docker.io");
    run.assert_one_line_failure();
    assert_eq!(run.stdout.trim(), NOT_FOUND);
    assert!(run.stderr.contains("docker-credential-pass") && run.stderr.contains("not on PATH"), "{run:?}");
    assert!(run.stderr.contains(&path.display().to_string()), "{run:?}");
}

#[test]
fn configure_creds_store_moves_the_old_store_into_fallback_and_undoes_cleanly() {
    let stand_in = StandIn::start();
    let sandbox = sandbox(&stand_in);
    let original = "{\n\t\"auths\": {},\n\t\"credsStore\": \"pass\"\n}\n";
    let docker = sandbox.write_home_file(".docker/config.json", original);
    let ours_text =
        "# mine\n[[alias]]\nhost = \"r.example\"\nregistry = \"123456789012.dkr.ecr.us-east-1.amazonaws.com\"\n";
    let ours = write_config(&sandbox, ours_text);
    let run = sandbox.run(&["configure", "docker", "--creds-store"], b"");
    assert_eq!(run.code, 0, "{run:?}");
    let config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&docker).unwrap()).unwrap();
    assert_eq!(config["credsStore"], "ecr-login");
    assert!(std::fs::read_to_string(&ours).unwrap().starts_with("fallback = \"pass\""));
    // Again: nothing changes.
    let again = sandbox.run(&["configure", "docker", "--creds-store"], b"");
    assert!(again.stdout.contains("nothing changed"), "{again:?}");
    let undo = sandbox.run(&["configure", "docker", "--creds-store", "--undo"], b"");
    assert_eq!(undo.code, 0, "{undo:?}");
    assert_eq!(std::fs::read_to_string(&docker).unwrap(), original);
    assert_eq!(std::fs::read_to_string(&ours).unwrap(), ours_text);
}

#[test]
fn configure_routes_an_alias_but_not_an_unknown_host() {
    let stand_in = StandIn::start();
    let sandbox = sandbox(&stand_in);
    write_config(&sandbox, &format!("[[alias]]\nhost = \"registry.example.com\"\nregistry = \"{HOST}\"\n"));
    let run = sandbox.run(&["configure", "docker", "--registry", "registry.example.com"], b"");
    assert_eq!(run.code, 0, "{run:?}");
    let docker = std::fs::read_to_string(sandbox.home().join(".docker/config.json")).unwrap();
    assert!(docker.contains("\"registry.example.com\": \"ecr-login\""), "{docker}");
    let unknown = sandbox.run(&["configure", "docker", "--registry", "other.example.com"], b"");
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("not an Amazon ECR registry host"), "{unknown:?}");
}

#[test]
fn the_kubelet_keys_an_alias_by_the_host_the_image_names_and_follows_the_rules() {
    let stand_in = StandIn::start();
    let sandbox = sandbox(&stand_in);
    write_config(
        &sandbox,
        &format!(
            "[[registry]]\naccount = \"210987654321\"\nprofile = \"prod-pull\"\n[[alias]]\nhost = \
             \"registry.example.com\"\nregistry = \"{B_HOST}\"\n"
        ),
    );
    let request = support::kubelet_request(support::KUBELET_V1, "registry.example.com/team/app:1");
    let run = sandbox.run(&["kubelet-provider"], request.as_bytes());
    run.assert_clean_success();
    let answer: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(answer["auth"]["registry.example.com"]["password"], "210987654321-token-1", "{answer}");
    assert_eq!(stand_in.ecr_signers(), ["AKIAPRODPULL"]);
}

// Unix only: the fallback it shows is the shell-script echo store above.
#[cfg(unix)]
#[test]
fn doctor_shows_the_file_the_rule_the_alias_the_role_and_the_fallback() {
    let stand_in = StandIn::start();
    let mut sandbox = sandbox(&stand_in);
    install_echo_store(&mut sandbox);
    write_config(
        &sandbox,
        &format!(
            "fallback = \"echo\"\n[[registry]]\naccount = \"210987654321\"\nprofile = \"prod-pull\"\nrole_arn = \
             \"{ROLE}\"\n[[alias]]\nhost = \"registry.example.com\"\nregistry = \"{B_HOST}\"\n"
        ),
    );
    let run = sandbox.run(&["doctor", "registry.example.com"], b"");
    for needle in [
        "config.toml (1 rule(s), 1 alias(es))",
        &format!("registry.example.com stands for {B_HOST}"),
        "the [[registry]] rule on line 2",
        &format!("{ROLE} assumed on top"),
        "\"prod-pull\" (from the [[registry]] rule on line 2",
        "docker-credential-echo answers every other host",
    ] {
        assert!(run.stdout.contains(needle), "{needle}\n{}", run.stdout);
    }
    assert!(run.stdout.contains(&format!("access key id {}", access_key_for_role(ROLE))), "{}", run.stdout);
    run.assert_no_secret();
}
