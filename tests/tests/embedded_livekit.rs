//! Embedded LiveKit (API §3.1, §6.3, §6.4, §7 `[livekit]`): the real `bedrud` binary
//! supervises the fake `livekit-server` executable (built with this package), restarts it
//! when it crashes, stops it with itself, and proxies `/livekit` (HTTP and WebSocket) to it.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bedrud_tests::{Backend, Server, client};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const LONG: Duration = Duration::from_secs(30);

/// The fake `livekit-server` cargo built for these tests.
fn fake_binary() -> &'static str {
    env!("CARGO_BIN_EXE_fake-livekit-server")
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn embedded(port: u16) -> Vec<(String, String)> {
    vec![
        ("BEDRUD_LIVEKIT__MODE".into(), "embedded".into()),
        ("BEDRUD_LIVEKIT__BINARY".into(), fake_binary().into()),
        ("BEDRUD_LIVEKIT__PORT".into(), port.to_string()),
        ("BEDRUD_RATE_LIMIT__AUTH_MAX_REQUESTS".into(), "0".into()),
        ("BEDRUD_RATE_LIMIT__API_MAX_REQUESTS".into(), "0".into()),
    ]
}

/// A server that is stopped with SIGTERM when dropped (a failing test too), so that it
/// stops its LiveKit child; `Server`'s own drop would SIGKILL it.
struct Bedrud(Server);

impl std::ops::Deref for Bedrud {
    type Target = Server;
    fn deref(&self) -> &Server {
        &self.0
    }
}

impl std::ops::DerefMut for Bedrud {
    fn deref_mut(&mut self) -> &mut Server {
        &mut self.0
    }
}

impl Drop for Bedrud {
    fn drop(&mut self) {
        // pid 0 means "already stopped"; signalling it would hit our own process group.
        if self.0.pid() != 0 && self.0.terminate().is_ok() {
            let _ = self.0.wait(LONG);
        }
    }
}

fn start(env: &[(String, String)]) -> Bedrud {
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Bedrud(Server::start(Backend::Sqlite, &pairs).expect("start bedrud"))
}

