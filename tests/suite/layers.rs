//! The crate keeps its layers. The module map in `src/lib.rs`'s crate docs (the first ```text
//! block of its `//!` lines) is the one place the order of the modules is written; this test reads
//! `src/` and holds it to that map:
//!
//! 1. an import points down the map, never up (`main.rs` and `lib.rs` are the top);
//! 2. no import cycle between top-level modules or folders, nor between the children of a folder;
//! 3. the map lists every `.rs` file under `src/`, and every entry of the map has its file;
//! 4. a child (`src/F/child.rs`) reaches its siblings, never into its parent's face (`super::X`,
//!    `crate::F::X` for an item `X` of `src/F.rs`);
//! 5. a folder's face (`src/F.rs`) only declares its children and re-exports, and holds no map of
//!    its own;
//! 6. under the map's `commands` heading, a folder's children (the commands) import no sibling:
//!    what they share sits below the folder. The first child, which reads the command line for all
//!    of them, alone may name the others.
//!
//! Imports are the paths from `crate::`, `super::` and `self::`, in `use` items and in code. They
//! are found by the small lexer below: comments, strings and chars do not count, nor do items under
//! `#[cfg(test)]`, nor modules declared for tests or fuzzing only (`fake.rs`, `fuzz.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Printed under the problems when the real tree breaks its layers.
const HINT: &str = "the order is the module map in src/lib.rs's crate docs; an import may only point to a module \
                    listed below (main.rs and lib.rs are the top). A child imports its siblings, not its parent's \
                    face; a folder's face (src/F.rs) only declares its children and re-exports, and holds no map; \
                    a command imports no other command (what they share sits below cli/); every .rs file under \
                    src/ is in the map, and every entry has its file.";

/// How many cycles of one graph are spelled out before the rest are summed up in one line.
const CYCLE_LIMIT: usize = 20;

// The lexer.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A name or a keyword: `crate`, `use`, `r#type`.
    Word,
    /// `::`, or one other punctuation character.
    Punct,
    /// A string, byte string, raw string, char, byte or number.
    Literal,
    /// `'a` in `&'a str`, or a loop label.
    Lifetime,
}

/// One token of a Rust source file, with the line it starts on (from 1).
#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    text: String,
    line: usize,
}

impl Token {
    /// Whether the token is the word or punctuation `text` (a literal that spells it never is).
    fn is(&self, text: &str) -> bool {
        matches!(self.kind, Kind::Word | Kind::Punct) && self.text == text
    }
}

/// Whether there is a token at `at` and it is `text`.
fn is_at(tokens: &[Token], at: usize, text: &str) -> bool {
    tokens.get(at).is_some_and(|t| t.is(text))
}

/// Whether a character can begin a word.
fn is_word_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

/// Whether a character can continue a word.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Splits Rust source into tokens, dropping whitespace and comments (`//`, `///`, `//!`, and `/* */`
/// nested), and keeping each string, raw string, char or byte literal whole, so that nothing in
/// them reads as code.
fn lex(source: &str) -> Vec<Token> {
    let mut lexer = Lexer { chars: source.chars().collect(), at: 0, line: 1 };
    let mut tokens = Vec::new();
    while let Some(token) = lexer.next_token() {
        tokens.push(token);
    }
    tokens
}

/// The lexer's place in the source.
struct Lexer {
    chars: Vec<char>,
    at: usize,
    line: usize,
}

impl Lexer {
    /// The character `ahead` places on, or `'\0'` past the end.
    fn peek(&self, ahead: usize) -> char {
        self.chars.get(self.at + ahead).copied().unwrap_or('\0')
    }

    /// Whether the whole source has been read.
    fn done(&self) -> bool {
        self.at >= self.chars.len()
    }

    /// Steps over `n` characters (fewer at the end), counting lines.
    fn bump(&mut self, n: usize) {
        for _ in 0..n {
            if self.done() {
                return;
            }
            if self.peek(0) == '\n' {
                self.line += 1;
            }
            self.at += 1;
        }
    }

    /// The next token, after any whitespace and comments; `None` at the end.
    fn next_token(&mut self) -> Option<Token> {
        self.skip_whitespace_and_comments();
        if self.done() {
            return None;
        }
        let (start, line) = (self.at, self.line);
        let kind = self.read_token();
        Some(Token { kind, text: self.chars[start..self.at].iter().collect(), line })
    }

    /// Steps over whitespace, line comments (`//`, `///`, `//!`) and block comments.
    fn skip_whitespace_and_comments(&mut self) {
        loop {
            if !self.done() && self.peek(0).is_whitespace() {
                self.bump(1);
            } else if self.peek(0) == '/' && self.peek(1) == '/' {
                while !self.done() && self.peek(0) != '\n' {
                    self.bump(1);
                }
            } else if self.peek(0) == '/' && self.peek(1) == '*' {
                self.skip_block_comment();
            } else {
                return;
            }
        }
    }

    /// Steps over a block comment, whose `/*` and `*/` nest.
    fn skip_block_comment(&mut self) {
        let mut depth = 0_usize;
        while !self.done() {
            if self.peek(0) == '/' && self.peek(1) == '*' {
                depth += 1;
                self.bump(2);
            } else if self.peek(0) == '*' && self.peek(1) == '/' {
                depth -= 1;
                self.bump(2);
                if depth == 0 {
                    return;
                }
            } else {
                self.bump(1);
            }
        }
    }

    /// Reads the token that starts at the current character, and says what it was.
    fn read_token(&mut self) -> Kind {
        let c = self.peek(0);
        if let Some((prefix, hashes)) = self.raw_string_start() {
            self.read_raw_string(prefix, hashes);
            Kind::Literal
        } else if c == '"' {
            self.read_string(0);
            Kind::Literal
        } else if matches!(c, 'b' | 'c') && self.peek(1) == '"' {
            self.read_string(1);
            Kind::Literal
        } else if c == 'b' && self.peek(1) == '\'' {
            self.bump(1);
            self.read_char_or_lifetime();
            Kind::Literal
        } else if c == '\'' {
            self.read_char_or_lifetime()
        } else if c == 'r' && self.peek(1) == '#' && is_word_start(self.peek(2)) {
            self.bump(2);
            self.read_word_rest();
            Kind::Word
        } else if is_word_start(c) {
            self.read_word_rest();
            Kind::Word
        } else if c.is_ascii_digit() {
            self.read_number();
            Kind::Literal
        } else if c == ':' && self.peek(1) == ':' {
            self.bump(2);
            Kind::Punct
        } else {
            self.bump(1);
            Kind::Punct
        }
    }

    /// If a raw string starts here (`r"`, `r#"`, `br##"`, `cr"`), the length of its prefix (`r`,
    /// `br`, `cr`) and its count of `#`.
    fn raw_string_start(&self) -> Option<(usize, usize)> {
        let prefix = match (self.peek(0), self.peek(1)) {
            ('r', _) => 1,
            ('b' | 'c', 'r') => 2,
            _ => return None,
        };
        let mut hashes = 0;
        while self.peek(prefix + hashes) == '#' {
            hashes += 1;
        }
        (self.peek(prefix + hashes) == '"').then_some((prefix, hashes))
    }

    /// Reads a raw string to its `"` followed by as many `#` as it opened with; nothing escapes.
    fn read_raw_string(&mut self, prefix: usize, hashes: usize) {
        self.bump(prefix + hashes + 1);
        while !self.done() {
            if self.peek(0) == '"' && (1..=hashes).all(|k| self.peek(k) == '#') {
                self.bump(1 + hashes);
                return;
            }
            self.bump(1);
        }
    }

    /// Reads a string (`prefix` is 1 for `b"…"` and `c"…"`) to its closing `"`, stepping over escapes.
    fn read_string(&mut self, prefix: usize) {
        self.bump(prefix + 1);
        while !self.done() {
            match self.peek(0) {
                '\\' => self.bump(2),
                '"' => {
                    self.bump(1);
                    return;
                }
                _ => self.bump(1),
            }
        }
    }

    /// Reads what follows a `'`: a char (`'{'`, `'"'`, `'\''`, `'\u{1F600}'`) or a lifetime or
    /// label (`'a`, `'static`, `'outer`): a char closes with a `'` right after its one character
    /// or its escape; a lifetime never does.
    fn read_char_or_lifetime(&mut self) -> Kind {
        if self.peek(1) == '\\' {
            self.bump(3);
            while !self.done() && !matches!(self.peek(0), '\'' | '\n') {
                self.bump(1);
            }
            self.bump(1);
            Kind::Literal
        } else if self.peek(2) == '\'' {
            self.bump(3);
            Kind::Literal
        } else {
            self.bump(1);
            self.read_word_rest();
            Kind::Lifetime
        }
    }

