//! The on-disk token cache, and the only user of file locks.
//!
//! Layout, under the cache directory (`$AWS_ECR_CACHE_DIR`, else the platform cache directory):
//!
//! ```text
//! v1/                          0700, the layout version
//!   <identity fingerprint>/    0700, one directory per identity (see `identity`)
//!     <host>.json              0600, one token: {"host","username","password","issued_at","expires_at"}
//!     <host>.lock              0600, the lock that makes one process fetch while the others wait
//! ```
//!
//! An entry is replaced atomically: written to a temporary file in the same directory (created 0600)
//! and renamed over the old one, so a reader sees the old entry or the new one, never a torn one.
//! The lock is a sibling file, never the entry itself, because renaming over a locked file would
//! leave the lock on a file nobody else opens. An entry that cannot be read or parsed is a miss and
//! is replaced; expired entries of every identity are pruned whenever a new token is stored.
//!
//! Nothing another user could have touched is trusted, as ssh's StrictModes trusts nothing of the
//! kind ([`Cache::check_trusted`]): every directory on the way to the cache must belong to us or to
//! root and be writable by no one else (a sticky directory such as `/tmp` may be shared, since
//! nobody can then rename what we own in it), and `v1/` and everything below it must be ours
//! alone. Entries and locks are opened without following symbolic links and must be files of our
//! own; a symlink, or a file someone else owns, is a corrupt entry and is replaced. A cache that
//! fails these checks is not used at all: the caller says so once on stderr and fetches without it.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use crate::env::Env;
use crate::identity::Fingerprint;
use crate::secret::Secret;
use crate::token::{AuthToken, Freshness, UnixSeconds};

/// The layout version: a new layout gets a new directory and leaves the old one alone.
const LAYOUT_DIR: &str = "v1";

/// An entry file larger than this is not ours: treat it as corrupt rather than read it.
const MAX_ENTRY_BYTES: u64 = 64 * 1024;

/// How often a process waiting for another's fetch looks at the lock again, at first and at most.
const LOCK_POLL_FIRST: Duration = Duration::from_millis(2);
const LOCK_POLL_MAX: Duration = Duration::from_millis(25);

/// A temporary file older than this was left by a writer that died; pruning removes it.
const STALE_TEMP_AGE: Duration = Duration::from_secs(10 * 60);

/// Why the cache directory is not used: a directory on its path is someone else's, or others can
/// write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untrusted {
    /// The directory that failed the check.
    pub path: PathBuf,
    /// What is wrong with it.
    pub reason: String,
}

impl std::fmt::Display for Untrusted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "not using the token cache: {} {}; fix its owner and mode (chmod go-w), or set AWS_ECR_CACHE_DIR \
             to a directory that only you can write",
            self.path.display(),
            self.reason
        )
    }
}

/// Where the cache lives: `$AWS_ECR_CACHE_DIR` if set (a leading `~/` is the home directory, as
/// the Go helper reads it), else the platform cache directory (`$XDG_CACHE_HOME/ecr-login` or
/// `~/.cache/ecr-login` on Linux). `None` when neither is known.
pub fn base_dir(env: &Env) -> Option<PathBuf> {
    if let Some(dir) = env.get("AWS_ECR_CACHE_DIR") {
        return Some(crate::identity::expand_home(dir, env.home().as_deref()));
    }
    directories::ProjectDirs::from("", "", "ecr-login").map(|dirs| dirs.cache_dir().to_path_buf())
}

#[derive(Serialize, Deserialize)]
struct Entry {
    host: String,
    username: String,
    password: String,
    issued_at: UnixSeconds,
    expires_at: UnixSeconds,
}

/// The cache of one identity.
#[derive(Debug, Clone)]
pub struct Cache {
    base: PathBuf,
    root: PathBuf,
    dir: PathBuf,
}

/// A held lock on one registry's entry; released when dropped (closing the file releases flock).
#[derive(Debug)]
pub struct CacheLock {
    _file: File,
}

impl Cache {
    /// The cache of `identity` under `base`. Touches nothing on disk.
    pub fn new(base: &Path, identity: &Fingerprint) -> Cache {
        let root = base.join(LAYOUT_DIR);
        let dir = root.join(identity.as_str());
        Cache { base: base.to_path_buf(), root, dir }
    }

