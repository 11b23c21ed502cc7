//! Support for tests that need a database of their own (used by the contract suite and
//! the black-box tests).

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

/// Environment variable naming the Postgres server tests may use.
pub const POSTGRES_URL_VAR: &str = "BEDRUD_TEST_POSTGRES_URL";
/// When `1`, a missing or unreachable test Postgres is a failure, not a skip.
pub const REQUIRE_POSTGRES_VAR: &str = "BEDRUD_REQUIRE_POSTGRES";

/// Creates a fresh, empty database on the server of `admin_url` and returns its URL.
pub async fn create_scratch_postgres(admin_url: &str) -> anyhow::Result<String> {
    let mut conn = AsyncPgConnection::establish(admin_url).await?;
    let name = format!("bedrud_t_{}", uuid_like());
    conn.batch_execute(&format!("CREATE DATABASE {name}"))
        .await?;
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (admin_url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    Ok(format!("{base}/{name}{query}"))
}

/// The test Postgres URL, a fresh database on it, or `None` to skip. Panics (fails the
/// test) when Postgres is required but absent or unreachable.
pub async fn scratch_postgres_or_skip() -> Option<String> {
    let required = std::env::var(REQUIRE_POSTGRES_VAR).is_ok_and(|v| v == "1");
    let url = match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.is_empty() => url,
        _ if required => panic!("{REQUIRE_POSTGRES_VAR}=1 but {POSTGRES_URL_VAR} is not set"),
        _ => {
            eprintln!("skipping the Postgres half: {POSTGRES_URL_VAR} is not set");
            return None;
        }
    };
    match create_scratch_postgres(&url).await {
        Ok(url) => Some(url),
        Err(e) if required => panic!("test Postgres unreachable: {e}"),
        Err(e) => {
            eprintln!("skipping the Postgres half: {e}");
            None
        }
    }
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{:x}_{:x}_{seq}", nanos, std::process::id())
}

/// Runs `sql` (one or more statements) on the database of `url` (`sqlite://PATH` or
/// `postgres://…`), outside any server: for tests that age or edit rows directly.
pub async fn execute(url: &str, sql: &str) -> anyhow::Result<()> {
    match crate::DatabaseUrl::parse(url).map_err(anyhow::Error::msg)? {
        crate::DatabaseUrl::Sqlite(path) => {
            let mut conn = crate::pool::SqliteConn::establish(&path.to_string_lossy()).await?;
            conn.batch_execute("PRAGMA busy_timeout = 5000;").await?;
            conn.batch_execute(sql).await?;
        }
        crate::DatabaseUrl::Postgres(url) => {
            let mut conn = AsyncPgConnection::establish(&url).await?;
            conn.batch_execute(sql).await?;
        }
    }
    Ok(())
}

/// Drops the database of `url` (a scratch database), disconnecting its sessions.
pub async fn drop_scratch_postgres(url: &str) -> anyhow::Result<()> {
    let admin = std::env::var(POSTGRES_URL_VAR)?;
    let name = url
        .split('?')
        .next()
        .and_then(|u| u.rsplit('/').next())
        .filter(|n| n.starts_with("bedrud_t_"))
        .ok_or_else(|| anyhow::anyhow!("not a scratch database: {url}"))?;
    let mut conn = AsyncPgConnection::establish(&admin).await?;
    conn.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await?;
    Ok(())
}