    /// Reads the rest of a word: letters, digits and `_`.
    fn read_word_rest(&mut self) {
        while is_word_char(self.peek(0)) {
            self.bump(1);
        }
    }

    /// Reads a number: `12`, `0x1F`, `1_000u64`, `2.5e3` (a `.` only when a digit follows, so `0..n`
    /// stays a range).
    fn read_number(&mut self) {
        loop {
            let c = self.peek(0);
            if is_word_char(c) || (c == '.' && self.peek(1).is_ascii_digit()) {
                self.bump(1);
            } else {
                return;
            }
        }
    }
}

// Attributes, items and blocks, read from tokens.

/// Whether a token opens a bracket: `(`, `[` or `{`.
fn is_opener(token: &Token) -> bool {
    token.is("(") || token.is("[") || token.is("{")
}

/// Whether a token closes a bracket: `)`, `]` or `}`.
fn is_closer(token: &Token) -> bool {
    token.is(")") || token.is("]") || token.is("}")
}

/// The index of the bracket that closes the one opened at `open`.
fn matching(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0_usize;
    for (i, token) in tokens.iter().enumerate().skip(open) {
        if is_opener(token) {
            depth += 1;
        } else if is_closer(token) {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// The index of the closing bracket that ends the block `at` is in (at the outermost level: the
/// number of tokens).
fn end_of_block(tokens: &[Token], at: usize) -> usize {
    let mut depth = 0_usize;
    for (i, token) in tokens.iter().enumerate().skip(at) {
        if is_opener(token) {
            depth += 1;
        } else if is_closer(token) {
            if depth == 0 {
                return i;
            }
            depth -= 1;
        }
    }
    tokens.len()
}

/// An attribute, `#[…]` or `#![…]`, read from the tokens.
struct Attribute {
    /// The index after its `]`.
    end: usize,
    /// `#![…]`: it applies to the block or file it is in.
    inner: bool,
    /// It is a `cfg` that holds only in test or fuzzing builds.
    test_only: bool,
}

/// The attribute that starts at `at`, if one does.
fn attribute(tokens: &[Token], at: usize) -> Option<Attribute> {
    if !is_at(tokens, at, "#") {
        return None;
    }
    let inner = is_at(tokens, at + 1, "!");
    let open = at + 1 + usize::from(inner);
    if !is_at(tokens, open, "[") {
        return None;
    }
    let close = matching(tokens, open)?;
    let body = &tokens[open + 1..close];
    let test_only = body.len() >= 3
        && body[0].is("cfg")
        && body[1].is("(")
        && body[body.len() - 1].is(")")
        && cfg_is_test_only(&body[2..body.len() - 1]);
    Some(Attribute { end: close + 1, inner, test_only })
}

/// Whether a `cfg(…)` predicate holds only in test or fuzzing builds: `test`, `fuzzing`, `any(…)`
/// of such predicates only, or `all(…)` with one such.
fn cfg_is_test_only(predicate: &[Token]) -> bool {
    let Some(first) = predicate.first() else { return false };
    if predicate.len() == 1 {
        return first.is("test") || first.is("fuzzing");
    }
    if !(is_at(predicate, 1, "(") && predicate[predicate.len() - 1].is(")")) {
        return false;
    }
    let arguments = split_arguments(&predicate[2..predicate.len() - 1]);
    if first.is("any") {
        !arguments.is_empty() && arguments.iter().all(|a| cfg_is_test_only(a))
    } else if first.is("all") {
        arguments.iter().any(|a| cfg_is_test_only(a))
    } else {
        false
    }
}

/// Splits the tokens of an argument list at its outermost commas.
fn split_arguments(tokens: &[Token]) -> Vec<&[Token]> {
    let mut arguments = Vec::new();
    let (mut depth, mut start) = (0_usize, 0);
    for (i, token) in tokens.iter().enumerate() {
        if is_opener(token) {
            depth += 1;
        } else if is_closer(token) {
            depth = depth.saturating_sub(1);
        } else if depth == 0 && token.is(",") {
            arguments.push(&tokens[start..i]);
            start = i + 1;
        }
    }
    if start < tokens.len() {
        arguments.push(&tokens[start..]);
    }
    arguments
}

/// The index after a visibility (`pub`, `pub(crate)`, `pub(in path)`) at `at`, or `at` if there is none.
fn after_visibility(tokens: &[Token], at: usize) -> usize {
    if !is_at(tokens, at, "pub") {
        return at;
    }
    if is_at(tokens, at + 1, "(") { matching(tokens, at + 1).map_or(at + 1, |close| close + 1) } else { at + 1 }
}

/// Whether the tokens at `at` begin an item or a `let` statement (its attributes already read).
fn starts_item(tokens: &[Token], at: usize) -> bool {
    const ITEM_WORDS: &[&str] = &[
        "fn",
        "struct",
        "enum",
        "union",
        "trait",
        "impl",
        "mod",
        "use",
        "const",
        "static",
        "type",
        "extern",
        "unsafe",
        "async",
        "let",
        "macro_rules",
    ];
    let at = after_visibility(tokens, at);
    tokens.get(at).is_some_and(|t| t.kind == Kind::Word && ITEM_WORDS.contains(&t.text.as_str()))
}

/// The index after the item (or statement, field, variant, match arm) that starts at `at`: after its
/// `;` or the `}` that closes its body (and a `;` right after that), after a `,` at its own level
/// if it is not an item, or at the closing bracket of the block it is in.
fn end_of_item(tokens: &[Token], at: usize) -> usize {
    let a_comma_ends_it = !starts_item(tokens, at);
    let mut depth = 0_usize;
    for (i, token) in tokens.iter().enumerate().skip(at) {
        if is_opener(token) {
            depth += 1;
        } else if is_closer(token) {
            if depth == 0 {
                return i;
            }
            depth -= 1;
            if depth == 0 && token.is("}") {
                return if is_at(tokens, i + 1, ";") { i + 2 } else { i + 1 };
            }
        } else if depth == 0 && (token.is(";") || (a_comma_ends_it && token.is(","))) {
            return i + 1;
        }
    }
    tokens.len()
}

/// One item at the top level of a file.
struct Item<'t> {
    /// A `cfg` attribute on it (or `#![cfg(…)]` on the file) limits it to test or fuzzing builds.
    test_only: bool,
    /// Its tokens after its attributes, visibility included.
    tokens: &'t [Token],
}

/// The items at the top level of a file, in order.
fn top_level_items(tokens: &[Token]) -> Vec<Item<'_>> {
    let mut items = Vec::new();
    let (mut at, mut file_test_only) = (0, false);
    while at < tokens.len() {
        let mut test_only = file_test_only;
        while let Some(attribute) = attribute(tokens, at) {
            if attribute.inner {
                file_test_only |= attribute.test_only;
            }
            test_only |= attribute.test_only;
            at = attribute.end;
        }
        if at >= tokens.len() {
            break;
        }
        let end = end_of_item(tokens, at).max(at + 1);
        items.push(Item { test_only, tokens: &tokens[at..end] });
        at = end;
    }
    items
}

/// The modules a file declares as files (`mod name;`), each with whether it is declared for test
/// or fuzzing builds only (`#[cfg(test)]`, `#[cfg(any(test, fuzzing))]`).
fn declared_modules(tokens: &[Token]) -> Vec<(String, bool)> {
    top_level_items(tokens)
        .into_iter()
        .filter_map(|item| {
            let at = after_visibility(item.tokens, 0);
            let declares = is_at(item.tokens, at, "mod") && is_at(item.tokens, at + 2, ";");
            declares.then(|| (item.tokens[at + 1].text.clone(), item.test_only))
        })
        .collect()
}

// Imports.

/// A path into the crate that a file names, in a `use` item or in code.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Import {
    /// The line it is written on.
    line: usize,
    /// As written, from its `crate`, `super` or `self` (a `use` group's prefix included).
    written: Vec<String>,
    /// Where it leads: the path from the crate root.
    absolute: Vec<String>,
}

