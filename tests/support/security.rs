//! Windows security descriptors through windows-sys: who owns a path and whom its DACL lets in,
//! read back as a user's tools would see them, and a foreign owner planted on a path, so that the
//! tests can hold the helper to its owner-only promise on Windows.

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
/// inherited from the folder above) whose every entry allows them and no one else.
pub fn assert_owner_only(path: &Path) {
    let user = current_user();
    let descriptor = read(path);
    assert_eq!(descriptor.owner, user, "{} is owned by another account: {descriptor:?}", path.display());
    assert!(descriptor.protected, "{}'s DACL inherits from its folder: {descriptor:?}", path.display());
    let aces =
        descriptor.aces.as_ref().unwrap_or_else(|| panic!("{} has a null DACL: everyone may write it", path.display()));
    assert!(!aces.is_empty(), "{}'s DACL is empty: {descriptor:?}", path.display());
    for ace in aces {
        assert!(ace.allow && ace.sid == user, "{} lets in more than its owner: {descriptor:?}", path.display());
    }
}
