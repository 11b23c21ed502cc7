//! Rooms over HTTP against the fake LiveKit (API §3.5, §5): create, join, guest-join,
//! check and refresh-token for public, private, full, banned and archived rooms; list,
//! archived, delete, settings, presence; concurrent joins under `maxParticipants`.

mod common;

use std::time::Duration;

use bedrud_tests::fake_livekit::{
    FailMode, FakeLivekit, FakeParticipant, FakeRequest, post_webhook, proto, webhook_body,
    webhook_event,
};
use bedrud_tests::{Backend, Server, postgres_or_skip};
use common::*;
use serde_json::{Value, json};

/// `^[a-z]{3}-[a-z]{4}-[a-z]{3}$`
fn is_generated_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() == 3
        && parts
            .iter()
            .zip([3, 4, 3])
            .all(|(p, len)| p.len() == len && p.bytes().all(|b| b.is_ascii_lowercase()))
}

fn is_timestamp(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.ends_with('Z') && s.len() >= 20 && s.contains('T'))
}

/// Posts a signed webhook event about `identity` in `room`.
async fn hook(s: &Server, event: &str, room: &str, identity: Option<&str>) {
    let participant = identity.map(|id| proto::ParticipantInfo {
        identity: id.to_string(),
        sid: format!("PA_{id}"),
        ..Default::default()
    });
    let body = webhook_body(&webhook_event(event, room, participant)).expect("body");
    let resp = post_webhook(&s.url("/api/livekit/webhook"), KEY, SECRET, &body)
        .await
        .expect("webhook");
    assert_eq!(resp.status().as_u16(), 200, "webhook {event}");
}

// ---------------------------------------------------------------------------------------
// create

