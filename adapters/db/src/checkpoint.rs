//! SQLite WAL checkpoints off the request path.
//!
//! Pooled connections run their statements on the calling task's thread ([`Inline`]) and
//! do not checkpoint on commit (`wal_autocheckpoint = 0`): a checkpoint copies the WAL into
//! the database file and fsyncs it, which must not stall a runtime worker. This task does
//! it instead, every [`INTERVAL`] until the pools close: it takes the writer connection
//! (writers queue on the pool meanwhile, without blocking a thread) and checkpoints on a
//! thread of its own.
//!
//! Checkpointing on the writer matters: with no write in between, the checkpoint can copy
//! every frame, and the next write then starts the WAL file over. A checkpoint from another
//! connection races the writer under sustained load, never completes, and the WAL grows
//! without bound (measured: 830 MB in eight seconds of refreshes). Every 100 ms keeps the
//! WAL under ~25 MB at full load and each pause of the writers short (measured with
//! `bench/run`: join p99 at 64 connections 15 ms, against 28 ms with every 500 ms).
//!
//! [`Inline`]: crate::pool::Inline

use std::future::Future;
use std::sync::Weak;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use diesel_async::SimpleAsyncConnection;

use crate::pool::{Pools, acquire};

/// How often the WAL is copied into the database file.
pub const INTERVAL: Duration = Duration::from_millis(100);

/// Starts the checkpointer when a tokio runtime is running (a server, a CLI command);
/// it stops once the pools are closed or dropped.
///
/// The fsyncs run on a thread of the checkpointer's own rather than tokio's blocking pool:
/// a pool thread woken ten times a second never idles out, and the allocator hands back
/// the memory a thread freed (Argon2id's 19 MiB per hash runs on that pool) only when the
/// thread ends (with the runtime's short thread keep-alive, measured: 26 MiB idle after 64
/// sign-ups instead of 45–65 MiB).
pub fn start(pools: Weak<Pools>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let (work, jobs) = std::sync::mpsc::channel::<(SqliteObject, Reply)>();
    let spawned = std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            // Ends when the task below drops its sender.
            while let Ok((mut conn, reply)) = jobs.recv() {
                // `Inline` connections finish their work inside the call: the future is
                // ready at once, on this thread. The connection goes back to the pool here.
                let _ = reply.send(ready(conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);")));
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the SQLite checkpointer; the WAL is copied when the database closes");
        return;
    }
    runtime.spawn(async move {
        loop {
            tokio::time::sleep(INTERVAL).await;
            let Some(pools) = pools.upgrade().filter(|p| !p.is_closed()) else {
                break;
            };
            let Pools::Sqlite { writer, .. } = &*pools else {
                break;
            };
            let Ok(conn) = acquire(writer).await else {
                continue;
            };
            drop(pools);
            let (reply, done) = tokio::sync::oneshot::channel();
            if work.send((conn, reply)).is_err() {
                break;
            }
            match done.await {
                Ok(Some(Ok(()))) => {}
                Ok(Some(Err(e))) => tracing::warn!(error = %e, "SQLite checkpoint failed"),
                Ok(None) => tracing::warn!("SQLite checkpoint did not finish inline"),
                Err(_) => break,
            }
        }
        // The last connection to close checkpoints what is left.
    });
}

/// A pooled SQLite connection.
type SqliteObject = deadpool::managed::Object<
    diesel_async::pooled_connection::AsyncDieselConnectionManager<crate::pool::SqliteConn>,
>;

/// Where the checkpoint thread answers.
type Reply = tokio::sync::oneshot::Sender<Option<diesel::QueryResult<()>>>;

/// The output of a future that is already complete, else `None`.
fn ready<F: Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}
