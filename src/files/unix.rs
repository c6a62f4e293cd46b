//! Unix: modes and owners. Files and directories are created 0600 and 0700 (`O_EXCL`, and the
//! mode given at creation); the ownership walk is ssh's StrictModes (owner = our effective uid, or
//! root above the cache's own directories; no group or other write unless sticky); entries, locks
//! and the trace are opened with `O_NOFOLLOW`; locks are `flock` through std.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use super::lock::{self, LockFailure, Locked};
use super::replace;
use super::untrusted::Untrusted;

/// What the user can do about a directory the walk refuses.
const REMEDY: &str =
    "fix its owner and mode (chmod go-w), or set AWS_ECR_CACHE_DIR to a directory that only you can write";

/// Group and others may write.
const WRITABLE_BY_OTHERS: u32 = 0o022;
/// Group and others may do anything at all.
const OPEN_TO_OTHERS: u32 = 0o077;
/// The sticky bit: in such a directory only an entry's owner may rename or remove it.
const STICKY: u32 = 0o1000;
/// The owner that every user trusts.
const ROOT: u32 = 0;

/// The effective user id, the one whose files we may trust; asked once (it never changes here).
fn euid() -> u32 {
    /// Not yet asked: larger than any uid.
    const UNKNOWN: u64 = u64::MAX;
    static EUID: AtomicU64 = AtomicU64::new(UNKNOWN);
    let known = EUID.load(Ordering::Relaxed);
    u32::try_from(known).unwrap_or_else(|_| {
        // SAFETY: geteuid has no preconditions and cannot fail.
        let uid = unsafe { libc::geteuid() };
        EUID.store(u64::from(uid), Ordering::Relaxed);
        uid
    })
}

fn untrusted(path: &Path, reason: impl Into<String>) -> Untrusted {
    Untrusted { path: path.to_path_buf(), reason: reason.into(), remedy: REMEDY }
}

/// How a walk down a path ended.
#[derive(PartialEq)]
enum Walked {
    /// Every directory on it passed, or a file stood where a directory should be.
    Whole,
    /// A component does not exist; the directories above it passed.
    Missing,
    /// A component is a symbolic link; the directories above it passed.
    Link,
}

/// How a private directory of ours is described to the user (doctor): mode 0700.
pub const PRIVATE: &str = "0700";

/// Checks `deepest` and every directory above it, links resolved. Above the cache's `v1/`
/// (`own_root_up` levels above `deepest`; `None` when `deepest` is above it), each must belong
/// to us or root and be writable by no one else unless it is sticky; at and below `v1/`, each
/// must be ours, and is narrowed to 0700 if it is open to others.
///
/// Most paths have no link on the way, and then one `lstat` per directory says so: the walk
/// resolves the path (`canonicalize`, a `readlink` per component) only when it meets a link.
pub fn check_path(deepest: &Path, own_root_up: Option<usize>) -> Result<(), Untrusted> {
    if is_plain(deepest) {
        match walk(deepest, own_root_up)? {
            Walked::Whole => return Ok(()),
            Walked::Missing => return Err(untrusted(deepest, "cannot be examined: it does not exist")),
            Walked::Link => {}
        }
    }
    let canonical = fs::canonicalize(deepest).map_err(|e| untrusted(deepest, format!("cannot be resolved: {e}")))?;
    match walk(&canonical, own_root_up)? {
        Walked::Whole => Ok(()),
        Walked::Missing | Walked::Link => Err(untrusted(deepest, "changed while it was being checked")),
    }
}

/// [`check_path`] for the directories of `path` that exist so far: the walk ends at the first
/// missing one (`path`, the deepest, is `own_root_up` levels below the cache's `v1/`).
pub fn check_existing(path: &Path, own_root_up: Option<usize>) -> Result<(), Untrusted> {
    if is_plain(path) && walk(path, own_root_up)? != Walked::Link {
        return Ok(());
    }
    // A link on the way: resolve the deepest part that exists, which is what check_path needs.
    match path.ancestors().enumerate().find(|(_, p)| fs::symlink_metadata(p).is_ok()) {
        Some((up, deepest)) => check_path(deepest, own_root_up.and_then(|own| own.checked_sub(up))),
        None => Ok(()),
    }
}

/// An absolute path without `..`: unless a component is a link, it is its own canonical form.
fn is_plain(path: &Path) -> bool {
    path.is_absolute() && !path.components().any(|c| c == Component::ParentDir)
}