/// Every path into the crate that the production code of the file of `module` names: the leaves
/// of its `use` trees and the paths in its code that begin with `crate::`, `super::` or `self::`,
/// outside `#[cfg(test)]` items and `pub(in …)` visibilities. Inline modules (`mod quiet { … }`)
/// are followed, so that a `super::` inside one leads to the file's own module.
fn imports(tokens: &[Token], module: &[String]) -> Vec<Import> {
    let mut found = Vec::new();
    // The inline modules around the current token, each with the brace depth of its `{`.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let (mut depth, mut at) = (0_usize, 0);
    while let Some(token) = tokens.get(at) {
        if let Some(attribute) = attribute(tokens, at)
            && attribute.test_only
        {
            at = if attribute.inner { end_of_block(tokens, attribute.end) } else { after_item(tokens, attribute.end) };
            continue;
        }
        let here =
            || -> Vec<String> { module.iter().cloned().chain(inline.iter().map(|(name, _)| name.clone())).collect() };
        if token.is("{") {
            depth += 1;
        } else if token.is("}") {
            depth = depth.saturating_sub(1);
            if inline.last().is_some_and(|&(_, open)| open == depth) {
                inline.pop();
            }
        } else if token.is("mod")
            && tokens.get(at + 1).is_some_and(|t| t.kind == Kind::Word)
            && is_at(tokens, at + 2, "{")
        {
            inline.push((tokens[at + 1].text.clone(), depth));
            at += 2;
            continue;
        } else if token.is("use") {
            let mut leaves = Vec::new();
            at = use_tree(tokens, at + 1, &[], &mut leaves);
            let here = here();
            found.extend(leaves.into_iter().filter_map(|(written, line)| import(written, line, &here)));
            continue;
        } else if is_path_start(tokens, at) {
            let (written, end) = path_at(tokens, at);
            let in_visibility = at >= 2 && tokens[at - 1].is("in") && tokens[at - 2].is("(");
            if !in_visibility {
                found.extend(import(written, token.line, &here()));
            }
            at = end;
            continue;
        }
        at += 1;
    }
    found
}

/// The index after the attributes from `at` on and the item they are on.
fn after_item(tokens: &[Token], mut at: usize) -> usize {
    while let Some(attribute) = attribute(tokens, at) {
        at = attribute.end;
    }
    end_of_item(tokens, at)
}

/// An import of `written` on `line`, if it is a path into the crate and leads somewhere from `here`.
fn import(written: Vec<String>, line: usize, here: &[String]) -> Option<Import> {
    let absolute = resolve(&written, here)?;
    Some(Import { line, written, absolute })
}

/// Where `written` leads from the module `here` (a file's module and the inline modules around the
/// path), as a path from the crate root; `None` if it does not begin with `crate`, `super` or
/// `self`, or climbs above the root.
fn resolve(written: &[String], here: &[String]) -> Option<Vec<String>> {
    let (mut base, mut rest) = match written.first()?.as_str() {
        "crate" => (Vec::new(), &written[1..]),
        "self" => (here.to_vec(), &written[1..]),
        "super" => (here.to_vec(), written),
        _ => return None,
    };
    while rest.first().is_some_and(|segment| segment == "super") {
        base.pop()?;
        rest = &rest[1..];
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// Whether a path into the crate starts at `at`: `crate`, `super` or `self`, then `::`.
fn is_path_start(tokens: &[Token], at: usize) -> bool {
    let token = &tokens[at];
    (token.is("crate") || token.is("super") || token.is("self"))
        && is_at(tokens, at + 1, "::")
        && !(at > 0 && tokens[at - 1].is("::"))
}

/// The words of the path at `at` (`crate::cli::parse::run` of `crate::cli::parse::run::<T>(…)`) and
/// the index after it.
fn path_at(tokens: &[Token], at: usize) -> (Vec<String>, usize) {
    let mut segments = vec![tokens[at].text.clone()];
    let mut next = at + 1;
    while is_at(tokens, next, "::") && tokens.get(next + 1).is_some_and(|t| t.kind == Kind::Word) {
        segments.push(tokens[next + 1].text.clone());
        next += 2;
    }
    (segments, next)
}

/// Reads the use tree at `at` (`crate::{a::{self, B}, c::*}`) under `prefix`, adding each leaf's
/// path (`crate::a`, `crate::a::B`, `crate::c::*`; an alias dropped, a trailing `self` too) with
/// its line to `leaves`; returns the index after the tree.
fn use_tree(tokens: &[Token], mut at: usize, prefix: &[String], leaves: &mut Vec<(Vec<String>, usize)>) -> usize {
    let mut path = prefix.to_vec();
    if path.is_empty() && is_at(tokens, at, "::") {
        at += 1;
    }
    while let Some(token) = tokens.get(at) {
        if token.is("{") {
            at += 1;
            while let Some(inner) = tokens.get(at) {
                if inner.is("}") {
                    return at + 1;
                }
                if inner.is(",") {
                    at += 1;
                    continue;
                }
                let next = use_tree(tokens, at, &path, leaves);
                at = next.max(at + 1);
            }
            return at;
        }
        if token.is("*") {
            path.push("*".to_string());
            leaves.push((path, token.line));
            return at + 1;
        }
        if token.kind != Kind::Word {
            return at;
        }
        path.push(token.text.clone());
        at += 1;
        if is_at(tokens, at, "::") {
            at += 1;
            continue;
        }
        if is_at(tokens, at, "as") {
            at += 2;
        }
        if path.len() > 1 && path.last().is_some_and(|last| last == "self") {
            path.pop();
        }
        leaves.push((path, token.line));
        return at;
    }
    at
}

// The module map.

/// One line of the module map that names a file (`tokens.rs`) or a folder (`cli/`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// As written: `tokens.rs`, `cli/`, `parse.rs`.
    name: String,
    /// Its line in `src/lib.rs`.
    line: usize,
    /// The folder it is a child of, as an index into the map.
    parent: Option<usize>,
    /// The heading it stands under (`commands`, `mechanisms`, `data`), if any.
    section: Option<String>,
}

impl Entry {
    /// Whether it names a folder.
    fn is_folder(&self) -> bool {
        self.name.ends_with('/')
    }

    /// The module's name: `tokens` of `tokens.rs`, `cli` of `cli/`.
    fn stem(&self) -> &str {
        self.name.strip_suffix('/').or_else(|| self.name.strip_suffix(".rs")).unwrap_or(&self.name)
    }
}

/// The module map: the entries of the first ```text block of `src/lib.rs`'s crate docs, in order,
/// and what is wrong with the map itself.
struct ModuleMap {
    entries: Vec<Entry>,
    problems: Vec<String>,
}

/// The doc lines at the top of `src/lib.rs` (`//!`, that and one space removed), with their lines.
fn crate_doc_lines(lib: &str) -> Vec<(usize, &str)> {
    lib.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim_start()))
        .take_while(|(_, line)| line.is_empty() || line.starts_with("//") || line.starts_with("#!"))
        .filter_map(|(number, line)| {
            line.strip_prefix("//!").map(|rest| (number, rest.strip_prefix(' ').unwrap_or(rest)))
        })
        .collect()
}

impl ModuleMap {
    /// Reads the map from the text of `src/lib.rs`. A line of its ```text block whose first word
    /// ends in `.rs` or `/` is an entry; the entries after a folder that are indented more than it
    /// are its children.
    fn read(lib: &str) -> Result<ModuleMap, String> {
        let no_map = "src/lib.rs has no module map: its crate docs (//!) hold no ```text block";
        let docs = crate_doc_lines(lib);
        let start = docs.iter().position(|(_, text)| text.trim_start().starts_with("```text")).ok_or(no_map)?;
        let length = docs[start + 1..]
            .iter()
            .position(|(_, text)| text.trim_start().starts_with("```"))
            .ok_or("src/lib.rs: the module map's ```text block is never closed")?;
        let mut map = ModuleMap { entries: Vec::new(), problems: Vec::new() };
        // The open folder: its index and indentation.
        let mut folder: Option<(usize, usize)> = None;
        // The lines since the last entry that name no file: a heading, or a description's
        // continuation. Whichever is indented less than the next entry is a heading.
        let mut between: Vec<(usize, &str)> = Vec::new();
        let mut section: Option<String> = None;
        for &(line, text) in &docs[start + 1..start + 1 + length] {
            let Some(name) = text.split_whitespace().next() else { continue };
            let indent = text.len() - text.trim_start_matches(' ').len();
            if !(is_rust_file(name) || name.ends_with('/')) {
                between.push((indent, text.trim()));
                continue;
            }
            if let Some((_, heading)) = between.drain(..).rfind(|&(before, _)| before < indent) {
                section = Some(heading.to_string());
            }
            let parent = folder.filter(|&(_, folder_indent)| indent > folder_indent).map(|(index, _)| index);
            if name.trim_end_matches('/').contains('/') {
                map.problems.push(format!(
                    "the module map's entry {name} (src/lib.rs:{line}) is a path; write a folder's children \
                     indented under it"
                ));
                continue;
            }
            if let Some(parent) = parent {
                if name.ends_with('/') {
                    let outer = &map.entries[parent].name;
                    map.problems.push(format!(
                        "the module map nests {name} in {outer} (src/lib.rs:{line}): tests/suite/layers.rs knows one \
                         folder level (src/F.rs, src/F/child.rs)"
                    ));
                }
            } else {
                folder = name.ends_with('/').then_some((map.entries.len(), indent));
            }
            map.entries.push(Entry { name: name.to_string(), line, parent, section: section.clone() });
        }
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for index in 0..map.entries.len() {
            let file = map.file(index);
            if let Some(first) = seen.insert(file.clone(), map.entries[index].line) {
                let again = map.entries[index].line;
                map.problems.push(format!("the module map lists src/{file} twice (src/lib.rs:{first} and :{again})"));
            }
        }
        Ok(map)
    }

