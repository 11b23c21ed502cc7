//! Register, login, refresh, logout, profile, password, settings, rate limit.

use poem::http::StatusCode;
use serde_json::json;

use super::*;
use crate::RateLimit;

fn is_timestamp(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.ends_with('Z')
            && chrono::DateTime::parse_from_rfc3339(s).is_ok()
            && s.split('.').nth(1).is_none_or(|frac| frac.len() <= 7)
    })
}

#[tokio::test]
async fn register_returns_login_response_and_cookies() {
    let (cli, _) = server(HttpConfig::default());
    let resp = cli
        .post("/api/auth/register")
        .body_json(
            &json!({"email":" Alice@Example.COM ","password":"password123456","name":"Alice"}),
        )
        .send()
        .await;
    let cookies: Vec<String> = resp
        .0
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    let (status, _, body) = read(resp).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let user = &body["user"];
    assert_eq!(user["email"], "alice@example.com");
    assert_eq!(user["name"], "Alice");
    assert_eq!(user["provider"], "local");
    assert_eq!(user["accesses"], json!(["user"]));
    assert_eq!(user["avatarUrl"], "");
    assert_eq!(user["isActive"], true);
    assert_eq!(user["emailVerifiedAt"], Value::Null);
    assert_eq!(user["passwordChangedAt"], Value::Null);
    assert!(is_timestamp(&user["createdAt"]), "{}", user["createdAt"]);
    assert!(is_timestamp(&user["updatedAt"]));
    assert!(user.get("passwordHash").is_none() && user.get("password_hash").is_none());
    let keys: Vec<&String> = body["tokens"]
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["accessToken", "refreshToken"]);

    assert_eq!(cookies.len(), 2, "{cookies:?}");
    let (access, refresh) = tokens_of(&body);
    assert_eq!(
        cookies[0],
        format!("access_token={access}; Max-Age=900; Path=/; HttpOnly; SameSite=Lax")
    );
    assert_eq!(
        cookies[1],
        format!("refresh_token={refresh}; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax")
    );

    let (status, _, body) = read(
        cli.post("/api/auth/register")
            .body_json(
                &json!({"email":"alice@example.com","password":"password123456","name":"Al"}),
            )
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        error_body("Unable to register with the provided details")
    );
}

#[tokio::test]
async fn secure_cookies_behind_tls_with_domain() {
    let (cli, _) = server(HttpConfig {
        enable_tls: true,
        cookie_domain: "meet.example.com".into(),
        ..HttpConfig::default()
    });
    let resp = cli
        .post("/api/auth/guest-login")
        .body_json(&json!({"name":"Guesty"}))
        .send()
        .await;
    let cookie = header(resp.0.headers(), "set-cookie").to_owned();
    assert!(
        cookie.ends_with("; Path=/; HttpOnly; Secure; SameSite=None; Domain=meet.example.com"),
        "{cookie}"
    );
    let (status, _, body) = read(resp).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["user"]["provider"], "guest");
    assert_eq!(body["user"]["accesses"], json!(["guest"]));
}

#[tokio::test]
async fn login_me_and_token_sources() {
    let (cli, world) = server(HttpConfig::default());
    world.add_user("bob@example.com", vec![bedrud_ports::Access::User]);
    let (status, _, body) = read(
        cli.post("/api/auth/login")
            .body_json(&json!({"email":"bob@example.com","password":"wrong-password"}))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, error_body("Invalid credentials"));

    let (access, _) = login(&cli, "bob@example.com").await;
    for auth in [bearer(&access), format!("bEaReR {access}"), access.clone()] {
        let (status, _, body) = read(
            cli.get("/api/auth/me")
                .header("Authorization", auth)
                .send()
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["email"], "bob@example.com");
    }
    let (status, _, _) = read(
        cli.get("/api/auth/me")
            .header("Cookie", format!("access_token={access}"))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "GET works with the cookie alone");
}

