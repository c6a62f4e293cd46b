//! Runs the test suite's ECR stand-in on 127.0.0.1 until killed, for the demo and benchmarks.
//!
//! `cargo run --example ecr-stand-in -- [PORT] [--deny ACCOUNT]... [--same-password]` prints
//! `http://127.0.0.1:PORT` on its first line and logs one line per token request on stderr. Token
//! requests for a denied account are refused with AccessDeniedException. With `--same-password`
//! every ECR token's password is `<account>-token-0`, so a registry that accepts it goes on
//! accepting the token that replaces an expired one.

#[path = "../tests/suite/support/stand_in.rs"]
#[allow(dead_code)]
mod stand_in;

use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port = args.first().and_then(|p| p.parse().ok()).unwrap_or(0);
    let stand_in = stand_in::StandIn::start_on(port, true);
    for pair in args.windows(2).filter(|pair| pair[0] == "--deny") {
        stand_in.deny(&pair[1]);
    }
    if args.iter().any(|a| a == "--same-password") {
        stand_in.same_password();
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", stand_in.url());
    let _ = out.flush();
    drop(out);
    loop {
        std::thread::park();
    }
}