    /// The file of an entry, relative to `src/`: `tokens.rs`, `cli.rs` (a folder's face), `cli/parse.rs`.
    fn file(&self, index: usize) -> String {
        let entry = &self.entries[index];
        match entry.parent {
            Some(parent) => format!("{}/{}.rs", self.entries[parent].stem(), entry.stem()),
            None => format!("{}.rs", entry.stem()),
        }
    }

    /// The module of an entry: `[]` for `lib.rs`, `["cli", "parse"]` for `parse.rs` under `cli/`;
    /// `None` for `main.rs`, the binary, which is not a module of the library.
    fn module(&self, index: usize) -> Option<Vec<String>> {
        module_of(&self.file(index))
    }

    /// The index of the entry of `module`.
    fn index_of(&self, module: &[String]) -> Option<usize> {
        (0..self.entries.len()).find(|&index| self.module(index).is_some_and(|m| m == module))
    }

    /// The top-level entry an entry belongs to: its folder, or itself.
    fn unit(&self, index: usize) -> usize {
        self.entries[index].parent.unwrap_or(index)
    }

    /// How an entry is named in messages: `cli/`, `tokens.rs`, `cli/parse.rs`.
    fn label(&self, index: usize) -> String {
        let entry = &self.entries[index];
        match entry.parent {
            Some(parent) => format!("{}{}", self.entries[parent].name, entry.name),
            None => entry.name.clone(),
        }
    }

    /// How an entry is named in a cycle: `config`, `cli`, `cli::parse`.
    fn node(&self, index: usize) -> String {
        self.module(index).map_or_else(|| self.entries[index].stem().to_string(), |module| module.join("::"))
    }
}

/// The module a file under `src/` holds: `[]` for `lib.rs`, `["cli", "parse"]` for `cli/parse.rs`;
/// `None` for `main.rs` (the binary) and for a file nested deeper than one folder.
fn module_of(file: &str) -> Option<Vec<String>> {
    match file {
        "main.rs" => None,
        "lib.rs" => Some(Vec::new()),
        _ => {
            let parts: Vec<String> = file.strip_suffix(".rs")?.split('/').map(String::from).collect();
            (parts.len() <= 2).then_some(parts)
        }
    }
}

/// Whether a name is a Rust file's: it ends in `.rs`.
fn is_rust_file(name: &str) -> bool {
    Path::new(name).extension().is_some_and(|extension| extension == "rs")
}

/// Every `.rs` file under `dir`, relative to `src` (`prefix` is `dir`'s own path from there), with
/// `/` between folders.
fn rust_files(dir: &Path, prefix: &str, files: &mut BTreeSet<String>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = format!("{prefix}{name}");
        if entry.path().is_dir() {
            rust_files(&entry.path(), &format!("{path}/"), files);
        } else if is_rust_file(&name) {
            files.insert(path);
        }
    }
}

// The checks.

/// A module of the crate, read from its file.
struct Source {
    /// Its file, relative to `src/`.
    file: String,
    tokens: Vec<Token>,
    /// It is declared for test or fuzzing builds only, or is a child of such a folder.
    test_only: bool,
}

/// An import from one module of the crate to another: the file and line that write it.
struct Edge {
    file: String,
    line: usize,
    from: Vec<String>,
    to: Vec<String>,
}

/// Everything wrong with the layers of the crate whose sources are in `src`, one line each: the map
/// itself, files it does not list and entries without a file, imports up the map or into a parent,
/// cycles, and faces that do more than declare and re-export.
fn problems(src: &Path) -> Vec<String> {
    let lib = match fs::read_to_string(src.join("lib.rs")) {
        Ok(lib) => lib,
        Err(e) => return vec![format!("src/lib.rs cannot be read: {e}")],
    };
    let map = match ModuleMap::read(&lib) {
        Ok(map) => map,
        Err(problem) => return vec![problem],
    };
    let mut files = BTreeSet::new();
    rust_files(src, "", &mut files);
    let sources = read_sources(src, &files);

    let mut problems = map.problems.clone();
    problems.extend(map_problems(&map, &files));
    let known: BTreeSet<Vec<String>> = sources
        .keys()
        .cloned()
        .chain((0..map.entries.len()).filter_map(|index| map.module(index)))
        .chain([Vec::new()])
        .collect();
    let edges = edges(&sources, &known, &mut problems);
    problems.extend(edges.iter().filter_map(|edge| order_problem(&map, edge)));
    problems.extend(edges.iter().filter_map(|edge| command_problem(&map, edge)));
    problems.extend(cycle_problems(&map, &edges));
    problems.extend(face_problems(&map, &sources, &files));
    problems.extend(face_map_problems(src, &sources, &files, &map));
    let mut seen = BTreeSet::new();
    problems.retain(|problem| seen.insert(problem.clone()));
    problems
}

/// Reads every module's file (`main.rs` and files nested too deep aside) and marks the modules
/// that are declared for test or fuzzing builds only, in `lib.rs` or in a folder's face.
fn read_sources(src: &Path, files: &BTreeSet<String>) -> BTreeMap<Vec<String>, Source> {
    let mut sources: BTreeMap<Vec<String>, Source> = files
        .iter()
        .filter_map(|file| {
            let module = module_of(file)?;
            let text = fs::read_to_string(src.join(file)).unwrap_or_else(|e| panic!("src/{file}: {e}"));
            Some((module, Source { file: file.clone(), tokens: lex(&text), test_only: false }))
        })
        .collect();
    let mut test_only = BTreeSet::new();
    // The root first, then the faces: a face's modules are test-only if it is.
    let parents: Vec<Vec<String>> = sources.keys().filter(|module| module.len() <= 1).cloned().collect();
    for parent in parents {
        let parent_test_only = test_only.contains(&parent);
        for (name, declared_test_only) in declared_modules(&sources[&parent].tokens) {
            if declared_test_only || parent_test_only {
                test_only.insert([parent.clone(), vec![name]].concat());
            }
        }
    }
    for (module, source) in &mut sources {
        source.test_only = test_only.contains(module) || (module.len() == 2 && test_only.contains(&module[..1]));
    }
    sources
}

/// Where the map lies: files under `src/` it does not list, entries without their file, files
/// nested deeper than one folder.
fn map_problems(map: &ModuleMap, files: &BTreeSet<String>) -> Vec<String> {
    let listed: BTreeSet<String> = (0..map.entries.len()).map(|index| map.file(index)).collect();
    let mut problems = Vec::new();
    for file in files {
        if file.matches('/').count() > 1 {
            problems.push(format!(
                "src/{file} is nested more than one folder deep: tests/suite/layers.rs knows one folder level \
                 (src/F.rs, src/F/child.rs)"
            ));
        } else if !listed.contains(file) {
            problems.push(format!("src/{file} is not in the module map"));
        }
    }
    for (index, entry) in map.entries.iter().enumerate() {
        let (file, label, line) = (map.file(index), map.label(index), entry.line);
        if !files.contains(&file) {
            let what = if entry.is_folder() { "its face " } else { "" };
            problems
                .push(format!("the module map lists {label} (src/lib.rs:{line}), but {what}src/{file} does not exist"));
        }
        let folder = format!("{}/", file.trim_end_matches(".rs"));
        let has_children = map.entries.iter().any(|e| e.parent == Some(index));
        if entry.is_folder() && !has_children && !files.iter().any(|f| f.starts_with(&folder)) {
            problems.push(format!(
                "the module map lists {label} (src/lib.rs:{line}) as a folder, but src/{folder} holds no file"
            ));
        }
    }
    problems
}

