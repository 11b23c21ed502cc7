//! The embedded LiveKit: its livekit.yaml from the configuration, its supervisor, the
//! shutdown signal it shares with the server, and `bedrud livekit [config]`.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use bedrud_livekit::{LivekitYamlConfig, Supervisor, SupervisorConfig};
use tokio::sync::watch;

use crate::app::Secrets;
use crate::config::Config;
use crate::settings::{LivekitMode, Resolved};

/// The port LiveKit's webhooks go to (API §6.3): the main listener's port without TLS,
/// `server.loopback_port` with TLS.
pub fn webhook_port(config: &Config, listener_port: u16) -> u16 {
    if config.server.enable_tls {
        config.server.loopback_port
    } else {
        listener_port
    }
}

/// What the rendered livekit.yaml says, from `[livekit]`, the keys and the webhook port.
pub fn yaml_config(config: &Config, secrets: &Secrets, webhook_port: u16) -> LivekitYamlConfig {
    let lk = &config.livekit;
    LivekitYamlConfig {
        port: lk.port,
        // Browsers reach LiveKit through the /livekit proxy unless livekit.host points
        // them elsewhere; then signalling must listen on every interface.
        bind_addresses: if lk.host.trim().is_empty() {
            vec!["127.0.0.1".into()]
        } else {
            Vec::new()
        },
        rtc_tcp_port: lk.rtc_tcp_port,
        rtc_port_range_start: lk.rtc_port_range_start,
        rtc_port_range_end: lk.rtc_port_range_end,
        node_ip: lk.node_ip.trim().to_owned(),
        api_key: secrets.livekit_key.clone(),
        api_secret: secrets.livekit_secret.clone(),
        webhook_url: bedrud_livekit::webhook_url(webhook_port),
        turn: None,
        log_level: "info".into(),
    }
}

/// The rendered livekit.yaml.
pub fn render(config: &Config, secrets: &Secrets, webhook_port: u16) -> String {
    bedrud_livekit::render_livekit_yaml(&yaml_config(config, secrets, webhook_port))
}

/// `livekit.config_path`, when set.
fn user_config(config: &Config) -> Option<PathBuf> {
    let path = config.livekit.config_path.trim();
    (!path.is_empty()).then(|| PathBuf::from(path))
}

/// The supervisor of the embedded LiveKit (not started yet).
pub fn supervisor(
    config: &Config,
    resolved: &Resolved,
    secrets: &Secrets,
    webhook_port: u16,
) -> anyhow::Result<Arc<Supervisor>> {
    let config_path = user_config(config);
    // A user-supplied file says where LiveKit listens; else livekit.port.
    let port = config_path
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|text| bedrud_livekit::yaml_port(&text))
        .unwrap_or(config.livekit.port);
    let supervisor = Supervisor::new(SupervisorConfig {
        stop_grace: std::time::Duration::from_secs(config.server.shutdown_timeout_secs.max(1)),
        ..SupervisorConfig::new(
            resolved.livekit_binary.clone(),
            config_path,
            render(config, secrets, webhook_port),
            config.server.data_dir.clone(),
            format!("http://127.0.0.1:{port}/"),
        )
    })?;
    Ok(Arc::new(supervisor))
}

/// SIGINT/SIGTERM, listened to from the moment this is created; every waiter wakes on
/// the first signal.
#[derive(Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    /// Starts listening. Errors: the signal handlers cannot be installed.
    pub fn listen() -> anyhow::Result<Shutdown> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let (tx, rx) = watch::channel(false);
        tokio::spawn(async move {
            tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM received, shutting down"),
                _ = int.recv() => tracing::info!("SIGINT received, shutting down"),
            }
            let _ = tx.send(true);
        });
        Ok(Shutdown(rx))
    }

    /// Completes on the first signal.
    pub fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.0.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    }
}

/// `bedrud livekit config`: the rendered livekit.yaml for `server.port`.
pub fn print_config(config: &Config, resolved: &Resolved) -> anyhow::Result<()> {
    let secrets = Secrets::ensure(config, resolved)?;
    print!(
        "{}",
        render(config, &secrets, webhook_port(config, config.server.port))
    );
    Ok(())
}

/// `bedrud livekit`: only the supervised media server, until SIGINT/SIGTERM.
pub async fn run_only(config: Config, resolved: Resolved) -> anyhow::Result<()> {
    if resolved.livekit_mode != LivekitMode::Embedded {
        anyhow::bail!(
            "`bedrud livekit` runs the embedded media server: set livekit.mode = \"embedded\" (or \"auto\" with livekit.binary found)"
        );
    }
    if resolved.livekit_binary.is_none() {
        anyhow::bail!(
            "livekit-server not found: set livekit.binary to the executable or put it on PATH"
        );
    }
    let secrets = Secrets::ensure(&config, &resolved)?;
    let supervisor = supervisor(
        &config,
        &resolved,
        &secrets,
        webhook_port(&config, config.server.port),
    )?;
    let shutdown = Shutdown::listen()?;
    supervisor.run(shutdown.wait()).await;
    Ok(())
}
