//! The network a corporate machine puts between the helper and AWS: a CA of its own
//! (`AWS_CA_BUNDLE`, the profile's `ca_bundle`), an HTTP proxy (`HTTPS_PROXY`, `NO_PROXY`; Debian's
//! tinyproxy), and the User-Agent that tells our calls apart in CloudTrail. Every server is on
//! 127.0.0.1: the stand-in behind a TLS front whose CA exists only in a file made for the test.

use crate::support;
use crate::support::tls;

#[cfg(unix)]
use support::is_root;
use support::stand_in::{StandIn, access_key_for_source};
use support::{HOST, NOT_FOUND, Sandbox};
use tls::{Pki, Tinyproxy, TlsFront};

/// The stand-in behind HTTPS, its CA, and a sandbox whose endpoints are the HTTPS front.
struct Https {
    stand_in: StandIn,
    pki: Pki,
    front: TlsFront,
    sandbox: Sandbox,
}

fn https() -> Https {
    let stand_in = StandIn::start();
    let pki = Pki::new();
    let front = TlsFront::start(&pki, &stand_in.url());
    let sandbox = Sandbox::new(&front.url());
    Https { stand_in, pki, front, sandbox }
}

impl Https {
    fn ca(&self) -> String {
        self.pki.ca().to_str().unwrap().to_string()
    }

    /// A get that fails as every failed get does (the not-found line, one line on stderr, exit
    /// 1), with `cause` on stderr.
    fn failing_get(&self, cause: &str) -> support::Run {
        let run = self.sandbox.get(HOST);
        run.assert_one_line_failure();
        assert_eq!(run.stdout.trim(), NOT_FOUND);
        assert!(run.stderr.contains(cause), "{cause:?} is not in {run:?}");
        run
    }
}

#[test]
fn a_get_over_https_trusts_the_ca_that_aws_ca_bundle_names() {
    let mut h = https();
    h.sandbox.set("AWS_CA_BUNDLE", &h.ca());
    h.sandbox.get(HOST).assert_clean_success();
    assert_eq!(h.stand_in.calls(), 1);
    assert!(h.front.sessions() >= 1);
}

#[test]
fn without_the_bundle_the_get_fails_and_names_aws_ca_bundle() {
    let h = https();
    let run = h.failing_get("UnknownIssuer");
    assert!(run.stderr.contains("a TLS-inspecting proxy needs its CA in AWS_CA_BUNDLE"), "{run:?}");
    assert_eq!(h.stand_in.calls(), 0, "a call went through a TLS session that should have failed");
}

#[test]
fn the_profiles_ca_bundle_is_trusted_and_the_variable_wins_over_it() {
    let mut h = https();
    h.sandbox.write_home_file(".aws/config", &format!("[default]\nca_bundle = {}\n", h.ca()));
    h.sandbox.get(HOST).assert_clean_success();
    assert_eq!(h.stand_in.calls(), 1);

    // Another CA in the variable: the profile's is no longer trusted.
    let other = Pki::new();
    h.sandbox.set("AWS_ECR_DISABLE_CACHE", "1");
    h.sandbox.set("AWS_CA_BUNDLE", other.ca().to_str().unwrap());
    h.failing_get("UnknownIssuer");
    assert_eq!(h.stand_in.calls(), 1);
}

#[test]
fn a_bundle_that_cannot_be_read_or_holds_no_certificate_is_a_one_line_error_naming_it() {
    let mut h = https();
    let missing = h.sandbox.dir.path().join("missing.pem");
    h.sandbox.set("AWS_CA_BUNDLE", missing.to_str().unwrap());
    h.failing_get(&format!("the CA bundle {} (AWS_CA_BUNDLE) cannot be read", missing.display()));

    h.sandbox.unset("AWS_CA_BUNDLE");
    let empty = h.sandbox.write_home_file("empty.pem", "# no certificate here\n");
    h.sandbox.write_home_file(".aws/config", "[profile ci]\nca_bundle = ~/empty.pem\n");
    h.sandbox.set("AWS_PROFILE", "ci");
    h.failing_get(&format!("the CA bundle {} (ca_bundle of profile \"ci\") holds no certificate", empty.display()));
    assert_eq!(h.stand_in.calls(), 0);
}

