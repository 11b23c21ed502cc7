use std::sync::{Arc, Mutex};
use std::time::Duration;

use bedrud_ports::{
    MediaError, MediaParticipant, MediaPermission, RoomMode, RoomSettings, RuntimeSettings,
    StoreError,
};
use chrono::TimeDelta;

use super::*;
use crate::room_testkit::{lk_down, recording_sleep, room, row};
use crate::teardown::{RoomTeardown, TeardownEvent};
use crate::testkit::{assert_err, block_on, t0};

// ---- list / archived -----------------------------------------------------------------

#[test]
fn list_and_archived_are_the_callers() {
    let mut p = Parts::new();
    p.m.rooms
        .expect_list_by_creator()
        .withf(|id| id == "u1")
        .times(1)
        .returning(|_| Ok(vec![room("abc", "u1")]));
    let mut archived = room("old", "u1");
    archived.deleted_at = Some(t0());
    let expected = vec![archived.clone()];
    p.m.rooms
        .expect_list_archived()
        .withf(|id| id == "u1")
        .times(1)
        .returning(move |_| Ok(vec![archived.clone()]));
    let (rooms, _) = p.build();
    assert_eq!(
        block_on(rooms.list(&caller("u1"))).expect("list"),
        vec![room("abc", "u1")]
    );
    assert_eq!(
        block_on(rooms.archived(&caller("u1"))).expect("archived"),
        expected
    );
}

// ---- delete --------------------------------------------------------------------------

#[test]
fn delete_archives_then_hands_back_the_teardown() {
    for who in [caller("owner"), root()] {
        let mut p = Parts::new();
        p.m.room_by_id(Some(room("abc", "owner")));
        p.m.rooms
            .expect_archive()
            .withf(|id, now| id == "r-abc" && *now == t0())
            .times(1)
            .returning(|_, _| Ok(true));
        p.m.media.expect_send_data().never();
        p.m.media.expect_delete_room().never();
        let (rooms, _) = p.build();
        let plan = block_on(rooms.delete(&who, "r-abc")).expect("deleted");
        assert_eq!(
            plan,
            Some(RoomTeardown {
                room_name: "abc".into(),
                event: TeardownEvent::RoomEnded
            })
        );
    }
}

#[test]
fn delete_is_idempotent_on_archived_rooms() {
    let mut archived = room("abc", "owner");
    archived.deleted_at = Some(t0() - TimeDelta::minutes(1));
    archived.is_active = false;
    let mut p = Parts::new();
    p.m.room_by_id(Some(archived));
    p.m.rooms.expect_archive().never();
    let (rooms, _) = p.build();
    assert_eq!(
        block_on(rooms.delete(&caller("owner"), "r-abc")).expect("ok"),
        None
    );
}

#[test]
fn delete_errors() {
    let mut p = Parts::new();
    p.m.room_by_id(None);
    let (rooms, _) = p.build();
    assert_err(
        block_on(rooms.delete(&caller("owner"), "r-x")),
        "not_found",
        "Room not found",
    );

    // Only the creator: a reassigned admin may not delete.
    let mut reassigned = room("abc", "owner");
    reassigned.admin_id = "admin".into();
    let mut p = Parts::new();
    p.m.room_by_id(Some(reassigned));
    p.m.rooms.expect_archive().never();
    let (rooms, _) = p.build();
    for who in ["admin", "stranger"] {
        assert_err(
            block_on(rooms.delete(&caller(who), "r-abc")),
            "forbidden",
            "Only the room creator can delete this room",
        );
    }

    // Archived concurrently between the read and the write.
    let mut p = Parts::new();
    p.m.room_by_id(Some(room("abc", "owner")));
    p.m.rooms.expect_archive().returning(|_, _| Ok(false));
    let (rooms, _) = p.build();
    assert_err(
        block_on(rooms.delete(&caller("owner"), "r-abc")),
        "not_found",
        "Room not found",
    );
}

