//! Windows: owner SIDs and access lists, read and written through the Win32 security API.
//!
//! - What we create gets, in the call that creates it (`CreateFileW`, `CreateDirectoryW`), a
//!   security descriptor whose DACL is protected (nothing inherited from the parent) and holds one
//!   ACE: the token's user, full control. A directory's ACE is inherited by what is created in it.
//! - The ownership walk is Unix's with SIDs for uids (gitoxide's `gix-sec` `identity.rs` is the
//!   model for whose a path is): see [`check_path`]. An access list is read as the allow ACEs that
//!   apply to the object itself; inherit-only ACEs apply to children and are skipped. A deny ACE
//!   is not weighed against them: working out effective access would take the whole of
//!   `AccessCheck` for every other account, so a grant that a deny cancels is refused all the same.
//! - Entries, locks and the trace are opened with `FILE_FLAG_OPEN_REPARSE_POINT`, which opens a
//!   symbolic link or junction itself instead of its target, and such a file is then refused, as
//!   `O_NOFOLLOW` does on Unix. Data files are opened sharing read, write and delete, so that our
//!   readers never block another process's replace.
//! - Locks are std's (`LockFileEx`), and mandatory: only the separate lock file is ever locked.
//! - A rename fails while another process holds the target open without sharing delete (a virus
//!   scanner, or another helper reading it): the replace is tried again for a bounded while.
//!
//! What Windows cannot say as Unix does: there is no mode, so the `mode` a caller passes is not
//! used and every file we write is the user's alone; there is no sticky bit, so above the cache's
//! own directories the rights that let another account remove, rename or re-permit entries are
//! what is refused, while the right to add entries (as on `C:\`) is allowed.

use std::ffi::c_void;
use std::fs::{self, File};
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::fs::MetadataExt;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::path::{Component, Path, PathBuf};
use std::ptr;
use std::sync::OnceLock;
use std::time::Instant;

use windows_sys::Win32::Foundation::{
    ERROR_ACCESS_DENIED, ERROR_ALREADY_EXISTS, ERROR_INVALID_FUNCTION, ERROR_LOCK_VIOLATION, ERROR_NOT_SUPPORTED,
    ERROR_SHARING_VIOLATION, GENERIC_ALL, GENERIC_READ, GENERIC_WRITE, HANDLE, INVALID_HANDLE_VALUE, LocalFree,
};
use windows_sys::Win32::Security::Authorization::{GetSecurityInfo, SE_FILE_OBJECT};
use windows_sys::Win32::Security::{
    ACCESS_ALLOWED_ACE, ACE_HEADER, ACL, ACL_REVISION, AddAccessAllowedAceEx, CONTAINER_INHERIT_ACE,
    CheckTokenMembership, DACL_SECURITY_INFORMATION, GetAce, GetLengthSid, GetTokenInformation, INHERIT_ONLY_ACE,
    InitializeAcl, InitializeSecurityDescriptor, OBJECT_INHERIT_ACE, OWNER_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR,
    PSID, SE_DACL_PROTECTED, SECURITY_ATTRIBUTES, SECURITY_DESCRIPTOR, SetSecurityDescriptorControl,
    SetSecurityDescriptorDacl, SetSecurityDescriptorOwner, TOKEN_QUERY, TOKEN_USER, TokenUser,
};
use windows_sys::Win32::Storage::FileSystem::{
    CREATE_NEW, CreateDirectoryW, CreateFileW, DELETE, FILE_ALL_ACCESS, FILE_APPEND_DATA, FILE_ATTRIBUTE_NORMAL,
    FILE_ATTRIBUTE_REPARSE_POINT, FILE_DELETE_CHILD, FILE_FLAG_BACKUP_SEMANTICS, FILE_FLAG_OPEN_REPARSE_POINT,
    FILE_READ_ATTRIBUTES, FILE_SHARE_DELETE, FILE_SHARE_READ, FILE_SHARE_WRITE, FILE_WRITE_ATTRIBUTES, FILE_WRITE_DATA,
    FILE_WRITE_EA, OPEN_ALWAYS, OPEN_EXISTING, READ_CONTROL, SYNCHRONIZE, WRITE_DAC, WRITE_OWNER,
};
use windows_sys::Win32::System::SystemServices::SECURITY_DESCRIPTOR_REVISION;
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

use super::lock::{self, LockFailure, Locked};
use super::replace;
use super::untrusted::Untrusted;

/// What the user can do about a directory the walk refuses.
const REMEDY: &str = "make it yours and remove other accounts' write access (its Properties, Security tab, or icacls), \
                      or set AWS_ECR_CACHE_DIR to a directory that only you can write";

/// Rights that change a file or directory, its entries, or who may: no account but the trusted
/// ones may hold any of them on what is ours alone.
const MODIFY_RIGHTS: u32 = FILE_WRITE_DATA
    | FILE_APPEND_DATA
    | FILE_WRITE_EA
    | FILE_WRITE_ATTRIBUTES
    | FILE_DELETE_CHILD
    | DELETE
    | WRITE_DAC
    | WRITE_OWNER
    | GENERIC_WRITE
    | GENERIC_ALL;

/// Rights over a directory above the cache's own that let an account remove, rename or re-permit
/// what is in it, or the directory itself. Adding files and subdirectories (`FILE_ADD_FILE`,
/// `FILE_ADD_SUBDIRECTORY`, which every user has on `C:\`) is left out as the sticky bit leaves
/// out writing to `/tmp`: whoever adds an entry owns it, and the walk refuses an entry of another.
const REPLACE_RIGHTS: u32 = FILE_DELETE_CHILD | DELETE | WRITE_DAC | WRITE_OWNER | GENERIC_ALL;

/// The ACE types that grant access (plain, compound, object, callback and callback object).
const ALLOW_ACE_TYPES: [u8; 5] = [0, 4, 5, 9, 11];
/// The ACE types whose SID follows the mask directly (plain and callback allow).
const SID_AFTER_MASK_ACE_TYPES: [u8; 2] = [0, 9];

/// A security identifier, as its bytes: revision, count of subauthorities, the 48-bit authority,
/// then the subauthorities (little-endian).
#[derive(Clone, PartialEq, Eq)]
struct Sid(Vec<u8>);

