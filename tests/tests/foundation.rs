//! The server skeleton, driven over HTTP: health, readiness, OpenAPI, error bodies,
//! request ids, security headers, the SPA, graceful shutdown — on SQLite and Postgres.

use std::io::{Read, Write};
use std::time::Duration;

use bedrud_tests::{Backend, Server, client, postgres_or_skip};
use serde_json::Value;

async fn json(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

async fn health_and_ready(server: &Server) {
    let c = client();
    let (status, body) = json(
        c.get(server.url("/api/health"))
            .send()
            .await
            .expect("health"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "healthy");
    assert!(body["time"].as_i64().expect("time") > 1_700_000_000);
    let (status, body) = json(c.get(server.url("/api/ready")).send().await.expect("ready")).await;
    assert_eq!(
        (status, body["status"].as_str(), body["livekit"].as_str()),
        (200, Some("ready"), Some("disabled"))
    );
    for (path, target) in [("/health", "/api/health"), ("/ready", "/api/ready")] {
        let r = c.get(server.url(path)).send().await.expect("redirect");
        assert_eq!(r.status().as_u16(), 302);
        assert_eq!(r.headers()["location"], target);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serves_health_and_ready_on_sqlite() {
    let server = Server::start(Backend::Sqlite, &[]).expect("start");
    health_and_ready(&server).await;
    assert!(server.data_dir.join("bedrud.db").exists());
    for secret in ["jwt_secret", "session_secret"] {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(server.data_dir.join(secret)).expect("generated secret");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{secret}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serves_health_and_ready_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    let server = Server::start(Backend::Postgres(url), &[]).expect("start");
    health_and_ready(&server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ready_is_503_when_the_database_is_gone() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    let server = Server::start(Backend::Postgres(url.clone()), &[]).expect("start");
    bedrud_db::testing::drop_scratch_postgres(&url)
        .await
        .expect("drop database");
    let c = client();
    let (status, body) = json(c.get(server.url("/api/ready")).send().await.expect("ready")).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["error"], "database unavailable");
    assert_eq!(body["livekit"], "disabled");
    let (status, _) = json(
        c.get(server.url("/api/health"))
            .send()
            .await
            .expect("health"),
    )
    .await;
    assert_eq!(status, 200, "liveness does not depend on the database");
}

#[tokio::test(flavor = "multi_thread")]
async fn openapi_lists_every_mounted_api_route() {
    let server = Server::start(Backend::Sqlite, &[]).expect("start");
    let c = client();
    let (status, doc) = json(
        c.get(server.url("/api/openapi.json"))
            .send()
            .await
            .expect("spec"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().expect("openapi").starts_with("3."));
    let paths = doc["paths"].as_object().expect("paths");
    for p in [
        "/api/health",
        "/api/ready",
        "/api/auth/login",
        "/api/auth/register",
        "/api/admin/users",
    ] {
        assert!(paths.contains_key(p), "{p} missing from the spec");
    }
    // Every documented operation is really mounted: none answers the unknown-path 404.
    for (path, ops) in paths {
        let concrete = path.replace("{id}", "00000000-0000-0000-0000-000000000000");
        for method in ops.as_object().expect("ops").keys() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let resp = c
                .request(m.clone(), server.url(&concrete))
                .send()
                .await
                .expect("call");
            let status = resp.status().as_u16();
            let body = resp.text().await.unwrap_or_default();
            assert!(
                !(status == 404 && body.contains("\"Not found\"")) && status != 405,
                "{method} {path} is documented but not mounted ({status} {body})"
            );
        }
    }
    let swagger = c
        .get(server.url("/api/swagger"))
        .send()
        .await
        .expect("swagger");
    assert!(swagger.status().is_success() || swagger.status().is_redirection());
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_are_json_and_requests_carry_ids_and_security_headers() {
    let server = Server::start(Backend::Sqlite, &[]).expect("start");
    let c = client();
    let r = c.get(server.url("/api/nope")).send().await.expect("404");
    let id = r.headers()["x-request-id"]
        .to_str()
        .expect("id")
        .to_string();
    assert_eq!(id.len(), 36, "a new UUID");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .expect("csp")
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(
        json(r).await,
        (404, serde_json::json!({"error": "Not found"}))
    );

    let r = c
        .delete(server.url("/api/health"))
        .send()
        .await
        .expect("405");
    assert!(r.headers().contains_key("allow"));
    assert_eq!(
        json(r).await,
        (405, serde_json::json!({"error": "Method not allowed"}))
    );

    let r = c
        .get(server.url("/api/health"))
        .header("x-request-id", "trace.me-1")
        .send()
        .await
        .expect("id");
    assert_eq!(r.headers()["x-request-id"], "trace.me-1");
    let r = c
        .get(server.url("/api/health"))
        .header("x-request-id", "bad id!")
        .send()
        .await
        .expect("id");
    assert_ne!(r.headers()["x-request-id"], "bad id!");

    let big = "x".repeat(1024 * 1024 + 10);
    let r = c
        .post(server.url("/api/auth/login"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .expect("413");
    assert_eq!(
        json(r).await,
        (413, serde_json::json!({"error": "Request body too large"}))
    );

    // The 413 may close its connection before the body is read: use a fresh client.
    let c = client();
    let r = c
        .post(server.url("/api/auth/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("400");
    assert_eq!(json(r).await.0, 400);

    assert!(
        server.logged("trace.me-1", Duration::from_secs(5)).await,
        "the request id appears in the log"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn non_api_paths_serve_the_web_app_or_explain_how_to_build_it() {
    let server = Server::start(Backend::Sqlite, &[]).expect("start");
    let c = client();
    for path in ["/", "/dashboard", "/m/abc-defg-hij"] {
        let r = c.get(server.url(path)).send().await.expect("spa");
        assert_eq!(r.status().as_u16(), 200, "{path}");
        let body = r.text().await.expect("body");
        assert!(
            body.contains("<html") || body.contains("<!doctype") || body.contains("<!DOCTYPE"),
            "{path}: {body}"
        );
    }
}

/// SIGTERM during a slow request: the request completes and the process exits 0.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_lets_an_in_flight_request_finish_then_exits_zero() {
    let mut server = Server::start(Backend::Sqlite, &[]).expect("start");
    let addr = server.base.trim_start_matches("http://").to_string();
    let body = br#"{"email":"slow@example.com","password":"not the right password"}"#;
    let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    write!(
        stream,
        "POST /api/auth/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .expect("headers");
    stream.write_all(&body[..10]).expect("first half");
    stream.flush().expect("flush");
    std::thread::sleep(Duration::from_millis(300));
    server.terminate().expect("SIGTERM");
    std::thread::sleep(Duration::from_millis(500));
    stream.write_all(&body[10..]).expect("second half");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    assert!(
        response.starts_with("HTTP/1.1 401"),
        "the in-flight request completed: {response}"
    );
    assert!(response.contains("Invalid credentials"), "{response}");
    assert_eq!(server.wait(Duration::from_secs(20)).expect("exit"), Some(0));
    // New connections are refused once it is gone.
    assert!(std::net::TcpStream::connect(&addr).is_err());
}
