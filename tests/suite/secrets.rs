//! The secrets audit: every command and failure path runs with sentinel secrets, under umask 022
//! and 000, with `RUST_LOG=trace` and `RUST_BACKTRACE=full` (in case a dependency ever logs) and
//! our own trace on (`ECR_LOGIN_DEBUG`: on stderr under 022, into a file under 000), and every
//! stdout, every stderr and every file the helper wrote is searched for them.
//!
//! | sentinel                      | where it may appear                                           |
//! |-------------------------------|---------------------------------------------------------------|
//! | the AWS secret key            | nowhere the helper writes                                     |
//! | the session token             | nowhere the helper writes                                     |
//! | the secret `docker login` sends to store | nowhere                                            |
//! | a service-account token       | nowhere (it goes to STS only)                                 |
//! | an MFA code                   | nowhere (it goes to STS only; the prompt does not echo it)    |
//! | an ECR password (`-token-`)   | the token cache entry (0600) and the protocol's own answer on stdout (`password`'s and `dockerconfig`'s too) |
//! | STS session keys              | the AWS CLI's session cache (0600), which the CLI shares      |

// Unix only: the audit runs every path under umasks and reads files' mode bits, which Windows lacks.
#![cfg(unix)]

use crate::support;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::stand_in::{Answer, StandIn};
use support::{HOST, Run, Sandbox, binary, run_command};

const SECRET_KEY: &str = "SENTINEL-secret-access-key-7f3a";
const SESSION_TOKEN: &str = "SENTINEL-session-token-91c2";
const STORE_SECRET: &str = "SENTINEL-docker-login-secret-44b1";
const SA_TOKEN: &str = "SENTINEL-service-account-token-5d0e";
const MFA_CODE: &str = "804217";
/// Every password the stand-in issues contains this.
const PASSWORD: &str = "-token-";
/// The keys the stand-in's STS hands out.
const STS_SECRETS: [&str; 2] = ["stand-in-secret", "stand-in-session"];

const OTHER: &str = "210987654321.dkr.ecr.eu-west-1.amazonaws.com";
const THIRD: &str = "333333333333.dkr.ecr.us-west-2.amazonaws.com";
const ROLE: &str = "arn:aws:iam::123456789012:role/puller";

/// One run: its name, what it printed, and whether its stdout is the protocol's answer (which may
/// hold the password).
struct Seen {
    name: String,
    run: Run,
    answer: bool,
}

fn with_umask(mut command: Command, umask: libc::mode_t, input: &[u8]) -> Run {
    // SAFETY: umask is async-signal-safe and touches no memory of the parent.
    unsafe {
        command.pre_exec(move || {
            libc::umask(umask);
            Ok(())
        });
    }
    run_command(command, input)
}

