//! Who is calling: the authenticated user and session, and where the request came from.

use bedrud_ports::{Access, User};

/// An authenticated caller: the user's current row (current accesses, not the token's
/// claims) and the session the access token belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    /// The user row as loaded by the per-request check.
    pub user: User,
    /// The session (`sid`) of the access token.
    pub session_id: String,
}

impl Principal {
    /// The caller's user id.
    pub fn user_id(&self) -> &str {
        &self.user.id
    }

    /// Whether the caller holds `superadmin` now.
    pub fn is_superadmin(&self) -> bool {
        self.user.has(Access::Superadmin)
    }

    /// Whether the caller is a guest (provider `guest`).
    pub fn is_guest(&self) -> bool {
        self.user.is_guest()
    }
}

/// Request metadata recorded on sessions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    /// Client IP as resolved by the HTTP layer.
    pub ip: String,
    /// `User-Agent` header, or empty.
    pub user_agent: String,
}
