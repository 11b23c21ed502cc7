//! Proxy tests against a small hyper upstream that echoes what it received, and that
//! echoes bytes after an upgrade; the proxy runs in a real poem server on loopback.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::Incoming;
use poem::listener::TcpAcceptor;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;
use crate::middleware::client_ip::TrustedProxies;
use crate::middleware::observe::{Network, Observe};

/// Answers every request with JSON `{method, uri, headers, body}`; upgrades answer 101
/// and then echo bytes, starting with a `uri=<uri>\n` line.
async fn upstream_handle(
    mut req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let uri = req.uri().to_string();
    if req.headers().contains_key(header::UPGRADE) {
        let on = hyper::upgrade::on(&mut req);
        tokio::spawn(async move {
            let Ok(upgraded) = on.await else { return };
            let mut io = TokioIo::new(upgraded);
            let _ = io.write_all(format!("uri={uri}\n").as_bytes()).await;
            let mut buf = [0u8; 4096];
            loop {
                match io.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if io.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                }
            }
            let _ = io.shutdown().await;
        });
        let resp = hyper::Response::builder()
            .status(StatusCode::SWITCHING_PROTOCOLS)
            .header(header::CONNECTION, "upgrade")
            .header(header::UPGRADE, "echo-proto")
            .header("x-upstream", "ws")
            .body(Full::new(Bytes::new()))
            .unwrap_or_default();
        return Ok(resp);
    }
    let method = req.method().to_string();
    let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in req.headers() {
        headers
            .entry(name.to_string())
            .or_default()
            .push(value.to_str().unwrap_or_default().to_owned());
    }
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let json = serde_json::json!({
        "method": method,
        "uri": uri,
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    });
    let resp = hyper::Response::builder()
        .status(StatusCode::CREATED)
        .header("content-type", "application/json")
        .header("x-upstream", "yes")
        .header("keep-alive", "timeout=5")
        .header(header::CONNECTION, "x-secret-hop")
        .header("x-secret-hop", "1")
        .body(Full::new(Bytes::from(json.to_string())))
        .unwrap_or_default();
    Ok(resp)
}

/// Starts the upstream; returns `http://127.0.0.1:PORT`.
async fn upstream() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = hyper::service::service_fn(upstream_handle);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades()
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

/// Serves `ep` on loopback; returns its address.
async fn serve(ep: BoxEndpoint<'static>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let acceptor = TcpAcceptor::from_tokio(listener).expect("acceptor");
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(ep));
    addr.to_string()
}

/// The proxy behind the outermost middleware, trusting `trusted` as proxies.
fn observed(target: &str, trusted: &[&str]) -> BoxEndpoint<'static> {
    let trusted: Vec<String> = trusted.iter().map(|s| s.to_string()).collect();
    let network = Arc::new(Network {
        trusted: TrustedProxies::parse(&trusted).expect("trusted"),
        proxy_header: Some(HeaderName::from_static("x-forwarded-for")),
        enable_tls: false,
        behind_proxy: true,
    });
    Observe::new(
        livekit_proxy(target),
        network,
        Arc::new(crate::api::route_table()),
    )
    .boxed()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

async fn seen(resp: reqwest::Response) -> Value {
    resp.json::<Value>().await.expect("json")
}

fn header_of(v: &Value, name: &str) -> Option<String> {
    v["headers"][name].as_array().map(|vals| {
        vals.iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    })
}

#[test]
fn paths_lose_the_prefix_and_keep_the_query() {
    let cases = [
        ("/livekit", "/"),
        ("/livekit/", "/"),
        ("/livekit/rtc", "/rtc"),
        (
            "/livekit/rtc/validate?access_token=a.b.c&x=1",
            "/rtc/validate?access_token=a.b.c&x=1",
        ),
        ("/livekit?x=1", "/?x=1"),
    ];
    for (from, to) in cases {
        let uri: Uri = from.parse().expect("uri");
        assert_eq!(upstream_path(&uri), to, "{from}");
    }
}

#[test]
fn targets_must_be_plain_http() {
    assert_eq!(
        parse_target("http://127.0.0.1:7880").as_deref(),
        Ok("127.0.0.1:7880")
    );
    assert_eq!(
        parse_target("ws://localhost:7880/").as_deref(),
        Ok("localhost:7880")
    );
    assert_eq!(
        parse_target("http://lk.internal").as_deref(),
        Ok("lk.internal:80")
    );
    assert!(parse_target("https://lk.example.com").is_err());
    assert!(parse_target("127.0.0.1:7880").is_err());
    assert!(parse_target("").is_err());
}

#[test]
fn hop_by_hop_headers_are_dropped() {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONNECTION,
        HeaderValue::from_static("keep-alive, X-Custom"),
    );
    h.insert("x-custom", HeaderValue::from_static("1"));
    h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
    h.insert(header::TE, HeaderValue::from_static("trailers"));
    h.insert(header::TRAILER, HeaderValue::from_static("x"));
    h.insert(
        header::TRANSFER_ENCODING,
        HeaderValue::from_static("chunked"),
    );
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(
        header::PROXY_AUTHORIZATION,
        HeaderValue::from_static("Basic x"),
    );
    h.insert("proxy-connection", HeaderValue::from_static("keep-alive"));
    h.append("x-kept", HeaderValue::from_static("a"));
    h.append("x-kept", HeaderValue::from_static("b"));
    let out = end_to_end(&h);
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(out.get_all("x-kept").iter().count(), 2);
}

