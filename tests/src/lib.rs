//! Test support for black-box tests: start the real `bedrud` binary on a free port with
//! SQLite or a fresh PostgreSQL database, talk to it over HTTP, stop it with a signal.
#![forbid(unsafe_code)]

pub mod fake_idp;
pub mod fake_livekit;
pub mod webauthn;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use anyhow::{Context, bail};

/// Which database a server under test uses.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A SQLite file in the server's data directory.
    Sqlite,
    /// A database URL (e.g. one made by [`postgres_or_skip`]).
    Postgres(String),
}

/// A fresh Postgres database for this test, or `None` to skip the Postgres half (fails
/// instead when `BEDRUD_REQUIRE_POSTGRES=1`).
pub async fn postgres_or_skip() -> Option<String> {
    bedrud_db::testing::scratch_postgres_or_skip().await
}

/// The `bedrud` binary that cargo built next to this test executable.
pub fn binary() -> anyhow::Result<PathBuf> {
    if let Ok(path) = std::env::var("BEDRUD_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe()?;
    // target/<profile>/deps/<test-binary> → target/<profile>/bedrud
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .context("unexpected test executable location")?;
    let bin = profile_dir.join("bedrud");
    if !bin.exists() {
        bail!(
            "{} not found: build it first (`cargo build --workspace --all-targets`), or set BEDRUD_BIN",
            bin.display()
        );
    }
    Ok(bin)
}

/// The CA of the test certificate in `testdata/tls`.
pub const TEST_CA: &[u8] = include_bytes!("../testdata/tls/ca.pem");

/// `server.cert_file` and `server.key_file` of the test certificate (for `127.0.0.1` and
/// `localhost`, valid until 2126).
pub fn test_certificate() -> (String, String) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/tls");
    (format!("{dir}/cert.pem"), format!("{dir}/key.pem"))
}

/// A running server process.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT` (`https://` with `server.enable_tls`)
    pub base: String,
    /// Every stdout line so far (JSON logs).
    pub logs: Arc<Mutex<Vec<String>>>,
    pub data_dir: PathBuf,
    _dir: Option<tempfile::TempDir>,
    env: Vec<(String, String)>,
    backend: Backend,
}

impl Server {
    /// Starts a server with the given backend and extra `BEDRUD_…` variables.
    pub fn start(backend: Backend, env: &[(&str, &str)]) -> anyhow::Result<Server> {
        let dir = tempfile::tempdir()?;
        let data_dir = dir.path().to_path_buf();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Server::spawn(backend, data_dir, Some(dir), env)
    }

