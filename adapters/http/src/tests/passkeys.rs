//! Passkey routes (API §3.4) over the real use case with a mocked WebAuthn verifier:
//! the ceremony cookie, `ceremonyId` from body or cookie, sign-in cookies, the
//! disabled switch, listing and deleting, the auth limiter.

use bedrud_ports::{
    MockPasskeyVerifier, PasskeyChallenge, PasskeyError, RegisteredCredential, VerifiedAssertion,
};
use poem::http::{HeaderMap, Method, StatusCode};
use serde_json::json;

use super::*;
use crate::RateLimit;
use crate::tests::flow_fakes::Flows;

/// base64url of `good`: the client data the mocked verifier accepts.
const GOOD: &str = "Z29vZA";
/// base64url of `bad`: client data it rejects.
const BAD: &str = "YmFk";

/// A verifier that echoes the user into the options, accepts `good` client data and
/// reports the credential id it was given.
fn verifier() -> MockPasskeyVerifier {
    let mut v = MockPasskeyVerifier::new();
    v.expect_begin_registration().returning(|user, exclude| {
        let options = json!({
            "challenge": "Y2hhbGxlbmdl",
            "rp": {"id": "localhost", "name": "localhost"},
            "user": {"id": user.id, "name": user.name, "displayName": user.display_name},
            "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
            "authenticatorSelection": {
                "residentKey": "required", "requireResidentKey": true,
                "userVerification": "preferred"
            },
            "timeout": 300000,
            "attestation": "none",
            "excludeCredentials": exclude.iter().map(|_| json!({"type": "public-key", "id": "x"})).collect::<Vec<_>>(),
        });
        Ok(PasskeyChallenge {
            options,
            state: "registration".into(),
        })
    });
    v.expect_finish_registration().returning(|_, response| {
        if response.client_data_json == b"good" {
            Ok(RegisteredCredential {
                credential_id: response.credential_id.clone().unwrap_or_default(),
                credential: "stored".into(),
                sign_count: 0,
            })
        } else {
            Err(PasskeyError::Rejected("bad signature".into()))
        }
    });
    v.expect_begin_authentication().returning(|credentials| {
        Ok(PasskeyChallenge {
            options: json!({
                "challenge": "bG9naW4",
                "rpId": "localhost",
                "userVerification": "preferred",
                "timeout": 300000,
                "allowCredentials": credentials.iter().map(|_| json!({"type": "public-key", "id": "x"})).collect::<Vec<_>>(),
            }),
            state: "authentication".into(),
        })
    });
    v.expect_finish_authentication()
        .returning(|_, _, count, response| {
            if response.client_data_json == b"good" {
                Ok(VerifiedAssertion {
                    credential_id: response.credential_id.clone(),
                    sign_count: count + 1,
                    credential: "stored".into(),
                })
            } else {
                Err(PasskeyError::Rejected("bad signature".into()))
            }
        });
    v
}

fn flows() -> Flows {
    Flows {
        verifier: verifier(),
        ..Flows::default()
    }
}

fn passkey_server(config: HttpConfig) -> (Client, World) {
    server_with(World::with_flows(flows()), config)
}

/// Every `Set-Cookie` value.
fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

