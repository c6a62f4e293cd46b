//! Programs on Unix: the exact name, execute bits, process groups and `argv[0]`.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use crate::env::Env;

/// Where a directory must be put in `PATH` to come first, as a fix says it.
pub const PATH_TO_EDIT: &str = "PATH";

/// The entries of `dir` that a client looking for `name` would run, in the order it tries them.
pub fn candidates(dir: &Path, name: &str, _env: &Env) -> Vec<PathBuf> {
    vec![dir.join(name)]
}

/// The first program `name` that a client finds along `PATH`.
pub fn find_on_path(env: &Env, name: &str) -> Option<PathBuf> {
    super::search::first_on_path(env, name, candidates, is_executable)
}

/// Where `path` really is, links followed.
pub fn real_path(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

/// Whether a file's metadata (links followed) makes it a program one can run.
pub fn is_executable(meta: &std::fs::Metadata) -> bool {
    meta.is_file() && meta.permissions().mode() & 0o111 != 0
}

/// Sets `command` up as a probe: in a group of its own where the OS has groups, started as
/// `argv0` where the OS can say so.
pub fn as_probe(command: &mut Command, argv0: Option<&str>) {
    command.process_group(0);
    if let Some(name) = argv0 {
        command.arg0(name);
    }
}

/// Ends a probe and what it started in its group, and reaps it. After the probe itself has been
/// reaped, the signal still reaches what is left of its group.
pub fn end_probe(child: &mut Child) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals the process group the probe leads (it was
        // made its leader by `as_probe`); it touches no memory of ours.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
    }
    let _ = child.kill();
    let _ = child.wait();
}
