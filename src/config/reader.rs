//! The file as written: the subset of TOML that the configuration uses (string values, the
//! top-level `fallback`, `[[registry]]` and `[[alias]]` tables), read in one pass. Values stay
//! ranges of the text unless they had escapes; `model.rs` turns what was written into rules and
//! aliases and checks them.
//!
//! A `get` reads the file on every call, cache hits included, so the lines nearly every file is
//! made of (blank, a comment, `key = "plain value"`) are read in place by a quick reader that
//! touches each byte once and scans values and comments eight bytes at a time. Any other line,
//! and every error, goes to the reader of the whole subset; the two are held to reading alike by a
//! unit test and by the `config_file` fuzz target. Its figures are in bench/RESULTS.md.

use std::borrow::Cow;

use crate::printable::{printable, quote};

/// A string value of the file: where it lies in the text, or its decoded text when it had
/// escapes (rare), so that reading the file allocates nothing per value.
#[derive(Debug, Clone)]
pub(super) enum Value {
    At(usize, usize),
    Decoded(String),
}

impl Value {
    fn of(text: &str, value: Cow<'_, str>) -> Value {
        match value {
            // A borrowed value is a slice of `text`: its offset is its distance from the start.
            Cow::Borrowed(slice) => {
                let start = slice.as_ptr() as usize - text.as_ptr() as usize;
                Value::At(start, start + slice.len())
            }
            Cow::Owned(decoded) => Value::Decoded(decoded),
        }
    }

    pub(super) fn get<'a>(&'a self, text: &'a str) -> &'a str {
        match self {
            Value::At(start, end) => text.get(*start..*end).unwrap_or_default(),
            Value::Decoded(decoded) => decoded,
        }
    }
}

/// One `[[registry]]` table as written: its keys, and the line of its header.
#[derive(Debug, Clone, Default)]
pub(super) struct RawRule {
    pub(super) line: usize,
    pub(super) host_pattern: Option<Value>,
    pub(super) account: Option<Value>,
    pub(super) profile: Option<Value>,
    pub(super) role_arn: Option<Value>,
    pub(super) external_id: Option<Value>,
    pub(super) role_session_name: Option<Value>,
}

/// One `[[alias]]` table as written.
#[derive(Debug, Default)]
pub(super) struct RawAlias {
    pub(super) line: usize,
    pub(super) host: Option<Value>,
    pub(super) registry: Option<Value>,
}

/// The keys of each table, for the unknown-key message.
const TOP_KEYS: &[&str] = &["fallback"];
const RULE_KEYS: &[&str] = &["match", "account", "profile", "role_arn", "external_id", "role_session_name"];
const ALIAS_KEYS: &[&str] = &["host", "registry"];

/// The table that the lines being read belong to.
#[derive(Debug)]
enum Table {
    Top,
    Rule,
    Alias,
}

/// The file as written: the subset of TOML the configuration uses, read in one pass with no
/// allocation beyond the values (a `get` reads it on every call; `bench/run` times it). Every
/// value is a string; tables are `[[registry]]` and `[[alias]]`; anything else is an error with
/// its line, as is an unknown or repeated key.
#[derive(Debug, Default)]
pub(super) struct Raw {
    pub(super) fallback: Option<(String, usize)>,
    pub(super) rules: Vec<RawRule>,
    pub(super) aliases: Vec<RawAlias>,
}

/// What one line of the file holds.
#[derive(Debug)]
enum Entry<'a> {
    /// Nothing: white space, a comment, or both.
    Blank,
    /// A table header.
    Header(Table),
    /// `key = value`.
    Pair(&'a str, Cow<'a, str>),
}

impl Raw {
    pub(super) fn read(text: &str) -> Result<Raw, (usize, String)> {
        Raw::read_lines(text, true)
    }

