//! A JSON body that may be absent or unparsable (refresh, logout, and later passkey
//! begin and moderation): it is then `None`, never a 400.

use poem::{FromRequest, Request, RequestBody};
use poem_openapi::payload::{Json, Payload};
use poem_openapi::registry::{MetaMediaType, MetaRequest, Registry};
use poem_openapi::types::{ParseFromJSON, Type};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};

/// An optional JSON body; any content type is tried, failures yield `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionalJson<T>(pub Option<T>);

impl<'a, T: ParseFromJSON + Type> ApiExtractor<'a> for OptionalJson<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: Some("Optional; ignored when absent or unparsable"),
            content: vec![MetaMediaType {
                content_type: <Json<T> as Payload>::CONTENT_TYPE,
                schema: T::schema_ref(),
            }],
            required: false,
        })
    }

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        _opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let bytes = <Vec<u8> as FromRequest>::from_request(req, body)
            .await
            .unwrap_or_default();
        let parsed = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| T::parse_from_json(Some(v)).ok());
        Ok(OptionalJson(parsed))
    }
}
