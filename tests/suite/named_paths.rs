//! Every file a comment names exists. Comments name files to send the reader there (`src/cache.rs`,
//! `tests/e2e/lib.sh`, `mfa.rs`); a file that moved leaves the reader at nothing, and no compiler
//! notices. Read here: the comments of the Rust sources (`src/`, `tests/`, `examples/`, `fuzz/`,
//! `bench/`, `build.rs`), of `Cargo.toml` and the other TOML files, and of the scripts (`.ci/`,
//! `packaging/`, `tests/`, `bench/`, `fuzz/`).
//!
//! A path that starts with a top-level folder of the repository is looked up from the top; a bare
//! file name (`cache.rs`) beside the comment's file, then under `src/` and its folders, then under
//! `tests/suite/`. A path written with a capital placeholder (`src/F.rs`, `tests/suite/THEME.rs`)
//! names a pattern, not a file. Another project's files are listed in [`OTHERS`], each with whose
//! it is; `layers.rs` and this file are left out, as their comments name the files of the trees
//! they plant.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The repository's top-level folders and files a comment may name a path from.
const ROOTS: &[&str] = &[".ci", ".github", "bench", "docs", "examples", "fuzz", "packaging", "src", "tests"];

/// The extensions that make a bare word a file name.
const EXTENSIONS: &[&str] = &["rs", "sh", "py", "toml", "md", "yml", "c", "order", "pub"];

/// Files of other projects that comments name, with whose each is. Each must still be named.
const OTHERS: &[(&str, &str)] = &[
    ("flock.rs", "cargo's file locks"),
    ("credentials.py", "botocore's credential providers, whose session cache the AWS CLI shares"),
    ("hosts.toml", "containerd's registry host configuration"),
    ("src/login/cache.rs", "aws-config's login cache, whose file names it tests"),
];

/// The test files whose comments name the files of the trees they plant.
const PLANTING: &[&str] = &["tests/suite/layers.rs", "tests/suite/named_paths.rs"];

/// Folders whose files are not ours or not sources: build output, fuzzing's corpora.
const SKIPPED: &[&str] = &["target", "corpus", "artifacts", ".git"];

/// Where one file's comments name a missing file, `file:line: word`; and every other project's
/// file they name.
fn missing_in(repo: &Path, places: &[PathBuf], file: &Path, text: &str, others: &mut BTreeSet<String>) -> Vec<String> {
    let relative = file.strip_prefix(repo).unwrap_or(file).to_string_lossy().replace('\\', "/");
    let rust = file.extension().is_some_and(|extension| extension == "rs");
    let mut missing = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let Some(comment) = comment_of(line, rust) else { continue };
        for word in path_words(comment) {
            if OTHERS.iter().any(|(name, _)| *name == word) {
                others.insert(word);
            } else if !exists(repo, places, file, &word) {
                missing.push(format!("{relative}:{}: {word}", number + 1));
            }
        }
    }
    missing
}

/// The comment on a line: after `//` in Rust (not the `//` of a URL, nor one inside a string
/// literal), after a leading `#` in scripts and TOML.
fn comment_of(line: &str, rust: bool) -> Option<&str> {
    if rust {
        let mut from = 0;
        while let Some(at) = line[from..].find("//") {
            let at = from + at;
            // Inside a string literal, the quotes before it are odd in number.
            let quotes = line[..at].replace("\\\\", "").replace("\\\"", "").matches('"').count();
            if !line[..at].ends_with(':') && quotes.is_multiple_of(2) {
                return Some(&line[at + 2..]);
            }
            from = at + 2;
        }
        return None;
    }
    let trimmed = line.trim_start();
    (trimmed.starts_with('#') && !trimmed.starts_with("#!")).then(|| &trimmed[1..])
}

/// The words of a comment that name a file of ours: a path from one of [`ROOTS`], or a bare name
/// with one of [`EXTENSIONS`]. Trailing punctuation and a `:LINE` suffix are not part of the name.
fn path_words(comment: &str) -> Vec<String> {
    let is_path_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/');
    let mut words = Vec::new();
    let mut rest = comment;
    while let Some(start) = rest.find(is_path_char) {
        let after = &rest[start..];
        let end = after.find(|c: char| !is_path_char(c)).unwrap_or(after.len());
        let before = rest[..start].chars().last();
        let word = after[..end].trim_end_matches(['.', '-', '/']);
        rest = &after[end..];
        // Not a file of ours: an absolute path, a home-relative one, a URL's path, a path inside
        // another one (`~/.docker/config.json`, `$HOME/x`, `%APPDATA%\x`).
        if matches!(before, Some('~' | '$' | '@' | ':' | '%' | '\\' | '=')) || word.starts_with('/') {
            continue;
        }
        let root = word.split('/').next().unwrap_or("");
        let from_root = word.contains('/') && ROOTS.contains(&root);
        let bare = !word.contains('/')
            && word.rsplit_once('.').is_some_and(|(stem, extension)| {
                !stem.is_empty() && !stem.contains('.') && EXTENSIONS.contains(&extension)
            });
        let placeholder = word.split('/').any(|part| {
            let stem = part.split('.').next().unwrap_or("");
            !stem.is_empty() && stem.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        });
        if (from_root || bare) && !placeholder {
            words.push(word.to_string());
        }
    }
    words
}

