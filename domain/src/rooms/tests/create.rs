use std::sync::{Arc, Mutex};

use bedrud_ports::{
    MediaError, Participant, Room, RoomCreation, RoomMode, RoomSettings, RuntimeSettings,
    StoreError,
};
use chrono::TimeDelta;

use super::*;
use crate::room_testkit::{db_down, lk_down};
use crate::testkit::{assert_err, block_on, t0};

type Calls = Arc<Mutex<Vec<(Room, Participant, Option<i64>)>>>;

/// The store accepts every create and records it.
fn accept_creates(p: &mut Parts) -> Calls {
    let calls: Calls = Arc::new(Mutex::new(Vec::new()));
    let log = calls.clone();
    p.m.rooms
        .expect_create()
        .returning(move |room, creator, cap| {
            log.lock()
                .expect("calls")
                .push((room.clone(), creator, cap));
            Ok(RoomCreation::Created(room))
        });
    calls
}

fn accept_media(p: &mut Parts) {
    p.m.media.expect_create_room().returning(|_, _| Ok(()));
}

fn named(name: &str) -> NewRoom {
    NewRoom {
        name: Some(name.into()),
        ..NewRoom::default()
    }
}

#[test]
fn creates_with_the_contract_defaults() {
    let mut p = Parts::new();
    p.m.runtime(RuntimeSettings::default());
    let calls = accept_creates(&mut p);
    p.m.media
        .expect_create_room()
        .withf(|name, max| name == "my-room" && *max == 0)
        .times(1)
        .returning(|_, _| Ok(()));
    p.m.media.expect_delete_room().never();
    let (rooms, _) = p.build();

    let created = block_on(rooms.create(&caller("u1"), named("  My-Room "))).expect("created");
    assert!(created.media_error.is_none());
    let (room, creator, cap) = calls.lock().expect("calls")[0].clone();
    assert_eq!(created.room, room);
    assert_eq!(room.name, "my-room");
    assert_eq!(room.id, "id-1");
    assert_eq!(
        (room.created_by.as_str(), room.admin_id.as_str()),
        ("u1", "u1")
    );
    assert!(room.is_active && !room.is_public && !room.is_live);
    assert_eq!(room.max_participants, 0);
    assert_eq!(room.mode, RoomMode::Standard);
    assert_eq!(room.settings, RoomSettings::default());
    assert_eq!((room.created_at, room.updated_at), (t0(), t0()));
    assert_eq!(room.expires_at, t0() + TimeDelta::hours(24));
    assert_eq!(room.last_activity_at, Some(t0()));
    assert_eq!(room.deleted_at, None);
    assert_eq!(cap, Some(100));
    assert_eq!(creator.room_id, "id-1");
    assert_eq!(creator.identity, "u1");
    assert!(!creator.is_active && creator.on_stage && !creator.is_moderator && !creator.is_banned);
}

#[test]
fn given_fields_are_used_and_missing_settings_keys_default() {
    let mut p = Parts::new();
    p.m.runtime(RuntimeSettings::default());
    let calls = accept_creates(&mut p);
    p.m.media
        .expect_create_room()
        .withf(|_, max| *max == 25)
        .times(1)
        .returning(|_, _| Ok(()));
    let (rooms, _) = p.build();
    let input = NewRoom {
        name: Some("team".into()),
        max_participants: Some(25),
        is_public: Some(true),
        mode: Some("webinar".into()),
        settings: Some(SettingsInput {
            allow_video: Some(false),
            e2ee: Some(true),
            recordings_allowed: Some(true),
            is_persistent: Some(true),
            ..SettingsInput::default()
        }),
    };
    block_on(rooms.create(&caller("u1"), input)).expect("created");
    let room = calls.lock().expect("calls")[0].0.clone();
    assert!(room.is_public);
    assert_eq!(room.max_participants, 25);
    assert_eq!(room.mode, RoomMode::Webinar);
    assert_eq!(
        room.settings,
        RoomSettings {
            allow_chat: true,
            allow_video: false,
            allow_audio: true,
            require_approval: false,
            e2ee: true,
            // Only superadmins make rooms persistent.
            is_persistent: false,
            recordings_allowed: true,
        }
    );
}

