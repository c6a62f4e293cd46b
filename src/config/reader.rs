//! The file as written: the subset of TOML that the configuration uses (string values, the
//! top-level `fallback`, `[[registry]]` and `[[alias]]` tables), read in one pass. Values stay
//! ranges of the text unless they had escapes; `model.rs` turns what was written into rules and
//! aliases and checks them.

use std::borrow::Cow;

use crate::error::{printable, quote};

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
#[derive(Default)]
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
enum Table {
    Top,
    Rule,
    Alias,
}

/// The file as written: the subset of TOML the configuration uses, read in one pass with no
/// allocation beyond the values (a `get` reads it on every call; `bench/run` times it). Every
/// value is a string; tables are `[[registry]]` and `[[alias]]`; anything else is an error with
/// its line, as is an unknown or repeated key.
#[derive(Default)]
pub(super) struct Raw {
    pub(super) fallback: Option<(String, usize)>,
    pub(super) rules: Vec<RawRule>,
    pub(super) aliases: Vec<RawAlias>,
}

impl Raw {
    pub(super) fn read(text: &str) -> Result<Raw, (usize, String)> {
        let mut raw = Raw::default();
        let mut table = Table::Top;
        for (index, full) in lines(text).enumerate() {
            let line = index + 1;
            let content = full.trim_ascii();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            if content.starts_with('[') {
                table = header(content).map_err(|e| (line, e))?;
                match table {
                    Table::Rule => raw.rules.push(RawRule { line, ..RawRule::default() }),
                    Table::Alias => raw.aliases.push(RawAlias { line, ..RawAlias::default() }),
                    Table::Top => {}
                }
                continue;
            }
            let (key, value) = key_value(content).map_err(|e| (line, e))?;
            let value = Value::of(text, value);
            let target: &mut Option<Value> = match (&table, raw.rules.last_mut(), raw.aliases.last_mut()) {
                (Table::Top, _, _) => {
                    if key != "fallback" {
                        return Err((line, unknown_key(key, "at the top", TOP_KEYS)));
                    }
                    if raw.fallback.is_some() {
                        return Err((line, "fallback is set twice".into()));
                    }
                    raw.fallback = Some((value.get(text).to_string(), line));
                    continue;
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
        }
        Ok(raw)
    }
}

/// The lines of `text`, as `str::lines` splits them (at `\n`, a `\r` before it dropped), in one pass
/// over the bytes: the file's lines are short, and memchr's set-up per line cost more than the scan.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        if let Some(at) = current.as_bytes().iter().position(|&b| b == b'\n') {
            rest = Some(&current[at + 1..]).filter(|next| !next.is_empty());
            let line = &current[..at];
            Some(line.strip_suffix('\r').unwrap_or(line))
        } else {
            rest = None;
            (!current.is_empty()).then_some(current)
        }
    })
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
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
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
    fn lines_split_as_str_lines_does() {
        for text in ["", "\n", "a", "a\n", "a\n\nb", "a\r\nb\r\n", "a\rb\n", "end\r", "\r\n\r\n", "x\n\n"] {
            assert_eq!(lines(text).collect::<Vec<_>>(), text.lines().collect::<Vec<_>>(), "{text:?}");
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
