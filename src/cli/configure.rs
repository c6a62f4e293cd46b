//! `configure`: one command that routes ECR hosts to this helper in docker's `config.json` or
//! containers' `auth.json`, or prints the kubelet's provider configuration.
//!
//! Edits are safe: every other key is kept in its order, an existing `credsStore` is left alone,
//! the file is replaced atomically with its permissions, a symlink stays a symlink (its target is
//! rewritten), the original is copied once to `<file>.ecr-login.bak`, and a second run with the
//! same arguments changes nothing.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::client_files::{docker_config_path, podman_auth_path};
use crate::config::{self, Config};
use crate::env::Env;
use crate::error::Error;
use crate::files::{create_private_dir, write_atomic};
use crate::installs::{self, BINARY, HELPER};
use crate::printable::json_problem;
use crate::registry;

/// The suffix of the one backup `configure` makes of a file it edits.
const BACKUP_SUFFIX: &str = ".ecr-login.bak";

/// Mode of a configuration file that `configure` creates: it may come to hold other registries'
/// credentials, as docker's does.
const NEW_FILE_MODE: u32 = 0o600;

/// The kubelet provider configurations shipped in packaging/kubelet.
const KUBELET_CONFIG: &str = include_str!("../../packaging/kubelet/credential-provider-config.yaml");
const KUBELET_CONFIG_SERVICE_ACCOUNTS: &str =
    include_str!("../../packaging/kubelet/credential-provider-config.service-accounts.yaml");

/// What `configure` did, for its caller to print.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Lines for stdout.
    pub lines: Vec<String>,
    /// Warnings for stderr.
    pub warnings: Vec<String>,
}

/// The client whose configuration `configure` edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// docker's `config.json`.
    Docker,
    /// The containers tools' `auth.json` (podman, skopeo, buildah).
    Podman,
}

/// What `configure` was asked to do, as `command` parsed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Route `hosts` (canonical, validated) to the helper in `client`'s file.
    Route {
        /// Whose file.
        client: Client,
        /// The hosts.
        hosts: Vec<String>,
    },
    /// Make ecr-login docker's `credsStore`, moving the old store into the configuration's
    /// `fallback`; or undo that.
    CredsStore {
        /// Whether to undo it.
        undo: bool,
    },
    /// Print the kubelet's provider configuration, with service-account token mode or without.
    Kubelet {
        /// Whether the pod's service account token and annotations are asked for.
        service_accounts: bool,
    },
}

/// Runs `configure`.
pub fn run(request: &Request, env: &Env) -> Result<Report, Error> {
    match request {
        Request::Kubelet { service_accounts } => {
            let config = if *service_accounts { KUBELET_CONFIG_SERVICE_ACCOUNTS } else { KUBELET_CONFIG };
            Ok(Report { lines: vec![config.trim_end().to_string()], warnings: Vec::new() })
        }
        Request::CredsStore { undo } => {
            let docker = docker_config_path(env).ok_or(Error::NoHome)?;
            let ours = config::location(env).ok_or(Error::NoHome)?.path;
            let mut report = if *undo { undo_creds_store(&docker, &ours)? } else { set_creds_store(&docker, &ours)? };
            if !on_path(env) {
                report.warnings.push(format!(
                    "{BINARY} is not on PATH, so docker will not find it: install it into a directory on PATH"
                ));
            }
            Ok(report)
        }
        Request::Route { client, hosts } => {
            check_aliases(hosts, env)?;
            let path = match client {
                Client::Docker => docker_config_path(env),
                Client::Podman => podman_auth_path(env),
            };
            let mut report = add_cred_helpers(&path.ok_or(Error::NoHome)?, hosts)?;
            if !on_path(env) {
                let name = if *client == Client::Docker { "docker" } else { "podman" };
                report.warnings.push(format!(
                    "{BINARY} is not on PATH, so {name} will not find it: install it into a directory on PATH"
                ));
            }
            Ok(report)
        }
    }
}

