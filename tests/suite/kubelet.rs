//! Kubelet image credential provider mode through the binary: the exact response, both ways of
//! selecting the mode, the shared cache, defined answers for ECR Public and other registries, and
//! service-account roles cached per role.

use crate::support;

use support::stand_in::{Answer, StandIn, access_key_for_role};
use support::{HOST, KUBELET_V1 as V1, Sandbox, kubelet_request as request, kubelet_request_as};

fn request_as(role: &str, token: &str) -> String {
    kubelet_request_as(&format!("{HOST}/team/app:1"), role, token)
}

fn provider(sandbox: &Sandbox, input: &str) -> support::Run {
    sandbox.run(&["kubelet-provider"], input.as_bytes())
}

fn response(run: &support::Run) -> serde_json::Map<String, serde_json::Value> {
    assert_eq!(run.code, 0, "{run:?}");
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
}

#[test]
fn a_private_image_gets_exactly_the_kubelets_fields() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    let run = provider(&sandbox, &request(V1, &format!("{HOST}/team/app:1")));
    assert_eq!(run.stderr, "");
    let answer = response(&run);
    let keys: Vec<&str> = answer.keys().map(String::as_str).collect();
    assert_eq!(keys, ["kind", "apiVersion", "cacheKeyType", "cacheDuration", "auth"]);
    assert_eq!(answer["kind"], "CredentialProviderResponse");
    assert_eq!(answer["apiVersion"], V1);
    assert_eq!(answer["cacheKeyType"], "Registry");
    // 12 hours less the 10-minute safety margin (a second may tick during the run).
    assert!(["11h50m0s", "11h49m59s"].contains(&answer["cacheDuration"].as_str().unwrap()), "{answer:?}");
    let auth = answer["auth"].as_object().unwrap();
    assert_eq!(auth.len(), 1);
    assert_eq!(auth[HOST], serde_json::json!({"username": "AWS", "password": "123456789012-token-1"}));
}

#[test]
fn the_response_echoes_an_older_api_version() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    let v1beta1 = "credentialprovider.kubelet.k8s.io/v1beta1";
    assert_eq!(response(&provider(&sandbox, &request(v1beta1, HOST)))["apiVersion"], v1beta1);
}

#[test]
fn invoked_as_ecr_credential_provider_it_is_a_drop_in_for_the_plugin() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    // ecr-credential-provider.exe on Windows, as EKS Windows nodes install it.
    let link = sandbox.dir.path().join(support::executable_name("ecr-credential-provider"));
    support::install_binary(&link);
    let mut command = std::process::Command::new(&link);
    command.arg("get-credentials").env_clear().envs(sandbox.env.iter().map(|(k, v)| (k, v)));
    let run = support::run_command(command, request(V1, &format!("{HOST}/a:1")).as_bytes());
    assert_eq!(response(&run)["auth"][HOST]["password"], "123456789012-token-1");
}

#[test]
fn the_kubelet_and_docker_share_one_cache() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    sandbox.get(HOST).assert_clean_success();
    let answer = response(&provider(&sandbox, &request(V1, &format!("{HOST}/x:1"))));
    assert_eq!(answer["auth"][HOST]["password"], "123456789012-token-1");
    assert_eq!(ecr.calls(), 1);
}

#[test]
fn many_pods_starting_at_once_make_one_api_call() {
    let ecr = StandIn::start();
    ecr.delay(std::time::Duration::from_millis(300));
    let sandbox = Sandbox::new(&ecr.url());
    let requests: Vec<String> = (0..16).map(|i| request(V1, &format!("{HOST}/pod-{i}:1"))).collect();
    for run in sandbox.run_at_once(&["kubelet-provider"], &requests) {
        assert_eq!(response(&run)["auth"][HOST]["password"], "123456789012-token-1");
    }
    assert_eq!(ecr.calls(), 1);
}

#[test]
fn a_non_ecr_image_gets_an_empty_answer_cached_for_an_hour() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    for image in ["nginx:latest", "ghcr.io/org/app:1", "registry.k8s.io/pause:3.9"] {
        let run = provider(&sandbox, &request(V1, image));
        assert_eq!(run.stderr, "");
        let answer = response(&run);
        assert_eq!(answer["auth"], serde_json::json!({}));
        assert_eq!(answer["cacheDuration"], "1h0m0s");
    }
    assert_eq!(ecr.calls(), 0);
}