/// NT AUTHORITY\SYSTEM (S-1-5-18), the account of the OS itself: like root, whoever controls it
/// controls the machine, so what it owns or may write is trusted.
fn system() -> Sid {
    Sid::new(5, &[18])
}

/// BUILTIN\Administrators (S-1-5-32-544): its members can take any file on the machine, so, like
/// root, it is trusted; what it owns counts as the user's own only when the token is a member
/// (an elevated administrator's files are owned by the group, not the user).
fn administrators() -> Sid {
    Sid::new(5, &[32, 544])
}

/// NT SERVICE\TrustedInstaller, the OS's servicing account, which owns system folders (`C:\`
/// among them): only the OS runs as it.
fn trusted_installer() -> Sid {
    Sid::new(5, &[80, 956_008_885, 3_418_522_649, 1_831_038_044, 1_853_292_631, 2_271_478_464])
}

/// OWNER RIGHTS (S-1-3-4): an ACE for it grants the object's owner, whom the walk has checked.
fn owner_rights() -> Sid {
    Sid::new(3, &[4])
}

impl Sid {
    /// S-1-`authority`-`subauthorities`.
    fn new(authority: u8, subauthorities: &[u32]) -> Sid {
        let mut bytes = vec![1, u8::try_from(subauthorities.len()).unwrap_or(u8::MAX), 0, 0, 0, 0, 0, authority];
        for sub in subauthorities {
            bytes.extend(sub.to_le_bytes());
        }
        Sid(bytes)
    }

    /// A copy of the SID at `sid`.
    ///
    /// # Safety
    /// `sid` points to a valid SID.
    unsafe fn copy(sid: PSID) -> Sid {
        // SAFETY: a valid SID is GetLengthSid bytes long.
        unsafe {
            let length = GetLengthSid(sid) as usize;
            Sid(std::slice::from_raw_parts(sid.cast::<u8>(), length).to_vec())
        }
    }

    /// The pointer the API takes; the API only reads through it.
    fn as_psid(&self) -> PSID {
        self.0.as_ptr().cast_mut().cast()
    }

    /// The account's name when it is one every Windows has.
    fn well_known_name(&self) -> Option<&'static str> {
        [
            (Sid::new(1, &[0]), "Everyone"),
            (Sid::new(5, &[11]), "Authenticated Users"),
            (Sid::new(5, &[32, 545]), "Users"),
            (Sid::new(5, &[32, 546]), "Guests"),
            (system(), "SYSTEM"),
            (administrators(), "Administrators"),
            (trusted_installer(), "TrustedInstaller"),
        ]
        .into_iter()
        .find_map(|(sid, name)| (sid == *self).then_some(name))
    }
}

impl std::fmt::Display for Sid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bytes = &self.0;
        let authority = bytes.get(2..8).map_or(0, |a| a.iter().fold(0_u64, |n, b| n << 8 | u64::from(*b)));
        write!(f, "S-{}-{authority}", bytes.first().copied().unwrap_or(0))?;
        for sub in bytes.get(8..).unwrap_or_default().chunks_exact(4) {
            write!(f, "-{}", u32::from_le_bytes([sub[0], sub[1], sub[2], sub[3]]))?;
        }
        if let Some(name) = self.well_known_name() {
            write!(f, " ({name})")?;
        }
        Ok(())
    }
}

/// A call that reports failure by returning zero, and its reason in the thread's last error.
fn check(result: i32) -> io::Result<()> {
    if result == 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
}

/// The user of this process's token: the SID whose files we trust. Asked once.
fn user() -> io::Result<&'static Sid> {
    static USER: OnceLock<Sid> = OnceLock::new();
    if let Some(user) = USER.get() {
        return Ok(user);
    }
    let mut token: HANDLE = ptr::null_mut();
    // SAFETY: GetCurrentProcess is a pseudo-handle; token is written on success.
    check(unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &raw mut token) })?;
    // SAFETY: the handle was just opened, and is closed when this value drops.
    let token = unsafe { OwnedHandle::from_raw_handle(token) };
    let mut length = 0_u32;
    // SAFETY: a null buffer of length 0 asks for the length only (the call fails, as it should).
    unsafe { GetTokenInformation(token.as_raw_handle(), TokenUser, ptr::null_mut(), 0, &raw mut length) };
    // u64s, so that the TOKEN_USER at its start is aligned.
    let mut buffer = vec![0_u64; (length as usize).div_ceil(8)];
    // SAFETY: the buffer holds `length` bytes.
    check(unsafe {
        GetTokenInformation(token.as_raw_handle(), TokenUser, buffer.as_mut_ptr().cast(), length, &raw mut length)
    })?;
    // SAFETY: on success the buffer starts with a TOKEN_USER whose SID points into the buffer.
    let sid = unsafe { Sid::copy((*buffer.as_ptr().cast::<TOKEN_USER>()).User.Sid) };
    Ok(USER.get_or_init(|| sid))
}

/// Whether the token is a member of Administrators (an elevated administrator's). Asked once.
fn in_administrators() -> bool {
    static MEMBER: OnceLock<bool> = OnceLock::new();
    *MEMBER.get_or_init(|| {
        let mut member = 0;
        // SAFETY: a null token means this thread's or process's; the SID is valid and only read.
        let asked = unsafe { CheckTokenMembership(ptr::null_mut(), administrators().as_psid(), &raw mut member) };
        asked != 0 && member != 0
    })
}

/// One ACE that grants access to the object itself.
struct Grant {
    /// Its SID; `None` for an ACE type whose SID sits elsewhere (object ACEs).
    sid: Option<Sid>,
    mask: u32,
}

/// The owner and the access list of a file or directory.
struct Security {
    owner: Sid,
    /// The allow ACEs that apply to the object itself; `None` for a null DACL (anyone may do anything).
    grants: Option<Vec<Grant>>,
}

/// Frees what the security API allocated for us.
struct LocalBox(*mut c_void);

impl Drop for LocalBox {
    fn drop(&mut self) {
        // SAFETY: the pointer came from the API, which says to free it with LocalFree, once.
        unsafe { LocalFree(self.0) };
    }
}

