//! README.md and the pages of `docs/` cannot rot. Every command in their `sh` and `powershell`
//! blocks is run by a script that CI runs, written there with the same words in the same order (CI
//! may add its own options and variables), or is listed below with the reason it cannot run on a
//! machine without AWS, a container daemon or a published release. Every other code block is
//! checked for its language or marked `text` (a step that uses this repository's action names this
//! version's tag and inputs that `action.yml` declares), and every relative link between the pages,
//! `#anchor` included, resolves by GitHub's rules.

use crate::support;

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use support::Sandbox;
use support::stand_in::{StandIn, access_key_for_role};

/// Scripts that `.ci/run` runs, itself included.
const CI_SCRIPTS: &[&str] = &[
    ".ci/run",
    "tests/run",
    "tests/demo.sh",
    "tests/e2e/run",
    "tests/e2e/clients.sh",
    "tests/e2e/docker.sh",
    "tests/e2e/kubelet.sh",
    "packaging/test-name-resolution",
    "packaging/test-packages",
    "bench/run",
    "fuzz/run",
    "tests/soak",
    "packaging/test-release",
    "packaging/lint-workflows",
];

/// Commands of the pages that cannot run here, each with why and what runs in its place.
const NOT_RUNNABLE_HERE: &[(&str, &str)] = &[
    (
        "cargo binstall ecr-login",
        "needs the release published on GitHub: packaging/test-cargo checks the URL template that \
         cargo-binstall fills against a release's file names",
    ),
    (
        "cargo install --locked ecr-login",
        "needs the crate published on crates.io: packaging/test-packages runs the same build from the \
         checkout (cargo install --locked --path .)",
    ),
    (
        "curl -fsSL https://github.com/ecr-login/ecr-login/releases/latest/download/ecr-login.gpg | sudo tee /usr/share/keyrings/ecr-login.gpg >/dev/null",
        "needs the release published on GitHub: packaging/test-apt runs the same three lines against a \
         loopback copy of a release",
    ),
    (
        "echo \"deb [signed-by=/usr/share/keyrings/ecr-login.gpg] https://github.com/ecr-login/ecr-login/releases/latest/download/ ./\" | sudo tee /etc/apt/sources.list.d/ecr-login.list",
        "needs the release published on GitHub: packaging/test-apt runs the same three lines against a \
         loopback copy of a release",
    ),
    (
        "sudo apt-get update && sudo apt-get install ecr-login",
        "needs the release published on GitHub: packaging/test-apt runs the same three lines against a \
         loopback copy of a release",
    ),
    (
        "brew install ecr-login/tap/ecr-login",
        "no Homebrew on Linux CI and no published tap: packaging/release writes the formula with the \
         release's hashes and packaging/test-manifests checks it",
    ),
    (
        "scoop bucket add ecr-login https://github.com/ecr-login/scoop-ecr-login",
        "no Scoop on Linux CI and no published bucket: packaging/release writes the manifest with the \
         release's hashes and packaging/test-manifests checks it",
    ),
    (
        "scoop install ecr-login",
        "no Scoop on Linux CI and no published bucket: packaging/release writes the manifest with the \
         release's hashes and packaging/test-manifests checks it",
    ),
    (
        "rpm -i ~/rpmbuild/RPMS/x86_64/ecr-login-0.1.0-1.x86_64.rpm",
        "CI runs on Debian: the RPM is built, listed and its binary run from rpm2cpio instead",
    ),
    (
        "brew install --HEAD ecr-login/tap/ecr-login",
        "no Homebrew on Linux CI and no published tap: the formula template's syntax is checked \
         (packaging/test-packages) and the release's formula by packaging/test-manifests",
    ),
    (
        "docker pull 123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:latest",
        "needs a real ECR registry: tests/e2e/docker.sh pulls from a local one through a real docker daemon",
    ),
    (
        "skopeo inspect docker://123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:latest",
        "needs a real ECR registry: tests/e2e runs skopeo inspect against a local one",
    ),
    (
        "podman pull 123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:latest",
        "needs a real ECR registry: tests/e2e runs podman pull against a local one",
    ),
    (
        "skopeo login --get-login 123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "needs AWS credentials for a real account: tests/e2e runs it against moto",
    ),
    (
        "docker-credential-ecr-login login 123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "needs a person at a terminal: tests/suite/mfa.rs runs login on a pseudo-terminal against the stand-in and moto",
    ),
];

