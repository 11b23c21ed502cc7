//! `bedrud run`: start, serve, and stop gracefully.

use std::time::Duration;

use poem::Server;
use poem::listener::TcpAcceptor;

use crate::config::Config;
use crate::settings::{LivekitMode, Resolved};
use crate::{app, media};

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
        LivekitMode::Embedded => match &resolved.livekit_binary {
            Some(binary) => {
                tracing::info!(binary = %binary.display(), port = config.livekit.port, "embedded LiveKit: bedrud runs and supervises livekit-server")
            }
            None => tracing::error!(
                binary = %config.livekit.binary,
                "embedded LiveKit: livekit-server not found (set livekit.binary or PATH); reporting livekit as unavailable"
            ),
        },
    }
    let cases = app::use_cases(&config, &db, &secrets)?;
    let rooms = app::room_cases(
        &config,
        &db,
        &secrets,
        cases.sessions.clone(),
        resolved.livekit_mode,
    )?;
    let addr = format!("{}:{}", config.server.host, config.server.port);
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr()?;
    let acceptor = TcpAcceptor::from_tokio(listener)?;

    // Signals are ours from here on: a SIGTERM while LiveKit starts still stops it.
    let shutdown = media::Shutdown::listen()?;
    let embedded = resolved.livekit_mode == LivekitMode::Embedded;
    // The webhook URL needs the bound port (server.port may be 0).
    let supervisor = if embedded {
        Some(media::supervisor(
            &config,
            &resolved,
            &secrets,
            media::webhook_port(&config, local.port()),
        )?)
    } else {
        None
    };
    let livekit_task = supervisor
        .clone()
        .map(|s| tokio::spawn(s.run(shutdown.wait())));
    let services = app::services(
        &db,
        &cases,
        &rooms,
        resolved.livekit_mode,
        supervisor.clone(),
    );
    let http = app::http_config(&config, resolved.livekit_mode, &secrets.session);
    let endpoint = if embedded {
        let target = app::livekit_internal_host(&config, resolved.livekit_mode);
        bedrud_http::app_with_livekit_proxy(
            services,
            http,
            bedrud_http::proxy::livekit_proxy(&target),
        )
    } else {
        bedrud_http::app(services, http)
    };
    tracing::info!(addr = %local, "listening on http://{local}");

    let grace = Duration::from_secs(config.server.shutdown_timeout_secs);
    let result = Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(endpoint, shutdown.wait(), Some(grace))
        .await;
    // LiveKit got the same signal; wait until it is gone (SIGTERM, grace, SIGKILL).
    if let Some(task) = livekit_task
        && let Err(e) = task.await
    {
        tracing::error!(error = %e, "LiveKit supervision failed");
    }
    db.close();
    result.map_err(|e| anyhow::anyhow!("server error: {e}"))?;
    tracing::info!("stopped");
    Ok(())
}
