//! Two instances on one database, requests alternating between them (API §2.3, §2.4,
//! §3.4): accounts, rooms, a passkey ceremony, refresh, logout and revocation behave
//! exactly as on one instance — the same scenario runs against one instance and against
//! two, with the same assertions.
//!
//! A SQLite file shared by two processes is not supported, so these tests need Postgres
//! and follow `postgres_or_skip` (skipped without `BEDRUD_TEST_POSTGRES_URL`, failing
//! instead when `BEDRUD_REQUIRE_POSTGRES=1`).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bedrud_tests::fake_livekit::FakeLivekit;
use bedrud_tests::webauthn::{Device, Form, assertion, attestation};
use bedrud_tests::{Backend, Server, postgres_or_skip};
use common::{User, call};
use serde_json::{Value, json};

const ORIGIN: &str = "https://meet.example.org";
/// Revocation, deactivation and role changes reach every instance within this (§2.3);
/// the margin covers the requests themselves.
const REVOCATION_BOUND: Duration = Duration::from_millis(5_500);

/// The servers of a scenario, handed out in turn: one request here, the next there.
struct Alternate<'a> {
    servers: [&'a Server; 2],
    next: AtomicUsize,
}

impl<'a> Alternate<'a> {
    fn new(first: &'a Server, second: &'a Server) -> Self {
        Alternate {
            servers: [first, second],
            next: AtomicUsize::new(0),
        }
    }

    /// The server for the next request.
    fn next(&self) -> &'a Server {
        self.servers[self.next.fetch_add(1, Ordering::Relaxed) % 2]
    }

    /// The server after `s` (itself on one instance).
    fn other(&self, s: &Server) -> &'a Server {
        if std::ptr::eq(self.servers[0], s) {
            self.servers[1]
        } else {
            self.servers[0]
        }
    }
}

fn start(backend: Backend, lk: &FakeLivekit) -> Server {
    common::start(
        backend,
        lk,
        &[
            ("BEDRUD_AUTH__WEBAUTHN__RP_ID", "example.org"),
            ("BEDRUD_AUTH__WEBAUTHN__RP_ORIGINS", ORIGIN),
        ],
    )
}

fn bearer_of(body: &Value) -> User {
    User {
        id: body["user"]["id"].as_str().expect("id").to_owned(),
        bearer: format!(
            "Bearer {}",
            body["tokens"]["accessToken"].as_str().expect("access")
        ),
        name: body["user"]["name"].as_str().unwrap_or_default().to_owned(),
    }
}

async fn status_of_me(s: &Server, who: &User) -> (u16, Value) {
    common::send(common::get(s, who, "/api/auth/me")).await
}

async fn refresh(s: &Server, token: &str) -> (u16, Value) {
    common::send(
        reqwest::Client::new()
            .post(s.url("/api/auth/refresh"))
            .json(&json!({ "refreshToken": token })),
    )
    .await
}

