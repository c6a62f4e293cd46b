//! The soak: many concurrent helpers against the loopback stand-in for a bounded time, with time
//! moving forward in jumps so that every registry's token falls due again and again.
//!
//! `cargo run --example soak -- --binary PATH [--seconds 60] [--processes 200] [--kubelet]
//! --libfaketime PATH` (`tests/soak` runs both modes with the freshly built binary).
//!
//! - **Load.** `--processes` workers each run the helper again and again until the time is up:
//!   `get` for one of ten registries (8 in 10), `list` and `erase` (1 in 10 each); with
//!   `--kubelet`, the kubelet provider for an image on one of the ten.
//! - **Expiry churn.** Every 5 s the clock moves 4 hours ahead, for the helpers (libfaketime
//!   reads the offset from a file on every call) and for the stand-in's tokens (12 hours of life)
//!   alike: a token falls due for refresh (half its life) every second jump.
//! - **Checks.** Every answer: well-formed, the registry's own account's password, one the
//!   stand-in issued; nothing on stderr. The cache, after every jump and at the end: every entry
//!   whole and the right registry's, mode 0600 (locks too), directories 0700, and at the end no
//!   temporary file. The calls: at most one per registry per clock epoch, and at least one each
//!   time a registry's token fell due before the last jump.
//! - **Figures.** Processes run, answers checked, calls made and calls ideal (one per registry at
//!   the start and one each time its token fell due); exits 1 on any failure.

#[path = "../tests/suite/support/stand_in.rs"]
#[allow(dead_code)]
mod stand_in;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use stand_in::StandIn;

/// Ten registries: five accounts in two regions.
const REGISTRIES: usize = 10;
/// How often, in real time, the clock jumps.
const JUMP_EVERY: Duration = Duration::from_secs(5);
/// How far it jumps.
const JUMP_SECS: i64 = 4 * 3600;
/// The tokens' life, as ECR gives it.
const TOKEN_LIFE_SECS: i64 = 12 * 3600;

struct Options {
    binary: PathBuf,
    libfaketime: PathBuf,
    seconds: u64,
    processes: usize,
    kubelet: bool,
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut options =
        Options { binary: PathBuf::new(), libfaketime: PathBuf::new(), seconds: 60, processes: 200, kubelet: false };
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--binary" => options.binary = value()?.into(),
            "--libfaketime" => options.libfaketime = value()?.into(),
            "--seconds" => options.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--processes" => options.processes = value()?.parse().map_err(|e| format!("--processes: {e}"))?,
            "--kubelet" => options.kubelet = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if !options.binary.is_file() || !options.libfaketime.is_file() {
        return Err("--binary and --libfaketime must name files".into());
    }
    Ok(options)
}

fn registry(i: usize) -> (String, String) {
    let account = format!("{:012}", 100_000_000_001 + (i % 5) as u64);
    let region = if i < 5 { "us-east-1" } else { "eu-west-1" };
    (account.clone(), format!("{account}.dkr.ecr.{region}.amazonaws.com"))
}

/// What the workers found, shared.
#[derive(Default)]
struct Findings {
    failures: Vec<String>,
    /// (account, token number) of every password served.
    served: BTreeSet<(String, usize)>,
}

impl Findings {
    fn fail(&mut self, what: String) {
        if self.failures.len() < 20 {
            eprintln!("soak: {what}");
        }
        self.failures.push(what);
    }
}

/// Checks one answer; returns the (account, token number) it served, if any.
fn check_answer(
    kubelet: bool,
    action: &str,
    host: &str,
    account: &str,
    output: &std::process::Output,
) -> Result<Option<(String, usize)>, String> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let what = || format!("{action} {host}: exit {:?}, stdout {stdout:?}, stderr {stderr:?}", output.status.code());
    if !output.status.success() || !stderr.is_empty() || !stdout.ends_with('\n') {
        return Err(what());
    }
    let answer: serde_json::Value = serde_json::from_str(&stdout).map_err(|_| what())?;
    let password = match (kubelet, action) {
        (true, _) => {
            let auth = &answer["auth"][host];
            (answer["kind"] == "CredentialProviderResponse" && auth["username"] == "AWS")
                .then(|| auth["password"].as_str())
                .flatten()
        }
        (false, "get") => {
            (answer["ServerURL"] == host && answer["Username"] == "AWS").then(|| answer["Secret"].as_str()).flatten()
        }
        (false, "list") => {
            let hosts = answer.as_object().ok_or_else(what)?;
            let known: BTreeSet<String> = (0..REGISTRIES).map(|i| registry(i).1).collect();
            return if hosts.iter().all(|(h, user)| known.contains(h) && user == "AWS") {
                Ok(None)
            } else {
                Err(what())
            };
        }
        _ => return Err(what()),
    };
    let number = password
        .and_then(|p| p.strip_prefix(&format!("{account}-token-")))
        .and_then(|n| n.parse().ok())
        .ok_or_else(what)?;
    Ok(Some((account.to_string(), number)))
}

