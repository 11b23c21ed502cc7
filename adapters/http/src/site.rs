//! Top-level dispatch: `/api/*` to the API, `/health` and `/ready` to redirects,
//! `/metrics` when served here, the `/livekit` proxy when mounted, everything else to the
//! web app.

use std::sync::Arc;

use poem::endpoint::BoxEndpoint;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response};

use crate::error::{NOT_FOUND, json_error};
use crate::metrics::{METRICS_PATH, Metrics};

/// Whether `path` belongs to the API (`/api` or below).
pub fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Whether `path` belongs to the LiveKit proxy (`/livekit` or below).
pub fn is_livekit(path: &str) -> bool {
    path == "/livekit" || path.starts_with("/livekit/")
}

/// Dispatches the application paths.
pub struct Site<A, S> {
    api: A,
    spa: S,
    metrics: Option<Arc<Metrics>>,
}

impl<A, S> Site<A, S> {
    /// `api` serves `/api/*`, `spa` everything else but the redirects; `/metrics` is 404.
    pub fn new(api: A, spa: S) -> Self {
        Site {
            api,
            spa,
            metrics: None,
        }
    }

    /// Serves `/metrics` from `metrics` (when given).
    pub fn with_metrics(mut self, metrics: Option<Arc<Metrics>>) -> Self {
        self.metrics = metrics;
        self
    }
}

fn redirect(to: &'static str) -> Response {
    let mut resp = Response::builder().status(StatusCode::FOUND).finish();
    resp.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static(to));
    resp
}

impl<A: Endpoint, S: Endpoint> Endpoint for Site<A, S> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let path = req.uri().path();
        if is_api(path) {
            if path == "/api" || path == "/api/" {
                return Ok(json_error(StatusCode::NOT_FOUND, NOT_FOUND));
            }
            return self.api.call(req).await.map(IntoResponse::into_response);
        }
        match path {
            METRICS_PATH => Ok(match &self.metrics {
                Some(metrics) => crate::metrics::respond(metrics, &req).await,
                // Disabled, or served on its own listener (`metrics.bind`).
                None => json_error(StatusCode::NOT_FOUND, NOT_FOUND),
            }),
            "/health" => Ok(redirect("/api/health")),
            "/ready" => Ok(redirect("/api/ready")),
            _ => self.spa.call(req).await.map(IntoResponse::into_response),
        }
    }
}

/// Sends `/livekit*` to the proxy, ahead of CORS, security headers, compression and
/// limits; the rest to `rest`.
pub struct LivekitSplit<E> {
    proxy: Option<BoxEndpoint<'static>>,
    rest: E,
}

impl<E> LivekitSplit<E> {
    /// `proxy` (when mounted) takes `/livekit*`.
    pub fn new(proxy: Option<BoxEndpoint<'static>>, rest: E) -> Self {
        LivekitSplit { proxy, rest }
    }
}

impl<E: Endpoint> Endpoint for LivekitSplit<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        match &self.proxy {
            Some(proxy) if is_livekit(req.uri().path()) => proxy.call(req).await,
            _ => self.rest.call(req).await.map(IntoResponse::into_response),
        }
    }
}