/// Walks `path` from the root, checking each directory as [`check_path`] says, until the end,
/// a missing component or a link.
fn walk(path: &Path, own_root_up: Option<usize>) -> Result<Walked, Untrusted> {
    let own_root = own_root_up.and_then(|up| path.ancestors().nth(up));
    let mut at = PathBuf::with_capacity(path.as_os_str().len());
    for component in path.components() {
        at.push(component);
        let meta = match fs::symlink_metadata(&at) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Walked::Missing),
            Err(e) => return Err(untrusted(&at, format!("cannot be examined: {e}"))),
        };
        if meta.file_type().is_symlink() {
            return Ok(Walked::Link);
        }
        if !meta.is_dir() {
            // A file where the cache should be: writes fail with a plain error, nothing is read.
            return Ok(Walked::Whole);
        }
        check_directory(&at, &meta, own_root.is_some_and(|root| at.starts_with(root)))?;
    }
    Ok(Walked::Whole)
}

/// One directory of the walk: ours alone (narrowed to 0700 if open to others) when `own`,
/// else ours or root's and writable by no one else unless sticky.
fn check_directory(path: &Path, meta: &fs::Metadata, own: bool) -> Result<(), Untrusted> {
    let uid = euid();
    let mode = meta.mode();
    if own {
        if meta.uid() != uid {
            return Err(untrusted(path, format!("belongs to uid {}, not to this user (uid {uid})", meta.uid())));
        }
        if mode & OPEN_TO_OTHERS != 0 {
            fs::set_permissions(path, fs::Permissions::from_mode(0o700))
                .map_err(|e| untrusted(path, format!("is open to others and cannot be narrowed: {e}")))?;
        }
    } else {
        if meta.uid() != uid && meta.uid() != ROOT {
            return Err(untrusted(
                path,
                format!("belongs to uid {}, neither this user (uid {uid}) nor root", meta.uid()),
            ));
        }
        if mode & WRITABLE_BY_OTHERS != 0 && mode & STICKY == 0 {
            return Err(untrusted(path, format!("can be written by other users (mode {:o})", mode & 0o7777)));
        }
    }
    Ok(())
}

/// Whether an opened file is a regular file of ours that no one else may write; its length.
fn ours(file: &File) -> io::Result<u64> {
    let meta = file.metadata()?;
    if !meta.is_file() || meta.uid() != euid() || meta.mode() & WRITABLE_BY_OTHERS != 0 {
        return Err(io::Error::new(io::ErrorKind::PermissionDenied, "not a private file of this user"));
    }
    Ok(meta.len())
}

/// Opens an entry for reading; a symbolic link or a file not ours is an error (a miss).
/// Returns its length, so that it is read in one call.
pub fn open_entry(path: &Path) -> io::Result<(File, u64)> {
    let file = OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW).open(path)?;
    let len = ours(&file)?;
    Ok((file, len))
}

/// Opens a configuration file that decides whose credentials are used: links are followed
/// (dotfile managers link it), but the file itself must belong to us or root and be writable
/// by no one else, or another user could send our credentials anywhere. Returns its length,
/// so that it is read in one call.
pub fn open_config(path: &Path) -> io::Result<(File, u64)> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other("it is not a regular file"));
    }
    if meta.uid() != euid() && meta.uid() != ROOT {
        return Err(io::Error::other(format!(
            "it belongs to uid {}, neither this user (uid {}) nor root",
            meta.uid(),
            euid()
        )));
    }
    if meta.mode() & WRITABLE_BY_OTHERS != 0 {
        return Err(io::Error::other(format!(
            "other users can write it (mode {:o}); run chmod go-w on it",
            meta.mode() & 0o7777
        )));
    }
    Ok((file, meta.len()))
}

/// Opens or creates (0600) a file to append to, without following a symbolic link; it must be
/// a regular file of ours that no one else can write (the `ECR_LOGIN_DEBUG` trace).
pub fn open_log(path: &Path) -> io::Result<File> {
    let file =
        OpenOptions::new().append(true).create(true).mode(0o600).custom_flags(libc::O_NOFOLLOW).open(path).map_err(
            |e| match e.raw_os_error() {
                Some(libc::ELOOP) => io::Error::other("it is a symbolic link, and the trace never follows one"),
                _ => e,
            },
        )?;
    ours(&file)?;
    Ok(file)
}
/// Opens or creates (0600) a lock file without following a symbolic link. A link where the
/// lock should be (dangling or not) is removed and the lock created in its place, so that no
/// one can make us create or lock a file elsewhere.
pub fn open_lock(path: &Path) -> io::Result<File> {
    let open = || {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
    };
    let file = match open() {
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            fs::remove_file(path)?;
            open()?
        }
        other => other?,
    };
    ours(&file)?;
    Ok(file)
}

/// Creates `dir` and its missing parents with mode 0700.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Creates `path` for writing with mode 0600; it must not exist yet (`O_EXCL`, which also refuses
/// to follow a symbolic link there). It then gets `mode`, before anyone else can see its content.
fn create_private(path: &Path, mode: u32) -> io::Result<File> {
    let file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    if mode != 0o600 {
        file.set_permissions(fs::Permissions::from_mode(mode))?;
    }
    Ok(file)
}

