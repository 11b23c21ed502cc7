//! `POST /api/livekit/webhook` (API §3.7): LiveKit's signed event deliveries. No app
//! auth and no limiter; the signature is checked by the `WebhookVerifier` port.

use std::sync::Arc;

use bedrud_domain::EventOutcome;
use bedrud_ports::WebhookError;
use poem::http::{StatusCode, header};
use poem::web::Data;
use poem::{FromRequest, Request, RequestBody};
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaMediaType, MetaRequest, MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions, OpenApi};

use crate::Services;
use crate::context::RequestContext;
use crate::dto::room::WebhookAckDto;
use crate::error::ApiError;
use crate::media_log::warn_media;
use crate::routes::Tag;
use crate::routes::flow::{FlowError, INTERNAL_500, TOO_LARGE_413, error_doc};

error_doc!(
    /// Errors of `POST /api/livekit/webhook`.
    WebhookErrors,
    [
        (
            400,
            "`Invalid webhook payload` (signature valid, body not an event)"
        ),
        (401, "`invalid webhook signature`"),
        (413, TOO_LARGE_413),
        (500, INTERNAL_500),
        (
            503,
            "`LiveKit not configured` (API key or secret empty) · `Service unavailable` (database)"
        ),
    ]
);

/// 503 when the API key or secret is empty.
pub const NOT_CONFIGURED: &str = "LiveKit not configured";
/// 401 for a missing or wrong signature.
pub const BAD_SIGNATURE: &str = "invalid webhook signature";
/// 400 for a correctly signed body that is not an event.
pub const BAD_PAYLOAD: &str = "Invalid webhook payload";

/// The raw request body, whatever its content type (the signature covers the bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawBody(pub Vec<u8>);

impl<'a> ApiExtractor<'a> for RawBody {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(_registry: &mut Registry) {}

    fn request_meta() -> Option<MetaRequest> {
        let schema = || {
            MetaSchemaRef::Inline(Box::new(MetaSchema {
                description: Some(
                    "A LiveKit WebhookEvent in the protobuf JSON mapping (camelCase or \
                     snake_case keys, enum names as strings, 64-bit integers as strings)",
                ),
                ..MetaSchema::new("object")
            }))
        };
        Some(MetaRequest {
            description: Some(
                "The raw event; `Authorization` carries LiveKit's JWT whose `sha256` claim \
                 is the base64 SHA-256 of these bytes",
            ),
            content: vec![
                MetaMediaType {
                    content_type: "application/webhook+json",
                    schema: schema(),
                },
                MetaMediaType {
                    content_type: "application/json",
                    schema: schema(),
                },
            ],
            required: true,
        })
    }

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        _opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(RawBody(
            <Vec<u8> as FromRequest>::from_request(req, body).await?,
        ))
    }
}

fn refused(e: WebhookError) -> ApiError {
    match e {
        WebhookError::NotConfigured => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, NOT_CONFIGURED)
        }
        WebhookError::BadSignature => ApiError::unauthorized(BAD_SIGNATURE),
        WebhookError::BadPayload => ApiError::bad_request(BAD_PAYLOAD),
    }
}

/// Webhook area.
pub struct WebhookApi;

#[OpenApi(prefix_path = "/api/livekit", tag = "Tag::Webhook")]
impl WebhookApi {
    /// Receives a LiveKit event: verifies the signature, applies it idempotently and
    /// acknowledges (unknown events and rooms too).
    #[oai(path = "/webhook", method = "post", operation_id = "livekitWebhook")]
    async fn webhook(
        &self,
        services: Data<&Arc<Services>>,
        req: &Request,
        body: RawBody,
    ) -> Result<Json<WebhookAckDto>, FlowError<WebhookErrors>> {
        let authorization = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let (text, exact) = match String::from_utf8(body.0) {
            Ok(text) => (text, true),
            Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), false),
        };
        let event = services
            .webhooks
            .verify(&text, authorization)
            .map_err(refused)?;
        if !exact {
            // The signature covered a lossy copy, not the bytes received.
            return Err(ApiError::bad_request(BAD_PAYLOAD).into());
        }
        if let EventOutcome::Evicted(Some(error)) = services.livekit_events.handle(&event).await? {
            warn_media(
                &RequestContext::of(req).request_id,
                "evict_banned",
                event.room_name.as_deref().unwrap_or_default(),
                [&error],
            );
        }
        Ok(Json(WebhookAckDto { ok: true }))
    }
}
