//! The queue behind the statements that run in batches (room admissions, room lookups on
//! PostgreSQL): callers queue an item and wait for its answer; one drain task at a time
//! takes everything queued, runs it together and answers each item, then takes what
//! queued meanwhile, and ends when it finds the queue empty. With no concurrency a batch
//! is one item, so nothing waits for company.

use std::sync::{Mutex, MutexGuard, PoisonError};

use bedrud_ports::{StoreError, StoreResult};
use deadpool::managed::Object;
use diesel_async::pooled_connection::PoolableConnection;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use tokio::sync::oneshot;

use crate::pool::acquire;

/// An item waiting for its batch, and where its answer goes.
pub(crate) struct Waiting<T, R> {
    pub item: T,
    reply: oneshot::Sender<StoreResult<R>>,
}

impl<T, R> Waiting<T, R> {
    pub fn answer(self, result: StoreResult<R>) {
        // The asker may have gone away (client hung up); the batch stands regardless.
        let _ = self.reply.send(result);
    }
}

struct Inner<T, R> {
    waiting: Vec<Waiting<T, R>>,
    /// Whether a drain task is running.
    draining: bool,
}

/// Items waiting to be run together.
pub(crate) struct BatchQueue<T, R> {
    inner: Mutex<Inner<T, R>>,
}

impl<T, R> Default for BatchQueue<T, R> {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Inner {
                waiting: Vec::new(),
                draining: false,
            }),
        }
    }
}

/// What a caller waits on.
pub(crate) type Answer<R> = oneshot::Receiver<StoreResult<R>>;

impl<T, R> BatchQueue<T, R> {
    /// Queues `item`. The flag is true when no drain task is running: the caller must
    /// start one (in a task of its own, so that no request going away can leave a batch
    /// unanswered).
    pub fn push(&self, item: T) -> (Answer<R>, bool) {
        let (reply, answer) = oneshot::channel();
        let mut inner = self.lock();
        inner.waiting.push(Waiting { item, reply });
        let start = !std::mem::replace(&mut inner.draining, true);
        (answer, start)
    }

    /// Everything queued, or `None` when nothing is: the drain task must then end (the
    /// next push starts another).
    pub fn next_batch(&self) -> Option<Vec<Waiting<T, R>>> {
        let mut inner = self.lock();
        if inner.waiting.is_empty() {
            inner.draining = false;
            return None;
        }
        Some(std::mem::take(&mut inner.waiting))
    }

    /// Held by a drain task: if the task panics, the items it held get an error (their
    /// senders are dropped), so do those still queued, and the next push starts another
    /// drain.
    pub fn panic_guard(&self) -> PanicGuard<'_, T, R> {
        PanicGuard(self)
    }

    fn lock(&self) -> MutexGuard<'_, Inner<T, R>> {
        // The queue holds no invariant a panic could break half-way.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(crate) struct PanicGuard<'a, T, R>(&'a BatchQueue<T, R>);

impl<T, R> Drop for PanicGuard<'_, T, R> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut inner = self.0.lock();
            inner.draining = false;
            inner.waiting.clear();
        }
    }
}

/// The answer a caller waited for; an error if the drain task ended without one.
pub(crate) async fn answered<R>(answer: Answer<R>, what: &str) -> StoreResult<R> {
    answer.await.unwrap_or_else(|_| {
        Err(StoreError::Other(anyhow::anyhow!(
            "the {what} batch ended without an answer"
        )))
    })
}

/// Answers every item of `batch` with "unavailable" and the pool's own words (the
/// variant's text alone says only "unavailable"): no connection could be had for it.
pub(crate) fn unavailable<T, R>(batch: Vec<Waiting<T, R>>, e: &StoreError) {
    let why = std::error::Error::source(e).map_or_else(|| e.to_string(), |s| s.to_string());
    for w in batch {
        w.answer(Err(StoreError::Unavailable(anyhow::anyhow!("{why}"))));
    }
}

/// The connection a PostgreSQL drain works on, kept between drains: one of the drain's
/// own, taken out of the pool (so the pool may open another in its place), so that batches
/// never queue for the pool behind the requests' reads.
///
/// It plans its statements once: a batch statement takes arrays, and PostgreSQL's default
/// for a prepared statement is to plan it again on every execution with the values in
/// hand whenever it estimates that cheaper, which with arrays whose length it can see it
/// always does. Profiled in the PostgreSQL join at 16 connections, re-planning the room
/// lookup was 29 % of PostgreSQL's CPU. The generic plan is made once per connection, for
/// arrays of the planner's default length (ten), and the batch statements are written so
/// that it probes by key whatever the tables' sizes (the lookup's lateral subqueries,
/// migration 6). The setting is this connection's alone; the pool's connections keep
/// PostgreSQL's default.
#[derive(Default)]
pub(crate) struct DrainConnection(Mutex<Option<AsyncPgConnection>>);

/// Session settings of a [`DrainConnection`].
const DRAIN_SETUP: &str = "SET plan_cache_mode = force_generic_plan";

