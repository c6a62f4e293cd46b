//! The disk cache through the binary: hits without AWS, identity separation, permissions,
//! corruption, refresh at half-life, stale-serving, and one API call for many concurrent gets.

use crate::support;

use std::time::{Duration, Instant};

use support::stand_in::{Answer, StandIn};
use support::{HOST, Sandbox};

#[test]
fn fresh_cached_token_skips_the_network() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    assert_eq!(sandbox.get(HOST).assert_clean_success().secret(), "123456789012-token-1");
    // Even with AWS answering errors, the hit is served from disk without a call.
    ecr.answer(Answer::error(400, "AccessDeniedException", "denied"));
    assert_eq!(sandbox.get(HOST).assert_clean_success().secret(), "123456789012-token-1");
    assert_eq!(ecr.calls(), 1);
}

#[test]
fn disabling_the_cache_calls_every_time_and_writes_nothing() {
    let ecr = StandIn::start();
    let mut sandbox = Sandbox::new(&ecr.url());
    sandbox.set("AWS_ECR_DISABLE_CACHE", "1");
    assert_eq!(sandbox.get(HOST).assert_clean_success().secret(), "123456789012-token-1");
    assert_eq!(sandbox.get(HOST).assert_clean_success().secret(), "123456789012-token-2");
    assert!(!sandbox.cache_dir().exists());
    assert_eq!(sandbox.run(&["list"], b"unused").stdout, "{}\n");
}

#[test]
fn cache_files_are_private_and_outside_the_go_helpers_file() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    sandbox.get(HOST).assert_clean_success();
    let entries = sandbox.cache_entries();
    assert_eq!(entries.len(), 1);
    // 0600 in 0700 directories on Unix; owner-only protected DACLs on Windows.
    support::assert_private(&entries[0]);
    support::assert_private(entries[0].parent().unwrap());
    support::assert_private(entries[0].parent().unwrap().parent().unwrap());
    support::assert_private(&entries[0].with_extension("lock"));
    assert_eq!(entries[0].file_name().unwrap().to_str().unwrap(), format!("{HOST}.json"));
    assert!(!sandbox.cache_dir().join("cache.json").exists());
    // Nothing left behind but the entry and its lock.
    let names: Vec<_> =
        std::fs::read_dir(entries[0].parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

// Unix only: Windows's cache folder is the known LocalAppData folder, which no variable of the
// sandbox moves, and a test must not write the user's own.
#[cfg(unix)]
#[test]
fn the_platform_cache_directory_is_used_without_aws_ecr_cache_dir() {
    let ecr = StandIn::start();
    let mut sandbox = Sandbox::new(&ecr.url());
    sandbox.unset("AWS_ECR_CACHE_DIR");
    sandbox.get(HOST).assert_clean_success();
    sandbox.get(HOST).assert_clean_success();
    assert_eq!(ecr.calls(), 1);
    assert!(sandbox.home().join(".cache/ecr-login/v1").is_dir());
}

#[test]
fn a_corrupt_entry_is_a_miss_and_is_replaced() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    sandbox.get(HOST).assert_clean_success();
    let entry = sandbox.cache_entries().remove(0);
    std::fs::write(&entry, b"{\"host\":\"garbage").unwrap();
    assert_eq!(sandbox.get(HOST).assert_clean_success().secret(), "123456789012-token-2");
    assert_eq!(sandbox.get(HOST).assert_clean_success().secret(), "123456789012-token-2");
    assert_eq!(ecr.calls(), 2);
}

#[test]
fn another_identity_never_gets_the_cached_token() {
    let ecr = StandIn::start();
    let mut sandbox = Sandbox::new(&ecr.url());
    sandbox.write_home_file(
        ".aws/credentials",
        "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s1\n[prod]\naws_access_key_id = AKIDPROD\naws_secret_access_key = s2\n",
    );
    sandbox.unset("AWS_ACCESS_KEY_ID");
    sandbox.unset("AWS_SECRET_ACCESS_KEY");
    sandbox.set("AWS_PROFILE", "dev");
    assert_eq!(sandbox.get(HOST).assert_clean_success().secret(), "123456789012-token-1");
    sandbox.set("AWS_PROFILE", "prod");
    assert_eq!(sandbox.get(HOST).assert_clean_success().secret(), "123456789012-token-2");
    sandbox.set("AWS_PROFILE", "dev");
    assert_eq!(sandbox.get(HOST).assert_clean_success().secret(), "123456789012-token-1");
    let keys: Vec<_> = ecr.requests().iter().map(|r| r.access_key.clone()).collect();
    assert_eq!(keys, vec!["AKIDDEV", "AKIDPROD"]);
}

#[test]
fn list_answers_from_the_cache_for_the_current_identity_only() {
    let ecr = StandIn::start();
    let mut sandbox = Sandbox::new(&ecr.url());
    assert_eq!(sandbox.run(&["list"], b"unused").assert_clean_success().stdout, "{}\n");
    assert!(!sandbox.cache_dir().exists(), "list created the cache directory");
    sandbox.get(&format!("https://{HOST}/repo")).assert_clean_success();
    sandbox.get("public.ecr.aws").assert_clean_success();
    let calls = ecr.calls();
    let run = sandbox.run(&["list"], b"unused");
    run.assert_clean_success();
    assert_eq!(run.stdout, format!("{{\"{HOST}\":\"AWS\",\"public.ecr.aws\":\"AWS\"}}\n"));
    assert_eq!(ecr.calls(), calls, "list called the API");
    // With the endpoint gone altogether, list still answers the same.
    drop(ecr);
    assert_eq!(sandbox.run(&["list"], b"unused").assert_clean_success().stdout, run.stdout);
    sandbox.set("AWS_ACCESS_KEY_ID", "AKIDSOMEONEELSE");
    assert_eq!(sandbox.run(&["list"], b"unused").stdout, "{}\n");
}

