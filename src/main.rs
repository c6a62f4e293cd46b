//! `docker-credential-ecr-login`: gathers the real arguments, environment, streams, clock and cache
//! directory, runs the library, and turns its answer into the exit code.

use std::process::ExitCode;
use std::time::SystemTime;

use ecr_login::{AwsSdk, Env, Streams, World, cache_dir, run};

fn now() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn main() -> ExitCode {
    let mut argv = std::env::args_os().map(|a| a.to_string_lossy().into_owned());
    let program = argv.next().unwrap_or_default();
    let args: Vec<String> = argv.collect();
    let env = Env::from_process();
    let world = World { cache_dir: cache_dir(&env), env: &env, now: &now, aws: AwsSdk };
    let mut streams =
        Streams { stdin: std::io::stdin().lock(), stdout: std::io::stdout().lock(), stderr: std::io::stderr().lock() };
    ExitCode::from(run(&program, &args, &mut streams, &world))
}