    /// Reads `text` line by line: most lines in place by [`plain_line`] (unless `quick` is
    /// false, for the checks that hold it to the other reader), any other line by [`line_entry`],
    /// which reads the whole subset and words every error.
    fn read_lines(text: &str, quick: bool) -> Result<Raw, (usize, String)> {
        let mut raw = Raw::default();
        let mut table = Table::Top;
        let (mut start, mut line) = (0, 0);
        while start < text.len() {
            line += 1;
            let entry = if let Some((entry, next)) = plain_line(text, start).filter(|_| quick) {
                start = next;
                entry
            } else {
                let end = find_newline(text.as_bytes(), start);
                let full = text.get(start..end.unwrap_or(text.len())).unwrap_or_default();
                // As `str::lines` splits: at `\n`, a `\r` before it dropped.
                let full = if end.is_some() { full.strip_suffix('\r').unwrap_or(full) } else { full };
                start = end.map_or(text.len(), |at| at + 1);
                line_entry(full).map_err(|e| (line, e))?
            };
            match entry {
                Entry::Blank => {}
                Entry::Header(next) => {
                    table = next;
                    match table {
                        Table::Rule => raw.rules.push(RawRule { line, ..RawRule::default() }),
                        Table::Alias => raw.aliases.push(RawAlias { line, ..RawAlias::default() }),
                        Table::Top => {}
                    }
                }
                Entry::Pair(key, value) => raw.set(&table, text, line, key, value)?,
            }
        }
        Ok(raw)
    }

    /// Records `key = value`, read on `line`, in the table being read.
    fn set(
        &mut self,
        table: &Table,
        text: &str,
        line: usize,
        key: &str,
        value: Cow<'_, str>,
    ) -> Result<(), (usize, String)> {
        let value = Value::of(text, value);
        let target: &mut Option<Value> = match (table, self.rules.last_mut(), self.aliases.last_mut()) {
            (Table::Top, _, _) => {
                if key != "fallback" {
                    return Err((line, unknown_key(key, "at the top", TOP_KEYS)));
                }
                if self.fallback.is_some() {
                    return Err((line, "fallback is set twice".into()));
                }
                self.fallback = Some((value.get(text).to_string(), line));
                return Ok(());
            }
            (Table::Rule, Some(rule), _) => match key {
                "match" => &mut rule.host_pattern,
                "account" => &mut rule.account,
                "profile" => &mut rule.profile,
                "role_arn" => &mut rule.role_arn,
                "external_id" => &mut rule.external_id,
                "role_session_name" => &mut rule.role_session_name,
                _ => return Err((line, unknown_key(key, "in [[registry]]", RULE_KEYS))),
            },
            (Table::Alias, _, Some(alias)) => match key {
                "host" => &mut alias.host,
                "registry" => &mut alias.registry,
                _ => return Err((line, unknown_key(key, "in [[alias]]", ALIAS_KEYS))),
            },
            _ => return Err((line, "a key outside any table".into())),
        };
        if target.is_some() {
            return Err((line, format!("{key} is set twice in the same table")));
        }
        *target = Some(value);
        Ok(())
    }
}

/// Whether the quick reader and the whole reader read `text` alike, errors included (the fuzz
/// target `config_file` asks it of every input, the unit tests of their own).
#[cfg(any(test, fuzzing))]
pub(crate) fn readers_agree(text: &str) -> bool {
    format!("{:?}", Raw::read_lines(text, true)) == format!("{:?}", Raw::read_lines(text, false))
}

/// One line of the file, read whole (`full` without its line end).
fn line_entry(full: &str) -> Result<Entry<'_>, String> {
    let content = full.trim_ascii();
    if content.is_empty() || content.starts_with('#') {
        return Ok(Entry::Blank);
    }
    if content.starts_with('[') {
        return header(content).map(Entry::Header);
    }
    key_value(content).map(|(key, value)| Entry::Pair(key, value))
}

