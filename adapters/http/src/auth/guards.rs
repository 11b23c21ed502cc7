//! The guards of API §2.8, in their check order: token present, `Sessions::authenticate`
//! (token, user, deactivation, session), bearer for mutations, then the class check
//! (no guests, superadmin).
//!
//! Use them as handler parameters, listed **before** the body so guard failures win:
//! [`Caller`] (user), [`Member`] (user, no guests), [`Superadmin`], [`MaybeCaller`]
//! (optional). Where something must run between the guard and the handler (a rate
//! limiter, API §2.9), wrap the operation with the [`Authenticate`] middleware in its
//! `transform`; the extractors then reuse its result instead of authenticating again.

use std::sync::Arc;

use bedrud_domain::Principal;
use poem::http::Method;
use poem::{Endpoint, IntoResponse, Request, RequestBody, Response};
use poem_openapi::registry::{MetaSecurityScheme, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};

use crate::Services;
use crate::auth::token::{ACCESS_COOKIE, TokenSource, access_token};
use crate::context::RequestContext;
use crate::error::{ApiError, INTERNAL};

/// No token at all.
pub const MISSING_AUTHORIZATION: &str = "Missing authorization";
/// A mutation authorised only by the cookie (CSRF defence, API §2.6).
pub const HEADER_REQUIRED: &str = "Authorization header required for state-changing requests";
/// A guest on a "no guests" route.
pub const GUESTS_FORBIDDEN: &str = "Guests cannot create or manage rooms";
/// Not a superadmin on `/api/admin/*`.
pub const INSUFFICIENT_ACCESS: &str = "Insufficient access rights";

/// Name of the bearer security scheme in the OpenAPI document.
pub const BEARER_SCHEME: &str = "bearerAuth";
/// Name of the cookie security scheme in the OpenAPI document.
pub const COOKIE_SCHEME: &str = "cookieAuth";

/// Which callers a route admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardClass {
    /// Any signed-in user, guests included.
    User,
    /// Signed-in users who are not guests.
    NoGuests,
    /// Users who currently hold `superadmin`.
    Superadmin,
}

/// A principal that [`Authenticate`] already checked for this request.
#[derive(Debug, Clone)]
struct Authenticated(Principal);

fn is_mutation(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// The session check of a "user" route: token, domain check, bearer for mutations.
async fn authenticate(req: &Request) -> Result<Principal, ApiError> {
    if let Some(Authenticated(principal)) = req.extensions().get::<Authenticated>() {
        return Ok(principal.clone());
    }
    let services = req.data::<Arc<Services>>().ok_or_else(|| {
        tracing::error!("Services missing from the request data");
        ApiError::new(poem::http::StatusCode::INTERNAL_SERVER_ERROR, INTERNAL)
    })?;
    let (token, source) =
        access_token(req).ok_or_else(|| ApiError::unauthorized(MISSING_AUTHORIZATION))?;
    let principal = services.sessions.authenticate(&token).await?;
    RequestContext::of(req).set_user_id(principal.user_id());
    if source == TokenSource::Cookie && is_mutation(req.method()) {
        return Err(ApiError::unauthorized(HEADER_REQUIRED));
    }
    Ok(principal)
}

/// Applies the class check to an authenticated principal.
fn admit(principal: Principal, class: GuardClass) -> Result<Principal, ApiError> {
    match class {
        GuardClass::User => Ok(principal),
        GuardClass::NoGuests if principal.is_guest() => Err(ApiError::forbidden(GUESTS_FORBIDDEN)),
        GuardClass::NoGuests => Ok(principal),
        GuardClass::Superadmin if principal.is_superadmin() => Ok(principal),
        GuardClass::Superadmin => Err(ApiError::forbidden(INSUFFICIENT_ACCESS)),
    }
}

/// Runs every guard of `class` for `req`, in the order of API §2.8.
pub async fn guard(req: &Request, class: GuardClass) -> Result<Principal, ApiError> {
    admit(authenticate(req).await?, class)
}

fn register_schemes(registry: &mut Registry) {
    registry.create_security_scheme(
        BEARER_SCHEME,
        MetaSecurityScheme {
            ty: "http",
            description: Some(
                "Access JWT in `Authorization: Bearer <token>` (the raw token is accepted too). \
                 Required for POST/PUT/PATCH/DELETE.",
            ),
            name: None,
            key_in: None,
            scheme: Some("bearer"),
            bearer_format: Some("JWT"),
            flows: None,
            openid_connect_url: None,
        },
    );
    registry.create_security_scheme(
        COOKIE_SCHEME,
        MetaSecurityScheme {
            ty: "apiKey",
            description: Some("Access JWT in the `access_token` cookie (safe methods only)."),
            name: Some(ACCESS_COOKIE),
            key_in: Some("cookie"),
            scheme: None,
            bearer_format: None,
            flows: None,
            openid_connect_url: None,
        },
    );
}

macro_rules! guard_extractor {
    ($(#[$doc:meta])* $name:ident, $class:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name(pub Principal);

        impl<'a> ApiExtractor<'a> for $name {
            const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
            type ParamType = ();
            type ParamRawType = ();

            fn register(registry: &mut Registry) {
                register_schemes(registry);
            }

            fn security_schemes() -> Vec<&'static str> {
                vec![BEARER_SCHEME, COOKIE_SCHEME]
            }

            async fn from_request(
                req: &'a Request,
                _body: &mut RequestBody,
                _opts: ExtractParamOptions<Self::ParamType>,
            ) -> poem::Result<Self> {
                Ok($name(guard(req, $class).await?))
            }
        }
    };
}

guard_extractor!(
    /// A signed-in caller (auth class **user**; guests allowed).
    Caller,
    GuardClass::User
);
guard_extractor!(
    /// A signed-in caller who is not a guest (auth class **user, no guests**).
    Member,
    GuardClass::NoGuests
);
guard_extractor!(
    /// A caller who currently holds `superadmin` (auth class **superadmin**).
    Superadmin,
    GuardClass::Superadmin
);

/// The caller when a valid token came along; anonymous otherwise, never an error
/// (auth class **optional**).
#[derive(Debug, Clone, PartialEq)]
pub struct MaybeCaller(pub Option<Principal>);

impl<'a> ApiExtractor<'a> for MaybeCaller {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        register_schemes(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        vec![BEARER_SCHEME, COOKIE_SCHEME]
    }

    fn has_security_fallback() -> bool {
        true
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut RequestBody,
        _opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(MaybeCaller(guard(req, GuardClass::User).await.ok()))
    }
}

/// Middleware form of the guards, for operations where something (a rate limiter) must
/// run after them: `transform = "…"` with `ep.with(limiter)` inside `Authenticate`.
#[derive(Debug, Clone, Copy)]
pub struct Authenticate<E> {
    inner: E,
    class: GuardClass,
}

impl<E> Authenticate<E> {
    /// Guards `inner` with `class`.
    pub fn new(inner: E, class: GuardClass) -> Self {
        Authenticate { inner, class }
    }
}

impl<E: Endpoint> Endpoint for Authenticate<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let principal = guard(&req, self.class).await?;
        req.extensions_mut().insert(Authenticated(principal));
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}