/// Checks the cache files: entries whole and the right registry's, modes private, and (at the end)
/// no temporary file.
fn check_files(cache: &Path, at_end: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let mut dirs = vec![cache.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
            let mode = mode_of(&meta);
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            if meta.is_dir() {
                if mode != 0o700 {
                    problems.push(format!("{} has mode {mode:o}", path.display()));
                }
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "tmp") {
                if at_end {
                    problems.push(format!("{} was left behind", path.display()));
                }
            } else if mode != 0o600 {
                problems.push(format!("{} has mode {mode:o}", path.display()));
            } else if let Some(host) =
                name.strip_suffix(".json").filter(|_| path.extension().is_some_and(|e| e == "json"))
            {
                let entry: Option<serde_json::Value> =
                    std::fs::read(&path).ok().and_then(|b| serde_json::from_slice(&b).ok());
                let account = host.split('.').next().unwrap_or_default();
                let whole = entry.is_some_and(|e| {
                    e["host"] == host
                        && e["password"].as_str().is_some_and(|p| p.starts_with(&format!("{account}-token-")))
                });
                if !whole {
                    problems.push(format!("{} is torn or not its registry's", path.display()));
                }
            }
        }
    }
    problems
}

/// Writes the offset libfaketime reads, atomically (it must never read half a file).
fn set_clock(file: &Path, offset: i64) {
    let temp = file.with_extension("new");
    std::fs::write(&temp, format!("{offset:+}\n")).expect("write the clock file");
    std::fs::rename(&temp, file).expect("replace the clock file");
}

/// One helper process with the `n`th random action on a random registry, and its answer checked:
/// the (account, token number) it served, if any.
fn run_one(binary: &Path, kubelet: bool, env: &[(&str, String)], n: usize) -> Result<Option<(String, usize)>, String> {
    // The high bits: the low ones of this generator cycle quickly.
    let (account, host) = registry((n >> 16) % REGISTRIES);
    let (action, input) = match (kubelet, (n >> 8) % 10) {
        (true, _) => (
            "kubelet-provider",
            format!(
                r#"{{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"{host}/team/app:{n}"}}"#
            ),
        ),
        (false, 0) => ("list", String::new()),
        (false, 1) => ("erase", host.clone()),
        (false, _) => ("get", host.clone()),
    };
    let mut child = Command::new(binary)
        .arg(action)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the helper");
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let output = child.wait_with_output().expect("wait for the helper");
    if action == "erase" {
        let clean = output.status.success() && output.stdout.is_empty() && output.stderr.is_empty();
        if clean { Ok(None) } else { Err(format!("erase {host}: {output:?}")) }
    } else {
        check_answer(kubelet, action, &host, &account, &output)
    }
}

/// Every password served is one the stand-in issued for that account, and no registry got two
/// calls in one epoch.
fn check_calls(requests: &[stand_in::Request], findings: &mut Findings) {
    for (account, number) in &findings.served.clone() {
        let issued = requests.get(number.wrapping_sub(1)).is_some_and(|r| r.registry_ids.contains(account));
        if !issued {
            findings.fail(format!("password {account}-token-{number} was never issued for {account}"));
        }
    }
    let mut per_epoch: BTreeMap<(String, String, i64), usize> = BTreeMap::new();
    for r in requests {
        *per_epoch.entry((r.registry_ids.join(","), r.region.clone(), r.clock_offset)).or_default() += 1;
    }
    for ((account, region, offset), calls) in &per_epoch {
        if *calls > 1 {
            findings.fail(format!("{calls} calls for {account} in {region} at clock +{offset}s"));
        }
    }
}

/// Fewer calls than the epochs before the last make due means tokens stopped falling due: the
/// clock no longer reaches the helpers (libfaketime), or a token is kept past half its life. (The
/// last epoch may end before every registry is asked again.)
fn check_enough_calls(calls: usize, epochs: &[i64], findings: &mut Findings) {
    let least = ideal_calls(&epochs[..epochs.len() - 1]);
    if calls < least {
        findings.fail(format!(
            "only {calls} API calls where the clock's jumps make at least {least} due: tokens stopped falling due"
        ));
    }
}

/// The fewest calls that serve every registry through the clock's `epochs`: one at the start and
/// one each time its token fell due.
fn ideal_calls(epochs: &[i64]) -> usize {
    let mut ideal = 0;
    for _ in 0..REGISTRIES {
        let mut issued: Option<i64> = None;
        for &epoch in epochs {
            if issued.is_none_or(|at| epoch >= at + TOKEN_LIFE_SECS / 2) {
                ideal += 1;
                issued = Some(epoch);
            }
        }
    }
    ideal
}

