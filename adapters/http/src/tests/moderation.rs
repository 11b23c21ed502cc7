//! Moderation (API §3.6) through the HTTP layer.

use poem::http::{Method, StatusCode};
use serde_json::json;

use super::*;

const ACTIONS: [&str; 8] = [
    "kick/{t}",
    "mute/{t}",
    "ban/{t}",
    "video/{t}/off",
    "promote/{t}",
    "demote/{t}",
    "stage/{t}/bring",
    "stage/{t}/remove",
];

fn url(room: &str, action: &str, target: &str) -> String {
    format!("/api/room/{room}/{}", action.replace("{t}", target))
}

#[tokio::test]
async fn guards_ids_and_the_permission_checks() {
    let (cli, world) = server(HttpConfig::default());
    let owner = bearer(&register(&cli, "owner@example.com").await.0);
    let room = create_room(&cli, &owner, json!({"name": "mod-room", "isPublic": true})).await;
    let id = room["id"].as_str().unwrap_or_default().to_owned();
    let owner_id = room["createdBy"].as_str().unwrap_or_default().to_owned();
    let target = world.add_user("t@example.com", vec![bedrud_ports::Access::User]);
    let guest = guest_login(&cli).await;

    for action in ACTIONS {
        let path = url(&id, action, &target);
        let (status, _, body) = read(cli.post(&path).send().await).await;
        assert_eq!(
            (status, body),
            (
                StatusCode::UNAUTHORIZED,
                error_body("Missing authorization")
            ),
            "{path}"
        );
        // Guests pass the guard (auth class "user") and meet the room's rules.
        let (status, _, body) = read(
            cli.post(&path)
                .header("Authorization", guest.clone())
                .send()
                .await,
        )
        .await;
        assert_eq!(
            (status, body),
            (
                StatusCode::FORBIDDEN,
                error_body("Insufficient permissions")
            ),
            "{path}"
        );
        for bad in ["not-a-uuid", "00000000-0000-4000-8000-000000000000"] {
            let (status, _, body) = read(
                cli.post(url(bad, action, &target))
                    .header("Authorization", owner.clone())
                    .send()
                    .await,
            )
            .await;
            assert_eq!(
                (status, body),
                (StatusCode::NOT_FOUND, error_body("Room not found")),
                "{action} {bad}"
            );
        }
        let (status, _, body) = read(
            cli.post(url(&id, action, &owner_id))
                .header("Authorization", owner.clone())
                .send()
                .await,
        )
        .await;
        assert_eq!(
            (status, body),
            (
                StatusCode::BAD_REQUEST,
                error_body("Cannot perform this action on yourself")
            ),
            "{action}"
        );
        // Only POST is mounted.
        let resp = cli
            .request(Method::GET, url(&id, action, &target))
            .send()
            .await;
        resp.assert_status(StatusCode::METHOD_NOT_ALLOWED);
    }
}

#[tokio::test]
async fn outcomes_and_ignored_bodies() {
    let (cli, world) = server(HttpConfig::default());
    let owner = bearer(&register(&cli, "owner@example.com").await.0);
    let room = create_room(&cli, &owner, json!({"name": "mod-room", "isPublic": true})).await;
    let id = room["id"].as_str().unwrap_or_default().to_owned();
    let target = world.add_user("t@example.com", vec![bedrud_ports::Access::User]);

    // Not connected: kick, mute and video off are 404.
    for action in ["kick/{t}", "mute/{t}", "video/{t}/off"] {
        let (status, _, body) = read(
            cli.post(url(&id, action, &target))
                .header("Authorization", owner.clone())
                .body_json(&json!({}))
                .send()
                .await,
        )
        .await;
        assert_eq!(
            (status, body),
            (StatusCode::NOT_FOUND, error_body("Participant not found")),
            "{action}"
        );
    }
    // Ban persists even for an absent target; the body is ignored, even garbage.
    let (status, _, body) = read(
        cli.post(url(&id, "ban/{t}", &target))
            .header("Authorization", owner.clone())
            .content_type("application/json")
            .body("{not json")
            .send()
            .await,
    )
    .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"status": "success"}))
    );
    assert!(
        world
            .rooms
            .participant(&id, &target)
            .is_some_and(|p| p.is_banned)
    );

    let other = world.add_user("m@example.com", vec![bedrud_ports::Access::User]);
    let other_auth = bearer(&login(&cli, "m@example.com").await.0);
    let resp = cli
        .post("/api/room/join")
        .header("Authorization", other_auth)
        .body_json(&json!({"roomName": "mod-room"}))
        .send()
        .await;
    resp.assert_status_is_ok();
    for (action, expected) in [
        ("promote/{t}", "success"),
        ("promote/{t}", "already_moderator"),
        ("demote/{t}", "success"),
        ("stage/{t}/bring", "success"),
        ("stage/{t}/remove", "success"),
    ] {
        let (status, _, body) = read(
            cli.post(url(&id, action, &other))
                .header("Authorization", owner.clone())
                .send()
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
        assert_eq!(body, json!({"status": expected}), "{action}");
    }
}
