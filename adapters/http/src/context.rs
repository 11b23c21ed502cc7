//! Per-request facts resolved once by the outermost middleware and read by guards,
//! limiters and handlers: request id, client IP, scheme, route template, caller.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use bedrud_domain::ClientInfo;
use poem::{FromRequest, Request, RequestBody};

/// What the outermost middleware learned about the request.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// The `X-Request-Id` of this request (reused or generated).
    pub request_id: Arc<str>,
    /// Client IP after trusted-proxy resolution; `None` when the peer is not an IP.
    pub client_ip: Option<IpAddr>,
    /// The request reached us over TLS, directly or through a trusted proxy.
    pub https: bool,
    /// The matched route template (`/api/admin/users/:id`), when the path is an API route.
    pub route: Option<Arc<str>>,
    /// The authenticated user, once a guard has run (for the access log).
    user_id: Arc<Mutex<Option<String>>>,
}

impl RequestContext {
    /// A context for a request with this id.
    pub fn new(
        request_id: impl Into<Arc<str>>,
        client_ip: Option<IpAddr>,
        https: bool,
        route: Option<Arc<str>>,
    ) -> Self {
        RequestContext {
            request_id: request_id.into(),
            client_ip,
            https,
            route,
            user_id: Arc::default(),
        }
    }

    /// The context of `req`, or an empty one outside the middleware stack.
    pub fn of(req: &Request) -> RequestContext {
        req.extensions()
            .get::<RequestContext>()
            .cloned()
            .unwrap_or_default()
    }

    /// Client IP as text (`unknown` when the peer had no IP).
    pub fn client_ip_text(&self) -> String {
        self.client_ip
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "unknown".to_owned())
    }

    /// Records the authenticated caller for the access log.
    pub fn set_user_id(&self, user_id: &str) {
        let mut slot = self.user_id.lock().unwrap_or_else(|e| e.into_inner());
        *slot = Some(user_id.to_owned());
    }

    /// The authenticated caller, if a guard recorded one.
    pub fn user_id(&self) -> Option<String> {
        self.user_id
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The route template if known, else the raw path.
    pub fn route_or<'a>(&'a self, path: &'a str) -> &'a str {
        self.route.as_deref().unwrap_or(path)
    }
}

/// Extractor of the session metadata the domain records: client IP and user agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Client(pub ClientInfo);

impl<'a> FromRequest<'a> for Client {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Client(client_info(req)))
    }
}

/// Client IP and user agent of `req`.
pub fn client_info(req: &Request) -> ClientInfo {
    let user_agent = req
        .headers()
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .chars()
        .take(512)
        .collect();
    ClientInfo {
        ip: RequestContext::of(req).client_ip_text(),
        user_agent,
    }
}
