//! A small ECR endpoint on 127.0.0.1 for tests, the demo and benchmarks: awsJson1.1 over HTTP/1.1
//! with keep-alive, answering `GetAuthorizationToken` for ECR (`AmazonEC2ContainerRegistry_V20150921`)
//! and ECR Public (`SpencerFrontendService`), plus the two STS actions the helper uses (awsQuery:
//! `AssumeRoleWithWebIdentity`, whose access key names the role, and `GetCallerIdentity`). It
//! counts calls, records each request's region, service, signing key, registry ids and role, and
//! can be told to answer with errors, expired tokens or delays.
//!
//! It also stands in for the credential sources of nodes and CI runners, each handing out keys
//! that name it (`access_key_for_source`), so that the ECR request's signer shows which source the
//! helper used: the EC2 instance metadata service (IMDSv2: `PUT /latest/api/token`, then the role
//! and its credentials under `/latest/meta-data/iam/security-credentials/`), the container
//! credentials endpoint of ECS, CodeBuild and EKS Pod Identity (`GET /container-credentials`, which
//! wants `Authorization`), and IAM Identity Center's portal (`GET /federation/credentials`, which
//! wants `x-amz-sso_bearer_token`).
//!
//! Passwords are `<account>-token-<n>` (ECR) and `public-token-<n>` (ECR Public), where `n` is the
//! call's number, so a test can tell a cached token from a fresh one. A token request without
//! `registryIds` is answered, as ECR answers it, with the caller's own registry: one entry for
//! [`DEFAULT_ACCOUNT`] in the request's region.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

const ECR_TARGET: &str = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken";
const PUBLIC_TARGET: &str = "SpencerFrontendService.GetAuthorizationToken";

/// The caller's own account, as a request without `registryIds` gets it: ECR answers the
/// caller's default registry, and moto answers this account.
pub const DEFAULT_ACCOUNT: &str = "123456789012";

/// How the stand-in answers token requests.
#[derive(Debug, Clone)]
pub enum Answer {
    /// A token that expires this many seconds from now (negative: already expired).
    Token { lifetime_secs: i64 },
    /// A 12-hour token whose proxy endpoint names this account instead of the requested one.
    OtherAccount { account: String },
    /// An AWS error: HTTP status, `__type` and message.
    Error { status: u16, kind: String, message: String },
    /// Anything else on the wire: HTTP status, content type and body as given (a load balancer's
    /// HTML page, a truncated answer).
    Raw { status: u16, content_type: String, body: String },
    /// A 12-hour token's answer, cut off half way through its body: the connection closes with
    /// the promised length unsent, as when a proxy or the network drops it mid-response.
    HangUp,
}

impl Answer {
    /// A token valid for ECR's usual 12 hours.
    pub fn twelve_hours() -> Answer {
        Answer::Token { lifetime_secs: 12 * 3600 }
    }

    /// An error answer.
    pub fn error(status: u16, kind: &str, message: &str) -> Answer {
        Answer::Error { status, kind: kind.to_string(), message: message.to_string() }
    }
}

/// One request the stand-in received.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `ecr` or `ecr-public`.
    pub target: String,
    /// The SigV4 region of the request.
    pub region: String,
    /// The SigV4 service name.
    pub service: String,
    /// The access key id that signed it.
    pub access_key: String,
    /// `registryIds` from the body.
    pub registry_ids: Vec<String>,
    /// `RoleArn` of an STS AssumeRoleWithWebIdentity.
    pub role_arn: Option<String>,
    /// `WebIdentityToken` of an STS AssumeRoleWithWebIdentity.
    pub web_identity_token: Option<String>,
    /// `SerialNumber` of an STS AssumeRole or GetSessionToken (the MFA device).
    pub serial_number: Option<String>,
    /// `TokenCode` of an STS AssumeRole or GetSessionToken (the MFA code).
    pub token_code: Option<String>,
    /// `ExternalId` of an STS AssumeRole.
    pub external_id: Option<String>,
    /// The bearer a credential source request carried: the IMDSv2 session token, the container
    /// endpoint's `Authorization`, or the SSO access token.
    pub bearer: Option<String>,
    /// How far the stand-in's clock was ahead of the real one when the request arrived.
    pub clock_offset: i64,
    /// The `User-Agent` header of an ECR, ECR Public or STS call.
    pub user_agent: Option<String>,
    /// The `x-amz-user-agent` header of an ECR, ECR Public or STS call.
    pub amz_user_agent: Option<String>,
}

