use bedrud_ports::{Access, RoomMode, RoomSettings, TrackSource};

use super::*;
use crate::room_testkit::{room, row};

const ALL_SOURCES: [TrackSource; 4] = [
    TrackSource::Microphone,
    TrackSource::Camera,
    TrackSource::ScreenShare,
    TrackSource::ScreenShareAudio,
];

fn settings(audio: bool, video: bool, chat: bool) -> RoomSettings {
    RoomSettings {
        allow_audio: audio,
        allow_video: video,
        allow_chat: chat,
        ..RoomSettings::default()
    }
}

fn standing(role: RoomRole, on_stage: bool) -> Standing {
    Standing { role, on_stage }
}

#[test]
fn sources_follow_audio_and_video() {
    assert_eq!(allowed_sources(&settings(true, true, true)), ALL_SOURCES);
    assert_eq!(
        allowed_sources(&settings(true, false, true)),
        vec![TrackSource::Microphone]
    );
    assert_eq!(
        allowed_sources(&settings(false, true, true)),
        vec![
            TrackSource::Camera,
            TrackSource::ScreenShare,
            TrackSource::ScreenShareAudio
        ]
    );
    assert!(allowed_sources(&settings(false, false, true)).is_empty());
}

#[test]
fn the_whole_publish_table() {
    let roles = [RoomRole::Admin, RoomRole::Moderator, RoomRole::Participant];
    let modes = [RoomMode::Standard, RoomMode::Webinar, RoomMode::Broadcast];
    for mode in modes {
        for role in roles {
            for on_stage in [false, true] {
                for audio in [false, true] {
                    for video in [false, true] {
                        for chat in [false, true] {
                            let s = settings(audio, video, chat);
                            let p = permission(&s, mode, standing(role, on_stage));
                            let by_mode = mode == RoomMode::Standard
                                || role != RoomRole::Participant
                                || on_stage;
                            let ctx = format!(
                                "{mode:?} {role:?} stage={on_stage} a={audio} v={video} c={chat}"
                            );
                            assert_eq!(p.can_publish, by_mode && (audio || video), "{ctx}");
                            assert_eq!(p.can_publish_sources, allowed_sources(&s), "{ctx}");
                            assert_eq!(p.can_publish_data, chat, "{ctx}");
                            assert!(p.can_subscribe, "{ctx}");
                            assert!(!p.can_update_metadata, "{ctx}");
                            assert!(!p.hidden, "{ctx}");
                            // Never "publish everything" by accident.
                            assert!(
                                !(p.can_publish && p.can_publish_sources.is_empty()),
                                "{ctx}"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn webinar_audience_cannot_publish_but_stage_can() {
    let s = RoomSettings::default();
    let audience = permission(
        &s,
        RoomMode::Webinar,
        standing(RoomRole::Participant, false),
    );
    assert!(!audience.can_publish);
    assert!(audience.can_publish_data);
    let staged = permission(
        &s,
        RoomMode::Broadcast,
        standing(RoomRole::Participant, true),
    );
    assert!(staged.can_publish);
    let moderator = permission(
        &s,
        RoomMode::Broadcast,
        standing(RoomRole::Moderator, false),
    );
    assert!(moderator.can_publish);
}

#[test]
fn roles_come_from_admin_id_and_the_row() {
    let r = room("abc", "owner");
    assert_eq!(RoomRole::of(&r, "owner", None), RoomRole::Admin);
    let mut mod_row = row(&r.id, "m");
    mod_row.is_moderator = true;
    assert_eq!(RoomRole::of(&r, "m", Some(&mod_row)), RoomRole::Moderator);
    assert_eq!(
        RoomRole::of(&r, "p", Some(&row(&r.id, "p"))),
        RoomRole::Participant
    );
    assert_eq!(RoomRole::of(&r, "p", None), RoomRole::Participant);

    // admin_id falls back to the creator; a reassigned admin replaces the creator.
    let mut legacy = room("abc", "owner");
    legacy.admin_id = String::new();
    assert_eq!(RoomRole::of(&legacy, "owner", None), RoomRole::Admin);
    let mut reassigned = room("abc", "owner");
    reassigned.admin_id = "other".into();
    assert_eq!(
        RoomRole::of(&reassigned, "owner", None),
        RoomRole::Participant
    );
    assert_eq!(RoomRole::of(&reassigned, "other", None), RoomRole::Admin);

    let mut staged = row(&r.id, "p");
    staged.on_stage = true;
    assert_eq!(
        Standing::of(&r, "p", Some(&staged)),
        standing(RoomRole::Participant, true)
    );
    assert_eq!(
        Standing::of(&r, "x", None),
        standing(RoomRole::Participant, false)
    );
}

#[test]
fn metadata_json() {
    assert_eq!(
        metadata(&[Access::User], standing(RoomRole::Moderator, true)),
        r#"{"accesses":["user","moderator"],"roomRole":"moderator","onStage":true}"#
    );
    assert_eq!(
        metadata(
            &[Access::Moderator, Access::User],
            standing(RoomRole::Moderator, false)
        ),
        r#"{"accesses":["moderator","user"],"roomRole":"moderator","onStage":false}"#
    );
    assert_eq!(
        metadata(&[Access::Superadmin], standing(RoomRole::Admin, true)),
        r#"{"accesses":["superadmin"],"roomRole":"admin","onStage":true}"#
    );
    assert_eq!(
        metadata(&[], standing(RoomRole::Participant, false)),
        r#"{"accesses":[],"roomRole":"participant","onStage":false}"#
    );
}

#[test]
fn join_grant_carries_room_identity_and_flags() {
    let mut r = room("abc-defg-hij", "owner");
    r.mode = RoomMode::Webinar;
    r.settings.allow_chat = false;
    let accesses = [Access::Guest];
    let joiner = Joiner {
        identity: "guest-abcd1234",
        name: "  Ann ",
        accesses: &accesses,
    };
    let g = join_grant(&r, &joiner, standing(RoomRole::Participant, false), 7200);
    assert_eq!(g.room, "abc-defg-hij");
    assert_eq!(g.identity, "guest-abcd1234");
    assert_eq!(g.name, "Ann");
    assert_eq!(g.ttl_secs, 7200);
    assert!(!g.room_admin && !g.recorder);
    assert!(!g.permission.can_publish);
    assert!(!g.permission.can_publish_data);
    assert_eq!(
        g.metadata,
        r#"{"accesses":["guest"],"roomRole":"participant","onStage":false}"#
    );
}

#[test]
fn admin_token_hidden_observer() {
    let r = room("abc", "owner");
    let accesses = [Access::Superadmin];
    let joiner = Joiner {
        identity: "root",
        name: "Root",
        accesses: &accesses,
    };
    let g = admin_grant(&r, &joiner, true, 60);
    assert!(g.room_admin && !g.recorder);
    assert!(g.permission.hidden);
    assert!(g.permission.can_subscribe);
    assert!(!g.permission.can_publish && !g.permission.can_publish_data);
    assert!(!g.permission.can_update_metadata);
    assert_eq!(g.ttl_secs, 60);
    assert_eq!(
        g.metadata,
        r#"{"accesses":["superadmin"],"roomRole":"admin","onStage":false}"#
    );
}

#[test]
fn admin_token_visible_publishes_as_the_room_admin() {
    let mut r = room("abc", "owner");
    r.mode = RoomMode::Broadcast;
    let accesses = [Access::Superadmin];
    let joiner = Joiner {
        identity: "root",
        name: "Root",
        accesses: &accesses,
    };
    let g = admin_grant(&r, &joiner, false, 60);
    assert!(g.room_admin && !g.permission.hidden);
    assert!(g.permission.can_publish && g.permission.can_publish_data);
    assert_eq!(g.permission.can_publish_sources, ALL_SOURCES);
    assert!(g.metadata.contains(r#""roomRole":"admin","onStage":true"#));

    r.settings.allow_audio = false;
    r.settings.allow_video = false;
    r.settings.allow_chat = false;
    let g = admin_grant(&r, &joiner, false, 60);
    assert!(!g.permission.can_publish && !g.permission.can_publish_data);
}
