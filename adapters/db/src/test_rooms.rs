//! A database and rooms for the unit tests that drive the batch paths directly
//! (`admissions`, `batch_queue`, `lookups`).

use std::time::Duration;

use bedrud_ports::{Participant, Room, RoomCreation, RoomMode, RoomSettings, RoomStore};
use chrono::{DateTime, TimeDelta, Utc};

use crate::{DatabaseUrl, Db, PoolOptions};

/// The database at `url`, migrated, behind a pool of four connections.
pub(crate) async fn open_migrated(url: DatabaseUrl) -> Db {
    let opts = PoolOptions {
        max_connections: 4,
        acquire_timeout: Duration::from_secs(10),
    };
    let db = Db::open(&url, &opts).expect("open");
    db.migrate().await.expect("migrate");
    db
}

/// Creates a public room without a capacity, created by `owner` at `at`, with the
/// creator's (inactive) row.
pub(crate) async fn create(db: &Db, id: &str, name: &str, at: DateTime<Utc>) {
    let room = Room {
        id: id.into(),
        name: name.into(),
        created_by: "owner".into(),
        admin_id: "owner".into(),
        is_active: true,
        is_public: true,
        max_participants: 0,
        mode: RoomMode::Standard,
        settings: RoomSettings::default(),
        is_live: false,
        created_at: at,
        updated_at: at,
        expires_at: at + TimeDelta::hours(24),
        last_activity_at: Some(at),
        deleted_at: None,
    };
    let creator = Participant {
        room_id: id.into(),
        identity: "owner".into(),
        is_active: false,
        is_moderator: false,
        is_banned: false,
        on_stage: true,
        joined_at: None,
        left_at: None,
        created_at: at,
        updated_at: at,
    };
    let created = RoomStore::create(db, room, creator, None).await;
    assert!(
        matches!(created, Ok(RoomCreation::Created(_))),
        "{created:?}"
    );
}
