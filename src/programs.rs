//! Finding and starting other programs, as the clients that run credential helpers do: where a
//! name is looked for in one `PATH` directory, what counts as runnable, and how a probe is started
//! and ended with what it started. One module per OS behind this interface:
//!
//! - Unix (`unix.rs`): the entry named exactly so, runnable when an execute bit is set (links
//!   followed); a probe leads a process group of its own, may be given another `argv[0]`, and is
//!   killed with its whole group.
//! - Windows (`windows.rs`): as Go's `exec.LookPath` (docker, the kubelet): a name with an
//!   extension is tried as it is, then with each extension of `PATHEXT` (`.com`, `.exe`, `.bat`,
//!   `.cmd` when unset); a regular file is runnable (Windows has no execute bit). A probe cannot
//!   be given another `argv[0]` (the command line starts with its path), and ending it ends that
//!   process alone: what it started itself is not tracked. The reader of its output is a thread of
//!   its own, so nothing it leaves behind can hold the caller.
//!
//! Elsewhere the Unix rules hold where they apply (there is no other target today).

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as os;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as os;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use crate::env::Env;

/// Where a directory must be put in `PATH` to come first, as a fix says it: on Windows a process's
/// `PATH` is the system `Path` followed by the user's, so a directory in the user's can never come
/// ahead of one in the system's (Docker Desktop's).
pub const PATH_TO_EDIT: &str = os::PATH_TO_EDIT;

/// The entries of `dir` that a client looking for `name` would run, in the order it tries them.
pub fn candidates(dir: &Path, name: &str, env: &Env) -> Vec<PathBuf> {
    os::candidates(dir, name, env)
}

/// Whether a file's metadata (links followed) makes it a program one can run.
pub fn is_executable(meta: &std::fs::Metadata) -> bool {
    os::is_executable(meta)
}

/// Sets `command` up as a probe: in a group of its own where the OS has groups, started as
/// `argv0` where the OS can say so.
pub fn as_probe(command: &mut Command, argv0: Option<&str>) {
    os::as_probe(command, argv0);
}

/// Ends a probe and what it started (where the OS tracks that; see the module docs), and reaps it.
pub fn end_probe(child: &mut Child) {
    os::end_probe(child);
}

/// The first program `name` that a client finds along `PATH` (absolute entries only, as Go
/// refuses a program found relative to the current directory).
pub fn find_on_path(env: &Env, name: &str) -> Option<PathBuf> {
    let path = env.get("PATH")?;
    std::env::split_paths(path)
        .filter(|dir| dir.is_absolute())
        .flat_map(|dir| candidates(&dir, name, env))
        .find(|candidate| std::fs::metadata(candidate).is_ok_and(|meta| is_executable(&meta)))
}