#[test]
fn rooms_teardown_runs_through_the_media_port() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut p = Parts::new();
    p.m.media
        .expect_send_data()
        .withf(|room, topic, _| room == "abc" && topic == "system")
        .times(1)
        .returning(|_, _, _| Ok(()));
    p.m.media
        .expect_delete_room()
        .times(1)
        .returning(|_| Ok(()));
    let (rooms, _) = p.build();
    let plan = RoomTeardown {
        room_name: "abc".into(),
        event: TeardownEvent::RoomEnded,
    };
    let report = block_on(rooms.teardown(&plan, recording_sleep(&log)));
    assert!(report.send_error.is_none() && report.delete_error.is_none());
    assert_eq!(*log.lock().expect("log"), vec![Duration::from_millis(400)]);
}

// ---- settings ------------------------------------------------------------------------

fn change() -> SettingsChange {
    SettingsChange::default()
}

/// The store writes what it is given onto `base`.
fn accept_update(p: &mut Parts, base: bedrud_ports::Room) {
    p.m.rooms.expect_update_settings().times(1).returning(
        move |_, is_public, max, settings, now| {
            Ok(bedrud_ports::Room {
                is_public,
                max_participants: max,
                settings,
                updated_at: now,
                ..base.clone()
            })
        },
    );
}

#[test]
fn settings_merge_and_keep_missing_keys() {
    let mut before = room("abc", "owner");
    before.settings.e2ee = true;
    before.settings.is_persistent = true;
    before.max_participants = 7;
    let mut p = Parts::new();
    p.m.room_by_id(Some(before.clone()));
    p.m.rooms
        .expect_update_settings()
        .withf(|id, is_public, max, s, now| {
            id == "r-abc"
                && !*is_public
                && *max == 7
                && *s
                    == RoomSettings {
                        allow_chat: false,
                        e2ee: true,
                        is_persistent: true,
                        ..RoomSettings::default()
                    }
                && *now == t0()
        })
        .times(1)
        .returning(move |_, is_public, max, settings, _| {
            Ok(bedrud_ports::Room {
                is_public,
                max_participants: max,
                settings,
                ..before.clone()
            })
        });
    // allowChat changed: connected participants are updated (none here).
    p.m.media
        .expect_list_participants()
        .returning(|_| Ok(vec![]));
    p.m.participants.expect_list().returning(|_| Ok(vec![]));
    p.m.media.expect_create_room().never();
    let (rooms, _) = p.build();
    let input = SettingsChange {
        is_public: Some(false),
        settings: Some(SettingsInput {
            allow_chat: Some(false),
            // Ignored: only superadmins change persistence.
            is_persistent: Some(false),
            ..SettingsInput::default()
        }),
        ..change()
    };
    let updated = block_on(rooms.update_settings(&caller("owner"), "r-abc", input)).expect("ok");
    assert!(updated.media_errors.is_empty());
    assert!(!updated.room.settings.allow_chat);
}

#[test]
fn superadmins_change_persistence_and_admin_id_wins_over_creator() {
    let mut r = room("abc", "creator");
    r.admin_id = "admin".into();
    let mut p = Parts::new();
    p.m.room_by_id(Some(r.clone()));
    p.m.rooms
        .expect_update_settings()
        .withf(|_, _, _, s, _| s.is_persistent)
        .times(1)
        .returning(move |_, _, _, settings, _| {
            Ok(bedrud_ports::Room {
                settings,
                ..r.clone()
            })
        });
    let (rooms, _) = p.build();
    let input = SettingsChange {
        settings: Some(SettingsInput {
            is_persistent: Some(true),
            ..SettingsInput::default()
        }),
        ..change()
    };
    block_on(rooms.update_settings(&root(), "r-abc", input)).expect("ok");

    let mut r = room("abc", "creator");
    r.admin_id = "admin".into();
    let mut p = Parts::new();
    p.m.room_by_id(Some(r.clone()));
    accept_update(&mut p, r);
    let (rooms, _) = p.build();
    block_on(rooms.update_settings(&caller("admin"), "r-abc", change())).expect("admin");
    assert_err(
        block_on(rooms.update_settings(&caller("creator"), "r-abc", change())),
        "forbidden",
        "Insufficient permissions",
    );
}

