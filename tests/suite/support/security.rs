//! Windows security descriptors through windows-sys: who owns a path and whom its DACL lets in,
//! read back as a user's tools would see them, and a foreign owner planted on a path, so that the
//! tests can hold the helper to its owner-only promise on Windows.
//!
//! Under Wine (8.0, upstream) a file keeps no security descriptor of its own: Wine derives the
//! owner from the Unix uid (the user's when it is ours, ANONYMOUS LOGON `S-1-5-7` when not) and the
//! DACL from the Unix mode (the owner bits for the user, SYSTEM always, the group and other bits as
//! Everyone), never reports a protected DACL, and takes a descriptor given at creation as a mode.
//! SetNamedSecurityInfoW's new owner is accepted and dropped. So, under Wine, [`give_away`] plants
//! the foreign owner through the Unix uid, and [`assert_owner_only`] checks what Wine can show: no
//! one but the user and SYSTEM is let in (a file created without an owner-only descriptor gets
//! the umask's read bits, shown as Everyone, and fails).

use std::ffi::{CStr, c_char, c_void};
use std::os::windows::ffi::OsStrExt;
use std::path::Path;
use std::ptr::{null, null_mut};

use windows_sys::Win32::Foundation::{CloseHandle, ERROR_SUCCESS, HANDLE, LocalFree};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSidToSidW, GetNamedSecurityInfoW, SE_FILE_OBJECT, SetNamedSecurityInfoW,
};
use windows_sys::Win32::Security::{
    ACCESS_ALLOWED_ACE, ACE_HEADER, ACL, ACL_SIZE_INFORMATION, AclSizeInformation, DACL_SECURITY_INFORMATION, GetAce,
    GetAclInformation, GetSecurityDescriptorControl, GetTokenInformation, OWNER_SECURITY_INFORMATION,
    PSECURITY_DESCRIPTOR, PSID, SE_DACL_PROTECTED, TOKEN_QUERY, TOKEN_USER, TokenUser,
};
use windows_sys::Win32::System::SystemServices::{ACCESS_ALLOWED_ACE_TYPE, ACCESS_DENIED_ACE_TYPE};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

/// The local SYSTEM account, an owner the tests can plant that is not the user.
pub const SYSTEM: &str = "S-1-5-18";

/// A made-up local account's SID: another user of the same machine.
pub const OTHER_USER: &str = "S-1-5-21-1-2-3-1001";

/// One access control entry: allow or deny, whom, and the rights.
#[derive(Debug, PartialEq, Eq)]
pub struct Ace {
    pub allow: bool,
    pub sid: String,
    pub mask: u32,
}

/// A path's owner and DACL as Windows reports them.
#[derive(Debug)]
pub struct Descriptor {
    pub owner: String,
    /// Whether the DACL is protected: it inherits nothing from the folder above.
    pub protected: bool,
    /// The DACL's entries; `None` for a null DACL, which lets everyone in.
    pub aces: Option<Vec<Ace>>,
}

fn wide(path: &Path) -> Vec<u16> {
    path.as_os_str().encode_wide().chain([0]).collect()
}

fn sid_string(sid: PSID) -> String {
    let mut text = null_mut();
    // SAFETY: `sid` is a valid SID from a security descriptor or token that outlives this call;
    // the string is freed with LocalFree as the API asks.
    unsafe {
        assert_ne!(ConvertSidToStringSidW(sid, &raw mut text), 0, "ConvertSidToStringSidW failed");
        let mut len = 0;
        while *text.add(len) != 0 {
            len += 1;
        }
        let string = String::from_utf16_lossy(std::slice::from_raw_parts(text, len));
        LocalFree(text.cast());
        string
    }
}

