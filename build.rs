//! Records the commit the binary is built from, for `version` and `doctor`: `ECR_LOGIN_COMMIT`
//! when the builder sets it (packaging/release does), else the commit cargo wrote into a packaged
//! crate's `.cargo_vcs_info.json` (a build from crates.io, perhaps unpacked inside some other
//! checkout, whose commit is not ours), else `git rev-parse HEAD` in a checkout,
//! else the hash `git archive` wrote into `packaging/commit` (export-subst, for the RPM's source
//! tarball), else `unknown`. Twelve hex digits; nothing else about the build (no time, no host,
//! no path) goes into the binary, so that two builds of one commit are the same bytes.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=ECR_LOGIN_COMMIT");
    println!("cargo:rerun-if-changed=packaging/commit");
    // The hot-path list is not read here: packaging/build-release hands it to the linker, which
    // cargo does not track, so an edited list relinks the binary through this.
    for file in [".cargo_vcs_info.json", "packaging/hot-path.order"].map(String::from).into_iter().chain(git_paths()) {
        if std::path::Path::new(&file).exists() {
            println!("cargo:rerun-if-changed={file}");
        }
    }
    let from_git = || {
        let output = Command::new("git").args(["rev-parse", "HEAD"]).output().ok()?;
        output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let from_archive = || std::fs::read_to_string("packaging/commit").ok();
    // {"git": {"sha1": "<40 hex>"}, "path_in_vcs": ""}: the value after the key, between quotes.
    let from_crate = || {
        let text = std::fs::read_to_string(".cargo_vcs_info.json").ok()?;
        Some(text.split("\"sha1\"").nth(1)?.split('"').nth(1)?.to_string())
    };
    let commit = std::env::var("ECR_LOGIN_COMMIT")
        .ok()
        .or_else(from_crate)
        .or_else(from_git)
        .or_else(from_archive)
        .map(|text| text.trim().to_string())
        .filter(|hash| hash.len() >= 12 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
        .map_or_else(|| "unknown".to_string(), |hash| hash[..12].to_string());
    println!("cargo:rustc-env=ECR_LOGIN_COMMIT={commit}");
}

/// The files whose change moves HEAD, as git names them: in a linked worktree `.git` is a file, and
/// HEAD lives under the main checkout's `.git/worktrees/` while the branches are shared.
fn git_paths() -> Vec<String> {
    let args = ["rev-parse", "--git-path", "HEAD", "--git-path", "packed-refs", "--git-path", "refs/heads"];
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).lines().map(String::from).collect())
        .unwrap_or_default()
}
