//! SQLite WAL checkpoints off the request path.
//!
//! Pooled connections run their statements on the calling task's thread ([`Inline`]) and
//! do not checkpoint on commit (`wal_autocheckpoint = 0`): a checkpoint copies the WAL into
//! the database file and fsyncs it, which must not stall a runtime worker. This task does
//! it instead, on tokio's blocking pool, once per [`INTERVAL`], until the pools close.
//!
//! [`Inline`]: crate::pool::Inline

use std::path::PathBuf;
use std::sync::Weak;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};

use crate::pool::Pools;

/// How often the WAL is copied into the database file.
pub const INTERVAL: Duration = Duration::from_secs(1);

/// Starts the checkpointer when a tokio runtime is running (a server, a CLI command);
/// it stops once the pools are closed or dropped.
pub fn start(path: PathBuf, pools: Weak<Pools>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let mut conn: Option<SqliteConnection> = None;
        loop {
            tokio::time::sleep(INTERVAL).await;
            if pools.upgrade().is_none_or(|p| p.is_closed()) {
                break;
            }
            let path = path.clone();
            let held = conn.take();
            match tokio::task::spawn_blocking(move || checkpoint(&path, held)).await {
                Ok(Ok(kept)) => conn = Some(kept),
                Ok(Err(e)) => tracing::warn!(error = %e, "SQLite checkpoint failed; retrying"),
                Err(e) => tracing::warn!(error = %e, "SQLite checkpoint task failed"),
            }
        }
        // The last connection to close checkpoints what is left.
    });
}

/// One PASSIVE checkpoint (it never waits for readers or the writer) on `conn`, opened
/// when absent; returns the connection for the next round.
fn checkpoint(
    path: &std::path::Path,
    conn: Option<SqliteConnection>,
) -> anyhow::Result<SqliteConnection> {
    let mut conn = match conn {
        Some(conn) => conn,
        None => {
            let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
            conn.batch_execute("PRAGMA busy_timeout = 5000;")?;
            conn
        }
    };
    conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);")?;
    Ok(conn)
}
