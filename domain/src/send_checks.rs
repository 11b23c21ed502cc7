//! Compile-time checks: the room use cases and their futures are `Send`, as poem
//! handlers and `tokio::spawn` (background teardown) require.

use std::sync::Arc;

use bedrud_ports::WebhookEvent;

use crate::admin_rooms::{AdminRooms, AdminTokenRequest, RoomListParams};
use crate::livekit_events::LivekitEvents;
use crate::moderation::{Moderation, ModerationAction};
use crate::room_testkit::RoomMocks;
use crate::rooms::{GuestJoin, NewRoom, RoomPolicy, Rooms, SettingsChange};
use crate::teardown::{RoomTeardown, TeardownEvent};
use crate::testkit::{SessionsParts, client, principal, user};

fn is_send<T: Send>(_: T) {}
fn is_shareable<T: Send + Sync + 'static>() {}

#[test]
fn use_cases_are_shareable_and_their_futures_send() {
    is_shareable::<Rooms>();
    is_shareable::<Moderation>();
    is_shareable::<LivekitEvents>();
    is_shareable::<AdminRooms>();

    let (ports, _) = RoomMocks::new().ports();
    let rooms = Rooms::new(
        ports.clone(),
        Arc::new(SessionsParts::new().build()),
        RoomPolicy::default(),
    );
    let p = principal(user("u1"), "s1");
    let plan = RoomTeardown {
        room_name: "abc".into(),
        event: TeardownEvent::RoomEnded,
    };
    let sleep = |_| std::future::ready(());
    // Futures are only built, never polled: no port is called.
    is_send(rooms.create(&p, NewRoom::default()));
    is_send(rooms.join(&p, "abc"));
    is_send(rooms.guest_join(GuestJoin::default(), &client()));
    is_send(rooms.check("abc"));
    is_send(rooms.refresh_token(&p, "abc"));
    is_send(rooms.list(&p));
    is_send(rooms.archived(&p));
    is_send(rooms.delete(&p, "r"));
    is_send(rooms.teardown(&plan, sleep));
    is_send(rooms.update_settings(&p, "r", SettingsChange::default()));
    is_send(rooms.presence(Some(&p), "r", false));

    let moderation = Moderation::new(ports.clone());
    is_send(moderation.act(&p, "r", "t", ModerationAction::Kick));
    let events = LivekitEvents::new(ports.clone());
    let event = WebhookEvent {
        event: "room_started".into(),
        room_name: None,
        participant_identity: None,
        participant_name: None,
        participant_hidden: false,
    };
    is_send(events.handle(&event));
    let admin = AdminRooms::new(ports, RoomPolicy::default());
    is_send(admin.list(&p, &RoomListParams::default()));
    is_send(admin.close(&p, "r"));
    is_send(admin.teardown(&plan, sleep));
    is_send(admin.token(&p, "r", AdminTokenRequest::default()));
}
