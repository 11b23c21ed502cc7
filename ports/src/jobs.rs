//! Scheduled-job bookkeeping: claiming a run so that each tick runs once across every
//! instance on one database, recording its outcome, and observing runs for metrics.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::StoreResult;

/// One run of a scheduled job, as recorded in the `job_runs` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRun {
    pub id: String,
    /// The job's name (`room_sweep`, `cleanup`, `guest_cleanup`).
    pub job: String,
    /// The scheduled time this run belongs to; a manual run uses its start time.
    pub tick: DateTime<Utc>,
    /// Which server instance ran it.
    pub instance: String,
    pub started_at: DateTime<Utc>,
    /// `None` while the run is in progress (or when its instance died mid-run).
    pub finished_at: Option<DateTime<Utc>>,
    /// Rows the run changed; `None` while running or after a failure.
    pub rows: Option<i64>,
    /// The failure, when the run failed.
    pub error: Option<String>,
}

/// How a claimed run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobOutcome {
    pub finished_at: DateTime<Utc>,
    pub rows: Option<i64>,
    pub error: Option<String>,
}

/// A claimed run: while it is held no other instance runs the job. Dropping it without
/// [`JobLease::finish`] releases the lock as well (the run stays unfinished in the record).
#[async_trait]
pub trait JobLease: Send {
    /// Records the outcome and releases the lock. Errors: `Unavailable`, `Other`.
    async fn finish(self: Box<Self>, outcome: JobOutcome) -> StoreResult<()>;
}

/// Claims job runs so that, however many instances run the scheduler, each tick of a job
/// runs once and never concurrently with another run of the same job.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait JobLock: Send + Sync {
    /// Records `run` as started and returns its lease, or `None` when another instance
    /// holds the job (PostgreSQL advisory lock) or already claimed the same tick.
    /// Errors: `Unavailable`, `Other`.
    async fn claim(&self, run: JobRun) -> StoreResult<Option<Box<dyn JobLease>>>;
}

/// The record of job runs.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait JobRunStore: Send + Sync {
    /// Runs of `job` whose tick is at or after `since`, oldest tick first.
    async fn list_runs(&self, job: &str, since: DateTime<Utc>) -> StoreResult<Vec<JobRun>>;
    /// Deletes the record of runs started before `before`; returns how many.
    async fn purge_runs(&self, before: DateTime<Utc>) -> StoreResult<u64>;
}

/// How one tick of a job ended on this instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// The job ran and succeeded.
    Succeeded,
    /// The job ran and failed.
    Failed,
    /// The job ran but did nothing by design (e.g. LiveKit unreachable).
    Skipped,
    /// Another instance ran this tick or was running the job.
    Elsewhere,
    /// The previous run on this instance had not finished.
    Busy,
}

impl JobStatus {
    /// The status as a metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Succeeded => "ok",
            JobStatus::Failed => "failed",
            JobStatus::Skipped => "skipped",
            JobStatus::Elsewhere => "elsewhere",
            JobStatus::Busy => "busy",
        }
    }

    /// Whether this instance actually ran the job.
    pub fn ran(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Skipped
        )
    }
}

/// Receives the outcome of every tick (the metrics adapter implements it).
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait JobObserver: Send + Sync {
    /// One tick of `job` ended with `status` after `duration` (zero when it did not run).
    fn observe(&self, job: &str, status: JobStatus, duration: Duration);
}