/// The environment of every helper run: a temporary home and cache in `dir`, keys in the
/// environment, the stand-in as every endpoint, and libfaketime reading the clock file.
fn helper_env(dir: &Path, stand_in_url: &str, libfaketime: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("HOME", dir.join("home").display().to_string()),
        ("AWS_ECR_CACHE_DIR", dir.join("cache").display().to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("AWS_ENDPOINT_URL", stand_in_url.to_string()),
        ("AWS_ACCESS_KEY_ID", "AKIDSOAK".into()),
        ("AWS_SECRET_ACCESS_KEY", "soak-secret".into()),
        ("ECR_LOGIN_CONFIG", "/dev/null".into()),
        ("LD_PRELOAD", libfaketime.display().to_string()),
        ("FAKETIME_TIMESTAMP_FILE", dir.join("clock").display().to_string()),
        ("FAKETIME_NO_CACHE", "1".into()),
        // Lock waits and deadlines run on the real monotonic clock.
        ("DONT_FAKE_MONOTONIC", "1".into()),
        ("FAKETIME_DONT_FAKE_MONOTONIC", "1".into()),
    ]
}

/// A file's permission bits.
#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777
}

/// Windows has no permission bits; `main` refuses to run there before any file is checked.
#[cfg(not(unix))]
fn mode_of(_meta: &std::fs::Metadata) -> u32 {
    0
}

fn main() -> ExitCode {
    if cfg!(not(unix)) {
        eprintln!("soak: runs on Unix only (libfaketime moves the helpers' clock; the checks read mode bits)");
        return ExitCode::from(2);
    }
    soak()
}

/// The soak itself: the stand-in, the workers, the clock's jumps, the checks and the figures.
fn soak() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("soak: {e}");
            return ExitCode::from(2);
        }
    };
    let stand_in = StandIn::start();
    stand_in.answer(stand_in::Answer::Token { lifetime_secs: TOKEN_LIFE_SECS });
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (home, cache, clock) = (dir.path().join("home"), dir.path().join("cache"), dir.path().join("clock"));
    std::fs::create_dir(&home).unwrap();
    set_clock(&clock, 0);
    let env = helper_env(dir.path(), &stand_in.url(), &options.libfaketime);
    let env = Arc::new(env);
    let findings = Arc::new(Mutex::new(Findings::default()));
    let processes = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let end = start + Duration::from_secs(options.seconds);

    let workers: Vec<_> = (0..options.processes)
        .map(|worker| {
            let (env, findings, processes) = (env.clone(), findings.clone(), processes.clone());
            let (binary, kubelet) = (options.binary.clone(), options.kubelet);
            std::thread::spawn(move || {
                let mut n = worker;
                while Instant::now() < end {
                    n = n.wrapping_mul(1_103_515_245).wrapping_add(12_345) % (1 << 31);
                    let checked = run_one(&binary, kubelet, &env, n);
                    processes.fetch_add(1, Ordering::Relaxed);
                    let mut findings = findings.lock().unwrap();
                    match checked {
                        Ok(Some(served)) => {
                            findings.served.insert(served);
                        }
                        Ok(None) => {}
                        Err(what) => findings.fail(what),
                    }
                }
            })
        })
        .collect();

    // The clock: a jump every few seconds, for the stand-in first so that no token it issues is
    // older than the helpers' clock says; the cache is checked after each jump.
    let mut offset = 0;
    let mut epochs = vec![0];
    while Instant::now() + JUMP_EVERY < end {
        std::thread::sleep(JUMP_EVERY);
        offset += JUMP_SECS;
        stand_in.set_clock_offset(offset);
        set_clock(&clock, offset);
        epochs.push(offset);
        for problem in check_files(&cache, false) {
            findings.lock().unwrap().fail(problem);
        }
    }
    for worker in workers {
        worker.join().expect("a worker");
    }
    let elapsed = start.elapsed();
    let mut findings = Arc::try_unwrap(findings).ok().expect("workers done").into_inner().unwrap();
    for problem in check_files(&cache, true) {
        findings.fail(problem);
    }

    let requests: Vec<_> = stand_in.requests().into_iter().filter(|r| r.target == "ecr").collect();
    check_calls(&requests, &mut findings);
    let ideal = ideal_calls(&epochs);
    check_enough_calls(requests.len(), &epochs, &mut findings);

    println!(
        "soak ({} mode): {} processes in {:.0?} ({} at once), {} clock jumps of {}h; {} API calls, {} ideal; \
         {} failures (malformed or wrong answers, damaged files, extra or missing calls)",
        if options.kubelet { "kubelet" } else { "docker" },
        processes.load(Ordering::Relaxed),
        elapsed,
        options.processes,
        epochs.len() - 1,
        JUMP_SECS / 3600,
        requests.len(),
        ideal,
        findings.failures.len()
    );
    if findings.failures.is_empty() && requests.len() <= ideal { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