#[tokio::test]
async fn refresh_both_spellings_cookie_and_reuse() {
    let (cli, world) = server(HttpConfig::default());
    let (_, refresh) = register(&cli, "carol@example.com").await;

    let (status, _, body) = read(cli.post("/api/auth/refresh").send().await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, error_body("No refresh token provided"));
    let (status, _, body) = read(
        cli.post("/api/auth/refresh")
            .content_type("application/json")
            .body("{garbage")
            .send()
            .await,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "unparsable body is ignored, not invalid"
    );
    assert_eq!(body, error_body("No refresh token provided"));

    let (status, _, body) = read(
        cli.post("/api/auth/refresh")
            .body_json(&json!({ "refreshToken": refresh }))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["access_token"], body["accessToken"]);
    assert_eq!(body["refresh_token"], body["refreshToken"]);
    let second = body["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let resp = cli
        .post("/api/auth/refresh")
        .header("Cookie", format!("refresh_token={second}"))
        .send()
        .await;
    assert_eq!(resp.0.headers().get_all("set-cookie").iter().count(), 2);
    let (status, _, body) = read(resp).await;
    assert_eq!(status, StatusCode::OK, "cookie fallback");
    let third = body["refreshToken"].as_str().unwrap_or_default().to_owned();

    // `refresh` is two rotations old (only the directly previous token gets the 10 s
    // concurrent-refresh grace): reuse, which revokes the whole session.
    let (status, _, body) = read(
        cli.post("/api/auth/refresh")
            .body_json(&json!({ "refresh_token": refresh }))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, error_body("Invalid or expired refresh token"));
    let (status, _, _) = read(
        cli.post("/api/auth/refresh")
            .body_json(&json!({ "refresh_token": third }))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the session is revoked");
    let reasons: Vec<Option<String>> = world
        .sessions
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .values()
        .map(|s| s.revoke_reason.clone())
        .collect();
    assert_eq!(reasons, [Some("refresh_reuse".to_owned())]);
}

#[tokio::test]
async fn logout_clears_cookies_and_revokes() {
    let (cli, _) = server(HttpConfig::default());
    let (access, refresh) = register(&cli, "dave@example.com").await;
    let resp = cli
        .post("/api/auth/logout")
        .header("Authorization", bearer(&access))
        .content_type("text/plain")
        .body("not json at all")
        .send()
        .await;
    let cookies: Vec<String> = resp
        .0
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    let (status, _, body) = read(resp).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"message":"Successfully logged out"}));
    assert_eq!(cookies.len(), 2);
    assert!(cookies[0].starts_with("access_token=; Max-Age=0; Path=/"));
    assert!(cookies[1].starts_with("refresh_token=; Max-Age=0; Path=/"));

    let (status, _, body) = read(
        cli.get("/api/auth/me")
            .header("Authorization", bearer(&access))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, error_body("Invalid token"));
    let (status, _, _) = read(
        cli.post("/api/auth/refresh")
            .body_json(&json!({ "refresh_token": refresh }))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn profile_and_password() {
    let (cli, _) = server(HttpConfig::default());
    let (access, _) = register(&cli, "erin@example.com").await;
    let (status, _, body) = read(
        cli.put("/api/auth/me")
            .header("Authorization", bearer(&access))
            .body_json(&json!({"name":"Erin <b>"}))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"id": body["id"], "name":"Erin b","email":"erin@example.com","provider":"local",
               "accesses":["user"],"avatarUrl":""})
    );
    let resp = cli
        .put("/api/auth/me")
        .header("Authorization", bearer(&access))
        .body_json(&json!({"name":"Erin","email":"erin2@example.com"}))
        .send()
        .await;
    assert_eq!(resp.0.headers().get_all("set-cookie").iter().count(), 2);
    let (status, _, body) = read(resp).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["email"], "erin2@example.com");
    let (new_access, _) = tokens_of(&body);
    assert!(!new_access.is_empty());
    let (status, _, body) = read(
        cli.put("/api/auth/me")
            .header("Authorization", bearer(&new_access))
            .body_json(&json!({"email":"x@example.com"}))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, error_body("Invalid input"), "name is required");

    let (status, _, body) = read(
        cli.put("/api/auth/password")
            .header("Authorization", bearer(&new_access))
            .body_json(&json!({"currentPassword":"password123456","newPassword":"short"}))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        error_body("New password must be at least 12 characters")
    );
    let (status, _, body) = read(
        cli.put("/api/auth/password")
            .header("Authorization", bearer(&new_access))
            .body_json(
                &json!({"currentPassword":"password123456","newPassword":"another-long-pass"}),
            )
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"message":"Password updated successfully"}));
}

#[tokio::test]
async fn public_settings_shape() {
    let (cli, _) = server(HttpConfig::default());
    let (status, _, body) = read(cli.get("/api/auth/settings").send().await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"serverName":"","registrationEnabled":true,"tokenRegistrationOnly":false,
               "guestLoginEnabled":true,"passkeysEnabled":true,"oauthProviders":[],
               "requireEmailVerification":false,"chatMaxMessageCount":10000,
               "chatMessageTTLHours":2160,"chatUploadMaxBytes":0,"chatUploadMaxDimension":0,
               "recordingsEnabled":false,"rnnoiseEnabled":false,"krispEnabled":false,
               "webxdc":{"enabled":false,"experimental":true,"baseDomain":""}})
    );
}

#[tokio::test]
async fn auth_limiter_answers_429_with_headers() {
    let (cli, _) = server(HttpConfig {
        auth_limit: RateLimit::new(2, 60),
        ..HttpConfig::default()
    });
    for remaining in ["1", "0"] {
        let resp = cli
            .post("/api/auth/login")
            .body_json(&json!({"email":"x@example.com","password":"password123456"}))
            .send()
            .await;
        let (status, h, _) = read(resp).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(header(&h, "x-ratelimit-limit"), "2");
        assert_eq!(header(&h, "x-ratelimit-remaining"), remaining);
        assert!(
            header(&h, "x-ratelimit-reset")
                .parse::<u64>()
                .is_ok_and(|s| (1..=60).contains(&s))
        );
        assert!(h.get("retry-after").is_none());
    }
    let (status, h, body) = read(
        cli.post("/api/auth/login")
            .body_json(&json!({"email":"x@example.com","password":"password123456"}))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        body,
        error_body("too many requests, please try again later")
    );
    assert_eq!(header(&h, "x-ratelimit-remaining"), "0");
    assert!(
        header(&h, "retry-after")
            .parse::<u64>()
            .is_ok_and(|s| (1..=60).contains(&s))
    );
    // Per route: register has its own window.
    let (status, _, _) = read(
        cli.post("/api/auth/register")
            .body_json(&json!({"email":"y@example.com","password":"password123456","name":"Yan"}))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // Unlimited routes carry no limiter headers.
    let (_, h, _) = read(cli.get("/api/health").send().await).await;
    assert!(h.get("x-ratelimit-limit").is_none());

    let (cli, _) = server(HttpConfig {
        auth_limit: RateLimit::new(0, 60),
        ..HttpConfig::default()
    });
    for _ in 0..15 {
        let (status, h, _) = read(
            cli.post("/api/auth/login")
                .body_json(&json!({"email":"x@example.com","password":"p"}))
                .send()
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "0 disables the limiter");
        assert!(h.get("x-ratelimit-limit").is_none());
    }
}
