//! OAuth 2.0 / OpenID Connect sign-in through the real binary (API §3.3), against the fake
//! OpenID provider of `bedrud_tests::fake_idp` (discovery, authorize with PKCE, token
//! endpoint with RS256 ID tokens, userinfo, JWKS), on SQLite and Postgres.
//!
//! The provider is configured from the environment (`BEDRUD_AUTH__OAUTH__IDP__…`). Its
//! `redirect_url` names the public host of the web app; the test browser delivers the
//! provider's redirect to the server under test, as a reverse proxy would.

mod common;

use std::collections::HashMap;

use bedrud_tests::fake_idp::{Account, CLIENT_ID, CLIENT_SECRET, FakeIdp, REDIRECT, Tweak};
use bedrud_tests::{Backend, Server, client, postgres_or_skip};
use common::{Answer, call};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// `auth.frontend_url`: where completed sign-ins land.
const FRONTEND: &str = "https://meet.example.org";
const FAILED: &str = "Failed to complete authentication";
const UNSUPPORTED: &str = "Unsupported OAuth provider";

/// A server with provider `idp` (the fake) and provider `off` (placeholder credentials,
/// so not enabled).
fn start(backend: Backend, idp: &FakeIdp, extra: &[(&str, &str)]) -> Server {
    let mut env = vec![
        ("BEDRUD_AUTH__OAUTH__IDP__KIND", "oidc"),
        ("BEDRUD_AUTH__OAUTH__IDP__CLIENT_ID", CLIENT_ID),
        ("BEDRUD_AUTH__OAUTH__IDP__CLIENT_SECRET", CLIENT_SECRET),
        ("BEDRUD_AUTH__OAUTH__IDP__REDIRECT_URL", REDIRECT),
        ("BEDRUD_AUTH__OAUTH__IDP__ISSUER", idp.base.as_str()),
        ("BEDRUD_AUTH__OAUTH__OFF__KIND", "oidc"),
        ("BEDRUD_AUTH__OAUTH__OFF__CLIENT_ID", "your-client-id"),
        ("BEDRUD_AUTH__OAUTH__OFF__CLIENT_SECRET", CLIENT_SECRET),
        ("BEDRUD_AUTH__OAUTH__OFF__REDIRECT_URL", REDIRECT),
        ("BEDRUD_AUTH__OAUTH__OFF__ISSUER", idp.base.as_str()),
        ("BEDRUD_RATE_LIMIT__AUTH_MAX_REQUESTS", "0"),
    ];
    env.extend_from_slice(extra);
    Server::start(backend, &env).expect("start")
}

fn with_frontend(backend: Backend, idp: &FakeIdp) -> Server {
    start(backend, idp, &[("BEDRUD_AUTH__FRONTEND_URL", FRONTEND)])
}

fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .expect("url")
        .query_pairs()
        .into_owned()
        .collect()
}

/// `GET /api/auth/:provider/login` in `browser`: 307 to the provider with the flow cookie.
/// Returns the authorisation URL.
async fn login(s: &Server, browser: &reqwest::Client, query: &str) -> String {
    let a = call(browser.get(s.url(&format!("/api/auth/idp/login{query}")))).await;
    assert_eq!(a.status, 307, "{}", a.body);
    let set = a.cookie("bedrud_oauth").expect("flow cookie").to_owned();
    let lower = set.to_ascii_lowercase();
    for attribute in ["max-age=600", "path=/api/auth", "httponly", "samesite=lax"] {
        assert!(lower.contains(attribute), "{attribute} in {set}");
    }
    a.location.expect("Location")
}

/// The provider's side: the user approves, the provider redirects to `redirect_url`.
/// Returns the callback path and query, for the server under test.
async fn approve(authorization_url: &str) -> String {
    let a = call(
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
            .get(authorization_url),
    )
    .await;
    assert_eq!(a.status, 302, "provider: {}", a.body);
    let location = a.location.expect("provider redirect");
    let rest = location
        .strip_prefix(FRONTEND)
        .unwrap_or_else(|| panic!("redirect to the configured redirect_url: {location}"));
    assert!(rest.starts_with("/api/auth/idp/callback?"), "{rest}");
    rest.to_owned()
}

/// The callback in `browser`.
async fn callback(s: &Server, browser: &reqwest::Client, path_and_query: &str) -> Answer {
    let a = call(browser.get(s.url(path_and_query))).await;
    assert!(
        a.clears("bedrud_oauth"),
        "the flow cookie is cleared: {a:?}"
    );
    a
}