#[test]
fn superadmins_are_uncapped_and_may_persist() {
    let mut p = Parts::new();
    p.m.runtime(RuntimeSettings::default());
    let calls = accept_creates(&mut p);
    accept_media(&mut p);
    let (rooms, _) = p.build();
    let input = NewRoom {
        settings: Some(SettingsInput {
            is_persistent: Some(true),
            ..SettingsInput::default()
        }),
        ..named("abc")
    };
    block_on(rooms.create(&root(), input)).expect("created");
    let (room, _, cap) = calls.lock().expect("calls")[0].clone();
    assert!(room.settings.is_persistent);
    assert_eq!(cap, None);
}

#[test]
fn negative_capacity_means_unlimited() {
    let mut p = Parts::new();
    p.m.runtime(RuntimeSettings::default());
    let calls = accept_creates(&mut p);
    accept_media(&mut p);
    let (rooms, _) = p.build();
    let input = NewRoom {
        max_participants: Some(-5),
        ..named("abc")
    };
    block_on(rooms.create(&caller("u1"), input)).expect("created");
    assert_eq!(calls.lock().expect("calls")[0].0.max_participants, 0);
}

#[test]
fn name_rules_are_checked_first() {
    for (name, msg) in [
        ("ab", "room name must be at least 3 characters"),
        (
            &"a".repeat(64)[..],
            "room name must be at most 63 characters",
        ),
        (
            "bad_name",
            "room name must contain only lowercase letters, numbers, and hyphens",
        ),
    ] {
        let (rooms, _) = Parts::new().build();
        let input = NewRoom {
            mode: Some("nope".into()),
            ..named(name)
        };
        assert_err(block_on(rooms.create(&caller("u1"), input)), "invalid", msg);
    }
}

#[test]
fn capacity_limit_comes_from_config_or_the_runtime_row() {
    let mut p = Parts::new();
    p.m.runtime(RuntimeSettings::default());
    let (rooms, _) = p.build();
    let input = NewRoom {
        max_participants: Some(1001),
        mode: Some("nope".into()),
        ..named("abc")
    };
    assert_err(
        block_on(rooms.create(&caller("u1"), input)),
        "invalid",
        "maxParticipants must be at most 1000",
    );

    let mut p = Parts::new();
    p.m.runtime(RuntimeSettings {
        max_participants_limit: Some(10),
        ..RuntimeSettings::default()
    });
    let (rooms, _) = p.build();
    let input = NewRoom {
        max_participants: Some(11),
        ..named("abc")
    };
    assert_err(
        block_on(rooms.create(&caller("u1"), input)),
        "invalid",
        "maxParticipants must be at most 10",
    );
}

#[test]
fn unknown_mode_is_refused() {
    let mut p = Parts::new();
    p.m.runtime(RuntimeSettings::default());
    p.m.rooms.expect_create().never();
    let (rooms, _) = p.build();
    let input = NewRoom {
        mode: Some("Webinar".into()),
        ..named("abc")
    };
    assert_err(
        block_on(rooms.create(&caller("u1"), input)),
        "invalid",
        "Invalid room mode",
    );
}

#[test]
fn the_per_user_cap_follows_the_runtime_row() {
    let mut p = Parts::new();
    p.m.runtime(RuntimeSettings {
        max_rooms_per_user: Some(3),
        ..RuntimeSettings::default()
    });
    p.m.rooms
        .expect_create()
        .withf(|_, _, cap| *cap == Some(3))
        .times(1)
        .returning(|_, _, _| Ok(RoomCreation::CapReached));
    p.m.media.expect_create_room().never();
    let (rooms, _) = p.build();
    assert_err(
        block_on(rooms.create(&caller("u1"), named("abc"))),
        "forbidden",
        "Room limit reached (max 3 active rooms)",
    );

    let mut p = Parts::new();
    p.m.runtime(RuntimeSettings {
        max_rooms_per_user: Some(0),
        ..RuntimeSettings::default()
    });
    let calls = accept_creates(&mut p);
    accept_media(&mut p);
    let (rooms, _) = p.build();
    block_on(rooms.create(&caller("u1"), named("abc"))).expect("created");
    assert_eq!(calls.lock().expect("calls")[0].2, None);
}