/// Reads the owner and DACL of an open file or directory (opened with `READ_CONTROL`).
fn security_of(file: &File) -> io::Result<Security> {
    let (mut owner, mut dacl, mut descriptor): (PSID, *mut ACL, PSECURITY_DESCRIPTOR) =
        (ptr::null_mut(), ptr::null_mut(), ptr::null_mut());
    // SAFETY: the handle is open; the out-pointers are written on success, pointing into the
    // descriptor, which is freed when `_descriptor` drops, after everything is copied out of it.
    let code = unsafe {
        GetSecurityInfo(
            file.as_raw_handle(),
            SE_FILE_OBJECT,
            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
            &raw mut owner,
            ptr::null_mut(),
            &raw mut dacl,
            ptr::null_mut(),
            &raw mut descriptor,
        )
    };
    if code != 0 {
        return Err(io::Error::from_raw_os_error(i32::try_from(code).unwrap_or(i32::MAX)));
    }
    let _descriptor = LocalBox(descriptor);
    if owner.is_null() {
        return Err(io::Error::other("it has no owner"));
    }
    // SAFETY: both point into the live descriptor.
    let (owner, grants) = unsafe { (Sid::copy(owner), (!dacl.is_null()).then(|| grants_of(dacl))) };
    Ok(Security { owner, grants })
}

/// The allow ACEs of `dacl` that apply to the object itself.
///
/// # Safety
/// `dacl` points to a valid ACL.
unsafe fn grants_of(dacl: *const ACL) -> Vec<Grant> {
    let mut grants = Vec::new();
    // SAFETY: the ACL is valid, and GetAce gives pointers to its ACEs, each starting with a header
    // and a mask, and for the plain and callback allow types the SID right after the mask.
    unsafe {
        for index in 0..u32::from((*dacl).AceCount) {
            let mut ace: *mut c_void = ptr::null_mut();
            if GetAce(dacl, index, &raw mut ace) == 0 {
                continue;
            }
            let header = &*ace.cast::<ACE_HEADER>();
            if !ALLOW_ACE_TYPES.contains(&header.AceType) || u32::from(header.AceFlags) & INHERIT_ONLY_ACE != 0 {
                continue;
            }
            let allowed = ace.cast::<ACCESS_ALLOWED_ACE>();
            let sid = SID_AFTER_MASK_ACE_TYPES
                .contains(&header.AceType)
                .then(|| Sid::copy((&raw const (*allowed).SidStart).cast_mut().cast()));
            grants.push(Grant { sid, mask: (*allowed).Mask });
        }
    }
    grants
}

/// Whether `sid` is one we trust to write anything of ours: the user, SYSTEM, Administrators,
/// TrustedInstaller (see their functions for why), and OWNER RIGHTS (the owner, checked apart).
fn trusted_writer(sid: &Sid, user: &Sid) -> bool {
    sid == user || *sid == system() || *sid == administrators() || *sid == trusted_installer() || *sid == owner_rights()
}

/// The first account other than the trusted ones that holds one of `rights`, as it is to be
/// named; `None` when there is none.
fn other_writer(security: &Security, rights: u32, user: &Sid) -> Option<String> {
    let Some(grants) = &security.grants else {
        return Some("everyone (it has no access list at all)".into());
    };
    grants.iter().filter(|grant| grant.mask & rights != 0).find_map(|grant| match &grant.sid {
        Some(sid) if trusted_writer(sid, user) => None,
        Some(sid) => Some(sid.to_string()),
        None => Some("an account named in an object ACE".into()),
    })
}

/// Whether what `owner` owns is ours alone: the user's, or Administrators' when we are a member.
fn owned_by_us(owner: &Sid, user: &Sid) -> bool {
    owner == user || (*owner == administrators() && in_administrators())
}

/// Whether `owner` may own a directory above the cache's own: us, or the OS's own accounts.
fn owned_by_us_or_system(owner: &Sid, user: &Sid) -> bool {
    owned_by_us(owner, user) || [system(), administrators(), trusted_installer()].contains(owner)
}

/// Whether `path` is the user's profile directory, which counts as theirs whoever owns it (it is
/// created by the system for them, and is often owned by SYSTEM or an old copy of their SID).
fn is_profile(path: &Path) -> bool {
    let Some(home) = std::env::home_dir() else { return false };
    matches!((fs::canonicalize(path), fs::canonicalize(home)), (Ok(a), Ok(b)) if a == b)
}

/// `path` as the API takes it: UTF-16, ending in a zero.
fn wide(path: &Path) -> io::Result<Vec<u16>> {
    let mut wide: Vec<u16> = path.as_os_str().encode_wide().collect();
    if wide.contains(&0) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "the path holds a NUL character"));
    }
    wide.push(0);
    Ok(wide)
}

/// A security descriptor that makes what is created with it the user's alone: the user as owner,
/// and a protected DACL whose one ACE gives the user full control (inherited by what a directory
/// holds when `inherit`).
struct Private {
    descriptor: SECURITY_DESCRIPTOR,
    /// The ACL the descriptor points to (u64s, so that it is aligned).
    _acl: Vec<u64>,
}

impl Private {
    fn new(inherit: bool) -> io::Result<Private> {
        let user = user()?;
        let length = size_of::<ACL>() + size_of::<ACCESS_ALLOWED_ACE>() - size_of::<u32>() + user.0.len();
        let mut acl = vec![0_u64; length.div_ceil(8)];
        let acl_ptr = acl.as_mut_ptr().cast::<ACL>();
        let flags = if inherit { OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE } else { 0 };
        // SAFETY: a zeroed descriptor is what InitializeSecurityDescriptor expects to fill in.
        let mut descriptor: SECURITY_DESCRIPTOR = unsafe { std::mem::zeroed() };
        let at: PSECURITY_DESCRIPTOR = (&raw mut descriptor).cast();
        // SAFETY: the ACL buffer is `length` bytes (the ACL and one ACE with the user's SID); the
        // descriptor is in absolute form and points to the user's SID, which is static, and to
        // the ACL, which lives as long as it (a Vec's buffer stays put when the Vec moves).
        unsafe {
            check(InitializeAcl(acl_ptr, u32::try_from(length).unwrap_or(u32::MAX), ACL_REVISION))?;
            check(AddAccessAllowedAceEx(acl_ptr, ACL_REVISION, flags, FILE_ALL_ACCESS, user.as_psid()))?;
            check(InitializeSecurityDescriptor(at, SECURITY_DESCRIPTOR_REVISION))?;
            // The user owns it even in an elevated process, whose default owner is Administrators:
            // the same user, not elevated, would find the cache another account's otherwise.
            check(SetSecurityDescriptorOwner(at, user.as_psid(), 0))?;
            check(SetSecurityDescriptorDacl(at, 1, acl_ptr, 0))?;
            check(SetSecurityDescriptorControl(at, SE_DACL_PROTECTED, SE_DACL_PROTECTED))?;
        }
        Ok(Private { descriptor, _acl: acl })
    }

