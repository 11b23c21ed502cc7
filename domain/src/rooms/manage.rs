//! The owner's room management: list, archived, delete, settings (API §3.5).

use std::future::Future;
use std::time::Duration;

use bedrud_ports::{MediaError, Room, StoreError};

use super::{
    INSUFFICIENT_PERMISSIONS, ROOM_NOT_FOUND, Rooms, SettingsInput, forbid_guests, unarchived_room,
};
use crate::error::{DomainError, DomainResult};
use crate::grants::{Standing, permission};
use crate::media_calls::{best_effort, best_effort_if_present};
use crate::principal::Principal;
use crate::teardown::{RoomTeardown, TeardownEvent, TeardownReport, run_teardown};

/// `PUT /api/room/:roomId/settings` input; absent fields are `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettingsChange {
    pub is_public: Option<bool>,
    pub max_participants: Option<i64>,
    /// Merged into the stored settings: missing keys keep their value.
    pub settings: Option<SettingsInput>,
}

/// The updated room and the failures of the best-effort LiveKit sync (log them).
#[derive(Debug)]
pub struct SettingsUpdated {
    pub room: Room,
    pub media_errors: Vec<MediaError>,
}

impl Rooms {
    /// The caller's unarchived rooms, newest first, newest row per name. 403 guests.
    pub async fn list(&self, caller: &Principal) -> DomainResult<Vec<Room>> {
        forbid_guests(caller)?;
        Ok(self.ports.rooms.list_by_creator(caller.user_id()).await?)
    }

    /// The caller's archived rooms, newest `deletedAt` first. 403 guests.
    pub async fn archived(&self, caller: &Principal) -> DomainResult<Vec<Room>> {
        forbid_guests(caller)?;
        Ok(self.ports.rooms.list_archived(caller.user_id()).await?)
    }

    /// Archives the room before returning; `Some` teardown to run in the background
    /// (via [`Rooms::teardown`]), `None` when it was already archived (idempotent).
    /// Errors: 403 guests; 404 `Room not found`; 403 `Only the room creator can delete
    /// this room`.
    pub async fn delete(
        &self,
        caller: &Principal,
        room_id: &str,
    ) -> DomainResult<Option<RoomTeardown>> {
        forbid_guests(caller)?;
        let room = self
            .ports
            .rooms
            .get(room_id)
            .await?
            .ok_or_else(|| DomainError::not_found(ROOM_NOT_FOUND))?;
        if room.created_by != caller.user_id() && !caller.is_superadmin() {
            return Err(DomainError::forbidden(
                "Only the room creator can delete this room",
            ));
        }
        if room.is_archived() {
            return Ok(None);
        }
        if !self
            .ports
            .rooms
            .archive(&room.id, self.ports.clock.now())
            .await?
        {
            return Err(DomainError::not_found(ROOM_NOT_FOUND));
        }
        Ok(Some(RoomTeardown {
            room_name: room.name,
            event: TeardownEvent::RoomEnded,
        }))
    }

    /// Runs a teardown returned by [`Rooms::delete`]; call it from a spawned task with
    /// the runtime's sleep. Failures come back for the log.
    pub async fn teardown<S, F>(&self, plan: &RoomTeardown, sleep: S) -> TeardownReport
    where
        S: FnOnce(Duration) -> F,
        F: Future<Output = ()>,
    {
        run_teardown(self.ports.media.as_ref(), plan, sleep).await
    }

    /// Updates visibility, capacity and (merged) settings. Errors in order: 403 guests;
    /// 404 `Room not found`; 403 `Insufficient permissions`; 400 `maxParticipants must
    /// be between 0 and <limit>`. LiveKit is synced best effort afterwards.
    pub async fn update_settings(
        &self,
        caller: &Principal,
        room_id: &str,
        change: SettingsChange,
    ) -> DomainResult<SettingsUpdated> {
        forbid_guests(caller)?;
        let before = unarchived_room(self.ports.rooms.as_ref(), room_id).await?;
        let superadmin = caller.is_superadmin();
        if before.admin() != caller.user_id() && !superadmin {
            return Err(DomainError::forbidden(INSUFFICIENT_PERMISSIONS));
        }
        let max_participants = match change.max_participants {
            None => before.max_participants,
            Some(n) => {
                let limit = self
                    .policy
                    .limits(&self.ports.settings.get().await?)
                    .max_participants;
                if n < 0 || n > i64::from(limit) {
                    return Err(DomainError::invalid(format!(
                        "maxParticipants must be between 0 and {limit}"
                    )));
                }
                // Bounded by the i32 limit just checked.
                i32::try_from(n).unwrap_or(before.max_participants)
            }
        };
        let settings = change
            .settings
            .unwrap_or_default()
            .merge(before.settings, superadmin);
        let room = self
            .ports
            .rooms
            .update_settings(
                &before.id,
                change.is_public.unwrap_or(before.is_public),
                max_participants,
                settings,
                self.ports.clock.now(),
            )
            .await
            .map_err(|e| match e {
                StoreError::NotFound => DomainError::not_found(ROOM_NOT_FOUND),
                other => other.into(),
            })?;

        let mut media_errors = Vec::new();
        if room.is_live
            && room.max_participants > 0
            && room.max_participants != before.max_participants
        {
            let capacity = u32::try_from(room.max_participants).unwrap_or(0);
            media_errors.extend(best_effort(
                self.ports.media.create_room(&room.name, capacity).await,
            ));
        }
        let (old, new) = (before.settings, room.settings);
        if (old.allow_audio, old.allow_video, old.allow_chat)
            != (new.allow_audio, new.allow_video, new.allow_chat)
        {
            self.push_permissions(&room, &mut media_errors).await;
        }
        Ok(SettingsUpdated { room, media_errors })
    }

    /// Sends every connected, visible participant their permission under the room's
    /// new settings (best effort: the settings are saved already, so a failure here,
    /// the participant rows' read included, is reported in `errors` and nothing more).
    async fn push_permissions(&self, room: &Room, errors: &mut Vec<MediaError>) {
        let connected = match self.ports.media.list_participants(&room.name).await {
            Ok(list) => list,
            Err(e) => {
                errors.extend(best_effort_if_present(Err::<(), _>(e)));
                return;
            }
        };
        // Each permission depends on the participant's row (moderator, stage): without
        // the rows, nothing is pushed rather than something wrong.
        let rows = match self.ports.participants.list(&room.id).await {
            Ok(rows) => rows,
            Err(e) => {
                errors
                    .push(MediaError::Unavailable(anyhow::Error::new(e).context(
                        "participant rows unreadable; permissions not pushed",
                    )));
                return;
            }
        };
        for p in connected.iter().filter(|p| !p.hidden) {
            let row = rows.iter().find(|r| r.identity == p.identity);
            let perm = permission(
                &room.settings,
                room.mode,
                Standing::of(room, &p.identity, row),
            );
            let result = self
                .ports
                .media
                .update_participant(&room.name, &p.identity, None, Some(perm))
                .await;
            errors.extend(best_effort_if_present(result));
        }
    }
}
