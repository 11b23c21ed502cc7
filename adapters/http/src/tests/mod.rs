//! Tests of the whole endpoint (`app(...)`) with poem's `TestClient` over fakes.

mod admin;
mod admin_rooms;
mod auth_flow;
mod basics;
mod fakes;
mod flow_fakes;
mod guards;
mod metrics;
mod moderation;
mod oauth;
mod passkeys;
mod room_fakes;
mod rooms;
mod route_policy;
mod spec;
mod webhook;

use poem::endpoint::BoxEndpoint;
use poem::http::{HeaderMap, StatusCode};
use poem::test::{TestClient, TestResponse};
use serde_json::Value;

use crate::{HttpConfig, app};
use fakes::World;

type Client = TestClient<BoxEndpoint<'static>>;

/// A server over fresh fakes.
fn server(config: HttpConfig) -> (Client, World) {
    let world = World::new();
    let cli = TestClient::new(app(world.services.clone(), config));
    (cli, world)
}

/// Status, headers and JSON body (`Value::Null` when not JSON).
async fn read(resp: TestResponse) -> (StatusCode, HeaderMap, Value) {
    let status = resp.0.status();
    let headers = resp.0.headers().clone();
    let text = resp.0.into_body().into_string().await.unwrap_or_default();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

fn error_body(message: &str) -> Value {
    serde_json::json!({ "error": message })
}

/// Registers `email` and returns (access, refresh) tokens.
async fn register(cli: &Client, email: &str) -> (String, String) {
    let resp = cli
        .post("/api/auth/register")
        .body_json(&serde_json::json!({
            "email": email, "password": "password123456", "name": "Alice"
        }))
        .send()
        .await;
    let (status, _, body) = read(resp).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    tokens_of(&body)
}

/// Logs `email` in (password of `World::add_user`) and returns (access, refresh).
async fn login(cli: &Client, email: &str) -> (String, String) {
    let resp = cli
        .post("/api/auth/login")
        .body_json(&serde_json::json!({ "email": email, "password": "password123456" }))
        .send()
        .await;
    let (status, _, body) = read(resp).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    tokens_of(&body)
}

fn tokens_of(body: &Value) -> (String, String) {
    let t = &body["tokens"];
    (
        t["accessToken"].as_str().unwrap_or_default().to_owned(),
        t["refreshToken"].as_str().unwrap_or_default().to_owned(),
    )
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A server over fresh fakes built by `world`.
fn server_with(world: World, config: HttpConfig) -> (Client, World) {
    let cli = TestClient::new(app(world.services.clone(), config));
    (cli, world)
}

/// Signs in a guest (guest-login) and returns its `Authorization` value.
async fn guest_login(cli: &Client) -> String {
    let resp = cli
        .post("/api/auth/guest-login")
        .body_json(&serde_json::json!({ "name": "Guesty" }))
        .send()
        .await;
    let (status, _, body) = read(resp).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    bearer(&tokens_of(&body).0)
}

/// Creates a room as `auth` with `body`; returns the response body (asserting 200).
async fn create_room(cli: &Client, auth: &str, body: Value) -> Value {
    let resp = cli
        .post("/api/room/create")
        .header("Authorization", auth)
        .body_json(&body)
        .send()
        .await;
    let (status, _, body) = read(resp).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Waits (up to 3 s) until the media log has a call starting with `prefix`.
async fn media_call(world: &World, prefix: &str) -> Option<String> {
    for _ in 0..60 {
        if let Some(c) = room_fakes::calls(&world.media)
            .into_iter()
            .find(|c| c.starts_with(prefix))
        {
            return Some(c);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    None
}
