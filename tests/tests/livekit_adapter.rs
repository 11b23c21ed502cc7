//! The LiveKit adapter against the fake LiveKit server: real Twirp over HTTP, real tokens.
// Helpers here are test code too (clippy only exempts #[test] bodies).
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use bedrud_livekit::{LivekitRooms, LivekitTokens, LivekitWebhooks};
use bedrud_ports::media::{
    JoinGrant, MediaError, MediaPermission, MediaServer, MediaTokens, TrackSource, WebhookVerifier,
};
use bedrud_tests::fake_livekit::{
    FailMode, FakeConfig, FakeLivekit, FakeParticipant, FakeRequest, proto, sign_webhook,
    webhook_body, webhook_event,
};
use livekit_api::access_token::TokenVerifier;

const KEY: &str = "APIfaketest";
const SECRET: &str = "fake-livekit-secret-at-least-32-bytes!!";

fn crypto() {
    let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
}

async fn setup() -> (FakeLivekit, LivekitRooms) {
    crypto();
    let fake = FakeLivekit::start(KEY, SECRET).await.unwrap();
    let rooms = LivekitRooms::with_timeout(&fake.url(), KEY, SECRET, false, Duration::from_secs(3))
        .unwrap();
    (fake, rooms)
}

fn admin_grant_for(call: &bedrud_tests::fake_livekit::Call, room: &str) {
    assert!(call.grants.room_admin, "{}: roomAdmin", call.method);
    assert_eq!(call.grants.room, room, "{}: room", call.method);
    assert!(!call.grants.room_create && !call.grants.room_list && !call.grants.room_join);
    assert!(call.token_ttl_secs <= 600, "service tokens are short-lived");
}

#[tokio::test]
async fn create_list_and_delete_rooms_with_their_grants() {
    let (fake, rooms) = setup().await;
    rooms.create_room("abc-defg-hij", 20).await.unwrap();
    // An upsert on a live room updates maxParticipants.
    rooms.create_room("abc-defg-hij", 50).await.unwrap();
    assert_eq!(fake.room("abc-defg-hij").unwrap().max_participants, 50);
    fake.join("abc-defg-hij", FakeParticipant::new("u1"));

    let listed = rooms.list_rooms().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "abc-defg-hij");
    assert_eq!(listed[0].num_participants, 1);

    rooms.delete_room("abc-defg-hij").await.unwrap();
    assert!(fake.room("abc-defg-hij").is_none());
    assert!(rooms.list_rooms().await.unwrap().is_empty());

    let calls = fake.calls();
    let methods: Vec<&str> = calls.iter().map(|c| c.method.as_str()).collect();
    assert_eq!(
        methods,
        [
            "CreateRoom",
            "CreateRoom",
            "ListRooms",
            "DeleteRoom",
            "ListRooms"
        ]
    );
    let create = &calls[0];
    assert!(create.grants.room_create && !create.grants.room_admin && !create.grants.room_list);
    assert!(create.grants.room.is_empty());
    match &create.request {
        FakeRequest::CreateRoom(r) => {
            assert_eq!(r.name, "abc-defg-hij");
            assert_eq!(r.max_participants, 20);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        calls[2].grants.room_list && !calls[2].grants.room_create && !calls[2].grants.room_admin
    );
    assert!(calls[3].grants.room_create && !calls[3].grants.room_admin);
    assert!(calls.iter().all(|c| c.status == 200 && !c.json));
}

