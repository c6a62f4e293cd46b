//! `aws login` console sessions (AWS Sign-In for the CLI), through the binary: a profile with
//! `login_session` signs the ECR call with the credentials the AWS CLI left in its login cache
//! (`~/.aws/login/cache/<sha256 of the ARN>.json`); expired ones are refreshed through Sign-In (a
//! loopback stand-in at `AWS_ENDPOINT_URL_SIGNIN` that checks the DPoP proof) and written back as
//! the AWS CLI reads them; a cache hit reads none of it; a session that is missing or ended names
//! `aws login --profile NAME`.

use crate::support;
use crate::support::signin;

use std::fmt::Write as _;
use std::path::PathBuf;

use p256::elliptic_curve::sec1::ToEncodedPoint;
use sha2::{Digest, Sha256};
use signin::{NEW_REFRESH_TOKEN, NEW_SECRET_KEY, NEW_SESSION_TOKEN, Reply, SignIn};
use support::stand_in::StandIn;
use support::{HOST, Run, Sandbox, unix_now};

/// The session of the AWS SDK's own tests, whose cache file name they pin (below).
const SESSION: &str = "arn:aws:iam::0123456789012:user/Admin";
/// The file the AWS SDK (and CLI) keeps [`SESSION`]'s credentials in: the SHA-256 of the ARN, in hex.
const SESSION_FILE: &str = "36db1d138ff460920374e4c3d8e01f53f9f73537e89c88d639f68393df0e2726.json";

/// A P-256 key made for these tests (`openssl ecparam -name prime256v1 -genkey -noout`): the DPoP
/// key `aws login` keeps beside the session.
const DPOP_KEY: &str = "-----BEGIN EC PRIVATE KEY-----\n\
MHcCAQEEILZDsSioWENJx5r/OWDsJozz27+TOD4iWsIZM23k0riGoAoGCCqGSM49\n\
AwEHoUQDQgAEa31LHtdEdlRjX4MazhJ+YgREdFGQy83LqmG69w7j8+QgP+lASFVD\n\
LQEzEFhFXVAgHqgmYcWhVgqDPEEcfg695g==\n\
-----END EC PRIVATE KEY-----\n";

/// What the login cache holds besides the access key id: none of it may reach any output.
const OLD_SECRET_KEY: &str = "login-cached-secret-key-must-not-leak";
const OLD_SESSION_TOKEN: &str = "login-cached-session-token-must-not-leak";
const OLD_REFRESH_TOKEN: &str = "login-cached-refresh-token-must-not-leak";
const CLIENT_ID: &str = "arn:aws:signin:::devtools/same-device";
const ID_TOKEN: &str = "header.claims.signature";

/// A sandbox whose profile `console` has `login_session = arn` and no keys anywhere; ECR goes to
/// `ecr`, Sign-In to `signin`.
fn console_sandbox(ecr: &StandIn, signin: &SignIn, profiles: &[(&str, &str)]) -> Sandbox {
    let mut sandbox = Sandbox::bare();
    sandbox.set("AWS_ENDPOINT_URL_ECR", &ecr.url());
    sandbox.set("AWS_ENDPOINT_URL_SIGNIN", &signin.url());
    sandbox.set("AWS_PROFILE", profiles[0].0);
    let mut config = String::new();
    for (name, arn) in profiles {
        let _ = write!(config, "[profile {name}]\nlogin_session = {arn}\nregion = us-east-1\n\n");
    }
    sandbox.write_home_file(".aws/config", &config);
    sandbox
}

/// The login cache file of `arn`, as the AWS CLI names it.
fn login_file(sandbox: &Sandbox, arn: &str) -> PathBuf {
    let digest = Sha256::digest(arn.as_bytes());
    let mut hex = String::new();
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    sandbox.home().join(".aws/login/cache").join(format!("{hex}.json"))
}

