//! Supervisor tests with small shell scripts as the media server and an in-process HTTP
//! responder as its health endpoint.

use std::os::unix::fs::PermissionsExt;
use std::sync::OnceLock;
use std::sync::atomic::AtomicBool;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

/// Every script is written once, before any test spawns a process (a file still open
/// for writing in a forked child would make exec fail with ETXTBSY). Scripts get
/// `--config FILE` and use FILE's directory as their per-test scratch space.
fn scripts() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let scripts = [
            ("fail.sh", "echo 'FATAL cannot start' >&2\nexit 1\n"),
            (
                "sleep.sh",
                "d=$(dirname \"$2\")\nprintf '%s\\n' \"$1\" \"$2\" > \"$d/args\"\necho \"INFO started\"\necho \"WARN on stderr\" >&2\necho $$ > \"$d/child.pid\"\nexec sleep 60\n",
            ),
            (
                "crash_once.sh",
                "d=$(dirname \"$2\")\nif [ ! -e \"$d/crashed\" ]; then touch \"$d/crashed\"; sleep 0.3; exit 3; fi\necho $$ > \"$d/child.pid\"\nexec sleep 60\n",
            ),
            (
                "stubborn.sh",
                "trap '' TERM\necho $$ > \"$(dirname \"$2\")/child.pid\"\nwhile :; do sleep 0.05; done\n",
            ),
        ];
        for (name, body) in scripts {
            let path = dir.path().join(name);
            std::fs::write(&path, format!("#!/bin/sh\n{body}")).expect("write script");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
        }
        dir
    })
    .path()
}

fn script(name: &str) -> Option<PathBuf> {
    Some(scripts().join(name))
}

/// A health endpoint whose answer the test switches.
struct Responder {
    url: String,
    healthy: Arc<AtomicBool>,
}

impl Responder {
    async fn start(healthy: bool) -> Responder {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let flag = Arc::new(AtomicBool::new(healthy));
        let answer = flag.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let ok = answer.load(Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    let _ = s.read(&mut buf).await;
                    let status = if ok { "200 OK" } else { "503 Unavailable" };
                    let reply = format!(
                        "HTTP/1.1 {status}\r\ncontent-length: 2\r\nconnection: close\r\n\r\nOK"
                    );
                    let _ = s.write_all(reply.as_bytes()).await;
                });
            }
        });
        Responder {
            url: format!("http://{addr}/"),
            healthy: flag,
        }
    }

    fn set(&self, healthy: bool) {
        self.healthy.store(healthy, Ordering::SeqCst);
    }
}

fn fast(binary: Option<PathBuf>, data_dir: &Path, health_url: &str) -> SupervisorConfig {
    SupervisorConfig {
        backoff: Backoff {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(100),
            reset_after: Duration::from_secs(60),
        },
        health: HealthSettings {
            startup_interval: Duration::from_millis(20),
            interval: Duration::from_millis(50),
            timeout: Duration::from_millis(500),
            failures: 2,
            start_timeout: Duration::from_secs(5),
        },
        stop_grace: Duration::from_secs(5),
        ..SupervisorConfig::new(
            binary,
            None,
            "port: 7880\nkeys:\n  k: s\n".into(),
            data_dir.to_path_buf(),
            health_url.to_owned(),
        )
    }
}

async fn until(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn child_pid(dir: &Path) -> i32 {
    std::fs::read_to_string(dir.join("child.pid"))
        .expect("child.pid")
        .trim()
        .parse()
        .expect("pid")
}

const LONG: Duration = Duration::from_secs(15);

#[test]
fn backoff_doubles_up_to_the_cap() {
    let b = Backoff {
        initial: Duration::from_millis(500),
        max: Duration::from_secs(30),
        reset_after: Duration::from_secs(60),
    };
    assert_eq!(b.delay(1), Duration::from_millis(500));
    assert_eq!(b.delay(2), Duration::from_secs(1));
    assert_eq!(b.delay(3), Duration::from_secs(2));
    assert_eq!(b.delay(7), Duration::from_secs(30));
    assert_eq!(b.delay(u32::MAX), Duration::from_secs(30));
    assert_eq!(b.delay(0), Duration::from_millis(500));
}

#[test]
fn states_have_the_ready_names() {
    let names: Vec<&str> = [
        ProcessState::Starting,
        ProcessState::Running,
        ProcessState::Restarting,
        ProcessState::Stopped,
        ProcessState::Unavailable,
    ]
    .iter()
    .map(|s| s.as_str())
    .collect();
    assert_eq!(
        names,
        [
            "starting",
            "running",
            "restarting",
            "stopped",
            "unavailable"
        ]
    );
}

#[test]
fn debug_hides_the_rendered_yaml() {
    let config = SupervisorConfig::new(
        None,
        None,
        "secret-body".into(),
        "/d".into(),
        "http://x/".into(),
    );
    assert!(!format!("{config:?}").contains("secret-body"));
}

#[tokio::test]
async fn a_missing_binary_is_unavailable_until_shutdown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sup =
        Arc::new(Supervisor::new(fast(None, dir.path(), "http://127.0.0.1:9/")).expect("new"));
    assert_eq!(sup.state(), ProcessState::Unavailable);
    let task = sup.spawn();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(sup.state(), ProcessState::Unavailable);
    task.stop().await;
    assert_eq!(sup.state(), ProcessState::Stopped);
}