#[test]
fn the_bundle_reaches_the_container_credentials_endpoint_too() {
    let mut h = https();
    h.sandbox.unset("AWS_ACCESS_KEY_ID");
    h.sandbox.unset("AWS_SECRET_ACCESS_KEY");
    let token = h.sandbox.write_home_file("container-token", "container-authorization");
    h.sandbox.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", &format!("{}/container-credentials", h.front.url()));
    h.sandbox.set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token.to_str().unwrap());
    h.sandbox.set("AWS_CA_BUNDLE", &h.ca());
    h.sandbox.get(HOST).assert_clean_success();
    assert_eq!(h.stand_in.ecr_signers(), [access_key_for_source("container")]);

    // Without the bundle the credentials cannot be had, and the message says why.
    h.sandbox.unset("AWS_CA_BUNDLE");
    h.sandbox.set("AWS_ECR_DISABLE_CACHE", "1");
    h.failing_get("AWS_CA_BUNDLE");
}

#[test]
fn doctor_shows_the_bundle_in_use_and_on_an_unknown_issuer_names_the_variable() {
    let mut h = https();
    let ca = h.ca();
    h.sandbox.set("AWS_CA_BUNDLE", &ca);
    let run = h.sandbox.run(&["doctor", HOST], b"");
    let expected = format!("ca bundle     {ca} (from AWS_CA_BUNDLE): 1 certificate(s), trusted besides the system's");
    assert!(run.stdout.lines().any(|l| l == expected), "{run:?}");
    assert!(run.stdout.contains("identity      arn:aws:iam::123456789012:user/AKIDSANDBOX"), "{run:?}");

    h.sandbox.unset("AWS_CA_BUNDLE");
    let run = h.sandbox.run(&["doctor", HOST], b"");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("ca bundle     none (AWS_CA_BUNDLE and the profile's ca_bundle are unset)"), "{run:?}");
    let problems = &run.stdout[run.stdout.find("problem(s):").expect("a problem list")..];
    assert!(problems.contains("a TLS-inspecting proxy needs its CA in AWS_CA_BUNDLE"), "{run:?}");
}

/// The HTTPS stand-in with its CA trusted, and tinyproxy running.
fn behind_a_proxy() -> (Https, Tinyproxy) {
    let mut h = https();
    h.sandbox.set("AWS_CA_BUNDLE", &h.ca());
    h.sandbox.set("AWS_ECR_DISABLE_CACHE", "1");
    (h, Tinyproxy::start())
}

#[test]
fn a_get_goes_through_the_proxy_that_https_proxy_names_in_either_case() {
    let (mut h, proxy) = behind_a_proxy();
    let tunnel = format!("CONNECT {}", h.front.addr);
    for variable in ["HTTPS_PROXY", "https_proxy"] {
        h.sandbox.set(variable, &proxy.url());
        let before = proxy.connects().len();
        h.sandbox.get(HOST).assert_clean_success();
        let connects = proxy.connects();
        assert!(connects[before..].contains(&tunnel), "{variable}: tinyproxy logged {connects:?}");
        h.sandbox.unset(variable);
    }
    assert_eq!(h.stand_in.calls(), 2);

    // With the proxy gone, the get fails: it did not go direct.
    let url = proxy.url();
    drop(proxy);
    h.sandbox.set("HTTPS_PROXY", &url);
    h.failing_get("cannot reach the ECR API");
    assert_eq!(h.stand_in.calls(), 2);
}

#[test]
fn no_proxy_sends_the_endpoints_host_direct() {
    let (mut h, proxy) = behind_a_proxy();
    h.sandbox.set("HTTPS_PROXY", &proxy.url());
    h.sandbox.set("NO_PROXY", "example.com,127.0.0.1");
    h.sandbox.get(HOST).assert_clean_success();
    assert_eq!(proxy.connects(), Vec::<String>::new());
    assert_eq!(h.stand_in.calls(), 1);

    // And the same setting with a proxy that is down: still direct, still served.
    let url = proxy.url();
    drop(proxy);
    h.sandbox.set("HTTPS_PROXY", &url);
    h.sandbox.get(HOST).assert_clean_success();
    assert_eq!(h.stand_in.calls(), 2);
}

