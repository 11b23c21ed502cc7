//! Entities that cross the boundary between the core and the adapters.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A global role. Stored normalised; the order here is the hierarchy (guest unweighted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Superadmin,
    Admin,
    Moderator,
    User,
    Guest,
}

impl Access {
    /// Every role, in hierarchy order.
    pub const ALL: [Access; 5] = [
        Access::Superadmin,
        Access::Admin,
        Access::Moderator,
        Access::User,
        Access::Guest,
    ];

    /// The wire and storage spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Superadmin => "superadmin",
            Access::Admin => "admin",
            Access::Moderator => "moderator",
            Access::User => "user",
            Access::Guest => "guest",
        }
    }

    /// Parses the wire spelling (exact, lowercase).
    pub fn parse(s: &str) -> Option<Access> {
        Access::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// Sign-in provider names with a fixed meaning. OAuth providers use their configured name.
pub mod provider {
    pub const LOCAL: &str = "local";
    pub const PASSKEY: &str = "passkey";
    pub const GUEST: &str = "guest";
}

/// An account. Guests are users whose provider is `guest`.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub avatar_url: String,
    pub provider: String,
    pub accesses: Vec<Access>,
    pub is_active: bool,
    /// PHC string (Argon2id) or a legacy bcrypt hash; `None` for password-less accounts.
    pub password_hash: Option<String>,
    pub email_verified_at: Option<DateTime<Utc>>,
    pub password_changed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl User {
    /// Whether the account holds the given role now.
    pub fn has(&self, access: Access) -> bool {
        self.accesses.contains(&access)
    }

    /// Guests sign in without an account of their own.
    pub fn is_guest(&self) -> bool {
        self.provider == provider::GUEST
    }
}

/// A server-side sign-in session: one per login or device.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: String,
    pub user_id: String,
    /// Hex SHA-256 of the current refresh token.
    pub refresh_hash: String,
    /// Hex SHA-256 of the refresh token this one replaced.
    pub prev_refresh_hash: Option<String>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoke_reason: Option<String>,
    pub user_agent: String,
    pub ip: String,
}

impl Session {
    /// Usable for authentication at `now`.
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

/// How media flows in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoomMode {
    #[default]
    Standard,
    Webinar,
    Broadcast,
}

impl RoomMode {
    /// The wire and storage spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RoomMode::Standard => "standard",
            RoomMode::Webinar => "webinar",
            RoomMode::Broadcast => "broadcast",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(s: &str) -> Option<RoomMode> {
        match s {
            "standard" => Some(RoomMode::Standard),
            "webinar" => Some(RoomMode::Webinar),
            "broadcast" => Some(RoomMode::Broadcast),
            _ => None,
        }
    }
}

/// Per-room switches (API §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomSettings {
    pub allow_chat: bool,
    pub allow_video: bool,
    pub allow_audio: bool,
    pub require_approval: bool,
    pub e2ee: bool,
    pub is_persistent: bool,
    pub recordings_allowed: bool,
}

impl Default for RoomSettings {
    fn default() -> Self {
        RoomSettings {
            allow_chat: true,
            allow_video: true,
            allow_audio: true,
            require_approval: false,
            e2ee: false,
            is_persistent: false,
            recordings_allowed: false,
        }
    }
}

/// A meeting room row. Several rows may share a name; at most one is active.
#[derive(Debug, Clone, PartialEq)]
pub struct Room {
    pub id: String,
    pub name: String,
    pub created_by: String,
    pub admin_id: String,
    pub is_active: bool,
    pub is_public: bool,
    pub max_participants: i32,
    pub mode: RoomMode,
    pub settings: RoomSettings,
    /// LiveKit reports the room running (internal; blocks expiry and idle).
    pub is_live: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_activity_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Room {
    /// The room admin: `admin_id`, falling back to the creator.
    pub fn admin(&self) -> &str {
        if self.admin_id.is_empty() {
            &self.created_by
        } else {
            &self.admin_id
        }
    }

    /// Archived rooms are gone for every lookup but the idempotent delete.
    pub fn is_archived(&self) -> bool {
        self.deleted_at.is_some()
    }
}

/// A room with the figures the admin list shows.
#[derive(Debug, Clone, PartialEq)]
pub struct AdminRoom {
    pub room: Room,
    pub participants_count: i64,
    pub owner_name: String,
    pub owner_email: String,
}

/// Somebody's membership of a room, keyed by (room, LiveKit identity).
#[derive(Debug, Clone, PartialEq)]
pub struct Participant {
    pub room_id: String,
    /// LiveKit identity: a user id or `guest-xxxxxxxx`.
    pub identity: String,
    pub is_active: bool,
    pub is_moderator: bool,
    pub is_banned: bool,
    pub on_stage: bool,
    pub joined_at: Option<DateTime<Utc>>,
    pub left_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A stored WebAuthn credential.
#[derive(Debug, Clone, PartialEq)]
pub struct Passkey {
    pub id: String,
    pub user_id: String,
    /// Raw credential id bytes (unique across all users).
    pub credential_id: Vec<u8>,
    pub name: String,
    /// The verifier's serialised credential (public key, algorithm, flags).
    pub credential: String,
    pub sign_count: i64,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// What a ceremony is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyKind {
    PasskeyRegister,
    PasskeyLogin,
    PasskeySignup,
    OAuth,
}

impl CeremonyKind {
    /// Storage spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CeremonyKind::PasskeyRegister => "passkey_register",
            CeremonyKind::PasskeyLogin => "passkey_login",
            CeremonyKind::PasskeySignup => "passkey_signup",
            CeremonyKind::OAuth => "oauth",
        }
    }

    /// Parses the storage spelling.
    pub fn parse(s: &str) -> Option<CeremonyKind> {
        [
            CeremonyKind::PasskeyRegister,
            CeremonyKind::PasskeyLogin,
            CeremonyKind::PasskeySignup,
            CeremonyKind::OAuth,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// Server-side state of a multi-step sign-in (passkey challenge or OAuth flow):
/// single use, short-lived, finishable on any instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Ceremony {
    /// Ceremony id (passkeys) or hex SHA-256 of the OAuth `state`.
    pub id: String,
    pub kind: CeremonyKind,
    /// The user the ceremony belongs to, when known.
    pub user_id: Option<String>,
    /// Hex SHA-256 of the cookie the flow is bound to (OAuth).
    pub binding_hash: Option<String>,
    /// Opaque state for the adapter that finishes the ceremony (JSON).
    pub payload: String,
    pub failures: i32,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Link between an external account `(provider, subject)` and a user.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthIdentity {
    pub id: String,
    pub provider: String,
    pub subject: String,
    pub user_id: String,
    pub created_at: DateTime<Utc>,
}

/// Operator overrides of configuration, edited in the database (`None` = use config).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeSettings {
    pub registration_enabled: Option<bool>,
    pub guest_login_enabled: Option<bool>,
    pub passkeys_enabled: Option<bool>,
    pub server_name: Option<String>,
    pub max_participants_limit: Option<i32>,
    pub max_rooms_per_user: Option<i32>,
}
