//! Supervision of the embedded media server: start `livekit-server` with a livekit.yaml,
//! forward its output, health-check it, restart it with capped exponential backoff, and
//! stop it (SIGTERM, grace period, SIGKILL) so that no process outlives Bedrud.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bedrud_ports::{MediaProcess, ProcessState};
use nix::sys::signal::Signal;
use tokio::process::{Child, Command};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use super::health::HealthCheck;
use super::output;

/// File name of the rendered configuration inside the data directory.
pub const RENDERED_FILE: &str = "livekit.yaml";
/// File name of the child's pid inside the data directory (to stop a leftover process).
pub const PID_FILE: &str = "livekit.pid";

/// Delays between restarts: `initial`, doubled per consecutive failure, at most `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failure.
    pub initial: Duration,
    /// The cap.
    pub max: Duration,
    /// A process that stayed healthy this long starts the sequence over.
    pub reset_after: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
            reset_after: Duration::from_secs(60),
        }
    }
}

impl Backoff {
    /// The delay before the next start after `failures` consecutive failures (≥ 1).
    pub fn delay(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        self.initial
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.max)
            .min(self.max)
    }
}

/// How the process is health-checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthSettings {
    /// Probe interval until the first success.
    pub startup_interval: Duration,
    /// Probe interval once running.
    pub interval: Duration,
    /// Timeout of one probe.
    pub timeout: Duration,
    /// Consecutive failed probes of a running process before it is restarted.
    pub failures: u32,
    /// A starting process that has not answered within this is restarted.
    pub start_timeout: Duration,
}

impl Default for HealthSettings {
    fn default() -> Self {
        HealthSettings {
            startup_interval: Duration::from_millis(200),
            interval: Duration::from_secs(2),
            timeout: Duration::from_secs(2),
            failures: 3,
            start_timeout: Duration::from_secs(30),
        }
    }
}

/// What to run and how to watch it.
#[derive(Clone)]
pub struct SupervisorConfig {
    /// The `livekit-server` executable; `None` = not found (reported as unavailable).
    pub binary: Option<PathBuf>,
    /// A user-supplied livekit.yaml (`livekit.config_path`), used as is.
    pub config_path: Option<PathBuf>,
    /// The rendered livekit.yaml, written to `<data_dir>/livekit.yaml` (0600) when
    /// `config_path` is `None`.
    pub rendered_yaml: String,
    /// Where the rendered configuration and the pid file live.
    pub data_dir: PathBuf,
    /// The URL whose 2xx answer means "running" (e.g. `http://127.0.0.1:7880/`).
    pub health_url: String,
    /// Restart delays.
    pub backoff: Backoff,
    /// Health-check timing.
    pub health: HealthSettings,
    /// How long a stopping process may take after SIGTERM before SIGKILL.
    pub stop_grace: Duration,
    /// Consecutive starts that never became healthy before the state is `unavailable`.
    pub unavailable_after: u32,
}

impl std::fmt::Debug for SupervisorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupervisorConfig")
            .field("binary", &self.binary)
            .field("config_path", &self.config_path)
            .field("rendered_yaml", &"<redacted>")
            .field("data_dir", &self.data_dir)
            .field("health_url", &self.health_url)
            .field("backoff", &self.backoff)
            .field("health", &self.health)
            .field("stop_grace", &self.stop_grace)
            .field("unavailable_after", &self.unavailable_after)
            .finish()
    }
}

impl SupervisorConfig {
    /// A configuration with the default timings.
    pub fn new(
        binary: Option<PathBuf>,
        config_path: Option<PathBuf>,
        rendered_yaml: String,
        data_dir: PathBuf,
        health_url: String,
    ) -> Self {
        SupervisorConfig {
            binary,
            config_path,
            rendered_yaml,
            data_dir,
            health_url,
            backoff: Backoff::default(),
            health: HealthSettings::default(),
            stop_grace: Duration::from_secs(10),
            unavailable_after: 3,
        }
    }
}

/// How one run of the process ended.
enum Life {
    /// Shutdown was asked for; the process is gone.
    Shutdown,
    /// The process is gone on its own (or was stopped for not answering).
    Ended {
        reason: String,
        healthy_for: Option<Duration>,
    },
}

