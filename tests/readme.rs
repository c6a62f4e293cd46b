//! README.md cannot rot: every command in its `sh` blocks is run by a script that CI runs, written
//! there with the same words in the same order (CI may add its own options and variables), or is
//! listed below with the reason it cannot run on a machine without AWS or a container daemon.

use std::path::Path;

/// Scripts that `.ci/run` runs, itself included.
const CI_SCRIPTS: &[&str] = &[
    ".ci/run",
    "tests/run",
    "tests/demo.sh",
    "tests/e2e/run",
    "tests/e2e/clients.sh",
    "tests/e2e/docker.sh",
    "packaging/test-name-resolution",
    "packaging/test-packages",
    "bench/run",
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
