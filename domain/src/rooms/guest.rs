//! `POST /api/room/guest-join` (API §3.5): a cookie-identified guest joins a room and
//! gets a session. The HTTP layer owns the `bedrud_guest_id` cookie and passes the
//! identity in.

use bedrud_ports::{Access, IdSource, Room, User, provider};

use super::join::is_banned;
use super::{BANNED, ROOM_GONE, ROOM_PRIVATE, Rooms, private_admits};
use crate::error::{DomainError, DomainResult};
use crate::grants::Joiner;
use crate::principal::ClientInfo;
use crate::sessions::ACCOUNT_DEACTIVATED;
use crate::tokens::TokenPair;
use crate::validation::sanitize_name;

/// Prefix of guest-join identities.
const GUEST_PREFIX: &str = "guest-";
/// Characters of the random part of a guest identity.
const GUEST_ALPHABET: &str = "abcdefghijklmnopqrstuvwxyz0123456789";
/// Length of the random part of a guest identity.
const GUEST_SUFFIX_LEN: usize = 8;
/// Longest guest name, in bytes.
const GUEST_NAME_MAX_BYTES: usize = 50;

/// A new guest identity: `guest-` and 8 random `a-z0-9`.
pub fn new_guest_identity(ids: &dyn IdSource) -> String {
    format!(
        "{GUEST_PREFIX}{}",
        ids.random_string(GUEST_ALPHABET, GUEST_SUFFIX_LEN)
    )
}

/// Whether `identity` has the form of a guest-join identity.
pub fn is_guest_identity(identity: &str) -> bool {
    identity.strip_prefix(GUEST_PREFIX).is_some_and(|rest| {
        rest.len() == GUEST_SUFFIX_LEN
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// `POST /api/room/guest-join` input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuestJoin {
    /// The verified cookie identity, or a fresh [`new_guest_identity`].
    pub identity: String,
    /// As sent; sanitised here.
    pub guest_name: String,
    pub room_name: String,
}

/// A guest in a room: the room, their LiveKit token, their user row and session tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct GuestJoined {
    pub room: Room,
    pub token: String,
    pub user: User,
    pub tokens: TokenPair,
}

impl Rooms {
    /// A new guest identity for a caller without a valid cookie.
    pub fn new_guest_identity(&self) -> String {
        new_guest_identity(self.ports.ids.as_ref())
    }

    /// Joins a guest. Errors in order: 400 `Guest name is required` · `Guest name too
    /// long (max 50 characters)`; 403 `Guest login is currently disabled`; 404 `Room
    /// not found`; 403 `This room is private`; 410 `room is no longer active`; 403 `you
    /// are banned from this room` · `Account is deactivated` · `room is full`; 502.
    pub async fn guest_join(
        &self,
        input: GuestJoin,
        client: &ClientInfo,
    ) -> DomainResult<GuestJoined> {
        let name = sanitize_name(&input.guest_name);
        if name.is_empty() {
            return Err(DomainError::invalid("Guest name is required"));
        }
        if name.len() > GUEST_NAME_MAX_BYTES {
            return Err(DomainError::invalid(
                "Guest name too long (max 50 characters)",
            ));
        }
        let runtime = self.ports.settings.get().await?;
        if !self
            .sessions
            .policy()
            .effective(&runtime)
            .guest_login_enabled
        {
            return Err(DomainError::forbidden("Guest login is currently disabled"));
        }
        let identity = input.identity.as_str();
        if !is_guest_identity(identity) {
            // Never let a caller-chosen id overwrite a real account via the guest upsert.
            return Err(DomainError::Internal(anyhow::anyhow!(
                "guest-join with a non-guest identity"
            )));
        }
        let (room, row) = self.room_and_row(&input.room_name, identity).await?;
        if !room.is_public && !private_admits(&room, identity, row.as_ref()) {
            return Err(DomainError::forbidden(ROOM_PRIVATE));
        }
        if !room.is_active {
            return Err(DomainError::gone(ROOM_GONE));
        }
        if is_banned(row.as_ref()) {
            return Err(DomainError::forbidden(BANNED));
        }

        let now = self.ports.clock.now();
        let user = self
            .ports
            .users
            .upsert_guest(User {
                id: identity.to_owned(),
                email: format!("{identity}@bedrud.guest"),
                name: name.clone(),
                avatar_url: String::new(),
                provider: provider::GUEST.to_owned(),
                accesses: vec![Access::Guest],
                is_active: true,
                password_hash: None,
                email_verified_at: None,
                password_changed_at: None,
                created_at: now,
                updated_at: now,
            })
            .await?;
        if !user.is_active {
            return Err(DomainError::forbidden(ACCOUNT_DEACTIVATED));
        }
        self.admit(&room, identity).await?;
        let tokens = self.sessions.issue(&user, client).await?;
        let joiner = Joiner {
            identity,
            name: &name,
            accesses: &user.accesses,
        };
        let token = self.mint(&room, &joiner, row.as_ref())?;
        Ok(GuestJoined {
            room,
            token,
            user,
            tokens,
        })
    }
}
