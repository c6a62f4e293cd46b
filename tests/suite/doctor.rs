//! `doctor` through the binary: a healthy setup and the broken ones users meet, each named with
//! its fix, and never a secret in the output.

use crate::support;

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

const NAME: &str = "docker-credential-ecr-login";

/// Debian's Go helper 0.6.0: `version` prints the credential-helpers library's version, `-v` its
/// banner.
#[cfg(unix)]
const OLD_GO_HELPER: &str = "#!/bin/sh\ncase \"$1\" in\n  version) echo 0.6.4 ;;\n  -v) printf \
                             'amazon-ecr-credential-helper\\nVersion:    0.6.0\\nGit commit: 69c85dc\\n' ;;\n  *) exit 1 ;;\nesac\n";

/// An ecr-login release older than any this repository builds.
#[cfg(unix)]
const STALE_ECR_LOGIN: &str = "#!/bin/sh\necho 'docker-credential-ecr-login (ecr-login) 0.0.1 (commit 000000000000)'\n";

/// Writes `script` as the helper in `dir` of the sandbox with `mode`; returns the directory.
#[cfg(unix)]
fn plant(sandbox: &Sandbox, dir: &str, script: &str, mode: u32) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = sandbox.dir.path().join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(NAME), script).unwrap();
    std::fs::set_permissions(dir.join(NAME), std::fs::Permissions::from_mode(mode)).unwrap();
    dir
}

/// A directory of the sandbox holding a link to the binary under test as the helper.
#[cfg(unix)]
fn link_binary(sandbox: &Sandbox, dir: &str) -> std::path::PathBuf {
    let dir = sandbox.dir.path().join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(support::binary(), dir.join(NAME)).unwrap();
    dir
}

/// A healthy sandbox whose PATH holds `script` (in the directory `dir`) ahead of the binary
/// under test; returns the sandbox and both directories.
#[cfg(unix)]
fn ahead_of_ours(ecr: &StandIn, dir: &str, script: &str) -> (Sandbox, std::path::PathBuf, std::path::PathBuf) {
    let mut sandbox = healthy(&ecr.url());
    let first = plant(&sandbox, dir, script, 0o755);
    let ours = link_binary(&sandbox, "ours");
    set_path(&mut sandbox, &[&first, &ours]);
    (sandbox, first, ours)
}

fn set_path(sandbox: &mut Sandbox, dirs: &[&std::path::PathBuf]) {
    sandbox.set("PATH", std::env::join_paths(dirs).unwrap().to_str().unwrap());
}

/// The report's lines from the PATH section to the kubelet's, both included.
fn path_section(run: &support::Run) -> Vec<&str> {
    let lines: Vec<&str> = run.stdout.lines().collect();
    let start = lines.iter().position(|l| l.starts_with("PATH")).unwrap_or_else(|| panic!("{}", run.stdout));
    let end = lines.iter().position(|l| l.starts_with("kubelet")).unwrap_or_else(|| panic!("{}", run.stdout));
    lines[start..=end].to_vec()
}

