//! Persistence ports. Each store reports failures as [`StoreError`]; uniqueness
//! invariants of the schema surface as [`StoreError::Conflict`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::StoreResult;
use crate::model::*;
use crate::query::{RoomQuery, UserQuery};

/// Outcome of an update that must never leave the server without an active superadmin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardedUpdate {
    Updated,
    NotFound,
    /// The change would remove the last active superadmin; nothing was written.
    LastSuperadmin,
}

/// Accounts.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts a new user. Errors: `Conflict("user_email")` when (email, provider) is taken,
    /// `Conflict("user_id")` when the id is.
    async fn insert(&self, user: User) -> StoreResult<User>;
    /// The user with this id.
    async fn get(&self, id: &str) -> StoreResult<Option<User>>;
    /// Every account (any provider) whose canonical email is exactly `email`.
    async fn find_by_email(&self, email: &str) -> StoreResult<Vec<User>>;
    /// Sets the name and, when given, a new email (clearing its verification). Errors:
    /// `NotFound`, `Conflict("user_email")`.
    async fn update_profile(
        &self,
        id: &str,
        name: String,
        email: Option<String>,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Stores a password hash; `changed_at` is set for a real change, `None` for a re-hash.
    async fn set_password_hash(
        &self,
        id: &str,
        hash: String,
        changed_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Activates or deactivates, refusing to deactivate the last active superadmin
    /// (checked in the same transaction).
    async fn set_active(
        &self,
        id: &str,
        active: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<GuardedUpdate>;
    /// Replaces the roles, refusing to demote the last active superadmin.
    async fn set_accesses(
        &self,
        id: &str,
        accesses: Vec<Access>,
        now: DateTime<Utc>,
    ) -> StoreResult<GuardedUpdate>;
    /// One page of the admin list and the total number of matches.
    async fn list(&self, query: UserQuery) -> StoreResult<(Vec<User>, i64)>;
    /// Inserts a guest-join identity or refreshes its name.
    async fn upsert_guest(&self, user: User) -> StoreResult<User>;
    /// Deletes guest users created before `before` that have no active participant row.
    async fn delete_stale_guests(&self, before: DateTime<Utc>) -> StoreResult<u64>;
}

/// A compare-and-set rotation of a session's refresh token.
#[derive(Debug, Clone, PartialEq)]
pub struct Rotation {
    pub session_id: String,
    /// The hash the session must still hold for the rotation to win.
    pub expected_hash: String,
    pub new_hash: String,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: String,
    pub user_agent: String,
}

/// Sign-in sessions.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Inserts a session. Errors: `Conflict("session_id")`.
    async fn insert(&self, session: Session) -> StoreResult<()>;
    /// The session with this id, revoked or not.
    async fn get(&self, id: &str) -> StoreResult<Option<Session>>;
    /// Rotates atomically; `false` when the session no longer holds `expected_hash`
    /// or is revoked (the caller lost a race).
    async fn rotate(&self, rotation: Rotation) -> StoreResult<bool>;
    /// Revokes one session; `false` when it was missing or already revoked.
    async fn revoke(&self, id: &str, reason: &str, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Revokes every live session of a user except `except`; returns how many.
    async fn revoke_all(
        &self,
        user_id: &str,
        except: Option<String>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
    /// Records use of the session.
    async fn touch(&self, id: &str, now: DateTime<Utc>) -> StoreResult<()>;
    /// Deletes sessions that expired or were revoked before `before`.
    async fn purge(&self, before: DateTime<Utc>) -> StoreResult<u64>;
    /// Unrevoked, unexpired sessions of everybody.
    async fn count_active(&self, now: DateTime<Utc>) -> StoreResult<i64>;
    /// A user's unrevoked, unexpired sessions and the latest `last_used_at` of any session.
    async fn user_summary(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<(i64, Option<DateTime<Utc>>)>;
}

/// Outcome of creating a room under the per-user cap.
#[derive(Debug, Clone, PartialEq)]
pub enum RoomCreation {
    Created(Room),
    /// The creator already has `cap` active rooms; nothing was written.
    CapReached,
}

/// Rooms.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait RoomStore: Send + Sync {
    /// In one transaction serialised per creator: checks the cap (when given) against the
    /// creator's active rooms, inserts the room and the creator's participant row.
    /// Errors: `Conflict("room_name")` when an active room has the name.
    async fn create(
        &self,
        room: Room,
        creator: Participant,
        cap: Option<i64>,
    ) -> StoreResult<RoomCreation>;
    /// The room with this id (archived included).
    async fn get(&self, id: &str) -> StoreResult<Option<Room>>;
    /// The active room with this name, else the newest row with it.
    async fn find_by_name(&self, name: &str) -> StoreResult<Option<Room>>;
    /// [`RoomStore::find_by_name`] together with `identity`'s participant row in that room,
    /// in one read (the join path needs both).
    async fn find_by_name_with_row(
        &self,
        name: &str,
        identity: &str,
    ) -> StoreResult<Option<(Room, Option<Participant>)>>;
    /// The creator's unarchived rooms, newest row per name, newest first.
    async fn list_by_creator(&self, user_id: &str) -> StoreResult<Vec<Room>>;
    /// The creator's archived rooms, newest `deleted_at` first.
    async fn list_archived(&self, user_id: &str) -> StoreResult<Vec<Room>>;
    /// Archives: `deleted_at`, inactive, every participant row inactive. `false` if missing.
    async fn archive(&self, id: &str, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Writes visibility, capacity and settings. Errors: `NotFound`.
    async fn update_settings(
        &self,
        id: &str,
        is_public: bool,
        max_participants: i32,
        settings: RoomSettings,
        now: DateTime<Utc>,
    ) -> StoreResult<Room>;
    /// Deletes the room and its participant rows; `false` if missing.
    async fn hard_delete(&self, id: &str) -> StoreResult<bool>;
    /// One page of the admin list and the total number of matches.
    async fn admin_list(&self, query: RoomQuery) -> StoreResult<(Vec<AdminRoom>, i64)>;
    /// Sets the live flag of the active room with this name and records activity.
    /// `false` when no active room has the name.
    async fn set_live(&self, name: &str, live: bool, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Records activity of the active room with this name, its live flag as it is.
    /// `false` when no active room has the name.
    async fn touch_activity(&self, name: &str, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Sets only the live flag of the active room with this name: the sweep's correction
    /// (the sweep never rewrites room fields). `false` when no active room has the name.
    async fn correct_live(&self, name: &str, live: bool) -> StoreResult<bool>;
    /// Deactivates non-persistent, not-live active rooms whose `expires_at` passed.
    async fn deactivate_expired(&self, now: DateTime<Utc>) -> StoreResult<u64>;
    /// Deactivates non-persistent, not-live active rooms idle since before `idle_before`,
    /// with all their participant rows.
    async fn deactivate_idle(
        &self,
        idle_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
}

/// A change to a participant row; `None` fields are left alone (or take the default
/// of a new row).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParticipantChange {
    pub active: Option<bool>,
    pub moderator: Option<bool>,
    pub banned: Option<bool>,
    pub on_stage: Option<bool>,
}

/// Room membership rows.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ParticipantStore: Send + Sync {
    /// The row of this identity in this room.
    async fn get(&self, room_id: &str, identity: &str) -> StoreResult<Option<Participant>>;
    /// Every row of the room.
    async fn list(&self, room_id: &str) -> StoreResult<Vec<Participant>>;
    /// Active, non-banned rows of the room other than `except`'s.
    async fn count_active(&self, room_id: &str, except: Option<String>) -> StoreResult<i64>;
    /// In one transaction: when `capacity` is given, counts the other active, non-banned
    /// rows and refuses (`false`) at or over it; else activates the row (`joined_at` = now,
    /// `left_at` = null, created if missing) and records room activity.
    async fn admit(
        &self,
        room_id: &str,
        identity: &str,
        capacity: Option<i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Upserts the row with the given flags; deactivation also sets `left_at`.
    async fn apply(
        &self,
        room_id: &str,
        identity: &str,
        change: ParticipantChange,
        now: DateTime<Utc>,
    ) -> StoreResult<Participant>;
    /// Deactivates every active row of the room (`left_at` = now); returns how many.
    async fn deactivate_all(&self, room_id: &str, now: DateTime<Utc>) -> StoreResult<u64>;
}

/// WebAuthn credentials.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait PasskeyStore: Send + Sync {
    /// Stores a credential. Errors: `Conflict("credential_id")`.
    async fn insert(&self, passkey: Passkey) -> StoreResult<()>;
    /// In one transaction: creates the user and their first credential.
    /// Errors: `Conflict("user_email")`, `Conflict("credential_id")`.
    async fn insert_with_user(&self, user: User, passkey: Passkey) -> StoreResult<User>;
    /// The user's credentials, newest first.
    async fn list_for_user(&self, user_id: &str) -> StoreResult<Vec<Passkey>>;
    /// The credential with this raw id.
    async fn find_by_credential_id(&self, credential_id: &[u8]) -> StoreResult<Option<Passkey>>;
    /// Records a successful assertion.
    async fn record_use(
        &self,
        id: &str,
        sign_count: i64,
        credential: String,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Deletes one of the user's credentials; `false` if it is not theirs or missing.
    async fn delete(&self, id: &str, user_id: &str) -> StoreResult<bool>;
}

/// Passkey ceremonies and OAuth flows.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait CeremonyStore: Send + Sync {
    /// Stores a ceremony. Errors: `Conflict("ceremony_id")`.
    async fn insert(&self, ceremony: Ceremony) -> StoreResult<()>;
    /// The unexpired ceremony with this id.
    async fn get(&self, id: &str, now: DateTime<Utc>) -> StoreResult<Option<Ceremony>>;
    /// Deletes the ceremony; `true` only for the one caller that removed it (single use).
    async fn consume(&self, id: &str) -> StoreResult<bool>;
    /// Counts a failed finish and deletes the ceremony at `max_failures`.
    async fn record_failure(&self, id: &str, max_failures: i32) -> StoreResult<()>;
    /// Deletes expired ceremonies.
    async fn purge_expired(&self, now: DateTime<Utc>) -> StoreResult<u64>;
}

/// External sign-in identities.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait IdentityStore: Send + Sync {
    /// The identity with this (provider, subject).
    async fn find(&self, provider: &str, subject: &str) -> StoreResult<Option<OAuthIdentity>>;
    /// Links an identity. Errors: `Conflict("identity")`.
    async fn insert(&self, identity: OAuthIdentity) -> StoreResult<()>;
    /// In one transaction: creates the user and links the identity.
    async fn insert_with_user(&self, user: User, identity: OAuthIdentity) -> StoreResult<User>;
    /// Refreshes name and avatar from the provider's profile.
    async fn refresh_profile(
        &self,
        user_id: &str,
        name: String,
        avatar_url: String,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
}

/// The runtime settings row.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait SettingsStore: Send + Sync {
    /// The current overrides (all `None` when the row is absent).
    async fn get(&self) -> StoreResult<RuntimeSettings>;
}

/// Liveness of the database.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait DatabaseHealth: Send + Sync {
    /// Runs a trivial query. Errors: `Unavailable`.
    async fn ping(&self) -> StoreResult<()>;
}