/// Whether docker finds an executable named [`BINARY`] on PATH, by the rules doctor's PATH
/// check lists them with (`installs.rs`); which one it runs is doctor's question.
pub(crate) fn on_path(env: &Env) -> bool {
    !installs::on_path(env, BINARY).0.is_empty()
}

/// Every named host that is not ECR must be an alias of the configuration file.
fn check_aliases(hosts: &[String], env: &Env) -> Result<(), Error> {
    let config = Config::load(env)?;
    for host in hosts.iter().filter(|h| registry::parse(h).is_err()) {
        if config.as_ref().and_then(|c| c.alias_for(host)).is_none() {
            return Err(Error::NotAnEcrHost { value: host.clone() });
        }
    }
    Ok(())
}

/// A JSON configuration file read for editing: where it really is (a symlink's target), its
/// original text, and its object.
struct JsonFile {
    path: PathBuf,
    target: PathBuf,
    existing: Option<String>,
    config: Map<String, Value>,
}

impl JsonFile {
    fn read(path: &Path) -> Result<JsonFile, Error> {
        // A symlink stays one: the file it points to is what gets replaced.
        let target = if path.exists() {
            std::fs::canonicalize(path).map_err(|e| failed(path, "resolve", e))?
        } else {
            path.to_path_buf()
        };
        let existing = match std::fs::read_to_string(&target) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(failed(path, "read", e)),
        };
        let config: Map<String, Value> = match existing.as_deref().map(str::trim) {
            None | Some("") => Map::new(),
            Some(text) => serde_json::from_str(text).map_err(|e| Error::BadConfigFile {
                path: path.to_path_buf(),
                problem: format!("is not a JSON object ({})", json_problem(&e)),
            })?,
        };
        Ok(JsonFile { path: path.to_path_buf(), target, existing, config })
    }

    /// Writes the object back (tab-indented, as docker writes it) with the file's mode, backing
    /// up the original once.
    fn write(&self, report: &mut Report) -> Result<(), Error> {
        let mut text = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
        let mut serializer = serde_json::Serializer::with_formatter(&mut text, formatter);
        serde::Serialize::serialize(&self.config, &mut serializer).map_err(Error::Encode)?;
        text.push(b'\n');
        let mode = match std::fs::metadata(&self.target) {
            #[cfg(unix)]
            Ok(meta) => std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o7777,
            _ => NEW_FILE_MODE,
        };
        backup_and_write(&self.path, &self.target, self.existing.as_deref(), &text, mode, report)?;
        report.lines.insert(0, format!("updated {}:", self.path.display()));
        Ok(())
    }
}

fn failed(path: &Path, action: &'static str, source: std::io::Error) -> Error {
    Error::ConfigFile { action, path: path.to_path_buf(), source }
}

/// Replaces `target` with `text`, first copying `existing` (the original) once to the backup, or
/// creating the directory of a new file.
fn backup_and_write(
    path: &Path,
    target: &Path,
    existing: Option<&str>,
    text: &[u8],
    mode: u32,
    report: &mut Report,
) -> Result<(), Error> {
    if let Some(original) = existing {
        let backup = PathBuf::from(format!("{}{BACKUP_SUFFIX}", target.display()));
        if !backup.exists() {
            write_atomic(&backup, original.as_bytes(), mode).map_err(|e| failed(path, "back up", e))?;
            report.lines.push(format!("backup: {}", backup.display()));
        }
    } else if let Some(dir) = target.parent() {
        create_private_dir(dir).map_err(|e| failed(path, "create the directory of", e))?;
    }
    write_atomic(target, text, mode).map_err(|e| failed(path, "write", e))
}