/// Something that happened while a process runs.
enum Event {
    Exited(io::Result<ExitStatus>),
    Shutdown,
    Probe(Result<(), String>),
}

/// Runs and watches the media server process; its state feeds `/api/ready`.
pub struct Supervisor {
    config: SupervisorConfig,
    health: HealthCheck,
    state: watch::Sender<ProcessState>,
    restarts: AtomicU64,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("config", &self.config)
            .field("state", &self.state())
            .field("restarts", &self.restarts())
            .finish()
    }
}

impl Supervisor {
    /// A supervisor that has not started anything yet: `starting`, or `unavailable` when
    /// there is no binary. Errors: the health-check client cannot be built.
    pub fn new(config: SupervisorConfig) -> anyhow::Result<Supervisor> {
        let health = HealthCheck::new(&config.health_url, config.health.timeout)?;
        let initial = if config.binary.is_some() {
            ProcessState::Starting
        } else {
            ProcessState::Unavailable
        };
        Ok(Supervisor {
            config,
            health,
            state: watch::Sender::new(initial),
            restarts: AtomicU64::new(0),
        })
    }

    /// The state right now.
    pub fn state(&self) -> ProcessState {
        *self.state.borrow()
    }

    /// Every state change from now on.
    pub fn subscribe(&self) -> watch::Receiver<ProcessState> {
        self.state.subscribe()
    }

