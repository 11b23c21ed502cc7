//! Bedrud's stores on SQLite or PostgreSQL, chosen at runtime by `database.url`.
//!
//! diesel-async has no multi-backend connection, so [`Db`] holds the pools of one backend
//! and every query is written once inside [`on_db!`], which expands it for both backends
//! with the matching schema module in scope.
#![forbid(unsafe_code)]

use std::sync::Arc;

use async_trait::async_trait;
use bedrud_ports::{DatabaseHealth, StoreError, StoreResult};

#[macro_use]
mod macros;
mod admissions;
mod batch_queue;
mod ceremonies;
mod checkpoint;
mod error;
mod identities;
mod jobs;
mod lookups;
mod maintenance;
mod migrate;
mod participants;
mod passkeys;
mod pool;
mod rooms;
mod rows;
mod schema;
mod sessions;
mod settings;
#[cfg(test)]
mod test_rooms;
pub mod testing;
mod users;

pub use migrate::MigrationReport;
pub use pool::{DatabaseUrl, PoolOptions, redact};

use pool::Pools;

/// Handle to the database: cheap to clone, shared by every store.
#[derive(Clone)]
pub struct Db {
    pools: Arc<Pools>,
    url: DatabaseUrl,
    /// Room admissions waiting to be committed together.
    admissions: Arc<admissions::Admissions>,
    /// Room lookups waiting to be sent together (PostgreSQL).
    lookups: Arc<lookups::Lookups>,
}

impl Db {
    /// Builds the pools for `url`, creating the SQLite file's directory when needed.
    /// Nothing is connected until first use (or [`Db::migrate`]).
    pub fn open(url: &DatabaseUrl, options: &PoolOptions) -> anyhow::Result<Db> {
        if let DatabaseUrl::Sqlite(path) = url
            && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                anyhow::anyhow!("cannot create database directory {}: {e}", dir.display())
            })?;
        }
        let pools = Arc::new(Pools::build(url, options)?);
        if let DatabaseUrl::Sqlite(_) = url {
            checkpoint::start(Arc::downgrade(&pools));
        }
        Ok(Db {
            pools,
            url: url.clone(),
            admissions: Default::default(),
            lookups: Default::default(),
        })
    }

    /// Which backend this is: `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match self.url {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }

    /// Applies pending migrations (idempotent); on Postgres under an advisory lock so that
    /// instances starting together do not race.
    pub async fn migrate(&self) -> anyhow::Result<MigrationReport> {
        migrate::run(&self.url).await
    }

    /// Closes the pools and the batch drains' own connections.
    pub fn close(&self) {
        self.pools.close();
        self.admissions.close();
        self.lookups.close();
    }

    /// (size, available, waiting) of the pools.
    pub fn pool_status(&self) -> (usize, isize, usize) {
        self.pools.status()
    }

    pub(crate) fn pools(&self) -> &Pools {
        &self.pools
    }

    pub(crate) fn admissions(&self) -> &Arc<admissions::Admissions> {
        &self.admissions
    }

    pub(crate) fn lookups(&self) -> &Arc<lookups::Lookups> {
        &self.lookups
    }
}

#[async_trait]
impl DatabaseHealth for Db {
    async fn ping(&self) -> StoreResult<()> {
        use diesel_async::SimpleAsyncConnection;
        on_db!(self, read, |conn| {
            conn.batch_execute("SELECT 1")
                .await
                .map_err(|e| StoreError::Unavailable(e.into()))
        })
    }
}
