//! The SQLite file under the pools: connections wait for a lock held elsewhere instead of
//! failing with "database is locked" (the first burst of requests after start opens many
//! connections at once), and the database file catches up with the WAL in the background.

use std::time::{Duration, Instant};

use bedrud_db::{DatabaseUrl, Db, PoolOptions};
use bedrud_ports::{Access, DatabaseHealth, User, UserStore};
use chrono::Utc;
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl, SqliteConnection};

/// A migrated database in a fresh directory: the handle, the directory (kept alive by the
/// caller) and the database file.
async fn migrated() -> (Db, tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bedrud.db");
    let options = PoolOptions {
        max_connections: 4,
        acquire_timeout: Duration::from_secs(10),
    };
    let db = Db::open(&DatabaseUrl::Sqlite(path.clone()), &options).expect("open");
    db.migrate().await.expect("migrate");
    (db, dir, path)
}

/// Inserts an active local user through the pools.
async fn insert_user(db: &Db, id: &str, email: &str) {
    let now = Utc::now();
    db.insert(User {
        id: id.into(),
        email: email.into(),
        name: id.into(),
        avatar_url: String::new(),
        provider: "local".into(),
        accesses: vec![Access::User],
        is_active: true,
        password_hash: None,
        email_verified_at: None,
        password_changed_at: None,
        created_at: now,
        updated_at: now,
    })
    .await
    .expect("insert");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_connection_waits_for_a_lock_held_by_another() {
    let (db, _dir, path) = migrated().await;

    // Another connection (a backup, an operator's `sqlite3` shell) holds the file exclusively
    // for a moment; the pool has not opened any connection yet.
    let (held_tx, held_rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let mut conn =
            diesel::SqliteConnection::establish(&path.to_string_lossy()).expect("holder opens");
        conn.batch_execute(
            "PRAGMA locking_mode = EXCLUSIVE; BEGIN IMMEDIATE; CREATE TABLE held (x); COMMIT;",
        )
        .expect("holder takes the lock");
        held_tx.send(()).expect("signal");
        std::thread::sleep(Duration::from_millis(300));
        let releasing = Instant::now();
        drop(conn);
        releasing
    });
    held_rx.recv().expect("lock held");

    let result = db.ping().await;
    let answered = Instant::now();
    let releasing = holder.join().expect("holder thread");
    assert!(result.is_ok(), "the new connection failed: {result:?}");
    assert!(
        answered >= releasing,
        "answered before the lock was released, so the lock was not in the way"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_database_file_alone_catches_up_with_the_wal() {
    let (db, dir, path) = migrated().await;
    insert_user(&db, "u-checkpoint", "wal@example.org").await;

    // The commit lands in the WAL; pooled connections never checkpoint, the background
    // checkpointer does, so a copy of the database file alone (what a naive backup takes)
    // has the row soon, while the pools are still open.
    let copy = dir.path().join("copy.db");
    let deadline = Instant::now() + Duration::from_secs(5);
    let found = loop {
        let count = std::fs::copy(&path, &copy).ok().and_then(|_| {
            let mut conn = SqliteConnection::establish(&copy.to_string_lossy()).ok()?;
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "(SELECT count(*) FROM users WHERE id = 'u-checkpoint')",
            ))
            .get_result::<i64>(&mut conn)
            .ok()
        });
        if count == Some(1) || Instant::now() > deadline {
            break count;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        found,
        Some(1),
        "the database file never got the committed row"
    );
    db.close();
}

/// The checkpoint sequence number in the WAL header: it goes up each time the WAL file
/// starts over from its beginning.
fn wal_restarts(wal: &std::path::Path) -> u32 {
    let header = std::fs::read(wal).unwrap_or_default();
    header
        .get(12..16)
        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_starts_over_under_sustained_reads_and_writes() {
    let (db, dir, _path) = migrated().await;
    insert_user(&db, "u-busy", "busy@example.org").await;

    // Writers and readers without a pause for three seconds: a checkpoint that cannot
    // finish leaves the WAL growing; one that does lets the next write start it over.
    let until = Instant::now() + Duration::from_secs(3);
    let mut tasks = Vec::new();
    for n in 0..2 {
        let writer = db.clone();
        tasks.push(tokio::spawn(async move {
            let db = writer;
            let mut i = 0u64;
            while Instant::now() < until {
                i += 1;
                db.set_password_hash("u-busy", format!("hash-{n}-{i}"), None, Utc::now())
                    .await
                    .expect("write");
                tokio::task::yield_now().await;
            }
        }));
        let reader = db.clone();
        tasks.push(tokio::spawn(async move {
            let db = reader;
            while Instant::now() < until {
                db.get("u-busy").await.expect("read").expect("row");
                tokio::task::yield_now().await;
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let restarts = wal_restarts(&dir.path().join("bedrud.db-wal"));
    assert!(
        restarts >= 3,
        "the WAL started over {restarts} times in 3 s of load (a checkpoint every 100 ms)"
    );
    db.close();
}
