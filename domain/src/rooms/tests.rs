//! Unit tests of the `Rooms` use case, one file per area.

mod create;
mod guest;
mod join;
mod manage;
mod presence;

use std::sync::{Arc, Mutex};

use bedrud_ports::{Access, JoinGrant, User, provider};

use super::*;
use crate::room_testkit::RoomMocks;
use crate::testkit::{SessionsParts, assert_err, block_on, principal, user, user_with_provider};

/// Mocks of a `Rooms` under test.
struct Parts {
    m: RoomMocks,
    sessions: SessionsParts,
    policy: RoomPolicy,
}

impl Parts {
    fn new() -> Self {
        Parts {
            m: RoomMocks::new(),
            sessions: SessionsParts::new(),
            policy: RoomPolicy::default(),
        }
    }

    fn build(self) -> (Rooms, Arc<Mutex<Vec<JoinGrant>>>) {
        let (ports, grants) = self.m.ports();
        let rooms = Rooms::new(ports, Arc::new(self.sessions.build()), self.policy);
        (rooms, grants)
    }
}

/// A signed-in local user.
fn caller(id: &str) -> Principal {
    principal(user(id), "s1")
}

/// A signed-in superadmin.
fn root() -> Principal {
    principal(crate::testkit::superadmin("root"), "s1")
}

/// A guest-login user.
fn guest_caller(id: &str) -> Principal {
    principal(
        User {
            accesses: vec![Access::Guest],
            ..user_with_provider(id, provider::GUEST)
        },
        "s1",
    )
}

#[test]
fn guests_are_refused_everywhere_before_any_port_call() {
    let (rooms, _) = Parts::new().build();
    let g = guest_caller("guest-abcd1234");
    let msg = "Guests cannot create or manage rooms";
    assert_err(
        block_on(rooms.create(&g, NewRoom::default())),
        "forbidden",
        msg,
    );
    assert_err(block_on(rooms.list(&g)), "forbidden", msg);
    assert_err(block_on(rooms.archived(&g)), "forbidden", msg);
    assert_err(block_on(rooms.delete(&g, "r-abc")), "forbidden", msg);
    assert_err(
        block_on(rooms.update_settings(&g, "r-abc", SettingsChange::default())),
        "forbidden",
        msg,
    );
}
