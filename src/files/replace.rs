//! The atomic replace every OS shares: a fresh private temporary file beside the target, written
//! whole, then renamed over it, so that readers see the old file or the new one, never a torn one.
//! A rename that fails for a reason that passes (Windows: a scanner or another reader holding the
//! target without sharing delete) is tried again with backoff, within a bound; the temporary file
//! never outlives a failure.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The first pause before a failed rename or removal is tried again; it doubles up to the next.
const RETRY_PAUSE_FIRST: Duration = Duration::from_millis(10);
/// The longest pause between two tries.
const RETRY_PAUSE_MAX: Duration = Duration::from_millis(200);
/// How long a replace is tried in all (its rename, and the removal of its temporary file after a
/// failure) before giving up: scanners let go within a second or so, and a `get` that waits this
/// long on a cache write still answers well within a client's patience.
pub const RETRY_BUDGET: Duration = Duration::from_secs(2);

/// What an OS supplies to [`write_atomic`].
pub struct Os {
    /// Creates a new private file for writing, refusing one that exists (a link there included),
    /// and gives it `mode` where the OS has modes.
    pub create_private: fn(&Path, u32) -> io::Result<File>,
    /// Whether a failed rename or removal may succeed if tried again shortly.
    pub transient: fn(&io::Error) -> bool,
}

/// Writes `bytes` to a fresh temporary file beside `path`, then renames it over `path` (tried
/// again while the failure is transient, within [`RETRY_BUDGET`] in all); on failure the temporary
/// file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32, os: &Os) -> io::Result<()> {
    let give_up = Instant::now() + RETRY_BUDGET;
    let temp = temp_path(path);
    let result = (os.create_private)(&temp, mode)
        .and_then(|mut file| file.write_all(bytes))
        .and_then(|()| retrying(give_up, os.transient, || fs::rename(&temp, path)));
    if result.is_err() {
        // Within what is left of the budget: one try at least, even when none is left.
        let _ = retrying(give_up, os.transient, || match fs::remove_file(&temp) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        });
    }
    result
}

/// A name beside `path` that no other writer uses: `.name.<pid>.<n>.tmp` (pruning knows the suffix).
fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{file_name}.{}.{}.tmp", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed)))
}

/// Runs `step` until it succeeds, fails for good, or `give_up` has passed, pausing with
/// exponential backoff between tries; the last error is returned.
fn retrying<T>(
    give_up: Instant,
    transient: fn(&io::Error) -> bool,
    mut step: impl FnMut() -> io::Result<T>,
) -> io::Result<T> {
    let mut pause = RETRY_PAUSE_FIRST;
    loop {
        match step() {
            Err(e) if transient(&e) => {
                let now = Instant::now();
                if now >= give_up {
                    return Err(e);
                }
                std::thread::sleep(pause.min(give_up - now));
                pause = (pause * 2).min(RETRY_PAUSE_MAX);
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(path: &Path, _mode: u32) -> io::Result<File> {
        fs::OpenOptions::new().write(true).create_new(true).open(path)
    }

    const RETRY_ALL: Os = Os { create_private: create, transient: |_| true };
    const RETRY_NONE: Os = Os { create_private: create, transient: |_| false };

    /// A rename over a non-empty directory fails on every OS; removing the directory ends that.
    fn blocked_target(dir: &Path) -> PathBuf {
        let target = dir.join("entry.json");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("occupant"), b"").unwrap();
        target
    }

    #[test]
    fn a_transient_failure_is_tried_again_until_it_passes() {
        let dir = tempfile::tempdir().unwrap();
        let target = blocked_target(dir.path());
        let clear = target.clone();
        let clearer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            fs::remove_dir_all(clear).unwrap();
        });
        let start = Instant::now();
        write_atomic(&target, b"new", 0o600, &RETRY_ALL).unwrap();
        clearer.join().unwrap();
        assert!(start.elapsed() >= Duration::from_millis(150));
        assert_eq!(fs::read(&target).unwrap(), b"new");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file is left behind");
    }

    #[test]
    fn a_transient_failure_that_lasts_gives_up_within_the_budget_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = blocked_target(dir.path());
        let start = Instant::now();
        assert!(write_atomic(&target, b"new", 0o600, &RETRY_ALL).is_err());
        let took = start.elapsed();
        assert!(took >= RETRY_BUDGET && took < RETRY_BUDGET + Duration::from_secs(1), "{took:?}");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "the temporary file is removed");
    }

    #[test]
    fn a_failure_for_good_is_not_tried_again() {
        let dir = tempfile::tempdir().unwrap();
        let target = blocked_target(dir.path());
        let start = Instant::now();
        assert!(write_atomic(&target, b"new", 0o600, &RETRY_NONE).is_err());
        assert!(start.elapsed() < RETRY_BUDGET / 4);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "the temporary file is removed");
    }
}