#[test]
fn a_taken_chosen_name_is_409() {
    let mut p = Parts::new();
    p.m.runtime(RuntimeSettings::default());
    p.m.rooms
        .expect_create()
        .times(1)
        .returning(|_, _, _| Err(StoreError::Conflict("room_name")));
    p.m.media.expect_create_room().never();
    p.m.media.expect_delete_room().never();
    let (rooms, _) = p.build();
    assert_err(
        block_on(rooms.create(&caller("u1"), named("abc"))),
        "conflict",
        "a room with this name already exists",
    );
}

#[test]
fn generated_names_are_retried_on_collision() {
    let mut p = Parts::new();
    p.m.runtime(RuntimeSettings::default());
    let attempts = Arc::new(Mutex::new(Vec::new()));
    let log = attempts.clone();
    p.m.rooms
        .expect_create()
        .times(3)
        .returning(move |room, _, _| {
            let mut log = log.lock().expect("log");
            log.push(room.id.clone());
            if log.len() < 3 {
                Err(StoreError::Conflict("room_name"))
            } else {
                Ok(RoomCreation::Created(room))
            }
        });
    accept_media(&mut p);
    let (rooms, _) = p.build();
    let created = block_on(rooms.create(
        &caller("u1"),
        NewRoom {
            name: Some("   ".into()),
            ..NewRoom::default()
        },
    ))
    .expect("created");
    assert_eq!(created.room.name, "xxx-xxxx-xxx");
    let ids = attempts.lock().expect("log").clone();
    assert_eq!(ids, vec!["id-1", "id-2", "id-3"]);
}

#[test]
fn generated_names_give_up_after_five_retries() {
    let mut p = Parts::new();
    p.m.runtime(RuntimeSettings::default());
    p.m.rooms
        .expect_create()
        .times(6)
        .returning(|_, _, _| Err(StoreError::Conflict("room_name")));
    p.m.media.expect_create_room().never();
    let (rooms, _) = p.build();
    assert_err(
        block_on(rooms.create(&caller("u1"), NewRoom::default())),
        "internal",
        "",
    );
}

#[test]
fn media_failure_after_commit_is_only_a_warning() {
    let mut p = Parts::new();
    p.m.runtime(RuntimeSettings::default());
    accept_creates(&mut p);
    p.m.media
        .expect_create_room()
        .times(1)
        .returning(|_, _| Err(lk_down()));
    p.m.media.expect_delete_room().never();
    let (rooms, _) = p.build();
    let created = block_on(rooms.create(&caller("u1"), named("abc"))).expect("created");
    assert!(matches!(
        created.media_error,
        Some(MediaError::Unavailable(_))
    ));

    let mut p = Parts::new();
    p.m.runtime(RuntimeSettings::default());
    accept_creates(&mut p);
    p.m.media
        .expect_create_room()
        .returning(|_, _| Err(MediaError::Disabled));
    let (rooms, _) = p.build();
    let created = block_on(rooms.create(&caller("u1"), named("abc"))).expect("created");
    assert!(created.media_error.is_none());
}

#[test]
fn store_failures_propagate() {
    let mut p = Parts::new();
    p.m.settings.expect_get().returning(|| Err(db_down()));
    let (rooms, _) = p.build();
    assert_err(
        block_on(rooms.create(&caller("u1"), named("abc"))),
        "unavailable",
        "",
    );

    let mut p = Parts::new();
    p.m.runtime(RuntimeSettings::default());
    p.m.rooms
        .expect_create()
        .returning(|_, _, _| Err(db_down()));
    let (rooms, _) = p.build();
    assert_err(
        block_on(rooms.create(&caller("u1"), named("abc"))),
        "unavailable",
        "",
    );
}

#[test]
fn settings_input_merges() {
    let base = RoomSettings {
        allow_chat: false,
        is_persistent: true,
        ..RoomSettings::default()
    };
    let input = SettingsInput {
        allow_audio: Some(false),
        is_persistent: Some(false),
        ..SettingsInput::default()
    };
    let kept = input.merge(base, false);
    assert!(!kept.allow_chat && !kept.allow_audio && kept.allow_video);
    assert!(
        kept.is_persistent,
        "non-superadmins cannot change isPersistent"
    );
    assert!(!input.merge(base, true).is_persistent);
    assert_eq!(SettingsInput::default().merge(base, true), base);
}