/// The project's public repository, where the man page sends readers for the documentation.
const PROJECT: &str = "https://github.com/ecr-login/ecr-login";

/// The languages a code block may name, each checked below; output is `text`, checked by nothing.
const LANGUAGES: &[&str] = &["sh", "powershell", "toml", "json", "yaml", "ini", "text"];

/// The languages whose lines are commands, checked against [`CI_SCRIPTS`].
const COMMAND_LANGUAGES: &[&str] = &["sh", "powershell"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative)).unwrap()
}

/// A page of the documentation: its path from the repository root, and its text.
struct Page {
    path: String,
    text: String,
}

/// README.md, then every page of `docs/` in name order.
fn pages() -> Vec<Page> {
    let mut paths = vec!["README.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| Path::new(name).extension().is_some_and(|e| e == "md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    docs.sort();
    paths.extend(docs);
    paths.into_iter().map(|path| Page { text: read(&path), path }).collect()
}

/// A fenced code block: where it starts (`page:line` of its opening fence), its language and body.
struct Block {
    page: String,
    line: usize,
    at: String,
    language: String,
    body: String,
}

fn blocks(page: &Page) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for (index, line) in page.text.lines().enumerate() {
        match (line.trim().strip_prefix("```"), current.as_mut()) {
            (Some(info), None) => {
                let (path, line) = (page.path.clone(), index + 1);
                let at = format!("{path}:{line}");
                current = Some(Block { page: path, line, at, language: info.trim().to_string(), body: String::new() });
            }
            (Some(_), Some(_)) => blocks.extend(current.take()),
            (None, Some(block)) => {
                block.body.push_str(line);
                block.body.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(current.is_none(), "{}: a code block is never closed", page.path);
    blocks
}

fn all_blocks(language: &str) -> Vec<Block> {
    pages().iter().flat_map(blocks).filter(|b| b.language == language).collect()
}

/// A command of an `sh` or `powershell` block, without its trailing comment, and where it is.
struct Command {
    at: String,
    command: String,
}

fn commands(page: &Page) -> Vec<Command> {
    let mut commands = Vec::new();
    for block in blocks(page).into_iter().filter(|b| COMMAND_LANGUAGES.contains(&b.language.as_str())) {
        for (offset, line) in block.body.lines().enumerate() {
            let trimmed = line.trim();
            if !trimmed.is_empty() && !trimmed.starts_with('#') {
                let command = trimmed.split("  #").next().unwrap_or(trimmed).trim();
                let at = format!("{}:{}", block.page, block.line + 1 + offset);
                commands.push(Command { at, command: command.to_string() });
            }
        }
    }
    commands
}

/// Whether `words` occur in `line` in order, other words allowed between them.
fn runs(line: &str, words: &[&str]) -> bool {
    if line.trim_start().starts_with('#') {
        return false; // a comment runs nothing
    }
    let mut tokens = line.split_whitespace();
    words.iter().all(|word| tokens.any(|token| token == *word))
}

/// Each command of `page` that neither a CI script runs nor [`NOT_RUNNABLE_HERE`] lists, as a message.
fn unrun_commands(page: &Page, scripts: &[(String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    for Command { at, command } in commands(page) {
        if NOT_RUNNABLE_HERE.iter().any(|(c, _)| *c == command) {
            continue;
        }
        let words: Vec<&str> = command.split_whitespace().collect();
        if !scripts.iter().any(|(_, text)| text.lines().any(|line| runs(line, &words))) {
            problems.push(format!("{at}: command {command:?} is run by none of {CI_SCRIPTS:?}"));
        }
    }
    problems
}

fn ci_scripts() -> Vec<(String, String)> {
    CI_SCRIPTS.iter().map(|s| (s.to_string(), read(s))).collect()
}

#[test]
fn every_command_of_the_pages_is_run_by_ci_or_says_why_not() {
    let scripts = ci_scripts();
    let pages = pages();
    let all: Vec<Command> = pages.iter().flat_map(commands).collect();
    assert!(all.len() >= 10, "{} commands", all.len());
    let problems: Vec<String> = pages.iter().flat_map(|page| unrun_commands(page, &scripts)).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for (command, _) in NOT_RUNNABLE_HERE {
        assert!(all.iter().any(|c| c.command == *command), "{command:?} is no longer in README.md or docs/");
    }
}

#[test]
fn a_planted_command_that_nothing_runs_is_reported() {
    let page = Page {
        path: "docs/planted.md".into(),
        text:
            "```sh\ndocker-credential-ecr-login configure kubelet\ndocker-credential-ecr-login frobnicate --all\n```\n"
                .into(),
    };
    let problems = unrun_commands(&page, &ci_scripts());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with(
            "docs/planted.md:3: command \"docker-credential-ecr-login frobnicate --all\" is run by none of"
        ),
        "{problems:?}"
    );
}

/// The paths a script's command lines name, quotes dropped, with the variable of a
/// `for NAME in WORDS; do` loop replaced by each of its words; comment lines name nothing.
fn named_paths(text: &str) -> Vec<String> {
    let mut loops: Vec<(String, Vec<String>)> = Vec::new();
    let mut paths = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("for ").and_then(|r| r.strip_suffix("; do"))
            && let Some((name, words)) = rest.split_once(" in ")
        {
            loops.push((name.to_string(), words.split_whitespace().map(String::from).collect()));
            continue;
        }
        if line == "done" {
            loops.pop();
        }
        for token in line.split_whitespace().map(|t| t.trim_matches(|c| c == '"' || c == '\'' || c == ';')) {
            let mut forms = vec![token.to_string()];
            for (name, words) in &loops {
                let (short, long) = (format!("${name}"), format!("${{{name}}}"));
                if token.contains(&short) || token.contains(&long) {
                    forms = words.iter().map(|w| token.replace(&long, w).replace(&short, w)).collect();
                }
            }
            paths.extend(forms);
        }
    }
    paths
}

#[test]
fn ci_runs_every_listed_script() {
    // Each listed script must be reached from .ci/run through scripts that name it, so that a
    // command the pages show keeps running in CI.
    let mut reached = vec![".ci/run"];
    let mut next = 0;
    while next < reached.len() {
        let paths = named_paths(&read(reached[next]));
        for script in CI_SCRIPTS {
            let named = paths.iter().any(|p| p == script || p.ends_with(&format!("/{script}")));
            if named && !reached.contains(script) {
                reached.push(script);
            }
        }
        next += 1;
    }
    let missing: Vec<_> = CI_SCRIPTS.iter().filter(|s| !reached.contains(s)).collect();
    assert!(missing.is_empty(), ".ci/run reaches none of {missing:?} (reached {reached:?})");
}

#[test]
fn what_runs_in_place_of_a_command_exists() {
    // Each script a reason names as running instead (packaging/…, tests/…) is a file of the repository.
    for (command, why) in NOT_RUNNABLE_HERE {
        for word in why.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ',' | ';' | ':')) {
            let word = word.trim_end_matches('.');
            if word.starts_with("packaging/") || word.starts_with("tests/") {
                assert!(root().join(word).exists(), "{command:?}: {word} does not exist");
            }
        }
    }
}

#[test]
fn a_script_is_named_by_its_command_lines_and_loops_not_its_comments() {
    assert!(named_paths("# bash tests/soak\n  # tests/run").is_empty());
    assert!(!runs("#   bench/run --quick", &["bench/run", "--quick"]));
    let looped = named_paths("for client in nerdctl kubelet; do\n  bash \"tests/e2e/$client.sh\"\ndone\n");
    assert!(looped.contains(&"tests/e2e/kubelet.sh".to_string()), "{looped:?}");
    assert!(named_paths("bash \"$ROOT/tests/e2e/clients.sh\"").iter().any(|p| p.ends_with("/tests/e2e/clients.sh")));
}

#[test]
fn the_readme_starts_with_the_demo_and_the_test_suite() {
    let readme = pages().into_iter().next().unwrap();
    assert_eq!(readme.path, "README.md");
    let first: Vec<String> = commands(&readme).into_iter().take(2).map(|c| c.command).collect();
    assert_eq!(first, ["tests/demo.sh", "tests/run"]);
}

#[test]
fn every_code_block_names_a_checked_language() {
    for page in pages() {
        for block in blocks(&page) {
            assert!(
                LANGUAGES.contains(&block.language.as_str()),
                "{}: a code block of language {:?}; name one of {LANGUAGES:?} (`text` for output)",
                block.at,
                block.language
            );
        }
    }
}

#[test]
fn every_json_yaml_and_ini_block_parses() {
    let json = all_blocks("json");
    assert!(!json.is_empty());
    for block in &json {
        serde_json::from_str::<serde_json::Value>(&block.body)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", block.at));
    }
    let yaml = all_blocks("yaml");
    assert!(yaml.len() >= 2, "{} yaml blocks", yaml.len());
    for block in &yaml {
        for document in serde_norway::Deserializer::from_str(&block.body) {
            serde_norway::Value::deserialize(document).unwrap_or_else(|e| panic!("{}: not YAML: {e}", block.at));
        }
    }
    let ini = all_blocks("ini");
    assert!(!ini.is_empty());
    for block in &ini {
        for line in block.body.lines().map(str::trim) {
            let section = line.starts_with('[') && line.ends_with(']');
            let key = line.split_once(" = ").is_some_and(|(k, v)| !k.contains(' ') && !v.is_empty());
            assert!(line.is_empty() || line.starts_with('#') || section || key, "{}: not INI: {line:?}", block.at);
        }
    }
}

#[test]
fn every_config_example_loads_with_what_it_declares() {
    let blocks = all_blocks("toml");
    assert!(blocks.len() >= 4, "{} toml blocks", blocks.len());
    let stand_in = StandIn::start();
    for block in &blocks {
        let mut sandbox = Sandbox::new(&stand_in.url());
        let path = sandbox.write_home_file("example.toml", &block.body);
        sandbox.set("ECR_LOGIN_CONFIG", path.to_str().unwrap());
        let run = sandbox.run(&["doctor", "123456789012.dkr.ecr.us-east-1.amazonaws.com"], b"");
        toml::from_str::<toml::Table>(&block.body).unwrap_or_else(|e| panic!("{}: not TOML: {e}", block.at));
        let (rules, aliases) = (block.body.matches("[[registry]]").count(), block.body.matches("[[alias]]").count());
        let line = format!("{} ({rules} rule(s), {aliases} alias(es))", path.display());
        assert!(run.stdout.contains(&line), "{}\n{}\n{run:?}", block.at, block.body);
    }
}

#[test]
fn the_many_accounts_example_assumes_its_role_with_its_profile() {
    let block =
        all_blocks("toml").into_iter().find(|b| b.body.contains("ci-pulls")).expect("the Many accounts example");
    let stand_in = StandIn::start();
    let mut sandbox = Sandbox::new(&stand_in.url());
    sandbox.write_home_file(
        ".aws/credentials",
        "[prod-pull]\naws_access_key_id = AKIAPRODPULL\naws_secret_access_key = prod-secret\n",
    );
    let path = sandbox.write_home_file("example.toml", &block.body);
    sandbox.set("ECR_LOGIN_CONFIG", path.to_str().unwrap());
    sandbox.get("210987654321.dkr.ecr.eu-west-1.amazonaws.com").assert_clean_success();
    sandbox.get("111122223333.dkr.ecr.us-west-2.amazonaws.com").assert_clean_success();
    let sts = stand_in.sts_requests();
    assert_eq!(sts.len(), 2, "{sts:?}");
    assert_eq!((sts[0].access_key.as_str(), sts[0].external_id.as_deref()), ("AKIAPRODPULL", Some("ci-pulls")));
    assert_eq!(sts[1].access_key, "AKIDSANDBOX");
    assert_eq!(
        stand_in.ecr_signers(),
        [
            access_key_for_role("arn:aws:iam::210987654321:role/ecr-pull"),
            access_key_for_role("arn:aws:iam::111122223333:role/ecr-pull")
        ]
    );
}

#[test]
fn the_alias_example_answers_with_its_registrys_token() {
    let block = all_blocks("toml").into_iter().find(|b| b.body.contains("[[alias]]")).expect("the alias example");
    let stand_in = StandIn::start();
    let mut sandbox = Sandbox::new(&stand_in.url());
    let path = sandbox.write_home_file("example.toml", &block.body);
    sandbox.set("ECR_LOGIN_CONFIG", path.to_str().unwrap());
    let run = sandbox.get("registry.example.com");
    run.assert_clean_success();
    assert_eq!(run.secret(), "123456789012-token-1");
}

/// GitHub's anchor for a heading (github-slugger): lower case, every character that is not a
/// letter, digit, `-`, `_` or space dropped (backticks, quotes, colons, dots), spaces made `-`;
/// a repeated anchor gets `-1`, `-2`, ….
fn anchors(text: &str) -> BTreeSet<String> {
    let mut anchors = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if fenced || !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let slug: String = line[hashes..]
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut unique = slug.clone();
        let mut n = 0;
        while anchors.contains(&unique) {
            n += 1;
            unique = format!("{slug}-{n}");
        }
        anchors.insert(unique);
    }
    anchors
}

