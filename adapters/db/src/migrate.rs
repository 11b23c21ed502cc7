//! Embedded migrations, run at start-up and by `bedrud migrate`.

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::migration::MigrationVersion;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::pool::DatabaseUrl;

const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Arbitrary key of the advisory lock that serialises migrations across instances.
const MIGRATION_LOCK: i64 = 0x6265_6472_7564_0001;

/// What a migration run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Versions applied by this run (empty when the schema was current).
    pub applied: Vec<String>,
}

fn versions(v: Vec<MigrationVersion<'_>>) -> Vec<String> {
    v.into_iter().map(|v| v.to_string()).collect()
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub async fn run(url: &DatabaseUrl) -> anyhow::Result<MigrationReport> {
    let url = url.clone();
    let applied = tokio::task::spawn_blocking(move || -> Result<Vec<String>, BoxError> {
        match url {
            DatabaseUrl::Sqlite(path) => {
                let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())?;
                conn.batch_execute(crate::pool::SQLITE_PRAGMAS)?;
                Ok(versions(conn.run_pending_migrations(SQLITE)?))
            }
            DatabaseUrl::Postgres(url) => {
                let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)?;
                conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
                let result = conn.run_pending_migrations(POSTGRES).map(versions);
                conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
                Ok(result?)
            }
        }
    })
    .await
    .map_err(|e| anyhow::anyhow!("migration task failed: {e}"))?
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(MigrationReport { applied })
}