    fn spawn(
        backend: Backend,
        data_dir: PathBuf,
        dir: Option<tempfile::TempDir>,
        env: Vec<(String, String)>,
    ) -> anyhow::Result<Server> {
        let mut cmd = Command::new(binary()?);
        cmd.arg("--log-format")
            .arg("json")
            .current_dir(&data_dir)
            .env_remove("RUST_LOG")
            .env("BEDRUD_SERVER__HOST", "127.0.0.1")
            .env("BEDRUD_SERVER__PORT", "0")
            .env("BEDRUD_SERVER__DATA_DIR", &data_dir)
            .env("BEDRUD_LIVEKIT__MODE", "disabled")
            // The per-minute sweep would call LiveKit behind the tests' backs; tests that
            // exercise it switch it back on.
            .env("BEDRUD_JOBS__ROOM_SWEEP__ENABLED", "false")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        match &backend {
            Backend::Sqlite => {
                cmd.env(
                    "BEDRUD_DATABASE__URL",
                    format!("sqlite://{}", data_dir.join("bedrud.db").display()),
                );
            }
            Backend::Postgres(url) => {
                cmd.env("BEDRUD_DATABASE__URL", url);
            }
        }
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().context("spawn bedrud")?;
        let stdout = child.stdout.take().context("stdout")?;
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel::<String>();
        let sink = logs.clone();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("listening on")
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(line.clone());
                }
                if let Ok(mut logs) = sink.lock() {
                    logs.push(line);
                }
            }
        });
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let logs = logs.lock().map(|l| l.join("\n")).unwrap_or_default();
                bail!("server did not start within 60 s; output:\n{logs}");
            }
        };
        let json: serde_json::Value = serde_json::from_str(&line)?;
        let addr = json["addr"]
            .as_str()
            .context("listening line has no addr")?
            .to_string();
        let scheme = json["scheme"].as_str().unwrap_or("http");
        Ok(Server {
            child: Some(child),
            base: format!("{scheme}://{addr}"),
            logs,
            data_dir,
            _dir: dir,
            env,
            backend,
        })
    }

    /// The `database.url` this server uses.
    pub fn database_url(&self) -> String {
        match &self.backend {
            Backend::Sqlite => format!("sqlite://{}", self.data_dir.join("bedrud.db").display()),
            Backend::Postgres(url) => url.clone(),
        }
    }

    /// Runs `sql` directly on this server's database (to age or edit rows).
    pub async fn sql(&self, sql: &str) -> anyhow::Result<()> {
        bedrud_db::testing::execute(&self.database_url(), sql).await
    }

    /// `base` + `path`.
    /// Whether a log line containing `needle` arrives within `timeout`: the lines are read
    /// from the process's stdout by a thread of their own, so a line written just now may
    /// not be in [`Server::logs`] yet.
    pub async fn logged(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let seen = self
                .logs
                .lock()
                .map(|lines| lines.iter().any(|l| l.contains(needle)))
                .unwrap_or(false);
            if seen || std::time::Instant::now() >= deadline {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or_default()
    }

    /// Runs `bedrud <args>` against this server's database and settings; returns
    /// (exit code, stdout, stderr).
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> anyhow::Result<(i32, String, String)> {
        use std::io::Write;
        let mut cmd = Command::new(binary()?);
        cmd.args(args)
            .current_dir(&self.data_dir)
            .env_remove("RUST_LOG")
            .env("BEDRUD_SERVER__DATA_DIR", &self.data_dir)
            .env("BEDRUD_LIVEKIT__MODE", "disabled")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match &self.backend {
            Backend::Sqlite => cmd.env(
                "BEDRUD_DATABASE__URL",
                format!("sqlite://{}", self.data_dir.join("bedrud.db").display()),
            ),
            Backend::Postgres(url) => cmd.env("BEDRUD_DATABASE__URL", url),
        };
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn()?;
        if let Some(mut pipe) = child.stdin.take() {
            pipe.write_all(stdin.unwrap_or_default().as_bytes())?;
        }
        let out = child.wait_with_output()?;
        Ok((
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) -> anyhow::Result<()> {
        let pid = nix::unistd::Pid::from_raw(self.pid() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM)?;
        Ok(())
    }

    /// Waits for the process to exit and returns its exit code.
    pub fn wait(&mut self, timeout: Duration) -> anyhow::Result<Option<i32>> {
        let child = self.child.as_mut().context("already stopped")?;
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(status) = child.try_wait()? {
                self.child = None;
                return Ok(status.code());
            }
            if std::time::Instant::now() > deadline {
                bail!("server did not exit within {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the server (SIGTERM) and starts it again on the same data directory,
    /// database and settings (on a new port).
    pub fn restart(mut self) -> anyhow::Result<Server> {
        self.terminate()?;
        self.wait(Duration::from_secs(30))?;
        let dir = self._dir.take();
        Server::spawn(
            self.backend.clone(),
            self.data_dir.clone(),
            dir,
            self.env.clone(),
        )
    }

    /// A second server on the same database (a new data directory, same secrets).
    pub fn sibling(&self) -> anyhow::Result<Server> {
        let mut env = self.env.clone();
        for file in ["jwt_secret", "session_secret"] {
            let secret = std::fs::read_to_string(self.data_dir.join(file))?;
            env.push((
                format!("BEDRUD_AUTH__{}", file.to_uppercase()),
                secret.trim().to_string(),
            ));
        }
        let dir = tempfile::tempdir()?;
        let data_dir = dir.path().to_path_buf();
        let backend = match &self.backend {
            Backend::Sqlite => bail!("siblings need a shared Postgres database"),
            b => b.clone(),
        };
        Server::spawn(backend, data_dir, Some(dir), env)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A client that keeps cookies (like a browser) and never follows redirects.
pub fn client() -> reqwest::Client {
    let mut builder = reqwest::Client::builder();
    // Servers started with `server.enable_tls` use `testdata/tls` (a leaf for localhost
    // and 127.0.0.1, signed by this CA).
    if let Ok(ca) = reqwest::Certificate::from_pem(TEST_CA) {
        builder = builder.add_root_certificate(ca);
    }
    builder
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_default()
}
