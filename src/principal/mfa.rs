//! MFA sessions for profiles with `mfa_serial`, which the SDK ignores: the code is asked for on
//! the terminal, once, and the session is shared with the AWS CLI through its own cache.
//!
//! - **Which call.** A profile with `role_arn` assumes the role with `SerialNumber` and `TokenCode`
//!   on its `source_profile`'s credentials (the default chain without one); a profile without
//!   `role_arn` calls `GetSessionToken` with the code on its own credentials.
//! - **The session cache is the AWS CLI's.** `~/.aws/cli/cache/<key>.json`, 0600, in botocore's
//!   format, keyed as botocore keys an assumed role: the SHA-1 of the sorted JSON of the
//!   AssumeRole arguments without a generated session name (`_create_cache_key` in botocore's
//!   `credentials.py`). `aws … --profile X` then reuses a session we started and we reuse one it
//!   started; both treat a session as over 15 minutes before it expires. A `GetSessionToken`
//!   session, which the AWS CLI never makes, is kept beside them as `ecr-login-<key>.json`.
//! - **One prompt.** Whoever must ask holds a lock (in our cache directory, `v1/sessions/`) while
//!   it asks and calls STS; the others (docker compose pulling ten images) wait for it and then
//!   read its session. The prompt goes to `/dev/tty`, never stdin or stdout, which the protocol
//!   owns, and has its own limit: a person typing does not count against the API deadline.
//! - **No terminal** (CI, a daemon): an error naming the command that starts the session from a
//!   terminal (`docker-credential-ecr-login login HOST`).

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Deserialize;
use sha1::{Digest, Sha1};

use crate::aws::{Aws, SessionCredentials, SessionRequest};
use crate::cache::Cache;
use crate::error::Error;
use crate::files::{create_private_dir, trust, write_atomic};
use crate::identity::{Identity, ProfileSettings};
use crate::registry::Registry;
use crate::secret::Secret;
use crate::token::{self, UnixSeconds};
use crate::world::{World, block_on};

/// How long the prompt waits for a person.
pub const PROMPT_LIMIT: Duration = Duration::from_secs(5 * 60);

/// A session is not used within this many seconds of its expiry (botocore's own window, so that
/// the AWS CLI and we agree on when a session is over).
pub const SESSION_MARGIN_SECS: u64 = 15 * 60;

/// How long the STS call that starts a session may take.
const STS_TIMEOUT: Duration = Duration::from_secs(20);

/// The session name of MFA roles whose profile names none (not part of the cache key, as in
/// botocore, whose generated names are not either).
const MFA_SESSION_NAME: &str = "ecr-login-mfa";

/// The terminal of the process, whatever stdin and stdout are.
const TTY: &str = "/dev/tty";

/// An MFA code is six digits (STS `TokenCode`).
const CODE_DIGITS: usize = 6;

/// A session file larger than this is not one.
const MAX_SESSION_BYTES: u64 = 64 * 1024;

