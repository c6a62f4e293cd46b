//! A snapshot of the process environment, taken once in `main` and passed down, so that the library
//! never reads global state and tests give each run its own environment.
//!
//! The snapshot borrows the process's own strings instead of copying them: a cache hit looks up
//! about thirty names, and copying some forty variables into a hashed map costs a large share of
//! the hit (bench/RESULTS.md) for lookups that a scan of forty pointers answers.
//! Names are compared as bytes and a value is checked for UTF-8 only when it is asked for.

use std::borrow::Cow;
use std::path::PathBuf;

/// The variable that names the home directory first, as messages name it: `HOME` on Unix,
/// `USERPROFILE` on Windows (see [`Env::home`]).
pub const HOME_VARIABLE: &str = if cfg!(windows) { "USERPROFILE" } else { "HOME" };

/// The null device as this OS's users write it, for messages that tell them how to say "no file".
pub const NULL_DEVICE: &str = if cfg!(windows) { "NUL" } else { "/dev/null" };

/// Whether `path` names the null device, which a variable naming a file sets to mean "no file":
/// `/dev/null`, and on Windows also `NUL` in any case.
pub fn is_null_device(path: &str) -> bool {
    path == "/dev/null" || (cfg!(windows) && path.eq_ignore_ascii_case("NUL"))
}

/// One variable: its name and value as bytes, borrowed from the process or owned (tests).
type Var = (Cow<'static, [u8]>, Cow<'static, [u8]>);

/// Environment variables in the order the process has them. An empty value reads as unset, which is
/// what every variable the helper looks at means by it; of a name given twice, the first counts, as
/// `getenv` (and so the AWS SDK, on a miss) reads it.
#[derive(Debug, Clone, Default)]
pub struct Env(Vec<Var>);

impl Env {
    /// Takes the current process environment.
    pub fn from_process() -> Env {
        Env(process_vars())
    }

    /// The value of `name`, if it is set, not empty and UTF-8.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.raw(name).filter(|v| !v.is_empty()).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Whether `name` is set to the empty string (which `get` reads as unset).
    pub fn is_set_empty(&self, name: &str) -> bool {
        self.raw(name).is_some_and(<[u8]>::is_empty)
    }

    fn raw(&self, name: &str) -> Option<&[u8]> {
        self.0.iter().find(|(k, _)| same_name(k, name.as_bytes())).map(|(_, v)| &**v)
    }

    /// Whether `name` is set to `true` in any case, as the Go helper reads its boolean switches.
    pub fn is_true(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// The user's home directory, where `~/.aws`, `~/.docker` and the rest are looked for.
    ///
    /// On Unix it is `HOME`. On Windows it is `USERPROFILE`, then `HOME`, then
    /// `HOMEDRIVE` + `HOMEPATH`: docker's CLI, the AWS CLI, the AWS SDK for Go (and so the Go
    /// helper's own reading of `~/.aws`) and Rust's `home_dir` all take `USERPROFILE` and ignore
    /// `HOME`, which Git Bash, MSYS and Cygwin set to a home of their own. `HOME` is read only
    /// where `USERPROFILE` is missing (a service started with a bare environment, say). The AWS
    /// SDK for Rust reads `HOME` first; the helper hands it the shared files' paths resolved here
    /// (`aws::setup`), so that the files it signs with are the files the fingerprint hashed.
    pub fn home(&self) -> Option<PathBuf> {
        if cfg!(windows) {
            let drive_path = || Some(format!("{}{}", self.get("HOMEDRIVE")?, self.get("HOMEPATH")?));
            return self
                .get("USERPROFILE")
                .map(str::to_string)
                .or_else(|| self.get("HOME").map(str::to_string))
                .or_else(drive_path)
                .map(PathBuf::from);
        }
        self.get("HOME").map(PathBuf::from)
    }

    /// `path` with a leading `~/` (or `~\` on Windows) expanded to the home directory, the way
    /// the SDK reads `AWS_CONFIG_FILE` and friends; any other path, or no home, leaves it as it is.
    pub fn expand_home(&self, path: &str) -> PathBuf {
        let rest = path.strip_prefix("~/").or_else(|| path.strip_prefix("~\\").filter(|_| cfg!(windows)));
        match (rest, self.home()) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(path),
        }
    }

