//! The search every OS shares: `PATH`'s absolute entries in order, each through the OS's
//! candidates, the first runnable one winning. Each OS module calls it with its own rules.

use std::path::{Path, PathBuf};

use crate::env::Env;

/// The first program `name` that a client finds along `PATH` (absolute entries only, as Go
/// refuses a program found relative to the current directory), trying `candidates` of each
/// directory and keeping the first that is `runnable`.
pub fn first_on_path(
    env: &Env,
    name: &str,
    candidates: impl Fn(&Path, &str, &Env) -> Vec<PathBuf>,
    runnable: impl Fn(&std::fs::Metadata) -> bool,
) -> Option<PathBuf> {
    let path = env.get("PATH")?;
    std::env::split_paths(path)
        .filter(|dir| dir.is_absolute())
        .flat_map(|dir| candidates(&dir, name, env))
        .find(|candidate| std::fs::metadata(candidate).is_ok_and(|meta| runnable(&meta)))
}
