//! The LiveKit webhook (API §3.7) through the HTTP layer.

use bedrud_ports::{MockWebhookVerifier, WebhookError, WebhookEvent};
use poem::http::StatusCode;
use serde_json::json;

use super::*;
use crate::RateLimit;

const BODY: &str = r#"{"event":"room_started","room":{"name":"live-room"}}"#;

fn started(room: &str) -> WebhookEvent {
    WebhookEvent {
        event: "room_started".into(),
        room_name: Some(room.into()),
        participant_identity: None,
        participant_name: None,
        participant_hidden: false,
    }
}

/// A verifier answering by the `Authorization` value: `good`, `unsigned`, `garbage`.
fn verifier() -> MockWebhookVerifier {
    let mut m = MockWebhookVerifier::new();
    m.expect_verify().returning(|body, auth| match auth {
        "Bearer good" | "good" if body == BODY => Ok(started("live-room")),
        "Bearer good" | "good" => Err(WebhookError::BadPayload),
        _ => Err(WebhookError::BadSignature),
    });
    m
}

#[tokio::test]
async fn status_codes_per_verifier_outcome() {
    // Unconfigured: 503.
    let (cli, _) = server(HttpConfig::default());
    let (status, _, body) = read(
        cli.post("/api/livekit/webhook")
            .header("Authorization", "whatever")
            .content_type("application/webhook+json")
            .body(BODY)
            .send()
            .await,
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            error_body("LiveKit not configured")
        )
    );

    let (cli, world) = server_with(World::with_webhooks(verifier()), HttpConfig::default());
    for (auth, body, status, expected) in [
        (None, BODY, 401, error_body("invalid webhook signature")),
        (
            Some("Bearer forged"),
            BODY,
            401,
            error_body("invalid webhook signature"),
        ),
        (
            Some("Bearer good"),
            "not an event",
            400,
            error_body("Invalid webhook payload"),
        ),
        (Some("Bearer good"), BODY, 200, json!({"ok": true})),
        // Unknown rooms are acknowledged too.
        (Some("good"), BODY, 200, json!({"ok": true})),
    ] {
        let mut req = cli
            .post("/api/livekit/webhook")
            .content_type("application/webhook+json")
            .body(body);
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let (s, _, resp) = read(req.send().await).await;
        assert_eq!((s.as_u16(), resp), (status, expected), "{auth:?} {body}");
    }
    let _ = world;
}

#[tokio::test]
async fn events_are_applied_without_auth_or_limits() {
    let (cli, world) = server_with(
        World::with_webhooks(verifier()),
        HttpConfig {
            api_limit: RateLimit::new(1, 60),
            guest_limit: RateLimit::new(1, 60),
            auth_limit: RateLimit::new(1, 60),
            ..HttpConfig::default()
        },
    );
    world.add_user("o@example.com", vec![bedrud_ports::Access::User]);
    let owner = bearer(&login(&cli, "o@example.com").await.0);
    let room = create_room(&cli, &owner, json!({"name": "live-room"})).await;
    let id = room["id"].as_str().unwrap_or_default().to_owned();
    assert!(world.rooms.room(&id).is_some_and(|r| !r.is_live));
    for _ in 0..5 {
        let (status, headers, body) = read(
            cli.post("/api/livekit/webhook")
                .header("Authorization", "Bearer good")
                // Any content type: the signature covers the raw bytes.
                .content_type("text/plain")
                .body(BODY)
                .send()
                .await,
        )
        .await;
        assert_eq!((status, body), (StatusCode::OK, json!({"ok": true})));
        assert!(
            header(&headers, "x-ratelimit-limit").is_empty(),
            "no limiter"
        );
    }
    assert!(world.rooms.room(&id).is_some_and(|r| r.is_live));
}

#[tokio::test]
async fn non_utf8_bodies_never_pass_as_events() {
    let mut m = MockWebhookVerifier::new();
    m.expect_verify().returning(|_, _| Ok(started("x")));
    let (cli, _) = server_with(World::with_webhooks(m), HttpConfig::default());
    let (status, _, body) = read(
        cli.post("/api/livekit/webhook")
            .header("Authorization", "Bearer good")
            .body(vec![0xff_u8, 0xfe, b'{'])
            .send()
            .await,
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            error_body("Invalid webhook payload")
        )
    );
}