/// Runs `binary get HOST` with `sandbox`'s environment in a private mount namespace whose
/// `/etc/hosts` is `hosts` (the machine's own is untouched).
#[cfg(unix)]
fn get_with_hosts_file(sandbox: &Sandbox, binary: &str, hosts: &std::path::Path) -> support::Run {
    let mut command = std::process::Command::new("unshare");
    // As root a mount namespace is enough; otherwise a user namespace maps us to root in it.
    command.args(if is_root() { &["--mount"][..] } else { &["--map-root-user", "--mount"][..] });
    command.args(["sh", "-c", "mount --bind \"$1\" /etc/hosts && exec \"$2\" get", "sh"]);
    command.arg(hosts).arg(binary);
    command.env_clear().envs(sandbox.env.iter().map(|(k, v)| (k, v)));
    command.env("PATH", std::env::var("PATH").unwrap_or_default());
    support::run_command(command, HOST.as_bytes())
}

/// The proxy given by a name that only a hosts file knows: the dynamic build resolves it through
/// glibc, the static one (`packaging/build-release`, when `ECR_LOGIN_STATIC_BINARY` names it) with
/// its own resolver (`src/aws/dns.rs`). CI sets it in `packaging/test-name-resolution`, with
/// the binary the packages ship.
// Unix only: the hosts file is bound over /etc/hosts in a private mount namespace.
#[cfg(unix)]
#[test]
fn a_proxy_given_by_name_is_resolved_and_used() {
    let (mut h, proxy) = behind_a_proxy();
    let hosts = h.sandbox.write_home_file("hosts", "127.0.0.1 localhost\n127.0.0.1 proxy.test\n");
    h.sandbox.set("HTTPS_PROXY", &format!("http://proxy.test:{}", proxy.port));
    let mut binaries = vec![support::binary().to_string()];
    binaries.extend(std::env::var("ECR_LOGIN_STATIC_BINARY").ok());
    for (n, binary) in binaries.iter().enumerate() {
        let run = get_with_hosts_file(&h.sandbox, binary, &hosts);
        assert_eq!((run.code, run.stderr.as_str()), (0, ""), "{binary}: {run:?}");
        assert_eq!(proxy.connects().len(), n + 1, "{binary}: {:?}", proxy.connects());
    }
    // (No run outside the namespace: there the name would be asked of the machine's DNS server.)
    assert_eq!(h.stand_in.calls(), binaries.len());
}

/// The app name every call of ours ends its User-Agent with.
const APP: &str = concat!("app/ecr-login#", env!("CARGO_PKG_VERSION"));

/// Asserts that the ECR call and the STS AssumeRole before it, the only calls `stand_in` saw,
/// carry `expect` and not `unwanted` in both their User-Agent headers.
fn assert_agents(stand_in: &StandIn, expect: &str, unwanted: &str) {
    let requests = stand_in.requests();
    let calls: Vec<_> = requests.iter().filter(|r| r.target == "ecr" || r.target == "sts:AssumeRole").collect();
    assert_eq!(calls.len(), 2, "{requests:?}");
    for call in calls {
        for header in [&call.user_agent, &call.amz_user_agent] {
            let header = header.as_deref().unwrap_or_default();
            assert!(header.contains(expect) && !header.contains(unwanted), "{}: {header}", call.target);
        }
    }
}

#[test]
fn ecr_and_sts_calls_carry_our_app_name_unless_the_variable_or_profile_names_another() {
    let host = "210987654321.dkr.ecr.us-east-1.amazonaws.com";
    let mut sandbox = Sandbox::bare();
    sandbox.set("AWS_ACCESS_KEY_ID", "AKIDSANDBOX");
    sandbox.set("AWS_SECRET_ACCESS_KEY", support::SECRET_KEY);
    sandbox.set("AWS_ECR_DISABLE_CACHE", "1");
    sandbox.write_home_file(
        ".config/ecr-login/config.toml",
        "[[registry]]\naccount = \"210987654321\"\nrole_arn = \"arn:aws:iam::210987654321:role/puller\"\n",
    );
    // A stand-in of its own for each run, so that each sees only that run's calls.
    let run = |sandbox: &mut Sandbox| {
        let stand_in = StandIn::start();
        sandbox.set("AWS_ENDPOINT_URL", &stand_in.url());
        sandbox.get(host).assert_clean_success();
        stand_in
    };
    assert_agents(&run(&mut sandbox), APP, "app/ci-");

    sandbox.set("AWS_SDK_UA_APP_ID", "ci-pipeline-7");
    assert_agents(&run(&mut sandbox), "app/ci-pipeline-7", "app/ecr-login");

    sandbox.unset("AWS_SDK_UA_APP_ID");
    sandbox.write_home_file(".aws/config", "[default]\nsdk_ua_app_id = ci-profile\n");
    assert_agents(&run(&mut sandbox), "app/ci-profile", "app/ecr-login");
}