    /// How many times the process was started again after the first start.
    pub fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Relaxed)
    }

    /// Where the rendered livekit.yaml is written.
    pub fn rendered_path(&self) -> PathBuf {
        self.config.data_dir.join(RENDERED_FILE)
    }

    /// The configuration file the process is started with.
    pub fn config_file(&self) -> PathBuf {
        self.config
            .config_path
            .clone()
            .unwrap_or_else(|| self.rendered_path())
    }

    /// Runs [`Supervisor::run`] on the tokio runtime; stop it with [`SupervisorTask::stop`]
    /// (dropping the task stops the process too).
    pub fn spawn(self: &Arc<Self>) -> SupervisorTask {
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(self.clone().run(async move {
            let _ = stopped.await;
        }));
        SupervisorTask {
            stop: Some(stop),
            handle,
        }
    }

    /// Supervises the process until `shutdown` completes, then stops it (SIGTERM, grace,
    /// SIGKILL) and returns with the state `stopped`.
    pub async fn run(self: Arc<Self>, shutdown: impl Future<Output = ()> + Send) {
        let shutdown = std::pin::pin!(shutdown);
        self.supervise(shutdown).await;
        self.set(ProcessState::Stopped);
        tracing::info!("livekit-server supervision stopped");
    }

    async fn supervise<F: Future<Output = ()>>(&self, mut shutdown: Pin<&mut F>) {
        let Some(binary) = self.config.binary.clone() else {
            tracing::error!(
                "livekit-server not found: set livekit.binary to the executable or put it on PATH; livekit is unavailable"
            );
            self.set(ProcessState::Unavailable);
            shutdown.await;
            return;
        };
        let config_file = match self.prepare_config() {
            Ok(path) => path,
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "cannot prepare livekit.yaml; livekit is unavailable");
                self.set(ProcessState::Unavailable);
                shutdown.await;
                return;
            }
        };
        self.stop_leftover(&config_file).await;
        let mut failures = 0u32;
        let mut failed_starts = 0u32;
        loop {
            if failed_starts < self.config.unavailable_after {
                self.set(ProcessState::Starting);
            }
            let life = match self.start(&binary, &config_file) {
                Ok(child) => self.watch(child, shutdown.as_mut()).await,
                Err(e) => Life::Ended {
                    reason: format!("cannot start {}: {e}", binary.display()),
                    healthy_for: None,
                },
            };
            let Life::Ended {
                reason,
                healthy_for,
            } = life
            else {
                return;
            };
            match healthy_for {
                Some(d) => {
                    failed_starts = 0;
                    if d >= self.config.backoff.reset_after {
                        failures = 0;
                    }
                }
                None => failed_starts = failed_starts.saturating_add(1),
            }
            failures = failures.saturating_add(1);
            let delay = self.config.backoff.delay(failures);
            tracing::warn!(
                reason = %reason,
                failures,
                retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "livekit-server is down; restarting it"
            );
            self.set(if failed_starts >= self.config.unavailable_after {
                ProcessState::Unavailable
            } else {
                ProcessState::Restarting
            });
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = &mut shutdown => return,
            }
            self.restarts.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records a state, logging changes.
    fn set(&self, state: ProcessState) {
        let changed = self.state.send_if_modified(|current| {
            let changed = *current != state;
            *current = state;
            changed
        });
        if changed {
            match state {
                ProcessState::Unavailable => {
                    tracing::warn!(state = state.as_str(), "livekit is {state}")
                }
                _ => tracing::info!(state = state.as_str(), "livekit is {state}"),
            }
        }
    }

    /// The file to start with: the user's as is, or the rendered one written (0600).
    fn prepare_config(&self) -> anyhow::Result<PathBuf> {
        if let Some(path) = &self.config.config_path {
            std::fs::metadata(path)
                .map_err(|e| anyhow::anyhow!("livekit.config_path {}: {e}", path.display()))?;
            return Ok(path.clone());
        }
        write_private(&self.rendered_path(), self.config.rendered_yaml.as_bytes())?;
        Ok(self.rendered_path())
    }

    fn pid_path(&self) -> PathBuf {
        self.config.data_dir.join(PID_FILE)
    }

    /// Stops a process a previous Bedrud left behind (killed before it could stop it),
    /// recognised by its pid file and its configuration file in the command line.
    async fn stop_leftover(&self, config_file: &Path) {
        let path = self.pid_path();
        let Some(pid) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| t.trim().parse::<i32>().ok())
            .filter(|p| *p > 0)
        else {
            return;
        };
        let ours = std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
            let wanted = config_file.as_os_str().as_encoded_bytes();
            !wanted.is_empty() && cmdline.windows(wanted.len()).any(|w| w == wanted)
        });
        if ours && alive(pid) {
            tracing::warn!(
                pid,
                "stopping a livekit-server left over from a previous run"
            );
            signal_group(pid, Signal::SIGTERM);
            let deadline = Instant::now() + self.config.stop_grace;
            while alive(pid) && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if alive(pid) {
                signal_group(pid, Signal::SIGKILL);
            }
        }
        let _ = std::fs::remove_file(&path);
    }

    /// Spawns the process in its own process group, output piped, killed if dropped.
    fn start(&self, binary: &Path, config_file: &Path) -> io::Result<Child> {
        let mut cmd = Command::new(binary);
        cmd.arg("--config")
            .arg(config_file)
            // LiveKit prefers LIVEKIT_CONFIG (a YAML body) over --config.
            .env_remove("LIVEKIT_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            // Its own group: a terminal's Ctrl-C reaches Bedrud only, which then stops it
            // in order; and the whole group can be signalled.
            .process_group(0);
        let child = cmd.spawn()?;
        tracing::info!(
            binary = %binary.display(),
            config = %config_file.display(),
            pid = child.id().unwrap_or_default(),
            "started livekit-server"
        );
        Ok(child)
    }

    /// Watches one process until it exits, stops answering, or shutdown is asked for.
    async fn watch<F: Future<Output = ()>>(
        &self,
        mut child: Child,
        mut shutdown: Pin<&mut F>,
    ) -> Life {
        let pid = child.id().unwrap_or_default();
        if let Some(out) = child.stdout.take() {
            tokio::spawn(output::forward(out, "stdout", pid));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(output::forward(err, "stderr", pid));
        }
        let _ = std::fs::write(self.pid_path(), format!("{pid}\n"));
        let settings = self.config.health;
        let started = Instant::now();
        let mut healthy_since: Option<Instant> = None;
        let mut misses = 0u32;
        let life = loop {
            let wait = if healthy_since.is_some() {
                settings.interval
            } else {
                settings.startup_interval
            };
            let event = tokio::select! {
                status = child.wait() => Event::Exited(status),
                () = &mut shutdown => Event::Shutdown,
                probe = async {
                    tokio::time::sleep(wait).await;
                    self.health.check().await
                } => Event::Probe(probe),
            };
            let healthy_for = healthy_since.map(|t| t.elapsed());
            match event {
                Event::Exited(status) => {
                    break Life::Ended {
                        reason: describe_exit(status),
                        healthy_for,
                    };
                }
                Event::Shutdown => {
                    self.stop(&mut child, pid).await;
                    break Life::Shutdown;
                }
                Event::Probe(Ok(())) => {
                    misses = 0;
                    if healthy_since.is_none() {
                        healthy_since = Some(Instant::now());
                        tracing::info!(
                            pid,
                            url = %self.health.url(),
                            after_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                            "livekit-server answers its health check"
                        );
                        self.set(ProcessState::Running);
                    }
                }
                Event::Probe(Err(e)) if healthy_since.is_some() => {
                    misses += 1;
                    tracing::debug!(pid, misses, error = %e, "livekit-server health check failed");
                    if misses >= settings.failures.max(1) {
                        self.stop(&mut child, pid).await;
                        break Life::Ended {
                            reason: format!("stopped answering its health check ({e})"),
                            healthy_for,
                        };
                    }
                }
                Event::Probe(Err(e)) => {
                    if started.elapsed() >= settings.start_timeout {
                        self.stop(&mut child, pid).await;
                        break Life::Ended {
                            reason: format!(
                                "did not answer its health check within {:?} ({e})",
                                settings.start_timeout
                            ),
                            healthy_for: None,
                        };
                    }
                }
            }
        };
        let _ = std::fs::remove_file(self.pid_path());
        life
    }

    /// SIGTERM to the process group, then SIGKILL after the grace period; reaps the child.
    async fn stop(&self, child: &mut Child, pid: u32) {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        let Ok(raw) = i32::try_from(pid) else {
            let _ = child.kill().await;
            return;
        };
        signal_group(raw, Signal::SIGTERM);
        match tokio::time::timeout(self.config.stop_grace, child.wait()).await {
            Ok(status) => {
                tracing::info!(pid, status = %describe_exit(status), "livekit-server stopped")
            }
            Err(_) => {
                tracing::warn!(
                    pid,
                    grace_ms =
                        u64::try_from(self.config.stop_grace.as_millis()).unwrap_or(u64::MAX),
                    "livekit-server ignored SIGTERM; killing it"
                );
                signal_group(raw, Signal::SIGKILL);
                let _ = child.kill().await;
            }
        }
    }
}