/// The session of `profile` (which has `mfa_serial`): cached, else started with a code asked for
/// on the terminal.
pub fn session<A: Aws>(
    profile: &str,
    settings: &ProfileSettings,
    registry: &Registry,
    identity: &Identity,
    world: &World<'_, A>,
) -> Result<SessionCredentials, Error> {
    let serial = settings.mfa_serial.as_deref().unwrap_or_default();
    let file = session_file(world, profile, settings);
    let fresh = |now: UnixSeconds| {
        file.as_ref().and_then(|f| read_session(f)).filter(|s| s.expires_at > now + SESSION_MARGIN_SECS)
    };
    if let Some(session) = fresh((world.now)()) {
        return Ok(session);
    }
    let host = registry.host();
    let mut terminal = Terminal::open().map_err(|()| Error::MfaNeedsTerminal {
        registry: host.to_string(),
        profile: profile.to_string(),
        serial: serial.to_string(),
    })?;
    // Someone else may be asking right now: wait for their session rather than ask again.
    let _lock = world.cache_dir.as_deref().and_then(|base| {
        let sessions = Cache::for_sessions(base);
        sessions.check_trusted().ok()?;
        let key = file.as_ref()?.file_stem()?.to_string_lossy().into_owned();
        sessions.lock(&key, Instant::now() + PROMPT_LIMIT + STS_TIMEOUT).ok().flatten()
    });
    if let Some(session) = fresh((world.now)()) {
        return Ok(session);
    }
    let code = terminal.ask(serial, profile)?;
    let region = match registry {
        Registry::Private(r) => r.region.as_str(),
        Registry::Public(_) => crate::partition::PUBLIC_API_REGION,
    };
    let role = settings.role_arn.as_deref().map(|arn| {
        (arn, settings.external_id.as_deref(), settings.role_session_name.as_deref().unwrap_or(MFA_SESSION_NAME))
    });
    let source_profile = match role {
        Some(_) => settings.source_profile.as_deref(),
        None => Some(profile),
    };
    let request = SessionRequest {
        registry: host,
        region,
        profile,
        identity,
        source_profile,
        role,
        duration_seconds: settings.duration_seconds,
        serial,
        code: &code,
        timeout: STS_TIMEOUT,
    };
    let session = block_on(world.aws.start_session(request))??;
    if let Some(file) = &file {
        // A session we cannot keep still serves this call; the next one asks again.
        let _ = write_session(file, &session);
    }
    terminal.say(&format!("MFA session for profile {profile} valid until {}", token::format_utc(session.expires_at)));
    Ok(session)
}

/// The file that holds the session of `profile`, in the AWS CLI's cache directory.
pub fn session_file<A>(world: &World<'_, A>, profile: &str, settings: &ProfileSettings) -> Option<PathBuf> {
    let dir = world.env.home()?.join(".aws").join("cli").join("cache");
    if let Some(role_arn) = &settings.role_arn {
        return Some(dir.join(format!("{}.json", cli_cache_key(role_arn, settings))));
    }
    let serial = settings.mfa_serial.as_deref().unwrap_or_default();
    let args = [("Profile", Arg::Text(profile)), ("SerialNumber", Arg::Text(serial))];
    Some(dir.join(format!("ecr-login-{}.json", sha1_hex(&python_json(&args)))))
}

/// The state of `profile`'s MFA session for doctor: its expiry, if one is cached.
pub fn cached_expiry<A>(world: &World<'_, A>, profile: &str, settings: &ProfileSettings) -> Option<UnixSeconds> {
    session_file(world, profile, settings).and_then(|f| read_session(&f)).map(|s| s.expires_at)
}

/// An argument of the AssumeRole call, as botocore's JSON has it.
enum Arg<'a> {
    Text(&'a str),
    Number(u32),
}

