//! The on-disk token cache, and the only user of file locks.
//!
//! Layout, under the cache directory (`$AWS_ECR_CACHE_DIR`, else the platform cache directory):
//!
//! ```text
//! v1/                          0700, the layout version
//!   <identity fingerprint>/    0700, one directory per identity (see `identity`)
//!     <host>.json              0600, one token: {"host","username","password","issued_at","expires_at"}
//!     <host>.lock              0600, the lock that makes one process fetch while the others wait
//!   sessions/                  0700
//!     <session key>.lock       0600, held by the one process that asks for an MFA code (see `mfa`)
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

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::auth_token::{AuthToken, Freshness};
use crate::clock::UnixSeconds;
use crate::env::Env;
use crate::files::{self, Locked, Untrusted, trust, write_atomic};
use crate::identity::Fingerprint;
use crate::secret::Secret;

/// The layout version: a new layout gets a new directory and leaves the old one alone.
const LAYOUT_DIR: &str = "v1";

/// The directory of MFA session locks, beside the identities' directories.
const SESSIONS_DIR: &str = "sessions";

/// An entry file larger than this is not ours: treat it as corrupt rather than read it.
const MAX_ENTRY_BYTES: u64 = 64 * 1024;

/// A temporary file older than this was left by a writer that died; pruning removes it.
const STALE_TEMP_AGE: Duration = Duration::from_secs(10 * 60);

