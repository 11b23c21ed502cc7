//! Rooms, moderation and the LiveKit webhook over HTTP, with the fake LiveKit as the
//! external media server (API §3.5–§3.7, §3.9, §6).

use std::time::Duration;

use base64::Engine;
use bedrud_tests::fake_livekit::{
    FailMode, FakeLivekit, FakeParticipant, FakeRequest, post_webhook, webhook_body, webhook_event,
};
use bedrud_tests::{Backend, Server, postgres_or_skip};
use serde_json::{Value, json};

const KEY: &str = "APItestkey";
const SECRET: &str = "a-livekit-secret-that-is-long-enough-1234";

async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.json::<Value>().await.unwrap_or(Value::Null))
}

fn env(lk: &FakeLivekit) -> Vec<(String, String)> {
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

async fn start(backend: Backend, lk: &FakeLivekit) -> Server {
    let env = env(lk);
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Server::start(backend, &pairs).expect("start")
}

/// Registers a user and returns (user id, bearer header value).
async fn user(s: &Server, email: &str) -> (String, String) {
    let c = reqwest::Client::new();
    let (status, body) =
        send(c.post(s.url("/api/auth/register")).json(
            &json!({"email": email, "password": "correct horse battery", "name": "Room User"}),
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    (
        body["user"]["id"].as_str().expect("id").to_string(),
        format!(
            "Bearer {}",
            body["tokens"]["accessToken"].as_str().expect("token")
        ),
    )
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("b64");
    serde_json::from_slice(&bytes).expect("claims")
}

async fn room_lifecycle(backend: Backend) {
    let lk = FakeLivekit::start(KEY, SECRET).await.expect("fake livekit");
    let s = start(backend, &lk).await;
    let c = reqwest::Client::new();
    let (owner_id, owner) = user(&s, "owner@example.com").await;
    let (_, other) = user(&s, "other@example.com").await;

    let (status, room) = send(
        c.post(s.url("/api/room/create"))
            .header("authorization", &owner)
            .json(
                &json!({"name": " Team-Sync ", "isPublic": true, "settings": {"allowChat": false}}),
            ),
    )
    .await;
    assert_eq!(status, 200, "{room}");
    assert_eq!(room["name"], "team-sync");
    assert_eq!(room["createdBy"], owner_id.as_str());
    assert_eq!(room["settings"]["allowChat"], false);
    assert_eq!(
        room["settings"]["allowVideo"], true,
        "missing keys take the defaults"
    );
    assert!(room.get("deletedAt").is_none());
    assert_eq!(room["livekitHost"], lk.ws_url());
    let room_id = room["id"].as_str().expect("id").to_string();
    assert_eq!(
        lk.calls_to("CreateRoom").len(),
        1,
        "best-effort CreateRoom after commit"
    );

    let (status, body) = send(
        c.post(s.url("/api/room/create"))
            .header("authorization", &other)
            .json(&json!({"name": "team-sync"})),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("a room with this name already exists"))
    );
    let (status, body) = send(
        c.post(s.url("/api/room/create"))
            .header("authorization", &other)
            .json(&json!({"name": "No_Good"})),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (
            400,
            Some("room name must contain only lowercase letters, numbers, and hyphens")
        )
    );

    let (status, joined) = send(
        c.post(s.url("/api/room/join"))
            .header("authorization", &other)
            .json(&json!({"roomName": "TEAM-SYNC"})),
    )
    .await;
    assert_eq!(status, 200, "{joined}");
    let grant = claims(joined["token"].as_str().expect("token"));
    assert_eq!(grant["video"]["room"], "team-sync");
    assert_eq!(grant["video"]["roomJoin"], true);
    assert_eq!(grant["video"]["canPublishData"], false, "allowChat=false");
    assert_eq!(grant["video"]["canUpdateOwnMetadata"], false);
    let meta: Value =
        serde_json::from_str(grant["metadata"].as_str().expect("metadata")).expect("json");
    assert_eq!(meta["roomRole"], "participant");

    let (status, list) = send(
        c.get(s.url("/api/room/list"))
            .header("authorization", &owner),
    )
    .await;
    assert_eq!((status, list.as_array().map(Vec::len)), (200, Some(1)));

    // Moderation: the participant is connected in LiveKit; a non-admin cannot kick.
    let target = claims(joined["token"].as_str().expect("token"))["sub"]
        .as_str()
        .expect("identity")
        .to_string();
    lk.join(
        "team-sync",
        FakeParticipant::new(&target).track("microphone", false),
    );
    let (status, body) = send(
        c.post(s.url(&format!("/api/room/{room_id}/kick/{owner_id}")))
            .header("authorization", &other)
            .json(&json!({})),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("Insufficient permissions"))
    );
    let (status, body) = send(
        c.post(s.url(&format!("/api/room/{room_id}/mute/{target}")))
            .header("authorization", &owner)
            .json(&json!({})),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("success")),
        "{body}"
    );
    assert_eq!(lk.calls_to("MutePublishedTrack").len(), 1);
    let (status, body) = send(
        c.post(s.url(&format!("/api/room/{room_id}/ban/{target}")))
            .header("authorization", &owner)
            .json(&json!({})),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("success")),
        "{body}"
    );
    assert!(
        lk.participant("team-sync", &target).is_none(),
        "removed from LiveKit"
    );
    let (status, body) = send(
        c.post(s.url("/api/room/join"))
            .header("authorization", &other)
            .json(&json!({"roomName": "team-sync"})),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("you are banned from this room"))
    );

    // LiveKit down: moderation answers 502, rooms keep working.
    lk.fail(FailMode::Http500);
    let (status, body) = send(
        c.post(s.url(&format!("/api/room/{room_id}/kick/{target}")))
            .header("authorization", &owner)
            .json(&json!({})),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (502, Some("Media server unavailable"))
    );
    let (status, room2) = send(
        c.post(s.url("/api/room/create"))
            .header("authorization", &other)
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 200, "create works while LiveKit is down: {room2}");
    let (status, joined2) = send(
        c.post(s.url("/api/room/join"))
            .header("authorization", &other)
            .json(&json!({"roomName": room2["name"]})),
    )
    .await;
    assert_eq!(status, 200, "join still issues tokens: {joined2}");
    lk.heal();

    // Delete: archived before the 202, teardown in the background.
    let (status, body) = send(
        c.delete(s.url(&format!("/api/room/{room_id}")))
            .header("authorization", &other),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("Only the room creator can delete this room"))
    );
    let (status, body) = send(
        c.delete(s.url(&format!("/api/room/{room_id}")))
            .header("authorization", &owner),
    )
    .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (202, Some("Room deletion queued"))
    );
    let (status, archived) = send(
        c.get(s.url("/api/room/archived"))
            .header("authorization", &owner),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        archived[0]["deletedAt"]
            .as_str()
            .expect("deletedAt")
            .ends_with('Z')
    );
    let (status, body) = send(
        c.post(s.url("/api/room/join"))
            .header("authorization", &owner)
            .json(&json!({"roomName": "team-sync"})),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("archived_owned")),
        "{body}"
    );
    for _ in 0..50 {
        if !lk.calls_to("DeleteRoom").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(lk.calls_to("DeleteRoom").len(), 1, "background teardown");
    let ended = lk
        .calls_to("SendData")
        .into_iter()
        .any(|call| match call.request {
            FakeRequest::SendData(req) => {
                req.room == "team-sync" && String::from_utf8_lossy(&req.data).contains("room_ended")
            }
            _ => false,
        });
    assert!(ended, "room_ended system message before DeleteRoom");
}

