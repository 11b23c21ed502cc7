//! `GET /metrics` in the Prometheus text format (API §1.5): requests by route template,
//! method and status; latency by route; sessions, rooms by state and participants (read
//! from the database at scrape time); LiveKit state and restarts; job runs, failures and
//! durations (this instance's); the database pool.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bedrud_domain::Maintenance;
use bedrud_ports::{Census, JobObserver, JobStatus};
use poem::endpoint::BoxEndpoint;
use poem::http::{Method, StatusCode, header};
use poem::{Endpoint, EndpointExt, Request, Response};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use crate::error::{METHOD_NOT_ALLOWED, NOT_FOUND, json_error};
use crate::site::{is_api, is_livekit};

/// The path of the endpoint, outside /api.
pub const METRICS_PATH: &str = "/metrics";

/// Every LiveKit state /api/ready can report (API §3.1).
pub const LIVEKIT_STATES: [&str; 6] = [
    "starting",
    "running",
    "restarting",
    "external",
    "unavailable",
    "disabled",
];

/// The connection pool's figures at scrape time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolGauges {
    /// Open connections.
    pub size: usize,
    /// Idle connections (negative when tasks are waiting, as deadpool reports it).
    pub available: isize,
    /// Tasks waiting for a connection.
    pub waiting: usize,
}

/// Where the database counts come from at scrape time.
pub trait CensusSource: Send + Sync {
    /// The counts, or `None` when they cannot be read now (the gauges keep their values).
    fn census(&self) -> Pin<Box<dyn Future<Output = Option<Census>> + Send + '_>>;
}

impl CensusSource for Maintenance {
    fn census(&self) -> Pin<Box<dyn Future<Output = Option<Census>> + Send + '_>> {
        Box::pin(async move {
            match Maintenance::census(self).await {
                Ok(census) => Some(census),
                Err(e) => {
                    tracing::warn!(error = %format!("{:#}", anyhow::Error::new(e)), "metrics: cannot count rows");
                    None
                }
            }
        })
    }
}

/// What the metrics read at scrape time, supplied by bootstrap.
#[derive(Clone)]
pub struct MetricsSources {
    /// Sessions, rooms and participants (the `Maintenance` use case).
    pub census: Arc<dyn CensusSource>,
    /// The LiveKit state, one of [`LIVEKIT_STATES`].
    pub livekit_state: Arc<dyn Fn() -> String + Send + Sync>,
    /// How often the supervised LiveKit process was restarted.
    pub livekit_restarts: Arc<dyn Fn() -> u64 + Send + Sync>,
    /// The database pool.
    pub db_pool: Arc<dyn Fn() -> PoolGauges + Send + Sync>,
}

/// The registry and its metrics; shared by the HTTP layer (requests, endpoint) and the
/// scheduler (as its [`JobObserver`]).
pub struct Metrics {
    registry: Registry,
    sources: MetricsSources,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    job_runs: IntCounterVec,
    job_failures: IntCounterVec,
    job_duration: HistogramVec,
    job_ticks_yielded: IntCounterVec,
    active_sessions: IntGauge,
    active_rooms: IntGauge,
    live_rooms: IntGauge,
    rooms: IntGaugeVec,
    active_participants: IntGauge,
    livekit_state: IntGaugeVec,
    livekit_restarts: IntCounter,
    pool_size: IntGauge,
    pool_available: IntGauge,
    pool_waiting: IntGauge,
}

fn counter(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntCounterVec> {
    let metric = IntCounterVec::new(Opts::new(name, help), labels)?;
    registry.register(Box::new(metric.clone()))?;
    Ok(metric)
}

fn gauge(registry: &Registry, name: &str, help: &str) -> prometheus::Result<IntGauge> {
    let metric = IntGauge::new(name, help)?;
    registry.register(Box::new(metric.clone()))?;
    Ok(metric)
}

fn gauges(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntGaugeVec> {
    let metric = IntGaugeVec::new(Opts::new(name, help), labels)?;
    registry.register(Box::new(metric.clone()))?;
    Ok(metric)
}

fn histogram(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
    buckets: Vec<f64>,
) -> prometheus::Result<HistogramVec> {
    let metric = HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets), labels)?;
    registry.register(Box::new(metric.clone()))?;
    Ok(metric)
}

