//! The terminal of the MFA prompt on Unix (Linux and macOS): the controlling terminal `/dev/tty`,
//! whatever stdin and stdout are.
//!
//! - **Echo** goes off with termios (`ECHO` off, `ECHONL` on, so the line break still shows) and
//!   comes back when the guard drops; a SIGINT, SIGTERM or SIGHUP meanwhile (Ctrl-C at the
//!   prompt) restores it too, then takes its usual course, so that the person's shell is never
//!   left without echo.
//! - **The wait** for the next character is `select`, on every Unix. macOS's `poll` answers
//!   `POLLNVAL` at once for a terminal device, so a wait built on it would fall through to a
//!   blocking read that no limit bounds; `select` waits on a terminal on Linux and macOS alike, so
//!   the one code path that the Linux tests run is the one macOS runs. Its only limit, descriptors
//!   below `FD_SETSIZE`, holds for a terminal opened by a process that keeps a handful of files
//!   open, and is checked rather than assumed.
//! - **Without a controlling terminal** (CI, a daemon, `setsid`), `/dev/tty` does not open
//!   (`ENXIO`), and the prompt is never shown.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::time::Duration;

/// The terminal of the process, whatever stdin and stdout are.
const TTY: &str = "/dev/tty";

/// The controlling terminal, opened for reading and writing.
pub(super) struct Device(File);

impl Device {
    pub(super) fn open() -> io::Result<Device> {
        OpenOptions::new().read(true).write(true).open(TTY).map(Device)
    }

    /// Writes all of `bytes` at once (a terminal file is not buffered).
    pub(super) fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.write_all(bytes)
    }

    /// Turns echo off until the guard drops; `None` (and echo as it was) where that is not possible.
    pub(super) fn echo_off(&self) -> Option<quiet::NoEcho> {
        quiet::NoEcho::new(&self.0)
    }

    /// The next character typed within `within`: `None` if none came, an `UnexpectedEof` error
    /// if the terminal closed. A byte is a character here: the terminal's line discipline has
    /// already applied erase and kill, and an answer that is not ASCII is not a code anyway.
    pub(super) fn read_char(&mut self, within: Duration) -> io::Result<Option<char>> {
        if !readable_within(&self.0, within)? {
            return Ok(None);
        }
        let mut byte = [0u8; 1];
        match self.0.read(&mut byte)? {
            0 => Err(io::ErrorKind::UnexpectedEof.into()),
            _ => Ok(Some(char::from(byte[0]))),
        }
    }
}

/// Whether `file` has something to read within `limit`, by `select` (see the module docs for why
/// not `poll`). A signal that cuts the wait short reads as nothing yet: the caller's deadline
/// decides whether to wait again.
fn readable_within(file: &File, limit: Duration) -> io::Result<bool> {
    let fd = file.as_raw_fd();
    if usize::try_from(fd).map_or(true, |fd| fd >= libc::FD_SETSIZE) {
        return Err(io::Error::other(format!("descriptor {fd} is beyond select's reach")));
    }
    // Microseconds, rounded up so that a wait never ends before the limit; capped at a day, far
    // beyond any prompt's limit and within what every select accepts.
    let micros = limit.as_nanos().div_ceil(1000).clamp(1, 86_400_000_000);
    let mut timeout = libc::timeval {
        tv_sec: libc::time_t::try_from(micros / 1_000_000).unwrap_or(libc::time_t::MAX),
        tv_usec: libc::suseconds_t::try_from(micros % 1_000_000).unwrap_or(0),
    };
    // SAFETY: an fd_set is plain data that FD_ZERO initialises; `fd` is open and below
    // FD_SETSIZE (checked above), and every pointer is valid for the duration of the call.
    let ready = unsafe {
        let mut readable = std::mem::MaybeUninit::<libc::fd_set>::uninit();
        libc::FD_ZERO(readable.as_mut_ptr());
        let mut readable = readable.assume_init();
        libc::FD_SET(fd, &raw mut readable);
        libc::select(fd + 1, &raw mut readable, std::ptr::null_mut(), std::ptr::null_mut(), &raw mut timeout)
    };
    match ready {
        -1 => {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::Interrupted { Ok(false) } else { Err(error) }
        }
        ready => Ok(ready > 0),
    }
}

/// Echo off on the terminal while the code is typed, back on when dropped or on a signal.
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

    /// The terminal's settings before echo went off, put back when dropped.
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

#[cfg(test)]
mod tests {
    use std::ffi::CStr;
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::time::Instant;

    use super::*;

    const SHORT: Duration = Duration::from_millis(150);