#[tokio::test]
async fn forwards_method_path_query_body_and_forwarding_headers() {
    let target = upstream().await;
    let addr = serve(livekit_proxy(&target)).await;
    let resp = client()
        .post(format!(
            "http://{addr}/livekit/twirp/livekit.RoomService/ListRooms?a=1&b=%20x"
        ))
        .header("x-forwarded-for", "6.6.6.6")
        .header("x-forwarded-proto", "https")
        .header("x-kept", "yes")
        .header("connection", "keep-alive, x-custom-hop")
        .header("x-custom-hop", "1")
        .header("proxy-authorization", "Basic Zm9vOmJhcg==")
        .body("hello livekit")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 201);
    assert_eq!(resp.headers()["x-upstream"], "yes");
    assert!(resp.headers().get("keep-alive").is_none());
    assert!(resp.headers().get("x-secret-hop").is_none());
    let v = seen(resp).await;
    assert_eq!(v["method"], "POST");
    assert_eq!(v["uri"], "/twirp/livekit.RoomService/ListRooms?a=1&b=%20x");
    assert_eq!(v["body"], "hello livekit");
    let target_authority = target.trim_start_matches("http://");
    assert_eq!(header_of(&v, "host").as_deref(), Some(target_authority));
    assert_eq!(
        header_of(&v, "x-forwarded-host").as_deref(),
        Some(addr.as_str())
    );
    // No trusted proxy: the forged chain and scheme are replaced.
    assert_eq!(
        header_of(&v, "x-forwarded-for").as_deref(),
        Some("127.0.0.1")
    );
    assert_eq!(header_of(&v, "x-forwarded-proto").as_deref(), Some("http"));
    assert_eq!(header_of(&v, "x-kept").as_deref(), Some("yes"));
    for hop in [
        "x-custom-hop",
        "proxy-authorization",
        "keep-alive",
        "upgrade",
    ] {
        assert!(header_of(&v, hop).is_none(), "{hop} was forwarded: {v}");
    }

    for (path, uri) in [("/livekit", "/"), ("/livekit/?q=1", "/?q=1")] {
        let v = seen(
            client()
                .get(format!("http://{addr}{path}"))
                .send()
                .await
                .expect("send"),
        )
        .await;
        assert_eq!(v["method"], "GET");
        assert_eq!(v["uri"], uri);
    }
}

#[tokio::test]
async fn a_trusted_proxy_chain_is_extended() {
    let target = upstream().await;
    let addr = serve(observed(&target, &["127.0.0.1"])).await;
    let v = seen(
        client()
            .get(format!("http://{addr}/livekit/rtc/validate"))
            .header("x-forwarded-for", "198.51.100.7")
            .header("x-forwarded-proto", "https")
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(
        header_of(&v, "x-forwarded-for").as_deref(),
        Some("198.51.100.7, 127.0.0.1")
    );
    assert_eq!(header_of(&v, "x-forwarded-proto").as_deref(), Some("https"));

    // The same request from a peer that is not trusted: the chain is not believed.
    let addr = serve(observed(&target, &["10.0.0.0/8"])).await;
    let v = seen(
        client()
            .get(format!("http://{addr}/livekit/rtc/validate"))
            .header("x-forwarded-for", "198.51.100.7")
            .header("x-forwarded-proto", "https")
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(
        header_of(&v, "x-forwarded-for").as_deref(),
        Some("127.0.0.1")
    );
    assert_eq!(header_of(&v, "x-forwarded-proto").as_deref(), Some("http"));
}

/// Reads an HTTP head (up to the blank line) byte by byte.
async fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).await.expect("read head");
        assert!(
            n > 0,
            "closed before the head ended: {:?}",
            String::from_utf8_lossy(&head)
        );
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).to_ascii_lowercase()
}

async fn read_exact_text(stream: &mut TcpStream, len: usize) -> String {
    let mut buf = vec![0u8; len];
    stream.read_exact(&mut buf).await.expect("read");
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn upgrades_are_relayed_both_ways_until_a_side_closes() {
    let target = upstream().await;
    let addr = serve(livekit_proxy(&target)).await;
    let mut stream = TcpStream::connect(&addr).await.expect("connect");
    let request = format!(
        "GET /livekit/rtc?access_token=abc&auto_subscribe=1 HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: echo-proto\r\nX-Kept: 1\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let head = read_head(&mut stream).await;
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(head.contains("upgrade: echo-proto"), "{head}");
    assert!(head.contains("connection: upgrade"), "{head}");
    assert!(head.contains("x-upstream: ws"), "{head}");

    let first = "uri=/rtc?access_token=abc&auto_subscribe=1\n";
    assert_eq!(read_exact_text(&mut stream, first.len()).await, first);
    for message in ["ping", "a longer message \u{1F600}", "x"] {
        stream.write_all(message.as_bytes()).await.expect("write");
        assert_eq!(read_exact_text(&mut stream, message.len()).await, message);
    }
    // Our side closes: the upstream sees EOF, closes too, and so does the relay.
    stream.shutdown().await.expect("shutdown");
    let mut rest = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest))
        .await
        .expect("the relay did not close")
        .expect("read");
    assert_eq!(n, 0);
}

#[tokio::test]
async fn an_unreachable_livekit_is_a_502() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    for target in [
        format!("http://{closed}"),
        "https://lk.example.com".to_owned(),
    ] {
        let addr = serve(livekit_proxy(&target)).await;
        let resp = client()
            .get(format!("http://{addr}/livekit/rtc/validate"))
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status().as_u16(), 502);
        let v: Value = resp.json().await.expect("json");
        assert_eq!(v["error"], "Media server unavailable");
    }
}
