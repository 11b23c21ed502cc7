//! Errors, request ids, headers, CORS, redirects, health, compression, SPA.

use std::io::Read;
use std::sync::atomic::Ordering;

use poem::http::StatusCode;

use super::*;

#[tokio::test]
async fn unknown_api_path_is_json_404() {
    let (cli, _) = server(HttpConfig::default());
    for path in [
        "/api/nope",
        "/api",
        "/api/",
        "/api/auth/me/extra",
        "/api/health/",
    ] {
        let (status, headers, body) = read(cli.get(path).send().await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            header(&headers, "content-type"),
            "application/json; charset=utf-8"
        );
        assert_eq!(body, error_body("Not found"), "{path}");
    }
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let (cli, _) = server(HttpConfig::default());
    let (status, headers, body) = read(cli.post("/api/health").send().await).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body, error_body("Method not allowed"));
    assert_eq!(header(&headers, "allow"), "GET, HEAD");
    let (status, headers, _) = read(cli.delete("/api/auth/me").send().await).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&headers, "allow"), "GET, HEAD, PUT");
    let (status, headers, _) =
        read(cli.get("/api/admin/users/abc/force-logout").send().await).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&headers, "allow"), "POST");
}

#[tokio::test]
async fn oversized_body_is_413() {
    let (cli, _) = server(HttpConfig::default());
    let big = format!(
        "{{\"email\":\"a@b.c\",\"password\":\"{}\"}}",
        "x".repeat(1024 * 1024)
    );
    let (status, _, body) = read(
        cli.post("/api/auth/login")
            .content_type("application/json")
            .body(big)
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body, error_body("Request body too large"));

    // Without a Content-Length the limit still holds while reading.
    use tokio::io::AsyncReadExt;
    let stream = tokio::io::repeat(b'x').take(1024 * 1024 + 1);
    let (status, _, body) = read(
        cli.post("/api/auth/register")
            .content_type("application/json")
            .body(poem::Body::from_async_read(stream))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body, error_body("Request body too large"));
}