    /// The attributes to create with; valid while `self` is.
    fn attributes(&mut self) -> SECURITY_ATTRIBUTES {
        SECURITY_ATTRIBUTES {
            nLength: u32::try_from(size_of::<SECURITY_ATTRIBUTES>()).unwrap_or(u32::MAX),
            lpSecurityDescriptor: (&raw mut self.descriptor).cast(),
            bInheritHandle: 0,
        }
    }
}

/// Opens or creates `path` (`disposition`) with `access`, sharing read, write and delete so that
/// no reader of ours blocks another's replace; a file it creates gets `private`'s descriptor.
fn open(path: &Path, access: u32, disposition: u32, flags: u32, private: Option<&mut Private>) -> io::Result<File> {
    let name = wide(path)?;
    let attributes = private.map(Private::attributes);
    let attributes_ptr = attributes.as_ref().map_or(ptr::null(), ptr::from_ref);
    // SAFETY: the name ends in a zero; the attributes, when given, point to a live descriptor.
    let handle = unsafe {
        CreateFileW(
            name.as_ptr(),
            access,
            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
            attributes_ptr,
            disposition,
            flags,
            ptr::null_mut(),
        )
    };
    if handle == INVALID_HANDLE_VALUE {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the handle was just opened and is owned by the File from now on.
    Ok(unsafe { File::from_raw_handle(handle) })
}

/// Whether an open file is a reparse point (a symbolic link or a junction) itself.
fn is_reparse_point(meta: &fs::Metadata) -> bool {
    meta.file_attributes() & FILE_ATTRIBUTE_REPARSE_POINT != 0
}

/// Why a file we open is not ours alone, if it is not: a reparse point, not a regular file,
/// another's, or writable by another account.
fn ours(file: &File) -> io::Result<u64> {
    let meta = file.metadata()?;
    if is_reparse_point(&meta) {
        return Err(io::Error::other("it is a link (a reparse point), and is never followed"));
    }
    if !meta.is_file() {
        return Err(io::Error::new(io::ErrorKind::PermissionDenied, "it is not a regular file"));
    }
    let (security, user) = (security_of(file)?, user()?);
    if !owned_by_us(&security.owner, user) {
        let owner = &security.owner;
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("it belongs to {owner}, not to this user ({user})"),
        ));
    }
    if let Some(writer) = other_writer(&security, MODIFY_RIGHTS, user) {
        return Err(io::Error::new(io::ErrorKind::PermissionDenied, format!("{writer} can write it")));
    }
    Ok(meta.len())
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
    /// A component is a reparse point (a link or a junction); the directories above it passed.
    Link,
}

/// How a private directory of ours is described to the user (doctor): a protected DACL that grants the user alone.
pub const PRIVATE: &str = "owner-only";

/// Checks `deepest` and every directory above it, links resolved. Above the cache's `v1/`
/// (`own_root_up` levels above `deepest`; `None` when `deepest` is above it), each must be owned
/// by us, SYSTEM, Administrators or TrustedInstaller (or be the user's profile directory), and
/// grant no other account the rights to remove, rename or re-permit its entries; at and below
/// `v1/`, each must be ours (or Administrators' when we are a member) and grant no other account
/// any right to write.
///
/// Each directory is opened without following a reparse point, and its descriptor read from that
/// handle; the walk resolves the path (`canonicalize`) only when it meets a reparse point.
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

/// An absolute path (a drive or share and a root) without `..`: unless a component is a reparse
/// point, it is its own canonical form.
fn is_plain(path: &Path) -> bool {
    path.is_absolute() && !path.components().any(|c| c == Component::ParentDir)
}

/// Walks `path` from its root, checking each directory as [`check_path`] says, until the end, a
/// missing component or a reparse point.
fn walk(path: &Path, own_root_up: Option<usize>) -> Result<Walked, Untrusted> {
    let own_root = own_root_up.and_then(|up| path.ancestors().nth(up));
    let mut at = PathBuf::with_capacity(path.as_os_str().len());
    for component in path.components() {
        at.push(component);
        // `C:` alone names the drive's current directory, not its root: the root comes next.
        if matches!(component, Component::Prefix(_)) {
            continue;
        }
        let flags = FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT;
        let directory = match open(&at, READ_CONTROL | FILE_READ_ATTRIBUTES, OPEN_EXISTING, flags, None) {
            Ok(directory) => directory,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Walked::Missing),
            Err(e) => return Err(untrusted(&at, format!("cannot be examined: {e}"))),
        };
        let meta = directory.metadata().map_err(|e| untrusted(&at, format!("cannot be examined: {e}")))?;
        if is_reparse_point(&meta) {
            return Ok(Walked::Link);
        }
        if !meta.is_dir() {
            // A file where the cache should be: writes fail with a plain error, nothing is read.
            return Ok(Walked::Whole);
        }
        check_directory(&at, &directory, own_root.is_some_and(|root| at.starts_with(root)))?;
    }
    Ok(Walked::Whole)
}

/// One directory of the walk, as [`check_path`] says.
fn check_directory(path: &Path, directory: &File, own: bool) -> Result<(), Untrusted> {
    let security = security_of(directory).map_err(|e| untrusted(path, format!("cannot be examined: {e}")))?;
    let user = user().map_err(|e| untrusted(path, format!("cannot be examined: this user is unknown: {e}")))?;
    let owner = &security.owner;
    if own {
        if !owned_by_us(owner, user) {
            return Err(untrusted(path, format!("belongs to {owner}, not to this user ({user})")));
        }
        if let Some(writer) = other_writer(&security, MODIFY_RIGHTS, user) {
            return Err(untrusted(path, format!("can be written by {writer}")));
        }
    } else {
        if !owned_by_us_or_system(owner, user) && !is_profile(path) {
            return Err(untrusted(path, format!("belongs to {owner}, neither this user ({user}) nor the system")));
        }
        if let Some(writer) = other_writer(&security, REPLACE_RIGHTS, user) {
            return Err(untrusted(path, format!("lets {writer} remove or rename what is in it")));
        }
    }
    Ok(())
}

