//! Helpers shared by the room, moderation, token and admin-room black-box tests: a
//! server in external LiveKit mode pointed at the fake, users, rooms and JWT decoding.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use bedrud_tests::fake_livekit::{Call, FakeLivekit, FakeParticipant};
use bedrud_tests::{Backend, Server};
use livekit_api::access_token::TokenVerifier;
use serde_json::{Value, json};

pub const KEY: &str = "APItestkey";
pub const SECRET: &str = "a-livekit-secret-that-is-long-enough-1234";
pub const PASSWORD: &str = "correct horse battery";

/// RoomService methods that change something in LiveKit.
pub const MUTATING: [&str; 6] = [
    "CreateRoom",
    "DeleteRoom",
    "RemoveParticipant",
    "MutePublishedTrack",
    "UpdateParticipant",
    "SendData",
];

/// Sends a request; (status, JSON body or `null`).
pub async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.json::<Value>().await.unwrap_or(Value::Null))
}

/// An answer with its headers of interest: status, JSON body (`null` if none), the
/// `Set-Cookie` lines and `Location`.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub set_cookies: Vec<String>,
    pub location: Option<String>,
}

impl Answer {
    /// `(status, error message)`, for one-line assertions.
    pub fn err(&self) -> (u16, Option<&str>) {
        (self.status, self.body["error"].as_str())
    }

    /// The `Set-Cookie` line of cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        let prefix = format!("{name}=");
        self.set_cookies
            .iter()
            .map(String::as_str)
            .find(|c| c.starts_with(&prefix))
    }

    /// Whether this answer expires cookie `name`.
    pub fn clears(&self, name: &str) -> bool {
        self.cookie(name)
            .is_some_and(|c| c.to_ascii_lowercase().contains("max-age=0"))
    }
}

/// Sends a request; the [`Answer`].
pub async fn call(req: reqwest::RequestBuilder) -> Answer {
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers();
    let set_cookies = headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect();
    let location = headers
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
    Answer {
        status,
        body,
        set_cookies,
        location,
    }
}

/// `(status, error message)` of an answer, for one-line assertions.
pub fn err(answer: &(u16, Value)) -> (u16, Option<&str>) {
    (answer.0, answer.1["error"].as_str())
}

/// The server environment: external LiveKit = the fake, limiters off.
pub fn env(lk: &FakeLivekit) -> Vec<(String, String)> {
    vec![
        ("BEDRUD_LIVEKIT__MODE".into(), "external".into()),
        ("BEDRUD_LIVEKIT__HOST".into(), lk.ws_url()),
        ("BEDRUD_LIVEKIT__INTERNAL_HOST".into(), lk.url()),
        ("BEDRUD_LIVEKIT__API_KEY".into(), KEY.into()),
        ("BEDRUD_LIVEKIT__API_SECRET".into(), SECRET.into()),
        ("BEDRUD_RATE_LIMIT__AUTH_MAX_REQUESTS".into(), "0".into()),
        ("BEDRUD_RATE_LIMIT__API_MAX_REQUESTS".into(), "0".into()),
        ("BEDRUD_RATE_LIMIT__GUEST_MAX_REQUESTS".into(), "0".into()),
    ]
}

/// Starts a server against the fake with extra `BEDRUD_…` variables.
pub fn start(backend: Backend, lk: &FakeLivekit, extra: &[(&str, &str)]) -> Server {
    let mut env = env(lk);
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Server::start(backend, &pairs).expect("start")
}

/// A signed-in account: its id and `Authorization` value.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub bearer: String,
    pub name: String,
}