#[tokio::test]
async fn unparsable_bodies_are_400_invalid_input_never_415() {
    let (cli, _) = server(HttpConfig::default());
    let cases: [(&str, Option<&str>); 5] = [
        ("{not json", Some("application/json")),
        (r#"{"email": 5, "password": "x"}"#, Some("application/json")),
        (r#"{"email": "a@b.c"}"#, Some("application/json")),
        (r#"{"email": "a@b.c", "password": "x"}"#, Some("text/plain")),
        (r#"{"email": "a@b.c", "password": "x"}"#, None),
    ];
    for (body, ct) in cases {
        let mut req = cli.post("/api/auth/login").body(body);
        if let Some(ct) = ct {
            req = req.content_type(ct);
        }
        let (status, headers, json) = read(req.send().await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} {ct:?}");
        assert_eq!(json, error_body("Invalid input"), "{body} {ct:?}");
        assert_eq!(
            header(&headers, "content-type"),
            "application/json; charset=utf-8"
        );
    }
    // Unknown fields are ignored; a charset parameter is fine.
    let (status, _, json) = read(
        cli.post("/api/auth/login")
            .content_type("application/json; charset=utf-8")
            .body(r#"{"email":"","password":"","extra":1}"#)
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json, error_body("Email and password are required"));
}

#[tokio::test]
async fn request_id_is_reused_when_valid_else_generated() {
    let (cli, _) = server(HttpConfig::default());
    let resp = cli
        .get("/api/health")
        .header("X-Request-Id", "abc.DEF_123-x")
        .send()
        .await;
    resp.assert_header("x-request-id", "abc.DEF_123-x");
    for bad in ["has space", &"a".repeat(129), "semi;colon"] {
        let resp = cli
            .get("/api/nope")
            .header("X-Request-Id", bad)
            .send()
            .await;
        let (_, headers, _) = read(resp).await;
        let id = header(&headers, "x-request-id");
        assert_ne!(id, bad);
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    }
    let (_, headers, _) = read(cli.get("/").send().await).await;
    assert!(uuid::Uuid::parse_str(header(&headers, "x-request-id")).is_ok());
}

#[tokio::test]
async fn security_headers_on_every_response() {
    let config = HttpConfig {
        livekit_origins: vec![
            "wss://lk.example.com".into(),
            "https://lk.example.com".into(),
        ],
        ..HttpConfig::default()
    };
    let (cli, _) = server(config);
    for path in ["/api/health", "/api/nope", "/", "/health"] {
        let (_, h, _) = read(cli.get(path).send().await).await;
        let expect = [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("x-xss-protection", "1; mode=block"),
            ("referrer-policy", "strict-origin-when-cross-origin"),
            ("cross-origin-opener-policy", "unsafe-none"),
            ("cross-origin-embedder-policy", "unsafe-none"),
            ("cross-origin-resource-policy", "same-origin"),
            ("origin-agent-cluster", "?1"),
            ("x-dns-prefetch-control", "off"),
            ("x-download-options", "noopen"),
            ("x-permitted-cross-domain-policies", "none"),
            (
                "permissions-policy",
                "camera=(self), microphone=(self), display-capture=(self)",
            ),
        ];
        for (name, value) in expect {
            assert_eq!(header(&h, name), value, "{path} {name}");
        }
        let csp = header(&h, "content-security-policy");
        assert!(
            csp.starts_with("default-src 'self'; script-src 'self';"),
            "{csp}"
        );
        assert!(
            csp.contains("connect-src 'self' wss://lk.example.com https://lk.example.com;"),
            "{csp}"
        );
        assert!(
            h.get("strict-transport-security").is_none(),
            "no HSTS over plain HTTP"
        );
    }
    let (cli, _) = server(HttpConfig {
        enable_tls: true,
        ..HttpConfig::default()
    });
    let (_, h, _) = read(cli.get("/api/health").send().await).await;
    assert_eq!(
        header(&h, "strict-transport-security"),
        "max-age=31536000; includeSubDomains"
    );
}

#[tokio::test]
async fn cors_preflight_and_simple_requests() {
    let (cli, _) = server(HttpConfig {
        cors_allowed_origins: vec!["https://app.example.com".into()],
        cors_allow_credentials: true,
        ..HttpConfig::default()
    });
    let (status, h, _) = read(
        cli.options("/api/auth/login")
            .header("Origin", "https://app.example.com")
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "content-type, authorization",
            )
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        header(&h, "access-control-allow-origin"),
        "https://app.example.com"
    );
    assert_eq!(header(&h, "access-control-allow-credentials"), "true");
    assert_eq!(
        header(&h, "access-control-allow-methods"),
        "GET, POST, PUT, DELETE, OPTIONS"
    );
    assert_eq!(
        header(&h, "access-control-allow-headers"),
        "content-type, authorization",
        "empty allowed_headers reflects the request's"
    );
    assert!(!header(&h, "x-request-id").is_empty());

    let (_, h, _) = read(
        cli.get("/api/health")
            .header("Origin", "https://app.example.com")
            .send()
            .await,
    )
    .await;
    assert_eq!(
        header(&h, "access-control-allow-origin"),
        "https://app.example.com"
    );
    assert_eq!(
        header(&h, "access-control-expose-headers"),
        "X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After"
    );

    let (status, h, _) = read(
        cli.options("/api/auth/login")
            .header("Origin", "https://evil.example.com")
            .header("Access-Control-Request-Method", "POST")
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(h.get("access-control-allow-origin").is_none());

    let (cli, _) = server(HttpConfig {
        cors_allowed_headers: vec!["Content-Type".into(), "Authorization".into()],
        ..HttpConfig::default()
    });
    let (_, h, _) = read(
        cli.options("/api/auth/login")
            .header("Origin", "https://any.example")
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "x-evil")
            .send()
            .await,
    )
    .await;
    assert_eq!(header(&h, "access-control-allow-origin"), "*");
    assert_eq!(
        header(&h, "access-control-allow-headers"),
        "Content-Type, Authorization"
    );
    assert!(h.get("access-control-allow-credentials").is_none());
}

#[tokio::test]
async fn health_ready_and_redirects() {
    let (cli, world) = server(HttpConfig::default());
    let (status, h, body) = read(cli.get("/api/health").send().await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        header(&h, "content-type"),
        "application/json; charset=utf-8"
    );
    assert_eq!(body["status"], "healthy");
    assert!(body["time"].as_i64().is_some_and(|t| t > 1_700_000_000));

    let (status, _, body) = read(cli.get("/api/ready").send().await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ready");
    assert_eq!(body["livekit"], "disabled");
    assert!(body["time"].is_i64());

    world.db.0.store(true, Ordering::SeqCst);
    let (status, _, body) = read(cli.get("/api/ready").send().await).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        body,
        serde_json::json!({"status":"not_ready","error":"database unavailable","livekit":"disabled"})
    );

    for (from, to) in [("/health", "/api/health"), ("/ready", "/api/ready")] {
        let (status, h, _) = read(cli.get(from).send().await).await;
        assert_eq!(status, StatusCode::FOUND);
        assert_eq!(header(&h, "location"), to);
    }
}

#[tokio::test]
async fn json_is_compressed_when_accepted() {
    let (cli, _) = server(HttpConfig::default());
    let resp = cli
        .get("/api/openapi.json")
        .header("Accept-Encoding", "gzip")
        .send()
        .await;
    let headers = resp.0.headers().clone();
    assert_eq!(header(&headers, "content-encoding"), "gzip");
    assert!(
        header(&headers, "vary")
            .to_ascii_lowercase()
            .contains("accept-encoding")
    );
    let bytes = resp.0.into_body().into_vec().await.expect("body");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .expect("gzip");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert!(doc["paths"].is_object());

    let resp = cli.get("/api/openapi.json").send().await;
    assert!(resp.0.headers().get("content-encoding").is_none());
}

#[tokio::test]
async fn spa_serves_the_app_or_explains_how_to_build_it() {
    let (cli, _) = server(HttpConfig::default());
    let resp = cli.get("/").send().await;
    let status = resp.0.status();
    let ct = header(resp.0.headers(), "content-type").to_owned();
    let html = resp.0.into_body().into_string().await.expect("body");
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/html"), "{ct}");
    if crate::spa::embedded() {
        assert!(!html.contains("The web app is not built"));
        let resp = cli.get("/rooms/some-room").send().await;
        resp.assert_status_is_ok();
        resp.assert_header("cache-control", "no-cache");
        if let Some(asset) = crate::spa::asset_routes().find(|r| r.starts_with("/assets/")) {
            let resp = cli
                .get(asset)
                .header("Accept-Encoding", "br, gzip")
                .send()
                .await;
            let h = resp.0.headers().clone();
            assert_eq!(resp.0.status(), StatusCode::OK, "{asset}");
            assert_eq!(
                header(&h, "cache-control"),
                "public, max-age=31536000, immutable"
            );
            let etag = header(&h, "etag").to_owned();
            assert!(!etag.is_empty());
            let resp = cli.get(asset).header("If-None-Match", etag).send().await;
            resp.assert_status(StatusCode::NOT_MODIFIED);
        }
    } else {
        assert!(html.contains("npm ci &amp;&amp; npm run build"), "{html}");
    }
    let (status, _, _) = read(cli.get("/assets/does-not-exist.js").send().await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, h, _) = read(cli.post("/somewhere").send().await).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&h, "allow"), "GET, HEAD");
}
