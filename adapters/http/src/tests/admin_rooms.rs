//! Admin rooms (API §3.9) through the HTTP layer.

use bedrud_ports::Access;
use poem::http::StatusCode;
use serde_json::json;

use super::*;

async fn setup() -> (Client, World, String, String) {
    let (cli, world) = server(HttpConfig {
        livekit_host: "http://lk.example.com".into(),
        ..HttpConfig::default()
    });
    world.add_user("root@example.com", vec![Access::Superadmin]);
    world.add_user("user@example.com", vec![Access::User]);
    let root = bearer(&login(&cli, "root@example.com").await.0);
    let user = bearer(&login(&cli, "user@example.com").await.0);
    (cli, world, root, user)
}

#[tokio::test]
async fn superadmin_only() {
    let (cli, _, _, user) = setup().await;
    let room = create_room(&cli, &user, json!({"name": "mine"})).await;
    let id = room["id"].as_str().unwrap_or_default();
    for (method, path) in [
        ("GET", "/api/admin/rooms".to_owned()),
        ("DELETE", format!("/api/admin/rooms/{id}")),
        ("POST", format!("/api/admin/rooms/{id}/token")),
    ] {
        let req = cli.request(method.parse().expect("method"), path.clone());
        let (status, _, body) = read(req.send().await).await;
        assert_eq!(
            (status, body),
            (
                StatusCode::UNAUTHORIZED,
                error_body("Missing authorization")
            ),
            "{path}"
        );
        let req = cli.request(method.parse().expect("method"), path.clone());
        let (status, _, body) = read(
            req.header("Authorization", user.clone())
                .body_json(&json!({}))
                .send()
                .await,
        )
        .await;
        assert_eq!(
            (status, body),
            (
                StatusCode::FORBIDDEN,
                error_body("Insufficient access rights")
            ),
            "{path}"
        );
    }
}

#[tokio::test]
async fn list_close_and_token() {
    let (cli, world, root, user) = setup().await;
    let room = create_room(&cli, &user, json!({"name": "big-room", "isPublic": true})).await;
    let id = room["id"].as_str().unwrap_or_default().to_owned();

    let (status, _, body) = read(
        cli.get("/api/admin/rooms?limit=500&status=active&createdBy=user")
            .header("Authorization", root.clone())
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (
            body["total"].clone(),
            body["page"].clone(),
            body["limit"].clone()
        ),
        (json!(1), json!(1), json!(50))
    );
    let item = &body["rooms"][0];
    assert_eq!(item["id"], id.as_str());
    assert_eq!(item["participantsCount"], 0);
    assert_eq!(item["ownerName"], "");
    assert!(item.get("deletedAt").is_none() && item["settings"].is_object());
    for (query, message) in [
        ("visibility=secret", "Invalid visibility: secret"),
        ("sort=size", "Invalid sort field"),
        ("occupancy=lots", "Invalid occupancy filter"),
    ] {
        let (status, _, body) = read(
            cli.get(format!("/api/admin/rooms?{query}"))
                .header("Authorization", root.clone())
                .send()
                .await,
        )
        .await;
        assert_eq!(
            (status, body),
            (StatusCode::BAD_REQUEST, error_body(message)),
            "{query}"
        );
    }

    // Token: order of checks, defaults, livekitHost.
    let token_url = format!("/api/admin/rooms/{id}/token");
    for (url, raw, status, message) in [
        (token_url.clone(), "{bad", 400, "Invalid request body"),
        (
            token_url.clone(),
            r#"{"duration": 0}"#,
            400,
            "duration must be between 1 and 86400 seconds",
        ),
        (
            "/api/admin/rooms/nope/token".to_owned(),
            r#"{"duration": 99999}"#,
            400,
            "duration must be between 1 and 86400 seconds",
        ),
        (
            "/api/admin/rooms/nope/token".to_owned(),
            "{}",
            404,
            "Room not found",
        ),
        (
            token_url.clone(),
            r#"{"userId": "00000000-0000-4000-8000-000000000000"}"#,
            404,
            "User not found",
        ),
    ] {
        let (s, _, body) = read(
            cli.post(&url)
                .header("Authorization", root.clone())
                .content_type("application/json")
                .body(raw)
                .send()
                .await,
        )
        .await;
        assert_eq!(
            (s.as_u16(), body),
            (status, error_body(message)),
            "{url} {raw}"
        );
    }
    let (status, _, body) = read(
        cli.post(&token_url)
            .header("Authorization", root.clone())
            .header("Origin", "https://meet.example.com")
            .body_json(&json!({"duration": 60}))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["livekitHost"], "https://lk.example.com");
    assert!(
        body["token"]
            .as_str()
            .is_some_and(|t| t.ends_with(".big-room"))
    );

    // Close: hard delete before the answer, teardown in the background.
    for bad in ["nope", "00000000-0000-4000-8000-000000000000"] {
        let (status, _, body) = read(
            cli.delete(format!("/api/admin/rooms/{bad}"))
                .header("Authorization", root.clone())
                .send()
                .await,
        )
        .await;
        assert_eq!(
            (status, body),
            (StatusCode::NOT_FOUND, error_body("Room not found"))
        );
    }
    let (status, _, body) = read(
        cli.delete(format!("/api/admin/rooms/{id}"))
            .header("Authorization", root.clone())
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(body, json!({"message": "Room close queued"}));
    assert!(world.rooms.room(&id).is_none());
    let sent = media_call(&world, "send_data big-room system")
        .await
        .unwrap_or_default();
    assert!(sent.contains(r#""event":"room_closed""#), "{sent}");
    assert_eq!(
        media_call(&world, "delete_room").await.as_deref(),
        Some("delete_room big-room")
    );
}
