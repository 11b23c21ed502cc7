//! What the passkey and OAuth routes share: errors documented per operation (so the
//! document lists exactly the statuses an operation can answer, with its messages), and
//! a JSON body the handler parses itself (so `Passkeys are disabled` can answer before
//! an unparsable body does).

use std::marker::PhantomData;

use bedrud_domain::DomainError;
use poem::{FromRequest, IntoResponse, Request, RequestBody};
use poem_openapi::payload::{Json, Payload};
use poem_openapi::registry::{MetaMediaType, MetaRequest, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::{ParseFromJSON, Type};
use poem_openapi::{ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions};
use serde::de::DeserializeOwned;

use crate::auth::cookies::Cookies;
use crate::auth::flow_cookies::{append_cookies, set_cookie_header};
use crate::error::{ApiError, ErrorBody, JSON_CONTENT_TYPE};

/// The error statuses of one operation, for the document.
pub trait ErrorDoc: Send + Sync + 'static {
    /// `(status, description)`; every one carries `ErrorBody`.
    const STATUSES: &'static [(u16, &'static str)];
    /// Description of a `Set-Cookie` header every error response but 429 carries, if any.
    const SET_COOKIE: Option<&'static str> = None;
}

/// An [`ApiError`] documented by `D`, optionally with cookies to set (the OAuth callback
/// clears its cookie whatever the outcome).
pub struct FlowError<D> {
    error: ApiError,
    cookies: Cookies,
    doc: PhantomData<fn() -> D>,
}

impl<D> FlowError<D> {
    /// `self`, also setting `cookies`.
    pub fn with_cookies(mut self, cookies: Cookies) -> Self {
        self.cookies = cookies;
        self
    }

    /// The error.
    pub fn error(&self) -> &ApiError {
        &self.error
    }
}

impl<D> std::fmt::Debug for FlowError<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowError")
            .field("error", &self.error)
            .field("cookies", &self.cookies)
            .finish()
    }
}

impl<D> From<ApiError> for FlowError<D> {
    fn from(error: ApiError) -> Self {
        FlowError {
            error,
            cookies: Cookies::default(),
            doc: PhantomData,
        }
    }
}

impl<D> From<DomainError> for FlowError<D> {
    fn from(e: DomainError) -> Self {
        ApiError::from(e).into()
    }
}

impl<D> From<FlowError<D>> for poem::Error {
    fn from(e: FlowError<D>) -> Self {
        if e.cookies.0.is_empty() {
            return e.error.into();
        }
        // A finished response: passed through unchanged by `recover`, cookies included.
        let mut resp = e.error.into_response();
        append_cookies(&mut resp, e.cookies);
        poem::Error::from_response(resp)
    }
}

impl<D: ErrorDoc> ApiResponse for FlowError<D> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: D::STATUSES
                .iter()
                .map(|(status, description)| MetaResponse {
                    description,
                    status: Some(*status),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: JSON_CONTENT_TYPE,
                        schema: ErrorBody::schema_ref(),
                    }],
                    // 429 comes from the limiter, before the handler could set anything.
                    headers: D::SET_COOKIE
                        .filter(|_| *status != 429)
                        .map(set_cookie_header)
                        .into_iter()
                        .collect(),
                })
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        ErrorBody::register(registry);
    }
}

/// A required JSON body, documented with `D`'s schema, that the handler parses itself:
/// nothing is rejected here but a body over the size limit (413).
pub struct JsonBody<D> {
    /// The bytes; `None` when the Content-Type is missing or not JSON.
    bytes: Option<Vec<u8>>,
    doc: PhantomData<fn() -> D>,
}

impl<D> JsonBody<D> {
    /// The body as `T` through serde; `None` when it is missing, not JSON or not a `T`.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_slice(self.bytes.as_deref()?).ok()
    }

    /// The body as `T` through poem-openapi's rules; `None` when it is missing, not JSON
    /// or not a `T`.
    pub fn parse<T: ParseFromJSON>(&self) -> Option<T> {
        let value = serde_json::from_slice(self.bytes.as_deref()?).ok()?;
        T::parse_from_json(Some(value)).ok()
    }
}

impl<'a, D: Type> ApiExtractor<'a> for JsonBody<D> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        D::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: <Json<D> as Payload>::CONTENT_TYPE,
                schema: D::schema_ref(),
            }],
            required: true,
        })
    }

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        _opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let json = req
            .content_type()
            .is_some_and(<Json<D> as Payload>::check_content_type);
        let bytes = if json {
            Some(<Vec<u8> as FromRequest>::from_request(req, body).await?)
        } else {
            None
        };
        Ok(JsonBody {
            bytes,
            doc: PhantomData,
        })
    }
}

/// Declares an [`ErrorDoc`] marker.
macro_rules! error_doc {
    ($(#[$meta:meta])* $name:ident, [$(($status:expr, $description:expr)),* $(,)?] $(, cookie = $cookie:expr)?) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl $crate::routes::flow::ErrorDoc for $name {
            const STATUSES: &'static [(u16, &'static str)] = &[$(($status, $description)),*];
            $(const SET_COOKIE: Option<&'static str> = Some($cookie);)?
        }
    };
}

pub(crate) use error_doc;

/// 401 of the guards (API §2.8).
pub const GUARD_401: &str = "`Missing authorization` · `Invalid token` · `Authorization header \
                             required for state-changing requests` (mutations)";
/// 413 of a body over 1 MiB.
pub const TOO_LARGE_413: &str = "`Request body too large`";
/// 429 of the auth limiter (API §2.9).
pub const AUTH_LIMIT_429: &str =
    "`too many requests, please try again later` (auth limiter; see Retry-After)";
/// 500.
pub const INTERNAL_500: &str = "`Internal server error`";
/// 503.
pub const UNAVAILABLE_503: &str = "`Service unavailable` (database)";
/// 429 of the API limiter (API §2.9).
pub const API_LIMIT_429: &str = "`too many requests` (API limiter; see Retry-After)";
/// 429 of the guest limiter (API §2.9).
pub const GUEST_LIMIT_429: &str = "`too many guest join attempts` (guest limiter; see Retry-After)";
/// 502 of a synchronous LiveKit call.
pub const MEDIA_502: &str = "`Media server unavailable`";
/// 403 of the "user" guard.
pub const DEACTIVATED_403: &str = "`Account is deactivated`";
/// 403 of the "user, no guests" guard.
pub const NO_GUESTS_403: &str = "`Account is deactivated` · `Guests cannot create or manage rooms`";
/// 403 of the superadmin guard.
pub const SUPERADMIN_403: &str = "`Account is deactivated` · `Insufficient access rights`";
