use std::sync::{Arc, Mutex};

use bedrud_ports::{
    Access, MediaError, MediaParticipant, MediaPermission, MediaTrack, Participant,
    ParticipantChange, RoomMode, TrackSource, User,
};

use super::effects::moderation_payload;
use super::*;
use crate::room_testkit::{RoomMocks, db_down, lk_down, room, row};
use crate::testkit::{assert_err, block_on, principal, superadmin, t0, user};

use ModerationAction::*;

fn build(m: RoomMocks) -> Moderation {
    Moderation::new(m.ports().0)
}

fn caller(id: &str) -> Principal {
    principal(user(id), "s1")
}

fn root() -> Principal {
    principal(superadmin("root"), "s1")
}

fn moderator_row(identity: &str) -> Participant {
    Participant {
        is_moderator: true,
        ..row("r-abc", identity)
    }
}

/// Room `abc` (admin `owner`) with the given participant rows.
fn mocks(rows: Vec<Participant>) -> RoomMocks {
    let mut m = RoomMocks::new();
    m.room_by_id(Some(room("abc", "owner")));
    m.rows(rows);
    m
}

fn media_participant(tracks: Vec<MediaTrack>) -> MediaParticipant {
    MediaParticipant {
        identity: "t".into(),
        name: "T".into(),
        metadata: String::new(),
        hidden: false,
        tracks,
    }
}

fn track(sid: &str, source: Option<TrackSource>, muted: bool) -> MediaTrack {
    MediaTrack {
        sid: sid.into(),
        source,
        muted,
    }
}

// ---- checks --------------------------------------------------------------------------

#[test]
fn unknown_or_archived_room_is_404_before_anything_else() {
    let mut archived = room("abc", "owner");
    archived.deleted_at = Some(t0());
    for r in [None, Some(archived)] {
        let mut m = RoomMocks::new();
        m.room_by_id(r);
        let moderation = build(m);
        for action in ModerationAction::ALL {
            assert_err(
                block_on(moderation.act(&caller("nobody"), "r-abc", "t", action)),
                "not_found",
                "Room not found",
            );
        }
    }
}

#[test]
fn the_permission_table_is_applied_by_every_action() {
    let mut banned_mod = moderator_row("banned-mod");
    banned_mod.is_banned = true;
    let rows = vec![moderator_row("mod"), row("r-abc", "plain"), banned_mod];
    // Acting on oneself passes the permission check and stops at the next one.
    for action in ModerationAction::ALL {
        for (who, allowed) in [
            (root(), true),
            (caller("owner"), true),
            (caller("mod"), !matches!(action, Promote | Demote)),
            (caller("plain"), false),
            (caller("banned-mod"), false),
            (caller("stranger"), false),
        ] {
            let moderation = build(mocks(rows.clone()));
            let result = block_on(moderation.act(&who, "r-abc", who.user_id(), action));
            if allowed {
                assert_err(result, "invalid", "Cannot perform this action on yourself");
            } else {
                assert_err(result, "forbidden", "Insufficient permissions");
            }
        }
    }
}

#[test]
fn only_superadmins_act_on_the_room_admin() {
    for action in ModerationAction::ALL
        .into_iter()
        .filter(|a| !matches!(a, Promote | Demote))
    {
        let moderation = build(mocks(vec![moderator_row("mod")]));
        assert_err(
            block_on(moderation.act(&caller("mod"), "r-abc", "owner", action)),
            "forbidden",
            action.admin_target_message(),
        );
    }
    // A superadmin passes that check (and stage-removes the admin).
    let mut m = mocks(vec![row("r-abc", "owner")]);
    m.participants
        .expect_apply()
        .returning(|_, id, _, _| Ok(row("r-abc", id)));
    m.users.expect_get().returning(|id| Ok(Some(user(id))));
    m.media
        .expect_update_participant()
        .returning(|_, _, _, _| Ok(()));
    let moderation = build(m);
    let out = block_on(moderation.act(&root(), "r-abc", "owner", StageRemove)).expect("ok");
    assert_eq!(out.status, ModerationStatus::Success);
}

#[test]
fn moderators_cannot_touch_moderators_or_superadmins() {
    for action in [Kick, Mute, Ban, VideoOff, StageBring, StageRemove] {
        let moderation = build(mocks(vec![moderator_row("mod"), moderator_row("mod2")]));
        assert_err(
            block_on(moderation.act(&caller("mod"), "r-abc", "mod2", action)),
            "forbidden",
            "Insufficient permissions",
        );

        let mut m = mocks(vec![moderator_row("mod")]);
        m.users
            .expect_get()
            .withf(|id| id == "boss")
            .returning(|_| Ok(Some(superadmin("boss"))));
        let moderation = build(m);
        assert_err(
            block_on(moderation.act(&caller("mod"), "r-abc", "boss", action)),
            "forbidden",
            "Insufficient permissions",
        );
    }
}

