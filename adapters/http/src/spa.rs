//! The embedded web app (`frontend/dist`, see build.rs), served by memory-serve's axum
//! router inside poem: brotli/gzip, ETag/304, long cache for hashed `/assets/*`,
//! `no-cache` HTML, `index.html` for app routes, a real 404 for missing assets. Without
//! an embedded build, a short page explains how to build it.

use std::sync::OnceLock;

use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Endpoint, Request, Response};
use tower::ServiceExt;

static ASSETS: &[(&str, &[memory_serve::Asset])] =
    include!(concat!(env!("OUT_DIR"), "/memory_serve_assets.rs"));

/// Vite puts content-hashed files here; they never change under the same name.
const HASHED_PREFIX: &str = "/assets/";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

const NOT_BUILT: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Bedrud</title></head><body>\
<h1>The web app is not built</h1>\
<p>The server is running and its API answers under <code>/api</code> \
(see <a href=\"/api/swagger\">/api/swagger</a>), but this binary was compiled without the web app.</p>\
<p>Build it with <code>cd frontend &amp;&amp; npm ci &amp;&amp; npm run build</code>, \
then rebuild the server (<code>cargo build</code>).</p>\
</body></html>\n";

fn assets() -> &'static [memory_serve::Asset] {
    ASSETS.first().map(|(_, a)| *a).unwrap_or_default()
}

/// Routes of the embedded files (`/index.html`, `/assets/…`).
pub fn asset_routes() -> impl Iterator<Item = &'static str> {
    assets().iter().map(|a| a.route)
}

/// Whether a web app build is embedded.
pub fn embedded() -> bool {
    !assets().is_empty()
}

fn router() -> Option<&'static axum::Router> {
    static ROUTER: OnceLock<Option<axum::Router>> = OnceLock::new();
    ROUTER
        .get_or_init(|| {
            embedded().then(|| {
                memory_serve::MemoryServe::new(assets())
                    .index_file(Some("/index.html"))
                    .fallback(Some("/index.html"))
                    .fallback_status(StatusCode::OK)
                    .enable_brotli(true)
                    .enable_gzip(true)
                    .html_cache_control(memory_serve::CacheControl::NoCache)
                    .cache_control(memory_serve::CacheControl::Medium)
                    .into_router()
            })
        })
        .as_ref()
}

fn plain(status: StatusCode, body: &'static str, content_type: &'static str) -> Response {
    Response::builder()
        .status(status)
        .content_type(content_type)
        .body(body)
}

/// The web app endpoint (every path outside `/api`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Spa;

impl Endpoint for Spa {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            let mut resp = plain(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method not allowed\n",
                "text/plain; charset=utf-8",
            );
            resp.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return Ok(resp);
        }
        let path = req.uri().path().to_owned();
        let missing_asset =
            path.starts_with(HASHED_PREFIX) && !assets().iter().any(|a| a.route == path);
        if missing_asset {
            return Ok(plain(
                StatusCode::NOT_FOUND,
                "Not found\n",
                "text/plain; charset=utf-8",
            ));
        }
        let Some(router) = router() else {
            return Ok(plain(StatusCode::OK, NOT_BUILT, "text/html; charset=utf-8"));
        };
        let mut forwarded = http::Request::builder()
            .method(req.method().clone())
            .uri(req.uri().clone());
        for name in [header::ACCEPT_ENCODING, header::IF_NONE_MATCH] {
            if let Some(v) = req.headers().get(&name) {
                forwarded = forwarded.header(name, v.clone());
            }
        }
        let forwarded = forwarded
            .body(axum::body::Body::empty())
            .map_err(|e| poem::Error::new(e, StatusCode::INTERNAL_SERVER_ERROR))?;
        let answer = match router.clone().oneshot(forwarded).await {
            Ok(answer) => answer,
            Err(never) => match never {},
        };
        let (parts, body) = answer.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .map_err(|e| poem::Error::new(e, StatusCode::INTERNAL_SERVER_ERROR))?;
        let mut resp = Response::builder().status(parts.status).body(bytes);
        *resp.headers_mut() = parts.headers;
        if path.starts_with(HASHED_PREFIX) && parts.status.is_success()
            || path.starts_with(HASHED_PREFIX) && parts.status == StatusCode::NOT_MODIFIED
        {
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
        }
        Ok(resp)
    }
}
