//! Bodies of the room, moderation and webhook endpoints (API §3.5–§3.7, §4.3).

use bedrud_domain::{PresenceEntry, SettingsInput};
use bedrud_ports::{Room, RoomSettings};
use poem_openapi::{Object, Union};

use crate::dto::{Text, Timestamp};

/// Per-room switches (API §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Object)]
#[oai(rename = "RoomSettings", rename_all = "camelCase")]
pub struct RoomSettingsDto {
    /// Data messages (chat) allowed.
    pub allow_chat: bool,
    /// Camera and screen share allowed.
    pub allow_video: bool,
    /// Microphone allowed.
    pub allow_audio: bool,
    /// Private rooms answer `This room requires approval to join`.
    pub require_approval: bool,
    /// Client-side encryption flag (no server effect).
    pub e2ee: bool,
    /// Exempt from expiry and idle (superadmins only).
    pub is_persistent: bool,
    /// Stored, inert in this wave.
    pub recordings_allowed: bool,
}

impl From<RoomSettings> for RoomSettingsDto {
    fn from(s: RoomSettings) -> Self {
        RoomSettingsDto {
            allow_chat: s.allow_chat,
            allow_video: s.allow_video,
            allow_audio: s.allow_audio,
            require_approval: s.require_approval,
            e2ee: s.e2ee,
            is_persistent: s.is_persistent,
            recordings_allowed: s.recordings_allowed,
        }
    }
}

/// A RoomSettings object as sent: missing keys take the default (create) or keep their
/// value (settings update).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Object)]
#[oai(rename = "RoomSettingsInput", rename_all = "camelCase")]
pub struct SettingsInputDto {
    /// Data messages (chat) allowed.
    pub allow_chat: Option<bool>,
    /// Camera and screen share allowed.
    pub allow_video: Option<bool>,
    /// Microphone allowed.
    pub allow_audio: Option<bool>,
    /// Private rooms answer `This room requires approval to join`.
    pub require_approval: Option<bool>,
    /// Client-side encryption flag.
    pub e2ee: Option<bool>,
    /// Honoured for superadmins only.
    pub is_persistent: Option<bool>,
    /// Stored, inert in this wave.
    pub recordings_allowed: Option<bool>,
}

impl From<SettingsInputDto> for SettingsInput {
    fn from(s: SettingsInputDto) -> Self {
        SettingsInput {
            allow_chat: s.allow_chat,
            allow_video: s.allow_video,
            allow_audio: s.allow_audio,
            require_approval: s.require_approval,
            e2ee: s.e2ee,
            is_persistent: s.is_persistent,
            recordings_allowed: s.recordings_allowed,
        }
    }
}

/// A room (API §4.3).
#[derive(Debug, Clone, PartialEq, Object)]
#[oai(rename = "Room", rename_all = "camelCase")]
pub struct RoomDto {
    /// Room UUID.
    pub id: String,
    /// Lowercase letters, digits and hyphens, 3–63 bytes.
    pub name: String,
    /// Creator's user id.
    pub created_by: String,
    /// Room admin's user id (the creator at creation).
    pub admin_id: String,
    /// `false` once expired, idle or archived.
    pub is_active: bool,
    /// Anyone may join a public room.
    pub is_public: bool,
    /// 0 = unlimited.
    pub max_participants: i64,
    /// `standard`, `webinar` or `broadcast`.
    pub mode: String,
    /// The room's switches.
    pub settings: RoomSettingsDto,
    /// When the room was created.
    pub created_at: Timestamp,
    /// When the room last changed.
    pub updated_at: Timestamp,
    /// `createdAt` + `rooms.default_ttl_hours`.
    pub expires_at: Timestamp,
    /// Last create, join or webhook activity.
    #[oai(nullable)]
    pub last_activity_at: Option<Timestamp>,
    /// Present only when archived.
    #[oai(skip_serializing_if_is_none)]
    pub deleted_at: Option<Timestamp>,
}