impl Metrics {
    /// Registers every metric. Errors only on an invalid or duplicate definition.
    pub fn new(sources: MetricsSources, jobs: &[&str]) -> prometheus::Result<Metrics> {
        let r = Registry::new();
        let job_buckets = vec![
            0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
        ];
        let metrics = Metrics {
            http_requests: counter(
                &r,
                "http_requests_total",
                "HTTP requests by method, route template and status.",
                &["method", "route", "status"],
            )?,
            http_duration: histogram(
                &r,
                "http_request_duration_seconds",
                "HTTP request latency by method and route template.",
                &["method", "route"],
                prometheus::DEFAULT_BUCKETS.to_vec(),
            )?,
            job_runs: counter(
                &r,
                "bedrud_job_runs_total",
                "Scheduled job runs on this instance by outcome (ok, failed, skipped).",
                &["job", "outcome"],
            )?,
            job_failures: counter(
                &r,
                "bedrud_job_failures_total",
                "Failed scheduled job runs on this instance.",
                &["job"],
            )?,
            job_duration: histogram(
                &r,
                "bedrud_job_duration_seconds",
                "Duration of scheduled job runs on this instance.",
                &["job"],
                job_buckets,
            )?,
            job_ticks_yielded: counter(
                &r,
                "bedrud_job_ticks_yielded_total",
                "Job ticks this instance did not run: elsewhere (another instance ran it) or busy (still running).",
                &["job", "reason"],
            )?,
            active_sessions: gauge(
                &r,
                "bedrud_active_sessions",
                "Unrevoked, unexpired sessions.",
            )?,
            active_rooms: gauge(
                &r,
                "bedrud_active_rooms",
                "Active rooms (live ones included).",
            )?,
            live_rooms: gauge(
                &r,
                "bedrud_live_rooms",
                "Active rooms LiveKit reports running.",
            )?,
            rooms: gauges(
                &r,
                "bedrud_rooms",
                "Rooms by state: active, live, inactive, archived.",
                &["state"],
            )?,
            active_participants: gauge(
                &r,
                "bedrud_active_participants",
                "Active, non-banned participant rows.",
            )?,
            livekit_state: gauges(
                &r,
                "bedrud_livekit_state",
                "1 for LiveKit's current state, 0 for the others.",
                &["state"],
            )?,
            livekit_restarts: {
                let metric = IntCounter::new(
                    "bedrud_livekit_restarts_total",
                    "Restarts of the supervised LiveKit process.",
                )?;
                r.register(Box::new(metric.clone()))?;
                metric
            },
            pool_size: gauge(
                &r,
                "bedrud_db_pool_connections",
                "Open database connections.",
            )?,
            pool_available: gauge(
                &r,
                "bedrud_db_pool_idle_connections",
                "Idle database connections (negative: tasks are waiting).",
            )?,
            pool_waiting: gauge(
                &r,
                "bedrud_db_pool_waiting",
                "Tasks waiting for a database connection.",
            )?,
            registry: r,
            sources,
        };
        for job in jobs {
            for outcome in ["ok", "failed", "skipped"] {
                metrics.job_runs.with_label_values(&[job, &outcome]);
            }
            metrics.job_failures.with_label_values(&[job]);
            for reason in ["elsewhere", "busy"] {
                metrics.job_ticks_yielded.with_label_values(&[job, &reason]);
            }
        }
        for state in ["active", "live", "inactive", "archived"] {
            metrics.rooms.with_label_values(&[state]);
        }
        Ok(metrics)
    }

