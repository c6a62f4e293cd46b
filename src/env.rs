//! A snapshot of the process environment, taken once in `main` and passed down, so that the library
//! never reads global state and tests give each run its own environment.

use std::collections::HashMap;
use std::path::PathBuf;

/// Environment variables by name. An empty value reads as unset, which is what every variable the
/// helper looks at means by it.
#[derive(Debug, Clone, Default)]
pub struct Env(HashMap<String, String>);

impl Env {
    /// Takes the current process environment; variables that are not UTF-8 are skipped.
    pub fn from_process() -> Env {
        Env(std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))).collect())
    }

    /// The value of `name`, if it is set and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// Whether `name` is set to `true` in any case, as the Go helper reads its boolean switches.
    pub fn is_true(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// The user's home directory from `HOME`.
    pub fn home(&self) -> Option<PathBuf> {
        self.get("HOME").map(PathBuf::from)
    }

    /// `path` with a leading `~/` expanded to `HOME`, the way the SDK reads `AWS_CONFIG_FILE` and
    /// friends; any other path, or no `HOME`, leaves it as it is.
    pub fn expand_home(&self, path: &str) -> PathBuf {
        match (path.strip_prefix("~/"), self.home()) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(path),
        }
    }

    /// Every variable, for a child process's environment.
    pub fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Sets a variable; for tests and for callers that build an environment by hand.
    pub fn set(&mut self, name: &str, value: &str) {
        self.0.insert(name.to_string(), value.to_string());
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Env {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Env {
        Env(iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }
}
