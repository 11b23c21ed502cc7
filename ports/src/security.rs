//! Security ports: password hashing and session tokens.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Errors of the password hasher.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing failed")]
    Failed(#[source] anyhow::Error),
}

/// How a stored hash compared with a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Mismatch,
    Match,
    /// Matched a legacy hash: re-hash and store the new one.
    MatchNeedsRehash,
}

/// Slow password hashing, run off the request threads.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// A new PHC hash of `password`.
    async fn hash(&self, password: String) -> Result<String, HashError>;
    /// Compares `password` with `hash`; `None` hash costs the same work (no timing oracle).
    async fn verify(
        &self,
        password: String,
        hash: Option<String>,
    ) -> Result<Verification, HashError>;
}

/// Which use a session JWT is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    Access,
    Refresh,
}

/// The claims of Bedrud's access and refresh tokens (API §2.2), minus the fixed ones.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenClaims {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub provider: String,
    pub accesses: Vec<String>,
    pub kind: TokenKind,
    pub session_id: String,
    /// Unique id of a refresh token.
    pub jti: Option<String>,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// Errors of the token codec.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Bad signature, algorithm, issuer, audience, type or expiry.
    #[error("invalid token")]
    Invalid,
    #[error("token signing failed")]
    Signing(#[source] anyhow::Error),
}

/// Signs and verifies session JWTs.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait TokenCodec: Send + Sync {
    /// Signs the claims.
    fn sign(&self, claims: &TokenClaims) -> Result<String, TokenError>;
    /// Verifies signature, algorithm, issuer, audience, expiry and that the type is `kind`.
    fn verify(&self, token: &str, kind: TokenKind) -> Result<TokenClaims, TokenError>;
}
