//! `docker-credential-ecr-login`: gathers the real arguments, environment, streams, clock and cache
//! directory, runs the library, and turns its answer into the exit code.

use std::process::ExitCode;
use std::time::SystemTime;

use ecr_login::{AwsSdk, Env, Streams, Trace, World, cache_dir, run};

fn now() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The endpoint variables the AWS SDK reads for the calls the helper makes (the global one, ECR,
/// ECR Public, STS, and the SSO portal and token services).
const ENDPOINT_VARIABLES: &[&str] = &[
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_ECR",
    "AWS_ENDPOINT_URL_ECR_PUBLIC",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_SSO",
    "AWS_ENDPOINT_URL_SSO_OIDC",
];

/// Unsets every endpoint variable that is set to nothing. The helper reads an empty variable as
/// unset (as the AWS CLI and the Go SDK do), but the AWS SDK for Rust takes `AWS_ENDPOINT_URL=` as
/// the URL `""` and panics building its client, also inside its own credential providers, which
/// read the process environment themselves. Decided from the snapshot: the strings it borrows
/// outlive their removal from the process environment, and it reads an empty value as unset anyway.
fn unset_empty_endpoint_variables(env: &Env) {
    for name in ENDPOINT_VARIABLES {
        if env.is_set_empty(name) {
            // SAFETY: called first thing in `main`, before any thread exists that could read the
            // environment concurrently.
            unsafe { std::env::remove_var(name) };
        }
    }
}

fn main() -> ExitCode {
    let mut argv = std::env::args_os().map(|a| a.to_string_lossy().into_owned());
    let program = argv.next().unwrap_or_default();
    let args: Vec<String> = argv.collect();
    let env = Env::from_process();
    unset_empty_endpoint_variables(&env);
    let (trace, trace_warning) = Trace::from_env(&env);
    let world = World { cache_dir: cache_dir(&env), env: &env, now: &now, aws: AwsSdk, trace };
    let mut streams =
        Streams { stdin: std::io::stdin().lock(), stdout: std::io::stdout().lock(), stderr: std::io::stderr().lock() };
    if let Some(warning) = trace_warning {
        streams.warn(warning);
    }
    ExitCode::from(run(&program, &args, &mut streams, &world))
}
