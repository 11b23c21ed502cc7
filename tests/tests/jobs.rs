//! Scheduled jobs and metrics of the real server: `bedrud jobs list|run`, `GET /metrics`
//! (on the main listener, on `metrics.bind`, or disabled), and two instances on one
//! PostgreSQL with a one-second schedule running each tick exactly once, never
//! concurrently (counted in the `job_runs` table and in both instances' metrics).

use std::time::Duration;

use bedrud_db::{DatabaseUrl, Db, PoolOptions};
use bedrud_ports::{JobRun, JobRunStore};
use bedrud_tests::{Backend, Server, client, postgres_or_skip};
use chrono::{DateTime, TimeDelta, Utc};

const JOBS: [&str; 3] = ["room_sweep", "cleanup", "guest_cleanup"];

/// Every job enabled, on a one-second schedule.
const EVERY_SECOND: [(&str, &str); 6] = [
    ("BEDRUD_JOBS__ROOM_SWEEP__ENABLED", "true"),
    ("BEDRUD_JOBS__ROOM_SWEEP__SCHEDULE", "* * * * * *"),
    ("BEDRUD_JOBS__CLEANUP__ENABLED", "true"),
    ("BEDRUD_JOBS__CLEANUP__SCHEDULE", "* * * * * *"),
    ("BEDRUD_JOBS__GUEST_CLEANUP__ENABLED", "true"),
    ("BEDRUD_JOBS__GUEST_CLEANUP__SCHEDULE", "* * * * * *"),
];

async fn get(url: &str) -> (u16, String) {
    let resp = client().get(url).send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

/// The sum of every sample of `name` whose labels contain all of `labels`.
fn metric_sum(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .filter(|(series, _)| {
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            metric == name && labels.iter().all(|want| rest.contains(want))
        })
        .filter_map(|(_, value)| value.parse::<f64>().ok())
        .sum()
}

/// Checks the Prometheus text exposition format line by line: `# HELP`/`# TYPE` lines
/// with a known type, and samples `name{label="value",...} number` whose family was typed.
fn assert_prometheus_text(text: &str) {
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
            && !n.starts_with(|c: char| c.is_ascii_digit())
    };
    let mut typed = std::collections::HashSet::new();
    let mut samples = 0;
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE line");
            assert!(name_ok(name), "{line}");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            typed.insert(name.to_owned());
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        assert!(!line.starts_with('#'), "unknown comment: {line}");
        let (series, value) = line.rsplit_once(' ').expect("sample has a value");
        assert!(
            value.parse::<f64>().is_ok() || ["+Inf", "-Inf", "NaN"].contains(&value),
            "{line}"
        );
        let name = match series.split_once('{') {
            Some((name, labels)) => {
                let labels = labels.strip_suffix('}').expect("closing brace");
                for pair in labels.split("\",").filter(|p| !p.is_empty()) {
                    let (key, val) = pair.split_once("=\"").expect("label=\"value\"");
                    assert!(name_ok(key), "{line}");
                    assert!(!val.trim_end_matches('"').contains('"'), "{line}");
                }
                name
            }
            None => series,
        };
        assert!(name_ok(name), "{line}");
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix).filter(|f| typed.contains(*f)))
            .unwrap_or(name);
        assert!(typed.contains(family), "sample before its TYPE: {line}");
        samples += 1;
    }
    assert!(samples > 20, "only {samples} samples");
}

