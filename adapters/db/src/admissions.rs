//! Room admissions: group commit.
//!
//! Every join writes (the participant row and the room's activity) and, taken one at a
//! time, pays for a transaction of its own: on PostgreSQL a WAL flush per join, on SQLite a
//! hand-off of the one writer connection to the next waiting task, which then has to be
//! scheduled before the writer does anything. Here an admission joins a queue, and one
//! drain task commits everything queued in one transaction, then the next batch (what
//! queued meanwhile), back to back, answering each admission. Admissions stay serial: each
//! capacity count sees the admissions before it (SQLite runs them in queue order,
//! PostgreSQL in (room, identity) order, its lock order). With no concurrency a batch is
//! one admission, as before. The drain task starts with the first admission queued and
//! ends when it finds the queue empty.
//!
//! If a batch fails as a whole (a room deleted meanwhile trips the foreign key, say), each
//! admission is retried in a transaction of its own, so a bad admission answers only for
//! itself.

use std::sync::Arc;

use bedrud_ports::StoreResult;
use chrono::{DateTime, Utc};
use diesel::QueryResult;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz, TimestamptzSqlite};
use diesel::sqlite::{Sqlite, SqliteConnection};
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::Pool;

use crate::batch_queue::{
    BatchQueue, DrainConnection, Waiting, answered, drain_postgres, unavailable,
};
use crate::error::db_err;
use crate::pool::{Pools, SqliteConn, acquire};

diesel::define_sql_function! {
    /// One admission on PostgreSQL (migrations `…_admit`, `…_admit_all`).
    fn bedrud_admit(
        room_id: Text,
        identity: Text,
        capacity: Nullable<BigInt>,
        now: Timestamptz,
    ) -> diesel::sql_types::Bool;
}

diesel::define_sql_function! {
    /// A batch of admissions in one transaction; element i of the answer is admission i's
    /// (migration `…_admit_all`).
    fn bedrud_admit_all(
        room_ids: Array<Text>,
        identities: Array<Text>,
        capacities: Array<Nullable<BigInt>>,
        nows: Array<Timestamptz>,
    ) -> Array<diesel::sql_types::Bool>;
}

/// One admission: activate `identity`'s row in `room_id` unless `capacity` other active,
/// unbanned rows exist.
#[derive(Debug)]
pub(crate) struct Admission {
    pub room_id: String,
    pub identity: String,
    pub capacity: Option<i64>,
    pub now: DateTime<Utc>,
}

type Queued = Waiting<Admission, bool>;

/// The admissions waiting to be committed.
#[derive(Default)]
pub(crate) struct Admissions {
    queue: BatchQueue<Admission, bool>,
    /// The PostgreSQL drain's own connection.
    connection: DrainConnection,
}

/// Where a drain task commits.
enum Target {
    /// The one-connection SQLite writer pool.
    Sqlite(Pool<SqliteConn>),
    /// PostgreSQL, on the drain's own connection (opened from this pool). One batch in
    /// flight at a time: a batch locks its rooms' rows, and four drain tasks by room
    /// measured fewer joins per second (smaller batches).
    Postgres(Pool<AsyncPgConnection>),
}

impl Admissions {
    /// Queues `admission` and waits for its batch; `Ok(false)` when the room is full.
    pub async fn admit(self: &Arc<Self>, pools: &Pools, admission: Admission) -> StoreResult<bool> {
        let (answer, start) = self.queue.push(admission);
        if start {
            let target = match pools {
                Pools::Sqlite { writer, .. } => Target::Sqlite(writer.clone()),
                Pools::Postgres(pool) => Target::Postgres(pool.clone()),
            };
            tokio::spawn(self.clone().drain(target));
        }
        answered(answer, "admission").await
    }

    /// Closes the PostgreSQL drain's own connection.
    pub fn close(&self) {
        self.connection.close();
    }