#[test]
fn ecr_public_gets_a_token_and_on_failure_an_empty_answer_so_the_pull_goes_on() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    let answer = response(&provider(&sandbox, &request(V1, "public.ecr.aws/nginx/nginx:1")));
    assert_eq!(answer["auth"]["public.ecr.aws"]["password"], "public-token-1");

    let other = Sandbox::new(&ecr.url());
    ecr.answer(Answer::error(400, "AccessDeniedException", "User: arn:aws:iam::1:user/x is not authorized"));
    let run = provider(&other, &request(V1, "public.ecr.aws/nginx/nginx:1"));
    let answer = response(&run);
    assert_eq!(answer["auth"], serde_json::json!({}));
    assert_eq!(answer["cacheDuration"], "5m0s");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
}

#[test]
fn a_private_failure_exits_non_zero_with_one_line_and_no_secret() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    ecr.answer(Answer::error(
        400,
        "AccessDeniedException",
        "User: arn:aws:iam::123456789012:user/node is not authorized",
    ));
    let run = provider(&sandbox, &request(V1, &format!("{HOST}/a:1")));
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    assert!(run.stderr.contains("access denied"), "{run:?}");
    run.assert_no_secret();
}

#[test]
fn bad_requests_exit_non_zero_with_one_line() {
    let sandbox = Sandbox::bare();
    for input in ["", "{}", "not json", &request("v1", HOST)] {
        let run = provider(&sandbox, input);
        assert_eq!((run.code, run.stdout.as_str()), (1, ""), "{run:?}");
        assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    }
}

#[test]
fn service_account_roles_are_assumed_with_the_pods_token_and_cached_per_role() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    let role_a = "arn:aws:iam::123456789012:role/puller-a";
    let role_b = "arn:aws:iam::123456789012:role/puller-b";
    let token = "eyJhbGciOiJSUzI1NiJ9.service-account-token.signature";

    let a = response(&provider(&sandbox, &request_as(role_a, token)));
    assert_eq!(a["auth"][HOST]["password"], "123456789012-token-1");
    let b = response(&provider(&sandbox, &request_as(role_b, token)));
    assert_eq!(b["auth"][HOST]["password"], "123456789012-token-2");
    // Role A again: its own cache entry, no new call; and the node's identity shares neither.
    assert_eq!(
        response(&provider(&sandbox, &request_as(role_a, token)))["auth"][HOST]["password"],
        "123456789012-token-1"
    );
    assert_eq!(sandbox.get(HOST).assert_clean_success().secret(), "123456789012-token-3");

    let sts = ecr.sts_requests();
    assert_eq!(sts.len(), 2, "{sts:?}");
    assert_eq!(sts[0].role_arn.as_deref(), Some(role_a));
    assert_eq!(sts[0].web_identity_token.as_deref(), Some(token));
    assert_eq!(sts[1].role_arn.as_deref(), Some(role_b));
    let keys = ecr.ecr_signers();
    assert_eq!(keys, [access_key_for_role(role_a), access_key_for_role(role_b), "AKIDSANDBOX".to_string()]);
}

#[test]
fn a_role_without_a_service_account_token_is_refused() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    let input = format!(
        r#"{{"apiVersion":"{V1}","kind":"CredentialProviderRequest","image":"{HOST}/a:1","serviceAccountAnnotations":{{"eks.amazonaws.com/ecr-role-arn":"arn:aws:iam::1:role/r"}}}}"#
    );
    let run = provider(&sandbox, &input);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("tokenAttributes"), "{run:?}");
    assert_eq!(ecr.calls(), 0);
}