#[test]
fn check_store_failures_propagate() {
    let mut m = RoomMocks::new();
    m.rooms.expect_get().returning(|_| Err(db_down()));
    let moderation = build(m);
    assert_err(
        block_on(moderation.act(&root(), "r-abc", "t", Kick)),
        "unavailable",
        "",
    );
}

// ---- kick ----------------------------------------------------------------------------

#[test]
fn kick_announces_removes_and_deactivates() {
    let mut m = mocks(vec![moderator_row("mod"), row("r-abc", "t")]);
    m.users.expect_get().returning(|id| Ok(Some(user(id))));
    let mut seq = mockall::Sequence::new();
    m.media
        .expect_send_data()
        .withf(|room, topic, payload| {
            let json: serde_json::Value = serde_json::from_slice(payload).expect("json");
            room == "abc"
                && topic == "system"
                && json
                    == serde_json::json!({"type":"system","event":"kick","actor":"mod","target":"t"})
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _| Ok(()));
    m.media
        .expect_remove_participant()
        .withf(|room, id| room == "abc" && id == "t")
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(()));
    m.participants
        .expect_apply()
        .withf(|room_id, id, change, now| {
            room_id == "r-abc"
                && id == "t"
                && *change
                    == ParticipantChange {
                        active: Some(false),
                        ..ParticipantChange::default()
                    }
                && *now == t0()
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, id, _, _| Ok(row("r-abc", id)));
    let moderation = build(m);
    let out = block_on(moderation.act(&caller("mod"), "r-abc", "t", Kick)).expect("kicked");
    assert_eq!(out.status, ModerationStatus::Success);
    assert!(out.media_errors.is_empty());
}

#[test]
fn kick_failures_map_to_404_or_502_and_write_nothing() {
    for (send, remove, variant) in [
        (Some(MediaError::NotFound), None, "not_found"),
        (None, Some(MediaError::NotFound), "not_found"),
        (Some(lk_down()), None, "media"),
        (None, Some(lk_down()), "media"),
    ] {
        let mut m = mocks(vec![]);
        let send = Mutex::new(send);
        m.media
            .expect_send_data()
            .returning(move |_, _, _| send.lock().expect("send").take().map_or(Ok(()), Err));
        let remove = Mutex::new(remove);
        m.media
            .expect_remove_participant()
            .returning(move |_, _| remove.lock().expect("remove").take().map_or(Ok(()), Err));
        m.participants.expect_apply().never();
        let moderation = build(m);
        let msg = if variant == "not_found" {
            "Participant not found"
        } else {
            ""
        };
        assert_err(
            block_on(moderation.act(&caller("owner"), "r-abc", "t", Kick)),
            variant,
            msg,
        );
    }
}

// ---- mute / video off ----------------------------------------------------------------

fn mixed_tracks() -> Vec<MediaTrack> {
    vec![
        track("mic", Some(TrackSource::Microphone), false),
        track("mic-muted", Some(TrackSource::Microphone), true),
        track("cam", Some(TrackSource::Camera), false),
        track("screen", Some(TrackSource::ScreenShare), false),
        track("screen-audio", Some(TrackSource::ScreenShareAudio), false),
        track("unknown", None, false),
    ]
}

fn muted_sids(action: ModerationAction) -> Vec<String> {
    let mut m = mocks(vec![]);
    m.media
        .expect_get_participant()
        .withf(|room, id| room == "abc" && id == "t")
        .returning(|_, _| Ok(media_participant(mixed_tracks())));
    let sids = Arc::new(Mutex::new(Vec::new()));
    let log = sids.clone();
    m.media
        .expect_mute_track()
        .returning(move |room, id, sid, muted| {
            assert!(room == "abc" && id == "t" && muted);
            log.lock().expect("log").push(sid.to_owned());
            Ok(())
        });
    m.participants.expect_apply().never();
    let moderation = build(m);
    let out = block_on(moderation.act(&caller("owner"), "r-abc", "t", action)).expect("ok");
    assert_eq!(out.status, ModerationStatus::Success);
    sids.lock().expect("log").clone()
}

#[test]
fn mute_silences_unmuted_audio_tracks() {
    assert_eq!(muted_sids(Mute), vec!["mic", "screen-audio"]);
}

#[test]
fn video_off_mutes_cameras_only() {
    assert_eq!(muted_sids(VideoOff), vec!["cam"]);
}

#[test]
fn mute_failures_map_to_404_or_502() {
    for action in [Mute, VideoOff] {
        for (err, variant, msg) in [
            (MediaError::NotFound, "not_found", "Participant not found"),
            (MediaError::Disabled, "media", ""),
            (lk_down(), "media", ""),
        ] {
            let mut m = mocks(vec![]);
            let err = Mutex::new(Some(err));
            m.media
                .expect_get_participant()
                .returning(move |_, _| Err(err.lock().expect("err").take().expect("once")));
            m.media.expect_mute_track().never();
            let moderation = build(m);
            assert_err(
                block_on(moderation.act(&caller("owner"), "r-abc", "t", action)),
                variant,
                msg,
            );
        }

        let mut m = mocks(vec![]);
        m.media
            .expect_get_participant()
            .returning(|_, _| Ok(media_participant(mixed_tracks())));
        m.media
            .expect_mute_track()
            .times(1)
            .returning(|_, _, _, _| Err(lk_down()));
        let moderation = build(m);
        assert_err(
            block_on(moderation.act(&caller("owner"), "r-abc", "t", action)),
            "media",
            "",
        );
    }
}

// ---- ban -----------------------------------------------------------------------------

fn expect_ban_write(m: &mut RoomMocks) {
    m.participants
        .expect_apply()
        .withf(|room_id, id, change, _| {
            room_id == "r-abc"
                && id == "t"
                && *change
                    == ParticipantChange {
                        active: Some(false),
                        banned: Some(true),
                        ..ParticipantChange::default()
                    }
        })
        .times(1)
        .returning(|_, id, _, _| {
            Ok(Participant {
                is_banned: true,
                ..row("r-abc", id)
            })
        });
}

#[test]
fn ban_persists_even_for_absent_targets() {
    let mut m = mocks(vec![]);
    expect_ban_write(&mut m);
    m.media
        .expect_send_data()
        .withf(|_, topic, payload| {
            topic == "system" && *payload == moderation_payload("ban", "owner", "t")
        })
        .times(1)
        .returning(|_, _, _| Err(MediaError::NotFound));
    m.media
        .expect_remove_participant()
        .times(1)
        .returning(|_, _| Err(MediaError::NotFound));
    let moderation = build(m);
    let out = block_on(moderation.act(&caller("owner"), "r-abc", "t", Ban)).expect("banned");
    assert_eq!(out.status, ModerationStatus::Success);
    assert!(out.media_errors.is_empty());
}

#[test]
fn ban_reports_livekit_failures_without_failing() {
    let mut m = mocks(vec![]);
    expect_ban_write(&mut m);
    m.media
        .expect_send_data()
        .returning(|_, _, _| Err(lk_down()));
    m.media
        .expect_remove_participant()
        .returning(|_, _| Err(lk_down()));
    let moderation = build(m);
    let out = block_on(moderation.act(&caller("owner"), "r-abc", "t", Ban)).expect("banned");
    assert_eq!(out.media_errors.len(), 2);
}

#[test]
fn ban_store_failure_is_an_error_and_skips_livekit() {
    let mut m = mocks(vec![]);
    m.participants
        .expect_apply()
        .returning(|_, _, _, _| Err(db_down()));
    m.media.expect_send_data().never();
    m.media.expect_remove_participant().never();
    let moderation = build(m);
    assert_err(
        block_on(moderation.act(&caller("owner"), "r-abc", "t", Ban)),
        "unavailable",
        "",
    );
}

#[test]
fn moderation_payload_shape() {
    let json: serde_json::Value =
        serde_json::from_slice(&moderation_payload("ban", "u1", "guest-abcd1234")).expect("json");
    assert_eq!(
        json,
        serde_json::json!({"type":"system","event":"ban","actor":"u1","target":"guest-abcd1234"})
    );
}

// ---- promote / demote / stage ---------------------------------------------------------

type Updates = Arc<Mutex<Vec<(Option<String>, Option<MediaPermission>)>>>;

/// Records `update_participant` calls, answering `result` each time.
fn record_updates(m: &mut RoomMocks, result: fn() -> Result<(), MediaError>) -> Updates {
    let log: Updates = Arc::new(Mutex::new(Vec::new()));
    let inner = log.clone();
    m.media
        .expect_update_participant()
        .returning(move |room, id, metadata, perm| {
            assert!(room == "abc" && id == "t");
            inner.lock().expect("log").push((metadata, perm));
            result()
        });
    log
}

/// `apply` merges the change into the target's row.
fn apply_changes(m: &mut RoomMocks, base: Participant, expected: ParticipantChange) {
    m.participants
        .expect_apply()
        .withf(move |room_id, id, change, _| room_id == "r-abc" && id == "t" && *change == expected)
        .times(1)
        .returning(move |_, _, change, _| {
            let mut row = base.clone();
            row.is_moderator = change.moderator.unwrap_or(row.is_moderator);
            row.on_stage = change.on_stage.unwrap_or(row.on_stage);
            Ok(row)
        });
}

fn target_user(m: &mut RoomMocks) {
    m.users.expect_get().returning(|id| {
        Ok(Some(User {
            accesses: vec![Access::User],
            ..user(id)
        }))
    });
}

#[test]
fn promote_writes_then_updates_metadata_and_permission() {
    let mut m = mocks(vec![row("r-abc", "t")]);
    apply_changes(
        &mut m,
        row("r-abc", "t"),
        ParticipantChange {
            moderator: Some(true),
            ..ParticipantChange::default()
        },
    );
    target_user(&mut m);
    let updates = record_updates(&mut m, || Ok(()));
    let moderation = build(m);
    let out = block_on(moderation.act(&caller("owner"), "r-abc", "t", Promote)).expect("ok");
    assert_eq!(out.status, ModerationStatus::Success);
    let (metadata, perm) = updates.lock().expect("log")[0].clone();
    assert_eq!(
        metadata.as_deref(),
        Some(r#"{"accesses":["user","moderator"],"roomRole":"moderator","onStage":false}"#)
    );
    assert!(perm.expect("permission").can_publish);
}

#[test]
fn promoting_a_moderator_changes_nothing() {
    let mut m = mocks(vec![moderator_row("t")]);
    m.participants.expect_apply().never();
    m.media.expect_update_participant().never();
    let moderation = build(m);
    let out = block_on(moderation.act(&root(), "r-abc", "t", Promote)).expect("ok");
    assert_eq!(out.status, ModerationStatus::AlreadyModerator);
    assert_eq!(out.status.as_str(), "already_moderator");
}

#[test]
fn demote_rewrites_metadata() {
    let mut m = mocks(vec![moderator_row("t")]);
    apply_changes(
        &mut m,
        moderator_row("t"),
        ParticipantChange {
            moderator: Some(false),
            ..ParticipantChange::default()
        },
    );
    target_user(&mut m);
    let updates = record_updates(&mut m, || Err(MediaError::NotFound));
    let moderation = build(m);
    let out = block_on(moderation.act(&caller("owner"), "r-abc", "t", Demote)).expect("ok");
    assert_eq!(out.status, ModerationStatus::Success);
    let (metadata, perm) = updates.lock().expect("log")[0].clone();
    assert_eq!(
        metadata.as_deref(),
        Some(r#"{"accesses":["user"],"roomRole":"participant","onStage":false}"#)
    );
    assert!(perm.is_some());
}

#[test]
fn stage_sets_publishing_in_webinars() {
    let mut r = room("abc", "owner");
    r.mode = RoomMode::Webinar;
    for (action, on_stage) in [(StageBring, true), (StageRemove, false)] {
        let mut m = RoomMocks::new();
        m.room_by_id(Some(r.clone()));
        m.rows(vec![moderator_row("mod"), row("r-abc", "t")]);
        apply_changes(
            &mut m,
            row("r-abc", "t"),
            ParticipantChange {
                on_stage: Some(on_stage),
                ..ParticipantChange::default()
            },
        );
        m.users.expect_get().returning(|id| Ok(Some(user(id))));
        let updates = record_updates(&mut m, || Ok(()));
        let moderation = build(m);
        block_on(moderation.act(&caller("mod"), "r-abc", "t", action)).expect("ok");
        let (metadata, perm) = updates.lock().expect("log")[0].clone();
        assert!(
            metadata
                .expect("metadata")
                .ends_with(&format!(r#""onStage":{on_stage}}}"#))
        );
        assert_eq!(perm.expect("permission").can_publish, on_stage);
    }
}

#[test]
fn stage_in_standard_rooms_changes_only_metadata() {
    let mut m = mocks(vec![row("r-abc", "t")]);
    apply_changes(
        &mut m,
        row("r-abc", "t"),
        ParticipantChange {
            on_stage: Some(true),
            ..ParticipantChange::default()
        },
    );
    target_user(&mut m);
    let updates = record_updates(&mut m, || Ok(()));
    let moderation = build(m);
    block_on(moderation.act(&caller("owner"), "r-abc", "t", StageBring)).expect("ok");
    let (metadata, perm) = updates.lock().expect("log")[0].clone();
    assert!(metadata.is_some());
    assert!(perm.is_none());
}

#[test]
fn role_changes_need_a_row_or_a_connection() {
    for action in [Promote, Demote, StageBring, StageRemove] {
        // Neither: 404 and nothing written.
        let mut m = mocks(vec![]);
        m.media
            .expect_get_participant()
            .returning(|_, _| Err(MediaError::NotFound));
        m.participants.expect_apply().never();
        let moderation = build(m);
        assert_err(
            block_on(moderation.act(&caller("owner"), "r-abc", "t", action)),
            "not_found",
            "Participant not found",
        );

        // LiveKit down while checking: 502.
        let mut m = mocks(vec![]);
        m.media
            .expect_get_participant()
            .returning(|_, _| Err(lk_down()));
        m.participants.expect_apply().never();
        let moderation = build(m);
        assert_err(
            block_on(moderation.act(&caller("owner"), "r-abc", "t", action)),
            "media",
            "",
        );

        // Connected without a row: proceeds.
        let mut m = mocks(vec![]);
        m.media
            .expect_get_participant()
            .returning(|_, _| Ok(media_participant(vec![])));
        m.participants
            .expect_apply()
            .times(1)
            .returning(|_, id, _, _| Ok(row("r-abc", id)));
        target_user(&mut m);
        record_updates(&mut m, || Ok(()));
        let moderation = build(m);
        block_on(moderation.act(&caller("owner"), "r-abc", "t", action)).expect("ok");
    }
}

#[test]
fn role_change_update_failures_are_502() {
    for action in [Promote, Demote, StageBring, StageRemove] {
        let mut m = mocks(vec![row("r-abc", "t")]);
        let changes: Arc<Mutex<Vec<ParticipantChange>>> = Arc::new(Mutex::new(Vec::new()));
        let seen = changes.clone();
        m.participants
            .expect_apply()
            .times(2)
            .returning(move |_, id, change, _| {
                seen.lock().expect("log").push(change);
                Ok(row("r-abc", id))
            });
        target_user(&mut m);
        record_updates(&mut m, || Err(lk_down()));
        let moderation = build(m);
        assert_err(
            block_on(moderation.act(&caller("owner"), "r-abc", "t", action)),
            "media",
            "",
        );
        // The change is undone: back to the row as it was (not a moderator, not on stage).
        let changes = changes.lock().expect("log").clone();
        let undo = &changes[1];
        assert_eq!(undo.active, None);
        assert_eq!(undo.banned, None);
        match action {
            Promote | Demote => {
                assert_eq!(undo.moderator, Some(false), "{action:?}");
                assert_eq!(undo.on_stage, None);
                assert_eq!(changes[0].moderator, Some(action == Promote));
            }
            _ => {
                assert_eq!(undo.on_stage, Some(false), "{action:?}");
                assert_eq!(undo.moderator, None);
                assert_eq!(changes[0].on_stage, Some(action == StageBring));
            }
        }

        // Disabled media: nobody is connected, the row change stands.
        let mut m = mocks(vec![row("r-abc", "t")]);
        m.participants
            .expect_apply()
            .returning(|_, id, _, _| Ok(row("r-abc", id)));
        target_user(&mut m);
        record_updates(&mut m, || Err(MediaError::Disabled));
        let moderation = build(m);
        block_on(moderation.act(&caller("owner"), "r-abc", "t", action)).expect("ok");
    }
}

#[test]
fn room_admin_standing_is_kept_in_metadata() {
    // A superadmin promoting the room admin: still roomRole admin.
    let mut m = mocks(vec![row("r-abc", "owner")]);
    m.participants
        .expect_apply()
        .returning(|_, id, _, _| Ok(moderator_row(id)));
    m.users.expect_get().returning(|id| Ok(Some(user(id))));
    let log: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let inner = log.clone();
    m.media
        .expect_update_participant()
        .returning(move |_, _, metadata, _| {
            inner
                .lock()
                .expect("log")
                .push(metadata.unwrap_or_default());
            Ok(())
        });
    let moderation = build(m);
    block_on(moderation.act(&root(), "r-abc", "owner", Promote)).expect("ok");
    assert!(log.lock().expect("log")[0].contains(r#""roomRole":"admin""#));
}
