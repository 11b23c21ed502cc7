//! The jobs over the real stores, on SQLite and on PostgreSQL, with a controllable clock
//! and a scripted LiveKit: each job changes exactly the rows it should and no others. Then
//! two schedulers on one PostgreSQL with a one-second schedule: one run per tick, never
//! overlapping.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bedrud_db::{DatabaseUrl, Db, PoolOptions, testing};
use bedrud_domain::{Maintenance, MaintenancePolicy, MaintenancePorts};
use bedrud_ports::*;
use bedrud_scheduler::{JobSchedule, Scheduler};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};

// ---------------------------------------------------------------- fixtures

fn opts() -> PoolOptions {
    PoolOptions {
        max_connections: 8,
        acquire_timeout: Duration::from_secs(10),
    }
}

async fn sqlite_db() -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Db::open(&DatabaseUrl::Sqlite(dir.path().join("bedrud.db")), &opts()).expect("open");
    db.migrate().await.expect("migrate");
    (db, dir)
}

async fn postgres_url() -> Option<String> {
    testing::scratch_postgres_or_skip().await
}

async fn postgres_db(url: &str) -> Db {
    let db = Db::open(&DatabaseUrl::Postgres(url.to_owned()), &opts()).expect("open");
    db.migrate().await.expect("migrate");
    db
}

/// Declares each test once per backend.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (db, _dir) = super::sqlite_db().await;
                    super::$name(db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(url) = super::postgres_url().await {
                        super::$name(super::postgres_db(&url).await).await;
                    }
                }
            )*
        }
    };
}

on_both!(
    room_sweep_changes_exactly_its_rows,
    room_sweep_changes_nothing_while_livekit_is_down,
    room_sweep_without_livekit_applies_expiry_and_idle,
    cleanup_changes_exactly_its_rows,
    guest_cleanup_changes_exactly_its_rows,
    runs_are_recorded_and_claimed_once,
);

/// 2026-03-01T10:00:00Z.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0)
        .single()
        .expect("valid")
}

fn mins(n: i64) -> TimeDelta {
    TimeDelta::minutes(n)
}

/// A clock the test moves.
struct ManualClock(Mutex<DateTime<Utc>>);

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
}

/// What the scripted LiveKit answers.
#[derive(Clone)]
enum Livekit {
    /// Running rooms and their connected identities.
    Up(BTreeMap<String, Vec<String>>),
    Down,
    Disabled,
}

struct FakeMedia(Mutex<Livekit>);

fn down() -> MediaError {
    MediaError::Unavailable(anyhow::anyhow!("connection refused"))
}

#[async_trait]
impl MediaServer for FakeMedia {
    async fn create_room(&self, _: &str, _: u32) -> Result<(), MediaError> {
        Err(down())
    }
    async fn delete_room(&self, _: &str) -> Result<(), MediaError> {
        Err(down())
    }
    async fn list_rooms(&self) -> Result<Vec<MediaRoom>, MediaError> {
        match &*self.0.lock().expect("media") {
            Livekit::Up(rooms) => Ok(rooms
                .iter()
                .map(|(name, ids)| MediaRoom {
                    name: name.clone(),
                    num_participants: ids.len() as u32,
                })
                .collect()),
            Livekit::Down => Err(down()),
            Livekit::Disabled => Err(MediaError::Disabled),
        }
    }
    async fn list_participants(&self, room: &str) -> Result<Vec<MediaParticipant>, MediaError> {
        match &*self.0.lock().expect("media") {
            Livekit::Up(rooms) => rooms
                .get(room)
                .map(|ids| {
                    ids.iter()
                        .map(|id| MediaParticipant {
                            identity: id.clone(),
                            name: String::new(),
                            metadata: String::new(),
                            hidden: false,
                            tracks: Vec::new(),
                        })
                        .collect()
                })
                .ok_or(MediaError::NotFound),
            Livekit::Down => Err(down()),
            Livekit::Disabled => Err(MediaError::Disabled),
        }
    }
    async fn get_participant(&self, _: &str, _: &str) -> Result<MediaParticipant, MediaError> {
        Err(down())
    }
    async fn remove_participant(&self, _: &str, _: &str) -> Result<(), MediaError> {
        Err(down())
    }
    async fn mute_track(&self, _: &str, _: &str, _: &str, _: bool) -> Result<(), MediaError> {
        Err(down())
    }
    async fn update_participant(
        &self,
        _: &str,
        _: &str,
        _: Option<String>,
        _: Option<MediaPermission>,
    ) -> Result<(), MediaError> {
        Err(down())
    }
    async fn send_data(&self, _: &str, _: &str, _: Vec<u8>) -> Result<(), MediaError> {
        Err(down())
    }
}