impl MediaProcess for Supervisor {
    fn state(&self) -> ProcessState {
        Supervisor::state(self)
    }
}

/// A running [`Supervisor`] task.
#[derive(Debug)]
pub struct SupervisorTask {
    stop: Option<oneshot::Sender<()>>,
    handle: JoinHandle<()>,
}

impl SupervisorTask {
    /// Stops the process (SIGTERM, grace period, SIGKILL) and waits until it is gone.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Err(e) = (&mut self.handle).await {
            tracing::error!(error = %e, "livekit supervision task failed");
        }
    }
}

/// Signals the process group `pid` leads, or the process alone when it leads none.
fn signal_group(pid: i32, signal: Signal) {
    let pid = nix::unistd::Pid::from_raw(pid);
    if nix::sys::signal::killpg(pid, signal).is_err() {
        let _ = nix::sys::signal::kill(pid, signal);
    }
}

/// Whether `pid` is a live (not zombie) process.
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            .is_some_and(|state| matches!(state, 'Z' | 'X')),
        // No /proc entry: gone, unless this system has no /proc at all.
        Err(_) if Path::new("/proc/self/stat").exists() => false,
        Err(_) => nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok(),
    }
}

fn describe_exit(status: io::Result<ExitStatus>) -> String {
    match status {
        Ok(s) => s.to_string(),
        Err(e) => format!("wait failed: {e}"),
    }
}

/// Writes `bytes` to `path` with mode 0600 (through a temporary file and a rename).
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path
        .parent()
        .ok_or_else(|| anyhow::anyhow!("{} has no directory", path.display()))?;
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("create {}: {e}", dir.display()))?;
    let tmp = path.with_extension("yaml.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| anyhow::anyhow!("write {}: {e}", tmp.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| anyhow::anyhow!("write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| anyhow::anyhow!("write {}: {e}", path.display()))?;
    Ok(())
}

#[cfg(test)]
#[path = "supervisor_tests.rs"]
mod tests;
