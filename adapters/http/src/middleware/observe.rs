//! The outermost layer: request id (`X-Request-Id`), client IP, scheme, route template,
//! a tracing span around the whole request, one access-log line per request, and the
//! request metrics.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use poem::http::{HeaderName, HeaderValue};
use poem::{Endpoint, IntoResponse, Request, Response};
use tracing::Instrument;

use crate::context::RequestContext;
use crate::error::{INVALID_REQUEST_BODY, recover};
use crate::metrics::{Metrics, route_label};
use crate::middleware::client_ip::TrustedProxies;
use crate::router::RouteTable;

/// The request-id header.
pub const REQUEST_ID: &str = "x-request-id";

/// Whether an incoming request id may be reused: `^[A-Za-z0-9._-]{1,128}$`.
pub fn valid_request_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The incoming id when valid, else a new UUID v4.
pub fn request_id_for(req: &Request) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| valid_request_id(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// How the scheme and client address are resolved.
#[derive(Debug, Clone)]
pub struct Network {
    /// `server.trusted_proxies`, parsed.
    pub trusted: TrustedProxies,
    /// `server.proxy_header`.
    pub proxy_header: Option<HeaderName>,
    /// `server.enable_tls`.
    pub enable_tls: bool,
    /// `server.behind_proxy`.
    pub behind_proxy: bool,
}

impl Network {
    /// Client IP and whether the request is https, for a request from `peer`.
    pub fn resolve(&self, req: &Request, peer: Option<IpAddr>) -> (Option<IpAddr>, bool) {
        let forwarded: Vec<&str> = match &self.proxy_header {
            Some(name) => req
                .headers()
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect(),
            None => Vec::new(),
        };
        let client = self.trusted.resolve(peer, forwarded);
        let peer_trusted = peer.is_some_and(|p| self.trusted.contains(p));
        let proxied_https = self.behind_proxy
            && peer_trusted
            && req
                .headers()
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
        let https = self.enable_tls || proxied_https || req.scheme() == &http::uri::Scheme::HTTPS;
        (client, https)
    }
}

/// Endpoint wrapper that observes every request.
pub struct Observe<E> {
    inner: E,
    network: Arc<Network>,
    routes: Arc<RouteTable>,
    metrics: Option<Arc<Metrics>>,
}

impl<E> Observe<E> {
    /// Wraps `inner`.
    pub fn new(inner: E, network: Arc<Network>, routes: Arc<RouteTable>) -> Self {
        Observe {
            inner,
            network,
            routes,
            metrics: None,
        }
    }

    /// Also counts every request in `metrics` (when given).
    pub fn with_metrics(mut self, metrics: Option<Arc<Metrics>>) -> Self {
        self.metrics = metrics;
        self
    }
}

impl<E: Endpoint> Endpoint for Observe<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let started = Instant::now();
        let request_id = request_id_for(&req);
        let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
        let (client_ip, https) = self.network.resolve(&req, peer);
        let path = req.uri().path().to_owned();
        let route = self.routes.find(&path).map(|e| e.template().clone());
        let ctx = RequestContext::new(request_id.as_str(), client_ip, https, route);
        req.extensions_mut().insert(ctx.clone());
        let method = req.method().clone();

        let span = tracing::info_span!("request", request_id = %request_id);
        let result = self.inner.call(req).instrument(span.clone()).await;
        let mut resp = match result {
            Ok(out) => out.into_response(),
            Err(err) => span.in_scope(|| recover(err, INVALID_REQUEST_BODY)),
        };
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            resp.headers_mut().insert(REQUEST_ID, v);
        }

        let status = resp.status().as_u16();
        let elapsed = started.elapsed();
        if let Some(metrics) = &self.metrics {
            let route = route_label(ctx.route.as_deref(), &path);
            metrics.observe_request(method.as_str(), route, status, elapsed);
        }
        let latency_ms = elapsed.as_secs_f64() * 1000.0;
        let user_id = ctx.user_id().unwrap_or_default();
        tracing::info!(
            target: "bedrud_http::access",
            parent: &span,
            method = %method,
            route = %ctx.route_or(&path),
            status,
            latency_ms = format_args!("{latency_ms:.2}"),
            client_ip = %ctx.client_ip_text(),
            user_id = %user_id,
            "request"
        );
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_id_rules() {
        assert!(valid_request_id("abc-DEF_1.2"));
        assert!(valid_request_id(&"a".repeat(128)));
        assert!(!valid_request_id(&"a".repeat(129)));
        assert!(!valid_request_id(""));
        assert!(!valid_request_id("has space"));
        assert!(!valid_request_id("semi;colon"));
        assert!(!valid_request_id("ünïcode"));
    }

    #[test]
    fn invalid_incoming_id_is_replaced_by_a_uuid() {
        let req = Request::builder().header(REQUEST_ID, "bad id!").finish();
        let id = request_id_for(&req);
        assert!(uuid::Uuid::parse_str(&id).is_ok());
        let req = Request::builder().header(REQUEST_ID, "keep-me.1").finish();
        assert_eq!(request_id_for(&req), "keep-me.1");
    }

    #[test]
    fn hsts_scheme_needs_tls_or_a_trusted_https_proxy() {
        let net = Network {
            trusted: TrustedProxies::parse(&["10.0.0.0/8".to_owned()]).expect("valid"),
            proxy_header: Some(HeaderName::from_static("x-forwarded-for")),
            enable_tls: false,
            behind_proxy: true,
        };
        let req = Request::builder()
            .header("x-forwarded-proto", "https")
            .header("x-forwarded-for", "198.51.100.4")
            .finish();
        let trusted = Some("10.1.2.3".parse().expect("ip"));
        let stranger = Some("203.0.113.1".parse().expect("ip"));
        assert_eq!(
            net.resolve(&req, trusted),
            (Some("198.51.100.4".parse().expect("ip")), true)
        );
        assert_eq!(net.resolve(&req, stranger), (stranger, false));
        let tls = Network {
            enable_tls: true,
            ..net
        };
        assert!(tls.resolve(&Request::default(), stranger).1);
    }
}
