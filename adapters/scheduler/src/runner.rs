//! One tick of one job: keep this instance's runs apart, claim the tick in the database,
//! run the use case, record and log the outcome, tell the observer.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bedrud_domain::{JobReport, Maintenance, MaintenanceJob};
use bedrud_ports::{JobLock, JobObserver, JobOutcome, JobRun, JobStatus};
use chrono::{DateTime, Utc};

use crate::tick::micros;

/// What one tick of a job did on this instance.
#[derive(Debug)]
pub struct RunReport {
    pub job: MaintenanceJob,
    pub status: JobStatus,
    /// Time spent, claim included; zero when the job did not run here.
    pub duration: Duration,
    /// The use case's report, when it ran to completion.
    pub report: Option<JobReport>,
    /// The failure, when it failed.
    pub error: Option<String>,
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let job = self.job.name();
        let ms = self.duration.as_millis();
        match (self.status, &self.report) {
            (JobStatus::Succeeded, Some(r)) => write!(
                f,
                "{job}: ok in {ms} ms, {} rows changed ({})",
                r.rows(),
                r.summary()
            ),
            (JobStatus::Skipped, Some(r)) => write!(
                f,
                "{job}: skipped in {ms} ms: {}",
                r.skipped.as_deref().unwrap_or_default()
            ),
            (JobStatus::Elsewhere, _) => write!(
                f,
                "{job}: not run: another instance is running it or already ran this tick"
            ),
            (JobStatus::Busy, _) => write!(f, "{job}: not run: the previous run is still going"),
            _ => write!(
                f,
                "{job}: failed after {ms} ms: {}",
                self.error.as_deref().unwrap_or("unknown error")
            ),
        }
    }
}

/// Shared by the cron callbacks and manual runs.
pub struct Runner {
    maintenance: Arc<Maintenance>,
    lock: Arc<dyn JobLock>,
    observer: Option<Arc<dyn JobObserver>>,
    instance: String,
    running: HashMap<MaintenanceJob, AtomicBool>,
}

/// Clears a job's running flag however the run ends.
struct Running<'a>(&'a AtomicBool);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl Runner {
    /// A runner for this instance.
    pub fn new(
        maintenance: Arc<Maintenance>,
        lock: Arc<dyn JobLock>,
        observer: Option<Arc<dyn JobObserver>>,
        instance: String,
    ) -> Self {
        Runner {
            maintenance,
            lock,
            observer,
            instance,
            running: MaintenanceJob::ALL
                .into_iter()
                .map(|job| (job, AtomicBool::new(false)))
                .collect(),
        }
    }

    /// Whether any job is running on this instance.
    pub fn busy(&self) -> bool {
        self.running.values().any(|r| r.load(Ordering::Acquire))
    }

    /// Runs `job` for `tick` unless it is still running here, or another instance holds it
    /// or ran the tick. Logs one line and notifies the observer.
    pub async fn run(&self, job: MaintenanceJob, tick: DateTime<Utc>) -> RunReport {
        let report = self.run_quietly(job, tick).await;
        log(&report, tick);
        if let Some(observer) = &self.observer {
            observer.observe(job.name(), report.status, report.duration);
        }
        report
    }

    async fn run_quietly(&self, job: MaintenanceJob, tick: DateTime<Utc>) -> RunReport {
        let not_run = |status| RunReport {
            job,
            status,
            duration: Duration::ZERO,
            report: None,
            error: None,
        };
        let Some(flag) = self.running.get(&job) else {
            return not_run(JobStatus::Busy);
        };
        if flag
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return not_run(JobStatus::Busy);
        }
        let _running = Running(flag);
        let started = Instant::now();
        let run = JobRun {
            id: uuid::Uuid::new_v4().to_string(),
            job: job.name().to_owned(),
            tick,
            instance: self.instance.clone(),
            started_at: micros(Utc::now()),
            finished_at: None,
            rows: None,
            error: None,
        };
        let lease = match self.lock.claim(run).await {
            Ok(Some(lease)) => lease,
            Ok(None) => return not_run(JobStatus::Elsewhere),
            Err(e) => {
                return RunReport {
                    error: Some(format!("cannot claim the run: {:#}", anyhow::Error::new(e))),
                    duration: started.elapsed(),
                    ..not_run(JobStatus::Failed)
                };
            }
        };
        // A task of its own, so that a panic is a failed run rather than a lost lease.
        let maintenance = self.maintenance.clone();
        let result = tokio::spawn(async move { maintenance.run(job).await }).await;
        let (status, report, error) = match result {
            Ok(Ok(r)) if r.skipped.is_some() => (JobStatus::Skipped, Some(r), None),
            Ok(Ok(r)) => (JobStatus::Succeeded, Some(r), None),
            Ok(Err(e)) => (
                JobStatus::Failed,
                None,
                Some(format!("{:#}", anyhow::Error::new(e))),
            ),
            Err(e) => (
                JobStatus::Failed,
                None,
                Some(format!("job task ended: {e}")),
            ),
        };
        let outcome = JobOutcome {
            finished_at: micros(Utc::now()),
            rows: report
                .as_ref()
                .map(|r| i64::try_from(r.rows()).unwrap_or(i64::MAX)),
            error: error.clone(),
        };
        if let Err(e) = lease.finish(outcome).await {
            tracing::warn!(job = job.name(), error = %format!("{:#}", anyhow::Error::new(e)), "cannot record the job run");
        }
        RunReport {
            job,
            status,
            duration: started.elapsed(),
            report,
            error,
        }
    }
}

/// The one log line of a tick.
fn log(r: &RunReport, tick: DateTime<Utc>) {
    let job = r.job.name();
    let duration_ms = (r.duration.as_secs_f64() * 10_000.0).round() / 10.0;
    let tick = tick.to_rfc3339();
    match (r.status, &r.report) {
        (JobStatus::Succeeded, Some(report)) => tracing::info!(
            job,
            %tick,
            duration_ms,
            rows = report.rows(),
            changes = %report.summary(),
            "job finished"
        ),
        (JobStatus::Skipped, Some(report)) => tracing::warn!(
            job,
            %tick,
            duration_ms,
            rows = 0,
            reason = report.skipped.as_deref().unwrap_or_default(),
            "job skipped"
        ),
        (JobStatus::Elsewhere, _) => {
            tracing::debug!(job, %tick, "job tick taken by another instance")
        }
        (JobStatus::Busy, _) => {
            tracing::warn!(job, %tick, "job still running from the previous tick; tick skipped")
        }
        _ => tracing::error!(
            job,
            %tick,
            duration_ms,
            error = r.error.as_deref().unwrap_or_default(),
            "job failed"
        ),
    }
}