    /// Counts one request; `route` is a template or a fixed label, never a raw path.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let status = status.to_string();
        self.http_requests
            .with_label_values(&[method, route, status.as_str()])
            .inc();
        self.http_duration
            .with_label_values(&[method, route])
            .observe(elapsed.as_secs_f64());
    }

    /// Reads the gauges' sources and renders every metric in the text format.
    pub async fn render(&self) -> String {
        if let Some(c) = self.sources.census.census().await {
            self.active_sessions.set(c.active_sessions);
            self.active_rooms.set(c.active_rooms);
            self.live_rooms.set(c.live_rooms);
            self.active_participants.set(c.active_participants);
            for (state, n) in [
                ("active", c.active_rooms),
                ("live", c.live_rooms),
                ("inactive", c.inactive_rooms),
                ("archived", c.archived_rooms),
            ] {
                self.rooms.with_label_values(&[state]).set(n);
            }
        }
        let current = (self.sources.livekit_state)();
        for state in LIVEKIT_STATES
            .iter()
            .copied()
            .chain(std::iter::once(current.as_str()))
        {
            self.livekit_state
                .with_label_values(&[state])
                .set(i64::from(state == current));
        }
        let restarts = (self.sources.livekit_restarts)();
        let counted = self.livekit_restarts.get();
        if restarts > counted {
            self.livekit_restarts.inc_by(restarts - counted);
        }
        let pool = (self.sources.db_pool)();
        self.pool_size
            .set(i64::try_from(pool.size).unwrap_or(i64::MAX));
        self.pool_available
            .set(i64::try_from(pool.available).unwrap_or(i64::MAX));
        self.pool_waiting
            .set(i64::try_from(pool.waiting).unwrap_or(i64::MAX));

        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(error = %e, "metrics: cannot encode");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

impl JobObserver for Metrics {
    fn observe(&self, job: &str, status: JobStatus, duration: Duration) {
        match status {
            JobStatus::Elsewhere | JobStatus::Busy => {
                self.job_ticks_yielded
                    .with_label_values(&[job, status.as_str()])
                    .inc();
            }
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Skipped => {
                self.job_runs
                    .with_label_values(&[job, status.as_str()])
                    .inc();
                if status == JobStatus::Failed {
                    self.job_failures.with_label_values(&[job]).inc();
                }
                self.job_duration
                    .with_label_values(&[job])
                    .observe(duration.as_secs_f64());
            }
        }
    }
}

/// The `route` label of a request: its API template, else a fixed label per area, so
/// that label values stay bounded whatever paths clients send.
pub fn route_label<'a>(template: Option<&'a str>, path: &str) -> &'a str {
    if let Some(template) = template {
        return template;
    }
    match path {
        METRICS_PATH => METRICS_PATH,
        "/health" => "/health",
        "/ready" => "/ready",
        _ if is_api(path) => "/api/*",
        _ if is_livekit(path) => "/livekit/*",
        _ => "/*",
    }
}

/// The answer of `GET /metrics`.
pub async fn respond(metrics: &Metrics, req: &Request) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut resp = json_error(StatusCode::METHOD_NOT_ALLOWED, METHOD_NOT_ALLOWED);
        if let Ok(allow) = "GET, HEAD".parse() {
            resp.headers_mut().insert(header::ALLOW, allow);
        }
        return resp;
    }
    let body = metrics.render().await;
    Response::builder()
        .status(StatusCode::OK)
        .content_type(prometheus::TEXT_FORMAT)
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
}

/// An endpoint serving only `/metrics`, for a listener of its own (`metrics.bind`).
pub fn endpoint(metrics: Arc<Metrics>) -> BoxEndpoint<'static> {
    MetricsOnly(metrics).boxed()
}

struct MetricsOnly(Arc<Metrics>);

impl Endpoint for MetricsOnly {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if req.uri().path() != METRICS_PATH {
            return Ok(json_error(StatusCode::NOT_FOUND, NOT_FOUND));
        }
        Ok(respond(&self.0, &req).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct FixedCensus(Option<Census>);

    impl CensusSource for FixedCensus {
        fn census(&self) -> Pin<Box<dyn Future<Output = Option<Census>> + Send + '_>> {
            let c = self.0.clone();
            Box::pin(async move { c })
        }
    }

    pub(crate) fn sources(census: Option<Census>, state: &'static str) -> MetricsSources {
        MetricsSources {
            census: Arc::new(FixedCensus(census)),
            livekit_state: Arc::new(move || state.to_owned()),
            livekit_restarts: Arc::new(|| 3),
            db_pool: Arc::new(|| PoolGauges {
                size: 4,
                available: 3,
                waiting: 0,
            }),
        }
    }