/// The use case over `db`, a clock at `t0` and the scripted LiveKit.
fn maintenance(db: &Db, livekit: Livekit) -> Arc<Maintenance> {
    let store = Arc::new(db.clone());
    Arc::new(Maintenance::new(
        MaintenancePorts {
            rooms: store.clone(),
            sweep: store.clone(),
            users: store.clone(),
            sessions: store.clone(),
            ceremonies: store.clone(),
            job_runs: store.clone(),
            census: store,
            media: Arc::new(FakeMedia(Mutex::new(livekit))),
            clock: Arc::new(ManualClock(Mutex::new(t0()))),
        },
        MaintenancePolicy::default(),
    ))
}

fn scheduler(db: &Db, livekit: Livekit) -> Scheduler {
    Scheduler::new(maintenance(db, livekit), Arc::new(db.clone()), Vec::new())
}

fn user(id: &str, provider: &str, created: DateTime<Utc>) -> User {
    User {
        id: id.into(),
        email: format!("{id}@example.org"),
        name: format!("Name {id}"),
        avatar_url: String::new(),
        provider: provider.into(),
        accesses: vec![if provider == provider::GUEST {
            Access::Guest
        } else {
            Access::User
        }],
        is_active: true,
        password_hash: None,
        email_verified_at: None,
        password_changed_at: None,
        created_at: created,
        updated_at: created,
    }
}

fn session(id: &str, user: &str, expires: DateTime<Utc>) -> Session {
    Session {
        id: id.into(),
        user_id: user.into(),
        refresh_hash: format!("h-{id}"),
        prev_refresh_hash: None,
        rotated_at: None,
        created_at: t0() - TimeDelta::days(40),
        last_used_at: t0() - TimeDelta::days(40),
        expires_at: expires,
        revoked_at: None,
        revoke_reason: None,
        user_agent: "ua".into(),
        ip: "127.0.0.1".into(),
    }
}

struct RoomSpec {
    name: &'static str,
    created: DateTime<Utc>,
    expires: DateTime<Utc>,
    last_activity: DateTime<Utc>,
    live: bool,
    persistent: bool,
}

impl RoomSpec {
    fn new(name: &'static str, created_ago: i64) -> Self {
        let created = t0() - mins(created_ago);
        RoomSpec {
            name,
            created,
            expires: created + TimeDelta::hours(24),
            last_activity: created,
            live: false,
            persistent: false,
        }
    }
}

async fn add_room(db: &Db, spec: RoomSpec) {
    let room = Room {
        id: format!("r-{}", spec.name),
        name: spec.name.into(),
        created_by: "owner".into(),
        admin_id: "owner".into(),
        is_active: true,
        is_public: true,
        max_participants: 0,
        mode: RoomMode::Standard,
        settings: RoomSettings {
            is_persistent: spec.persistent,
            ..RoomSettings::default()
        },
        is_live: spec.live,
        created_at: spec.created,
        updated_at: spec.created,
        expires_at: spec.expires,
        last_activity_at: Some(spec.last_activity),
        deleted_at: None,
    };
    let creator = Participant {
        room_id: room.id.clone(),
        identity: "owner".into(),
        is_active: false,
        is_moderator: false,
        is_banned: false,
        on_stage: true,
        joined_at: None,
        left_at: None,
        created_at: spec.created,
        updated_at: spec.created,
    };
    let created = RoomStore::create(db, room, creator, None)
        .await
        .expect("room");
    assert!(matches!(created, RoomCreation::Created(_)));
}

/// Admits `identity` at `at`; this also records room activity at `at`.
async fn admit(db: &Db, room: &str, identity: &str, at: DateTime<Utc>) {
    assert!(
        db.admit(&format!("r-{room}"), identity, None, at)
            .await
            .expect("admit")
    );
}

