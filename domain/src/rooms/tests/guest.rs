use bedrud_ports::{Access, MockIdSource, RuntimeSettings, User, provider};

use super::*;
use crate::room_testkit::{private_room, room, row};
use crate::testkit::{assert_err, block_on, client, t0};

const GUEST: &str = "guest-abcd1234";

fn input(name: &str) -> GuestJoin {
    GuestJoin {
        identity: GUEST.into(),
        guest_name: name.into(),
        room_name: " ABC ".into(),
    }
}

/// The store upserts the guest it is given.
fn accept_upsert(p: &mut Parts) {
    p.m.users.expect_upsert_guest().times(1).returning(Ok);
}

fn no_side_effects(p: &mut Parts) {
    p.m.users.expect_upsert_guest().never();
    p.m.participants.expect_admit().never();
    p.sessions.sessions.expect_insert().never();
    p.m.tokens.expect_join_token().never();
}

#[test]
fn guest_join_upserts_enrols_signs_in_and_signs_a_token() {
    let mut p = Parts::new();
    p.m.runtime(RuntimeSettings::default());
    p.m.room_by_name(Some(room("abc", "owner")));
    p.m.rows(vec![]);
    p.m.users
        .expect_upsert_guest()
        .withf(|u| {
            u.id == GUEST
                && u.email == "guest-abcd1234@bedrud.guest"
                && u.name == "Ann B"
                && u.provider == provider::GUEST
                && u.accesses == vec![Access::Guest]
                && u.is_active
                && u.password_hash.is_none()
                && u.created_at == t0()
        })
        .times(1)
        .returning(Ok);
    p.m.participants
        .expect_admit()
        .withf(|room_id, id, cap, _| room_id == "r-abc" && id == GUEST && cap.is_none())
        .times(1)
        .returning(|_, _, _, _| Ok(true));
    p.sessions
        .sessions
        .expect_insert()
        .withf(|s| s.user_id == GUEST && s.ip == "10.0.0.7")
        .times(1)
        .returning(|_| Ok(()));
    p.m.sign_once();
    let (rooms, grants) = p.build();

    let joined = block_on(rooms.guest_join(input("  <Ann> B\u{7} "), &client())).expect("joined");
    assert_eq!(joined.token, "lk:guest-abcd1234");
    assert_eq!(joined.room.name, "abc");
    assert_eq!(joined.user.id, GUEST);
    assert!(joined.tokens.access_token.starts_with("access:"));
    assert!(joined.tokens.refresh_token.starts_with("refresh:"));
    let grant = grants.lock().expect("grants")[0].clone();
    assert_eq!(
        (grant.identity.as_str(), grant.name.as_str()),
        (GUEST, "Ann B")
    );
    assert_eq!(
        grant.metadata,
        r#"{"accesses":["guest"],"roomRole":"participant","onStage":false}"#
    );
}

#[test]
fn guest_names_are_sanitised_and_checked_first() {
    for (name, msg) in [
        ("", "Guest name is required"),
        (" <>&\"' ", "Guest name is required"),
        (
            &"a".repeat(51)[..],
            "Guest name too long (max 50 characters)",
        ),
    ] {
        let mut p = Parts::new();
        no_side_effects(&mut p);
        let (rooms, _) = p.build();
        assert_err(
            block_on(rooms.guest_join(input(name), &client())),
            "invalid",
            msg,
        );
    }
}

#[test]
fn guest_join_can_be_disabled_by_config_or_runtime_row() {
    let mut p = Parts::new();
    p.m.runtime(RuntimeSettings {
        guest_login_enabled: Some(false),
        // Registration is not consulted.
        registration_enabled: Some(true),
        ..RuntimeSettings::default()
    });
    no_side_effects(&mut p);
    let (rooms, _) = p.build();
    assert_err(
        block_on(rooms.guest_join(input("Ann"), &client())),
        "forbidden",
        "Guest login is currently disabled",
    );

    let mut p = Parts::new();
    p.sessions.policy.guest_login_enabled = false;
    p.m.runtime(RuntimeSettings::default());
    no_side_effects(&mut p);
    let (rooms, _) = p.build();
    assert_err(
        block_on(rooms.guest_join(input("Ann"), &client())),
        "forbidden",
        "Guest login is currently disabled",
    );

    // registration_enabled = false does not matter.
    let mut p = Parts::new();
    p.m.runtime(RuntimeSettings {
        registration_enabled: Some(false),
        ..RuntimeSettings::default()
    });
    p.m.room_by_name(None);
    let (rooms, _) = p.build();
    assert_err(
        block_on(rooms.guest_join(input("Ann"), &client())),
        "not_found",
        "Room not found",
    );
}