/// The value a `Set-Cookie` list gives `name`.
fn cookie_value(cookies: &[String], name: &str) -> Option<String> {
    cookies.iter().find_map(|c| {
        let (pair, _) = c.split_once(';').unwrap_or((c, ""));
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}

/// POST `path` with optional bearer, cookie and JSON body.
async fn post(
    cli: &Client,
    path: &str,
    auth: Option<&str>,
    cookie: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, HeaderMap, Value) {
    let mut req = cli.post(path);
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    if let Some(b) = body {
        req = req.body_json(&b);
    }
    read(req.send().await).await
}

/// POST a raw body with a JSON content type.
async fn post_raw(
    cli: &Client,
    path: &str,
    auth: Option<&str>,
    body: &str,
) -> (StatusCode, HeaderMap, Value) {
    let mut req = cli
        .post(path)
        .content_type("application/json")
        .body(body.to_owned());
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    read(req.send().await).await
}

/// Begins a registration as `auth`; returns (ceremony id, its cookie header value).
async fn register_begin(cli: &Client, auth: &str) -> (String, String) {
    let (status, headers, body) = post(
        cli,
        "/api/auth/passkey/register/begin",
        Some(auth),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["ceremonyId"].as_str().unwrap_or_default().to_owned();
    let cookie = cookie_value(&set_cookies(&headers), "bedrud_webauthn").unwrap_or_default();
    assert_eq!(cookie, id);
    (id.clone(), format!("bedrud_webauthn={id}"))
}

/// Registers credential `cred_b64` for `auth` (ceremony id in the body).
async fn add_passkey(cli: &Client, auth: &str, cred_b64: &str) {
    let (id, _) = register_begin(cli, auth).await;
    let (status, _, body) = post(
        cli,
        "/api/auth/passkey/register/finish",
        Some(auth),
        None,
        Some(json!({
            "ceremonyId": id, "credentialId": cred_b64,
            "clientDataJSON": GOOD, "attestationObject": "YXR0"
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn register_begin_answers_both_shapes_and_sets_the_ceremony_cookie() {
    let (cli, _) = passkey_server(HttpConfig::default());
    let auth = bearer(&register(&cli, "alice@example.com").await.0);
    let (status, headers, body) = post(
        &cli,
        "/api/auth/passkey/register/begin",
        Some(&auth),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["ceremonyId"].as_str().unwrap_or_default();
    assert!(id.len() >= 40, "32 random bytes, base64url: {id}");
    assert_eq!(body["user"]["name"], "alice@example.com");
    assert_eq!(body["user"]["displayName"], "Alice");
    assert_eq!(body["challenge"], body["publicKey"]["challenge"]);
    assert_eq!(
        body["publicKey"]["rp"],
        json!({"id": "localhost", "name": "localhost"})
    );
    assert!(body["publicKey"].get("ceremonyId").is_none());
    assert_eq!(
        set_cookies(&headers),
        [format!(
            "bedrud_webauthn={id}; Max-Age=300; Path=/api/auth/passkey; HttpOnly; SameSite=Lax"
        )]
    );
    assert!(
        header(&headers, "x-ratelimit-limit").is_empty(),
        "no limiter on register"
    );

    // The guards come first: no token, and a cookie-only token on a mutation.
    let (status, _, body) = post(&cli, "/api/auth/passkey/register/begin", None, None, None).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            error_body("Missing authorization")
        )
    );
    let access = auth.trim_start_matches("Bearer ");
    let cookie = format!("access_token={access}");
    let (status, _, body) = post(
        &cli,
        "/api/auth/passkey/register/begin",
        None,
        Some(&cookie),
        None,
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            error_body("Authorization header required for state-changing requests")
        )
    );
}

#[tokio::test]
async fn the_ceremony_cookie_is_secure_and_scoped_like_access_token_behind_tls() {
    let (cli, _) = passkey_server(HttpConfig {
        enable_tls: true,
        cookie_domain: "meet.example.com".into(),
        ..HttpConfig::default()
    });
    let auth = bearer(&register(&cli, "alice@example.com").await.0);
    let (status, headers, body) = post(
        &cli,
        "/api/auth/passkey/register/begin",
        Some(&auth),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let id = body["ceremonyId"].as_str().unwrap_or_default();
    assert_eq!(
        set_cookies(&headers),
        [format!(
            "bedrud_webauthn={id}; Max-Age=300; Path=/api/auth/passkey; HttpOnly; Secure; \
             SameSite=None; Domain=meet.example.com"
        )]
    );
}

#[tokio::test]
async fn register_finish_takes_the_ceremony_from_the_body_or_the_cookie() {
    let (cli, world) = passkey_server(HttpConfig::default());
    let auth = bearer(&register(&cli, "alice@example.com").await.0);

    // ceremonyId in the body, no cookie.
    let (id, _) = register_begin(&cli, &auth).await;
    let (status, headers, body) = post(
        &cli,
        "/api/auth/passkey/register/finish",
        Some(&auth),
        None,
        Some(json!({
            "ceremonyId": id, "name": "Laptop", "credentialId": "Y3JlZC0x",
            "clientDataJSON": GOOD, "attestationObject": "YXR0"
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"message": "Passkey registered successfully"}));
    let cleared = set_cookies(&headers);
    assert_eq!(cleared.len(), 1, "{cleared:?}");
    assert!(
        cleared[0]
            .starts_with("bedrud_webauthn=; Max-Age=0; Path=/api/auth/passkey; HttpOnly; Expires="),
        "{cleared:?}"
    );

    // Only the cookie, standard PublicKeyCredential form.
    let (_, cookie) = register_begin(&cli, &auth).await;
    let (status, _, body) = post(
        &cli,
        "/api/auth/passkey/register/finish",
        Some(&auth),
        Some(&cookie),
        Some(json!({
            "id": "Y3JlZC0y", "rawId": "Y3JlZC0y", "type": "public-key",
            "response": {"clientDataJSON": GOOD, "attestationObject": "YXR0"}
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(world.passkeys.rows.lock().map(|r| r.len()).unwrap_or(0), 2);

    // The ceremony is single use.
    let (status, _, body) = post(
        &cli,
        "/api/auth/passkey/register/finish",
        Some(&auth),
        Some(&cookie),
        Some(json!({"clientDataJSON": GOOD, "attestationObject": "YXR0"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            error_body("Challenge not found or expired")
        )
    );

    // A failed verification keeps the cookie.
    let (_, cookie) = register_begin(&cli, &auth).await;
    let (status, headers, body) = post(
        &cli,
        "/api/auth/passkey/register/finish",
        Some(&auth),
        Some(&cookie),
        Some(json!({"clientDataJSON": BAD, "attestationObject": "YXR0"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            error_body("Passkey verification failed")
        )
    );
    assert!(set_cookies(&headers).is_empty());

    // Bodies the domain never sees.
    for raw in ["{not json", "[]", r#"{"clientDataJSON": 5}"#] {
        let (status, _, body) =
            post_raw(&cli, "/api/auth/passkey/register/finish", Some(&auth), raw).await;
        assert_eq!(
            (status, body),
            (StatusCode::BAD_REQUEST, error_body("Invalid input")),
            "{raw}"
        );
    }
    let resp = cli
        .post("/api/auth/passkey/register/finish")
        .header("Authorization", &auth)
        .content_type("text/plain")
        .body(r#"{"clientDataJSON":"Z29vZA"}"#)
        .send()
        .await;
    let (status, _, body) = read(resp).await;
    assert_eq!(
        (status, body),
        (StatusCode::BAD_REQUEST, error_body("Invalid input"))
    );
}

#[tokio::test]
async fn own_passkeys_are_listed_and_deleted() {
    let (cli, _) = passkey_server(HttpConfig::default());
    let auth = bearer(&register(&cli, "alice@example.com").await.0);
    add_passkey(&cli, &auth, "Y3JlZC0x").await;
    let resp = cli
        .get("/api/auth/passkeys")
        .header("Authorization", &auth)
        .send()
        .await;
    let (status, _, body) = read(resp).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let list = body.as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 1, "{body}");
    // Key order depends on serde_json's `preserve_order` feature: compare as a set.
    let mut keys: Vec<&String> = list[0]
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    keys.sort();
    assert_eq!(keys, ["createdAt", "id", "lastUsedAt", "name"]);
    assert_eq!(list[0]["name"], "Passkey");
    assert_eq!(list[0]["lastUsedAt"], Value::Null);
    let id = list[0]["id"].as_str().unwrap_or_default().to_owned();

    // Someone else sees nothing and cannot delete it.
    let other = bearer(&register(&cli, "bob@example.com").await.0);
    let resp = cli
        .get("/api/auth/passkeys")
        .header("Authorization", &other)
        .send()
        .await;
    assert_eq!(read(resp).await.2, json!([]));
    for (who, target) in [
        (&other, id.as_str()),
        (&auth, "not-a-uuid"),
        (&auth, "00000000-0000-4000-8000-000000000001"),
    ] {
        let resp = cli
            .delete(format!("/api/auth/passkeys/{target}"))
            .header("Authorization", who)
            .send()
            .await;
        let (status, _, body) = read(resp).await;
        assert_eq!(
            (status, body),
            (StatusCode::NOT_FOUND, error_body("Passkey not found")),
            "{target}"
        );
    }

    let resp = cli
        .delete(format!("/api/auth/passkeys/{}", id.to_uppercase()))
        .header("Authorization", &auth)
        .send()
        .await;
    let (status, _, body) = read(resp).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"message": "Passkey deleted"}))
    );
    let resp = cli
        .get("/api/auth/passkeys")
        .header("Authorization", &auth)
        .send()
        .await;
    assert_eq!(read(resp).await.2, json!([]));
    let resp = cli.get("/api/auth/passkeys").send().await;
    assert_eq!(read(resp).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn login_signs_in_with_cookies_and_clears_the_ceremony() {
    let (cli, world) = passkey_server(HttpConfig::default());
    let auth = bearer(&register(&cli, "alice@example.com").await.0);
    add_passkey(&cli, &auth, "Y3JlZC0x").await;

    // The optional body: with an email, absent, or unparsable — never a 400.
    let (status, headers, body) = post(
        &cli,
        "/api/auth/passkey/login/begin",
        None,
        None,
        Some(json!({"email": "Alice@Example.com"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["allowCredentials"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["publicKey"]["rpId"], "localhost");
    assert!(!header(&headers, "x-ratelimit-limit").is_empty());
    let (status, _, body) = post(&cli, "/api/auth/passkey/login/begin", None, None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.get("allowCredentials").is_none(),
        "discoverable: {body}"
    );
    let (status, headers, body) =
        post_raw(&cli, "/api/auth/passkey/login/begin", None, "{oops").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ceremony = cookie_value(&set_cookies(&headers), "bedrud_webauthn").unwrap_or_default();
    assert_eq!(body["ceremonyId"], ceremony.as_str());

    // Finish with the cookie only.
    let assertion = json!({
        "credentialId": "Y3JlZC0x", "clientDataJSON": GOOD,
        "authenticatorData": "YXV0aA", "signature": "c2ln"
    });
    let cookie = format!("bedrud_webauthn={ceremony}");
    let (status, headers, body) = post(
        &cli,
        "/api/auth/passkey/login/finish",
        None,
        Some(&cookie),
        Some(assertion.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["email"], "alice@example.com");
    let (access, refresh) = tokens_of(&body);
    let cookies = set_cookies(&headers);
    assert_eq!(cookies.len(), 3, "{cookies:?}");
    assert_eq!(
        cookies[0],
        format!("access_token={access}; Max-Age=900; Path=/; HttpOnly; SameSite=Lax")
    );
    assert_eq!(
        cookies[1],
        format!("refresh_token={refresh}; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax")
    );
    assert!(cookies[2].starts_with("bedrud_webauthn=; Max-Age=0; Path=/api/auth/passkey;"));
    assert!(!header(&headers, "x-ratelimit-limit").is_empty());
    assert!(
        world
            .ceremonies
            .0
            .lock()
            .is_ok_and(|c| !c.contains_key(&ceremony)),
        "consumed"
    );
    let resp = cli
        .get("/api/auth/me")
        .header("Authorization", bearer(&access))
        .send()
        .await;
    assert_eq!(read(resp).await.0, StatusCode::OK);

    // Spent; an unparsable body is `Invalid input`.
    let (status, _, body) = post(
        &cli,
        "/api/auth/passkey/login/finish",
        None,
        Some(&cookie),
        Some(assertion),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            error_body("Challenge not found or expired")
        )
    );
    let (status, _, body) = post_raw(&cli, "/api/auth/passkey/login/finish", None, "nope").await;
    assert_eq!(
        (status, body),
        (StatusCode::BAD_REQUEST, error_body("Invalid input"))
    );
}

#[tokio::test]
async fn signup_creates_a_passkey_account() {
    let (cli, _) = passkey_server(HttpConfig::default());
    let (status, headers, body) = post(
        &cli,
        "/api/auth/passkey/signup/begin",
        None,
        None,
        Some(json!({"email": "New@Example.com", "name": "Newbie"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["name"], "new@example.com");
    assert_eq!(body["publicKey"]["user"]["displayName"], "Newbie");
    assert!(!header(&headers, "x-ratelimit-limit").is_empty());
    let ceremony = body["ceremonyId"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        cookie_value(&set_cookies(&headers), "bedrud_webauthn").as_deref(),
        Some(ceremony.as_str())
    );

    let (status, _, body) = post(
        &cli,
        "/api/auth/passkey/signup/begin",
        None,
        None,
        Some(json!({"email": "x@example.com"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            error_body("Email and Name are required")
        )
    );
    let (status, _, body) = post_raw(
        &cli,
        "/api/auth/passkey/signup/begin",
        None,
        r#"{"email": 1, "name": "Newbie"}"#,
    )
    .await;
    assert_eq!(
        (status, body),
        (StatusCode::BAD_REQUEST, error_body("Invalid input"))
    );

    // ceremonyId in the body.
    let (status, headers, body) = post(
        &cli,
        "/api/auth/passkey/signup/finish",
        None,
        None,
        Some(json!({
            "ceremonyId": ceremony, "credentialId": "Y3JlZC0x",
            "clientDataJSON": GOOD, "attestationObject": "YXR0"
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["provider"], "passkey");
    assert_eq!(body["user"]["email"], "new@example.com");
    let cookies = set_cookies(&headers);
    assert_eq!(cookies.len(), 3, "{cookies:?}");
    assert!(cookies[0].starts_with("access_token="));
    assert!(cookies[1].starts_with("refresh_token="));
    assert!(cookies[2].starts_with("bedrud_webauthn=; Max-Age=0;"));
}

#[tokio::test]
async fn disabled_passkeys_answer_403_before_anything_else() {
    let world = World::with_flows(Flows {
        passkeys_enabled: false,
        ..flows()
    });
    let (cli, _) = server_with(world, HttpConfig::default());
    let auth = bearer(&register(&cli, "alice@example.com").await.0);
    let disabled = (StatusCode::FORBIDDEN, error_body("Passkeys are disabled"));
    for path in [
        "/api/auth/passkey/register/begin",
        "/api/auth/passkey/login/begin",
    ] {
        let (status, headers, body) = post(&cli, path, Some(&auth), None, None).await;
        assert_eq!((status, body), disabled, "{path}");
        assert!(set_cookies(&headers).is_empty());
    }
    for path in [
        "/api/auth/passkey/register/finish",
        "/api/auth/passkey/login/finish",
        "/api/auth/passkey/signup/begin",
        "/api/auth/passkey/signup/finish",
    ] {
        for raw in ["{not json", "{}"] {
            let (status, _, body) = post_raw(&cli, path, Some(&auth), raw).await;
            assert_eq!((status, body), disabled, "{path} {raw}");
        }
        let resp = cli.post(path).header("Authorization", &auth).send().await;
        let (status, _, body) = read(resp).await;
        assert_eq!((status, body), disabled, "{path} without a body");
    }
    let resp = cli
        .get("/api/auth/passkeys")
        .header("Authorization", &auth)
        .send()
        .await;
    let (status, _, body) = read(resp).await;
    assert_eq!((status, body), disabled);
    for id in ["not-a-uuid", "00000000-0000-4000-8000-000000000001"] {
        let resp = cli
            .delete(format!("/api/auth/passkeys/{id}"))
            .header("Authorization", &auth)
            .send()
            .await;
        let (status, _, body) = read(resp).await;
        assert_eq!((status, body), disabled, "{id}");
    }
    // Guards still come first.
    let (status, _, body) = post(&cli, "/api/auth/passkey/register/finish", None, None, None).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::UNAUTHORIZED,
            error_body("Missing authorization")
        )
    );
}

#[tokio::test]
async fn the_auth_limiter_guards_sign_in_ceremonies_only() {
    let (cli, _) = passkey_server(HttpConfig {
        auth_limit: RateLimit::new(1000, 60),
        ..HttpConfig::default()
    });
    let auth = bearer(&register(&cli, "alice@example.com").await.0);
    for (method, path, limited) in [
        (Method::POST, "/api/auth/passkey/login/begin", true),
        (Method::POST, "/api/auth/passkey/login/finish", true),
        (Method::POST, "/api/auth/passkey/signup/begin", true),
        (Method::POST, "/api/auth/passkey/signup/finish", true),
        (Method::POST, "/api/auth/passkey/register/begin", false),
        (Method::POST, "/api/auth/passkey/register/finish", false),
        (Method::GET, "/api/auth/passkeys", false),
        (Method::DELETE, "/api/auth/passkeys/x", false),
    ] {
        let resp = cli
            .request(method.clone(), path)
            .header("Authorization", &auth)
            .body_json(&json!({}))
            .send()
            .await;
        let (status, headers, body) = read(resp).await;
        let got = header(&headers, "x-ratelimit-limit");
        assert_eq!(
            (!got.is_empty()).then_some(got),
            limited.then_some("1000"),
            "{method} {path}: {status} {body}"
        );
    }

    let (cli, _) = passkey_server(HttpConfig {
        auth_limit: RateLimit::new(1, 60),
        ..HttpConfig::default()
    });
    let (status, _, _) = post(&cli, "/api/auth/passkey/signup/finish", None, None, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, headers, body) =
        post(&cli, "/api/auth/passkey/signup/finish", None, None, None).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::TOO_MANY_REQUESTS,
            error_body("too many requests, please try again later")
        )
    );
    assert!(!header(&headers, "retry-after").is_empty());
}

#[test]
fn the_document_describes_the_passkey_operations() {
    let doc: Value = serde_json::from_str(&crate::openapi_json()).expect("json");
    let schemas = &doc["components"]["schemas"];
    for name in [
        "PasskeyCreationBegin",
        "PasskeyRequestBegin",
        "PublicKeyCredentialCreationOptions",
        "PublicKeyCredentialRequestOptions",
        "PasskeyCredential",
        "PasskeySignupRequest",
        "Passkey",
    ] {
        assert!(schemas.get(name).is_some(), "schema {name}");
    }
    let creation = &schemas["PasskeyCreationBegin"]["properties"];
    for field in [
        "ceremonyId",
        "challenge",
        "rp",
        "excludeCredentials",
        "publicKey",
    ] {
        assert!(
            creation.get(field).is_some(),
            "PasskeyCreationBegin.{field}"
        );
    }
    let ops = [
        (
            "/api/auth/passkey/register/begin",
            "post",
            &["401", "403"][..],
        ),
        (
            "/api/auth/passkey/register/finish",
            "post",
            &["400", "401", "403", "413"],
        ),
        ("/api/auth/passkey/login/begin", "post", &["403", "429"]),
        (
            "/api/auth/passkey/login/finish",
            "post",
            &["400", "401", "403", "429"],
        ),
        (
            "/api/auth/passkey/signup/begin",
            "post",
            &["400", "403", "429"],
        ),
        (
            "/api/auth/passkey/signup/finish",
            "post",
            &["400", "403", "429"],
        ),
        ("/api/auth/passkeys", "get", &["401", "403"]),
        (
            "/api/auth/passkeys/{id}",
            "delete",
            &["401", "403", "404", "409"],
        ),
    ];
    for (path, method, statuses) in ops {
        let responses = &doc["paths"][path][method]["responses"];
        assert!(responses.get("200").is_some(), "{method} {path}");
        for status in statuses {
            assert!(responses.get(*status).is_some(), "{method} {path} {status}");
        }
        assert!(
            responses.get("502").is_none(),
            "{method} {path}: no upstream"
        );
    }
    for path in [
        "/api/auth/passkey/register/begin",
        "/api/auth/passkey/login/begin",
        "/api/auth/passkey/signup/begin",
        "/api/auth/passkey/login/finish",
    ] {
        let headers = &doc["paths"][path]["post"]["responses"]["200"]["headers"];
        assert!(headers.get("Set-Cookie").is_some(), "{path}: {headers}");
    }
    let finish = &doc["paths"]["/api/auth/passkey/login/finish"]["post"]["requestBody"];
    assert_eq!(
        finish["content"]["application/json; charset=utf-8"]["schema"]["$ref"],
        "#/components/schemas/PasskeyCredential"
    );
    assert_eq!(
        doc["paths"]["/api/auth/passkey/login/begin"]["post"]["responses"]["200"]["content"]["application/json; charset=utf-8"]
            ["schema"]["$ref"],
        "#/components/schemas/PasskeyRequestBegin"
    );
}
