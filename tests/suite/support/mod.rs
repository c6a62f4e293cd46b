//! Test support: the loopback ECR stand-in and a sandbox that runs the built binary with a
//! temporary home, a private cache directory and an environment that reaches only 127.0.0.1.
//!
//! The home is the variable each OS's tools read it from ([`HOME_VARIABLE`]), so that a test reads
//! the same on every OS and never writes `cfg` to place a user's files.

#![allow(dead_code)]

pub mod moto;
#[cfg(windows)]
pub mod security;
pub mod signin;
pub mod stand_in;
pub mod tls;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The binary under test: the one cargo built for this test run, or the one `ECR_LOGIN_BINARY`
/// names, so that the same suites run against a build for another platform (the arm64 release
/// binary under qemu-user, say) exactly as users meet it.
pub fn binary() -> &'static str {
    static BINARY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BINARY.get_or_init(|| {
        std::env::var("ECR_LOGIN_BINARY")
            .ok()
            .filter(|path| !path.is_empty())
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_docker-credential-ecr-login").to_string())
    })
}

/// A registry host used throughout the tests.
pub const HOST: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

/// The not-found line of the protocol.
pub const NOT_FOUND: &str = "credentials not found in native keychain";

/// A secret access key that must never show up in any output.
pub const SECRET_KEY: &str = "sandbox-secret-key-must-not-leak";
/// A session token for the sandboxes that set one (`Sandbox::with_session_token`).
pub const SESSION_TOKEN: &str = "sandbox-session-token-must-not-leak";

/// The variable the OS's own tools take the home directory from: `HOME` on Unix; `USERPROFILE` on
/// Windows, where docker, the AWS SDKs and the AWS CLI read it and where Windows sets no `HOME`.
pub const HOME_VARIABLE: &str = if cfg!(windows) { "USERPROFILE" } else { "HOME" };

/// Variables without which a Windows process cannot start its network or find its system folder
/// (Winsock needs `SystemRoot`); they are passed on from the test's own environment. Unix needs none.
const OS_ESSENTIALS: &[&str] = if cfg!(windows) { &["SystemRoot", "SystemDrive", "windir"] } else { &[] };

/// The name a program file has on this OS: `name` on Unix, `name.exe` on Windows.
pub fn executable_name(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}

/// Writes an executable script named `name` (no extension) into `dir` and returns its path: `sh`
/// as a `#!/bin/sh` file on Unix, `cmd` as `name.cmd` on Windows, which `PATHEXT` and
/// `CreateProcess` run through cmd.exe.
pub fn write_script(dir: &Path, name: &str, sh: &str, cmd: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    if cfg!(windows) {
        let path = dir.join(format!("{name}.cmd"));
        std::fs::write(&path, cmd.replace('\n', "\r\n")).unwrap();
        path
    } else {
        let path = dir.join(name);
        std::fs::write(&path, sh).unwrap();
        make_executable(&path);
        path
    }
}

/// Sets `path`'s Unix mode bits, as a user's tools leave a file; on Windows, where mode bits do not
/// exist, the file keeps the DACL its folder gives it, which is the same starting point there.
pub fn set_unix_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

