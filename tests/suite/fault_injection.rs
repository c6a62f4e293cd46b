//! Fault injection through the binary: one test per fault, each stating the answer it expects, the
//! time it may take, and that nothing was lost or damaged (the cache holds a good entry or none,
//! no temporary file is left, and the next get works once the fault is gone).
//!
//! Faults of the network and of ECR's answers come from the loopback stand-in; faults of the
//! disk from the file system itself: a read-only bind mount and a full tmpfs (root only, each in a
//! private mount namespace made with `unshare`, so that nothing outlives the test). Faults that
//! other files cover already: 400 ThrottlingException, 500, a 503 HTML page, a hang, connection
//! refused and a truncated body (`failure_messages.rs`); an already-expired token and a corrupt entry
//! (`cache.rs`); symlinked entries and locks and directories of another uid (`cache_attacks.rs`).

use crate::support;

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use support::stand_in::{Answer, StandIn};
use support::{HOST, NOT_FOUND, Run, Sandbox, unix_now};
#[cfg(unix)]
use support::{binary, is_root};

const OTHER_HOST: &str = "210987654321.dkr.ecr.us-east-1.amazonaws.com";

/// Nothing was damaged: every file in the cache is a complete entry or a lock, none a leftover
/// temporary file, and every entry parses.
fn assert_cache_intact(sandbox: &Sandbox) {
    for file in support::files_under(&sandbox.cache_dir()) {
        let extension = file.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default();
        assert_ne!(extension, "tmp", "a temporary file was left: {}", file.display());
        if extension == "json" {
            let entry: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap())
                .unwrap_or_else(|e| panic!("{} is damaged: {e}", file.display()));
            assert!(entry["password"].is_string(), "{entry}");
        }
    }
}

/// The protocol's not-found line, one line on stderr containing `cause`, exit code 1, within `limit`.
fn assert_fails_with(run: &Run, elapsed: Duration, cause: &str, limit: Duration) {
    run.assert_one_line_failure();
    assert_eq!(run.stdout, format!("{NOT_FOUND}\n"), "{run:?}");
    assert!(run.stderr.contains(cause), "{run:?}");
    assert!(elapsed < limit, "took {elapsed:?}, more than {limit:?}");
}

fn timed_get(sandbox: &Sandbox, host: &str) -> (Run, Duration) {
    let start = Instant::now();
    let run = sandbox.get(host);
    (run, start.elapsed())
}

#[test]
fn throttling_with_http_429_is_retried_three_times_then_named_within_ten_seconds() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    ecr.answer(Answer::error(429, "ThrottlingException", "Rate exceeded"));
    let (run, elapsed) = timed_get(&sandbox, HOST);
    assert_fails_with(&run, elapsed, "throttled", Duration::from_secs(10));
    assert_eq!(ecr.calls(), 3);
    assert_cache_intact(&sandbox);
    ecr.answer(Answer::twelve_hours());
    sandbox.get(HOST).assert_clean_success();
}

#[test]
fn throttling_while_a_cached_token_is_due_for_refresh_serves_the_cached_token_with_a_warning() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    let cached = sandbox.get(HOST).assert_clean_success().secret();
    // Seven hours into twelve: past half its life, so a get tries to refresh it.
    sandbox.age_entry(7 * 3600, 12 * 3600);
    for (status, kind) in [(429, "ThrottlingException"), (400, "ThrottlingException")] {
        ecr.answer(Answer::error(status, kind, "Rate exceeded"));
        let (run, elapsed) = timed_get(&sandbox, HOST);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.secret(), cached, "the cached token, not a failure");
        assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
        assert!(run.stderr.contains("warning") && run.stderr.contains("throttled"), "{run:?}");
        assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    }
    assert_cache_intact(&sandbox);
    assert_eq!(sandbox.cache_entries().len(), 1, "the cached entry is kept");
    ecr.answer(Answer::twelve_hours());
    assert_ne!(sandbox.get(HOST).assert_clean_success().secret(), cached, "refreshed once ECR answers");
}

#[test]
fn a_connection_closed_mid_response_is_retried_then_named_and_nothing_is_cached() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    ecr.answer(Answer::HangUp);
    let (run, elapsed) = timed_get(&sandbox, HOST);
    assert_fails_with(&run, elapsed, "end of file before message length reached", Duration::from_secs(10));
    assert!(run.stderr.contains("on ECR's side or a proxy's"), "{run:?}");
    assert!(!run.stderr.contains("QVdT"), "no part of the body is repeated: {run:?}");
    assert!(sandbox.cache_entries().is_empty());
    ecr.answer(Answer::twelve_hours());
    sandbox.get(HOST).assert_clean_success();
    assert_cache_intact(&sandbox);
}

