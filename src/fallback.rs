//! The fallback store: with `fallback = NAME` in the configuration, every action for a host that
//! is neither ECR nor an alias is handed to `docker-credential-NAME`, with our stdin and its
//! stdout, stderr and exit code passed through byte for byte. `credsStore: ecr-login` then serves
//! every registry: ECR from us, Docker Hub logins from the fallback.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::env::Env;
use crate::error::Error;
use crate::programs;

/// The prefix of every credential helper's program name.
pub const PROGRAM_PREFIX: &str = "docker-credential-";

/// Set in the fallback's environment: a fallback that runs us again (a misnamed link) must not
/// delegate again, or the two would call each other until the machine runs out of processes.
const DEPTH_VARIABLE: &str = "ECR_LOGIN_IN_FALLBACK";

/// What the fallback answered.
#[derive(Debug)]
pub struct Answer {
    /// Its exit code (1 when a signal ended it).
    pub code: u8,
    /// Its standard output.
    pub stdout: Vec<u8>,
    /// Its standard error.
    pub stderr: Vec<u8>,
}

/// Runs `docker-credential-<name> <action>` with `input` on its stdin and the environment of
/// `env`, and returns what it answered.
pub fn run(name: &str, config: &Path, action: &str, input: &[u8], env: &Env) -> Result<Answer, Error> {
    let failed = |detail: String| Error::FallbackFailed { name: name.to_string(), detail };
    if env.get(DEPTH_VARIABLE).is_some() {
        return Err(failed("it ran ecr-login again (is it a link to this helper?); not delegating twice".into()));
    }
    let program = programs::find_on_path(env, &format!("{PROGRAM_PREFIX}{name}"))
        .ok_or_else(|| Error::FallbackMissing { name: name.to_string(), config: config.to_path_buf() })?;
    let mut child = Command::new(&program)
        .arg(action)
        .env_clear()
        .envs(env.vars())
        .env(DEPTH_VARIABLE, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("cannot start {}: {e}", program.display())))?;
    // A helper that exits without reading its input closes the pipe: not our failure.
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input);
    }
    let output = child.wait_with_output().map_err(|e| failed(format!("cannot wait for it: {e}")))?;
    let code = output.status.code().and_then(|c| u8::try_from(c).ok()).unwrap_or(crate::error::EXIT_FAILURE);
    Ok(Answer { code, stdout: output.stdout, stderr: output.stderr })
}