/// Sets the execute bits Unix needs to run a file; Windows runs a file by its extension.
fn make_executable(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// The OS's null device, which names no file: `/dev/null` on Unix, `NUL` on Windows.
pub const NULL_DEVICE: &str = if cfg!(windows) { "NUL" } else { "/dev/null" };

/// One test's world: home, cache directory and environment.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Sandbox {
    /// A sandbox with static credentials in the environment and every AWS endpoint at `endpoint`.
    pub fn new(endpoint: &str) -> Sandbox {
        let mut sandbox = Sandbox::bare();
        sandbox.set("AWS_ENDPOINT_URL", endpoint);
        sandbox.set("AWS_ACCESS_KEY_ID", "AKIDSANDBOX");
        sandbox.set("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
        sandbox
    }

    /// `new`'s sandbox with temporary credentials: a session token beside the keys.
    pub fn with_session_token(endpoint: &str) -> Sandbox {
        let mut sandbox = Sandbox::new(endpoint);
        sandbox.set("AWS_SESSION_TOKEN", SESSION_TOKEN);
        sandbox
    }

    /// A sandbox with no credentials and no endpoint: only the home, the cache and IMDS switched off.
    pub fn bare() -> Sandbox {
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::create_dir(dir.path().join("home")).unwrap();
        let mut sandbox = Sandbox { dir, env: Vec::new() };
        for name in OS_ESSENTIALS {
            if let Ok(value) = std::env::var(name) {
                sandbox.set(name, &value);
            }
        }
        let home = sandbox.home();
        sandbox.set_home(&home);
        let cache = sandbox.cache_dir().to_str().unwrap().to_string();
        sandbox.set("AWS_ECR_CACHE_DIR", &cache);
        // Never probe the EC2 metadata service from a test.
        sandbox.set("AWS_EC2_METADATA_DISABLED", "true");
        sandbox
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// Makes `path` the home directory the binary sees, in [`HOME_VARIABLE`] alone: on Windows
    /// `HOME` stays unset, as it is for a Windows user outside Git Bash.
    pub fn set_home(&mut self, path: &Path) {
        self.unset("HOME");
        self.unset("USERPROFILE");
        self.set(HOME_VARIABLE, path.to_str().unwrap());
    }

    /// Removes the home directory from the binary's environment, whatever the OS calls it.
    pub fn unset_home(&mut self) {
        self.unset("HOME");
        self.unset("USERPROFILE");
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// Sets (or replaces) an environment variable for the binary.
    pub fn set(&mut self, name: &str, value: &str) {
        self.env.retain(|(k, _)| k != name);
        self.env.push((name.to_string(), value.to_string()));
    }

    /// Removes an environment variable.
    pub fn unset(&mut self, name: &str) {
        self.env.retain(|(k, _)| k != name);
    }

    /// Writes a file under HOME, creating its directory.
    pub fn write_home_file(&self, relative: &str, content: &str) -> PathBuf {
        // One component at a time, so that the path reads as the OS writes it (`\` on Windows).
        let path = relative.split('/').fold(self.home(), |path, part| path.join(part));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        path
    }

    /// The command for `args`, with exactly the sandbox's environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(binary());
        command.args(args).env_clear().envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Runs the binary with `input` on stdin.
    pub fn run(&self, args: &[&str], input: &[u8]) -> Run {
        run_command(self.command(args), input)
    }

    /// `get` for `server`, sent without a newline as docker does.
    pub fn get(&self, server: &str) -> Run {
        self.run(&["get"], server.as_bytes())
    }

    /// Points the cache at a file, so that no directory can be made there.
    pub fn make_cache_unwritable(&mut self) {
        let file = self.dir.path().join("not-a-dir");
        std::fs::write(&file, b"x").unwrap();
        self.set("AWS_ECR_CACHE_DIR", file.to_str().unwrap());
    }

    /// Puts the binary on PATH (alone) under `name` (`name.exe` on Windows), as clients find it;
    /// returns the directory.
    pub fn put_binary_on_path(&mut self, name: &str) -> PathBuf {
        let bin = self.dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        install_binary(&bin.join(executable_name(name)));
        self.set("PATH", bin.to_str().unwrap());
        bin
    }

    /// Starts one process per input at the same time, each running `args` with its input on
    /// stdin, and waits for all of them.
    pub fn run_at_once(&self, args: &[&str], inputs: &[String]) -> Vec<Run> {
        let children: Vec<_> = inputs
            .iter()
            .map(|input| {
                let mut command = self.command(args);
                command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
                let mut child = spawn(&mut command);
                let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
                child
            })
            .collect();
        children.into_iter().map(|child| to_run(child.wait_with_output().expect("wait for the helper"))).collect()
    }

    /// Rewrites the one cache entry's times, as if it had been fetched `age` seconds ago with
    /// `life` seconds of life.
    pub fn age_entry(&self, age: u64, life: u64) {
        let entries = self.cache_entries();
        assert_eq!(entries.len(), 1, "{entries:?}");
        let mut entry: serde_json::Value = serde_json::from_slice(&std::fs::read(&entries[0]).unwrap()).unwrap();
        let issued = unix_now() - age;
        entry["issued_at"] = issued.into();
        entry["expires_at"] = (issued + life).into();
        std::fs::write(&entries[0], entry.to_string()).unwrap();
    }

    /// Every cache entry file under the cache directory.
    pub fn cache_entries(&self) -> Vec<PathBuf> {
        let mut found = files_under(&self.cache_dir());
        found.retain(|p| p.extension().is_some_and(|e| e == "json"));
        found
    }
}

/// Puts the binary under test at `path`: a symbolic link on Unix, as packages install aliases; a
/// copy on Windows, where a program runs under its own file's name and links need a privilege.
pub fn install_binary(path: &Path) {
    #[cfg(unix)]
    std::os::unix::fs::symlink(binary(), path).unwrap();
    #[cfg(not(unix))]
    std::fs::copy(binary(), path).unwrap();
}

/// Asserts that only the user can read or write `path`: mode 0600 for a file and 0700 for a
/// directory on Unix; on Windows, the user's own, with a protected DACL that lets in no one else.
pub fn assert_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let metadata = std::fs::metadata(path).unwrap();
        let expected = if metadata.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(metadata.permissions().mode() & 0o777, expected, "{}", path.display());
    }
    #[cfg(windows)]
    security::assert_owner_only(path);
}

/// The first twelve hex digits of the checkout's commit, which `version` must print: `git
/// rev-parse HEAD` on Unix; on Windows the commit the build recorded (build.rs), since git is a
/// Unix program that the Windows test process cannot start under Wine.
pub fn checkout_commit() -> String {
    if cfg!(windows) {
        return env!("ECR_LOGIN_COMMIT").to_string();
    }
    let commit = Command::new("git").args(["rev-parse", "HEAD"]).output().unwrap();
    String::from_utf8_lossy(&commit.stdout)[..12].to_string()
}

/// The wall clock in Unix seconds.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// Every file under `dir`, at any depth.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    collect(dir, &mut found);
    found
}

