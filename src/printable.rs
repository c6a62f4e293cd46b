//! Caller input made safe to repeat in a message: clipped to a bounded length, control characters,
//! quotes and backticks escaped, and a note of how much was left out; and the texts of parsers and
//! providers made to fit on one line.

use std::fmt::Write as _;

/// The most characters of caller input (a host, a profile, a value) that any message quotes.
pub const MAX_QUOTED_CHARS: usize = 100;

/// Caller input (a host, a profile, a value) made safe to repeat in a message: at most
/// [`MAX_QUOTED_CHARS`] characters, control characters, quotes, backslashes and backticks escaped, and a note
/// of how much was left out. A message never repeats a megabyte of stdin or puts a terminal escape
/// sequence on someone's screen.
pub fn clip(input: &str) -> String {
    clip_to(input, MAX_QUOTED_CHARS, |c| c == '"' || c == '\\')
}

/// [`clip`] without quotes: for text that is part of a sentence, such as a TOML escape that is
/// not one (which may hold a control character).
pub fn printable(input: &str) -> String {
    clip_to(input, MAX_QUOTED_CHARS, |_| false)
}

/// At most `max` characters of `input`, backticks and control characters escaped, and those that
/// `escape` names too, then how much was left out.
fn clip_to(input: &str, max: usize, escape: fn(char) -> bool) -> String {
    let mut out = String::with_capacity(input.len().min(max));
    let mut chars = input.chars();
    for c in chars.by_ref().take(max) {
        if c == '`' {
            // docker wraps helper output in backticks of its own.
            out.extend(c.escape_unicode());
        } else if c.is_control() || escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    let rest = chars.as_str().len();
    if rest > 0 {
        let _ = write!(out, "... ({rest} more bytes)");
    }
    out
}

/// A JSON parser's complaint, safe to repeat: serde_json quotes the offending value whole
/// (`invalid type: string "…", expected a map` can repeat a megabyte of stdin), so its text
/// is clipped like caller input; the place (line and column) is kept.
pub fn json_problem(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let what = text.rsplit_once(" at line ").map_or(text.as_str(), |(what, _)| what);
    let place = if e.line() > 0 { format!(" at line {} column {}", e.line(), e.column()) } else { String::new() };
    // serde_json quotes in backticks; plain quotes read the same and need no escape.
    format!("{}{place}", clip_to(&what.replace('`', "'"), 2 * MAX_QUOTED_CHARS, |_| false))
}

/// [`clip`] in double quotes.
pub fn quote(input: &str) -> String {
    format!("\"{}\"", clip(input))
}

/// Makes a provider's or transport's message fit on one line.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_clips_escapes_and_says_how_much_was_left_out() {
        assert_eq!(quote("docker.io"), "\"docker.io\"");
        assert_eq!(quote("a\"b\\c\u{7}"), "\"a\\\"b\\\\c\\u{7}\"");
        let long = "é".repeat(150);
        assert_eq!(quote(&long), format!("\"{}... (100 more bytes)\"", "é".repeat(100)));
    }
}