    /// Commits batches back to back until the queue is empty.
    async fn drain(self: Arc<Self>, target: Target) {
        match target {
            Target::Sqlite(writer) => {
                let _guard = self.queue.panic_guard();
                loop {
                    let conn = acquire(&writer).await;
                    let Some(batch) = self.queue.next_batch() else {
                        return;
                    };
                    match conn {
                        // `Inline`: the batch runs inside this call, on this thread.
                        Ok(mut conn) => {
                            let ran = conn
                                .spawn_blocking(move |conn| {
                                    run_sqlite(conn, batch);
                                    Ok(())
                                })
                                .await;
                            if let Err(e) = ran {
                                tracing::error!(error = %e, "SQLite admission batch did not run");
                            }
                        }
                        Err(e) => unavailable(batch, &e),
                    }
                    // The writer goes back to the pool between batches (other writes and the
                    // checkpointer take turns), and the requests this thread serves get to
                    // queue for the next batch.
                    tokio::task::yield_now().await;
                }
            }
            Target::Postgres(pool) => {
                drain_postgres(&self.queue, &self.connection, &pool, run_postgres).await
            }
        }
    }
}

/// Runs `batch` in one SQLite transaction and answers each admission.
fn run_sqlite(conn: &mut SqliteConnection, batch: Vec<Queued>) {
    let alone = |conn: &mut SqliteConnection, a: &Admission| {
        conn.immediate_transaction(|conn| admit_one(conn, a))
            .map_err(db_err)
    };
    let together = (batch.len() > 1).then(|| {
        conn.immediate_transaction(|conn| {
            batch
                .iter()
                .map(|q| admit_one(conn, &q.item))
                .collect::<QueryResult<Vec<bool>>>()
        })
    });
    match together {
        Some(Ok(admitted)) => answer_each(batch, admitted),
        // One admission, or a batch that failed as a whole: each on its own.
        _ => {
            for q in batch {
                let result = alone(conn, &q.item);
                q.answer(result);
            }
        }
    }
}

/// Runs `batch` in one PostgreSQL call and answers each admission; `false` when the
/// connection returned an error for an admission tried alone.
async fn run_postgres(conn: &mut AsyncPgConnection, batch: Vec<Queued>) -> bool {
    use diesel_async::RunQueryDsl;
    let together = if batch.len() > 1 {
        let rooms: Vec<&str> = batch.iter().map(|q| q.item.room_id.as_str()).collect();
        let identities: Vec<&str> = batch.iter().map(|q| q.item.identity.as_str()).collect();
        let capacities: Vec<Option<i64>> = batch.iter().map(|q| q.item.capacity).collect();
        let nows: Vec<DateTime<Utc>> = batch.iter().map(|q| q.item.now).collect();
        diesel::select(bedrud_admit_all(rooms, identities, capacities, nows))
            .get_result::<Vec<bool>>(conn)
            .await
            .ok()
            .filter(|admitted| admitted.len() == batch.len())
    } else {
        None
    };
    match together {
        Some(admitted) => {
            answer_each(batch, admitted);
            true
        }
        // One admission, or a batch that failed as a whole: each on its own.
        None => {
            let mut connection_ok = true;
            for q in batch {
                let a = &q.item;
                let result =
                    diesel::select(bedrud_admit(&a.room_id, &a.identity, a.capacity, a.now))
                        .get_result::<bool>(conn)
                        .await
                        .map_err(db_err);
                connection_ok &= result.is_ok();
                q.answer(result);
            }
            connection_ok
        }
    }
}

fn answer_each(batch: Vec<Queued>, admitted: Vec<bool>) {
    for (q, admitted) in batch.into_iter().zip(admitted) {
        q.answer(Ok(admitted));
    }
}

/// The statements of one admission, inside the caller's transaction; the same statements
/// as the PostgreSQL function `bedrud_admit` (migrations/postgres/…_admit).
fn admit_one(conn: &mut SqliteConnection, a: &Admission) -> QueryResult<bool> {
    use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};

    use crate::schema::sqlite::room_participants;
    if let Some(capacity) = a.capacity {
        let others: i64 = room_participants::table
            .filter(room_participants::room_id.eq(&a.room_id))
            .filter(room_participants::is_active.eq(true))
            .filter(room_participants::is_banned.eq(false))
            .filter(room_participants::identity.ne(&a.identity))
            .count()
            .get_result(conn)?;
        if others >= capacity {
            return Ok(false);
        }
    }
    Activate(a).execute(conn)?;
    Touch(a).execute(conn)?;
    Ok(true)
}