#[test]
fn a_non_guest_identity_never_reaches_the_upsert() {
    let mut p = Parts::new();
    p.m.runtime(RuntimeSettings::default());
    no_side_effects(&mut p);
    let (rooms, _) = p.build();
    let mut bad = input("Ann");
    bad.identity = "3f2a-real-user".into();
    assert_err(block_on(rooms.guest_join(bad, &client())), "internal", "");
}

#[test]
fn guest_join_room_checks_in_order() {
    // Private is reported before inactive.
    let mut private_inactive = private_room("abc", "owner");
    private_inactive.is_active = false;
    let mut inactive = room("abc", "owner");
    inactive.is_active = false;
    let mut banned = row("r-abc", GUEST);
    banned.is_banned = true;
    let cases = [
        (
            private_inactive,
            vec![],
            "forbidden",
            "This room is private",
        ),
        (inactive, vec![], "gone", "room is no longer active"),
        (
            room("abc", "owner"),
            vec![banned],
            "forbidden",
            "you are banned from this room",
        ),
    ];
    for (r, rows, variant, msg) in cases {
        let mut p = Parts::new();
        p.m.runtime(RuntimeSettings::default());
        p.m.room_by_name(Some(r));
        p.m.rows(rows);
        no_side_effects(&mut p);
        let (rooms, _) = p.build();
        assert_err(
            block_on(rooms.guest_join(input("Ann"), &client())),
            variant,
            msg,
        );
    }
}

#[test]
fn guests_with_an_active_row_may_rejoin_a_private_room() {
    let mut active = row("r-abc", GUEST);
    active.is_active = true;
    let mut p = Parts::new();
    p.m.runtime(RuntimeSettings::default());
    p.m.room_by_name(Some(private_room("abc", "owner")));
    p.m.rows(vec![active]);
    accept_upsert(&mut p);
    p.m.participants
        .expect_admit()
        .returning(|_, _, _, _| Ok(true));
    p.sessions.sessions.expect_insert().returning(|_| Ok(()));
    p.m.sign_once();
    let (rooms, _) = p.build();
    block_on(rooms.guest_join(input("Ann"), &client())).expect("joined");
}

#[test]
fn full_rooms_refuse_guests_without_a_session() {
    let mut r = room("abc", "owner");
    r.max_participants = 3;
    let mut p = Parts::new();
    p.m.runtime(RuntimeSettings::default());
    p.m.room_by_name(Some(r));
    p.m.rows(vec![]);
    accept_upsert(&mut p);
    p.m.participants
        .expect_admit()
        .withf(|_, _, cap, _| *cap == Some(3))
        .returning(|_, _, _, _| Ok(false));
    p.sessions.sessions.expect_insert().never();
    p.m.tokens.expect_join_token().never();
    let (rooms, _) = p.build();
    assert_err(
        block_on(rooms.guest_join(input("Ann"), &client())),
        "forbidden",
        "room is full",
    );
}

#[test]
fn deactivated_guests_are_refused() {
    let mut p = Parts::new();
    p.m.runtime(RuntimeSettings::default());
    p.m.room_by_name(Some(room("abc", "owner")));
    p.m.rows(vec![]);
    p.m.users.expect_upsert_guest().returning(|u| {
        Ok(User {
            is_active: false,
            ..u
        })
    });
    p.m.participants.expect_admit().never();
    p.sessions.sessions.expect_insert().never();
    let (rooms, _) = p.build();
    assert_err(
        block_on(rooms.guest_join(input("Ann"), &client())),
        "forbidden",
        "Account is deactivated",
    );
}

#[test]
fn guest_identities() {
    let mut ids = MockIdSource::new();
    ids.expect_random_string()
        .withf(|alphabet, len| alphabet == "abcdefghijklmnopqrstuvwxyz0123456789" && *len == 8)
        .returning(|_, _| "k3x9a0qz".into());
    let id = new_guest_identity(&ids);
    assert_eq!(id, "guest-k3x9a0qz");
    assert!(is_guest_identity(&id));
    for bad in [
        "guest-",
        "guest-abc",
        "guest-ABCD1234",
        "guest-abcd12345",
        "user-abcd1234",
        "guest-abcd-123",
    ] {
        assert!(!is_guest_identity(bad), "{bad}");
    }
    let (rooms, _) = Parts::new().build();
    assert_eq!(rooms.new_guest_identity(), "guest-xxxxxxxx");
}
