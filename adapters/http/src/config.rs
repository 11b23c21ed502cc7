//! HTTP configuration handed over by bootstrap (API §7 keys that concern the HTTP layer).

use std::fmt;

use crate::middleware::client_ip::TrustedProxies;

/// One fixed-window limiter: at most `max_requests` per `window_secs` per client IP and
/// route. A `max_requests` of 0 disables the limiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window; 0 disables the limiter.
    pub max_requests: u32,
    /// Window length in seconds.
    pub window_secs: u64,
}

impl RateLimit {
    /// A limiter of `max_requests` per `window_secs`.
    pub const fn new(max_requests: u32, window_secs: u64) -> Self {
        RateLimit {
            max_requests,
            window_secs,
        }
    }

    /// Whether the limiter is on.
    pub fn enabled(&self) -> bool {
        self.max_requests > 0 && self.window_secs > 0
    }
}

/// Everything the HTTP adapter needs from configuration.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// `cors.allowed_origins`; empty or `*` = any origin (credentials off only).
    pub cors_allowed_origins: Vec<String>,
    /// `cors.allowed_headers`; empty = reflect the preflight's requested headers.
    pub cors_allowed_headers: Vec<String>,
    /// `cors.allow_credentials`.
    pub cors_allow_credentials: bool,
    /// `server.enable_tls`: cookies Secure, HSTS.
    pub enable_tls: bool,
    /// `server.behind_proxy`: cookies Secure; HSTS when a trusted proxy says https.
    pub behind_proxy: bool,
    /// `server.trusted_proxies`: IPs or CIDRs whose forwarding headers are believed.
    pub trusted_proxies: Vec<String>,
    /// `server.proxy_header`: the client-IP header set by trusted proxies.
    pub proxy_header: String,
    /// `server.domain`: cookie `Domain`; empty = host-only cookies.
    pub cookie_domain: String,
    /// Limiter of the sign-in routes.
    pub auth_limit: RateLimit,
    /// Limiter of guest join and room check.
    pub guest_limit: RateLimit,
    /// Limiter of room create, refresh-token and presence.
    pub api_limit: RateLimit,
    /// Extra CSP `connect-src` entries (ws(s):// and http(s):// forms of `livekit.host`).
    pub livekit_origins: Vec<String>,
    /// `livekit.host` as configured (may be empty): the clients' `livekitHost`.
    pub livekit_host: String,
    /// `livekit.mode` resolved to `embedded`: an empty host means `<request origin>/livekit`.
    pub livekit_embedded: bool,
    /// `auth.session_secret`: the HMAC-SHA256 key of the `bedrud_guest_id` cookie.
    pub session_secret: Vec<u8>,
}

impl fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpConfig")
            .field("cors_allowed_origins", &self.cors_allowed_origins)
            .field("cors_allowed_headers", &self.cors_allowed_headers)
            .field("cors_allow_credentials", &self.cors_allow_credentials)
            .field("enable_tls", &self.enable_tls)
            .field("behind_proxy", &self.behind_proxy)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("proxy_header", &self.proxy_header)
            .field("cookie_domain", &self.cookie_domain)
            .field("auth_limit", &self.auth_limit)
            .field("guest_limit", &self.guest_limit)
            .field("api_limit", &self.api_limit)
            .field("livekit_origins", &self.livekit_origins)
            .field("livekit_host", &self.livekit_host)
            .field("livekit_embedded", &self.livekit_embedded)
            .field("session_secret", &"<redacted>")
            .finish()
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            cors_allowed_origins: Vec::new(),
            cors_allowed_headers: Vec::new(),
            cors_allow_credentials: false,
            enable_tls: false,
            behind_proxy: false,
            trusted_proxies: Vec::new(),
            proxy_header: "X-Forwarded-For".to_owned(),
            cookie_domain: String::new(),
            auth_limit: RateLimit::new(10, 60),
            guest_limit: RateLimit::new(5, 60),
            api_limit: RateLimit::new(30, 60),
            livekit_origins: Vec::new(),
            livekit_host: String::new(),
            livekit_embedded: false,
            session_secret: Vec::new(),
        }
    }
}

impl HttpConfig {
    /// Start-up checks bootstrap should run: credentials need an explicit origin list,
    /// every trusted proxy must parse, `behind_proxy` needs trusted proxies, and the proxy
    /// header must be a valid header name. Returns the first problem found.
    pub fn validate(&self) -> Result<(), String> {
        if self.cors_allow_credentials
            && (self.cors_allowed_origins.is_empty()
                || self.cors_allowed_origins.iter().any(|o| o.trim() == "*"))
        {
            return Err(
                "cors.allow_credentials = true needs an explicit cors.allowed_origins list"
                    .to_owned(),
            );
        }
        TrustedProxies::parse(&self.trusted_proxies)?;
        if self.behind_proxy && self.trusted_proxies.is_empty() {
            return Err("server.behind_proxy = true needs server.trusted_proxies".to_owned());
        }
        if http::HeaderName::from_bytes(self.proxy_header.as_bytes()).is_err() {
            return Err(format!(
                "server.proxy_header {:?} is not a header name",
                self.proxy_header
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_contract() {
        let c = HttpConfig::default();
        assert_eq!(c.proxy_header, "X-Forwarded-For");
        assert_eq!(c.auth_limit, RateLimit::new(10, 60));
        assert_eq!(c.guest_limit, RateLimit::new(5, 60));
        assert_eq!(c.api_limit, RateLimit::new(30, 60));
        assert!(!c.cors_allow_credentials && !c.enable_tls && !c.behind_proxy);
        assert!(c.validate().is_ok());
        assert!(c.livekit_host.is_empty() && !c.livekit_embedded);
    }

    #[test]
    fn debug_hides_the_session_secret() {
        let c = HttpConfig {
            session_secret: b"very-secret-key".to_vec(),
            ..HttpConfig::default()
        };
        let text = format!("{c:?}");
        assert!(
            !text.contains("very-secret") && !text.contains("118, 101"),
            "{text}"
        );
        assert!(text.contains("<redacted>"));
    }

    #[test]
    fn validation_rejects_unsafe_combinations() {
        let creds_any = HttpConfig {
            cors_allow_credentials: true,
            cors_allowed_origins: vec!["*".into()],
            ..HttpConfig::default()
        };
        assert!(creds_any.validate().is_err());
        let creds_empty = HttpConfig {
            cors_allow_credentials: true,
            ..HttpConfig::default()
        };
        assert!(creds_empty.validate().is_err());
        let bad_proxy = HttpConfig {
            trusted_proxies: vec!["10.0.0.0/33".into()],
            ..HttpConfig::default()
        };
        assert!(bad_proxy.validate().is_err());
        let proxy_without_trust = HttpConfig {
            behind_proxy: true,
            ..HttpConfig::default()
        };
        assert!(proxy_without_trust.validate().is_err());
        assert!(!RateLimit::new(0, 60).enabled());
    }
}