/// Users, sessions, ceremonies, rooms and participant rows in every state the jobs
/// distinguish.
async fn seed(db: &Db) {
    let day = TimeDelta::days(1);
    for (id, provider, created) in [
        ("owner", provider::LOCAL, t0() - day * 30),
        ("local-old", provider::LOCAL, t0() - day * 30),
        ("guest-old", provider::GUEST, t0() - day * 10),
        ("guest-inroom", provider::GUEST, t0() - day * 10),
        ("guest-new", provider::GUEST, t0() - day),
    ] {
        UserStore::insert(db, user(id, provider, created))
            .await
            .expect("user");
    }
    for (s, revoked) in [
        (session("s-live", "owner", t0() + day), None),
        (session("s-expired-old", "owner", t0() - day * 8), None),
        (session("s-expired-recent", "owner", t0() - day * 2), None),
        (
            session("s-revoked-old", "owner", t0() + day),
            Some(t0() - day * 8),
        ),
        (
            session("s-revoked-recent", "owner", t0() + day),
            Some(t0() - day),
        ),
        (session("s-guest-old", "guest-old", t0() + day), None),
    ] {
        let id = s.id.clone();
        SessionStore::insert(db, s).await.expect("session");
        if let Some(at) = revoked {
            assert!(db.revoke(&id, "test", at).await.expect("revoke"));
        }
    }
    for (id, expires) in [("c-expired", t0() - mins(1)), ("c-valid", t0() + mins(5))] {
        CeremonyStore::insert(
            db,
            Ceremony {
                id: id.into(),
                kind: CeremonyKind::PasskeyLogin,
                user_id: None,
                binding_hash: None,
                payload: "{}".into(),
                failures: 0,
                created_at: expires - mins(10),
                expires_at: expires,
            },
        )
        .await
        .expect("ceremony");
    }
    // expired, not live: expiry deactivates it (participant rows stay)
    add_room(
        db,
        RoomSpec {
            expires: t0() - mins(60),
            last_activity: t0() - mins(1),
            ..RoomSpec::new("expired-room", 25 * 60)
        },
    )
    .await;
    // expired but persistent, or live: untouched
    add_room(
        db,
        RoomSpec {
            expires: t0() - mins(60),
            last_activity: t0() - mins(1),
            persistent: true,
            ..RoomSpec::new("persistent-room", 25 * 60)
        },
    )
    .await;
    add_room(
        db,
        RoomSpec {
            expires: t0() - mins(60),
            live: true,
            ..RoomSpec::new("live-room", 25 * 60)
        },
    )
    .await;
    // idle for 10 minutes with one participant: idle deactivates it and the row
    add_room(db, RoomSpec::new("idle-room", 60)).await;
    admit(db, "idle-room", "u-idle", t0() - mins(10)).await;
    // running in LiveKit, flagged not live: becomes live; the stale row goes
    add_room(db, RoomSpec::new("busy-room", 60)).await;
    admit(db, "busy-room", "u-connected", t0() - mins(10)).await;
    admit(db, "busy-room", "u-stale", t0() - mins(10)).await;
    admit(db, "busy-room", "guest-inroom", t0() - mins(10)).await;
    admit(db, "busy-room", "u-fresh", t0() - mins(1)).await;
    // flagged live, no longer running: not live, activity now, so not idle either
    add_room(
        db,
        RoomSpec {
            live: true,
            last_activity: t0() - mins(20),
            ..RoomSpec::new("ghost-room", 60)
        },
    )
    .await;
    // young and quiet: untouched
    add_room(db, RoomSpec::new("fresh-room", 1)).await;
    // archived: untouched
    add_room(db, RoomSpec::new("old-room", 60)).await;
    admit(db, "old-room", "u-old", t0() - mins(50)).await;
    assert!(
        db.archive("r-old-room", t0() - mins(30))
            .await
            .expect("archive")
    );
}

/// LiveKit runs busy-room (two connected) and live-room (empty), plus a room we do not know.
fn livekit_up() -> Livekit {
    Livekit::Up(BTreeMap::from([
        (
            "busy-room".to_owned(),
            vec!["u-connected".to_owned(), "guest-inroom".to_owned()],
        ),
        ("live-room".to_owned(), Vec::new()),
        ("not-ours".to_owned(), vec!["x".to_owned()]),
    ]))
}