fn sandbox(stand_in: &StandIn) -> Sandbox {
    let mut sandbox = Sandbox::new(&stand_in.url());
    sandbox.set("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    sandbox.set("AWS_SESSION_TOKEN", SESSION_TOKEN);
    sandbox.set("RUST_LOG", "trace");
    sandbox.set("RUST_BACKTRACE", "full");
    sandbox.put_binary_on_path("docker-credential-ecr-login");
    sandbox.write_home_file(
        ".aws/config",
        &format!(
            "[profile mfa]\nrole_arn = {ROLE}\nsource_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/me\n"
        ),
    );
    sandbox.write_home_file(
        ".aws/credentials",
        &format!("[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = {SECRET_KEY}\n"),
    );
    sandbox
}

/// A path that succeeds: exit 0, whatever it says on stderr.
const OK: (i32, &str) = (0, "");

/// Runs every command and failure path once under `umask`; returns what each printed.
fn every_path(stand_in: &StandIn, sandbox: &Sandbox, umask: libc::mode_t) -> Vec<Seen> {
    let mut seen = Vec::new();
    // Each path is checked to be the path it names: its exit status and, for a failure, its cause.
    let mut run = |name: &str, args: &[&str], input: &str, answer: bool, (code, cause): (i32, &str)| {
        let run = with_umask(sandbox.command(args), umask, input.as_bytes());
        assert_eq!(run.code, code, "{name}: {run:?}");
        assert!(run.stderr.contains(cause), "{name}: not {cause:?}: {run:?}");
        seen.push(Seen { name: name.to_string(), run, answer });
    };
    let store = format!(r#"{{"ServerURL":"{HOST}","Username":"AWS","Secret":"{STORE_SECRET}"}}"#);
    let store_other = format!(r#"{{"ServerURL":"ghcr.io","Username":"me","Secret":"{STORE_SECRET}"}}"#);
    run("get, a miss", &["get"], HOST, true, OK);
    run("get, a hit", &["get"], HOST, true, OK);
    run("list", &["list"], "", false, OK);
    run("store an ECR host", &["store"], &store, false, OK);
    run("store another registry", &["store"], &store_other, false, (1, "keeps no credentials for"));
    run("erase", &["erase"], HOST, false, OK);
    run("get, not ECR", &["get"], "ghcr.io", false, (1, "is not an Amazon ECR registry"));
    run("version", &["version"], "", false, OK);
    run("configure docker", &["configure", "docker", "--registry", HOST, "--registry", OTHER], "", false, OK);
    run("doctor", &["doctor", HOST], "", false, OK);
    run("login", &["login", OTHER], "", false, OK);
    stand_in.answer(Answer::error(400, "ThrottlingException", "Rate exceeded"));
    run("get, throttled", &["get"], THIRD, false, (1, "ECR throttled GetAuthorizationToken"));
    stand_in.answer(Answer::error(500, "ServerException", "internal failure"));
    run("get, server error", &["get"], THIRD, false, (1, "ECR failed to give a token"));
    stand_in.answer(Answer::error(400, "AccessDeniedException", "User: arn:aws:iam::1:user/x is not authorized"));
    run("get, access denied", &["get"], THIRD, false, (1, "access denied getting a token"));
    run("doctor, access denied", &["doctor", THIRD], "", false, (1, "doctor found"));
    // A token in an answer that cannot be used: its password must not be repeated.
    stand_in.answer(Answer::Raw {
        status: 200,
        content_type: "application/x-amz-json-1.1".into(),
        body: r#"{"authorizationData":[{"authorizationToken":"QVdTOjMzMzMzMzMzMzMzMy10b2tlbi1iYWQ="}]}"#.into(),
    });
    run("get, an answer without an endpoint", &["get"], THIRD, false, (1, "unusable answer from ECR"));
    stand_in.answer(Answer::twelve_hours());
    run("password", &["password", HOST], "", true, OK);
    // The Secret holds the passwords base64-encoded only: none may show in clear.
    run(
        "dockerconfig, a Kubernetes Secret",
        &["dockerconfig", "--kubernetes-secret", "pull", HOST, OTHER],
        "",
        false,
        OK,
    );
    run(
        "dockerconfig, a host that is not ECR",
        &["dockerconfig", HOST, "ghcr.io"],
        "",
        false,
        (1, "is not an Amazon ECR registry"),
    );
    let image = |host: &str| format!("{host}/team/app:1");
    run("kubelet", &["kubelet-provider"], &support::kubelet_request(support::KUBELET_V1, &image(HOST)), true, OK);
    run(
        "kubelet, a service account role",
        &["kubelet-provider"],
        &support::kubelet_request_as(&image(THIRD), ROLE, SA_TOKEN),
        true,
        OK,
    );
    stand_in.answer(Answer::error(
        400,
        "AccessDeniedException",
        "User: arn:aws:sts::1:assumed-role/puller/x is not authorized",
    ));
    run(
        "kubelet, a failure",
        &["kubelet-provider"],
        &support::kubelet_request_as(&image("444444444444.dkr.ecr.us-east-1.amazonaws.com"), ROLE, SA_TOKEN),
        false,
        (1, "access denied getting a token"),
    );
    stand_in.answer(Answer::twelve_hours());
    run(
        "kubelet, a role without a token",
        &["kubelet-provider"],
        &support::kubelet_request_as(&image(THIRD), ROLE, "").replace(r#","serviceAccountToken":"""#, ""),
        false,
        (1, "sent no service account token"),
    );
    seen.push(mfa_get(stand_in, sandbox, umask));
    seen
}

/// A get as the `mfa` profile, the code typed on a pseudo-terminal; the helper's own stdout and
/// stderr go to files, apart from the terminal, whose screen must not show the code either.
fn mfa_get(stand_in: &StandIn, sandbox: &Sandbox, umask: libc::mode_t) -> Seen {
    stand_in.require_mfa();
    let (out, err) = (sandbox.dir.path().join("mfa.out"), sandbox.dir.path().join("mfa.err"));
    let mut env = sandbox.env.clone();
    env.retain(|(k, _)| !["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"].contains(&k.as_str()));
    env.push(("AWS_PROFILE".into(), "mfa".into()));
    let host = OTHER.replace("eu-west-1", "us-east-2");
    let (out_arg, err_arg) = (out.to_str().unwrap(), err.to_str().unwrap());
    let script = "printf %s \"$3\" | \"$0\" get >\"$1\" 2>\"$2\"";
    let argv = ["/bin/sh", "-c", script, binary(), out_arg, err_arg, &host];
    let terminal = with_umask(support::answering_prompts(MFA_CODE, &env, &argv), umask, b"");
    assert_eq!(terminal.code, 0, "the MFA get failed: {terminal:?}");
    assert!(!terminal.stdout.contains(MFA_CODE), "the terminal showed the typed code: {terminal:?}");
    let sts = stand_in.sts_requests();
    assert!(sts.iter().any(|r| r.token_code.as_deref() == Some(MFA_CODE)), "{sts:?}");
    let read = |path: &PathBuf| std::fs::read_to_string(path).unwrap();
    let run = Run { code: terminal.code, stdout: read(&out), stderr: read(&err) };
    std::fs::remove_file(&out).unwrap();
    std::fs::remove_file(&err).unwrap();
    Seen { name: "get, an MFA profile".into(), run, answer: true }
}

/// Every regular file under `dir`, with its mode.
fn files_under(dir: &Path) -> Vec<(PathBuf, u32)> {
    support::files_under(dir)
        .into_iter()
        .filter_map(|path| {
            let meta = std::fs::symlink_metadata(&path).ok().filter(std::fs::Metadata::is_file)?;
            Some((path, meta.permissions().mode() & 0o777))
        })
        .collect()
}

#[test]
fn no_secret_reaches_an_output_or_a_file_other_than_its_own_under_any_umask() {
    let mut findings = Vec::new();
    let mut checked = (0, 0);
    for umask in [0o022, 0o000] {
        let stand_in = StandIn::start();
        let mut sandbox = sandbox(&stand_in);
        let trace_file = sandbox.dir.path().join("debug.log");
        let trace_to = if umask == 0o022 { "1".to_string() } else { trace_file.display().to_string() };
        sandbox.set("ECR_LOGIN_DEBUG", &trace_to);
        let ours: Vec<PathBuf> = files_under(sandbox.dir.path()).into_iter().map(|(p, _)| p).collect();
        let seen = every_path(&stand_in, &sandbox, umask);
        // The trace really ran, where it was asked to, on every command.
        let traced = |text: &str| text.contains("ecr-login debug") && text.contains("cache: hit");
        if umask == 0o022 {
            assert!(traced(&seen.iter().map(|s| s.run.stderr.as_str()).collect::<String>()));
        } else {
            assert!(traced(&std::fs::read_to_string(&trace_file).unwrap()));
            let mode = std::fs::metadata(&trace_file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "the trace file under umask 000");
            assert!(seen.iter().all(|s| !s.run.stderr.contains("ecr-login debug")), "a trace line on stderr");
        }
        assert!(seen.iter().filter(|s| s.answer).all(|s| s.run.stdout.contains(PASSWORD)), "an answer without a token");
        for Seen { name, run, answer } in &seen {
            checked.0 += 1;
            let never = [SECRET_KEY, SESSION_TOKEN, STORE_SECRET, SA_TOKEN, MFA_CODE, STS_SECRETS[0], STS_SECRETS[1]];
            for sentinel in never.iter().chain((!answer).then_some(&PASSWORD)) {
                if run.stdout.contains(sentinel) || run.stderr.contains(sentinel) {
                    findings.push(format!("umask {umask:03o}, {name}: {sentinel} in {run:?}"));
                }
            }
            if run.stderr.contains("panicked") {
                findings.push(format!("umask {umask:03o}, {name}: a panic: {}", run.stderr));
            }
        }
        for (path, mode) in files_under(sandbox.dir.path()) {
            if ours.contains(&path) {
                continue;
            }
            checked.1 += 1;
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            let relative = path.strip_prefix(sandbox.dir.path()).unwrap().display().to_string();
            let cache_entry = relative.starts_with("cache/v1/") && path.extension().is_some_and(|e| e == "json");
            let cli_session = relative.starts_with("home/.aws/cli/cache/");
            let allowed = |sentinel: &str| match sentinel {
                PASSWORD => cache_entry,
                s if STS_SECRETS.contains(&s) => cli_session,
                _ => false,
            };
            let all =
                [SECRET_KEY, SESSION_TOKEN, STORE_SECRET, SA_TOKEN, MFA_CODE, PASSWORD, STS_SECRETS[0], STS_SECRETS[1]];
            for sentinel in all {
                if text.contains(sentinel) && !allowed(sentinel) {
                    findings.push(format!("umask {umask:03o}: {sentinel} in {relative}"));
                }
            }
            let holds_secret = all.iter().any(|s| text.contains(s));
            if holds_secret && mode & 0o077 != 0 {
                findings.push(format!("umask {umask:03o}: {relative} holds a secret with mode {mode:03o}"));
            }
        }
    }
    assert!(findings.is_empty(), "{} findings:\n{}", findings.len(), findings.join("\n"));
    // Every path ran, twice, and wrote files to look at.
    assert!(checked.0 == 2 * 24 && checked.1 >= 8, "{checked:?}");
}
