//! The queue behind the statements that run in batches (room admissions, room lookups on
//! PostgreSQL): callers queue an item and wait for its answer; one drain task at a time
//! takes everything queued, runs it together and answers each item, then takes what
//! queued meanwhile, and ends when it finds the queue empty. With no concurrency a batch
//! is one item, so nothing waits for company.

use std::sync::{Mutex, MutexGuard, PoisonError};

use bedrud_ports::{StoreError, StoreResult};
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::Pool;
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

/// A PostgreSQL drain: runs `queue`'s batches back to back with `run` until the queue is
/// empty, on one connection, so that batches follow each other without queueing for the
/// pool behind the requests' reads. `run` answers every item and says whether the
/// connection is still good; after an error it goes back to the pool (which checks it).
pub(crate) async fn drain_postgres<T, R>(
    queue: &BatchQueue<T, R>,
    pool: &Pool<AsyncPgConnection>,
    mut run: impl AsyncFnMut(&mut AsyncPgConnection, Vec<Waiting<T, R>>) -> bool,
) {
    let _guard = queue.panic_guard();
    let mut held = None;
    loop {
        let conn = match held.take() {
            Some(conn) => Ok(conn),
            None => acquire(pool).await,
        };
        let Some(batch) = queue.next_batch() else {
            return;
        };
        match conn {
            Ok(mut conn) => {
                if run(&mut conn, batch).await {
                    held = Some(conn);
                }
            }
            Err(e) => unavailable(batch, &e),
        }
    }
}
