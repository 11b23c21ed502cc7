//! `GET /api/openapi.json` and the Swagger UI at `GET /api/swagger` (API §1.5).

use std::sync::OnceLock;

use poem_openapi::OpenApi;
use poem_openapi::payload::{Html, Json};

use crate::routes::{Tag, service};

/// Docs area.
pub struct DocsApi;

fn document() -> &'static serde_json::Value {
    static DOC: OnceLock<serde_json::Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::from_str(&service().spec()).unwrap_or_default())
}

fn swagger_page() -> &'static str {
    static PAGE: OnceLock<String> = OnceLock::new();
    PAGE.get_or_init(|| service().swagger_ui_html())
}

#[OpenApi(prefix_path = "/api", tag = "Tag::Docs")]
impl DocsApi {
    /// This OpenAPI 3 document.
    #[oai(path = "/openapi.json", method = "get", operation_id = "openapi")]
    async fn openapi(&self) -> Json<serde_json::Value> {
        Json(document().clone())
    }

    /// Swagger UI over this document.
    #[oai(path = "/swagger", method = "get", operation_id = "swagger")]
    async fn swagger(&self) -> Html<String> {
        Html(swagger_page().to_owned())
    }
}