struct State {
    answer: Answer,
    /// Whether AssumeRole and GetSessionToken are refused without an MFA code, as a trust policy
    /// with `aws:MultiFactorAuthPresent` refuses them.
    require_mfa: bool,
    /// Accounts whose token requests are refused with AccessDeniedException, whatever `answer` says.
    denied: Vec<String>,
    delay: Duration,
    /// Whether every ECR token carries the same password (`<account>-token-0`), so that a real
    /// registry set up with it keeps accepting the tokens a refresh brings.
    same_password: bool,
    /// Whether the credential sources answer 404 where their keys would be, as the metadata
    /// service does on an instance without a role (the IMDSv2 session token is still handed out).
    sources_without_keys: bool,
    /// Seconds added to the real clock for the tokens' expiry: the soak moves time forward for
    /// the helpers (libfaketime) and for the stand-in together.
    clock_offset: i64,
    requests: Vec<Request>,
}

/// A running stand-in; stops accepting when dropped.
pub struct StandIn {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    log: bool,
}

impl StandIn {
    /// Starts a stand-in on an ephemeral port of 127.0.0.1 answering 12-hour tokens.
    pub fn start() -> StandIn {
        StandIn::start_on(0, false)
    }

    /// Starts a stand-in on `port` of 127.0.0.1 (0: any); with `log`, one line per call on stderr.
    pub fn start_on(port: u16, log: bool) -> StandIn {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State {
            answer: Answer::twelve_hours(),
            require_mfa: false,
            denied: Vec::new(),
            delay: Duration::ZERO,
            same_password: false,
            sources_without_keys: false,
            clock_offset: 0,
            requests: Vec::new(),
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_state, thread_stop) = (state.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if thread_stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let state = thread_state.clone();
                std::thread::spawn(move || serve(stream, &state, log));
            }
        });
        StandIn { addr, state, stop, log }
    }

    /// `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Sets how the following requests are answered.
    pub fn answer(&self, answer: Answer) {
        self.state.lock().unwrap().answer = answer;
    }

    /// Refuses every following token request for `account` with AccessDeniedException, as ECR
    /// does for a principal without `ecr:GetAuthorizationToken` there.
    pub fn deny(&self, account: &str) {
        self.state.lock().unwrap().denied.push(account.to_string());
    }

    /// Refuses every following AssumeRole and GetSessionToken that carries no MFA code.
    pub fn require_mfa(&self) {
        self.state.lock().unwrap().require_mfa = true;
    }

    /// Delays every following answer.
    pub fn delay(&self, delay: Duration) {
        self.state.lock().unwrap().delay = delay;
    }

    /// Gives every following ECR token the password `<account>-token-0` (ECR Public's stays
    /// numbered): the end-to-end tests' registry accepts one password, and must go on accepting the
    /// token that replaces an expired one.
    pub fn same_password(&self) {
        self.state.lock().unwrap().same_password = true;
    }

    /// Makes every following credential source request answer 404 instead of keys.
    pub fn sources_without_keys(&self) {
        self.state.lock().unwrap().sources_without_keys = true;
    }

    /// Moves the stand-in's clock `seconds` ahead of the real one for the following tokens.
    pub fn set_clock_offset(&self, seconds: i64) {
        self.state.lock().unwrap().clock_offset = seconds;
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    /// How many ECR and ECR Public token requests arrived so far.
    pub fn calls(&self) -> usize {
        self.state.lock().unwrap().requests.iter().filter(|r| r.target.starts_with("ecr")).count()
    }

    /// The access keys that signed the ECR token requests so far, in order.
    pub fn ecr_signers(&self) -> Vec<String> {
        self.requests().into_iter().filter(|r| r.target == "ecr").map(|r| r.access_key).collect()
    }

    /// The credential source requests so far (`source:imds-token`, `source:imds`,
    /// `source:container`, `source:sso`).
    pub fn source_requests(&self) -> Vec<Request> {
        self.requests().into_iter().filter(|r| r.target.starts_with("source:")).collect()
    }

    /// The STS requests so far.
    pub fn sts_requests(&self) -> Vec<Request> {
        self.requests().into_iter().filter(|r| r.target.starts_with("sts:")).collect()
    }

    /// Whether calls are logged; for the example binary.
    pub fn logs(&self) -> bool {
        self.log
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

/// One HTTP request as read off the connection: the request line and headers, and the body.
struct Http {
    lines: Vec<String>,
    body: Vec<u8>,
}

impl Http {
    /// Reads one request; `None` when the peer hung up or sent something unreadable.
    fn read(reader: &mut impl BufRead) -> Option<Self> {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).ok()? == 0 {
                return None;
            }
            let line = line.trim_end().to_string();
            if line.is_empty() {
                break;
            }
            lines.push(line);
        }
        let mut http = Self { lines, body: Vec::new() };
        let length: usize = http.header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        http.body = vec![0; length];
        reader.read_exact(&mut http.body).ok()?;
        Some(http)
    }

    fn header(&self, name: &str) -> Option<String> {
        self.lines.iter().skip(1).find_map(|h| {
            let (k, v) = h.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }

    /// The ECR, ECR Public or STS call this is, from its target, form and signature.
    fn api_request(&self) -> Request {
        let target = self.header("x-amz-target").unwrap_or_default();
        let credential = self
            .header("authorization")
            .and_then(|a| a.split("Credential=").nth(1).map(|c| c.split(',').next().unwrap_or("").to_string()))
            .unwrap_or_default();
        let scope: Vec<&str> = credential.split('/').collect();
        let registry_ids: Vec<String> = serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| v.get("registryIds").cloned())
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default();
        let form = form_fields(&self.body);
        let action = form.iter().find(|(k, _)| k == "Action").map(|(_, v)| v.clone());
        let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        Request {
            target: match (target.as_str(), &action) {
                (ECR_TARGET, _) => "ecr".into(),
                (PUBLIC_TARGET, _) => "ecr-public".into(),
                (_, Some(action)) => format!("sts:{action}"),
                (other, None) => other.into(),
            },
            role_arn: field("RoleArn"),
            web_identity_token: field("WebIdentityToken"),
            serial_number: field("SerialNumber"),
            token_code: field("TokenCode"),
            external_id: field("ExternalId"),
            bearer: None,
            clock_offset: 0,
            region: scope.get(2).unwrap_or(&"").to_string(),
            service: scope.get(3).unwrap_or(&"").to_string(),
            access_key: scope.first().unwrap_or(&"").to_string(),
            registry_ids,
            user_agent: self.header("user-agent"),
            amz_user_agent: self.header("x-amz-user-agent"),
        }
    }
}

/// Records a credential source request and answers it: keys, or 404 once told
/// [`StandIn::sources_without_keys`].
fn answer_source(http: &Http, source: &str, path: &str, state: &Mutex<State>) -> String {
    let bearer = ["x-aws-ec2-metadata-token", "authorization", "x-amz-sso_bearer_token"]
        .iter()
        .find_map(|name| http.header(name));
    let without_keys = {
        let mut state = state.lock().unwrap();
        state.requests.push(Request { target: format!("source:{source}"), bearer, ..Request::default() });
        state.sources_without_keys
    };
    let (status, extra, body) = if without_keys && source != "imds-token" {
        (404, String::new(), String::new())
    } else {
        respond_source(source, path)
    };
    format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}\r\n{body}",
        if status == 200 { "OK" } else { "Error" },
        body.len()
    )
}

