//! `GET /metrics` and request counting through the whole endpoint.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bedrud_ports::Census;
use poem::http::StatusCode;
use poem::test::TestClient;

use super::fakes::World;
use crate::metrics::{CensusSource, Metrics, MetricsSources, PoolGauges};
use crate::{Extras, HttpConfig, app_with};

struct NoCensus;

impl CensusSource for NoCensus {
    fn census(&self) -> Pin<Box<dyn Future<Output = Option<Census>> + Send + '_>> {
        Box::pin(async { Some(Census::default()) })
    }
}

fn metrics() -> Arc<Metrics> {
    let sources = MetricsSources {
        census: Arc::new(NoCensus),
        livekit_state: Arc::new(|| "disabled".to_owned()),
        livekit_restarts: Arc::new(|| 0),
        db_pool: Arc::new(PoolGauges::default),
    };
    Arc::new(Metrics::new(sources, &["cleanup"]).expect("metrics"))
}

async fn body(
    cli: &TestClient<poem::endpoint::BoxEndpoint<'static>>,
    path: &str,
) -> (StatusCode, String) {
    let resp = cli.get(path).send().await;
    let status = resp.0.status();
    (
        status,
        resp.0.into_body().into_string().await.unwrap_or_default(),
    )
}

#[tokio::test]
async fn requests_are_counted_by_route_template() {
    let world = World::new();
    let m = metrics();
    let extras = Extras {
        metrics: Some(m.clone()),
        ..Extras::default()
    };
    let cli = TestClient::new(app_with(
        world.services.clone(),
        HttpConfig::default(),
        extras,
    ));
    cli.get("/api/health").send().await.assert_status_is_ok();
    cli.get("/api/room/abc-def/presence").send().await;
    cli.get("/api/no/such/route").send().await;
    cli.get("/some/spa/page").send().await;
    let (status, text) = body(&cli, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    for expected in [
        "http_requests_total{method=\"GET\",route=\"/api/health\",status=\"200\"} 1",
        "http_request_duration_seconds_count{method=\"GET\",route=\"/api/health\"} 1",
        "route=\"/api/room/:roomId/presence\"",
        "http_requests_total{method=\"GET\",route=\"/api/*\",status=\"404\"} 1",
        "route=\"/*\"",
        "bedrud_livekit_state{state=\"disabled\"} 1",
        "bedrud_active_sessions 0",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(
        !text.contains("abc-def") && !text.contains("/some/spa"),
        "raw paths never become labels"
    );
    // The scrape itself is counted on the next one.
    let (_, again) = body(&cli, "/metrics").await;
    assert!(
        again.contains("http_requests_total{method=\"GET\",route=\"/metrics\",status=\"200\"} 1"),
        "{again}"
    );
}

#[tokio::test]
async fn metrics_are_absent_when_disabled_or_served_elsewhere() {
    let world = World::new();
    let cli = TestClient::new(crate::app(world.services.clone(), HttpConfig::default()));
    let (status, text) = body(&cli, "/metrics").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{text}");
    assert!(text.contains("Not found"), "a JSON error, not the web app");

    let m = metrics();
    let extras = Extras {
        metrics: Some(m.clone()),
        metrics_elsewhere: true,
        ..Extras::default()
    };
    let cli = TestClient::new(app_with(
        world.services.clone(),
        HttpConfig::default(),
        extras,
    ));
    let (status, _) = body(&cli, "/metrics").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    cli.get("/api/health").send().await.assert_status_is_ok();
    let text = m.render().await;
    assert!(
        text.contains("http_requests_total{method=\"GET\",route=\"/api/health\",status=\"200\"} 1"),
        "requests are still counted: {text}"
    );
}
