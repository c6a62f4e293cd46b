//! Why a directory is not used: the verdict of an OS's ownership walk, with that OS's advice.

use std::path::PathBuf;

/// Why a directory is not used: a directory on its path is someone else's, or others can write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untrusted {
    /// The directory that failed the check.
    pub path: PathBuf,
    /// What is wrong with it.
    pub reason: String,
    /// What the user can do about it, in the terms of this OS (a mode on Unix, an owner and an
    /// access list on Windows).
    pub remedy: &'static str,
}

impl std::fmt::Display for Untrusted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not using the token cache: {} {}; {}", self.path.display(), self.reason, self.remedy)
    }
}
