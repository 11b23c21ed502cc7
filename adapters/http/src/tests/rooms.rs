//! Rooms (API §3.5) through the HTTP layer: guards, limiters, bodies, the guest-id
//! cookie, livekitHost and the background teardown.

use poem::http::StatusCode;
use serde_json::json;

use super::*;
use crate::RateLimit;

/// A user's `Authorization` value.
async fn member(cli: &Client, email: &str) -> String {
    bearer(&register(cli, email).await.0)
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    k.sort_unstable();
    k
}

#[tokio::test]
async fn create_is_for_members_behind_the_api_limiter() {
    let (cli, _) = server(HttpConfig {
        api_limit: RateLimit::new(3, 60),
        ..HttpConfig::default()
    });
    // Guards run first: refused callers do not use up the window.
    for _ in 0..3 {
        let (status, _, body) = read(cli.post("/api/room/create").send().await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body, error_body("Missing authorization"));
    }
    let guest = guest_login(&cli).await;
    let (status, _, body) = read(
        cli.post("/api/room/create")
            .header("Authorization", guest)
            .body_json(&json!({}))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, error_body("Guests cannot create or manage rooms"));

    let auth = member(&cli, "owner@example.com").await;
    let resp = cli
        .post("/api/room/create")
        .header("Authorization", auth.clone())
        .body_json(&json!({"name": " Team-Sync ", "settings": {"allowChat": false}}))
        .send()
        .await;
    let (status, headers, room) = read(resp).await;
    assert_eq!(status, StatusCode::OK, "{room}");
    assert_eq!(header(&headers, "x-ratelimit-limit"), "3");
    assert_eq!(header(&headers, "x-ratelimit-remaining"), "2");
    assert_eq!(room["name"], "team-sync");
    assert_eq!(room["livekitHost"], "");
    assert_eq!(room["mode"], "standard");
    assert_eq!(room["isActive"], true);
    assert_eq!(room["isPublic"], false);
    assert_eq!(room["maxParticipants"], 0);
    assert_eq!(
        room["settings"],
        json!({"allowChat": false, "allowVideo": true, "allowAudio": true,
               "requireApproval": false, "e2ee": false, "isPersistent": false,
               "recordingsAllowed": false}),
        "missing keys take the defaults"
    );
    assert_eq!(
        keys(&room),
        [
            "adminId",
            "createdAt",
            "createdBy",
            "expiresAt",
            "id",
            "isActive",
            "isPublic",
            "lastActivityAt",
            "livekitHost",
            "maxParticipants",
            "mode",
            "name",
            "settings",
            "updatedAt"
        ],
        "deletedAt is omitted while not archived"
    );
    assert!(room["createdAt"].as_str().is_some_and(|t| t.ends_with('Z')));

    // Body errors: the default message; domain rules: their own.
    for (body, message) in [
        ("{bad", "Invalid request body"),
        (r#"{"name": 5}"#, "Invalid request body"),
    ] {
        let (status, _, resp) = read(
            cli.post("/api/room/create")
                .header("Authorization", auth.clone())
                .content_type("application/json")
                .body(body)
                .send()
                .await,
        )
        .await;
        assert_eq!(
            (status, resp),
            (StatusCode::BAD_REQUEST, error_body(message)),
            "{body}"
        );
    }
    let (status, headers, body) = read(
        cli.post("/api/room/create")
            .header("Authorization", auth.clone())
            .body_json(&json!({}))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body, error_body("too many requests"));
    assert!(!header(&headers, "retry-after").is_empty());
}

#[tokio::test]
async fn create_validation_and_best_effort_media() {
    let (cli, world) = server_with(World::with_failing_media(), HttpConfig::default());
    let auth = member(&cli, "a@example.com").await;
    // LiveKit failing does not fail the create (best effort, logged).
    let room = create_room(
        &cli,
        &auth,
        json!({"name": "abc-def", "maxParticipants": 5}),
    )
    .await;
    assert_eq!(room["maxParticipants"], 5);
    assert_eq!(
        media_call(&world, "create_room").await.as_deref(),
        Some("create_room abc-def 5")
    );
    for (body, status, message) in [
        (
            json!({"name": "ab"}),
            400,
            "room name must be at least 3 characters",
        ),
        (
            json!({"name": "a b c"}),
            400,
            "room name must contain only lowercase letters, numbers, and hyphens",
        ),
        (json!({"mode": "party"}), 400, "Invalid room mode"),
        (
            json!({"maxParticipants": 5000}),
            400,
            "maxParticipants must be at most 1000",
        ),
        (
            json!({"name": "abc-def"}),
            409,
            "a room with this name already exists",
        ),
    ] {
        let (s, _, resp) = read(
            cli.post("/api/room/create")
                .header("Authorization", auth.clone())
                .body_json(&body)
                .send()
                .await,
        )
        .await;
        assert_eq!((s.as_u16(), resp), (status, error_body(message)), "{body}");
    }
    let generated = create_room(&cli, &auth, json!({"name": ""})).await;
    let name = generated["name"].as_str().unwrap_or_default();
    assert_eq!(name.len(), 12, "{name}");
}

#[tokio::test]
async fn livekit_host_follows_the_scheme_rule() {
    let (cli, _) = server(HttpConfig {
        livekit_host: "ws://lk.example.com:7880".into(),
        ..HttpConfig::default()
    });
    let auth = member(&cli, "lk@example.com").await;
    let room = create_room(&cli, &auth, json!({"isPublic": true})).await;
    assert_eq!(room["livekitHost"], "ws://lk.example.com:7880");
    let name = room["name"].as_str().unwrap_or_default().to_owned();
    for (origin_header, value, expected) in [
        (
            "Origin",
            "https://meet.example.com",
            "wss://lk.example.com:7880",
        ),
        (
            "Referer",
            "https://meet.example.com/r/x",
            "wss://lk.example.com:7880",
        ),
        (
            "Origin",
            "http://meet.example.com",
            "ws://lk.example.com:7880",
        ),
    ] {
        let (status, _, body) = read(
            cli.post("/api/room/join")
                .header("Authorization", auth.clone())
                .header(origin_header, value)
                .body_json(&json!({"roomName": name}))
                .send()
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["livekitHost"], expected, "{origin_header}: {value}");
    }

    let (cli, _) = server(HttpConfig {
        livekit_embedded: true,
        enable_tls: true,
        ..HttpConfig::default()
    });
    let auth = member(&cli, "lk@example.com").await;
    let resp = cli
        .post("/api/room/create")
        .header("Authorization", auth)
        .header("Host", "meet.example.com")
        .body_json(&json!({}))
        .send()
        .await;
    let (status, _, body) = read(resp).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["livekitHost"], "wss://meet.example.com/livekit",
        "embedded, no host, TLS"
    );
}

