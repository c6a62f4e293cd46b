//! MFA profiles through the binary: the prompt on a real pseudo-terminal (driven by
//! `tests/suite/support/answer-prompts.py`), one prompt and one STS call for eight concurrent gets, the
//! session cache shared with the AWS CLI, and the error without a terminal.
//!
//! The stand-in refuses AssumeRole and GetSessionToken without a code, as a trust policy with
//! `aws:MultiFactorAuthPresent` does. The AWS CLI tests run the real CLI (pip `awscli`, named by
//! `ECR_LOGIN_AWS_CLI`) against moto, whose STS accepts `SerialNumber` and `TokenCode`.

use crate::support;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::moto::Moto;
use support::stand_in::{StandIn, access_key_for_role, access_key_for_session};
use support::{HOST, NOT_FOUND, Run, Sandbox, binary, run_command, unix_now};

const ROLE: &str = "arn:aws:iam::123456789012:role/admin";
const SERIAL: &str = "arn:aws:iam::111111111111:mfa/alice";
const CODE: &str = "123456";

/// A sandbox whose only identity is profile `mfa` (a role behind an MFA device, assumed with
/// profile `base`'s keys) or `mfa-session` (keys of its own behind an MFA device).
fn sandbox(endpoint: &str) -> Sandbox {
    let mut sandbox = Sandbox::new(endpoint);
    sandbox.unset("AWS_ACCESS_KEY_ID");
    sandbox.unset("AWS_SECRET_ACCESS_KEY");
    sandbox.set("AWS_PROFILE", "mfa");
    sandbox.set("AWS_DEFAULT_REGION", "us-east-1");
    sandbox.write_home_file(
        ".aws/config",
        &format!(
            "[profile mfa]\nrole_arn = {ROLE}\nsource_profile = base\nmfa_serial = {SERIAL}\n\n\
             [profile mfa-session]\nmfa_serial = {SERIAL}\n"
        ),
    );
    sandbox.write_home_file(
        ".aws/credentials",
        "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = base-secret\n\n\
         [mfa-session]\naws_access_key_id = AKIAMFASESSION\naws_secret_access_key = session-secret\n",
    );
    sandbox
}

/// Runs `command` in a new session with no controlling terminal, as under CI or a daemon.
fn without_terminal(mut command: Command, input: &[u8]) -> Run {
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    run_command(command, input)
}

/// Runs `argv` on a pseudo-terminal that types the code after each MFA prompt; returns what the
/// terminal showed and the exit code.
fn on_terminal(sandbox: &Sandbox, argv: &[&str]) -> Run {
    answering(CODE, sandbox, argv)
}

/// [`on_terminal`], typing `code`.
fn answering(code: &str, sandbox: &Sandbox, argv: &[&str]) -> Run {
    run_command(support::answering_prompts(code, &sandbox.env, argv), b"")
}