fn user_of(body: &Value) -> User {
    User {
        id: body["user"]["id"].as_str().expect("id").to_string(),
        bearer: format!(
            "Bearer {}",
            body["tokens"]["accessToken"].as_str().expect("token")
        ),
        name: body["user"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    }
}

/// Registers a local user.
pub async fn register(s: &Server, email: &str, name: &str) -> User {
    let (status, body) = send(
        reqwest::Client::new()
            .post(s.url("/api/auth/register"))
            .json(&json!({"email": email, "password": PASSWORD, "name": name})),
    )
    .await;
    assert_eq!(status, 200, "register {email}: {body}");
    user_of(&body)
}

/// Signs in a new guest-login user (no password hashing: cheap).
pub async fn guest_login(s: &Server, name: &str) -> User {
    let (status, body) = send(
        reqwest::Client::new()
            .post(s.url("/api/auth/guest-login"))
            .json(&json!({"name": name})),
    )
    .await;
    assert_eq!(status, 200, "guest-login {name}: {body}");
    user_of(&body)
}

/// Registers a user, promotes it to superadmin with the CLI and signs in again.
pub async fn superadmin(s: &Server, email: &str) -> User {
    let first = register(s, email, "Super Admin").await;
    let (code, out, errs) = s
        .cli(&["user", "promote", "--email", email], None)
        .expect("cli");
    assert_eq!(code, 0, "promote: {out} {errs}");
    let (status, body) = send(
        reqwest::Client::new()
            .post(s.url("/api/auth/login"))
            .json(&json!({"email": email, "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, 200, "login {email}: {body}");
    let user = user_of(&body);
    assert_eq!(user.id, first.id);
    let accesses = body["user"]["accesses"].as_array().expect("accesses");
    assert!(accesses.contains(&json!("superadmin")), "{body}");
    user
}

/// POST with a bearer and a JSON body.
pub fn post(s: &Server, who: &User, path: &str, body: Value) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .post(s.url(path))
        .header("authorization", &who.bearer)
        .json(&body)
}

/// GET with a bearer.
pub fn get(s: &Server, who: &User, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .get(s.url(path))
        .header("authorization", &who.bearer)
}

/// Creates a room (200 expected) and returns it.
pub async fn create_room(s: &Server, owner: &User, body: Value) -> Value {
    let answer = send(post(s, owner, "/api/room/create", body)).await;
    assert_eq!(answer.0, 200, "create: {}", answer.1);
    answer.1
}

/// `POST /api/room/join`.
pub async fn join(s: &Server, who: &User, room: &str) -> (u16, Value) {
    send(post(s, who, "/api/room/join", json!({ "roomName": room }))).await
}

/// `POST /api/room/refresh-token`.
pub async fn refresh_token(s: &Server, who: &User, room: &str) -> (u16, Value) {
    send(post(
        s,
        who,
        "/api/room/refresh-token",
        json!({ "roomName": room }),
    ))
    .await
}

/// `POST /api/room/guest-join` from a fresh browser (new guest identity).
pub async fn guest_join(s: &Server, room: &str, guest: &str) -> (u16, Value) {
    send(
        reqwest::Client::new()
            .post(s.url("/api/room/guest-join"))
            .json(&json!({"roomName": room, "guestName": guest})),
    )
    .await
}

/// `GET /api/room/check/:name`.
pub async fn check(s: &Server, room: &str) -> (u16, Value) {
    send(reqwest::Client::new().get(s.url(&format!("/api/room/check/{room}")))).await
}

/// The payload of a JWT, undecoded and unverified.
pub fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .expect("b64");
    serde_json::from_slice(&bytes).expect("claims")
}

/// The `token` of an answer, decoded.
pub fn token_claims(answer: &(u16, Value)) -> Value {
    assert_eq!(answer.0, 200, "{}", answer.1);
    claims(answer.1["token"].as_str().expect("token"))
}

/// The server-set metadata of a LiveKit token's claims.
pub fn metadata(claims: &Value) -> Value {
    serde_json::from_str(claims["metadata"].as_str().expect("metadata")).expect("metadata json")
}

/// Connects `identity` to the fake room with an unmuted microphone and camera.
pub fn connect(lk: &FakeLivekit, room: &str, identity: &str) {
    lk.join(
        room,
        FakeParticipant::new(identity)
            .track("microphone", false)
            .track("camera", false),
    );
}

/// The mutating RoomService calls recorded so far.
pub fn mutating(lk: &FakeLivekit) -> Vec<Call> {
    lk.calls()
        .into_iter()
        .filter(|c| MUTATING.contains(&c.method.as_str()))
        .collect()
}

/// Polls `check` every 50 ms until it holds or `within` passes.
pub async fn eventually<F: FnMut() -> bool>(within: Duration, mut check: F) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if check() {
            return true;
        }
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------------------
// LiveKit join tokens (API §6.1, §3.9)

pub const ALL_SOURCES: [&str; 4] = ["microphone", "camera", "screen_share", "screen_share_audio"];

/// What a join token must say.
#[derive(Debug, Clone)]
pub struct Expect<'a> {
    pub identity: &'a str,
    pub name: &'a str,
    pub room: &'a str,
    pub can_publish: bool,
    pub sources: &'a [&'a str],
    pub can_publish_data: bool,
    /// The whole metadata; `Null` = only `roomRole` `admin` (admin tokens).
    pub metadata: Value,
    pub room_admin: bool,
    pub hidden: bool,
    pub ttl: u64,
}

pub fn flag(v: &Value) -> bool {
    v.as_bool().unwrap_or(false)
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Decodes the token by hand and with livekit-api's verifier and checks every claim.
pub fn assert_token(token: &str, e: &Expect<'_>) {
    let header = {
        use base64::Engine;
        let raw = token.split('.').next().expect("header");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .expect("b64");
        serde_json::from_slice::<Value>(&bytes).expect("header json")
    };
    assert_eq!(header["alg"], "HS256");
    let c = claims(token);
    let who = e.identity;
    assert_eq!(c["iss"], KEY, "{who}");
    assert_eq!(c["sub"], e.identity, "{who}");
    assert_eq!(c["name"], e.name, "{who}");
    let (exp, nbf) = (
        c["exp"].as_u64().expect("exp"),
        c["nbf"].as_u64().expect("nbf"),
    );
    assert!(
        exp - nbf >= e.ttl - 1 && exp - nbf <= e.ttl + 1,
        "{who}: ttl {}",
        exp - nbf
    );
    assert!(nbf <= now() + 2 && nbf + 60 >= now(), "{who}: nbf {nbf}");
    let v = &c["video"];
    assert_eq!(v["roomJoin"], true, "{who}");
    assert_eq!(v["room"], e.room, "{who}");
    assert_eq!(v["canSubscribe"], true, "{who}");
    assert_eq!(v["canPublish"], e.can_publish, "{who}: {v}");
    let sources: Vec<&str> = v["canPublishSources"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert_eq!(sources, e.sources, "{who}: {v}");
    assert_eq!(v["canPublishData"], e.can_publish_data, "{who}: {v}");
    assert_eq!(v["canUpdateOwnMetadata"], false, "{who}: {v}");
    assert_eq!(flag(&v["roomAdmin"]), e.room_admin, "{who}: {v}");
    assert_eq!(flag(&v["hidden"]), e.hidden, "{who}: {v}");
    for never in [
        "recorder",
        "roomCreate",
        "roomList",
        "roomRecord",
        "ingressAdmin",
        "agent",
    ] {
        assert!(!flag(&v[never]), "{who}: {never} in {v}");
    }
    if e.metadata.is_null() {
        assert_eq!(metadata(&c)["roomRole"], "admin", "{who}: admin tokens");
    } else {
        assert_eq!(metadata(&c), e.metadata, "{who}");
    }

    // The same through livekit-api, with the key and secret.
    let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
    let verified = TokenVerifier::with_api_key(KEY, SECRET)
        .verify(token)
        .expect("token verifies with the API key and secret");
    assert_eq!(verified.iss, KEY);
    assert_eq!(verified.sub, e.identity);
    assert_eq!(verified.name, e.name);
    assert_eq!((verified.exp - verified.nbf) as u64 / 10, e.ttl / 10);
    let g = &verified.video;
    assert!(g.room_join);
    assert_eq!(g.room, e.room);
    assert_eq!(g.can_subscribe, Some(true));
    assert_eq!(g.can_publish, Some(e.can_publish));
    assert_eq!(g.can_publish_data, Some(e.can_publish_data));
    assert_eq!(g.can_update_own_metadata, Some(false));
    assert_eq!(g.can_publish_sources, e.sources);
    assert_eq!(
        (g.room_admin, g.hidden, g.recorder),
        (e.room_admin, e.hidden, false)
    );
    assert!(
        TokenVerifier::with_api_key(KEY, "another-secret-that-is-long-enough-1234")
            .verify(token)
            .is_err(),
        "a wrong secret must not verify"
    );
    assert!(
        TokenVerifier::with_api_key("APIother", SECRET)
            .verify(token)
            .is_err(),
        "the issuer is the API key"
    );
}

pub fn meta(accesses: &[&str], role: &str, on_stage: bool) -> Value {
    json!({"accesses": accesses, "roomRole": role, "onStage": on_stage})
}
