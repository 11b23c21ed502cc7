//! A fake identity provider speaking real HTTP on 127.0.0.1: OIDC discovery, JWKS,
//! authorisation (code + PKCE S256), token endpoint with signed RS256 ID tokens, userinfo,
//! and GitHub- and X-style profile endpoints. Tests steer it through [`Tweak`].
//!
//! Used by the OAuth adapter's tests (`adapters/security`) and the black-box OAuth tests.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "bedrud-client";
pub const CLIENT_SECRET: &str = "s3cret-value";
pub const REDIRECT: &str = "https://meet.example.org/api/auth/idp/callback";
const KID: &str = "k1";
const IDP_KEY: &str = include_str!("fake_idp/testdata/idp_rsa.pem");
const IDP_N: &str = include_str!("fake_idp/testdata/idp_rsa.n");
const OTHER_KEY: &str = include_str!("fake_idp/testdata/other_rsa.pem");

/// How the next ID token (or token response) deviates from a correct one.
#[derive(Debug, Clone, Default)]
pub struct Tweak {
    pub nonce: Option<String>,
    pub aud: Option<Value>,
    pub azp: Option<String>,
    pub iss: Option<String>,
    /// Seconds from now to `exp` (default 300).
    pub exp_in: Option<i64>,
    /// Sign with a key that is not in the JWKS (same `kid`).
    pub foreign_key: bool,
    /// Sign with HS256 and the client secret.
    pub hs256: bool,
    /// Use this `kid` (and serve the key under it too).
    pub kid: Option<String>,
    pub no_id_token: bool,
    /// Leave email and name out of the ID token (userinfo has them).
    pub lean: bool,
}

/// The account the fake signs in.
#[derive(Debug, Clone)]
pub struct Account {
    pub sub: String,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
    pub picture: String,
}

impl Default for Account {
    fn default() -> Self {
        Account {
            sub: "user-42".into(),
            email: "alice@example.org".into(),
            email_verified: true,
            name: "Alice Liddell".into(),
            picture: "https://img.example.org/alice.png".into(),
        }
    }
}

#[derive(Debug)]
struct Grant {
    challenge: String,
    nonce: Option<String>,
    redirect_uri: String,
}

#[derive(Default)]
struct State {
    base: String,
    grants: HashMap<String, Grant>,
    next_code: u32,
    pub tweak: Tweak,
    pub account: Account,
    /// GitHub `/user/emails` answer.
    pub github_emails: Value,
    /// How each token request authenticated: `basic` or `post`.
    pub token_auth: Vec<String>,
    pub jwks_fetches: u32,
    pub discovery_issuer: Option<String>,
}