/// Where the cache lives: `$AWS_ECR_CACHE_DIR` if set (a leading `~/` is the home directory, as
/// the Go helper reads it), else the platform cache directory (`$XDG_CACHE_HOME/ecr-login` or
/// `~/.cache/ecr-login` on Linux). `None` when neither is known.
pub fn base_dir(env: &Env) -> Option<PathBuf> {
    if let Some(dir) = env.get("AWS_ECR_CACHE_DIR") {
        return Some(env.expand_home(dir));
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
    root: PathBuf,
    dir: PathBuf,
}

/// A held lock on one registry's entry; released when dropped (closing the file releases flock).
#[derive(Debug)]
pub struct CacheLock {
    _file: File,
}

/// A lock file that failed for a reason other than the file system having no locks.
#[derive(Debug, thiserror::Error)]
#[error("cannot lock {}: {source}", .path.display())]
pub struct LockError {
    /// The lock file.
    pub path: PathBuf,
    /// Why.
    pub source: io::Error,
}

impl Cache {
    /// The cache of `identity` under `base`. Touches nothing on disk.
    pub fn new(base: &Path, identity: &Fingerprint) -> Cache {
        let root = base.join(LAYOUT_DIR);
        let dir = root.join(identity.as_str());
        Cache { root, dir }
    }

    /// The directory of the MFA session locks (`v1/sessions/`), as a cache whose entries are locks
    /// only (see `mfa`): the same checks, the same lock files.
    pub fn for_sessions(base: &Path) -> Cache {
        let root = base.join(LAYOUT_DIR);
        let dir = root.join(SESSIONS_DIR);
        Cache { root, dir }
    }

    /// Checks every directory of the cache that exists so far (see the module docs) and narrows a
    /// directory of ours under `v1/` that an older run left open to others. Call it before the
    /// first read; [`Cache::store`] and [`Cache::lock`] check again after creating directories.
    pub fn check_trusted(&self) -> Result<(), Untrusted> {
        // v1/<identity> is one level below v1, the first directory that must be ours alone.
        trust::check_existing(&self.dir, Some(1))
    }

    /// The directory holding this identity's entries.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of `host`'s entry.
    pub fn entry_path(&self, host: &str) -> PathBuf {
        self.dir.join(format!("{host}.json"))
    }

    /// The cached token for `host`, if there is a readable one. Anything else is a miss.
    pub fn read(&self, host: &str) -> Option<AuthToken> {
        read_entry(&self.entry_path(host)).filter(|entry| entry.host == host).map(|entry| entry.token)
    }

    /// Stores a token for `host`, replacing the old entry atomically.
    pub fn store(&self, host: &str, token: &AuthToken) -> io::Result<()> {
        self.ensure_dir()?;
        write_atomic(&self.entry_path(host), &encode_entry(host, token)?, 0o600)
    }

    /// Takes the lock for `host`, waiting until `deadline` while another process holds it; the
    /// caller bounds that wait, so that a stuck or stopped holder costs a few seconds, not the
    /// whole fetch deadline. `Ok(None)`: no lock, silently, because the file system has none, the
    /// wait ran out, or the directory cannot be made or takes no new file (storing will say so).
    /// `Err`: the lock file failed in another way, which the caller reports. Either way the caller
    /// goes on without a lock, at the cost of an extra API call at worst.
    pub fn lock(&self, host: &str, deadline: Instant) -> Result<Option<CacheLock>, LockError> {
        if self.ensure_dir().is_err() {
            return Ok(None);
        }
        let path = self.dir.join(format!("{host}.lock"));
        let failed = |source| LockError { path: path.clone(), source };
        let file = match trust::open_lock(&path) {
            Ok(file) => file,
            // A file system that takes no new file: storing the token will say so, in one line.
            Err(e) if matches!(e.kind(), io::ErrorKind::ReadOnlyFilesystem | io::ErrorKind::StorageFull) => {
                return Ok(None);
            }
            Err(e) => return Err(failed(e)),
        };
        match files::lock_until(&file, deadline).map_err(failed)? {
            Locked::Held => Ok(Some(CacheLock { _file: file })),
            Locked::Unsupported | Locked::Contended => Ok(None),
        }
    }

    /// Hosts of this identity whose cached tokens may still be served at `now`, sorted.
    pub fn hosts(&self, now: UnixSeconds) -> Vec<String> {
        let mut hosts: Vec<String> = self
            .entries()
            .into_iter()
            .filter(|entry| entry.token.freshness(now) != Freshness::Unusable)
            .map(|entry| entry.host)
            .collect();
        hosts.dedup();
        hosts
    }

    /// Every readable entry of this identity, sorted by host (`list` and `doctor`; doctor shows
    /// hosts and times, never passwords).
    pub fn entries(&self) -> Vec<CachedToken> {
        let Ok(files) = fs::read_dir(&self.dir) else { return Vec::new() };
        let mut entries: Vec<CachedToken> = files
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
            .filter_map(|e| read_entry(&e.path()))
            .collect();
        entries.sort_by(|a, b| a.host.cmp(&b.host));
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
        // Temporary files are aged by the file system's clock, not ours: our own directory was
        // changed just now by the store that comes before every prune. Aged by our clock, a clock
        // ahead of the file system's (a resumed VM, a file server, libfaketime in the soak) would
        // make every writer's temporary file look stale, and one process would remove another's
        // before its rename.
        let fs_now = fs::metadata(&self.dir).and_then(|m| m.modified()).ok();
        for identity in identities.filter_map(Result::ok) {
            let Ok(files) = fs::read_dir(identity.path()) else {
                continue;
            };
            for file in files.filter_map(Result::ok) {
                let name = file.file_name();
                let name = name.to_string_lossy();
                let path = file.path();
                let remove = if name.ends_with(".json") {
                    read_entry(&path).is_none_or(|entry| entry.token.expires_at <= now)
                } else if name.ends_with(".tmp") {
                    let modified = file.metadata().and_then(|m| m.modified()).ok();
                    fs_now
                        .zip(modified)
                        .and_then(|(fs_now, modified)| fs_now.duration_since(modified).ok())
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
        files::create_private_dir(&self.dir)?;
        trust::check_path(&self.dir, Some(1))
            .map_err(|untrusted| io::Error::new(io::ErrorKind::PermissionDenied, untrusted.to_string()))
    }
}

/// One entry as read back: the host it is for and its token.
#[derive(Debug, PartialEq, Eq)]
pub struct CachedToken {
    /// The host the entry names inside it, which `Cache::read` checks against the file's name.
    pub host: String,
    /// The token.
    pub token: AuthToken,
}

/// Reads an entry in one call of its length. Entries are replaced by renaming, never rewritten in
/// place, so the file opened keeps the length it had when opened; one that changed anyway is a miss.
fn read_entry(path: &Path) -> Option<CachedToken> {
    let (mut file, len) = trust::open_entry(path).ok()?;
    if len > MAX_ENTRY_BYTES {
        return None;
    }
    let mut bytes = vec![0; usize::try_from(len).ok()?];
    file.read_exact(&mut bytes).ok()?;
    decode_entry(&bytes)
}

/// An entry file's bytes → its host and token; `None` for anything this version did not write
/// (too large, not JSON, a field missing or of another type).
pub fn decode_entry(bytes: &[u8]) -> Option<CachedToken> {
    if bytes.len() as u64 > MAX_ENTRY_BYTES {
        return None;
    }
    let entry: Entry = serde_json::from_slice(bytes).ok()?;
    let token = AuthToken {
        username: entry.username,
        password: Secret::new(entry.password),
        issued_at: entry.issued_at,
        expires_at: entry.expires_at,
    };
    Some(CachedToken { host: entry.host, token })
}

/// The bytes of the entry file for `host`: what [`decode_entry`] reads back.
pub fn encode_entry(host: &str, token: &AuthToken) -> io::Result<Vec<u8>> {
    let entry = Entry {
        host: host.to_string(),
        username: token.username.clone(),
        password: token.password.expose().clone(),
        issued_at: token.issued_at,
        expires_at: token.expires_at,
    };
    serde_json::to_vec(&entry).map_err(io::Error::other)
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
    fn entries_and_locks_are_0600_in_0700_directories() {
        use std::os::unix::fs::PermissionsExt;
        let base = tempfile::tempdir().unwrap();
        let cache = Cache::new(base.path(), &fingerprint("A"));
        cache.store(HOST, &token("pw", NOW + 43_200)).unwrap();
        let _lock = cache.lock(HOST, Instant::now()).unwrap().unwrap();
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
    fn a_temporary_file_is_aged_by_the_file_systems_clock_not_ours() {
        let base = tempfile::tempdir().unwrap();
        let cache = Cache::new(base.path(), &fingerprint("A"));
        cache.store(HOST, &token("pw", NOW + 43_200)).unwrap();
        let in_flight = cache.dir().join(format!(".{HOST}.json.4242.0.tmp"));
        fs::write(&in_flight, b"{").unwrap();
        // Our clock a day ahead: the file is seconds old all the same, and another writer's.
        cache.store("other.example", &token("pw", NOW + 43_200 + 86_400)).unwrap();
        cache.prune(NOW + 86_400);
        assert!(in_flight.exists(), "a writer's temporary file was removed under it");
    }

    #[test]
    fn a_held_lock_makes_others_wait_until_their_deadline() {
        let base = tempfile::tempdir().unwrap();
        let cache = Cache::new(base.path(), &fingerprint("A"));
        let held = cache.lock(HOST, Instant::now()).unwrap().unwrap();
        let start = Instant::now();
        assert!(cache.lock(HOST, start + Duration::from_millis(50)).unwrap().is_none());
        assert!(start.elapsed() >= Duration::from_millis(50));
        drop(held);
        assert!(cache.lock(HOST, Instant::now()).unwrap().is_some());
    }

    #[test]
    fn an_unwritable_directory_gives_no_lock_and_a_store_error() {
        let base = tempfile::tempdir().unwrap();
        let blocker = base.path().join("file");
        fs::write(&blocker, b"").unwrap();
        let cache = Cache::new(&blocker, &fingerprint("A"));
        assert!(cache.lock(HOST, Instant::now()).unwrap().is_none());
        assert!(cache.store(HOST, &token("pw", NOW + 43_200)).is_err());
        assert!(cache.hosts(NOW).is_empty());
    }
}
