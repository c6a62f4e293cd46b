//! `list` through the binary as list-first clients meet it: regctl with `credsStore` asks `get`
//! only for the hosts `list` names, so on a cold cache with a region configured `list` asks ECR
//! once for the caller's own registry and caches its token; a warm cache answers with no call, and
//! nothing (no region, no network, a refusal) ever makes `list` fail.

use crate::support;

use std::time::{Duration, Instant};

use support::stand_in::{DEFAULT_ACCOUNT, StandIn};
use support::{HOST, Sandbox, closed_port_url};

/// The most a `list` that cannot reach ECR may take: its own deadline (3 s) and a margin for
/// starting the process on a busy machine. A `get`'s deadline is 20 s.
const OFFLINE_LIST_BOUND: Duration = Duration::from_secs(6);

/// `{"HOST":"AWS",…}` for `hosts`, as `list` prints it (sorted).
fn listing(hosts: &[&str]) -> String {
    let mut hosts = hosts.to_vec();
    hosts.sort_unstable();
    let pairs: Vec<String> = hosts.iter().map(|h| format!("\"{h}\":\"AWS\"")).collect();
    format!("{{{}}}\n", pairs.join(","))
}

fn list(sandbox: &Sandbox) -> support::Run {
    sandbox.run(&["list"], b"")
}

/// A sandbox with keys, the stand-in as every endpoint and `AWS_REGION`.
fn with_region(url: &str, region: &str) -> Sandbox {
    let mut sandbox = Sandbox::new(url);
    sandbox.set("AWS_REGION", region);
    sandbox
}

/// Writes the configuration file where the helper looks for it by default.
fn write_config(sandbox: &Sandbox, text: &str) {
    sandbox.write_home_file(".config/ecr-login/config.toml", text);
}

#[test]
fn a_cold_list_names_the_callers_own_registry_and_the_following_get_is_a_hit() {
    let ecr = StandIn::start();
    let sandbox = with_region(&ecr.url(), "us-east-1");
    assert_eq!(list(&sandbox).assert_clean_success().stdout, listing(&[HOST]));
    let requests = ecr.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!((requests[0].target.as_str(), requests[0].region.as_str()), ("ecr", "us-east-1"));
    assert!(requests[0].registry_ids.is_empty(), "{requests:?}");
    assert_eq!(requests[0].access_key, "AKIDSANDBOX");
    // regctl then asks for the host it was given: served from the cache.
    assert_eq!(sandbox.get(HOST).assert_clean_success().secret(), format!("{DEFAULT_ACCOUNT}-token-1"));
    assert_eq!(ecr.calls(), 1);
}

#[test]
fn a_warm_list_makes_no_call_even_with_ecr_gone() {
    let ecr = StandIn::start();
    let sandbox = with_region(&ecr.url(), "us-east-1");
    sandbox.get(HOST).assert_clean_success();
    assert_eq!(list(&sandbox).assert_clean_success().stdout, listing(&[HOST]));
    assert_eq!(ecr.calls(), 1);
    drop(ecr);
    assert_eq!(list(&sandbox).assert_clean_success().stdout, listing(&[HOST]));
}

#[test]
fn the_region_comes_from_the_profile_as_the_sdk_reads_it() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    sandbox.write_home_file(".aws/config", "[default]\nregion = eu-west-1\n");
    let host = format!("{DEFAULT_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com");
    assert_eq!(list(&sandbox).assert_clean_success().stdout, listing(&[&host]));
    assert_eq!(ecr.requests()[0].region, "eu-west-1");
}

#[test]
fn without_a_region_list_answers_from_the_cache_alone() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    assert_eq!(list(&sandbox).assert_clean_success().stdout, "{}\n");
    assert_eq!(ecr.calls(), 0);
    assert!(!sandbox.cache_dir().exists(), "list created the cache directory");
}

#[test]
fn a_cached_public_or_other_region_token_does_not_hide_the_callers_own_registry() {
    let ecr = StandIn::start();
    let sandbox = with_region(&ecr.url(), "us-east-1");
    let elsewhere = "210987654321.dkr.ecr.eu-west-1.amazonaws.com";
    sandbox.get("public.ecr.aws").assert_clean_success();
    sandbox.get(elsewhere).assert_clean_success();
    assert_eq!(list(&sandbox).assert_clean_success().stdout, listing(&[HOST, "public.ecr.aws", elsewhere]));
    assert_eq!(ecr.calls(), 3);
}