fn serve(stream: TcpStream, state: &Mutex<State>, log: bool) {
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    while let Some(http) = Http::read(&mut reader) {
        let header = |name: &str| http.header(name);
        let close = header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let mut request_line = http.lines.first().map(String::as_str).unwrap_or_default().split(' ');
        let (method, path) = (request_line.next().unwrap_or_default(), request_line.next().unwrap_or_default());
        if let Some(source) = credential_source(method, path) {
            let response = answer_source(&http, source, path, state);
            if writer.write_all(response.as_bytes()).is_err() || close {
                return;
            }
            continue;
        }
        let request = http.api_request();
        let (status, extra, body, hang_up) = {
            let mut state = state.lock().unwrap();
            let request = Request { clock_offset: state.clock_offset, ..request.clone() };
            state.requests.push(request.clone());
            // Token numbers count token requests only, not STS calls.
            let n = state.requests.iter().filter(|r| r.target.starts_with("ecr")).count();
            if log {
                eprintln!(
                    "stand-in: call {n}: {} GetAuthorizationToken, region {}, registryIds {:?}",
                    request.target, request.region, request.registry_ids
                );
            }
            let delay = state.delay;
            let hang_up = matches!(state.answer, Answer::HangUp) && !request.target.starts_with("sts:");
            let sessions = state.requests.iter().filter(|r| r.target == "sts:GetSessionToken").count();
            let answer = if request.target.starts_with("sts:") {
                respond_sts(&request, state.require_mfa, sessions)
            } else if accounts(&request).iter().any(|id| state.denied.contains(id)) {
                let message = format!(
                    "User: arn:aws:iam::{}:user/stand-in is not authorized to perform: ecr:GetAuthorizationToken \
                     on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action",
                    accounts(&request).join(",")
                );
                respond(&Answer::error(400, "AccessDeniedException", &message), &request, n)
            } else {
                respond(&state.answer, &request, if state.same_password { 0 } else { n })
            };
            drop(state);
            std::thread::sleep(delay);
            (answer.0, answer.1, answer.2, hang_up)
        };
        let content_type = if request.target.starts_with("sts:") { "text/xml" } else { "application/x-amz-json-1.1" };
        // A raw answer names its own content type in `extra`.
        let content_type = if extra.starts_with("Content-Type:") {
            String::new()
        } else {
            format!("Content-Type: {content_type}\r\n")
        };
        let response = format!(
            "HTTP/1.1 {status} {}\r\n{content_type}Content-Length: {}\r\n\
             x-amzn-RequestId: stand-in\r\n{extra}\r\n{body}",
            if status == 200 { "OK" } else { "Error" },
            body.len()
        );
        if hang_up {
            let _ = writer.write_all(&response.as_bytes()[..response.len() - body.len() / 2]);
            return;
        }
        if writer.write_all(response.as_bytes()).is_err() || close {
            return;
        }
    }
}

