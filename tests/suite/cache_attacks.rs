//! Locks and cache files that nobody else can stall or hijack, through the binary: a stuck lock
//! holder costs a bounded wait, symbolic links are never followed, and a directory or file that
//! another user owns or can write is never read, locked in or written to. The cases that need a
//! second user (chown) run as root, as CI does.
//!
//! Symbolic links and modes are Unix's words for these attacks; on Windows the same promises are
//! held by owner SIDs and DACLs, in the Windows tests at the end (a cache another account owns, a
//! lock another process holds). The files room's own tests cover reparse points there, on a real
//! Windows (the release workflow): Wine makes no links, and tests/windows lists that check as left out.

use crate::support;

use std::fs::{self, File};
#[cfg(unix)]
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[cfg(unix)]
use support::is_root;
use support::stand_in::StandIn;
use support::{HOST, Sandbox};

#[cfg(unix)]
/// A user id that is neither root nor the one running the tests: `nobody`.
const OTHER_UID: u32 = 65534;

/// A cache entry that someone else wrote, with a password we must never serve.
const PLANTED: &str = r#"{"host":"123456789012.dkr.ecr.us-east-1.amazonaws.com","username":"AWS","password":"planted-password","issued_at":1,"expires_at":4102444800}"#;

/// Runs one get so that the cache's directories exist, and returns the entry's path.
fn warm(sandbox: &Sandbox) -> PathBuf {
    sandbox.get(HOST).assert_clean_success();
    let entries = sandbox.cache_entries();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries[0].clone()
}

#[cfg(unix)]
/// For the tests that need a second user (chown): a warmed sandbox and its entry, or `None` with a
/// note when not running as root.
fn warmed_as_root() -> Option<(StandIn, Sandbox, PathBuf)> {
    if !is_root() {
        eprintln!("skipped: chown to another user needs root (CI runs as root)");
        return None;
    }
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    let entry = warm(&sandbox);
    Some((ecr, sandbox, entry))
}

/// Replaces the entry with the planted one, as another user would.
fn plant(entry: &Path) {
    fs::remove_file(entry).unwrap();
    fs::write(entry, PLANTED).unwrap();
}

fn lock_path(entry: &Path) -> PathBuf {
    entry.with_extension("lock")
}

/// Warms the cache, then removes the entry and its lock file; returns where the lock was.
fn lock_path_with_no_entry(sandbox: &Sandbox) -> PathBuf {
    let entry = warm(sandbox);
    fs::remove_file(&entry).unwrap();
    let lock = lock_path(&entry);
    fs::remove_file(&lock).unwrap();
    lock
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_stuck_lock_holder_costs_a_bounded_wait_not_the_whole_deadline() {
    let ecr = StandIn::start();
    let mut sandbox = Sandbox::new(&ecr.url());
    let entry = warm(&sandbox);
    fs::remove_file(&entry).unwrap();
    // Another process holds the lock and never lets go (stopped, or stuck).
    let held = File::options().write(true).open(lock_path(&entry)).unwrap();
    held.lock().unwrap();
    // The helper's trace says how long it waited for the lock, by its own clock: the 3 s that
    // README promises (LOCK_WAIT_MAX), not the 20 s deadline, then it fetches without the lock.
    sandbox.set("ECR_LOGIN_DEBUG", "1");
    let run = sandbox.get(HOST);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.secret(), "123456789012-token-2");
    let waited_ms: u64 = run
        .stderr
        .lines()
        .find_map(|l| l.split("lock: not held (none, unsupported, or waited out) after ").nth(1))
        .and_then(|rest| rest.strip_suffix(" ms")?.parse().ok())
        .unwrap_or_else(|| panic!("no lock line in the trace: {run:?}"));
    assert!((3000..3500).contains(&waited_ms), "it waited {waited_ms} ms for the holder, not about 3 s");
    drop(held);
}

#[test]
fn a_slow_but_live_lock_holder_still_makes_the_others_reuse_its_token() {
    const PROCESSES: usize = 8;
    let ecr = StandIn::start();
    ecr.delay(Duration::from_millis(2000));
    let sandbox = Sandbox::new(&ecr.url());
    for run in sandbox.run_at_once(&["get"], &vec![HOST.to_string(); PROCESSES]) {
        assert_eq!(run.assert_clean_success().secret(), "123456789012-token-1");
    }
    assert_eq!(ecr.calls(), 1);
}