/// A whole sign-in in a new browser; the callback's answer and the browser.
async fn sign_in(s: &Server, redirect: Option<&str>) -> (Answer, reqwest::Client) {
    let browser = client();
    let query = redirect
        .map(|r| {
            format!(
                "?redirect={}",
                url::form_urlencoded::byte_serialize(r.as_bytes()).collect::<String>()
            )
        })
        .unwrap_or_default();
    let url = login(s, &browser, &query).await;
    let back = approve(&url).await;
    (callback(s, &browser, &back).await, browser)
}

/// Asserts a refused callback: the status and message, and no session.
#[track_caller]
fn refused(a: &Answer, status: u16, message: &str) {
    assert_eq!(a.err(), (status, Some(message)), "{a:?}");
    assert!(a.cookie("access_token").is_none() && a.cookie("refresh_token").is_none());
    assert!(a.location.is_none());
}

/// A completed sign-in: 302 to the web app, no tokens in the URL, the auth cookies set;
/// the browser then gets its tokens from `POST /api/auth/refresh`. Returns `/auth/me`.
async fn signed_in(
    s: &Server,
    a: &Answer,
    browser: &reqwest::Client,
    landing: &str,
) -> (Value, String) {
    assert_eq!(a.status, 302, "{a:?}");
    let location = a.location.as_deref().expect("Location");
    assert_eq!(location, landing);
    for secret in ["eyJ", "token", "code=", "state="] {
        assert!(!location.contains(secret), "{secret} in {location}");
    }
    for cookie in ["access_token", "refresh_token"] {
        let set = a
            .cookie(cookie)
            .unwrap_or_else(|| panic!("{cookie} set: {a:?}"));
        assert!(set.to_ascii_lowercase().contains("httponly"), "{set}");
        assert!(!set.to_ascii_lowercase().contains("max-age=0"), "{set}");
    }
    let (status, pair) = common::send(browser.post(s.url("/api/auth/refresh"))).await;
    assert_eq!(status, 200, "refresh with the cookie: {pair}");
    let access = pair["accessToken"]
        .as_str()
        .expect("access token")
        .to_owned();
    let bearer = format!("Bearer {access}");
    let (status, me) = common::send(
        reqwest::Client::new()
            .get(s.url("/api/auth/me"))
            .header("authorization", &bearer),
    )
    .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(common::claims(&access)["provider"], "idp");
    (me, bearer)
}

fn landing(redirect: Option<&str>) -> String {
    match redirect {
        None => format!("{FRONTEND}/auth/callback"),
        Some(encoded) => format!("{FRONTEND}/auth/callback?redirect={encoded}"),
    }
}

// ---- sign-in -------------------------------------------------------------------------------

