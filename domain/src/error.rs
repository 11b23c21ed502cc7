//! The one error type of every use case. Variants carry the client-facing message;
//! the HTTP adapter maps each variant to a status in one place.

use bedrud_ports::{HashError, StoreError, TokenError};

/// What a use case can fail with.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// 400: the input breaks a rule.
    #[error("{0}")]
    Invalid(String),
    /// 401: not signed in, or the credentials are wrong.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: signed in but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404: the thing does not exist (or must not be revealed).
    #[error("{0}")]
    NotFound(String),
    /// 409: the change conflicts with current state.
    #[error("{0}")]
    Conflict(String),
    /// 410: the thing existed but is no longer active.
    #[error("{0}")]
    Gone(String),
    /// 429: too many requests.
    #[error("too many requests")]
    TooMany,
    /// 502: the media server could not be reached.
    #[error("Media server unavailable")]
    MediaUnavailable(#[source] anyhow::Error),
    /// 503: the database could not be reached.
    #[error("Service unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// 500: anything unexpected; the cause is logged, never shown.
    #[error("Internal server error")]
    Internal(#[source] anyhow::Error),
}

impl DomainError {
    pub fn invalid(msg: impl Into<String>) -> Self {
        DomainError::Invalid(msg.into())
    }
    pub fn unauthorized(msg: impl Into<String>) -> Self {
        DomainError::Unauthorized(msg.into())
    }
    pub fn forbidden(msg: impl Into<String>) -> Self {
        DomainError::Forbidden(msg.into())
    }
    pub fn not_found(msg: impl Into<String>) -> Self {
        DomainError::NotFound(msg.into())
    }
    pub fn conflict(msg: impl Into<String>) -> Self {
        DomainError::Conflict(msg.into())
    }
    pub fn gone(msg: impl Into<String>) -> Self {
        DomainError::Gone(msg.into())
    }
}

impl From<StoreError> for DomainError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(cause) => DomainError::Unavailable(cause),
            StoreError::NotFound => {
                DomainError::Internal(anyhow::anyhow!("unexpected missing row"))
            }
            StoreError::Conflict(what) => {
                DomainError::Internal(anyhow::anyhow!("unexpected conflict on {what}"))
            }
            StoreError::Other(cause) => DomainError::Internal(cause),
        }
    }
}

impl From<HashError> for DomainError {
    fn from(e: HashError) -> Self {
        DomainError::Internal(e.into())
    }
}

impl From<TokenError> for DomainError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Invalid => DomainError::unauthorized("Invalid token"),
            TokenError::Signing(cause) => DomainError::Internal(cause),
        }
    }
}

/// Result alias of the use cases.
pub type DomainResult<T> = Result<T, DomainError>;