/// Adds `credHelpers` entries for `hosts` to the JSON file at `path`.
pub fn add_cred_helpers(path: &Path, hosts: &[String]) -> Result<Report, Error> {
    let mut file = JsonFile::read(path)?;
    let helpers = file.config.entry("credHelpers").or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(helpers) = helpers else {
        return Err(Error::BadConfigFile {
            path: path.to_path_buf(),
            problem: "has a \"credHelpers\" that is not an object".into(),
        });
    };
    let mut report = Report::default();
    for host in hosts {
        match helpers.get(host).and_then(Value::as_str) {
            Some(HELPER) => {}
            previous => {
                if let Some(previous) = previous {
                    report.warnings.push(format!("{host} was routed to docker-credential-{previous}; now to {BINARY}"));
                }
                helpers.insert(host.clone(), Value::String(HELPER.to_string()));
                report.lines.push(format!("{host}: {HELPER}"));
            }
        }
    }
    if report.lines.is_empty() {
        report
            .lines
            .push(format!("{} already routes every named registry to {HELPER}; nothing changed", path.display()));
        return Ok(report);
    }
    if let Some(store) = file.config.get("credsStore").and_then(Value::as_str) {
        report
            .warnings
            .push(format!("credsStore {store:?} is left as it is; credHelpers take precedence for these hosts"));
    }
    file.write(&mut report)?;
    Ok(report)
}

/// `configure docker --creds-store`: `credsStore` becomes ecr-login, and the store it replaces
/// (desktop, pass, secretservice, osxkeychain…) becomes the configuration's `fallback`, so that
/// every login it holds still works.
fn set_creds_store(docker: &Path, ours: &Path) -> Result<Report, Error> {
    let mut file = JsonFile::read(docker)?;
    let mut report = Report::default();
    let previous = file.config.get("credsStore").and_then(Value::as_str).map(str::to_string);
    if previous.as_deref() == Some(HELPER) {
        report.lines.push(format!("{} already has credsStore {HELPER}; nothing changed", docker.display()));
        return Ok(report);
    }
    if let Some(previous) = &previous {
        set_fallback(ours, Some(previous), &mut report)?;
    }
    file.config.insert("credsStore".into(), Value::String(HELPER.into()));
    report.lines.push(format!("credsStore: {HELPER}"));
    if previous.is_none() {
        report.warnings.push(format!(
            "there was no credsStore, so logins to other registries now fail until you set fallback in {} (e.g. \
             fallback = \"pass\")",
            ours.display()
        ));
    }
    file.write(&mut report)?;
    Ok(report)
}

/// `configure docker --creds-store --undo`: the fallback goes back to being `credsStore` (or
/// `credsStore` goes, when there was none) and leaves the configuration.
fn undo_creds_store(docker: &Path, ours: &Path) -> Result<Report, Error> {
    let mut file = JsonFile::read(docker)?;
    let mut report = Report::default();
    if file.config.get("credsStore").and_then(Value::as_str) != Some(HELPER) {
        report.lines.push(format!("{}'s credsStore is not {HELPER}; nothing changed", docker.display()));
        return Ok(report);
    }
    let fallback = match std::fs::read_to_string(ours) {
        Ok(text) => Config::parse(ours, &text)?.fallback,
        Err(_) => None,
    };
    if let Some(name) = &fallback {
        file.config.insert("credsStore".into(), Value::String(name.clone()));
        report.lines.push(format!("credsStore: {name}"));
        set_fallback(ours, None, &mut report)?;
    } else {
        file.config.remove("credsStore");
        report.lines.push("credsStore: removed".into());
    }
    file.write(&mut report)?;
    Ok(report)
}

