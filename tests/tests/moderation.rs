//! Moderation over HTTP against the fake LiveKit (API §3.6, §6.1, §6.2): every endpoint
//! for every row of the permission table — superadmin (S), room admin (A), room moderator
//! (M), plain participant (P) — with the exact refusals, and no side effect in LiveKit or
//! the database when refused.

mod common;

use bedrud_tests::fake_livekit::{
    Call, FailMode, FakeLivekit, FakeParticipant, FakeRequest, proto,
};
use bedrud_tests::{Backend, Server, postgres_or_skip};
use common::*;
use serde_json::{Value, json};

const ACTIONS: [&str; 8] = [
    "kick",
    "mute",
    "ban",
    "video_off",
    "promote",
    "demote",
    "stage_bring",
    "stage_remove",
];
/// What a room moderator may do (all but promote and demote).
const BY_MODERATOR: [&str; 6] = [
    "kick",
    "mute",
    "ban",
    "video_off",
    "stage_bring",
    "stage_remove",
];
const INSUFFICIENT: &str = "Insufficient permissions";
const SELF: &str = "Cannot perform this action on yourself";
const NOT_FOUND: &str = "Participant not found";
const SUCCESS: (u16, Option<&str>) = (200, Some("success"));

fn action_path(room_id: &str, action: &str, identity: &str) -> String {
    match action {
        "video_off" => format!("/api/room/{room_id}/video/{identity}/off"),
        "stage_bring" => format!("/api/room/{room_id}/stage/{identity}/bring"),
        "stage_remove" => format!("/api/room/{room_id}/stage/{identity}/remove"),
        other => format!("/api/room/{room_id}/{other}/{identity}"),
    }
}

/// The 403 when a non-superadmin targets the room admin.
fn admin_target_message(action: &str) -> &'static str {
    match action {
        "kick" => "Cannot kick the room admin",
        "mute" => "Cannot mute the room admin",
        "ban" => "Cannot ban the room admin",
        _ => "Cannot perform this action on the room admin",
    }
}

fn status(answer: &(u16, Value)) -> (u16, Option<&str>) {
    (answer.0, answer.1["status"].as_str())
}

/// A room under test, with the server, the fake and a superadmin for probes.
struct Room<'a> {
    s: &'a Server,
    lk: &'a FakeLivekit,
    root: &'a User,
    id: String,
    name: String,
}

