//! Row structs, loaded by column position (the order of the `table!` definitions), and
//! their conversions to and from the ports' entities. Backend-generic: one struct serves
//! SQLite and PostgreSQL.

use bedrud_ports::*;
use chrono::{DateTime, Utc};
use diesel::Queryable;

type Ts = DateTime<Utc>;

#[derive(Queryable)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub avatar_url: String,
    pub provider: String,
    pub accesses: String,
    pub is_active: bool,
    pub password_hash: Option<String>,
    pub email_verified_at: Option<Ts>,
    pub password_changed_at: Option<Ts>,
    pub created_at: Ts,
    pub updated_at: Ts,
}

/// Roles are stored as a JSON array of their spellings; unknown spellings are dropped.
pub fn accesses_to_text(accesses: &[Access]) -> String {
    let mut names: Vec<&str> = accesses.iter().map(|a| a.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    serde_json::to_string(&names).unwrap_or_else(|_| "[]".into())
}

fn accesses_from_text(text: &str) -> Vec<Access> {
    let names: Vec<String> = serde_json::from_str(text).unwrap_or_default();
    let mut out: Vec<Access> = names.iter().filter_map(|n| Access::parse(n)).collect();
    out.sort();
    out.dedup();
    out
}

/// The LIKE pattern that finds a role in the stored JSON array.
pub fn access_pattern(access: Access) -> String {
    format!("%\"{}\"%", access.as_str())
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            accesses: accesses_from_text(&r.accesses),
            id: r.id,
            email: r.email,
            name: r.name,
            avatar_url: r.avatar_url,
            provider: r.provider,
            is_active: r.is_active,
            password_hash: r.password_hash,
            email_verified_at: r.email_verified_at,
            password_changed_at: r.password_changed_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Queryable)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub refresh_hash: String,
    pub prev_refresh_hash: Option<String>,
    pub rotated_at: Option<Ts>,
    pub created_at: Ts,
    pub last_used_at: Ts,
    pub expires_at: Ts,
    pub revoked_at: Option<Ts>,
    pub revoke_reason: Option<String>,
    pub user_agent: String,
    pub ip: String,
}

impl From<SessionRow> for Session {
    fn from(r: SessionRow) -> Self {
        Session {
            id: r.id,
            user_id: r.user_id,
            refresh_hash: r.refresh_hash,
            prev_refresh_hash: r.prev_refresh_hash,
            rotated_at: r.rotated_at,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            revoke_reason: r.revoke_reason,
            user_agent: r.user_agent,
            ip: r.ip,
        }
    }
}

#[derive(Queryable)]
pub struct RoomRow {
    pub id: String,
    pub name: String,
    pub created_by: String,
    pub admin_id: String,
    pub is_active: bool,
    pub is_public: bool,
    pub max_participants: i32,
    pub mode: String,
    pub allow_chat: bool,
    pub allow_video: bool,
    pub allow_audio: bool,
    pub require_approval: bool,
    pub e2ee: bool,
    pub is_persistent: bool,
    pub recordings_allowed: bool,
    pub is_live: bool,
    pub created_at: Ts,
    pub updated_at: Ts,
    pub expires_at: Ts,
    pub last_activity_at: Option<Ts>,
    pub deleted_at: Option<Ts>,
}

impl From<RoomRow> for Room {
    fn from(r: RoomRow) -> Self {
        Room {
            id: r.id,
            name: r.name,
            created_by: r.created_by,
            admin_id: r.admin_id,
            is_active: r.is_active,
            is_public: r.is_public,
            max_participants: r.max_participants,
            mode: RoomMode::parse(&r.mode).unwrap_or_default(),
            settings: RoomSettings {
                allow_chat: r.allow_chat,
                allow_video: r.allow_video,
                allow_audio: r.allow_audio,
                require_approval: r.require_approval,
                e2ee: r.e2ee,
                is_persistent: r.is_persistent,
                recordings_allowed: r.recordings_allowed,
            },
            is_live: r.is_live,
            created_at: r.created_at,
            updated_at: r.updated_at,
            expires_at: r.expires_at,
            last_activity_at: r.last_activity_at,
            deleted_at: r.deleted_at,
        }
    }
}

#[derive(Queryable)]
pub struct ParticipantRow {
    pub room_id: String,
    pub identity: String,
    pub is_active: bool,
    pub is_moderator: bool,
    pub is_banned: bool,
    pub on_stage: bool,
    pub joined_at: Option<Ts>,
    pub left_at: Option<Ts>,
    pub created_at: Ts,
    pub updated_at: Ts,
}

impl From<ParticipantRow> for Participant {
    fn from(r: ParticipantRow) -> Self {
        Participant {
            room_id: r.room_id,
            identity: r.identity,
            is_active: r.is_active,
            is_moderator: r.is_moderator,
            is_banned: r.is_banned,
            on_stage: r.on_stage,
            joined_at: r.joined_at,
            left_at: r.left_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Queryable)]
pub struct PasskeyRow {
    pub id: String,
    pub user_id: String,
    pub credential_id: Vec<u8>,
    pub name: String,
    pub credential: String,
    pub sign_count: i64,
    pub created_at: Ts,
    pub last_used_at: Option<Ts>,
}

impl From<PasskeyRow> for Passkey {
    fn from(r: PasskeyRow) -> Self {
        Passkey {
            id: r.id,
            user_id: r.user_id,
            credential_id: r.credential_id,
            name: r.name,
            credential: r.credential,
            sign_count: r.sign_count,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        }
    }
}

#[derive(Queryable)]
pub struct CeremonyRow {
    pub id: String,
    pub kind: String,
    pub user_id: Option<String>,
    pub binding_hash: Option<String>,
    pub payload: String,
    pub failures: i32,
    pub created_at: Ts,
    pub expires_at: Ts,
}

impl CeremonyRow {
    /// `None` for a row of an unknown kind (written by a newer version).
    pub fn into_ceremony(self) -> Option<Ceremony> {
        Some(Ceremony {
            kind: CeremonyKind::parse(&self.kind)?,
            id: self.id,
            user_id: self.user_id,
            binding_hash: self.binding_hash,
            payload: self.payload,
            failures: self.failures,
            created_at: self.created_at,
            expires_at: self.expires_at,
        })
    }
}

#[derive(Queryable)]
pub struct IdentityRow {
    pub id: String,
    pub provider: String,
    pub subject: String,
    pub user_id: String,
    pub created_at: Ts,
}

impl From<IdentityRow> for OAuthIdentity {
    fn from(r: IdentityRow) -> Self {
        OAuthIdentity {
            id: r.id,
            provider: r.provider,
            subject: r.subject,
            user_id: r.user_id,
            created_at: r.created_at,
        }
    }
}

#[derive(Queryable)]
pub struct SettingsRow {
    pub id: i32,
    pub registration_enabled: Option<bool>,
    pub guest_login_enabled: Option<bool>,
    pub passkeys_enabled: Option<bool>,
    pub server_name: Option<String>,
    pub max_participants_limit: Option<i32>,
    pub max_rooms_per_user: Option<i32>,
}

impl From<SettingsRow> for RuntimeSettings {
    fn from(r: SettingsRow) -> Self {
        RuntimeSettings {
            registration_enabled: r.registration_enabled,
            guest_login_enabled: r.guest_login_enabled,
            passkeys_enabled: r.passkeys_enabled,
            server_name: r.server_name,
            max_participants_limit: r.max_participants_limit,
            max_rooms_per_user: r.max_rooms_per_user,
        }
    }
}
