//! The one place where failures become HTTP: `DomainError` → status + `{"error":"…"}`,
//! and poem / poem-openapi errors (routing, body parsing, size) → the same JSON shape.
//! Causes of 500/502/503 are logged (inside the request span, so with the request id);
//! their text never reaches the client.

use std::borrow::Cow;
use std::fmt;

use bedrud_domain::DomainError;
use poem::error::{MethodNotAllowedError, NotFoundError, ReadBodyError, ResponseError};
use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::Object;

/// `Content-Type` of every JSON body we send.
pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";
/// Message of an unparsable body on most endpoints.
pub const INVALID_REQUEST_BODY: &str = "Invalid request body";
/// Message of an unparsable body on join, guest-join, refresh-token and room settings.
pub const INVALID_BODY: &str = "Invalid body";
/// Message of an unparsable body on the account endpoints.
pub const INVALID_INPUT: &str = "Invalid input";
/// Unknown path under `/api`.
pub const NOT_FOUND: &str = "Not found";
/// Known path, unsupported method.
pub const METHOD_NOT_ALLOWED: &str = "Method not allowed";
/// Body over the 1 MiB limit.
pub const BODY_TOO_LARGE: &str = "Request body too large";
/// Any unexpected failure.
pub const INTERNAL: &str = "Internal server error";
/// LiveKit failed in a synchronous call.
pub const MEDIA_UNAVAILABLE: &str = "Media server unavailable";
/// The database is unreachable or the pool exhausted.
pub const UNAVAILABLE: &str = "Service unavailable";

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct ErrorBody {
    /// A fixed, client-facing message.
    pub error: String,
}

/// A JSON error response: `status` with `{"error": message}`.
pub fn json_error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "error": message }).to_string();
    Response::builder()
        .status(status)
        .content_type(JSON_CONTENT_TYPE)
        .body(body)
}

/// An error a handler, guard or limiter answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    message: Cow<'static, str>,
}

impl ApiError {
    /// An error with this status and client-facing message.
    pub fn new(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    /// 400 with `message`.
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 401 with `message`.
    pub fn unauthorized(message: impl Into<Cow<'static, str>>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, message)
    }

    /// 403 with `message`.
    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, message)
    }

    /// 404 with `message`.
    pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The client-facing message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

impl std::error::Error for ApiError {}

impl ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        self.status
    }

    fn as_response(&self) -> Response {
        json_error(self.status, &self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_error(self.status, &self.message)
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid(m) => ApiError::new(StatusCode::BAD_REQUEST, m),
            DomainError::Unauthorized(m) => ApiError::new(StatusCode::UNAUTHORIZED, m),
            DomainError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, m),
            DomainError::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, m),
            DomainError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, m),
            DomainError::Gone(m) => ApiError::new(StatusCode::GONE, m),
            DomainError::TooMany => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too many requests")
            }
            DomainError::MediaUnavailable(cause) => {
                tracing::error!(status = 502, cause = %format!("{cause:#}"), "media server call failed");
                ApiError::new(StatusCode::BAD_GATEWAY, MEDIA_UNAVAILABLE)
            }
            DomainError::Unavailable(cause) => {
                tracing::error!(status = 503, cause = %format!("{cause:#}"), "database unavailable");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE)
            }
            DomainError::Internal(cause) => {
                tracing::error!(status = 500, cause = %format!("{cause:#}"), "internal error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL)
            }
        }
    }
}

/// Whether `err` is a failure to read the request: bad JSON, wrong types, missing
/// fields, wrong or missing content type, unparsable parameters.
fn is_invalid_body(err: &poem::Error) -> bool {
    use poem_openapi::error::{
        ContentTypeError, ParseMultipartError, ParseParamError, ParseRequestPayloadError,
    };
    err.is::<ParseRequestPayloadError>()
        || err.is::<ContentTypeError>()
        || err.is::<ParseParamError>()
        || err.is::<ParseMultipartError>()
        || err.is::<poem::error::ParseJsonError>()
        || err.is::<poem::error::ParseQueryError>()
        || matches!(
            err.downcast_ref::<ReadBodyError>(),
            Some(ReadBodyError::Utf8(_) | ReadBodyError::Io(_))
        )
}