#[test]
fn another_accounts_registry_in_the_region_is_a_warm_cache() {
    let ecr = StandIn::start();
    let sandbox = with_region(&ecr.url(), "eu-west-1");
    let other_account = "210987654321.dkr.ecr.eu-west-1.amazonaws.com";
    sandbox.get(other_account).assert_clean_success();
    assert_eq!(list(&sandbox).assert_clean_success().stdout, listing(&[other_account]));
    assert_eq!(ecr.calls(), 1);
}

#[test]
fn offline_a_list_answers_what_it_has_within_its_own_short_deadline() {
    // Nothing listens: refused at once.
    let sandbox = with_region(&closed_port_url(), "us-east-1");
    let start = Instant::now();
    let run = list(&sandbox);
    assert_eq!((run.code, run.stdout.as_str(), run.stderr.as_str()), (0, "{}\n", ""), "{run:?}");
    assert!(start.elapsed() < OFFLINE_LIST_BOUND, "{:?}", start.elapsed());
    // An endpoint that takes the connection and never answers: the deadline ends it.
    let ecr = StandIn::start();
    ecr.delay(Duration::from_secs(30));
    let sandbox = with_region(&ecr.url(), "us-east-1");
    let start = Instant::now();
    let run = list(&sandbox);
    assert_eq!((run.code, run.stdout.as_str(), run.stderr.as_str()), (0, "{}\n", ""), "{run:?}");
    let took = start.elapsed();
    assert!(took >= Duration::from_secs(2) && took < OFFLINE_LIST_BOUND, "{took:?}");
}

#[test]
fn a_denied_list_answers_what_it_has_and_says_why_in_one_line() {
    let ecr = StandIn::start();
    ecr.deny(DEFAULT_ACCOUNT);
    let sandbox = with_region(&ecr.url(), "us-east-1");
    let run = list(&sandbox);
    assert_eq!((run.code, run.stdout.as_str()), (0, "{}\n"), "{run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    assert!(run.stderr.contains("access denied getting a token for the default registry in us-east-1"), "{run:?}");
    assert!(run.stderr.contains("allow ecr:GetAuthorizationToken"), "{run:?}");
    run.assert_no_secret();
}

#[test]
fn concurrent_cold_lists_make_one_call() {
    const PROCESSES: usize = 8;
    let ecr = StandIn::start();
    ecr.delay(Duration::from_millis(300));
    let sandbox = with_region(&ecr.url(), "us-east-1");
    for run in sandbox.run_at_once(&["list"], &vec![String::new(); PROCESSES]) {
        assert_eq!(run.assert_clean_success().stdout, listing(&[HOST]));
    }
    assert_eq!(ecr.calls(), 1);
}

#[test]
fn an_alias_of_the_callers_own_registry_is_listed_with_it() {
    let ecr = StandIn::start();
    let sandbox = with_region(&ecr.url(), "us-east-1");
    write_config(&sandbox, &format!("[[alias]]\nhost = \"registry.example.com\"\nregistry = \"{HOST}\"\n"));
    assert_eq!(list(&sandbox).assert_clean_success().stdout, listing(&[HOST, "registry.example.com"]));
    assert_eq!(sandbox.get("registry.example.com").assert_clean_success().secret(), "123456789012-token-1");
    assert_eq!(ecr.calls(), 1);
}

#[test]
fn a_default_registry_that_a_rule_selects_is_listed_and_left_to_the_rules_identity() {
    let ecr = StandIn::start();
    let sandbox = with_region(&ecr.url(), "us-east-1");
    sandbox.write_home_file(
        ".aws/credentials",
        "[prod-pull]\naws_access_key_id = AKIAPRODPULL\naws_secret_access_key = prod-secret\n",
    );
    write_config(&sandbox, &format!("[[registry]]\naccount = \"{DEFAULT_ACCOUNT}\"\nprofile = \"prod-pull\"\n"));
    assert_eq!(list(&sandbox).assert_clean_success().stdout, listing(&[HOST]));
    // The caller's keys' token is not the rule's: the get asks as the rule says, once.
    assert_eq!(sandbox.get(HOST).assert_clean_success().secret(), "123456789012-token-2");
    assert_eq!(list(&sandbox).assert_clean_success().stdout, listing(&[HOST]));
    assert_eq!(ecr.ecr_signers(), ["AKIDSANDBOX", "AKIAPRODPULL"]);
}

#[test]
fn with_the_cache_disabled_every_list_asks() {
    let ecr = StandIn::start();
    let mut sandbox = with_region(&ecr.url(), "us-east-1");
    sandbox.set("AWS_ECR_DISABLE_CACHE", "1");
    for _ in 0..2 {
        assert_eq!(list(&sandbox).assert_clean_success().stdout, listing(&[HOST]));
    }
    assert_eq!(ecr.calls(), 2);
    assert!(!sandbox.cache_dir().exists());
}
