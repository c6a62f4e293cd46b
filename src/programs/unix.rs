//! Programs on Unix: the exact name, execute bits, process groups and `argv[0]`.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use crate::env::Env;

pub(super) const PATH_TO_EDIT: &str = "PATH";

pub(super) fn candidates(dir: &Path, name: &str, _env: &Env) -> Vec<PathBuf> {
    vec![dir.join(name)]
}

pub(super) fn is_executable(meta: &std::fs::Metadata) -> bool {
    meta.is_file() && meta.permissions().mode() & 0o111 != 0
}

pub(super) fn as_probe(command: &mut Command, argv0: Option<&str>) {
    command.process_group(0);
    if let Some(name) = argv0 {
        command.arg0(name);
    }
}

/// After the probe itself has been reaped, the signal still reaches what is left of its group.
pub(super) fn end_probe(child: &mut Child) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals the process group the probe leads (it was
        // made its leader by `as_probe`); it touches no memory of ours.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
    }
    let _ = child.kill();
    let _ = child.wait();
}
