//! Bedrud's HTTP adapter: poem + poem-openapi routes, guards, errors, CORS, security
//! headers, rate limits and the embedded web app. It translates HTTP to the use cases of
//! `bedrud-domain` and their results back to HTTP, nothing more.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod auth;
pub mod config;
pub mod context;
pub mod dto;
pub mod error;
pub mod ids;
pub mod livekit_host;
pub mod media_log;
pub mod metrics;
pub mod middleware;
pub mod proxy;
pub mod rate_limit;
pub mod router;
pub mod routes;
pub mod site;
pub mod spa;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use bedrud_domain::{
    Accounts, Admin, AdminRooms, LivekitEvents, Moderation, OAuth, Passkeys, Rooms, Sessions,
};
use bedrud_ports::{DatabaseHealth, WebhookVerifier};
use poem::endpoint::BoxEndpoint;
use poem::http::HeaderName;
use poem::{EndpointExt, IntoEndpoint};

pub use config::{HttpConfig, RateLimit};
pub use metrics::{CensusSource, Metrics, MetricsSources, PoolGauges};

use auth::cookies::CookiePolicy;
use auth::guest_id::GuestIds;
use livekit_host::LivekitHost;
use middleware::body_limit::{BodyLimit, MAX_BODY_BYTES};
use middleware::client_ip::TrustedProxies;
use middleware::compression::CompressJson;
use middleware::cors::{Cors, CorsPolicy};
use middleware::observe::{Network, Observe};
use middleware::security_headers::SecurityHeaders;
use rate_limit::Limiters;

/// The use cases and probes the HTTP layer calls.
pub struct Services {
    /// Accounts, profile, password, public settings.
    pub accounts: Arc<Accounts>,
    /// Sessions: per-request check, refresh, logout.
    pub sessions: Arc<Sessions>,
    /// User administration.
    pub admin: Arc<Admin>,
    /// Rooms: create, join, guest-join, check, refresh-token, list, delete, settings, presence.
    pub rooms: Arc<Rooms>,
    /// Moderation of room participants.
    pub moderation: Arc<Moderation>,
    /// Verified LiveKit webhook events.
    pub livekit_events: Arc<LivekitEvents>,
    /// Room administration (superadmin).
    pub admin_rooms: Arc<AdminRooms>,
    /// Signature check and parsing of LiveKit webhook deliveries.
    pub webhooks: Arc<dyn WebhookVerifier>,
    /// Database ping for `/api/ready`.
    pub db: Arc<dyn DatabaseHealth>,
    /// LiveKit state for /api/ready: "starting"|"running"|"restarting"|"external"|"unavailable"|"disabled"
    pub livekit_state: Arc<dyn Fn() -> String + Send + Sync>,
    /// Passkey ceremonies and the caller's passkeys.
    pub passkeys: Arc<Passkeys>,
    /// OAuth/OIDC sign-in.
    pub oauth: Arc<OAuth>,
}

/// Per-instance HTTP state derived from [`HttpConfig`], reachable as request data.
#[derive(Debug)]
pub struct HttpState {
    /// How auth cookies are scoped.
    pub cookies: CookiePolicy,
    /// The rate limiters.
    pub limiters: Limiters,
    /// How `livekitHost` is derived per request.
    pub livekit: LivekitHost,
    /// Signer of the `bedrud_guest_id` cookie.
    pub guest_ids: GuestIds,
}

/// Optional parts of the application endpoint.
#[derive(Default)]
pub struct Extras {
    /// The embedded-LiveKit reverse proxy for `/livekit` (API §6.4).
    pub livekit_proxy: Option<BoxEndpoint<'static>>,
    /// Request metrics; also served at `/metrics` unless `metrics_elsewhere`.
    pub metrics: Option<Arc<Metrics>>,
    /// `/metrics` has a listener of its own (`metrics.bind`, see [`metrics::endpoint`]),
    /// so this endpoint answers 404 there but still counts requests.
    pub metrics_elsewhere: bool,
}