impl<'a> Room<'a> {
    async fn create(
        s: &'a Server,
        lk: &'a FakeLivekit,
        root: &'a User,
        owner: &User,
        body: Value,
    ) -> Room<'a> {
        let room = create_room(s, owner, body).await;
        Room {
            s,
            lk,
            root,
            id: room["id"].as_str().expect("id").to_string(),
            name: room["name"].as_str().expect("name").to_string(),
        }
    }

    async fn act(&self, who: &User, action: &str, identity: &str) -> (u16, Value) {
        send(post(
            self.s,
            who,
            &action_path(&self.id, action, identity),
            json!({}),
        ))
        .await
    }

    async fn join(&self, who: &User) {
        let answer = join(self.s, who, &self.name).await;
        assert_eq!(
            answer.0, 200,
            "{} joins {}: {}",
            who.name, self.name, answer.1
        );
    }

    fn connect(&self, who: &User) {
        connect(self.lk, &self.name, &who.id);
    }

    /// Active, non-banned participant rows (admin list).
    async fn count(&self) -> i64 {
        let list = send(get(
            self.s,
            self.root,
            &format!("/api/admin/rooms?q={}", self.name),
        ))
        .await;
        assert_eq!(list.0, 200, "{}", list.1);
        let rooms = list.1["rooms"].as_array().expect("rooms");
        let room = rooms
            .iter()
            .find(|r| r["id"] == self.id.as_str())
            .expect("listed");
        room["participantsCount"].as_i64().expect("count")
    }

    /// What the database says about `who` in this room, as seen from outside: the
    /// refresh-token answer (banned?), role and stage state, and the room's occupancy.
    async fn state(&self, who: &User) -> Value {
        let answer = refresh_token(self.s, who, &self.name).await;
        let (role, stage, publish) = if answer.0 == 200 {
            let c = token_claims(&answer);
            let m = metadata(&c);
            (
                m["roomRole"].clone(),
                m["onStage"].clone(),
                c["video"]["canPublish"].clone(),
            )
        } else {
            (Value::Null, Value::Null, Value::Null)
        };
        json!({"refresh": answer.0, "error": answer.1["error"], "roomRole": role,
               "onStage": stage, "canPublish": publish, "count": self.count().await})
    }

    /// The role of `who` from a fresh token.
    async fn role(&self, who: &User) -> Value {
        self.state(who).await["roomRole"].clone()
    }

    /// `who` doing `action` to `target` is refused with exactly `expected`; LiveKit saw
    /// no call beyond `tolerated` and the target's state is unchanged.
    async fn refused_with(
        &self,
        who: &User,
        action: &str,
        target: &User,
        expected: (u16, &str),
        tolerated: &[&str],
    ) {
        let before = self.state(target).await;
        self.lk.clear_calls();
        let answer = self.act(who, action, &target.id).await;
        assert_eq!(
            err(&answer),
            (expected.0, Some(expected.1)),
            "{} {action} {} in {}",
            who.name,
            target.name,
            self.name
        );
        let calls: Vec<Call> = self
            .lk
            .calls()
            .into_iter()
            .filter(|c| {
                !["ListRooms", "ListParticipants"].contains(&c.method.as_str())
                    && !tolerated.contains(&c.method.as_str())
            })
            .collect();
        assert!(
            calls.is_empty(),
            "{} {action} {}: LiveKit calls {calls:?}",
            who.name,
            target.name
        );
        assert_eq!(
            self.state(target).await,
            before,
            "{} {action} {} changed the database",
            who.name,
            target.name
        );
    }

    async fn refused(&self, who: &User, action: &str, target: &User, expected: (u16, &str)) {
        self.refused_with(who, action, target, expected, &[]).await;
    }

    fn mutating_methods(&self) -> Vec<String> {
        mutating(self.lk).into_iter().map(|c| c.method).collect()
    }

    /// Checks the grant and room of every call recorded so far.
    fn calls_are_room_admin(&self) {
        for call in self.lk.calls() {
            if call.method == "ListRooms" {
                continue;
            }
            assert!(call.grants.room_admin, "{call:?}");
            assert_eq!(call.grants.room, self.name, "{call:?}");
        }
    }

    fn system_message(&self, call: &Call) -> Value {
        match &call.request {
            FakeRequest::SendData(r) => {
                assert_eq!(r.room, self.name);
                assert_eq!(r.topic.as_deref(), Some("system"));
                assert_eq!(r.kind, proto::data_packet::Kind::Reliable as i32);
                assert!(r.destination_identities.is_empty());
                serde_json::from_slice(&r.data).expect("json")
            }
            other => panic!("not SendData: {other:?}"),
        }
    }

    fn update(&self, call: &Call) -> proto::UpdateParticipantRequest {
        match &call.request {
            FakeRequest::UpdateParticipant(r) => r.clone(),
            other => panic!("not UpdateParticipant: {other:?}"),
        }
    }

    /// Kick or ban of a joined, connected target.
    async fn remove_ok(&self, who: &User, action: &str, target: &User) {
        self.join(target).await;
        self.connect(target);
        let before = self.count().await;
        self.lk.clear_calls();
        let answer = self.act(who, action, &target.id).await;
        assert_eq!(
            status(&answer),
            SUCCESS,
            "{} {action} {}: {}",
            who.name,
            target.name,
            answer.1
        );
        assert_eq!(self.mutating_methods(), ["SendData", "RemoveParticipant"]);
        self.calls_are_room_admin();
        let calls = mutating(self.lk);
        assert_eq!(
            self.system_message(&calls[0]),
            json!({"type": "system", "event": action, "actor": who.id, "target": target.id})
        );
        assert_eq!(calls[1].request.identity(), Some(target.id.as_str()));
        assert!(self.lk.participant(&self.name, &target.id).is_none());
        assert_eq!(self.count().await, before - 1, "row inactive");
        if action == "ban" {
            assert_eq!(
                err(&join(self.s, target, &self.name).await),
                (403, Some("you are banned from this room"))
            );
        }
    }

    /// Mute (microphone) or video off (camera) of a connected target.
    async fn mute_ok(&self, who: &User, action: &str, target: &User) {
        self.connect(target);
        self.lk.clear_calls();
        let answer = self.act(who, action, &target.id).await;
        assert_eq!(
            status(&answer),
            SUCCESS,
            "{} {action} {}: {}",
            who.name,
            target.name,
            answer.1
        );
        self.calls_are_room_admin();
        let methods: Vec<String> = self.lk.calls().into_iter().map(|c| c.method).collect();
        assert_eq!(methods, ["GetParticipant", "MutePublishedTrack"]);
        let info = self
            .lk
            .participant(&self.name, &target.id)
            .expect("connected");
        let muted: Vec<(String, bool)> = info
            .tracks
            .iter()
            .map(|t| (t.name.clone(), t.muted))
            .collect();
        let expected = if action == "mute" {
            [
                ("microphone".to_string(), true),
                ("camera".to_string(), false),
            ]
        } else {
            [
                ("microphone".to_string(), false),
                ("camera".to_string(), true),
            ]
        };
        assert_eq!(muted, expected);
        match &self.lk.calls_to("MutePublishedTrack")[0].request {
            FakeRequest::MutePublishedTrack(r) => {
                assert!(r.muted);
                assert_eq!(r.identity, target.id);
            }
            other => panic!("{other:?}"),
        }
    }

    /// Promote, demote, stage bring/remove of a connected target; returns the
    /// UpdateParticipant request.
    async fn update_ok(
        &self,
        who: &User,
        action: &str,
        target: &User,
    ) -> proto::UpdateParticipantRequest {
        self.connect(target);
        self.lk.clear_calls();
        let answer = self.act(who, action, &target.id).await;
        assert_eq!(
            status(&answer),
            SUCCESS,
            "{} {action} {}: {}",
            who.name,
            target.name,
            answer.1
        );
        assert_eq!(self.mutating_methods(), ["UpdateParticipant"]);
        self.calls_are_room_admin();
        let req = self.update(&self.lk.calls_to("UpdateParticipant")[0]);
        assert_eq!(req.identity, target.id);
        req
    }
}