#[test]
fn every_malformed_token_shape_is_refused_named_and_never_cached() {
    let token = |text: &str| STANDARD.encode(text);
    let expires = unix_now() + 12 * 3600;
    let endpoint = format!("https://{HOST}");
    let entry = |auth: &str, expires: Option<u64>| {
        let mut data = serde_json::json!({ "authorizationToken": auth, "proxyEndpoint": endpoint });
        if let Some(expires) = expires {
            data["expiresAt"] = expires.into();
        }
        serde_json::json!({ "authorizationData": [data] }).to_string()
    };
    let form = "the token is not of the form user:password";
    #[rustfmt::skip]
    let shapes = [
        ("not base64", entry("%%%not-base64%%%", Some(expires)), "the token is not base64"),
        ("no AWS: prefix, no colon", entry(&token("justapassword"), Some(expires)), form),
        ("an empty user", entry(&token(":pw-empty-user"), Some(expires)), form),
        ("an empty password", entry(&token("AWS:"), Some(expires)), form),
        ("not UTF-8", entry(&STANDARD.encode(b"AWS:\xff\xfe"), Some(expires)), form),
        ("the identity-token user", entry(&token("<token>:pw"), Some(expires)), form),
        ("no authorization data", r#"{"authorizationData":[]}"#.to_string(), "no authorizationData with a token"),
        ("another account's endpoint", entry(&token("AWS:pw-other"), Some(expires)).replace("123456789012.", "999999999999."), "names the requested account"),
    ];
    for (shape, body, cause) in shapes {
        let ecr = StandIn::start();
        let sandbox = Sandbox::new(&ecr.url());
        ecr.answer(Answer::Raw { status: 200, content_type: "application/x-amz-json-1.1".into(), body });
        let (run, elapsed) = timed_get(&sandbox, HOST);
        assert_eq!(run.stdout, format!("{NOT_FOUND}\n"), "{shape}: {run:?}");
        assert!(run.stderr.contains(cause), "{shape}: {run:?}");
        assert!(!run.stderr.contains("pw-"), "{shape}: a secret in the message: {run:?}");
        assert!(elapsed < Duration::from_secs(5), "{shape}: {elapsed:?}");
        assert!(sandbox.cache_entries().is_empty(), "{shape}: cached");
    }
}

#[test]
fn a_token_without_an_expiry_is_served_once_uncached_with_a_warning_that_says_so() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    let token = STANDARD.encode("AWS:no-expiry-password");
    let body = serde_json::json!({ "authorizationData": [
        { "authorizationToken": token, "proxyEndpoint": format!("https://{HOST}") }
    ]});
    ecr.answer(Answer::Raw { status: 200, content_type: "application/x-amz-json-1.1".into(), body: body.to_string() });
    let (run, elapsed) = timed_get(&sandbox, HOST);
    assert_eq!((run.code, run.secret().as_str()), (0, "no-expiry-password"), "{run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    assert!(run.stderr.contains("gives the token no expiry") && !run.stderr.contains("clock"), "{run:?}");
    assert!(!run.stderr.contains("no-expiry-password"), "{run:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert!(sandbox.cache_entries().is_empty(), "a token of unknown life was cached");
}

#[test]
fn a_torn_entry_is_a_miss_and_is_replaced_by_a_whole_one() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    sandbox.get(HOST).assert_clean_success();
    let entry = sandbox.cache_entries().remove(0);
    let whole = std::fs::read(&entry).unwrap();
    std::fs::write(&entry, &whole[..whole.len() / 2]).unwrap();
    let (run, elapsed) = timed_get(&sandbox, HOST);
    run.assert_clean_success();
    assert_eq!(run.secret(), "123456789012-token-2");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert_cache_intact(&sandbox);
}

#[test]
fn a_helper_killed_in_the_middle_of_a_fetch_leaves_nothing_that_slows_or_breaks_the_next_get() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    ecr.delay(Duration::from_secs(5));
    let mut child =
        sandbox.command(&["get"]).stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(HOST.as_bytes()).unwrap();
    // Wait until the fetch is under way (the stand-in has the request), then SIGKILL.
    let start = Instant::now();
    while ecr.calls() == 0 {
        assert!(start.elapsed() < Duration::from_secs(10), "the fetch never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    ecr.delay(Duration::ZERO);
    let (run, elapsed) = timed_get(&sandbox, HOST);
    run.assert_clean_success();
    assert!(elapsed < Duration::from_secs(3), "the dead process's lock held the next get: {elapsed:?}");
    assert_cache_intact(&sandbox);
}

#[test]
fn stale_temporary_files_are_removed_and_do_not_disturb_a_get() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    sandbox.get(HOST).assert_clean_success();
    let dir = sandbox.cache_entries()[0].parent().unwrap().to_path_buf();
    // What a writer killed between create and rename leaves: an hour old, and a fresh one.
    let stale = dir.join(format!(".{OTHER_HOST}.json.4242.0.tmp"));
    let young = dir.join(format!(".{OTHER_HOST}.json.4243.0.tmp"));
    for path in [&stale, &young] {
        std::fs::write(path, b"{\"host\":\"half").unwrap();
    }
    let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options().write(true).open(&stale).unwrap().set_modified(hour_ago).unwrap();
    // Storing a token prunes.
    sandbox.get(OTHER_HOST).assert_clean_success();
    assert!(!stale.exists(), "the stale temporary file is still there");
    assert!(young.exists(), "a temporary file that may still be in use was removed");
    std::fs::remove_file(&young).unwrap();
    assert_cache_intact(&sandbox);
    assert_eq!(sandbox.get(HOST).assert_clean_success().secret(), "123456789012-token-1");
}

#[test]
fn stdout_closed_before_the_answer_exits_1_without_a_panic_and_keeps_the_cache() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    sandbox.get(HOST).assert_clean_success();
    let mut child =
        sandbox.command(&["get"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // The reader goes away before the helper answers: its write meets EPIPE.
    drop(child.stdout.take());
    child.stdin.take().unwrap().write_all(HOST.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.lines().count() <= 1 && !stderr.contains("123456789012-token"), "{stderr}");
    assert_cache_intact(&sandbox);
    assert_eq!(sandbox.get(HOST).assert_clean_success().secret(), "123456789012-token-1");
}

// Unix only: /dev/full is Linux's full device; Windows has none.
#[cfg(unix)]
#[test]
fn stdout_on_a_full_device_exits_1_with_one_line_naming_it() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    let mut command = sandbox.command(&["get"]);
    command.stdout(std::fs::File::options().write(true).open("/dev/full").unwrap());
    command.stdin(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(HOST.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("standard output") && !stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("123456789012-token"), "{stderr}");
    // The token was fetched and cached before the write failed: the next get is a hit.
    assert_eq!(sandbox.get(HOST).assert_clean_success().secret(), "123456789012-token-1");
    assert_eq!(ecr.calls(), 1);
}

#[cfg(unix)]
/// Runs `script` (sh) in a private mount namespace as root, then the helper's get for each host in
/// `hosts`, each answer followed by a marker line; returns the shell's stdout and stderr. `CACHE`
/// names the cache directory in the script.
fn in_private_mounts(sandbox: &Sandbox, script: &str, hosts: &[&str]) -> (String, String) {
    let gets = hosts
        .iter()
        .map(|h| format!("printf %s {h} | \"$0\" get; echo \" [exit $?]\"; ls -a \"$CACHE\"/v1/* 2>&1"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut command = std::process::Command::new("/usr/bin/unshare");
    command.args(["--mount", "--propagation", "private", "/bin/sh", "-ec"]);
    command.arg(format!("{script}\n{gets}")).arg(binary());
    command.env_clear().envs(sandbox.env.iter().map(|(k, v)| (k, v)));
    command.env("CACHE", sandbox.cache_dir()).env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    let output = command.output().unwrap();
    assert!(output.status.success(), "{output:?}");
    (String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

// Unix only: a read-only bind mount in a private mount namespace.
#[cfg(unix)]
#[test]
fn a_read_only_cache_directory_still_serves_tokens_with_one_warning_and_writes_nothing() {
    if !is_root() {
        eprintln!("skipped: a read-only mount needs root");
        return;
    }
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    sandbox.get(HOST).assert_clean_success();
    let (stdout, stderr) = in_private_mounts(
        &sandbox,
        "mount --bind \"$CACHE\" \"$CACHE\"; mount -o remount,bind,ro \"$CACHE\"",
        &[HOST, OTHER_HOST],
    );
    // The cached token is served; the other registry's is fetched and served uncached.
    assert!(stdout.contains("\"Secret\":\"123456789012-token-1\"}\n [exit 0]"), "{stdout}");
    assert!(stdout.contains("\"Secret\":\"210987654321-token-2\"}\n [exit 0]"), "{stdout}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot cache the token") && stderr.contains("Read-only file system"), "{stderr}");
    assert!(!stdout.contains(".tmp"), "{stdout}");
    assert_eq!(sandbox.cache_entries().len(), 1);
    assert_cache_intact(&sandbox);
}

// Unix only: a small tmpfs in a private mount namespace.
#[cfg(unix)]
#[test]
fn a_full_file_system_still_serves_tokens_with_a_warning_and_leaves_no_partial_file() {
    if !is_root() {
        eprintln!("skipped: a tmpfs mount needs root");
        return;
    }
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    let fill = "dd if=/dev/zero of=\"$CACHE/filler\" bs=1k 2>/dev/null || true";
    let (stdout, stderr) = in_private_mounts(
        &sandbox,
        &format!(
            "mkdir -p \"$CACHE\"; mount -t tmpfs -o size=64k,mode=700 ecr-login-full \"$CACHE\"\n\
             printf %s {HOST} | \"$0\" get >/dev/null\n{fill}\n"
        ),
        &[HOST, OTHER_HOST],
    );
    assert!(stdout.contains("\"Secret\":\"123456789012-token-1\"}\n [exit 0]"), "the cached entry survives: {stdout}");
    assert!(stdout.contains("\"Secret\":\"210987654321-token-2\"}\n [exit 0]"), "{stdout}");
    assert!(stderr.contains("cannot cache the token") && stderr.contains("No space left on device"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!stdout.contains(".tmp"), "a partial file was left: {stdout}");
    assert!(!stdout.contains(&format!("{OTHER_HOST}.json")), "{stdout}");
}

#[cfg(unix)]
/// The stack's limit for each try, from roomy to tight: a cold get's deepest path (the SDK's) needs
/// more than the first, and the process's start fits in the last (measured: a cold get overflowed
/// at 64 KiB and below, and started at 16 KiB).
const TIGHT_STACKS: [u64; 3] = [48 * 1024, 32 * 1024, 24 * 1024];

// Unix only: setrlimit and SIGSEGV; the overflow line is the Linux start-up's (startup.rs).
#[cfg(unix)]
#[test]
fn a_stack_overflow_prints_one_line_and_ends_with_sigsegv() {
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    let mut overflowed = 0;
    for limit in TIGHT_STACKS {
        let mut command = sandbox.command(&["get"]);
        // SAFETY: setrlimit is async-signal-safe and touches no memory of the parent.
        unsafe {
            command.pre_exec(move || {
                let stack = libc::rlimit { rlim_cur: limit, rlim_max: libc::RLIM_INFINITY };
                if libc::setrlimit(libc::RLIMIT_STACK, &raw const stack) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(HOST.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.signal().is_some() {
            assert_eq!(output.status.signal(), Some(libc::SIGSEGV), "{limit}: {stderr}");
            assert_eq!(
                stderr,
                "ecr-login: stack overflow: this is a bug in ecr-login; please report it with the command that caused it\n",
                "{limit}"
            );
            overflowed += 1;
        }
    }
    assert!(overflowed > 0, "no stack limit of {TIGHT_STACKS:?} made a cold get overflow");
    // With the usual stack the same get works.
    assert_eq!(sandbox.get(HOST).assert_clean_success().secret(), "123456789012-token-1");
}

// Unix only: fd 1 closed before exec; Windows hands a process handles, not numbered descriptors.
#[cfg(unix)]
#[test]
fn a_get_started_with_stdout_closed_writes_its_answer_into_no_file_of_its_own() {
    use std::os::unix::process::CommandExt;
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    // The trace's file is the one the helper keeps open while it answers: opened first thing, it
    // would be given fd 1 and receive the answer, secret and all.
    let trace = sandbox.home().join("trace.log");
    let mut command = sandbox.command(&["get"]);
    command.env("ECR_LOGIN_DEBUG", &trace);
    // SAFETY: close is async-signal-safe and touches no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            libc::close(1);
            Ok(())
        });
    }
    let mut child = command.stdin(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(HOST.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    // A closed fd 1 is opened on /dev/null at start, so the trace and the cache's files all get
    // other numbers, and the answer goes nowhere.
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let traced = std::fs::read_to_string(&trace).unwrap();
    assert!(traced.contains(HOST) && !traced.contains("ServerURL"), "{traced}");
    for file in support::files_under(&sandbox.cache_dir()) {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(!text.contains("ServerURL"), "the answer went into {}: {text}", file.display());
    }
    assert_cache_intact(&sandbox);
    assert_eq!(sandbox.get(HOST).assert_clean_success().secret(), "123456789012-token-1");
    assert_eq!(ecr.calls(), 1);
}