/// Opens an entry for reading, sharing it with writers and deleters; a reparse point or a file not
/// ours alone is an error (a miss). Returns its length, so that it is read in one call.
pub fn open_entry(path: &Path) -> io::Result<(File, u64)> {
    let file = open(path, GENERIC_READ, OPEN_EXISTING, FILE_FLAG_OPEN_REPARSE_POINT, None)?;
    let len = ours(&file)?;
    Ok((file, len))
}

/// Opens a configuration file that decides whose credentials are used: links are followed
/// (dotfile managers link it), but the file itself must belong to us or the system and be
/// writable by no other account, or another user could send our credentials anywhere. Returns
/// its length, so that it is read in one call.
pub fn open_config(path: &Path) -> io::Result<(File, u64)> {
    let file = open(path, GENERIC_READ, OPEN_EXISTING, 0, None)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other("it is not a regular file"));
    }
    let (security, user) = (security_of(&file)?, user()?);
    if !owned_by_us_or_system(&security.owner, user) {
        return Err(io::Error::other(format!(
            "it belongs to {}, neither this user ({user}) nor the system; take ownership of it",
            security.owner
        )));
    }
    if let Some(writer) = other_writer(&security, MODIFY_RIGHTS, user) {
        return Err(io::Error::other(format!(
            "{writer} can write it; remove that access (its Properties, Security tab, or icacls)"
        )));
    }
    Ok((file, meta.len()))
}

/// Opens or creates (the user's alone) a file to append to, without following a reparse point;
/// it must be a regular file of ours that no one else can write (the `ECR_LOGIN_DEBUG` trace).
pub fn open_log(path: &Path) -> io::Result<File> {
    let access = FILE_APPEND_DATA | FILE_READ_ATTRIBUTES | READ_CONTROL | SYNCHRONIZE;
    let file = open(path, access, OPEN_ALWAYS, FILE_FLAG_OPEN_REPARSE_POINT, Some(&mut Private::new(false)?))?;
    if is_reparse_point(&file.metadata()?) {
        return Err(io::Error::other("it is a link (a reparse point), and the trace never follows one"));
    }
    ours(&file)?;
    Ok(file)
}

/// Opens or creates (the user's alone) a lock file without following a reparse point. A link
/// where the lock should be is removed and the lock created in its place, so that no one can
/// make us create or lock a file elsewhere.
pub fn open_lock(path: &Path) -> io::Result<File> {
    let mut private = Private::new(false)?;
    let mut open_lock =
        || open(path, GENERIC_READ | GENERIC_WRITE, OPEN_ALWAYS, FILE_FLAG_OPEN_REPARSE_POINT, Some(&mut private));
    let mut file = open_lock()?;
    if is_reparse_point(&file.metadata()?) {
        drop(file);
        // A link to a directory is removed as a directory.
        fs::remove_file(path).or_else(|_| fs::remove_dir(path))?;
        file = open_lock()?;
    }
    ours(&file)?;
    Ok(file)
}

/// Creates `dir` and its missing parents, each the user's alone from its creation (its ACE is
/// inherited by what is created in it).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let missing: Vec<&Path> =
        dir.ancestors().take_while(|p| !p.as_os_str().is_empty() && fs::metadata(p).is_err()).collect();
    let mut private = Private::new(true)?;
    for path in missing.into_iter().rev() {
        let name = wide(path)?;
        let attributes = private.attributes();
        // SAFETY: the name ends in a zero; the attributes point to a live descriptor.
        if unsafe { CreateDirectoryW(name.as_ptr(), &raw const attributes) } == 0 {
            let error = io::Error::last_os_error();
            // Another process made it first: as good, if it is a directory (the walk checks whose).
            if !(error.raw_os_error() == Some(ERROR_ALREADY_EXISTS.cast_signed()) && path.is_dir()) {
                return Err(error);
            }
        }
    }
    if dir.is_dir() {
        Ok(())
    } else {
        Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("{} is not a directory", dir.display())))
    }
}

/// Creates `path` for writing, the user's alone; it must not exist yet (`CREATE_NEW`, which also
/// refuses a link there). Windows has no mode: `mode` is not used.
fn create_private(path: &Path, _mode: u32) -> io::Result<File> {
    open(path, GENERIC_WRITE | READ_CONTROL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, Some(&mut Private::new(false)?))
}

/// Whether a rename or removal may succeed shortly: another process (a virus scanner, another
/// helper reading the file) has it open without sharing delete, or holds it in another way that
/// Windows reports as access denied.
fn transient(error: &io::Error) -> bool {
    let code = error.raw_os_error().and_then(|code| u32::try_from(code).ok());
    matches!(code, Some(ERROR_SHARING_VIOLATION | ERROR_ACCESS_DENIED))
}

/// Writes `bytes` to a fresh temporary file beside `path` (the user's alone), then renames it over
/// `path`, trying again for a bounded while (see `replace`) while another process holds `path`.
/// `mode` is Unix's; on Windows every file written is the user's alone.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    replace::write_atomic(path, bytes, mode, &replace::Os { create_private, transient })
}

/// Takes `file`'s exclusive lock (`LockFileEx` through std), waiting until `deadline` while
/// another process holds it.
pub fn lock_until(file: &File, deadline: Instant) -> io::Result<Locked> {
    lock::lock_until(file, deadline, lock_failure)
}