#[tokio::test]
async fn an_always_failing_binary_backs_off_and_becomes_unavailable() {
    let dir = tempfile::tempdir().expect("tempdir");
    for binary in [script("fail.sh"), Some(dir.path().join("no-such-binary"))] {
        let sup = Arc::new(
            Supervisor::new(fast(binary, dir.path(), "http://127.0.0.1:9/")).expect("new"),
        );
        let task = sup.spawn();
        until("unavailable after retries", LONG, || {
            sup.state() == ProcessState::Unavailable && sup.restarts() >= 3
        })
        .await;
        task.stop().await;
        assert_eq!(sup.state(), ProcessState::Stopped);
    }
}

#[tokio::test]
async fn runs_writes_a_private_config_and_stops_without_leaving_a_process() {
    let dir = tempfile::tempdir().expect("tempdir");
    let health = Responder::start(true).await;
    let sup =
        Arc::new(Supervisor::new(fast(script("sleep.sh"), dir.path(), &health.url)).expect("new"));
    let task = sup.spawn();
    until("running", LONG, || sup.state() == ProcessState::Running).await;
    let config = dir.path().join(RENDERED_FILE);
    assert_eq!(
        std::fs::read_to_string(&config).expect("rendered"),
        "port: 7880\nkeys:\n  k: s\n"
    );
    let mode = std::fs::metadata(&config)
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    until("args", LONG, || dir.path().join("args").exists()).await;
    let args = std::fs::read_to_string(dir.path().join("args")).expect("args");
    assert_eq!(args, format!("--config\n{}\n", config.display()));
    until("pid", LONG, || dir.path().join("child.pid").exists()).await;
    let pid = child_pid(dir.path());
    assert!(alive(pid));
    assert_eq!(
        std::fs::read_to_string(dir.path().join(PID_FILE))
            .expect("pid file")
            .trim(),
        pid.to_string()
    );
    task.stop().await;
    assert_eq!(sup.state(), ProcessState::Stopped);
    assert!(!alive(pid), "the child outlived the supervisor");
    assert!(!dir.path().join(PID_FILE).exists());
    assert_eq!(sup.restarts(), 0);
}

#[tokio::test]
async fn a_crashed_process_is_restarted_and_runs_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let health = Responder::start(true).await;
    let sup = Arc::new(
        Supervisor::new(fast(script("crash_once.sh"), dir.path(), &health.url)).expect("new"),
    );
    let mut states = sup.subscribe();
    let task = sup.spawn();
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + LONG;
    while !(sup.restarts() == 1 && seen.last() == Some(&ProcessState::Running)) {
        tokio::time::timeout_at(deadline, states.changed())
            .await
            .expect("timed out")
            .expect("sender alive");
        seen.push(*states.borrow_and_update());
    }
    assert!(seen.contains(&ProcessState::Restarting), "{seen:?}");
    let running = seen.iter().filter(|s| **s == ProcessState::Running).count();
    assert_eq!(running, 2, "{seen:?}");
    let pid = child_pid(dir.path());
    task.stop().await;
    assert!(!alive(pid));
}

#[tokio::test]
async fn a_process_that_never_answers_is_restarted_then_unavailable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let health = Responder::start(false).await;
    let mut config = fast(script("sleep.sh"), dir.path(), &health.url);
    config.health.start_timeout = Duration::from_millis(150);
    let sup = Arc::new(Supervisor::new(config).expect("new"));
    let task = sup.spawn();
    until("unavailable", LONG, || {
        sup.state() == ProcessState::Unavailable && sup.restarts() >= 3
    })
    .await;
    health.set(true);
    until("running", LONG, || sup.state() == ProcessState::Running).await;
    task.stop().await;
}

