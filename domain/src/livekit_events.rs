//! Applies verified LiveKit webhook events (API §6.3): live flags, participant rows and
//! ban enforcement. Unknown events and rooms are acknowledged; replays are harmless.

use bedrud_ports::{MediaError, ParticipantChange, Room, WebhookEvent};

use crate::error::DomainResult;
use crate::media_calls::best_effort_if_present;
use crate::rooms::RoomPorts;

/// What handling an event did.
#[derive(Debug)]
pub enum EventOutcome {
    /// The event changed (or re-confirmed) state.
    Applied,
    /// Nothing to do: unknown event or room, hidden participant, missing fields.
    Ignored,
    /// A banned identity connected and was removed; `Some` if the removal failed.
    Evicted(Option<MediaError>),
}

/// The webhook's use case.
pub struct LivekitEvents {
    ports: RoomPorts,
}

impl LivekitEvents {
    /// Wires the use case to its ports.
    pub fn new(ports: RoomPorts) -> Self {
        LivekitEvents { ports }
    }

    /// Applies one verified event. Errors are store failures only (LiveKit retries).
    pub async fn handle(&self, event: &WebhookEvent) -> DomainResult<EventOutcome> {
        let Some(room_name) = event.room_name.as_deref().filter(|n| !n.is_empty()) else {
            return Ok(EventOutcome::Ignored);
        };
        let now = self.ports.clock.now();
        match event.event.as_str() {
            "room_started" => {
                let known = self.ports.rooms.set_live(room_name, true, now).await?;
                Ok(applied_if(known))
            }
            "room_finished" => {
                if !self.ports.rooms.set_live(room_name, false, now).await? {
                    return Ok(EventOutcome::Ignored);
                }
                if let Some(room) = self.active_room(room_name).await? {
                    self.ports
                        .participants
                        .deactivate_all(&room.id, now)
                        .await?;
                }
                Ok(EventOutcome::Applied)
            }
            "participant_joined" | "participant_left" => {
                let identity = event.participant_identity.as_deref().unwrap_or_default();
                if event.participant_hidden || identity.is_empty() {
                    return Ok(EventOutcome::Ignored);
                }
                let Some(room) = self.active_room(room_name).await? else {
                    return Ok(EventOutcome::Ignored);
                };
                if event.event == "participant_joined" {
                    self.joined(&room, identity).await
                } else {
                    self.left(&room, identity).await
                }
            }
            _ => Ok(EventOutcome::Ignored),
        }
    }

    async fn joined(&self, room: &Room, identity: &str) -> DomainResult<EventOutcome> {
        let now = self.ports.clock.now();
        let row = self.ports.participants.get(&room.id, identity).await?;
        if row.is_some_and(|r| r.is_banned) {
            // Tokens minted before the ban still verify; remove the identity again.
            let removed = self
                .ports
                .media
                .remove_participant(&room.name, identity)
                .await;
            return Ok(EventOutcome::Evicted(best_effort_if_present(removed)));
        }
        if !room.is_live {
            self.ports.rooms.set_live(&room.name, true, now).await?;
        }
        // No capacity here: LiveKit already admitted the connection.
        self.ports
            .participants
            .admit(&room.id, identity, None, now)
            .await?;
        Ok(EventOutcome::Applied)
    }

    async fn left(&self, room: &Room, identity: &str) -> DomainResult<EventOutcome> {
        let now = self.ports.clock.now();
        let row = self.ports.participants.get(&room.id, identity).await?;
        if !row.is_some_and(|r| r.is_active) {
            // Unknown or already inactive: a replay or a row already closed elsewhere.
            return Ok(EventOutcome::Ignored);
        }
        let change = ParticipantChange {
            active: Some(false),
            ..ParticipantChange::default()
        };
        self.ports
            .participants
            .apply(&room.id, identity, change, now)
            .await?;
        // Records activity; the live flag stays as it is (a `room_finished` arriving
        // meanwhile has the last word on it).
        self.ports.rooms.touch_activity(&room.name, now).await?;
        Ok(EventOutcome::Applied)
    }

    /// The active (unarchived) room with this name.
    async fn active_room(&self, name: &str) -> DomainResult<Option<Room>> {
        let room = self.ports.rooms.find_by_name(name).await?;
        Ok(room.filter(|r| r.is_active && !r.is_archived()))
    }
}

fn applied_if(known: bool) -> EventOutcome {
    if known {
        EventOutcome::Applied
    } else {
        EventOutcome::Ignored
    }
}

#[cfg(test)]
mod tests;
