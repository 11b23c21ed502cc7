use std::sync::Arc;

use bedrud_ports::{
    Census, MediaError, MediaParticipant, MediaRoom, MockCensusStore, MockCeremonyStore,
    MockJobRunStore, MockMediaServer, MockRoomStore, MockSessionStore, MockSweepStore,
    MockUserStore, SweepRoom,
};
use chrono::TimeDelta;

use super::*;
use crate::error::DomainError;
use crate::room_testkit::{db_down, lk_down};
use crate::testkit::{TestClock, block_on, t0};

/// Mocks without expectations: any call a test did not expect fails it.
struct Mocks {
    rooms: MockRoomStore,
    sweep: MockSweepStore,
    users: MockUserStore,
    sessions: MockSessionStore,
    ceremonies: MockCeremonyStore,
    job_runs: MockJobRunStore,
    census: MockCensusStore,
    media: MockMediaServer,
}

impl Mocks {
    fn new() -> Self {
        Mocks {
            rooms: MockRoomStore::new(),
            sweep: MockSweepStore::new(),
            users: MockUserStore::new(),
            sessions: MockSessionStore::new(),
            ceremonies: MockCeremonyStore::new(),
            job_runs: MockJobRunStore::new(),
            census: MockCensusStore::new(),
            media: MockMediaServer::new(),
        }
    }

    fn build(self) -> Maintenance {
        Maintenance::new(
            MaintenancePorts {
                rooms: Arc::new(self.rooms),
                sweep: Arc::new(self.sweep),
                users: Arc::new(self.users),
                sessions: Arc::new(self.sessions),
                ceremonies: Arc::new(self.ceremonies),
                job_runs: Arc::new(self.job_runs),
                census: Arc::new(self.census),
                media: Arc::new(self.media),
                clock: TestClock::new(),
            },
            MaintenancePolicy::default(),
        )
    }

    /// Expiry and idle at `t0` (idle cut-off 5 minutes earlier) answer these counts.
    fn expiry_and_idle(&mut self, expired: u64, idle: u64) {
        self.rooms
            .expect_deactivate_expired()
            .withf(|now| *now == t0())
            .times(1)
            .returning(move |_| Ok(expired));
        self.rooms
            .expect_deactivate_idle()
            .withf(|before, now| *before == t0() - TimeDelta::minutes(5) && *now == t0())
            .times(1)
            .returning(move |_, _| Ok(idle));
    }

    fn running(&mut self, names: &[&str]) {
        let rooms: Vec<MediaRoom> = names
            .iter()
            .map(|n| MediaRoom {
                name: (*n).to_owned(),
                num_participants: 1,
            })
            .collect();
        self.media
            .expect_list_rooms()
            .times(1)
            .returning(move || Ok(rooms.clone()));
    }
}

fn candidate(name: &str, is_live: bool, active: i64) -> SweepRoom {
    SweepRoom {
        id: format!("r-{name}"),
        name: name.to_owned(),
        is_live,
        active_participants: active,
    }
}

fn connected(identity: &str) -> MediaParticipant {
    MediaParticipant {
        identity: identity.to_owned(),
        name: String::new(),
        metadata: String::new(),
        hidden: false,
        tracks: Vec::new(),
    }
}

fn count(report: &JobReport, what: &str) -> u64 {
    report
        .changes
        .iter()
        .find(|(w, _)| *w == what)
        .map(|(_, n)| *n)
        .unwrap_or_else(|| panic!("{what} missing from {report:?}"))
}

#[test]
fn job_names_round_trip() {
    for job in MaintenanceJob::ALL {
        assert_eq!(MaintenanceJob::parse(job.name()), Some(job));
        assert!(!job.describe().is_empty());
    }
    assert_eq!(
        MaintenanceJob::ALL.map(MaintenanceJob::name),
        ["room_sweep", "cleanup", "guest_cleanup"]
    );
    assert_eq!(MaintenanceJob::parse("nope"), None);
}

#[test]
fn cleanup_purges_old_sessions_ceremonies_and_job_records() {
    let mut m = Mocks::new();
    let week_ago = t0() - TimeDelta::days(7);
    m.sessions
        .expect_purge()
        .withf(move |before| *before == week_ago)
        .times(1)
        .returning(|_| Ok(3));
    m.ceremonies
        .expect_purge_expired()
        .withf(|now| *now == t0())
        .times(1)
        .returning(|_| Ok(2));
    m.job_runs
        .expect_purge_runs()
        .withf(move |before| *before == week_ago)
        .times(1)
        .returning(|_| Ok(5));
    let report = block_on(m.build().run(MaintenanceJob::Cleanup)).expect("cleanup");
    assert_eq!(report.job, MaintenanceJob::Cleanup);
    assert_eq!(
        report.changes,
        vec![("sessions", 3), ("ceremonies", 2), ("job_runs", 5)]
    );
    assert_eq!(report.rows(), 10);
    assert_eq!(report.summary(), "sessions=3 ceremonies=2 job_runs=5");
    assert!(report.skipped.is_none());
}

#[test]
fn cleanup_failure_is_an_error() {
    let mut m = Mocks::new();
    m.sessions.expect_purge().returning(|_| Err(db_down()));
    let err = block_on(m.build().cleanup()).expect_err("fails");
    assert!(matches!(err, DomainError::Unavailable(_)), "{err:?}");
}

