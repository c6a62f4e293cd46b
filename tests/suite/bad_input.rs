//! The hostile-input table: every input a confused or malicious client could send, run against the
//! built binary (with the loopback ECR stand-in behind it), each row with its exact exit code and
//! the patterns its stdout and stderr must match. One table that a reader can scan.
//!
//! Every row also checks what holds for all of them: no panic, no terminal escape sequence and no
//! backtick on stderr, at most one line of stderr from a protocol action, and the sandbox's secret
//! key never echoed.

use crate::support;

use regex::Regex;
use support::stand_in::StandIn;
use support::{NOT_FOUND, SECRET_KEY, Sandbox};

/// What a stream must hold.
#[derive(Clone, Copy)]
enum Out {
    /// Exactly this text.
    Is(&'static str),
    /// A match for this regular expression.
    Like(&'static str),
    /// Nothing.
    Empty,
}

/// The protocol's not-found answer, as `get` prints it.
const NOT_FOUND_LINE: Out = Out::Is("credentials not found in native keychain\n");

/// A successful `get` for any ECR host: one JSON line with the stand-in's password.
const TOKEN: Out = Out::Like(r#"^\{"ServerURL":".*","Username":"AWS","Secret":"(\d{12}|public)-token-\d+"\}\n$"#);

/// The stderr line of a host that is not ECR.
const NOT_ECR: Out =
    Out::Like(r#"^ecr-login: ".*" is not an Amazon ECR registry, so this helper has no credentials for it\n$"#);

/// The usage line of the protocol.
const USAGE: Out = Out::Is("Usage: docker-credential-ecr-login <store|get|erase|list|version>\n");

struct Case {
    name: &'static str,
    args: &'static [&'static str],
    stdin: fn() -> Vec<u8>,
    code: i32,
    stdout: Out,
    stderr: Out,
}

macro_rules! bytes {
    ($text:expr) => {
        || $text.as_bytes().to_vec()
    };
}

fn huge(size: usize) -> Vec<u8> {
    vec![b'a'; size]
}

fn nested_json(depth: usize) -> Vec<u8> {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes()
}

fn kubelet(body: &str) -> Vec<u8> {
    body.replace("V1", support::KUBELET_V1).into_bytes()
}

#[rustfmt::skip]
const CASES: &[Case] = &[
    // get: sizes and encodings.
    Case { name: "empty input", args: &["get"], stdin: bytes!(""), code: 1, stdout: Out::Is("no credentials server URL\n"), stderr: Out::Is("ecr-login: no credentials server URL\n") },
    Case { name: "white space only", args: &["get"], stdin: bytes!(" \r\n\t "), code: 1, stdout: Out::Is("no credentials server URL\n"), stderr: Out::Like("no credentials server URL") },
    Case { name: "2 MiB of input", args: &["get"], stdin: || huge(2 << 20), code: 1, stdout: Out::Is("standard input is larger than 1048576 bytes; send only the registry host\n"), stderr: Out::Like("larger than 1048576 bytes") },
    Case { name: "exactly 1 MiB", args: &["get"], stdin: || huge(1 << 20), code: 1, stdout: NOT_FOUND_LINE, stderr: Out::Like(r#"a{100}\.\.\. \(1048476 more bytes\)" is not an Amazon ECR registry"#) },
    Case { name: "NUL bytes in the host", args: &["get"], stdin: bytes!("123456789012.dkr.ecr.us-east-1.amazonaws.com\0evil"), code: 1, stdout: NOT_FOUND_LINE, stderr: Out::Like(r"\\u\{0\}evil") },
    Case { name: "invalid UTF-8", args: &["get"], stdin: || b"123456789012.dkr.ecr.\xff\xfe.amazonaws.com".to_vec(), code: 1, stdout: Out::Is("cannot read standard input: it is not UTF-8 text\n"), stderr: Out::Like("not UTF-8 text") },
    Case { name: "a UTF-8 byte order mark", args: &["get"], stdin: bytes!("\u{feff}123456789012.dkr.ecr.us-east-1.amazonaws.com"), code: 1, stdout: NOT_FOUND_LINE, stderr: NOT_ECR },
    // get: host forms that must be refused.
    Case { name: "300 labels", args: &["get"], stdin: || ["a"; 300].join(".").into_bytes(), code: 1, stdout: NOT_FOUND_LINE, stderr: NOT_ECR },
    Case { name: "suffix attack", args: &["get"], stdin: bytes!("123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example"), code: 1, stdout: NOT_FOUND_LINE, stderr: NOT_ECR },
    Case { name: "prefix attack", args: &["get"], stdin: bytes!("evil.123456789012.dkr.ecr.us-east-1.amazonaws.com"), code: 1, stdout: NOT_FOUND_LINE, stderr: NOT_ECR },
    Case { name: "suffix inside a label", args: &["get"], stdin: bytes!("123456789012.dkr.ecr.us-east-1.amazonaws.com-evil.example"), code: 1, stdout: NOT_FOUND_LINE, stderr: NOT_ECR },
    Case { name: "host in the path", args: &["get"], stdin: bytes!("https://evil.example/123456789012.dkr.ecr.us-east-1.amazonaws.com"), code: 1, stdout: NOT_FOUND_LINE, stderr: NOT_ECR },
    Case { name: "IPv4 literal", args: &["get"], stdin: bytes!("127.0.0.1:5000"), code: 1, stdout: NOT_FOUND_LINE, stderr: NOT_ECR },
    Case { name: "IPv6 literal", args: &["get"], stdin: bytes!("[::1]:5000"), code: 1, stdout: NOT_FOUND_LINE, stderr: NOT_ECR },
    Case { name: "percent-encoded dot", args: &["get"], stdin: bytes!("123456789012%2edkr.ecr.us-east-1.amazonaws.com"), code: 1, stdout: NOT_FOUND_LINE, stderr: NOT_ECR },
    Case { name: "Cyrillic homoglyph", args: &["get"], stdin: bytes!("123456789012.dkr.\u{435}cr.us-east-1.amazonaws.com"), code: 1, stdout: NOT_FOUND_LINE, stderr: NOT_ECR },
    Case { name: "fullwidth digits", args: &["get"], stdin: bytes!("\u{ff11}\u{ff12}\u{ff13}456789012.dkr.ecr.us-east-1.amazonaws.com"), code: 1, stdout: NOT_FOUND_LINE, stderr: NOT_ECR },
    Case { name: "ideographic full stop", args: &["get"], stdin: bytes!("123456789012\u{3002}dkr.ecr.us-east-1.amazonaws.com"), code: 1, stdout: NOT_FOUND_LINE, stderr: NOT_ECR },
    Case { name: "empty label (..)", args: &["get"], stdin: bytes!("123456789012..dkr.ecr.us-east-1.amazonaws.com"), code: 1, stdout: NOT_FOUND_LINE, stderr: NOT_ECR },
    Case { name: "path traversal in the host", args: &["get"], stdin: bytes!("../../123456789012.dkr.ecr.us-east-1.amazonaws.com"), code: 1, stdout: NOT_FOUND_LINE, stderr: NOT_ECR },
    Case { name: "tab inside the host", args: &["get"], stdin: bytes!("123456789012.dkr.ecr.us-east-1.amazon\taws.com"), code: 1, stdout: NOT_FOUND_LINE, stderr: Out::Like(r"amazon\\taws") },
    Case { name: "11-digit account", args: &["get"], stdin: bytes!("12345678901.dkr.ecr.us-east-1.amazonaws.com"), code: 1, stdout: NOT_FOUND_LINE, stderr: NOT_ECR },
    Case { name: "13-digit account", args: &["get"], stdin: bytes!("1234567890123.dkr.ecr.us-east-1.amazonaws.com"), code: 1, stdout: NOT_FOUND_LINE, stderr: NOT_ECR },
    Case { name: "port 0", args: &["get"], stdin: bytes!("123456789012.dkr.ecr.us-east-1.amazonaws.com:0"), code: 1, stdout: NOT_FOUND_LINE, stderr: NOT_ECR },
    Case { name: "port 65536", args: &["get"], stdin: bytes!("123456789012.dkr.ecr.us-east-1.amazonaws.com:65536"), code: 1, stdout: NOT_FOUND_LINE, stderr: NOT_ECR },
    Case { name: "scheme other than http(s)", args: &["get"], stdin: bytes!("ftp://123456789012.dkr.ecr.us-east-1.amazonaws.com"), code: 1, stdout: NOT_FOUND_LINE, stderr: NOT_ECR },
    Case { name: "two hosts on two lines (joined, as the Go library does)", args: &["get"], stdin: bytes!("123456789012.dkr.ecr.us-east-1.amazonaws.com\n123456789012.dkr.ecr.us-east-1.amazonaws.com"), code: 1, stdout: NOT_FOUND_LINE, stderr: NOT_ECR },
    Case { name: "terminal escape sequence", args: &["get"], stdin: bytes!("\u{1b}[31mred.example"), code: 1, stdout: NOT_FOUND_LINE, stderr: Out::Like(r"\\u\{1b\}\[31mred") },
    Case { name: "backticks", args: &["get"], stdin: bytes!("`rm -rf ~`.example"), code: 1, stdout: NOT_FOUND_LINE, stderr: Out::Like(r"\\u\{60\}rm -rf") },
    // get: host forms that must be served.
    Case { name: "CRLF after the host", args: &["get"], stdin: bytes!("123456789012.dkr.ecr.us-east-1.amazonaws.com\r\n"), code: 0, stdout: TOKEN, stderr: Out::Empty },
    Case { name: "tab and spaces around the host", args: &["get"], stdin: bytes!("\t 123456789012.dkr.ecr.us-east-1.amazonaws.com \t"), code: 0, stdout: TOKEN, stderr: Out::Empty },
    Case { name: "upper case", args: &["get"], stdin: bytes!("123456789012.DKR.ECR.US-EAST-1.AMAZONAWS.COM"), code: 0, stdout: TOKEN, stderr: Out::Empty },
    Case { name: "trailing dot", args: &["get"], stdin: bytes!("123456789012.dkr.ecr.us-east-1.amazonaws.com."), code: 0, stdout: TOKEN, stderr: Out::Empty },
    Case { name: "userinfo", args: &["get"], stdin: bytes!("https://user:pass@123456789012.dkr.ecr.us-east-1.amazonaws.com/"), code: 0, stdout: TOKEN, stderr: Out::Empty },
    Case { name: "port 443 and a path", args: &["get"], stdin: bytes!("https://123456789012.dkr.ecr.us-east-1.amazonaws.com:443/v2/team/app"), code: 0, stdout: TOKEN, stderr: Out::Empty },
    Case { name: "FIPS host", args: &["get"], stdin: bytes!("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com"), code: 0, stdout: TOKEN, stderr: Out::Empty },
    Case { name: "dual-stack host", args: &["get"], stdin: bytes!("123456789012.dkr-ecr.us-east-1.on.aws"), code: 0, stdout: TOKEN, stderr: Out::Empty },
    Case { name: "ECR Public", args: &["get"], stdin: bytes!("public.ecr.aws"), code: 0, stdout: TOKEN, stderr: Out::Empty },
    // store and erase.
    Case { name: "store: not JSON", args: &["store"], stdin: bytes!("123456789012.dkr.ecr.us-east-1.amazonaws.com"), code: 1, stdout: Out::Like("^cannot read standard input: store expects a JSON object: .*\n$"), stderr: Out::Like("store expects a JSON object") },
    Case { name: "store: a JSON array", args: &["store"], stdin: bytes!("[1,2]"), code: 1, stdout: Out::Like("^cannot read standard input: store expects a JSON object"), stderr: Out::Like("JSON object") },
    Case { name: "store: ServerURL is a number", args: &["store"], stdin: bytes!(r#"{"ServerURL":1,"Username":"u","Secret":"s"}"#), code: 1, stdout: Out::Like("invalid type: integer '1', expected a string"), stderr: Out::Like("invalid type") },
    Case { name: "store: Username is null", args: &["store"], stdin: bytes!(r#"{"ServerURL":"h","Username":null}"#), code: 1, stdout: Out::Like("invalid type: null"), stderr: Out::Like("invalid type") },
    Case { name: "store: nesting 100,000 deep", args: &["store"], stdin: || nested_json(100_000), code: 1, stdout: Out::Like("^cannot read standard input: store expects a JSON object: .*\n$"), stderr: Out::Like("JSON object") },
    Case { name: "store: no Username", args: &["store"], stdin: bytes!(r#"{"ServerURL":"123456789012.dkr.ecr.us-east-1.amazonaws.com"}"#), code: 1, stdout: Out::Is("no credentials username\n"), stderr: Out::Like("no credentials username") },
    Case { name: "store: empty ServerURL", args: &["store"], stdin: bytes!(r#"{"ServerURL":" ","Username":"AWS","Secret":"s"}"#), code: 1, stdout: Out::Is("no credentials server URL\n"), stderr: Out::Like("no credentials server URL") },
    Case { name: "store: an ECR host is accepted and kept nowhere", args: &["store"], stdin: bytes!(r#"{"ServerURL":"https://123456789012.dkr.ecr.us-east-1.amazonaws.com","Username":"AWS","Secret":"s"}"#), code: 0, stdout: Out::Empty, stderr: Out::Empty },
    Case { name: "store: another registry is refused with the fix", args: &["store"], stdin: bytes!(r#"{"ServerURL":"docker.io","Username":"me","Secret":"s"}"#), code: 1, stdout: Out::Like(r#"^ecr-login keeps no credentials for "docker.io".*credHelpers"#), stderr: Out::Like("keeps no credentials") },
    Case { name: "erase: empty input", args: &["erase"], stdin: bytes!(""), code: 1, stdout: Out::Is("no credentials server URL\n"), stderr: Out::Like("no credentials server URL") },
    Case { name: "erase: an ECR host", args: &["erase"], stdin: bytes!("123456789012.dkr.ecr.us-east-1.amazonaws.com"), code: 0, stdout: Out::Empty, stderr: Out::Empty },
    Case { name: "erase: another registry", args: &["erase"], stdin: bytes!("docker.io"), code: 1, stdout: NOT_FOUND_LINE, stderr: NOT_ECR },
    Case { name: "list ignores its input", args: &["list"], stdin: || huge(4096), code: 0, stdout: Out::Like(r"^\{.*\}\n$"), stderr: Out::Empty },
    // The kubelet provider.
    Case { name: "kubelet: wrong kind", args: &["kubelet-provider"], stdin: || kubelet(r#"{"apiVersion":"V1","kind":"Pod","image":"123456789012.dkr.ecr.us-east-1.amazonaws.com/a"}"#), code: 1, stdout: Out::Empty, stderr: Out::Like(r#"kind \\?"Pod\\?" is not CredentialProviderRequest"#) },
    Case { name: "kubelet: unknown apiVersion", args: &["kubelet-provider"], stdin: bytes!(r#"{"apiVersion":"credentialprovider.kubelet.k8s.io/v9","kind":"CredentialProviderRequest","image":"a.example/b"}"#), code: 1, stdout: Out::Empty, stderr: Out::Like("apiVersion .* is not one of") },
    Case { name: "kubelet: not JSON", args: &["kubelet-provider"], stdin: bytes!("image: x"), code: 1, stdout: Out::Empty, stderr: Out::Like("not a CredentialProviderRequest") },
    Case { name: "kubelet: no image", args: &["kubelet-provider"], stdin: || kubelet(r#"{"apiVersion":"V1","kind":"CredentialProviderRequest"}"#), code: 1, stdout: Out::Empty, stderr: Out::Like("names no image") },
    Case { name: "kubelet: a 1 MiB image name", args: &["kubelet-provider"], stdin: || kubelet(&format!(r#"{{"apiVersion":"V1","kind":"CredentialProviderRequest","image":"{}"}}"#, "a".repeat(1 << 20))), code: 1, stdout: Out::Empty, stderr: Out::Like("larger than 1048576 bytes") },
    Case { name: "kubelet: a 100 KB image name that is not ECR", args: &["kubelet-provider"], stdin: || kubelet(&format!(r#"{{"apiVersion":"V1","kind":"CredentialProviderRequest","image":"{}.example/x"}}"#, "a".repeat(100_000))), code: 0, stdout: Out::Like(r#""cacheDuration":"1h0m0s","auth":\{\}\}\n$"#), stderr: Out::Empty },
    Case { name: "kubelet: a role without a service account token", args: &["kubelet-provider"], stdin: || kubelet(r#"{"apiVersion":"V1","kind":"CredentialProviderRequest","image":"123456789012.dkr.ecr.us-east-1.amazonaws.com/a","serviceAccountAnnotations":{"eks.amazonaws.com/ecr-role-arn":"arn:aws:iam::1:role/r"}}"#), code: 1, stdout: Out::Empty, stderr: Out::Like("no service account token") },
    Case { name: "kubelet: 100 KB where the annotations belong (the message quotes at most 200 characters)", args: &["kubelet-provider"], stdin: || kubelet(&format!(r#"{{"apiVersion":"V1","kind":"CredentialProviderRequest","image":"a.example/b","serviceAccountAnnotations":"{}"}}"#, "y".repeat(100_000))), code: 1, stdout: Out::Empty, stderr: Out::Like(r"^ecr-login: [^\n]{0,400}\(99\d{3} more bytes\)[^\n]*\n$") },
    Case { name: "store: 100 KB where Username belongs", args: &["store"], stdin: || format!(r#"{{"ServerURL":"h","Username":["{}"]}}"#, "y".repeat(100_000)).into_bytes(), code: 1, stdout: Out::Like(r"^[^\n]{0,400}\n$"), stderr: Out::Like(r"^ecr-login: [^\n]{0,400}\n$") },
    Case { name: "kubelet: annotations of the wrong type", args: &["kubelet-provider"], stdin: || kubelet(r#"{"apiVersion":"V1","kind":"CredentialProviderRequest","image":"a.example/b","serviceAccountAnnotations":["x"]}"#), code: 1, stdout: Out::Empty, stderr: Out::Like("not a CredentialProviderRequest") },
    // The command line.
    Case { name: "no action", args: &[], stdin: bytes!(""), code: 1, stdout: USAGE, stderr: Out::Like("got 0 argument") },
    Case { name: "unknown action", args: &["gett"], stdin: bytes!(""), code: 1, stdout: USAGE, stderr: Out::Like(r#"got 1 argument\(s\): "gett""#) },
    Case { name: "action in upper case", args: &["GET"], stdin: bytes!(""), code: 1, stdout: USAGE, stderr: Out::Like("GET") },
    Case { name: "two actions", args: &["get", "list"], stdin: bytes!(""), code: 1, stdout: USAGE, stderr: Out::Like("got 2 argument") },
    Case { name: "an unknown flag", args: &["--verbose"], stdin: bytes!(""), code: 1, stdout: USAGE, stderr: Out::Like("--verbose") },
    Case { name: "an escape sequence as the action", args: &["\u{1b}]0;pwned\u{7}"], stdin: bytes!(""), code: 1, stdout: USAGE, stderr: Out::Like(r"\\u\{1b\}\]0;pwned\\u\{7\}") },
    Case { name: "version", args: &["version"], stdin: bytes!(""), code: 0, stdout: Out::Like(r"^docker-credential-ecr-login \(ecr-login\) \d+\.\d+\.\d+ \(commit [0-9a-f]{12}\)\n$"), stderr: Out::Empty },
    Case { name: "configure without a target", args: &["configure"], stdin: bytes!(""), code: 1, stdout: Out::Empty, stderr: Out::Like("name what to configure") },
    Case { name: "configure --registry without a value", args: &["configure", "docker", "--registry"], stdin: bytes!(""), code: 1, stdout: Out::Empty, stderr: Out::Like("--registry needs a value") },
    Case { name: "configure --all-regions-of a non-account", args: &["configure", "docker", "--all-regions-of", "12ab"], stdin: bytes!(""), code: 1, stdout: Out::Empty, stderr: Out::Like("not a 12-digit AWS account id") },
    Case { name: "doctor with two hosts", args: &["doctor", "a", "b"], stdin: bytes!(""), code: 1, stdout: USAGE, stderr: Out::Like("got 3 argument") },
    Case { name: "login without a host", args: &["login"], stdin: bytes!(""), code: 1, stdout: Out::Empty, stderr: Out::Like("usage: docker-credential-ecr-login login HOST") },
    Case { name: "login of a host that is not ECR", args: &["login", "docker.io"], stdin: bytes!(""), code: 1, stdout: Out::Empty, stderr: NOT_ECR },
];

fn check(stream: &str, name: &str, text: &str, expected: Out) {
    match expected {
        Out::Is(exact) => assert_eq!(text, exact, "{name}: {stream}"),
        Out::Like(pattern) => {
            let re = Regex::new(pattern).unwrap_or_else(|e| panic!("{name}: bad pattern: {e}"));
            assert!(re.is_match(text), "{name}: {stream} {text:?} does not match {pattern}");
        }
        Out::Empty => assert_eq!(text, "", "{name}: {stream}"),
    }
}

#[test]
fn every_hostile_input_gets_its_exact_answer() {
    assert!(CASES.len() >= 60, "{} cases", CASES.len());
    let stand_in = StandIn::start();
    let sandbox = Sandbox::new(&stand_in.url());
    for case in CASES {
        let run = sandbox.run(case.args, &(case.stdin)());
        assert_eq!(run.code, case.code, "{}: {run:?}", case.name);
        check("stdout", case.name, &run.stdout, case.stdout);
        check("stderr", case.name, &run.stderr, case.stderr);
        assert!(!run.stderr.contains("panicked"), "{}: {}", case.name, run.stderr);
        assert!(!run.stderr.contains('\u{1b}') && !run.stderr.contains('`'), "{}: {}", case.name, run.stderr);
        // A protocol action says why in one line; configure's usage may take more.
        let protocol = matches!(case.args.first(), Some(&("get" | "store" | "erase" | "list" | "kubelet-provider")));
        assert!(!protocol || run.stderr.lines().count() <= 1, "{}: {}", case.name, run.stderr);
        assert!(!run.stdout.contains(SECRET_KEY) && !run.stderr.contains(SECRET_KEY), "{}", case.name);
    }
}

/// An endpoint set to nothing. The AWS SDK for Rust takes it as the URL "" and panics building its
/// client (also inside its own role provider); the helper reads an empty variable as unset, as the
/// AWS CLI does, and refuses an empty `endpoint_url` in a profile with one line naming the profile.
#[test]
fn an_empty_endpoint_setting_is_unset_or_refused_never_a_panic() {
    let stand_in = StandIn::start();
    let mut sandbox = Sandbox::new(&stand_in.url());
    sandbox.write_home_file(
        ".aws/config",
        "[profile base]\naws_access_key_id = AKIDSANDBOX\naws_secret_access_key = sandbox-secret-key-must-not-leak\n\
         [profile role]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n\
         [profile empty]\naws_access_key_id = AKIDSANDBOX\naws_secret_access_key = x\nendpoint_url =\n\
         [profile empty-role]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\nendpoint_url =\n\
         [profile empty-service]\nsource_profile = base\nrole_arn = arn:aws:iam::123456789012:role/r\nservices = s\n\
         [services s]\necr =\n  endpoint_url =\n",
    );
    // Empty variables: the service's own falls back to the global one; all of them to the default.
    for name in ["AWS_ENDPOINT_URL_ECR", "AWS_ENDPOINT_URL_ECR_PUBLIC", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SSO"]
    {
        sandbox.set(name, "");
    }
    sandbox.get(support::HOST).assert_clean_success().assert_no_secret();
    // The profiles' credentials, not the environment's, from here on.
    sandbox.unset("AWS_ACCESS_KEY_ID");
    sandbox.unset("AWS_SECRET_ACCESS_KEY");
    sandbox.set("AWS_PROFILE", "role");
    sandbox.get(support::HOST).assert_clean_success().assert_no_secret();
    assert_eq!(stand_in.sts_requests().len(), 1, "the role profile went through STS at the global endpoint");

    // Empty endpoint_url in a profile of the chain: refused before any call.
    let before = stand_in.requests().len();
    for profile in ["empty", "empty-role", "empty-service"] {
        sandbox.set("AWS_PROFILE", profile);
        let run = sandbox.get(support::HOST);
        assert_eq!(run.code, 1, "{profile}: {run:?}");
        assert_eq!(run.stdout.trim(), NOT_FOUND, "{profile}");
        assert_eq!(
            run.stderr,
            format!(
                "ecr-login: no token for {}: profile \"{profile}\" in the AWS config sets endpoint_url to nothing; \
                 give it a URL or remove the line\n",
                support::HOST
            ),
        );
        run.assert_no_secret();
        let listed = sandbox.run(&["list"], b"");
        assert_eq!(listed.code, 0, "{profile}: {listed:?}");
        assert!(!listed.stderr.contains("panicked"), "{profile}: {}", listed.stderr);
    }
    assert_eq!(stand_in.requests().len(), before, "no call was made for a refused profile");

    // With every endpoint variable empty and nothing else, no panic either: the real AWS endpoint
    // is chosen, so the sandbox stops the call at a closed proxy instead of letting it leave.
    sandbox.set("AWS_PROFILE", "base");
    sandbox.set("AWS_ENDPOINT_URL", "");
    sandbox.set("HTTPS_PROXY", &support::closed_port_url());
    sandbox.set("ECR_LOGIN_TIMEOUT", "2");
    let run = sandbox.get(support::HOST);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!run.stderr.contains("panicked") && run.stderr.contains("cannot reach the ECR API"), "{}", run.stderr);
}