const SESSIONS: [&str; 6] = [
    "s-live",
    "s-expired-old",
    "s-expired-recent",
    "s-revoked-old",
    "s-revoked-recent",
    "s-guest-old",
];

/// Every row the jobs could touch, keyed by id.
#[derive(Debug, Clone, PartialEq)]
struct Snapshot {
    users: BTreeMap<String, User>,
    sessions: BTreeMap<String, Session>,
    ceremonies: BTreeMap<String, Ceremony>,
    rooms: BTreeMap<String, Room>,
    participants: BTreeMap<(String, String), Participant>,
}

impl Snapshot {
    async fn take(db: &Db) -> Snapshot {
        let (users, _) = UserStore::list(
            db,
            UserQuery {
                limit: 1000,
                ..UserQuery::default()
            },
        )
        .await
        .expect("users");
        let mut sessions = BTreeMap::new();
        for id in SESSIONS {
            if let Some(s) = SessionStore::get(db, id).await.expect("session") {
                sessions.insert(id.to_owned(), s);
            }
        }
        let mut ceremonies = BTreeMap::new();
        let long_ago = t0() - TimeDelta::days(365);
        for id in ["c-expired", "c-valid"] {
            if let Some(c) = CeremonyStore::get(db, id, long_ago)
                .await
                .expect("ceremony")
            {
                ceremonies.insert(id.to_owned(), c);
            }
        }
        let (rooms, _) = db
            .admin_list(RoomQuery {
                limit: 1000,
                ..RoomQuery::default()
            })
            .await
            .expect("rooms");
        let mut participants = BTreeMap::new();
        for r in &rooms {
            for p in ParticipantStore::list(db, &r.room.id).await.expect("rows") {
                participants.insert((p.room_id.clone(), p.identity.clone()), p);
            }
        }
        Snapshot {
            users: users.into_iter().map(|u| (u.id.clone(), u)).collect(),
            sessions,
            ceremonies,
            rooms: rooms
                .into_iter()
                .map(|r| (r.room.name.clone(), r.room))
                .collect(),
            participants,
        }
    }

    fn room(&mut self, name: &str) -> &mut Room {
        self.rooms.get_mut(name).expect("room in snapshot")
    }

    fn row(&mut self, room: &str, identity: &str) -> &mut Participant {
        self.participants
            .get_mut(&(format!("r-{room}"), identity.to_owned()))
            .expect("row in snapshot")
    }

    fn leave(&mut self, room: &str, identity: &str, now: DateTime<Utc>) {
        let row = self.row(room, identity);
        row.is_active = false;
        row.left_at = Some(now);
        row.updated_at = now;
    }

    fn deactivate(&mut self, room: &str, now: DateTime<Utc>) {
        let room = self.room(room);
        room.is_active = false;
        room.updated_at = now;
    }
}

// ---------------------------------------------------------------- the jobs' effects

async fn room_sweep_changes_exactly_its_rows(db: Db) {
    seed(&db).await;
    let before = Snapshot::take(&db).await;
    let report = scheduler(&db, livekit_up())
        .run_once("room_sweep")
        .await
        .expect("sweep");
    let job = report.report.expect("ran");
    assert!(job.skipped.is_none(), "{job:?}");
    let now = t0();
    let mut expected = before.clone();
    // live flags: busy-room on, ghost-room off; the flag alone, no activity recorded
    // (the sweep never rewrites room fields, API §5.2)
    for (name, live) in [("busy-room", true), ("ghost-room", false)] {
        expected.room(name).is_live = live;
    }
    // participants: only the stale row of busy-room (u-fresh is within the grace period)
    expected.leave("busy-room", "u-stale", now);
    // expiry and idle
    expected.deactivate("expired-room", now);
    expected.deactivate("idle-room", now);
    expected.leave("idle-room", "u-idle", now);
    // ghost-room's last activity (09:40) is older than the idle timeout: no longer
    // live, it goes idle in the same sweep
    expected.deactivate("ghost-room", now);
    let after = Snapshot::take(&db).await;
    assert_eq!(after, expected);
    assert_eq!(
        job.changes,
        vec![
            ("live_on", 1),
            ("live_off", 1),
            // u-stale, and u-idle before its room goes idle
            ("participants_left", 2),
            ("expired", 1),
            ("idle", 2)
        ]
    );
    // Nothing left to do a second time.
    let again = scheduler(&db, livekit_up())
        .run_once("room_sweep")
        .await
        .expect("sweep");
    assert_eq!(again.report.expect("ran").rows(), 0);
    assert_eq!(Snapshot::take(&db).await, expected);
}