async fn create_rules(backend: Backend) {
    let lk = FakeLivekit::start(KEY, SECRET).await.expect("fake livekit");
    let s = start(
        backend,
        &lk,
        &[
            ("BEDRUD_ROOMS__MAX_ROOMS_PER_USER", "6"),
            ("BEDRUD_ROOMS__DEFAULT_TTL_HOURS", "5"),
        ],
    );
    let owner = register(&s, "owner@example.com", "Owner Person").await;
    let other = register(&s, "other@example.com", "Other Person").await;
    let root = superadmin(&s, "root@example.com").await;
    let guest = guest_login(&s, "Guesty").await;

    // A named room: trimmed, lowercased, every Room field, defaults for missing settings.
    let room = create_room(
        &s,
        &owner,
        json!({"name": "  Team-Sync-1 ", "settings": {"allowChat": false, "isPersistent": true,
               "recordingsAllowed": true}}),
    )
    .await;
    assert_eq!(room["name"], "team-sync-1");
    assert_eq!(room["createdBy"], owner.id.as_str());
    assert_eq!(room["adminId"], owner.id.as_str());
    assert_eq!(room["isActive"], true);
    assert_eq!(room["isPublic"], false, "default private");
    assert_eq!(room["maxParticipants"], 0);
    assert_eq!(room["mode"], "standard");
    assert_eq!(
        room["settings"],
        json!({"allowChat": false, "allowVideo": true, "allowAudio": true,
               "requireApproval": false, "e2ee": false, "isPersistent": false,
               "recordingsAllowed": true}),
        "missing keys take the defaults; isPersistent only for superadmins"
    );
    for field in ["createdAt", "updatedAt", "expiresAt", "lastActivityAt"] {
        assert!(is_timestamp(&room[field]), "{field}: {room}");
    }
    assert!(room.get("deletedAt").is_none(), "{room}");
    assert_eq!(room["livekitHost"], lk.ws_url());
    let created = chrono_secs(&room["createdAt"]);
    let expires = chrono_secs(&room["expiresAt"]);
    assert!(
        (expires - created - 5 * 3600).abs() <= 1,
        "expiresAt = createdAt + default_ttl_hours: {room}"
    );
    let uuid = room["id"].as_str().expect("id");
    assert_eq!(uuid.len(), 36, "{uuid}");
    let create_call = lk.calls_to("CreateRoom");
    assert_eq!(create_call.len(), 1);
    assert!(create_call[0].grants.room_create);
    match &create_call[0].request {
        FakeRequest::CreateRoom(r) => assert_eq!(r.name, "team-sync-1"),
        other => panic!("{other:?}"),
    }

    // Generated names, for absent, empty and blank names.
    for body in [json!({}), json!({"name": ""}), json!({"name": "   "})] {
        let room = create_room(&s, &other, body.clone()).await;
        let name = room["name"].as_str().expect("name");
        assert!(is_generated_name(name), "{body} → {name}");
    }

    // Duplicates among active rooms: 409 for anyone.
    for who in [&owner, &other] {
        let answer = send(post(
            &s,
            who,
            "/api/room/create",
            json!({"name": "TEAM-SYNC-1"}),
        ))
        .await;
        assert_eq!(
            err(&answer),
            (409, Some("a room with this name already exists"))
        );
    }

    // Every invalid-name message.
    let invalid = [
        ("ab", "room name must be at least 3 characters"),
        ("  ab  ", "room name must be at least 3 characters"),
        ("é", "room name must be at least 3 characters"),
        (&"a".repeat(64), "room name must be at most 63 characters"),
        (
            "No_Good",
            "room name must contain only lowercase letters, numbers, and hyphens",
        ),
        (
            "-abc",
            "room name must contain only lowercase letters, numbers, and hyphens",
        ),
        (
            "abc-",
            "room name must contain only lowercase letters, numbers, and hyphens",
        ),
        (
            "ab--cd",
            "room name must contain only lowercase letters, numbers, and hyphens",
        ),
        (
            "two words",
            "room name must contain only lowercase letters, numbers, and hyphens",
        ),
        (
            "éab",
            "room name must contain only lowercase letters, numbers, and hyphens",
        ),
    ];
    for (name, message) in invalid {
        let answer = send(post(
            &s,
            &other,
            "/api/room/create",
            json!({ "name": name }),
        ))
        .await;
        assert_eq!(err(&answer), (400, Some(message)), "name {name:?}");
    }
    let longest = "a".repeat(63);
    let room = create_room(&s, &other, json!({ "name": longest })).await;
    assert_eq!(room["name"], longest.as_str());

    // maxParticipants, mode, body.
    let answer = send(post(
        &s,
        &other,
        "/api/room/create",
        json!({"maxParticipants": 1001}),
    ))
    .await;
    assert_eq!(
        err(&answer),
        (400, Some("maxParticipants must be at most 1000"))
    );
    let answer = send(post(
        &s,
        &other,
        "/api/room/create",
        json!({"mode": "party"}),
    ))
    .await;
    assert_eq!(err(&answer), (400, Some("Invalid room mode")));
    let answer = send(
        reqwest::Client::new()
            .post(s.url("/api/room/create"))
            .header("authorization", &other.bearer)
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_eq!(err(&answer), (400, Some("Invalid request body")));
    let answer = send(post(
        &s,
        &other,
        "/api/room/create",
        json!({"maxParticipants": "ten"}),
    ))
    .await;
    assert_eq!(err(&answer), (400, Some("Invalid request body")));

    // Guests cannot create; anonymous callers are 401.
    let answer = send(post(&s, &guest, "/api/room/create", json!({}))).await;
    assert_eq!(
        err(&answer),
        (403, Some("Guests cannot create or manage rooms"))
    );
    let answer = send(
        reqwest::Client::new()
            .post(s.url("/api/room/create"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(err(&answer), (401, Some("Missing authorization")));

    // A superadmin keeps isPersistent; modes and a negative capacity.
    let room = create_room(
        &s,
        &root,
        json!({"name": "forever", "maxParticipants": -5, "mode": "webinar", "isPublic": true,
               "settings": {"isPersistent": true}}),
    )
    .await;
    assert_eq!(room["settings"]["isPersistent"], true);
    assert_eq!(room["maxParticipants"], 0, "negative → unlimited");
    assert_eq!(room["mode"], "webinar");
    assert_eq!(room["isPublic"], true);
    let room = create_room(
        &s,
        &root,
        json!({"mode": "broadcast", "maxParticipants": 1000}),
    )
    .await;
    assert_eq!(
        (room["mode"].as_str(), room["maxParticipants"].as_i64()),
        (Some("broadcast"), Some(1000))
    );

    // The per-user cap (6 here) counts active rooms; superadmins are exempt.
    let capped = register(&s, "capped@example.com", "Capped User").await;
    for _ in 0..6 {
        create_room(&s, &capped, json!({})).await;
    }
    let answer = send(post(&s, &capped, "/api/room/create", json!({}))).await;
    assert_eq!(
        err(&answer),
        (403, Some("Room limit reached (max 6 active rooms)"))
    );
    for _ in 0..5 {
        create_room(&s, &root, json!({})).await;
    }
    // Archiving one frees a slot.
    let list = send(get(&s, &capped, "/api/room/list")).await;
    let id = list.1[0]["id"].as_str().expect("id").to_string();
    let answer = send(
        reqwest::Client::new()
            .delete(s.url(&format!("/api/room/{id}")))
            .header("authorization", &capped.bearer),
    )
    .await;
    assert_eq!(answer.0, 202);
    create_room(&s, &capped, json!({})).await;
}

fn chrono_secs(v: &Value) -> i64 {
    // `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` → seconds since an arbitrary epoch (same day math).
    let s = v.as_str().expect("timestamp");
    let (date, time) = s.split_once('T').expect("T");
    let d: Vec<i64> = date.split('-').map(|p| p.parse().expect("date")).collect();
    let t: Vec<f64> = time
        .trim_end_matches('Z')
        .split(':')
        .map(|p| p.parse().expect("time"))
        .collect();
    // Days from civil (Howard Hinnant).
    let (y, m, day) = (d[0] - i64::from(d[1] <= 2), d[1], d[2]);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + (t[0] as i64) * 3600 + (t[1] as i64) * 60 + t[2] as i64
}

#[tokio::test(flavor = "multi_thread")]
async fn create_rules_on_sqlite() {
    create_rules(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn create_rules_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    create_rules(Backend::Postgres(url)).await;
}

// ---------------------------------------------------------------------------------------
// join, guest-join, check, refresh-token

async fn public_and_private_rooms(backend: Backend) {
    let lk = FakeLivekit::start(KEY, SECRET).await.expect("fake livekit");
    let s = start(backend, &lk, &[]);
    let owner = register(&s, "owner@example.com", "Owner Person").await;
    let other = register(&s, "other@example.com", "Other Person").await;
    let root = superadmin(&s, "root@example.com").await;
    let guest = guest_login(&s, "Guest User").await;

    // Public room: anyone joins; the exact join body.
    let room = create_room(
        &s,
        &owner,
        json!({"name": "pub-room", "isPublic": true, "maxParticipants": 20}),
    )
    .await;
    let answer = join(&s, &other, "  PUB-Room ").await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    let mut keys: Vec<&str> = answer
        .1
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
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
    assert_eq!(answer.1["id"], room["id"]);
    assert_eq!(answer.1["name"], "pub-room");
    assert_eq!(answer.1["activeRecordingId"], "");
    assert_eq!(answer.1["livekitHost"], lk.ws_url());
    assert_eq!(answer.1["maxParticipants"], 20);
    assert_eq!(answer.1["settings"], room["settings"]);
    assert_eq!(token_claims(&answer)["sub"], other.id.as_str());
    let answer = join(&s, &guest, "pub-room").await;
    assert_eq!(answer.0, 200, "guest-login users join: {}", answer.1);
    let answer = join(&s, &root, "pub-room").await;
    assert_eq!(answer.0, 200, "{}", answer.1);

    // Guest-join: the exact body.
    let g = guest_join(&s, "PUB-ROOM", "Visitor").await;
    assert_eq!(g.0, 200, "{}", g.1);
    let mut keys: Vec<&str> =
        g.1.as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
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
    assert_eq!(g.1["adminId"], owner.id.as_str());
    assert_eq!(g.1["isPublic"], true);
    assert_eq!(g.1["accessToken"], g.1["tokens"]["accessToken"]);
    assert_eq!(g.1["refreshToken"], g.1["tokens"]["refreshToken"]);

    // Check.
    let answer = check(&s, "pub-room").await;
    assert_eq!(answer, (200, json!({"exists": true, "name": "pub-room"})));
    let answer = check(&s, "PUB-ROOM").await;
    assert_eq!(answer, (200, json!({"exists": true, "name": "pub-room"})));
    for (name, message) in [
        ("%20%20", "Room name is required"),
        ("ab", "room name must be at least 3 characters"),
        (&"b".repeat(64), "room name must be at most 63 characters"),
        (
            "bad_name",
            "room name must contain only lowercase letters, numbers, and hyphens",
        ),
    ] {
        assert_eq!(err(&check(&s, name).await), (400, Some(message)), "{name}");
    }
    assert_eq!(
        err(&check(&s, "nope-nope").await),
        (404, Some("Room not found"))
    );

    // Unknown rooms and bad bodies.
    assert_eq!(
        err(&join(&s, &other, "nope-nope").await),
        (404, Some("Room not found"))
    );
    assert_eq!(
        err(&join(&s, &other, "").await),
        (404, Some("Room not found"))
    );
    let bad = send(
        reqwest::Client::new()
            .post(s.url("/api/room/join"))
            .header("authorization", &other.bearer)
            .header("content-type", "application/json")
            .body("[1,2"),
    )
    .await;
    assert_eq!(err(&bad), (400, Some("Invalid body")));
    let bad = send(
        reqwest::Client::new()
            .post(s.url("/api/room/join"))
            .header("authorization", &other.bearer)
            .json(&json!({"roomName": 5})),
    )
    .await;
    assert_eq!(err(&bad), (400, Some("Invalid body")));
    let bad = send(
        reqwest::Client::new()
            .post(s.url("/api/room/guest-join"))
            .header("content-type", "application/json")
            .body("nope"),
    )
    .await;
    assert_eq!(err(&bad), (400, Some("Invalid body")));
    assert_eq!(
        err(&guest_join(&s, "pub-room", " <> ").await),
        (400, Some("Guest name is required"))
    );
    assert_eq!(
        err(&guest_join(&s, "pub-room", &"g".repeat(51)).await),
        (400, Some("Guest name too long (max 50 characters)"))
    );
    assert_eq!(guest_join(&s, "pub-room", &"g".repeat(50)).await.0, 200);
    assert_eq!(
        err(&guest_join(&s, "nope-nope", "Visitor").await),
        (404, Some("Room not found"))
    );
    assert_eq!(
        err(&join(&s, &other, "nope-nope").await),
        (404, Some("Room not found"))
    );
    let anonymous = send(
        reqwest::Client::new()
            .post(s.url("/api/room/join"))
            .json(&json!({"roomName": "pub-room"})),
    )
    .await;
    assert_eq!(err(&anonymous), (401, Some("Missing authorization")));

    // Refresh-token.
    let answer = refresh_token(&s, &other, "pub-room").await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert_eq!(
        answer.1.as_object().map(|o| o.len()),
        Some(1),
        "{}",
        answer.1
    );
    assert_eq!(token_claims(&answer)["sub"], other.id.as_str());
    let stranger = guest_login(&s, "Stranger").await;
    assert_eq!(
        refresh_token(&s, &stranger, "pub-room").await.0,
        200,
        "public rooms need no participant row"
    );
    assert_eq!(
        err(&refresh_token(&s, &other, "  ").await),
        (400, Some("roomName required"))
    );
    assert_eq!(
        err(&send(post(&s, &other, "/api/room/refresh-token", json!({}))).await),
        (400, Some("roomName required"))
    );
    let bad = send(
        reqwest::Client::new()
            .post(s.url("/api/room/refresh-token"))
            .header("authorization", &other.bearer)
            .header("content-type", "application/json")
            .body("{"),
    )
    .await;
    assert_eq!(err(&bad), (400, Some("Invalid body")));
    assert_eq!(
        err(&refresh_token(&s, &other, "nope-nope").await),
        (404, Some("Room not found"))
    );

    // Private rooms: only the admin/creator or an active participant row.
    create_room(&s, &owner, json!({"name": "priv-room"})).await;
    create_room(
        &s,
        &owner,
        json!({"name": "appr-room", "settings": {"requireApproval": true}}),
    )
    .await;
    assert_eq!(join(&s, &owner, "priv-room").await.0, 200);
    assert_eq!(join(&s, &owner, "appr-room").await.0, 200);
    assert_eq!(refresh_token(&s, &owner, "priv-room").await.0, 200);
    for who in [&other, &guest, &root] {
        assert_eq!(
            err(&join(&s, who, "priv-room").await),
            (403, Some("This room is private"))
        );
        assert_eq!(
            err(&join(&s, who, "appr-room").await),
            (403, Some("This room requires approval to join"))
        );
        assert_eq!(
            err(&refresh_token(&s, who, "priv-room").await),
            (403, Some("This room is private"))
        );
        assert_eq!(
            err(&refresh_token(&s, who, "appr-room").await),
            (403, Some("This room is private"))
        );
    }
    for name in ["priv-room", "appr-room"] {
        assert_eq!(
            err(&guest_join(&s, name, "Visitor").await),
            (403, Some("This room is private"))
        );
        assert_eq!(
            err(&check(&s, name).await),
            (403, Some("This room is private"))
        );
    }
    // requireApproval only matters for private rooms.
    create_room(
        &s,
        &owner,
        json!({"name": "appr-open", "isPublic": true, "settings": {"requireApproval": true}}),
    )
    .await;
    assert_eq!(join(&s, &other, "appr-open").await.0, 200);
    assert_eq!(guest_join(&s, "appr-open", "Visitor").await.0, 200);
    assert_eq!(check(&s, "appr-open").await.0, 200);
    // LiveKit reports `other` connected (a pre-issued token): the active row admits them.
    hook(&s, "participant_joined", "priv-room", Some(&other.id)).await;
    assert_eq!(join(&s, &other, "priv-room").await.0, 200);
    assert_eq!(refresh_token(&s, &other, "priv-room").await.0, 200);
    // Once the row is inactive again, the door is shut.
    hook(&s, "participant_left", "priv-room", Some(&other.id)).await;
    assert_eq!(
        err(&join(&s, &other, "priv-room").await),
        (403, Some("This room is private"))
    );
    assert_eq!(
        err(&refresh_token(&s, &other, "priv-room").await),
        (403, Some("This room is private"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn public_and_private_rooms_on_sqlite() {
    public_and_private_rooms(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn public_and_private_rooms_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    public_and_private_rooms(Backend::Postgres(url)).await;
}

async fn full_banned_and_archived_rooms(backend: Backend) {
    let lk = FakeLivekit::start(KEY, SECRET).await.expect("fake livekit");
    let s = start(backend, &lk, &[]);
    let owner = register(&s, "owner@example.com", "Owner Person").await;
    let b = guest_login(&s, "Bee").await;
    let c = guest_login(&s, "Cee").await;
    let d = guest_login(&s, "Dee").await;

    // Full: rows other than the caller's own count; unlimited rooms are never full.
    let full = create_room(
        &s,
        &owner,
        json!({"name": "full-room", "isPublic": true, "maxParticipants": 2}),
    )
    .await;
    let full_id = full["id"].as_str().expect("id").to_string();
    assert_eq!(
        check(&s, "full-room").await.0,
        200,
        "the creator's inactive row does not count"
    );
    assert_eq!(join(&s, &owner, "full-room").await.0, 200);
    assert_eq!(check(&s, "full-room").await.0, 200);
    assert_eq!(join(&s, &b, "full-room").await.0, 200);
    assert_eq!(
        err(&join(&s, &c, "full-room").await),
        (403, Some("room is full"))
    );
    assert_eq!(
        err(&guest_join(&s, "full-room", "Late Guest").await),
        (403, Some("room is full"))
    );
    assert_eq!(
        err(&check(&s, "full-room").await),
        (403, Some("room is full"))
    );
    assert_eq!(join(&s, &b, "full-room").await.0, 200, "own row excluded");
    assert_eq!(
        join(&s, &owner, "full-room").await.0,
        200,
        "own row excluded"
    );
    assert_eq!(
        refresh_token(&s, &c, "full-room").await.0,
        200,
        "refresh-token has no capacity check"
    );
    create_room(&s, &owner, json!({"name": "open-room", "isPublic": true})).await;
    for who in [&b, &c, &d] {
        assert_eq!(join(&s, who, "open-room").await.0, 200);
    }
    assert_eq!(
        check(&s, "open-room").await.0,
        200,
        "unlimited is never full"
    );

    // Banned: even never joined; before private; banned rows stop counting.
    let answer = send(post(
        &s,
        &owner,
        &format!("/api/room/{full_id}/ban/{}", c.id),
        json!({}),
    ))
    .await;
    assert_eq!(answer, (200, json!({"status": "success"})));
    assert_eq!(
        err(&join(&s, &c, "full-room").await),
        (403, Some("you are banned from this room"))
    );
    assert_eq!(
        err(&refresh_token(&s, &c, "full-room").await),
        (403, Some("you are banned from this room"))
    );
    let answer = send(post(
        &s,
        &owner,
        &format!("/api/room/{full_id}/ban/{}", b.id),
        json!({}),
    ))
    .await;
    assert_eq!(answer.0, 200);
    assert_eq!(
        err(&join(&s, &b, "full-room").await),
        (403, Some("you are banned from this room"))
    );
    assert_eq!(
        check(&s, "full-room").await.0,
        200,
        "the banned row stopped counting"
    );
    assert_eq!(join(&s, &d, "full-room").await.0, 200);
    // A banned guest browser (cookie identity) is refused by guest-join.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let priv_room = create_room(&s, &owner, json!({"name": "ban-priv"})).await;
    let open = create_room(&s, &owner, json!({"name": "ban-open", "isPublic": true})).await;
    let first = send(
        browser
            .post(s.url("/api/room/guest-join"))
            .json(&json!({"roomName": "ban-open", "guestName": "Visitor"})),
    )
    .await;
    let identity = token_claims(&first)["sub"]
        .as_str()
        .expect("sub")
        .to_string();
    let open_id = open["id"].as_str().expect("id");
    let answer = send(post(
        &s,
        &owner,
        &format!("/api/room/{open_id}/ban/{identity}"),
        json!({}),
    ))
    .await;
    assert_eq!(answer.0, 200);
    let again = send(
        browser
            .post(s.url("/api/room/guest-join"))
            .json(&json!({"roomName": "ban-open", "guestName": "Visitor"})),
    )
    .await;
    assert_eq!(err(&again), (403, Some("you are banned from this room")));
    // Ban before private: `d` banned from a private room hears about the ban.
    let priv_id = priv_room["id"].as_str().expect("id");
    let answer = send(post(
        &s,
        &owner,
        &format!("/api/room/{priv_id}/ban/{}", d.id),
        json!({}),
    ))
    .await;
    assert_eq!(answer.0, 200);
    assert_eq!(
        err(&join(&s, &d, "ban-priv").await),
        (403, Some("you are banned from this room"))
    );
    assert_eq!(
        err(&refresh_token(&s, &d, "ban-priv").await),
        (403, Some("you are banned from this room"))
    );

    // Archived: the creator is offered re-creation, everyone else gets 410.
    let arch = create_room(
        &s,
        &owner,
        json!({"name": "arch-room", "isPublic": true, "mode": "webinar",
               "settings": {"e2ee": true}}),
    )
    .await;
    let arch_id = arch["id"].as_str().expect("id").to_string();
    assert_eq!(join(&s, &b, "arch-room").await.0, 200);
    let delete = |who: &User, id: &str| {
        reqwest::Client::new()
            .delete(s.url(&format!("/api/room/{id}")))
            .header("authorization", &who.bearer)
    };
    assert_eq!(
        send(delete(&owner, &arch_id)).await,
        (202, json!({"message": "Room deletion queued"}))
    );
    let answer = join(&s, &owner, "arch-room").await;
    assert_eq!(
        answer,
        (
            200,
            json!({"status": "archived_owned", "name": "arch-room", "mode": "webinar",
                   "settings": arch["settings"]})
        )
    );
    let gone = (410, Some("room is no longer active"));
    assert_eq!(err(&join(&s, &b, "arch-room").await), gone);
    assert_eq!(err(&guest_join(&s, "arch-room", "Visitor").await), gone);
    assert_eq!(err(&check(&s, "arch-room").await), gone);
    assert_eq!(err(&refresh_token(&s, &owner, "arch-room").await), gone);
    assert_eq!(err(&refresh_token(&s, &b, "arch-room").await), gone);
    // Lookups by id treat it as unknown, except the idempotent delete.
    let not_found = (404, Some("Room not found"));
    let put = send(
        reqwest::Client::new()
            .put(s.url(&format!("/api/room/{arch_id}/settings")))
            .header("authorization", &owner.bearer)
            .json(&json!({"isPublic": false})),
    )
    .await;
    assert_eq!(err(&put), not_found);
    assert_eq!(
        err(&send(get(&s, &owner, &format!("/api/room/{arch_id}/presence"))).await),
        not_found
    );
    assert_eq!(
        err(&send(post(
            &s,
            &owner,
            &format!("/api/room/{arch_id}/kick/{}", b.id),
            json!({})
        ))
        .await),
        not_found
    );
    assert_eq!(
        send(delete(&owner, &arch_id)).await,
        (202, json!({"message": "Room deletion queued"}))
    );
    // The name is free again: a new row, joinable by everyone.
    let revived = create_room(&s, &owner, json!({"name": "arch-room", "isPublic": true})).await;
    assert_ne!(revived["id"], arch["id"]);
    let answer = join(&s, &b, "arch-room").await;
    assert_eq!(
        (answer.0, answer.1["id"].clone()),
        (200, revived["id"].clone())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn full_banned_and_archived_rooms_on_sqlite() {
    full_banned_and_archived_rooms(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn full_banned_and_archived_rooms_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    full_banned_and_archived_rooms(Backend::Postgres(url)).await;
}

// ---------------------------------------------------------------------------------------
// list, archived, delete, settings

fn delete(s: &Server, who: &User, id: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .delete(s.url(&format!("/api/room/{id}")))
        .header("authorization", &who.bearer)
}

fn put_settings(s: &Server, who: &User, id: &str, body: Value) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .put(s.url(&format!("/api/room/{id}/settings")))
        .header("authorization", &who.bearer)
        .json(&body)
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|r| r["name"].as_str().expect("name").to_string())
        .collect()
}

async fn list_delete_and_settings(backend: Backend) {
    let lk = FakeLivekit::start(KEY, SECRET).await.expect("fake livekit");
    let s = start(
        backend,
        &lk,
        &[("BEDRUD_ROOMS__MAX_PARTICIPANTS_LIMIT", "50")],
    );
    let owner = register(&s, "owner@example.com", "Owner Person").await;
    let other = register(&s, "other@example.com", "Other Person").await;
    let root = superadmin(&s, "root@example.com").await;
    let guest = guest_login(&s, "Guest User").await;

    // List: newest first, own rooms only, newest row per name; [] when none.
    assert_eq!(
        send(get(&s, &other, "/api/room/list")).await,
        (200, json!([]))
    );
    assert_eq!(
        send(get(&s, &other, "/api/room/archived")).await,
        (200, json!([]))
    );
    let mut ids = Vec::new();
    for name in ["list-one", "list-two", "list-three"] {
        let room = create_room(&s, &owner, json!({ "name": name })).await;
        ids.push(room["id"].as_str().expect("id").to_string());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    create_room(&s, &other, json!({"name": "not-yours"})).await;
    let list = send(get(&s, &owner, "/api/room/list")).await;
    assert_eq!(list.0, 200);
    assert_eq!(names(&list.1), ["list-three", "list-two", "list-one"]);
    assert!(list.1[0].get("deletedAt").is_none());
    for path in ["/api/room/list", "/api/room/archived"] {
        assert_eq!(
            err(&send(get(&s, &guest, path)).await),
            (403, Some("Guests cannot create or manage rooms")),
            "{path}"
        );
        assert_eq!(
            err(&send(reqwest::Client::new().get(s.url(path))).await),
            (401, Some("Missing authorization"))
        );
    }

    // Delete: creator or superadmin; archived before the 202; idempotent.
    let queued = (202, json!({"message": "Room deletion queued"}));
    assert_eq!(
        err(&send(delete(&s, &other, &ids[0])).await),
        (403, Some("Only the room creator can delete this room"))
    );
    assert_eq!(
        err(&send(delete(&s, &guest, &ids[0])).await),
        (403, Some("Guests cannot create or manage rooms"))
    );
    assert_eq!(
        err(&send(delete(&s, &owner, "00000000-0000-4000-8000-000000000000")).await),
        (404, Some("Room not found"))
    );
    assert_eq!(
        err(&send(delete(&s, &owner, "not-a-uuid")).await),
        (404, Some("Room not found"))
    );
    assert_eq!(send(delete(&s, &owner, &ids[1])).await, queued);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(
        send(delete(&s, &root, &ids[0])).await,
        queued,
        "superadmins may delete"
    );
    assert_eq!(
        send(delete(&s, &owner, &ids[0])).await,
        queued,
        "idempotent"
    );
    let list = send(get(&s, &owner, "/api/room/list")).await;
    assert_eq!(names(&list.1), ["list-three"]);
    let archived = send(get(&s, &owner, "/api/room/archived")).await;
    assert_eq!(archived.0, 200);
    assert_eq!(
        names(&archived.1),
        ["list-one", "list-two"],
        "newest deletedAt first"
    );
    for room in archived.1.as_array().expect("array") {
        assert!(is_timestamp(&room["deletedAt"]), "{room}");
        assert_eq!(room["isActive"], false);
    }
    // Re-creating a name lists only the newest row.
    let again = create_room(&s, &owner, json!({"name": "list-one"})).await;
    let list = send(get(&s, &owner, "/api/room/list")).await;
    assert_eq!(names(&list.1), ["list-one", "list-three"]);
    assert_eq!(list.1[0]["id"], again["id"]);

    // Settings: merge, permissions, limits.
    let room = create_room(
        &s,
        &owner,
        json!({"name": "set-room", "settings": {"allowVideo": false, "e2ee": true}}),
    )
    .await;
    let id = room["id"].as_str().expect("id").to_string();
    let answer = send(put_settings(
        &s,
        &owner,
        &id,
        json!({"settings": {"allowChat": false, "isPersistent": true}}),
    ))
    .await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert_eq!(
        answer.1["settings"],
        json!({"allowChat": false, "allowVideo": false, "allowAudio": true,
               "requireApproval": false, "e2ee": true, "isPersistent": false,
               "recordingsAllowed": false}),
        "merged; isPersistent only for superadmins"
    );
    assert_eq!(
        answer.1["isPublic"], false,
        "absent fields keep their value"
    );
    assert_eq!(answer.1["id"], room["id"]);
    assert!(answer.1.get("deletedAt").is_none());
    let answer = send(put_settings(
        &s,
        &owner,
        &id,
        json!({"isPublic": true, "maxParticipants": 50}),
    ))
    .await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert_eq!(answer.1["isPublic"], true);
    assert_eq!(answer.1["maxParticipants"], 50);
    assert_eq!(
        answer.1["settings"]["allowChat"], false,
        "settings untouched"
    );
    assert_eq!(answer.1["settings"]["e2ee"], true);
    let answer = send(put_settings(
        &s,
        &root,
        &id,
        json!({"settings": {"isPersistent": true}}),
    ))
    .await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert_eq!(answer.1["settings"]["isPersistent"], true);
    let answer = send(put_settings(
        &s,
        &owner,
        &id,
        json!({"settings": {"allowChat": true}}),
    ))
    .await;
    assert_eq!(
        answer.1["settings"]["isPersistent"], true,
        "kept by the merge"
    );
    assert_eq!(answer.1["settings"]["allowChat"], true);
    assert_eq!(answer.1["settings"]["allowVideo"], false);
    let answer = send(put_settings(
        &s,
        &owner,
        &id,
        json!({"settings": {"isPersistent": false}}),
    ))
    .await;
    assert_eq!(
        answer.1["settings"]["isPersistent"], true,
        "only superadmins change isPersistent"
    );
    for n in [51, -1, 1000] {
        assert_eq!(
            err(&send(put_settings(
                &s,
                &owner,
                &id,
                json!({ "maxParticipants": n })
            ))
            .await),
            (400, Some("maxParticipants must be between 0 and 50")),
            "{n}"
        );
    }
    assert_eq!(
        err(&send(post(
            &s,
            &owner,
            "/api/room/create",
            json!({"maxParticipants": 51})
        ))
        .await),
        (400, Some("maxParticipants must be at most 50"))
    );
    assert_eq!(
        err(&send(put_settings(&s, &other, &id, json!({"isPublic": false}))).await),
        (403, Some("Insufficient permissions"))
    );
    assert_eq!(
        err(&send(put_settings(&s, &guest, &id, json!({"isPublic": false}))).await),
        (403, Some("Guests cannot create or manage rooms"))
    );
    assert_eq!(
        err(&send(put_settings(
            &s,
            &owner,
            "00000000-0000-4000-8000-000000000000",
            json!({})
        ))
        .await),
        (404, Some("Room not found"))
    );
    assert_eq!(
        err(&send(put_settings(
            &s,
            &owner,
            &id,
            json!({"maxParticipants": "many"})
        ))
        .await),
        (400, Some("Invalid body"))
    );
    let bad = send(
        reqwest::Client::new()
            .put(s.url(&format!("/api/room/{id}/settings")))
            .header("authorization", &owner.bearer)
            .header("content-type", "application/json")
            .body("{"),
    )
    .await;
    assert_eq!(err(&bad), (400, Some("Invalid body")));
    let check_room = send(get(&s, &owner, "/api/room/list")).await;
    let stored = check_room
        .1
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["id"] == room["id"])
        .cloned()
        .expect("listed");
    assert_eq!(
        stored["maxParticipants"], 50,
        "refused updates changed nothing"
    );
    assert_eq!(stored["isPublic"], true);

    // LiveKit sync: capacity of a live room (CreateRoom, roomCreate grant), allow* to the
    // connected participants (UpdateParticipant with the new permission).
    hook(&s, "room_started", "set-room", None).await;
    connect(&lk, "set-room", &other.id);
    lk.join("set-room", FakeParticipant::new("hidden-one").hidden());
    lk.clear_calls();
    let answer = send(put_settings(&s, &owner, &id, json!({"maxParticipants": 7}))).await;
    assert_eq!(answer.0, 200);
    let creates = lk.calls_to("CreateRoom");
    assert_eq!(creates.len(), 1, "{:?}", lk.calls());
    assert!(creates[0].grants.room_create);
    match &creates[0].request {
        FakeRequest::CreateRoom(r) => {
            assert_eq!((r.name.as_str(), r.max_participants), ("set-room", 7));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        lk.calls_to("UpdateParticipant").is_empty(),
        "no allow* change"
    );
    lk.clear_calls();
    let answer = send(put_settings(
        &s,
        &owner,
        &id,
        json!({"settings": {"allowChat": false, "allowVideo": true}}),
    ))
    .await;
    assert_eq!(answer.0, 200);
    let updates = lk.calls_to("UpdateParticipant");
    assert_eq!(
        updates.len(),
        1,
        "only the visible participant: {updates:?}"
    );
    assert!(updates[0].grants.room_admin);
    assert_eq!(updates[0].grants.room, "set-room");
    match &updates[0].request {
        FakeRequest::UpdateParticipant(r) => {
            assert_eq!(r.identity, other.id);
            let p = r.permission.clone().expect("permission");
            assert!(p.can_publish && p.can_subscribe && !p.can_publish_data);
            assert_eq!(p.can_publish_sources.len(), 4, "{p:?}");
        }
        other => panic!("{other:?}"),
    }
    // LiveKit down: settings still succeed.
    lk.fail(FailMode::Http500);
    let answer = send(put_settings(
        &s,
        &owner,
        &id,
        json!({"settings": {"allowAudio": false}, "maxParticipants": 9}),
    ))
    .await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert_eq!(answer.1["settings"]["allowAudio"], false);
    lk.heal();

    // Deleting a room tears LiveKit down in the background.
    lk.clear_calls();
    assert_eq!(send(delete(&s, &owner, &id)).await, queued);
    assert!(
        eventually(Duration::from_secs(5), || {
            lk.calls_to("DeleteRoom")
                .iter()
                .any(|c| c.request.room() == Some("set-room"))
        })
        .await,
        "DeleteRoom"
    );
    // (Earlier deletes may still be finishing their own teardown: set-room only.)
    let calls: Vec<_> = mutating(&lk)
        .into_iter()
        .filter(|c| c.request.room() == Some("set-room"))
        .collect();
    let methods: Vec<&str> = calls.iter().map(|c| c.method.as_str()).collect();
    assert_eq!(methods, ["SendData", "DeleteRoom"]);
    assert!(calls[0].grants.room_admin && calls[1].grants.room_create);
    match &calls[0].request {
        FakeRequest::SendData(r) => {
            let msg: Value = serde_json::from_slice(&r.data).expect("json");
            assert_eq!(
                msg,
                json!({"type": "system", "event": "room_ended",
                       "message": "The meeting has been ended by the creator"})
            );
            assert_eq!(r.topic.as_deref(), Some("system"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn list_delete_and_settings_on_sqlite() {
    list_delete_and_settings(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn list_delete_and_settings_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    list_delete_and_settings(Backend::Postgres(url)).await;
}

// ---------------------------------------------------------------------------------------
// presence

async fn presence_rules(backend: Backend) {
    let lk = FakeLivekit::start(KEY, SECRET).await.expect("fake livekit");
    let s = start(backend, &lk, &[]);
    let owner = register(&s, "owner@example.com", "Owner Person").await;
    let root = superadmin(&s, "root@example.com").await;
    let member = guest_login(&s, "Member Person").await;
    let outsider = guest_login(&s, "Outsider").await;
    let anon = reqwest::Client::new();
    let presence = |id: &str, q: &str| s.url(&format!("/api/room/{id}/presence{q}"));

    let public = create_room(&s, &owner, json!({"name": "pub-pres", "isPublic": true})).await;
    let pub_id = public["id"].as_str().expect("id").to_string();
    // Not running in LiveKit yet: nobody.
    assert_eq!(
        send(anon.get(presence(&pub_id, "?countOnly=1"))).await,
        (200, json!({"count": 0}))
    );
    lk.join("pub-pres", FakeParticipant::new(&member.id).name(""));
    lk.join(
        "pub-pres",
        FakeParticipant::new("guest-abcdefgh").name("  "),
    );
    lk.join(
        "pub-pres",
        FakeParticipant::new(&owner.id).name("Live Name"),
    );
    lk.join("pub-pres", FakeParticipant::new("observer").hidden());
    for q in ["?countOnly=1", "?countOnly=true", "?countOnly=TRUE"] {
        assert_eq!(
            send(anon.get(presence(&pub_id, q))).await,
            (200, json!({"count": 3})),
            "{q}"
        );
    }
    assert_eq!(
        err(&send(anon.get(presence(&pub_id, ""))).await),
        (401, Some("Unauthorized"))
    );
    assert_eq!(
        err(&send(anon.get(presence(&pub_id, "?countOnly=0"))).await),
        (401, Some("Unauthorized"))
    );
    assert_eq!(
        err(&send(
            anon.get(presence(&pub_id, ""))
                .header("authorization", "Bearer not-a-token")
        )
        .await),
        (401, Some("Unauthorized")),
        "an invalid token is anonymous"
    );
    let expected = json!({"participants": [
        {"identity": member.id, "name": "Member Person", "avatarUrl": ""},
        {"identity": "guest-abcdefgh", "name": "guest-abcdefgh", "avatarUrl": ""},
        {"identity": owner.id, "name": "Live Name", "avatarUrl": ""},
    ]});
    for who in [&outsider, &owner, &root] {
        assert_eq!(
            send(get(&s, who, &format!("/api/room/{pub_id}/presence"))).await,
            (200, expected.clone()),
            "public rooms list for any signed-in caller"
        );
    }
    assert_eq!(
        err(&send(anon.get(presence(
            "00000000-0000-4000-8000-000000000000",
            "?countOnly=1"
        )))
        .await),
        (404, Some("Room not found"))
    );
    assert_eq!(
        err(&send(anon.get(presence("garbage", "?countOnly=1"))).await),
        (404, Some("Room not found"))
    );

    // Private room: members only.
    let private = create_room(&s, &owner, json!({"name": "priv-pres"})).await;
    let priv_id = private["id"].as_str().expect("id").to_string();
    hook(&s, "participant_joined", "priv-pres", Some(&member.id)).await;
    lk.join("priv-pres", FakeParticipant::new(&member.id).name("M"));
    lk.join("priv-pres", FakeParticipant::new(&owner.id).name("O"));
    let not_found = (404, Some("Room not found"));
    assert_eq!(
        err(&send(anon.get(presence(&priv_id, "?countOnly=1"))).await),
        not_found
    );
    assert_eq!(
        err(&send(get(
            &s,
            &outsider,
            &format!("/api/room/{priv_id}/presence?countOnly=1")
        ))
        .await),
        not_found
    );
    for who in [&owner, &root, &member] {
        assert_eq!(
            send(get(
                &s,
                who,
                &format!("/api/room/{priv_id}/presence?countOnly=1")
            ))
            .await,
            (200, json!({"count": 2}))
        );
        let list = send(get(&s, who, &format!("/api/room/{priv_id}/presence"))).await;
        assert_eq!(list.0, 200);
        assert_eq!(
            list.1["participants"].as_array().map(Vec::len),
            Some(2),
            "{}",
            list.1
        );
    }
    assert_eq!(
        send(get(&s, &outsider, &format!("/api/room/{priv_id}/presence"))).await,
        (200, json!({"participants": []}))
    );
    assert_eq!(
        err(&send(anon.get(presence(&priv_id, ""))).await),
        (401, Some("Unauthorized"))
    );
    // A banned row is no membership.
    let answer = send(post(
        &s,
        &owner,
        &format!("/api/room/{priv_id}/ban/{}", member.id),
        json!({}),
    ))
    .await;
    assert_eq!(answer.0, 200);
    assert_eq!(
        err(&send(get(
            &s,
            &member,
            &format!("/api/room/{priv_id}/presence?countOnly=1")
        ))
        .await),
        not_found
    );
    assert_eq!(
        send(get(&s, &member, &format!("/api/room/{priv_id}/presence"))).await,
        (200, json!({"participants": []}))
    );

    // LiveKit failing: zero and empty, never an error.
    lk.fail(FailMode::Http500);
    assert_eq!(
        send(anon.get(presence(&pub_id, "?countOnly=1"))).await,
        (200, json!({"count": 0}))
    );
    assert_eq!(
        send(get(&s, &owner, &format!("/api/room/{pub_id}/presence"))).await,
        (200, json!({"participants": []}))
    );
    lk.heal();

    // Archived rooms are unknown.
    assert_eq!(send(delete(&s, &owner, &pub_id)).await.0, 202);
    assert_eq!(
        err(&send(anon.get(presence(&pub_id, "?countOnly=1"))).await),
        not_found
    );
    assert_eq!(
        err(&send(get(&s, &owner, &format!("/api/room/{pub_id}/presence"))).await),
        not_found
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn presence_rules_on_sqlite() {
    presence_rules(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn presence_rules_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    presence_rules(Backend::Postgres(url)).await;
}

// ---------------------------------------------------------------------------------------
// capacity under concurrency

async fn concurrent_joins(backend: Backend) {
    let lk = FakeLivekit::start(KEY, SECRET).await.expect("fake livekit");
    let s = start(backend, &lk, &[]);
    let owner = register(&s, "owner@example.com", "Owner Person").await;
    create_room(
        &s,
        &owner,
        json!({"name": "ten-seats", "isPublic": true, "maxParticipants": 10}),
    )
    .await;
    create_room(
        &s,
        &owner,
        json!({"name": "ten-guests", "isPublic": true, "maxParticipants": 10}),
    )
    .await;
    let mut users = Vec::new();
    for i in 0..30 {
        users.push(guest_login(&s, &format!("Joiner {i}")).await);
    }
    let base = s.base.clone();
    let tasks: Vec<_> = users
        .iter()
        .map(|u| {
            let req = reqwest::Client::new()
                .post(format!("{base}/api/room/join"))
                .header("authorization", &u.bearer)
                .json(&json!({"roomName": "ten-seats"}));
            tokio::spawn(async move { send(req).await })
        })
        .collect();
    let guests: Vec<_> = (0..30)
        .map(|i| {
            let req = reqwest::Client::new()
                .post(format!("{base}/api/room/guest-join"))
                .json(&json!({"roomName": "ten-guests", "guestName": format!("G{i}")}));
            tokio::spawn(async move { send(req).await })
        })
        .collect();
    for (label, tasks) in [("join", tasks), ("guest-join", guests)] {
        let (mut ok, mut full) = (0, 0);
        for t in tasks {
            match t.await.expect("task") {
                (200, _) => ok += 1,
                (403, b) if b["error"] == "room is full" => full += 1,
                other => panic!("{label}: unexpected {other:?}"),
            }
        }
        assert_eq!((ok, full), (10, 20), "{label}");
    }
    for name in ["ten-seats", "ten-guests"] {
        assert_eq!(err(&check(&s, name).await), (403, Some("room is full")));
    }
    assert_eq!(
        err(&join(&s, &owner, "ten-seats").await),
        (403, Some("room is full")),
        "the creator counts like anyone"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn thirty_concurrent_joins_of_ten_seats_on_sqlite() {
    concurrent_joins(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn thirty_concurrent_joins_of_ten_seats_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    concurrent_joins(Backend::Postgres(url)).await;
}
