//! `bedrud run`: start, serve, and stop gracefully.

use std::time::Duration;

use poem::listener::{AcceptorExt, TcpAcceptor};
use poem::{Endpoint, Server};

use crate::config::Config;
use crate::settings::{LivekitMode, Resolved};
use crate::{app, media, tls};

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
    let tls = if config.server.enable_tls {
        Some(tls::server_config(
            config.server.cert_file.trim(),
            config.server.key_file.trim(),
        )?)
    } else {
        None
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let acceptor = match &tls {
        Some(tls) => tls::TlsAcceptor::new(TcpAcceptor::from_tokio(listener)?, tls.clone()).boxed(),
        None => TcpAcceptor::from_tokio(listener)?.boxed(),
    };
    let embedded = resolved.livekit_mode == LivekitMode::Embedded;
    // With TLS, embedded LiveKit delivers its webhooks to a plain-HTTP listener on
    // loopback (API §6.3), bound now: the webhook URL needs its port.
    let loopback = if embedded && tls.is_some() {
        let addr = format!("127.0.0.1:{}", config.server.loopback_port);
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .map_err(|e| anyhow::anyhow!("server.loopback_port: cannot listen on {addr}: {e}"))?;
        Some(listener)
    } else {
        None
    };
    let webhook_port = match &loopback {
        Some(listener) => listener.local_addr()?.port(),
        None => local.port(),
    };

    // Signals are ours from here on: a SIGTERM while LiveKit starts still stops it.
    let shutdown = media::Shutdown::listen()?;
    // The webhook URL needs the bound port (server.port may be 0).
    let supervisor = if embedded {
        Some(media::supervisor(
            &config,
            &resolved,
            &secrets,
            webhook_port,
        )?)
    } else {
        None
    };
    let livekit_task = supervisor
        .clone()
        .map(|s| tokio::spawn(s.run(shutdown.wait())));
    let livekit_state = app::livekit_state_source(resolved.livekit_mode, supervisor.clone());
    let services = app::services(&db, &cases, &rooms, livekit_state.clone());
    let http = app::http_config(&config, resolved.livekit_mode, &secrets.session);

    let maintenance = app::maintenance(&config, &db, rooms.media.clone());
    let metrics = if config.metrics.enabled {
        Some(app::metrics(
            &db,
            maintenance.clone(),
            livekit_state,
            supervisor.clone(),
        )?)
    } else {
        None
    };
    let metrics_bind = config.metrics.bind.trim();
    let metrics_task = match &metrics {
        Some(m) if !metrics_bind.is_empty() => {
            let listener = tokio::net::TcpListener::bind(metrics_bind)
                .await
                .map_err(|e| {
                    anyhow::anyhow!("metrics.bind: cannot listen on {metrics_bind}: {e}")
                })?;
            tracing::info!(addr = %listener.local_addr()?, "metrics on http://{}/metrics", listener.local_addr()?);
            let endpoint = bedrud_http::metrics::endpoint(m.clone());
            Some(serve_aside(listener, endpoint, &shutdown, "metrics")?)
        }
        _ => None,
    };
    let mut scheduler = app::scheduler(&config, &db, maintenance);
    if let Some(m) = &metrics {
        scheduler = scheduler.with_observer(m.clone());
    }
    let jobs = scheduler.start().await?;

    let extras = bedrud_http::Extras {
        livekit_proxy: embedded.then(|| {
            let target = app::livekit_internal_host(&config, resolved.livekit_mode);
            bedrud_http::proxy::livekit_proxy(&target)
        }),
        metrics_elsewhere: metrics.is_some() && !metrics_bind.is_empty(),
        metrics,
    };
    let loopback_task = match loopback {
        Some(listener) => {
            let addr = listener.local_addr()?;
            tracing::info!(addr = %addr, "LiveKit webhooks on http://{addr}{}", bedrud_http::WEBHOOK_PATH);
            let endpoint = bedrud_http::webhook_only(services.clone(), http.clone());
            Some(serve_aside(listener, endpoint, &shutdown, "webhook")?)
        }
        None => None,
    };
    let endpoint = bedrud_http::app_with(services, http, extras);
    tracing::info!(addr = %local, scheme, "listening on {scheme}://{local}");

    let grace = Duration::from_secs(config.server.shutdown_timeout_secs);
    let result = Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(endpoint, shutdown.wait(), Some(grace))
        .await;
    jobs.shutdown().await;
    for task in [metrics_task, loopback_task].into_iter().flatten() {
        let _ = task.await;
    }
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

/// Serves `endpoint` on a plain-HTTP side listener (metrics, LiveKit webhooks) until the
/// shutdown signal, in a task of its own; a failure is logged as the `what` listener's.
fn serve_aside(
    listener: tokio::net::TcpListener,
    endpoint: impl Endpoint + 'static,
    shutdown: &media::Shutdown,
    what: &'static str,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let acceptor = TcpAcceptor::from_tokio(listener)?;
    let stop = shutdown.wait();
    Ok(tokio::spawn(async move {
        if let Err(e) = Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(endpoint, stop, Some(Duration::from_secs(1)))
            .await
        {
            tracing::error!(error = %e, "{what} listener failed");
        }
    }))
}
