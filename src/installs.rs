//! The names clients run this helper by, and which `docker-credential-ecr-login` a client really
//! runs: every one on `PATH` in `PATH`'s order, where each points, and what each says it is when
//! asked for its version. Desktop installers (Docker Desktop, Rancher Desktop) put their own, often
//! old, copy on `PATH`, and the first one wins. doctor reports it; nothing else runs the programs
//! found here.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::env::Env;
use crate::programs;

/// The helper suffix clients look up as `docker-credential-<suffix>`.
pub const HELPER: &str = "ecr-login";

/// The binary clients run; `configure` warns when PATH lacks it.
pub const BINARY: &str = "docker-credential-ecr-login";

/// The program name that selects the kubelet provider mode, as a drop-in for cloud-provider-aws's
/// plugin.
pub const PROVIDER_NAME: &str = "ecr-credential-provider";

/// How long one program may take to answer a version question before it is killed.
pub const PROBE_DEADLINE: Duration = Duration::from_secs(2);

/// How much of a program's answer is read: a version line is short, a runaway is cut off.
const MAX_ANSWER_BYTES: u64 = 4096;

/// How often a running probe is looked at.
const POLL_INTERVAL: Duration = Duration::from_millis(5);

/// Set in every probe's environment. A wrapper named like us that runs `doctor` whatever it is
/// asked would otherwise have each doctor probe the next one, each in a process group of its own
/// that outlives the kill of the one before: with the variable set, doctor runs no probe.
pub const PROBE_VARIABLE: &str = "ECR_LOGIN_IN_DOCTOR_PROBE";

/// The variables a probe is given: `PATH`, the home (Unix and Windows spell it differently), and
/// `SystemRoot`, without which a Windows program may fail to start. No credentials.
const PROBE_VARIABLES: &[&str] = &["PATH", "HOME", "USERPROFILE", "SystemRoot"];

/// Where the kubelet conventionally finds its credential provider binaries
/// (`--image-credential-provider-bin-dir`): EKS-optimized AMIs, then kubeadm-style nodes as
/// packaging/kubelet/README.md installs them.
pub const KUBELET_BIN_DIRS: &[&str] =
    &["/etc/eks/image-credential-provider", "/etc/kubernetes/image-credential-provider"];

/// The prefix of ecr-login's own version line (`version.rs`), before the version and commit.
const OUR_PREFIX: &str = "docker-credential-ecr-login (ecr-login) ";

/// The prefix of the Go helper's `version` line since 0.7 (docker-credential-helpers'
/// `PrintVersion` with the names the helper sets).
const GO_HELPER_PREFIX: &str =
    "docker-credential-ecr-login (github.com/awslabs/amazon-ecr-credential-helper/ecr-login) ";

/// The first line of the Go helper's `-v` banner, which older releases (Debian's 0.6.0) need:
/// their `version` prints the credential-helpers library's version alone (`0.6.4`).
const GO_HELPER_BANNER: &str = "amazon-ecr-credential-helper";

/// cloud-provider-aws's plugin answers `--version` with `ecr-credential-provider version vX.Y.Z`.
const AWS_PROVIDER_PREFIX: &str = "ecr-credential-provider version ";

/// One program of the searched name in a `PATH` directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The directory entry, as `PATH` spells it.
    pub path: PathBuf,
    /// Where it really is, when a link leads elsewhere.
    pub target: Option<PathBuf>,
}

/// A directory entry of the searched name that a client does not run, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The entry.
    pub path: PathBuf,
    /// Why a client passes over it.
    pub why: &'static str,
}

/// Where desktop products keep the helper they bundle, and their names: Docker Desktop on Windows
/// (its `resources\bin` on the system PATH) and on macOS (in the app, linked from
/// `/usr/local/bin` or `~/.docker/bin`), Rancher Desktop (`~/.rd/bin`, and its app's
/// `resources/<os>/bin`). Matched on the entry and on where a link leads, with `/` or `\`.
const BUNDLERS: &[(&str, &str)] = &[
    ("/docker/docker/resources/bin/", "Docker Desktop"),
    ("/docker.app/contents/resources/bin/", "Docker Desktop"),
    ("/.rd/bin/", "Rancher Desktop"),
    ("/rancher desktop/resources/", "Rancher Desktop"),
    ("/rancher desktop.app/", "Rancher Desktop"),
];

