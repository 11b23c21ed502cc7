use bedrud_ports::{MediaError, RoomMode, TrackSource};

use super::*;
use crate::room_testkit::{db_down, private_room, room, row};
use crate::testkit::{assert_err, block_on, t0};

/// Expects one admit of `identity` with `capacity` and answers `ok`.
fn expect_admit(p: &mut Parts, identity: &'static str, capacity: Option<i64>, ok: bool) {
    p.m.participants
        .expect_admit()
        .withf(move |room_id, id, cap, now| {
            room_id == "r-abc" && id == identity && *cap == capacity && *now == t0()
        })
        .times(1)
        .returning(move |_, _, _, _| Ok(ok));
}

fn no_admit(p: &mut Parts) {
    p.m.participants.expect_admit().never();
    p.m.tokens.expect_join_token().never();
}

// ---- join ----------------------------------------------------------------------------

#[test]
fn join_enrols_and_signs_a_token() {
    let mut p = Parts::new();
    p.m.room_by_name(Some(room("abc", "owner")));
    p.m.rows(vec![]);
    expect_admit(&mut p, "u1", None, true);
    p.m.sign_once();
    let (rooms, grants) = p.build();
    let mut me = caller("u1");
    me.user.name = "  Ann  ".into();
    let outcome = block_on(rooms.join(&me, "  ABC ")).expect("joined");
    let JoinOutcome::Joined(joined) = outcome else {
        panic!("expected Joined, got {outcome:?}");
    };
    assert_eq!(joined.token, "lk:u1");
    assert_eq!(joined.room.name, "abc");
    let grant = grants.lock().expect("grants")[0].clone();
    assert_eq!(grant.room, "abc");
    assert_eq!(grant.identity, "u1");
    assert_eq!(grant.name, "Ann");
    assert_eq!(grant.ttl_secs, 7200);
    assert!(grant.permission.can_publish && !grant.room_admin);
    assert_eq!(
        grant.metadata,
        r#"{"accesses":["user"],"roomRole":"participant","onStage":false}"#
    );
}

#[test]
fn join_grants_follow_role_stage_and_mode() {
    let mut r = room("abc", "owner");
    r.mode = RoomMode::Webinar;
    r.max_participants = 10;
    let mut moderator = row("r-abc", "u1");
    moderator.is_moderator = true;
    let mut p = Parts::new();
    p.m.room_by_name(Some(r));
    p.m.rows(vec![moderator]);
    expect_admit(&mut p, "u1", Some(10), true);
    p.m.sign_once();
    let (rooms, grants) = p.build();
    block_on(rooms.join(&caller("u1"), "abc")).expect("joined");
    let grant = grants.lock().expect("grants")[0].clone();
    assert!(grant.permission.can_publish);
    assert_eq!(
        grant.metadata,
        r#"{"accesses":["user","moderator"],"roomRole":"moderator","onStage":false}"#
    );

    let mut r = room("abc", "owner");
    r.mode = RoomMode::Broadcast;
    r.settings.allow_audio = false;
    let mut p = Parts::new();
    p.m.room_by_name(Some(r));
    p.m.rows(vec![]);
    expect_admit(&mut p, "u2", None, true);
    p.m.sign_once();
    let (rooms, grants) = p.build();
    block_on(rooms.join(&caller("u2"), "abc")).expect("joined");
    let grant = grants.lock().expect("grants")[0].clone();
    assert!(!grant.permission.can_publish, "audience of a broadcast");
    assert_eq!(
        grant.permission.can_publish_sources,
        vec![
            TrackSource::Camera,
            TrackSource::ScreenShare,
            TrackSource::ScreenShareAudio
        ]
    );
}

#[test]
fn join_of_unknown_room_is_404() {
    let mut p = Parts::new();
    p.m.room_by_name(None);
    no_admit(&mut p);
    let (rooms, _) = p.build();
    assert_err(
        block_on(rooms.join(&caller("u1"), "abc")),
        "not_found",
        "Room not found",
    );

    // A blank name never reaches the store.
    let (rooms, _) = Parts::new().build();
    assert_err(
        block_on(rooms.join(&caller("u1"), "   ")),
        "not_found",
        "Room not found",
    );
}

