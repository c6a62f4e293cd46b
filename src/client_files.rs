//! Where the clients keep the files `configure` edits and doctor reads: docker's `config.json` and
//! the containers tools' `auth.json`.

use std::path::PathBuf;

use crate::env::Env;

/// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
pub fn docker_config_path(env: &Env) -> Option<PathBuf> {
    match env.get("DOCKER_CONFIG") {
        Some(dir) => Some(PathBuf::from(dir).join("config.json")),
        None => env.home().map(|home| home.join(".docker").join("config.json")),
    }
}

/// `$REGISTRY_AUTH_FILE`, else `$XDG_CONFIG_HOME/containers/auth.json`, else
/// `~/.config/containers/auth.json`: the persistent auth file that podman, skopeo and buildah read
/// (their default `$XDG_RUNTIME_DIR` one is lost at reboot).
pub fn podman_auth_path(env: &Env) -> Option<PathBuf> {
    if let Some(file) = env.get("REGISTRY_AUTH_FILE") {
        return Some(PathBuf::from(file));
    }
    let config = env.get("XDG_CONFIG_HOME").map(PathBuf::from).or_else(|| env.home().map(|h| h.join(".config")))?;
    Some(config.join("containers").join("auth.json"))
}