/// The desktop product whose bundled copy `found` is, if it is one.
pub fn bundled_by(found: &Found) -> Option<&'static str> {
    [Some(&found.path), found.target.as_ref()].into_iter().flatten().find_map(|path| {
        let path = path.to_string_lossy().replace('\\', "/").to_ascii_lowercase();
        BUNDLERS.iter().find(|(place, _)| path.contains(place)).map(|(_, name)| *name)
    })
}

/// What a program said it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// ecr-login, with the version and commit of its version line.
    EcrLogin { version: String, commit: String },
    /// AWS's Go helper (awslabs/amazon-ecr-credential-helper), with its version.
    GoHelper { version: String },
    /// cloud-provider-aws's `ecr-credential-provider`, with its version.
    AwsProvider { version: String },
    /// Something else: the first line it printed (clipped), or why it said nothing useful.
    Other { said: String },
}

/// Every executable `program` on `PATH`, in order, and the entries a client passes over. As Go's
/// `exec.LookPath` (docker, nerdctl) and `execvp` look: a directory entry that is an executable
/// file after following links; an empty or relative `PATH` entry is skipped, since Go refuses to
/// run a program found relative to the current directory.
pub fn on_path(env: &Env, program: &str) -> (Vec<Found>, Vec<Skipped>) {
    let (mut found, mut skipped) = (Vec::new(), Vec::new());
    let Some(path) = env.get("PATH") else { return (found, skipped) };
    for dir in std::env::split_paths(path) {
        // One name on Unix; on Windows each PATHEXT form, of which a client runs the first.
        for candidate in programs::candidates(&dir, program, env) {
            let Ok(meta) = std::fs::metadata(&candidate) else { continue };
            let why = if !dir.is_absolute() {
                "in a relative PATH entry, which docker refuses to run from"
            } else if meta.is_dir() {
                "a directory"
            } else if !programs::is_executable(&meta) {
                "not executable"
            } else {
                let target = programs::real_path(&candidate).filter(|t| *t != candidate);
                found.push(Found { path: candidate, target });
                break;
            };
            skipped.push(Skipped { path: candidate, why });
        }
    }
    (found, skipped)
}

/// Asks the program at `path` what it is: `version` (every credential helper's action), then,
/// when that names nothing known, `-v` (the Go helper's own flag). Runs with stdin closed, only
/// [`PROBE_VARIABLES`] of `env` in its environment, and [`PROBE_DEADLINE`] per question.
pub fn identify(path: &Path, env: &Env) -> Kind {
    match ask(path, None, "version", env) {
        Ok(answer) => match classify(&answer) {
            Kind::Other { .. } => match ask(path, None, "-v", env).map(|banner| classify(&banner)) {
                Ok(kind @ Kind::GoHelper { .. }) => kind,
                _ => Kind::Other { said: said(&answer) },
            },
            kind => kind,
        },
        Err(why) => Kind::Other { said: why },
    }
}

/// Asks a kubelet provider binary at `path` what it is. Under its kubelet name ecr-login reads a
/// request from stdin whatever its arguments, so it is started under the helper's name, where
/// `--version` prints its version line; cloud-provider-aws's plugin answers `--version` too.
pub fn identify_provider(path: &Path, env: &Env) -> Kind {
    match ask(path, Some("docker-credential-ecr-login"), "--version", env) {
        Ok(answer) => match classify(&answer) {
            Kind::Other { .. } => Kind::Other { said: said(&answer) },
            kind => kind,
        },
        Err(why) => Kind::Other { said: why },
    }
}