fn respond(answer: &Answer, request: &Request, n: usize) -> (u16, String, String) {
    match answer {
        Answer::Error { status, kind, message } => (
            *status,
            format!("x-amzn-ErrorType: {kind}\r\n"),
            serde_json::json!({ "__type": kind, "message": message }).to_string(),
        ),
        Answer::Raw { status, content_type, body } => {
            (*status, format!("Content-Type: {content_type}\r\n"), body.clone())
        }
        Answer::HangUp => respond(&Answer::twelve_hours(), request, n),
        Answer::OtherAccount { account } => {
            let mut body = respond(&Answer::twelve_hours(), request, n).2;
            for requested in &request.registry_ids {
                body = body.replace(&format!("https://{requested}."), &format!("https://{account}."));
            }
            (200, String::new(), body)
        }
        Answer::Token { lifetime_secs } => {
            let now =
                i64::try_from(SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs()).unwrap();
            let expires_at = now + request.clock_offset + lifetime_secs;
            let body = if request.target == "ecr-public" {
                let token = STANDARD.encode(format!("AWS:public-token-{n}"));
                serde_json::json!({ "authorizationData": { "authorizationToken": token, "expiresAt": expires_at } })
            } else {
                let entries: Vec<_> = accounts(request)
                    .iter()
                    .map(|account| {
                        serde_json::json!({
                            "authorizationToken": STANDARD.encode(format!("AWS:{account}-token-{n}")),
                            "expiresAt": expires_at,
                            "proxyEndpoint": format!("https://{account}.dkr.ecr.{}.amazonaws.com", request.region),
                        })
                    })
                    .collect();
                serde_json::json!({ "authorizationData": entries })
            };
            (200, String::new(), body.to_string())
        }
    }
}

/// The accounts an ECR token request is answered for: its `registryIds`, or with none the
/// caller's own ([`DEFAULT_ACCOUNT`]).
fn accounts(request: &Request) -> Vec<String> {
    if request.registry_ids.is_empty() { vec![DEFAULT_ACCOUNT.to_string()] } else { request.registry_ids.clone() }
}