#[tokio::test]
async fn join_answers_guards_bodies_and_archived_owned() {
    let (cli, _) = server(HttpConfig::default());
    let owner = member(&cli, "o@example.com").await;
    let room = create_room(&cli, &owner, json!({"name": "daily", "isPublic": true})).await;
    let (status, _, body) = read(cli.post("/api/room/join").send().await).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            error_body("Missing authorization")
        )
    );

    // Guests may join (auth class "user").
    let guest = guest_login(&cli).await;
    let (status, _, body) = read(
        cli.post("/api/room/join")
            .header("Authorization", guest)
            .body_json(&json!({"roomName": " DAILY "}))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        keys(&body),
        [
            "activeRecordingId",
            "adminId",
            "createdBy",
            "expiresAt",
            "id",
            "isActive",
            "isPublic",
            "livekitHost",
            "maxParticipants",
            "mode",
            "name",
            "settings",
            "token"
        ]
    );
    assert_eq!(body["id"], room["id"]);
    assert!(body["token"].as_str().is_some_and(|t| t.starts_with("lk.")));
    assert_eq!(body["activeRecordingId"], "");

    for (raw, status, message) in [
        ("{nope", 400, "Invalid body"),
        (r#"{"roomName": 1}"#, 400, "Invalid body"),
        (r#"{"roomName": "missing"}"#, 404, "Room not found"),
        ("{}", 404, "Room not found"),
    ] {
        let (s, _, resp) = read(
            cli.post("/api/room/join")
                .header("Authorization", owner.clone())
                .content_type("application/json")
                .body(raw)
                .send()
                .await,
        )
        .await;
        assert_eq!((s.as_u16(), resp), (status, error_body(message)), "{raw}");
    }

    // After delete, the creator is offered re-creation; others get 410.
    let id = room["id"].as_str().unwrap_or_default();
    let resp = cli
        .delete(format!("/api/room/{id}"))
        .header("Authorization", owner.clone())
        .send()
        .await;
    resp.assert_status(StatusCode::ACCEPTED);
    let (status, _, body) = read(
        cli.post("/api/room/join")
            .header("Authorization", owner.clone())
            .body_json(&json!({"roomName": "daily"}))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "archived_owned");
    assert_eq!(keys(&body), ["mode", "name", "settings", "status"]);
    let other = member(&cli, "x@example.com").await;
    let (status, _, body) = read(
        cli.post("/api/room/join")
            .header("Authorization", other)
            .body_json(&json!({"roomName": "daily"}))
            .send()
            .await,
    )
    .await;
    assert_eq!(
        (status, body),
        (StatusCode::GONE, error_body("room is no longer active"))
    );
}

fn set_cookie_values(headers: &poem::http::HeaderMap) -> Vec<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

/// The identity a `lk.<identity>.<room>` test token was minted for.
fn token_identity(body: &Value) -> String {
    body["token"]
        .as_str()
        .and_then(|t| t.strip_prefix("lk."))
        .and_then(|t| t.split('.').next())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn guest_id_cookie_is_minted_reused_and_forgeries_replaced() {
    let secret = b"0123456789abcdef0123456789abcdef".to_vec();
    let (cli, world) = server(HttpConfig {
        session_secret: secret.clone(),
        guest_limit: RateLimit::new(0, 60),
        ..HttpConfig::default()
    });
    let owner = member(&cli, "host@example.com").await;
    create_room(&cli, &owner, json!({"name": "open-room", "isPublic": true})).await;
    let join = |cookie: Option<String>| {
        let mut req = cli
            .post("/api/room/guest-join")
            .body_json(&json!({"roomName": "open-room", "guestName": " <Bob> "}));
        if let Some(c) = cookie {
            req = req.header("Cookie", c);
        }
        req.send()
    };

    // No cookie: a new identity and its signed cookie.
    let (status, headers, body) = read(join(None).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cookies = set_cookie_values(&headers);
    assert_eq!(cookies.len(), 1, "only the guest cookie, no auth cookies");
    let cookie = &cookies[0];
    let value = cookie
        .strip_prefix("bedrud_guest_id=")
        .and_then(|c| c.split(';').next())
        .unwrap_or_default()
        .to_owned();
    assert!(
        cookie.ends_with("; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax"),
        "{cookie}"
    );
    let identity = token_identity(&body);
    let signer = crate::auth::guest_id::GuestIds::new(&secret);
    assert_eq!(value, signer.sign(&identity));
    assert!(crate::ids::user_id(&identity).is_some_and(|id| id.starts_with("guest-")));
    assert_eq!(
        keys(&body),
        [
            "accessToken",
            "activeRecordingId",
            "adminId",
            "id",
            "isPublic",
            "livekitHost",
            "name",
            "refreshToken",
            "token",
            "tokens"
        ]
    );
    assert_eq!(body["tokens"]["accessToken"], body["accessToken"]);
    assert_eq!(
        world
            .users
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|u| u.id == identity)
            .map(|u| u.name.clone())
            .as_deref(),
        Some("Bob"),
        "sanitised name"
    );
    // The guest's session works as a normal bearer token.
    let me = cli
        .get("/api/auth/me")
        .header(
            "Authorization",
            bearer(body["accessToken"].as_str().unwrap_or_default()),
        )
        .send()
        .await;
    me.assert_status_is_ok();

    // The valid cookie is reused and not set again.
    let (status, headers, body) = read(join(Some(format!("bedrud_guest_id={value}"))).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(token_identity(&body), identity);
    assert!(set_cookie_values(&headers).is_empty());

    // Forged or foreign cookies are replaced by a fresh identity.
    let tag = value.split_once('.').map(|(_, t)| t).unwrap_or_default();
    let foreign = crate::auth::guest_id::GuestIds::new(b"another secret, not the server's!")
        .sign("guest-zzzz9999");
    for forged in [
        format!("guest-zzzz9999.{tag}"),
        foreign,
        "guest-zzzz9999".to_owned(),
        format!("{}.{tag}", "9b2e3c4d-0000-4000-8000-000000000001"),
    ] {
        let (status, headers, body) =
            read(join(Some(format!("bedrud_guest_id={forged}"))).await).await;
        assert_eq!(status, StatusCode::OK);
        let minted = token_identity(&body);
        assert_ne!(minted, "guest-zzzz9999", "{forged}");
        assert_ne!(minted, identity, "{forged}");
        assert!(minted.starts_with("guest-"));
        assert_eq!(set_cookie_values(&headers).len(), 1, "{forged}");
    }
}

#[tokio::test]
async fn guest_join_bodies_errors_and_limiter() {
    let (cli, _) = server(HttpConfig {
        guest_limit: RateLimit::new(5, 60),
        enable_tls: true,
        ..HttpConfig::default()
    });
    let owner = member(&cli, "host@example.com").await;
    create_room(&cli, &owner, json!({"name": "private-room"})).await;
    for (raw, status, message) in [
        ("{oops", 400, "Invalid body"),
        (
            r#"{"roomName":"private-room"}"#,
            400,
            "Guest name is required",
        ),
        (
            r#"{"roomName":"nope","guestName":"Al"}"#,
            404,
            "Room not found",
        ),
        (
            r#"{"roomName":"private-room","guestName":"Al"}"#,
            403,
            "This room is private",
        ),
    ] {
        let (s, headers, resp) = read(
            cli.post("/api/room/guest-join")
                .content_type("application/json")
                .body(raw)
                .send()
                .await,
        )
        .await;
        assert_eq!((s.as_u16(), resp), (status, error_body(message)), "{raw}");
        assert!(
            set_cookie_values(&headers).is_empty(),
            "no cookie on failure"
        );
    }
    let (status, headers, body) = read(
        cli.post("/api/room/guest-join")
            .body_json(&json!({"roomName":"x","guestName":"Al"}))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(header(&headers, "x-ratelimit-remaining"), "0");
    let _ = body;
    let (status, _, body) = read(
        cli.post("/api/room/guest-join")
            .body_json(&json!({"roomName":"x","guestName":"Al"}))
            .send()
            .await,
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::TOO_MANY_REQUESTS,
            error_body("too many guest join attempts")
        )
    );
}

#[tokio::test]
async fn guest_cookie_is_secure_but_lax_over_tls() {
    let (cli, _) = server(HttpConfig {
        enable_tls: true,
        cookie_domain: "meet.example.com".into(),
        ..HttpConfig::default()
    });
    let owner = member(&cli, "host@example.com").await;
    create_room(&cli, &owner, json!({"name": "tls-room", "isPublic": true})).await;
    let (status, headers, body) = read(
        cli.post("/api/room/guest-join")
            .body_json(&json!({"roomName":"tls-room","guestName":"Al"}))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cookies = set_cookie_values(&headers);
    assert_eq!(cookies.len(), 1);
    assert!(
        cookies[0].ends_with(
            "; Max-Age=2592000; Path=/; HttpOnly; Secure; SameSite=Lax; Domain=meet.example.com"
        ),
        "{}",
        cookies[0]
    );
}

#[tokio::test]
async fn check_is_public_and_guest_limited() {
    let (cli, _) = server(HttpConfig {
        guest_limit: RateLimit::new(4, 60),
        ..HttpConfig::default()
    });
    let owner = member(&cli, "host@example.com").await;
    create_room(&cli, &owner, json!({"name": "town-hall", "isPublic": true})).await;
    for (path, status, body) in [
        (
            "/api/room/check/Town-Hall",
            200,
            json!({"exists": true, "name": "town-hall"}),
        ),
        (
            "/api/room/check/no-such-room",
            404,
            error_body("Room not found"),
        ),
        (
            "/api/room/check/%20",
            400,
            error_body("Room name is required"),
        ),
        (
            "/api/room/check/ab",
            400,
            error_body("room name must be at least 3 characters"),
        ),
    ] {
        let (s, _, resp) = read(cli.get(path).send().await).await;
        assert_eq!((s.as_u16(), resp), (status, body), "{path}");
    }
    let (status, _, body) = read(cli.get("/api/room/check/town-hall").send().await).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::TOO_MANY_REQUESTS,
            error_body("too many guest join attempts")
        )
    );
}

#[tokio::test]
async fn refresh_token_guards_limiter_and_bodies() {
    let (cli, _) = server(HttpConfig {
        api_limit: RateLimit::new(4, 60),
        ..HttpConfig::default()
    });
    let owner = member(&cli, "host@example.com").await;
    create_room(&cli, &owner, json!({"name": "standup"})).await;
    // Without credentials: 401 before the body or the limiter.
    for _ in 0..5 {
        let (status, _, body) = read(
            cli.post("/api/room/refresh-token")
                .content_type("application/json")
                .body("{garbage")
                .send()
                .await,
        )
        .await;
        assert_eq!(
            (status, body),
            (
                StatusCode::UNAUTHORIZED,
                error_body("Missing authorization")
            )
        );
    }
    for (raw, status, message) in [
        ("{garbage", 400, "Invalid body"),
        ("{}", 400, "roomName required"),
        (r#"{"roomName":"nope"}"#, 404, "Room not found"),
    ] {
        let (s, _, resp) = read(
            cli.post("/api/room/refresh-token")
                .header("Authorization", owner.clone())
                .content_type("application/json")
                .body(raw)
                .send()
                .await,
        )
        .await;
        assert_eq!((s.as_u16(), resp), (status, error_body(message)), "{raw}");
    }
    let (status, _, body) = read(
        cli.post("/api/room/refresh-token")
            .header("Authorization", owner.clone())
            .body_json(&json!({"roomName": "standup"}))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(keys(&body), ["token"]);
    let (status, _, body) = read(
        cli.post("/api/room/refresh-token")
            .header("Authorization", owner)
            .body_json(&json!({"roomName": "standup"}))
            .send()
            .await,
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::TOO_MANY_REQUESTS,
            error_body("too many requests")
        )
    );
}

#[tokio::test]
async fn list_archive_and_background_teardown() {
    let (cli, world) = server(HttpConfig::default());
    let owner = member(&cli, "host@example.com").await;
    let room = create_room(&cli, &owner, json!({"name": "retro"})).await;
    let id = room["id"].as_str().unwrap_or_default().to_owned();

    let guest = guest_login(&cli).await;
    for path in ["/api/room/list", "/api/room/archived"] {
        let (status, _, body) = read(
            cli.get(path)
                .header("Authorization", guest.clone())
                .send()
                .await,
        )
        .await;
        assert_eq!(
            (status, body),
            (
                StatusCode::FORBIDDEN,
                error_body("Guests cannot create or manage rooms")
            ),
            "{path}"
        );
    }
    let (status, _, list) = read(
        cli.get("/api/room/list")
            .header("Authorization", owner.clone())
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert!(list[0]["lastActivityAt"].is_string());

    let stranger = member(&cli, "x@example.com").await;
    for (auth, path, status, message) in [
        (
            stranger.clone(),
            format!("/api/room/{id}"),
            403,
            "Only the room creator can delete this room",
        ),
        (
            owner.clone(),
            "/api/room/not-a-uuid".to_owned(),
            404,
            "Room not found",
        ),
        (
            owner.clone(),
            "/api/room/00000000-0000-4000-8000-000000000000".to_owned(),
            404,
            "Room not found",
        ),
        (
            guest.clone(),
            format!("/api/room/{id}"),
            403,
            "Guests cannot create or manage rooms",
        ),
    ] {
        let (s, _, body) = read(cli.delete(&path).header("Authorization", auth).send().await).await;
        assert_eq!((s.as_u16(), body), (status, error_body(message)), "{path}");
    }
    let (status, _, body) = read(
        cli.delete(format!("/api/room/{}", id.to_uppercase()))
            .header("Authorization", owner.clone())
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(body, json!({"message": "Room deletion queued"}));
    // The archive is written before the answer.
    assert!(
        world
            .rooms
            .room(&id)
            .is_some_and(|r| r.deleted_at.is_some() && !r.is_active)
    );
    // Then, in the background: system message, pause, DeleteRoom.
    let sent = media_call(&world, "send_data retro system")
        .await
        .unwrap_or_default();
    assert!(sent.contains(r#""event":"room_ended""#), "{sent}");
    assert_eq!(
        media_call(&world, "delete_room").await.as_deref(),
        Some("delete_room retro")
    );

    let (_, _, list) = read(
        cli.get("/api/room/list")
            .header("Authorization", owner.clone())
            .send()
            .await,
    )
    .await;
    assert_eq!(list, json!([]));
    let (_, _, archived) = read(
        cli.get("/api/room/archived")
            .header("Authorization", owner.clone())
            .send()
            .await,
    )
    .await;
    assert_eq!(archived[0]["id"], id.as_str());
    assert!(archived[0]["deletedAt"].is_string());
    // Idempotent.
    let resp = cli
        .delete(format!("/api/room/{id}"))
        .header("Authorization", owner.clone())
        .send()
        .await;
    resp.assert_status(StatusCode::ACCEPTED);
    // Cookie-only mutation is refused before anything else.
    let (status, _, body) = read(
        cli.delete(format!("/api/room/{id}"))
            .header(
                "Cookie",
                format!("access_token={}", owner.trim_start_matches("Bearer ")),
            )
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

#[tokio::test]
async fn settings_update_order_and_merge() {
    let (cli, _) = server(HttpConfig::default());
    let owner = member(&cli, "host@example.com").await;
    let room = create_room(
        &cli,
        &owner,
        json!({"name": "plan", "settings": {"e2ee": true}}),
    )
    .await;
    let id = room["id"].as_str().unwrap_or_default().to_owned();
    let url = format!("/api/room/{id}/settings");
    let stranger = member(&cli, "x@example.com").await;
    for (auth, url, raw, status, message) in [
        (owner.clone(), url.clone(), "{bad", 400, "Invalid body"),
        (
            owner.clone(),
            "/api/room/garbage/settings".to_owned(),
            "{}",
            404,
            "Room not found",
        ),
        (
            owner.clone(),
            "/api/room/garbage/settings".to_owned(),
            "[",
            400,
            "Invalid body",
        ),
        (stranger, url.clone(), "{}", 403, "Insufficient permissions"),
        (
            owner.clone(),
            url.clone(),
            r#"{"maxParticipants": -1}"#,
            400,
            "maxParticipants must be between 0 and 1000",
        ),
    ] {
        let (s, _, body) = read(
            cli.put(&url)
                .header("Authorization", auth)
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
        cli.put(&url)
            .header("Authorization", owner)
            .body_json(&json!({"isPublic": true, "maxParticipants": 10, "settings": {"allowVideo": false}}))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["isPublic"], true);
    assert_eq!(body["maxParticipants"], 10);
    assert_eq!(body["settings"]["allowVideo"], false);
    assert_eq!(body["settings"]["e2ee"], true, "merged, not reset");
    assert_eq!(body["id"], id.as_str());
}

#[tokio::test]
async fn presence_is_optional_auth_behind_the_api_limiter() {
    let (cli, _) = server(HttpConfig {
        api_limit: RateLimit::new(6, 60),
        ..HttpConfig::default()
    });
    let owner = member(&cli, "host@example.com").await;
    let public = create_room(&cli, &owner, json!({"name": "open", "isPublic": true})).await;
    let private = create_room(&cli, &owner, json!({"name": "closed"})).await;
    let p = |room: &Value, q: &str| {
        format!(
            "/api/room/{}/presence{q}",
            room["id"].as_str().unwrap_or_default()
        )
    };
    let cases = [
        (p(&public, "?countOnly=1"), None, 200, json!({"count": 0})),
        (p(&public, ""), None, 401, error_body("Unauthorized")),
        (
            p(&public, ""),
            Some("Bearer forged"),
            401,
            error_body("Unauthorized"),
        ),
        (
            p(&private, "?countOnly=true"),
            None,
            404,
            error_body("Room not found"),
        ),
        (
            p(&private, ""),
            Some(owner.as_str()),
            200,
            json!({"participants": []}),
        ),
        (
            "/api/room/zzz/presence?countOnly=1".to_owned(),
            None,
            404,
            error_body("Room not found"),
        ),
    ];
    for (path, auth, status, body) in cases {
        let mut req = cli.get(&path);
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let (s, _, resp) = read(req.send().await).await;
        assert_eq!((s.as_u16(), resp), (status, body), "{path} {auth:?}");
    }
    let (status, _, body) = read(cli.get(p(&public, "?countOnly=1")).send().await).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::TOO_MANY_REQUESTS,
            error_body("too many requests")
        )
    );
}
