//! OAuth 2.0 / OpenID Connect sign-in (API §3.3).
//!
//! Login answers 307 to the provider and sets `bedrud_oauth` (the flow binding); the
//! callback clears that cookie whatever the outcome and, on success, sets the auth
//! cookies and answers 302 to the web app — tokens never travel in the URL.

use std::sync::Arc;

use bedrud_domain::{OAuthCallback, OAuthFlowError};
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::{ApiResponse, OpenApi};

use crate::auth::cookies::Cookies;
use crate::auth::flow_cookies::{CookieDoc, OAUTH_COOKIE, SetCookies};
use crate::auth::token::cookie;
use crate::context::Client;
use crate::error::ApiError;
use crate::routes::auth::sign_in_cookies;
use crate::routes::flow::{AUTH_LIMIT_429, FlowError, INTERNAL_500, UNAVAILABLE_503, error_doc};
use crate::routes::{Tag, auth_limited};
use crate::{HttpState, Services};

/// `GET /api/auth/:provider/login` success.
#[derive(Debug, ApiResponse)]
pub enum ToProvider {
    /// To the provider's authorisation URL (server-made `state`, PKCE S256, OIDC
    /// `nonce`).
    #[oai(status = 307)]
    Redirect(#[oai(header = "Location")] String),
}

/// `GET /api/auth/:provider/callback` success.
#[derive(Debug, ApiResponse)]
pub enum ToApp {
    /// Signed in: to `auth.frontend_url` + `/auth/callback` (same-origin
    /// `/auth/callback` without one), plus `?redirect=<encoded path>` when login got
    /// one. No tokens in the URL: the app calls `POST /api/auth/refresh` with the cookie.
    #[oai(status = 302)]
    Redirect(#[oai(header = "Location")] String),
}

/// `Set-Cookie` of the login.
pub struct FlowCookie;

impl CookieDoc for FlowCookie {
    const SET_COOKIE: &'static str = "`bedrud_oauth` = the flow binding (Max-Age 600, Path \
                                      `/api/auth`, HttpOnly, Secure when TLS, SameSite=Lax)";
}

/// `Set-Cookie` of a completed callback.
pub struct SignedInFlowCleared;

impl CookieDoc for SignedInFlowCleared {
    const SET_COOKIE: &'static str = "`access_token` and `refresh_token` (HttpOnly) for the new \
                                      session; `bedrud_oauth` expired";
}

const UNSUPPORTED_404: &str = "`Unsupported OAuth provider` (unknown or unconfigured)";

error_doc!(
    /// Errors of `GET /api/auth/:provider/login`.
    LoginErrors,
    [
        (404, UNSUPPORTED_404),
        (429, AUTH_LIMIT_429),
        (500, INTERNAL_500),
        (
            502,
            "`Failed to begin authentication` (OIDC discovery unavailable)"
        ),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `GET /api/auth/:provider/callback`; all but 429 clear `bedrud_oauth`.
    CallbackErrors,
    [
        (
            400,
            "`Failed to complete authentication` (state or binding invalid, provider `error` \
             parameter, no code, ID token invalid)"
        ),
        (
            403,
            "`Account is deactivated` · `Registration is currently disabled`"
        ),
        (404, UNSUPPORTED_404),
        (
            409,
            "`An account with this email already exists via a different sign-in method`"
        ),
        (429, AUTH_LIMIT_429),
        (500, INTERNAL_500),
        (
            502,
            "`Failed to complete authentication` (code exchange or profile fetch failed)"
        ),
        (503, UNAVAILABLE_503),
    ],
    cookie = "`bedrud_oauth` expired (not on 429: the limiter answers first)"
);

/// A failed flow: a provider failure is 502 with its message (cause logged), anything
/// else the usual mapping.
fn flow_error<D>(e: OAuthFlowError) -> FlowError<D> {
    match e {
        OAuthFlowError::Upstream { message, cause } => {
            tracing::error!(status = 502, cause = %format!("{cause:#}"), "OAuth provider failure");
            ApiError::new(StatusCode::BAD_GATEWAY, message).into()
        }
        OAuthFlowError::Domain(e) => e.into(),
    }
}

/// OAuth area.
pub struct OAuthApi;

#[OpenApi(prefix_path = "/api/auth", tag = "Tag::Auth")]
impl OAuthApi {
    /// Starts a sign-in with `provider`: 307 to its authorisation URL and the
    /// `bedrud_oauth` cookie. `redirect` is kept when it is a same-origin path (starts
    /// with `/`, not `//`, no `\`); a caller's `state` is ignored.
    #[oai(
        path = "/:provider/login",
        method = "get",
        operation_id = "oauthLogin",
        transform = "auth_limited"
    )]
    async fn login(
        &self,
        services: Data<&Arc<Services>>,
        state: Data<&Arc<HttpState>>,
        provider: Path<String>,
        redirect: Query<Option<String>>,
    ) -> Result<SetCookies<ToProvider, FlowCookie>, FlowError<LoginErrors>> {
        let start = services
            .oauth
            .begin(&provider.0, redirect.0.as_deref())
            .await
            .map_err(flow_error)?;
        Ok(SetCookies::new(
            ToProvider::Redirect(start.authorization_url),
            Cookies(vec![state.cookies.oauth(&start.binding)]),
        ))
    }

    /// Completes a sign-in: checks `state` against the stored flow and the
    /// `bedrud_oauth` binding (both consumed, the cookie cleared whatever the outcome),
    /// exchanges `code`, resolves the account and answers 302 to the app with the auth
    /// cookies.
    #[oai(
        path = "/:provider/callback",
        method = "get",
        operation_id = "oauthCallback",
        transform = "auth_limited"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn callback(
        &self,
        services: Data<&Arc<Services>>,
        state: Data<&Arc<HttpState>>,
        req: &poem::Request,
        client: Client,
        provider: Path<String>,
        #[oai(name = "state")] flow_state: Query<Option<String>>,
        code: Query<Option<String>>,
        error: Query<Option<String>>,
    ) -> Result<SetCookies<ToApp, SignedInFlowCleared>, FlowError<CallbackErrors>> {
        let clear = state.cookies.clear_oauth();
        let input = OAuthCallback {
            state: flow_state.0,
            code: code.0,
            error: error.0,
            binding: cookie(req, OAUTH_COOKIE),
        };
        match services.oauth.callback(&provider.0, input, &client.0).await {
            Ok(done) => {
                let mut cookies = sign_in_cookies(&services, &state, &done.tokens);
                cookies.0.push(clear);
                Ok(SetCookies::new(ToApp::Redirect(done.redirect_url), cookies))
            }
            Err(e) => Err(flow_error(e).with_cookies(Cookies(vec![clear]))),
        }
    }
}