/// The targets of the Markdown links of `text` outside code blocks and code spans, with their lines.
fn link_targets(text: &str) -> Vec<(usize, String)> {
    let mut targets = Vec::new();
    let (mut fenced, mut in_code) = (false, false);
    for (index, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find(['`', ']']) {
            let (c, after) = (&rest[i..=i], &rest[i + 1..]);
            if c == "`" {
                in_code = !in_code;
            } else if !in_code && let Some(target) = after.strip_prefix('(') {
                let end = target.find([')', ' ']).unwrap_or(target.len());
                targets.push((index + 1, target[..end].to_string()));
            }
            rest = after;
        }
        if line.trim().is_empty() {
            in_code = false;
        }
    }
    targets
}

/// Each relative link of `page` whose file or anchor does not exist, as a message. `anchors_of`
/// gives the anchors of a Markdown file by its path from the repository root.
fn broken_links(page: &Page, anchors_of: &dyn Fn(&str) -> Option<BTreeSet<String>>) -> Vec<String> {
    let mut problems = Vec::new();
    let dir = Path::new(&page.path).parent().unwrap_or(Path::new(""));
    for (line, target) in link_targets(&page.text) {
        if target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let (file, anchor) = target.split_once('#').map_or((target.as_str(), None), |(f, a)| (f, Some(a)));
        let resolved = if file.is_empty() { PathBuf::from(&page.path) } else { normalize(&dir.join(file)) };
        let resolved = resolved.to_string_lossy().into_owned();
        let at = format!("{}:{line}", page.path);
        if !file.is_empty() && (resolved.starts_with("..") || !root().join(&resolved).exists()) {
            problems.push(format!("{at}: link {target:?}: no file {resolved}"));
            continue;
        }
        let Some(anchor) = anchor else { continue };
        match anchors_of(&resolved) {
            Some(anchors) if anchors.contains(anchor) => {}
            Some(anchors) => {
                problems.push(format!("{at}: link {target:?}: no heading #{anchor} in {resolved}; it has {anchors:?}"));
            }
            None => {
                problems.push(format!("{at}: link {target:?}: #{anchor} in {resolved}, which is not a Markdown page"));
            }
        }
    }
    problems
}

