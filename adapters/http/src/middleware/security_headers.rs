//! Security headers on every response (API §1.4): fixed headers, the CSP with the
//! LiveKit origins, Permissions-Policy, and HSTS when the request came over TLS.

use poem::http::HeaderValue;
use poem::{Endpoint, IntoResponse, Request, Response};

use crate::context::RequestContext;
use crate::error::{INVALID_REQUEST_BODY, recover};

const FIXED: [(&str, &str); 12] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("x-xss-protection", "1; mode=block"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    ("cross-origin-opener-policy", "unsafe-none"),
    ("cross-origin-embedder-policy", "unsafe-none"),
    ("cross-origin-resource-policy", "same-origin"),
    ("origin-agent-cluster", "?1"),
    ("x-dns-prefetch-control", "off"),
    ("x-download-options", "noopen"),
    ("x-permitted-cross-domain-policies", "none"),
    (
        "permissions-policy",
        "camera=(self), microphone=(self), display-capture=(self)",
    ),
];

const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Swagger UI ships its script and styles inline; only its page gets this relaxation.
const SWAGGER_PATH: &str = "/api/swagger";

/// The Content-Security-Policy with `connect_extra` appended to `connect-src`.
pub fn content_security_policy(connect_extra: &[String], inline_scripts: bool) -> String {
    let mut connect = String::from("'self'");
    for origin in connect_extra {
        let origin = origin.trim();
        // A CSP source cannot contain separators; skip anything that would break it.
        if !origin.is_empty() && !origin.contains([';', ',', ' ', '\'']) {
            connect.push(' ');
            connect.push_str(origin);
        }
    }
    let script = if inline_scripts {
        "'self' 'unsafe-inline'"
    } else {
        "'self'"
    };
    format!(
        "default-src 'self'; script-src {script}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: https:; media-src 'self' blob:; worker-src 'self' blob:; \
         connect-src {connect}; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
    )
}

/// Endpoint wrapper adding the security headers.
pub struct SecurityHeaders<E> {
    inner: E,
    csp: HeaderValue,
    swagger_csp: HeaderValue,
}

impl<E> SecurityHeaders<E> {
    /// Wraps `inner`; `livekit_origins` extend `connect-src`.
    pub fn new(inner: E, livekit_origins: &[String]) -> Self {
        let value = |inline| {
            HeaderValue::from_str(&content_security_policy(livekit_origins, inline))
                .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"))
        };
        SecurityHeaders {
            inner,
            csp: value(false),
            swagger_csp: value(true),
        }
    }
}

impl<E: Endpoint> Endpoint for SecurityHeaders<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let https = RequestContext::of(&req).https;
        let swagger = req.uri().path() == SWAGGER_PATH;
        let mut resp = match self.inner.call(req).await {
            Ok(out) => out.into_response(),
            Err(err) => recover(err, INVALID_REQUEST_BODY),
        };
        let headers = resp.headers_mut();
        for (name, value) in FIXED {
            headers.insert(name, HeaderValue::from_static(value));
        }
        let csp = if swagger {
            &self.swagger_csp
        } else {
            &self.csp
        };
        headers.insert("content-security-policy", csp.clone());
        if https {
            headers.insert("strict-transport-security", HeaderValue::from_static(HSTS));
        }
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csp_lists_livekit_origins_in_connect_src() {
        let csp = content_security_policy(
            &[
                "wss://lk.example.com".into(),
                "https://lk.example.com".into(),
                "bad; script-src *".into(),
            ],
            false,
        );
        assert_eq!(
            csp,
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data: https:; media-src 'self' blob:; worker-src 'self' blob:; \
             connect-src 'self' wss://lk.example.com https://lk.example.com; object-src 'none'; \
             base-uri 'self'; frame-ancestors 'none'"
        );
    }
}