#[cfg(unix)]
#[test]
fn every_helper_on_path_is_listed_in_order_and_a_go_helper_ahead_of_ecr_login_is_a_problem_with_its_fix() {
    let ecr = StandIn::start();
    let mut sandbox = healthy(&ecr.url());
    let go = plant(&sandbox, "go", OLD_GO_HELPER, 0o755);
    let not_executable = plant(&sandbox, "not-executable", STALE_ECR_LOGIN, 0o644);
    let directory = sandbox.dir.path().join("directory");
    std::fs::create_dir_all(directory.join(NAME)).unwrap();
    let ours = link_binary(&sandbox, "ours");
    set_path(&mut sandbox, &[&go, &not_executable, &directory, &ours]);
    let run = doctor(&sandbox);
    let real = std::fs::canonicalize(support::binary()).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let section = path_section(&run);
    assert_eq!(section[0], format!("PATH          2 {NAME} on PATH; docker runs the first"), "{}", run.stdout);
    assert_eq!(section[1], format!("              1. {}/{NAME}: not ecr-login: AWS's Go helper 0.6.0", go.display()));
    assert!(
        section[2].starts_with(&format!(
            "              2. {}/{NAME} -> {}: ecr-login {version} (commit ",
            ours.display(),
            real.display()
        )) && section[2].ends_with(", the same build as this doctor"),
        "{}",
        section[2]
    );
    assert_eq!(section[3], format!("              skipped {}/{NAME}: not executable", not_executable.display()));
    assert_eq!(section[4], format!("              skipped {}/{NAME}: a directory", directory.display()));
    assert_problem(&run, "PATH", &format!("docker runs {}/{NAME}, not ecr-login: AWS's Go helper 0.6.0", go.display()));
    let fix =
        format!("fix: put {} ahead of {} in PATH, or remove {}/{NAME}", ours.display(), go.display(), go.display());
    assert!(run.stdout.contains(&fix), "{}", run.stdout);
}

#[cfg(unix)]
#[test]
fn a_stale_ecr_login_first_on_path_is_a_problem_and_with_no_current_one_the_fix_is_to_install_it() {
    let ecr = StandIn::start();
    let (mut sandbox, stale, ours) = ahead_of_ours(&ecr, "stale", STALE_ECR_LOGIN);
    let run = doctor(&sandbox);
    let older =
        format!("ecr-login 0.0.1 (commit 000000000000), older than this doctor ({})", env!("CARGO_PKG_VERSION"));
    assert_problem(&run, "PATH", &format!("docker runs {}/{NAME}, {older}", stale.display()));
    assert!(
        run.stdout.contains(&format!("fix: put {} ahead of {}", ours.display(), stale.display())),
        "{}",
        run.stdout
    );

    set_path(&mut sandbox, &[&stale]);
    let run = doctor(&sandbox);
    let fix = format!(
        "fix: install ecr-login {} into a directory ahead of {} in PATH, or replace {}/{NAME}",
        env!("CARGO_PKG_VERSION"),
        stale.display(),
        stale.display()
    );
    assert!(run.stdout.contains(&fix), "{}", run.stdout);
}

#[cfg(unix)]
#[test]
fn ecr_login_first_on_path_is_no_problem_whatever_follows_and_the_kubelet_line_says_it_ignores_path() {
    let ecr = StandIn::start();
    let mut sandbox = healthy(&ecr.url());
    let ours = link_binary(&sandbox, "ours");
    let newer_go = plant(
        &sandbox,
        "go",
        "#!/bin/sh\necho 'docker-credential-ecr-login (github.com/awslabs/amazon-ecr-credential-helper/ecr-login) 0.13.0'\n",
        0o755,
    );
    set_path(&mut sandbox, &[&ours, &newer_go]);
    let run = doctor(&sandbox);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let section = path_section(&run);
    assert!(section[1].contains("the same build as this doctor"), "{section:?}");
    assert_eq!(
        section[2],
        format!("              2. {}/{NAME}: not ecr-login: AWS's Go helper 0.13.0", newer_go.display())
    );
    let kubelet = section.last().unwrap();
    assert!(
        kubelet.contains("does not use PATH") && kubelet.contains("--image-credential-provider-bin-dir"),
        "{kubelet}"
    );
}

#[cfg(unix)]
#[test]
fn a_helper_that_hangs_is_killed_at_the_deadline_and_named() {
    let ecr = StandIn::start();
    let (sandbox, _, _) = ahead_of_ours(&ecr, "hung", "#!/bin/sh\nPATH=/usr/bin:/bin\nsleep 60 &\nsleep 60\n");
    let started = std::time::Instant::now();
    let run = doctor(&sandbox);
    // One question of at most 2 s: a helper that hangs on `version` is not asked `-v` too.
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    assert_problem(&run, "PATH", "not ecr-login: it did not answer `version` within 2 s");
}