    /// Every UTF-8 variable once (the first of a name given twice), for a child process's
    /// environment.
    pub fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().enumerate().filter_map(|(i, (k, v))| {
            let first = !self.0[..i].iter().any(|(earlier, _)| same_name(earlier, k));
            first.then(|| Some((std::str::from_utf8(k).ok()?, std::str::from_utf8(v).ok()?))).flatten()
        })
    }

    /// Sets a variable; for tests and for callers that build an environment by hand.
    pub fn set(&mut self, name: &str, value: &str) {
        let value = Cow::Owned(value.as_bytes().to_vec());
        match self.0.iter_mut().find(|(k, _)| same_name(k, name.as_bytes())) {
            Some((_, v)) => *v = value,
            None => self.0.push((Cow::Owned(name.as_bytes().to_vec()), value)),
        }
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Env {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Env {
        let mut env = Env::default();
        for (k, v) in iter {
            env.set(&k.into(), &v.into());
        }
        env
    }
}

/// Whether two variable names are the same variable: byte for byte on Unix; on Windows, where
/// the system keeps names case-insensitively (`Path` and `PATH` are one variable), in any ASCII case.
fn same_name(a: &[u8], b: &[u8]) -> bool {
    if cfg!(windows) { a.eq_ignore_ascii_case(b) } else { a == b }
}

/// `NAME=value` → its two halves. The name ends at the first `=` after its first byte, as std
/// splits it (Windows-style names such as `=C:` start with one); an entry without one is skipped.
#[cfg(any(target_os = "linux", test))]
fn split_entry(entry: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = 1 + entry.get(1..)?.iter().position(|&b| b == b'=')?;
    Some((&entry[..at], &entry[at + 1..]))
}

/// The process's variables, borrowed from `environ`. Its strings live as long as the process: those
/// from `execve` sit on the initial stack, and the C library never frees one that `setenv` or
/// `putenv` added (nor one that `unsetenv` dropped from the array), so borrowing them for
/// `'static` is sound as long as the array itself is read once, here, before any thread exists.
#[cfg(target_os = "linux")]
fn process_vars() -> Vec<Var> {
    unsafe extern "C" {
        static environ: *const *const std::ffi::c_char;
    }
    let mut vars = Vec::with_capacity(64);
    // SAFETY: `environ` is a null-terminated array of NUL-terminated strings that lives for the
    // whole process (see above); `main` takes the snapshot before any other thread starts.
    unsafe {
        let mut at = environ;
        while !at.is_null() && !(*at).is_null() {
            let entry: &'static [u8] = std::ffi::CStr::from_ptr(*at).to_bytes();
            if let Some((k, v)) = split_entry(entry) {
                vars.push((Cow::Borrowed(k), Cow::Borrowed(v)));
            }
            at = at.add(1);
        }
    }
    vars
}

/// Elsewhere, a copy through std of the variables that are UTF-8 (the others mean nothing here).
///
/// macOS keeps the copy on purpose: its C library frees or rewrites in place a string that its own
/// `setenv` allocated when the variable is set again or unset (Apple's Libc, `__setenv` and
/// `__unsetenv`), so the reason the Linux snapshot may borrow for `'static` does not hold there,
/// and `environ` is documented for the main program only (`_NSGetEnviron`, which std uses, is
/// the supported way in). std's copy reads the array under its own lock.
#[cfg(not(target_os = "linux"))]
fn process_vars() -> Vec<Var> {
    std::env::vars_os()
        .filter_map(|(k, v)| {
            Some((Cow::Owned(k.into_string().ok()?.into_bytes()), Cow::Owned(v.into_string().ok()?.into_bytes())))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_split_at_the_first_equals_sign_after_the_first_byte() {
        assert_eq!(split_entry(b"A=b=c"), Some((&b"A"[..], &b"b=c"[..])));
        assert_eq!(split_entry(b"=C:=x"), Some((&b"=C:"[..], &b"x"[..])));
        assert_eq!(split_entry(b"EMPTY="), Some((&b"EMPTY"[..], &b""[..])));
        assert_eq!(split_entry(b"NOVALUE"), None);
        assert_eq!(split_entry(b""), None);
    }

    #[test]
    fn empty_and_non_utf8_values_read_as_unset_and_the_first_of_a_twice_given_name_counts() {
        let mut env: Env = [("A", "1"), ("EMPTY", "")].into_iter().collect();
        env.0.push((Cow::Borrowed(b"A"), Cow::Borrowed(b"2")));
        env.0.push((Cow::Borrowed(b"BAD"), Cow::Borrowed(b"\xff")));
        assert_eq!(env.get("A"), Some("1"));
        assert_eq!(env.get("EMPTY"), None);
        assert!(env.is_set_empty("EMPTY") && !env.is_set_empty("A") && !env.is_set_empty("UNSET"));
        assert_eq!(env.get("BAD"), None);
        assert_eq!(env.vars().collect::<Vec<_>>(), [("A", "1"), ("EMPTY", "")]);
        env.set("A", "3");
        assert_eq!(env.get("A"), Some("3"));
    }

    #[test]
    #[cfg(unix)]
    fn on_unix_the_home_is_home_alone_and_names_keep_their_case() {
        let env: Env = [("HOME", "/home/u"), ("USERPROFILE", "/elsewhere"), ("Path", "/p")].into_iter().collect();
        assert_eq!(env.home(), Some(PathBuf::from("/home/u")));
        assert_eq!(env.expand_home("~/x/y"), PathBuf::from("/home/u/x/y"));
        assert_eq!(env.expand_home("~\\x"), PathBuf::from("~\\x"));
        assert_eq!(env.get("PATH"), None);
        let no_home: Env = [("USERPROFILE", "/elsewhere")].into_iter().collect();
        assert_eq!(no_home.home(), None);
    }

    #[test]
    #[cfg(windows)]
    fn on_windows_the_home_is_userprofile_then_home_then_the_drive_and_path() {
        let all: Env =
            [("HOME", "/c/Users/git-bash"), ("USERPROFILE", r"C:\Users\u"), ("HOMEDRIVE", "D:"), ("HOMEPATH", r"\h")]
                .into_iter()
                .collect();
        assert_eq!(all.home(), Some(PathBuf::from(r"C:\Users\u")));
        assert_eq!(all.expand_home(r"~\.aws\config"), PathBuf::from(r"C:\Users\u\.aws\config"));
        assert_eq!(all.expand_home("~/.aws/config"), PathBuf::from(r"C:\Users\u").join(".aws/config"));
        let git_bash: Env = [("HOME", r"C:\Users\g")].into_iter().collect();
        assert_eq!(git_bash.home(), Some(PathBuf::from(r"C:\Users\g")));
        let bare: Env = [("HOMEDRIVE", "D:"), ("HOMEPATH", r"\h")].into_iter().collect();
        assert_eq!(bare.home(), Some(PathBuf::from(r"D:\h")));
        assert_eq!(Env::default().home(), None);
    }

    #[test]
    #[cfg(windows)]
    fn on_windows_names_match_in_any_case_and_the_first_counts() {
        let mut env: Env = [("Path", "first"), ("PATH", "second")].into_iter().collect();
        assert_eq!(env.get("PATH"), Some("second"), "set() replaced the one variable");
        env.0.push((Cow::Borrowed(b"PATHEXT"), Cow::Borrowed(b".EXE")));
        env.0.push((Cow::Borrowed(b"pathext"), Cow::Borrowed(b".CMD")));
        assert_eq!(env.get("PathExt"), Some(".EXE"));
        assert_eq!(env.vars().filter(|(k, _)| k.eq_ignore_ascii_case("pathext")).count(), 1);
    }

    #[test]
    fn the_process_snapshot_agrees_with_std() {
        let env = Env::from_process();
        for (name, value) in std::env::vars() {
            if !value.is_empty() {
                assert_eq!(env.get(&name), Some(value.as_str()), "{name}");
            }
        }
    }
}
