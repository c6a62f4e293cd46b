//! The MFA prompt on the controlling terminal (`/dev/tty`, never stdin or stdout, which the
//! protocol owns): echo off while the code is typed, restored on Ctrl-C, one line read within a
//! limit of its own.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use crate::error::Error;

/// How long the prompt waits for a person.
pub const PROMPT_LIMIT: Duration = Duration::from_secs(5 * 60);

/// The terminal of the process, whatever stdin and stdout are.
const TTY: &str = "/dev/tty";

/// An MFA code is six digits (STS `TokenCode`).
const CODE_DIGITS: usize = 6;

/// The controlling terminal, opened for the prompt.
pub(super) struct Terminal(File);

impl Terminal {
    pub(super) fn open() -> Result<Terminal, ()> {
        OpenOptions::new().read(true).write(true).open(TTY).map(Terminal).map_err(|_| ())
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
        let _quiet = quiet::NoEcho::new(&self.0);
        self.0
            .write_all(format!("ecr-login: MFA code for {serial} (profile {profile}): ").as_bytes())
            .and_then(|()| self.0.flush())
            .map_err(|e| no_code(&format!("cannot write to the terminal: {e}")))?;
        let line = self.read_line(Instant::now() + PROMPT_LIMIT).map_err(|e| no_code(&e))?;
        let code = line.trim();
        if code.len() != CODE_DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(no_code(&format!("an MFA code is {CODE_DIGITS} digits")));
        }
        Ok(code.to_string())
    }

    fn read_line(&mut self, deadline: Instant) -> Result<String, String> {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || !readable_within(&self.0, left) {
                return Err(format!("no answer within {} minutes", PROMPT_LIMIT.as_secs() / 60));
            }
            match self.0.read(&mut byte) {
                Ok(0) => return Err("the terminal closed".into()),
                Ok(_) if byte[0] == b'\n' => return String::from_utf8(line).map_err(|_| "not text".into()),
                Ok(_) if line.len() < 64 => line.push(byte[0]),
                Ok(_) => return Err("the answer is too long".into()),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("cannot read the terminal: {e}")),
            }
        }
    }
}

/// Echo off on the terminal while the code is typed, back on when dropped; a SIGINT, SIGTERM or
/// SIGHUP meanwhile (Ctrl-C at the prompt) restores it too, then takes its usual course, so that
/// the person's shell is never left without echo.
#[cfg(unix)]
mod quiet {
    use std::fs::File;
    use std::mem::MaybeUninit;
    use std::os::fd::AsRawFd;
    use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

    const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

    /// The terminal whose settings the handler restores, or -1.
    static FD: AtomicI32 = AtomicI32::new(-1);
    /// Its settings before echo went off; written before `FD` is set, read only after.
    static mut SAVED: MaybeUninit<libc::termios> = MaybeUninit::uninit();
    /// The dispositions the signals had before ours.
    static PREVIOUS: [AtomicUsize; 3] = [AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0)];

    pub struct NoEcho {
        fd: libc::c_int,
        saved: libc::termios,
    }

    extern "C" fn restore_then_go_on(signal: libc::c_int) {
        let fd = FD.load(Ordering::SeqCst);
        if fd >= 0 {
            // SAFETY: SAVED was written before FD was set; tcsetattr is async-signal-safe.
            unsafe { libc::tcsetattr(fd, libc::TCSANOW, (&raw const SAVED).cast()) };
        }
        let index = SIGNALS.iter().position(|s| *s == signal).unwrap_or(0);
        let previous = PREVIOUS[index].load(Ordering::SeqCst);
        if previous != libc::SIG_IGN {
            // SAFETY: signal and raise are async-signal-safe; the default action ends the process
            // as the signal would have without us.
            unsafe {
                libc::signal(signal, libc::SIG_DFL);
                libc::raise(signal);
            }
        }
    }

    impl NoEcho {
        /// Turns echo off on `terminal`; `None` (and echo as it was) where that is not possible.
        pub fn new(terminal: &File) -> Option<NoEcho> {
            let fd = terminal.as_raw_fd();
            let mut saved = MaybeUninit::<libc::termios>::uninit();
            // SAFETY: tcgetattr fills the termios it is given, or fails and we stop.
            if unsafe { libc::tcgetattr(fd, saved.as_mut_ptr()) } != 0 {
                return None;
            }
            // SAFETY: initialised by the successful tcgetattr above.
            let saved = unsafe { saved.assume_init() };
            // SAFETY: one prompt at a time, and the handler reads SAVED only once FD is set below.
            unsafe { (&raw mut SAVED).write(MaybeUninit::new(saved)) };
            FD.store(fd, Ordering::SeqCst);
            for (signal, previous) in SIGNALS.iter().zip(&PREVIOUS) {
                let handler = restore_then_go_on as extern "C" fn(libc::c_int) as libc::sighandler_t;
                // SAFETY: installs a handler that only calls async-signal-safe functions.
                previous.store(unsafe { libc::signal(*signal, handler) }, Ordering::SeqCst);
            }
            let mut quiet = saved;
            // No echo, but the line break after the code still shows.
            quiet.c_lflag &= !libc::ECHO;
            quiet.c_lflag |= libc::ECHONL;
            // SAFETY: a valid termios for the terminal we just read it from.
            unsafe { libc::tcsetattr(fd, libc::TCSANOW, &raw const quiet) };
            Some(NoEcho { fd, saved })
        }
    }

    impl Drop for NoEcho {
        fn drop(&mut self) {
            // SAFETY: the settings read from this terminal in `new`.
            unsafe { libc::tcsetattr(self.fd, libc::TCSANOW, &raw const self.saved) };
            FD.store(-1, Ordering::SeqCst);
            for (signal, previous) in SIGNALS.iter().zip(&PREVIOUS) {
                // SAFETY: puts back the disposition the signal had before `new`.
                unsafe { libc::signal(*signal, previous.load(Ordering::SeqCst)) };
            }
        }
    }
}

#[cfg(not(unix))]
mod quiet {
    pub struct NoEcho;

    impl NoEcho {
        pub fn new(_terminal: &std::fs::File) -> Option<NoEcho> {
            None
        }
    }
}

/// Whether `file` has something to read within `limit`.
#[cfg(unix)]
fn readable_within(file: &File, limit: Duration) -> bool {
    use std::os::fd::AsRawFd;
    let mut poll = libc::pollfd { fd: file.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    let millis = libc::c_int::try_from(limit.as_millis()).unwrap_or(libc::c_int::MAX).max(1);
    // SAFETY: one valid pollfd for the duration of the call.
    let ready = unsafe { libc::poll(&raw mut poll, 1, millis) };
    ready > 0
}

#[cfg(not(unix))]
fn readable_within(_file: &File, _limit: Duration) -> bool {
    true
}