/// The line that starts at `start`, when it takes one of the forms nearly every line of the file
/// takes (blank, a comment, or `key = "plain value"` with a comment or nothing after it), read in
/// one pass over its bytes; and where the next line starts. `None` for any other line, which
/// [`line_entry`] then reads. Whatever this accepts, that reads the same way (a unit test holds
/// the two to it), so the unusual lines and every error have one reader.
fn plain_line(text: &str, start: usize) -> Option<(Entry<'_>, usize)> {
    let bytes = text.as_bytes();
    let blanks = |mut at: usize| {
        while matches!(bytes.get(at), Some(b' ' | b'\t')) {
            at += 1;
        }
        at
    };
    let key_start = blanks(start);
    let mut at = key_start;
    while bytes.get(at).is_some_and(|&b| KEY_BYTES[usize::from(b)]) {
        at += 1;
    }
    if at == key_start {
        return match bytes.get(at) {
            None => Some((Entry::Blank, bytes.len())),
            Some(b'\n') => Some((Entry::Blank, at + 1)),
            Some(b'#') => Some((Entry::Blank, next_line(bytes, at))),
            Some(_) => None,
        };
    }
    let key = text.get(key_start..at)?;
    at = blanks(at);
    (bytes.get(at) == Some(&b'=')).then_some(())?;
    at = blanks(at + 1);
    // A basic string (a multi-line one, `"""`, reads as `""` followed by a quote, which the end
    // of the line below refuses).
    (bytes.get(at) == Some(&b'"')).then_some(())?;
    let close = find_string_stop(bytes, at + 1)?;
    (bytes.get(close) == Some(&b'"')).then_some(())?;
    let value = text.get(at + 1..close)?;
    at = blanks(close + 1);
    let next = match bytes.get(at) {
        None => bytes.len(),
        Some(b'\n') => at + 1,
        Some(b'\r') if bytes.get(at + 1) == Some(&b'\n') => at + 2,
        Some(b'#') => next_line(bytes, at),
        Some(_) => return None,
    };
    Some((Entry::Pair(key, Cow::Borrowed(value)), next))
}

/// The bytes of a bare key (`A-Za-z0-9_-`), as a table: the key is the one part of a line read
/// a byte at a time, and three range tests a byte cost more than the look-up.
const KEY_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte: u8 = 0;
    loop {
        table[byte as usize] = byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-';
        if byte == u8::MAX {
            break table;
        }
        byte += 1;
    }
};

/// For eight bytes at a time (SWAR): `0x01` in every byte, and `0x80`.
const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// The high bit of each byte of `word` that is below `limit` (at most 0x80). A byte above the
/// lowest marked one may be marked falsely (a borrow runs upwards), never the lowest: only the
/// lowest mark is read.
fn below(word: u64, limit: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(limit)) & !word & HIGHS
}

/// The high bit of each byte of `word` equal to `byte`; only the lowest mark is exact, as in
/// [`below`].
fn equal(word: u64, byte: u8) -> u64 {
    below(word ^ (ONES * u64::from(byte)), 1)
}