#[test]
fn settings_errors_in_order() {
    let mut archived = room("abc", "owner");
    archived.deleted_at = Some(t0());
    for r in [None, Some(archived)] {
        let mut p = Parts::new();
        p.m.room_by_id(r);
        let (rooms, _) = p.build();
        assert_err(
            block_on(rooms.update_settings(&caller("owner"), "r-abc", change())),
            "not_found",
            "Room not found",
        );
    }

    let mut p = Parts::new();
    p.m.room_by_id(Some(room("abc", "owner")));
    p.m.rooms.expect_update_settings().never();
    let (rooms, _) = p.build();
    let bad = SettingsChange {
        max_participants: Some(5000),
        ..change()
    };
    assert_err(
        block_on(rooms.update_settings(&caller("stranger"), "r-abc", bad)),
        "forbidden",
        "Insufficient permissions",
    );
}

#[test]
fn settings_capacity_range() {
    for (runtime, value, limit) in [(None, -1, 1000), (None, 1001, 1000), (Some(20), 21, 20)] {
        let mut p = Parts::new();
        p.m.room_by_id(Some(room("abc", "owner")));
        p.m.runtime(RuntimeSettings {
            max_participants_limit: runtime,
            ..RuntimeSettings::default()
        });
        p.m.rooms.expect_update_settings().never();
        let (rooms, _) = p.build();
        let input = SettingsChange {
            max_participants: Some(value),
            ..change()
        };
        assert_err(
            block_on(rooms.update_settings(&caller("owner"), "r-abc", input)),
            "invalid",
            &format!("maxParticipants must be between 0 and {limit}"),
        );
    }
}

#[test]
fn settings_store_not_found_is_404() {
    let mut p = Parts::new();
    p.m.room_by_id(Some(room("abc", "owner")));
    p.m.rooms
        .expect_update_settings()
        .returning(|_, _, _, _, _| Err(StoreError::NotFound));
    let (rooms, _) = p.build();
    assert_err(
        block_on(rooms.update_settings(&caller("owner"), "r-abc", change())),
        "not_found",
        "Room not found",
    );
}

#[test]
fn capacity_is_synced_to_live_rooms_only_when_it_changes() {
    // (live, old, new, expected CreateRoom capacity)
    let cases = [
        (true, 0, 10, Some(10)),
        (true, 5, 10, Some(10)),
        (true, 10, 10, None),
        (true, 10, 0, None),
        (false, 0, 10, None),
    ];
    for (live, old, new, expected) in cases {
        let mut before = room("abc", "owner");
        before.is_live = live;
        before.max_participants = old;
        let mut p = Parts::new();
        p.m.room_by_id(Some(before.clone()));
        p.m.runtime(RuntimeSettings::default());
        accept_update(&mut p, before);
        match expected {
            Some(cap) => {
                p.m.media
                    .expect_create_room()
                    .withf(move |name, max| name == "abc" && *max == cap)
                    .times(1)
                    .returning(|_, _| Err(lk_down()));
            }
            None => {
                p.m.media.expect_create_room().never();
            }
        }
        let (rooms, _) = p.build();
        let input = SettingsChange {
            max_participants: Some(i64::from(new)),
            ..change()
        };
        let updated =
            block_on(rooms.update_settings(&caller("owner"), "r-abc", input)).expect("ok");
        assert_eq!(updated.room.max_participants, new);
        assert_eq!(updated.media_errors.len(), usize::from(expected.is_some()));
    }
}

fn connected(identity: &str, hidden: bool) -> MediaParticipant {
    MediaParticipant {
        identity: identity.into(),
        name: String::new(),
        metadata: String::new(),
        hidden,
        tracks: vec![],
    }
}

