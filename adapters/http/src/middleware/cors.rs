//! CORS (API §1.4): 204 preflights, allowed origins, credentials, exposed headers.

use poem::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response};

use crate::error::{INVALID_REQUEST_BODY, recover};

const ALLOW_METHODS: &str = "GET, POST, PUT, DELETE, OPTIONS";
const EXPOSE_HEADERS: &str =
    "X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After";
const MAX_AGE: &str = "600";

/// Which cross-origin requests are allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsPolicy {
    any_origin: bool,
    origins: Vec<String>,
    allowed_headers: Option<String>,
    credentials: bool,
}

fn normalise_origin(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

impl CorsPolicy {
    /// From `cors.allowed_origins`, `cors.allowed_headers` and `cors.allow_credentials`.
    /// With credentials, only listed origins are allowed (never `*`).
    pub fn new(origins: &[String], headers: &[String], credentials: bool) -> Self {
        let listed: Vec<String> = origins
            .iter()
            .map(|o| normalise_origin(o))
            .filter(|o| !o.is_empty())
            .collect();
        let wildcard = listed.is_empty() || listed.iter().any(|o| o == "*");
        let headers: Vec<&str> = headers
            .iter()
            .map(|h| h.trim())
            .filter(|h| !h.is_empty())
            .collect();
        CorsPolicy {
            any_origin: wildcard && !credentials,
            origins: listed.into_iter().filter(|o| o != "*").collect(),
            allowed_headers: (!headers.is_empty()).then(|| headers.join(", ")),
            credentials,
        }
    }

    /// The `Access-Control-Allow-Origin` value for `origin`, or `None` when refused.
    fn allow_origin(&self, origin: &str) -> Option<HeaderValue> {
        if self.any_origin {
            return Some(HeaderValue::from_static("*"));
        }
        let wanted = normalise_origin(origin);
        self.origins
            .contains(&wanted)
            .then(|| HeaderValue::from_str(origin).ok())
            .flatten()
    }

    fn add_common(&self, headers: &mut HeaderMap, allow: HeaderValue) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow);
        if self.credentials {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        if !self.any_origin {
            headers.append(header::VARY, HeaderValue::from_static("Origin"));
        }
    }

    fn preflight(&self, req: &Request, origin: &str) -> Response {
        let mut resp = Response::builder().status(StatusCode::NO_CONTENT).finish();
        let Some(allow) = self.allow_origin(origin) else {
            return resp;
        };
        let headers = resp.headers_mut();
        self.add_common(headers, allow);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOW_METHODS),
        );
        let allowed_headers = match &self.allowed_headers {
            Some(list) => HeaderValue::from_str(list).ok(),
            None => {
                headers.append(
                    header::VARY,
                    HeaderValue::from_static("Access-Control-Request-Headers"),
                );
                req.headers()
                    .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
                    .cloned()
            }
        };
        if let Some(v) = allowed_headers {
            headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v);
        }
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(MAX_AGE),
        );
        resp
    }
}

/// Endpoint wrapper applying a [`CorsPolicy`].
pub struct Cors<E> {
    inner: E,
    policy: CorsPolicy,
}

impl<E> Cors<E> {
    /// Wraps `inner`.
    pub fn new(inner: E, policy: CorsPolicy) -> Self {
        Cors { inner, policy }
    }
}

impl<E: Endpoint> Endpoint for Cors<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let origin = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let Some(origin) = origin else {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        };
        if req.method() == Method::OPTIONS
            && req
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
        {
            return Ok(self.policy.preflight(&req, &origin));
        }
        let mut resp = match self.inner.call(req).await {
            Ok(out) => out.into_response(),
            Err(err) => recover(err, INVALID_REQUEST_BODY),
        };
        if let Some(allow) = self.policy.allow_origin(&origin) {
            let headers = resp.headers_mut();
            self.policy.add_common(headers, allow);
            headers.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSE_HEADERS),
            );
        }
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_allow_any_origin() {
        let p = CorsPolicy::new(&["*".into()], &[], true);
        assert!(p.allow_origin("https://evil.example").is_none());
        let p = CorsPolicy::new(&[], &[], false);
        assert_eq!(
            p.allow_origin("https://any.example"),
            Some(HeaderValue::from_static("*"))
        );
        let p = CorsPolicy::new(&["https://App.example.com/".into()], &[], true);
        assert_eq!(
            p.allow_origin("https://app.example.com"),
            Some(HeaderValue::from_static("https://app.example.com"))
        );
        assert!(p.allow_origin("https://other.example.com").is_none());
    }
}
