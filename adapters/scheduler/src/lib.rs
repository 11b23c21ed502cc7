//! Bedrud's scheduled jobs: tokio-cron-scheduler fires each configured job, which calls
//! the domain's `Maintenance` use case. Every run is claimed in the database first (one
//! run per tick across instances, never overlapping; see `JobLock`), logged with its name,
//! duration and rows changed, and reported to an optional observer (metrics). A failing
//! run is logged and the scheduler keeps going.
#![forbid(unsafe_code)]

mod runner;
mod tick;

use std::sync::Arc;
use std::time::Duration;

use bedrud_domain::{Maintenance, MaintenanceJob};
use bedrud_ports::{JobLock, JobObserver, JobStatus};
use chrono::Utc;
use tokio_cron_scheduler::{Job, JobScheduler};

pub use runner::RunReport;
pub use tick::{parse as parse_schedule, tick_at};

use runner::Runner;

/// The names of every job, as configured (`jobs.<name>`) and listed by `bedrud jobs list`.
pub const JOB_NAMES: [&str; 3] = [
    MaintenanceJob::RoomSweep.name(),
    MaintenanceJob::Cleanup.name(),
    MaintenanceJob::GuestCleanup.name(),
];

/// How long [`SchedulerHandle::shutdown`] waits for runs in progress.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// One job's configuration: `jobs.<name>.enabled` and `jobs.<name>.schedule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSchedule {
    pub name: String,
    pub enabled: bool,
    /// Six-field cron expression, seconds first (e.g. `"0 * * * * *"`), in UTC.
    pub cron: String,
}

impl JobSchedule {
    /// A schedule for `name`.
    pub fn new(name: &str, enabled: bool, cron: &str) -> Self {
        JobSchedule {
            name: name.to_owned(),
            enabled,
            cron: cron.to_owned(),
        }
    }
}

/// The jobs of one server instance, ready to start.
pub struct Scheduler {
    maintenance: Arc<Maintenance>,
    lock: Arc<dyn JobLock>,
    observer: Option<Arc<dyn JobObserver>>,
    instance: String,
    schedules: Vec<JobSchedule>,
    runner: Arc<Runner>,
}

/// A started scheduler; stop it with [`SchedulerHandle::shutdown`].
pub struct SchedulerHandle {
    cron: JobScheduler,
    runner: Arc<Runner>,
}

impl Scheduler {
    /// Jobs over `maintenance`, claimed through `lock`, on `schedules`.
    pub fn new(
        maintenance: Arc<Maintenance>,
        lock: Arc<dyn JobLock>,
        schedules: Vec<JobSchedule>,
    ) -> Self {
        let instance = default_instance();
        let runner = Arc::new(Runner::new(
            maintenance.clone(),
            lock.clone(),
            None,
            instance.clone(),
        ));
        Scheduler {
            maintenance,
            lock,
            observer: None,
            instance,
            schedules,
            runner,
        }
    }

    /// The same scheduler reporting every tick to `observer` (e.g. the metrics).
    pub fn with_observer(mut self, observer: Arc<dyn JobObserver>) -> Self {
        self.observer = Some(observer);
        self.rebuilt()
    }

    /// The same scheduler recording runs under `instance` (default: pid and a random id).
    pub fn with_instance(mut self, instance: &str) -> Self {
        self.instance = instance.to_owned();
        self.rebuilt()
    }

    fn rebuilt(mut self) -> Self {
        self.runner = Arc::new(Runner::new(
            self.maintenance.clone(),
            self.lock.clone(),
            self.observer.clone(),
            self.instance.clone(),
        ));
        self
    }

    /// Every job name, in listing order.
    pub fn names() -> &'static [&'static str] {
        &JOB_NAMES
    }

    /// This instance's name in the run records.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Checks the schedules: known job names, valid cron expressions for enabled jobs.
    pub fn validate(&self) -> anyhow::Result<()> {
        for s in &self.schedules {
            job_named(&s.name)?;
            if s.enabled {
                tick::parse(&s.cron)
                    .map_err(|e| anyhow::anyhow!("jobs.{}.schedule: {e}", s.name))?;
            }
        }
        Ok(())
    }

    /// Validates the schedules and starts firing the enabled jobs.
    pub async fn start(self) -> anyhow::Result<SchedulerHandle> {
        self.validate()?;
        let cron = JobScheduler::new()
            .await
            .map_err(|e| anyhow::anyhow!("cannot create the job scheduler: {e}"))?;
        for s in &self.schedules {
            let job = job_named(&s.name)?;
            if !s.enabled {
                tracing::info!(job = job.name(), "job disabled");
                continue;
            }
            let schedule = Arc::new(tick::parse(&s.cron)?);
            let runner = self.runner.clone();
            let fire = Job::new_async(s.cron.trim(), move |_id, _scheduler| {
                let runner = runner.clone();
                let schedule = schedule.clone();
                Box::pin(async move {
                    let tick = tick::tick_at(&schedule, Utc::now());
                    runner.run(job, tick).await;
                })
            })
            .map_err(|e| anyhow::anyhow!("jobs.{}.schedule {:?}: {e}", s.name, s.cron))?;
            cron.add(fire)
                .await
                .map_err(|e| anyhow::anyhow!("cannot schedule {}: {e}", s.name))?;
            tracing::info!(job = job.name(), schedule = %s.cron, "job scheduled");
        }
        cron.start()
            .await
            .map_err(|e| anyhow::anyhow!("cannot start the job scheduler: {e}"))?;
        Ok(SchedulerHandle {
            cron,
            runner: self.runner,
        })
    }

    /// Runs one job now, by name (`bedrud jobs run <name>`), under the same claim as a
    /// scheduled run. Errors: unknown name; the run failed.
    pub async fn run_once(&self, name: &str) -> anyhow::Result<RunReport> {
        let job = job_named(name)?;
        let report = self.runner.run(job, tick::micros(Utc::now())).await;
        if report.status == JobStatus::Failed {
            anyhow::bail!("{report}");
        }
        Ok(report)
    }
}

impl SchedulerHandle {
    /// Stops firing jobs and waits (up to [`SHUTDOWN_GRACE`]) for runs in progress.
    pub async fn shutdown(mut self) {
        if let Err(e) = self.cron.shutdown().await {
            tracing::warn!(error = %e, "job scheduler did not shut down cleanly");
        }
        let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
        while self.runner.busy() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if self.runner.busy() {
            tracing::warn!("jobs still running at shutdown");
        }
    }
}

/// The job called `name`, or an error naming the known ones.
fn job_named(name: &str) -> anyhow::Result<MaintenanceJob> {
    MaintenanceJob::parse(name)
        .ok_or_else(|| anyhow::anyhow!("unknown job {name:?} (known: {})", JOB_NAMES.join(", ")))
}

/// `pid<pid>-<8 hex>`: distinct per process, readable in the run records.
fn default_instance() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("pid{}-{}", std::process::id(), &id[..8])
}

#[cfg(test)]
mod tests;