#[test]
fn inactive_room_is_archived_owned_for_its_creator_and_gone_for_others() {
    let mut r = room("abc", "owner");
    r.is_active = false;
    let mut p = Parts::new();
    p.m.room_by_name(Some(r.clone()));
    no_admit(&mut p);
    let (rooms, _) = p.build();
    assert_eq!(
        block_on(rooms.join(&caller("owner"), "abc")).expect("archived_owned"),
        JoinOutcome::ArchivedOwned(r.clone())
    );
    assert_err(
        block_on(rooms.join(&caller("u1"), "abc")),
        "gone",
        "room is no longer active",
    );
    assert_err(
        block_on(rooms.join(&root(), "abc")),
        "gone",
        "room is no longer active",
    );
}

#[test]
fn banned_identities_cannot_join() {
    let mut banned = row("r-abc", "u1");
    banned.is_banned = true;
    let mut p = Parts::new();
    p.m.room_by_name(Some(private_room("abc", "owner")));
    p.m.rows(vec![banned]);
    no_admit(&mut p);
    let (rooms, _) = p.build();
    assert_err(
        block_on(rooms.join(&caller("u1"), "abc")),
        "forbidden",
        "you are banned from this room",
    );
}

#[test]
fn private_rooms_admit_admin_creator_and_active_rows_only() {
    let mut approval = private_room("abc", "owner");
    approval.settings.require_approval = true;
    for (r, msg) in [
        (private_room("abc", "owner"), "This room is private"),
        (approval, "This room requires approval to join"),
    ] {
        let mut p = Parts::new();
        p.m.room_by_name(Some(r));
        p.m.rows(vec![row("r-abc", "u1")]);
        no_admit(&mut p);
        let (rooms, _) = p.build();
        assert_err(block_on(rooms.join(&caller("u1"), "abc")), "forbidden", msg);
        // Superadmins use the admin token instead.
        assert_err(block_on(rooms.join(&root(), "abc")), "forbidden", msg);
    }

    let mut reassigned = private_room("abc", "creator");
    reassigned.admin_id = "admin".into();
    let mut active = row("r-abc", "member");
    active.is_active = true;
    for who in ["creator", "admin", "member"] {
        let mut p = Parts::new();
        p.m.room_by_name(Some(reassigned.clone()));
        p.m.rows(vec![active.clone()]);
        expect_admit(&mut p, who, None, true);
        p.m.sign_once();
        let (rooms, _) = p.build();
        block_on(rooms.join(&caller(who), "abc")).expect(who);
    }
}

#[test]
fn full_rooms_refuse() {
    let mut r = room("abc", "owner");
    r.max_participants = 2;
    let mut p = Parts::new();
    p.m.room_by_name(Some(r));
    p.m.rows(vec![]);
    expect_admit(&mut p, "u1", Some(2), false);
    p.m.tokens.expect_join_token().never();
    let (rooms, _) = p.build();
    assert_err(
        block_on(rooms.join(&caller("u1"), "abc")),
        "forbidden",
        "room is full",
    );
}

#[test]
fn token_failures_are_502() {
    let mut p = Parts::new();
    p.m.room_by_name(Some(room("abc", "owner")));
    p.m.rows(vec![]);
    expect_admit(&mut p, "u1", None, true);
    p.m.tokens
        .expect_join_token()
        .returning(|_| Err(MediaError::Disabled));
    let (rooms, _) = p.build();
    assert_err(block_on(rooms.join(&caller("u1"), "abc")), "media", "");
}

#[test]
fn join_store_failures_propagate() {
    let mut p = Parts::new();
    p.m.rooms
        .expect_find_by_name_with_row()
        .returning(|_, _| Err(db_down()));
    let (rooms, _) = p.build();
    assert_err(
        block_on(rooms.join(&caller("u1"), "abc")),
        "unavailable",
        "",
    );
}

// ---- refresh-token -------------------------------------------------------------------

#[test]
fn refresh_token_requires_a_name() {
    let (rooms, _) = Parts::new().build();
    assert_err(
        block_on(rooms.refresh_token(&caller("u1"), "  ")),
        "invalid",
        "roomName required",
    );
}

