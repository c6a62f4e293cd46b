//! The start of the process that std's runtime makes before `main`, made with fewer calls.
//!
//! On Linux the binary declares the C `main` itself (`#![no_main]` in `main.rs`), so std's start-up
//! never runs, and [`init`] does the parts of it that matter here:
//!
//! - **Standard streams.** A closed fd 0, 1 or 2 is opened on `/dev/null` (one `poll` finds them),
//!   so that a file the helper opens never becomes fd 1 and receives an answer meant for the client.
//! - **SIGPIPE ignored.** A reader that went away makes a write fail with EPIPE, which is reported in
//!   one line with exit code 1, instead of killing the helper silently (`tests/suite/fault_injection.rs`).
//! - **Stack overflow: one line, then the fault.** std finds the main thread's guard page by having
//!   glibc's `pthread_getattr_np` parse `/proc/self/maps` (a large share of a cache hit, see
//!   bench/RESULTS.md), and maps an alternate signal stack. Here the alternate stack is a static
//!   buffer, whose pages nothing touches until a fault, and the handler tells an overflow from any
//!   other fault by its address: below the top of the stack (noted in `init`) by no more than the
//!   stack's limit and the kernel's guard gap. It writes one line, restores the default action and
//!   returns, so the fault repeats and kills the process with SIGSEGV as it would have anyway.
//!
//! Left out, deliberately: std's name for the main thread (only a panic message would print it, and
//! nothing panics) and the alternate stacks of threads spawned later (only the SDK's, on a cache
//! miss; an overflow there is a plain SIGSEGV without the line). Elsewhere std's own start-up runs
//! and [`init`] does nothing:
//!
//! - **macOS** has neither `/proc` nor `pthread_getattr_np`, and std does not need them there: it
//!   reads the main thread's stack from `pthread_get_stackaddr_np` and `pthread_get_stacksize_np`,
//!   which ask the kernel nothing and read no file, so the cost this module avoids on Linux does
//!   not arise. std's start-up keeps two of the promises as they are (fds 0–2 opened on
//!   `/dev/null` if closed, SIGPIPE ignored); a stack overflow is reported by std's own line
//!   (`thread 'main' has overflowed its stack`) and ends the process with SIGABRT, not SIGSEGV.
//! - **Windows** has no fds 0–2, no SIGPIPE and no signal stack; std's start-up (a guaranteed stack
//!   for its overflow handler) is what there is.

/// The one line a stack overflow prints on stderr.
#[cfg(target_os = "linux")]
const OVERFLOW_LINE: &[u8] =
    b"ecr-login: stack overflow: this is a bug in ecr-login; please report it with the command that caused it\n";

/// Prepares the process as described in the module docs. Call it first thing in `main`, before any
/// thread exists.
pub fn init() {
    #[cfg(target_os = "linux")]
    linux::init();
}

#[cfg(target_os = "linux")]
mod linux {
    use std::cell::UnsafeCell;
    use std::ffi::c_int;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::OVERFLOW_LINE;

    /// The alternate signal stack: room for the kernel's signal frame (which carries the AVX-512
    /// state on machines that have it) and the handler's few calls.
    const ALT_STACK_BYTES: usize = 64 * 1024;

    /// The kernel keeps this much unmapped below a growing stack (`stack_guard_gap`, 256 pages);
    /// an overflow faults somewhere in it.
    const GUARD_GAP_BYTES: usize = 256 * 4096;

    /// With no stack limit, how far below the top a fault still counts as an overflow.
    const UNLIMITED_REACH_BYTES: usize = 1 << 32;

    #[repr(C, align(16))]
    struct AltStack(UnsafeCell<[u8; ALT_STACK_BYTES]>);

    // SAFETY: only the kernel writes to it, when it delivers a signal on it.
    unsafe impl Sync for AltStack {}

    static ALT_STACK: AltStack = AltStack(UnsafeCell::new([0; ALT_STACK_BYTES]));

    /// An address near the top of the main thread's stack, noted at start.
    static STACK_TOP: AtomicUsize = AtomicUsize::new(0);

    pub(super) fn init() {
        let here = 0u8;
        STACK_TOP.store(std::ptr::from_ref(&here) as usize, Ordering::Relaxed);
        open_closed_standard_streams();
        // SAFETY: plain libc calls on values built here; no thread exists yet.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
            let stack = libc::stack_t { ss_sp: ALT_STACK.0.get().cast(), ss_flags: 0, ss_size: ALT_STACK_BYTES };
            if libc::sigaltstack(&raw const stack, std::ptr::null_mut()) != 0 {
                return;
            }
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_fault as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&raw mut action.sa_mask);
            libc::sigaction(libc::SIGSEGV, &raw const action, std::ptr::null_mut());
            libc::sigaction(libc::SIGBUS, &raw const action, std::ptr::null_mut());
        }
    }

    /// Opens `/dev/null` on each of fds 0, 1 and 2 that is closed; it takes the lowest free fd,
    /// which is the closed one since the lower ones are open by then. Aborts if it cannot, as std
    /// does: going on would risk writing an answer into a file.
    fn open_closed_standard_streams() {
        let mut fds = [0, 1, 2].map(|fd| libc::pollfd { fd, events: 0, revents: 0 });
        // SAFETY: `fds` is a valid array of three pollfd; a zero timeout never blocks.
        let polled = unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) };
        for entry in fds {
            let closed = if polled < 0 {
                // SAFETY: F_GETFD only reads the descriptor's flags.
                unsafe { libc::fcntl(entry.fd, libc::F_GETFD) == -1 }
            } else {
                entry.revents & libc::POLLNVAL != 0
            };
            // SAFETY: a NUL-terminated path; O_RDWR on /dev/null has no other effect.
            if closed && unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) } == -1 {
                std::process::abort();
            }
        }
    }

    /// Whether a fault at `address` is the main thread's stack overflowing.
    fn is_overflow(address: usize) -> bool {
        let top = STACK_TOP.load(Ordering::Relaxed);
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit writes one rlimit; it is a plain system call, safe in a handler.
        let reach = if unsafe { libc::getrlimit(libc::RLIMIT_STACK, &raw mut limit) } != 0
            || limit.rlim_cur == libc::RLIM_INFINITY
        {
            UNLIMITED_REACH_BYTES
        } else {
            usize::try_from(limit.rlim_cur).unwrap_or(UNLIMITED_REACH_BYTES)
        };
        address < top && top - address <= reach.saturating_add(GUARD_GAP_BYTES)
    }

    /// SIGSEGV and SIGBUS: one line if the stack overflowed, then the default action. Only
    /// async-signal-safe calls (getrlimit, write, signal).
    extern "C" fn on_fault(signal: c_int, info: *mut libc::siginfo_t, _context: *mut libc::c_void) {
        // SAFETY: the kernel hands a valid siginfo_t to an SA_SIGINFO handler.
        let address = unsafe { (*info).si_addr() } as usize;
        if is_overflow(address) {
            // SAFETY: writes a static buffer to fd 2.
            unsafe { libc::write(2, OVERFLOW_LINE.as_ptr().cast(), OVERFLOW_LINE.len()) };
        }
        // SAFETY: resets the disposition; returning re-runs the faulting instruction, which now
        // ends the process with the signal.
        unsafe { libc::signal(signal, libc::SIG_DFL) };
    }
}