impl From<&Room> for RoomDto {
    fn from(r: &Room) -> Self {
        RoomDto {
            id: r.id.clone(),
            name: r.name.clone(),
            created_by: r.created_by.clone(),
            admin_id: r.admin_id.clone(),
            is_active: r.is_active,
            is_public: r.is_public,
            max_participants: i64::from(r.max_participants),
            mode: r.mode.as_str().to_owned(),
            settings: r.settings.into(),
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
            expires_at: Timestamp(r.expires_at),
            last_activity_at: r.last_activity_at.map(Timestamp),
            deleted_at: r.deleted_at.map(Timestamp),
        }
    }
}

/// `POST /api/room/create`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Object)]
#[oai(rename = "CreateRoomRequest", rename_all = "camelCase")]
pub struct CreateRoomRequest {
    /// Trimmed and lowercased; empty or absent → generated.
    pub name: Option<Text>,
    /// Absent or negative → 0 (unlimited).
    pub max_participants: Option<i64>,
    /// Default `false`.
    pub is_public: Option<bool>,
    /// `standard` (default), `webinar` or `broadcast`.
    pub mode: Option<Text>,
    /// Missing keys take the defaults.
    pub settings: Option<SettingsInputDto>,
}

/// `POST /api/room/create` response: the Room plus `livekitHost`.
#[derive(Debug, Clone, PartialEq, Object)]
#[oai(rename = "CreatedRoom", rename_all = "camelCase")]
pub struct CreatedRoomDto {
    /// The room (flattened).
    #[oai(flatten)]
    pub room: RoomDto,
    /// Where clients connect to LiveKit.
    pub livekit_host: String,
}

/// Body of join and refresh-token: the room's name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Object)]
#[oai(rename = "RoomNameRequest", rename_all = "camelCase")]
pub struct RoomNameRequest {
    /// Trimmed and lowercased before the lookup.
    pub room_name: Option<Text>,
}

impl RoomNameRequest {
    /// The name, `""` when absent.
    pub fn name(self) -> String {
        self.room_name.map(Text::into_string).unwrap_or_default()
    }
}

/// `POST /api/room/join`: the room and the caller's LiveKit token.
#[derive(Debug, Clone, PartialEq, Object)]
#[oai(rename = "JoinedRoom", rename_all = "camelCase")]
pub struct JoinedRoomDto {
    /// Room UUID.
    pub id: String,
    /// Room name.
    pub name: String,
    /// LiveKit join token.
    pub token: String,
    /// Creator's user id.
    pub created_by: String,
    /// Room admin's user id.
    pub admin_id: String,
    /// Always `true` here.
    pub is_active: bool,
    /// Anyone may join a public room.
    pub is_public: bool,
    /// 0 = unlimited.
    pub max_participants: i64,
    /// When the room expires.
    pub expires_at: Timestamp,
    /// The room's switches.
    pub settings: RoomSettingsDto,
    /// Where clients connect to LiveKit.
    pub livekit_host: String,
    /// `standard`, `webinar` or `broadcast`.
    pub mode: String,
    /// Always `""` in this wave.
    pub active_recording_id: String,
}

impl JoinedRoomDto {
    /// The join answer for `room`.
    pub fn new(room: &Room, token: String, livekit_host: String) -> Self {
        JoinedRoomDto {
            id: room.id.clone(),
            name: room.name.clone(),
            token,
            created_by: room.created_by.clone(),
            admin_id: room.admin_id.clone(),
            is_active: room.is_active,
            is_public: room.is_public,
            max_participants: i64::from(room.max_participants),
            expires_at: Timestamp(room.expires_at),
            settings: room.settings.into(),
            livekit_host,
            mode: room.mode.as_str().to_owned(),
            active_recording_id: String::new(),
        }
    }
}

/// `POST /api/room/join` on the caller's own inactive room: they may re-create it.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "ArchivedOwnedRoom", rename_all = "camelCase")]
pub struct ArchivedOwnedDto {
    /// Always `archived_owned`.
    pub status: String,
    /// Room name.
    pub name: String,
    /// `standard`, `webinar` or `broadcast`.
    pub mode: String,
    /// The room's switches.
    pub settings: RoomSettingsDto,
}

