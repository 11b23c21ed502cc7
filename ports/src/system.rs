//! Clock and identifier source: the two sources of non-determinism the core uses.

use chrono::{DateTime, Utc};

/// Current time, truncated to microseconds (the precision both databases keep).
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// Source of identifiers and random tokens.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait IdSource: Send + Sync {
    /// A new UUID v4 in its hyphenated lowercase form.
    fn uuid(&self) -> String;
    /// `len` random characters drawn from `alphabet` by a CSPRNG.
    fn random_string(&self, alphabet: &'static str, len: usize) -> String;
    /// `len` random bytes from a CSPRNG.
    fn random_bytes(&self, len: usize) -> Vec<u8>;
}
