//! Translation of diesel errors into the ports' `StoreError`.

use bedrud_ports::StoreError;
use diesel::result::{DatabaseErrorKind, Error};

/// Maps a driver error; a unique violation becomes `Conflict(what)`.
pub fn store_err(what: &'static str) -> impl Fn(Error) -> StoreError {
    move |e| match e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => StoreError::Conflict(what),
        Error::NotFound => StoreError::NotFound,
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
            StoreError::Unavailable(anyhow::anyhow!("connection closed: {}", info.message()))
        }
        Error::DatabaseError(_, info) if info.message().contains("database is locked") => {
            StoreError::Unavailable(anyhow::anyhow!("{}", info.message()))
        }
        other => StoreError::Other(anyhow::Error::new(other)),
    }
}

/// Maps a driver error where no uniqueness conflict is expected.
pub fn db_err(e: Error) -> StoreError {
    store_err("row")(e)
}

/// Unique violations on `users` come from the id or the (email, provider) index.
pub fn user_insert_err(e: Error) -> StoreError {
    if let Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) = &e {
        let text = format!(
            "{} {}",
            info.message(),
            info.constraint_name().unwrap_or_default()
        );
        return if text.contains("email") {
            StoreError::Conflict("user_email")
        } else {
            StoreError::Conflict("user_id")
        };
    }
    db_err(e)
}

/// Errors raised inside a transaction: either the driver's or a decision to roll back.
#[derive(Debug)]
pub enum TxError {
    Db(Error),
    Store(StoreError),
}

impl From<Error> for TxError {
    fn from(e: Error) -> Self {
        TxError::Db(e)
    }
}

impl From<StoreError> for TxError {
    fn from(e: StoreError) -> Self {
        TxError::Store(e)
    }
}

impl TxError {
    /// Resolves into a store error, mapping driver errors with `map`.
    pub fn into_store(self, map: impl Fn(Error) -> StoreError) -> StoreError {
        match self {
            TxError::Db(e) => map(e),
            TxError::Store(e) => e,
        }
    }
}
