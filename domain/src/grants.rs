//! LiveKit grant derivation (API §6.1, §3.9): what a participant may publish, and the
//! server-set metadata, from room settings, mode, room role and stage state.

use bedrud_ports::{
    Access, JoinGrant, MediaPermission, Participant, Room, RoomMode, RoomSettings, TrackSource,
};
use serde::Serialize;

/// A participant's role inside one room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RoomRole {
    Admin,
    Moderator,
    Participant,
}

impl RoomRole {
    /// The role of `identity` in `room`: the room admin, a moderator by their row, or
    /// a plain participant.
    pub fn of(room: &Room, identity: &str, row: Option<&Participant>) -> RoomRole {
        if identity == room.admin() {
            RoomRole::Admin
        } else if row.is_some_and(|r| r.is_moderator) {
            RoomRole::Moderator
        } else {
            RoomRole::Participant
        }
    }

    /// The wire spelling used in metadata.
    pub fn as_str(self) -> &'static str {
        match self {
            RoomRole::Admin => "admin",
            RoomRole::Moderator => "moderator",
            RoomRole::Participant => "participant",
        }
    }
}

/// Everything §6.1 derives a participant's grant from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub role: RoomRole,
    /// The participant row's `on_stage` flag.
    pub on_stage: bool,
}

impl Standing {
    /// The standing of `identity` given its participant row (if any).
    pub fn of(room: &Room, identity: &str, row: Option<&Participant>) -> Standing {
        Standing {
            role: RoomRole::of(room, identity, row),
            on_stage: row.is_some_and(|r| r.on_stage),
        }
    }
}

/// The sources the room's settings allow: microphone (audio); camera and screen share
/// with its audio (video).
pub fn allowed_sources(settings: &RoomSettings) -> Vec<TrackSource> {
    let mut sources = Vec::with_capacity(4);
    if settings.allow_audio {
        sources.push(TrackSource::Microphone);
    }
    if settings.allow_video {
        sources.extend([
            TrackSource::Camera,
            TrackSource::ScreenShare,
            TrackSource::ScreenShareAudio,
        ]);
    }
    sources
}

/// Whether the room's mode lets this standing publish at all.
pub fn mode_allows_publishing(mode: RoomMode, standing: Standing) -> bool {
    match mode {
        RoomMode::Standard => true,
        RoomMode::Webinar | RoomMode::Broadcast => {
            standing.role != RoomRole::Participant || standing.on_stage
        }
    }
}

/// The permission of a (visible) participant (§6.1). An empty source list means "all
/// sources" to LiveKit, so it turns publishing off instead.
pub fn permission(settings: &RoomSettings, mode: RoomMode, standing: Standing) -> MediaPermission {
    let sources = allowed_sources(settings);
    MediaPermission {
        can_subscribe: true,
        can_publish: mode_allows_publishing(mode, standing) && !sources.is_empty(),
        can_publish_data: settings.allow_chat,
        can_publish_sources: sources,
        can_update_metadata: false,
        hidden: false,
    }
}

/// The permission of an admin token (§3.9): hidden observers publish nothing; visible
/// ones publish as the room admin.
pub fn admin_permission(settings: &RoomSettings, mode: RoomMode, hidden: bool) -> MediaPermission {
    let as_admin = Standing {
        role: RoomRole::Admin,
        on_stage: true,
    };
    let mut perm = permission(settings, mode, as_admin);
    if hidden {
        perm.can_publish = false;
        perm.can_publish_data = false;
        perm.hidden = true;
    }
    perm
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Metadata<'a> {
    accesses: Vec<&'a str>,
    room_role: &'static str,
    on_stage: bool,
}

/// The server-set metadata JSON: `{"accesses":[…],"roomRole":…,"onStage":…}`; a room
/// moderator's accesses gain `"moderator"` (clients read it there).
pub fn metadata(accesses: &[Access], standing: Standing) -> String {
    let mut list: Vec<&str> = accesses.iter().map(|a| a.as_str()).collect();
    let moderator = Access::Moderator.as_str();
    if standing.role == RoomRole::Moderator && !list.contains(&moderator) {
        list.push(moderator);
    }
    let doc = Metadata {
        accesses: list,
        room_role: standing.role.as_str(),
        on_stage: standing.on_stage,
    };
    // A struct of strings and bools always serialises.
    serde_json::to_string(&doc).unwrap_or_default()
}

/// Who a join token is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joiner<'a> {
    /// LiveKit identity (user id or `guest-xxxxxxxx`).
    pub identity: &'a str,
    /// Display name (trimmed).
    pub name: &'a str,
    /// Global accesses, for the metadata.
    pub accesses: &'a [Access],
}

/// The join grant of a regular participant (join, guest-join, refresh-token).
pub fn join_grant(
    room: &Room,
    joiner: &Joiner<'_>,
    standing: Standing,
    ttl_secs: u64,
) -> JoinGrant {
    JoinGrant {
        room: room.name.clone(),
        identity: joiner.identity.to_owned(),
        name: joiner.name.trim().to_owned(),
        metadata: metadata(joiner.accesses, standing),
        permission: permission(&room.settings, room.mode, standing),
        room_admin: false,
        recorder: false,
        ttl_secs,
    }
}

/// The admin token's grant (§3.9): `roomAdmin`, hidden as requested, role `admin`.
pub fn admin_grant(room: &Room, joiner: &Joiner<'_>, hidden: bool, ttl_secs: u64) -> JoinGrant {
    let standing = Standing {
        role: RoomRole::Admin,
        on_stage: !hidden,
    };
    JoinGrant {
        room: room.name.clone(),
        identity: joiner.identity.to_owned(),
        name: joiner.name.trim().to_owned(),
        metadata: metadata(joiner.accesses, standing),
        permission: admin_permission(&room.settings, room.mode, hidden),
        room_admin: true,
        recorder: false,
        ttl_secs,
    }
}

#[cfg(test)]
mod tests;