/// The folders a bare file name is looked for in, after the commenting file's own: the top,
/// `src/` and its folders, `tests/suite/`.
fn bare_name_places(repo: &Path) -> Vec<PathBuf> {
    let mut places = vec![repo.to_path_buf(), repo.join("src"), repo.join("tests/suite")];
    if let Ok(entries) = fs::read_dir(repo.join("src")) {
        places.extend(entries.flatten().map(|entry| entry.path()).filter(|path| path.is_dir()));
    }
    places
}

/// Whether `word` names a file or folder: from the top of the repository, or, bare, beside `file`
/// or in one of `places`.
fn exists(repo: &Path, places: &[PathBuf], file: &Path, word: &str) -> bool {
    if word.contains('/') {
        return repo.join(word).exists();
    }
    file.parent().unwrap_or(repo).join(word).exists() || places.iter().any(|place| place.join(word).exists())
}

/// The files whose comments are read: Rust sources, TOML files and scripts (a `#!` first line).
fn commented_files(dir: &Path, files: &mut BTreeSet<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !SKIPPED.contains(&name.as_str()) {
                commented_files(&path, files);
            }
        } else if [".rs", ".toml", ".py", ".sh"].iter().any(|extension| name.ends_with(extension))
            || fs::read(&path).is_ok_and(|bytes| bytes.starts_with(b"#!"))
        {
            files.insert(path);
        }
    }
}

/// Every missing file named in the comments of the repository at `repo`, and every entry of
/// [`OTHERS`] that no comment names any more.
fn missing(repo: &Path) -> Vec<String> {
    let mut files = BTreeSet::new();
    for root in ROOTS.iter().filter(|root| !matches!(**root, "docs" | ".github")) {
        commented_files(&repo.join(root), &mut files);
    }
    files.extend(["build.rs", "Cargo.toml", "deny.toml", "rustfmt.toml", ".clippy.toml"].map(|name| repo.join(name)));
    files.retain(|file| !PLANTING.iter().any(|planting| file.ends_with(planting)));
    let places = bare_name_places(repo);
    let mut others = BTreeSet::new();
    let mut missing: Vec<String> = files
        .iter()
        .filter_map(|file| Some(missing_in(repo, &places, file, &fs::read_to_string(file).ok()?, &mut others)))
        .flatten()
        .collect();
    for (name, whose) in OTHERS.iter().filter(|(name, _)| !others.contains(*name)) {
        missing.push(format!("{name} ({whose}) is listed as another project's file, but no comment names it"));
    }
    missing
}

/// The problems of a repository holding `files` (path, text) and a comment naming every file of
/// [`OTHERS`].
fn planted(files: &[(&str, &str)]) -> Vec<String> {
    let repo = tempfile::tempdir().unwrap();
    let others: String = OTHERS.iter().flat_map(|(name, _)| ["// ", name, "\n"]).collect();
    for (path, text) in files.iter().copied().chain([("src/others.rs", others.as_str())]) {
        let path = repo.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
    }
    missing(repo.path())
}

#[test]
fn every_file_a_comment_names_exists() {
    let missing = missing(Path::new(env!("CARGO_MANIFEST_DIR")));
    assert!(
        missing.is_empty(),
        "{} comment(s) name a file that does not exist:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

#[test]
fn a_moved_file_is_found_in_rust_toml_and_script_comments_but_not_in_code_strings_or_urls() {
    let problems = planted(&[
        ("src/cache.rs", "//! The cache, over `files.rs` (src/files/lock.rs).\n"),
        ("src/files.rs", "mod lock;\n"),
        (
            "src/files/lock.rs",
            "// Beside: replace.rs, and src/gone.rs:12.\nconst URL: &str = \"http://x/src/no.rs\";\n",
        ),
        ("src/files/unix.rs", "const DOC: &str = \"// src/planted.rs\"; // but src/after.rs counts\n"),
        ("Cargo.toml", "# The reader of `src/config/reader.rs`.\nname = \"src/ignored.rs\"\n"),
        (
            "tests/run",
            "#!/bin/sh\n# Runs tests/suite/THEME.rs and packaging/hot-path; see https://example.com/src/x.rs\n",
        ),
        ("tests/suite/main.rs", "// ~/.docker/config.json, /etc/hosts, $HOME/src/x.rs, cargo's flock.rs\nmod cache;\n"),
    ]);
    assert_eq!(
        problems,
        [
            "Cargo.toml:1: src/config/reader.rs",
            "src/files/lock.rs:1: replace.rs",
            "src/files/lock.rs:1: src/gone.rs",
            "src/files/unix.rs:1: src/after.rs",
            "tests/run:2: packaging/hot-path",
        ]
    );
}

#[test]
fn another_projects_file_that_no_comment_names_any_more_is_reported() {
    let repo = tempfile::tempdir().unwrap();
    fs::create_dir_all(repo.path().join("src")).unwrap();
    fs::write(repo.path().join("src/lib.rs"), "// cargo's flock.rs\n").unwrap();
    let problems = missing(repo.path());
    assert_eq!(problems.len(), OTHERS.len() - 1, "{problems:#?}");
    assert!(
        problems
            .iter()
            .all(|problem| problem.ends_with("is listed as another project's file, but no comment names it"))
    );
    assert!(!problems.iter().any(|problem| problem.starts_with("flock.rs")), "{problems:#?}");
}
