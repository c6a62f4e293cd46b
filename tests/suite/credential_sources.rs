//! Every credential source that nodes and CI runners have, through the binary against loopback
//! stand-ins: the source's key signs the ECR call (the stand-in's keys name their source), and a
//! cache hit contacts the source not at all (no request of any kind reaches the stand-in).
//!
//! | source                                        | what the node or runner sets                              |
//! |-----------------------------------------------|-----------------------------------------------------------|
//! | EC2 or EKS node (IMDSv2)                      | nothing; here `AWS_EC2_METADATA_SERVICE_ENDPOINT`         |
//! | ECS task role, CodeBuild, EKS Pod Identity    | `AWS_CONTAINER_CREDENTIALS_FULL_URI`, `..._AUTHORIZATION_TOKEN_FILE` |
//! | web identity (IRSA, GitHub or GitLab OIDC)    | `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`             |
//! | IAM Identity Center                           | an `sso_session` profile and the token `aws sso login` leaves |
//! | `credential_process`                          | a profile naming a program                                |
//! | a role over any of the first two, or over keys in the environment | a profile with `role_arn` and `credential_source` |
//!
//! A `credential_source` profile assumes its role with the source's keys: the AssumeRole call is
//! signed by the source, the ECR call by the role, and the role has a cache entry of its own.

use crate::support;

use sha1::{Digest, Sha1};
use support::stand_in::{IMDS_SESSION_TOKEN, StandIn, access_key_for_role, access_key_for_source};
use support::{HOST, SECRET_KEY, Sandbox, unix_now};

/// A sandbox with no keys anywhere, every AWS endpoint at the stand-in.
fn keyless(stand_in: &StandIn) -> Sandbox {
    let mut sandbox = Sandbox::bare();
    sandbox.set("AWS_ENDPOINT_URL", &stand_in.url());
    sandbox
}

/// A get, then three more: the first is signed by `signer`; the others are answered from the cache
/// without a single request to the stand-in, source or ECR. Returns the first's requests.
fn first_signed_by_then_hits(stand_in: &StandIn, sandbox: &Sandbox, signer: &str) -> Vec<support::stand_in::Request> {
    let before = stand_in.requests().len();
    let secret = sandbox.get(HOST).assert_clean_success().secret();
    let requests = stand_in.requests().split_off(before);
    let ecr: Vec<_> = requests.iter().filter(|r| r.target == "ecr").map(|r| r.access_key.as_str()).collect();
    assert_eq!(ecr, [signer], "{requests:?}");
    for _ in 0..3 {
        assert_eq!(sandbox.get(HOST).assert_clean_success().secret(), secret);
    }
    assert_eq!(stand_in.requests().len(), before + requests.len(), "a cache hit contacted the stand-in");
    requests
}

fn targets(requests: &[support::stand_in::Request]) -> Vec<&str> {
    requests.iter().map(|r| r.target.as_str()).collect()
}

#[test]
fn an_ec2_or_eks_node_signs_with_the_instance_role_from_imdsv2() {
    let stand_in = StandIn::start();
    let mut sandbox = keyless(&stand_in);
    sandbox.unset("AWS_EC2_METADATA_DISABLED");
    sandbox.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", &stand_in.url());
    let requests = first_signed_by_then_hits(&stand_in, &sandbox, &access_key_for_source("imds"));
    // IMDSv2: a session token first, then every metadata read carries it.
    let sources: Vec<_> = requests.iter().filter(|r| r.target.starts_with("source:")).collect();
    assert_eq!(sources.first().map(|r| r.target.as_str()), Some("source:imds-token"), "{requests:?}");
    assert!(sources.iter().skip(1).all(|r| r.bearer.as_deref() == Some(IMDS_SESSION_TOKEN)), "{requests:?}");
    assert!(targets(&requests).contains(&"source:imds"), "{requests:?}");
}