fn session_files(sandbox: &Sandbox) -> Vec<PathBuf> {
    let dir = sandbox.home().join(".aws/cli/cache");
    std::fs::read_dir(dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default()
}

#[test]
fn without_a_terminal_the_error_names_the_command_that_starts_the_session() {
    let stand_in = StandIn::start();
    stand_in.require_mfa();
    let sandbox = sandbox(&stand_in.url());
    let run = without_terminal(sandbox.command(&["get"]), HOST.as_bytes());
    run.assert_one_line_failure();
    assert_eq!(run.stdout.trim(), NOT_FOUND);
    assert!(run.stderr.contains(SERIAL) && run.stderr.contains("no terminal"), "{run:?}");
    assert!(run.stderr.contains(&format!("docker-credential-ecr-login login {HOST}")), "{run:?}");
    assert!(stand_in.requests().is_empty());
}

#[test]
fn eight_concurrent_gets_ask_once_and_start_one_session() {
    let stand_in = StandIn::start();
    stand_in.require_mfa();
    let sandbox = sandbox(&stand_in.url());
    let out = sandbox.dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let script = format!(
        "for i in 1 2 3 4 5 6 7 8; do printf %s {HOST} | {binary} get >{dir}/$i.out 2>{dir}/$i.err & done; wait",
        binary = binary(),
        dir = out.display()
    );
    let terminal = on_terminal(&sandbox, &["sh", "-c", &script]);
    assert_eq!(terminal.code, 0, "{terminal:?}");
    assert_eq!(terminal.stdout.matches("MFA code for").count(), 1, "{terminal:?}");
    assert!(terminal.stdout.contains(&format!("MFA code for {SERIAL} (profile mfa)")), "{terminal:?}");
    assert!(!terminal.stdout.contains(CODE), "the typed code was echoed: {terminal:?}");
    for i in 1..=8 {
        let stdout = std::fs::read_to_string(out.join(format!("{i}.out"))).unwrap();
        let stderr = std::fs::read_to_string(out.join(format!("{i}.err"))).unwrap();
        assert!(stdout.contains("123456789012-token-"), "get {i}: {stdout} {stderr}");
        assert_eq!(stderr, "", "get {i}");
    }
    let sts = stand_in.sts_requests();
    assert_eq!(sts.len(), 1, "{sts:?}");
    assert_eq!(sts[0].target, "sts:AssumeRole");
    assert_eq!((sts[0].serial_number.as_deref(), sts[0].token_code.as_deref()), (Some(SERIAL), Some(CODE)));
    assert_eq!(sts[0].access_key, "AKIABASE");
    assert!(stand_in.ecr_signers().iter().all(|key| *key == access_key_for_role(ROLE)));

    // The session is in the AWS CLI's cache, private, in botocore's format.
    let files = session_files(&sandbox);
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(std::fs::metadata(&files[0]).unwrap().permissions().mode() & 0o777, 0o600);
    let session: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    assert_eq!(session["Credentials"]["AccessKeyId"], access_key_for_role(ROLE));
    assert!(session["Credentials"]["Expiration"].as_str().unwrap().ends_with("UTC"), "{session}");

    // While it lasts, another registry needs no terminal and no STS call.
    let other = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
    without_terminal(sandbox.command(&["get"]), other.as_bytes()).assert_clean_success();
    assert_eq!(stand_in.sts_requests().len(), 1);

    // Within 15 minutes of its expiry it is over, as botocore has it.
    let soon = ecr_login::format_utc(unix_now() + 10 * 60).replace('Z', "UTC");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let expiring = text.replace(session["Credentials"]["Expiration"].as_str().unwrap(), &soon);
    std::fs::write(&files[0], expiring).unwrap();
    let third = "123456789012.dkr.ecr.us-west-2.amazonaws.com";
    let run = without_terminal(sandbox.command(&["get"]), third.as_bytes());
    assert!(run.stderr.contains("no terminal"), "{run:?}");
}

#[test]
fn a_profile_without_a_role_gets_a_session_token_with_the_code() {
    let stand_in = StandIn::start();
    stand_in.require_mfa();
    let mut sandbox = sandbox(&stand_in.url());
    sandbox.set("AWS_PROFILE", "mfa-session");
    let terminal = on_terminal(&sandbox, &[binary(), "login", HOST]);
    assert_eq!(terminal.code, 0, "{terminal:?}");
    assert!(terminal.stdout.contains(&format!("{HOST}: token valid until ")), "{terminal:?}");
    let sts = stand_in.sts_requests();
    assert_eq!(sts.len(), 1, "{sts:?}");
    assert_eq!((sts[0].target.as_str(), sts[0].access_key.as_str()), ("sts:GetSessionToken", "AKIAMFASESSION"));
    assert_eq!(sts[0].token_code.as_deref(), Some(CODE));
    assert_eq!(stand_in.ecr_signers()[0], access_key_for_session(1));
    // login warmed the cache: a get without a terminal is a hit.
    without_terminal(sandbox.command(&["get"]), HOST.as_bytes()).assert_clean_success();
    assert_eq!(stand_in.calls(), 1);
}

#[test]
fn a_wrong_code_is_reported_as_refused() {
    let stand_in = StandIn::start();
    stand_in.require_mfa();
    let sandbox = sandbox(&stand_in.url());
    // The stand-in takes any code; a code that is not six digits never reaches STS.
    let run = answering("12ab", &sandbox, &[binary(), "login", HOST]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("no MFA code for profile \"mfa\": an MFA code is 6 digits"), "{run:?}");
    assert!(stand_in.sts_requests().is_empty());
}

#[test]
fn a_code_sts_refuses_is_said_as_refused_and_keeps_nothing() {
    let stand_in = StandIn::start();
    stand_in.require_mfa();
    let sandbox = sandbox(&stand_in.url());
    let run = answering(support::stand_in::WRONG_MFA_CODE, &sandbox, &[binary(), "login", HOST]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("STS refused the MFA session of profile \"mfa\""), "{run:?}");
    assert!(run.stdout.contains("invalid MFA one time pass code"), "{run:?}");
    let asked: Vec<_> = stand_in.sts_requests().into_iter().map(|r| r.token_code).collect();
    assert_eq!(asked, [Some(support::stand_in::WRONG_MFA_CODE.to_string())]);
    assert!(session_files(&sandbox).is_empty(), "a refused code left a session behind");
    assert_eq!(stand_in.calls(), 0);
}

/// The AWS CLI as the tests run it: pip's `awscli`, named by `ECR_LOGIN_AWS_CLI`.
fn aws_cli() -> String {
    std::env::var("ECR_LOGIN_AWS_CLI").expect("ECR_LOGIN_AWS_CLI must name the AWS CLI: run the suite with tests/run")
}

#[test]
#[ignore = "needs moto_server and the AWS CLI: run tests/run"]
fn the_aws_cli_uses_the_session_our_prompt_started() {
    let moto = Moto::start();
    let sandbox = sandbox(&moto.url);
    let terminal = on_terminal(&sandbox, &[binary(), "login", HOST]);
    assert_eq!(terminal.code, 0, "{terminal:?}");
    assert_eq!(terminal.stdout.matches("MFA code for").count(), 1, "{terminal:?}");
    // No terminal and nothing on stdin: the AWS CLI can only succeed from the cached session.
    let mut command = Command::new(aws_cli());
    command.args(["sts", "get-caller-identity", "--profile", "mfa", "--output", "text", "--query", "Arn"]);
    command.env_clear().envs(sandbox.env.iter().map(|(k, v)| (k, v)));
    let run = without_terminal(command, b"");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains(":assumed-role/admin/"), "{run:?}");
}

