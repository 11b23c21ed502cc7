//! The `Maintenance` use case: the background jobs (API §2.4, §5.2, §7 `[jobs]`) and the
//! census behind the metrics. Each job reads the time once from the clock, changes the
//! database through the stores and reports how many rows it changed.

mod sweep;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use bedrud_ports::{
    Census, CensusStore, CeremonyStore, Clock, JobRunStore, MediaServer, RoomStore, SessionStore,
    SweepStore, UserStore,
};
use chrono::TimeDelta;

use crate::error::DomainResult;

/// The scheduled jobs, by their configuration names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MaintenanceJob {
    /// Every minute: reconcile rooms and participants with LiveKit, apply expiry and idle.
    RoomSweep,
    /// Hourly: purge old sessions, expired ceremonies and old job records.
    Cleanup,
    /// Daily: delete guest users past retention that are in no active room.
    GuestCleanup,
}

impl MaintenanceJob {
    /// Every job, in `bedrud jobs list` order.
    pub const ALL: [MaintenanceJob; 3] = [
        MaintenanceJob::RoomSweep,
        MaintenanceJob::Cleanup,
        MaintenanceJob::GuestCleanup,
    ];

    /// The name used in configuration (`jobs.<name>`), logs and metrics.
    pub const fn name(self) -> &'static str {
        match self {
            MaintenanceJob::RoomSweep => "room_sweep",
            MaintenanceJob::Cleanup => "cleanup",
            MaintenanceJob::GuestCleanup => "guest_cleanup",
        }
    }

    /// The job with this name.
    pub fn parse(name: &str) -> Option<MaintenanceJob> {
        MaintenanceJob::ALL
            .into_iter()
            .find(|job| job.name() == name.trim())
    }

    /// One line on what the job does, for `bedrud jobs list`.
    pub fn describe(self) -> &'static str {
        match self {
            MaintenanceJob::RoomSweep => {
                "reconcile live flags and participants with LiveKit; deactivate expired and idle rooms"
            }
            MaintenanceJob::Cleanup => {
                "purge sessions expired or revoked over 7 days ago, expired passkey/OAuth ceremonies, old job records"
            }
            MaintenanceJob::GuestCleanup => {
                "delete guest users older than jobs.guest_retention_days that are in no active room"
            }
        }
    }
}

/// What one job run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobReport {
    pub job: MaintenanceJob,
    /// Rows changed, by kind, in the order they were changed.
    pub changes: Vec<(&'static str, u64)>,
    /// Why the job changed nothing by design (e.g. LiveKit unreachable).
    pub skipped: Option<String>,
}

impl JobReport {
    fn new(job: MaintenanceJob) -> Self {
        JobReport {
            job,
            changes: Vec::new(),
            skipped: None,
        }
    }

    fn skipped(job: MaintenanceJob, why: String) -> Self {
        JobReport {
            skipped: Some(why),
            ..JobReport::new(job)
        }
    }

    fn add(&mut self, what: &'static str, rows: u64) {
        self.changes.push((what, rows));
    }

    /// Every row the run changed.
    pub fn rows(&self) -> u64 {
        self.changes.iter().map(|(_, n)| n).sum()
    }

    /// `kind=n` pairs for the log line.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .changes
            .iter()
            .map(|(what, n)| format!("{what}={n}"))
            .collect();
        parts.join(" ")
    }
}

/// The knobs of the jobs; `Default` matches API §7 and §5.2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenancePolicy {
    /// `rooms.idle_timeout_minutes`: non-persistent rooms idle this long become inactive.
    pub idle_timeout_minutes: i64,
    /// `jobs.guest_retention_days`: guest users older than this may be deleted.
    pub guest_retention_days: i64,
    /// Sessions expired or revoked longer ago than this are deleted (also job records).
    pub session_retention_days: i64,
    /// An active participant row whose identity is not connected this long after
    /// `joinedAt` becomes inactive.
    pub participant_grace_secs: i64,
}

impl Default for MaintenancePolicy {
    fn default() -> Self {
        MaintenancePolicy {
            idle_timeout_minutes: 5,
            guest_retention_days: 7,
            session_retention_days: 7,
            participant_grace_secs: 120,
        }
    }
}

/// The ports the jobs use (cheap to clone).
#[derive(Clone)]
pub struct MaintenancePorts {
    pub rooms: Arc<dyn RoomStore>,
    pub sweep: Arc<dyn SweepStore>,
    pub users: Arc<dyn UserStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub ceremonies: Arc<dyn CeremonyStore>,
    pub job_runs: Arc<dyn JobRunStore>,
    pub census: Arc<dyn CensusStore>,
    pub media: Arc<dyn MediaServer>,
    pub clock: Arc<dyn Clock>,
}

/// Background maintenance of the database, and the census behind the metrics.
pub struct Maintenance {
    ports: MaintenancePorts,
    policy: MaintenancePolicy,
}

impl Maintenance {
    /// Wires the use case to its ports.
    pub fn new(ports: MaintenancePorts, policy: MaintenancePolicy) -> Self {
        Maintenance { ports, policy }
    }

    /// The configuration in force.
    pub fn policy(&self) -> &MaintenancePolicy {
        &self.policy
    }

    /// Runs one job. Errors: store failures (`Unavailable`, `Internal`); a media server
    /// that cannot be reached is no error but a skipped report.
    pub async fn run(&self, job: MaintenanceJob) -> DomainResult<JobReport> {
        match job {
            MaintenanceJob::RoomSweep => self.sweep_rooms().await,
            MaintenanceJob::Cleanup => self.cleanup().await,
            MaintenanceJob::GuestCleanup => self.cleanup_guests().await,
        }
    }

    /// Deletes sessions expired or revoked over the retention ago, expired passkey and
    /// OAuth ceremonies, and job records older than the retention.
    pub async fn cleanup(&self) -> DomainResult<JobReport> {
        let now = self.ports.clock.now();
        let before = now - TimeDelta::days(self.policy.session_retention_days);
        let mut report = JobReport::new(MaintenanceJob::Cleanup);
        report.add("sessions", self.ports.sessions.purge(before).await?);
        report.add(
            "ceremonies",
            self.ports.ceremonies.purge_expired(now).await?,
        );
        report.add("job_runs", self.ports.job_runs.purge_runs(before).await?);
        Ok(report)
    }

    /// Deletes guest users created before the retention that are in no active room.
    pub async fn cleanup_guests(&self) -> DomainResult<JobReport> {
        let now = self.ports.clock.now();
        let before = now - TimeDelta::days(self.policy.guest_retention_days);
        let mut report = JobReport::new(MaintenanceJob::GuestCleanup);
        report.add(
            "guests",
            self.ports.users.delete_stale_guests(before).await?,
        );
        Ok(report)
    }

    /// Sessions, rooms by state and participants, now. Errors: store failures.
    pub async fn census(&self) -> DomainResult<Census> {
        Ok(self.ports.census.census(self.ports.clock.now()).await?)
    }
}
