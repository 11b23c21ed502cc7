use std::sync::{Arc, Mutex};

use bedrud_ports::{AdminRoom, MediaError, User};

use super::*;
use crate::room_testkit::{RoomMocks, lk_down, recording_sleep, room};
use crate::testkit::{assert_err, block_on, principal, superadmin, t0, user};

fn build(m: RoomMocks) -> AdminRooms {
    AdminRooms::new(m.ports().0, RoomPolicy::default())
}

fn root() -> Principal {
    principal(superadmin("root"), "s1")
}

#[test]
fn everything_requires_an_active_superadmin() {
    let mut inactive = superadmin("r2");
    inactive.is_active = false;
    for who in [principal(user("u1"), "s"), principal(inactive, "s")] {
        let admin = build(RoomMocks::new());
        let msg = "Insufficient access rights";
        assert_err(
            block_on(admin.list(&who, &RoomListParams::default())),
            "forbidden",
            msg,
        );
        assert_err(block_on(admin.close(&who, "r-abc")), "forbidden", msg);
        assert_err(
            block_on(admin.token(&who, "r-abc", AdminTokenRequest::default())),
            "forbidden",
            msg,
        );
    }
}

// ---- list ----------------------------------------------------------------------------

#[test]
fn list_pages_through_the_store() {
    let mut m = RoomMocks::new();
    let item = AdminRoom {
        room: room("abc", "owner"),
        participants_count: 2,
        owner_name: "Owner".into(),
        owner_email: "o@example.org".into(),
    };
    let expected = item.clone();
    m.rooms
        .expect_admin_list()
        .withf(|q| q.offset == 10 && q.limit == 5 && q.q.as_deref() == Some("ab"))
        .times(1)
        .returning(move |_| Ok((vec![item.clone()], 11)));
    let admin = build(m);
    let params = RoomListParams {
        page: Some("3".into()),
        limit: Some("5".into()),
        q: Some("ab".into()),
        ..RoomListParams::default()
    };
    let page = block_on(admin.list(&root(), &params)).expect("page");
    assert_eq!(
        page,
        AdminRoomPage {
            rooms: vec![expected],
            total: 11,
            page: 3,
            limit: 5
        }
    );
}

#[test]
fn invalid_list_params_never_reach_the_store() {
    let mut m = RoomMocks::new();
    m.rooms.expect_admin_list().never();
    let admin = build(m);
    let params = RoomListParams {
        sort: Some("bogus".into()),
        ..RoomListParams::default()
    };
    assert_err(
        block_on(admin.list(&root(), &params)),
        "invalid",
        "Invalid sort field",
    );
}

// ---- close ---------------------------------------------------------------------------

#[test]
fn close_hard_deletes_and_hands_back_the_teardown() {
    let mut m = RoomMocks::new();
    m.room_by_id(Some(room("abc", "owner")));
    m.rooms
        .expect_hard_delete()
        .withf(|id| id == "r-abc")
        .times(1)
        .returning(|_| Ok(true));
    m.media.expect_send_data().never();
    let admin = build(m);
    assert_eq!(
        block_on(admin.close(&root(), "r-abc")).expect("closed"),
        RoomTeardown {
            room_name: "abc".into(),
            event: TeardownEvent::RoomClosed
        }
    );
}

#[test]
fn close_of_unknown_room_is_404() {
    let mut archived = room("abc", "owner");
    archived.deleted_at = Some(t0());
    for r in [None, Some(archived)] {
        let mut m = RoomMocks::new();
        m.room_by_id(r);
        m.rooms.expect_hard_delete().never();
        let admin = build(m);
        assert_err(
            block_on(admin.close(&root(), "r-abc")),
            "not_found",
            "Room not found",
        );
    }
    let mut m = RoomMocks::new();
    m.room_by_id(Some(room("abc", "owner")));
    m.rooms.expect_hard_delete().returning(|_| Ok(false));
    let admin = build(m);
    assert_err(
        block_on(admin.close(&root(), "r-abc")),
        "not_found",
        "Room not found",
    );
}