    /// A new pseudo-terminal: its controller (what a terminal emulator holds) and the terminal
    /// itself (what a shell's `/dev/tty` is), both in canonical mode with echo on.
    fn pty() -> (File, File) {
        // SAFETY: plain libc calls; each result is checked, and each fd is owned once.
        unsafe {
            let controller = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
            assert!(controller >= 0, "posix_openpt: {}", io::Error::last_os_error());
            let controller = File::from(OwnedFd::from_raw_fd(controller));
            assert_eq!(libc::grantpt(controller.as_raw_fd()), 0);
            assert_eq!(libc::unlockpt(controller.as_raw_fd()), 0);
            let name = CStr::from_ptr(libc::ptsname(controller.as_raw_fd())).to_owned();
            let terminal = libc::open(name.as_ptr(), libc::O_RDWR | libc::O_NOCTTY);
            assert!(terminal >= 0, "{name:?}: {}", io::Error::last_os_error());
            (controller, File::from(OwnedFd::from_raw_fd(terminal)))
        }
    }

    fn echo_is_on(terminal: &File) -> bool {
        let mut settings = std::mem::MaybeUninit::<libc::termios>::uninit();
        // SAFETY: tcgetattr fills the termios, checked by the assertion before it is read.
        unsafe {
            assert_eq!(libc::tcgetattr(terminal.as_raw_fd(), settings.as_mut_ptr()), 0);
            settings.assume_init().c_lflag & libc::ECHO != 0
        }
    }

    /// What the controller has to read now (the terminal's output and its echo).
    fn shown(controller: &mut File) -> String {
        let mut text = Vec::new();
        let mut chunk = [0u8; 256];
        while readable_within(controller, Duration::from_millis(50)).unwrap() {
            let n = controller.read(&mut chunk).unwrap();
            text.extend_from_slice(&chunk[..n]);
        }
        String::from_utf8_lossy(&text).into_owned()
    }

    #[test]
    fn a_terminal_with_nothing_typed_is_waited_on_for_the_whole_limit() {
        // What macOS's poll gets wrong: it answers POLLNVAL at once for a terminal, and a wait
        // built on it falls through to a read that blocks until someone types.
        let (mut controller, terminal) = pty();
        let mut device = Device(terminal);
        let (done, wait) = std::sync::mpsc::channel();
        let start = Instant::now();
        let reader = std::thread::spawn(move || done.send((device.read_char(SHORT).unwrap(), start.elapsed())));
        let Ok((read, waited)) = wait.recv_timeout(SHORT * 10) else {
            // Free the blocked read before failing, so that the test ends.
            controller.write_all(b"\n").unwrap();
            let _ = reader.join();
            panic!("the wait for {SHORT:?} did not end: the read blocked");
        };
        assert_eq!(read, None);
        assert!(waited >= SHORT, "waited {waited:?} for {SHORT:?}");
        reader.join().unwrap().unwrap();
    }

    #[test]
    fn a_typed_line_reaches_the_reader_once_it_is_ended() {
        let (mut controller, terminal) = pty();
        let mut device = Device(terminal);
        controller.write_all(b"12").unwrap();
        // Canonical mode: nothing is readable before the line ends.
        assert_eq!(device.read_char(SHORT).unwrap(), None);
        controller.write_all(b"\n").unwrap();
        let read: Vec<Option<char>> = (0..3).map(|_| device.read_char(SHORT).unwrap()).collect();
        assert_eq!(read, [Some('1'), Some('2'), Some('\n')]);
    }

    #[test]
    fn a_pipe_is_waited_on_and_its_end_reads_as_a_closed_terminal() {
        let (reader, mut writer) = std::io::pipe().unwrap();
        let mut device = Device(File::from(OwnedFd::from(reader)));
        let start = Instant::now();
        assert_eq!(device.read_char(SHORT).unwrap(), None);
        assert!(start.elapsed() >= SHORT);
        writer.write_all(b"7").unwrap();
        assert_eq!(device.read_char(SHORT).unwrap(), Some('7'));
        drop(writer);
        assert_eq!(device.read_char(SHORT).unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn echo_is_off_while_the_code_is_typed_and_back_on_after() {
        let (mut controller, terminal) = pty();
        let device = Device(terminal);
        assert!(echo_is_on(&device.0));
        let quiet = device.echo_off().expect("a terminal's echo can be turned off");
        assert!(!echo_is_on(&device.0));
        controller.write_all(b"654321\n").unwrap();
        // ECHONL: the line break shows, the code does not.
        assert_eq!(shown(&mut controller), "\r\n");
        drop(quiet);
        assert!(echo_is_on(&device.0));
        controller.write_all(b"seen\n").unwrap();
        assert!(shown(&mut controller).contains("seen"));
    }
}