#[tokio::test(flavor = "multi_thread")]
async fn jobs_list_and_run_by_hand() {
    let server = Server::start(Backend::Sqlite, &[]).expect("start");
    let (code, out, err) = server.cli(&["jobs", "list"], None).expect("jobs list");
    assert_eq!(code, 0, "{out}{err}");
    for job in JOBS {
        assert!(out.contains(job), "{job} listed: {out}");
    }
    for job in JOBS {
        let (code, out, err) = server.cli(&["jobs", "run", job], None).expect("jobs run");
        assert_eq!(code, 0, "{job}: {out}{err}");
        assert!(out.contains(&format!("{job}: ok")), "{job}: {out}");
    }
    let (code, _, err) = server
        .cli(&["jobs", "run", "reindex"], None)
        .expect("jobs run");
    assert_ne!(code, 0);
    assert!(err.contains("unknown job"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_on_the_main_listener() {
    let server = Server::start(Backend::Sqlite, &EVERY_SECOND).expect("start");
    let (status, _) = get(&server.url("/api/health")).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (status, text) = get(&server.url("/metrics")).await;
    assert_eq!(status, 200, "{text}");
    for expected in [
        "http_requests_total{method=\"GET\",route=\"/api/health\",status=\"200\"}",
        "http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/health\",le=\"+Inf\"}",
        "bedrud_active_sessions ",
        "bedrud_active_rooms ",
        "bedrud_live_rooms ",
        "bedrud_livekit_state{state=\"disabled\"} 1",
        "bedrud_db_pool_connections ",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert_prometheus_text(&text);
    // Counters move: five more health checks are counted exactly.
    let health = ["route=\"/api/health\"", "method=\"GET\"", "status=\"200\""];
    let before = metric_sum(&text, "http_requests_total", &health);
    for _ in 0..5 {
        assert_eq!(get(&server.url("/api/health")).await.0, 200);
    }
    let (_, again) = get(&server.url("/metrics")).await;
    assert_eq!(
        metric_sum(&again, "http_requests_total", &health),
        before + 5.0
    );
    for job in JOBS {
        let job_label = format!("job=\"{job}\"");
        assert!(
            metric_sum(&text, "bedrud_job_runs_total", &[&job_label]) >= 1.0,
            "{job} ran: {text}"
        );
        assert!(
            metric_sum(&text, "bedrud_job_duration_seconds_count", &[&job_label]) >= 1.0,
            "{job} timed"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_disabled_or_on_their_own_address() {
    let off =
        Server::start(Backend::Sqlite, &[("BEDRUD_METRICS__ENABLED", "false")]).expect("start");
    let (status, _) = get(&off.url("/metrics")).await;
    assert_eq!(status, 404);

    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        probe.local_addr().expect("addr").port()
    };
    let bind = format!("127.0.0.1:{port}");
    let apart =
        Server::start(Backend::Sqlite, &[("BEDRUD_METRICS__BIND", bind.as_str())]).expect("start");
    let (status, _) = get(&apart.url("/metrics")).await;
    assert_eq!(status, 404, "not on the main listener");
    let mut served = None;
    for _ in 0..50 {
        if let Ok(resp) = client().get(format!("http://{bind}/metrics")).send().await {
            served = Some((
                resp.status().as_u16(),
                resp.text().await.unwrap_or_default(),
            ));
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, text) = served.expect("metrics listener");
    assert_eq!(status, 200);
    assert!(text.contains("bedrud_livekit_state"), "{text}");
}

/// The runs of `job` recorded in the database.
async fn runs(db: &Db, job: &str) -> Vec<JobRun> {
    db.list_runs(job, Utc::now() - TimeDelta::hours(1))
        .await
        .expect("runs")
}

#[tokio::test(flavor = "multi_thread")]
async fn two_instances_run_each_tick_once() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    let a = Server::start(Backend::Postgres(url.clone()), &EVERY_SECOND).expect("start a");
    let b = a.sibling().expect("start b");
    let both_up = Utc::now();
    tokio::time::sleep(Duration::from_millis(12_500)).await;

    let db = Db::open(
        &DatabaseUrl::Postgres(url),
        &PoolOptions {
            max_connections: 2,
            acquire_timeout: Duration::from_secs(10),
        },
    )
    .expect("db");
    // The ten whole seconds after both instances were up.
    let first = both_up + TimeDelta::seconds(1);
    let first = first - TimeDelta::nanoseconds(first.timestamp_subsec_nanos().into());
    let window: Vec<DateTime<Utc>> = (0..10).map(|i| first + TimeDelta::seconds(i)).collect();
    let mut finished_before = Vec::new();
    for job in JOBS {
        let runs = runs(&db, job).await;
        let ticks: Vec<DateTime<Utc>> = runs
            .iter()
            .map(|r| r.tick)
            .filter(|t| window.contains(t))
            .collect();
        assert_eq!(
            ticks, window,
            "{job}: exactly one run per tick over 10 ticks"
        );
        let finished: Vec<&JobRun> = runs.iter().filter(|r| r.finished_at.is_some()).collect();
        for pair in finished.windows(2) {
            let (x, y) = (pair[0], pair[1]);
            assert!(
                x.finished_at.is_some_and(|f| f <= y.started_at),
                "{job}: runs overlap: {x:?} / {y:?}"
            );
        }
        assert!(runs.iter().all(|r| r.error.is_none()), "{job}: {runs:?}");
        finished_before.push(finished.len());
    }

    // Both instances' metrics together count exactly the recorded runs (a run is
    // counted just after its record is finished, so the count lies between two reads).
    let (_, text_a) = get(&a.url("/metrics")).await;
    let (_, text_b) = get(&b.url("/metrics")).await;
    for (job, before) in JOBS.iter().zip(finished_before) {
        let job_label = format!("job=\"{job}\"");
        let counted = metric_sum(&text_a, "bedrud_job_runs_total", &[&job_label])
            + metric_sum(&text_b, "bedrud_job_runs_total", &[&job_label]);
        let after = runs(&db, job).await.len();
        assert!(
            (before as f64) <= counted && counted <= after as f64,
            "{job}: metrics counted {counted}, database {before}..{after}"
        );
        let yielded = metric_sum(&text_a, "bedrud_job_ticks_yielded_total", &[&job_label])
            + metric_sum(&text_b, "bedrud_job_ticks_yielded_total", &[&job_label]);
        assert!(
            yielded >= 1.0,
            "{job}: the other instance yielded its ticks"
        );
    }
    db.close();
}

/// `bedrud config check` with extra environment, in a fresh directory.
fn config_check(env: &[(&str, &str)]) -> (bool, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = std::process::Command::new(bedrud_tests::binary().expect("binary"));
    cmd.args(["config", "check"])
        .current_dir(dir.path())
        .env_remove("RUST_LOG")
        .env("BEDRUD_SERVER__DATA_DIR", dir.path())
        .env("BEDRUD_LIVEKIT__MODE", "disabled");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn config_check_names_bad_job_schedules_and_passkey_settings() {
    let (ok, text) = config_check(&[]);
    assert!(ok, "{text}");
    assert!(text.contains("configuration OK"), "{text}");

    let (ok, text) = config_check(&[("BEDRUD_JOBS__CLEANUP__SCHEDULE", "every hour")]);
    assert!(!ok);
    assert!(text.contains("jobs.cleanup.schedule"), "{text}");
    // A disabled job's schedule is not looked at.
    let (ok, text) = config_check(&[
        ("BEDRUD_JOBS__CLEANUP__SCHEDULE", "every hour"),
        ("BEDRUD_JOBS__CLEANUP__ENABLED", "false"),
    ]);
    assert!(ok, "{text}");

    let (ok, text) = config_check(&[
        ("BEDRUD_AUTH__WEBAUTHN__RP_ID", "meet.example.com"),
        (
            "BEDRUD_AUTH__WEBAUTHN__RP_ORIGINS",
            "https://evil.example.org",
        ),
    ]);
    assert!(!ok);
    assert!(text.contains("auth.webauthn.rp_origins"), "{text}");
}