/// The participant row upsert. diesel never caches an `ON CONFLICT … DO UPDATE` (nor an
/// `UPDATE`) it builds, so SQLite would parse it on every join; these two statements have
/// fixed text and a static query id, so each connection prepares them once.
struct Activate<'a>(&'a Admission);

impl QueryId for Activate<'_> {
    type QueryId = Activate<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<Sqlite> for Activate<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        let a = self.0;
        out.push_sql(
            "INSERT INTO room_participants \
             (room_id, identity, is_active, joined_at, created_at, updated_at) VALUES (",
        );
        out.push_bind_param::<Text, _>(&a.room_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&a.identity)?;
        out.push_sql(", 1, ");
        out.push_bind_param::<TimestamptzSqlite, _>(&a.now)?;
        out.push_sql(", ");
        out.push_bind_param::<TimestamptzSqlite, _>(&a.now)?;
        out.push_sql(", ");
        out.push_bind_param::<TimestamptzSqlite, _>(&a.now)?;
        out.push_sql(
            ") ON CONFLICT (room_id, identity) DO UPDATE SET is_active = 1, \
             joined_at = excluded.joined_at, left_at = NULL, updated_at = excluded.updated_at",
        );
        Ok(())
    }
}

impl diesel::RunQueryDsl<SqliteConnection> for Activate<'_> {}

/// `rooms.last_activity_at = now` (see [`Activate`] for why it is written by hand).
struct Touch<'a>(&'a Admission);

impl QueryId for Touch<'_> {
    type QueryId = Touch<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<Sqlite> for Touch<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        let a = self.0;
        out.push_sql("UPDATE rooms SET last_activity_at = ");
        out.push_bind_param::<TimestamptzSqlite, _>(&a.now)?;
        out.push_sql(" WHERE id = ");
        out.push_bind_param::<Text, _>(&a.room_id)?;
        Ok(())
    }
}

impl diesel::RunQueryDsl<SqliteConnection> for Touch<'_> {}

#[cfg(test)]
mod tests {
    //! The batch paths, driven directly: concurrency decides whether a batch forms, so the
    //! contract suite (which goes through `ParticipantStore::admit`) cannot be sure to
    //! reach them.
    use bedrud_ports::{ParticipantStore, RoomStore};
    use chrono::{TimeDelta, TimeZone};

    use super::*;

    use crate::batch_queue::Answer;
    use crate::pool::Pools;
    use crate::test_rooms::{create, open_migrated};
    use crate::{DatabaseUrl, Db, testing};

