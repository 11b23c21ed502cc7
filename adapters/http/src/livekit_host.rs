//! The `livekitHost` clients connect to (API §3.5, §7 `livekit.host`): the configured
//! host, upgraded `ws://`→`wss://` and `http://`→`https://` when the page or the request
//! is https; with embedded LiveKit and no host, `<request origin>/livekit`.

use poem::Request;
use poem::http::header;

use crate::context::RequestContext;

/// How `livekitHost` is derived for a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LivekitHost {
    host: String,
    embedded: bool,
}

impl LivekitHost {
    /// From `livekit.host` (may be empty) and whether LiveKit runs embedded.
    pub fn new(host: &str, embedded: bool) -> Self {
        LivekitHost {
            host: host.trim().to_owned(),
            embedded,
        }
    }

    /// The `livekitHost` to give the client of `req`; `""` when nothing is configured
    /// and LiveKit is not embedded.
    pub fn for_request(&self, req: &Request) -> String {
        let secure = is_secure(req);
        if !self.host.is_empty() {
            return if secure {
                upgrade(&self.host)
            } else {
                self.host.clone()
            };
        }
        if !self.embedded {
            return String::new();
        }
        let scheme = if secure { "wss" } else { "ws" };
        format!("{scheme}://{}/livekit", request_authority(req))
    }
}

/// The page (`Origin`, else `Referer`) is https, or the request arrived over TLS.
fn is_secure(req: &Request) -> bool {
    let https_header = |name| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| has_scheme(v.trim(), "https://"))
    };
    RequestContext::of(req).https
        || req.uri().scheme_str() == Some("https")
        || https_header(header::ORIGIN)
        || https_header(header::REFERER)
}

fn has_scheme(url: &str, scheme: &str) -> bool {
    url.get(..scheme.len())
        .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
}

/// `ws://`→`wss://`, `http://`→`https://`; anything else unchanged.
fn upgrade(host: &str) -> String {
    for (from, to) in [("ws://", "wss://"), ("http://", "https://")] {
        if has_scheme(host, from) {
            return format!("{to}{}", &host[from.len()..]);
        }
    }
    host.to_owned()
}

/// The host (and port) the request was addressed to: `Host`, else the URI's
/// authority, else `localhost`. Only host-name characters are accepted.
fn request_authority(req: &Request) -> String {
    let plausible = |v: &str| {
        !v.is_empty()
            && v.len() <= 255
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
    };
    req.headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| plausible(v))
        .map(str::to_owned)
        .or_else(|| {
            req.uri()
                .authority()
                .map(|a| a.as_str().to_owned())
                .filter(|v| plausible(v))
        })
        .unwrap_or_else(|| "localhost".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)]) -> Request {
        let mut b = Request::builder();
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.finish()
    }

    #[test]
    fn configured_host_is_upgraded_only_for_https_pages() {
        let lk = LivekitHost::new("ws://meet.example.com:7880", false);
        assert_eq!(lk.for_request(&req(&[])), "ws://meet.example.com:7880");
        assert_eq!(
            lk.for_request(&req(&[("origin", "http://meet.example.com")])),
            "ws://meet.example.com:7880"
        );
        assert_eq!(
            lk.for_request(&req(&[("origin", "https://meet.example.com")])),
            "wss://meet.example.com:7880"
        );
        assert_eq!(
            lk.for_request(&req(&[("referer", "HTTPS://meet.example.com/r/abc")])),
            "wss://meet.example.com:7880"
        );
        let http = LivekitHost::new("http://lk.example.com", false);
        assert_eq!(
            http.for_request(&req(&[("origin", "https://x")])),
            "https://lk.example.com"
        );
        let already = LivekitHost::new("wss://lk.example.com", true);
        assert_eq!(already.for_request(&req(&[])), "wss://lk.example.com");
    }

    #[test]
    fn tls_requests_upgrade_too() {
        let lk = LivekitHost::new("ws://lk.example.com", false);
        let mut r = req(&[]);
        r.extensions_mut()
            .insert(RequestContext::new("id", None, true, None));
        assert_eq!(lk.for_request(&r), "wss://lk.example.com");
    }

    #[test]
    fn embedded_without_host_uses_the_request_origin() {
        let lk = LivekitHost::new("", true);
        assert_eq!(
            lk.for_request(&req(&[("host", "meet.example.com:8090")])),
            "ws://meet.example.com:8090/livekit"
        );
        assert_eq!(
            lk.for_request(&req(&[
                ("host", "meet.example.com"),
                ("origin", "https://meet.example.com")
            ])),
            "wss://meet.example.com/livekit"
        );
        assert_eq!(
            lk.for_request(&req(&[("host", "evil/path")])),
            "ws://localhost/livekit"
        );
        assert_eq!(LivekitHost::new("", false).for_request(&req(&[])), "");
    }
}