/// The imports between modules of the crate: from every production module but the root to every
/// production module but itself (a path leads to the longest of its prefixes that is a known
/// module). A child's import of its parent's face is a problem, not an edge.
fn edges(
    sources: &BTreeMap<Vec<String>, Source>,
    known: &BTreeSet<Vec<String>>,
    problems: &mut Vec<String>,
) -> Vec<Edge> {
    let test_only = |module: &[String]| sources.get(module).is_some_and(|source| source.test_only);
    let mut edges = Vec::new();
    for (from, source) in sources {
        if from.is_empty() || source.test_only {
            continue;
        }
        for import in imports(&source.tokens, from) {
            let to = (0..=import.absolute.len())
                .rev()
                .map(|length| import.absolute[..length].to_vec())
                .find(|prefix| known.contains(prefix))
                .unwrap_or_default();
            if &to == from || test_only(&to) {
                continue;
            }
            if from.len() == 2 && to == from[..1] {
                // The path as written, up to the item of the face it names.
                let extra = import.absolute.len().saturating_sub(to.len() + 1);
                let written = import.written[..import.written.len().saturating_sub(extra)].join("::");
                problems.push(format!(
                    "src/{}:{} reaches into its parent: {written} (import it from the sibling that defines it)",
                    source.file, import.line
                ));
                continue;
            }
            edges.push(Edge { file: source.file.clone(), line: import.line, from: from.clone(), to });
        }
    }
    edges
}

/// How a module is named in an import: `crate`, `crate::cli::parse`.
fn crate_path(module: &[String]) -> String {
    ["crate".to_string()].iter().chain(module).cloned().collect::<Vec<_>>().join("::")
}

/// The problem with an import that points up the map: to the root, to a top-level entry above the
/// importer's, or to a sibling above it among a folder's children.
fn order_problem(map: &ModuleMap, edge: &Edge) -> Option<String> {
    let (file, line, to) = (&edge.file, edge.line, crate_path(&edge.to));
    if edge.to.is_empty() {
        return Some(format!(
            "src/{file}:{line} imports crate (lib.rs is the top of the module map, above every module)"
        ));
    }
    let (from, target) = (map.index_of(&edge.from)?, map.index_of(&edge.to)?);
    let (from_unit, target_unit) = (map.unit(from), map.unit(target));
    let above = if from_unit == target_unit {
        let siblings = map.entries[from].parent.is_some() && map.entries[target].parent.is_some();
        (siblings && target < from).then_some((target, from))
    } else {
        (target_unit < from_unit).then_some((target_unit, from_unit))
    };
    let (upper, lower) = above?;
    Some(format!(
        "src/{file}:{line} imports {to} ({} is above {} in the module map)",
        map.label(upper),
        map.label(lower)
    ))
}

/// The heading of the map under which each file is a command.
const COMMANDS: &str = "commands";

/// The problem with an import from one command into another: children of a folder under the map's
/// `commands` heading share only what sits below the folder. The folder's first child reads the
/// command line for all of them, so it alone may name the others.
fn command_problem(map: &ModuleMap, edge: &Edge) -> Option<String> {
    let (from, to) = (map.index_of(&edge.from)?, map.index_of(&edge.to)?);
    let folder = map.entries[from].parent?;
    let first = map.entries.iter().position(|entry| entry.parent == Some(folder));
    if map.entries[to].parent != Some(folder)
        || map.entries[folder].section.as_deref() != Some(COMMANDS)
        || first == Some(from)
    {
        return None;
    }
    Some(format!(
        "src/{}:{} imports {}: one command imports another (move what they share below {} in the module map)",
        edge.file,
        edge.line,
        crate_path(&edge.to),
        map.entries[folder].name
    ))
}

/// The first import that makes each arrow of a graph of entries, as `src/file:line`.
type Graph = BTreeMap<(usize, usize), String>;

/// The cycles among top-level entries, then among the children of each folder.
fn cycle_problems(map: &ModuleMap, edges: &[Edge]) -> Vec<String> {
    let mut top = Graph::new();
    let mut folders: BTreeMap<usize, Graph> = BTreeMap::new();
    for edge in edges.iter().filter(|edge| !edge.to.is_empty()) {
        let (Some(from), Some(to)) = (map.index_of(&edge.from), map.index_of(&edge.to)) else { continue };
        let witness = format!("src/{}:{}", edge.file, edge.line);
        let (from_unit, to_unit) = (map.unit(from), map.unit(to));
        if from_unit != to_unit {
            top.entry((from_unit, to_unit)).or_insert(witness);
        } else if from != to && map.entries[from].parent.is_some() && map.entries[to].parent.is_some() {
            folders.entry(from_unit).or_default().entry((from, to)).or_insert(witness);
        }
    }
    std::iter::once(&top).chain(folders.values()).flat_map(|graph| graph_cycles(map, graph)).collect()
}

/// One line per cycle of a graph: `cycle: a -> b -> a (via src/a.rs:3, src/b.rs:9)`.
fn graph_cycles(map: &ModuleMap, graph: &Graph) -> Vec<String> {
    let arrows: BTreeSet<(usize, usize)> = graph.keys().copied().collect();
    let (cycles, complete) = elementary_cycles(&arrows, CYCLE_LIMIT);
    let mut lines: Vec<String> = cycles
        .iter()
        .map(|cycle| {
            let names: Vec<String> = cycle.iter().chain(&cycle[..1]).map(|&index| map.node(index)).collect();
            let via: Vec<&str> =
                cycle.iter().zip(cycle.iter().cycle().skip(1)).map(|(&a, &b)| graph[&(a, b)].as_str()).collect();
            format!("cycle: {} (via {})", names.join(" -> "), via.join(", "))
        })
        .collect();
    if !complete {
        lines.push(format!("cycle: more than {CYCLE_LIMIT} cycles; the first {CYCLE_LIMIT} are above"));
    }
    lines
}

/// The elementary cycles of a directed graph, each once, starting at its lowest node, in order; at
/// most `limit` of them, with whether that is all.
fn elementary_cycles(arrows: &BTreeSet<(usize, usize)>, limit: usize) -> (Vec<Vec<usize>>, bool) {
    let mut next: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &(from, to) in arrows {
        next.entry(from).or_default().push(to);
    }
    let mut cycles = Vec::new();
    for &start in next.keys() {
        // Only nodes above `start` that lead back to it can be on a cycle found from it.
        let back = leading_to(arrows, start);
        let mut path = vec![start];
        if !walk_cycles(&next, &back, &mut path, &mut cycles, limit) {
            return (cycles, false);
        }
    }
    (cycles, true)
}

/// The nodes at or above `start` that reach `start` through nodes at or above it.
fn leading_to(arrows: &BTreeSet<(usize, usize)>, start: usize) -> BTreeSet<usize> {
    let mut reached = BTreeSet::from([start]);
    loop {
        let more: Vec<usize> = arrows
            .iter()
            .filter(|&&(from, to)| from >= start && reached.contains(&to) && !reached.contains(&from))
            .map(|&(from, _)| from)
            .collect();
        if more.is_empty() {
            return reached;
        }
        reached.extend(more);
    }
}

/// Extends `path` (from its first node) along the arrows, through nodes in `back` not on it yet,
/// adding each way back to its first node to `cycles`; false once there are more than `limit`.
fn walk_cycles(
    next: &BTreeMap<usize, Vec<usize>>,
    back: &BTreeSet<usize>,
    path: &mut Vec<usize>,
    cycles: &mut Vec<Vec<usize>>,
    limit: usize,
) -> bool {
    let (start, last) = (path[0], path[path.len() - 1]);
    for &to in next.get(&last).into_iter().flatten() {
        if to == start {
            if cycles.len() == limit {
                return false;
            }
            cycles.push(path.clone());
        } else if to > start && back.contains(&to) && !path.contains(&to) {
            path.push(to);
            let go_on = walk_cycles(next, back, path, cycles, limit);
            path.pop();
            if !go_on {
                return false;
            }
        }
    }
    true
}

