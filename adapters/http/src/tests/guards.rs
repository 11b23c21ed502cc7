//! Guard order and messages (API §2.6, §2.8), and the limiter after the guards.

use poem::http::StatusCode;
use poem::{EndpointExt, handler};
use serde_json::json;

use super::*;
use crate::auth::{Authenticate, GuardClass};
use crate::rate_limit::{Limited, LimiterKind};
use crate::{HttpState, RateLimit};

#[tokio::test]
async fn missing_invalid_and_cookie_only_mutation() {
    let (cli, _) = server(HttpConfig::default());
    let (status, _, body) = read(cli.get("/api/auth/me").send().await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, error_body("Missing authorization"));

    let (status, _, body) = read(
        cli.get("/api/auth/me")
            .header("Authorization", "Bearer nope")
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, error_body("Invalid token"));

    // Guards run before the body is read: no token + garbage body → 401, not 400.
    let (status, _, body) = read(
        cli.put("/api/auth/me")
            .content_type("application/json")
            .body("{garbage")
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, error_body("Missing authorization"));

    let (access, _) = register(&cli, "frank@example.com").await;
    let cookie = format!("access_token={access}");
    for req in [
        cli.put("/api/auth/me").body_json(&json!({"name":"Frank"})),
        cli.post("/api/auth/logout"),
        cli.put("/api/auth/password")
            .body_json(&json!({"newPassword":"xxxxxxxxxxxxxx"})),
    ] {
        let (status, _, body) = read(req.header("Cookie", cookie.clone()).send().await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            body,
            error_body("Authorization header required for state-changing requests")
        );
    }
    // A bad cookie token fails on the token check first.
    let (status, _, body) = read(
        cli.post("/api/auth/logout")
            .header("Cookie", "access_token=forged")
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, error_body("Invalid token"));
}

#[tokio::test]
async fn deactivated_user_is_403_before_the_session_check() {
    let (cli, world) = server(HttpConfig::default());
    let (access, _) = register(&cli, "gina@example.com").await;
    for u in world
        .users
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter_mut()
    {
        u.is_active = false;
    }
    let (status, _, body) = read(
        cli.get("/api/auth/me")
            .header("Authorization", bearer(&access))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, error_body("Account is deactivated"));
}

#[handler]
async fn ok() -> &'static str {
    "ok"
}

fn guarded_client(class: GuardClass, limit: RateLimit) -> (Client, World) {
    let world = World::new();
    let state = std::sync::Arc::new(HttpState {
        cookies: crate::auth::cookies::CookiePolicy::new(&HttpConfig::default()),
        limiters: crate::rate_limit::Limiters::new(limit, limit, limit),
        livekit: crate::livekit_host::LivekitHost::default(),
        guest_ids: crate::auth::guest_id::GuestIds::new(b"test"),
    });
    let ep = Authenticate::new(Limited::new(ok, LimiterKind::Api), class)
        .data(world.services.clone())
        .data(state);
    let ep = poem::Route::new().at("/x", ep).boxed();
    let ep = poem::endpoint::BoxEndpoint::from(ep);
    (TestClient::new(ep), world)
}

#[tokio::test]
async fn limiter_runs_after_the_guards() {
    let (cli, world) = guarded_client(GuardClass::User, RateLimit::new(1, 60));
    for _ in 0..3 {
        let resp = cli.get("/x").send().await;
        resp.assert_status(StatusCode::UNAUTHORIZED);
    }
    world.add_user("h@example.com", vec![bedrud_ports::Access::User]);
    let (access, _) = {
        let app_cli = TestClient::new(crate::app(world.services.clone(), HttpConfig::default()));
        login(&app_cli, "h@example.com").await
    };
    let resp = cli
        .get("/x")
        .header("Authorization", bearer(&access))
        .send()
        .await;
    resp.assert_status_is_ok();
    resp.assert_header("x-ratelimit-remaining", "0");
    let resp = cli
        .get("/x")
        .header("Authorization", bearer(&access))
        .send()
        .await;
    resp.assert_status(StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn class_checks_follow_the_session_check() {
    let (cli, world) = guarded_client(GuardClass::NoGuests, RateLimit::new(0, 60));
    let app_cli = TestClient::new(crate::app(world.services.clone(), HttpConfig::default()));
    let (status, _, body) = read(
        app_cli
            .post("/api/auth/guest-login")
            .body_json(&json!({"name":"Guesty"}))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (guest, _) = tokens_of(&body);
    let (status, _, body) = read(
        cli.get("/x")
            .header("Authorization", bearer(&guest))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, error_body("Guests cannot create or manage rooms"));
    // Mutation with a cookie-only token is refused before the guest check.
    let (status, _, body) = read(
        cli.post("/x")
            .header("Cookie", format!("access_token={guest}"))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        error_body("Authorization header required for state-changing requests")
    );
}