#[test]
fn a_container_role_signs_with_the_endpoints_keys_and_sends_the_token_files_authorization() {
    let stand_in = StandIn::start();
    let mut sandbox = keyless(&stand_in);
    // Without a trailing newline, as EKS writes it: the SDK sends the file's bytes as they are, and
    // a newline makes it refuse the header ("the auth token could not be used as an HTTP header").
    let token_file = sandbox.write_home_file("pod-identity-token", "pod-identity-authorization");
    sandbox.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", &format!("{}/container-credentials/v1", stand_in.url()));
    sandbox.set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file.to_str().unwrap());
    let requests = first_signed_by_then_hits(&stand_in, &sandbox, &access_key_for_source("container"));
    let container: Vec<_> = requests.iter().filter(|r| r.target == "source:container").collect();
    assert_eq!(container.len(), 1, "{requests:?}");
    assert_eq!(container[0].bearer.as_deref(), Some("pod-identity-authorization"));
}

#[test]
fn web_identity_signs_with_the_role_it_assumes_and_two_roles_never_share_a_token() {
    let stand_in = StandIn::start();
    let mut sandbox = keyless(&stand_in);
    let token_file = sandbox.write_home_file("oidc-token", "github-oidc-jwt");
    sandbox.set("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.to_str().unwrap());
    let (role_a, role_b) = ("arn:aws:iam::123456789012:role/ci-build", "arn:aws:iam::123456789012:role/ci-deploy");

    sandbox.set("AWS_ROLE_ARN", role_a);
    let requests = first_signed_by_then_hits(&stand_in, &sandbox, &access_key_for_role(role_a));
    let sts: Vec<_> = requests.iter().filter(|r| r.target == "sts:AssumeRoleWithWebIdentity").collect();
    assert_eq!(sts.len(), 1, "{requests:?}");
    assert_eq!(
        (sts[0].role_arn.as_deref(), sts[0].web_identity_token.as_deref()),
        (Some(role_a), Some("github-oidc-jwt"))
    );
    let token_a = sandbox.get(HOST).secret();

    sandbox.set("AWS_ROLE_ARN", role_b);
    first_signed_by_then_hits(&stand_in, &sandbox, &access_key_for_role(role_b));
    let token_b = sandbox.get(HOST).secret();
    assert_ne!(token_a, token_b);

    sandbox.set("AWS_ROLE_ARN", role_a);
    assert_eq!(sandbox.get(HOST).secret(), token_a, "role A's token is still its own");
    assert_eq!(stand_in.calls(), 2);
}

/// An `sso_session` profile and the token file `aws sso login` leaves for it, expiring at `expires_at`.
fn sso_sandbox(stand_in: &StandIn, expires_at: u64) -> Sandbox {
    let mut sandbox = keyless(stand_in);
    sandbox.set("AWS_ENDPOINT_URL_SSO", &stand_in.url());
    sandbox.set("AWS_PROFILE", "corp-sso");
    sandbox.write_home_file(
        ".aws/config",
        "[profile corp-sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Pull\n\n\
         [sso-session corp]\nsso_start_url = https://corp.example/start\nsso_region = us-east-1\n",
    );
    // The CLI names the file after the SHA-1 of the session's name.
    let name = format!("{:x}", Sha1::digest(b"corp"));
    let token = serde_json::json!({
        "startUrl": "https://corp.example/start",
        "region": "us-east-1",
        "accessToken": "sso-access-token",
        "expiresAt": ecr_login::format_utc(expires_at),
    });
    sandbox.write_home_file(&format!(".aws/sso/cache/{name}.json"), &token.to_string());
    sandbox
}

#[test]
fn iam_identity_center_signs_with_the_role_credentials_its_token_buys() {
    let stand_in = StandIn::start();
    let sandbox = sso_sandbox(&stand_in, unix_now() + 8 * 3600);
    let requests = first_signed_by_then_hits(&stand_in, &sandbox, &access_key_for_source("sso"));
    let sso: Vec<_> = requests.iter().filter(|r| r.target == "source:sso").collect();
    assert_eq!(sso.len(), 1, "{requests:?}");
    assert_eq!(sso[0].bearer.as_deref(), Some("sso-access-token"));
}

#[test]
fn an_expired_identity_center_token_names_aws_sso_login_and_calls_nothing() {
    let stand_in = StandIn::start();
    let sandbox = sso_sandbox(&stand_in, unix_now() - 60);
    let run = sandbox.get(HOST);
    run.assert_one_line_failure();
    assert!(run.stderr.contains("run 'aws sso login --profile corp-sso'"), "{run:?}");
    assert_eq!(targets(&stand_in.requests()), Vec::<&str>::new());
}

#[test]
fn credential_process_signs_and_is_not_run_on_a_hit() {
    let stand_in = StandIn::start();
    let mut sandbox = keyless(&stand_in);
    let marker = sandbox.dir.path().join("credential-process-ran");
    let script = support::write_script(
        sandbox.dir.path(),
        "creds",
        &format!(
            "#!/bin/sh\necho run >> {}\necho '{{\"Version\":1,\"AccessKeyId\":\"AKIDPROCESS\",\"SecretAccessKey\":\"s\"}}'\n",
            marker.display()
        ),
        &format!(
            "@echo off\necho run>> \"{}\"\necho {{\"Version\":1,\"AccessKeyId\":\"AKIDPROCESS\",\"SecretAccessKey\":\"s\"}}\n",
            marker.display()
        ),
    );
    sandbox.write_home_file(".aws/config", &format!("[profile proc]\ncredential_process = {}\n", script.display()));
    sandbox.set("AWS_PROFILE", "proc");
    first_signed_by_then_hits(&stand_in, &sandbox, "AKIDPROCESS");
    assert_eq!(std::fs::read_to_string(&marker).unwrap().lines().count(), 1, "credential_process ran on a hit");
}

/// The role the `credential_source` profiles assume.
const SOURCED_ROLE: &str = "arn:aws:iam::123456789012:role/ecr-pull";

/// A sandbox whose `AWS_PROFILE` assumes [`SOURCED_ROLE`] with the keys of `credential_source`.
fn role_over(stand_in: &StandIn, credential_source: &str) -> Sandbox {
    let mut sandbox = keyless(stand_in);
    sandbox.write_home_file(
        ".aws/config",
        &format!("[profile ecr]\nrole_arn = {SOURCED_ROLE}\ncredential_source = {credential_source}\n"),
    );
    sandbox.set("AWS_PROFILE", "ecr");
    sandbox
}

/// A sandbox whose `AWS_PROFILE` assumes [`SOURCED_ROLE`] with the keys `AKIDENVSOURCE` of the
/// environment.
fn role_over_environment_keys(stand_in: &StandIn) -> Sandbox {
    let mut sandbox = role_over(stand_in, "Environment");
    sandbox.set("AWS_ACCESS_KEY_ID", "AKIDENVSOURCE");
    sandbox.set("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    sandbox
}

/// Points the metadata service at the stand-in, for this sandbox alone.
fn with_imds(sandbox: &mut Sandbox, stand_in: &StandIn) {
    sandbox.unset("AWS_EC2_METADATA_DISABLED");
    sandbox.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", &stand_in.url());
}

/// A get through the role profile assumes the role once, signed by `source_key`, signs ECR with the
/// role's keys and leaves one cache entry; the same source without the profile is another identity,
/// with an entry and a token of its own.
fn assumes_the_role_with(stand_in: &StandIn, sandbox: &mut Sandbox, source_key: &str) {
    let requests = first_signed_by_then_hits(stand_in, sandbox, &access_key_for_role(SOURCED_ROLE));
    let assume: Vec<_> = requests.iter().filter(|r| r.target == "sts:AssumeRole").collect();
    assert_eq!(assume.len(), 1, "{requests:?}");
    assert_eq!((assume[0].access_key.as_str(), assume[0].role_arn.as_deref()), (source_key, Some(SOURCED_ROLE)));
    let entries = sandbox.cache_entries();
    assert_eq!(entries.len(), 1);
    // The entry keeps the ECR token, private, and none of the keys that bought it.
    let entry = std::fs::read_to_string(&entries[0]).unwrap();
    for secret in [SECRET_KEY, "stand-in-secret", "stand-in-session", "imds-secret", "container-secret"] {
        assert!(!entry.contains(secret), "{secret} in {entry}");
    }
    support::assert_private(&entries[0]);
    let role_token = sandbox.get(HOST).secret();

    sandbox.unset("AWS_PROFILE");
    first_signed_by_then_hits(stand_in, sandbox, source_key);
    assert_ne!(sandbox.get(HOST).secret(), role_token, "the source alone got the role's token");
    assert_eq!(sandbox.cache_entries().len(), 2);
    sandbox.set("AWS_PROFILE", "ecr");
    assert_eq!(sandbox.get(HOST).secret(), role_token, "the role's token is still its own");
}

#[test]
fn credential_source_environment_assumes_the_role_with_the_keys_in_the_environment() {
    let stand_in = StandIn::start();
    let mut sandbox = role_over_environment_keys(&stand_in);
    assumes_the_role_with(&stand_in, &mut sandbox, "AKIDENVSOURCE");

    // Other keys in the environment are another caller: a miss, AssumeRole signed by them.
    sandbox.set("AWS_ACCESS_KEY_ID", "AKIDOTHERSOURCE");
    let requests = first_signed_by_then_hits(&stand_in, &sandbox, &access_key_for_role(SOURCED_ROLE));
    let signers: Vec<_> = requests.iter().filter(|r| r.target == "sts:AssumeRole").map(|r| &r.access_key).collect();
    assert_eq!(signers, ["AKIDOTHERSOURCE"], "{requests:?}");
    assert_eq!(sandbox.cache_entries().len(), 3);
}

#[test]
fn credential_source_ec2_instance_metadata_assumes_the_role_with_the_instance_role() {
    let stand_in = StandIn::start();
    let mut sandbox = role_over(&stand_in, "Ec2InstanceMetadata");
    with_imds(&mut sandbox, &stand_in);
    assumes_the_role_with(&stand_in, &mut sandbox, &access_key_for_source("imds"));
}

#[test]
fn credential_source_ecs_container_assumes_the_role_with_the_endpoints_keys() {
    let stand_in = StandIn::start();
    let mut sandbox = role_over(&stand_in, "EcsContainer");
    sandbox.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", &format!("{}/container-credentials/v1", stand_in.url()));
    assumes_the_role_with(&stand_in, &mut sandbox, &access_key_for_source("container"));
}

/// A get whose source has no keys: the not-found line, one line on stderr naming the profile and
/// the source, no secret, and no call to STS or ECR.
fn fails_without_source_keys(stand_in: &StandIn, sandbox: &Sandbox, names_the_source: &str) {
    let run = sandbox.get(HOST);
    run.assert_one_line_failure();
    assert_eq!(run.stdout.trim(), support::NOT_FOUND, "{run:?}");
    assert!(run.stderr.contains("(profile \"ecr\")"), "{run:?}");
    let calls: Vec<_> = stand_in.requests().into_iter().filter(|r| !r.target.starts_with("source:")).collect();
    assert!(calls.is_empty(), "{calls:?}");
    assert!(sandbox.cache_entries().is_empty());
    assert!(run.stderr.contains(names_the_source), "{run:?}");
}

#[test]
fn credential_source_environment_without_keys_fails_in_one_line() {
    let stand_in = StandIn::start();
    let mut sandbox = role_over(&stand_in, "Environment");
    // A secret key alone is no credentials, and must not be shown.
    sandbox.set("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    fails_without_source_keys(&stand_in, &sandbox, "environment variable not set");
}

#[test]
fn credential_source_whose_metadata_service_or_container_endpoint_has_no_keys_fails_in_one_line() {
    let stand_in = StandIn::start();
    stand_in.sources_without_keys();
    let mut sandbox = role_over(&stand_in, "Ec2InstanceMetadata");
    with_imds(&mut sandbox, &stand_in);
    fails_without_source_keys(&stand_in, &sandbox, "404 from IMDS");
    assert!(targets(&stand_in.requests()).contains(&"source:imds"), "the metadata service was not asked");

    let stand_in = StandIn::start();
    stand_in.sources_without_keys();
    let mut sandbox = role_over(&stand_in, "EcsContainer");
    sandbox.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", &format!("{}/container-credentials/v1", stand_in.url()));
    fails_without_source_keys(&stand_in, &sandbox, "HTTP credential provider");
    assert_eq!(targets(&stand_in.requests()), ["source:container"]);
}

#[test]
fn a_rules_credential_source_profile_keeps_a_cache_entry_per_source() {
    let stand_in = StandIn::start();
    let mut sandbox = role_over(&stand_in, "Environment");
    sandbox.unset("AWS_PROFILE");
    sandbox.write_home_file(
        ".config/ecr-login/config.toml",
        "[[registry]]\naccount = \"123456789012\"\nprofile = \"ecr\"\n",
    );
    sandbox.set("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    for (n, key) in ["AKIDENVSOURCE", "AKIDOTHERSOURCE"].into_iter().enumerate() {
        // A rule's profile leaves the environment's keys out of the identity, but this profile's
        // source is those keys: other keys must not be served the first keys' token.
        sandbox.set("AWS_ACCESS_KEY_ID", key);
        let requests = first_signed_by_then_hits(&stand_in, &sandbox, &access_key_for_role(SOURCED_ROLE));
        let signers: Vec<_> = requests.iter().filter(|r| r.target == "sts:AssumeRole").map(|r| &r.access_key).collect();
        assert_eq!(signers, [key], "{requests:?}");
        assert_eq!(sandbox.cache_entries().len(), n + 1);
    }
}

#[test]
fn a_cold_list_asks_for_the_own_registry_as_the_role_over_environment_keys() {
    let stand_in = StandIn::start();
    let mut sandbox = role_over_environment_keys(&stand_in);
    sandbox.set("AWS_REGION", "us-east-1");
    let run = sandbox.run(&["list"], b"unused");
    assert_eq!((run.code, run.stderr.as_str()), (0, ""), "{run:?}");
    assert!(run.stdout.contains(HOST), "{run:?}");
    // The token it caches is the role's, as a get of that registry would have fetched it.
    assert_eq!(stand_in.ecr_signers(), [access_key_for_role(SOURCED_ROLE)]);
    sandbox.get(HOST).assert_clean_success();
    assert_eq!(stand_in.calls(), 1);
}

// Unix only: the prompt is answered on a Unix pseudo-terminal.
#[cfg(unix)]
#[test]
fn credential_source_environment_behind_mfa_asks_for_the_code_and_assumes_the_role_with_the_keys() {
    let stand_in = StandIn::start();
    stand_in.require_mfa();
    let sandbox = role_over_environment_keys(&stand_in);
    let serial = "arn:aws:iam::123456789012:mfa/ci";
    sandbox.write_home_file(
        ".aws/config",
        &format!("[profile ecr]\nrole_arn = {SOURCED_ROLE}\ncredential_source = Environment\nmfa_serial = {serial}\n"),
    );
    let login = support::answering_prompts("123456", &sandbox.env, &[support::binary(), "login", HOST]);
    let terminal = support::run_command(login, b"");
    assert_eq!(terminal.code, 0, "{terminal:?}");
    let sts = stand_in.sts_requests();
    let assumed: Vec<_> = sts
        .iter()
        .map(|r| (r.target.as_str(), r.access_key.as_str(), r.role_arn.as_deref(), r.token_code.as_deref()))
        .collect();
    assert_eq!(assumed, [("sts:AssumeRole", "AKIDENVSOURCE", Some(SOURCED_ROLE), Some("123456"))]);
    assert_eq!(stand_in.ecr_signers(), [access_key_for_role(SOURCED_ROLE)]);
}