/// Sets (or with `None` removes) the top-level `fallback` of our configuration file, keeping the
/// rest of its text; the result must parse before it is written.
fn set_fallback(path: &Path, name: Option<&str>, report: &mut Report) -> Result<(), Error> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(failed(path, "read", e)),
    };
    let text = existing.clone().unwrap_or_default();
    let current = if text.trim().is_empty() { None } else { Config::parse(path, &text)?.fallback };
    if current.as_deref() == name {
        return Ok(());
    }
    if let (Some(current), Some(name)) = (&current, name) {
        return Err(Error::BadConfigFile {
            path: path.to_path_buf(),
            problem: format!("already has fallback = \"{current}\", and docker's credsStore is \"{name}\""),
        });
    }
    // Top-level keys come before the first table, so the line is found (or put) there.
    let first_table = text.lines().position(|l| l.trim_start().starts_with('[')).unwrap_or(usize::MAX);
    let is_fallback =
        |l: &str| l.trim_start().strip_prefix("fallback").is_some_and(|r| r.trim_start().starts_with('='));
    let mut lines: Vec<String> = text
        .lines()
        .enumerate()
        .filter(|(i, l)| !(*i < first_table && is_fallback(l)))
        .map(|(_, l)| l.to_string())
        .collect();
    if let Some(name) = name {
        lines.insert(0, format!("fallback = \"{name}\"   # set by configure docker --creds-store"));
    }
    let mut new_text = lines.join("\n");
    new_text.push('\n');
    Config::parse(path, &new_text)?;
    backup_and_write(path, path, existing.as_deref(), new_text.as_bytes(), NEW_FILE_MODE, report)?;
    report.lines.push(match name {
        Some(name) => format!("{}: fallback = \"{name}\"", path.display()),
        None => format!("{}: fallback removed", path.display()),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(list: &[&str]) -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    }

    const HOST: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

    #[test]
    fn entries_are_added_and_everything_else_is_kept_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let original =
            "{\n\t\"auths\": {\"ghcr.io\": {\"auth\": \"abc\"}},\n\t\"credsStore\": \"desktop\",\n\t\"zzz\": 1\n}\n";
        std::fs::write(&path, original).unwrap();
        let report = add_cred_helpers(&path, &hosts(&[HOST])).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let config: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(config["credHelpers"][HOST], "ecr-login");
        assert_eq!(config["credsStore"], "desktop");
        assert_eq!(config["auths"]["ghcr.io"]["auth"], "abc");
        let keys: Vec<&String> = config.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["auths", "credsStore", "zzz", "credHelpers"]);
        assert_eq!(std::fs::read_to_string(dir.path().join("config.json.ecr-login.bak")).unwrap(), original);
        assert!(report.warnings.iter().any(|w| w.contains("credsStore")));
    }

    #[test]
    fn a_second_run_changes_nothing_and_backs_up_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, "{}").unwrap();
        add_cred_helpers(&path, &hosts(&[HOST])).unwrap();
        let first = std::fs::read(&path).unwrap();
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        let report = add_cred_helpers(&path, &hosts(&[HOST])).unwrap();
        assert!(report.lines[0].contains("nothing changed"));
        assert_eq!(std::fs::read(&path).unwrap(), first);
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), modified);
        add_cred_helpers(&path, &hosts(&["public.ecr.aws"])).unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join("config.json.ecr-login.bak")).unwrap(), "{}");
    }

    #[cfg(unix)]
    #[test]
    fn permissions_and_symlinks_are_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("dotfiles-config.json");
        std::fs::write(&real, "{\"auths\":{}}").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("config.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        add_cred_helpers(&link, &hosts(&[HOST])).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert!(std::fs::read_to_string(&real).unwrap().contains(HOST));
        assert_eq!(std::fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o640);
    }

    #[cfg(unix)]
    #[test]
    fn a_new_file_is_private_in_a_new_directory() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".docker/config.json");
        add_cred_helpers(&path, &hosts(&[HOST])).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(!dir.path().join(".docker/config.json.ecr-login.bak").exists());
    }

    #[test]
    fn broken_files_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, "{\"auths\": ").unwrap();
        assert!(add_cred_helpers(&path, &hosts(&[HOST])).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"auths\": ");
        std::fs::write(&path, "{\"credHelpers\": []}").unwrap();
        assert!(add_cred_helpers(&path, &hosts(&[HOST])).is_err());
    }
}
