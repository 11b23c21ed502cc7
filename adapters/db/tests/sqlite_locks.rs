//! SQLite connections wait for a lock held elsewhere instead of failing with
//! "database is locked" (the first burst of requests after start opens many connections at once).

use std::time::{Duration, Instant};

use bedrud_db::{DatabaseUrl, Db, PoolOptions};
use bedrud_ports::DatabaseHealth;
use diesel::Connection;
use diesel::connection::SimpleConnection;

#[tokio::test(flavor = "multi_thread")]
async fn a_new_connection_waits_for_a_lock_held_by_another() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bedrud.db");
    let options = PoolOptions {
        max_connections: 4,
        acquire_timeout: Duration::from_secs(10),
    };
    let db = Db::open(&DatabaseUrl::Sqlite(path.clone()), &options).expect("open");
    db.migrate().await.expect("migrate");

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
        drop(conn);
    });
    held_rx.recv().expect("lock held");

    let started = Instant::now();
    let result = db.ping().await;
    holder.join().expect("holder thread");
    assert!(result.is_ok(), "the new connection failed: {result:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "the lock was not in the way ({:?}), so this proves nothing",
        started.elapsed()
    );
}