// Unix only: a symbolic link needs a privilege on Windows; the files room tests reparse points there.
#[cfg(unix)]
#[test]
fn a_dangling_lock_symlink_does_not_make_the_helper_create_its_target() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    let lock = lock_path_with_no_entry(&sandbox);
    let target = sandbox.dir.path().join("created-through-the-lock");
    symlink(&target, &lock).unwrap();
    let run = sandbox.get(HOST);
    run.assert_clean_success();
    assert!(!target.exists(), "the helper created the symlink's target");
    assert!(fs::symlink_metadata(&lock).unwrap().file_type().is_file(), "the lock is a plain file again");
}

// Unix only: a symbolic link needs a privilege on Windows; the files room tests reparse points there.
#[cfg(unix)]
#[test]
fn a_symlinked_entry_is_not_read_through_and_is_replaced() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    let entry = warm(&sandbox);
    let planted = sandbox.dir.path().join("planted.json");
    fs::write(&planted, PLANTED).unwrap();
    chmod(&planted, 0o600);
    fs::remove_file(&entry).unwrap();
    symlink(&planted, &entry).unwrap();
    let run = sandbox.get(HOST);
    run.assert_clean_success();
    assert_eq!(run.secret(), "123456789012-token-2");
    assert!(fs::symlink_metadata(&entry).unwrap().file_type().is_file(), "the entry is a plain file again");
    assert_eq!(fs::read_to_string(&planted).unwrap(), PLANTED, "the link's target is untouched");
}

// Unix only: mode bits; Windows has no chmod (its foreign owner case is below).
#[cfg(unix)]
#[test]
fn a_cache_directory_others_can_write_is_not_used_and_the_user_is_told_once() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    fs::create_dir(sandbox.cache_dir()).unwrap();
    chmod(&sandbox.cache_dir(), 0o777);
    for expected_token in ["123456789012-token-1", "123456789012-token-2"] {
        let run = sandbox.get(HOST);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.secret(), expected_token);
        assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
        assert!(run.stderr.contains("not using the token cache"), "{run:?}");
        assert!(run.stderr.contains("can be written by other users"), "{run:?}");
    }
    assert!(sandbox.cache_entries().is_empty());
    assert!(!sandbox.cache_dir().join("v1").exists(), "nothing was created in it");
    let list = sandbox.run(&["list"], b"unused");
    assert_eq!((list.code, list.stdout.as_str()), (0, "{}\n"), "{list:?}");
}

// Unix only: the sticky bit is Unix's.
#[cfg(unix)]
#[test]
fn a_sticky_shared_directory_like_tmp_is_fine_as_the_base() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    fs::create_dir(sandbox.cache_dir()).unwrap();
    chmod(&sandbox.cache_dir(), 0o1777);
    sandbox.get(HOST).assert_clean_success();
    sandbox.get(HOST).assert_clean_success();
    assert_eq!(ecr.calls(), 1);
}

// Unix only: chown to a uid and mode bits; the Windows form is owner SIDs, below.
#[cfg(unix)]
#[test]
fn a_directory_of_ours_left_open_to_others_is_narrowed_and_foreign_entries_in_it_are_not_served() {
    let Some((_ecr, sandbox, entry)) = warmed_as_root() else { return };
    let dir = entry.parent().unwrap().to_path_buf();
    chmod(&dir, 0o777);
    // Another user plants a token while the directory is open.
    plant(&entry);
    std::os::unix::fs::chown(&entry, Some(OTHER_UID), Some(OTHER_UID)).unwrap();
    chmod(&entry, 0o600);
    let run = sandbox.get(HOST);
    run.assert_clean_success();
    assert_eq!(run.secret(), "123456789012-token-2");
    assert_eq!(fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&fs::metadata(&entry).unwrap()), 0, "the entry was replaced");
}

// Unix only: chown to a uid and a symlinked lock; the Windows form is owner SIDs, below.
#[cfg(unix)]
#[test]
fn root_never_reads_locks_in_or_writes_to_a_directory_another_user_owns() {
    let Some((_ecr, sandbox, entry)) = warmed_as_root() else { return };
    let dir = entry.parent().unwrap().to_path_buf();
    // The directory belongs to another user, even with mode 0700: that user plants an entry and
    // points the lock wherever they like.
    plant(&entry);
    let lock = lock_path(&entry);
    fs::remove_file(&lock).unwrap();
    let target = sandbox.dir.path().join("root-created-this");
    symlink(&target, &lock).unwrap();
    for path in [&dir, &entry] {
        std::os::unix::fs::chown(path, Some(OTHER_UID), Some(OTHER_UID)).unwrap();
    }
    chmod(&dir, 0o700);
    let planted_before = fs::read(&entry).unwrap();
    let run = sandbox.get(HOST);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.secret(), "123456789012-token-2");
    assert!(run.stderr.contains("not using the token cache"), "{run:?}");
    assert!(run.stderr.contains(&format!("belongs to uid {OTHER_UID}")), "{run:?}");
    assert!(!target.exists(), "root created a file through the other user's lock symlink");
    assert_eq!(fs::read(&entry).unwrap(), planted_before, "root wrote into the other user's directory");
    assert!(fs::symlink_metadata(&lock).unwrap().file_type().is_symlink());
}