async fn room_sweep_changes_nothing_while_livekit_is_down(db: Db) {
    seed(&db).await;
    let before = Snapshot::take(&db).await;
    let report = scheduler(&db, Livekit::Down)
        .run_once("room_sweep")
        .await
        .expect("a skipped run is no failure");
    assert_eq!(report.status, JobStatus::Skipped);
    assert!(
        report.to_string().contains("LiveKit unavailable"),
        "{report}"
    );
    assert_eq!(Snapshot::take(&db).await, before);
}

async fn room_sweep_without_livekit_applies_expiry_and_idle(db: Db) {
    seed(&db).await;
    let before = Snapshot::take(&db).await;
    let report = scheduler(&db, Livekit::Disabled)
        .run_once("room_sweep")
        .await
        .expect("sweep");
    assert_eq!(report.status, JobStatus::Succeeded);
    let now = t0();
    let mut expected = before.clone();
    expected.deactivate("expired-room", now);
    expected.deactivate("idle-room", now);
    expected.leave("idle-room", "u-idle", now);
    assert_eq!(Snapshot::take(&db).await, expected);
}

async fn cleanup_changes_exactly_its_rows(db: Db) {
    seed(&db).await;
    // A run record older than the retention, and a recent one.
    for (id, days) in [("old-run", 8), ("new-run", 1)] {
        let at = t0() - TimeDelta::days(days);
        let lease = db
            .claim(JobRun {
                id: id.into(),
                job: "cleanup".into(),
                tick: at,
                instance: "test".into(),
                started_at: at,
                finished_at: None,
                rows: None,
                error: None,
            })
            .await
            .expect("claim")
            .expect("free");
        lease
            .finish(JobOutcome {
                finished_at: at,
                rows: Some(0),
                error: None,
            })
            .await
            .expect("finish");
    }
    let before = Snapshot::take(&db).await;
    let report = scheduler(&db, Livekit::Down)
        .run_once("cleanup")
        .await
        .expect("cleanup");
    let mut expected = before.clone();
    for id in ["s-expired-old", "s-revoked-old"] {
        expected.sessions.remove(id);
    }
    expected.ceremonies.remove("c-expired");
    assert_eq!(Snapshot::take(&db).await, expected);
    assert_eq!(
        report.report.expect("ran").changes,
        vec![("sessions", 2), ("ceremonies", 1), ("job_runs", 1)]
    );
    let runs: Vec<String> = db
        .list_runs("cleanup", t0() - TimeDelta::days(30))
        .await
        .expect("runs")
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert!(runs.contains(&"new-run".to_owned()) && !runs.contains(&"old-run".to_owned()));
}

async fn guest_cleanup_changes_exactly_its_rows(db: Db) {
    seed(&db).await;
    let before = Snapshot::take(&db).await;
    let report = scheduler(&db, Livekit::Down)
        .run_once("guest_cleanup")
        .await
        .expect("guests");
    let mut expected = before.clone();
    // guest-inroom is in an active room, guest-new is recent, local-old is no guest;
    // the deleted guest's sessions go with it.
    expected.users.remove("guest-old");
    expected.sessions.remove("s-guest-old");
    assert_eq!(Snapshot::take(&db).await, expected);
    assert_eq!(report.report.expect("ran").changes, vec![("guests", 1)]);
}

// ---------------------------------------------------------------- records and claims