/// The whole application endpoint: /api/*, /health and /ready redirects, SPA for everything else.
pub fn app(services: Arc<Services>, config: HttpConfig) -> BoxEndpoint<'static> {
    build(services, config, Extras::default())
}

/// [`app`] with the optional parts: LiveKit proxy, metrics.
pub fn app_with(
    services: Arc<Services>,
    config: HttpConfig,
    extras: Extras,
) -> BoxEndpoint<'static> {
    build(services, config, extras)
}

/// [`app`] with the embedded-LiveKit reverse proxy mounted at `/livekit` (API §6.4): it
/// gets request ids and the access log, but no CORS, security headers or limits.
pub fn app_with_livekit_proxy(
    services: Arc<Services>,
    config: HttpConfig,
    proxy: BoxEndpoint<'static>,
) -> BoxEndpoint<'static> {
    let extras = Extras {
        livekit_proxy: Some(proxy),
        ..Extras::default()
    };
    build(services, config, extras)
}

fn build(services: Arc<Services>, config: HttpConfig, extras: Extras) -> BoxEndpoint<'static> {
    let trusted = TrustedProxies::parse(&config.trusted_proxies).unwrap_or_else(|e| {
        tracing::error!(error = %e, "ignoring server.trusted_proxies");
        TrustedProxies::default()
    });
    let network = Arc::new(Network {
        trusted,
        proxy_header: HeaderName::from_bytes(config.proxy_header.trim().as_bytes()).ok(),
        enable_tls: config.enable_tls,
        behind_proxy: config.behind_proxy,
    });
    let state = Arc::new(HttpState {
        cookies: CookiePolicy::new(&config),
        limiters: Limiters::new(config.auth_limit, config.guest_limit, config.api_limit),
        livekit: LivekitHost::new(&config.livekit_host, config.livekit_embedded),
        guest_ids: GuestIds::new(&config.session_secret),
    });
    let routes = Arc::new(api::route_table());

    let api = BodyLimit::new(
        CompressJson::new(api::ApiEndpoint::new(routes.clone())),
        MAX_BODY_BYTES,
    );
    let served_here = extras.metrics.clone().filter(|_| !extras.metrics_elsewhere);
    let site = site::Site::new(api, spa::Spa).with_metrics(served_here);
    let cors = CorsPolicy::new(
        &config.cors_allowed_origins,
        &config.cors_allowed_headers,
        config.cors_allow_credentials,
    );
    let guarded = SecurityHeaders::new(Cors::new(site, cors), &config.livekit_origins);
    let split = site::LivekitSplit::new(extras.livekit_proxy, guarded);
    Observe::new(split, network, routes)
        .with_metrics(extras.metrics)
        .into_endpoint()
        .data(services)
        .data(state)
        .boxed()
}

/// The path LiveKit delivers webhooks to.
pub const WEBHOOK_PATH: &str = "/api/livekit/webhook";

/// The endpoint of the plain-HTTP loopback listener that takes embedded LiveKit's webhooks
/// when the main listener serves TLS (API §6.3): [`WEBHOOK_PATH`] and nothing else, which
/// answers 404.
pub fn webhook_only(services: Arc<Services>, config: HttpConfig) -> BoxEndpoint<'static> {
    WebhookOnly(build(services, config, Extras::default())).boxed()
}

struct WebhookOnly(BoxEndpoint<'static>);

impl poem::Endpoint for WebhookOnly {
    type Output = poem::Response;

    async fn call(&self, req: poem::Request) -> poem::Result<poem::Response> {
        if req.uri().path() == WEBHOOK_PATH {
            self.0.call(req).await
        } else {
            Ok(error::json_error(
                poem::http::StatusCode::NOT_FOUND,
                error::NOT_FOUND,
            ))
        }
    }
}

/// The OpenAPI 3 document as JSON (no services needed; used by `bedrud openapi` and tests).
pub fn openapi_json() -> String {
    routes::service().spec()
}

/// Every path template the server mounts under /api (for the test that checks they are all in the spec).
pub fn mounted_api_paths() -> Vec<String> {
    api::route_table().templates().map(str::to_owned).collect()
}