/// `(status, livekit state)` of `/api/ready`.
async fn ready(s: &Server) -> (u16, String) {
    let resp = client()
        .get(s.url("/api/ready"))
        .send()
        .await
        .expect("ready");
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    (
        status,
        body["livekit"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Polls `/api/ready` until LiveKit is `want`; returns every state seen, in order.
async fn wait_for(s: &Server, want: &str) -> Vec<String> {
    let deadline = Instant::now() + LONG;
    let mut seen: Vec<String> = Vec::new();
    loop {
        let (status, state) = ready(s).await;
        assert_eq!(status, 200, "a LiveKit problem never makes /api/ready fail");
        if seen.last() != Some(&state) {
            seen.push(state.clone());
        }
        if state == want {
            return seen;
        }
        assert!(
            Instant::now() < deadline,
            "livekit never became {want}; seen {seen:?}; logs:\n{}",
            logs(s)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `identity` joins `room` on the fake LiveKit (through bedrud's `/livekit` proxy), and
/// LiveKit's `participant_joined` webhook is delivered to bedrud and answered 200.
async fn join_and_see_its_webhook(
    s: &Server,
    c: &reqwest::Client,
    room: &str,
    identity: &str,
    name: &str,
) {
    let joined = c
        .post(s.url(&format!("/livekit/_fake/rooms/{room}/participants")))
        .json(&json!({"identity": identity, "name": name}))
        .send()
        .await
        .expect("join");
    assert_eq!(joined.status().as_u16(), 200);
    let deadline = Instant::now() + LONG;
    loop {
        let hooks: Value = c
            .get(s.url("/livekit/_fake/webhooks"))
            .send()
            .await
            .expect("webhooks")
            .json()
            .await
            .expect("json");
        let delivered = hooks.as_array().is_some_and(|h| {
            h.iter()
                .any(|d| d["event"] == "participant_joined" && d["status"] == 200)
        });
        if delivered {
            return;
        }
        assert!(Instant::now() < deadline, "no webhook delivered: {hooks}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn logs(s: &Server) -> String {
    s.logs.lock().map(|l| l.join("\n")).unwrap_or_default()
}

/// The parent pid and state letter of `pid`, from `/proc/PID/stat`.
fn stat(pid: i32) -> Option<(i32, char)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = text.rsplit_once(')')?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((ppid, state))
}

/// Whether `pid` is a live (not zombie) process.
fn alive(pid: i32) -> bool {
    stat(pid).is_some_and(|(_, state)| !matches!(state, 'Z' | 'X'))
}

/// Live fake LiveKit processes whose parent is `parent`.
fn fake_children(parent: u32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            stat(*pid).is_some_and(|(ppid, state)| {
                i64::from(ppid) == i64::from(parent) && !matches!(state, 'Z' | 'X')
            })
        })
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains("fake-livekit-server"))
        })
        .collect()
}

/// The one fake LiveKit process `parent` runs (waits for it to appear).
async fn the_child(parent: u32) -> i32 {
    let deadline = Instant::now() + LONG;
    loop {
        let children = fake_children(parent);
        match children.as_slice() {
            [one] => return *one,
            [] if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(20)).await,
            other => panic!("expected one livekit child of {parent}, found {other:?}"),
        }
    }
}

async fn wait_gone(pid: i32) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(pid) {
        assert!(Instant::now() < deadline, "process {pid} outlived bedrud");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A LiveKit server token signed with the key pair in `dir` (bedrud's generated files).
fn server_token(key: &str, secret: &str) -> String {
    livekit_api::access_token::AccessToken::with_api_key(key, secret)
        .with_grants(livekit_api::access_token::VideoGrants {
            room_list: true,
            ..Default::default()
        })
        .to_jwt()
        .expect("token")
}

fn generated_keys(dir: &Path) -> (String, String) {
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .trim()
            .to_owned()
    };
    (read("livekit_api_key"), read("livekit_api_secret"))
}

#[tokio::test(flavor = "multi_thread")]
async fn embedded_livekit_runs_with_a_rendered_config_and_its_output_in_the_log() {
    let port = free_port();
    let s = start(&embedded(port));
    let seen = wait_for(&s, "running").await;
    assert!(
        seen.iter().all(|st| st == "starting" || st == "running"),
        "{seen:?}"
    );
    let child = the_child(s.pid()).await;
    assert!(alive(child));

    // The fake listens where livekit.yaml said, and answers LiveKit's health check.
    let ok = client()
        .get(format!("http://127.0.0.1:{port}/"))
        .send()
        .await
        .expect("fake livekit");
    assert_eq!(ok.text().await.expect("body"), "OK");

    // The rendered livekit.yaml: private, bedrud's keys, webhook back to bedrud itself.
    use std::os::unix::fs::PermissionsExt;
    let path = s.data_dir.join("livekit.yaml");
    let mode = std::fs::metadata(&path)
        .expect("rendered livekit.yaml")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(&path).expect("read")).expect("yaml");
    let (key, secret) = generated_keys(&s.data_dir);
    assert_eq!(yaml["port"].as_u64(), Some(u64::from(port)));
    assert_eq!(yaml["keys"][key.as_str()].as_str(), Some(secret.as_str()));
    let bedrud_port = s.base.rsplit(':').next().expect("port");
    assert_eq!(
        yaml["webhook"]["urls"][0].as_str(),
        Some(format!("http://127.0.0.1:{bedrud_port}/api/livekit/webhook").as_str())
    );

    // Its stdout is forwarded line by line under the `livekit` target.
    let deadline = Instant::now() + LONG;
    loop {
        let forwarded = s.logs.lock().map(|l| {
            l.iter().any(|line| {
                serde_json::from_str::<Value>(line).is_ok_and(|v| {
                    v["target"] == "livekit"
                        && v["message"]
                            .as_str()
                            .is_some_and(|m| m.contains("starting LiveKit server (fake)"))
                })
            })
        });
        if forwarded.unwrap_or(false) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no forwarded output:\n{}",
            logs(&s)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crashed_livekit_is_restarted_with_backoff_and_runs_again() {
    let port = free_port();
    let s = start(&embedded(port));
    wait_for(&s, "running").await;
    let first = the_child(s.pid()).await;

    let crash = client()
        .post(format!("http://127.0.0.1:{port}/_fake/crash"))
        .send()
        .await
        .expect("crash");
    assert_eq!(crash.status().as_u16(), 200);
    // Wait until /api/ready no longer says running, then until it does again.
    let deadline = Instant::now() + LONG;
    let mut down = String::new();
    while down.is_empty() {
        let (_, state) = ready(&s).await;
        if state != "running" {
            down = state;
        }
        assert!(Instant::now() < deadline, "the crash was never noticed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut seen = vec![down];
    seen.extend(wait_for(&s, "running").await);
    assert!(
        seen.iter().any(|st| st == "restarting"),
        "the backoff was not visible on /api/ready: {seen:?}"
    );
    wait_gone(first).await;
    let second = the_child(s.pid()).await;
    assert_ne!(first, second);
    let log = logs(&s);
    assert!(log.contains("restarting"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_to_bedrud_stops_livekit_too() {
    let s = start(&embedded(free_port()));
    wait_for(&s, "running").await;
    let child = the_child(s.pid()).await;
    let mut s = s;
    s.terminate().expect("SIGTERM");
    assert_eq!(s.wait(LONG).expect("exit"), Some(0));
    wait_gone(child).await;
    assert!(!s.data_dir.join("livekit.pid").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_while_livekit_is_starting_leaves_no_process() {
    let mut env = embedded(free_port());
    env.push(("FAKE_LIVEKIT_START_DELAY_MS".into(), "20000".into()));
    let s = start(&env);
    let child = the_child(s.pid()).await;
    assert_eq!(ready(&s).await.1, "starting");
    let mut s = s;
    s.terminate().expect("SIGTERM");
    assert_eq!(s.wait(LONG).expect("exit"), Some(0));
    wait_gone(child).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn livekit_is_proxied_for_http_and_websockets() {
    let port = free_port();
    let s = start(&embedded(port));
    wait_for(&s, "running").await;
    let c = client();
    let addr = s.base.trim_start_matches("http://").to_owned();

    // Plain HTTP: prefix stripped, query kept, forwarding headers set, no app headers.
    let ok = c.get(s.url("/livekit")).send().await.expect("proxy /");
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(ok.text().await.expect("body"), "OK");
    let resp = c
        .put(s.url("/livekit/_fake/echo/a%20b?x=1&y=two"))
        .header("x-forwarded-for", "203.0.113.9")
        .header("origin", "https://evil.example")
        .body("payload")
        .send()
        .await
        .expect("proxy echo");
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.headers().get("content-security-policy").is_none());
    assert!(resp.headers().get("x-request-id").is_some());
    let echo: Value = resp.json().await.expect("json");
    assert_eq!(echo["method"], "PUT");
    assert_eq!(echo["path"], "/_fake/echo/a%20b");
    assert_eq!(echo["query"], "x=1&y=two");
    assert_eq!(echo["body"], "payload");
    assert_eq!(echo["headers"]["host"][0], format!("127.0.0.1:{port}"));
    assert_eq!(echo["headers"]["x-forwarded-for"][0], "127.0.0.1");
    assert_eq!(echo["headers"]["x-forwarded-proto"][0], "http");
    assert_eq!(echo["headers"]["x-forwarded-host"][0], addr);

    // A RoomService call through the proxy with bedrud's generated keys.
    let (key, secret) = generated_keys(&s.data_dir);
    let rooms = c
        .post(s.url("/livekit/twirp/livekit.RoomService/ListRooms"))
        .bearer_auth(server_token(&key, &secret))
        .json(&json!({}))
        .send()
        .await
        .expect("twirp");
    assert_eq!(rooms.status().as_u16(), 200);

    // WebSocket signalling at /livekit/rtc, relayed both ways until we close.
    let url = format!("ws://{addr}/livekit/rtc?access_token=abc&protocol=15");
    let (mut ws, handshake) = tokio_tungstenite::connect_async(url)
        .await
        .expect("websocket through /livekit");
    assert_eq!(handshake.status().as_u16(), 101);
    let hello = ws.next().await.expect("hello").expect("frame");
    let hello: Value = serde_json::from_str(hello.to_text().expect("text")).expect("json");
    assert_eq!(
        hello,
        json!({"path": "/rtc", "query": "access_token=abc&protocol=15"})
    );
    for message in [
        Message::text("join room"),
        Message::binary(vec![0u8, 1, 2, 254, 255]),
        Message::text("x".repeat(100_000)),
    ] {
        ws.send(message.clone()).await.expect("send");
        let back = tokio::time::timeout(LONG, ws.next())
            .await
            .expect("echo in time")
            .expect("open")
            .expect("frame");
        assert_eq!(back, message);
    }
    ws.close(None).await.expect("close");
    let end =
        tokio::time::timeout(LONG, async { while let Some(Ok(_)) = ws.next().await {} }).await;
    assert!(end.is_ok(), "the relay did not close");
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn next_frame(ws: &mut Ws, n: usize) -> Result<Message, String> {
    match tokio::time::timeout(LONG, ws.next()).await {
        Ok(Some(Ok(m))) => Ok(m),
        other => Err(format!("{n}: no frame: {other:?}")),
    }
}

/// One WebSocket session through `/livekit/rtc`: hello, a text and a binary echo, then
/// a close from our side or (after `bye`) from LiveKit's.
async fn ws_session(addr: &str, n: usize) -> Result<(), String> {
    let url = format!("ws://{addr}/livekit/rtc?access_token=s{n}");
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .map_err(|e| format!("{n}: connect: {e}"))?;
    let hello = next_frame(&mut ws, n).await?;
    if !hello.to_text().is_ok_and(|t| t.contains(&format!("s{n}"))) {
        return Err(format!("{n}: hello {hello:?}"));
    }
    for message in [
        Message::text(format!("session {n}")),
        Message::binary(vec![n as u8; 1000]),
    ] {
        ws.send(message.clone())
            .await
            .map_err(|e| format!("{n}: send: {e}"))?;
        let back = next_frame(&mut ws, n).await?;
        if back != message {
            return Err(format!("{n}: echo {back:?}"));
        }
    }
    if n.is_multiple_of(2) {
        ws.close(None)
            .await
            .map_err(|e| format!("{n}: close: {e}"))?;
    } else {
        ws.send(Message::text("bye"))
            .await
            .map_err(|e| format!("{n}: bye: {e}"))?;
        if !matches!(next_frame(&mut ws, n).await?, Message::Close(_)) {
            return Err(format!("{n}: LiveKit's close did not come through"));
        }
    }
    // Either way the relay ends the stream.
    tokio::time::timeout(LONG, async { while let Some(Ok(_)) = ws.next().await {} })
        .await
        .map_err(|_| format!("{n}: the relay did not close"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hundred_concurrent_websocket_sessions_through_the_proxy_all_complete() {
    let s = start(&embedded(free_port()));
    wait_for(&s, "running").await;
    let addr = s.base.trim_start_matches("http://").to_owned();
    let sessions: Vec<_> = (0..100)
        .map(|n| {
            let addr = addr.clone();
            tokio::spawn(async move { ws_session(&addr, n).await })
        })
        .collect();
    let mut failures = Vec::new();
    for session in sessions {
        match session.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failures.push(e),
            Err(e) => failures.push(format!("task: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed: {failures:?}",
        failures.len()
    );
    // The server is still fine afterwards.
    let (status, state) = ready(&s).await;
    assert_eq!((status, state.as_str()), (200, "running"));
}

#[tokio::test(flavor = "multi_thread")]
async fn rooms_use_the_proxied_livekit_and_its_webhooks_reach_bedrud() {
    let port = free_port();
    let s = start(&embedded(port));
    wait_for(&s, "running").await;
    let c = client();
    let reg: Value = c
        .post(s.url("/api/auth/register"))
        .json(&json!({"email": "host@example.com", "password": "correct horse battery", "name": "Host"}))
        .send()
        .await
        .expect("register")
        .json()
        .await
        .expect("json");
    let user_id = reg["user"]["id"].as_str().expect("id").to_owned();
    let bearer = format!(
        "Bearer {}",
        reg["tokens"]["accessToken"].as_str().expect("token")
    );
    let resp = c
        .post(s.url("/api/room/create"))
        .header("authorization", &bearer)
        .json(&json!({"name": "embedded-room"}))
        .send()
        .await
        .expect("create");
    assert_eq!(resp.status().as_u16(), 200);
    let room: Value = resp.json().await.expect("json");
    let addr = s.base.trim_start_matches("http://");
    assert_eq!(room["livekitHost"], format!("ws://{addr}/livekit"));

    // bedrud created the room on the embedded LiveKit…
    let calls: Value = c
        .get(s.url("/livekit/_fake/calls"))
        .send()
        .await
        .expect("calls")
        .json()
        .await
        .expect("json");
    assert!(
        calls
            .as_array()
            .expect("calls")
            .iter()
            .any(|call| call["method"] == "CreateRoom"),
        "{calls}"
    );
    // …and LiveKit's webhooks come back to bedrud at the rendered URL.
    join_and_see_its_webhook(&s, &c, "embedded-room", &user_id, "Host").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_binary_is_unavailable_in_embedded_mode_and_disabled_in_auto_mode() {
    let mut env = embedded(free_port());
    env[1].1 = "/nonexistent/livekit-server".into();
    let s = start(&env);
    assert_eq!(ready(&s).await, (200, "unavailable".to_owned()));
    let proxied = client()
        .get(s.url("/livekit/rtc/validate"))
        .send()
        .await
        .expect("proxy");
    assert_eq!(proxied.status().as_u16(), 502);
    drop(s);

    env[0].1 = "auto".into();
    let s = start(&env);
    assert_eq!(ready(&s).await, (200, "disabled".to_owned()));
    let log = logs(&s);
    assert!(log.contains("LiveKit disabled"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_mode_runs_a_binary_it_finds() {
    let mut env = embedded(free_port());
    env[0].1 = "auto".into();
    let s = start(&env);
    wait_for(&s, "running").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_supplied_livekit_yaml_is_used_as_is() {
    let port = free_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let own = dir.path().join("my-livekit.yaml");
    let (key, secret) = ("APIcustomkey", "a-custom-secret-that-is-long-enough-42");
    std::fs::write(
        &own,
        format!("port: {port}\nbind_addresses:\n  - 127.0.0.1\nkeys:\n  {key}: {secret}\n"),
    )
    .expect("write");
    let mut env = embedded(port);
    env.push((
        "BEDRUD_LIVEKIT__CONFIG_PATH".into(),
        own.display().to_string(),
    ));
    let s = start(&env);
    wait_for(&s, "running").await;
    assert!(!s.data_dir.join("livekit.yaml").exists());
    let rooms = client()
        .post(s.url("/livekit/twirp/livekit.RoomService/ListRooms"))
        .bearer_auth(server_token(key, secret))
        .json(&json!({}))
        .send()
        .await
        .expect("twirp");
    assert_eq!(rooms.status().as_u16(), 200);
}

/// `bedrud <args>` with a fresh data directory and these settings.
fn bedrud(args: &[&str], data_dir: &Path, env: &[(String, String)]) -> Command {
    let mut cmd = Command::new(bedrud_tests::binary().expect("bedrud binary"));
    cmd.args(args)
        .current_dir(data_dir)
        .env_remove("RUST_LOG")
        .env("BEDRUD_SERVER__DATA_DIR", data_dir)
        .env(
            "BEDRUD_DATABASE__URL",
            format!("sqlite://{}", data_dir.join("bedrud.db").display()),
        )
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

#[test]
fn bedrud_livekit_config_prints_the_rendered_yaml() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut env = embedded(7999);
    env.extend([
        ("BEDRUD_SERVER__PORT".into(), "8123".into()),
        ("BEDRUD_LIVEKIT__API_KEY".into(), "APIprinted".into()),
        (
            "BEDRUD_LIVEKIT__API_SECRET".into(),
            "a-printed-secret-that-is-long-enough-77".into(),
        ),
        ("BEDRUD_LIVEKIT__RTC_TCP_PORT".into(), "7991".into()),
        (
            "BEDRUD_LIVEKIT__RTC_PORT_RANGE_START".into(),
            "51000".into(),
        ),
        ("BEDRUD_LIVEKIT__RTC_PORT_RANGE_END".into(), "51100".into()),
    ]);
    let out = bedrud(&["livekit", "config"], dir.path(), &env)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yaml: serde_yaml::Value = serde_yaml::from_str(&stdout).expect("YAML on stdout");
    assert_eq!(yaml["port"].as_u64(), Some(7999));
    assert_eq!(yaml["rtc"]["tcp_port"].as_u64(), Some(7991));
    assert_eq!(yaml["rtc"]["port_range_start"].as_u64(), Some(51000));
    assert_eq!(yaml["rtc"]["port_range_end"].as_u64(), Some(51100));
    assert_eq!(
        yaml["keys"]["APIprinted"].as_str(),
        Some("a-printed-secret-that-is-long-enough-77")
    );
    assert_eq!(
        yaml["webhook"]["urls"][0].as_str(),
        Some("http://127.0.0.1:8123/api/livekit/webhook")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bedrud_livekit_runs_only_the_media_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let mut child = bedrud(&["livekit"], dir.path(), &embedded(port))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("bedrud livekit");
    let pid = child.id();
    let deadline = Instant::now() + LONG;
    loop {
        let up = client()
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if up {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`bedrud livekit` never started the media server");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let livekit = the_child(pid).await;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(pid).expect("pid")),
        nix::sys::signal::Signal::SIGTERM,
    )
    .expect("SIGTERM");
    let deadline = Instant::now() + LONG;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`bedrud livekit` did not exit on SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status}");
    wait_gone(livekit).await;
}

/// `server.enable_tls` (API §7, §6.3): the main listener speaks TLS with the configured
/// certificate (Secure cookies, `wss://…/livekit`, the `/livekit` proxy over TLS); plain
/// HTTP there gets no answer; and embedded LiveKit's webhooks come back over a plain-HTTP
/// listener on `127.0.0.1:server.loopback_port`, which serves the webhook path only.
#[tokio::test(flavor = "multi_thread")]
async fn tls_on_the_main_listener_and_webhooks_over_loopback() {
    let (port, loopback) = (free_port(), free_port());
    let (cert, key) = bedrud_tests::test_certificate();
    let mut env = embedded(port);
    env.extend([
        ("BEDRUD_SERVER__ENABLE_TLS".into(), "true".into()),
        ("BEDRUD_SERVER__CERT_FILE".into(), cert),
        ("BEDRUD_SERVER__KEY_FILE".into(), key),
        ("BEDRUD_SERVER__LOOPBACK_PORT".into(), loopback.to_string()),
    ]);
    let s = start(&env);
    assert!(s.base.starts_with("https://127.0.0.1:"), "{}", s.base);
    wait_for(&s, "running").await;

    // Plain HTTP on the TLS port is not served.
    let plain = s.base.replacen("https://", "http://", 1);
    let answer = reqwest::Client::new()
        .get(format!("{plain}/api/health"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(answer.is_err(), "plain HTTP answered: {answer:?}");

    let c = client();
    let resp = c
        .post(s.url("/api/auth/register"))
        .json(&json!({"email": "tls@example.com", "password": "correct horse battery", "name": "Tee"}))
        .send()
        .await
        .expect("register over TLS");
    assert_eq!(resp.status().as_u16(), 200);
    let cookies: Vec<String> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("access_token=") && c.contains("Secure")),
        "{cookies:?}"
    );
    let reg: Value = resp.json().await.expect("json");
    let user_id = reg["user"]["id"].as_str().expect("id").to_owned();
    let bearer = format!(
        "Bearer {}",
        reg["tokens"]["accessToken"].as_str().expect("token")
    );
    let room: Value = c
        .post(s.url("/api/room/create"))
        .header("authorization", &bearer)
        .json(&json!({"name": "tls-room"}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let addr = s.base.trim_start_matches("https://");
    assert_eq!(room["livekitHost"], format!("wss://{addr}/livekit"));

    // livekit.yaml sends webhooks to the loopback listener…
    let yaml: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(s.data_dir.join("livekit.yaml")).expect("livekit.yaml"),
    )
    .expect("yaml");
    assert_eq!(
        yaml["webhook"]["urls"][0].as_str(),
        Some(format!("http://127.0.0.1:{loopback}/api/livekit/webhook").as_str())
    );
    // …which answers the webhook path only (unsigned: 401) and 404 elsewhere.
    let local = reqwest::Client::new();
    let unsigned = local
        .post(format!("http://127.0.0.1:{loopback}/api/livekit/webhook"))
        .body("{}")
        .send()
        .await
        .expect("loopback webhook");
    assert_eq!(unsigned.status().as_u16(), 401);
    for path in ["/api/health", "/api/auth/me", "/"] {
        let other = local
            .get(format!("http://127.0.0.1:{loopback}{path}"))
            .send()
            .await
            .expect("loopback");
        assert_eq!(other.status().as_u16(), 404, "{path}");
    }

    // A participant joins on the (proxied, TLS) LiveKit: its signed webhook arrives.
    join_and_see_its_webhook(&s, &c, "tls-room", &user_id, "Tee").await;
}
