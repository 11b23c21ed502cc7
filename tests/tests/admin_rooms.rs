//! Room administration over HTTP against the fake LiveKit (API §3.9, §4.5): the list
//! with every filter, sort and paging, close with its background teardown, and the admin
//! token.

mod common;

use std::time::Duration;

use bedrud_tests::fake_livekit::{
    FakeLivekit, FakeRequest, post_webhook, proto, webhook_body, webhook_event,
};
use bedrud_tests::{Backend, Server, postgres_or_skip};
use common::*;
use serde_json::{Value, json};

async fn hook_join(s: &Server, room: &str, identity: &str) {
    let participant = proto::ParticipantInfo {
        identity: identity.to_string(),
        sid: format!("PA_{identity}"),
        ..Default::default()
    };
    let body = webhook_body(&webhook_event(
        "participant_joined",
        room,
        Some(participant),
    ))
    .expect("body");
    let resp = post_webhook(&s.url("/api/livekit/webhook"), KEY, SECRET, &body)
        .await
        .expect("webhook");
    assert_eq!(resp.status().as_u16(), 200);
}

struct Admin<'a> {
    s: &'a Server,
    root: &'a User,
}

impl Admin<'_> {
    async fn list(&self, query: &str) -> (u16, Value) {
        send(get(self.s, self.root, &format!("/api/admin/rooms{query}"))).await
    }

    /// Room names of a 200 answer, in order.
    async fn names(&self, query: &str) -> Vec<String> {
        let (status, body) = self.list(query).await;
        assert_eq!(status, 200, "{query}: {body}");
        let rooms = body["rooms"].as_array().expect("rooms");
        assert!(
            body["total"].as_i64().expect("total") >= rooms.len() as i64,
            "{body}"
        );
        rooms
            .iter()
            .map(|r| r["name"].as_str().expect("name").to_string())
            .collect()
    }

    /// Sorted names (for filters whose order does not matter).
    async fn set(&self, query: &str) -> Vec<String> {
        let mut names = self.names(query).await;
        names.sort();
        names
    }

    async fn bad(&self, query: &str, message: &str) {
        assert_eq!(
            err(&self.list(query).await),
            (400, Some(message)),
            "{query}"
        );
    }
}

