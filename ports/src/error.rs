//! Errors of the persistence ports.

/// What a store can report. Adapters translate driver errors into these.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row the operation needs does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness invariant of the schema would be violated.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The database cannot be reached or the pool is exhausted.
    #[error("database unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// Anything else the driver reported.
    #[error("database error")]
    Other(#[source] anyhow::Error),
}

/// Result alias for store operations.
pub type StoreResult<T> = Result<T, StoreError>;