#[test]
fn a_request_without_an_image_is_refused_rather_than_answered_empty() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    for input in
        [format!(r#"{{"apiVersion":"{V1}","kind":"CredentialProviderRequest"}}"#), request(V1, ""), request(V1, "   ")]
    {
        let run = provider(&sandbox, &input);
        assert_eq!((run.code, run.stdout.as_str()), (1, ""), "an empty auth would be cached for an hour: {run:?}");
        assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
        assert!(run.stderr.contains("names no image"), "{run:?}");
    }
    assert_eq!(ecr.calls(), 0);
}

#[test]
fn the_standard_irsa_annotation_is_accepted_and_the_ecr_one_wins_over_it() {
    let ecr = StandIn::start();
    let sandbox = Sandbox::new(&ecr.url());
    let irsa = "arn:aws:iam::123456789012:role/irsa";
    let pull = "arn:aws:iam::123456789012:role/ecr-pull";
    let token = "eyJhbGciOiJSUzI1NiJ9.service-account-token.signature";
    let annotated = |annotations: &str| {
        format!(
            r#"{{"apiVersion":"{V1}","kind":"CredentialProviderRequest","image":"{HOST}/a:1","serviceAccountToken":"{token}","serviceAccountAnnotations":{{{annotations}}}}}"#
        )
    };
    let only_irsa = annotated(&format!(r#""eks.amazonaws.com/role-arn":"{irsa}""#));
    provider(&sandbox, &only_irsa).assert_clean_success();
    let both =
        annotated(&format!(r#""eks.amazonaws.com/role-arn":"{irsa}","eks.amazonaws.com/ecr-role-arn":"{pull}""#));
    provider(&sandbox, &both).assert_clean_success();
    let roles: Vec<Option<String>> = ecr.sts_requests().into_iter().map(|r| r.role_arn).collect();
    assert_eq!(roles, [Some(irsa.to_string()), Some(pull.to_string())]);
}

/// A request for HOST from a pod with `token` (if any) and the annotations `annotations` (JSON
/// members, e.g. `"eks.amazonaws.com/role-arn":"…"`).
fn request_with(token: Option<&str>, annotations: &str) -> String {
    let token = token.map(|t| format!(r#""serviceAccountToken":"{t}","#)).unwrap_or_default();
    format!(
        r#"{{"apiVersion":"{V1}","kind":"CredentialProviderRequest","image":"{HOST}/a:1",{token}"serviceAccountAnnotations":{{{annotations}}}}}"#
    )
}

const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.service-account-token.signature";

/// The password of a successful answer to `input`, with nothing on stderr.
fn password(sandbox: &Sandbox, input: &str) -> String {
    let run = provider(sandbox, input);
    assert_eq!(run.stderr, "", "{run:?}");
    response(&run)["auth"][HOST]["password"].as_str().unwrap_or_else(|| panic!("{run:?}")).to_string()
}

/// The role `AWS_ECR_ROLE_ARN` names in these tests.
const VARIABLE_ROLE: &str = "arn:aws:iam::123456789012:role/from-variable";

/// No role was assumed: every token request was signed with the node's own keys.
fn assert_only_the_node_signed(ecr: &StandIn) {
    assert!(ecr.sts_requests().is_empty(), "{:?}", ecr.sts_requests());
    assert!(ecr.ecr_signers().iter().all(|key| key == "AKIDSANDBOX"), "{:?}", ecr.ecr_signers());
    assert!(!ecr.ecr_signers().is_empty());
}

#[test]
fn aws_ecr_role_arn_names_the_role_when_the_service_account_names_none() {
    let ecr = StandIn::start();
    let mut sandbox = Sandbox::new(&ecr.url());
    let role = VARIABLE_ROLE;
    sandbox.set("AWS_ECR_ROLE_ARN", role);
    assert_eq!(password(&sandbox, &request_with(Some(TOKEN), "")), "123456789012-token-1");
    let sts = ecr.sts_requests();
    assert_eq!(sts.len(), 1, "{sts:?}");
    assert_eq!(sts[0].target, "sts:AssumeRoleWithWebIdentity");
    assert_eq!((sts[0].role_arn.as_deref(), sts[0].web_identity_token.as_deref()), (Some(role), Some(TOKEN)));
    assert_eq!(ecr.ecr_signers(), [access_key_for_role(role)]);
}

#[test]
fn the_ecr_role_annotation_wins_over_aws_ecr_role_arn_which_wins_over_the_irsa_annotation() {
    let ecr = StandIn::start();
    let mut sandbox = Sandbox::new(&ecr.url());
    let variable = VARIABLE_ROLE;
    let annotated = "arn:aws:iam::123456789012:role/from-annotation";
    let irsa = "arn:aws:iam::123456789012:role/irsa";
    sandbox.set("AWS_ECR_ROLE_ARN", variable);
    let ecr_annotation = format!(r#""eks.amazonaws.com/ecr-role-arn":"{annotated}""#);
    provider(&sandbox, &request_with(Some(TOKEN), &ecr_annotation)).assert_clean_success();
    // cloud-provider-aws reads only the ECR annotation, then the variable; the IRSA annotation,
    // which it does not read, comes last so that a node configured as for it pulls as it does.
    let irsa_annotation = format!(r#""eks.amazonaws.com/role-arn":"{irsa}""#);
    provider(&sandbox, &request_with(Some(TOKEN), &irsa_annotation)).assert_clean_success();
    let roles: Vec<Option<String>> = ecr.sts_requests().into_iter().map(|r| r.role_arn).collect();
    assert_eq!(roles, [Some(annotated.to_string()), Some(variable.to_string())]);
}

#[test]
fn an_empty_ecr_role_annotation_pulls_as_the_node_despite_aws_ecr_role_arn() {
    let ecr = StandIn::start();
    let mut sandbox = Sandbox::new(&ecr.url());
    sandbox.set("AWS_ECR_ROLE_ARN", VARIABLE_ROLE);
    let empty = request_with(Some(TOKEN), r#""eks.amazonaws.com/ecr-role-arn":"""#);
    assert_eq!(password(&sandbox, &empty), "123456789012-token-1");
    assert_only_the_node_signed(&ecr);
}

#[test]
fn a_token_with_neither_annotation_nor_variable_pulls_as_the_node_and_so_does_the_variable_without_a_token() {
    let ecr = StandIn::start();
    let mut sandbox = Sandbox::new(&ecr.url());
    assert_eq!(password(&sandbox, &request_with(Some(TOKEN), "")), "123456789012-token-1");
    // The variable applies to a service account's token only: without one, the node pulls (from
    // the cache now), and no error names a role that nobody could assume.
    sandbox.set("AWS_ECR_ROLE_ARN", VARIABLE_ROLE);
    assert_eq!(password(&sandbox, &request(V1, &format!("{HOST}/a:1"))), "123456789012-token-1");
    assert_only_the_node_signed(&ecr);
}

#[test]
fn a_role_from_aws_ecr_role_arn_is_cached_per_role_and_shared_with_the_same_role_from_an_annotation() {
    let ecr = StandIn::start();
    let mut sandbox = Sandbox::new(&ecr.url());
    let role_a = "arn:aws:iam::123456789012:role/puller-a";
    let role_b = "arn:aws:iam::123456789012:role/puller-b";
    sandbox.set("AWS_ECR_ROLE_ARN", role_a);
    assert_eq!(password(&sandbox, &request_with(Some(TOKEN), "")), "123456789012-token-1");
    // Another pod's token for the same role: the role's entry, no new call.
    assert_eq!(password(&sandbox, &request_with(Some("another.pods.token"), "")), "123456789012-token-1");
    sandbox.set("AWS_ECR_ROLE_ARN", role_b);
    assert_eq!(password(&sandbox, &request_with(Some(TOKEN), "")), "123456789012-token-2");
    // Role A named by an annotation instead of the variable: the same identity, the same entry.
    let annotation = format!(r#""eks.amazonaws.com/ecr-role-arn":"{role_a}""#);
    assert_eq!(password(&sandbox, &request_with(Some(TOKEN), &annotation)), "123456789012-token-1");
    // And the node shares neither.
    assert_eq!(password(&sandbox, &request(V1, &format!("{HOST}/a:1"))), "123456789012-token-3");
    let roles: Vec<Option<String>> = ecr.sts_requests().into_iter().map(|r| r.role_arn).collect();
    assert_eq!(roles, [Some(role_a.to_string()), Some(role_b.to_string())]);
    assert_eq!(sandbox.cache_entries().len(), 3, "{:?}", sandbox.cache_entries());
}
