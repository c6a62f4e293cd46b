//! A loopback stand-in for AWS Sign-In's token endpoint, for `AWS_ENDPOINT_URL_SIGNIN`: the call
//! with which the AWS SDK refreshes an `aws login` session (`CreateOAuth2Token`, restJson1,
//! `POST /v1/token` with `{"clientId","grantType":"refresh_token","refreshToken"}` and a `DPoP`
//! proof header). It records every request, checks each proof as Sign-In would (an ES256 JWT whose
//! header carries the public key that signed it, over `POST` and the URL called), and answers new
//! credentials, a refusal in Sign-In's error shape, or a bare HTTP status.
//!
//! Used by the `aws login` tests (`aws_login.rs`); it stays apart from the ECR stand-in.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};

/// How the stand-in answers.
#[derive(Debug, Clone)]
pub enum Reply {
    /// New credentials with this access key id, valid `expires_in` seconds, and a new refresh token.
    Refresh { access_key_id: String, expires_in: u64 },
    /// Sign-In's refusal: `AccessDeniedException` with this OAuth2 error code (`TOKEN_EXPIRED`, …).
    Refuse { error: String },
    /// A bare status with a body that is not Sign-In's (a load balancer's 503).
    Status(u16),
}

/// The secret key, session token and refresh token of a refresh answer: fixed, so that a test
/// can look for them where they must not be.
pub const NEW_SECRET_KEY: &str = "signin-new-secret-key-must-not-leak";
pub const NEW_SESSION_TOKEN: &str = "signin-new-session-token-must-not-leak";
pub const NEW_REFRESH_TOKEN: &str = "signin-new-refresh-token-must-not-leak";

/// One request as the stand-in read it.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub method: String,
    pub path: String,
    /// The JSON body.
    pub body: serde_json::Value,
    /// The `DPoP` header's proof, checked: `Ok` with the proof's public key (SEC1, uncompressed),
    /// or what was wrong with it.
    pub proof: Result<Vec<u8>, String>,
    /// The `htu` claim of the proof: the URL the client meant to call.
    pub htu: Option<String>,
}

struct State {
    reply: Reply,
    requests: Vec<TokenRequest>,
}

/// A running stand-in.
pub struct SignIn {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl SignIn {
    /// Starts on an ephemeral port of 127.0.0.1, answering with `reply`. Connections are served
    /// one after another (a helper process keeps one open until it exits); the accepting thread
    /// ends with the test process.
    pub fn start(reply: Reply) -> SignIn {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State { reply, requests: Vec::new() }));
        let served = state.clone();
        std::thread::spawn(move || listener.incoming().flatten().for_each(|stream| serve(stream, &served)));
        SignIn { addr, state }
    }

    /// `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_SIGNIN`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<TokenRequest> {
        self.state.lock().unwrap().requests.clone()
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    while let Some((lines, body)) = read_request(&mut reader) {
        let mut request_line = lines.first().map(String::as_str).unwrap_or_default().split(' ');
        let (method, path) = (request_line.next().unwrap_or_default(), request_line.next().unwrap_or_default());
        let (proof, htu) = match header(&lines, "dpop") {
            Some(jwt) => check_proof(&jwt),
            None => (Err("no DPoP header".to_string()), None),
        };
        let request = TokenRequest {
            method: method.to_string(),
            path: path.to_string(),
            body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
            proof,
            htu,
        };
        let reply = {
            let mut state = state.lock().unwrap();
            state.requests.push(request);
            state.reply.clone()
        };
        let (status, extra, body) = answer(&reply);
        let response = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             x-amzn-RequestId: signin-stand-in\r\n{extra}\r\n{body}",
            if status == 200 { "OK" } else { "Error" },
            body.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// The request line and headers, and the body; `None` when the peer hung up.
fn read_request(reader: &mut impl BufRead) -> Option<(Vec<String>, Vec<u8>)> {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        if reader.read_until(b'\n', &mut head).ok()? == 0 {
            return None;
        }
    }
    let lines: Vec<String> = String::from_utf8_lossy(&head).lines().map(str::to_string).collect();
    let length = header(&lines, "content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((lines, body))
}

/// The value of header `name` (any case).
fn header(lines: &[String], name: &str) -> Option<String> {
    lines
        .iter()
        .skip(1)
        .filter_map(|h| h.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_string())
}

fn answer(reply: &Reply) -> (u16, String, String) {
    match reply {
        Reply::Refresh { access_key_id, expires_in } => {
            let body = serde_json::json!({
                "accessToken": {
                    "accessKeyId": access_key_id,
                    "secretAccessKey": NEW_SECRET_KEY,
                    "sessionToken": NEW_SESSION_TOKEN,
                },
                "tokenType": "aws_sigv4",
                "expiresIn": expires_in,
                "refreshToken": NEW_REFRESH_TOKEN,
            });
            (200, String::new(), body.to_string())
        }
        Reply::Refuse { error } => {
            let body = serde_json::json!({ "error": error, "message": "the session has ended" });
            (400, "x-amzn-ErrorType: AccessDeniedException\r\n".to_string(), body.to_string())
        }
        Reply::Status(status) => (*status, String::new(), "<html>unavailable</html>".to_string()),
    }
}

/// Checks a DPoP proof (RFC 9449) as Sign-In would: an ES256 JWT of type `dpop+jwt` for `POST`,
/// whose header's P-256 key verifies its signature. Answers that key and the `htu` claim.
fn check_proof(jwt: &str) -> (Result<Vec<u8>, String>, Option<String>) {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, payload, signature] = parts[..] else {
        return (Err(format!("{} parts, not 3", parts.len())), None);
    };
    let json =
        |part: &str| -> Option<serde_json::Value> { serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok() };
    let (Some(head), Some(claims)) = (json(header), json(payload)) else {
        return (Err("header or claims are not base64url JSON".into()), None);
    };
    let htu = claims["htu"].as_str().map(str::to_string);
    let checked = (|| {
        if head["typ"] != "dpop+jwt" || head["alg"] != "ES256" || head["jwk"]["crv"] != "P-256" {
            return Err(format!("header {head}"));
        }
        if claims["htm"] != "POST" || claims["jti"].as_str().is_none_or(str::is_empty) || !claims["iat"].is_u64() {
            return Err(format!("claims {claims}"));
        }
        let coordinate = |name: &str| URL_SAFE_NO_PAD.decode(head["jwk"][name].as_str().unwrap_or_default());
        let (x, y) = (coordinate("x").map_err(|e| e.to_string())?, coordinate("y").map_err(|e| e.to_string())?);
        let point = [&[4u8][..], &x, &y].concat();
        let key = VerifyingKey::from_sec1_bytes(&point).map_err(|e| format!("jwk: {e}"))?;
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|e| e.to_string())?;
        let signature = Signature::from_slice(&signature).map_err(|e| format!("signature: {e}"))?;
        key.verify(format!("{header}.{payload}").as_bytes(), &signature).map_err(|e| format!("verify: {e}"))?;
        Ok(point)
    })();
    (checked, htu)
}
