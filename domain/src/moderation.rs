//! The `Moderation` use case: kick, mute, ban, video off, promote, demote and stage
//! (API §3.6, §6.2). Every action runs the same checks, in the contract's order, from
//! the one permission table in [`table`].

mod effects;
mod table;
#[cfg(test)]
mod tests;

use bedrud_ports::{Access, MediaError, Participant, Room};

use crate::error::{DomainError, DomainResult};
use crate::principal::Principal;
use crate::rooms::{INSUFFICIENT_PERMISSIONS, RoomPorts, unarchived_room};

pub use table::{Actor, ModerationAction, ModerationStatus};

/// 404 of a target that is not there.
pub const PARTICIPANT_NOT_FOUND: &str = "Participant not found";

/// A successful action: the status to answer and best-effort failures to log (ban).
#[derive(Debug)]
pub struct ModerationOutcome {
    pub status: ModerationStatus,
    pub media_errors: Vec<MediaError>,
}

/// Moderation of room participants by superadmins, room admins and moderators.
pub struct Moderation {
    ports: RoomPorts,
}

impl Moderation {
    /// Wires the use case to its ports.
    pub fn new(ports: RoomPorts) -> Self {
        Moderation { ports }
    }

    /// Performs `action` on `identity` in room `room_id`. Errors in order: 404 `Room
    /// not found`; 403 `Insufficient permissions`; 400 `Cannot perform this action on
    /// yourself`; 403 `Cannot kick the room admin` (etc.); 403 `Insufficient
    /// permissions` (moderator on moderator/superadmin); 404 `Participant not found`;
    /// 502 `Media server unavailable`.
    pub async fn act(
        &self,
        caller: &Principal,
        room_id: &str,
        identity: &str,
        action: ModerationAction,
    ) -> DomainResult<ModerationOutcome> {
        let room = unarchived_room(self.ports.rooms.as_ref(), room_id).await?;
        let actor = self.actor(caller, &room).await?;
        if !actor.is_some_and(|a| action.allows(a)) {
            return Err(DomainError::forbidden(INSUFFICIENT_PERMISSIONS));
        }
        if identity == caller.user_id() {
            return Err(DomainError::invalid(
                "Cannot perform this action on yourself",
            ));
        }
        if identity == room.admin() && actor != Some(Actor::Superadmin) {
            return Err(DomainError::forbidden(action.admin_target_message()));
        }
        let target = self.ports.participants.get(&room.id, identity).await?;
        if actor == Some(Actor::RoomModerator)
            && (target.as_ref().is_some_and(|t| t.is_moderator)
                || self.is_superadmin(identity).await?)
        {
            return Err(DomainError::forbidden(INSUFFICIENT_PERMISSIONS));
        }
        self.perform(caller, &room, identity, target, action).await
    }

    /// The caller's strongest standing in the room, if any.
    async fn actor(&self, caller: &Principal, room: &Room) -> DomainResult<Option<Actor>> {
        if caller.is_superadmin() {
            return Ok(Some(Actor::Superadmin));
        }
        if caller.user_id() == room.admin() {
            return Ok(Some(Actor::RoomAdmin));
        }
        let row = self
            .ports
            .participants
            .get(&room.id, caller.user_id())
            .await?;
        Ok(is_room_moderator(row.as_ref()).then_some(Actor::RoomModerator))
    }

    async fn is_superadmin(&self, identity: &str) -> DomainResult<bool> {
        let user = self.ports.users.get(identity).await?;
        Ok(user.is_some_and(|u| u.has(Access::Superadmin)))
    }
}

/// A moderator row that still counts: flagged and not banned.
fn is_room_moderator(row: Option<&Participant>) -> bool {
    row.is_some_and(|r| r.is_moderator && !r.is_banned)
}
