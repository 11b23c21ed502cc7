//! LiveKit join tokens over HTTP (API §6.1, §3.9): identity, name, TTL, room, every grant
//! and the server-set metadata for owners, moderators, participants, guests, webinar
//! audiences and rooms with media disabled; each token verifies with the key and secret.

mod common;

use bedrud_tests::fake_livekit::FakeLivekit;
use bedrud_tests::{Backend, Server, postgres_or_skip};
use common::*;
use serde_json::{Value, json};

const TTL_MINUTES: u64 = 45;

async fn token_of(answer: (u16, Value)) -> String {
    assert_eq!(answer.0, 200, "{}", answer.1);
    answer.1["token"].as_str().expect("token").to_string()
}

async fn promote(s: &Server, admin: &User, room_id: &str, who: &User) {
    let answer = send(post(
        s,
        admin,
        &format!("/api/room/{room_id}/promote/{}", who.id),
        json!({}),
    ))
    .await;
    assert_eq!(answer.1["status"], "success", "{}", answer.1);
}

async fn join_tokens(backend: Backend) {
    let lk = FakeLivekit::start(KEY, SECRET).await.expect("fake livekit");
    let ttl = TTL_MINUTES.to_string();
    let s = start(backend, &lk, &[("BEDRUD_LIVEKIT__TOKEN_TTL_MINUTES", &ttl)]);
    let ttl = TTL_MINUTES * 60;
    let owner = register(&s, "owner@example.com", "  Owner Person ").await;
    let part = register(&s, "part@example.com", "Pat Participant").await;
    let modr = register(&s, "mod@example.com", "Mo Derator").await;
    let root = superadmin(&s, "root@example.com").await;
    let glogin = guest_login(&s, "Guest Login").await;

    // Standard room: everyone publishes every source.
    let room = create_room(&s, &owner, json!({"name": "std-room", "isPublic": true})).await;
    let room_id = room["id"].as_str().expect("id").to_string();
    let base = |identity, name, metadata| Expect {
        identity,
        name,
        room: "std-room",
        can_publish: true,
        sources: &ALL_SOURCES,
        can_publish_data: true,
        metadata,
        room_admin: false,
        hidden: false,
        ttl,
    };
    let token = token_of(join(&s, &owner, "std-room").await).await;
    assert_token(
        &token,
        &base(&owner.id, "Owner Person", meta(&["user"], "admin", true)),
    );
    let token = token_of(join(&s, &part, "std-room").await).await;
    assert_token(
        &token,
        &base(
            &part.id,
            "Pat Participant",
            meta(&["user"], "participant", false),
        ),
    );
    let token = token_of(join(&s, &modr, "std-room").await).await;
    assert_token(
        &token,
        &base(
            &modr.id,
            "Mo Derator",
            meta(&["user"], "participant", false),
        ),
    );
    promote(&s, &owner, &room_id, &modr).await;
    let token = token_of(refresh_token(&s, &modr, "std-room").await).await;
    assert_token(
        &token,
        &base(
            &modr.id,
            "Mo Derator",
            meta(&["user", "moderator"], "moderator", false),
        ),
    );
    let token = token_of(join(&s, &modr, "std-room").await).await;
    assert_token(
        &token,
        &base(
            &modr.id,
            "Mo Derator",
            meta(&["user", "moderator"], "moderator", false),
        ),
    );
    let token = token_of(join(&s, &root, "std-room").await).await;
    assert_token(
        &token,
        &base(
            &root.id,
            "Super Admin",
            meta(&["superadmin", "user"], "participant", false),
        ),
    );
    let token = token_of(join(&s, &glogin, "std-room").await).await;
    assert_token(
        &token,
        &base(
            &glogin.id,
            "Guest Login",
            meta(&["guest"], "participant", false),
        ),
    );
    assert_eq!(glogin.id.len(), 36, "guest-login identities are UUIDs");
    // Guest-join: the guest identity and the sanitised guest name.
    let answer = guest_join(&s, "std-room", "  <Gus> ").await;
    let identity = token_claims(&answer)["sub"]
        .as_str()
        .expect("sub")
        .to_string();
    assert!(
        identity.starts_with("guest-") && identity.len() == 14,
        "{identity}"
    );
    assert!(
        identity[6..]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    );
    let token = token_of(answer).await;
    assert_token(
        &token,
        &base(&identity, "Gus", meta(&["guest"], "participant", false)),
    );
    // The current database name wins over the name in the access token.
    let answer = send(
        reqwest::Client::new()
            .put(s.url("/api/auth/me"))
            .header("authorization", &part.bearer)
            .json(&json!({"name": "Renamed Pat"})),
    )
    .await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    // (The per-request user check may be cached for up to 5 s, API §2.3.)
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(6);
    let token = loop {
        let token = token_of(refresh_token(&s, &part, "std-room").await).await;
        if claims(&token)["name"] == "Renamed Pat" || tokio::time::Instant::now() > deadline {
            break token;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_token(
        &token,
        &base(
            &part.id,
            "Renamed Pat",
            meta(&["user"], "participant", false),
        ),
    );

    // Webinar and broadcast: only the admin, moderators and people on stage publish.
    for mode in ["webinar", "broadcast"] {
        let name = format!("{mode}-tokens");
        let room = create_room(
            &s,
            &owner,
            json!({"name": name, "isPublic": true, "mode": mode}),
        )
        .await;
        let id = room["id"].as_str().expect("id").to_string();
        let with = |identity, who_name, can_publish, metadata| Expect {
            identity,
            name: who_name,
            room: &name,
            can_publish,
            sources: &ALL_SOURCES,
            can_publish_data: true,
            metadata,
            room_admin: false,
            hidden: false,
            ttl,
        };
        let token = token_of(join(&s, &owner, &name).await).await;
        assert_token(
            &token,
            &with(
                &owner.id,
                "Owner Person",
                true,
                meta(&["user"], "admin", true),
            ),
        );
        let token = token_of(join(&s, &part, &name).await).await;
        assert_token(
            &token,
            &with(
                &part.id,
                "Renamed Pat",
                false,
                meta(&["user"], "participant", false),
            ),
        );
        let token = token_of(join(&s, &root, &name).await).await;
        assert_token(
            &token,
            &with(
                &root.id,
                "Super Admin",
                false,
                meta(&["superadmin", "user"], "participant", false),
            ),
        );
        let answer = guest_join(&s, &name, "Audience").await;
        let gid = token_claims(&answer)["sub"]
            .as_str()
            .expect("sub")
            .to_string();
        assert_token(
            &token_of(answer).await,
            &with(
                &gid,
                "Audience",
                false,
                meta(&["guest"], "participant", false),
            ),
        );
        token_of(join(&s, &modr, &name).await).await;
        promote(&s, &owner, &id, &modr).await;
        let token = token_of(refresh_token(&s, &modr, &name).await).await;
        assert_token(
            &token,
            &with(
                &modr.id,
                "Mo Derator",
                true,
                meta(&["user", "moderator"], "moderator", false),
            ),
        );
        // On stage: publishing; off stage again: not.
        let answer = send(post(
            &s,
            &owner,
            &format!("/api/room/{id}/stage/{}/bring", part.id),
            json!({}),
        ))
        .await;
        assert_eq!(answer.1["status"], "success", "{}", answer.1);
        let token = token_of(refresh_token(&s, &part, &name).await).await;
        assert_token(
            &token,
            &with(
                &part.id,
                "Renamed Pat",
                true,
                meta(&["user"], "participant", true),
            ),
        );
        let answer = send(post(
            &s,
            &owner,
            &format!("/api/room/{id}/stage/{}/remove", part.id),
            json!({}),
        ))
        .await;
        assert_eq!(answer.1["status"], "success", "{}", answer.1);
        let token = token_of(join(&s, &part, &name).await).await;
        assert_token(
            &token,
            &with(
                &part.id,
                "Renamed Pat",
                false,
                meta(&["user"], "participant", false),
            ),
        );
    }

    // Media switched off by the settings.
    let cases: [(Value, bool, &[&str], bool); 4] = [
        (
            json!({"allowVideo": false, "allowAudio": false, "allowChat": false}),
            false,
            &[],
            false,
        ),
        (
            json!({"allowAudio": false}),
            true,
            &["camera", "screen_share", "screen_share_audio"],
            true,
        ),
        (json!({"allowVideo": false}), true, &["microphone"], true),
        (json!({"allowChat": false}), true, &ALL_SOURCES, false),
    ];
    for (i, (settings, can_publish, sources, data)) in cases.into_iter().enumerate() {
        let name = format!("muted-room-{i}");
        create_room(
            &s,
            &owner,
            json!({"name": name, "isPublic": true, "settings": settings}),
        )
        .await;
        for (who, who_name, role, stage, acc) in [
            (&owner, "Owner Person", "admin", true, "user"),
            (&part, "Renamed Pat", "participant", false, "user"),
        ] {
            let token = token_of(join(&s, who, &name).await).await;
            assert_token(
                &token,
                &Expect {
                    identity: &who.id,
                    name: who_name,
                    room: &name,
                    can_publish,
                    sources,
                    can_publish_data: data,
                    metadata: meta(&[acc], role, stage),
                    room_admin: false,
                    hidden: false,
                    ttl,
                },
            );
        }
    }
    // A settings change shows in the next refreshed token.
    let answer = send(
        reqwest::Client::new()
            .put(s.url(&format!("/api/room/{room_id}/settings")))
            .header("authorization", &owner.bearer)
            .json(&json!({"settings": {"allowAudio": false, "allowVideo": false}})),
    )
    .await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    let token = token_of(refresh_token(&s, &part, "std-room").await).await;
    let mut e = base(
        &part.id,
        "Renamed Pat",
        meta(&["user"], "participant", false),
    );
    e.can_publish = false;
    e.sources = &[];
    assert_token(&token, &e);
}

#[tokio::test(flavor = "multi_thread")]
async fn join_tokens_on_sqlite() {
    join_tokens(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn join_tokens_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    join_tokens(Backend::Postgres(url)).await;
}