#[tokio::test]
async fn a_running_process_that_stops_answering_is_restarted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let health = Responder::start(true).await;
    let sup =
        Arc::new(Supervisor::new(fast(script("sleep.sh"), dir.path(), &health.url)).expect("new"));
    let task = sup.spawn();
    until("running", LONG, || sup.state() == ProcessState::Running).await;
    until("pid", LONG, || dir.path().join("child.pid").exists()).await;
    let first = child_pid(dir.path());
    health.set(false);
    until("restart", LONG, || sup.restarts() >= 1).await;
    assert!(!alive(first), "the unhealthy process was not stopped");
    assert_ne!(sup.state(), ProcessState::Running);
    health.set(true);
    until("running again", LONG, || {
        sup.state() == ProcessState::Running
    })
    .await;
    task.stop().await;
}

#[tokio::test]
async fn a_process_ignoring_sigterm_is_killed_after_the_grace_period() {
    let dir = tempfile::tempdir().expect("tempdir");
    let health = Responder::start(true).await;
    let mut config = fast(script("stubborn.sh"), dir.path(), &health.url);
    config.stop_grace = Duration::from_millis(300);
    let sup = Arc::new(Supervisor::new(config).expect("new"));
    let task = sup.spawn();
    until("running", LONG, || sup.state() == ProcessState::Running).await;
    until("pid", LONG, || dir.path().join("child.pid").exists()).await;
    let pid = child_pid(dir.path());
    let started = Instant::now();
    task.stop().await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(!alive(pid), "SIGKILL did not follow");
}

#[tokio::test]
async fn dropping_the_task_stops_the_process() {
    let dir = tempfile::tempdir().expect("tempdir");
    let health = Responder::start(true).await;
    let sup =
        Arc::new(Supervisor::new(fast(script("sleep.sh"), dir.path(), &health.url)).expect("new"));
    let task = sup.spawn();
    until("running", LONG, || sup.state() == ProcessState::Running).await;
    until("pid", LONG, || dir.path().join("child.pid").exists()).await;
    let pid = child_pid(dir.path());
    drop(task);
    until("stopped", LONG, || sup.state() == ProcessState::Stopped).await;
    assert!(!alive(pid));
}

#[tokio::test]
async fn a_user_config_is_used_as_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    let user = dir.path().join("mine");
    std::fs::create_dir(&user).expect("mkdir");
    let user_file = user.join("my-livekit.yaml");
    std::fs::write(&user_file, "port: 7999\n").expect("write");
    let health = Responder::start(true).await;
    let mut config = fast(script("sleep.sh"), dir.path(), &health.url);
    config.config_path = Some(user_file.clone());
    let sup = Arc::new(Supervisor::new(config).expect("new"));
    assert_eq!(sup.config_file(), user_file);
    let task = sup.spawn();
    until("args", LONG, || user.join("args").exists()).await;
    let args = std::fs::read_to_string(user.join("args")).expect("args");
    assert_eq!(args, format!("--config\n{}\n", user_file.display()));
    assert!(!dir.path().join(RENDERED_FILE).exists());
    assert_eq!(
        std::fs::read_to_string(&user_file).expect("unchanged"),
        "port: 7999\n"
    );
    task.stop().await;
}

#[tokio::test]
async fn a_missing_user_config_is_unavailable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = fast(script("sleep.sh"), dir.path(), "http://127.0.0.1:9/");
    config.config_path = Some(dir.path().join("absent.yaml"));
    let sup = Arc::new(Supervisor::new(config).expect("new"));
    let task = sup.spawn();
    until("unavailable", LONG, || {
        sup.state() == ProcessState::Unavailable
    })
    .await;
    task.stop().await;
}

#[tokio::test]
async fn a_leftover_process_from_a_killed_run_is_stopped() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let config_file = dir.path().join(RENDERED_FILE);
    let mut leftover = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg("while :; do sleep 0.05; done")
        .arg("leftover")
        .arg(&config_file)
        .process_group(0)
        .spawn()
        .expect("spawn leftover");
    let pid = i32::try_from(leftover.id()).expect("pid");
    std::fs::write(dir.path().join(PID_FILE), format!("{pid}\n")).expect("pid file");
    let health = Responder::start(true).await;
    let sup =
        Arc::new(Supervisor::new(fast(script("sleep.sh"), dir.path(), &health.url)).expect("new"));
    let task = sup.spawn();
    until("running", LONG, || sup.state() == ProcessState::Running).await;
    assert!(!alive(pid), "the leftover process still runs");
    let _ = leftover.wait();
    task.stop().await;
}
