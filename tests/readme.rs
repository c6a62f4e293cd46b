//! README.md cannot rot: every command in its `sh` blocks is run by a script that CI runs, written
//! there with the same words in the same order (CI may add its own options and variables), or is
//! listed below with the reason it cannot run on a machine without AWS or a container daemon.

mod support;

use std::path::Path;

use support::Sandbox;
use support::stand_in::{StandIn, access_key_for_role};

/// Scripts that `.ci/run` runs, itself included.
const CI_SCRIPTS: &[&str] = &[
    ".ci/run",
    "tests/run",
    "tests/demo.sh",
    "tests/e2e/run",
    "tests/e2e/clients.sh",
    "tests/e2e/docker.sh",
    "tests/e2e/kubelet.sh",
    "packaging/test-name-resolution",
    "packaging/test-packages",
    "bench/run",
    "fuzz/run",
    "tests/soak",
    "packaging/test-release",
    "packaging/lint-workflows",
];

/// README commands that cannot run here, each with why and what runs in its place.
const NOT_RUNNABLE_HERE: &[(&str, &str)] = &[
    (
        "rpm -i ~/rpmbuild/RPMS/x86_64/ecr-login-0.1.0-1.x86_64.rpm",
        "CI runs on Debian: the RPM is built, listed and its binary run from rpm2cpio instead",
    ),
    (
        "brew install --HEAD ./packaging/homebrew/ecr-login.rb",
        "no Homebrew on Linux CI: the formula's syntax is checked",
    ),
    (
        "docker pull 123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:latest",
        "needs a real ECR registry: tests/e2e/docker.sh pulls from a local one through a real docker daemon",
    ),
    (
        "skopeo inspect docker://123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:latest",
        "needs a real ECR registry: tests/e2e runs skopeo inspect against a local one",
    ),
    (
        "podman pull 123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:latest",
        "needs a real ECR registry: tests/e2e runs podman pull against a local one",
    ),
    (
        "skopeo login --get-login 123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "needs AWS credentials for a real account: tests/e2e runs it against moto",
    ),
    (
        "docker-credential-ecr-login login 123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "needs a person at a terminal: tests/mfa.rs runs login on a pseudo-terminal against the stand-in and moto",
    ),
];

fn read(relative: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)).unwrap()
}

/// The commands of the README's `sh` blocks, without trailing comments.
fn readme_commands() -> Vec<String> {
    let mut commands = Vec::new();
    let mut in_sh = false;
    for line in read("README.md").lines() {
        let trimmed = line.trim();
        if let Some(info) = trimmed.strip_prefix("```") {
            in_sh = !in_sh && info == "sh";
            continue;
        }
        if in_sh && !trimmed.is_empty() && !trimmed.starts_with('#') {
            let command = trimmed.split("  #").next().unwrap_or(trimmed).trim();
            commands.push(command.to_string());
        }
    }
    commands
}

/// Whether `words` occur in `line` in order, other words allowed between them.
fn runs(line: &str, words: &[&str]) -> bool {
    let mut tokens = line.split_whitespace();
    words.iter().all(|word| tokens.any(|token| token == *word))
}

#[test]
fn every_readme_command_is_run_by_ci_or_says_why_not() {
    let scripts: Vec<(String, String)> = CI_SCRIPTS.iter().map(|s| (s.to_string(), read(s))).collect();
    let commands = readme_commands();
    assert!(commands.len() >= 10, "{commands:?}");
    for command in &commands {
        if NOT_RUNNABLE_HERE.iter().any(|(c, _)| c == command) {
            continue;
        }
        let words: Vec<&str> = command.split_whitespace().collect();
        let found = scripts.iter().any(|(_, text)| text.lines().any(|line| runs(line, &words)));
        assert!(found, "README command {command:?} is run by none of {CI_SCRIPTS:?}");
    }
    for (command, _) in NOT_RUNNABLE_HERE {
        assert!(commands.iter().any(|c| c == command), "{command:?} is no longer in README.md");
    }
}

