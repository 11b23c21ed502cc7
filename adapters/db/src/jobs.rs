//! `JobLock` and `JobRunStore` on both backends.
//!
//! A run is claimed by inserting its `(job, tick)` row: the unique key lets exactly one
//! instance run each tick. On PostgreSQL the claim also holds a session advisory lock on a
//! dedicated connection until the run finishes, so runs of one job never overlap across
//! instances; SQLite serves a single instance and needs no lock.

use async_trait::async_trait;
use bedrud_ports::*;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Text};
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::Db;
use crate::error::db_err;
use crate::pool::{Pools, acquire};

/// First key of the two-key advisory locks of jobs ("jobs"); the two-key space does not
/// overlap the one-key locks of migrations and per-key transactions.
const JOB_LOCK_CLASS: i32 = 0x6a6f_6273;

type PgObject = deadpool::managed::Object<AsyncDieselConnectionManager<AsyncPgConnection>>;

#[derive(Queryable)]
struct JobRunRow {
    id: String,
    job: String,
    tick: DateTime<Utc>,
    instance: String,
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    rows_changed: Option<i64>,
    error: Option<String>,
}

impl From<JobRunRow> for JobRun {
    fn from(r: JobRunRow) -> Self {
        JobRun {
            id: r.id,
            job: r.job,
            tick: r.tick,
            instance: r.instance,
            started_at: r.started_at,
            finished_at: r.finished_at,
            rows: r.rows_changed,
            error: r.error,
        }
    }
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    flag: bool,
}

/// Inserts the run's row unless its `(job, tick)` exists; evaluates to the count inserted.
/// Use where a schema module's `job_runs` is in scope.
macro_rules! insert_run {
    ($conn:expr, $run:expr) => {
        diesel::insert_into(job_runs::table)
            .values((
                job_runs::id.eq(&$run.id),
                job_runs::job.eq(&$run.job),
                job_runs::tick.eq($run.tick),
                job_runs::instance.eq(&$run.instance),
                job_runs::started_at.eq($run.started_at),
                job_runs::finished_at.eq($run.finished_at),
                job_runs::rows_changed.eq($run.rows),
                job_runs::error.eq(&$run.error),
            ))
            .on_conflict((job_runs::job, job_runs::tick))
            .do_nothing()
            .execute($conn)
            .await
    };
}

#[async_trait]
impl JobLock for Db {
    async fn claim(&self, run: JobRun) -> StoreResult<Option<Box<dyn JobLease>>> {
        if let Pools::Postgres(pool) = self.pools() {
            return claim_postgres(acquire(pool).await?, run).await;
        }
        let inserted = on_db!(self, write, |conn| {
            insert_run!(conn, run).map_err(db_err)?
        });
        Ok((inserted > 0).then(|| {
            Box::new(RecordLease {
                db: self.clone(),
                id: run.id,
            }) as Box<dyn JobLease>
        }))
    }
}

async fn claim_postgres(mut conn: PgObject, run: JobRun) -> StoreResult<Option<Box<dyn JobLease>>> {
    use crate::schema::postgres::job_runs;
    let locked = diesel::sql_query("SELECT pg_try_advisory_lock($1, hashtext($2)) AS flag")
        .bind::<Integer, _>(JOB_LOCK_CLASS)
        .bind::<Text, _>(&run.job)
        .get_result::<Flag>(&mut *conn)
        .await
        .map_err(db_err)?;
    if !locked.flag {
        return Ok(None);
    }
    match insert_run!(&mut *conn, run) {
        Ok(n) if n > 0 => Ok(Some(Box::new(PgLease {
            conn: Some(conn),
            id: run.id,
            job: run.job,
        }))),
        Ok(_) => {
            unlock(conn, &run.job).await;
            Ok(None)
        }
        Err(e) => {
            unlock(conn, &run.job).await;
            Err(db_err(e))
        }
    }
}

/// Releases the job's advisory lock; a connection that cannot confirm it is closed
/// instead of going back to the pool (closing the session releases its locks).
async fn unlock(mut conn: PgObject, job: &str) {
    let released = diesel::sql_query("SELECT pg_advisory_unlock($1, hashtext($2)) AS flag")
        .bind::<Integer, _>(JOB_LOCK_CLASS)
        .bind::<Text, _>(job)
        .get_result::<Flag>(&mut *conn)
        .await;
    if !matches!(released, Ok(Flag { flag: true })) {
        tracing::warn!(job, "job lock not released cleanly; closing its connection");
        drop(deadpool::managed::Object::take(conn));
    }
}

/// Writes the outcome of run `id`.
async fn record(db: &Db, id: &str, outcome: JobOutcome) -> StoreResult<()> {
    on_db!(db, write, |conn| {
        diesel::update(job_runs::table.find(id))
            .set((
                job_runs::finished_at.eq(Some(outcome.finished_at)),
                job_runs::rows_changed.eq(outcome.rows),
                job_runs::error.eq(&outcome.error),
            ))
            .execute(conn)
            .await
            .map(|_| ())
            .map_err(db_err)
    })
}

/// A claimed run without a lock (SQLite).
struct RecordLease {
    db: Db,
    id: String,
}

#[async_trait]
impl JobLease for RecordLease {
    async fn finish(self: Box<Self>, outcome: JobOutcome) -> StoreResult<()> {
        record(&self.db, &self.id, outcome).await
    }
}

/// A claimed run holding the job's advisory lock on its own connection (PostgreSQL).
struct PgLease {
    conn: Option<PgObject>,
    id: String,
    job: String,
}

#[async_trait]
impl JobLease for PgLease {
    async fn finish(mut self: Box<Self>, outcome: JobOutcome) -> StoreResult<()> {
        use crate::schema::postgres::job_runs;
        let Some(mut conn) = self.conn.take() else {
            return Ok(());
        };
        let written = diesel::update(job_runs::table.find(&self.id))
            .set((
                job_runs::finished_at.eq(Some(outcome.finished_at)),
                job_runs::rows_changed.eq(outcome.rows),
                job_runs::error.eq(&outcome.error),
            ))
            .execute(&mut *conn)
            .await;
        unlock(conn, &self.job).await;
        written.map(|_| ()).map_err(db_err)
    }
}

impl Drop for PgLease {
    fn drop(&mut self) {
        // Abandoned (the run panicked or was cancelled): the lock must not go back to the
        // pool with the connection, so the connection is closed, which releases it.
        if let Some(conn) = self.conn.take() {
            drop(deadpool::managed::Object::take(conn));
        }
    }
}

#[async_trait]
impl JobRunStore for Db {
    async fn list_runs(&self, job: &str, since: DateTime<Utc>) -> StoreResult<Vec<JobRun>> {
        on_db!(self, read, |conn| {
            job_runs::table
                .filter(job_runs::job.eq(job))
                .filter(job_runs::tick.ge(since))
                .order((job_runs::tick.asc(), job_runs::started_at.asc()))
                .load::<JobRunRow>(conn)
                .await
                .map(|rows| rows.into_iter().map(JobRun::from).collect())
                .map_err(db_err)
        })
    }

    async fn purge_runs(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        on_db!(self, write, |conn| {
            diesel::delete(job_runs::table.filter(job_runs::started_at.lt(before)))
                .execute(conn)
                .await
                .map(|n| n as u64)
                .map_err(db_err)
        })
    }
}
