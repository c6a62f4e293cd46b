//! Contract tests against moto's server, a third party's model of the AWS APIs: they prove the
//! request and response shapes and the credential chain (static keys, assumed roles through STS).
//!
//! They need `moto_server`; `tests/run` installs it into a virtualenv and names it in
//! `ECR_LOGIN_MOTO_SERVER`, and runs these with `--include-ignored`.

use crate::support;

use support::moto::Moto;
use support::{HOST, NOT_FOUND, Sandbox};

#[test]
#[ignore = "needs moto_server: run tests/run"]
fn get_against_moto_returns_its_token_and_warns_about_its_fixed_2015_expiry() {
    let moto = Moto::start();
    let sandbox = Sandbox::new(&moto.url);
    let run = sandbox.get(&format!("https://{HOST}"));
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        format!("{{\"ServerURL\":\"https://{HOST}\",\"Username\":\"AWS\",\"Secret\":\"123456789012-auth-token\"}}\n")
    );
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    assert!(run.stderr.contains("2015-01-01T00:00:00Z"), "{run:?}");
    // An already-expired token is never cached.
    assert!(sandbox.cache_entries().is_empty());
}

#[test]
#[ignore = "needs moto_server: run tests/run"]
fn an_assumed_role_profile_works_through_sts() {
    let moto = Moto::start();
    let mut sandbox = Sandbox::new(&moto.url);
    sandbox.unset("AWS_ACCESS_KEY_ID");
    sandbox.unset("AWS_SECRET_ACCESS_KEY");
    sandbox.write_home_file(
        ".aws/credentials",
        "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n",
    );
    sandbox.write_home_file(
        ".aws/config",
        "[profile puller]\nrole_arn = arn:aws:iam::210987654321:role/puller\nsource_profile = base\nregion = us-east-1\n",
    );
    sandbox.set("AWS_PROFILE", "puller");
    // moto's token follows from the registry alone and moto takes any signer, so the trace says
    // who signed: the role's temporary key from STS (moto's start with ASIA), not the base key.
    sandbox.set("ECR_LOGIN_DEBUG", "1");
    let run = sandbox.get("210987654321.dkr.ecr.eu-west-1.amazonaws.com");
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.secret(), "210987654321-auth-token");
    let signer = run.stderr.lines().find_map(|l| l.split("credentials: access key id ").nth(1));
    let signer = signer.unwrap_or_else(|| panic!("no credentials line in the trace: {run:?}"));
    assert!(signer.starts_with("ASIA") && !signer.contains("AKIDBASE"), "not the role's key: {signer}");
}

#[test]
#[ignore = "needs moto_server: run tests/run"]
fn ecr_public_errors_from_moto_leave_public_pulls_anonymous() {
    // moto has no ECR Public: it answers HTTP 500.
    let moto = Moto::start();
    let sandbox = Sandbox::new(&moto.url);
    let run = sandbox.get("public.ecr.aws");
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, format!("{NOT_FOUND}\n"));
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    assert!(run.stderr.contains("HTTP 500"), "{run:?}");
}

#[test]
#[ignore = "needs moto_server: run tests/run"]
fn list_after_moto_gets_is_empty_because_expired_tokens_are_not_kept() {
    let moto = Moto::start();
    let sandbox = Sandbox::new(&moto.url);
    assert_eq!(sandbox.get(HOST).code, 0);
    let run = sandbox.run(&["list"], b"unused");
    run.assert_clean_success();
    assert_eq!(run.stdout, "{}\n");
}

#[test]
#[ignore = "needs moto_server: run tests/run"]
fn kubelet_service_account_roles_are_assumed_through_moto_sts() {
    let moto = Moto::start();
    let mut sandbox = Sandbox::new(&moto.url);
    // Only the pod's token may be used: no node credentials at all.
    sandbox.unset("AWS_ACCESS_KEY_ID");
    sandbox.unset("AWS_SECRET_ACCESS_KEY");
    let request = format!(
        r#"{{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"{HOST}/team/app:1","serviceAccountToken":"header.payload.signature","serviceAccountAnnotations":{{"eks.amazonaws.com/ecr-role-arn":"arn:aws:iam::123456789012:role/puller"}}}}"#
    );
    let run = sandbox.run(&["kubelet-provider"], request.as_bytes());
    assert_eq!(run.code, 0, "{run:?}");
    let answer: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(answer["auth"][HOST]["password"], "123456789012-auth-token");
    // moto's token is already expired by its fixed date: the kubelet must not cache it.
    assert_eq!(answer["cacheDuration"], "0s");
    assert!(!run.stderr.contains("header.payload.signature"), "{run:?}");
}
