//! Background LiveKit teardown after a room is archived or closed (API §6.2): a system
//! data message, 400 ms for clients to read it, then `DeleteRoom`. The domain has no
//! runtime, so the caller supplies the sleep (e.g. `tokio::time::sleep`).

use std::future::Future;
use std::time::Duration;

use bedrud_ports::{MediaError, MediaServer};
use serde::Serialize;

use crate::media_calls::best_effort_if_present;

/// Pause between the system message and `DeleteRoom`.
pub const TEARDOWN_DELAY: Duration = Duration::from_millis(400);
/// Topic of every system data message.
pub const SYSTEM_TOPIC: &str = "system";

/// Why a room is being torn down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeardownEvent {
    /// The creator deleted (archived) the room.
    RoomEnded,
    /// A superadmin closed (hard-deleted) the room.
    RoomClosed,
}

impl TeardownEvent {
    /// The `event` field of the system message.
    pub fn as_str(self) -> &'static str {
        match self {
            TeardownEvent::RoomEnded => "room_ended",
            TeardownEvent::RoomClosed => "room_closed",
        }
    }

    /// The `message` field of the system message.
    pub fn message(self) -> &'static str {
        match self {
            TeardownEvent::RoomEnded => "The meeting has been ended by the creator",
            TeardownEvent::RoomClosed => "This room has been closed by an administrator",
        }
    }
}

/// A teardown the HTTP layer schedules in the background after answering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomTeardown {
    pub room_name: String,
    pub event: TeardownEvent,
}

/// Failures of a teardown, for the log (a room not running in LiveKit is no failure).
#[derive(Debug, Default)]
pub struct TeardownReport {
    pub send_error: Option<MediaError>,
    pub delete_error: Option<MediaError>,
}

#[derive(Serialize)]
struct LifecycleMessage {
    #[serde(rename = "type")]
    kind: &'static str,
    event: &'static str,
    message: &'static str,
}

/// The system message announcing `event`.
pub fn lifecycle_payload(event: TeardownEvent) -> Vec<u8> {
    let msg = LifecycleMessage {
        kind: "system",
        event: event.as_str(),
        message: event.message(),
    };
    // A struct of static strings always serialises.
    serde_json::to_vec(&msg).unwrap_or_default()
}

/// Sends the system message, waits [`TEARDOWN_DELAY`] through `sleep`, then deletes
/// the LiveKit room. Every step is best effort; nothing runs when media is disabled.
pub async fn run_teardown<S, F>(
    media: &dyn MediaServer,
    plan: &RoomTeardown,
    sleep: S,
) -> TeardownReport
where
    S: FnOnce(Duration) -> F,
    F: Future<Output = ()>,
{
    let sent = media
        .send_data(&plan.room_name, SYSTEM_TOPIC, lifecycle_payload(plan.event))
        .await;
    if matches!(sent, Err(MediaError::Disabled)) {
        return TeardownReport::default();
    }
    let send_error = best_effort_if_present(sent);
    sleep(TEARDOWN_DELAY).await;
    let delete_error = best_effort_if_present(media.delete_room(&plan.room_name).await);
    TeardownReport {
        send_error,
        delete_error,
    }
}

#[cfg(test)]
mod tests;