#[test]
fn guest_cleanup_uses_the_retention() {
    let mut m = Mocks::new();
    m.users
        .expect_delete_stale_guests()
        .withf(|before| *before == t0() - TimeDelta::days(7))
        .times(1)
        .returning(|_| Ok(4));
    let report = block_on(m.build().run(MaintenanceJob::GuestCleanup)).expect("guests");
    assert_eq!(report.changes, vec![("guests", 4)]);
}

#[test]
fn sweep_changes_nothing_while_livekit_is_unreachable() {
    let mut m = Mocks::new();
    m.media.expect_list_rooms().returning(|| Err(lk_down()));
    let report = block_on(m.build().sweep_rooms()).expect("skipped, not failed");
    let why = report.skipped.as_deref().unwrap_or_default();
    assert!(why.contains("LiveKit unavailable (ListRooms)"), "{why}");
    assert!(why.contains("livekit down"), "the cause is kept: {why}");
    assert_eq!(report.rows(), 0);
}

#[test]
fn sweep_writes_nothing_when_list_participants_fails() {
    let mut m = Mocks::new();
    m.running(&["a", "b"]);
    m.sweep
        .expect_sweep_candidates()
        .times(1)
        .returning(|_| Ok(vec![candidate("a", false, 1), candidate("b", true, 1)]));
    m.media
        .expect_list_participants()
        .returning(|room| match room {
            "a" => Ok(vec![connected("u1")]),
            _ => Err(lk_down()),
        });
    let report = block_on(m.build().sweep_rooms()).expect("skipped");
    let why = report.skipped.as_deref().unwrap_or_default();
    assert!(why.contains("ListParticipants"), "{why}");
}

#[test]
fn sweep_without_livekit_applies_expiry_and_idle_only() {
    let mut m = Mocks::new();
    m.media
        .expect_list_rooms()
        .returning(|| Err(MediaError::Disabled));
    m.expiry_and_idle(1, 2);
    let report = block_on(m.build().sweep_rooms()).expect("sweep");
    assert_eq!(report.changes, vec![("expired", 1), ("idle", 2)]);
    assert!(report.skipped.is_none());
}

#[test]
fn sweep_reconciles_live_flags_and_participants() {
    let mut m = Mocks::new();
    m.running(&["a", "b", "gone", "unknown"]);
    m.sweep
        .expect_sweep_candidates()
        .withf(|names| {
            let mut names = names.clone();
            names.sort();
            names == ["a", "b", "gone", "unknown"]
        })
        .times(1)
        .returning(|_| {
            Ok(vec![
                // running, flagged not live: becomes live
                candidate("a", false, 1),
                // running and live: flag untouched
                candidate("b", true, 2),
                // flagged live, LiveKit no longer runs it: not live; no active rows
                candidate("c", true, 0),
                // not running, active rows: everyone is stale
                candidate("d", false, 1),
                // listed, but finished before ListParticipants: not live
                candidate("gone", true, 1),
            ])
        });
    m.media
        .expect_list_participants()
        .times(3)
        .returning(|room| match room {
            "a" => Ok(vec![connected("u1")]),
            "b" => Ok(vec![connected("u2"), connected("u3")]),
            _ => Err(MediaError::NotFound),
        });
    // The flag only: no activity is recorded (API §5.2).
    m.rooms.expect_set_live().never();
    m.rooms
        .expect_correct_live()
        .withf(|name, live| name == "a" && *live)
        .times(1)
        .returning(|_, _| Ok(true));
    m.rooms
        .expect_correct_live()
        .withf(|name, live| (name == "c" || name == "gone") && !*live)
        .times(2)
        .returning(|_, _| Ok(true));
    let grace_cut = t0() - TimeDelta::minutes(2);
    m.sweep
        .expect_deactivate_stale()
        .withf(move |room, ids, before, now| {
            *before == grace_cut
                && *now == t0()
                && match room {
                    "r-a" => ids == &["u1"],
                    "r-b" => ids == &["u2", "u3"],
                    "r-d" | "r-gone" => ids.is_empty(),
                    _ => false,
                }
        })
        .times(4)
        .returning(|room, _, _, _| Ok(if room == "r-d" { 1 } else { 0 }));
    m.expiry_and_idle(0, 1);
    let report = block_on(m.build().sweep_rooms()).expect("sweep");
    assert!(report.skipped.is_none());
    assert_eq!(count(&report, "live_on"), 1);
    assert_eq!(count(&report, "live_off"), 2);
    assert_eq!(count(&report, "participants_left"), 1);
    assert_eq!(count(&report, "idle"), 1);
    assert_eq!(report.rows(), 5);
}

#[test]
fn sweep_store_failure_is_an_error() {
    let mut m = Mocks::new();
    m.running(&[]);
    m.sweep
        .expect_sweep_candidates()
        .returning(|_| Err(db_down()));
    let err = block_on(m.build().sweep_rooms()).expect_err("fails");
    assert!(matches!(err, DomainError::Unavailable(_)), "{err:?}");
}

#[test]
fn census_reads_the_store_at_now() {
    let mut m = Mocks::new();
    m.census
        .expect_census()
        .withf(|now| *now == t0())
        .times(1)
        .returning(|_| {
            Ok(Census {
                active_sessions: 3,
                live_rooms: 1,
                ..Census::default()
            })
        });
    let census = block_on(m.build().census()).expect("census");
    assert_eq!(census.active_sessions, 3);
    assert_eq!(census.live_rooms, 1);
}
