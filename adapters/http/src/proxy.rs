//! The `/livekit` reverse proxy to the embedded LiveKit (API §6.4): every method and path
//! under `/livekit` goes to the local LiveKit with the prefix stripped and the query kept;
//! hop-by-hop headers are dropped both ways, `Host` is the target's, `X-Forwarded-For`,
//! `-Proto` and `-Host` are set, and WebSocket upgrades (signalling at `/livekit/rtc`) are
//! relayed byte for byte in both directions until either side closes.
//!
//! Each request opens its own HTTP/1.1 connection to LiveKit on loopback: browsers send
//! little plain HTTP here (signalling is one long-lived WebSocket), and a fresh connection
//! is what an upgrade needs anyway.

use std::io;
use std::net::IpAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use hyper_util::rt::TokioIo;
use poem::endpoint::BoxEndpoint;
use poem::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use poem::http::{StatusCode, Uri, Version};
use poem::{Body, Endpoint, EndpointExt, Request, Response};

use crate::context::RequestContext;
use crate::error::{MEDIA_UNAVAILABLE, json_error};

/// The path prefix the proxy serves.
pub const PREFIX: &str = "/livekit";

/// How long connecting to LiveKit may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The `/livekit` proxy endpoint forwarding to `target` (`http://127.0.0.1:7880`;
/// `ws://` is read as `http://`). An unusable target is logged once and every request
/// gets 502.
pub fn livekit_proxy(target: &str) -> BoxEndpoint<'static> {
    LivekitProxy::new(target).boxed()
}

/// The proxy endpoint; see [`livekit_proxy`].
#[derive(Debug, Clone)]
pub struct LivekitProxy {
    /// `host:port` to connect to and to send as `Host`, or why the target is unusable.
    upstream: Result<String, String>,
}

impl LivekitProxy {
    /// A proxy to `target`.
    pub fn new(target: &str) -> Self {
        let upstream = parse_target(target);
        if let Err(e) = &upstream {
            tracing::error!(target_url = %target, error = %e, "the /livekit proxy has no usable target; it will answer 502");
        }
        LivekitProxy { upstream }
    }
}

/// `host:port` of an `http://` (or `ws://`) target.
fn parse_target(target: &str) -> Result<String, String> {
    let uri: Uri = target
        .trim()
        .parse()
        .map_err(|e| format!("invalid URL: {e}"))?;
    match uri.scheme_str() {
        Some("http") | Some("ws") => {}
        other => {
            return Err(format!(
                "scheme {:?} is not supported (http:// only)",
                other.unwrap_or("")
            ));
        }
    }
    let authority = uri.authority().ok_or("no host")?;
    let port = authority.port_u16().unwrap_or(80);
    Ok(format!("{}:{port}", authority.host()))
}

/// Hop-by-hop headers (RFC 9110 §7.6.1), never forwarded; `Proxy-*` too.
const HOP_BY_HOP: [HeaderName; 7] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    HeaderName::from_static("proxy-connection"),
];