#[test]
#[ignore = "needs moto_server and the AWS CLI: run tests/run"]
fn we_use_the_session_the_aws_clis_prompt_started() {
    let moto = Moto::start();
    let sandbox = sandbox(&moto.url);
    let cli = aws_cli();
    let terminal = on_terminal(&sandbox, &[&cli, "sts", "get-caller-identity", "--profile", "mfa"]);
    assert_eq!(terminal.code, 0, "{terminal:?}");
    assert!(terminal.stdout.contains(&format!("Enter MFA code for {SERIAL}")), "{terminal:?}");
    assert_eq!(session_files(&sandbox).len(), 1);
    // Our get, without a terminal, finds the AWS CLI's session and asks moto for a token.
    let run = without_terminal(sandbox.command(&["get"]), HOST.as_bytes());
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("123456789012-auth-token"), "{run:?}");
    assert!(!run.stderr.contains("MFA"), "{run:?}");
}

#[test]
#[ignore = "needs moto_server: run tests/run"]
fn motos_sts_answers_get_session_token_with_a_code() {
    let moto = Moto::start();
    let mut sandbox = sandbox(&moto.url);
    sandbox.set("AWS_PROFILE", "mfa-session");
    let terminal = on_terminal(&sandbox, &[binary(), "login", HOST]);
    assert_eq!(terminal.code, 0, "{terminal:?}");
    assert!(terminal.stdout.contains("MFA session for profile mfa-session valid until"), "{terminal:?}");
}

#[test]
fn the_prompt_does_not_echo_the_code_and_ctrl_c_leaves_the_terminal_echoing() {
    let stand_in = StandIn::start();
    stand_in.require_mfa();
    let sandbox = sandbox(&stand_in.url());
    let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/suite/support/interrupt-prompt.py");
    let mut command = Command::new("python3");
    command.arg(driver).args(["60", "sh", "-c", &format!("printf %s {HOST} | exec {} get", binary())]);
    command.env_clear().envs(sandbox.env.iter().map(|(k, v)| (k, v)));
    command.env("PATH", std::env::var("PATH").unwrap_or_default());
    let run = run_command(command, b"");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("echo at the prompt: off\n"), "{run:?}");
    assert!(run.stdout.contains("ended by: SIGINT\n"), "{run:?}");
    assert!(run.stdout.contains("echo after: on\n"), "the terminal was left without echo: {run:?}");
    assert!(stand_in.sts_requests().is_empty());
}