    /// Checks every directory of the cache that exists so far (see the module docs) and narrows a
    /// directory of ours under `v1/` that an older run left open to others. Call it before the
    /// first read; [`Cache::store`] and [`Cache::lock`] check again after creating directories.
    pub fn check_trusted(&self) -> Result<(), Untrusted> {
        // The deepest existing one of v1/<identity>, v1 and the base, with how far above it v1 is.
        let levels = [(&self.dir, Some(1)), (&self.root, Some(0)), (&self.base, None)];
        match levels.into_iter().find(|(p, _)| fs::symlink_metadata(p).is_ok()) {
            Some((deepest, own_root_up)) => trust::check_path(deepest, own_root_up),
            None => Ok(()),
        }
    }

    /// The directory holding this identity's entries.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn entry_path(&self, host: &str) -> PathBuf {
        self.dir.join(format!("{host}.json"))
    }

    /// The cached token for `host`, if there is a readable one. Anything else is a miss.
    pub fn read(&self, host: &str) -> Option<AuthToken> {
        read_entry(&self.entry_path(host)).filter(|(entry_host, _)| entry_host == host).map(|(_, t)| t)
    }

    /// Stores a token for `host`, replacing the old entry atomically.
    pub fn store(&self, host: &str, token: &AuthToken) -> io::Result<()> {
        self.ensure_dir()?;
        let entry = Entry {
            host: host.to_string(),
            username: token.username.clone(),
            password: token.password.expose().clone(),
            issued_at: token.issued_at,
            expires_at: token.expires_at,
        };
        let json = serde_json::to_vec(&entry).map_err(io::Error::other)?;
        write_atomic(&self.entry_path(host), &json, 0o600)
    }

    /// Takes the lock for `host`, waiting until `deadline` while another process holds it; the
    /// caller bounds that wait, so that a stuck or stopped holder costs a few seconds, not the
    /// whole fetch deadline. `None` means no lock could be had (the file system refuses locks, the
    /// directory is not writable, or the deadline passed): the caller goes on without one, at the
    /// cost of an extra API call at worst.
    pub fn lock(&self, host: &str, deadline: Instant) -> Option<CacheLock> {
        self.ensure_dir().ok()?;
        let file = trust::open_lock(&self.dir.join(format!("{host}.lock"))).ok()?;
        let mut pause = LOCK_POLL_FIRST;
        loop {
            match file.try_lock() {
                Ok(()) => return Some(CacheLock { _file: file }),
                Err(fs::TryLockError::WouldBlock) => {}
                Err(fs::TryLockError::Error(_)) => return None,
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            std::thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(LOCK_POLL_MAX);
        }
    }

    /// Hosts of this identity whose cached tokens may still be served at `now`, sorted.
    pub fn hosts(&self, now: UnixSeconds) -> Vec<String> {
        let mut hosts: Vec<String> = self
            .entries()
            .into_iter()
            .filter(|(_, token)| token.freshness(now) != Freshness::Unusable)
            .map(|(host, _)| host)
            .collect();
        hosts.dedup();
        hosts
    }

    /// Every readable entry of this identity, sorted by host (`list` and `doctor`; doctor shows
    /// hosts and times, never passwords).
    pub fn entries(&self) -> Vec<(String, AuthToken)> {
        let Ok(files) = fs::read_dir(&self.dir) else { return Vec::new() };
        let mut entries: Vec<(String, AuthToken)> = files
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
            .filter_map(|e| read_entry(&e.path()))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries
    }

    /// Checks that entries can be written here: creates the directories and a probe file.
    pub fn check_writable(&self) -> io::Result<()> {
        self.ensure_dir()?;
        let probe = self.dir.join(".doctor-probe");
        write_atomic(&probe, b"probe", 0o600)?;
        fs::remove_file(&probe)
    }

    /// Removes expired and corrupt entries of every identity, and temporary files that dying
    /// writers left behind. Lock files stay: removing one could let two processes hold "the" lock.
    pub fn prune(&self, now: UnixSeconds) {
        let Ok(identities) = fs::read_dir(&self.root) else {
            return;
        };
        for identity in identities.filter_map(Result::ok) {
            let Ok(files) = fs::read_dir(identity.path()) else {
                continue;
            };
            for file in files.filter_map(Result::ok) {
                let name = file.file_name();
                let name = name.to_string_lossy();
                let path = file.path();
                let remove = if name.ends_with(".json") {
                    read_entry(&path).is_none_or(|(_, token)| token.expires_at <= now)
                } else if name.ends_with(".tmp") {
                    file.metadata()
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|modified| SystemTime::now().duration_since(modified).ok())
                        .is_some_and(|age| age > STALE_TEMP_AGE)
                } else {
                    false
                };
                if remove {
                    let _ = fs::remove_file(&path);
                }
            }
        }
    }

    /// Creates `v1/<identity>` with mode 0700, then checks the whole path as
    /// [`Cache::check_trusted`] does (which narrows our own directories if they are wider).
    fn ensure_dir(&self) -> io::Result<()> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&self.dir)?;
        trust::check_path(&self.dir, Some(1))
            .map_err(|untrusted| io::Error::new(io::ErrorKind::PermissionDenied, untrusted.to_string()))
    }
}

