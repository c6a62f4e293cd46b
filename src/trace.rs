//! `ECR_LOGIN_DEBUG`: one line per decision a command takes, for the person debugging it. `1`
//! writes the lines on stderr; a path appends them to that file instead, for callers that swallow
//! stderr (the kubelet logs it at a verbosity nobody reads).
//!
//! The file is opened as the cache's files are: created 0600, never through a symbolic link, and
//! used only when it is a regular file of ours that no one else can write, in a directory that only
//! we (or root) can write. Each line is one `write` in append mode, so the lines of concurrent
//! helpers sharing one file never interleave.
//!
//! The lines name things, never secrets: hosts, paths, profile and variable names, outcomes and
//! durations. An access key id may appear (doctor prints it too); a secret key, session token,
//! password or authorization token never does, and the secrets audit runs every path with the
//! trace on. Off (the usual case) it costs one environment lookup: every caller passes a closure,
//! so nothing is formatted.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::env::Env;
use crate::files::trust;

/// The variable that turns the trace on.
pub const VARIABLE: &str = "ECR_LOGIN_DEBUG";

/// Where the lines go.
#[derive(Debug)]
enum Sink {
    Stderr,
    File(File),
}

/// The trace of one command: off, or a sink and the moment the command started. Cheap to clone
/// (the SDK's interceptors keep a clone).
#[derive(Debug, Clone)]
pub struct Trace {
    on: Option<(Arc<Sink>, Instant)>,
}

impl Trace {
    /// No trace.
    pub const fn off() -> Trace {
        Trace { on: None }
    }

    /// The trace `ECR_LOGIN_DEBUG` asks for, and a warning when it names a file that cannot be
    /// used (then the trace is off: writing it elsewhere could land where the caller did not
    /// want it).
    pub fn from_env(env: &Env) -> (Trace, Option<String>) {
        let Some(value) = env.get(VARIABLE) else { return (Trace::off(), None) };
        let sink = match value.trim() {
            "0" | "false" | "off" => return (Trace::off(), None),
            "1" | "true" | "stderr" => Sink::Stderr,
            path if env.expand_home(path).is_absolute() => match open(&env.expand_home(path)) {
                Ok(file) => Sink::File(file),
                Err(reason) => return (Trace::off(), Some(reason)),
            },
            _ => {
                return (
                    Trace::off(),
                    Some(format!(
                        "{VARIABLE} must be 1 (the trace on stderr) or an absolute path (the trace appended to that \
                         file); the trace is off"
                    )),
                );
            }
        };
        (Trace { on: Some((Arc::new(sink), Instant::now())) }, None)
    }

    /// Whether the trace is on.
    pub fn is_on(&self) -> bool {
        self.on.is_some()
    }

    /// Writes the line `line` makes, when the trace is on; `line` is not called when it is off.
    pub fn note(&self, line: impl FnOnce() -> String) {
        let Some((sink, started)) = &self.on else { return };
        let elapsed = started.elapsed();
        let text = format!(
            "ecr-login debug [{} +{}.{:03} ms] {}\n",
            std::process::id(),
            elapsed.as_millis(),
            elapsed.subsec_micros() % 1000,
            line()
        );
        // One write per line (see the module docs); a trace that cannot be written is dropped.
        let _ = match sink.as_ref() {
            Sink::Stderr => std::io::stderr().write_all(text.as_bytes()),
            Sink::File(file) => (&*file).write_all(text.as_bytes()),
        };
    }
}

/// Opens the trace file to append to it, as described in the module docs; the error is the
/// warning to print.
fn open(path: &Path) -> Result<File, String> {
    let refuse = |reason: String| format!("not writing the {VARIABLE} trace to {}: {reason}", path.display());
    let parent =
        path.parent().filter(|p| !p.as_os_str().is_empty()).map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
    trust::check_path(&parent, None).map_err(|u| refuse(format!("{} {}", u.path.display(), u.reason)))?;
    trust::open_log(path).map_err(|e| refuse(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        pairs.iter().copied().collect()
    }

    #[test]
    fn unset_empty_and_zero_are_off() {
        for value in [None, Some(""), Some("0"), Some("false")] {
            let env = value.map_or_else(Env::default, |v| env(&[(VARIABLE, v)]));
            let (trace, warning) = Trace::from_env(&env);
            assert!(!trace.is_on(), "{value:?}");
            assert_eq!(warning, None);
        }
    }

    #[test]
    fn one_is_stderr_and_a_relative_path_is_refused() {
        assert!(Trace::from_env(&env(&[(VARIABLE, "1")])).0.is_on());
        let (trace, warning) = Trace::from_env(&env(&[(VARIABLE, "debug.log")]));
        assert!(!trace.is_on());
        assert!(warning.unwrap().contains("absolute path"));
    }

    #[test]
    fn off_never_calls_the_line() {
        Trace::off().note(|| unreachable!("formatted while off"));
    }

    #[cfg(unix)]
    #[test]
    fn a_file_is_created_private_and_appended_and_a_link_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.log");
        let value = path.display().to_string();
        for n in 0..2 {
            let (trace, warning) = Trace::from_env(&env(&[(VARIABLE, &value)]));
            assert_eq!(warning, None);
            trace.note(|| format!("line {n}"));
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(text.lines().next().unwrap().ends_with("line 0"));
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);

        let link = dir.path().join("link.log");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        let (trace, warning) = Trace::from_env(&env(&[(VARIABLE, &link.display().to_string())]));
        assert!(!trace.is_on());
        assert!(warning.unwrap().contains("not writing the ECR_LOGIN_DEBUG trace"));
    }
}