    fn line<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
        text.lines().find(|l| l.starts_with(prefix))
    }

    #[tokio::test]
    async fn renders_every_family() {
        let census = Census {
            active_sessions: 5,
            active_rooms: 2,
            live_rooms: 1,
            inactive_rooms: 7,
            archived_rooms: 1,
            active_participants: 3,
        };
        let m = Metrics::new(sources(Some(census), "running"), &["cleanup"]).expect("metrics");
        m.observe_request("GET", "/api/room/:roomId", 200, Duration::from_millis(12));
        m.observe("cleanup", JobStatus::Succeeded, Duration::from_millis(5));
        m.observe("cleanup", JobStatus::Failed, Duration::from_millis(5));
        m.observe("cleanup", JobStatus::Elsewhere, Duration::ZERO);
        let text = m.render().await;
        for expected in [
            "http_requests_total{method=\"GET\",route=\"/api/room/:roomId\",status=\"200\"} 1",
            "http_request_duration_seconds_count{method=\"GET\",route=\"/api/room/:roomId\"} 1",
            "bedrud_active_sessions 5",
            "bedrud_active_rooms 2",
            "bedrud_live_rooms 1",
            "bedrud_rooms{state=\"inactive\"} 7",
            "bedrud_rooms{state=\"archived\"} 1",
            "bedrud_active_participants 3",
            "bedrud_livekit_state{state=\"running\"} 1",
            "bedrud_livekit_state{state=\"disabled\"} 0",
            "bedrud_livekit_restarts_total 3",
            "bedrud_job_runs_total{job=\"cleanup\",outcome=\"ok\"} 1",
            "bedrud_job_runs_total{job=\"cleanup\",outcome=\"failed\"} 1",
            "bedrud_job_runs_total{job=\"cleanup\",outcome=\"skipped\"} 0",
            "bedrud_job_failures_total{job=\"cleanup\"} 1",
            "bedrud_job_duration_seconds_count{job=\"cleanup\"} 2",
            "bedrud_job_ticks_yielded_total{job=\"cleanup\",reason=\"elsewhere\"} 1",
            "bedrud_db_pool_connections 4",
            "bedrud_db_pool_idle_connections 3",
            "bedrud_db_pool_waiting 0",
            "# TYPE http_requests_total counter",
            "# TYPE http_request_duration_seconds histogram",
        ] {
            assert!(
                text.lines().any(|l| l == expected),
                "missing {expected:?} in\n{text}"
            );
        }
        // Restarts are a counter: a second scrape does not add them again.
        let again = m.render().await;
        assert_eq!(
            line(&again, "bedrud_livekit_restarts_total "),
            Some("bedrud_livekit_restarts_total 3")
        );
    }

    #[tokio::test]
    async fn an_unreadable_census_keeps_the_gauges() {
        let m = Metrics::new(sources(None, "disabled"), &[]).expect("metrics");
        let text = m.render().await;
        assert!(text.contains("bedrud_active_sessions 0"), "{text}");
        assert!(
            text.contains("bedrud_livekit_state{state=\"disabled\"} 1"),
            "{text}"
        );
    }

    #[test]
    fn route_labels_are_bounded() {
        assert_eq!(
            route_label(Some("/api/room/:roomId"), "/api/room/x"),
            "/api/room/:roomId"
        );
        assert_eq!(route_label(None, "/api/nope/123"), "/api/*");
        assert_eq!(route_label(None, "/metrics"), "/metrics");
        assert_eq!(route_label(None, "/livekit/rtc"), "/livekit/*");
        assert_eq!(route_label(None, "/ready"), "/ready");
        assert_eq!(route_label(None, "/some/page/42"), "/*");
    }

    #[tokio::test]
    async fn the_metrics_only_endpoint() {
        use poem::test::TestClient;
        let m = Arc::new(Metrics::new(sources(None, "disabled"), &[]).expect("metrics"));
        let cli = TestClient::new(endpoint(m));
        let resp = cli.get("/metrics").send().await;
        resp.assert_status_is_ok();
        resp.assert_content_type(prometheus::TEXT_FORMAT);
        cli.get("/other")
            .send()
            .await
            .assert_status(StatusCode::NOT_FOUND);
        let resp = cli.post("/metrics").send().await;
        resp.assert_status(StatusCode::METHOD_NOT_ALLOWED);
        resp.assert_header(header::ALLOW, "GET, HEAD");
    }
}