/// Each item of a folder's face (`src/F.rs`, for a folder `src/F/`) outside `#[cfg(test)]` that is
/// neither a `mod name;` declaration nor a `use`.
fn face_problems(map: &ModuleMap, sources: &BTreeMap<Vec<String>, Source>, files: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    for source in faces(map, sources, files) {
        let folder = format!("{}/", source.file.trim_end_matches(".rs"));
        for item in top_level_items(&source.tokens).into_iter().filter(|item| !item.test_only) {
            let at = after_visibility(item.tokens, 0);
            let declares = is_at(item.tokens, at, "mod") && is_at(item.tokens, at + 2, ";");
            if declares || is_at(item.tokens, at, "use") {
                continue;
            }
            problems.push(format!(
                "src/{}:{} {}, but a folder's face only declares its children and re-exports (move it into a child \
                 of {folder})",
                source.file,
                item.tokens[0].line,
                describe(&item.tokens[at..])
            ));
        }
    }
    problems
}

/// The folders' faces: each top-level module `src/F.rs` with a folder `src/F/`, on disk or in the map.
fn faces<'s>(
    map: &ModuleMap,
    sources: &'s BTreeMap<Vec<String>, Source>,
    files: &BTreeSet<String>,
) -> impl Iterator<Item = &'s Source> {
    sources.iter().filter(|(module, _)| module.len() == 1).map(|(_, source)| source).filter(|source| {
        let folder = format!("{}/", source.file.trim_end_matches(".rs"));
        files.iter().any(|file| file.starts_with(&folder))
            || map.entries.iter().any(|entry| entry.parent.is_none() && entry.name == folder)
    })
}

/// A folder's face whose docs hold a map of its children (a ```text block): `src/lib.rs`'s map is
/// the only one, so that no second map can drift from it.
fn face_map_problems(
    src: &Path,
    sources: &BTreeMap<Vec<String>, Source>,
    files: &BTreeSet<String>,
    map: &ModuleMap,
) -> Vec<String> {
    faces(map, sources, files)
        .map(|source| &source.file)
        .filter_map(|file| {
            let text = fs::read_to_string(src.join(file)).ok()?;
            let (line, _) =
                crate_doc_lines(&text).into_iter().find(|(_, doc)| doc.trim_start().starts_with("```text"))?;
            Some(format!(
                "src/{file}:{line} holds a map of its folder: src/lib.rs's module map is the only one (say in a line \
                 what the folder is for)"
            ))
        })
        .collect()
}

/// Says what an item is, for a face that should not hold it: `defines fn helper`, `holds an impl
/// block`, `holds a macro call thread_local!`.
fn describe(item: &[Token]) -> String {
    let words = item.iter().take_while(|t| matches!(t.kind, Kind::Word | Kind::Literal)).count();
    let is_kind = |kinds: &[&str], t: &Token| t.kind == Kind::Word && kinds.contains(&t.text.as_str());
    let kind = item[..words]
        .iter()
        .position(|t| is_kind(&["fn", "struct", "enum", "union", "trait", "impl", "mod", "type", "macro_rules"], t))
        .or_else(|| item[..words].iter().position(|t| is_kind(&["const", "static"], t)));
    let Some(kind) = kind else {
        let first = item.first().map_or("", |t| t.text.as_str());
        if is_at(item, 1, "!") {
            return format!("holds a macro call {first}!");
        }
        let words: Vec<&str> = item[..words.max(1)].iter().take(3).map(|t| t.text.as_str()).collect();
        return format!("holds `{}`", words.join(" "));
    };
    let name =
        item[kind + 1..].iter().find(|t| t.kind == Kind::Word && t.text != "mut").map_or("", |t| t.text.as_str());
    match item[kind].text.as_str() {
        "impl" => "holds an impl block".to_string(),
        "mod" => format!("holds the inline module {name}"),
        "macro_rules" => format!("defines macro_rules! {name}"),
        word => format!("defines {word} {name}"),
    }
}

// The real tree.

#[test]
fn the_module_map_holds_for_src() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let problems = problems(&src);
    assert!(
        problems.is_empty(),
        "{} problem(s) with the layers of src/:\n{}\n\n{HINT}",
        problems.len(),
        problems.join("\n")
    );
}

// Planted trees.

/// The `src/lib.rs` of the planted crate: its map and its declarations.
const PLANTED_LIB: &str = "\
//! A planted crate.
//!
//! ```text
//! main.rs          the binary
//! lib.rs           the crate's face
//!  tests and fuzzing only
//!   fuzz.rs        fuzz bodies
//!   fake.rs        a fake for unit tests
//!  commands
//!   cli/           the command line, one file per step
//!     run.rs       runs a Command
//!     parse.rs     the command line → Command
//!  mechanisms
//!   tokens.rs      the token path
//!  data
//!   config.rs      the configuration
//!   error.rs       every outcome
//!   env.rs         the environment
//! ```

mod cli;
mod config;
mod env;
mod error;
#[cfg(test)]
mod fake;
#[cfg(any(test, fuzzing))]
#[doc(hidden)]
pub mod fuzz;
mod tokens;

pub use crate::cli::run;
";

/// The other files of the planted crate, which keeps its layers: imports point down, the face
/// `cli.rs` re-exports, `run.rs` reaches its sibling through `super::` and through `crate::cli::`.
const PLANTED: &[(&str, &str)] = &[
    ("main.rs", "fn main() {\n    ecr_login::run();\n}\n"),
    (
        "cli.rs",
        "//! The command line.\n\nmod parse;\nmod run;\n\npub use self::run::run;\n#[allow(unused_imports)]\npub(crate) use \
         parse::Command;\n",
    ),
    (
        "cli/parse.rs",
        "use crate::error::Error;\n\npub struct Command;\n\npub fn parse() -> Result<Command, Error> {\n    Ok(Command)\n}\n",
    ),
    (
        "cli/run.rs",
        "use super::parse::{self, Command};\nuse crate::tokens;\n\npub fn run() {\n    let _: Option<Command> = \
         parse::parse().ok();\n    let _ = crate::cli::parse::parse();\n    let _ = tokens::token();\n}\n",
    ),
    (
        "tokens.rs",
        "use crate::config::{self, Config};\n\npub fn token() -> Config {\n    config::load().unwrap_or(Config)\n}\n",
    ),
    (
        "config.rs",
        "use crate::error::Error;\n\npub struct Config;\n\npub fn load() -> Result<Config, Error> {\n    Ok(Config)\n}\n",
    ),
    ("error.rs", "pub struct Error;\n"),
    ("env.rs", "pub struct Env;\n"),
    ("fake.rs", "use crate::cli::run;\n\npub fn fake() {\n    run();\n}\n"),
    ("fuzz.rs", "use crate::tokens::token;\n\npub fn body() {\n    let _ = token();\n}\n"),
];

