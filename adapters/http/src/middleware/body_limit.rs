//! Request bodies are at most 1 MiB (API §1.3): larger ones get `413`, whether they
//! announce their length or stream it. The body is buffered here (it is small by then).

use poem::http::{StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response};

use crate::error::{BODY_TOO_LARGE, INVALID_REQUEST_BODY, json_error};

/// The largest accepted request body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Endpoint wrapper enforcing the body limit.
pub struct BodyLimit<E> {
    inner: E,
    limit: usize,
}

impl<E> BodyLimit<E> {
    /// Wraps `inner` with a limit of `limit` bytes.
    pub fn new(inner: E, limit: usize) -> Self {
        BodyLimit { inner, limit }
    }
}

impl<E: Endpoint> Endpoint for BodyLimit<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let announced = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if announced.is_some_and(|n| n > self.limit as u64) {
            return Ok(json_error(StatusCode::PAYLOAD_TOO_LARGE, BODY_TOO_LARGE));
        }
        match req.take_body().into_bytes_limit(self.limit).await {
            Ok(bytes) => req.set_body(bytes),
            Err(poem::error::ReadBodyError::PayloadTooLarge) => {
                return Ok(json_error(StatusCode::PAYLOAD_TOO_LARGE, BODY_TOO_LARGE));
            }
            Err(_) => return Ok(json_error(StatusCode::BAD_REQUEST, INVALID_REQUEST_BODY)),
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}