/// The fields of an `application/x-www-form-urlencoded` body (awsQuery), percent-decoded.
fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    let decode = |text: &str| {
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                    out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    std::str::from_utf8(body)
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

/// The access key id the stand-in's STS hands out for a role: it names the role, so that the
/// ECR requests signed with it show which role made them.
pub fn access_key_for_role(role_arn: &str) -> String {
    let name = role_arn.rsplit('/').next().unwrap_or("");
    format!("ASIA{}", name.to_ascii_uppercase())
}

/// The access key id the stand-in's STS hands out for the `n`th GetSessionToken.
pub fn access_key_for_session(n: usize) -> String {
    format!("ASIASESSION{n}")
}

/// The one MFA code STS refuses, once `require_mfa` is on; every other six digits pass.
pub const WRONG_MFA_CODE: &str = "000000";

fn respond_sts(request: &Request, require_mfa: bool, sessions: usize) -> (u16, String, String) {
    const NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    let expiration = ecr_login::format_utc(now + 3600);
    let credentials = |key: &str| {
        format!(
            "<Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>stand-in-secret</SecretAccessKey>\
             <SessionToken>stand-in-session</SessionToken><Expiration>{expiration}</Expiration></Credentials>"
        )
    };
    let action = request.target.trim_start_matches("sts:");
    let mfa_missing = request.serial_number.is_none() || request.token_code.is_none();
    if require_mfa && mfa_missing && matches!(action, "AssumeRole" | "GetSessionToken") {
        let body = format!(
            "<ErrorResponse xmlns=\"{NS}\"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: \
             arn:aws:iam::123456789012:user/{} is not authorized to perform: sts:{action} (MultiFactorAuthPresent)\
             </Message></Error><RequestId>stand-in</RequestId></ErrorResponse>",
            request.access_key
        );
        return (403, String::new(), body);
    }
    // The code an authenticator did not show: STS's own answer to a wrong one-time code.
    if require_mfa && request.token_code.as_deref() == Some(WRONG_MFA_CODE) {
        let body = format!(
            "<ErrorResponse xmlns=\"{NS}\"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>\
             MultiFactorAuthentication failed with invalid MFA one time pass code. </Message></Error>\
             <RequestId>stand-in</RequestId></ErrorResponse>"
        );
        return (403, String::new(), body);
    }
    let role = request.role_arn.clone().unwrap_or_default();
    let result = match action {
        "AssumeRoleWithWebIdentity" | "AssumeRole" => format!(
            "{}<AssumedRoleUser><Arn>{role}/ecr-login</Arn><AssumedRoleId>AROA:ecr-login</AssumedRoleId>\
             </AssumedRoleUser>",
            credentials(&access_key_for_role(&role))
        ),
        "GetSessionToken" => credentials(&access_key_for_session(sessions)),
        _ => format!(
            "<Arn>arn:aws:iam::123456789012:user/{}</Arn><UserId>AIDASTANDIN</UserId><Account>123456789012</Account>",
            request.access_key
        ),
    };
    let body = format!(
        "<{action}Response xmlns=\"{NS}\"><{action}Result>{result}</{action}Result>\
         <ResponseMetadata><RequestId>stand-in</RequestId></ResponseMetadata></{action}Response>"
    );
    (200, String::new(), body)
}

/// The role name the metadata service reports for the instance.
pub const INSTANCE_ROLE: &str = "node-role";

/// The session token the metadata service hands out for `PUT /latest/api/token`.
pub const IMDS_SESSION_TOKEN: &str = "imds-session-token";

/// The access key id a credential source hands out: it names the source (`imds`, `container`,
/// `sso`), so that the ECR requests signed with it show where the keys came from.
pub fn access_key_for_source(source: &str) -> String {
    format!("ASIA{}", source.to_ascii_uppercase())
}

/// Which credential source a plain HTTP request is for, if any.
fn credential_source(method: &str, path: &str) -> Option<&'static str> {
    match method {
        "PUT" if path == "/latest/api/token" => Some("imds-token"),
        "GET" if path.starts_with("/latest/meta-data/iam/security-credentials") => Some("imds"),
        "GET" if path.starts_with("/container-credentials") => Some("container"),
        "GET" if path.starts_with("/federation/credentials") => Some("sso"),
        _ => None,
    }
}

/// The answer of a credential source: credentials that expire in an hour, named after it.
fn respond_source(source: &str, path: &str) -> (u16, String, String) {
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    let expiration = ecr_login::format_utc(now + 3600);
    let key = access_key_for_source(source);
    match source {
        // The SDK refuses a token answer without its lifetime header.
        "imds-token" => (200, "X-aws-ec2-metadata-token-ttl-seconds: 21600\r\n".into(), IMDS_SESSION_TOKEN.into()),
        // `.../security-credentials/` (and the `-extended` form) lists the role; with the role, its keys.
        "imds" if path.ends_with('/') => (200, String::new(), INSTANCE_ROLE.into()),
        "imds" => {
            let body = serde_json::json!({
                "Code": "Success", "Type": "AWS-HMAC", "LastUpdated": ecr_login::format_utc(now),
                "AccessKeyId": key, "SecretAccessKey": "imds-secret", "Token": "imds-session",
                "Expiration": expiration, "AccountId": "123456789012",
            });
            (200, String::new(), body.to_string())
        }
        "container" => {
            let body = serde_json::json!({
                "AccessKeyId": key, "SecretAccessKey": "container-secret", "Token": "container-session",
                "Expiration": expiration, "AccountId": "123456789012",
            });
            (200, String::new(), body.to_string())
        }
        _ => {
            let body = serde_json::json!({ "roleCredentials": {
                "accessKeyId": key, "secretAccessKey": "sso-secret", "sessionToken": "sso-session",
                "expiration": (now + 3600) * 1000,
            }});
            (200, String::new(), body.to_string())
        }
    }
}