#[test]
fn list_never_fails_even_with_an_unusable_cache_directory() {
    let mut sandbox = Sandbox::bare();
    sandbox.make_cache_unwritable();
    assert_eq!(sandbox.run(&["list"], b"unused").assert_clean_success().stdout, "{}\n");
}

#[test]
fn a_token_past_half_its_life_is_refreshed() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    sandbox.get(HOST).assert_clean_success();
    sandbox.age_entry(7 * 3600, 12 * 3600);
    assert_eq!(sandbox.get(HOST).assert_clean_success().secret(), "123456789012-token-2");
    assert_eq!(sandbox.get(HOST).assert_clean_success().secret(), "123456789012-token-2");
    assert_eq!(ecr.calls(), 2);
}

#[test]
fn a_failed_refresh_serves_the_cached_token_while_it_is_good_and_warns() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    sandbox.get(HOST).assert_clean_success();
    sandbox.age_entry(7 * 3600, 12 * 3600);
    ecr.answer(Answer::error(
        400,
        "AccessDeniedException",
        "User: arn:aws:iam::123456789012:user/ci is not authorized",
    ));
    let run = sandbox.get(HOST);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.secret(), "123456789012-token-1");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    assert!(run.stderr.contains("warning") && run.stderr.contains("cannot refresh"), "{run:?}");
    assert!(!run.stderr.contains("123456789012-token-1"), "{run:?}");
}

#[test]
fn a_token_inside_the_safety_margin_is_never_served() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    sandbox.get(HOST).assert_clean_success();
    // Five minutes left: inside the ten-minute margin.
    sandbox.age_entry(12 * 3600 - 300, 12 * 3600);
    ecr.answer(Answer::error(500, "ServerException", "boom"));
    let run = sandbox.get(HOST);
    run.assert_one_line_failure();
    assert!(!run.stdout.contains("token-1"), "{run:?}");
}

#[test]
fn a_token_issued_already_expired_is_served_once_with_a_warning_and_not_cached() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    ecr.answer(Answer::Token { lifetime_secs: -3600 });
    let run = sandbox.get(HOST);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.secret(), "123456789012-token-1");
    assert_eq!(run.stderr.lines().count(), 1);
    assert!(run.stderr.contains("check the system clock"), "{run:?}");
    assert_eq!(sandbox.get(HOST).secret(), "123456789012-token-2");
    assert!(sandbox.cache_entries().is_empty());
}

#[test]
fn expired_entries_of_other_identities_are_pruned() {
    let ecr = StandIn::start();
    let mut sandbox = Sandbox::new(&ecr.url());
    sandbox.get(HOST).assert_clean_success();
    sandbox.age_entry(13 * 3600, 12 * 3600);
    let old = sandbox.cache_entries().remove(0);
    sandbox.set("AWS_ACCESS_KEY_ID", "AKIDOTHER");
    sandbox.get(HOST).assert_clean_success();
    assert!(!old.exists());
    assert_eq!(sandbox.cache_entries().len(), 1);
}

#[test]
fn concurrent_gets_on_a_cold_cache_make_exactly_one_api_call() {
    const PROCESSES: usize = 32;
    let ecr = StandIn::start();
    ecr.delay(Duration::from_millis(300));
    let sandbox = Sandbox::new(&ecr.url());
    for run in sandbox.run_at_once(&["get"], &vec![HOST.to_string(); PROCESSES]) {
        assert_eq!(run.assert_clean_success().secret(), "123456789012-token-1");
    }
    assert_eq!(ecr.calls(), 1);
}

#[test]
fn different_registries_do_not_wait_for_each_other() {
    // Each answer takes DELAY, so one waiting for the other would take two of them; the margin below
    // that is for starting two processes, which takes a second or more under Wine on a loaded machine.
    const DELAY: Duration = Duration::from_secs(3);
    const SERIALISED: Duration = Duration::from_millis(5800);
    let ecr = StandIn::start();
    ecr.delay(DELAY);
    let sandbox = Sandbox::new(&ecr.url());
    let start = Instant::now();
    let hosts = ["111111111111.dkr.ecr.us-east-1.amazonaws.com", "222222222222.dkr.ecr.us-east-1.amazonaws.com"];
    let handles: Vec<_> = hosts
        .iter()
        .map(|h| {
            let command = sandbox.command(&["get"]);
            let h = h.to_string();
            std::thread::spawn(move || support::run_command(command, h.as_bytes()))
        })
        .collect();
    for handle in handles {
        handle.join().unwrap().assert_clean_success();
    }
    assert_eq!(ecr.calls(), 2);
    // Serialised they would take at least 2 × DELAY, which is more than SERIALISED.
    assert!(start.elapsed() < SERIALISED, "{:?}", start.elapsed());
}
