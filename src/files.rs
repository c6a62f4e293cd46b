//! Files that another user could have touched: the token cache, the trace log, the configuration
//! file and the AWS CLI's session cache. One interface, one room per OS behind it, chosen here:
//!
//! - [`write_atomic`]: a fresh private temporary file beside the target, renamed over it; readers
//!   see the old file or the new one. A rename that fails for a reason that passes is tried again
//!   for a bounded while, and the temporary file never outlives a failure.
//! - [`create_private_dir`]: the directory and its missing parents, private from their creation.
//! - [`lock_until`]: a bounded wait for the exclusive lock of a separate lock file, never of the
//!   data (Windows locks are mandatory: a locked entry could not be read or replaced), whose
//!   failures come in classes ([`Locked`]): held by another, or a file system without locks.
//! - [`trust`]: the ownership walk ([`Untrusted`] says why a directory is refused, in this OS's
//!   terms) and the opens of entries, locks, the trace and the configuration file, which never
//!   follow a link where a link could send us to another user's file.
//!
//! What each OS guarantees, promise by promise (Unix; Windows):
//!
//! - What we create is private from its creation: mode 0600 or 0700; a protected DACL with one ACE
//!   that gives the user full control (a directory's ACE is inherited by what is created in it).
//! - A directory or file of another account is refused: the owner must be our effective uid (or
//!   root, above the cache's `v1/`); the owner SID must be the token's user, or BUILTIN\Administrators
//!   when the token is a member of it (above `v1/` also SYSTEM and TrustedInstaller, and the user's
//!   profile directory whoever owns it).
//! - What others can write is refused: a group or other write bit, unless the directory is sticky;
//!   an allow ACE that grants another SID a right to write, remove or re-permit (above `v1/` only
//!   the rights to remove, rename or re-permit entries, which is what the sticky bit guards).
//! - Our own directory left open to others: narrowed to 0700; refused (its access list is not
//!   ours to rewrite).
//! - No-follow opens: `O_NOFOLLOW`; `FILE_FLAG_OPEN_REPARSE_POINT`, then a reparse point is refused.
//! - A rename that fails: fails at once; tried again on sharing violations and access denied
//!   (scanners, and another helper reading the target), a few seconds at most.
//! - Our readers never block a replace: Unix renames over open files; Windows opens for reading
//!   share read, write and delete.
//!
//! Where an OS cannot keep a promise it says so in its room: Windows has no mode, so the `mode`
//! of [`write_atomic`] is Unix's alone and every file written on Windows is the user's alone; a
//! deny ACE is not weighed against an allow ACE, so a directory whose write grant is cancelled by
//! a deny is refused all the same. Any other OS has none of these checks, and says so: every check
//! fails and no file is created, so the cache is not used and nothing is trusted by default.

mod lock;
mod replace;
mod untrusted;

#[cfg_attr(unix, path = "files/unix.rs")]
#[cfg_attr(windows, path = "files/windows.rs")]
#[cfg_attr(not(any(unix, windows)), path = "files/unsupported.rs")]
pub mod trust;

// The room that fails honestly is compiled and tested on every OS, so that it cannot rot.
#[cfg(all(test, any(unix, windows)))]
mod unsupported;

pub use lock::Locked;
pub use trust::{PRIVATE, create_private_dir, lock_until, write_atomic};
pub use untrusted::Untrusted;