#[test]
fn allow_changes_are_pushed_to_visible_participants() {
    let mut before = room("abc", "owner");
    before.mode = RoomMode::Webinar;
    let mut p = Parts::new();
    p.m.room_by_id(Some(before.clone()));
    accept_update(&mut p, before);
    p.m.media
        .expect_list_participants()
        .withf(|name| name == "abc")
        .returning(|_| {
            Ok(vec![
                connected("owner", false),
                connected("viewer", false),
                connected("observer", true),
                connected("gone", false),
            ])
        });
    let mut staged = row("r-abc", "viewer");
    staged.on_stage = true;
    p.m.participants
        .expect_list()
        .returning(move |_| Ok(vec![staged.clone()]));
    let pushed: Arc<Mutex<Vec<(String, MediaPermission)>>> = Arc::new(Mutex::new(Vec::new()));
    let log = pushed.clone();
    p.m.media
        .expect_update_participant()
        .returning(move |_, identity, metadata, perm| {
            assert!(metadata.is_none());
            log.lock()
                .expect("log")
                .push((identity.to_owned(), perm.clone().expect("permission")));
            match identity {
                "gone" => Err(MediaError::NotFound),
                _ => Ok(()),
            }
        });
    let (rooms, _) = p.build();
    let input = SettingsChange {
        settings: Some(SettingsInput {
            allow_video: Some(false),
            ..SettingsInput::default()
        }),
        ..change()
    };
    let updated = block_on(rooms.update_settings(&caller("owner"), "r-abc", input)).expect("ok");
    assert!(updated.media_errors.is_empty());
    let pushed = pushed.lock().expect("log").clone();
    let identities: Vec<&str> = pushed.iter().map(|(i, _)| i.as_str()).collect();
    assert_eq!(identities, vec!["owner", "viewer", "gone"]);
    for (_, perm) in &pushed {
        assert_eq!(
            perm.can_publish_sources,
            vec![bedrud_ports::TrackSource::Microphone]
        );
    }
    assert!(pushed[0].1.can_publish, "room admin");
    assert!(pushed[1].1.can_publish, "on stage");
    assert!(!pushed[2].1.can_publish, "webinar audience");
}

#[test]
fn permission_push_failures_are_warnings() {
    let before = room("abc", "owner");
    let before_rows = before.clone();
    let mut p = Parts::new();
    p.m.room_by_id(Some(before.clone()));
    accept_update(&mut p, before.clone());
    p.m.media
        .expect_list_participants()
        .returning(|_| Err(lk_down()));
    p.m.participants.expect_list().never();
    let (rooms, _) = p.build();
    let input = SettingsChange {
        settings: Some(SettingsInput {
            allow_audio: Some(false),
            ..SettingsInput::default()
        }),
        ..change()
    };
    let updated = block_on(rooms.update_settings(&caller("owner"), "r-abc", input)).expect("ok");
    assert_eq!(updated.media_errors.len(), 1);

    let mut p = Parts::new();
    p.m.room_by_id(Some(before.clone()));
    accept_update(&mut p, before);
    p.m.media
        .expect_list_participants()
        .returning(|_| Ok(vec![connected("a", false), connected("b", false)]));
    p.m.participants.expect_list().returning(|_| Ok(vec![]));
    p.m.media
        .expect_update_participant()
        .times(2)
        .returning(|_, _, _, _| Err(lk_down()));
    let (rooms, _) = p.build();
    let updated = block_on(rooms.update_settings(&caller("owner"), "r-abc", input)).expect("ok");
    assert_eq!(updated.media_errors.len(), 2);

    // The settings are saved before the participant rows are read: a failing read is a
    // warning too, and nothing is pushed without the rows.
    let mut p = Parts::new();
    p.m.room_by_id(Some(before_rows.clone()));
    accept_update(&mut p, before_rows);
    p.m.media
        .expect_list_participants()
        .returning(|_| Ok(vec![connected("a", false)]));
    p.m.participants
        .expect_list()
        .returning(|_| Err(StoreError::Unavailable(anyhow::anyhow!("pool timed out"))));
    p.m.media.expect_update_participant().never();
    let (rooms, _) = p.build();
    let updated = block_on(rooms.update_settings(&caller("owner"), "r-abc", input)).expect("ok");
    assert_eq!(updated.media_errors.len(), 1);
}

#[test]
fn unchanged_allow_flags_push_nothing() {
    let before = room("abc", "owner");
    let mut p = Parts::new();
    p.m.room_by_id(Some(before.clone()));
    accept_update(&mut p, before);
    p.m.media.expect_list_participants().never();
    p.m.media.expect_update_participant().never();
    let (rooms, _) = p.build();
    let input = SettingsChange {
        settings: Some(SettingsInput {
            allow_audio: Some(true),
            e2ee: Some(true),
            ..SettingsInput::default()
        }),
        ..change()
    };
    block_on(rooms.update_settings(&caller("owner"), "r-abc", input)).expect("ok");
}