/// botocore's key: `sha1(json.dumps(args, sort_keys=True))` of the AssumeRole arguments, with the
/// session name only when the profile names one.
pub fn cli_cache_key(role_arn: &str, settings: &ProfileSettings) -> String {
    let mut args: Vec<(&str, Arg<'_>)> = vec![("RoleArn", Arg::Text(role_arn))];
    if let Some(serial) = &settings.mfa_serial {
        args.push(("SerialNumber", Arg::Text(serial)));
    }
    if let Some(external_id) = &settings.external_id {
        args.push(("ExternalId", Arg::Text(external_id)));
    }
    if let Some(name) = &settings.role_session_name {
        args.push(("RoleSessionName", Arg::Text(name)));
    }
    if let Some(duration) = settings.duration_seconds {
        args.push(("DurationSeconds", Arg::Number(duration)));
    }
    sha1_hex(&python_json(&args))
}

fn sha1_hex(text: &str) -> String {
    Sha1::digest(text.as_bytes()).iter().fold(String::with_capacity(40), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

/// Python's `json.dumps(dict, sort_keys=True)`: `", "` and `": "` separators, keys sorted, and
/// every character outside ASCII escaped.
fn python_json(args: &[(&str, Arg<'_>)]) -> String {
    let mut sorted: Vec<&(&str, Arg<'_>)> = args.iter().collect();
    sorted.sort_by_key(|(key, _)| *key);
    let fields: Vec<String> = sorted
        .iter()
        .map(|(key, value)| {
            let value = match value {
                Arg::Text(text) => python_string(text),
                Arg::Number(n) => n.to_string(),
            };
            format!("{}: {value}", python_string(key))
        })
        .collect();
    format!("{{{}}}", fields.join(", "))
}

fn python_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
    out
}

/// The part of botocore's cache entry that we read and write.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CachedResponse {
    credentials: CachedCredentials,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CachedCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: String,
}

fn read_session(path: &std::path::Path) -> Option<SessionCredentials> {
    let mut bytes = Vec::new();
    trust::open_entry(path).ok()?.take(MAX_SESSION_BYTES).read_to_end(&mut bytes).ok()?;
    decode_session(&bytes)
}

/// An AWS CLI cache file's bytes → the session in it; `None` for anything else.
pub fn decode_session(bytes: &[u8]) -> Option<SessionCredentials> {
    let cached: CachedResponse = serde_json::from_slice(bytes).ok()?;
    let c = cached.credentials;
    Some(SessionCredentials {
        expires_at: token::parse_utc(&c.expiration)?,
        access_key_id: c.access_key_id,
        secret_access_key: Secret::new(c.secret_access_key),
        session_token: Secret::new(c.session_token),
    })
}

/// Writes the session as botocore does: the response's `Credentials`, with `Expiration` in the
/// form its `JSONFileCache` writes (`2026-11-28T12:00:00UTC`).
fn write_session(path: &std::path::Path, session: &SessionCredentials) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        create_private_dir(dir)?;
    }
    write_atomic(path, &encode_session(session), 0o600)
}

/// The bytes botocore's cache would hold for `session`: what [`decode_session`] reads back.
pub fn encode_session(session: &SessionCredentials) -> Vec<u8> {
    let expiration = token::format_utc(session.expires_at).replace('Z', "UTC");
    let json = serde_json::json!({
        "Credentials": {
            "AccessKeyId": session.access_key_id,
            "SecretAccessKey": session.secret_access_key.expose(),
            "SessionToken": session.session_token.expose(),
            "Expiration": expiration,
        }
    });
    json.to_string().into_bytes()
}

/// The controlling terminal, opened for the prompt.
struct Terminal(File);

impl Terminal {
    fn open() -> Result<Terminal, ()> {
        OpenOptions::new().read(true).write(true).open(TTY).map(Terminal).map_err(|_| ())
    }

    fn say(&mut self, line: &str) {
        // One write, so that the terminal's echo of the code cannot land inside the line.
        let _ = self.0.write_all(format!("ecr-login: {line}\n").as_bytes());
    }

    /// Asks for the code of `serial` and reads one line within [`PROMPT_LIMIT`], with echo off
    /// (as the AWS CLI's getpass prompt has it): the code does not stay on the screen, in the
    /// scrollback or in a recording of the session.
    fn ask(&mut self, serial: &str, profile: &str) -> Result<String, Error> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_key_is_botocores() {
        // Both digests were computed with Python:
        // hashlib.sha1(json.dumps(args, sort_keys=True).encode()).hexdigest()
        let mut settings = ProfileSettings {
            mfa_serial: Some("arn:aws:iam::111111111111:mfa/alice".into()),
            ..ProfileSettings::default()
        };
        let role = "arn:aws:iam::222222222222:role/admin";
        assert_eq!(cli_cache_key(role, &settings), "8c2e0077c564e1810b9cc34b0ef126aa8a91fec5");
        settings.external_id = Some("ext-1".into());
        settings.duration_seconds = Some(3600);
        assert_eq!(cli_cache_key(role, &settings), "c4525c54cc473afb2753a77867b61ffcc7b0048e");
    }

    #[test]
    fn python_json_sorts_and_escapes_as_python_does() {
        let args = [("b", Arg::Number(3600)), ("a", Arg::Text("é\"x"))];
        assert_eq!(python_json(&args), "{\"a\": \"\\u00e9\\\"x\", \"b\": 3600}");
        assert_eq!(python_string("😀"), "\"\\ud83d\\ude00\"");
    }
}