impl From<&Room> for ArchivedOwnedDto {
    fn from(room: &Room) -> Self {
        ArchivedOwnedDto {
            status: "archived_owned".to_owned(),
            name: room.name.clone(),
            mode: room.mode.as_str().to_owned(),
            settings: room.settings.into(),
        }
    }
}

/// The two 200 answers of `POST /api/room/join`.
#[derive(Debug, Clone, PartialEq, Union)]
#[oai(rename = "JoinRoomResponse")]
pub enum JoinResponseDto {
    /// Joined: room and token.
    Joined(JoinedRoomDto),
    /// The caller's own inactive room.
    ArchivedOwned(ArchivedOwnedDto),
}

/// `POST /api/room/guest-join`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Object)]
#[oai(rename = "GuestJoinRequest", rename_all = "camelCase")]
pub struct GuestJoinRequest {
    /// Trimmed and lowercased before the lookup.
    pub room_name: Option<Text>,
    /// Sanitised, non-empty, ≤ 50 bytes.
    pub guest_name: Option<Text>,
}

/// `POST /api/room/guest-join` response.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "GuestJoinedRoom", rename_all = "camelCase")]
pub struct GuestJoinedDto {
    /// Room UUID.
    pub id: String,
    /// Room name.
    pub name: String,
    /// LiveKit join token.
    pub token: String,
    /// Room admin's user id.
    pub admin_id: String,
    /// Anyone may join a public room.
    pub is_public: bool,
    /// Where clients connect to LiveKit.
    pub livekit_host: String,
    /// Always `""` in this wave.
    pub active_recording_id: String,
    /// The guest's access JWT.
    pub access_token: String,
    /// The guest's refresh JWT.
    pub refresh_token: String,
    /// The same pair.
    pub tokens: crate::dto::user::TokensDto,
}

/// `GET /api/room/check/:roomName`.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "RoomCheck")]
pub struct RoomCheckDto {
    /// Always `true`.
    pub exists: bool,
    /// The room's name.
    pub name: String,
}

/// `{"token": "<livekit jwt>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "RoomToken")]
pub struct RoomTokenDto {
    /// LiveKit join token.
    pub token: String,
}

/// `PUT /api/room/:roomId/settings`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Object)]
#[oai(rename = "UpdateRoomSettingsRequest", rename_all = "camelCase")]
pub struct UpdateSettingsRequest {
    /// New visibility.
    pub is_public: Option<bool>,
    /// 0…`max_participants_limit`.
    pub max_participants: Option<i64>,
    /// Merged: missing keys keep their value.
    pub settings: Option<SettingsInputDto>,
}

/// `{"count": n}`.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "PresenceCount")]
pub struct PresenceCountDto {
    /// Connected, visible participants.
    pub count: i64,
}

/// One connected participant.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "PresenceEntry", rename_all = "camelCase")]
pub struct PresenceEntryDto {
    /// LiveKit identity.
    pub identity: String,
    /// LiveKit name, else database name, else identity.
    pub name: String,
    /// `""` when unknown.
    pub avatar_url: String,
}

impl From<PresenceEntry> for PresenceEntryDto {
    fn from(e: PresenceEntry) -> Self {
        PresenceEntryDto {
            identity: e.identity,
            name: e.name,
            avatar_url: e.avatar_url,
        }
    }
}

/// `{"participants": […]}`.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "PresenceList")]
pub struct PresenceListDto {
    /// Connected, visible participants.
    pub participants: Vec<PresenceEntryDto>,
}

/// `GET /api/room/:roomId/presence`: a count (`countOnly`) or a list.
#[derive(Debug, Clone, PartialEq, Eq, Union)]
#[oai(rename = "Presence")]
pub enum PresenceDto {
    /// `countOnly=1|true`.
    Count(PresenceCountDto),
    /// The list.
    List(PresenceListDto),
}

/// `{"status": "success" | "already_moderator"}`.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "ModerationResult")]
pub struct ModerationResultDto {
    /// `success`, or `already_moderator` on promote of a moderator.
    pub status: String,
}

/// `{"ok": true}`.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "WebhookAck")]
pub struct WebhookAckDto {
    /// Always `true`.
    pub ok: bool,
}
