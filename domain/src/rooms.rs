//! The `Rooms` use case: create, join, guest-join, check, refresh-token, list,
//! archived, delete, settings and presence (API §3.5, §5, §6.1).

mod create;
mod guest;
mod join;
mod manage;
mod policy;
mod presence;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use bedrud_ports::{
    Access, Clock, IdSource, MediaServer, MediaTokens, Participant, ParticipantStore, Room,
    RoomStore, SettingsStore, UserStore,
};

use crate::error::{DomainError, DomainResult};
use crate::grants::{Joiner, Standing, join_grant};
use crate::media_calls::media_unavailable;
use crate::principal::Principal;
use crate::sessions::Sessions;

pub use create::{CreatedRoom, NewRoom, SettingsInput};
pub use guest::{GuestJoin, GuestJoined, is_guest_identity, new_guest_identity};
pub use join::{JoinOutcome, JoinedRoom, RoomCheck};
pub use manage::{SettingsChange, SettingsUpdated};
pub use policy::{RoomLimits, RoomPolicy};
pub use presence::{Presence, PresenceEntry};

/// 404 of every room lookup.
pub const ROOM_NOT_FOUND: &str = "Room not found";
/// 410 of an inactive room.
pub const ROOM_GONE: &str = "room is no longer active";
/// 403 of a banned identity.
pub const BANNED: &str = "you are banned from this room";
/// 403 of a private room the caller may not enter.
pub const ROOM_PRIVATE: &str = "This room is private";
/// 403 of a private room with `requireApproval`.
pub const APPROVAL_REQUIRED: &str = "This room requires approval to join";
/// 403 of a room at capacity.
pub const ROOM_FULL: &str = "room is full";
/// 403 of a guest on a "no guests" use case.
pub const GUESTS_FORBIDDEN: &str = "Guests cannot create or manage rooms";
/// 403 of a caller without the room role an action needs.
pub const INSUFFICIENT_PERMISSIONS: &str = "Insufficient permissions";

/// The ports every room-related use case is built from (cheap to clone).
#[derive(Clone)]
pub struct RoomPorts {
    pub rooms: Arc<dyn RoomStore>,
    pub participants: Arc<dyn ParticipantStore>,
    pub users: Arc<dyn UserStore>,
    pub settings: Arc<dyn SettingsStore>,
    pub tokens: Arc<dyn MediaTokens>,
    pub media: Arc<dyn MediaServer>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
}

/// Rooms as their owners and participants use them.
pub struct Rooms {
    ports: RoomPorts,
    sessions: Arc<Sessions>,
    policy: RoomPolicy,
}

impl Rooms {
    /// Wires the use case to its ports and to `Sessions` (guest-join signs guests in).
    pub fn new(ports: RoomPorts, sessions: Arc<Sessions>, policy: RoomPolicy) -> Self {
        Rooms {
            ports,
            sessions,
            policy,
        }
    }

    /// The configuration in force.
    pub fn policy(&self) -> &RoomPolicy {
        &self.policy
    }

    /// A LiveKit join token for `identity` with grants from its current standing.
    fn mint(
        &self,
        room: &Room,
        joiner: &Joiner<'_>,
        row: Option<&Participant>,
    ) -> DomainResult<String> {
        let standing = Standing::of(room, joiner.identity, row);
        let grant = join_grant(room, joiner, standing, self.policy.token_ttl_secs());
        self.ports
            .tokens
            .join_token(&grant)
            .map_err(media_unavailable)
    }
}

/// The room with this id unless it is unknown or archived (404 `Room not found`).
pub(crate) async fn unarchived_room(rooms: &dyn RoomStore, id: &str) -> DomainResult<Room> {
    match rooms.get(id).await? {
        Some(room) if !room.is_archived() => Ok(room),
        _ => Err(DomainError::not_found(ROOM_NOT_FOUND)),
    }
}

/// The domain's own copy of the "no guests" guard (403).
pub(crate) fn forbid_guests(caller: &Principal) -> DomainResult<()> {
    if caller.is_guest() {
        Err(DomainError::forbidden(GUESTS_FORBIDDEN))
    } else {
        Ok(())
    }
}

/// Whether a private room admits `identity`: its admin or creator, or someone with an
/// active participant row.
pub(crate) fn private_admits(room: &Room, identity: &str, row: Option<&Participant>) -> bool {
    identity == room.admin()
        || identity == room.created_by
        || row.is_some_and(|r| r.is_active && !r.is_banned)
}

/// The LiveKit display name of a user: the current database name, trimmed.
pub(crate) fn display_name(name: &str) -> &str {
    name.trim()
}

/// A caller's accesses as a slice, for metadata.
pub(crate) fn accesses_of(caller: &Principal) -> &[Access] {
    &caller.user.accesses
}
