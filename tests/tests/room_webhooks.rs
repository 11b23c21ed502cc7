//! The LiveKit webhook over HTTP (API §3.7, §6.3): signature checks, and the events that
//! change participant state — presence, occupancy, capacity, ban enforcement.

mod common;

use std::time::Duration;

use bedrud_tests::fake_livekit::{
    FakeLivekit, FakeParticipant, post_webhook, proto, sign_webhook, webhook_body, webhook_event,
};
use bedrud_tests::{Backend, Server, postgres_or_skip};
use common::*;
use serde_json::{Value, json};

fn participant(identity: &str) -> proto::ParticipantInfo {
    proto::ParticipantInfo {
        identity: identity.to_string(),
        sid: format!("PA_{identity}"),
        ..Default::default()
    }
}

async fn post_event(s: &Server, body: &str) -> (u16, Value) {
    let resp = post_webhook(&s.url("/api/livekit/webhook"), KEY, SECRET, body)
        .await
        .expect("webhook");
    let status = resp.status().as_u16();
    (status, resp.json::<Value>().await.unwrap_or(Value::Null))
}

async fn event(s: &Server, name: &str, room: &str, identity: Option<&str>) {
    let body = webhook_body(&webhook_event(name, room, identity.map(participant))).expect("body");
    assert_eq!(
        post_event(s, &body).await,
        (200, json!({"ok": true})),
        "{name}"
    );
}

/// `participantsCount` and `lastActivityAt` of a room in the admin list.
async fn occupancy(s: &Server, root: &User, room: &str) -> (i64, String) {
    let (status, body) = send(get(s, root, &format!("/api/admin/rooms?q={room}"))).await;
    assert_eq!(status, 200, "{body}");
    let r = &body["rooms"][0];
    assert_eq!(r["name"], room);
    (
        r["participantsCount"].as_i64().expect("count"),
        r["lastActivityAt"].as_str().unwrap_or_default().to_string(),
    )
}

async fn count_only(s: &Server, id: &str) -> Value {
    let answer =
        send(reqwest::Client::new().get(s.url(&format!("/api/room/{id}/presence?countOnly=1"))))
            .await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    answer.1["count"].clone()
}

