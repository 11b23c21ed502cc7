use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use bedrud_domain::{MaintenancePolicy, MaintenancePorts};
use bedrud_ports::*;
use chrono::DateTime;

use super::*;

/// Mocks that fail every purge (nothing else is expected).
fn failing_maintenance() -> Arc<Maintenance> {
    let mut sessions = MockSessionStore::new();
    sessions
        .expect_purge()
        .returning(|_| Err(StoreError::Unavailable(anyhow::anyhow!("db down"))));
    maintenance_with(sessions)
}

fn maintenance_with(sessions: MockSessionStore) -> Arc<Maintenance> {
    let mut clock = MockClock::new();
    clock.expect_now().returning(Utc::now);
    Arc::new(Maintenance::new(
        MaintenancePorts {
            rooms: Arc::new(MockRoomStore::new()),
            sweep: Arc::new(MockSweepStore::new()),
            users: Arc::new(MockUserStore::new()),
            sessions: Arc::new(sessions),
            ceremonies: Arc::new(MockCeremonyStore::new()),
            job_runs: Arc::new(MockJobRunStore::new()),
            census: Arc::new(MockCensusStore::new()),
            media: Arc::new(MockMediaServer::new()),
            clock: Arc::new(clock),
        },
        MaintenancePolicy::default(),
    ))
}

/// An in-memory claim record: one claim per (job, tick); `refuse` answers `None`.
#[derive(Default)]
struct MemoryLock {
    claimed: Mutex<Vec<(String, DateTime<Utc>)>>,
    finished: Arc<Mutex<Vec<JobOutcome>>>,
    refuse: bool,
}

struct MemoryLease(Arc<Mutex<Vec<JobOutcome>>>);

#[async_trait]
impl JobLease for MemoryLease {
    async fn finish(self: Box<Self>, outcome: JobOutcome) -> StoreResult<()> {
        self.0.lock().expect("finished").push(outcome);
        Ok(())
    }
}

#[async_trait]
impl JobLock for MemoryLock {
    async fn claim(&self, run: JobRun) -> StoreResult<Option<Box<dyn JobLease>>> {
        let mut claimed = self.claimed.lock().expect("claimed");
        let key = (run.job.clone(), run.tick);
        if self.refuse || claimed.contains(&key) {
            return Ok(None);
        }
        claimed.push(key);
        Ok(Some(Box::new(MemoryLease(self.finished.clone()))))
    }
}

#[derive(Default)]
struct Counts {
    seen: Mutex<Vec<(String, JobStatus)>>,
    failed: AtomicUsize,
}

impl JobObserver for Counts {
    fn observe(&self, job: &str, status: JobStatus, _: Duration) {
        if status == JobStatus::Failed {
            self.failed.fetch_add(1, Ordering::SeqCst);
        }
        self.seen
            .lock()
            .expect("seen")
            .push((job.to_owned(), status));
    }
}

#[test]
fn names_and_validation() {
    assert_eq!(
        Scheduler::names(),
        &["room_sweep", "cleanup", "guest_cleanup"]
    );
    let lock: Arc<dyn JobLock> = Arc::new(MemoryLock::default());
    let ok = Scheduler::new(
        failing_maintenance(),
        lock.clone(),
        vec![
            JobSchedule::new("room_sweep", true, "0 * * * * *"),
            // a disabled job's schedule is not checked
            JobSchedule::new("cleanup", false, "whenever"),
        ],
    );
    assert!(ok.validate().is_ok());
    let unknown = Scheduler::new(
        failing_maintenance(),
        lock.clone(),
        vec![JobSchedule::new("reindex", true, "0 * * * * *")],
    );
    let err = unknown.validate().expect_err("unknown job");
    assert!(err.to_string().contains("unknown job \"reindex\""), "{err}");
    let bad = Scheduler::new(
        failing_maintenance(),
        lock,
        vec![JobSchedule::new("cleanup", true, "0 * * * *")],
    );
    let err = bad.validate().expect_err("five fields");
    assert!(
        err.to_string().starts_with("jobs.cleanup.schedule"),
        "{err}"
    );
}

#[tokio::test]
async fn failed_runs_are_errors_and_recorded() {
    let lock = Arc::new(MemoryLock::default());
    let counts = Arc::new(Counts::default());
    let s = Scheduler::new(failing_maintenance(), lock.clone(), Vec::new())
        .with_observer(counts.clone());
    let err = s.run_once("cleanup").await.expect_err("fails");
    let text = err.to_string();
    assert!(text.starts_with("cleanup: failed after"), "{text}");
    assert!(text.contains("db down"), "the cause chain is kept: {text}");
    let finished = lock.finished.lock().expect("finished").clone();
    assert_eq!(finished.len(), 1);
    assert_eq!(finished[0].rows, None);
    assert!(
        finished[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("db down"))
    );
    assert_eq!(
        counts.seen.lock().expect("seen").as_slice(),
        &[("cleanup".to_owned(), JobStatus::Failed)]
    );
}

#[tokio::test]
async fn a_tick_claimed_elsewhere_is_not_run() {
    let lock = Arc::new(MemoryLock {
        refuse: true,
        ..MemoryLock::default()
    });
    let counts = Arc::new(Counts::default());
    // Nothing is expected of the stores: the job must not run.
    let s = Scheduler::new(maintenance_with(MockSessionStore::new()), lock, Vec::new())
        .with_observer(counts.clone());
    let report = s.run_once("cleanup").await.expect("not an error");
    assert_eq!(report.status, JobStatus::Elsewhere);
    assert!(report.to_string().contains("another instance"), "{report}");
    assert_eq!(
        counts.seen.lock().expect("seen").as_slice(),
        &[("cleanup".to_owned(), JobStatus::Elsewhere)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_keeps_going_after_failures() {
    let counts = Arc::new(Counts::default());
    let s = Scheduler::new(
        failing_maintenance(),
        Arc::new(MemoryLock::default()),
        vec![
            JobSchedule::new("cleanup", true, "* * * * * *"),
            JobSchedule::new("room_sweep", false, "* * * * * *"),
        ],
    )
    .with_observer(counts.clone());
    let handle = s.start().await.expect("start");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while counts.failed.load(Ordering::SeqCst) < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    handle.shutdown().await;
    assert!(counts.failed.load(Ordering::SeqCst) >= 2, "runs went on");
    let seen = counts.seen.lock().expect("seen").clone();
    assert!(
        seen.iter().all(|(job, _)| job == "cleanup"),
        "disabled jobs never run: {seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_still_running_here_skips_the_tick() {
    let mut sessions = MockSessionStore::new();
    sessions.expect_purge().returning(|_| {
        // A slow run (on the job's own task).
        std::thread::sleep(Duration::from_millis(300));
        Err(StoreError::Unavailable(anyhow::anyhow!("slow")))
    });
    let s = Scheduler::new(
        maintenance_with(sessions),
        Arc::new(MemoryLock::default()),
        Vec::new(),
    );
    let slow = s.run_once("cleanup");
    let second = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        s.run_once("cleanup").await
    };
    let (first, second) = tokio::join!(slow, second);
    assert!(first.is_err(), "the slow run failed as scripted");
    let second = second.expect("a busy tick is no error");
    assert_eq!(second.status, JobStatus::Busy);
    assert!(second.to_string().contains("still going"), "{second}");
}