/// Whether the tests run as root (CI does): some faults and ownership checks need it.
#[cfg(unix)]
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The command that runs `argv` on a fresh pseudo-terminal (`tests/suite/support/answer-prompts.py`)
/// typing `code` after every MFA prompt, with exactly `env` and this process's PATH; its stdout is
/// what the terminal showed.
pub fn answering_prompts(code: &str, env: &[(String, String)], argv: &[&str]) -> Command {
    let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/suite/support/answer-prompts.py");
    let mut command = Command::new("python3");
    command.arg(driver).args([code, "60"]).args(argv).env_clear().envs(env.iter().map(|(k, v)| (k, v)));
    command.env("PATH", std::env::var("PATH").unwrap_or_default());
    command
}

fn collect(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, found);
        } else {
            found.push(path);
        }
    }
}

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The password of a successful `get`.
    pub fn secret(&self) -> String {
        let v: serde_json::Value = serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {self:?}"));
        v["Secret"].as_str().unwrap().to_string()
    }

    /// Asserts success with nothing on stderr.
    pub fn assert_clean_success(&self) -> &Run {
        assert_eq!(self.code, 0, "{self:?}");
        assert_eq!(self.stderr, "", "{self:?}");
        self
    }

    /// Asserts a failure with exactly one line on stdout and one on stderr, and no secret anywhere.
    pub fn assert_one_line_failure(&self) -> &Run {
        assert_eq!(self.code, 1, "{self:?}");
        assert_eq!(self.stdout.lines().count(), 1, "{self:?}");
        assert_eq!(self.stderr.lines().count(), 1, "{self:?}");
        self.assert_no_secret();
        self
    }

    /// Neither the secret key nor the session token anywhere, and no registry password of the
    /// stand-in on stderr (stdout carries it on success; a failure's stdout is checked empty).
    pub fn assert_no_secret(&self) -> &Run {
        for secret in [SECRET_KEY, SESSION_TOKEN] {
            assert!(!self.stdout.contains(secret) && !self.stderr.contains(secret), "{secret} leaked: {self:?}");
        }
        assert!(!has_stand_in_password(&self.stderr), "a registry password on stderr: {self:?}");
        self
    }
}

/// Whether `text` holds a password the stand-in hands out: `<12 digits>-token-<n>` (ECR) or
/// `public-token-<n>` (ECR Public), see `stand_in`.
pub fn has_stand_in_password(text: &str) -> bool {
    text.match_indices("-token-").any(|(at, marker)| {
        let (before, after) = (&text[..at], &text[at + marker.len()..]);
        let account = before.len() >= 12 && before[before.len() - 12..].bytes().all(|b| b.is_ascii_digit());
        (account || before.ends_with("public")) && after.starts_with(|c: char| c.is_ascii_digit())
    })
}

/// Wine's `CreateProcess` now and then fails with ERROR_INTERNAL_ERROR (1359) when many processes
/// start at once; a real Windows does not. The harness tries again a few times: starting the
/// helper is not what any test is about.
const WINE_SPAWN_TRIES: usize = 5;

/// Starts `command`, trying again where Wine's process creation failed for its own reasons.
pub fn spawn(command: &mut Command) -> std::process::Child {
    let mut tries = 1;
    loop {
        match command.spawn() {
            Err(e) if cfg!(windows) && e.raw_os_error() == Some(1359) && tries < WINE_SPAWN_TRIES => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            started => return started.expect("spawn the helper"),
        }
    }
}

pub fn run_command(mut command: Command, input: &[u8]) -> Run {
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = spawn(&mut command);
    let mut stdin = child.stdin.take().unwrap();
    // The helper may answer before reading everything (e.g. refusing oversized input).
    let _ = stdin.write_all(input);
    drop(stdin);
    to_run(child.wait_with_output().expect("wait for the helper"))
}

/// The run a finished child's output makes.
#[allow(clippy::needless_pass_by_value)] // takes the output as `wait_with_output` hands it over
pub fn to_run(output: Output) -> Run {
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A loopback URL with nothing listening.
pub fn closed_port_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    format!("http://127.0.0.1:{port}")
}

/// The kubelet's API version that requests use unless a test says otherwise.
pub const KUBELET_V1: &str = "credentialprovider.kubelet.k8s.io/v1";

/// A kubelet `CredentialProviderRequest` for `image`.
pub fn kubelet_request(api_version: &str, image: &str) -> String {
    format!(r#"{{"apiVersion":"{api_version}","kind":"CredentialProviderRequest","image":"{image}"}}"#)
}

/// A kubelet request for `image` from a pod whose service account names `role`, with `token`.
pub fn kubelet_request_as(image: &str, role: &str, token: &str) -> String {
    format!(
        r#"{{"apiVersion":"{KUBELET_V1}","kind":"CredentialProviderRequest","image":"{image}","serviceAccountToken":"{token}","serviceAccountAnnotations":{{"eks.amazonaws.com/ecr-role-arn":"{role}"}}}}"#
    )
}
