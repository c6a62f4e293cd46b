//! What every command is handed: its world (environment, clock, cache directory and the AWS seam)
//! and its streams, with the three ways a command reports on them. Low in the house: commands and
//! mechanisms import it; it imports only data types.

use std::fmt::Display;
use std::io::{Read, Write};
use std::path::PathBuf;

use crate::clock::UnixSeconds;
use crate::env::Env;
use crate::error::{EXIT_FAILURE, Error};
use crate::trace::Trace;

/// Prefix of every line the helper writes on stderr.
pub const STDERR_PREFIX: &str = "ecr-login";

/// The most standard input any command reads: a host name is far smaller, a JSON request too.
pub const MAX_INPUT_BYTES: usize = 1024 * 1024;

/// Everything a command may consult besides its streams.
pub struct World<'a, A> {
    /// The process environment.
    pub env: &'a Env,
    /// The cache's base directory; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// The wall clock, in Unix seconds.
    pub now: &'a dyn Fn() -> UnixSeconds,
    /// The seam around AWS: tokens on a cache miss, and doctor's questions.
    pub aws: A,
    /// The `ECR_LOGIN_DEBUG` trace: off unless asked for.
    pub trace: Trace,
}

/// The streams of one command.
pub struct Streams<I, O, E> {
    /// Standard input.
    pub stdin: I,
    /// Standard output: the protocol's answers and error lines.
    pub stdout: O,
    /// Standard error: one line saying why, on failure; warnings.
    pub stderr: E,
}

impl<I: Read, O, E> Streams<I, O, E> {
    /// Reads all of standard input as UTF-8, refusing more than 1 MiB (`MAX_INPUT_BYTES`).
    pub fn read_input(&mut self) -> Result<String, Error> {
        let mut bytes = Vec::new();
        (&mut self.stdin)
            .take(MAX_INPUT_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::BadInput { reason: e.to_string() })?;
        if bytes.len() > MAX_INPUT_BYTES {
            return Err(Error::InputTooLarge { limit: MAX_INPUT_BYTES });
        }
        String::from_utf8(bytes).map_err(|_| Error::BadInput { reason: "it is not UTF-8 text".into() })
    }
}

impl<I, O: Write, E: Write> Streams<I, O, E> {
    /// A protocol failure: the line `Error::outcome` chooses on stdout, the cause on stderr, and
    /// the failure exit code.
    pub fn fail(&mut self, error: &Error) -> u8 {
        let _ = self.stdout.write_all(format!("{}\n", error.stdout_line()).as_bytes());
        self.fail_on_stderr(error)
    }
}

impl<I, O, E: Write> Streams<I, O, E> {
    /// A failure of a command outside the credential-helper protocol: stderr only.
    pub fn fail_on_stderr(&mut self, error: &Error) -> u8 {
        self.say(error);
        EXIT_FAILURE
    }

    /// One line on stderr.
    pub fn say(&mut self, message: impl Display) {
        // One write per line: unbuffered stderr would get one per piece of the format, and
        // concurrent helpers on one terminal (or a terminal's echo) could land between them.
        let _ = self.stderr.write_all(format!("{STDERR_PREFIX}: {message}\n").as_bytes());
    }

    /// One warning line on stderr.
    pub fn warn(&mut self, message: impl Display) {
        self.say(format_args!("warning: {message}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(input: &[u8]) -> Result<String, Error> {
        Streams { stdin: input, stdout: (), stderr: () }.read_input()
    }

    #[test]
    fn oversized_and_binary_input_is_refused() {
        let big = vec![b'a'; MAX_INPUT_BYTES + 1];
        assert!(matches!(read(&big), Err(Error::InputTooLarge { .. })));
        let exact = vec![b'a'; MAX_INPUT_BYTES];
        assert_eq!(read(&exact).unwrap().len(), MAX_INPUT_BYTES);
        assert!(matches!(read(&[0xff, 0xfe]), Err(Error::BadInput { .. })));
    }
}
