//! gzip / brotli for JSON responses, negotiated via `Accept-Encoding`. Static assets
//! come pre-compressed from memory-serve and are left alone.

use poem::http::{HeaderMap, HeaderValue, Method, header};
use poem::web::{Compress, CompressionAlgo};
use poem::{Endpoint, IntoResponse, Request, Response};

/// Bodies smaller than this are not worth compressing.
const MIN_BYTES: usize = 512;

/// The best of br and gzip the client accepts (`q=0` refuses), br winning ties.
pub fn negotiate(headers: &HeaderMap) -> Option<CompressionAlgo> {
    let mut best: Option<(CompressionAlgo, f32)> = None;
    for item in headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if q <= 0.0 {
            continue;
        }
        let algo = match coding.as_str() {
            "br" => CompressionAlgo::BR,
            "gzip" | "x-gzip" => CompressionAlgo::GZIP,
            _ => continue,
        };
        let better = match best {
            None => true,
            Some((current, bq)) => {
                q > bq || (q == bq && algo == CompressionAlgo::BR && current != algo)
            }
        };
        if better {
            best = Some((algo, q));
        }
    }
    best.map(|(algo, _)| algo)
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"))
}

/// Endpoint wrapper compressing JSON responses.
pub struct CompressJson<E> {
    inner: E,
}

impl<E> CompressJson<E> {
    /// Wraps `inner`.
    pub fn new(inner: E) -> Self {
        CompressJson { inner }
    }
}

impl<E: Endpoint> Endpoint for CompressJson<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let algo = negotiate(req.headers());
        let head = req.method() == Method::HEAD;
        let mut resp = self.inner.call(req).await?.into_response();
        if !is_json(resp.headers()) || resp.headers().contains_key(header::CONTENT_ENCODING) {
            return Ok(resp);
        }
        resp.headers_mut()
            .append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        let Some(algo) = algo.filter(|_| !head) else {
            return Ok(resp);
        };
        let bytes = match resp.take_body().into_bytes().await {
            Ok(bytes) => bytes,
            Err(e) => return Err(e.into()),
        };
        if bytes.len() < MIN_BYTES {
            resp.set_body(bytes);
            return Ok(resp);
        }
        resp.set_body(bytes);
        Ok(Compress::new(resp, algo).into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> Option<CompressionAlgo> {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(v).expect("value"),
        );
        negotiate(&h)
    }

    #[test]
    fn negotiation() {
        assert_eq!(accept("gzip, deflate, br"), Some(CompressionAlgo::BR));
        assert_eq!(accept("gzip"), Some(CompressionAlgo::GZIP));
        assert_eq!(accept("br;q=0.2, gzip;q=0.8"), Some(CompressionAlgo::GZIP));
        assert_eq!(accept("br;q=0, identity"), None);
        assert_eq!(accept("identity"), None);
        assert_eq!(negotiate(&HeaderMap::new()), None);
    }
}