async fn runs_are_recorded_and_claimed_once(db: Db) {
    let started = Utc::now() - TimeDelta::seconds(1);
    let s = scheduler(&db, Livekit::Down).with_instance("inst-a");
    assert_eq!(s.instance(), "inst-a");
    s.run_once("cleanup").await.expect("run");
    let err = s.run_once("nope").await.expect_err("unknown job");
    assert!(
        err.to_string()
            .contains("room_sweep, cleanup, guest_cleanup"),
        "{err}"
    );
    let runs = db.list_runs("cleanup", started).await.expect("runs");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(
        (run.instance.as_str(), run.rows, run.error.as_deref()),
        ("inst-a", Some(0), None)
    );
    assert!(run.finished_at.is_some_and(|f| f >= run.started_at));

    // A failing run is recorded with its error and reported as an error.
    let failing = scheduler(&db, Livekit::Down);
    db.close();
    let err = failing
        .run_once("guest_cleanup")
        .await
        .expect_err("db closed");
    assert!(err.to_string().contains("guest_cleanup: failed"), "{err}");
}

// ---------------------------------------------------------------- two instances

/// Counts ticks and checks that runs of one job never overlap.
#[derive(Default)]
struct Observer {
    ran: Mutex<BTreeMap<String, usize>>,
    elsewhere: AtomicUsize,
}

impl JobObserver for Observer {
    fn observe(&self, job: &str, status: JobStatus, _duration: Duration) {
        if status.ran() {
            *self
                .ran
                .lock()
                .expect("ran")
                .entry(job.to_owned())
                .or_default() += 1;
        } else if status == JobStatus::Elsewhere {
            self.elsewhere.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_run_each_tick_once() {
    let Some(url) = postgres_url().await else {
        return;
    };
    let schedules: Vec<JobSchedule> = bedrud_scheduler::JOB_NAMES
        .iter()
        .map(|name| JobSchedule::new(name, true, "* * * * * *"))
        .collect();
    let mut handles = Vec::new();
    let mut observers = Vec::new();
    let mut dbs = Vec::new();
    for name in ["one", "two"] {
        // Separate pools: two instances sharing only the database.
        let db = postgres_db(&url).await;
        let observer = Arc::new(Observer::default());
        let s = Scheduler::new(
            maintenance(&db, livekit_up()),
            Arc::new(db.clone()),
            schedules.clone(),
        )
        .with_instance(name)
        .with_observer(observer.clone());
        handles.push(s.start().await.expect("start"));
        observers.push(observer);
        dbs.push(db);
    }
    let both_up = Utc::now();
    tokio::time::sleep(Duration::from_millis(12_500)).await;
    for h in handles {
        h.shutdown().await;
    }
    // The ten whole seconds after both instances were up.
    let first = both_up + TimeDelta::seconds(1);
    let first = first - TimeDelta::nanoseconds(first.timestamp_subsec_nanos().into());
    let window: Vec<DateTime<Utc>> = (0..10).map(|i| first + TimeDelta::seconds(i)).collect();
    let db = &dbs[0];
    let mut ran_total = 0;
    for job in bedrud_scheduler::JOB_NAMES {
        let runs = db
            .list_runs(job, both_up - TimeDelta::hours(1))
            .await
            .expect("runs");
        let in_window: Vec<&JobRun> = runs.iter().filter(|r| window.contains(&r.tick)).collect();
        let ticks: Vec<DateTime<Utc>> = in_window.iter().map(|r| r.tick).collect();
        assert_eq!(ticks, window, "{job}: one run per tick over 10 ticks");
        for r in &runs {
            assert!(r.finished_at.is_some(), "{job}: run {} finished", r.id);
            assert!(r.error.is_none(), "{job}: {:?}", r.error);
        }
        // Never concurrently: each run finished before the next one started.
        for pair in runs.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert!(
                a.finished_at.is_some_and(|f| f <= b.started_at),
                "{job}: runs overlap: {a:?} / {b:?}"
            );
        }
        ran_total += runs.len();
    }
    // The observers saw exactly the recorded runs; the other instance yielded its ticks.
    let seen: usize = observers
        .iter()
        .map(|o| o.ran.lock().expect("ran").values().sum::<usize>())
        .sum();
    assert_eq!(seen, ran_total);
    let yielded: usize = observers
        .iter()
        .map(|o| o.elsewhere.load(Ordering::Relaxed))
        .sum();
    assert!(yielded > 0, "both instances fired");
    for db in dbs {
        db.close();
    }
    let _ = testing::drop_scratch_postgres(&url).await;
}