#[tokio::test]
async fn participants_are_listed_and_fetched() {
    let (fake, rooms) = setup().await;
    fake.join(
        "r1",
        FakeParticipant::new("u1")
            .name("Ann")
            .metadata(r#"{"roomRole":"admin"}"#)
            .track("camera", false)
            .track("microphone", true),
    );
    fake.join("r1", FakeParticipant::new("admin-x").hidden());

    let list = rooms.list_participants("r1").await.unwrap();
    assert_eq!(list.len(), 2);
    let ann = &list[0];
    assert_eq!((ann.identity.as_str(), ann.name.as_str()), ("u1", "Ann"));
    assert_eq!(ann.metadata, r#"{"roomRole":"admin"}"#);
    assert!(!ann.hidden);
    assert_eq!(ann.tracks.len(), 2);
    assert_eq!(ann.tracks[0].source, Some(TrackSource::Camera));
    assert!(!ann.tracks[0].muted);
    assert_eq!(ann.tracks[1].source, Some(TrackSource::Microphone));
    assert!(ann.tracks[1].muted);
    assert!(list[1].hidden);

    let one = rooms.get_participant("r1", "u1").await.unwrap();
    assert_eq!(&one, ann);
    for call in fake.calls() {
        admin_grant_for(&call, "r1");
    }
}

#[tokio::test]
async fn unknown_rooms_and_participants_are_not_found() {
    let (fake, rooms) = setup().await;
    fake.open_room("r1");
    assert!(matches!(
        rooms.get_participant("r1", "nobody").await,
        Err(MediaError::NotFound)
    ));
    assert!(matches!(
        rooms.get_participant("nope", "u1").await,
        Err(MediaError::NotFound)
    ));
    assert!(matches!(
        rooms.remove_participant("r1", "nobody").await,
        Err(MediaError::NotFound)
    ));
    assert!(matches!(
        rooms.list_participants("nope").await,
        Err(MediaError::NotFound)
    ));
    assert!(matches!(
        rooms.mute_track("r1", "nobody", "TR_1", true).await,
        Err(MediaError::NotFound)
    ));
    assert!(matches!(
        rooms
            .update_participant("r1", "nobody", Some("{}".into()), None)
            .await,
        Err(MediaError::NotFound)
    ));
    assert!(matches!(
        rooms.send_data("nope", "system", b"{}".to_vec()).await,
        Err(MediaError::NotFound)
    ));
    assert!(matches!(
        rooms.delete_room("nope").await,
        Err(MediaError::NotFound)
    ));
    assert!(fake.calls().iter().all(|c| c.status == 404));
}

#[tokio::test]
async fn remove_participant_disconnects_it() {
    let (fake, rooms) = setup().await;
    fake.join("r1", FakeParticipant::new("u1"));
    fake.join("r1", FakeParticipant::new("u2"));
    rooms.remove_participant("r1", "u1").await.unwrap();
    let left: Vec<String> = fake
        .participants("r1")
        .into_iter()
        .map(|p| p.identity)
        .collect();
    assert_eq!(left, ["u2"]);
    let call = &fake.calls_to("RemoveParticipant")[0];
    admin_grant_for(call, "r1");
    assert_eq!(call.request.identity(), Some("u1"));
}

#[tokio::test]
async fn mute_published_track() {
    let (fake, rooms) = setup().await;
    let info = fake.join(
        "r1",
        FakeParticipant::new("u1")
            .track("microphone", false)
            .track("camera", false),
    );
    let mic = info.tracks[0].sid.clone();
    rooms.mute_track("r1", "u1", &mic, true).await.unwrap();
    let now = fake.participant("r1", "u1").unwrap();
    assert!(now.tracks[0].muted);
    assert!(!now.tracks[1].muted);
    assert!(matches!(
        rooms.mute_track("r1", "u1", "TR_unknown", true).await,
        Err(MediaError::NotFound)
    ));

    let call = &fake.calls_to("MutePublishedTrack")[0];
    admin_grant_for(call, "r1");
    match &call.request {
        FakeRequest::MutePublishedTrack(r) => {
            assert_eq!(
                (r.identity.as_str(), r.track_sid.as_str(), r.muted),
                ("u1", mic.as_str(), true)
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn update_participant_metadata_and_permission() {
    let (fake, rooms) = setup().await;
    fake.join(
        "r1",
        FakeParticipant::new("u1").metadata(r#"{"roomRole":"participant"}"#),
    );
    let permission = MediaPermission {
        can_subscribe: true,
        can_publish: true,
        can_publish_data: true,
        can_publish_sources: vec![TrackSource::Microphone, TrackSource::Camera],
        can_update_metadata: false,
        hidden: false,
    };
    rooms
        .update_participant(
            "r1",
            "u1",
            Some(r#"{"roomRole":"moderator"}"#.into()),
            Some(permission.clone()),
        )
        .await
        .unwrap();
    let p = fake.participant("r1", "u1").unwrap();
    assert_eq!(p.metadata, r#"{"roomRole":"moderator"}"#);
    let perm = p.permission.unwrap();
    assert!(
        perm.can_publish
            && perm.can_subscribe
            && perm.can_publish_data
            && !perm.can_update_metadata
    );
    assert_eq!(
        perm.can_publish_sources,
        vec![
            proto::TrackSource::Microphone as i32,
            proto::TrackSource::Camera as i32
        ]
    );

    // Permission only: metadata stays.
    let muted = MediaPermission {
        can_publish: false,
        can_publish_sources: vec![],
        ..permission
    };
    rooms
        .update_participant("r1", "u1", None, Some(muted))
        .await
        .unwrap();
    let p = fake.participant("r1", "u1").unwrap();
    assert_eq!(p.metadata, r#"{"roomRole":"moderator"}"#);
    assert!(!p.permission.unwrap().can_publish);

    let calls = fake.calls_to("UpdateParticipant");
    assert_eq!(calls.len(), 2);
    for call in &calls {
        admin_grant_for(call, "r1");
    }
    match &calls[1].request {
        FakeRequest::UpdateParticipant(r) => {
            assert!(r.metadata.is_empty() && r.permission.is_some())
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn send_data_is_reliable_on_topic_system() {
    let (fake, rooms) = setup().await;
    fake.open_room("r1");
    let payload = br#"{"type":"system","event":"kick","actor":"a","target":"u1"}"#.to_vec();
    rooms
        .send_data("r1", "system", payload.clone())
        .await
        .unwrap();
    let sent = fake.sent_data("r1");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].data, payload);
    assert_eq!(sent[0].topic.as_deref(), Some("system"));
    assert_eq!(sent[0].kind, proto::data_packet::Kind::Reliable as i32);
    assert!(sent[0].destination_identities.is_empty());
    assert_eq!(sent[0].nonce.len(), 16);
    admin_grant_for(&fake.calls_to("SendData")[0], "r1");
}

#[tokio::test]
async fn fake_down_is_unavailable() {
    let (fake, rooms) = setup().await;
    fake.open_room("r1");
    rooms.list_rooms().await.unwrap(); // a pooled connection now exists

    fake.fail(FailMode::Http500);
    assert!(matches!(
        rooms.list_rooms().await,
        Err(MediaError::Unavailable(_))
    ));
    assert!(matches!(
        rooms.get_participant("r1", "u1").await,
        Err(MediaError::Unavailable(_))
    ));

    fake.fail(FailMode::Drop);
    assert!(matches!(
        rooms.list_rooms().await,
        Err(MediaError::Unavailable(_))
    ));
    assert!(matches!(
        rooms.create_room("r2", 5).await,
        Err(MediaError::Unavailable(_))
    ));

    fake.heal();
    assert_eq!(rooms.list_rooms().await.unwrap().len(), 1);

    fake.stop();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(matches!(
        rooms.list_rooms().await,
        Err(MediaError::Unavailable(_))
    ));
}

#[tokio::test]
async fn a_hanging_server_times_out_as_unavailable() {
    crypto();
    let fake = FakeLivekit::start(KEY, SECRET).await.unwrap();
    let rooms =
        LivekitRooms::with_timeout(&fake.url(), KEY, SECRET, false, Duration::from_millis(300))
            .unwrap();
    fake.fail(FailMode::Hang);
    assert!(matches!(
        rooms.list_rooms().await,
        Err(MediaError::Unavailable(_))
    ));
}

#[tokio::test]
async fn wrong_secret_is_refused_and_not_mistaken_for_not_found() {
    crypto();
    let fake = FakeLivekit::start(KEY, SECRET).await.unwrap();
    let rooms = LivekitRooms::new(
        &fake.url(),
        KEY,
        "another-secret-another-secret-1234",
        false,
    )
    .unwrap();
    assert!(matches!(
        rooms.list_rooms().await,
        Err(MediaError::Unavailable(_))
    ));
    assert!(
        fake.calls().is_empty(),
        "unauthenticated calls are not recorded"
    );
}

#[tokio::test]
async fn ws_url_and_json_bodies_work() {
    let (fake, _) = setup().await;
    let rooms = LivekitRooms::new(&format!("{}/", fake.ws_url()), KEY, SECRET, false).unwrap();
    rooms.create_room("r1", 0).await.unwrap();
    assert!(fake.room("r1").is_some());

    // The fake also speaks the Twirp JSON encoding.
    let token = livekit_api::access_token::AccessToken::with_api_key(KEY, SECRET)
        .with_grants(livekit_api::access_token::VideoGrants {
            room_list: true,
            ..Default::default()
        })
        .to_jwt()
        .unwrap();
    let reply: serde_json::Value = reqwest::Client::new()
        .post(format!(
            "{}/twirp/livekit.RoomService/ListRooms",
            fake.url()
        ))
        .bearer_auth(token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply["rooms"][0]["name"], "r1");
    assert!(fake.calls_to("ListRooms")[0].json);
}

#[tokio::test]
async fn a_grant_for_another_room_is_permission_denied() {
    let (fake, _) = setup().await;
    fake.join("r1", FakeParticipant::new("u1"));
    let token = livekit_api::access_token::AccessToken::with_api_key(KEY, SECRET)
        .with_grants(livekit_api::access_token::VideoGrants {
            room_admin: true,
            room: "other".into(),
            ..Default::default()
        })
        .to_jwt()
        .unwrap();
    let reply = reqwest::Client::new()
        .post(format!(
            "{}/twirp/livekit.RoomService/ListParticipants",
            fake.url()
        ))
        .bearer_auth(token)
        .json(&serde_json::json!({"room": "r1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 403);
    let body: serde_json::Value = reply.json().await.unwrap();
    assert_eq!(body["code"], "permission_denied");
    assert_eq!(fake.calls()[0].status, 403);
}

#[tokio::test]
async fn join_tokens_verify_against_the_fakes_keys() {
    crypto();
    let tokens = LivekitTokens::new(KEY, SECRET);
    let token = tokens
        .join_token(&JoinGrant {
            room: "r1".into(),
            identity: "guest-abcdefgh".into(),
            name: "Guest".into(),
            metadata: "{}".into(),
            permission: MediaPermission {
                can_subscribe: true,
                can_publish: true,
                can_publish_data: true,
                can_publish_sources: vec![TrackSource::Microphone],
                can_update_metadata: false,
                hidden: false,
            },
            room_admin: false,
            recorder: false,
            ttl_secs: 7200,
        })
        .unwrap();
    let claims = TokenVerifier::with_api_key(KEY, SECRET)
        .verify(&token)
        .unwrap();
    assert!(claims.video.room_join);
    assert_eq!(claims.video.can_publish_sources, ["microphone"]);
}

#[tokio::test]
async fn signed_webhooks_verify_with_the_adapter() {
    crypto();
    let participant = proto::ParticipantInfo {
        identity: "u1".into(),
        name: "Ann".into(),
        state: proto::participant_info::State::Active as i32,
        joined_at: 1_700_000_000,
        ..Default::default()
    };
    let body = webhook_body(&webhook_event(
        "participant_joined",
        "r1",
        Some(participant),
    ))
    .unwrap();
    assert!(body.contains("\"joinedAt\":\"1700000000\""), "{body}");
    let auth = sign_webhook(KEY, SECRET, &body).unwrap();
    let event = LivekitWebhooks::new(KEY, SECRET)
        .verify(&body, &auth)
        .unwrap();
    assert_eq!(event.event, "participant_joined");
    assert_eq!(event.room_name.as_deref(), Some("r1"));
    assert_eq!(event.participant_identity.as_deref(), Some("u1"));
    assert_eq!(event.participant_name.as_deref(), Some("Ann"));
}

/// A tiny HTTP sink that verifies each webhook with the adapter and remembers the events.
async fn webhook_sink() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/api/livekit/webhook",
        listener.local_addr().unwrap()
    );
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    tokio::spawn(async move {
        let verifier = LivekitWebhooks::new(KEY, SECRET);
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Read headers, then the Content-Length body.
            let (head, body) = loop {
                let n = stream.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break (String::new(), String::new());
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some(i) = text.find("\r\n\r\n") {
                    let head = text[..i].to_string();
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if buf.len() >= i + 4 + len {
                        break (
                            head,
                            String::from_utf8_lossy(&buf[i + 4..i + 4 + len]).to_string(),
                        );
                    }
                }
            };
            let auth = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("authorization")
                        .then(|| v.trim().to_string())
                })
                .unwrap_or_default();
            let status = match verifier.verify(&body, &auth) {
                Ok(event) => {
                    sink.lock().unwrap().push(format!(
                        "{} {} {}",
                        event.event,
                        event.room_name.unwrap_or_default(),
                        event.participant_identity.unwrap_or_default()
                    ));
                    "200 OK"
                }
                Err(_) => "401 Unauthorized",
            };
            let _ = stream
                .write_all(
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .as_bytes(),
                )
                .await;
        }
    });
    (url, seen)
}

#[tokio::test]
async fn the_fake_sends_lifecycle_webhooks() {
    crypto();
    let (url, seen) = webhook_sink().await;
    let fake = FakeLivekit::start_with(FakeConfig::new(KEY, SECRET).webhook_url(&url))
        .await
        .unwrap();
    let rooms = LivekitRooms::new(&fake.url(), KEY, SECRET, false).unwrap();
    fake.join("r1", FakeParticipant::new("u1"));
    fake.join("r1", FakeParticipant::new("u2"));
    rooms.remove_participant("r1", "u1").await.unwrap();
    fake.leave("r1", "u2");
    rooms.delete_room("r1").await.unwrap();
    fake.settle_webhooks(Duration::from_secs(10)).await.unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "room_started r1 ",
            "participant_joined r1 u1",
            "participant_joined r1 u2",
            "participant_left r1 u1",
            "participant_left r1 u2",
            "room_finished r1 ",
        ]
    );
    assert!(
        fake.webhook_deliveries()
            .iter()
            .all(|d| d.status == Some(200))
    );
}

#[tokio::test]
async fn control_endpoints_drive_the_fake_over_http() {
    let (fake, rooms) = setup().await;
    let http = reqwest::Client::new();
    let health = http.get(fake.url()).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "OK");

    let info: serde_json::Value = http
        .post(format!("{}/_fake/rooms/r1/participants", fake.url()))
        .json(
            &serde_json::json!({"identity": "u1", "name": "Ann", "tracks": [{"source": "camera"}]}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["identity"], "u1");
    assert_eq!(info["tracks"][0]["source"], "CAMERA");
    assert_eq!(rooms.get_participant("r1", "u1").await.unwrap().name, "Ann");

    let calls: serde_json::Value = http
        .get(format!("{}/_fake/calls", fake.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(calls[0]["method"], "GetParticipant");
    assert_eq!(calls[0]["grants"]["roomAdmin"], true);
    assert_eq!(calls[0]["request"]["identity"], "u1");

    http.post(format!("{}/_fake/fail", fake.url()))
        .json(&serde_json::json!({"mode": "http500"}))
        .send()
        .await
        .unwrap();
    assert!(matches!(
        rooms.list_rooms().await,
        Err(MediaError::Unavailable(_))
    ));
    http.post(format!("{}/_fake/fail", fake.url()))
        .json(&serde_json::json!({"mode": "none"}))
        .send()
        .await
        .unwrap();
    http.delete(format!("{}/_fake/rooms/r1/participants/u1", fake.url()))
        .send()
        .await
        .unwrap();
    assert!(rooms.list_participants("r1").await.unwrap().is_empty());
}

#[tokio::test]
async fn the_standalone_server_reads_livekit_yaml() {
    let bin = env!("CARGO_BIN_EXE_fake-livekit-server");
    crypto();
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let yaml = format!("port: {port}\nbind_addresses:\n  - 127.0.0.1\nkeys:\n  {KEY}: {SECRET}\n");
    let path = dir.path().join("livekit.yaml");
    std::fs::write(&path, yaml).unwrap();
    let mut child = tokio::process::Command::new(bin)
        .arg("--config")
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let rooms =
        LivekitRooms::with_timeout(&url, KEY, SECRET, false, Duration::from_secs(2)).unwrap();
    let mut up = false;
    for _ in 0..100 {
        if rooms.create_room("r1", 3).await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the fake server did not come up");
    assert_eq!(rooms.list_rooms().await.unwrap()[0].name, "r1");

    // Told to crash, it exits non-zero and LiveKit is down.
    reqwest::Client::new()
        .post(format!("{url}/_fake/crash"))
        .send()
        .await
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(!status.success());
    assert!(matches!(
        rooms.list_rooms().await,
        Err(MediaError::Unavailable(_))
    ));
}
