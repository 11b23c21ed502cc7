//! The auth cookies of API §2.5 and a response wrapper that sets them.

use std::time::Duration;

use bedrud_domain::TokenPair;
use poem::http::{HeaderValue, header};
use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::registry::{MetaHeader, MetaResponses, Registry};
use poem_openapi::types::Type;

use crate::auth::token::{ACCESS_COOKIE, REFRESH_COOKIE};
use crate::config::HttpConfig;

/// How auth cookies are scoped: Secure (and so SameSite=None) and Domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookiePolicy {
    secure: bool,
    domain: Option<String>,
}

impl CookiePolicy {
    /// Secure when `enable_tls` or `behind_proxy`; `Domain` when `cookie_domain` is set.
    pub fn new(config: &HttpConfig) -> Self {
        let domain = config.cookie_domain.trim();
        let valid_domain = !domain.is_empty()
            && domain
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'));
        CookiePolicy {
            secure: config.enable_tls || config.behind_proxy,
            domain: valid_domain.then(|| domain.to_owned()),
        }
    }

    /// One `Set-Cookie` value: `Path=/`, HttpOnly, Secure\*, SameSite (`None` when
    /// Secure, else `Lax`), Domain.
    pub fn cookie(&self, name: &str, value: &str, max_age: Duration) -> String {
        self.build(name, value, max_age, "/", self.secure)
    }

    /// One `Set-Cookie` value that is always `SameSite=Lax` (`bedrud_guest_id`):
    /// `Path=/`, HttpOnly, Secure\*, Domain.
    pub fn lax_cookie(&self, name: &str, value: &str, max_age: Duration) -> String {
        self.build(name, value, max_age, "/", false)
    }

    /// [`CookiePolicy::cookie`] (`lax` false) or [`CookiePolicy::lax_cookie`] (`lax`
    /// true) scoped to `path` (the passkey and OAuth flow cookies).
    pub fn path_cookie(
        &self,
        name: &str,
        value: &str,
        max_age: Duration,
        path: &str,
        lax: bool,
    ) -> String {
        self.build(name, value, max_age, path, self.secure && !lax)
    }

    fn build(
        &self,
        name: &str,
        value: &str,
        max_age: Duration,
        path: &str,
        same_site_none: bool,
    ) -> String {
        let mut c = format!(
            "{name}={value}; Max-Age={}; Path={path}; HttpOnly",
            max_age.as_secs()
        );
        if max_age.is_zero() {
            c.push_str("; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
        }
        if self.secure {
            c.push_str("; Secure");
        }
        if same_site_none {
            c.push_str("; SameSite=None");
        } else {
            c.push_str("; SameSite=Lax");
        }
        if let Some(domain) = &self.domain {
            c.push_str("; Domain=");
            c.push_str(domain);
        }
        c
    }

    /// `access_token` and `refresh_token` for a new pair.
    pub fn sign_in(
        &self,
        pair: &TokenPair,
        access_ttl: Duration,
        refresh_ttl: Duration,
    ) -> Cookies {
        Cookies(vec![
            self.cookie(ACCESS_COOKIE, &pair.access_token, access_ttl),
            self.cookie(REFRESH_COOKIE, &pair.refresh_token, refresh_ttl),
        ])
    }

    /// Both auth cookies, expired.
    pub fn sign_out(&self) -> Cookies {
        Cookies(vec![
            self.cookie(ACCESS_COOKIE, "", Duration::ZERO),
            self.cookie(REFRESH_COOKIE, "", Duration::ZERO),
        ])
    }
}

/// `Set-Cookie` values to add to a response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cookies(pub Vec<String>);

/// A response `T` plus `Set-Cookie` headers; documented like `T`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithCookies<T> {
    /// The response.
    pub inner: T,
    /// The cookies to set.
    pub cookies: Cookies,
}

impl<T> WithCookies<T> {
    /// `inner` with `cookies`.
    pub fn new(inner: T, cookies: Cookies) -> Self {
        WithCookies { inner, cookies }
    }
}

impl<T: IntoResponse> IntoResponse for WithCookies<T> {
    fn into_response(self) -> Response {
        let mut resp = self.inner.into_response();
        for cookie in self.cookies.0 {
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        resp
    }
}

impl<T: ApiResponse> ApiResponse for WithCookies<T> {
    fn meta() -> MetaResponses {
        let mut meta = T::meta();
        for resp in &mut meta.responses {
            if resp.status.is_some_and(|s| (200..300).contains(&s)) {
                resp.headers.push(MetaHeader {
                    name: "Set-Cookie".to_owned(),
                    description: Some(
                        "`access_token` and `refresh_token` (HttpOnly; cleared on logout)"
                            .to_owned(),
                    ),
                    required: false,
                    deprecated: false,
                    schema: String::schema_ref(),
                });
            }
        }
        meta
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_cookies_are_lax_and_host_only() {
        let p = CookiePolicy::new(&HttpConfig::default());
        assert_eq!(
            p.cookie("access_token", "t", Duration::from_secs(900)),
            "access_token=t; Max-Age=900; Path=/; HttpOnly; SameSite=Lax"
        );
    }

    #[test]
    fn tls_or_proxy_cookies_are_secure_none_with_domain() {
        for (tls, proxy) in [(true, false), (false, true)] {
            let p = CookiePolicy::new(&HttpConfig {
                enable_tls: tls,
                behind_proxy: proxy,
                cookie_domain: "meet.example.com".into(),
                ..HttpConfig::default()
            });
            assert_eq!(
                p.cookie("refresh_token", "r", Duration::from_secs(60)),
                "refresh_token=r; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=None; \
                 Domain=meet.example.com"
            );
        }
    }

    #[test]
    fn lax_cookies_stay_lax_when_secure() {
        let p = CookiePolicy::new(&HttpConfig {
            enable_tls: true,
            ..HttpConfig::default()
        });
        assert_eq!(
            p.lax_cookie("bedrud_guest_id", "g", Duration::from_secs(2_592_000)),
            "bedrud_guest_id=g; Max-Age=2592000; Path=/; HttpOnly; Secure; SameSite=Lax"
        );
    }

    #[test]
    fn sign_out_expires_both() {
        let p = CookiePolicy::new(&HttpConfig::default());
        let Cookies(c) = p.sign_out();
        assert_eq!(c.len(), 2);
        assert!(c[0].starts_with("access_token=; Max-Age=0; Path=/; HttpOnly; Expires="));
        assert!(c[1].starts_with("refresh_token=; Max-Age=0;"));
    }
}