/// What an answer to a version question names.
pub fn classify(answer: &str) -> Kind {
    let first = answer.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    if let Some(Build { version, commit }) = parse_our_line(first) {
        return Kind::EcrLogin { version, commit };
    }
    if let Some(version) = first.strip_prefix(GO_HELPER_PREFIX) {
        return Kind::GoHelper { version: version.trim().to_string() };
    }
    if first == GO_HELPER_BANNER {
        let version = answer.lines().find_map(|l| l.trim().strip_prefix("Version:")).unwrap_or("unknown");
        return Kind::GoHelper { version: version.trim().to_string() };
    }
    if let Some(version) = first.strip_prefix(AWS_PROVIDER_PREFIX) {
        return Kind::AwsProvider { version: version.trim().to_string() };
    }
    Kind::Other { said: said(answer) }
}

/// A build of ecr-login, as its version line names it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Build {
    /// The crate's version: `major.minor.patch[-pre]`.
    pub version: String,
    /// The commit it was built from, or `unknown`.
    pub commit: String,
}

/// The build an ecr-login version line names.
pub fn parse_our_line(line: &str) -> Option<Build> {
    let rest = line.trim().strip_prefix(OUR_PREFIX)?;
    let (version, commit) = rest.split_once(" (commit ")?;
    Some(Build { version: version.to_string(), commit: commit.strip_suffix(')')?.to_string() })
}

/// How `other` compares with `ours` as `major.minor.patch[-pre]` versions; `None` when either
/// does not read as one. A pre-release comes before its release.
pub fn compare_versions(other: &str, ours: &str) -> Option<std::cmp::Ordering> {
    fn parse(v: &str) -> Option<([u64; 3], Option<&str>)> {
        let (core, pre) = v.split_once('-').map_or((v, None), |(c, p)| (c, Some(p)));
        let mut numbers = core.split('.').map(|n| n.parse::<u64>().ok());
        let parsed = [numbers.next()??, numbers.next()??, numbers.next()??];
        numbers.next().is_none().then_some((parsed, pre))
    }
    let ((a, a_pre), (b, b_pre)) = (parse(other)?, parse(ours)?);
    Some(a.cmp(&b).then_with(|| match (a_pre, b_pre) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (Some(_), None) => std::cmp::Ordering::Less,
        (Some(x), Some(y)) => x.cmp(y),
    }))
}

/// The first non-empty line of an answer, clipped, for a report.
fn said(answer: &str) -> String {
    const MAX_CHARS: usize = 80;
    let first = answer.lines().map(str::trim).find(|l| !l.is_empty());
    match first {
        None => "printed nothing".to_string(),
        Some(line) if line.chars().count() > MAX_CHARS => {
            format!("said {:?}", format!("{}…", line.chars().take(MAX_CHARS).collect::<String>()))
        }
        Some(line) => format!("said {line:?}"),
    }
}