async fn admin_room_list(backend: Backend) {
    let lk = FakeLivekit::start(KEY, SECRET).await.expect("fake livekit");
    let s = start(backend, &lk, &[]);
    let root = superadmin(&s, "root@example.com").await;
    let alice = register(&s, "alice@example.com", "Alice Owner").await;
    let bob = register(&s, "bob@example.com", "Bob Builder").await;
    let a = Admin { s: &s, root: &root };

    // alpha (alice, public, ∞, 3 in), beta (alice, private, 5, 0), gamma (bob, public,
    // 10, 7), delta (bob, private, 30, archived), omega (bob, public, 25, 21).
    let specs = [
        ("alpha-room", &alice, true, 0, 3),
        ("beta-room", &alice, false, 5, 0),
        ("gamma-room", &bob, true, 10, 7),
        ("delta-room", &bob, false, 30, 0),
        ("omega-room", &bob, true, 25, 21),
    ];
    let mut ids = std::collections::HashMap::new();
    for (name, owner, public, max, people) in specs {
        let room = create_room(
            &s,
            owner,
            json!({"name": name, "isPublic": public, "maxParticipants": max}),
        )
        .await;
        ids.insert(name, room["id"].as_str().expect("id").to_string());
        for i in 0..people {
            hook_join(&s, name, &format!("{name}-p{i}")).await;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let answer = send(
        reqwest::Client::new()
            .delete(s.url(&format!("/api/room/{}", ids["delta-room"])))
            .header("authorization", &bob.bearer),
    )
    .await;
    assert_eq!(answer.0, 202);

    // Guards.
    assert_eq!(
        err(&send(get(&s, &alice, "/api/admin/rooms")).await),
        (403, Some("Insufficient access rights"))
    );
    assert_eq!(
        err(&send(reqwest::Client::new().get(s.url("/api/admin/rooms"))).await),
        (401, Some("Missing authorization"))
    );

    // Defaults: every room, newest first, page 1, limit 50, AdminRoomDetail items.
    let (status, body) = a.list("").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["total"].as_i64(),
            body["page"].as_i64(),
            body["limit"].as_i64()
        ),
        (Some(5), Some(1), Some(50))
    );
    assert_eq!(
        a.names("").await,
        [
            "omega-room",
            "delta-room",
            "gamma-room",
            "beta-room",
            "alpha-room"
        ]
    );
    let by_name = |name: &str| {
        body["rooms"]
            .as_array()
            .expect("rooms")
            .iter()
            .find(|r| r["name"] == name)
            .cloned()
            .expect("listed")
    };
    let alpha = by_name("alpha-room");
    assert_eq!(alpha["participantsCount"], 3);
    assert_eq!(alpha["ownerName"], "Alice Owner");
    assert_eq!(alpha["ownerEmail"], "alice@example.com");
    assert_eq!(alpha["createdBy"], alice.id.as_str());
    assert_eq!(alpha["adminId"], alice.id.as_str());
    assert_eq!(alpha["isPublic"], true);
    assert_eq!(alpha["isActive"], true);
    assert_eq!(alpha["mode"], "standard");
    assert!(alpha["settings"].is_object());
    for field in ["createdAt", "updatedAt", "expiresAt", "lastActivityAt"] {
        assert!(
            alpha[field].as_str().is_some_and(|t| t.ends_with('Z')),
            "{field}: {alpha}"
        );
    }
    assert!(alpha.get("deletedAt").is_none(), "{alpha}");
    let delta = by_name("delta-room");
    assert!(
        delta["deletedAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{delta}"
    );
    assert_eq!(delta["isActive"], false);
    assert_eq!(by_name("omega-room")["participantsCount"], 21);
    assert_eq!(by_name("gamma-room")["ownerName"], "Bob Builder");

    // q / search: case-insensitive substring, wildcards literal.
    assert_eq!(a.names("?q=ALPHA").await, ["alpha-room"]);
    assert_eq!(a.names("?search=amm").await, ["gamma-room"]);
    assert_eq!(a.names("?q=-ROOM").await.len(), 5);
    for wild in ["%25", "_", "a%25m", "alph_"] {
        assert_eq!(
            a.names(&format!("?q={wild}")).await,
            Vec::<String>::new(),
            "{wild}"
        );
    }
    // owner / createdBy: name or email substring.
    assert_eq!(a.set("?owner=ALICE").await, ["alpha-room", "beta-room"]);
    assert_eq!(
        a.set("?owner=builder").await,
        ["delta-room", "gamma-room", "omega-room"]
    );
    assert_eq!(
        a.set("?createdBy=bob@example").await,
        ["delta-room", "gamma-room", "omega-room"]
    );
    assert_eq!(a.names("?owner=nobody").await, Vec::<String>::new());
    assert_eq!(a.names("?owner=%25").await, Vec::<String>::new());
    // visibility.
    assert_eq!(
        a.set("?visibility=public").await,
        ["alpha-room", "gamma-room", "omega-room"]
    );
    assert_eq!(
        a.set("?visibility=private").await,
        ["beta-room", "delta-room"]
    );
    assert_eq!(a.names("?visibility=public,private").await.len(), 5);
    a.bad("?visibility=public,secret", "Invalid visibility: secret")
        .await;
    // status.
    assert_eq!(a.names("?status=active").await.len(), 4);
    assert_eq!(a.names("?status=archived").await, ["delta-room"]);
    assert_eq!(a.names("?status=suspended").await, Vec::<String>::new());
    assert_eq!(a.names("?status=active,archived").await.len(), 5);
    assert_eq!(a.names("?status=suspended,archived").await, ["delta-room"]);
    a.bad("?status=active,gone", "Invalid status: gone").await;
    // occupancy (participantsCount) and capacity (maxParticipants).
    assert_eq!(a.set("?occupancy=empty").await, ["beta-room", "delta-room"]);
    assert_eq!(a.names("?occupancy=1-5").await, ["alpha-room"]);
    assert_eq!(a.names("?occupancy=6-20").await, ["gamma-room"]);
    assert_eq!(a.names("?occupancy=20%2B").await, ["omega-room"]);
    a.bad("?occupancy=lots", "Invalid occupancy filter").await;
    assert_eq!(a.names("?capacity=empty").await, ["alpha-room"]);
    assert_eq!(a.names("?capacity=1-5").await, ["beta-room"]);
    assert_eq!(a.names("?capacity=6-20").await, ["gamma-room"]);
    assert_eq!(a.set("?capacity=20%2B").await, ["delta-room", "omega-room"]);
    a.bad("?capacity=huge", "Invalid capacity filter").await;
    assert_eq!(
        a.names("?occupancy=1-5&capacity=20%2B").await,
        ["alpha-room"],
        "capacity applies only without occupancy"
    );
    // created and date ranges.
    for created in ["today", "7d", "30d"] {
        assert_eq!(
            a.names(&format!("?created={created}")).await.len(),
            5,
            "{created}"
        );
    }
    a.bad("?created=yesterday", "Invalid created filter").await;
    assert_eq!(
        a.names("?created=yesterday&dateFrom=2000-01-01T00:00:00Z")
            .await
            .len(),
        5,
        "created is ignored with dateFrom"
    );
    assert_eq!(a.names("?dateFrom=2100-01-01T00:00:00Z").await.len(), 0);
    assert_eq!(a.names("?dateTo=2000-01-01T00:00:00Z").await.len(), 0);
    assert_eq!(a.names("?dateFrom=garbage&dateTo=nonsense").await.len(), 5);
    assert_eq!(
        a.names("?lastActivityFrom=2100-01-01T00:00:00Z")
            .await
            .len(),
        0
    );
    assert_eq!(
        a.names("?lastActivityTo=2000-01-01T00:00:00%2B00:00")
            .await
            .len(),
        0
    );
    assert_eq!(
        a.names("?lastActivityFrom=2000-01-01T00:00:00Z")
            .await
            .len(),
        5
    );
    // sort / order.
    assert_eq!(
        a.names("?sort=name&order=asc").await,
        [
            "alpha-room",
            "beta-room",
            "delta-room",
            "gamma-room",
            "omega-room"
        ]
    );
    assert_eq!(
        a.names("?sort=name").await,
        [
            "omega-room",
            "gamma-room",
            "delta-room",
            "beta-room",
            "alpha-room"
        ],
        "desc by default"
    );
    assert_eq!(
        a.names("?sort=createdAt&order=asc").await,
        [
            "alpha-room",
            "beta-room",
            "gamma-room",
            "delta-room",
            "omega-room"
        ]
    );
    assert_eq!(
        a.names("?sort=maxParticipants&order=asc").await,
        [
            "alpha-room",
            "beta-room",
            "gamma-room",
            "omega-room",
            "delta-room"
        ]
    );
    assert_eq!(
        a.names("?sort=participantsCount&order=desc").await[..3],
        ["omega-room", "gamma-room", "alpha-room"]
    );
    let owners: Vec<String> = {
        let (_, body) = a.list("?sort=createdBy&order=asc").await;
        body["rooms"]
            .as_array()
            .expect("rooms")
            .iter()
            .map(|r| r["createdBy"].as_str().expect("createdBy").to_string())
            .collect()
    };
    let mut sorted = owners.clone();
    sorted.sort();
    assert_eq!(owners, sorted, "sort=createdBy");
    assert_eq!(a.names("?sort=lastActivityAt&order=asc").await.len(), 5);
    a.bad("?sort=size", "Invalid sort field").await;
    a.bad("?order=up", "Invalid order, must be asc or desc")
        .await;
    a.bad(
        "?sort=name&order=ASCENDING",
        "Invalid order, must be asc or desc",
    )
    .await;
    // Paging.
    let (_, body) = a.list("?sort=name&order=asc&limit=2&page=2").await;
    assert_eq!(
        (
            body["total"].as_i64(),
            body["page"].as_i64(),
            body["limit"].as_i64()
        ),
        (Some(5), Some(2), Some(2))
    );
    assert_eq!(
        a.names("?sort=name&order=asc&limit=2&page=1").await,
        ["alpha-room", "beta-room"]
    );
    assert_eq!(
        a.names("?sort=name&order=asc&limit=2&page=2").await,
        ["delta-room", "gamma-room"]
    );
    assert_eq!(
        a.names("?sort=name&order=asc&limit=2&page=3").await,
        ["omega-room"]
    );
    assert_eq!(
        a.names("?sort=name&order=asc&limit=2&page=4").await,
        Vec::<String>::new()
    );
    for (query, page, limit) in [
        ("?page=0", 1, 50),
        ("?page=-3", 1, 50),
        ("?page=abc", 1, 50),
        ("?limit=0", 1, 50),
        ("?limit=101", 1, 50),
        ("?limit=abc", 1, 50),
        ("?limit=100", 1, 100),
        ("?limit=1", 1, 1),
    ] {
        let (status, body) = a.list(query).await;
        assert_eq!(status, 200, "{query}");
        assert_eq!(
            (body["page"].as_i64(), body["limit"].as_i64()),
            (Some(page), Some(limit)),
            "{query}"
        );
        assert_eq!(body["total"], 5, "{query}");
    }
    // Everything at once (qualified SQL on both databases).
    assert_eq!(
        a.names(
            "?q=alp&owner=alice&visibility=public&status=active&occupancy=1-5&created=7d\
             &lastActivityFrom=2000-01-01T00:00:00Z&sort=participantsCount&order=asc&page=1&limit=10"
        )
        .await,
        ["alpha-room"]
    );
    assert_eq!(
        a.names("?search=room&createdBy=bob&visibility=private&status=archived&capacity=20%2B&sort=createdBy")
            .await,
        ["delta-room"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_room_list_on_sqlite() {
    admin_room_list(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_room_list_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    admin_room_list(Backend::Postgres(url)).await;
}

fn token_req(s: &Server, who: &User, room_id: &str, body: Value) -> reqwest::RequestBuilder {
    post(s, who, &format!("/api/admin/rooms/{room_id}/token"), body)
}

async fn admin_close_and_token(backend: Backend) {
    let lk = FakeLivekit::start(KEY, SECRET).await.expect("fake livekit");
    let s = start(backend, &lk, &[("BEDRUD_LIVEKIT__TOKEN_TTL_MINUTES", "30")]);
    let root = superadmin(&s, "root@example.com").await;
    let alice = register(&s, "alice@example.com", "Alice Owner").await;
    let room = create_room(&s, &alice, json!({"name": "close-me", "isPublic": true})).await;
    let id = room["id"].as_str().expect("id").to_string();
    let keep = create_room(
        &s,
        &alice,
        json!({"name": "keep-me", "isPublic": true, "settings": {"allowChat": false}}),
    )
    .await;
    let keep_id = keep["id"].as_str().expect("id").to_string();
    let web = create_room(&s, &alice, json!({"name": "web-admin", "mode": "webinar"})).await;
    let web_id = web["id"].as_str().expect("id").to_string();
    let gone = create_room(&s, &alice, json!({"name": "gone-room"})).await;
    let gone_id = gone["id"].as_str().expect("id").to_string();
    let answer = send(
        reqwest::Client::new()
            .delete(s.url(&format!("/api/room/{gone_id}")))
            .header("authorization", &alice.bearer),
    )
    .await;
    assert_eq!(answer.0, 202);
    assert_eq!(join(&s, &alice, "close-me").await.0, 200);
    connect(&lk, "close-me", &alice.id);

    // Close.
    let close = |who: &User, room: &str| {
        reqwest::Client::new()
            .delete(s.url(&format!("/api/admin/rooms/{room}")))
            .header("authorization", &who.bearer)
    };
    assert_eq!(
        err(&send(close(&alice, &id)).await),
        (403, Some("Insufficient access rights"))
    );
    lk.clear_calls();
    assert_eq!(
        send(close(&root, &id)).await,
        (202, json!({"message": "Room close queued"}))
    );
    // Hard-deleted before the answer.
    let (_, list) = send(get(&s, &root, "/api/admin/rooms?q=close-me")).await;
    assert_eq!(list["total"], 0, "{list}");
    assert_eq!(
        err(&join(&s, &alice, "close-me").await),
        (404, Some("Room not found"))
    );
    assert_eq!(
        err(&send(close(&root, &id)).await),
        (404, Some("Room not found"))
    );
    for bad in ["00000000-0000-4000-8000-000000000000", "nope"] {
        assert_eq!(
            err(&send(close(&root, bad)).await),
            (404, Some("Room not found"))
        );
    }
    // Background teardown: room_closed, then DeleteRoom.
    assert!(
        eventually(Duration::from_secs(5), || {
            lk.calls_to("DeleteRoom")
                .iter()
                .any(|c| c.request.room() == Some("close-me"))
        })
        .await,
        "DeleteRoom: {:?}",
        lk.calls()
    );
    // (gone-room's own teardown may still be finishing: look at close-me only.)
    let calls: Vec<_> = mutating(&lk)
        .into_iter()
        .filter(|c| c.request.room() == Some("close-me"))
        .collect();
    let methods: Vec<&str> = calls.iter().map(|c| c.method.as_str()).collect();
    assert_eq!(methods, ["SendData", "DeleteRoom"]);
    match &calls[0].request {
        FakeRequest::SendData(r) => {
            assert_eq!(r.room, "close-me");
            assert_eq!(r.topic.as_deref(), Some("system"));
            let msg: Value = serde_json::from_slice(&r.data).expect("json");
            assert_eq!(
                msg,
                json!({"type": "system", "event": "room_closed",
                       "message": "This room has been closed by an administrator"})
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(calls[0].grants.room_admin && calls[0].grants.room == "close-me");
    assert!(calls[1].grants.room_create);
    match &calls[1].request {
        FakeRequest::DeleteRoom(r) => assert_eq!(r.room, "close-me"),
        other => panic!("{other:?}"),
    }
    assert!(lk.room("close-me").is_none());
    // The name is free again.
    create_room(&s, &alice, json!({"name": "close-me"})).await;

    // Admin token: hidden observer by default.
    let answer = send(token_req(&s, &root, &keep_id, json!({}))).await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert_eq!(answer.1["livekitHost"], lk.ws_url());
    assert_eq!(answer.1.as_object().map(|o| o.len()), Some(2));
    let hidden = Expect {
        identity: &root.id,
        name: "Super Admin",
        room: "keep-me",
        can_publish: false,
        sources: &ALL_SOURCES,
        can_publish_data: false,
        metadata: Value::Null,
        room_admin: true,
        hidden: true,
        ttl: 1800,
    };
    assert_token(answer.1["token"].as_str().expect("token"), &hidden);
    // Visible: publishing as the room admin (chat off in this room).
    let answer = send(token_req(&s, &root, &keep_id, json!({"hidden": false}))).await;
    assert_token(
        answer.1["token"].as_str().expect("token"),
        &Expect {
            can_publish: true,
            hidden: false,
            ..hidden.clone()
        },
    );
    let answer = send(token_req(&s, &root, &web_id, json!({"hidden": false}))).await;
    assert_token(
        answer.1["token"].as_str().expect("token"),
        &Expect {
            room: "web-admin",
            can_publish: true,
            can_publish_data: true,
            hidden: false,
            ..hidden.clone()
        },
    );
    // For another user, with a duration.
    let answer = send(token_req(
        &s,
        &root,
        &keep_id,
        json!({"userId": alice.id, "duration": 600}),
    ))
    .await;
    assert_token(
        answer.1["token"].as_str().expect("token"),
        &Expect {
            identity: &alice.id,
            name: "Alice Owner",
            ttl: 600,
            ..hidden.clone()
        },
    );
    for (duration, ok) in [
        (1, true),
        (86_400, true),
        (0, false),
        (86_401, false),
        (-5, false),
    ] {
        let answer = send(token_req(
            &s,
            &root,
            &keep_id,
            json!({ "duration": duration }),
        ))
        .await;
        if ok {
            assert_eq!(answer.0, 200, "{duration}: {}", answer.1);
            let c = claims(answer.1["token"].as_str().expect("token"));
            let ttl = c["exp"].as_i64().expect("exp") - c["nbf"].as_i64().expect("nbf");
            assert!((ttl - duration).abs() <= 1, "{duration}: {ttl}");
        } else {
            assert_eq!(
                err(&answer),
                (400, Some("duration must be between 1 and 86400 seconds")),
                "{duration}"
            );
        }
    }
    assert_eq!(
        err(&send(token_req(
            &s,
            &root,
            &keep_id,
            json!({"userId": "00000000-0000-4000-8000-000000000000"})
        ))
        .await),
        (404, Some("User not found"))
    );
    assert_eq!(
        err(&send(token_req(&s, &root, &keep_id, json!({"userId": "nobody"}))).await),
        (404, Some("User not found"))
    );
    for room in [
        "00000000-0000-4000-8000-000000000000",
        "nope",
        id.as_str(),
        gone_id.as_str(),
    ] {
        assert_eq!(
            err(&send(token_req(&s, &root, room, json!({}))).await),
            (404, Some("Room not found")),
            "{room}"
        );
    }
    assert_eq!(
        err(&send(token_req(&s, &root, &keep_id, json!({"duration": "long"}))).await),
        (400, Some("Invalid request body"))
    );
    let bad = send(
        reqwest::Client::new()
            .post(s.url(&format!("/api/admin/rooms/{keep_id}/token")))
            .header("authorization", &root.bearer)
            .header("content-type", "application/json")
            .body("{"),
    )
    .await;
    assert_eq!(err(&bad), (400, Some("Invalid request body")));
    assert_eq!(
        err(&send(token_req(&s, &alice, &keep_id, json!({}))).await),
        (403, Some("Insufficient access rights"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_close_and_token_on_sqlite() {
    admin_close_and_token(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_close_and_token_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    admin_close_and_token(Backend::Postgres(url)).await;
}
