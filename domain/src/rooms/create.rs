//! `POST /api/room/create` (API §3.5, §5.1, §5.4).

use bedrud_ports::{
    MediaError, Participant, Room, RoomCreation, RoomMode, RoomSettings, StoreError,
};

use super::{Rooms, forbid_guests};
use crate::error::{DomainError, DomainResult};
use crate::media_calls::best_effort;
use crate::principal::Principal;
use crate::room_names::{generate_room_name, normalize_room_name, validate_room_name};

/// Generated names are retried this many times after a collision, then 500.
const NAME_RETRIES: usize = 5;
/// 409 of a taken chosen name.
const NAME_TAKEN: &str = "a room with this name already exists";

/// A RoomSettings object as sent: missing keys are `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettingsInput {
    pub allow_chat: Option<bool>,
    pub allow_video: Option<bool>,
    pub allow_audio: Option<bool>,
    pub require_approval: Option<bool>,
    pub e2ee: Option<bool>,
    pub is_persistent: Option<bool>,
    pub recordings_allowed: Option<bool>,
}

impl SettingsInput {
    /// `base` with every given key applied; `isPersistent` only when `may_persist`.
    pub fn merge(&self, base: RoomSettings, may_persist: bool) -> RoomSettings {
        RoomSettings {
            allow_chat: self.allow_chat.unwrap_or(base.allow_chat),
            allow_video: self.allow_video.unwrap_or(base.allow_video),
            allow_audio: self.allow_audio.unwrap_or(base.allow_audio),
            require_approval: self.require_approval.unwrap_or(base.require_approval),
            e2ee: self.e2ee.unwrap_or(base.e2ee),
            is_persistent: match self.is_persistent {
                Some(v) if may_persist => v,
                _ => base.is_persistent,
            },
            recordings_allowed: self.recordings_allowed.unwrap_or(base.recordings_allowed),
        }
    }
}

/// `POST /api/room/create` input; absent fields are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewRoom {
    pub name: Option<String>,
    pub max_participants: Option<i64>,
    pub is_public: Option<bool>,
    pub mode: Option<String>,
    pub settings: Option<SettingsInput>,
}

/// A created room and the outcome of the best-effort LiveKit `CreateRoom` (log it).
#[derive(Debug)]
pub struct CreatedRoom {
    pub room: Room,
    /// `Some` when `CreateRoom` failed; the room exists regardless.
    pub media_error: Option<MediaError>,
}

impl Rooms {
    /// Creates a room owned by the caller. Errors in order: 403 guests; 400 room-name
    /// messages · `maxParticipants must be at most <limit>` · `Invalid room mode`; 403
    /// `Room limit reached (max N active rooms)`; 409 `a room with this name already
    /// exists`; 500 when generated names keep colliding.
    pub async fn create(&self, caller: &Principal, input: NewRoom) -> DomainResult<CreatedRoom> {
        forbid_guests(caller)?;
        let chosen = input
            .name
            .as_deref()
            .map(normalize_room_name)
            .filter(|n| !n.is_empty());
        let chosen = chosen.as_deref().map(validate_room_name).transpose()?;

        let runtime = self.ports.settings.get().await?;
        let limits = self.policy.limits(&runtime);
        let max_participants = input.max_participants.unwrap_or(0).max(0);
        if max_participants > i64::from(limits.max_participants) {
            return Err(DomainError::invalid(format!(
                "maxParticipants must be at most {}",
                limits.max_participants
            )));
        }
        let mode = match input.mode.as_deref() {
            None | Some("") => RoomMode::Standard,
            Some(raw) => {
                RoomMode::parse(raw).ok_or_else(|| DomainError::invalid("Invalid room mode"))?
            }
        };
        let superadmin = caller.is_superadmin();
        let settings = input
            .settings
            .unwrap_or_default()
            .merge(RoomSettings::default(), superadmin);
        let cap = (!superadmin && limits.max_rooms_per_user > 0)
            .then_some(i64::from(limits.max_rooms_per_user));

        let now = self.ports.clock.now();
        let mut template = Room {
            id: String::new(),
            name: String::new(),
            created_by: caller.user_id().to_owned(),
            admin_id: caller.user_id().to_owned(),
            is_active: true,
            is_public: input.is_public.unwrap_or(false),
            // Bounded by the i32 limit above.
            max_participants: i32::try_from(max_participants).unwrap_or(i32::MAX),
            mode,
            settings,
            is_live: false,
            created_at: now,
            updated_at: now,
            expires_at: now + self.policy.room_lifetime(),
            last_activity_at: Some(now),
            deleted_at: None,
        };

        let attempts = if chosen.is_some() {
            1
        } else {
            1 + NAME_RETRIES
        };
        for _ in 0..attempts {
            template.id = self.ports.ids.uuid();
            template.name = match &chosen {
                Some(name) => name.clone(),
                None => generate_room_name(self.ports.ids.as_ref()),
            };
            let creator = creator_row(&template);
            match self
                .ports
                .rooms
                .create(template.clone(), creator, cap)
                .await
            {
                Ok(RoomCreation::Created(room)) => {
                    let synced = self
                        .ports
                        .media
                        .create_room(
                            &room.name,
                            u32::try_from(room.max_participants).unwrap_or(0),
                        )
                        .await;
                    return Ok(CreatedRoom {
                        room,
                        media_error: best_effort(synced),
                    });
                }
                Ok(RoomCreation::CapReached) => {
                    return Err(DomainError::forbidden(format!(
                        "Room limit reached (max {} active rooms)",
                        limits.max_rooms_per_user
                    )));
                }
                Err(StoreError::Conflict("room_name")) if chosen.is_some() => {
                    return Err(DomainError::conflict(NAME_TAKEN));
                }
                Err(StoreError::Conflict("room_name")) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(DomainError::Internal(anyhow::anyhow!(
            "no free generated room name after {attempts} attempts"
        )))
    }
}

/// The creator's participant row: inactive until they join, on stage.
fn creator_row(room: &Room) -> Participant {
    Participant {
        room_id: room.id.clone(),
        identity: room.created_by.clone(),
        is_active: false,
        is_moderator: false,
        is_banned: false,
        on_stage: true,
        joined_at: None,
        left_at: None,
        created_at: room.created_at,
        updated_at: room.created_at,
    }
}