fn meta_of(req: &proto::UpdateParticipantRequest) -> Value {
    serde_json::from_str(&req.metadata).expect("metadata json")
}

async fn permission_table(backend: Backend) {
    let lk = FakeLivekit::start(KEY, SECRET).await.expect("fake livekit");
    let s = start(backend, &lk, &[]);
    let root = superadmin(&s, "root@example.com").await; // S
    let admin = register(&s, "admin@example.com", "Room Admin").await; // A
    let m = guest_login(&s, "Moderator One").await; // M
    let m2 = guest_login(&s, "Moderator Two").await;
    let p = guest_login(&s, "Plain Participant").await; // P
    let outsider = guest_login(&s, "Outsider").await;
    let t = guest_login(&s, "Target").await;
    let absent = guest_login(&s, "Absent Participant").await;
    let never = guest_login(&s, "Never Joined").await;
    let mut bans = Vec::new();
    for name in [
        "Ban By Root",
        "Ban By Admin",
        "Ban By Moderator",
        "Ban Absent",
    ] {
        bans.push(guest_login(&s, name).await);
    }

    let room = Room::create(
        &s,
        &lk,
        &root,
        &admin,
        json!({"name": "mod-room", "isPublic": true}),
    )
    .await;
    for who in [&admin, &m, &m2, &p, &t, &absent, &root] {
        room.join(who).await;
    }
    for who in [&admin, &m, &m2, &p, &t, &root] {
        room.connect(who);
    }
    // A promotes M and M2 (connected: LiveKit gets metadata and permission).
    for who in [&m, &m2] {
        let req = room.update_ok(&admin, "promote", who).await;
        let meta = meta_of(&req);
        assert_eq!(meta["roomRole"], "moderator");
        assert_eq!(meta["accesses"], json!(["guest", "moderator"]));
        let perm = req.permission.expect("permission");
        assert!(perm.can_publish && perm.can_subscribe && perm.can_publish_data);
        assert!(!perm.can_update_metadata && !perm.hidden);
        assert_eq!(room.role(who).await, "moderator");
    }
    assert_eq!(
        status(&room.act(&admin, "promote", &m.id).await),
        (200, Some("already_moderator"))
    );

    // Unknown room, anonymous caller.
    for action in ACTIONS {
        for id in ["00000000-0000-4000-8000-000000000000", "not-a-uuid"] {
            let answer = send(post(&s, &admin, &action_path(id, action, &t.id), json!({}))).await;
            assert_eq!(err(&answer), (404, Some("Room not found")), "{action} {id}");
        }
        let answer = send(
            reqwest::Client::new()
                .post(s.url(&action_path(&room.id, action, &t.id)))
                .json(&json!({})),
        )
        .await;
        assert_eq!(err(&answer), (401, Some("Missing authorization")));
    }

    // Actors that are not allowed: P and outsiders for everything, M for promote/demote.
    for action in ACTIONS {
        room.refused(&p, action, &t, (403, INSUFFICIENT)).await;
        room.refused(&outsider, action, &t, (403, INSUFFICIENT))
            .await;
        room.refused(&p, action, &p, (403, INSUFFICIENT)).await;
        room.refused(&p, action, &admin, (403, INSUFFICIENT)).await;
    }
    for action in ["promote", "demote"] {
        room.refused(&m, action, &t, (403, INSUFFICIENT)).await;
        room.refused(&m, action, &m, (403, INSUFFICIENT)).await;
        room.refused(&m, action, &m2, (403, INSUFFICIENT)).await;
        room.refused(&m, action, &admin, (403, INSUFFICIENT)).await;
    }

    // Target = actor: 400 for everyone allowed.
    for action in ACTIONS {
        room.refused(&root, action, &root, (400, SELF)).await;
        room.refused(&admin, action, &admin, (400, SELF)).await;
    }
    for action in BY_MODERATOR {
        room.refused(&m, action, &m, (400, SELF)).await;
    }

    // Target = room admin, actor M: the per-action message.
    for action in BY_MODERATOR {
        room.refused(&m, action, &admin, (403, admin_target_message(action)))
            .await;
    }

    // M on another moderator or on a superadmin.
    for action in BY_MODERATOR {
        room.refused(&m, action, &m2, (403, INSUFFICIENT)).await;
        room.refused(&m, action, &root, (403, INSUFFICIENT)).await;
    }

    // Not connected (kick, mute, video off) → 404; S, A and M alike.
    for who in [&root, &admin, &m] {
        for action in ["mute", "video_off"] {
            room.refused_with(who, action, &absent, (404, NOT_FOUND), &["GetParticipant"])
                .await;
        }
        // Kick announces itself before RemoveParticipant finds nobody (§6.2 order).
        room.refused_with(
            who,
            "kick",
            &absent,
            (404, NOT_FOUND),
            &["SendData", "RemoveParticipant"],
        )
        .await;
        assert!(
            room.lk
                .calls_to("RemoveParticipant")
                .iter()
                .all(|c| c.status == 404),
            "nobody was removed"
        );
    }
    // Promote, demote, stage: no row and not connected → 404.
    for who in [&root, &admin] {
        for action in ["promote", "demote", "stage_bring", "stage_remove"] {
            room.refused_with(who, action, &never, (404, NOT_FOUND), &["GetParticipant"])
                .await;
        }
    }
    for action in ["stage_bring", "stage_remove"] {
        room.refused_with(&m, action, &never, (404, NOT_FOUND), &["GetParticipant"])
            .await;
    }
    // (ban last: it persists a row even for an unknown identity.)
    let mut unknown_order = ACTIONS.to_vec();
    unknown_order.retain(|a| *a != "ban");
    unknown_order.push("ban");
    for action in unknown_order {
        let answer = room.act(&admin, action, "nobody-at-all").await;
        let expected = if action == "ban" {
            (200, None)
        } else {
            (404, Some(NOT_FOUND))
        };
        assert_eq!(err(&answer), expected, "{action} of an unknown identity");
    }

    // Allowed: S, A, M kick / mute / video off / ban / stage; S, A promote / demote.
    for who in [&root, &admin, &m] {
        room.remove_ok(who, "kick", &t).await;
        room.mute_ok(who, "mute", &t).await;
        room.mute_ok(who, "video_off", &t).await;
        // Standard room: the stage changes flag and metadata only.
        let req = room.update_ok(who, "stage_bring", &t).await;
        assert!(req.permission.is_none(), "standard room: {req:?}");
        assert_eq!(meta_of(&req)["onStage"], true);
        assert_eq!(room.state(&t).await["onStage"], true);
        let req = room.update_ok(who, "stage_remove", &t).await;
        assert!(req.permission.is_none(), "standard room: {req:?}");
        assert_eq!(meta_of(&req)["onStage"], false);
        assert_eq!(room.state(&t).await["onStage"], false);
    }
    room.remove_ok(&root, "ban", &bans[0]).await;
    room.remove_ok(&admin, "ban", &bans[1]).await;
    room.remove_ok(&m, "ban", &bans[2]).await;
    for who in [&root, &admin] {
        room.join(&t).await;
        let req = room.update_ok(who, "promote", &t).await;
        let meta = meta_of(&req);
        assert_eq!(
            (meta["roomRole"].clone(), meta["accesses"].clone()),
            (json!("moderator"), json!(["guest", "moderator"]))
        );
        assert_eq!(room.role(&t).await, "moderator");
        let req = room.update_ok(who, "demote", &t).await;
        let meta = meta_of(&req);
        assert_eq!(
            (meta["roomRole"].clone(), meta["accesses"].clone()),
            (json!("participant"), json!(["guest"]))
        );
        assert!(req.permission.is_some());
        assert_eq!(room.role(&t).await, "participant");
    }

    // Ban of someone who never joined persists and is ignored by LiveKit.
    room.lk.clear_calls();
    let answer = room.act(&admin, "ban", &bans[3].id).await;
    assert_eq!(status(&answer), SUCCESS, "{}", answer.1);
    assert_eq!(
        err(&join(&s, &bans[3], "mod-room").await),
        (403, Some("you are banned from this room"))
    );
    // Promote / stage of a row that is not connected: database only.
    let answer = room.act(&admin, "promote", &absent.id).await;
    assert_eq!(status(&answer), SUCCESS, "{}", answer.1);
    assert_eq!(room.role(&absent).await, "moderator");
    let answer = room.act(&admin, "demote", &absent.id).await;
    assert_eq!(status(&answer), SUCCESS);
    assert_eq!(room.role(&absent).await, "participant");
    // Connected without a row: allowed.
    lk.join(
        "mod-room",
        FakeParticipant::new("lk-only").track("microphone", false),
    );
    let answer = room.act(&admin, "stage_bring", "lk-only").await;
    assert_eq!(status(&answer), SUCCESS, "{}", answer.1);

    // A former moderator and a banned moderator lose their powers.
    let req = room.update_ok(&admin, "demote", &m2).await;
    assert_eq!(meta_of(&req)["roomRole"], "participant");
    for action in BY_MODERATOR {
        room.refused(&m2, action, &t, (403, INSUFFICIENT)).await;
    }
    room.update_ok(&admin, "promote", &m2).await;
    room.remove_ok(&root, "ban", &m2).await;
    for action in BY_MODERATOR {
        room.refused(&m2, action, &t, (403, INSUFFICIENT)).await;
    }

    // Bodies are ignored.
    room.connect(&t);
    let answer = send(
        reqwest::Client::new()
            .post(s.url(&action_path(&room.id, "mute", &t.id)))
            .header("authorization", &admin.bearer)
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_eq!(status(&answer), SUCCESS, "{}", answer.1);

    // LiveKit failing: the synchronous calls answer 502.
    room.connect(&t);
    lk.fail(FailMode::Http500);
    for action in ["kick", "mute", "video_off", "promote"] {
        let answer = room.act(&admin, action, &t.id).await;
        assert_eq!(
            err(&answer),
            (502, Some("Media server unavailable")),
            "{action}"
        );
    }
    lk.heal();

    // The superadmin may act on the room admin (last: it ends with a ban).
    room.mute_ok(&root, "mute", &admin).await;
    room.mute_ok(&root, "video_off", &admin).await;
    room.update_ok(&root, "stage_remove", &admin).await;
    room.update_ok(&root, "stage_bring", &admin).await;
    room.update_ok(&root, "promote", &admin).await;
    room.update_ok(&root, "demote", &admin).await;
    room.remove_ok(&root, "kick", &admin).await;
    room.remove_ok(&root, "ban", &admin).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn permission_table_on_sqlite() {
    permission_table(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn permission_table_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    permission_table(Backend::Postgres(url)).await;
}

async fn stage_in_webinars(backend: Backend) {
    let lk = FakeLivekit::start(KEY, SECRET).await.expect("fake livekit");
    let s = start(backend, &lk, &[]);
    let root = superadmin(&s, "root@example.com").await;
    let admin = register(&s, "admin@example.com", "Room Admin").await;
    let m = guest_login(&s, "Webinar Moderator").await;
    let audience = guest_login(&s, "Audience Member").await;
    let p = guest_login(&s, "Plain Participant").await;

    for mode in ["webinar", "broadcast"] {
        let room = Room::create(
            &s,
            &lk,
            &root,
            &admin,
            json!({"name": format!("{mode}-room"), "isPublic": true, "mode": mode}),
        )
        .await;
        for who in [&admin, &m, &audience, &p, &root] {
            room.join(who).await;
            room.connect(who);
        }
        let state = room.state(&audience).await;
        assert_eq!(
            (state["canPublish"].clone(), state["onStage"].clone()),
            (json!(false), json!(false)),
            "{mode} audience"
        );
        assert_eq!(
            room.state(&root).await["canPublish"],
            false,
            "superadmins too"
        );
        assert_eq!(room.state(&admin).await["canPublish"], true);

        // Promote: moderators publish; demote takes it back.
        let req = room.update_ok(&admin, "promote", &m).await;
        assert!(req.permission.expect("permission").can_publish);
        assert_eq!(room.state(&m).await["canPublish"], true);

        // Stage bring / remove by S, A and M flip the publish permission.
        for who in [&root, &admin, &m] {
            let req = room.update_ok(who, "stage_bring", &audience).await;
            let perm = req.permission.clone().expect("permission");
            assert!(perm.can_publish, "{mode} {}: {perm:?}", who.name);
            assert!(perm.can_subscribe && perm.can_publish_data && !perm.can_update_metadata);
            assert_eq!(perm.can_publish_sources.len(), 4, "{perm:?}");
            let meta = meta_of(&req);
            assert_eq!(
                (meta["onStage"].clone(), meta["roomRole"].clone()),
                (json!(true), json!("participant"))
            );
            let st = room.state(&audience).await;
            assert_eq!(
                (st["canPublish"].clone(), st["onStage"].clone()),
                (json!(true), json!(true))
            );

            let req = room.update_ok(who, "stage_remove", &audience).await;
            let perm = req.permission.clone().expect("permission");
            assert!(!perm.can_publish, "{mode} {}: {perm:?}", who.name);
            assert!(perm.can_subscribe);
            assert_eq!(meta_of(&req)["onStage"], false);
            let st = room.state(&audience).await;
            assert_eq!(
                (st["canPublish"].clone(), st["onStage"].clone()),
                (json!(false), json!(false))
            );
        }
        // Refusals leave the stage alone.
        for action in ["stage_bring", "stage_remove"] {
            room.refused(&p, action, &audience, (403, INSUFFICIENT))
                .await;
            room.refused(&m, action, &admin, (403, admin_target_message(action)))
                .await;
        }
        let req = room.update_ok(&admin, "demote", &m).await;
        assert!(!req.permission.expect("permission").can_publish, "{mode}");
        assert_eq!(room.state(&m).await["canPublish"], false);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn stage_in_webinars_on_sqlite() {
    stage_in_webinars(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stage_in_webinars_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    stage_in_webinars(Backend::Postgres(url)).await;
}