#[test]
fn refresh_token_uses_the_current_standing_without_enrolment() {
    let mut r = room("abc", "owner");
    r.mode = RoomMode::Webinar;
    r.max_participants = 1;
    let mut staged = row("r-abc", "u1");
    staged.on_stage = true;
    let mut p = Parts::new();
    p.m.room_by_name(Some(r));
    p.m.rows(vec![staged]);
    p.m.participants.expect_admit().never();
    p.m.participants.expect_count_active().never();
    p.m.sign_once();
    let (rooms, grants) = p.build();
    assert_eq!(
        block_on(rooms.refresh_token(&caller("u1"), "ABC")).expect("token"),
        "lk:u1"
    );
    let grant = grants.lock().expect("grants")[0].clone();
    assert!(grant.permission.can_publish);
    assert!(grant.metadata.ends_with(r#""onStage":true}"#));
}

#[test]
fn refresh_token_errors_in_order() {
    let mut p = Parts::new();
    p.m.room_by_name(None);
    let (rooms, _) = p.build();
    assert_err(
        block_on(rooms.refresh_token(&caller("u1"), "abc")),
        "not_found",
        "Room not found",
    );

    let mut inactive = room("abc", "owner");
    inactive.is_active = false;
    let mut p = Parts::new();
    p.m.room_by_name(Some(inactive));
    let (rooms, _) = p.build();
    assert_err(
        block_on(rooms.refresh_token(&caller("owner"), "abc")),
        "gone",
        "room is no longer active",
    );

    let mut banned = row("r-abc", "u1");
    banned.is_banned = true;
    let mut p = Parts::new();
    p.m.room_by_name(Some(private_room("abc", "owner")));
    p.m.rows(vec![banned]);
    p.m.tokens.expect_join_token().never();
    let (rooms, _) = p.build();
    assert_err(
        block_on(rooms.refresh_token(&caller("u1"), "abc")),
        "forbidden",
        "you are banned from this room",
    );

    let mut approval = private_room("abc", "owner");
    approval.settings.require_approval = true;
    let mut p = Parts::new();
    p.m.room_by_name(Some(approval));
    p.m.rows(vec![row("r-abc", "u1")]);
    p.m.tokens.expect_join_token().never();
    let (rooms, _) = p.build();
    assert_err(
        block_on(rooms.refresh_token(&caller("u1"), "abc")),
        "forbidden",
        "This room is private",
    );
}

// ---- check ---------------------------------------------------------------------------

#[test]
fn check_validates_the_name() {
    let (rooms, _) = Parts::new().build();
    assert_err(
        block_on(rooms.check(" ")),
        "invalid",
        "Room name is required",
    );
    assert_err(
        block_on(rooms.check("ab")),
        "invalid",
        "room name must be at least 3 characters",
    );
    assert_err(
        block_on(rooms.check("a b c")),
        "invalid",
        "room name must contain only lowercase letters, numbers, and hyphens",
    );
}

#[test]
fn check_answers_exists_for_open_rooms() {
    let mut p = Parts::new();
    p.m.rooms
        .expect_find_by_name()
        .withf(|n| n == "abc")
        .returning(|_| Ok(Some(room("abc", "owner"))));
    p.m.participants.expect_count_active().never();
    let (rooms, _) = p.build();
    assert_eq!(
        block_on(rooms.check(" ABC ")).expect("exists"),
        RoomCheck {
            exists: true,
            name: "abc".into()
        }
    );
}

#[test]
fn check_counts_others_against_capacity() {
    for (count, full) in [(1, false), (2, true), (3, true)] {
        let mut r = room("abc", "owner");
        r.max_participants = 2;
        let mut p = Parts::new();
        p.m.room_by_name(Some(r));
        p.m.participants
            .expect_count_active()
            .withf(|id, except| id == "r-abc" && except.is_none())
            .returning(move |_, _| Ok(count));
        let (rooms, _) = p.build();
        let result = block_on(rooms.check("abc"));
        if full {
            assert_err(result, "forbidden", "room is full");
        } else {
            result.expect("room has space");
        }
    }
}

#[test]
fn check_errors() {
    let mut p = Parts::new();
    p.m.room_by_name(None);
    let (rooms, _) = p.build();
    assert_err(block_on(rooms.check("abc")), "not_found", "Room not found");

    let mut inactive = private_room("abc", "owner");
    inactive.is_active = false;
    let mut p = Parts::new();
    p.m.room_by_name(Some(inactive));
    let (rooms, _) = p.build();
    assert_err(
        block_on(rooms.check("abc")),
        "gone",
        "room is no longer active",
    );

    let mut p = Parts::new();
    p.m.room_by_name(Some(private_room("abc", "owner")));
    let (rooms, _) = p.build();
    assert_err(
        block_on(rooms.check("abc")),
        "forbidden",
        "This room is private",
    );
}