/// The owner and DACL of `path`, or the Windows error code of the read.
pub fn try_read(path: &Path) -> Result<Descriptor, u32> {
    let name = wide(path);
    let (mut owner, mut dacl, mut descriptor): (PSID, *mut ACL, PSECURITY_DESCRIPTOR) =
        (null_mut(), null_mut(), null_mut());
    // SAFETY: every out-pointer is a local; the descriptor is freed with LocalFree below, after the
    // last use of the owner and DACL that point into it.
    unsafe {
        let status = GetNamedSecurityInfoW(
            name.as_ptr(),
            SE_FILE_OBJECT,
            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
            &raw mut owner,
            null_mut(),
            &raw mut dacl,
            null_mut(),
            &raw mut descriptor,
        );
        if status != ERROR_SUCCESS {
            return Err(status);
        }
        let (mut control, mut revision) = (0u16, 0u32);
        assert_ne!(GetSecurityDescriptorControl(descriptor, &raw mut control, &raw mut revision), 0);
        let aces = (!dacl.is_null()).then(|| read_aces(dacl));
        let read = Descriptor { owner: sid_string(owner), protected: control & SE_DACL_PROTECTED != 0, aces };
        LocalFree(descriptor);
        Ok(read)
    }
}

/// The owner and DACL of `path`.
pub fn read(path: &Path) -> Descriptor {
    try_read(path).unwrap_or_else(|code| panic!("GetNamedSecurityInfoW({}) failed: error {code}", path.display()))
}

/// # Safety
/// `dacl` points to a valid ACL.
unsafe fn read_aces(dacl: *mut ACL) -> Vec<Ace> {
    // SAFETY: the caller's ACL is valid; each ACE pointer GetAce returns points into it, and the
    // allow and deny ACEs share ACCESS_ALLOWED_ACE's layout (header, mask, SID).
    unsafe {
        let mut size: ACL_SIZE_INFORMATION = std::mem::zeroed();
        let info_len = u32::try_from(std::mem::size_of::<ACL_SIZE_INFORMATION>()).unwrap();
        assert_ne!(GetAclInformation(dacl, (&raw mut size).cast(), info_len, AclSizeInformation), 0);
        let mut aces = Vec::new();
        for index in 0..size.AceCount {
            let mut ace = null_mut();
            assert_ne!(GetAce(dacl, index, &raw mut ace), 0);
            let kind = u32::from((*ace.cast::<ACE_HEADER>()).AceType);
            if kind != ACCESS_ALLOWED_ACE_TYPE && kind != ACCESS_DENIED_ACE_TYPE {
                aces.push(Ace { allow: false, sid: format!("ace type {kind}"), mask: 0 });
                continue;
            }
            let ace = ace.cast::<ACCESS_ALLOWED_ACE>();
            let sid = (&raw mut (*ace).SidStart).cast();
            aces.push(Ace { allow: kind == ACCESS_ALLOWED_ACE_TYPE, sid: sid_string(sid), mask: (*ace).Mask });
        }
        aces
    }
}

/// The SID of the user this process runs as.
pub fn current_user() -> String {
    // SAFETY: the token handle is closed before returning; the buffer holds the TOKEN_USER and the
    // SID it points to, and outlives the conversion of that SID.
    unsafe {
        let mut token: HANDLE = null_mut();
        assert_ne!(OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &raw mut token), 0);
        let mut needed = 0u32;
        GetTokenInformation(token, TokenUser, null_mut(), 0, &raw mut needed);
        let mut buffer = vec![0u64; (needed as usize).div_ceil(8)];
        let ok = GetTokenInformation(token, TokenUser, buffer.as_mut_ptr().cast(), needed, &raw mut needed);
        CloseHandle(token);
        assert_ne!(ok, 0, "GetTokenInformation(TokenUser) failed");
        sid_string((*buffer.as_ptr().cast::<TOKEN_USER>()).User.Sid)
    }
}

/// Makes `sid` the owner of `path`, or returns the Windows error code (Windows lets a user give a
/// file away only with a privilege; Wine's answer is what the caller finds out).
pub fn set_owner(path: &Path, sid: &str) -> Result<(), u32> {
    let text: Vec<u16> = sid.encode_utf16().chain([0]).collect();
    let name = wide(path);
    let mut owner: PSID = null_mut();
    // SAFETY: the SID ConvertStringSidToSidW allocates is freed with LocalFree after its last use.
    unsafe {
        assert_ne!(ConvertStringSidToSidW(text.as_ptr(), &raw mut owner), 0, "{sid} is not a SID");
        let status = SetNamedSecurityInfoW(
            name.as_ptr(),
            SE_FILE_OBJECT,
            OWNER_SECURITY_INFORMATION,
            owner,
            null_mut(),
            null(),
            null(),
        );
        LocalFree(owner);
        if status == ERROR_SUCCESS { Ok(()) } else { Err(status) }
    }
}

