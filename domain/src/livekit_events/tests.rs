use bedrud_ports::{MediaError, Participant, ParticipantChange, Room, WebhookEvent};

use super::*;
use crate::room_testkit::{RoomMocks, db_down, lk_down, room, row};
use crate::testkit::{assert_err, block_on, t0};

fn event(kind: &str, identity: Option<&str>) -> WebhookEvent {
    WebhookEvent {
        event: kind.into(),
        room_name: Some("abc".into()),
        participant_identity: identity.map(str::to_owned),
        participant_name: identity.map(|i| format!("Name {i}")),
        participant_hidden: false,
    }
}

fn build(m: RoomMocks) -> LivekitEvents {
    LivekitEvents::new(m.ports().0)
}

fn handle(m: RoomMocks, e: WebhookEvent) -> EventOutcome {
    block_on(build(m).handle(&e)).expect("handled")
}

fn live_room() -> Room {
    Room {
        is_live: true,
        ..room("abc", "owner")
    }
}

#[test]
fn room_started_sets_live() {
    for known in [true, false] {
        let mut m = RoomMocks::new();
        m.rooms
            .expect_set_live()
            .withf(|name, live, now| name == "abc" && *live && *now == t0())
            .times(1)
            .returning(move |_, _, _| Ok(known));
        let outcome = handle(m, event("room_started", None));
        assert_eq!(matches!(outcome, EventOutcome::Applied), known);
    }
}

#[test]
fn room_finished_clears_live_and_deactivates_rows() {
    let mut m = RoomMocks::new();
    m.rooms
        .expect_set_live()
        .withf(|name, live, _| name == "abc" && !*live)
        .times(1)
        .returning(|_, _, _| Ok(true));
    m.room_by_name(Some(room("abc", "owner")));
    m.participants
        .expect_deactivate_all()
        .withf(|id, now| id == "r-abc" && *now == t0())
        .times(1)
        .returning(|_, _| Ok(2));
    assert!(matches!(
        handle(m, event("room_finished", None)),
        EventOutcome::Applied
    ));

    // Unknown room: acknowledged, nothing else.
    let mut m = RoomMocks::new();
    m.rooms.expect_set_live().returning(|_, _, _| Ok(false));
    m.participants.expect_deactivate_all().never();
    assert!(matches!(
        handle(m, event("room_finished", None)),
        EventOutcome::Ignored
    ));
}

#[test]
fn participant_joined_activates_the_row_and_marks_live() {
    let mut m = RoomMocks::new();
    m.room_by_name(Some(room("abc", "owner")));
    m.rows(vec![]);
    m.rooms
        .expect_set_live()
        .withf(|name, live, _| name == "abc" && *live)
        .times(1)
        .returning(|_, _, _| Ok(true));
    m.participants
        .expect_admit()
        .withf(|room_id, id, cap, now| {
            room_id == "r-abc" && id == "u1" && cap.is_none() && *now == t0()
        })
        .times(1)
        .returning(|_, _, _, _| Ok(true));
    assert!(matches!(
        handle(m, event("participant_joined", Some("u1"))),
        EventOutcome::Applied
    ));

    // Already live: only the row.
    let mut m = RoomMocks::new();
    m.room_by_name(Some(live_room()));
    m.rows(vec![]);
    m.rooms.expect_set_live().never();
    m.participants
        .expect_admit()
        .times(1)
        .returning(|_, _, _, _| Ok(true));
    assert!(matches!(
        handle(m, event("participant_joined", Some("u1"))),
        EventOutcome::Applied
    ));
}