/// Polls `/auth/me` on `s` until it answers `status` with `error`; fails past the bound.
async fn refused_within_bound(s: &Server, who: &User, status: u16, error: &str, since: Instant) {
    loop {
        let answer = status_of_me(s, who).await;
        if common::err(&answer) == (status, Some(error)) {
            return;
        }
        assert_eq!(answer.0, 200, "before the revocation lands: {}", answer.1);
        assert!(
            since.elapsed() < REVOCATION_BOUND,
            "still accepted {:?} after the revocation",
            since.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn login(s: &Server, email: &str) -> Value {
    let (status, body) = common::send(
        reqwest::Client::new()
            .post(s.url("/api/auth/login"))
            .json(&json!({"email": email, "password": common::PASSWORD})),
    )
    .await;
    assert_eq!(status, 200, "login {email}: {body}");
    body
}

async fn scenario(alt: &Alternate<'_>) {
    // Register here, sign in there, use the token here.
    let alice = common::register(alt.next(), "alice@example.org", "Alice").await;
    let session = login(alt.next(), "alice@example.org").await;
    let alice_b = bearer_of(&session);
    assert_eq!(alice_b.id, alice.id);
    let (status, me) = status_of_me(alt.next(), &alice_b).await;
    assert_eq!(
        (status, me["email"].as_str()),
        (200, Some("alice@example.org"))
    );
    let answer = common::send(
        reqwest::Client::new()
            .post(alt.next().url("/api/auth/register"))
            .json(
                &json!({"email": "alice@example.org", "password": common::PASSWORD,
                          "name": "Alice Again"}),
            ),
    )
    .await;
    assert_eq!(
        common::err(&answer),
        (400, Some("Unable to register with the provided details"))
    );

    // Rooms: create here, join there, list and check elsewhere.
    let room = common::create_room(
        alt.next(),
        &alice,
        json!({"name": "two-instances", "isPublic": true}),
    )
    .await;
    assert_eq!(room["name"], "two-instances");
    let answer = common::send(common::post(
        alt.next(),
        &alice,
        "/api/room/create",
        json!({"name": "two-instances"}),
    ))
    .await;
    assert_eq!(
        common::err(&answer),
        (409, Some("a room with this name already exists"))
    );
    let joined = common::join(alt.next(), &alice_b, "two-instances").await;
    assert_eq!(joined.0, 200, "{}", joined.1);
    assert_eq!(
        common::token_claims(&joined)["video"]["room"],
        "two-instances"
    );
    let bob = common::register(alt.next(), "bob@example.org", "Bob").await;
    let joined = common::join(alt.next(), &bob, "two-instances").await;
    assert_eq!(joined.0, 200, "{}", joined.1);
    let (status, list) = common::send(common::get(alt.next(), &alice, "/api/room/list")).await;
    assert_eq!(status, 200, "{list}");
    let names: Vec<&str> = list
        .as_array()
        .expect("room list")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(names, ["two-instances"]);
    let (status, check) = common::check(alt.next(), "two-instances").await;
    assert_eq!(status, 200, "{check}");
    assert_eq!(check["exists"], true);
    let token = common::refresh_token(alt.next(), &bob, "two-instances").await;
    assert_eq!(common::token_claims(&token)["sub"], bob.id.as_str());

    // A passkey ceremony begun here and finished there, both for registering and login.
    let c = reqwest::Client::new();
    let mut key = Device::new();
    let (status, begun) = common::send(common::post(
        alt.next(),
        &alice,
        "/api/auth/passkey/register/begin",
        json!({}),
    ))
    .await;
    assert_eq!(status, 200, "{begun}");
    let created = key.create(ORIGIN, &begun["publicKey"]).await;
    let ceremony = begun["ceremonyId"].as_str().expect("ceremony");
    let a = call(common::post(
        alt.next(),
        &alice,
        "/api/auth/passkey/register/finish",
        attestation(&created, Form::Standard, Some(ceremony)),
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let (status, begun) = common::send(
        c.post(alt.next().url("/api/auth/passkey/login/begin"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 200, "{begun}");
    let got = key.get(ORIGIN, &begun["publicKey"]).await;
    let ceremony = begun["ceremonyId"].as_str().expect("ceremony");
    let body = assertion(&got, Form::Flat, Some(ceremony));
    let a = call(
        c.post(alt.next().url("/api/auth/passkey/login/finish"))
            .json(&body),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let alice_pk = bearer_of(&a.body);
    assert_eq!(alice_pk.id, alice.id);
    let a = call(
        c.post(alt.next().url("/api/auth/passkey/login/finish"))
            .json(&body),
    )
    .await;
    assert_eq!(
        a.err(),
        (400, Some("Challenge not found or expired")),
        "single use"
    );

    // Refresh: rotate here, the old token there is a lost race (the session lives on),
    // the new one keeps rotating anywhere.
    let refresh_1 = session["tokens"]["refreshToken"].as_str().expect("refresh");
    let (status, pair) = refresh(alt.next(), refresh_1).await;
    assert_eq!(status, 200, "{pair}");
    let refresh_2 = pair["refreshToken"].as_str().expect("refresh").to_owned();
    let (status, body) = refresh(alt.next(), refresh_1).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("Invalid or expired refresh token"))
    );
    let rotated = User {
        bearer: format!("Bearer {}", pair["accessToken"].as_str().expect("access")),
        ..alice_b.clone()
    };
    assert_eq!(status_of_me(alt.next(), &rotated).await.0, 200);
    let (status, pair) = refresh(alt.next(), &refresh_2).await;
    assert_eq!(status, 200, "{pair}");
    let refresh_3 = pair["refreshToken"].as_str().expect("refresh").to_owned();
    let rotated = User {
        bearer: format!("Bearer {}", pair["accessToken"].as_str().expect("access")),
        ..alice_b.clone()
    };

    // Logout of the passkey session here: refused there within the bound.
    let here = alt.next();
    let there = alt.other(here);
    assert_eq!(
        status_of_me(there, &alice_pk).await.0,
        200,
        "warm the other's cache"
    );
    let answer = common::send(common::post(here, &alice_pk, "/api/auth/logout", json!({}))).await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    refused_within_bound(there, &alice_pk, 401, "Invalid token", Instant::now()).await;

    // A password change here revokes the other sessions: the rotated one there.
    let here = alt.next();
    let there = alt.other(here);
    assert_eq!(
        status_of_me(there, &rotated).await.0,
        200,
        "warm the other's cache"
    );
    let answer = common::send(
        reqwest::Client::new()
            .put(here.url("/api/auth/password"))
            .header("authorization", &alice.bearer)
            .json(&json!({"currentPassword": common::PASSWORD,
                          "newPassword": "another long password"})),
    )
    .await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    let revoked_at = Instant::now();
    let (status, _) = refresh(there, &refresh_3).await;
    assert_eq!(
        status, 401,
        "a revoked session's refresh token is refused at once"
    );
    refused_within_bound(there, &rotated, 401, "Invalid token", revoked_at).await;
    assert_eq!(
        status_of_me(there, &alice).await.0,
        200,
        "the changing session stays"
    );

    // Force-logout and deactivation by an admin here reach Bob's session there.
    let admin = common::superadmin(alt.next(), "root@example.org").await;
    let here = alt.next();
    let there = alt.other(here);
    assert_eq!(
        status_of_me(there, &bob).await.0,
        200,
        "warm the other's cache"
    );
    let answer = common::send(common::post(
        here,
        &admin,
        &format!("/api/admin/users/{}/force-logout", bob.id),
        json!({}),
    ))
    .await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    refused_within_bound(there, &bob, 401, "Invalid token", Instant::now()).await;
    let bob_again = bearer_of(&login(alt.next(), "bob@example.org").await);
    let here = alt.next();
    let there = alt.other(here);
    assert_eq!(
        status_of_me(there, &bob_again).await.0,
        200,
        "warm the other's cache"
    );
    let answer = common::send(
        reqwest::Client::new()
            .put(here.url(&format!("/api/admin/users/{}/status", bob.id)))
            .header("authorization", &admin.bearer)
            .json(&json!({"active": false})),
    )
    .await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    let since = Instant::now();
    loop {
        let answer = status_of_me(there, &bob_again).await;
        // Deactivation also revokes every session; either answer refuses the token.
        if matches!(
            common::err(&answer),
            (401, Some("Invalid token")) | (403, Some("Account is deactivated"))
        ) {
            break;
        }
        assert_eq!(answer.0, 200, "{}", answer.1);
        assert!(since.elapsed() < REVOCATION_BOUND, "deactivation not seen");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let answer = common::send(
        reqwest::Client::new()
            .post(alt.next().url("/api/auth/login"))
            .json(&json!({"email": "bob@example.org", "password": common::PASSWORD})),
    )
    .await;
    assert_eq!(common::err(&answer), (401, Some("Invalid credentials")));
}

#[tokio::test(flavor = "multi_thread")]
async fn one_instance_reference() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    let lk = FakeLivekit::start(common::KEY, common::SECRET)
        .await
        .expect("fake LiveKit");
    let s = start(Backend::Postgres(url), &lk);
    scenario(&Alternate::new(&s, &s)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_instances_alternating() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    let lk = FakeLivekit::start(common::KEY, common::SECRET)
        .await
        .expect("fake LiveKit");
    let first = start(Backend::Postgres(url), &lk);
    let second = first.sibling().expect("second instance");
    assert_ne!(first.base, second.base);
    assert_ne!(first.pid(), second.pid());
    scenario(&Alternate::new(&first, &second)).await;
}