/// Asserts that `path` is the current user's alone: owned by them, with a protected DACL (nothing
/// inherited from the folder above) whose every entry allows them and no one else. Under Wine,
/// which shows no protected DACL and lists SYSTEM in every DACL (see the module's docs), the check
/// is that the user and SYSTEM are the only ones let in.
pub fn assert_owner_only(path: &Path) {
    let user = current_user();
    let descriptor = read(path);
    let shown = path.display();
    assert_eq!(descriptor.owner, user, "{shown} is owned by another account: {descriptor:?}");
    let aces = descriptor.aces.as_ref().unwrap_or_else(|| panic!("{shown} has a null DACL: everyone may write it"));
    let lets_in_owner = aces.iter().any(|ace| ace.allow && ace.sid == user);
    assert!(lets_in_owner, "{shown}'s DACL does not let its owner in: {descriptor:?}");
    let wine = under_wine();
    for ace in aces {
        let trusted = ace.sid == user || (wine && ace.sid == SYSTEM);
        assert!(ace.allow && trusted, "{shown} lets in more than its owner: {descriptor:?}");
    }
    if !wine {
        assert!(descriptor.protected, "{shown}'s DACL inherits from its folder: {descriptor:?}");
    }
}

#[link(name = "kernel32")]
unsafe extern "system" {
    fn GetModuleHandleW(name: *const u16) -> *mut c_void;
    fn GetProcAddress(module: *mut c_void, name: *const c_char) -> *mut c_void;
}

/// A function Wine exports from one of its DLLs, or null on Windows.
fn wine_export(module: &str, name: &CStr) -> *mut c_void {
    let module: Vec<u16> = module.encode_utf16().chain([0]).collect();
    // SAFETY: both names are NUL-terminated; the module is loaded in every process.
    unsafe {
        let handle = GetModuleHandleW(module.as_ptr());
        if handle.is_null() { null_mut() } else { GetProcAddress(handle, name.as_ptr()) }
    }
}

/// Whether this process runs under Wine: its ntdll exports `wine_get_version`.
pub fn under_wine() -> bool {
    !wine_export("ntdll.dll", c"wine_get_version").is_null()
}

/// The Unix path of a Windows path, through Wine's `wine_get_unix_file_name`.
fn unix_path(path: &Path) -> String {
    let function = wine_export("kernel32.dll", c"wine_get_unix_file_name");
    assert!(!function.is_null(), "not under Wine: no wine_get_unix_file_name");
    let name = wide(path);
    // SAFETY: Wine's wine_get_unix_file_name takes a NUL-terminated UTF-16 path and returns a
    // NUL-terminated string (or null) from the process heap, left there until the process ends.
    unsafe {
        let function: unsafe extern "C" fn(*const u16) -> *const c_char = std::mem::transmute(function);
        let unix = function(name.as_ptr());
        assert!(!unix.is_null(), "Wine has no Unix path for {}", path.display());
        CStr::from_ptr(unix).to_string_lossy().into_owned()
    }
}

/// Makes another account the owner of `path` and returns its SID: [`OTHER_USER`] through
/// SetNamedSecurityInfoW on Windows (as an administrator would); under Wine, which drops that
/// owner, the Unix uid of `nobody` through chown, which Wine shows as ANONYMOUS LOGON. Fails the
/// test when neither works: a foreign owner that cannot be planted proves nothing.
pub fn give_away(path: &Path) -> String {
    let user = current_user();
    let set = set_owner(path, OTHER_USER);
    if under_wine() {
        // Wine starts a Unix program for a Windows process (`nobody` is uid 65534), but gives back
        // no handle to wait on: the owner read back is the check, for a few seconds.
        let started = std::process::Command::new(r"Z:\usr\bin\chown").arg("65534").arg(unix_path(path)).spawn();
        assert!(started.is_ok(), "chown {} under Wine: {started:?}", path.display());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while read(path).owner == user && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    } else {
        set.unwrap_or_else(|code| panic!("cannot make {OTHER_USER} the owner of {}: error {code}", path.display()));
    }
    let owner = read(path).owner;
    assert_ne!(owner, user, "{} is still owned by the user", path.display());
    owner
}
