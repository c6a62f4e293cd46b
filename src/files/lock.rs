//! The bounded wait for a lock, shared by every OS: each OS says only which failures mean "held by
//! another" and "this file system has no locks" (as cargo's `flock.rs` does).

use std::fs::{self, File};
use std::io;
use std::time::{Duration, Instant};

/// How often a process waiting for another's lock looks again, at first and at most.
const LOCK_POLL_FIRST: Duration = Duration::from_millis(2);
const LOCK_POLL_MAX: Duration = Duration::from_millis(25);

/// How a bounded wait for a lock ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locked {
    /// The lock is ours until the file is closed.
    Held,
    /// The file system does not support locks here (some network file systems): go on without.
    Unsupported,
    /// Someone else held it until the deadline: go on without.
    Contended,
}

/// What an OS makes of an error from taking a lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockFailure {
    /// Another process holds it: wait and look again.
    HeldByAnother,
    /// The file system has no locks here: go on without one.
    Unsupported,
    /// Anything else: the caller reports it with the path.
    Other,
}

/// Takes `file`'s exclusive lock, waiting until `deadline` while another process holds it;
/// `classify` reads this OS's errors. Any failure other than "not supported here" is an error for
/// the caller to report with the path.
pub fn lock_until(file: &File, deadline: Instant, classify: fn(&io::Error) -> LockFailure) -> io::Result<Locked> {
    let mut pause = LOCK_POLL_FIRST;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Locked::Held),
            Err(fs::TryLockError::WouldBlock) => {}
            Err(fs::TryLockError::Error(e)) => match classify(&e) {
                LockFailure::HeldByAnother => {}
                LockFailure::Unsupported => return Ok(Locked::Unsupported),
                LockFailure::Other => return Err(e),
            },
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(Locked::Contended);
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(LOCK_POLL_MAX);
    }
}
