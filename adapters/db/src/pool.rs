//! Connection pools for the two backends and the URL that picks one.

use std::path::PathBuf;
use std::time::Duration;

use bedrud_ports::StoreError;
use diesel::SqliteConnection;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

/// SQLite behind diesel-async: a blocking connection whose statements run on the calling
/// task's thread (see [`Inline`]).
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection, Inline>;

/// Runs SQLite statements where they are awaited instead of on tokio's blocking pool.
///
/// A statement on a local WAL database is memory-speed work (microseconds): readers never
/// wait for the writer, and in-process writers queue on the one-connection writer pool, so
/// nothing here waits on a lock held by this process. Handing each statement to another
/// thread and back cost more than the statement itself (the join path made four such hops).
/// Commits do not fsync (`synchronous = NORMAL`); the fsyncs of checkpoints are moved off
/// the request path (see `checkpoint`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Inline;

impl diesel_async::sync_connection_wrapper::SpawnBlocking for Inline {
    fn spawn_blocking<'a, R>(
        &mut self,
        task: impl FnOnce() -> R + Send + 'static,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<
                    Output = Result<R, Box<dyn std::error::Error + Send + Sync + 'static>>,
                > + Send
                + 'a,
        >,
    >
    where
        R: Send + 'static,
    {
        Box::pin(std::future::ready(Ok(task())))
    }

    fn get_runtime() -> Self {
        Inline
    }
}

/// Where the data lives, parsed from `database.url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    /// Parses `sqlite://PATH` (also `sqlite:PATH`) or `postgres://…` / `postgresql://…`.
    pub fn parse(url: &str) -> Result<DatabaseUrl, String> {
        let url = url.trim();
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err("database.url: sqlite URL has no file path (use sqlite://PATH)".into());
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let rest = url.split_once("://").map(|(_, r)| r).unwrap_or_default();
            if rest.is_empty() || rest.starts_with('/') && rest.len() == 1 {
                return Err("database.url: postgres URL has no host".into());
            }
            return Ok(DatabaseUrl::Postgres(url.to_string()));
        }
        Err(format!(
            "database.url: unsupported scheme in {:?} (use sqlite://PATH or postgres://USER@HOST/DB)",
            redact(url)
        ))
    }
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Pool sizing and timeouts.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_connections: usize,
    pub acquire_timeout: Duration,
}

/// The pools of the configured backend.
pub enum Pools {
    Postgres(Pool<AsyncPgConnection>),
    /// SQLite allows one writer: writes go through a one-connection pool so they queue
    /// in-process instead of failing with SQLITE_BUSY; readers share the other pool.
    Sqlite {
        reader: Pool<SqliteConn>,
        writer: Pool<SqliteConn>,
    },
}

/// Per-connection settings. `busy_timeout` comes first: the other statements already touch
/// the file, and without a timeout a connection opened while another one holds a lock (WAL
/// recovery on the first burst after start, a checkpoint, a backup) fails at once with
/// "database is locked" instead of waiting for it.
pub(crate) const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

/// Pooled connections leave checkpoints to the background checkpointer
/// (`crate::checkpoint`), and the WAL file is cut back to 64 MiB after one.
const SQLITE_POOL_PRAGMAS: &str =
    "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864;";

fn sqlite_pool(path: &str, size: usize, opts: &PoolOptions) -> anyhow::Result<Pool<SqliteConn>> {
    let mut config = ManagerConfig::<SqliteConn>::default();
    // A local file does not go away under an open connection: no test query on checkout.
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(|url| {
        let url = url.to_string();
        Box::pin(async move {
            let mut conn = SqliteConn::establish(&url).await?;
            conn.batch_execute(SQLITE_PRAGMAS)
                .await
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            conn.batch_execute(SQLITE_POOL_PRAGMAS)
                .await
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        })
    });
    let manager = AsyncDieselConnectionManager::<SqliteConn>::new_with_config(path, config);
    Ok(Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(opts.acquire_timeout))
        .create_timeout(Some(opts.acquire_timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()?)
}

impl Pools {
    /// Builds the pools (no connection is opened yet).
    pub fn build(url: &DatabaseUrl, opts: &PoolOptions) -> anyhow::Result<Pools> {
        let size = opts.max_connections.max(1);
        match url {
            DatabaseUrl::Postgres(url) => {
                // A pooled connection is handed out without a test query: a closed socket
                // already marks it broken (`is_closed`) and the pool replaces it, and the
                // round trip cost as much as the query it preceded.
                let mut config = ManagerConfig::<AsyncPgConnection>::default();
                config.recycling_method = RecyclingMethod::Fast;
                let manager =
                    AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
                let pool = Pool::builder(manager)
                    .max_size(size)
                    .wait_timeout(Some(opts.acquire_timeout))
                    .create_timeout(Some(opts.acquire_timeout))
                    .runtime(deadpool::Runtime::Tokio1)
                    .build()?;
                Ok(Pools::Postgres(pool))
            }
            DatabaseUrl::Sqlite(path) => {
                let path = path.to_string_lossy().into_owned();
                Ok(Pools::Sqlite {
                    reader: sqlite_pool(&path, size, opts)?,
                    writer: sqlite_pool(&path, 1, opts)?,
                })
            }
        }
    }

    /// Closes every pool: idle connections are dropped, waiters fail.
    pub fn close(&self) {
        match self {
            Pools::Postgres(p) => p.close(),
            Pools::Sqlite { reader, writer } => {
                reader.close();
                writer.close();
            }
        }
    }

    /// Whether [`Pools::close`] ran.
    pub fn is_closed(&self) -> bool {
        match self {
            Pools::Postgres(p) => p.is_closed(),
            Pools::Sqlite { writer, .. } => writer.is_closed(),
        }
    }

    /// (size, available, waiting) summed over the pools, for metrics.
    pub fn status(&self) -> (usize, isize, usize) {
        let one = |s: deadpool::Status| (s.size, s.available as isize, s.waiting);
        match self {
            Pools::Postgres(p) => one(p.status()),
            Pools::Sqlite { reader, writer } => {
                let (a, b) = (one(reader.status()), one(writer.status()));
                (a.0 + b.0, a.1 + b.1, a.2 + b.2)
            }
        }
    }
}

/// Takes a connection, translating pool failures into `Unavailable`.
pub async fn acquire<M>(
    pool: &deadpool::managed::Pool<M>,
) -> Result<deadpool::managed::Object<M>, StoreError>
where
    M: deadpool::managed::Manager,
    M::Error: std::fmt::Display,
{
    pool.get()
        .await
        .map_err(|e| StoreError::Unavailable(anyhow::anyhow!("connection pool: {e}")))
}

/// Serialises concurrent transactions on one key (a user's room cap, a room's capacity).
/// SQLite already has a single writer; PostgreSQL takes a transaction-scoped advisory lock.
pub trait KeyLock {
    /// Blocks until this transaction holds the lock for `key`.
    fn lock_key(
        &mut self,
        key: &str,
    ) -> impl std::future::Future<Output = diesel::QueryResult<()>> + Send;
}

impl KeyLock for AsyncPgConnection {
    async fn lock_key(&mut self, key: &str) -> diesel::QueryResult<()> {
        use diesel_async::RunQueryDsl;
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))::text")
            .bind::<diesel::sql_types::Text, _>(key)
            .execute(self)
            .await
            .map(|_| ())
    }
}

impl KeyLock for SqliteConn {
    async fn lock_key(&mut self, _key: &str) -> diesel::QueryResult<()> {
        Ok(())
    }
}
