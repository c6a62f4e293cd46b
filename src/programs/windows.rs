//! Programs on Windows: `PATHEXT` as Go's `exec.LookPath` reads it, no execute bit, no `argv[0]`
//! of one's choosing, and no process groups to end together (see the room's docs).

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use crate::env::Env;

/// The extensions Go tries when `PATHEXT` is unset or empty.
const DEFAULT_EXTENSIONS: &[&str] = &[".com", ".exe", ".bat", ".cmd"];

/// `PATHEXT`'s extensions, lower case, each with its dot; entries without a dot are dropped, as
/// Go drops them.
fn extensions(env: &Env) -> Vec<String> {
    let listed: Vec<String> = env
        .get("PATHEXT")
        .unwrap_or_default()
        .split(';')
        .map(str::trim)
        .filter(|e| e.starts_with('.') && e.len() > 1)
        .map(str::to_ascii_lowercase)
        .collect();
    if listed.is_empty() { DEFAULT_EXTENSIONS.iter().map(|e| (*e).to_string()).collect() } else { listed }
}

/// Where a directory must be put in `PATH` to come first, as a fix says it.
pub const PATH_TO_EDIT: &str =
    "the system Path (System Properties > Environment Variables; the system Path comes before every user's)";

/// The entries of `dir` that a client looking for `name` would run, in the order it tries them.
pub fn candidates(dir: &Path, name: &str, env: &Env) -> Vec<PathBuf> {
    let mut found = Vec::new();
    if Path::new(name).extension().is_some() {
        found.push(dir.join(name));
    }
    found.extend(extensions(env).iter().map(|ext| dir.join(format!("{name}{ext}"))));
    found
}

/// The first program `name` that a client finds along `PATH`.
pub fn find_on_path(env: &Env, name: &str) -> Option<PathBuf> {
    super::search::first_on_path(env, name, candidates, is_executable)
}

/// Where `path` really is, links followed, written as `PATH` writes it: Windows answers a
/// canonical path in its verbatim form (`\\?\C:\…`), which would read as a link to itself.
pub fn real_path(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok().map(|real| without_verbatim_prefix(&real))
}

/// `\\?\C:\x` → `C:\x` and `\\?\UNC\server\share` → `\\server\share`; any other path as it is.
fn without_verbatim_prefix(path: &Path) -> PathBuf {
    let text = path.to_string_lossy();
    if let Some(rest) = text.strip_prefix(r"\\?\UNC\") {
        return PathBuf::from(format!(r"\\{rest}"));
    }
    match text.strip_prefix(r"\\?\") {
        Some(rest) if rest.as_bytes().get(1) == Some(&b':') => PathBuf::from(rest),
        _ => path.to_path_buf(),
    }
}

/// Whether a file's metadata (links followed) makes it a program one can run.
pub fn is_executable(meta: &std::fs::Metadata) -> bool {
    meta.is_file()
}

/// Sets `command` up as a probe: in a group of its own where the OS has groups, started as
/// `argv0` where the OS can say so.
pub fn as_probe(_command: &mut Command, _argv0: Option<&str>) {}

/// Ends a probe and what it started (where the OS tracks that), and reaps it.
pub fn end_probe(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_path_is_written_without_the_verbatim_prefix() {
        assert_eq!(without_verbatim_prefix(Path::new(r"\\?\C:\bin\x.exe")), Path::new(r"C:\bin\x.exe"));
        assert_eq!(without_verbatim_prefix(Path::new(r"\\?\UNC\srv\share\x.exe")), Path::new(r"\\srv\share\x.exe"));
        assert_eq!(without_verbatim_prefix(Path::new(r"\\?\GLOBALROOT\x")), Path::new(r"\\?\GLOBALROOT\x"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.exe");
        std::fs::write(&file, b"").unwrap();
        let real = real_path(&file).unwrap();
        assert!(!real.to_string_lossy().starts_with(r"\\?\"), "{}", real.display());
        assert_eq!(real_path(&real), Some(real.clone()), "a real path is its own");
    }

    #[test]
    fn a_bare_name_is_tried_with_each_extension_of_pathext_in_order() {
        let env: Env = [("PATHEXT", ".COM;.EXE;;bad;.CMD")].into_iter().collect();
        let dir = Path::new(r"C:\bin");
        assert_eq!(
            candidates(dir, "docker-credential-ecr-login", &env),
            [
                dir.join("docker-credential-ecr-login.com"),
                dir.join("docker-credential-ecr-login.exe"),
                dir.join("docker-credential-ecr-login.cmd")
            ]
        );
        assert_eq!(
            candidates(dir, "docker-credential-desktop.exe", &Env::default())[..2],
            [dir.join("docker-credential-desktop.exe"), dir.join("docker-credential-desktop.exe.com")]
        );
        assert_eq!(candidates(dir, "x", &Env::default()).len(), DEFAULT_EXTENSIONS.len());
    }
}