/// The headers of `from` minus hop-by-hop ones (including those `Connection` names).
pub fn end_to_end(from: &HeaderMap) -> HeaderMap {
    let named: Vec<String> = from
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    let mut out = HeaderMap::with_capacity(from.len());
    for (name, value) in from {
        let hop = HOP_BY_HOP.contains(name)
            || name.as_str().starts_with("proxy-")
            || named.iter().any(|n| n == name.as_str());
        if !hop {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

/// The protocol a request asks to upgrade to (`Connection: upgrade` + `Upgrade: …`).
fn upgrade_protocol(headers: &HeaderMap) -> Option<HeaderValue> {
    let asks = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("upgrade"));
    asks.then(|| headers.get(header::UPGRADE).cloned())
        .flatten()
}

/// `/livekit/rtc?x` → `/rtc?x`; `/livekit` → `/`.
fn upstream_path(uri: &Uri) -> String {
    let path = uri.path();
    let rest = path.strip_prefix(PREFIX).unwrap_or(path);
    let rest = if rest.starts_with('/') {
        rest.to_owned()
    } else {
        format!("/{rest}")
    };
    match uri.query() {
        Some(q) => format!("{rest}?{q}"),
        None => rest,
    }
}

/// `X-Forwarded-For` for LiveKit: the peer appended to the incoming chain when the
/// peer is a trusted proxy (the client IP was resolved through it), else the peer alone
/// (an untrusted client's chain could be forged).
fn forwarded_for(req: &Request, ctx: &RequestContext) -> Option<String> {
    let peer: Option<IpAddr> = req
        .remote_addr()
        .as_socket_addr()
        .map(|a| a.ip().to_canonical());
    let Some(peer) = peer else {
        return ctx.client_ip.map(|ip| ip.to_string());
    };
    let through_trusted_proxy = ctx.client_ip.is_some_and(|c| c != peer);
    let prior: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    if through_trusted_proxy && !prior.is_empty() {
        Some(format!("{}, {peer}", prior.join(", ")))
    } else {
        Some(peer.to_string())
    }
}

fn bad_gateway(cause: &str) -> Response {
    tracing::warn!(cause, "the /livekit proxy could not reach LiveKit");
    json_error(StatusCode::BAD_GATEWAY, MEDIA_UNAVAILABLE)
}

impl Endpoint for LivekitProxy {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let upstream = match &self.upstream {
            Ok(u) => u.clone(),
            Err(e) => return Ok(bad_gateway(e)),
        };
        let ctx = RequestContext::of(&req);
        let upgrade = upgrade_protocol(req.headers());
        let mut headers = end_to_end(req.headers());
        let original_host = req.headers().get(header::HOST).cloned().or_else(|| {
            req.uri()
                .authority()
                .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
        });
        if let Ok(host) = HeaderValue::from_str(&upstream) {
            headers.insert(header::HOST, host);
        }
        headers.remove("x-forwarded-for");
        if let Some(xff) = forwarded_for(&req, &ctx).and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert("x-forwarded-for", xff);
        }
        let proto = if ctx.https || req.uri().scheme_str() == Some("https") {
            "https"
        } else {
            "http"
        };
        headers.insert("x-forwarded-proto", HeaderValue::from_static(proto));
        match original_host {
            Some(host) => {
                headers.insert("x-forwarded-host", host);
            }
            None => {
                headers.remove("x-forwarded-host");
            }
        }
        let client_upgrade = match &upgrade {
            Some(protocol) => {
                headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
                headers.insert(header::UPGRADE, protocol.clone());
                req.take_upgrade().ok()
            }
            None => None,
        };

        let mut builder = hyper::Request::builder()
            .method(req.method().clone())
            .uri(upstream_path(req.uri()))
            .version(Version::HTTP_11);
        if let Some(h) = builder.headers_mut() {
            *h = headers;
        }
        let body: BoxBody<Bytes, io::Error> = req.take_body().into();
        let upstream_req = match builder.body(body) {
            Ok(r) => r,
            Err(e) => return Ok(bad_gateway(&format!("cannot build the request: {e}"))),
        };

        let stream = match tokio::time::timeout(
            CONNECT_TIMEOUT,
            tokio::net::TcpStream::connect(upstream.as_str()),
        )
        .await
        {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Ok(bad_gateway(&format!("connect {upstream}: {e}"))),
            Err(_) => return Ok(bad_gateway(&format!("connect {upstream}: timed out"))),
        };
        let _ = stream.set_nodelay(true);
        let (mut sender, conn) =
            match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await {
                Ok(pair) => pair,
                Err(e) => return Ok(bad_gateway(&format!("handshake: {e}"))),
            };
        tokio::spawn(async move {
            if let Err(e) = conn.with_upgrades().await {
                tracing::debug!(error = %e, "LiveKit proxy connection ended with an error");
            }
        });
        let mut resp = match sender.send_request(upstream_req).await {
            Ok(r) => r,
            Err(e) => return Ok(bad_gateway(&format!("request: {e}"))),
        };

        let mut out_headers = end_to_end(resp.headers());
        let status = resp.status();
        if status == StatusCode::SWITCHING_PROTOCOLS {
            let Some(client_upgrade) = client_upgrade else {
                return Ok(bad_gateway("LiveKit switched protocols unasked"));
            };
            let protocol = resp.headers().get(header::UPGRADE).cloned();
            let upstream_upgrade = hyper::upgrade::on(&mut resp);
            tokio::spawn(async move {
                let (client, upstream) = tokio::join!(client_upgrade, upstream_upgrade);
                match (client, upstream) {
                    (Ok(mut client), Ok(upstream)) => {
                        let mut upstream = TokioIo::new(upstream);
                        if let Err(e) =
                            tokio::io::copy_bidirectional(&mut client, &mut upstream).await
                        {
                            tracing::debug!(error = %e, "LiveKit WebSocket relay ended");
                        }
                    }
                    (client, upstream) => tracing::debug!(
                        client_ok = client.is_ok(),
                        upstream_ok = upstream.is_ok(),
                        "LiveKit upgrade did not complete"
                    ),
                }
            });
            out_headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
            if let Some(protocol) = protocol {
                out_headers.insert(header::UPGRADE, protocol);
            }
            let mut response = Response::builder().status(status).finish();
            *response.headers_mut() = out_headers;
            return Ok(response);
        }

        let body: BoxBody<Bytes, io::Error> = resp.into_body().map_err(io::Error::other).boxed();
        let mut response = Response::builder().status(status).body(Body::from(body));
        *response.headers_mut() = out_headers;
        Ok(response)
    }
}

#[cfg(test)]
#[path = "proxy_tests.rs"]
mod tests;
