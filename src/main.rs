//! `docker-credential-ecr-login`: gathers the real arguments, environment, streams, clock and cache
//! directory, runs the library, and turns its answer into the exit code.
//!
//! On Linux this is the C `main` itself: std's start-up (parsing `/proc/self/maps` to place the
//! stack guard, among other things) is replaced by `startup::init`, which keeps what matters at a
//! fraction of the cost (see that module). On macOS and Windows `main` is Rust's and std's
//! start-up runs: it reads no `/proc` there (macOS has none), so there is nothing to save.

#![cfg_attr(target_os = "linux", no_main)]

use std::io::Write;
use std::time::SystemTime;

use ecr_login::{AwsSdk, Env, Streams, Trace, World, cache_dir, run, startup};

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

/// Runs the helper and returns its exit code. std reads the arguments without its start-up too: on
/// Linux the C library hands them to std's initialiser in `.init_array`.
fn helper() -> u8 {
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
    let code = run(&program, &args, &mut streams, &world);
    // std's shutdown flushed stdout; without it this flush is ours. Every answer ends in a newline,
    // which the line-buffered stdout has written already: this only guards against a future one
    // that does not, and a failure here has nowhere better to be told.
    let _ = streams.stdout.flush();
    code
}

#[cfg(target_os = "linux")]
#[unsafe(no_mangle)]
extern "C" fn main(_argc: std::ffi::c_int, _argv: *const *const std::ffi::c_char) -> std::ffi::c_int {
    startup::init();
    std::ffi::c_int::from(helper())
}

#[cfg(not(target_os = "linux"))]
fn main() -> std::process::ExitCode {
    startup::init();
    std::process::ExitCode::from(helper())
}
