//! `POST /api/room/join`, `POST /api/room/refresh-token`, `GET /api/room/check/:name`
//! (API §3.5, §5.3, §6.1).

use bedrud_ports::{Participant, Room};
use serde::Serialize;

use super::{
    APPROVAL_REQUIRED, BANNED, ROOM_FULL, ROOM_GONE, ROOM_NOT_FOUND, ROOM_PRIVATE, Rooms,
    accesses_of, display_name, private_admits,
};
use crate::error::{DomainError, DomainResult};
use crate::grants::Joiner;
use crate::principal::Principal;
use crate::room_names::{normalize_room_name, validate_room_name};

/// A successful join: the room and the caller's LiveKit token.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinedRoom {
    pub room: Room,
    pub token: String,
}

/// What `POST /api/room/join` answers with.
#[derive(Debug, Clone, PartialEq)]
pub enum JoinOutcome {
    /// 200 with the room and token.
    Joined(JoinedRoom),
    /// 200 `{"status":"archived_owned","name","mode","settings"}`: the caller created
    /// this inactive room and may re-create it.
    ArchivedOwned(Room),
}

/// Body of a successful `/check`: `{"exists":true,"name":…}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoomCheck {
    pub exists: bool,
    pub name: String,
}

impl Rooms {
    /// Joins a room by name. Errors in order: 404 `Room not found`; 410 `room is no
    /// longer active` (the creator gets [`JoinOutcome::ArchivedOwned`] instead); 403
    /// `you are banned from this room` · `This room requires approval to join` · `This
    /// room is private` · `room is full`; 502 when the token cannot be signed.
    pub async fn join(&self, caller: &Principal, room_name: &str) -> DomainResult<JoinOutcome> {
        let identity = caller.user_id();
        let (room, row) = self.room_and_row(room_name, identity).await?;
        if !room.is_active {
            return if room.created_by == identity {
                Ok(JoinOutcome::ArchivedOwned(room))
            } else {
                Err(DomainError::gone(ROOM_GONE))
            };
        }
        if is_banned(row.as_ref()) {
            return Err(DomainError::forbidden(BANNED));
        }
        if !room.is_public && !private_admits(&room, identity, row.as_ref()) {
            return Err(DomainError::forbidden(if room.settings.require_approval {
                APPROVAL_REQUIRED
            } else {
                ROOM_PRIVATE
            }));
        }
        self.admit(&room, identity).await?;
        let joiner = Joiner {
            identity,
            name: display_name(&caller.user.name),
            accesses: accesses_of(caller),
        };
        let token = self.mint(&room, &joiner, row.as_ref())?;
        Ok(JoinOutcome::Joined(JoinedRoom { room, token }))
    }

    /// A fresh token from the caller's current role and stage state; no enrolment, no
    /// capacity check. Errors in order: 400 `roomName required`; 404; 410; 403 `you are
    /// banned from this room` · `This room is private`; 502.
    pub async fn refresh_token(&self, caller: &Principal, room_name: &str) -> DomainResult<String> {
        if room_name.trim().is_empty() {
            return Err(DomainError::invalid("roomName required"));
        }
        let identity = caller.user_id();
        let (room, row) = self.room_and_row(room_name, identity).await?;
        if !room.is_active {
            return Err(DomainError::gone(ROOM_GONE));
        }
        if is_banned(row.as_ref()) {
            return Err(DomainError::forbidden(BANNED));
        }
        if !room.is_public && !private_admits(&room, identity, row.as_ref()) {
            return Err(DomainError::forbidden(ROOM_PRIVATE));
        }
        let joiner = Joiner {
            identity,
            name: display_name(&caller.user.name),
            accesses: accesses_of(caller),
        };
        self.mint(&room, &joiner, row.as_ref())
    }

    /// Read-only check before joining. Errors in order: 400 `Room name is required` ·
    /// room-name messages; 404; 410; 403 `This room is private` · `room is full` (only
    /// when `maxParticipants > 0`).
    pub async fn check(&self, room_name: &str) -> DomainResult<RoomCheck> {
        if room_name.trim().is_empty() {
            return Err(DomainError::invalid("Room name is required"));
        }
        let name = validate_room_name(room_name)?;
        let room = self.room_by_name(&name).await?;
        if !room.is_active {
            return Err(DomainError::gone(ROOM_GONE));
        }
        if !room.is_public {
            return Err(DomainError::forbidden(ROOM_PRIVATE));
        }
        if room.max_participants > 0 {
            let active = self.ports.participants.count_active(&room.id, None).await?;
            if active >= i64::from(room.max_participants) {
                return Err(DomainError::forbidden(ROOM_FULL));
            }
        }
        Ok(RoomCheck {
            exists: true,
            name: room.name,
        })
    }

    /// The room a join-like call names (trimmed, lowercased; not validated). 404 if none.
    pub(super) async fn room_by_name(&self, raw: &str) -> DomainResult<Room> {
        self.ports
            .rooms
            .find_by_name(&lookup_name(raw)?)
            .await?
            .ok_or_else(|| DomainError::not_found(ROOM_NOT_FOUND))
    }

    /// [`Rooms::room_by_name`] and `identity`'s row in it, in one read. 404 if no room.
    pub(super) async fn room_and_row(
        &self,
        raw: &str,
        identity: &str,
    ) -> DomainResult<(Room, Option<Participant>)> {
        self.ports
            .rooms
            .find_by_name_with_row(&lookup_name(raw)?, identity)
            .await?
            .ok_or_else(|| DomainError::not_found(ROOM_NOT_FOUND))
    }

    /// Activates the identity's row under the room's capacity (403 `room is full`).
    pub(super) async fn admit(&self, room: &Room, identity: &str) -> DomainResult<()> {
        let capacity = (room.max_participants > 0).then_some(i64::from(room.max_participants));
        let now = self.ports.clock.now();
        if self
            .ports
            .participants
            .admit(&room.id, identity, capacity, now)
            .await?
        {
            Ok(())
        } else {
            Err(DomainError::forbidden(ROOM_FULL))
        }
    }
}

/// The name a join-like call looks up (trimmed, lowercased; not validated); 404 if empty.
fn lookup_name(raw: &str) -> DomainResult<String> {
    let name = normalize_room_name(raw);
    if name.is_empty() {
        return Err(DomainError::not_found(ROOM_NOT_FOUND));
    }
    Ok(name)
}

/// Whether `row` bans its identity.
pub(super) fn is_banned(row: Option<&Participant>) -> bool {
    row.is_some_and(|r| r.is_banned)
}