impl DrainConnection {
    /// The parked connection unless it is known broken (its socket closed: PostgreSQL
    /// restarted meanwhile, say), else a new one from the pool, set up.
    async fn take(&self, pool: &Pool<AsyncPgConnection>) -> StoreResult<AsyncPgConnection> {
        let parked = self.slot().take();
        if let Some(mut conn) = parked
            && !PoolableConnection::is_broken(&mut conn)
        {
            return Ok(conn);
        }
        let mut conn = Object::take(acquire(pool).await?);
        conn.batch_execute(DRAIN_SETUP)
            .await
            .map_err(|e| StoreError::Unavailable(anyhow::anyhow!("batch connection setup: {e}")))?;
        Ok(conn)
    }

    /// Keeps `conn` for the next drain, unless the pool has been closed.
    fn park(&self, conn: AsyncPgConnection, pool: &Pool<AsyncPgConnection>) {
        if !pool.is_closed() {
            *self.slot() = Some(conn);
        }
    }

    /// Drops the parked connection (the pool is closing).
    pub fn close(&self) {
        self.slot().take();
    }

    fn slot(&self) -> MutexGuard<'_, Option<AsyncPgConnection>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A PostgreSQL drain: runs `queue`'s batches back to back with `run` until the queue is
/// empty, on `own` connection. `run` answers every item and says whether the connection
/// is still good; after an error the connection is closed and the next batch opens one.
pub(crate) async fn drain_postgres<T, R>(
    queue: &BatchQueue<T, R>,
    own: &DrainConnection,
    pool: &Pool<AsyncPgConnection>,
    mut run: impl AsyncFnMut(&mut AsyncPgConnection, Vec<Waiting<T, R>>) -> bool,
) {
    let _guard = queue.panic_guard();
    let mut held = None;
    loop {
        // Parked before the queue is found empty: a drain started right after finds it.
        if let Some(conn) = held.take() {
            own.park(conn, pool);
        }
        let Some(batch) = queue.next_batch() else {
            return;
        };
        match own.take(pool).await {
            Ok(mut conn) => {
                if run(&mut conn, batch).await {
                    held = Some(conn);
                }
            }
            Err(e) => unavailable(batch, &e),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bedrud_ports::RoomStore;
    use chrono::{TimeZone, Utc};
    use diesel::dsl::sql;
    use diesel::sql_types::{Integer, Text};
    use diesel_async::RunQueryDsl;

    use super::*;
    use crate::pool::Pools;
    use crate::test_rooms::{create, open_migrated};
    use crate::{DatabaseUrl, testing};

    async fn setting_and_pid(conn: &mut AsyncPgConnection) -> (String, i32) {
        diesel::select((
            sql::<Text>("current_setting('plan_cache_mode')"),
            sql::<Integer>("pg_backend_pid()"),
        ))
        .get_result(conn)
        .await
        .expect("query")
    }

    /// The connection the drain parks once it finds the queue empty (it answers first).
    async fn parked(own: &DrainConnection) -> AsyncPgConnection {
        for _ in 0..500 {
            if let Some(conn) = own.slot().take() {
                return conn;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the drain did not park its connection");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_drain_keeps_its_own_generic_plan_connection_between_drains() {
        let Some(url) = testing::scratch_postgres_or_skip().await else {
            return;
        };
        let db = open_migrated(DatabaseUrl::Postgres(url)).await;
        let Pools::Postgres(pool) = db.pools() else {
            panic!("PostgreSQL only");
        };
        let at = Utc
            .with_ymd_and_hms(2026, 3, 1, 10, 0, 0)
            .single()
            .expect("valid");
        create(&db, "r1", "room", at).await;
        let own = &db.lookups().connection;

        let mut backends = Vec::new();
        for _ in 0..2 {
            // A lookup through the store: a drain starts, runs it, parks its connection.
            let found = RoomStore::find_by_name_with_row(&db, "room", "owner")
                .await
                .expect("find");
            assert_eq!(found.map(|(room, _)| room.id).as_deref(), Some("r1"));
            let mut conn = parked(own).await;
            let (mode, pid) = setting_and_pid(&mut conn).await;
            assert_eq!(mode, "force_generic_plan");
            backends.push(pid);
            own.park(conn, pool);
        }
        assert_eq!(
            backends[0], backends[1],
            "the second drain reused the first's connection"
        );

        // The pool's connections keep PostgreSQL's default, and none of them is the drain's.
        let mut pooled = acquire(pool).await.expect("connection");
        let (mode, pid) = setting_and_pid(&mut pooled).await;
        assert_eq!(mode, "auto");
        assert_ne!(pid, backends[0]);
        drop(pooled);

        // A parked connection whose backend went away is replaced, not used: the next
        // lookup is answered.
        let mut pooled = acquire(pool).await.expect("connection");
        diesel::select(sql::<diesel::sql_types::Bool>(&format!(
            "pg_terminate_backend({})",
            backends[0]
        )))
        .get_result::<bool>(&mut pooled)
        .await
        .expect("terminate");
        drop(pooled);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let found = RoomStore::find_by_name_with_row(&db, "room", "owner")
            .await
            .expect("answered on a new connection");
        assert_eq!(found.map(|(room, _)| room.id).as_deref(), Some("r1"));
        let mut conn = parked(own).await;
        assert_ne!(setting_and_pid(&mut conn).await.1, backends[0]);
        own.park(conn, pool);

        db.close();
        assert!(own.slot().is_none(), "closing drops the parked connection");
    }
}
