//! The MFA prompt on the person's terminal, never on stdin or stdout, which the protocol owns:
//! echo off while the code is typed, restored on Ctrl-C, one line read within a limit of its own.
//!
//! This file is the room's face: the prompt, its limit and the reading of one line are written
//! once here; the terminal itself is one module per OS behind one interface (`Device`), chosen
//! below and nowhere else:
//!
//! - **Unix** (`terminal_unix.rs`): the controlling terminal `/dev/tty`; echo off with termios,
//!   restored by a SIGINT, SIGTERM or SIGHUP handler; the wait is `select`, on Linux and macOS
//!   alike (macOS's `poll` does not wait on a terminal).
//! - **Windows** (`terminal_windows.rs`): the console, `CONIN$` and `CONOUT$`; echo and line
//!   input off with the console mode, restored by a console control handler on Ctrl-C; the wait is
//!   `WaitForSingleObject` on the input, and the line is read key by key.
//! - **Elsewhere**: no terminal, so an MFA profile fails as it does without one.
//!
//! A process without a terminal (CI, a daemon, a Windows service, a pipe) cannot open one, and
//! the caller says in one line how to start the session from a terminal.

use std::io;
use std::time::{Duration, Instant};

use crate::error::Error;

#[cfg(unix)]
use super::terminal_unix::Device;
#[cfg(windows)]
use super::terminal_windows::Device;
#[cfg(not(any(unix, windows)))]
use unsupported::Device;

/// How long the prompt waits for a person.
pub const PROMPT_LIMIT: Duration = Duration::from_secs(5 * 60);

/// An MFA code is six digits (STS `TokenCode`).
const CODE_DIGITS: usize = 6;

/// The longest answer read; anything longer is not a code, and is not read to its end.
const ANSWER_LIMIT: usize = 64;

/// The person's terminal, opened for the prompt.
pub(super) struct Terminal(Device);

impl Terminal {
    /// Opens the terminal; fails where the process has none.
    pub(super) fn open() -> Result<Terminal, ()> {
        Device::open().map(Terminal).map_err(|_| ())
    }

    pub(super) fn say(&mut self, line: &str) {
        // One write, so that the terminal's echo of the code cannot land inside the line.
        let _ = self.0.write_all(format!("ecr-login: {line}\n").as_bytes());
    }

    /// Asks for the code of `serial` and reads one line within [`PROMPT_LIMIT`], with echo off
    /// (as the AWS CLI's getpass prompt has it): the code does not stay on the screen, in the
    /// scrollback or in a recording of the session.
    pub(super) fn ask(&mut self, serial: &str, profile: &str) -> Result<String, Error> {
        let no_code = |reason: &str| Error::MfaNoCode { profile: profile.to_string(), reason: reason.to_string() };
        // Before the prompt: a code typed at once must not be echoed either.
        let _quiet = self.0.echo_off();
        self.0
            .write_all(format!("ecr-login: MFA code for {serial} (profile {profile}): ").as_bytes())
            .map_err(|e| no_code(&format!("cannot write to the terminal: {e}")))?;
        let device = &mut self.0;
        let line = read_line(Instant::now() + PROMPT_LIMIT, |left| device.read_char(left)).map_err(|e| no_code(&e))?;
        let code = line.trim();
        if code.len() != CODE_DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(no_code(&format!("an MFA code is {CODE_DIGITS} digits")));
        }
        Ok(code.to_string())
    }
}

/// Reads one line by `next`, which waits at most the time it is given for the next character:
/// `None` when none came in that time, an `UnexpectedEof` error when the terminal closed. A
/// backspace or delete that reaches us (Windows reads keys, not lines) takes back the last one.
fn read_line(deadline: Instant, mut next: impl FnMut(Duration) -> io::Result<Option<char>>) -> Result<String, String> {
    let mut line = String::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!("no answer within {} minutes", PROMPT_LIMIT.as_secs() / 60));
        }
        match next(left) {
            // Nothing yet, or a wait cut short: the deadline above decides.
            Ok(None) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Ok(Some('\n')) => return Ok(line),
            Ok(Some('\u{8}' | '\u{7f}')) => {
                line.pop();
            }
            Ok(Some(c)) if line.len() < ANSWER_LIMIT => line.push(c),
            Ok(Some(_)) => return Err("the answer is too long".into()),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Err("the terminal closed".into()),
            Err(e) => return Err(format!("cannot read the terminal: {e}")),
        }
    }
}

/// Where there is neither a Unix terminal nor a Windows console, there is no terminal to open:
/// an MFA profile fails there as it does in a process without one.
#[cfg(not(any(unix, windows)))]
mod unsupported {
    use std::io;
    use std::time::Duration;

    pub(super) enum Device {}

    impl Device {
        pub(super) fn open() -> io::Result<Device> {
            Err(io::ErrorKind::Unsupported.into())
        }

        pub(super) fn write_all(&mut self, _bytes: &[u8]) -> io::Result<()> {
            match *self {}
        }

        pub(super) fn echo_off(&self) {
            match *self {}
        }

        pub(super) fn read_char(&mut self, _within: Duration) -> io::Result<Option<char>> {
            match *self {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `next` that answers from `script` in order, each after no wait, then reports the
    /// terminal closed.
    fn scripted(script: &[Option<char>]) -> impl FnMut(Duration) -> io::Result<Option<char>> + '_ {
        let mut at = 0;
        move |_| {
            at += 1;
            script.get(at - 1).copied().ok_or_else(|| io::ErrorKind::UnexpectedEof.into())
        }
    }

    fn later() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    #[test]
    fn a_line_ends_at_its_newline_and_erased_characters_are_taken_back() {
        let keys: Vec<Option<char>> = "12x\u{8}3\u{7f}345\u{8}56\nmore".chars().map(Some).chain([None]).collect();
        assert_eq!(read_line(later(), scripted(&keys)), Ok("123456".to_string()));
    }

    #[test]
    fn a_wait_that_brings_nothing_goes_on_until_the_deadline_and_then_fails() {
        let limit = Duration::from_millis(60);
        let start = Instant::now();
        let mut waits = 0;
        let result = read_line(start + limit, |left| {
            waits += 1;
            std::thread::sleep(left.min(Duration::from_millis(10)));
            Ok(None)
        });
        assert_eq!(result, Err("no answer within 5 minutes".to_string()));
        // Waited again after a wait that brought nothing (a timer tick is 15 ms on Windows).
        assert!(start.elapsed() >= limit && waits >= 2, "{waits} waits in {:?}", start.elapsed());
    }

    #[test]
    fn a_closed_terminal_an_endless_answer_and_a_read_error_each_end_the_prompt() {
        assert_eq!(read_line(later(), scripted(&[Some('1')])), Err("the terminal closed".to_string()));
        let endless = vec![Some('1'); ANSWER_LIMIT + 1];
        assert_eq!(read_line(later(), scripted(&endless)), Err("the answer is too long".to_string()));
        let broken = read_line(later(), |_| Err(io::Error::other("gone")));
        assert_eq!(broken, Err("cannot read the terminal: gone".to_string()));
    }
}
