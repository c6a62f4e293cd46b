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
//! There is no module for any other OS: the crate builds for Unix and Windows only.

#[cfg_attr(unix, path = "programs/unix.rs")]
#[cfg_attr(windows, path = "programs/windows.rs")]
mod os;
mod search;

pub use os::{PATH_TO_EDIT, as_probe, candidates, end_probe, find_on_path, is_executable, real_path};