/// Writes `bytes` to a fresh temporary file beside `path` (created 0600, given `mode` before it
/// is visible), then renames it over `path`. A rename on Unix fails for good or not at all: it is
/// never tried again.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    replace::write_atomic(path, bytes, mode, &replace::Os { create_private, transient: |_| false })
}

/// Takes `file`'s exclusive lock (`flock`), waiting until `deadline` while another process holds it.
pub fn lock_until(file: &File, deadline: Instant) -> io::Result<Locked> {
    lock::lock_until(file, deadline, lock_failure)
}

/// The codes that mean this file system has no locks (cargo's `flock.rs` treats them so).
fn lock_failure(error: &io::Error) -> LockFailure {
    match error.raw_os_error() {
        Some(code) if code == libc::EWOULDBLOCK => LockFailure::HeldByAnother,
        Some(code) if [libc::ENOTSUP, libc::EOPNOTSUPP, libc::ENOSYS, libc::ENOLCK].contains(&code) => {
            LockFailure::Unsupported
        }
        _ if error.kind() == io::ErrorKind::Unsupported => LockFailure::Unsupported,
        _ => LockFailure::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_file_system_without_locks_is_told_apart_from_other_lock_failures() {
        assert_eq!(lock_failure(&io::Error::from(io::ErrorKind::Unsupported)), LockFailure::Unsupported);
        for code in [libc::ENOLCK, libc::EOPNOTSUPP, libc::ENOSYS] {
            assert_eq!(lock_failure(&io::Error::from_raw_os_error(code)), LockFailure::Unsupported, "{code}");
        }
        assert_eq!(lock_failure(&io::Error::from_raw_os_error(libc::EWOULDBLOCK)), LockFailure::HeldByAnother);
        assert_eq!(lock_failure(&io::Error::from_raw_os_error(libc::EBADF)), LockFailure::Other);
        assert_eq!(lock_failure(&io::Error::other("disk on fire")), LockFailure::Other);
    }

    #[test]
    fn a_contended_lock_is_waited_for_until_the_deadline_then_reported_as_contended() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let holder = open_lock(&path).unwrap();
        assert_eq!(lock_until(&holder, Instant::now()).unwrap(), Locked::Held);
        let waiter = open_lock(&path).unwrap();
        let start = Instant::now();
        assert_eq!(lock_until(&waiter, start + Duration::from_millis(60)).unwrap(), Locked::Contended);
        assert!(start.elapsed() >= Duration::from_millis(60));
        drop(holder);
        assert_eq!(lock_until(&waiter, Instant::now()).unwrap(), Locked::Held);
    }

    #[test]
    fn private_directories_and_atomic_writes_get_their_modes() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        create_private_dir(&nested).unwrap();
        assert_eq!(fs::metadata(&nested).unwrap().permissions().mode() & 0o777, 0o700);
        let file = nested.join("f.json");
        write_atomic(&file, b"one", 0o640).unwrap();
        write_atomic(&file, b"two", 0o640).unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"two");
        assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o640);
        assert_eq!(fs::read_dir(&nested).unwrap().count(), 1, "no temporary file is left behind");
    }

    #[test]
    fn a_link_on_the_way_is_resolved_and_its_target_checked_and_a_plain_path_is_walked_as_given() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        // A link to a private directory: the cache under it is trusted, and v1/ below the link,
        // open to others, is narrowed (the link's target is where v1 is ours alone).
        let private = dir.path().join("private");
        create_private_dir(&private.join("v1")).unwrap();
        fs::set_permissions(private.join("v1"), fs::Permissions::from_mode(0o755)).unwrap();
        symlink(&private, dir.path().join("to-private")).unwrap();
        let through = dir.path().join("to-private/v1/fingerprint");
        assert!(check_existing(&through, Some(1)).is_ok());
        assert_eq!(mode(&private.join("v1")), 0o700);
        // A link to a directory anyone can write: refused, naming the target.
        let open = dir.path().join("open");
        fs::create_dir(&open).unwrap();
        fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
        symlink(&open, dir.path().join("to-open")).unwrap();
        let refused = check_existing(&dir.path().join("to-open/v1/fingerprint"), Some(1)).unwrap_err();
        assert!(refused.reason.contains("can be written by other users"), "{refused:?}");
        assert!(refused.to_string().contains("chmod go-w"), "{refused}");
        assert_eq!(refused.path, open.canonicalize().unwrap());
        // The same directory reached without a link is refused by the plain walk.
        let plain = check_existing(&open.join("v1/fingerprint"), Some(1)).unwrap_err();
        assert_eq!(plain.path, open);
        // Missing directories end check_existing's walk, and are an error to check_path.
        assert!(check_existing(&private.join("v1/missing/deeper"), Some(2)).is_ok());
        assert!(check_path(&private.join("v1/missing"), Some(1)).is_err());
        // A relative path is resolved first.
        let relative = Path::new("no-such-dir-here/v1");
        assert!(check_existing(relative, Some(0)).is_ok());
    }
}