// Unix only: chown to a uid; the Windows form is owner SIDs, below.
#[cfg(unix)]
#[test]
fn root_does_not_use_a_base_directory_another_user_owns() {
    if !is_root() {
        eprintln!("skipped: chown to another user needs root (CI runs as root)");
        return;
    }
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    fs::create_dir(sandbox.cache_dir()).unwrap();
    std::os::unix::fs::chown(sandbox.cache_dir(), Some(OTHER_UID), Some(OTHER_UID)).unwrap();
    chmod(&sandbox.cache_dir(), 0o755);
    let run = sandbox.get(HOST);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains(&format!("belongs to uid {OTHER_UID}")), "{run:?}");
    assert!(!sandbox.cache_dir().join("v1").exists());
}

#[test]
fn a_lock_file_that_cannot_be_opened_is_named_and_the_get_goes_on_without_it() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    let lock = lock_path_with_no_entry(&sandbox);
    fs::create_dir(&lock).unwrap();
    let run = sandbox.get(HOST);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.secret(), "123456789012-token-2");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    assert!(run.stderr.contains("cannot lock") && run.stderr.contains(".lock"), "{run:?}");
    assert!(run.stderr.contains("fetching without the lock"), "{run:?}");
}

/// Gives `path` to another account (`support::security::give_away` says how, on Windows and Wine).
#[cfg(windows)]
fn give_away(path: &Path) {
    support::security::give_away(path);
}

// Windows: the owner SID takes the place of Unix's uid.
#[cfg(windows)]
#[test]
fn a_cache_directory_another_account_owns_is_not_used_and_the_user_is_told_once() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    fs::create_dir(sandbox.cache_dir()).unwrap();
    give_away(&sandbox.cache_dir());
    for expected_token in ["123456789012-token-1", "123456789012-token-2"] {
        let run = sandbox.get(HOST);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.secret(), expected_token);
        assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
        assert!(run.stderr.contains("not using the token cache"), "{run:?}");
        assert!(run.stderr.contains(&sandbox.cache_dir().display().to_string()), "{run:?}");
    }
    assert!(!sandbox.cache_dir().join("v1").exists(), "nothing was created in it");
    let list = sandbox.run(&["list"], b"unused");
    assert_eq!((list.code, list.stdout.as_str()), (0, "{}\n"), "{list:?}");
}

// Windows: an entry and its directory another account owns are neither served nor written.
#[cfg(windows)]
#[test]
fn a_directory_and_entry_another_account_owns_are_never_read_or_written() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    let entry = warm(&sandbox);
    let dir = entry.parent().unwrap().to_path_buf();
    plant(&entry);
    give_away(&entry);
    give_away(&dir);
    let run = sandbox.get(HOST);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.secret(), "123456789012-token-2", "the planted token was served");
    assert!(run.stderr.contains("not using the token cache"), "{run:?}");
    assert!(run.stderr.contains(&dir.display().to_string()), "{run:?}");
    assert!(fs::read_to_string(&entry).unwrap().contains("planted-password"), "the foreign entry was written");
}

// Windows: locks there are mandatory, so the lock is its own file and the entry stays readable.
#[cfg(windows)]
#[test]
fn a_lock_held_by_another_process_makes_a_get_wait_then_serve_what_the_holder_stored() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    let entry = warm(&sandbox);
    let stored = fs::read(&entry).unwrap();
    fs::remove_file(&entry).unwrap();
    // This test process is the other fetcher: it holds the lock, stores a token, then lets go.
    let held = File::options().write(true).open(lock_path(&entry)).unwrap();
    held.lock().unwrap();
    let command = sandbox.command(&["get"]);
    let start = std::time::Instant::now();
    let waiter = std::thread::spawn(move || support::run_command(command, HOST.as_bytes()));
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!waiter.is_finished(), "the get did not wait for the lock");
    fs::write(&entry, &stored).unwrap();
    drop(held);
    let run = waiter.join().unwrap();
    let waited = start.elapsed();
    run.assert_clean_success();
    assert_eq!(run.secret(), "123456789012-token-1", "the waiter fetched instead of reading the stored token");
    assert_eq!(ecr.calls(), 1);
    assert!(waited >= Duration::from_millis(1500), "{waited:?}");
    assert!(fs::read(&entry).unwrap() == stored, "the entry was rewritten");
}