#[cfg(unix)]
#[test]
fn a_wrapper_that_runs_doctor_whatever_it_is_asked_does_not_start_a_chain_of_doctors() {
    let ecr = StandIn::start();
    let mut sandbox = healthy(&ecr.url());
    // The probe passes only PATH and HOME: the wrapper brings what its doctor needs to stay on
    // loopback.
    let wrapper = format!(
        "#!/bin/sh\nexport AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL={} AWS_ACCESS_KEY_ID=AKIDWRAPPER \
         AWS_SECRET_ACCESS_KEY=wrapper-secret AWS_ECR_DISABLE_CACHE=1\nexec {} doctor {HOST}\n",
        ecr.url(),
        support::binary()
    );
    let wrapped = plant(&sandbox, "wrapper", &wrapper, 0o755);
    set_path(&mut sandbox, &[&wrapped]);
    let run = doctor(&sandbox);
    assert_problem(&run, "PATH", "not ecr-login: it said \"version");
    std::thread::sleep(std::time::Duration::from_millis(500));
    // The outer doctor's token and one for each of the two questions; a doctor inside a probe
    // asks nobody.
    assert_eq!(ecr.calls(), 3, "{:?}", ecr.requests());
}

/// [`OLD_GO_HELPER`] as the `.cmd` file a Windows PATH can hold, found through `PATHEXT`.
#[cfg(windows)]
const OLD_GO_HELPER_CMD: &str = "@echo off\nif \"%1\"==\"version\" echo 0.6.4\nif \"%1\"==\"-v\" (\n  echo amazon-ecr-credential-helper\n  \
                                 echo Version:    0.6.0\n  echo Git commit: 69c85dc\n)\n";

// Windows: a helper is found by PATH and PATHEXT, as Go's exec.LookPath finds it for docker.
#[cfg(windows)]
#[test]
fn on_windows_a_go_helper_cmd_ahead_of_ecr_login_exe_is_found_through_pathext_and_named() {
    let ecr = StandIn::start();
    let mut sandbox = healthy(&ecr.url());
    let go = sandbox.dir.path().join("go");
    let script = support::write_script(&go, NAME, "", OLD_GO_HELPER_CMD);
    let ours = sandbox.dir.path().join("bin");
    sandbox.set("PATHEXT", ".COM;.EXE;.BAT;.CMD");
    set_path(&mut sandbox, &[&go, &ours]);
    let run = doctor(&sandbox);
    let section = path_section(&run);
    assert_eq!(section[0], format!("PATH          2 {NAME} on PATH; docker runs the first"), "{}", run.stdout);
    assert!(section[1].contains(&script.display().to_string()), "{}", run.stdout);
    assert!(section[1].ends_with("not ecr-login: AWS's Go helper 0.6.0"), "{}", run.stdout);
    let exe = ours.join(support::executable_name(NAME));
    assert!(section[2].contains(&exe.display().to_string()), "{}", run.stdout);
    assert!(section[2].ends_with(", the same build as this doctor"), "{}", run.stdout);
    assert_problem(&run, "PATH", "not ecr-login: AWS's Go helper 0.6.0");
}

// Windows: mode bits do not exist there, so doctor must not print one; the user's files are found
// under USERPROFILE with HOME unset.
#[cfg(windows)]
#[test]
fn on_windows_doctor_finds_the_users_files_under_userprofile_and_prints_no_posix_mode() {
    let ecr = StandIn::start();
    let sandbox = healthy(&ecr.url());
    assert!(!sandbox.env.iter().any(|(k, _)| k == "HOME"), "{:?}", sandbox.env);
    sandbox.get(HOST).assert_clean_success();
    let run = doctor(&sandbox);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains(&format!("routes {HOST} to ecr-login")), "{}", run.stdout);
    assert!(run.stdout.contains(&sandbox.cache_dir().display().to_string()), "{}", run.stdout);
    for mode in ["0700", "0600", "0755", "chmod"] {
        assert!(!run.stdout.contains(mode), "a POSIX mode ({mode}) in\n{}", run.stdout);
    }
}