    fn t(ms: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0)
            .single()
            .expect("valid")
            + TimeDelta::milliseconds(ms)
    }

    async fn open(url: DatabaseUrl) -> Db {
        let db = open_migrated(url).await;
        for id in ["ra", "rb"] {
            create(&db, id, &format!("room-{id}"), t(0)).await;
        }
        db
    }

    /// Queues `(room, identity, capacity, ms)` admissions as one batch.
    fn batch(items: &[(&str, &str, Option<i64>, i64)]) -> (Vec<Queued>, Vec<Answer<bool>>) {
        let queue = BatchQueue::default();
        let asked = items
            .iter()
            .map(|&(room, identity, capacity, ms)| {
                let admission = Admission {
                    room_id: room.into(),
                    identity: identity.into(),
                    capacity,
                    now: t(ms),
                };
                queue.push(admission).0
            })
            .collect();
        (queue.next_batch().expect("queued"), asked)
    }

    async fn run(db: &Db, batch: Vec<Queued>) {
        match db.pools() {
            Pools::Postgres(pool) => {
                let mut conn = acquire(pool).await.expect("connection");
                run_postgres(&mut conn, batch).await;
            }
            Pools::Sqlite { writer, .. } => {
                let mut conn = acquire(writer).await.expect("writer");
                conn.spawn_blocking(move |conn| {
                    run_sqlite(conn, batch);
                    Ok(())
                })
                .await
                .expect("batch");
            }
        }
    }

    async fn answers(answers: Vec<Answer<bool>>) -> Vec<Option<bool>> {
        let mut out = Vec::new();
        for answer in answers {
            out.push(answer.await.expect("answered").ok());
        }
        out
    }

    async fn joined_at(db: &Db, room: &str, identity: &str) -> Option<DateTime<Utc>> {
        let row = ParticipantStore::get(db, room, identity)
            .await
            .expect("get");
        row.filter(|p| p.is_active).and_then(|p| p.joined_at)
    }

    async fn batches_answer_each_admission(db: Db) {
        // Together: each admission keeps its own time; capacity counts see earlier ones;
        // the room's activity is the latest admission's.
        let (queued, asked) = batch(&[
            ("ra", "a", Some(2), 5),
            ("rb", "x", None, 7),
            ("ra", "b", Some(2), 3),
            ("ra", "c", Some(2), 4),
            ("ra", "a", Some(2), 6),
        ]);
        run(&db, queued).await;
        assert_eq!(
            answers(asked).await,
            [Some(true), Some(true), Some(true), Some(false), Some(true)]
        );
        assert_eq!(joined_at(&db, "ra", "a").await, Some(t(6)));
        assert_eq!(joined_at(&db, "ra", "b").await, Some(t(3)));
        assert_eq!(
            joined_at(&db, "ra", "c").await,
            None,
            "refused writes nothing"
        );
        assert_eq!(joined_at(&db, "rb", "x").await, Some(t(7)));
        let ra = RoomStore::get(&db, "ra").await.expect("get").expect("ra");
        assert_eq!(ra.last_activity_at, Some(t(6)));

        // A batch that fails as a whole: the bad admission answers alone.
        let (queued, asked) = batch(&[
            ("rb", "y", None, 10),
            ("gone", "z", None, 11),
            ("ra", "c", Some(3), 12),
        ]);
        run(&db, queued).await;
        assert_eq!(answers(asked).await, [Some(true), None, Some(true)]);
        assert_eq!(joined_at(&db, "rb", "y").await, Some(t(10)));
        assert_eq!(joined_at(&db, "ra", "c").await, Some(t(12)));
        assert_eq!(
            ParticipantStore::count_active(&db, "ra", None)
                .await
                .expect("count"),
            3
        );

        // No capacities (PostgreSQL's other path): an identity twice keeps its latest
        // time, each room's activity is its own latest admission.
        let (queued, asked) = batch(&[
            ("rb", "y", None, 18),
            ("ra", "d", None, 15),
            ("rb", "y", None, 20),
            ("ra", "e", None, 16),
        ]);
        run(&db, queued).await;
        assert_eq!(answers(asked).await, [Some(true); 4]);
        assert_eq!(joined_at(&db, "rb", "y").await, Some(t(20)));
        assert_eq!(joined_at(&db, "ra", "d").await, Some(t(15)));
        assert_eq!(joined_at(&db, "ra", "e").await, Some(t(16)));
        for (room, latest) in [("ra", 16), ("rb", 20)] {
            let got = RoomStore::get(&db, room).await.expect("get").expect("room");
            assert_eq!(got.last_activity_at, Some(t(latest)), "{room}");
        }
        // And failing as a whole there: the bad admission answers alone.
        let (queued, asked) = batch(&[("gone", "z", None, 31), ("rb", "w", None, 30)]);
        run(&db, queued).await;
        assert_eq!(answers(asked).await, [None, Some(true)]);
        assert_eq!(joined_at(&db, "rb", "w").await, Some(t(30)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_batches_answer_each_admission() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = open(DatabaseUrl::Sqlite(dir.path().join("bedrud.db"))).await;
        batches_answer_each_admission(db).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_batches_answer_each_admission() {
        if let Some(url) = testing::scratch_postgres_or_skip().await {
            let db = open(DatabaseUrl::Postgres(url)).await;
            batches_answer_each_admission(db).await;
        }
    }
}