async fn accounts(s: Server, idp: FakeIdp) {
    let (status, settings) =
        common::send(reqwest::Client::new().get(s.url("/api/auth/settings"))).await;
    assert_eq!(status, 200);
    assert_eq!(
        settings["oauthProviders"],
        json!(["idp"]),
        "configured and enabled only"
    );

    // The login step: PKCE S256, server-made state and nonce, a caller's state ignored.
    let browser = client();
    let url = login(&s, &browser, "?state=mine").await;
    assert!(
        url.starts_with(&format!("{}/authorize?", idp.base)),
        "{url}"
    );
    let q = query(&url);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["redirect_uri"], REDIRECT);
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    let scopes: Vec<&str> = q["scope"].split(' ').collect();
    for scope in ["openid", "email", "profile"] {
        assert!(scopes.contains(&scope), "{scope} in {scopes:?}");
    }
    assert_ne!(q["state"], "mine");
    assert_eq!(q["state"].len(), 43, "32 random bytes, base64url");
    assert!(q["nonce"].len() >= 16, "nonce {}", q["nonce"]);
    let second = query(&login(&s, &client(), "").await);
    assert_ne!(second["state"], q["state"]);
    assert_ne!(second["nonce"], q["nonce"]);

    // First sign-in creates the account; the redirect path travels along.
    let (a, browser) = sign_in(&s, Some("/room/abc-defg-hij")).await;
    let (me, _) = signed_in(&s, &a, &browser, &landing(Some("%2Froom%2Fabc-defg-hij"))).await;
    assert_eq!(me["email"], "alice@example.org");
    assert_eq!(me["name"], "Alice Liddell");
    assert_eq!(me["provider"], "idp");
    assert_eq!(me["avatarUrl"], "https://img.example.org/alice.png");
    assert_eq!(me["accesses"], json!(["user"]));
    assert!(
        me["emailVerifiedAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{me}"
    );
    let alice = me["id"].as_str().expect("id").to_owned();

    // The second reuses it, with the provider's new name; an unsafe redirect is dropped.
    idp.account(Account {
        name: "Alice P. Liddell".into(),
        ..Account::default()
    });
    let (a, browser) = sign_in(&s, Some("//evil.example.org/x")).await;
    let (me, _) = signed_in(&s, &a, &browser, &landing(None)).await;
    assert_eq!(me["id"], alice.as_str());
    assert_eq!(me["name"], "Alice P. Liddell");

    // A provider that gives no email: an account with an empty email, named `User`…
    idp.account(Account {
        sub: "mailless-1".into(),
        email: String::new(),
        email_verified: false,
        name: String::new(),
        picture: String::new(),
    });
    let (a, browser) = sign_in(&s, None).await;
    let (me, _) = signed_in(&s, &a, &browser, &landing(None)).await;
    assert_eq!(me["email"], "");
    assert_eq!(me["name"], "User");
    assert_eq!(me["emailVerifiedAt"], Value::Null);
    let mailless = me["id"].as_str().expect("id").to_owned();
    assert_ne!(mailless, alice);
    // …the same subject comes back to it, another email-less subject gets its own.
    let (a, browser) = sign_in(&s, None).await;
    assert_eq!(
        signed_in(&s, &a, &browser, &landing(None)).await.0["id"],
        mailless.as_str()
    );
    idp.account(Account {
        sub: "mailless-2".into(),
        email: String::new(),
        email_verified: false,
        name: "Second".into(),
        picture: String::new(),
    });
    let (a, browser) = sign_in(&s, None).await;
    let (me, _) = signed_in(&s, &a, &browser, &landing(None)).await;
    assert_ne!(
        me["id"],
        mailless.as_str(),
        "email-less accounts do not collapse"
    );
    assert_ne!(me["id"], alice.as_str());

    // A verified email of a local account: 409, never merged. Unverified: not used.
    common::register(&s, "bob@example.org", "Bob").await;
    idp.account(Account {
        sub: "bob-at-idp".into(),
        email: "bob@example.org".into(),
        ..Account::default()
    });
    let (a, _) = sign_in(&s, None).await;
    refused(
        &a,
        409,
        "An account with this email already exists via a different sign-in method",
    );
    idp.account(Account {
        sub: "bob-at-idp".into(),
        email: "bob@example.org".into(),
        email_verified: false,
        ..Account::default()
    });
    let (a, browser) = sign_in(&s, None).await;
    let (me, _) = signed_in(&s, &a, &browser, &landing(None)).await;
    assert_eq!(me["email"], "", "an unverified email is not taken");

    // A deactivated account is refused; reactivated, it signs in again.
    let admin = common::superadmin(&s, "root@example.org").await;
    let status_of = |active: bool| {
        reqwest::Client::new()
            .put(s.url(&format!("/api/admin/users/{alice}/status")))
            .header("authorization", &admin.bearer)
            .json(&json!({ "active": active }))
    };
    let (status, body) = common::send(status_of(false)).await;
    assert_eq!(status, 200, "{body}");
    idp.account(Account::default());
    let (a, _) = sign_in(&s, None).await;
    refused(&a, 403, "Account is deactivated");
    let (status, _) = common::send(status_of(true)).await;
    assert_eq!(status, 200);
    let (a, browser) = sign_in(&s, None).await;
    assert_eq!(
        signed_in(&s, &a, &browser, &landing(None)).await.0["id"],
        alice.as_str()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn accounts_on_sqlite() {
    let idp = FakeIdp::start().await;
    accounts(with_frontend(Backend::Sqlite, &idp), idp).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn accounts_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    let idp = FakeIdp::start().await;
    accounts(with_frontend(Backend::Postgres(url), &idp), idp).await;
}

// ---- refused callbacks ---------------------------------------------------------------------

/// Replaces the `state` of a callback path and query.
fn with_state(path_and_query: &str, state: &str) -> String {
    let mut q = query(&format!("http://x{path_and_query}"));
    q.insert("state".into(), state.into());
    let encoded: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(q.iter())
        .finish();
    format!("/api/auth/idp/callback?{encoded}")
}

fn state_of(path_and_query: &str) -> String {
    query(&format!("http://x{path_and_query}"))["state"].clone()
}

/// A sign-in whose ID token is made as `tweak` says: refused with 400.
async fn refused_token(s: &Server, idp: &FakeIdp, tweak: Tweak, what: &str) {
    idp.tweak(tweak);
    let (a, _) = sign_in(s, None).await;
    assert_eq!(a.err(), (400, Some(FAILED)), "{what}: {a:?}");
    refused(&a, 400, FAILED);
    idp.tweak(Tweak::default());
}

async fn refusals(s: Server, idp: FakeIdp) {
    // Tampered state.
    let browser = client();
    let back = approve(&login(&s, &browser, "").await).await;
    let state = state_of(&back);
    let mut tampered = state.clone().into_bytes();
    tampered[0] = if tampered[0] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ASCII");
    let a = callback(&s, &browser, &with_state(&back, &tampered)).await;
    refused(&a, 400, FAILED);
    let a = callback(
        &s,
        &browser,
        &back.replace(&format!("state={state}"), "x=1"),
    )
    .await;
    refused(&a, 400, FAILED);

    // Replayed state: the flow is single use.
    let browser = client();
    let back = approve(&login(&s, &browser, "").await).await;
    let a = callback(&s, &browser, &back).await;
    signed_in(&s, &a, &browser, &landing(None)).await;
    let a = callback(&s, &browser, &back).await;
    refused(&a, 400, FAILED);
    // Even with a fresh flow cookie in the browser.
    login(&s, &browser, "").await;
    let a = callback(&s, &browser, &back).await;
    refused(&a, 400, FAILED);

    // State from another browser (cookie mismatch, or no cookie): refused, and the flow
    // is spent, so the right browser cannot finish it afterwards either.
    let victim = client();
    let back = approve(&login(&s, &victim, "").await).await;
    let attacker = client();
    login(&s, &attacker, "").await;
    let a = callback(&s, &attacker, &back).await;
    refused(&a, 400, FAILED);
    let a = callback(&s, &victim, &back).await;
    refused(&a, 400, FAILED);
    let victim = client();
    let back = approve(&login(&s, &victim, "").await).await;
    let a = callback(&s, &reqwest::Client::new(), &back).await;
    refused(&a, 400, FAILED);

    // An expired flow (aged in the database; flows are stored under the SHA-256 of state).
    let browser = client();
    let back = approve(&login(&s, &browser, "").await).await;
    let id = hex(&Sha256::digest(state_of(&back).as_bytes()));
    s.sql(&format!(
        "UPDATE ceremonies SET expires_at = created_at WHERE id = '{id}'"
    ))
    .await
    .expect("age the flow");
    let a = callback(&s, &browser, &back).await;
    refused(&a, 400, FAILED);

    // The provider's `error`, or no code.
    let browser = client();
    let url = login(&s, &browser, "").await;
    let state = query(&url)["state"].clone();
    let a = callback(
        &s,
        &browser,
        &format!("/api/auth/idp/callback?error=access_denied&state={state}"),
    )
    .await;
    refused(&a, 400, FAILED);
    let browser = client();
    let url = login(&s, &browser, "").await;
    let state = query(&url)["state"].clone();
    let a = callback(
        &s,
        &browser,
        &format!("/api/auth/idp/callback?state={state}"),
    )
    .await;
    refused(&a, 400, FAILED);

    // A code the provider does not accept: the exchange fails upstream → 502.
    let browser = client();
    let back = approve(&login(&s, &browser, "").await).await;
    let q = query(&format!("http://x{back}"));
    let forged = format!(
        "/api/auth/idp/callback?code=code-forged&state={}",
        q["state"]
    );
    let a = callback(&s, &browser, &forged).await;
    refused(&a, 502, FAILED);

    // ID tokens that must not pass, for an account not seen yet.
    idp.account(Account {
        sub: "fresh-1".into(),
        email: "fresh@example.org".into(),
        ..Account::default()
    });
    refused_token(
        &s,
        &idp,
        Tweak {
            nonce: Some("not-the-flow-nonce".into()),
            ..Tweak::default()
        },
        "wrong nonce",
    )
    .await;
    refused_token(
        &s,
        &idp,
        Tweak {
            exp_in: Some(-3600),
            ..Tweak::default()
        },
        "expired",
    )
    .await;
    refused_token(
        &s,
        &idp,
        Tweak {
            foreign_key: true,
            ..Tweak::default()
        },
        "signed with a key not in the JWKS",
    )
    .await;
    refused_token(
        &s,
        &idp,
        Tweak {
            hs256: true,
            ..Tweak::default()
        },
        "HS256 with the client secret",
    )
    .await;
    refused_token(
        &s,
        &idp,
        Tweak {
            aud: Some(json!("another-client")),
            ..Tweak::default()
        },
        "for another client",
    )
    .await;
    refused_token(
        &s,
        &idp,
        Tweak {
            iss: Some("https://evil.example.org".into()),
            ..Tweak::default()
        },
        "from another issuer",
    )
    .await;

    // None of that created an account (only the replay section's sign-in did); a
    // correct sign-in does.
    let admin = common::superadmin(&s, "root@example.org").await;
    assert_eq!(provider_accounts(&s, &admin).await, 1);
    let (a, browser) = sign_in(&s, None).await;
    let (me, _) = signed_in(&s, &a, &browser, &landing(None)).await;
    assert_eq!(me["email"], "fresh@example.org");
    assert_eq!(provider_accounts(&s, &admin).await, 2);
}

/// How many accounts provider `idp` made (admin list, `provider=idp`).
async fn provider_accounts(s: &Server, admin: &common::User) -> u64 {
    let (status, list) = common::send(common::get(s, admin, "/api/admin/users?provider=idp")).await;
    assert_eq!(status, 200, "{list}");
    list["total"].as_u64().expect("total")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_on_sqlite() {
    let idp = FakeIdp::start().await;
    refusals(with_frontend(Backend::Sqlite, &idp), idp).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    let idp = FakeIdp::start().await;
    refusals(with_frontend(Backend::Postgres(url), &idp), idp).await;
}

// ---- providers that do not exist, registration off, no frontend_url ------------------------

#[tokio::test(flavor = "multi_thread")]
async fn unknown_and_disabled_providers_registration_off_and_same_origin_landing() {
    let idp = FakeIdp::start().await;
    let s = start(
        Backend::Sqlite,
        &idp,
        &[("BEDRUD_AUTH__REGISTRATION_ENABLED", "false")],
    );
    let c = reqwest::Client::new();
    for path in [
        "/api/auth/off/login",
        "/api/auth/nope/login",
        "/api/auth/local/login",
        "/api/auth/off/callback?code=c&state=s",
        "/api/auth/nope/callback?code=c&state=s",
    ] {
        let a = call(c.get(s.url(path))).await;
        assert_eq!(a.err(), (404, Some(UNSUPPORTED)), "{path}");
        assert!(a.cookie("access_token").is_none());
    }
    let (_, settings) = common::send(c.get(s.url("/api/auth/settings"))).await;
    assert_eq!(settings["oauthProviders"], json!(["idp"]));
    assert_eq!(settings["registrationEnabled"], false);

    // A new account needs registration.
    let (a, _) = sign_in(&s, None).await;
    refused(&a, 403, "Registration is currently disabled");

    // Switched on in the runtime settings row: the sign-in lands on the same origin.
    s.sql("UPDATE runtime_settings SET registration_enabled = true WHERE id = 1")
        .await
        .expect("runtime setting");
    let (a, browser) = sign_in(&s, Some("/rooms")).await;
    let (me, _) = signed_in(&s, &a, &browser, "/auth/callback?redirect=%2Frooms").await;
    assert_eq!(me["email"], "alice@example.org");
}

// ---- the built-in kinds through their endpoint keys ---------------------------------------

/// A whole sign-in with `provider` in a new browser, landing on `frontend_url`; `/auth/me`.
async fn sign_in_with(s: &Server, provider: &str) -> Value {
    let browser = client();
    let a = call(browser.get(s.url(&format!("/api/auth/{provider}/login")))).await;
    assert_eq!(a.status, 307, "{provider}: {}", a.body);
    let url = a.location.expect("Location");
    let q = query(&url);
    assert_eq!(
        q["redirect_uri"],
        format!("{FRONTEND}/api/auth/{provider}/callback")
    );
    assert_eq!(q["code_challenge_method"], "S256");
    let a = call(
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
            .get(&url),
    )
    .await;
    assert_eq!(a.status, 302, "provider: {}", a.body);
    let location = a.location.expect("provider redirect");
    let back = location.strip_prefix(FRONTEND).expect("to redirect_url");
    let a = callback(s, &browser, back).await;
    assert_eq!(a.status, 302, "{provider}: {a:?}");
    assert_eq!(a.location.as_deref(), Some(landing(None).as_str()));
    let (status, pair) = common::send(browser.post(s.url("/api/auth/refresh"))).await;
    assert_eq!(status, 200, "{pair}");
    let access = pair["accessToken"].as_str().expect("access token");
    assert_eq!(common::claims(access)["provider"], provider);
    let (status, me) = common::send(
        reqwest::Client::new()
            .get(s.url("/api/auth/me"))
            .header("authorization", format!("Bearer {access}")),
    )
    .await;
    assert_eq!(status, 200, "{me}");
    me
}

/// `google`, `github` and `twitter` tables whose endpoint keys (`authorization_url`,
/// `token_url`, `jwks_url`, `issuer`, `profile_url`, `emails_url`) point at the fake
/// provider, as for GitHub Enterprise Server or a proxy: each signs in through the binary
/// with its own rules (Google's ID token, GitHub's numeric id and primary verified email,
/// X's user id and no email).
#[tokio::test(flavor = "multi_thread")]
async fn google_github_and_twitter_sign_in_through_their_endpoint_keys() {
    let idp = FakeIdp::start().await;
    let base = idp.base.as_str();
    let at = |path: &str| format!("{base}{path}");
    let mut env: Vec<(String, String)> = vec![
        ("BEDRUD_AUTH__FRONTEND_URL".into(), FRONTEND.into()),
        ("BEDRUD_RATE_LIMIT__AUTH_MAX_REQUESTS".into(), "0".into()),
    ];
    let keys = [
        (
            "gsuite",
            "google",
            vec![("JWKS_URL", at("/jwks")), ("ISSUER", base.to_owned())],
        ),
        (
            "ghe",
            "github",
            vec![
                ("PROFILE_URL", at("/user")),
                ("EMAILS_URL", at("/user/emails")),
            ],
        ),
        ("x", "twitter", vec![("PROFILE_URL", at("/2/users/me"))]),
    ];
    for (name, kind, extra) in keys {
        let var = |key: &str| format!("BEDRUD_AUTH__OAUTH__{}__{key}", name.to_uppercase());
        env.push((var("KIND"), kind.into()));
        env.push((var("CLIENT_ID"), CLIENT_ID.into()));
        env.push((var("CLIENT_SECRET"), CLIENT_SECRET.into()));
        env.push((
            var("REDIRECT_URL"),
            format!("{FRONTEND}/api/auth/{name}/callback"),
        ));
        env.push((var("AUTHORIZATION_URL"), at("/authorize")));
        env.push((var("TOKEN_URL"), at("/token")));
        for (key, value) in extra {
            env.push((var(key), value));
        }
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let s = Server::start(Backend::Sqlite, &env).expect("start");
    let (_, settings) = common::send(reqwest::Client::new().get(s.url("/api/auth/settings"))).await;
    let mut names: Vec<String> =
        serde_json::from_value(settings["oauthProviders"].clone()).expect("provider names");
    names.sort();
    assert_eq!(names, ["ghe", "gsuite", "x"]);

    let me = sign_in_with(&s, "gsuite").await;
    assert_eq!(me["email"], "alice@example.org");
    assert_eq!(me["name"], "Alice Liddell");

    // GitHub's own email (another account has Alice's): its primary verified one.
    idp.github_emails(json!([
        {"email": "alice@example.org", "primary": false, "verified": true},
        {"email": "octo@example.org", "primary": true, "verified": true}
    ]));
    let me = sign_in_with(&s, "ghe").await;
    assert_eq!(me["email"], "octo@example.org");
    assert_eq!(me["name"], "Alice Liddell");

    let me = sign_in_with(&s, "x").await;
    assert_eq!(me["email"], "", "X gives no email");
    assert_eq!(me["name"], "XDevelopers");

    let token_auth = idp.token_auth();
    assert_eq!(
        token_auth,
        ["post", "post", "basic"],
        "X authenticates with Basic"
    );
}