/// Writes what `aws login` leaves for `arn`: credentials with `access_key_id` that expire at
/// `expires_at`, the refresh token and the DPoP key; with `mode`.
fn write_login(sandbox: &Sandbox, arn: &str, access_key_id: &str, expires_at: u64, mode: u32) -> PathBuf {
    let cached = serde_json::json!({
        "accessToken": {
            "accessKeyId": access_key_id,
            "secretAccessKey": OLD_SECRET_KEY,
            "sessionToken": OLD_SESSION_TOKEN,
            "accountId": "123456789012",
            "expiresAt": ecr_login::format_utc(expires_at),
        },
        "tokenType": "aws_sigv4",
        "refreshToken": OLD_REFRESH_TOKEN,
        "idToken": ID_TOKEN,
        "clientId": CLIENT_ID,
        "dpopKey": DPOP_KEY,
    });
    let path = login_file(sandbox, arn);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, cached.to_string()).unwrap();
    support::set_unix_mode(&path, mode);
    path
}

/// Asserts that no secret of the login cache, old or new, shows in the run's output.
fn assert_no_login_secret(run: &Run) {
    let dpop_body = DPOP_KEY.lines().nth(1).unwrap();
    for secret in [
        OLD_SECRET_KEY,
        OLD_SESSION_TOKEN,
        OLD_REFRESH_TOKEN,
        NEW_SECRET_KEY,
        NEW_SESSION_TOKEN,
        NEW_REFRESH_TOKEN,
        dpop_body,
    ] {
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret), "{secret} in {run:?}");
    }
}

#[test]
fn the_login_cache_file_is_named_as_the_aws_sdk_names_it() {
    let sandbox = Sandbox::bare();
    assert_eq!(login_file(&sandbox, SESSION).file_name().unwrap(), SESSION_FILE);
}

#[test]
fn fresh_login_credentials_sign_the_ecr_call_and_a_hit_reads_no_login_cache() {
    let (ecr, signin) = (StandIn::start(), SignIn::start(Reply::Status(500)));
    let sandbox = console_sandbox(&ecr, &signin, &[("console", SESSION)]);
    let file = write_login(&sandbox, SESSION, "ASIALOGINCACHED", unix_now() + 3600, 0o600);
    let first = sandbox.get(HOST);
    first.assert_clean_success();
    assert_eq!(ecr.ecr_signers(), ["ASIALOGINCACHED"]);
    assert_eq!(signin.requests().len(), 0, "fresh credentials are not refreshed");

    // A hit resolves no credentials: without the login cache it is still served, with no call.
    std::fs::remove_file(&file).unwrap();
    let hit = sandbox.get(HOST);
    hit.assert_clean_success();
    assert_eq!(hit.secret(), first.secret());
    assert_eq!(ecr.calls(), 1);
    assert_no_login_secret(&first);
}

