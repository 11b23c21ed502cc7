//! `bedrud run`: start, serve, and stop gracefully.

use std::time::Duration;

use poem::Server;
use poem::listener::TcpAcceptor;

use crate::app;
use crate::config::Config;
use crate::settings::{LivekitMode, Resolved};

/// Runs the server until SIGINT or SIGTERM, then lets in-flight requests finish
/// (bounded by `server.shutdown_timeout_secs`) and closes the pools.
pub async fn run(config: Config, resolved: Resolved) -> anyhow::Result<()> {
    let secrets = app::Secrets::ensure(&config, &resolved)?;
    let db = app::open_db(&config, &resolved)?;
    tracing::info!(backend = db.backend(), url = %bedrud_db::redact(&format!("{:?}", resolved.database)), "opening database");
    let report = db
        .migrate()
        .await
        .map_err(|e| anyhow::anyhow!("database migration failed: {e}"))?;
    if !report.applied.is_empty() {
        tracing::info!(applied = ?report.applied, "applied database migrations");
    }
    match resolved.livekit_mode {
        LivekitMode::Disabled => tracing::info!(
            binary = %config.livekit.binary,
            "LiveKit disabled: no media server configured or found (set livekit.mode, livekit.binary or livekit.host); meetings cannot carry media"
        ),
        LivekitMode::External => {
            tracing::info!(host = %config.livekit.host, "using external LiveKit")
        }
        LivekitMode::Embedded => tracing::warn!(
            binary = ?resolved.livekit_binary,
            "embedded LiveKit supervision is not available in this release; reporting livekit as unavailable"
        ),
    }
    let cases = app::use_cases(&config, &db, &secrets);
    let rooms = app::room_cases(
        &config,
        &db,
        &secrets,
        cases.sessions.clone(),
        resolved.livekit_mode,
    )?;
    let services = app::services(&db, &cases, &rooms, resolved.livekit_mode);
    let endpoint = bedrud_http::app(
        services,
        app::http_config(&config, resolved.livekit_mode, &secrets.session),
    );

    let addr = format!("{}:{}", config.server.host, config.server.port);
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr()?;
    let acceptor = TcpAcceptor::from_tokio(listener)?;
    tracing::info!(addr = %local, "listening on http://{local}");

    let grace = Duration::from_secs(config.server.shutdown_timeout_secs);
    let result = Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(endpoint, shutdown_signal(), Some(grace))
        .await;
    db.close();
    result.map_err(|e| anyhow::anyhow!("server error: {e}"))?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for SIGTERM");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received, shutting down"),
        _ = term.recv() => tracing::info!("SIGTERM received, shutting down"),
    }
}