/// `ERROR_LOCK_VIOLATION` is a lock held by another; `ERROR_INVALID_FUNCTION` and
/// `ERROR_NOT_SUPPORTED` a file system without locks (cargo's `flock.rs` reads the first so).
fn lock_failure(error: &io::Error) -> LockFailure {
    match error.raw_os_error().and_then(|code| u32::try_from(code).ok()) {
        Some(ERROR_LOCK_VIOLATION) => LockFailure::HeldByAnother,
        Some(ERROR_INVALID_FUNCTION | ERROR_NOT_SUPPORTED) => LockFailure::Unsupported,
        _ if error.kind() == io::ErrorKind::Unsupported => LockFailure::Unsupported,
        _ => LockFailure::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use windows_sys::Win32::Security::Authorization::SetNamedSecurityInfoW;
    use windows_sys::Win32::Security::PROTECTED_DACL_SECURITY_INFORMATION;
    use windows_sys::Win32::Storage::FileSystem::{FILE_ADD_FILE, FILE_GENERIC_READ, FILE_GENERIC_WRITE};

    /// An account that is not this user: a made-up domain user.
    fn stranger() -> Sid {
        Sid::new(5, &[21, 1, 2, 3, 1001])
    }

    fn everyone() -> Sid {
        Sid::new(1, &[0])
    }

    fn security(path: &Path) -> Security {
        let flags = FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT;
        security_of(&open(path, READ_CONTROL, OPEN_EXISTING, flags, None).unwrap()).unwrap()
    }

    /// Under Wine, whose Z: drive is the Unix root: Wine 8.0 keeps no security descriptor of a
    /// file but renders one from its Unix mode and owner (another uid's file is owned by
    /// ANONYMOUS LOGON), ignores an owner set through the API, and makes no reparse points.
    fn under_wine() -> bool {
        Path::new("Z:\\usr\\bin\\chown").exists()
    }

    /// Gives `path` to another account and returns the owner it now has: through the API on
    /// Windows (a made-up domain user), by `chown` to another uid under Wine.
    fn give_away(path: &Path) -> Sid {
        if under_wine() {
            // The Unix path of a C: path in the prefix.
            let prefix =
                std::env::var("WINEPREFIX").unwrap_or_else(|_| format!("{}/.wine", std::env::var("HOME").unwrap()));
            let relative = path.to_str().unwrap().strip_prefix("C:\\").unwrap().replace('\\', "/");
            let unix = format!("{prefix}/drive_c/{relative}");
            // Wine starts a Unix program but gives no handle to wait on: poll for the new owner.
            let _ = std::process::Command::new("Z:\\usr\\bin\\chown").args(["4242", &unix]).status();
            let start = Instant::now();
            while security(path).owner == *user().unwrap() {
                assert!(start.elapsed() < Duration::from_secs(10), "chown of {unix} did not happen");
                std::thread::sleep(Duration::from_millis(20));
            }
            return security(path).owner;
        }
        let name = wide(path).unwrap();
        let set = unsafe {
            SetNamedSecurityInfoW(
                name.as_ptr(),
                SE_FILE_OBJECT,
                OWNER_SECURITY_INFORMATION,
                stranger().as_psid(),
                ptr::null_mut(),
                ptr::null(),
                ptr::null(),
            )
        };
        assert_eq!(set, 0, "setting the owner of {} (run the tests as an administrator)", path.display());
        assert!(security(path).owner == stranger(), "the owner of {} did not change", path.display());
        stranger()
    }

    /// Gives `path` a protected DACL of exactly `grants`.
    fn set_dacl(path: &Path, grants: &[(Sid, u32)]) {
        let length = size_of::<ACL>()
            + grants.iter().map(|(sid, _)| size_of::<ACCESS_ALLOWED_ACE>() + sid.0.len()).sum::<usize>();
        let mut acl = vec![0_u64; length.div_ceil(8)];
        let acl_ptr = acl.as_mut_ptr().cast::<ACL>();
        let name = wide(path).unwrap();
        unsafe {
            check(InitializeAcl(acl_ptr, u32::try_from(length).unwrap(), ACL_REVISION)).unwrap();
            for (sid, mask) in grants {
                check(AddAccessAllowedAceEx(acl_ptr, ACL_REVISION, 0, *mask, sid.as_psid())).unwrap();
            }
            let set = SetNamedSecurityInfoW(
                name.as_ptr(),
                SE_FILE_OBJECT,
                DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
                ptr::null_mut(),
                ptr::null_mut(),
                acl_ptr,
                ptr::null(),
            );
            assert_eq!(set, 0, "setting the DACL of {}", path.display());
        }
    }

    /// Whether the DACL of `path` is protected from inheriting its parent's ACEs.
    fn is_protected(path: &Path) -> bool {
        use windows_sys::Win32::Security::GetSecurityDescriptorControl;
        let flags = FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT;
        let file = open(path, READ_CONTROL, OPEN_EXISTING, flags, None).unwrap();
        let mut descriptor: PSECURITY_DESCRIPTOR = ptr::null_mut();
        let (mut control, mut revision) = (0_u16, 0_u32);
        unsafe {
            let code = GetSecurityInfo(
                file.as_raw_handle(),
                SE_FILE_OBJECT,
                DACL_SECURITY_INFORMATION,
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
                &raw mut descriptor,
            );
            assert_eq!(code, 0);
            let _descriptor = LocalBox(descriptor);
            check(GetSecurityDescriptorControl(descriptor, &raw mut control, &raw mut revision)).unwrap();
        }
        control & SE_DACL_PROTECTED != 0
    }

    /// The user's one full-control ACE, protected: what everything we create must carry.
    fn assert_owner_only(path: &Path) {
        let security = security(path);
        let user = user().unwrap();
        let grants = security.grants.unwrap();
        if under_wine() {
            // Wine renders the Unix mode: SYSTEM and the owner, and Everyone when others have
            // any access, which owner-only creation leaves them none of.
            let sids: Vec<Sid> = grants.into_iter().filter_map(|grant| grant.sid).collect();
            assert!(
                sids == [system(), user.clone()],
                "{}: {:?}",
                path.display(),
                sids.iter().map(ToString::to_string).collect::<Vec<_>>()
            );
            return;
        }
        assert!(is_protected(path), "{}: the DACL is not protected", path.display());
        assert!(security.owner == *user, "{}: owned by {}", path.display(), security.owner);
        assert_eq!(grants.len(), 1, "{}: more than the user's ACE", path.display());
        assert!(grants[0].sid.as_ref() == Some(user), "{}: the ACE is not the user's", path.display());
        assert_eq!(grants[0].mask, FILE_ALL_ACCESS, "{}", path.display());
    }

    #[test]
    fn what_we_create_is_the_users_alone_by_a_protected_dacl_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a").join("b");
        create_private_dir(&nested).unwrap();
        assert_owner_only(&dir.path().join("a"));
        assert_owner_only(&nested);
        let file = nested.join("f.json");
        write_atomic(&file, b"one", 0o644).unwrap();
        write_atomic(&file, b"two", 0o644).unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"two");
        assert_owner_only(&file);
        drop(open_lock(&nested.join("f.lock")).unwrap());
        assert_owner_only(&nested.join("f.lock"));
        drop(open_log(&nested.join("trace.log")).unwrap());
        assert_owner_only(&nested.join("trace.log"));
        assert_eq!(fs::read_dir(&nested).unwrap().count(), 3, "no temporary file is left behind");
        // What we create passes our own checks.
        assert_eq!(check_existing(&nested.join("v1"), Some(1)), Ok(()));
        assert_eq!(check_path(&nested, Some(0)), Ok(()));
        assert_eq!(open_entry(&file).unwrap().1, 3);
    }

    #[test]
    fn a_cache_directory_or_entry_of_another_account_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let cache = |name: &str| {
            let identity = dir.path().join(name).join("v1").join("fingerprint");
            create_private_dir(&identity).unwrap();
            assert_eq!(check_path(&identity, Some(1)), Ok(()));
            identity
        };
        // The identity's directory.
        let identity = cache("a");
        let owner = give_away(&identity);
        let refused = check_path(&identity, Some(1)).unwrap_err();
        assert_eq!(refused.path, identity);
        assert!(refused.reason.contains(&format!("belongs to {owner}, not to this user")), "{refused}");
        let message = refused.to_string();
        assert!(message.contains("Security tab") && !message.contains("chmod"), "{message}");
        // v1/, the first directory that must be ours alone; check_existing walks it too.
        let identity = cache("b");
        let v1 = identity.parent().unwrap().to_path_buf();
        give_away(&v1);
        assert_eq!(check_existing(&identity, Some(1)).unwrap_err().path, v1);
        // Above the own part, a directory of another account is refused as well.
        let refused = check_existing(&v1.join("x"), Some(0)).unwrap_err();
        assert!(refused.path == v1 && refused.reason.contains("belongs to"), "{refused}");
        // A directory above v1/ of another account.
        let identity = cache("c");
        give_away(&dir.path().join("c"));
        let refused = check_existing(&identity, Some(1)).unwrap_err();
        assert!(refused.path == dir.path().join("c") && refused.reason.contains("belongs to"), "{refused}");
        // An entry of another account is not read, nor a configuration file.
        let identity = cache("d");
        let entry = identity.join("host.json");
        write_atomic(&entry, b"{}", 0o600).unwrap();
        assert!(open_entry(&entry).is_ok() && open_config(&entry).is_ok());
        let owner = give_away(&entry);
        let error = open_entry(&entry).unwrap_err();
        assert!(error.to_string().contains(&owner.to_string()), "{error}");
        let error = open_config(&entry).unwrap_err();
        assert!(error.to_string().contains(&format!("it belongs to {owner}")), "{error}");
    }

    #[test]
    fn the_profile_directory_counts_as_the_users_whoever_owns_it() {
        let dir = tempfile::tempdir().unwrap();
        let profile = dir.path().join("profile");
        let identity = profile.join(".ecr").join("v1").join("fingerprint");
        create_private_dir(&identity).unwrap();
        give_away(&profile);
        let refused = check_existing(&identity, Some(1)).unwrap_err();
        assert_eq!(refused.path, profile);
        assert!(!is_profile(&profile));
        // SAFETY: Windows keeps the environment behind a lock of its own, and no other test reads
        // USERPROFILE but through home_dir, which only this test's paths can match.
        unsafe { std::env::set_var("USERPROFILE", &profile) };
        assert!(is_profile(&profile) && is_profile(&dir.path().join(".").join("profile")));
        assert!(!is_profile(&profile.join(".ecr")) && !is_profile(dir.path()));
        // Wine renders the foreign owner's rights as an ACE of its own, which the access list's
        // check refuses on its own; on Windows the owner is all that changed.
        if under_wine() {
            eprintln!("skipped under Wine: a foreign owner alone, without the ACE Wine adds for it");
        } else {
            assert_eq!(check_existing(&identity, Some(1)), Ok(()));
        }
    }

    #[test]
    fn what_other_accounts_can_write_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let parent = dir.path().join("cache");
        let identity = parent.join("v1").join("fingerprint");
        create_private_dir(&identity).unwrap();
        let user = user().unwrap().clone();
        // Everyone may write the identity's directory: refused, naming it and Everyone.
        set_dacl(&identity, &[(user.clone(), FILE_ALL_ACCESS), (everyone(), FILE_GENERIC_WRITE)]);
        let refused = check_path(&identity, Some(1)).unwrap_err();
        assert_eq!(refused.path, identity);
        assert!(refused.reason.contains("can be written by S-1-1-0 (Everyone)"), "{refused}");
        // SYSTEM and Administrators may.
        set_dacl(
            &identity,
            &[(user.clone(), FILE_ALL_ACCESS), (system(), FILE_ALL_ACCESS), (administrators(), FILE_ALL_ACCESS)],
        );
        assert_eq!(check_path(&identity, Some(1)), Ok(()));
        // Above v1/, adding entries is no threat (the sticky bit's case); removing them is. Wine
        // has no such grant: it renders any write by others as the Unix mode's write bit.
        if under_wine() {
            eprintln!("skipped under Wine: others allowed to add entries above v1/, which Wine cannot grant");
        } else {
            set_dacl(&parent, &[(user.clone(), FILE_ALL_ACCESS), (everyone(), FILE_GENERIC_READ | FILE_ADD_FILE)]);
            assert_eq!(check_path(&identity, Some(1)), Ok(()));
        }
        set_dacl(&parent, &[(user.clone(), FILE_ALL_ACCESS), (everyone(), FILE_GENERIC_WRITE | FILE_DELETE_CHILD)]);
        let refused = check_path(&identity, Some(1)).unwrap_err();
        assert_eq!(refused.path, parent);
        assert!(refused.reason.contains("S-1-1-0 (Everyone)"), "{refused}");
        // An entry others can write is not read, nor a configuration file.
        set_dacl(&parent, &[(user.clone(), FILE_ALL_ACCESS)]);
        let entry = identity.join("host.json");
        write_atomic(&entry, b"{}", 0o600).unwrap();
        assert!(open_config(&entry).is_ok());
        set_dacl(&entry, &[(user.clone(), FILE_ALL_ACCESS), (everyone(), FILE_GENERIC_WRITE)]);
        assert!(open_entry(&entry).is_err());
        let error = open_config(&entry).unwrap_err();
        assert!(error.to_string().contains("S-1-1-0 (Everyone) can write it"), "{error}");
    }

    #[test]
    fn reparse_points_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.json");
        write_atomic(&target, b"{}", 0o600).unwrap();
        let link = dir.path().join("link.json");
        // Real Windows lets only administrators and developer mode make links; Wine 8.0 says it
        // made one and makes nothing.
        let made = std::os::windows::fs::symlink_file(&target, &link);
        if made.is_err() || fs::symlink_metadata(&link).is_err() {
            eprintln!("skipped: no symbolic link can be made here, so reparse points go untested ({made:?})");
            return;
        }
        assert!(open_entry(&target).is_ok());
        let error = open_entry(&link).unwrap_err();
        assert!(error.to_string().contains("reparse point"), "{error}");
        let error = open_log(&link).unwrap_err();
        assert!(error.to_string().contains("never follows"), "{error}");
        assert_eq!(fs::read(&target).unwrap(), b"{}", "the trace wrote through the link");
        // A link where a lock should be is replaced by a lock of our own.
        drop(open_lock(&link).unwrap());
        assert!(!fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::read(&target).unwrap(), b"{}");
        // A link on the way to the cache is resolved and its target walked.
        let real = dir.path().join("real");
        create_private_dir(&real.join("v1")).unwrap();
        if std::os::windows::fs::symlink_dir(&real, dir.path().join("to-real")).is_ok() {
            assert_eq!(check_existing(&dir.path().join("to-real").join("v1").join("f"), Some(1)), Ok(()));
            give_away(&real.join("v1"));
            let refused = check_existing(&dir.path().join("to-real").join("v1").join("f"), Some(1)).unwrap_err();
            assert!(refused.path.ends_with("v1"), "{refused}");
        }
    }

    /// Holds `path` open without sharing delete, as Go's `os.Open` does, for `hold`.
    fn hold(path: &Path, hold: Duration) -> std::thread::JoinHandle<()> {
        use std::os::windows::fs::OpenOptionsExt;
        let file = fs::OpenOptions::new().read(true).share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE).open(path).unwrap();
        std::thread::spawn(move || {
            std::thread::sleep(hold);
            drop(file);
        })
    }

    #[test]
    fn a_replace_is_tried_again_while_another_holds_the_target_and_gives_up_within_its_bound() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("entry.json");
        write_atomic(&target, b"old", 0o600).unwrap();
        let holder = hold(&target, Duration::from_millis(300));
        let start = Instant::now();
        write_atomic(&target, b"new", 0o600).unwrap();
        let took = start.elapsed();
        holder.join().unwrap();
        assert!(took >= Duration::from_millis(250), "the replace did not wait for the holder: {took:?}");
        assert_eq!(fs::read(&target).unwrap(), b"new");
        let holder = hold(&target, replace::RETRY_BUDGET + Duration::from_secs(2));
        let start = Instant::now();
        let error = write_atomic(&target, b"newer", 0o600).unwrap_err();
        let took = start.elapsed();
        assert!(transient(&error), "{error}");
        assert!(took >= replace::RETRY_BUDGET && took < replace::RETRY_BUDGET + Duration::from_secs(1), "{took:?}");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "the temporary file is removed");
        holder.join().unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
    }

    #[test]
    fn our_readers_never_block_a_replace() {
        let dir = tempfile::tempdir().unwrap();
        // Our readers share delete: another process may remove (or rename over) what they read.
        let doomed = dir.path().join("doomed.json");
        write_atomic(&doomed, b"old", 0o600).unwrap();
        let (_entry, _) = open_entry(&doomed).unwrap();
        let (_config, _) = open_config(&doomed).unwrap();
        fs::remove_file(&doomed).unwrap();
        if under_wine() {
            // Wine 8.0 renames with MoveFileExW alone, which refuses a target anyone holds open.
            eprintln!(
                "skipped under Wine: a rename over an entry another process holds open (no POSIX-semantics rename)"
            );
            return;
        }
        let target = dir.path().join("entry.json");
        write_atomic(&target, b"old", 0o600).unwrap();
        let (_entry, _) = open_entry(&target).unwrap();
        let (_config, _) = open_config(&target).unwrap();
        let start = Instant::now();
        write_atomic(&target, b"new", 0o600).unwrap();
        assert!(start.elapsed() < replace::RETRY_BUDGET / 4, "a reader of ours held the replace up");
        assert_eq!(fs::read(&target).unwrap(), b"new");
    }

    #[test]
    fn lock_errors_come_in_classes() {
        let class = |code: u32| lock_failure(&io::Error::from_raw_os_error(code.cast_signed()));
        assert_eq!(class(ERROR_LOCK_VIOLATION), LockFailure::HeldByAnother);
        assert_eq!(class(ERROR_INVALID_FUNCTION), LockFailure::Unsupported);
        assert_eq!(class(ERROR_NOT_SUPPORTED), LockFailure::Unsupported);
        assert_eq!(class(ERROR_ACCESS_DENIED), LockFailure::Other);
        // Our lock file is locked, and our own data files stay readable while it is.
        let dir = tempfile::tempdir().unwrap();
        let lock = open_lock(&dir.path().join("h.lock")).unwrap();
        assert_eq!(lock_until(&lock, Instant::now()).unwrap(), Locked::Held);
        let other = open_lock(&dir.path().join("h.lock")).unwrap();
        assert_eq!(lock_until(&other, Instant::now() + Duration::from_millis(30)).unwrap(), Locked::Contended);
    }

    #[test]
    fn sids_are_written_as_windows_writes_them() {
        assert_eq!(system().to_string(), "S-1-5-18 (SYSTEM)");
        assert_eq!(stranger().to_string(), "S-1-5-21-1-2-3-1001");
        assert_eq!(
            trusted_installer().to_string(),
            "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464 (TrustedInstaller)"
        );
    }
}
