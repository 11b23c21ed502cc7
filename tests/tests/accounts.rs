//! Accounts and sessions over HTTP, on SQLite and Postgres (API §2, §3.2, §3.8).

use std::time::Duration;

use bedrud_tests::{Backend, Server, client, postgres_or_skip};
use serde_json::{Value, json};

async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.json::<Value>().await.unwrap_or(Value::Null))
}

fn post(c: &reqwest::Client, s: &Server, path: &str, body: Value) -> reqwest::RequestBuilder {
    c.post(s.url(path)).json(&body)
}

async fn register(s: &Server, email: &str) -> Value {
    let c = client();
    let (status, body) = send(post(
        &c,
        s,
        "/api/auth/register",
        json!({"email": email, "password": "correct horse battery", "name": "Alice"}),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn bearer(token: &Value) -> String {
    format!("Bearer {}", token.as_str().expect("token"))
}

/// Polls until `check` holds or `within` passes (revocation is allowed up to 5 s).
async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn session_lifecycle(s: Server) {
    let c = reqwest::Client::new();
    let reg = register(&s, " Alice@Example.COM ").await;
    assert_eq!(reg["user"]["email"], "alice@example.com");
    assert_eq!(reg["user"]["provider"], "local");
    assert_eq!(reg["user"]["accesses"], json!(["user"]));
    assert_eq!(reg["user"]["isActive"], true);
    assert!(
        reg["user"].get("passwordHash").is_none() && reg["user"].get("password_hash").is_none()
    );

    let (status, login) = send(post(
        &c,
        &s,
        "/api/auth/login",
        json!({"email": "alice@example.com", "password": "correct horse battery"}),
    ))
    .await;
    assert_eq!(status, 200, "{login}");
    let access = login["tokens"]["accessToken"].clone();
    let refresh = login["tokens"]["refreshToken"].clone();

    let (status, me) = send(
        c.get(s.url("/api/auth/me"))
            .header("authorization", bearer(&access)),
    )
    .await;
    assert_eq!(
        (status, me["email"].as_str()),
        (200, Some("alice@example.com"))
    );

    let (status, pair) = send(post(
        &c,
        &s,
        "/api/auth/refresh",
        json!({"refresh_token": refresh}),
    ))
    .await;
    assert_eq!(status, 200, "{pair}");
    assert_eq!(pair["access_token"], pair["accessToken"]);
    assert_eq!(pair["refresh_token"], pair["refreshToken"]);
    let new_access = pair["accessToken"].clone();
    assert_ne!(pair["refreshToken"], refresh);

    // Immediately reusing the rotated token is a lost race: 401, the session stays valid.
    let (status, body) = send(post(
        &c,
        &s,
        "/api/auth/refresh",
        json!({"refreshToken": refresh}),
    ))
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("Invalid or expired refresh token"))
    );
    let (status, _) = send(
        c.get(s.url("/api/auth/me"))
            .header("authorization", bearer(&new_access)),
    )
    .await;
    assert_eq!(status, 200, "grace window keeps the session");

    // A refresh token used as an access token is refused.
    let (status, body) = send(
        c.get(s.url("/api/auth/me"))
            .header("authorization", bearer(&pair["refreshToken"])),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("Invalid token"))
    );

    let (status, body) = send(
        post(&c, &s, "/api/auth/logout", json!({})).header("authorization", bearer(&new_access)),
    )
    .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (200, Some("Successfully logged out"))
    );
    let ok = eventually(Duration::from_secs(6), || async {
        send(
            c.get(s.url("/api/auth/me"))
                .header("authorization", bearer(&new_access)),
        )
        .await
        .0 == 401
    })
    .await;
    assert!(ok, "logged-out session refused");
    let (status, _) = send(post(
        &c,
        &s,
        "/api/auth/refresh",
        json!({"refreshToken": pair["refreshToken"]}),
    ))
    .await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn session_lifecycle_on_sqlite() {
    session_lifecycle(Server::start(Backend::Sqlite, &[]).expect("start")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn session_lifecycle_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    session_lifecycle(Server::start(Backend::Postgres(url), &[]).expect("start")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn password_change_ends_other_sessions_and_guards_apply() {
    let s = Server::start(Backend::Sqlite, &[]).expect("start");
    let c = reqwest::Client::new();
    let first = register(&s, "bob@example.com").await;
    let (_, second) = send(post(
        &c,
        &s,
        "/api/auth/login",
        json!({"email": "bob@example.com", "password": "correct horse battery"}),
    ))
    .await;
    let a1 = first["tokens"]["accessToken"].clone();
    let a2 = second["tokens"]["accessToken"].clone();

    let (status, body) = send(c.put(s.url("/api/auth/password")).header("authorization", bearer(&a1)).json(&json!({"currentPassword": "wrong password here", "newPassword": "another long password"}))).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("current password is incorrect"))
    );
    let (status, body) = send(
        c.put(s.url("/api/auth/password"))
            .header("authorization", bearer(&a1))
            .json(&json!({"currentPassword": "correct horse battery", "newPassword": "short"})),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("New password must be at least 12 characters"))
    );
    let (status, body) = send(c.put(s.url("/api/auth/password")).header("authorization", bearer(&a1)).json(&json!({"currentPassword": "correct horse battery", "newPassword": "another long password"}))).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (200, Some("Password updated successfully")),
        "{body}"
    );
    let (status, _) = send(
        c.get(s.url("/api/auth/me"))
            .header("authorization", bearer(&a1)),
    )
    .await;
    assert_eq!(status, 200, "the current session stays");
    let ended = eventually(Duration::from_secs(6), || async {
        send(
            c.get(s.url("/api/auth/me"))
                .header("authorization", bearer(&a2)),
        )
        .await
        .0 == 401
    })
    .await;
    assert!(ended, "the other session ends within 5 s");
    let (status, _) = send(post(
        &c,
        &s,
        "/api/auth/login",
        json!({"email": "bob@example.com", "password": "another long password"}),
    ))
    .await;
    assert_eq!(status, 200);

    // Guards.
    let (status, body) = send(c.get(s.url("/api/auth/me"))).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("Missing authorization"))
    );
    let (status, body) = send(
        c.get(s.url("/api/auth/me"))
            .header("authorization", "Bearer not.a.jwt"),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("Invalid token"))
    );
    let cookie = format!("access_token={}", a1.as_str().expect("token"));
    let (status, _) = send(c.get(s.url("/api/auth/me")).header("cookie", &cookie)).await;
    assert_eq!(status, 200, "cookie tokens work for reads");
    let (status, body) = send(
        c.put(s.url("/api/auth/me"))
            .header("cookie", &cookie)
            .json(&json!({"name": "Bobby"})),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (
            401,
            Some("Authorization header required for state-changing requests")
        )
    );
    let (status, body) = send(
        c.get(s.url("/api/admin/users"))
            .header("authorization", bearer(&a1)),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("Insufficient access rights"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn validation_messages_and_no_rows_on_bad_input() {
    let s = Server::start(Backend::Sqlite, &[]).expect("start");
    let c = reqwest::Client::new();
    let cases = [
        (
            json!({"email": "x@example.com", "password": "correct horse battery"}),
            "Invalid input",
        ),
        (
            json!({"email": "Bob <bob@x.org>", "password": "correct horse battery", "name": "Bob"}),
            "Invalid email format",
        ),
        (
            json!({"email": "b@x.org", "password": "correct horse battery", "name": "<>"}),
            "Name must be at least 2 characters",
        ),
        (
            json!({"email": "b@x.org", "password": "short", "name": "Bob"}),
            "Password must be at least 12 characters",
        ),
        (
            json!({"email": "b@x.org", "password": "x".repeat(129), "name": "Bob"}),
            "Password must be at most 128 characters",
        ),
        (
            json!({"email": 5, "password": "correct horse battery", "name": "Bob"}),
            "Invalid input",
        ),
    ];
    for (body, message) in cases {
        let (status, got) = send(post(&c, &s, "/api/auth/register", body.clone())).await;
        assert_eq!(
            (status, got["error"].as_str()),
            (400, Some(message)),
            "{body}"
        );
    }
    let (status, got) = send(
        c.post(s.url("/api/auth/register"))
            .header("content-type", "application/json")
            .body("{oops"),
    )
    .await;
    assert_eq!(
        (status, got["error"].as_str()),
        (400, Some("Invalid input"))
    );
    let (status, got) = send(post(
        &c,
        &s,
        "/api/auth/login",
        json!({"email": "nobody@example.com", "password": "whatever it is"}),
    ))
    .await;
    assert_eq!(
        (status, got["error"].as_str()),
        (401, Some("Invalid credentials"))
    );
    let (status, got) = send(post(&c, &s, "/api/auth/guest-login", json!({"name": "G"}))).await;
    assert_eq!(
        (status, got["error"].as_str()),
        (400, Some("Name must be between 2 and 50 characters"))
    );
    let (status, got) = send(post(&c, &s, "/api/auth/refresh", json!({}))).await;
    assert_eq!(
        (status, got["error"].as_str()),
        (400, Some("No refresh token provided"))
    );
    // Nothing was written: the first valid registration of b@x.org still works.
    register(&s, "b@x.org").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn guest_login_and_public_settings() {
    let s = Server::start(
        Backend::Sqlite,
        &[("BEDRUD_AUTH__PASSKEYS_ENABLED", "false")],
    )
    .expect("start");
    let c = reqwest::Client::new();
    let (status, body) = send(post(
        &c,
        &s,
        "/api/auth/guest-login",
        json!({"name": "  Guest <b>One</b> "}),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["provider"], "guest");
    assert_eq!(body["user"]["accesses"], json!(["guest"]));
    assert_eq!(body["user"]["name"], "Guest bOne/b");
    assert!(
        body["user"]["email"]
            .as_str()
            .expect("email")
            .ends_with("@bedrud.guest")
    );
    let access = body["tokens"]["accessToken"].clone();
    let (status, body) = send(
        c.put(s.url("/api/auth/password"))
            .header("authorization", bearer(&access))
            .json(&json!({"currentPassword": "x", "newPassword": "another long password"})),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (
            400,
            Some("password change is only available for local accounts")
        )
    );
    let (status, settings) = send(c.get(s.url("/api/auth/settings"))).await;
    assert_eq!(status, 200);
    assert_eq!(settings["passkeysEnabled"], false);
    assert_eq!(settings["registrationEnabled"], true);
    assert_eq!(settings["oauthProviders"], json!([]));
    assert_eq!(settings["webxdc"]["enabled"], false);
}

async fn deactivation_and_admin(s: Server) {
    let c = reqwest::Client::new();
    let admin = register(&s, "root@example.com").await;
    let (code, _, err) = s
        .cli(&["user", "promote", "--email", "root@example.com"], None)
        .expect("cli");
    assert_eq!(code, 0, "{err}");
    let (_, admin_login) = send(post(
        &c,
        &s,
        "/api/auth/login",
        json!({"email": "root@example.com", "password": "correct horse battery"}),
    ))
    .await;
    let root = admin_login["tokens"]["accessToken"].clone();
    let victim = register(&s, "victim@example.com").await;
    let victim_id = victim["user"]["id"].as_str().expect("id").to_string();
    let victim_access = victim["tokens"]["accessToken"].clone();

    let (status, list) = send(
        c.get(s.url("/api/admin/users?q=VICTIM&sort=email&order=asc"))
            .header("authorization", bearer(&root)),
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], 1);
    assert_eq!(list["users"][0]["email"], "victim@example.com");
    assert!(
        list["users"][0]["createdAt"]
            .as_str()
            .expect("ts")
            .ends_with('Z')
    );
    let (status, body) = send(
        c.get(s.url("/api/admin/users?role=wizard"))
            .header("authorization", bearer(&root)),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("Invalid role: wizard"))
    );

    let own = admin["user"]["id"].as_str().expect("id");
    let (status, body) = send(
        c.put(s.url(&format!("/api/admin/users/{own}/status")))
            .header("authorization", bearer(&root))
            .json(&json!({"active": false})),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("Cannot change your own status"))
    );
    let (status, body) = send(
        c.put(s.url(&format!("/api/admin/users/{victim_id}/status")))
            .header("authorization", bearer(&root))
            .json(&json!({})),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("Invalid input")),
        "active is required"
    );
    let (status, body) = send(
        c.put(s.url(&format!("/api/admin/users/{victim_id}/status")))
            .header("authorization", bearer(&root))
            .json(&json!({"active": false})),
    )
    .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (200, Some("User status updated successfully"))
    );
    let refused = eventually(Duration::from_secs(6), || async {
        let (status, _) = send(
            c.get(s.url("/api/auth/me"))
                .header("authorization", bearer(&victim_access)),
        )
        .await;
        status == 401 || status == 403
    })
    .await;
    assert!(refused, "deactivation takes effect within 5 s");
    let (status, body) = send(post(
        &c,
        &s,
        "/api/auth/login",
        json!({"email": "victim@example.com", "password": "correct horse battery"}),
    ))
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("Invalid credentials"))
    );

    let (status, body) = send(
        c.get(s.url("/api/admin/users/not-a-uuid"))
            .header("authorization", bearer(&root)),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("User not found"))
    );

    // Survives a restart: still refused, still deactivated.
    let s = s.restart().expect("restart");
    let (status, _) = send(
        c.get(s.url("/api/auth/me"))
            .header("authorization", bearer(&victim_access)),
    )
    .await;
    assert!(status == 401 || status == 403, "{status}");
    let (status, detail) = send(
        c.get(s.url(&format!("/api/admin/users/{victim_id}")))
            .header("authorization", bearer(&root)),
    )
    .await;
    assert_eq!(
        (status, detail["isActive"].as_bool()),
        (200, Some(false)),
        "{detail}"
    );
    assert_eq!(detail["activeSessions"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn deactivation_ends_sessions_and_survives_restart_on_sqlite() {
    deactivation_and_admin(Server::start(Backend::Sqlite, &[]).expect("start")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn deactivation_ends_sessions_and_survives_restart_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    deactivation_and_admin(Server::start(Backend::Postgres(url), &[]).expect("start")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn revocation_through_one_instance_is_seen_by_another() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    let a = Server::start(Backend::Postgres(url), &[]).expect("start a");
    let b = a.sibling().expect("start b");
    let c = reqwest::Client::new();
    let reg = register(&a, "multi@example.com").await;
    let access = reg["tokens"]["accessToken"].clone();
    let (status, _) = send(
        c.get(b.url("/api/auth/me"))
            .header("authorization", bearer(&access)),
    )
    .await;
    assert_eq!(
        status, 200,
        "instance B accepts A's session (and caches it)"
    );
    let (status, _) =
        send(post(&c, &a, "/api/auth/logout", json!({})).header("authorization", bearer(&access)))
            .await;
    assert_eq!(status, 200);
    let refused = eventually(
        Duration::from_secs(5) + Duration::from_millis(500),
        || async {
            send(
                c.get(b.url("/api/auth/me"))
                    .header("authorization", bearer(&access)),
            )
            .await
            .0 == 401
        },
    )
    .await;
    assert!(refused, "B refuses the revoked session within 5 s");
}

async fn concurrent_registrations(s: Server) {
    let c = reqwest::Client::new();
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let c = c.clone();
            let url = s.url("/api/auth/register");
            tokio::spawn(async move {
                send(c.post(url).json(&json!({"email": "race@example.com", "password": "correct horse battery", "name": format!("Racer {i}")}))).await
            })
        })
        .collect();
    let (mut ok, mut refused) = (0, 0);
    for t in tasks {
        match t.await.expect("join") {
            (200, _) => ok += 1,
            (400, body) if body["error"] == "Unable to register with the provided details" => {
                refused += 1
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((ok, refused), (1, 49));
    let (_, out, _) = s.cli(&["user", "list"], None).expect("cli");
    assert_eq!(out.matches("race@example.com").count(), 1, "{out}");
}

const NO_AUTH_LIMIT: &[(&str, &str)] = &[("BEDRUD_RATE_LIMIT__AUTH_MAX_REQUESTS", "0")];

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_registrations_make_one_account_on_sqlite() {
    concurrent_registrations(Server::start(Backend::Sqlite, NO_AUTH_LIMIT).expect("start")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_registrations_make_one_account_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    concurrent_registrations(Server::start(Backend::Postgres(url), NO_AUTH_LIMIT).expect("start"))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_auth_limiter_answers_429_with_headers() {
    let s = Server::start(
        Backend::Sqlite,
        &[("BEDRUD_RATE_LIMIT__AUTH_MAX_REQUESTS", "3")],
    )
    .expect("start");
    let c = reqwest::Client::new();
    for i in 0..3 {
        let r = post(
            &c,
            &s,
            "/api/auth/login",
            json!({"email": "n@x.org", "password": "whatever it is"}),
        )
        .send()
        .await
        .expect("login");
        assert_eq!(r.status().as_u16(), 401);
        assert_eq!(r.headers()["x-ratelimit-limit"], "3");
        assert_eq!(
            r.headers()["x-ratelimit-remaining"],
            (2 - i).to_string().as_str()
        );
    }
    let r = post(
        &c,
        &s,
        "/api/auth/login",
        json!({"email": "n@x.org", "password": "whatever it is"}),
    )
    .send()
    .await
    .expect("login");
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert!(r.headers().contains_key("x-ratelimit-reset"));
    let body: Value = r.json().await.expect("json");
    assert_eq!(
        body,
        json!({"error": "too many requests, please try again later"})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_refreshes_of_one_token_exactly_one_wins() {
    let s = Server::start(Backend::Sqlite, NO_AUTH_LIMIT).expect("start");
    let reg = register(&s, "twice@example.com").await;
    let refresh = reg["tokens"]["refreshToken"].clone();
    let c = reqwest::Client::new();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let req = post(
                &c,
                &s,
                "/api/auth/refresh",
                json!({"refreshToken": refresh}),
            );
            tokio::spawn(async move { send(req).await })
        })
        .collect();
    let mut winners = Vec::new();
    for t in tasks {
        let (status, body) = t.await.expect("join");
        match status {
            200 => winners.push(body),
            401 => assert_eq!(body["error"], "Invalid or expired refresh token"),
            other => panic!("unexpected {other} {body}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one refresh wins");
    // The session survived the race: the winner's tokens work.
    let (status, _) = send(
        c.get(s.url("/api/auth/me"))
            .header("authorization", bearer(&winners[0]["accessToken"])),
    )
    .await;
    assert_eq!(status, 200);
}

/// Forged tokens: `alg: none`, a wrong key, a tampered payload, an expired token.
#[tokio::test(flavor = "multi_thread")]
async fn forged_and_wrong_algorithm_tokens_are_refused() {
    use base64::Engine;
    let s = Server::start(Backend::Sqlite, &[]).expect("start");
    let reg = register(&s, "forge@example.com").await;
    let good = reg["tokens"]["accessToken"]
        .as_str()
        .expect("token")
        .to_string();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = good.split('.').collect();
    let payload: Value =
        serde_json::from_slice(&b64.decode(parts[1]).expect("b64")).expect("claims");
    let none_header = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let rs_header = b64.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let mut elevated = payload.clone();
    elevated["accesses"] = json!(["superadmin"]);
    let mut expired = payload.clone();
    expired["exp"] = json!(1_000_000_000);
    let forged = [
        format!("{none_header}.{}.", parts[1]),
        format!("{rs_header}.{}.{}", parts[1], parts[2]),
        format!(
            "{}.{}.{}",
            parts[0],
            b64.encode(elevated.to_string()),
            parts[2]
        ),
        format!(
            "{}.{}.{}",
            parts[0],
            b64.encode(expired.to_string()),
            parts[2]
        ),
        format!("{}.{}.{}", parts[0], parts[1], b64.encode([7u8; 32])),
    ];
    let c = reqwest::Client::new();
    for token in forged {
        let (status, body) = send(
            c.get(s.url("/api/auth/me"))
                .header("authorization", format!("Bearer {token}")),
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("Invalid token")),
            "{token}"
        );
    }
    let (status, _) = send(c.get(s.url("/api/auth/me")).header("authorization", good)).await;
    assert_eq!(
        status, 200,
        "a raw JWT without the Bearer prefix is accepted"
    );
}
