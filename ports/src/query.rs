//! Validated list queries for the admin pages. The domain builds them from request
//! parameters; stores translate them to SQL.

use chrono::{DateTime, Utc};

use crate::model::Access;

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    Asc,
    #[default]
    Desc,
}

/// Sort key of the admin user list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserSort {
    Name,
    Email,
    Provider,
    #[default]
    CreatedAt,
}

/// `GET /api/admin/users` after validation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserQuery {
    /// Case-insensitive substring of name or email, matched literally.
    pub q: Option<String>,
    pub providers: Vec<String>,
    pub roles: Vec<Access>,
    /// `Some(true)` = active only, `Some(false)` = inactive only.
    pub active: Option<bool>,
    pub verified: Option<bool>,
    pub created_since: Option<DateTime<Utc>>,
    pub sort: UserSort,
    pub order: Order,
    pub offset: i64,
    pub limit: i64,
}

/// Room state buckets of the admin room list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomStatus {
    Active,
    /// Inactive but not archived.
    Suspended,
    Archived,
}

/// Occupancy / capacity buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountBucket {
    Empty,
    OneToFive,
    SixToTwenty,
    OverTwenty,
}

impl CountBucket {
    /// Inclusive bounds; `None` = unbounded above.
    pub fn bounds(self) -> (i64, Option<i64>) {
        match self {
            CountBucket::Empty => (0, Some(0)),
            CountBucket::OneToFive => (1, Some(5)),
            CountBucket::SixToTwenty => (6, Some(20)),
            CountBucket::OverTwenty => (21, None),
        }
    }
}

/// Sort key of the admin room list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RoomSort {
    Name,
    #[default]
    CreatedAt,
    MaxParticipants,
    ParticipantsCount,
    LastActivityAt,
    CreatedBy,
}

/// `GET /api/admin/rooms` after validation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoomQuery {
    pub q: Option<String>,
    pub owner: Option<String>,
    /// `Some(true)` = public only.
    pub public: Option<bool>,
    pub statuses: Vec<RoomStatus>,
    pub occupancy: Option<CountBucket>,
    pub capacity: Option<CountBucket>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub activity_from: Option<DateTime<Utc>>,
    pub activity_to: Option<DateTime<Utc>>,
    pub sort: RoomSort,
    pub order: Order,
    pub offset: i64,
    pub limit: i64,
}