/// A running fake provider; stops when dropped.
pub struct FakeIdp {
    pub base: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeIdp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeIdp {
    /// Starts the provider on a free loopback port.
    pub async fn start() -> FakeIdp {
        let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let state = Arc::new(Mutex::new(State {
            base: base.clone(),
            github_emails: json!([
                {"email": "old@example.org", "primary": false, "verified": true},
                {"email": "alice@example.org", "primary": true, "verified": true}
            ]),
            ..State::default()
        }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(state.clone(), req));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        FakeIdp { base, state, task }
    }

    /// Changes the next tokens.
    pub fn tweak(&self, tweak: Tweak) {
        self.state.lock().expect("lock").tweak = tweak;
    }

    /// Changes the signed-in account.
    pub fn account(&self, account: Account) {
        self.state.lock().expect("lock").account = account;
    }

    /// Changes GitHub's `/user/emails` answer.
    pub fn github_emails(&self, emails: Value) {
        self.state.lock().expect("lock").github_emails = emails;
    }

    /// Makes discovery name another issuer.
    pub fn discovery_issuer(&self, issuer: &str) {
        self.state.lock().expect("lock").discovery_issuer = Some(issuer.to_owned());
    }

    /// How the token requests so far authenticated.
    pub fn token_auth(&self) -> Vec<String> {
        self.state.lock().expect("lock").token_auth.clone()
    }

    /// How often the JWKS was fetched.
    pub fn jwks_fetches(&self) -> u32 {
        self.state.lock().expect("lock").jwks_fetches
    }
}

type Reply = Response<Full<Bytes>>;

fn reply(status: StatusCode, body: Value) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

fn redirect(location: &str) -> Reply {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::FOUND;
    if let Ok(value) = hyper::header::HeaderValue::from_str(location) {
        response
            .headers_mut()
            .insert(hyper::header::LOCATION, value);
    }
    response
}

fn form(bytes: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

fn bearer(req: &Request<Incoming>) -> Option<String> {
    req.headers()
        .get(hyper::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::to_owned)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn handle(state: Arc<Mutex<State>>, req: Request<Incoming>) -> Result<Reply, Infallible> {
    let path = req.uri().path().to_owned();
    let query = form(req.uri().query().unwrap_or_default().as_bytes());
    let authorization = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let token = bearer(&req);
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut s = state.lock().expect("lock");
    let reply = match path.as_str() {
        "/.well-known/openid-configuration" => {
            let base = s.base.clone();
            let issuer = s.discovery_issuer.clone().unwrap_or_else(|| base.clone());
            reply(
                StatusCode::OK,
                json!({
                    "issuer": issuer,
                    "authorization_endpoint": format!("{base}/authorize"),
                    "token_endpoint": format!("{base}/token"),
                    "jwks_uri": format!("{base}/jwks"),
                    "userinfo_endpoint": format!("{base}/userinfo"),
                    "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                    "id_token_signing_alg_values_supported": ["RS256"]
                }),
            )
        }
        "/jwks" => {
            s.jwks_fetches += 1;
            let kid = s.tweak.kid.clone().unwrap_or_else(|| KID.to_owned());
            reply(
                StatusCode::OK,
                json!({"keys": [
                    // Keys a real issuer may publish next to its signing key.
                    {"kty": "RSA", "use": "enc", "alg": "RSA-OAEP", "kid": "enc-1",
                     "n": IDP_N.trim(), "e": "AQAB"},
                    {"kty": "OKP", "crv": "X448", "kid": "exotic", "x": "AAAA"},
                    {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
                     "n": IDP_N.trim(), "e": "AQAB"}
                ]}),
            )
        }
        "/authorize" => authorize(&mut s, &query),
        "/token" => token_endpoint(&mut s, authorization.as_deref(), &form(&body)),
        "/userinfo" | "/user" | "/user/emails" | "/2/users/me" => {
            if token.as_deref().is_none_or(|t| !t.starts_with("at-")) {
                reply(StatusCode::UNAUTHORIZED, json!({"error": "invalid_token"}))
            } else {
                let a = s.account.clone();
                match path.as_str() {
                    "/userinfo" => reply(
                        StatusCode::OK,
                        json!({"sub": a.sub, "email": a.email, "email_verified": a.email_verified,
                               "name": a.name, "picture": a.picture}),
                    ),
                    "/user" => reply(
                        StatusCode::OK,
                        json!({"id": 583231, "login": "octocat", "name": a.name,
                               "avatar_url": a.picture}),
                    ),
                    "/user/emails" => reply(StatusCode::OK, s.github_emails.clone()),
                    _ => reply(
                        StatusCode::OK,
                        json!({"data": {"id": "2244994945", "name": "", "username": "XDevelopers",
                                        "profile_image_url": a.picture}}),
                    ),
                }
            }
        }
        _ => reply(StatusCode::NOT_FOUND, json!({"error": "not found"})),
    };
    Ok(reply)
}

/// `/authorize`: checks the request and answers 302 to the redirect URI with a code.
fn authorize(s: &mut State, q: &HashMap<String, String>) -> Reply {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    if get("response_type") != "code"
        || get("client_id") != CLIENT_ID
        || get("code_challenge_method") != "S256"
        || get("code_challenge").len() != 43
        || get("state").is_empty()
    {
        return reply(StatusCode::BAD_REQUEST, json!({"error": "invalid_request"}));
    }
    s.next_code += 1;
    let code = format!("code-{}", s.next_code);
    s.grants.insert(
        code.clone(),
        Grant {
            challenge: get("code_challenge"),
            nonce: q.get("nonce").cloned(),
            redirect_uri: get("redirect_uri"),
        },
    );
    let location = format!(
        "{}?code={code}&state={}",
        get("redirect_uri"),
        url::form_urlencoded::byte_serialize(get("state").as_bytes()).collect::<String>()
    );
    redirect(&location)
}

/// `/token`: client authentication, single-use code, redirect URI and PKCE checks.
fn token_endpoint(
    s: &mut State,
    authorization: Option<&str>,
    f: &HashMap<String, String>,
) -> Reply {
    let invalid = |error: &str| reply(StatusCode::BAD_REQUEST, json!({"error": error}));
    let basic = authorization
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let (client_id, secret, how) = match basic {
        Some(pair) => {
            let (id, secret) = pair.split_once(':').unwrap_or_default();
            (id.to_owned(), secret.to_owned(), "basic")
        }
        None => (
            f.get("client_id").cloned().unwrap_or_default(),
            f.get("client_secret").cloned().unwrap_or_default(),
            "post",
        ),
    };
    s.token_auth.push(how.to_owned());
    if client_id != CLIENT_ID || secret != CLIENT_SECRET {
        return reply(StatusCode::UNAUTHORIZED, json!({"error": "invalid_client"}));
    }
    if f.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return invalid("unsupported_grant_type");
    }
    let Some(grant) = f.get("code").and_then(|c| s.grants.remove(c)) else {
        return invalid("invalid_grant");
    };
    let verifier = f.get("code_verifier").cloned().unwrap_or_default();
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.challenge
        || f.get("redirect_uri") != Some(&grant.redirect_uri)
    {
        return invalid("invalid_grant");
    }
    let code = f.get("code").cloned().unwrap_or_default();
    let mut body = json!({
        "access_token": format!("at-{code}"),
        "token_type": "Bearer",
        "expires_in": 3600,
        "scope": "openid email profile"
    });
    if !s.tweak.no_id_token {
        body["id_token"] = json!(id_token(s, grant.nonce));
    }
    reply(StatusCode::OK, body)
}

/// A signed ID token for the current account, as tweaked.
fn id_token(s: &State, nonce: Option<String>) -> String {
    let t = &s.tweak;
    let a = &s.account;
    let mut claims = json!({
        "iss": t.iss.clone().unwrap_or_else(|| s.base.clone()),
        "sub": a.sub,
        "aud": t.aud.clone().unwrap_or_else(|| json!(CLIENT_ID)),
        "iat": now(),
        "exp": now() + t.exp_in.unwrap_or(300),
    });
    if let Some(nonce) = t.nonce.clone().or(nonce) {
        claims["nonce"] = json!(nonce);
    }
    if let Some(azp) = &t.azp {
        claims["azp"] = json!(azp);
    }
    if !t.lean {
        claims["email"] = json!(a.email);
        claims["email_verified"] = json!(a.email_verified);
        claims["name"] = json!(a.name);
        claims["picture"] = json!(a.picture);
    }
    let kid = t.kid.clone().unwrap_or_else(|| KID.to_owned());
    if t.hs256 {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(kid);
        return jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_secret(CLIENT_SECRET.as_bytes()),
        )
        .expect("sign HS256");
    }
    let pem = if t.foreign_key { OTHER_KEY } else { IDP_KEY };
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid);
    let key = EncodingKey::from_rsa_der(&pem_der(pem));
    jsonwebtoken::encode(&header, &claims, &key).expect("sign RS256")
}

/// The DER bytes of a PEM block (PKCS#1 `RSA PRIVATE KEY`).
fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    STANDARD.decode(body.trim()).expect("PEM body is base64")
}