/// The first position at or after `from` whose byte `stops`, found eight bytes at a time by
/// `marks` (which marks those bytes in a word, the lowest exactly). The file's values and lines
/// are tens of bytes: a byte loop costs several instructions a byte, and memchr's set-up more than
/// its scan.
fn find(bytes: &[u8], from: usize, marks: impl Fn(u64) -> u64, stops: impl Fn(u8) -> bool) -> Option<usize> {
    let mut at = from;
    while let Some(chunk) = bytes.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        // Little-endian, so that the lowest mark is the first byte in the text on any machine.
        let marked = marks(u64::from_le_bytes(*chunk));
        if marked != 0 {
            return Some(at + (marked.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    bytes.get(at..)?.iter().position(|&b| stops(b)).map(|found| at + found)
}

fn find_newline(bytes: &[u8], from: usize) -> Option<usize> {
    find(bytes, from, |word| equal(word, b'\n'), |b| b == b'\n')
}

/// Where the line after the one that `from` is in starts (the end of the text after the last).
fn next_line(bytes: &[u8], from: usize) -> usize {
    find_newline(bytes, from).map_or(bytes.len(), |end| end + 1)
}

/// Where the plain run of a basic string's body stops: at its closing quote, an escape, or a
/// control character (a tab too, which [`line_entry`] then takes).
fn find_string_stop(bytes: &[u8], from: usize) -> Option<usize> {
    find(
        bytes,
        from,
        |word| equal(word, b'"') | equal(word, b'\\') | below(word, b' '),
        |b| b == b'"' || b == b'\\' || b < b' ',
    )
}

fn unknown_key(key: &str, place: &str, known: &[&str]) -> String {
    format!("unknown key {} {place}; the keys are {}", quote(key), known.join(", "))
}

/// A table header: `[[registry]]` or `[[alias]]`, spaces allowed inside, a comment after.
fn header(content: &str) -> Result<Table, String> {
    let problem =
        || format!("{} is not a table of this file; the tables are [[registry]] and [[alias]]", quote(content));
    let rest = content.strip_prefix("[[").ok_or_else(problem)?;
    let close = rest.as_bytes().windows(2).position(|pair| pair == b"]]").ok_or_else(problem)?;
    let (name, after) = (&rest[..close], &rest[close + 2..]);
    if !(after.trim().is_empty() || after.trim_start().starts_with('#')) {
        return Err(problem());
    }
    match name.trim() {
        "registry" => Ok(Table::Rule),
        "alias" => Ok(Table::Alias),
        _ => Err(problem()),
    }
}

/// `key = "value"` (or a 'literal'), with a comment allowed after it.
fn key_value(content: &str) -> Result<(&str, Cow<'_, str>), String> {
    let (key, rest) =
        content.split_once('=').ok_or_else(|| format!("expected key = \"value\", found {}", quote(content)))?;
    let key = key.trim_ascii();
    if key.is_empty() || !key.bytes().all(|b| KEY_BYTES[usize::from(b)]) {
        return Err(format!("{} is not a key", quote(key)));
    }
    let rest = rest.trim_ascii_start();
    let (value, after) = match rest.as_bytes().first() {
        Some(b'"') if !rest.starts_with("\"\"\"") => basic_string(&rest[1..]),
        Some(b'\'') if !rest.starts_with("'''") => {
            let body = &rest[1..];
            body.find('\'')
                .map(|end| (Cow::Borrowed(&body[..end]), &body[end + 1..]))
                .ok_or_else(|| "the string is not closed".to_string())
        }
        _ => Err(format!("{key} must be a string in double quotes")),
    }
    .map_err(|e| format!("{key}: {e}"))?;
    let after = after.trim_ascii_start();
    if !(after.is_empty() || after.starts_with('#')) {
        return Err(format!("{key}: unexpected {} after the value", quote(after)));
    }
    Ok((key, value))
}

/// The body of a basic string after its opening quote: its value, and what follows the closing
/// quote. TOML's escapes are understood.
fn basic_string(body: &str) -> Result<(Cow<'_, str>, &str), String> {
    // Most values have no escape: one pass over the bytes finds the closing quote and shows that
    // nothing before it needs decoding (memchr's set-up costs more than these short values).
    for (end, &b) in body.as_bytes().iter().enumerate() {
        match b {
            b'"' => return Ok((Cow::Borrowed(&body[..end]), &body[end + 1..])),
            b'\\' => break,
            b if b < b' ' && b != b'\t' => break,
            _ => {}
        }
    }
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((Cow::Owned(value), &body[i + 1..])),
            '\\' => {
                let escaped = match chars.next().map(|(_, e)| e) {
                    Some('"') => '"',
                    Some('\\') => '\\',
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('r') => '\r',
                    Some('b') => '\u{8}',
                    Some('f') => '\u{c}',
                    Some(u @ ('u' | 'U')) => {
                        let digits = if u == 'u' { 4 } else { 8 };
                        let hex: String = chars.by_ref().take(digits).map(|(_, h)| h).collect();
                        u32::from_str_radix(&hex, 16)
                            .ok()
                            .filter(|_| hex.len() == digits)
                            .and_then(char::from_u32)
                            .ok_or_else(|| format!("{} is not a character", printable(&format!("\\{u}{hex}"))))?
                    }
                    other => {
                        let other = other.map(String::from).unwrap_or_default();
                        return Err(format!("unknown escape {}", printable(&format!("\\{other}"))));
                    }
                };
                value.push(escaped);
            }
            c if c.is_control() && c != '\t' => return Err("a control character in a string".into()),
            c => value.push(c),
        }
    }
    Err("the string is not closed".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_numbered_as_str_lines_splits_them() {
        for text in ["x", "x\n", "\nx", "\n\nx\n", "\r\nx\r\n", "a\rb\n", "end\r", "# c\r\n\r\n x", "\t\n \n#\nx\n"] {
            let expected = text.lines().position(|l| !l.trim_ascii().is_empty() && !l.trim_ascii().starts_with('#'));
            for quick in [true, false] {
                let line = Raw::read_lines(text, quick).err().map(|(line, _)| line - 1);
                assert_eq!(line, expected, "{text:?}");
            }
        }
    }

    /// A fixed sequence of pseudo-random numbers below the bound asked for (xorshift), so that a
    /// failure repeats.
    fn numbers(mut state: u64) -> impl FnMut(usize) -> usize {
        move |below| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state >> 40).unwrap() % below
        }
    }

    #[test]
    fn eight_bytes_at_a_time_finds_what_a_byte_scan_finds() {
        // The bytes each test stops at, their neighbours, and bytes whose high bit a borrow touches.
        let alphabet = [
            b'"', b'\\', b'\n', b'\t', 0, 0x1f, b' ', b'!', b'#', b'[', b']', b'a', 0x7f, 0x80, 0x81, 0xa2, 0xdc, 0xff,
        ];
        let mut next = numbers(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let len = next(40);
            let bytes: Vec<u8> = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
            let from = next(len + 2);
            let naive = |stops: fn(u8) -> bool| {
                bytes.get(from..).and_then(|rest| rest.iter().position(|&b| stops(b))).map(|at| at + from)
            };
            assert_eq!(find_newline(&bytes, from), naive(|b| b == b'\n'), "{bytes:?} from {from}");
            assert_eq!(
                find_string_stop(&bytes, from),
                naive(|b| b == b'"' || b == b'\\' || b < b' '),
                "{bytes:?} from {from}"
            );
        }
    }

    #[test]
    fn the_quick_reader_reads_every_line_as_the_whole_reader_does() {
        let starts = ["", " ", "\t", "\u{c}", "\r"];
        let keys = ["match", "profile", "fallback", "host", "", "a b", "k.y", "role_session_name", "é"];
        let equals = ["=", " = ", "\t=\t", "==", " =  ", ":", ""];
        let values = [
            "\"v\"",
            "\"\"",
            "\"\"\"x\"\"\"",
            "\"a\\\"b\"",
            "\"tab\there\"",
            "'lit'",
            "\"unclosed",
            "\"a\"\"",
            "\"del\u{7f}\"",
            "\"é\"",
            "\"\\u00e9\"",
            "\"a # b\"",
            "\"bell\u{7}\"",
            "x",
            "\"0123456789.dkr.ecr.*.amazonaws.com\"",
        ];
        let ends = ["", " ", " # c", "#c", " x", "\r", "\t", " \"", "\u{c}"];
        let breaks = ["\n", "\r\n", ""];
        let mut lines = vec![String::new(), "[[registry]]".into(), " [[ alias ]] # a".into(), "[x]".into(), "#".into()];
        for start in starts {
            for key in keys {
                for equal in equals {
                    for value in values {
                        for end in ends {
                            lines.push(format!("{start}{key}{equal}{value}{end}"));
                        }
                    }
                }
            }
        }
        for line in &lines {
            for line_break in breaks {
                for text in
                    [format!("{line}{line_break}"), format!("[[registry]]\n{line}{line_break}profile = \"p\"\n")]
                {
                    assert!(readers_agree(&text), "{text:?}");
                }
            }
        }
        // Whole files of those lines, some valid and some not.
        let mut next = numbers(0x2545_f491_4f6c_dd1d);
        for _ in 0..3_000 {
            let text = (0..8)
                .map(|_| [lines[next(lines.len())].as_str(), breaks[next(breaks.len())]].concat())
                .collect::<String>();
            assert!(readers_agree(&text), "{text:?}");
        }
    }

    #[test]
    fn strings_without_escapes_are_borrowed_and_the_others_decoded_or_refused() {
        let (value, after) = basic_string("plain value\" # note").unwrap();
        assert!(matches!(value, Cow::Borrowed("plain value")));
        assert_eq!(after, " # note");
        let (value, _) = basic_string("a\\\"b\\tc\"").unwrap();
        assert_eq!(value, "a\"b\tc");
        assert!(matches!(basic_string("tab\tinside\""), Ok((Cow::Borrowed("tab\tinside"), ""))));
        assert!(basic_string("bell\u{7}\"").is_err());
        assert!(basic_string("never closed").is_err());
    }
}