/// `a/b/../c` as `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn markdown_anchors(path: &str) -> Option<BTreeSet<String>> {
    Path::new(path).extension().is_some_and(|e| e == "md").then(|| anchors(&read(path)))
}

#[test]
fn every_relative_link_between_the_pages_resolves() {
    let pages = pages();
    assert!(pages.len() >= 10, "{} pages", pages.len());
    let mut links = 0;
    let mut problems = Vec::new();
    for page in &pages {
        links += link_targets(&page.text).len();
        problems.extend(broken_links(page, &markdown_anchors));
    }
    assert!(links >= 40, "{links} links");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_docs_page_is_reached_from_the_readme_and_the_index() {
    let readme = read("README.md");
    let index = read("docs/README.md");
    for page in pages().iter().filter(|p| p.path.starts_with("docs/") && p.path != "docs/README.md") {
        let name = &page.path["docs/".len()..];
        assert!(readme.contains(&format!("]({})", page.path)), "README.md does not link {}", page.path);
        assert!(index.contains(&format!("]({name})")), "docs/README.md does not link {name}");
    }
}

#[test]
fn planted_broken_links_are_reported() {
    let page = Page {
        path: "docs/planted.md".into(),
        text: "# Planted\n\n[fine](../README.md#verify-a-release) [self](#planted) `[code](nowhere.md)`\n\
               [gone](no-such-page.md) [up](../README.md#install) [lost](cache.md#no-such-heading)\n"
            .into(),
    };
    let anchors_of = |path: &str| {
        if path == "docs/planted.md" { Some(anchors(&page.text)) } else { markdown_anchors(path) }
    };
    let problems = broken_links(&page, &anchors_of);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!(problems[0], "docs/planted.md:4: link \"no-such-page.md\": no file docs/no-such-page.md");
    assert!(
        problems[1].starts_with(
            "docs/planted.md:4: link \"cache.md#no-such-heading\": no heading #no-such-heading in docs/cache.md"
        ),
        "{problems:?}"
    );
}

#[test]
fn anchors_follow_githubs_rules() {
    let text = "# Why every failed `get` answers \"not found\"\n## A trace of one run: `ECR_LOGIN_DEBUG`\n\
                ```sh\n# not a heading\n```\n### A TLS-inspecting proxy's CA\n## Twice\n## Twice\n#NoSpace\n";
    let expected = [
        "a-tls-inspecting-proxys-ca",
        "a-trace-of-one-run-ecr_login_debug",
        "twice",
        "twice-1",
        "why-every-failed-get-answers-not-found",
    ];
    assert_eq!(anchors(text).into_iter().collect::<Vec<_>>(), expected);
}

#[test]
fn the_man_page_names_the_docs_and_the_installed_readme() {
    let man = read("packaging/man/docker-credential-ecr-login.1");
    let cargo: toml::Table = toml::from_str(&read("Cargo.toml")).unwrap();
    let see_also = man.split_once(".SH SEE ALSO").expect("a SEE ALSO section").1;
    let docs = format!(".UR {PROJECT}/tree/main/docs\n");
    assert!(see_also.contains(&docs), "SEE ALSO does not name {docs:?}");
    let assets = cargo["package"]["metadata"]["deb"]["assets"].as_array().unwrap();
    let installed = assets.iter().find(|a| a[0].as_str() == Some("README.md")).expect("the .deb installs README.md");
    let installed = format!("/{}", installed[1].as_str().unwrap());
    assert!(see_also.contains(&installed), "SEE ALSO does not name the installed {installed}");
    let files = man.split_once(".SH FILES").expect("a FILES section").1;
    assert!(files.contains(&format!(".I {installed}\n")), "FILES does not list {installed}");
}

/// The problems of each step of a YAML block (a list of steps) that uses this repository's action:
/// a tag other than this version's, or an input that `action.yml` does not declare. Also how many
/// steps use the action.
fn action_step_problems(block: &Block, version: &str, inputs: &BTreeSet<String>) -> (usize, Vec<String>) {
    let mut problems = Vec::new();
    let steps: Vec<serde_norway::Value> =
        serde_norway::from_str(&block.body).unwrap_or_else(|e| panic!("{}: not a list of steps: {e}", block.at));
    let mut used = 0;
    for step in &steps {
        let Some(uses) = step["uses"].as_str() else { continue };
        let Some(tag) = uses.strip_prefix("ecr-login/ecr-login@") else { continue };
        used += 1;
        if tag != format!("v{version}") {
            problems.push(format!("{}: the action is used at {tag}, not this version's tag v{version}", block.at));
        }
        for key in step["with"].as_mapping().into_iter().flat_map(|m| m.keys()) {
            let key = key.as_str().unwrap_or_default();
            if !inputs.contains(key) {
                problems.push(format!("{}: the action has no input {key:?}; action.yml declares {inputs:?}", block.at));
            }
        }
    }
    (used, problems)
}

fn action_inputs() -> BTreeSet<String> {
    let action: serde_norway::Value = serde_norway::from_str(&read("action.yml")).unwrap();
    action["inputs"].as_mapping().unwrap().keys().map(|k| k.as_str().unwrap().to_string()).collect()
}

fn version() -> String {
    let cargo: toml::Table = toml::from_str(&read("Cargo.toml")).unwrap();
    cargo["package"]["version"].as_str().unwrap().to_string()
}

#[test]
fn the_action_is_used_at_this_version_with_its_own_inputs() {
    let blocks: Vec<Block> =
        all_blocks("yaml").into_iter().filter(|b| b.body.contains("ecr-login/ecr-login@")).collect();
    let (mut used, mut problems) = (0, Vec::new());
    for block in &blocks {
        let (steps, found) = action_step_problems(block, &version(), &action_inputs());
        used += steps;
        problems.extend(found);
    }
    assert!(used >= 1, "no page shows a step that uses the action");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_planted_misspelt_action_input_is_reported() {
    let block = Block {
        page: "README.md".into(),
        line: 7,
        at: "README.md:7".into(),
        language: "yaml".into(),
        body: format!(
            "- uses: ecr-login/ecr-login@v{}\n  with:\n    registry: 123456789012.dkr.ecr.us-east-1.amazonaws.com\n",
            version()
        ),
    };
    let (used, problems) = action_step_problems(&block, &version(), &action_inputs());
    assert_eq!((used, problems.len()), (1, 1), "{problems:?}");
    assert!(
        problems[0].starts_with("README.md:7: the action has no input \"registry\"; action.yml declares"),
        "{problems:?}"
    );
}
