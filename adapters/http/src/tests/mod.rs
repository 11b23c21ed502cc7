//! Tests of the whole endpoint (`app(...)`) with poem's `TestClient` over fakes.

mod admin;
mod auth_flow;
mod basics;
mod fakes;
mod guards;
mod spec;

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
