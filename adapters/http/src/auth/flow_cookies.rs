//! The cookies of the passkey and OAuth flows (API §2.5) — `bedrud_webauthn` carries a
//! passkey ceremony id, `bedrud_oauth` binds an OAuth flow to the browser — and a
//! response wrapper that sets cookies and documents what it sets.

use std::marker::PhantomData;
use std::time::Duration;

use poem::http::{HeaderValue, header};
use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::registry::{MetaHeader, MetaResponses, Registry};
use poem_openapi::types::Type;

use crate::auth::cookies::{CookiePolicy, Cookies};

/// Name of the passkey ceremony cookie.
pub const WEBAUTHN_COOKIE: &str = "bedrud_webauthn";
/// Path of [`WEBAUTHN_COOKIE`].
pub const WEBAUTHN_COOKIE_PATH: &str = "/api/auth/passkey";
/// Lifetime of [`WEBAUTHN_COOKIE`]: the ceremony's.
pub const WEBAUTHN_COOKIE_MAX_AGE: Duration = Duration::from_secs(300);
/// Name of the OAuth flow-binding cookie.
pub const OAUTH_COOKIE: &str = "bedrud_oauth";
/// Path of [`OAUTH_COOKIE`].
pub const OAUTH_COOKIE_PATH: &str = "/api/auth";
/// Lifetime of [`OAUTH_COOKIE`]: the flow's.
pub const OAUTH_COOKIE_MAX_AGE: Duration = Duration::from_secs(600);

impl CookiePolicy {
    /// `bedrud_webauthn` = `ceremony_id`: Max-Age 300, Path `/api/auth/passkey`,
    /// HttpOnly, Secure\*, SameSite as `access_token`, Domain.
    pub fn webauthn(&self, ceremony_id: &str) -> String {
        self.path_cookie(
            WEBAUTHN_COOKIE,
            ceremony_id,
            WEBAUTHN_COOKIE_MAX_AGE,
            WEBAUTHN_COOKIE_PATH,
            false,
        )
    }

    /// `bedrud_webauthn`, expired.
    pub fn clear_webauthn(&self) -> String {
        self.path_cookie(
            WEBAUTHN_COOKIE,
            "",
            Duration::ZERO,
            WEBAUTHN_COOKIE_PATH,
            false,
        )
    }

    /// `bedrud_oauth` = `binding`: Max-Age 600, Path `/api/auth`, HttpOnly, Secure\*,
    /// SameSite Lax (it must come back on the provider's top-level redirect), Domain.
    pub fn oauth(&self, binding: &str) -> String {
        self.path_cookie(
            OAUTH_COOKIE,
            binding,
            OAUTH_COOKIE_MAX_AGE,
            OAUTH_COOKIE_PATH,
            true,
        )
    }

    /// `bedrud_oauth`, expired.
    pub fn clear_oauth(&self) -> String {
        self.path_cookie(OAUTH_COOKIE, "", Duration::ZERO, OAUTH_COOKIE_PATH, true)
    }
}

/// What the `Set-Cookie` headers of a [`SetCookies`] response are, for the document.
pub trait CookieDoc: Send + Sync + 'static {
    /// Description of the `Set-Cookie` header.
    const SET_COOKIE: &'static str;
}

/// A response `T` plus `Set-Cookie` headers; documented like `T`, with a `Set-Cookie`
/// header described by `D` on its 2xx and 3xx responses.
pub struct SetCookies<T, D> {
    inner: T,
    cookies: Cookies,
    doc: PhantomData<fn() -> D>,
}

impl<T, D> SetCookies<T, D> {
    /// `inner` with `cookies`.
    pub fn new(inner: T, cookies: Cookies) -> Self {
        SetCookies {
            inner,
            cookies,
            doc: PhantomData,
        }
    }
}

/// Appends `cookies` as `Set-Cookie` headers.
pub fn append_cookies(resp: &mut Response, cookies: Cookies) {
    for cookie in cookies.0 {
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
}

impl<T: IntoResponse, D> IntoResponse for SetCookies<T, D> {
    fn into_response(self) -> Response {
        let mut resp = self.inner.into_response();
        append_cookies(&mut resp, self.cookies);
        resp
    }
}

/// The `Set-Cookie` header of the document.
pub fn set_cookie_header(description: &str) -> MetaHeader {
    MetaHeader {
        name: "Set-Cookie".to_owned(),
        description: Some(description.to_owned()),
        required: false,
        deprecated: false,
        schema: String::schema_ref(),
    }
}

impl<T: ApiResponse, D: CookieDoc> ApiResponse for SetCookies<T, D> {
    fn meta() -> MetaResponses {
        let mut meta = T::meta();
        for resp in &mut meta.responses {
            if resp.status.is_some_and(|s| (200..400).contains(&s)) {
                resp.headers.push(set_cookie_header(D::SET_COOKIE));
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
    use crate::config::HttpConfig;

    #[test]
    fn flow_cookies_have_their_paths_and_lifetimes() {
        let plain = CookiePolicy::new(&HttpConfig::default());
        assert_eq!(
            plain.webauthn("c1"),
            "bedrud_webauthn=c1; Max-Age=300; Path=/api/auth/passkey; HttpOnly; SameSite=Lax"
        );
        assert_eq!(
            plain.oauth("b1"),
            "bedrud_oauth=b1; Max-Age=600; Path=/api/auth; HttpOnly; SameSite=Lax"
        );
        let secure = CookiePolicy::new(&HttpConfig {
            behind_proxy: true,
            cookie_domain: "meet.example.com".into(),
            ..HttpConfig::default()
        });
        assert_eq!(
            secure.webauthn("c1"),
            "bedrud_webauthn=c1; Max-Age=300; Path=/api/auth/passkey; HttpOnly; Secure; \
             SameSite=None; Domain=meet.example.com"
        );
        assert_eq!(
            secure.oauth("b1"),
            "bedrud_oauth=b1; Max-Age=600; Path=/api/auth; HttpOnly; Secure; SameSite=Lax; \
             Domain=meet.example.com"
        );
        assert!(
            secure
                .clear_oauth()
                .starts_with("bedrud_oauth=; Max-Age=0; Path=/api/auth; HttpOnly; Expires=")
        );
        assert!(secure.clear_webauthn().starts_with(
            "bedrud_webauthn=; Max-Age=0; Path=/api/auth/passkey; HttpOnly; Expires="
        ));
    }
}
