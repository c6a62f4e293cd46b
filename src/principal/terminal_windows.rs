//! The terminal of the MFA prompt on Windows: the process's console, whatever stdin and stdout
//! are (a pipe to docker, most of the time).
//!
//! - **The console** is `CONIN$` and `CONOUT$`, opened by name, as `/dev/tty` is on Unix. A
//!   process without a console (a service, a program started detached, a scheduled task) cannot
//!   open them, or gets a handle that has no console mode, and the prompt is never shown.
//! - **Echo** goes off with the console mode: line input and echo off, processed input on (so
//!   that Ctrl-C stays a signal, not a key). The mode comes back when the guard drops; on Ctrl-C,
//!   Ctrl-Break or the console window closing, a console control handler puts it back and lets
//!   the next handler (the default one ends the process) go on, so that the person's shell is
//!   never left without echo.
//! - **The wait** is `WaitForSingleObject` on the input handle, which is signalled while the
//!   console holds any input event (a key up, a mouse move, a focus change too). So the line is
//!   read as key events, one at a time: a cooked read after a wait would block until Enter, beyond
//!   any limit. With no line editing by the console, backspace reaches the reader, which takes
//!   back a character.

use std::io;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::time::{Duration, Instant};

use windows_sys::Win32::Foundation::{GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE, WAIT_OBJECT_0, WAIT_TIMEOUT};
use windows_sys::Win32::Storage::FileSystem::{CreateFileW, FILE_SHARE_READ, FILE_SHARE_WRITE, OPEN_EXISTING};
use windows_sys::Win32::System::Console::{GetConsoleMode, INPUT_RECORD, KEY_EVENT, ReadConsoleInputW, WriteConsoleW};
use windows_sys::Win32::System::Threading::WaitForSingleObject;

/// The console of the process, whatever its standard handles are.
pub(super) struct Device {
    input: OwnedHandle,
    output: OwnedHandle,
}

/// Opens one of the console's two devices (`CONIN$`, `CONOUT$`) for reading and writing, as the
/// console mode calls need.
fn open_console(name: &str) -> io::Result<OwnedHandle> {
    let wide: Vec<u16> = name.encode_utf16().chain([0]).collect();
    // SAFETY: a NUL-terminated name; no security attributes or template; the handle is checked.
    let handle = unsafe {
        CreateFileW(
            wide.as_ptr(),
            GENERIC_READ | GENERIC_WRITE,
            FILE_SHARE_READ | FILE_SHARE_WRITE,
            std::ptr::null(),
            OPEN_EXISTING,
            0,
            std::ptr::null_mut(),
        )
    };
    if handle == INVALID_HANDLE_VALUE || handle.is_null() {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a handle just opened, owned from here on alone.
    Ok(unsafe { OwnedHandle::from_raw_handle(handle) })
}

impl Device {
    pub(super) fn open() -> io::Result<Device> {
        let input = open_console("CONIN$")?;
        let output = open_console("CONOUT$")?;
        // A name that opened something other than a console has no console mode: no terminal.
        let mut mode = 0;
        // SAFETY: an open handle and a place for its mode.
        if unsafe { GetConsoleMode(input.as_raw_handle(), &raw mut mode) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Device { input, output })
    }

    /// Writes all of `bytes` (UTF-8) to the console as text, whatever its code page.
    pub(super) fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let text: Vec<u16> = String::from_utf8_lossy(bytes).encode_utf16().collect();
        let mut rest = &text[..];
        while !rest.is_empty() {
            let length = u32::try_from(rest.len()).unwrap_or(u32::MAX);
            let mut written = 0;
            // SAFETY: `rest` is valid for `length` UTF-16 units; `written` receives the count.
            let ok = unsafe {
                WriteConsoleW(self.output.as_raw_handle(), rest.as_ptr(), length, &raw mut written, std::ptr::null())
            };
            if ok == 0 {
                return Err(io::Error::last_os_error());
            }
            if written == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            rest = rest.get(written as usize..).unwrap_or_default();
        }
        Ok(())
    }

    /// Turns echo and line input off until the guard drops; `None` (and the mode as it was)
    /// where that is not possible.
    pub(super) fn echo_off(&self) -> Option<quiet::NoEcho> {
        quiet::NoEcho::new(self.input.as_raw_handle())
    }

    /// The next character typed within `within`: `None` if none came. Enter is `'\n'` (and
    /// shows as a line break, echo being off), backspace `'\u{8}'`; other events (keys released,
    /// keys without a character, the mouse, focus) are read and passed over within the same wait.
    pub(super) fn read_char(&mut self, within: Duration) -> io::Result<Option<char>> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            // Milliseconds rounded up; below INFINITE (u32::MAX), which would never end.
            let millis = u32::try_from(left.as_nanos().div_ceil(1_000_000)).unwrap_or(u32::MAX - 1).min(u32::MAX - 1);
            // SAFETY: an open console input handle.
            match unsafe { WaitForSingleObject(self.input.as_raw_handle(), millis) } {
                WAIT_OBJECT_0 => {}
                WAIT_TIMEOUT => return Ok(None),
                _ => return Err(io::Error::last_os_error()),
            }
            let mut record = INPUT_RECORD::default();
            let mut read = 0;
            // SAFETY: room for one record, and a place for the count.
            if unsafe { ReadConsoleInputW(self.input.as_raw_handle(), &raw mut record, 1, &raw mut read) } == 0 {
                return Err(io::Error::last_os_error());
            }
            if read == 1 && u32::from(record.EventType) == KEY_EVENT {
                // SAFETY: a KEY_EVENT record holds a key event.
                let key = unsafe { record.Event.KeyEvent };
                // SAFETY: either member of the union is a plain integer.
                let unit = unsafe { key.uChar.UnicodeChar };
                if key.bKeyDown != 0 && unit != 0 {
                    return Ok(Some(self.typed(unit)));
                }
            }
        }
    }

    /// The character of one UTF-16 unit typed; Enter also moves the console to the next line.
    fn typed(&mut self, unit: u16) -> char {
        match char::from_u32(u32::from(unit)) {
            Some('\r') => {
                let _ = self.write_all(b"\r\n");
                '\n'
            }
            Some(c) => c,
            // Half of a character beyond the basic plane: not a digit, which is all that matters.
            None => char::REPLACEMENT_CHARACTER,
        }
    }
}

