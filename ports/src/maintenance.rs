//! Stores the background jobs and the metrics endpoint need beyond the per-request ones:
//! the room sweep's reconciliation queries and a census of sessions, rooms and participants.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::StoreResult;

/// An active room the sweep must reconcile with the media server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepRoom {
    pub id: String,
    pub name: String,
    pub is_live: bool,
    /// Active participant rows (banned ones included).
    pub active_participants: i64,
}

/// The room sweep's queries (API §5.2).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait SweepStore: Send + Sync {
    /// Active, unarchived rooms that are flagged live, have an active participant row, or
    /// are named in `running` (the media server's rooms). Errors: `Unavailable`, `Other`.
    async fn sweep_candidates(&self, running: Vec<String>) -> StoreResult<Vec<SweepRoom>>;
    /// Deactivates (`left_at` = now) the active participant rows of the room whose identity
    /// is not in `connected` and that joined before `joined_before` (or never); returns
    /// how many. Errors: `Unavailable`, `Other`.
    async fn deactivate_stale(
        &self,
        room_id: &str,
        connected: Vec<String>,
        joined_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
}

/// Counts for the metrics endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Census {
    /// Unrevoked, unexpired sessions.
    pub active_sessions: i64,
    /// Active, unarchived rooms (live ones included).
    pub active_rooms: i64,
    /// Active rooms LiveKit reports running.
    pub live_rooms: i64,
    /// Inactive (expired or idle), unarchived rooms.
    pub inactive_rooms: i64,
    /// Archived rooms.
    pub archived_rooms: i64,
    /// Active, non-banned participant rows.
    pub active_participants: i64,
}

/// Counts of what the database holds.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait CensusStore: Send + Sync {
    /// The counts as of `now`. Errors: `Unavailable`, `Other`.
    async fn census(&self, now: DateTime<Utc>) -> StoreResult<Census>;
}
