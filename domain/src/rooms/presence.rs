//! `GET /api/room/:roomId/presence` (API §3.5): who is connected, for members of
//! private rooms and anyone in public ones.

use bedrud_ports::{MediaParticipant, Room};
use serde::Serialize;

use super::{ROOM_NOT_FOUND, Rooms, unarchived_room};
use crate::error::{DomainError, DomainResult};
use crate::principal::Principal;

/// One listed participant: `{"identity","name","avatarUrl"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PresenceEntry {
    pub identity: String,
    pub name: String,
    pub avatar_url: String,
}

/// The presence answer: `{"count":n}` or `{"participants":[…]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    Count(i64),
    Participants(Vec<PresenceEntry>),
}

impl Rooms {
    /// Presence of a room; `viewer` is `None` for anonymous callers. Hidden participants
    /// never show; a LiveKit failure answers 0 / `[]`. Errors: 404 `Room not found`
    /// (also a private room's count for non-members); 401 `Unauthorized` (list without
    /// a viewer).
    pub async fn presence(
        &self,
        viewer: Option<&Principal>,
        room_id: &str,
        count_only: bool,
    ) -> DomainResult<Presence> {
        let room = unarchived_room(self.ports.rooms.as_ref(), room_id).await?;
        if count_only {
            if !room.is_public && !self.is_member(viewer, &room).await? {
                return Err(DomainError::not_found(ROOM_NOT_FOUND));
            }
            let count = self.connected(&room).await.len();
            return Ok(Presence::Count(i64::try_from(count).unwrap_or(i64::MAX)));
        }
        if viewer.is_none() {
            return Err(DomainError::unauthorized("Unauthorized"));
        }
        if !room.is_public && !self.is_member(viewer, &room).await? {
            return Ok(Presence::Participants(Vec::new()));
        }
        let mut entries = Vec::new();
        for p in self.connected(&room).await {
            let user = self.ports.users.get(&p.identity).await?;
            let name = [p.name.trim(), user.as_ref().map_or("", |u| u.name.trim())]
                .into_iter()
                .find(|n| !n.is_empty())
                .unwrap_or(&p.identity)
                .to_owned();
            entries.push(PresenceEntry {
                name,
                avatar_url: user.map(|u| u.avatar_url).unwrap_or_default(),
                identity: p.identity,
            });
        }
        Ok(Presence::Participants(entries))
    }

    /// Superadmin, room admin or creator, or an identity with a non-banned row.
    async fn is_member(&self, viewer: Option<&Principal>, room: &Room) -> DomainResult<bool> {
        let Some(viewer) = viewer else {
            return Ok(false);
        };
        let id = viewer.user_id();
        if viewer.is_superadmin() || id == room.admin() || id == room.created_by {
            return Ok(true);
        }
        let row = self.ports.participants.get(&room.id, id).await?;
        Ok(row.is_some_and(|r| !r.is_banned))
    }

    /// Visible connected participants; empty when LiveKit fails.
    async fn connected(&self, room: &Room) -> Vec<MediaParticipant> {
        self.ports
            .media
            .list_participants(&room.name)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|p| !p.hidden)
            .collect()
    }
}