/// The problems of the planted crate with the files of `write` written over it (`lib.rs` among
/// them, if given) and the files of `remove` removed.
fn planted(write: &[(&str, &str)], remove: &[&str]) -> Vec<String> {
    let mut files: BTreeMap<&str, &str> = PLANTED.iter().copied().collect();
    files.insert("lib.rs", PLANTED_LIB);
    files.extend(write.iter().copied());
    for file in remove {
        files.remove(file);
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let src = dir.path().join("src");
    for (file, text) in files {
        let path = src.join(file);
        fs::create_dir_all(path.parent().expect("a parent")).expect("the folder");
        fs::write(&path, text).expect("the file");
    }
    problems(&src)
}

#[test]
fn a_planted_crate_that_keeps_its_layers_has_no_problems() {
    assert_eq!(planted(&[], &[]), Vec::<String>::new());
}

#[test]
fn upward_import_from_data_into_commands_is_reported() {
    let problems = planted(&[("env.rs", "pub struct Env;\n\nuse crate::cli::parse::Command;\n")], &[]);
    assert_eq!(problems, ["src/env.rs:3 imports crate::cli::parse (cli/ is above env.rs in the module map)"]);
}

#[test]
fn an_import_of_the_crate_root_is_reported() {
    let problems = planted(&[("env.rs", "pub struct Env;\n\npub fn run() {\n    crate::run();\n}\n")], &[]);
    assert_eq!(problems, ["src/env.rs:4 imports crate (lib.rs is the top of the module map, above every module)"]);
}

#[test]
fn a_cycle_between_two_top_level_modules_is_reported() {
    let problems = planted(&[("error.rs", "pub struct Error(crate::config::Config);\n")], &[]);
    assert_eq!(
        problems,
        [
            "src/error.rs:1 imports crate::config (config.rs is above error.rs in the module map)",
            "cycle: config -> error -> config (via src/config.rs:1, src/error.rs:1)",
        ]
    );
}

#[test]
fn a_cycle_between_two_children_of_a_folder_is_reported() {
    let parse = "use crate::error::Error;\nuse super::run::run;\n\npub struct Command;\n\npub fn parse() -> \
                 Result<Command, Error> {\n    Ok(Command)\n}\n";
    let problems = planted(&[("cli/parse.rs", parse)], &[]);
    assert_eq!(
        problems,
        [
            "src/cli/parse.rs:2 imports crate::cli::run (cli/run.rs is above cli/parse.rs in the module map)",
            // cli/ is the planted crate's commands folder, and parse.rs not its first child.
            "src/cli/parse.rs:2 imports crate::cli::run: one command imports another (move what they share below \
             cli/ in the module map)",
            "cycle: cli::run -> cli::parse -> cli::run (via src/cli/run.rs:1, src/cli/parse.rs:2)",
        ]
    );
}

#[test]
fn a_file_the_map_does_not_list_is_reported() {
    let problems = planted(&[("secret.rs", "pub struct Secret;\n"), ("cli/extra.rs", "\n")], &[]);
    assert_eq!(problems, ["src/cli/extra.rs is not in the module map", "src/secret.rs is not in the module map"]);
}

#[test]
fn a_map_entry_without_its_file_is_reported() {
    let problems = planted(&[], &["tokens.rs", "cli/run.rs", "cli.rs"]);
    assert_eq!(
        problems,
        [
            "the module map lists cli/ (src/lib.rs:10), but its face src/cli.rs does not exist",
            "the module map lists cli/run.rs (src/lib.rs:11), but src/cli/run.rs does not exist",
            "the module map lists tokens.rs (src/lib.rs:14), but src/tokens.rs does not exist",
        ]
    );
}

#[test]
fn only_the_first_word_of_a_map_line_is_an_entry() {
    let lib = PLANTED_LIB
        .replace("//!   env.rs         the environment", "//!   env.rs  the environment;  secret.rs  Secret<T>");
    let problems = planted(&[("lib.rs", &lib), ("secret.rs", "pub struct Secret;\n")], &[]);
    assert_eq!(problems, ["src/secret.rs is not in the module map"]);
}

#[test]
fn a_child_importing_its_parents_reexport_through_super_is_reported() {
    let run = "use super::Command;\n\npub fn run() {\n    let _: Option<Command> = None;\n}\n";
    let problems = planted(&[("cli/run.rs", run)], &[]);
    assert_eq!(
        problems,
        ["src/cli/run.rs:1 reaches into its parent: super::Command (import it from the sibling that defines it)"]
    );
}

#[test]
fn a_child_importing_its_parents_reexport_through_the_crate_path_is_reported() {
    let run = "pub fn run() {\n    let _: Option<crate::cli::Command> = None;\n}\n\nuse crate::cli::{self as \
               here, parse};\n";
    let problems = planted(&[("cli/run.rs", run)], &[]);
    assert_eq!(
        problems,
        [
            "src/cli/run.rs:2 reaches into its parent: crate::cli::Command (import it from the sibling that defines \
             it)",
            "src/cli/run.rs:5 reaches into its parent: crate::cli (import it from the sibling that defines it)",
        ]
    );
}

/// The planted crate with two more commands in `cli/`, `login.rs` and `docker.rs`, under the
/// heading `heading`, where `login.rs` says `login`.
fn planted_commands(heading: &str, login: &str) -> Vec<String> {
    let lib = PLANTED_LIB.replace("//!  commands\n", &format!("//!  {heading}\n")).replace(
        "//!     parse.rs     the command line → Command\n",
        "//!     parse.rs     the command line → Command\n//!     login.rs     login\n//!     docker.rs    get\n",
    );
    let cli = "//! The command line.\n\nmod docker;\nmod login;\nmod parse;\nmod run;\n\npub use self::run::run;\n";
    let docker = "pub fn get() {}\n";
    planted(&[("lib.rs", &lib), ("cli.rs", cli), ("cli/login.rs", login), ("cli/docker.rs", docker)], &[])
}

#[test]
fn a_command_importing_another_command_is_reported() {
    let login = "use super::docker;\n\npub fn login() {\n    docker::get();\n}\n";
    assert_eq!(
        planted_commands("commands", login),
        ["src/cli/login.rs:1 imports crate::cli::docker: one command imports another (move what they share below \
          cli/ in the module map)"]
    );
    // The same import through the crate path, in code.
    let login = "pub fn login() {\n    crate::cli::docker::get();\n}\n";
    assert_eq!(
        planted_commands("commands", login),
        ["src/cli/login.rs:2 imports crate::cli::docker: one command imports another (move what they share below \
          cli/ in the module map)"]
    );
}

#[test]
fn commands_may_share_what_sits_below_them_and_only_the_first_child_names_them() {
    // Below the folder: the planted crate's tokens.rs.
    let login = "use crate::tokens;\n\npub fn login() {\n    let _ = tokens::token();\n}\n";
    assert_eq!(planted_commands("commands", login), Vec::<String>::new());
    // The rule is the heading's: a folder of mechanisms may import its siblings below.
    let login = "use super::docker;\n\npub fn login() {\n    docker::get();\n}\n";
    assert_eq!(planted_commands("mechanisms", login), Vec::<String>::new());
    // The first child of cli/ (run.rs, which reads the command line) imports parse.rs in every
    // planted tree: that alone is no problem (a_planted_crate_that_keeps_its_layers_has_no_problems).
}

#[test]
fn a_face_with_a_map_of_its_own_is_reported() {
    let cli = "//! The command line.\n//!\n//! ```text\n//! parse.rs  the command line\n//! ```\n\nmod parse;\nmod \
               run;\n\npub use self::run::run;\n";
    assert_eq!(
        planted(&[("cli.rs", cli)], &[]),
        ["src/cli.rs:3 holds a map of its folder: src/lib.rs's module map is the only one (say in a line what the \
          folder is for)"]
    );
}

#[test]
fn a_face_defining_a_fn_is_reported() {
    let face = "//! The command line.\n\nmod parse;\nmod run;\n\npub use self::run::run;\n\n/// Helps.\npub(crate) fn \
                helper() {}\n\nimpl parse::Command {}\n\n#[cfg(test)]\nfn only_in_tests() {}\n\n#[cfg(test)]\nmod \
                tests {\n    const X: u8 = 1;\n}\n";
    let problems = planted(&[("cli.rs", face)], &[]);
    assert_eq!(
        problems,
        [
            "src/cli.rs:9 defines fn helper, but a folder's face only declares its children and re-exports (move it \
             into a child of cli/)",
            "src/cli.rs:11 holds an impl block, but a folder's face only declares its children and re-exports (move \
             it into a child of cli/)",
        ]
    );
}

#[test]
fn imports_in_comments_and_doc_links_do_not_count() {
    let env = "//! Reached from [`crate::cli`]; see crate::tokens.\n\n/// Unlike [`crate::cli::parse::Command`].\n// \
               use crate::cli::run;\n/* use crate::tokens::token; /* crate::cli */ still a comment: crate::config */\n\
               /** crate::cli */\npub struct Env;\n";
    assert_eq!(planted(&[("env.rs", env)], &[]), Vec::<String>::new());
}

#[test]
fn imports_in_strings_raw_strings_and_chars_do_not_count_but_the_code_after_them_does() {
    let env = r###"pub struct Env;
pub const USE: &str = "use crate::cli::run; \" crate::tokens";
pub const RAW: &str = r"crate::cli::parse";
pub const HASHED: &str = r#"a "quoted" crate::cli::parse"#;
pub const BYTES: &[u8] = br##"crate::tokens "# still"##;
pub const BYTE: u8 = b'"';
pub const OPEN: char = '{';
pub const QUOTE: char = '"';
pub const TICK: char = '\'';
pub fn first<'a>(s: &'a str) -> &'a str { s }
pub fn after() -> crate::config::Config { crate::config::Config }
"###;
    let problems = planted(&[("env.rs", env)], &[]);
    assert_eq!(problems, ["src/env.rs:11 imports crate::config (config.rs is above env.rs in the module map)"]);
}