#[test]
fn expired_login_credentials_are_refreshed_through_sign_in_and_written_back_as_the_cli_reads_them() {
    let (ecr, signin) =
        (StandIn::start(), SignIn::start(Reply::Refresh { access_key_id: "ASIAREFRESHED".into(), expires_in: 900 }));
    let sandbox = console_sandbox(&ecr, &signin, &[("console", SESSION)]);
    // World-readable on purpose: the SDK must leave it private.
    let file = write_login(&sandbox, SESSION, "ASIALOGINEXPIRED", unix_now() - 60, 0o644);
    let run = sandbox.get(HOST);
    run.assert_clean_success();
    assert_no_login_secret(&run);

    let requests = signin.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let request = &requests[0];
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/v1/token"));
    let body =
        serde_json::json!({ "clientId": CLIENT_ID, "grantType": "refresh_token", "refreshToken": OLD_REFRESH_TOKEN });
    assert_eq!(request.body, body);
    let key = p256::SecretKey::from_sec1_pem(DPOP_KEY).unwrap();
    assert_eq!(
        request.proof.as_deref(),
        Ok(key.public_key().to_encoded_point(false).as_bytes()),
        "signed with the cache's key"
    );
    assert_eq!(request.htu.as_deref(), Some(format!("{}/v1/token", signin.url()).as_str()));
    assert_eq!(ecr.ecr_signers(), ["ASIAREFRESHED"], "ECR is signed with the refreshed keys");

    // The refreshed login cache is private: 0600 on Unix, owner-only on Windows.
    support::assert_private(&file);
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let access = &written["accessToken"];
    assert_eq!(access["accessKeyId"], "ASIAREFRESHED");
    assert_eq!(access["secretAccessKey"], NEW_SECRET_KEY);
    assert_eq!(access["sessionToken"], NEW_SESSION_TOKEN);
    assert_eq!(access["accountId"], "123456789012", "kept from the session");
    let expires = access["expiresAt"].as_str().unwrap();
    let (now, life) = (unix_now(), 900);
    assert!(
        expires > ecr_login::format_utc(now + life - 60).as_str()
            && expires < ecr_login::format_utc(now + life + 60).as_str(),
        "{expires}"
    );
    assert_eq!(written["refreshToken"], NEW_REFRESH_TOKEN);
    for (field, kept) in
        [("clientId", CLIENT_ID), ("dpopKey", DPOP_KEY), ("idToken", ID_TOKEN), ("tokenType", "aws_sigv4")]
    {
        assert_eq!(written[field], kept, "{field}");
    }

    // The token is cached: the next get refreshes nothing and calls nothing.
    sandbox.get(HOST).assert_clean_success();
    assert_eq!((signin.requests().len(), ecr.calls()), (1, 1));
}

#[test]
fn a_missing_login_names_aws_login_for_the_profile_and_calls_nothing() {
    let (ecr, signin) = (StandIn::start(), SignIn::start(Reply::Status(500)));
    let sandbox = console_sandbox(&ecr, &signin, &[("console", SESSION)]);
    let run = sandbox.get(HOST);
    run.assert_one_line_failure();
    assert!(run.stderr.contains("the login session of profile \"console\""), "{run:?}");
    assert!(run.stderr.contains("run 'aws login --profile console'"), "{run:?}");
    assert!(!run.stderr.contains("aws sso login"), "{run:?}");
    assert_eq!((ecr.requests().len(), signin.requests().len()), (0, 0));
}

#[test]
fn a_session_sign_in_no_longer_refreshes_names_aws_login_and_leaks_nothing() {
    let (ecr, signin) = (StandIn::start(), SignIn::start(Reply::Refuse { error: "TOKEN_EXPIRED".into() }));
    let sandbox = console_sandbox(&ecr, &signin, &[("console", SESSION)]);
    let file = write_login(&sandbox, SESSION, "ASIALOGINEXPIRED", unix_now() - 60, 0o600);
    let before = std::fs::read(&file).unwrap();
    let run = sandbox.get(HOST);
    run.assert_one_line_failure();
    assert_no_login_secret(&run);
    assert!(run.stderr.contains("run 'aws login --profile console'"), "{run:?}");
    assert!(run.stderr.contains("Your session has expired"), "the SDK's reading of Sign-In's answer: {run:?}");
    assert_eq!(signin.requests().len(), 1);
    assert_eq!(ecr.requests().len(), 0);
    assert_eq!(std::fs::read(&file).unwrap(), before, "a refused refresh leaves the login cache as it was");
}

#[test]
fn sign_in_failing_on_its_side_is_said_as_it_is_not_as_a_login_to_renew() {
    let (ecr, signin) = (StandIn::start(), SignIn::start(Reply::Status(503)));
    let sandbox = console_sandbox(&ecr, &signin, &[("console", SESSION)]);
    write_login(&sandbox, SESSION, "ASIALOGINEXPIRED", unix_now() - 60, 0o600);
    let run = sandbox.get(HOST);
    run.assert_one_line_failure();
    assert_no_login_secret(&run);
    assert!(run.stderr.contains(": cannot load AWS credentials for"), "{run:?}");
    assert!(run.stderr.contains("failed to refresh cached Login token"), "{run:?}");
    assert!(!run.stderr.contains("aws login"), "{run:?}");
    // A 503 is Sign-In failing on its side: retried as every AWS call is, three attempts in all
    // (MAX_ATTEMPTS in src/aws/setup.rs), then said; never more, never once.
    assert_eq!(signin.requests().len(), 3, "{run:?}");
    assert_eq!(ecr.requests().len(), 0);
}