#[test]
fn banned_identities_are_removed_at_once() {
    let banned = Participant {
        is_banned: true,
        ..row("r-abc", "u1")
    };
    for (result, reported) in [
        (Ok(()), false),
        (Err(MediaError::NotFound), false),
        (Err(lk_down()), true),
    ] {
        let mut m = RoomMocks::new();
        m.room_by_name(Some(live_room()));
        m.rows(vec![banned.clone()]);
        let result = std::sync::Mutex::new(Some(result));
        m.media
            .expect_remove_participant()
            .withf(|room, id| room == "abc" && id == "u1")
            .times(1)
            .returning(move |_, _| result.lock().expect("result").take().expect("once"));
        m.participants.expect_admit().never();
        let EventOutcome::Evicted(error) = handle(m, event("participant_joined", Some("u1")))
        else {
            panic!("expected Evicted");
        };
        assert_eq!(error.is_some(), reported);
    }
}

#[test]
fn participant_left_deactivates_an_active_row() {
    let active = Participant {
        is_active: true,
        ..row("r-abc", "u1")
    };
    let mut m = RoomMocks::new();
    m.room_by_name(Some(live_room()));
    m.rows(vec![active]);
    m.participants
        .expect_apply()
        .withf(|room_id, id, change, now| {
            room_id == "r-abc"
                && id == "u1"
                && *change
                    == ParticipantChange {
                        active: Some(false),
                        ..ParticipantChange::default()
                    }
                && *now == t0()
        })
        .times(1)
        .returning(|_, id, _, _| Ok(row("r-abc", id)));
    // Records activity without touching the live flag.
    m.rooms.expect_set_live().never();
    m.rooms
        .expect_touch_activity()
        .withf(|name, now| name == "abc" && *now == t0())
        .times(1)
        .returning(|_, _| Ok(true));
    assert!(matches!(
        handle(m, event("participant_left", Some("u1"))),
        EventOutcome::Applied
    ));
}

#[test]
fn replayed_or_unknown_leaves_are_harmless() {
    for rows in [vec![], vec![row("r-abc", "u1")]] {
        let mut m = RoomMocks::new();
        m.room_by_name(Some(live_room()));
        m.rows(rows);
        m.participants.expect_apply().never();
        m.rooms.expect_set_live().never();
        m.rooms.expect_touch_activity().never();
        assert!(matches!(
            handle(m, event("participant_left", Some("u1"))),
            EventOutcome::Ignored
        ));
    }
}

#[test]
fn hidden_participants_and_incomplete_events_are_ignored() {
    for kind in ["participant_joined", "participant_left"] {
        let mut hidden = event(kind, Some("root"));
        hidden.participant_hidden = true;
        let mut anonymous = event(kind, None);
        anonymous.participant_identity = Some(String::new());
        for e in [hidden, anonymous, event(kind, None)] {
            // No port may be touched.
            assert!(matches!(handle(RoomMocks::new(), e), EventOutcome::Ignored));
        }
    }
    let mut nameless = event("room_started", None);
    nameless.room_name = None;
    assert!(matches!(
        handle(RoomMocks::new(), nameless),
        EventOutcome::Ignored
    ));
}

#[test]
fn participant_events_of_unknown_or_closed_rooms_are_ignored() {
    let inactive = Room {
        is_active: false,
        ..room("abc", "owner")
    };
    let archived = Room {
        deleted_at: Some(t0()),
        ..room("abc", "owner")
    };
    for r in [None, Some(inactive), Some(archived)] {
        for kind in ["participant_joined", "participant_left"] {
            let mut m = RoomMocks::new();
            m.room_by_name(r.clone());
            assert!(matches!(
                handle(m, event(kind, Some("u1"))),
                EventOutcome::Ignored
            ));
        }
    }
}

#[test]
fn other_events_are_acknowledged() {
    for kind in ["track_published", "egress_started", ""] {
        assert!(matches!(
            handle(RoomMocks::new(), event(kind, Some("u1"))),
            EventOutcome::Ignored
        ));
    }
}

#[test]
fn store_failures_propagate_for_a_retry() {
    let mut m = RoomMocks::new();
    m.rooms
        .expect_set_live()
        .returning(|_, _, _| Err(db_down()));
    assert_err(
        block_on(build(m).handle(&event("room_started", None))),
        "unavailable",
        "",
    );
}