async fn webhook_events(backend: Backend) {
    let lk = FakeLivekit::start(KEY, SECRET).await.expect("fake livekit");
    let s = start(backend, &lk, &[]);
    lk.add_webhook_url(&s.url("/api/livekit/webhook"));
    let settle = || lk.settle_webhooks(Duration::from_secs(10));
    let root = superadmin(&s, "root@example.com").await;
    let owner = register(&s, "owner@example.com", "Owner Person").await;
    let u1 = guest_login(&s, "User One").await;
    let u2 = guest_login(&s, "User Two").await;
    let u3 = guest_login(&s, "User Three").await;
    let room = create_room(
        &s,
        &owner,
        json!({"name": "hook-room", "isPublic": true, "maxParticipants": 2}),
    )
    .await;
    let id = room["id"].as_str().expect("id").to_string();
    settle().await.expect("settle");

    // participant_joined (sent by LiveKit when people connect) fills rows: presence,
    // occupancy and capacity move together.
    let (_, activity0) = occupancy(&s, &root, "hook-room").await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    lk.join("hook-room", FakeParticipant::new(&u1.id).name("U1"));
    settle().await.expect("settle");
    assert_eq!(count_only(&s, &id).await, 1);
    let (count, activity1) = occupancy(&s, &root, "hook-room").await;
    assert_eq!(count, 1);
    assert_ne!(activity0, activity1, "lastActivityAt moves");
    assert_eq!(check(&s, "hook-room").await.0, 200);
    lk.join("hook-room", FakeParticipant::new(&u2.id).name("U2"));
    settle().await.expect("settle");
    assert_eq!(count_only(&s, &id).await, 2);
    assert_eq!(occupancy(&s, &root, "hook-room").await.0, 2);
    assert_eq!(
        err(&check(&s, "hook-room").await),
        (403, Some("room is full"))
    );
    assert_eq!(
        err(&join(&s, &u3, "hook-room").await),
        (403, Some("room is full"))
    );
    assert_eq!(join(&s, &u1, "hook-room").await.0, 200, "own row excluded");
    // Duplicate deliveries are harmless.
    event(&s, "participant_joined", "hook-room", Some(&u2.id)).await;
    assert_eq!(occupancy(&s, &root, "hook-room").await.0, 2);
    // Hidden participants are ignored.
    lk.join("hook-room", FakeParticipant::new("observer").hidden());
    settle().await.expect("settle");
    assert_eq!(occupancy(&s, &root, "hook-room").await.0, 2);
    assert_eq!(count_only(&s, &id).await, 2);
    // participant_left frees the seat.
    lk.leave("hook-room", &u2.id);
    settle().await.expect("settle");
    assert_eq!(count_only(&s, &id).await, 1);
    assert_eq!(occupancy(&s, &root, "hook-room").await.0, 1);
    assert_eq!(check(&s, "hook-room").await.0, 200);
    event(&s, "participant_left", "hook-room", Some(&u2.id)).await;
    event(&s, "participant_left", "hook-room", Some("never-seen")).await;
    assert_eq!(occupancy(&s, &root, "hook-room").await.0, 1);
    assert_eq!(join(&s, &u3, "hook-room").await.0, 200);
    assert_eq!(occupancy(&s, &root, "hook-room").await.0, 2);

    // room_finished: every row inactive; the room itself stays active.
    event(&s, "room_finished", "hook-room", None).await;
    assert_eq!(occupancy(&s, &root, "hook-room").await.0, 0);
    assert_eq!(check(&s, "hook-room").await.0, 200);
    let (_, list) = send(get(&s, &owner, "/api/room/list")).await;
    assert_eq!(list[0]["isActive"], true);
    event(&s, "room_started", "hook-room", None).await;

    // A banned identity that reconnects (pre-ban token) is removed at once.
    let answer = send(post(
        &s,
        &owner,
        &format!("/api/room/{id}/ban/{}", u2.id),
        json!({}),
    ))
    .await;
    assert_eq!(answer.0, 200);
    lk.clear_calls();
    lk.join("hook-room", FakeParticipant::new(&u2.id).name("U2"));
    settle().await.expect("settle");
    assert!(
        eventually(Duration::from_secs(5), || lk
            .participant("hook-room", &u2.id)
            .is_none())
        .await,
        "the banned identity was removed"
    );
    let removals = lk.calls_to("RemoveParticipant");
    assert_eq!(removals.len(), 1, "{:?}", lk.calls());
    assert_eq!(removals[0].request.identity(), Some(u2.id.as_str()));
    assert!(removals[0].grants.room_admin && removals[0].grants.room == "hook-room");
    assert_eq!(
        err(&join(&s, &u2, "hook-room").await),
        (403, Some("you are banned from this room"))
    );
    assert_eq!(
        occupancy(&s, &root, "hook-room").await.0,
        0,
        "room_finished emptied the rows and the banned row does not count"
    );

    // snake_case keys, enum names and int64 strings (protobuf JSON mapping).
    let body =
        json!({"event": "participant_joined", "room": {"name": "hook-room", "num_participants": 3},
                      "participant": {"identity": "snake-case", "joined_at": "1700000000",
                                      "state": "ACTIVE"},
                      "created_at": "1700000000", "id": "EV_x"})
        .to_string();
    assert_eq!(post_event(&s, &body).await, (200, json!({"ok": true})));
    assert_eq!(occupancy(&s, &root, "hook-room").await.0, 1);
    // Unknown events and rooms are acknowledged.
    event(&s, "track_published", "hook-room", Some(&u1.id)).await;
    event(&s, "participant_joined", "no-such-room", Some(&u1.id)).await;
    event(&s, "room_finished", "no-such-room", None).await;

    // Signatures.
    let hook = s.url("/api/livekit/webhook");
    let body = webhook_body(&webhook_event(
        "participant_joined",
        "hook-room",
        Some(participant("forged")),
    ))
    .expect("body");
    let invalid = (401, Some("invalid webhook signature"));
    let wrong = post_webhook(
        &hook,
        KEY,
        "the-wrong-secret-for-this-livekit-key-xx",
        &body,
    )
    .await
    .expect("post");
    assert_eq!(wrong.status().as_u16(), 401);
    assert_eq!(
        wrong.json::<Value>().await.expect("json")["error"],
        "invalid webhook signature"
    );
    let other_key = post_webhook(&hook, "APIother", SECRET, &body)
        .await
        .expect("post");
    assert_eq!(
        other_key.status().as_u16(),
        401,
        "issuer must be the API key"
    );
    let c = reqwest::Client::new();
    assert_eq!(err(&send(c.post(&hook).body(body.clone())).await), invalid);
    assert_eq!(
        err(&send(
            c.post(&hook)
                .header("authorization", "garbage")
                .body(body.clone())
        )
        .await),
        invalid
    );
    // A valid token for another body: the sha256 claim does not match.
    let token = sign_webhook(KEY, SECRET, "{}").expect("sign");
    assert_eq!(
        err(&send(
            c.post(&hook)
                .header("authorization", &token)
                .body(body.clone())
        )
        .await),
        invalid
    );
    // `Bearer ` is accepted; a signed non-event is 400.
    let token = sign_webhook(KEY, SECRET, &body).expect("sign");
    assert_eq!(
        send(
            c.post(&hook)
                .header("authorization", format!("Bearer {token}"))
                .body(body.clone())
        )
        .await,
        (200, json!({"ok": true}))
    );
    let junk = "this is not json";
    let token = sign_webhook(KEY, SECRET, junk).expect("sign");
    assert_eq!(
        err(&send(c.post(&hook).header("authorization", &token).body(junk)).await),
        (400, Some("Invalid webhook payload"))
    );
    assert_eq!(
        occupancy(&s, &root, "hook-room").await.0,
        2,
        "only the Bearer delivery of `forged` counted"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_events_on_sqlite() {
    webhook_events(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_events_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    webhook_events(Backend::Postgres(url)).await;
}