#[test]
fn close_teardown_announces_room_closed() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut m = RoomMocks::new();
    m.media
        .expect_send_data()
        .withf(|_, _, payload| {
            String::from_utf8_lossy(payload).contains(r#""event":"room_closed""#)
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    m.media
        .expect_delete_room()
        .times(1)
        .returning(|_| Err(lk_down()));
    let admin = build(m);
    let plan = RoomTeardown {
        room_name: "abc".into(),
        event: TeardownEvent::RoomClosed,
    };
    let report = block_on(admin.teardown(&plan, recording_sleep(&log)));
    assert!(report.send_error.is_none());
    assert!(report.delete_error.is_some());
}

// ---- token ---------------------------------------------------------------------------

#[test]
fn token_defaults_to_a_hidden_observer_for_the_caller() {
    let mut m = RoomMocks::new();
    m.room_by_id(Some(room("abc", "owner")));
    m.users.expect_get().never();
    m.sign_once();
    let (ports, grants) = m.ports();
    let admin = AdminRooms::new(ports, RoomPolicy::default());
    let token = block_on(admin.token(&root(), "r-abc", AdminTokenRequest::default())).expect("ok");
    assert_eq!(token, "lk:root");
    let g = grants.lock().expect("grants")[0].clone();
    assert_eq!(g.room, "abc");
    assert_eq!(g.identity, "root");
    assert_eq!(g.ttl_secs, 7200);
    assert!(g.room_admin && g.permission.hidden);
    assert!(!g.permission.can_publish && !g.permission.can_publish_data);
    assert!(g.metadata.contains(r#""roomRole":"admin""#));
}

#[test]
fn token_for_another_visible_user_with_a_duration() {
    let mut m = RoomMocks::new();
    m.room_by_id(Some(room("abc", "owner")));
    m.users.expect_get().withf(|id| id == "u7").returning(|id| {
        Ok(Some(User {
            name: " Uma ".into(),
            ..user(id)
        }))
    });
    m.sign_once();
    let (ports, grants) = m.ports();
    let admin = AdminRooms::new(ports, RoomPolicy::default());
    let request = AdminTokenRequest {
        user_id: Some("u7".into()),
        duration: Some(86_400),
        hidden: Some(false),
    };
    block_on(admin.token(&root(), "r-abc", request)).expect("ok");
    let g = grants.lock().expect("grants")[0].clone();
    assert_eq!((g.identity.as_str(), g.name.as_str()), ("u7", "Uma"));
    assert_eq!(g.ttl_secs, 86_400);
    assert!(g.room_admin && !g.permission.hidden && g.permission.can_publish);
}

#[test]
fn token_errors_in_order() {
    for d in [0, -1, 86_401] {
        let admin = build(RoomMocks::new());
        let request = AdminTokenRequest {
            duration: Some(d),
            user_id: Some("missing".into()),
            ..AdminTokenRequest::default()
        };
        assert_err(
            block_on(admin.token(&root(), "r-abc", request)),
            "invalid",
            "duration must be between 1 and 86400 seconds",
        );
    }

    let mut archived = room("abc", "owner");
    archived.deleted_at = Some(t0());
    let mut m = RoomMocks::new();
    m.room_by_id(Some(archived));
    m.users.expect_get().never();
    let admin = build(m);
    let request = AdminTokenRequest {
        user_id: Some("missing".into()),
        ..AdminTokenRequest::default()
    };
    assert_err(
        block_on(admin.token(&root(), "r-abc", request.clone())),
        "not_found",
        "Room not found",
    );

    let mut m = RoomMocks::new();
    m.room_by_id(Some(room("abc", "owner")));
    m.users.expect_get().returning(|_| Ok(None));
    m.tokens.expect_join_token().never();
    let admin = build(m);
    assert_err(
        block_on(admin.token(&root(), "r-abc", request)),
        "not_found",
        "User not found",
    );

    let mut m = RoomMocks::new();
    m.room_by_id(Some(room("abc", "owner")));
    m.tokens
        .expect_join_token()
        .returning(|_| Err(MediaError::Disabled));
    let admin = build(m);
    assert_err(
        block_on(admin.token(&root(), "r-abc", AdminTokenRequest::default())),
        "media",
        "",
    );
}
