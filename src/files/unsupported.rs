//! Any OS that is neither Unix nor Windows: ecr-login knows no way to tell there whose a file is
//! or who may write it, so it does not pretend to. Every ownership check fails, naming the path,
//! no private file or directory is created, and opens fail (a missing file still reads as
//! missing): the cache is not used, the trace is not written, and a configuration file is refused.

use std::fs::File;
use std::io;
use std::path::Path;
use std::time::Instant;

use super::lock::{self, LockFailure, Locked};
use super::untrusted::Untrusted;

/// What the user can do where the checks cannot be made.
const REMEDY: &str = "ecr-login cannot check owners and access on this operating system; set AWS_ECR_DISABLE_CACHE \
                      to run without the cache";

/// Why nothing is opened or created.
fn unsupported(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("{}: ecr-login cannot check who owns or may write files on this operating system", path.display()),
    )
}

fn refused(path: &Path) -> Untrusted {
    Untrusted {
        path: path.to_path_buf(),
        reason: "cannot be checked: this operating system has no owner check in ecr-login".into(),
        remedy: REMEDY,
    }
}

/// How a private directory of ours is described to the user (doctor): nothing: this OS has no checks.
pub const PRIVATE: &str = "not private";

/// Always refuses: see the module docs.
pub fn check_path(deepest: &Path, _own_root_up: Option<usize>) -> Result<(), Untrusted> {
    Err(refused(deepest))
}

/// Always refuses: see the module docs.
pub fn check_existing(path: &Path, _own_root_up: Option<usize>) -> Result<(), Untrusted> {
    Err(refused(path))
}

/// A missing file is missing; any other is refused.
fn refuse_open<T>(path: &Path) -> io::Result<T> {
    std::fs::symlink_metadata(path)?;
    Err(unsupported(path))
}

/// Refuses: see the module docs.
pub fn open_entry(path: &Path) -> io::Result<(File, u64)> {
    refuse_open(path)
}

/// Refuses: see the module docs.
pub fn open_config(path: &Path) -> io::Result<(File, u64)> {
    refuse_open(path)
}

/// Refuses: see the module docs.
pub fn open_log(path: &Path) -> io::Result<File> {
    Err(unsupported(path))
}

/// Refuses: see the module docs.
pub fn open_lock(path: &Path) -> io::Result<File> {
    Err(unsupported(path))
}

/// Refuses: see the module docs.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    Err(unsupported(dir))
}

/// Refuses: see the module docs.
pub fn write_atomic(path: &Path, _bytes: &[u8], _mode: u32) -> io::Result<()> {
    Err(unsupported(path))
}

/// The shared wait; only std's own "unsupported" is known here.
pub fn lock_until(file: &File, deadline: Instant) -> io::Result<Locked> {
    lock::lock_until(file, deadline, |e| {
        if e.kind() == io::ErrorKind::Unsupported { LockFailure::Unsupported } else { LockFailure::Other }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_fails_and_nothing_is_created_or_opened() {
        let dir = tempfile::tempdir().unwrap();
        let refused = check_path(dir.path(), Some(1)).unwrap_err();
        assert_eq!(refused.path, dir.path());
        assert!(refused.to_string().contains("AWS_ECR_DISABLE_CACHE"), "{refused}");
        assert!(check_existing(dir.path(), None).is_err());
        assert!(!PRIVATE.contains("0700") && PRIVATE.starts_with("not"), "doctor must not call it private");
        let file = dir.path().join("f.json");
        assert!(create_private_dir(&dir.path().join("d")).is_err());
        assert!(write_atomic(&file, b"x", 0o600).is_err());
        assert!(open_lock(&dir.path().join("f.lock")).is_err());
        assert!(open_log(&dir.path().join("trace")).is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing was created");
        assert_eq!(open_entry(&file).unwrap_err().kind(), io::ErrorKind::NotFound);
        std::fs::write(&file, b"{}").unwrap();
        let error = open_config(&file).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::Unsupported);
        assert!(error.to_string().contains("f.json"), "{error}");
        assert!(open_entry(&file).is_err());
        let lock = File::open(&file).unwrap();
        assert_eq!(lock_until(&lock, Instant::now()).unwrap(), Locked::Held);
    }
}