/// Runs `path ARG` (as `argv0` when given) and returns what it printed on stdout, or why not.
/// It is ended with what it started (`programs::end_probe`) when it outlives [`PROBE_DEADLINE`]; its stdout is read
/// on a thread of its own, so that a descendant that keeps the pipe open cannot hold us.
fn ask(path: &Path, argv0: Option<&str>, arg: &str, env: &Env) -> Result<String, String> {
    let mut command = Command::new(path);
    command.arg(arg).env_clear().env(PROBE_VARIABLE, "1");
    for name in PROBE_VARIABLES {
        if let Some(value) = env.get(name) {
            command.env(name, value);
        }
    }
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null());
    programs::as_probe(&mut command, argv0);
    let mut child = command.spawn().map_err(|e| format!("could not be started: {e}"))?;
    let (sender, receiver) = mpsc::channel();
    if let Some(stdout) = child.stdout.take() {
        std::thread::spawn(move || {
            let mut answer = Vec::new();
            let _ = stdout.take(MAX_ANSWER_BYTES).read_to_end(&mut answer);
            let _ = sender.send(answer);
        });
    }
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() < PROBE_DEADLINE => std::thread::sleep(POLL_INTERVAL),
            _ => {
                programs::end_probe(&mut child);
                return Err(format!("did not answer `{arg}` within {} s", PROBE_DEADLINE.as_secs()));
            }
        }
    }
    let remaining = PROBE_DEADLINE.saturating_sub(started.elapsed()).max(POLL_INTERVAL);
    let answer = receiver.recv_timeout(remaining).map_err(|_| {
        // Something it left behind in its group holds the pipe: that goes too.
        programs::end_probe(&mut child);
        format!("kept its output open after `{arg}`")
    })?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use super::*;

    #[test]
    fn version_answers_name_ecr_login_the_go_helper_and_aws_s_provider() {
        assert_eq!(
            classify("docker-credential-ecr-login (ecr-login) 0.1.0 (commit 0123456789ab)\n"),
            Kind::EcrLogin { version: "0.1.0".into(), commit: "0123456789ab".into() }
        );
        assert_eq!(
            classify(
                "docker-credential-ecr-login (github.com/awslabs/amazon-ecr-credential-helper/ecr-login) 0.13.0\n"
            ),
            Kind::GoHelper { version: "0.13.0".into() }
        );
        // Debian's 0.6.0: `-v` prints a banner.
        assert_eq!(
            classify("amazon-ecr-credential-helper\nVersion:    0.6.0\nGit commit: 69c85dc\n"),
            Kind::GoHelper { version: "0.6.0".into() }
        );
        assert_eq!(
            classify("ecr-credential-provider version v1.37.1\n"),
            Kind::AwsProvider { version: "v1.37.1".into() }
        );
        assert_eq!(classify("0.6.4\n"), Kind::Other { said: "said \"0.6.4\"".into() });
        assert_eq!(classify(""), Kind::Other { said: "printed nothing".into() });
        let Kind::Other { said } = classify(&"x".repeat(500)) else { panic!() };
        assert!(said.chars().count() < 100 && said.ends_with("…\""), "{said}");
    }

    #[test]
    fn a_desktop_products_bundled_copy_is_named_by_its_place_or_its_links_target() {
        let at = |path: &str, target: Option<&str>| Found { path: path.into(), target: target.map(PathBuf::from) };
        let windows = at(r"C:\Program Files\Docker\Docker\resources\bin\docker-credential-ecr-login.exe", None);
        assert_eq!(bundled_by(&windows), Some("Docker Desktop"));
        let mac = at(
            "/usr/local/bin/docker-credential-ecr-login",
            Some("/Applications/Docker.app/Contents/Resources/bin/docker-credential-ecr-login"),
        );
        assert_eq!(bundled_by(&mac), Some("Docker Desktop"));
        assert_eq!(bundled_by(&at("/home/u/.rd/bin/docker-credential-ecr-login", None)), Some("Rancher Desktop"));
        assert_eq!(bundled_by(&at("/usr/local/bin/docker-credential-ecr-login", None)), None);
        assert_eq!(bundled_by(&at(r"C:\Users\u\bin\docker-credential-ecr-login.exe", None)), None);
    }

    #[test]
    fn our_own_version_line_parses() {
        let line = crate::version::version_line();
        let Build { version, commit } = parse_our_line(&line).unwrap();
        assert_eq!(version, env!("CARGO_PKG_VERSION"));
        assert_eq!(commit, crate::version::COMMIT);
        assert_eq!(parse_our_line("docker-credential-ecr-login (ecr-login) 0.1.0"), None);
    }

    #[test]
    fn versions_compare_by_number_and_a_pre_release_comes_first() {
        assert_eq!(compare_versions("0.0.9", "0.1.0"), Some(Ordering::Less));
        assert_eq!(compare_versions("0.10.0", "0.9.0"), Some(Ordering::Greater));
        assert_eq!(compare_versions("1.2.3", "1.2.3"), Some(Ordering::Equal));
        assert_eq!(compare_versions("1.2.3-rc.1", "1.2.3"), Some(Ordering::Less));
        assert_eq!(compare_versions("1.2.3", "1.2.3-rc.1"), Some(Ordering::Greater));
        assert_eq!(compare_versions("1.2", "1.2.0"), None);
        assert_eq!(compare_versions("1.2.3.4", "1.2.0"), None);
        assert_eq!(compare_versions("dev", "1.2.0"), None);
    }

    #[cfg(unix)]
    fn plant(dir: &Path, name: &str, script: &str, mode: u32) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[cfg(unix)]
    #[test]
    fn path_order_is_kept_links_resolved_and_what_docker_skips_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let name = "docker-credential-ecr-login";
        let (a, b, c, d) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("c"), tmp.path().join("d"));
        plant(&a, name, "#!/bin/sh\n", 0o644);
        std::fs::create_dir_all(b.join(name)).unwrap();
        let real = plant(&tmp.path().join("real"), "helper", "#!/bin/sh\n", 0o755);
        std::fs::create_dir_all(&c).unwrap();
        std::os::unix::fs::symlink(&real, c.join(name)).unwrap();
        plant(&d, name, "#!/bin/sh\n", 0o755);
        let path = std::env::join_paths([&a, &b, tmp.path(), &c, Path::new("relative"), &d]).unwrap();
        let env: Env = [("PATH", path.to_str().unwrap())].into_iter().collect();
        let (found, skipped) = on_path(&env, name);
        let real = std::fs::canonicalize(real).unwrap();
        assert_eq!(
            found,
            [Found { path: c.join(name), target: Some(real) }, Found { path: d.join(name), target: None }]
        );
        let skipped: Vec<_> = skipped.iter().map(|s| (s.path.clone(), s.why)).collect();
        assert_eq!(skipped, [(a.join(name), "not executable"), (b.join(name), "a directory")]);
        assert_eq!(on_path(&Env::default(), name), (vec![], vec![]));
    }

    #[cfg(unix)]
    #[test]
    fn a_probe_sees_only_path_and_home_and_a_hung_one_is_killed_at_the_deadline() {
        let tmp = tempfile::tempdir().unwrap();
        let env: Env =
            [("PATH", "/usr/bin:/bin"), ("HOME", "/nowhere"), ("AWS_SECRET_ACCESS_KEY", "s")].into_iter().collect();
        let echo = plant(tmp.path(), "echo", "#!/bin/sh\necho \"$1 $HOME ${AWS_SECRET_ACCESS_KEY:-unset}\"\n", 0o755);
        assert_eq!(ask(&echo, None, "version", &env).unwrap(), "version /nowhere unset\n");
        let hung = plant(tmp.path(), "hung", "#!/bin/sh\nsleep 30 &\nsleep 30\n", 0o755);
        let started = Instant::now();
        let answer = ask(&hung, None, "version", &env);
        assert_eq!(answer, Err("did not answer `version` within 2 s".into()));
        assert!(started.elapsed() < PROBE_DEADLINE + Duration::from_secs(1), "{:?}", started.elapsed());
        // It answers and exits, but what it left in the background holds the pipe.
        let daemon = plant(tmp.path(), "daemon", "#!/bin/sh\necho 1.0\nsleep 30 &\n", 0o755);
        let started = Instant::now();
        assert_eq!(ask(&daemon, None, "version", &env), Err("kept its output open after `version`".into()));
        assert!(started.elapsed() < PROBE_DEADLINE + Duration::from_secs(1), "{:?}", started.elapsed());
    }

    // The name it is started under reaches a compiled program only: the kernel gives a script's
    // interpreter the script's path instead, so a script sees only the argument here.
    #[cfg(unix)]
    #[test]
    fn a_provider_binary_is_asked_for_its_version() {
        let tmp = tempfile::tempdir().unwrap();
        let script = "#!/bin/sh\n[ \"$1\" = --version ] && \
                      echo 'docker-credential-ecr-login (ecr-login) 9.9.9 (commit 0123456789ab)'\n";
        let provider = plant(tmp.path(), "ecr-credential-provider", script, 0o755);
        let env: Env = [("PATH", "/usr/bin:/bin")].into_iter().collect();
        assert_eq!(
            identify_provider(&provider, &env),
            Kind::EcrLogin { version: "9.9.9".into(), commit: "0123456789ab".into() }
        );
    }
}