/// Echo and line input off on the console while the code is typed, back when dropped or on Ctrl-C.
mod quiet {
    use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

    use windows_sys::Win32::Foundation::HANDLE;
    use windows_sys::Win32::System::Console::{
        ENABLE_ECHO_INPUT, ENABLE_LINE_INPUT, ENABLE_PROCESSED_INPUT, GetConsoleMode, SetConsoleCtrlHandler,
        SetConsoleMode,
    };
    use windows_sys::core::BOOL;

    /// The console input whose mode the handler restores, or null.
    static INPUT: AtomicPtr<core::ffi::c_void> = AtomicPtr::new(std::ptr::null_mut());
    /// Its mode before echo went off; written before `INPUT` is set, read only after.
    static SAVED: AtomicU32 = AtomicU32::new(0);

    /// The console's mode before echo went off, put back when dropped.
    pub struct NoEcho {
        input: HANDLE,
        saved: u32,
    }

    /// Runs on a thread of its own on Ctrl-C, Ctrl-Break or the window closing: puts the mode
    /// back and answers "not handled", so that the next handler (the default ends the process)
    /// goes on.
    unsafe extern "system" fn restore_then_go_on(_event: u32) -> BOOL {
        let input = INPUT.load(Ordering::SeqCst);
        if !input.is_null() {
            // SAFETY: the handle stays open while INPUT holds it (the guard clears it first).
            unsafe { SetConsoleMode(input, SAVED.load(Ordering::SeqCst)) };
        }
        0
    }

    impl NoEcho {
        pub fn new(input: HANDLE) -> Option<NoEcho> {
            let mut saved = 0;
            // SAFETY: an open console input handle, and a place for its mode.
            if unsafe { GetConsoleMode(input, &raw mut saved) } == 0 {
                return None;
            }
            SAVED.store(saved, Ordering::SeqCst);
            INPUT.store(input, Ordering::SeqCst);
            // SAFETY: adds a handler that only sets the console mode.
            unsafe { SetConsoleCtrlHandler(Some(restore_then_go_on), 1) };
            let quiet = (saved & !(ENABLE_ECHO_INPUT | ENABLE_LINE_INPUT)) | ENABLE_PROCESSED_INPUT;
            // SAFETY: a mode for the handle it was read from.
            unsafe { SetConsoleMode(input, quiet) };
            Some(NoEcho { input, saved })
        }
    }

    impl Drop for NoEcho {
        fn drop(&mut self) {
            INPUT.store(std::ptr::null_mut(), Ordering::SeqCst);
            // SAFETY: the mode read from this handle in `new`; removes the handler `new` added.
            unsafe {
                SetConsoleMode(self.input, self.saved);
                SetConsoleCtrlHandler(Some(restore_then_go_on), 0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::windows::process::CommandExt;
    use std::process::Command;

    use windows_sys::Win32::System::Threading::DETACHED_PROCESS;

    use super::*;

    /// The test that runs in a process of its own, started without a console.
    const DETACHED_TEST: &str = "principal::terminal_windows::tests::without_a_console_there_is_no_terminal_to_open";

    /// Set in that process's environment, so that the test checks only there (a run with
    /// `--include-ignored` may run it in a process that has a console).
    const DETACHED_MARK: &str = "ECR_LOGIN_TEST_WITHOUT_CONSOLE";

    #[test]
    #[ignore = "run by a_process_without_a_console_has_no_terminal, in a process without a console"]
    fn without_a_console_there_is_no_terminal_to_open() {
        if std::env::var_os(DETACHED_MARK).is_none() {
            return;
        }
        let error = Device::open().err().expect("a process without a console has no terminal to open");
        println!("no console: {error}");
    }

    #[test]
    fn a_process_without_a_console_has_no_terminal() {
        let test_binary = std::env::current_exe().unwrap();
        let run = Command::new(test_binary)
            .args(["--exact", DETACHED_TEST, "--ignored", "--nocapture", "--test-threads=1"])
            .env(DETACHED_MARK, "1")
            .creation_flags(DETACHED_PROCESS)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&run.stdout);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(
            run.status.success() && stdout.contains("no console: ") && stdout.contains("1 passed"),
            "{stdout}\n{stderr}"
        );
    }
}