#[test]
fn two_login_sessions_never_share_a_cached_token() {
    let (ecr, signin) = (StandIn::start(), SignIn::start(Reply::Status(500)));
    let other = "arn:aws:iam::0123456789012:user/Reader";
    let mut sandbox = console_sandbox(&ecr, &signin, &[("admin", SESSION), ("reader", other)]);
    write_login(&sandbox, SESSION, "ASIAADMIN", unix_now() + 3600, 0o600);
    write_login(&sandbox, other, "ASIAREADER", unix_now() + 3600, 0o600);
    let admin = sandbox.get(HOST).assert_clean_success().secret();
    sandbox.set("AWS_PROFILE", "reader");
    let reader = sandbox.get(HOST).assert_clean_success().secret();
    assert_ne!(admin, reader);
    assert_eq!(ecr.ecr_signers(), ["ASIAADMIN", "ASIAREADER"]);
    sandbox.set("AWS_PROFILE", "admin");
    assert_eq!(sandbox.get(HOST).assert_clean_success().secret(), admin, "admin's token is still its own");
    assert_eq!(ecr.calls(), 2);
}

#[test]
fn doctor_names_the_login_cache_file_and_aws_login_when_it_is_missing() {
    let (ecr, signin) = (StandIn::start(), SignIn::start(Reply::Status(500)));
    let mut sandbox = console_sandbox(&ecr, &signin, &[("console", SESSION)]);
    sandbox.set("AWS_ENDPOINT_URL_STS", &ecr.url());
    let missing = sandbox.run(&["doctor", HOST], b"");
    assert_eq!(missing.code, 1, "{missing:?}");
    let line = missing.stdout.lines().find(|l| l.starts_with("login ")).unwrap_or_default();
    assert!(line.contains("PROBLEM") && line.contains(SESSION_FILE), "{}", missing.stdout);
    assert!(missing.stdout.contains("fix: run 'aws login --profile console'"), "{}", missing.stdout);

    write_login(&sandbox, SESSION, "ASIALOGINCACHED", unix_now() + 3600, 0o600);
    let found = sandbox.run(&["doctor", HOST], b"");
    assert_no_login_secret(&found);
    let line = found.stdout.lines().find(|l| l.starts_with("login ")).unwrap_or_default();
    assert!(!line.contains("PROBLEM") && line.contains("aws login session, cached in"), "{}", found.stdout);
    assert!(found.stdout.contains("access key id ASIALOGINCACHED"), "{}", found.stdout);
    assert!(!found.stdout.contains("aws login --profile"), "{}", found.stdout);
}

#[test]
fn concurrent_gets_of_many_registries_refresh_a_login_session_once() {
    let reply = Reply::Refresh { access_key_id: "ASIAREFRESHED".into(), expires_in: 900 };
    let (ecr, signin) = (StandIn::start(), SignIn::start(reply));
    let sandbox = console_sandbox(&ecr, &signin, &[("console", SESSION)]);
    write_login(&sandbox, SESSION, "ASIALOGINEXPIRED", unix_now() - 60, 0o600);
    let hosts: Vec<String> = (0..8).map(|i| format!("12345678901{i}.dkr.ecr.us-east-1.amazonaws.com")).collect();
    for run in sandbox.run_at_once(&["get"], &hosts) {
        run.assert_clean_success();
    }
    assert_eq!(signin.requests().len(), 1, "each refresh spends the session's refresh token");
    assert_eq!(ecr.ecr_signers(), vec!["ASIAREFRESHED"; 8]);
}