/// Turns any error into its JSON response; unparsable bodies get `invalid_body`.
pub fn recover(err: poem::Error, invalid_body: &str) -> Response {
    if err.is::<ApiError>() {
        return err.into_response();
    }
    if is_invalid_body(&err) {
        return json_error(StatusCode::BAD_REQUEST, invalid_body);
    }
    if matches!(
        err.downcast_ref::<ReadBodyError>(),
        Some(ReadBodyError::PayloadTooLarge)
    ) {
        return json_error(StatusCode::PAYLOAD_TOO_LARGE, BODY_TOO_LARGE);
    }
    if err.is::<NotFoundError>()
        || err.is::<poem::error::ParsePathError>()
        || err.is::<poem_openapi::error::ParsePathError>()
    {
        return json_error(StatusCode::NOT_FOUND, NOT_FOUND);
    }
    if err.is::<MethodNotAllowedError>() {
        return json_error(StatusCode::METHOD_NOT_ALLOWED, METHOD_NOT_ALLOWED);
    }
    // A response made by a library (e.g. a redirect) passes through unchanged.
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    match status {
        StatusCode::BAD_REQUEST | StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            json_error(StatusCode::BAD_REQUEST, invalid_body)
        }
        StatusCode::NOT_FOUND => json_error(status, NOT_FOUND),
        StatusCode::METHOD_NOT_ALLOWED => json_error(status, METHOD_NOT_ALLOWED),
        StatusCode::PAYLOAD_TOO_LARGE => json_error(status, BODY_TOO_LARGE),
        s if s.is_client_error() => json_error(s, s.canonical_reason().unwrap_or("Bad request")),
        StatusCode::BAD_GATEWAY => {
            tracing::error!(status = 502, cause = %err, "upstream failure");
            json_error(status, MEDIA_UNAVAILABLE)
        }
        StatusCode::SERVICE_UNAVAILABLE => {
            tracing::error!(status = 503, cause = %err, "service unavailable");
            json_error(status, UNAVAILABLE)
        }
        _ => {
            tracing::error!(status = status.as_u16(), cause = %err, "unhandled error");
            json_error(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL)
        }
    }
}

/// Endpoint wrapper giving an operation its own invalid-body message; every error of
/// the operation leaves it as a JSON response.
pub struct BodyMessage<E> {
    inner: E,
    message: &'static str,
}

impl<E> BodyMessage<E> {
    /// Wraps `inner`; unparsable bodies answer 400 `message`.
    pub fn new(inner: E, message: &'static str) -> Self {
        BodyMessage { inner, message }
    }
}

impl<E: poem::Endpoint> poem::Endpoint for BodyMessage<E> {
    type Output = Response;

    async fn call(&self, req: poem::Request) -> poem::Result<Response> {
        Ok(match self.inner.call(req).await {
            Ok(out) => out.into_response(),
            Err(err) => recover(err, self.message),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(resp: Response) -> (StatusCode, String, String) {
        let status = resp.status();
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = resp.into_body().into_string().await.expect("body");
        (status, ct, body)
    }

    #[tokio::test]
    async fn domain_errors_map_to_status_and_message() {
        let cases: Vec<(DomainError, u16, &str)> = vec![
            (DomainError::invalid("bad"), 400, "bad"),
            (DomainError::unauthorized("who"), 401, "who"),
            (DomainError::forbidden("no"), 403, "no"),
            (DomainError::not_found("gone?"), 404, "gone?"),
            (DomainError::conflict("clash"), 409, "clash"),
            (DomainError::gone("old"), 410, "old"),
            (DomainError::TooMany, 429, "too many requests"),
            (
                DomainError::MediaUnavailable(anyhow::anyhow!("dial tcp: refused")),
                502,
                "Media server unavailable",
            ),
            (
                DomainError::Unavailable(anyhow::anyhow!("pool timed out")),
                503,
                "Service unavailable",
            ),
            (
                DomainError::Internal(anyhow::anyhow!("syntax error at or near SELECT")),
                500,
                "Internal server error",
            ),
        ];
        for (err, status, message) in cases {
            let (s, ct, body) = body_of(ApiError::from(err).into_response()).await;
            assert_eq!(s.as_u16(), status);
            assert_eq!(ct, JSON_CONTENT_TYPE);
            let json: serde_json::Value = serde_json::from_str(&body).expect("json");
            assert_eq!(json, serde_json::json!({ "error": message }));
        }
    }

    #[tokio::test]
    async fn library_text_never_reaches_the_client() {
        let err = DomainError::Internal(anyhow::anyhow!("relation \"users\" does not exist"));
        let (_, _, body) = body_of(ApiError::from(err).into_response()).await;
        assert!(!body.contains("relation"));
        let raw = poem::Error::from_string("secret db text", StatusCode::INTERNAL_SERVER_ERROR);
        let (s, _, body) = body_of(recover(raw, INVALID_REQUEST_BODY)).await;
        assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body, r#"{"error":"Internal server error"}"#);
    }

    #[tokio::test]
    async fn parse_errors_become_the_invalid_body_message() {
        let payload: poem::Error = poem_openapi::error::ParseRequestPayloadError {
            reason: "expected value at line 1".into(),
        }
        .into();
        let (s, _, body) = body_of(recover(payload, INVALID_INPUT)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_eq!(body, r#"{"error":"Invalid input"}"#);
        let ct: poem::Error = poem_openapi::error::ContentTypeError::ExpectContentType.into();
        let (s, _, body) = body_of(recover(ct, INVALID_REQUEST_BODY)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "415 is never sent");
        assert_eq!(body, r#"{"error":"Invalid request body"}"#);
        let big: poem::Error = ReadBodyError::PayloadTooLarge.into();
        let (s, _, body) = body_of(recover(big, INVALID_INPUT)).await;
        assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(body, r#"{"error":"Request body too large"}"#);
        let (s, _, body) = body_of(recover(NotFoundError.into(), INVALID_INPUT)).await;
        assert_eq!(
            (s.as_u16(), body.as_str()),
            (404, r#"{"error":"Not found"}"#)
        );
    }
}