#[test]
fn ci_runs_every_listed_script() {
    let ci = read(".ci/run");
    for script in ["tests/demo.sh", "tests/run", "packaging/test-packages", "bench/run"] {
        assert!(ci.lines().any(|l| l.split_whitespace().any(|w| w == script)), ".ci/run does not run {script}");
    }
    let run = read("tests/run");
    assert!(run.contains("bash tests/e2e/run"));
    assert!(read("tests/e2e/run").contains("tests/e2e/clients.sh"));
}

#[test]
fn the_readme_starts_with_the_demo_and_the_test_suite() {
    let commands = readme_commands();
    assert_eq!(&commands[..2], ["tests/demo.sh", "tests/run"]);
}

/// The README's ```toml blocks, in order.
fn readme_toml_blocks() -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in read("README.md").lines() {
        match (line.trim().strip_prefix("```"), current.as_mut()) {
            (Some("toml"), None) => current = Some(String::new()),
            (Some(_), Some(_)) => blocks.extend(current.take()),
            (None, Some(block)) => {
                block.push_str(line);
                block.push('\n');
            }
            _ => {}
        }
    }
    blocks
}

#[test]
fn every_readme_config_example_loads_with_what_it_declares() {
    let blocks = readme_toml_blocks();
    assert!(blocks.len() >= 4, "{blocks:?}");
    let stand_in = StandIn::start();
    for block in &blocks {
        let mut sandbox = Sandbox::new(&stand_in.url());
        let path = sandbox.write_home_file("example.toml", block);
        sandbox.set("ECR_LOGIN_CONFIG", path.to_str().unwrap());
        let run = sandbox.run(&["doctor", "123456789012.dkr.ecr.us-east-1.amazonaws.com"], b"");
        toml::from_str::<toml::Table>(block).unwrap_or_else(|e| panic!("not TOML: {e}\n{block}"));
        let (rules, aliases) = (block.matches("[[registry]]").count(), block.matches("[[alias]]").count());
        let line = format!("{} ({rules} rule(s), {aliases} alias(es))", path.display());
        assert!(run.stdout.contains(&line), "{block}\n{run:?}");
    }
}

#[test]
fn the_readme_many_accounts_example_assumes_its_role_with_its_profile() {
    let block = readme_toml_blocks().into_iter().find(|b| b.contains("ci-pulls")).expect("the Many accounts example");
    let stand_in = StandIn::start();
    let mut sandbox = Sandbox::new(&stand_in.url());
    sandbox.write_home_file(
        ".aws/credentials",
        "[prod-pull]\naws_access_key_id = AKIAPRODPULL\naws_secret_access_key = prod-secret\n",
    );
    let path = sandbox.write_home_file("example.toml", &block);
    sandbox.set("ECR_LOGIN_CONFIG", path.to_str().unwrap());
    sandbox.get("210987654321.dkr.ecr.eu-west-1.amazonaws.com").assert_clean_success();
    sandbox.get("111122223333.dkr.ecr.us-west-2.amazonaws.com").assert_clean_success();
    let sts = stand_in.sts_requests();
    assert_eq!(sts.len(), 2, "{sts:?}");
    assert_eq!((sts[0].access_key.as_str(), sts[0].external_id.as_deref()), ("AKIAPRODPULL", Some("ci-pulls")));
    assert_eq!(sts[1].access_key, "AKIDSANDBOX");
    assert_eq!(
        stand_in.ecr_signers(),
        [
            access_key_for_role("arn:aws:iam::210987654321:role/ecr-pull"),
            access_key_for_role("arn:aws:iam::111122223333:role/ecr-pull")
        ]
    );
}

#[test]
fn the_readme_alias_example_answers_with_its_registrys_token() {
    let block = readme_toml_blocks().into_iter().find(|b| b.contains("[[alias]]")).expect("the alias example");
    let stand_in = StandIn::start();
    let mut sandbox = Sandbox::new(&stand_in.url());
    let path = sandbox.write_home_file("example.toml", &block);
    sandbox.set("ECR_LOGIN_CONFIG", path.to_str().unwrap());
    let run = sandbox.get("registry.example.com");
    run.assert_clean_success();
    assert_eq!(run.secret(), "123456789012-token-1");
}
