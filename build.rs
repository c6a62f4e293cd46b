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
    let watched =
        [".cargo_vcs_info.json", ".git/HEAD", ".git/packed-refs", ".git/refs/heads", "packaging/hot-path.order"];
    for file in watched {
        if std::path::Path::new(file).exists() {
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