fn read_entry(path: &Path) -> Option<(String, AuthToken)> {
    let file = trust::open_entry(path).ok()?;
    if file.metadata().ok()?.len() > MAX_ENTRY_BYTES {
        return None;
    }
    let entry: Entry = serde_json::from_reader(io::BufReader::new(file)).ok()?;
    let token = AuthToken {
        username: entry.username,
        password: Secret::new(entry.password),
        issued_at: entry.issued_at,
        expires_at: entry.expires_at,
    };
    Some((entry.host, token))
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if mode == 0o600 {
        return Ok(());
    }
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// Creates `path` for writing with mode 0600; it must not exist yet (`O_EXCL`, which also refuses
/// to follow a symbolic link there).
fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Writes `bytes` to a fresh temporary file beside `path` (created 0600, given `mode` before it
/// is visible), then renames it over `path`: readers see the old file or the new one, never a torn
/// one. Also used by `configure` for the clients' configuration files.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = path.with_file_name(format!(
        ".{file_name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = create_private(&temp)
        .and_then(|mut file| file.write_all(bytes))
        .and_then(|()| set_mode(&temp, mode))
        .and_then(|()| fs::rename(&temp, path));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// The ownership and mode checks behind [`Cache::check_trusted`], and opening entries and locks
/// without following symbolic links.
#[cfg(unix)]
mod trust {
    use std::fs::{self, File, OpenOptions};
    use std::io;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
    use std::path::{Path, PathBuf};

    use super::Untrusted;

    /// Group and others may write.
    const WRITABLE_BY_OTHERS: u32 = 0o022;
    /// Group and others may do anything at all.
    const OPEN_TO_OTHERS: u32 = 0o077;
    /// The sticky bit: in such a directory only an entry's owner may rename or remove it.
    const STICKY: u32 = 0o1000;
    /// The owner that every user trusts.
    const ROOT: u32 = 0;

    /// The effective user id, the one whose files we may trust.
    fn euid() -> u32 {
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() }
    }

    fn untrusted(path: &Path, reason: impl Into<String>) -> Untrusted {
        Untrusted { path: path.to_path_buf(), reason: reason.into() }
    }

    /// Checks `deepest` and every directory above it, links resolved. Above the cache's `v1/`
    /// (`own_root_up` levels above `deepest`; `None` when `deepest` is above it), each must belong
    /// to us or root and be writable by no one else unless it is sticky; at and below `v1/`, each
    /// must be ours, and is narrowed to 0700 if it is open to others.
    pub(super) fn check_path(deepest: &Path, own_root_up: Option<usize>) -> Result<(), Untrusted> {
        let canonical =
            fs::canonicalize(deepest).map_err(|e| untrusted(deepest, format!("cannot be resolved: {e}")))?;
        let own_root = own_root_up.and_then(|up| canonical.ancestors().nth(up)).map(Path::to_path_buf);
        let uid = euid();
        let mut path = PathBuf::new();
        for component in canonical.components() {
            path.push(component);
            let meta = fs::symlink_metadata(&path).map_err(|e| untrusted(&path, format!("cannot be examined: {e}")))?;
            if !meta.is_dir() {
                // A file where the cache should be: writes fail with a plain error, nothing is read.
                return Ok(());
            }
            let mode = meta.mode();
            if own_root.as_ref().is_some_and(|root| path.starts_with(root)) {
                if meta.uid() != uid {
                    return Err(untrusted(
                        &path,
                        format!("belongs to uid {}, not to this user (uid {uid})", meta.uid()),
                    ));
                }
                if mode & OPEN_TO_OTHERS != 0 {
                    fs::set_permissions(&path, fs::Permissions::from_mode(0o700))
                        .map_err(|e| untrusted(&path, format!("is open to others and cannot be narrowed: {e}")))?;
                }
            } else {
                if meta.uid() != uid && meta.uid() != ROOT {
                    return Err(untrusted(
                        &path,
                        format!("belongs to uid {}, neither this user (uid {uid}) nor root", meta.uid()),
                    ));
                }
                if mode & WRITABLE_BY_OTHERS != 0 && mode & STICKY == 0 {
                    return Err(untrusted(&path, format!("can be written by other users (mode {:o})", mode & 0o7777)));
                }
            }
        }
        Ok(())
    }

    /// Whether an opened file is a regular file of ours that no one else may write.
    fn ours(file: &File) -> io::Result<()> {
        let meta = file.metadata()?;
        if !meta.is_file() || meta.uid() != euid() || meta.mode() & WRITABLE_BY_OTHERS != 0 {
            return Err(io::Error::new(io::ErrorKind::PermissionDenied, "not a private file of this user"));
        }
        Ok(())
    }

    /// Opens an entry for reading; a symbolic link or a file not ours is an error (a miss).
    pub(super) fn open_entry(path: &Path) -> io::Result<File> {
        let file = OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW).open(path)?;
        ours(&file)?;
        Ok(file)
    }

    /// Opens or creates (0600) a lock file without following a symbolic link. A link where the
    /// lock should be (dangling or not) is removed and the lock created in its place, so that no
    /// one can make us create or lock a file elsewhere.
    pub(super) fn open_lock(path: &Path) -> io::Result<File> {
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
}

/// Elsewhere, the platform's own permissions stand guard: plain opens, no ownership checks.
#[cfg(not(unix))]
mod trust {
    use std::fs::{File, OpenOptions};
    use std::io;
    use std::path::Path;

    use super::Untrusted;

    pub(super) fn check_path(_deepest: &Path, _own_root_up: Option<usize>) -> Result<(), Untrusted> {
        Ok(())
    }

    pub(super) fn open_entry(path: &Path) -> io::Result<File> {
        File::open(path)
    }

    pub(super) fn open_lock(path: &Path) -> io::Result<File> {
        OpenOptions::new().write(true).create(true).truncate(false).open(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Identity;

    const NOW: UnixSeconds = 1_800_000_000;
    const HOST: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

    fn fingerprint(key: &str) -> Fingerprint {
        let env: Env = [("AWS_ACCESS_KEY_ID", key)].into_iter().collect();
        Identity::load(&env).fingerprint
    }

    fn token(password: &str, expires_at: UnixSeconds) -> AuthToken {
        AuthToken { username: "AWS".into(), password: Secret::new(password.into()), issued_at: NOW, expires_at }
    }

    #[test]
    fn the_cache_directory_setting_expands_home() {
        let env: Env = [("HOME", "/home/u"), ("AWS_ECR_CACHE_DIR", "~/.ecr")].into_iter().collect();
        assert_eq!(base_dir(&env), Some(PathBuf::from("/home/u/.ecr")));
        let env: Env = [("HOME", "/home/u"), ("AWS_ECR_CACHE_DIR", "/var/cache/ecr")].into_iter().collect();
        assert_eq!(base_dir(&env), Some(PathBuf::from("/var/cache/ecr")));
    }

    #[test]
    fn a_stored_token_reads_back() {
        let base = tempfile::tempdir().unwrap();
        let cache = Cache::new(base.path(), &fingerprint("A"));
        assert_eq!(cache.read(HOST), None);
        let t = token("pw", NOW + 43_200);
        cache.store(HOST, &t).unwrap();
        assert_eq!(cache.read(HOST), Some(t));
    }

    #[test]
    fn identities_do_not_see_each_other() {
        let base = tempfile::tempdir().unwrap();
        let a = Cache::new(base.path(), &fingerprint("A"));
        let b = Cache::new(base.path(), &fingerprint("B"));
        a.store(HOST, &token("pw", NOW + 43_200)).unwrap();
        assert_eq!(b.read(HOST), None);
        assert!(b.hosts(NOW).is_empty());
        assert_eq!(a.hosts(NOW), vec![HOST.to_string()]);
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let base = tempfile::tempdir().unwrap();
        let cache = Cache::new(base.path(), &fingerprint("A"));
        cache.store(HOST, &token("pw", NOW + 43_200)).unwrap();
        let _lock = cache.lock(HOST, Instant::now()).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(cache.dir()), 0o700);
        assert_eq!(mode(&base.path().join(LAYOUT_DIR)), 0o700);
        assert_eq!(mode(&cache.entry_path(HOST)), 0o600);
        assert_eq!(mode(&cache.dir().join(format!("{HOST}.lock"))), 0o600);
    }

    #[test]
    fn corrupt_or_foreign_entries_are_misses() {
        let base = tempfile::tempdir().unwrap();
        let cache = Cache::new(base.path(), &fingerprint("A"));
        cache.store(HOST, &token("pw", NOW + 43_200)).unwrap();
        fs::write(cache.entry_path(HOST), b"{\"host\": tru").unwrap();
        assert_eq!(cache.read(HOST), None);
        // An entry copied under another host's name does not answer for it.
        cache.store("other.example", &token("pw", NOW + 43_200)).unwrap();
        fs::copy(cache.entry_path("other.example"), cache.entry_path(HOST)).unwrap();
        assert_eq!(cache.read(HOST), None);
        cache.store(HOST, &token("pw2", NOW + 43_200)).unwrap();
        assert_eq!(cache.read(HOST).unwrap().password.expose(), "pw2");
    }

    #[test]
    fn list_leaves_out_tokens_that_cannot_be_served() {
        let base = tempfile::tempdir().unwrap();
        let cache = Cache::new(base.path(), &fingerprint("A"));
        cache.store("a.example", &token("pw", NOW + 43_200)).unwrap();
        cache.store("b.example", &token("pw", NOW + 60)).unwrap();
        cache.store("c.example", &token("pw", NOW - 60)).unwrap();
        assert_eq!(cache.hosts(NOW), vec!["a.example".to_string()]);
    }

    #[test]
    fn prune_removes_expired_and_corrupt_entries_of_every_identity() {
        let base = tempfile::tempdir().unwrap();
        let a = Cache::new(base.path(), &fingerprint("A"));
        let b = Cache::new(base.path(), &fingerprint("B"));
        a.store("live.example", &token("pw", NOW + 43_200)).unwrap();
        a.store("dead.example", &token("pw", NOW - 1)).unwrap();
        b.store("dead.example", &token("pw", NOW - 1)).unwrap();
        fs::write(b.entry_path("junk.example"), b"not json").unwrap();
        a.prune(NOW);
        assert!(a.entry_path("live.example").exists());
        assert!(!a.entry_path("dead.example").exists());
        assert!(!b.entry_path("dead.example").exists());
        assert!(!b.entry_path("junk.example").exists());
    }

    #[test]
    fn a_held_lock_makes_others_wait_until_their_deadline() {
        let base = tempfile::tempdir().unwrap();
        let cache = Cache::new(base.path(), &fingerprint("A"));
        let held = cache.lock(HOST, Instant::now()).unwrap();
        let start = Instant::now();
        assert!(cache.lock(HOST, start + Duration::from_millis(50)).is_none());
        assert!(start.elapsed() >= Duration::from_millis(50));
        drop(held);
        assert!(cache.lock(HOST, Instant::now()).is_some());
    }

    #[test]
    fn an_unwritable_directory_gives_no_lock_and_a_store_error() {
        let base = tempfile::tempdir().unwrap();
        let blocker = base.path().join("file");
        fs::write(&blocker, b"").unwrap();
        let cache = Cache::new(&blocker, &fingerprint("A"));
        assert!(cache.lock(HOST, Instant::now()).is_none());
        assert!(cache.store(HOST, &token("pw", NOW + 43_200)).is_err());
        assert!(cache.hosts(NOW).is_empty());
    }
}
