use bedrud_ports::{MediaParticipant, User};

use super::*;
use crate::room_testkit::{lk_down, private_room, room, row};
use crate::testkit::{assert_err, block_on, t0, user};

fn connected(identity: &str, name: &str, hidden: bool) -> MediaParticipant {
    MediaParticipant {
        identity: identity.into(),
        name: name.into(),
        metadata: String::new(),
        hidden,
        tracks: vec![],
    }
}

/// Three visible participants and one hidden observer.
fn four_connected(p: &mut Parts) {
    p.m.media
        .expect_list_participants()
        .withf(|name| name == "abc")
        .returning(|_| {
            Ok(vec![
                connected("a", "LK Name", false),
                connected("b", "  ", false),
                connected("c", "", false),
                connected("root", "Observer", true),
            ])
        });
}

#[test]
fn unknown_or_archived_rooms_are_404() {
    let mut archived = room("abc", "owner");
    archived.deleted_at = Some(t0());
    for r in [None, Some(archived)] {
        let mut p = Parts::new();
        p.m.room_by_id(r);
        p.m.media.expect_list_participants().never();
        let (rooms, _) = p.build();
        assert_err(
            block_on(rooms.presence(None, "r-abc", true)),
            "not_found",
            "Room not found",
        );
    }
}

#[test]
fn public_counts_are_for_anyone_and_skip_hidden() {
    let mut p = Parts::new();
    p.m.room_by_id(Some(room("abc", "owner")));
    four_connected(&mut p);
    let (rooms, _) = p.build();
    assert_eq!(
        block_on(rooms.presence(None, "r-abc", true)).expect("count"),
        Presence::Count(3)
    );
}

#[test]
fn livekit_failure_counts_zero_and_lists_nothing() {
    let mut p = Parts::new();
    p.m.room_by_id(Some(room("abc", "owner")));
    p.m.media
        .expect_list_participants()
        .returning(|_| Err(lk_down()));
    let (rooms, _) = p.build();
    assert_eq!(
        block_on(rooms.presence(None, "r-abc", true)).expect("count"),
        Presence::Count(0)
    );
    assert_eq!(
        block_on(rooms.presence(Some(&caller("u1")), "r-abc", false)).expect("list"),
        Presence::Participants(vec![])
    );
}

#[test]
fn private_counts_are_for_members_only() {
    let mut banned = row("r-abc", "banned");
    banned.is_banned = true;
    let mut p = Parts::new();
    p.m.room_by_id(Some(private_room("abc", "owner")));
    p.m.rows(vec![row("r-abc", "member"), banned]);
    four_connected(&mut p);
    let (rooms, _) = p.build();
    for viewer in [None, Some(caller("stranger")), Some(caller("banned"))] {
        assert_err(
            block_on(rooms.presence(viewer.as_ref(), "r-abc", true)),
            "not_found",
            "Room not found",
        );
    }
    for viewer in [caller("member"), caller("owner"), root()] {
        assert_eq!(
            block_on(rooms.presence(Some(&viewer), "r-abc", true)).expect("count"),
            Presence::Count(3)
        );
    }
}

#[test]
fn lists_need_a_viewer() {
    for r in [room("abc", "owner"), private_room("abc", "owner")] {
        let mut p = Parts::new();
        p.m.room_by_id(Some(r));
        p.m.media.expect_list_participants().never();
        let (rooms, _) = p.build();
        assert_err(
            block_on(rooms.presence(None, "r-abc", false)),
            "unauthorized",
            "Unauthorized",
        );
    }
}

#[test]
fn list_entries_take_names_from_livekit_then_database_then_identity() {
    let mut p = Parts::new();
    p.m.room_by_id(Some(room("abc", "owner")));
    four_connected(&mut p);
    p.m.users.expect_get().returning(|id| {
        Ok(match id {
            "a" => Some(User {
                avatar_url: "https://x/a.png".into(),
                ..user("a")
            }),
            "b" => Some(User {
                name: " Bee ".into(),
                ..user("b")
            }),
            _ => None,
        })
    });
    let (rooms, _) = p.build();
    let Presence::Participants(list) =
        block_on(rooms.presence(Some(&caller("u1")), "r-abc", false)).expect("list")
    else {
        panic!("expected a list");
    };
    assert_eq!(
        list,
        vec![
            PresenceEntry {
                identity: "a".into(),
                name: "LK Name".into(),
                avatar_url: "https://x/a.png".into()
            },
            PresenceEntry {
                identity: "b".into(),
                name: "Bee".into(),
                avatar_url: String::new()
            },
            PresenceEntry {
                identity: "c".into(),
                name: "c".into(),
                avatar_url: String::new()
            },
        ]
    );
    assert_eq!(
        serde_json::to_value(&list[0]).expect("json"),
        serde_json::json!({"identity":"a","name":"LK Name","avatarUrl":"https://x/a.png"})
    );
}

#[test]
fn private_lists_are_empty_for_non_members() {
    let mut p = Parts::new();
    p.m.room_by_id(Some(private_room("abc", "owner")));
    p.m.rows(vec![]);
    p.m.media.expect_list_participants().never();
    let (rooms, _) = p.build();
    assert_eq!(
        block_on(rooms.presence(Some(&caller("stranger")), "r-abc", false)).expect("list"),
        Presence::Participants(vec![])
    );
}

#[test]
fn private_lists_are_shown_to_members() {
    let mut p = Parts::new();
    p.m.room_by_id(Some(private_room("abc", "owner")));
    p.m.rows(vec![row("r-abc", "member")]);
    four_connected(&mut p);
    p.m.users.expect_get().returning(|_| Ok(None));
    let (rooms, _) = p.build();
    let Presence::Participants(list) =
        block_on(rooms.presence(Some(&caller("member")), "r-abc", false)).expect("list")
    else {
        panic!("expected a list");
    };
    assert_eq!(list.len(), 3);
}