#[tokio::test(flavor = "multi_thread")]
async fn room_lifecycle_on_sqlite() {
    room_lifecycle(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn room_lifecycle_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    room_lifecycle(Backend::Postgres(url)).await;
}

async fn concurrent_creates(backend: Backend) {
    let lk = FakeLivekit::start(KEY, SECRET).await.expect("fake livekit");
    let s = start(backend, &lk).await;
    let (_, token) = user(&s, "many@example.com").await;
    let c = reqwest::Client::new();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let req = c
                .post(s.url("/api/room/create"))
                .header("authorization", &token)
                .json(&json!({"name": "one-name"}));
            tokio::spawn(async move { send(req).await })
        })
        .collect();
    let (mut ok, mut conflict) = (0, 0);
    for t in tasks {
        match t.await.expect("join") {
            (200, _) => ok += 1,
            (409, b) if b["error"] == "a room with this name already exists" => conflict += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((ok, conflict), (1, 49));
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_creates_of_one_name_on_sqlite() {
    concurrent_creates(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_creates_of_one_name_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    concurrent_creates(Backend::Postgres(url)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn guests_join_with_a_signed_cookie_and_bans_stick_per_browser() {
    let lk = FakeLivekit::start(KEY, SECRET).await.expect("fake livekit");
    let s = start(Backend::Sqlite, &lk).await;
    let (_, owner) = user(&s, "host@example.com").await;
    let c = reqwest::Client::new();
    let (_, room) = send(
        c.post(s.url("/api/room/create"))
            .header("authorization", &owner)
            .json(&json!({"name": "open-house", "isPublic": true})),
    )
    .await;
    let room_id = room["id"].as_str().expect("id").to_string();

    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let (status, g) = send(
        browser
            .post(s.url("/api/room/guest-join"))
            .json(&json!({"roomName": "open-house", "guestName": "Visitor"})),
    )
    .await;
    assert_eq!(status, 200, "{g}");
    let identity = claims(g["token"].as_str().expect("token"))["sub"]
        .as_str()
        .expect("sub")
        .to_string();
    assert!(
        identity.starts_with("guest-") && identity.len() == 14,
        "{identity}"
    );
    assert!(g["accessToken"].is_string() && g["tokens"]["refreshToken"].is_string());
    let (_, again) = send(
        browser
            .post(s.url("/api/room/guest-join"))
            .json(&json!({"roomName": "open-house", "guestName": "Visitor 2"})),
    )
    .await;
    assert_eq!(
        claims(again["token"].as_str().expect("token"))["sub"],
        identity.as_str(),
        "the cookie keeps the identity"
    );

    let (status, _) = send(
        c.post(s.url(&format!("/api/room/{room_id}/ban/{identity}")))
            .header("authorization", &owner)
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = send(
        browser
            .post(s.url("/api/room/guest-join"))
            .json(&json!({"roomName": "open-house", "guestName": "Visitor"})),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("you are banned from this room"))
    );

    let (status, body) = send(
        c.post(s.url("/api/room/guest-join"))
            .json(&json!({"roomName": "open-house", "guestName": ""})),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("Guest name is required"))
    );
    let (status, body) = send(c.get(s.url("/api/room/check/nope-nope"))).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("Room not found"))
    );
    let (status, body) = send(c.get(s.url("/api/room/check/open-house"))).await;
    assert_eq!((status, body["exists"].as_bool()), (200, Some(true)));
}

#[tokio::test(flavor = "multi_thread")]
async fn webhooks_are_verified_and_update_presence() {
    let lk = FakeLivekit::start(KEY, SECRET).await.expect("fake livekit");
    let s = start(Backend::Sqlite, &lk).await;
    let (_, owner) = user(&s, "hook@example.com").await;
    let c = reqwest::Client::new();
    let (_, room) = send(
        c.post(s.url("/api/room/create"))
            .header("authorization", &owner)
            .json(&json!({"name": "hooked-room", "isPublic": true})),
    )
    .await;
    let room_id = room["id"].as_str().expect("id").to_string();
    let hook = s.url("/api/livekit/webhook");

    let body = webhook_body(&webhook_event("room_started", "hooked-room", None)).expect("body");
    let resp = post_webhook(&hook, KEY, SECRET, &body).await.expect("post");
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.json::<Value>().await.expect("json"),
        json!({"ok": true})
    );
    let bad = post_webhook(
        &hook,
        KEY,
        "the-wrong-secret-for-this-livekit-key-xx",
        &body,
    )
    .await
    .expect("post");
    assert_eq!(bad.status().as_u16(), 401);
    let (status, b) = send(
        c.post(&hook)
            .header("authorization", "x")
            .body(body.clone()),
    )
    .await;
    assert_eq!(
        (status, b["error"].as_str()),
        (401, Some("invalid webhook signature"))
    );

    lk.join(
        "hooked-room",
        FakeParticipant::new("guest-abcdefgh").name("Gus"),
    );
    let (status, presence) =
        send(c.get(s.url(&format!("/api/room/{room_id}/presence?countOnly=1")))).await;
    assert_eq!(
        (status, presence["count"].as_i64()),
        (200, Some(1)),
        "{presence}"
    );
    let (status, presence) = send(
        c.get(s.url(&format!("/api/room/{room_id}/presence")))
            .header("authorization", &owner),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(presence["participants"][0]["identity"], "guest-abcdefgh");
    let (status, body) = send(c.get(s.url(&format!("/api/room/{room_id}/presence")))).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("Unauthorized"))
    );
}