#[test]
fn imports_in_cfg_test_items_do_not_count_but_the_code_after_them_does() {
    let env = "pub struct Env;\n\n#[cfg(test)]\nuse crate::cli::run;\n\n#[cfg(test)]\n#[allow(dead_code)]\nfn \
               helper() {\n    crate::tokens::token();\n}\n\nfn check() {\n    #[cfg(test)]\n    \
               crate::tokens::token();\n}\n\n#[cfg(test)]\nmod tests {\n    use crate::cli::run;\n    use \
               super::*;\n    const OPEN: char = '}';\n}\n\nuse crate::error::Error;\n";
    let problems = planted(&[("env.rs", env)], &[]);
    assert_eq!(problems, ["src/env.rs:24 imports crate::error (error.rs is above env.rs in the module map)"]);
}

#[test]
fn test_only_modules_are_neither_importers_nor_targets() {
    let fuzz = "use crate::tokens::token;\nuse crate::cli::run;\n";
    let tokens = "use crate::config::{self, Config};\nuse crate::fuzz::body;\n\npub fn token() -> Config {\n    \
                  config::load().unwrap_or(Config)\n}\n";
    let env = "pub struct Env;\nuse crate::fake::fake;\n";
    assert_eq!(planted(&[("fuzz.rs", fuzz), ("tokens.rs", tokens), ("env.rs", env)], &[]), Vec::<String>::new());
}

#[test]
fn grouped_use_trees_become_one_edge_per_module() {
    let env = "pub struct Env;\n\nuse crate::{\n    cli::{parse, Command},\n    tokens::{self},\n};\n";
    let problems = planted(&[("env.rs", env)], &[]);
    assert_eq!(
        problems,
        [
            "src/env.rs:4 imports crate::cli::parse (cli/ is above env.rs in the module map)",
            "src/env.rs:4 imports crate::cli (cli/ is above env.rs in the module map)",
            "src/env.rs:5 imports crate::tokens (tokens.rs is above env.rs in the module map)",
        ]
    );
}

#[test]
fn a_nested_use_group_is_read_leaf_by_leaf() {
    let tokens = lex("use crate::{a::{b, C}, d};\nuse crate::x::{self};\nuse ::std::io;\nuse super::*;\n");
    let module = vec!["m".to_string()];
    let found: Vec<(String, usize)> =
        imports(&tokens, &module).into_iter().map(|import| (import.absolute.join("::"), import.line)).collect();
    let expected = [("a::b", 1), ("a::C", 1), ("d", 1), ("x", 2), ("*", 4)];
    assert_eq!(found, expected.map(|(path, line)| (path.to_string(), line)));
}

#[test]
fn paths_in_code_are_imports_but_restricted_visibilities_are_not() {
    let source = "pub(in crate::a) fn f<T: crate::b::Trait>() -> crate::c::D {\n    crate::e::f::<u8>();\n}\nimpl \
                  crate::g::T for X {}\npub(crate) struct Y(pub(super) u8);\n";
    let found: Vec<String> =
        imports(&lex(source), &["m".to_string()]).into_iter().map(|import| import.absolute.join("::")).collect();
    assert_eq!(found, ["b::Trait", "c::D", "e::f", "g::T"]);
}

#[test]
fn super_inside_an_inline_module_means_the_file_itself() {
    let run = "pub struct Helper;\n\npub fn run() {}\n\nmod quiet {\n    pub use super::Helper;\n    fn f() {\n        \
               let _ = super::super::parse::parse();\n    }\n}\n\npub mod trust {}\n";
    assert_eq!(planted(&[("cli/run.rs", run)], &[]), Vec::<String>::new());
    let found: Vec<String> = imports(&lex(run), &["cli".to_string(), "run".to_string()])
        .into_iter()
        .map(|import| import.absolute.join("::"))
        .collect();
    assert_eq!(found, ["cli::run::Helper", "cli::parse::parse"]);
}

#[test]
fn nesting_deeper_than_one_folder_is_refused_clearly() {
    let lib = PLANTED_LIB.replace(
        "//!     parse.rs     the command line → Command",
        "//!     parse.rs     the command line → Command\n//!     deep/        too deep",
    );
    let problems = planted(&[("lib.rs", &lib), ("cli/deep/x.rs", "\n")], &[]);
    assert_eq!(
        problems,
        [
            "the module map nests deep/ in cli/ (src/lib.rs:13): tests/suite/layers.rs knows one folder level (src/F.rs, \
             src/F/child.rs)",
            "src/cli/deep/x.rs is nested more than one folder deep: tests/suite/layers.rs knows one folder level (src/F.rs, \
             src/F/child.rs)",
            "the module map lists cli/deep/ (src/lib.rs:13), but its face src/cli/deep.rs does not exist",
        ]
    );
}

#[test]
fn a_lib_without_a_module_map_is_one_problem() {
    let problems = planted(&[("lib.rs", "//! No map here.\n\nmod cli;\n")], &[]);
    assert_eq!(problems, ["src/lib.rs has no module map: its crate docs (//!) hold no ```text block"]);
}

/// What the map reads of an entry: its label, its unit's label, its module, its line, its heading.
type Read = (String, String, Option<String>, usize, Option<String>);

#[test]
fn the_map_reads_folders_and_their_children_from_indentation() {
    let lib = [
        "//! The crate.",
        "//!",
        "//! ```text",
        "//! main.rs          argv in; exit code out",
        "//! lib.rs           `run`",
        "//!  tests and fuzzing only",
        "//!   fuzz.rs        the fuzz targets' bodies",
        "//!  commands",
        "//!   cli/           the command line",
        "//!     parse.rs     the command line → Command",
        "//!                  and its help.rs text",
        "//!     doctor.rs    checks everything",
        "//!  mechanisms",
        "//!   tokens.rs      the token path",
        "//!   aws/           the seam around AWS",
        "//!     seam.rs      trait Aws",
        "//!  data",
        "//!   error.rs       every outcome",
        "//! ```",
        "//!",
        "//! ```text",
        "//! ignored.rs       a second block",
        "//! ```",
        "",
        "mod cli;",
    ]
    .join("\n");
    let map = ModuleMap::read(&lib).expect("a map");
    let read: Vec<Read> = (0..map.entries.len())
        .map(|index| {
            let module = map.module(index).map(|module| module.join("::"));
            let entry = &map.entries[index];
            (map.label(index), map.label(map.unit(index)), module, entry.line, entry.section.clone())
        })
        .collect();
    let (testing, commands, mechanisms) = (Some("tests and fuzzing only"), Some("commands"), Some("mechanisms"));
    let expected = [
        ("main.rs", "main.rs", None, 4, None),
        ("lib.rs", "lib.rs", Some(""), 5, None),
        ("fuzz.rs", "fuzz.rs", Some("fuzz"), 7, testing),
        ("cli/", "cli/", Some("cli"), 9, commands),
        ("cli/parse.rs", "cli/", Some("cli::parse"), 10, commands),
        // The line between parse.rs and doctor.rs continues parse.rs's description: no heading.
        ("cli/doctor.rs", "cli/", Some("cli::doctor"), 12, commands),
        ("tokens.rs", "tokens.rs", Some("tokens"), 14, mechanisms),
        ("aws/", "aws/", Some("aws"), 15, mechanisms),
        ("aws/seam.rs", "aws/", Some("aws::seam"), 16, mechanisms),
        ("error.rs", "error.rs", Some("error"), 18, Some("data")),
    ]
    .map(|(label, unit, module, line, section)| {
        (label.to_string(), unit.to_string(), module.map(String::from), line, section.map(String::from))
    });
    assert_eq!(read, expected);
    assert!(map.problems.is_empty(), "{:?}", map.problems);
}

#[test]
fn chars_lifetimes_and_raw_strings_are_told_apart() {
    let source = "fn f<'a>(s: &'a str) -> char { let _ = (b'\\'', '\\u{7B}', r#\"x\"#, br\"y\", c\"z\", r#type); \
                  'outer: loop { break 'outer; } '{' }";
    let lexed = lex(source);
    let tokens: Vec<(Kind, &str)> = lexed.iter().map(|t| (t.kind, t.text.as_str())).collect();
    let literals: Vec<&str> = tokens.iter().filter(|(kind, _)| *kind == Kind::Literal).map(|&(_, text)| text).collect();
    let lifetimes: Vec<&str> =
        tokens.iter().filter(|(kind, _)| *kind == Kind::Lifetime).map(|&(_, text)| text).collect();
    assert_eq!(literals, ["b'\\''", "'\\u{7B}'", "r#\"x\"#", "br\"y\"", "c\"z\"", "'{'"]);
    assert_eq!(lifetimes, ["'a", "'a", "'outer", "'outer"]);
    assert!(tokens.contains(&(Kind::Word, "r#type")));
}
