//! Passkeys through the real binary (API §3.4), on SQLite and Postgres, with 1Password's
//! passkey-rs as browser and authenticator: a WebAuthn client and a CTAP2 authenticator
//! holding its credential in memory. Every ceremony is a real one — options from the
//! server, a credential or assertion signed by the software authenticator, the finish
//! verified by the server.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bedrud_tests::webauthn::{Device, Form, assertion, attestation};
use bedrud_tests::{Backend, Server, client, postgres_or_skip};
use common::{Answer, User, call};
use serde_json::{Value, json};

/// The RP id; both origins below are on it.
const RP_ID: &str = "example.org";
const ORIGIN: &str = "https://meet.example.org";
/// A second configured origin (the list form of `rp_origins`).
const APP_ORIGIN: &str = "https://app.example.org:8443";
/// On the RP id, but not configured.
const EVIL_ORIGIN: &str = "https://evil.example.org";

const REGISTER_BEGIN: &str = "/api/auth/passkey/register/begin";
const REGISTER_FINISH: &str = "/api/auth/passkey/register/finish";
const LOGIN_BEGIN: &str = "/api/auth/passkey/login/begin";
const LOGIN_FINISH: &str = "/api/auth/passkey/login/finish";
const SIGNUP_BEGIN: &str = "/api/auth/passkey/signup/begin";
const SIGNUP_FINISH: &str = "/api/auth/passkey/signup/finish";

const CHALLENGE_NOT_FOUND: &str = "Challenge not found or expired";
const SIGNUP_NOT_FOUND: &str = "Signup session expired or not found";
const AUTH_FAILED: &str = "authentication verification failed";
const VERIFICATION_FAILED: &str = "Passkey verification failed";

// ---- the server --------------------------------------------------------------------------

fn start(backend: Backend, extra: &[(&str, &str)]) -> Server {
    let origins = format!("{ORIGIN}, {APP_ORIGIN}");
    let mut env = vec![
        ("BEDRUD_AUTH__WEBAUTHN__RP_ID", RP_ID),
        ("BEDRUD_AUTH__WEBAUTHN__RP_ORIGINS", origins.as_str()),
        ("BEDRUD_AUTH__WEBAUTHN__RP_NAME", "Example Meet"),
        ("BEDRUD_RATE_LIMIT__AUTH_MAX_REQUESTS", "0"),
    ];
    env.extend_from_slice(extra);
    Server::start(backend, &env).expect("start")
}

fn post(
    c: &reqwest::Client,
    s: &Server,
    path: &str,
    bearer: Option<&str>,
    body: &Value,
) -> reqwest::RequestBuilder {
    let req = c.post(s.url(path)).json(body);
    match bearer {
        Some(b) => req.header("authorization", b),
        None => req,
    }
}

/// A begin step: 200, `ceremonyId` in the body and in `bedrud_webauthn`, the options flat
/// and under `publicKey` alike. Returns the body.
async fn begin(
    c: &reqwest::Client,
    s: &Server,
    path: &str,
    bearer: Option<&str>,
    body: &Value,
) -> Value {
    let a = call(post(c, s, path, bearer, body)).await;
    assert_eq!(a.status, 200, "{path}: {}", a.body);
    let id = a.body["ceremonyId"].as_str().expect("ceremonyId");
    assert!(id.len() >= 32, "ceremony id {id}");
    let set = a.cookie("bedrud_webauthn").expect("ceremony cookie");
    let lower = set.to_ascii_lowercase();
    assert!(set.starts_with(&format!("bedrud_webauthn={id};")), "{set}");
    for attribute in ["max-age=300", "path=/api/auth/passkey", "httponly"] {
        assert!(lower.contains(attribute), "{attribute} in {set}");
    }
    let options = a.body["publicKey"].as_object().expect("publicKey options");
    assert!(!options.is_empty());
    for (key, value) in options {
        assert_eq!(&a.body[key], value, "flat {key} = publicKey.{key}");
    }
    let challenge = URL_SAFE_NO_PAD
        .decode(a.body["challenge"].as_str().expect("challenge"))
        .expect("challenge is base64url");
    assert_eq!(challenge.len(), 32);
    a.body
}

fn ceremony(begun: &Value) -> &str {
    begun["ceremonyId"].as_str().expect("ceremonyId")
}

/// Ages a ceremony past its five minutes, directly in the database.
async fn expire(s: &Server, ceremony: &str) {
    assert!(
        ceremony
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    );
    s.sql(&format!(
        "UPDATE ceremonies SET expires_at = created_at WHERE id = '{ceremony}'"
    ))
    .await
    .expect("age the ceremony");
}

// ---- accounts ----------------------------------------------------------------------------

/// The signed-in user of a LoginResponse; checks its tokens and the cookies of the
/// answer (auth cookies set, `bedrud_webauthn` cleared).
fn signed_in(a: &Answer) -> User {
    assert_eq!(a.status, 200, "{}", a.body);
    let access = a.body["tokens"]["accessToken"].as_str().expect("access");
    let refresh = a.body["tokens"]["refreshToken"].as_str().expect("refresh");
    let claims = common::claims(access);
    assert_eq!(claims["typ"], "access");
    assert_eq!(claims["userId"], a.body["user"]["id"]);
    assert_eq!(common::claims(refresh)["typ"], "refresh");
    assert!(
        a.cookie("access_token")
            .is_some_and(|c| c.starts_with(&format!("access_token={access};"))),
        "{:?}",
        a.set_cookies
    );
    assert!(
        a.cookie("refresh_token")
            .is_some_and(|c| c.starts_with(&format!("refresh_token={refresh};"))),
        "{:?}",
        a.set_cookies
    );
    assert!(a.clears("bedrud_webauthn"), "{:?}", a.set_cookies);
    User {
        id: a.body["user"]["id"].as_str().expect("id").to_owned(),
        bearer: format!("Bearer {access}"),
        name: a.body["user"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    }
}

async fn me(s: &Server, who: &User) -> Value {
    let (status, body) = common::send(common::get(s, who, "/api/auth/me")).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn list(s: &Server, who: &User) -> Vec<Value> {
    let (status, body) = common::send(common::get(s, who, "/api/auth/passkeys")).await;
    assert_eq!(status, 200, "{body}");
    body.as_array().expect("array").clone()
}

/// Registers a passkey for `who` on `device` (begin on `on`, finish on `finish_on`, body
/// form `form`, ceremony in the JSON); returns the finish answer.
async fn add_passkey(
    on: &Server,
    finish_on: &Server,
    who: &User,
    device: &mut Device,
    form: Form,
    label: Option<&str>,
) -> Answer {
    let c = reqwest::Client::new();
    let begun = begin(&c, on, REGISTER_BEGIN, Some(&who.bearer), &json!({})).await;
    let created = device.create(ORIGIN, &begun["publicKey"]).await;
    let mut body = attestation(&created, form, Some(ceremony(&begun)));
    if let Some(label) = label {
        body["name"] = json!(label);
    }
    call(post(
        &c,
        finish_on,
        REGISTER_FINISH,
        Some(&who.bearer),
        &body,
    ))
    .await
}

/// A discoverable passkey login: begin on `on`, sign at `origin`, finish on `finish_on`
/// with the ceremony in the JSON.
async fn login(
    on: &Server,
    finish_on: &Server,
    device: &mut Device,
    origin: &str,
    form: Form,
) -> Answer {
    let c = reqwest::Client::new();
    let begun = begin(&c, on, LOGIN_BEGIN, None, &json!({})).await;
    let got = device.get(origin, &begun["publicKey"]).await;
    let body = assertion(&got, form, Some(ceremony(&begun)));
    call(post(&c, finish_on, LOGIN_FINISH, None, &body)).await
}

// ---- register → list → login → delete ----------------------------------------------------

async fn register_list_login_delete(s: Server) {
    let alice = common::register(&s, "alice@example.org", "Alice").await;
    let mut laptop = Device::new();

    // register/begin: the options of the contract, for this user.
    let c = client();
    let begun = begin(&c, &s, REGISTER_BEGIN, Some(&alice.bearer), &json!({})).await;
    assert_eq!(begun["rp"], json!({"id": RP_ID, "name": "Example Meet"}));
    assert_eq!(
        begun["user"],
        json!({"id": URL_SAFE_NO_PAD.encode(alice.id.as_bytes()), "name": "alice@example.org",
               "displayName": "Alice"})
    );
    assert_eq!(begun["excludeCredentials"], json!([]));
    assert_eq!(begun["attestation"], "none");
    assert_eq!(begun["timeout"], 300_000);
    assert_eq!(
        begun["authenticatorSelection"],
        json!({"residentKey": "required", "requireResidentKey": true,
               "userVerification": "preferred"})
    );
    // Registering needs the caller's token.
    let a = call(c.post(s.url(REGISTER_BEGIN)).json(&json!({}))).await;
    assert_eq!(a.err(), (401, Some("Missing authorization")));

    // Finish in the flat form with the ceremony from the cookie (the cookie-keeping client).
    let created = laptop.create(ORIGIN, &begun["publicKey"]).await;
    let mut body = attestation(&created, Form::Flat, None);
    body["name"] = json!("Laptop");
    let a = call(post(&c, &s, REGISTER_FINISH, Some(&alice.bearer), &body)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.body,
        json!({"message": "Passkey registered successfully"})
    );
    assert!(a.clears("bedrud_webauthn"), "{:?}", a.set_cookies);

    let passkeys = list(&s, &alice).await;
    assert_eq!(passkeys.len(), 1, "{passkeys:?}");
    let laptop_id = passkeys[0]["id"].as_str().expect("id").to_owned();
    assert_eq!(laptop_id.len(), 36, "a UUID: {laptop_id}");
    assert_eq!(passkeys[0]["name"], "Laptop");
    assert!(
        passkeys[0]["createdAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert_eq!(passkeys[0]["lastUsedAt"], Value::Null);

    // The next registration excludes the stored credential.
    let again = begin(
        &reqwest::Client::new(),
        &s,
        REGISTER_BEGIN,
        Some(&alice.bearer),
        &json!({}),
    )
    .await;
    assert_eq!(
        again["excludeCredentials"],
        json!([{"type": "public-key", "id": URL_SAFE_NO_PAD.encode(created.raw_id.as_slice())}])
    );

    // A second passkey from the other configured origin, standard form, default label.
    let mut phone = Device::new();
    let begun = begin(
        &reqwest::Client::new(),
        &s,
        REGISTER_BEGIN,
        Some(&alice.bearer),
        &json!({}),
    )
    .await;
    let created_phone = phone.create(APP_ORIGIN, &begun["publicKey"]).await;
    let a = call(post(
        &reqwest::Client::new(),
        &s,
        REGISTER_FINISH,
        Some(&alice.bearer),
        &attestation(&created_phone, Form::Standard, Some(ceremony(&begun))),
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let passkeys = list(&s, &alice).await;
    assert_eq!(passkeys.len(), 2);
    assert_eq!(passkeys[0]["name"], "Passkey", "newest first: {passkeys:?}");
    assert_eq!(passkeys[1]["name"], "Laptop");
    let phone_id = passkeys[0]["id"].as_str().expect("id").to_owned();

    // Discoverable login, standard form, ceremony from the cookie.
    let browser = client();
    let begun = begin(&browser, &s, LOGIN_BEGIN, None, &json!({})).await;
    assert_eq!(begun["rpId"], RP_ID);
    assert_eq!(begun["userVerification"], "preferred");
    assert!(
        begun.get("allowCredentials").is_none(),
        "discoverable: {begun}"
    );
    let got = laptop.get(ORIGIN, &begun["publicKey"]).await;
    assert_eq!(
        got.response.user_handle.as_ref().map(|h| h.to_vec()),
        Some(alice.id.as_bytes().to_vec()),
        "the user handle is the user id"
    );
    let a = call(post(
        &browser,
        &s,
        LOGIN_FINISH,
        None,
        &assertion(&got, Form::Standard, None),
    ))
    .await;
    let session = signed_in(&a);
    assert_eq!(session.id, alice.id);
    assert_eq!(a.body["user"]["provider"], "local");
    assert_eq!(
        common::claims(a.body["tokens"]["accessToken"].as_str().expect("t"))["provider"],
        "local"
    );
    assert_eq!(me(&s, &session).await["email"], "alice@example.org");
    // The browser's cookies carry the new session.
    let (status, body) = common::send(browser.post(s.url("/api/auth/refresh"))).await;
    assert_eq!(status, 200, "refresh with the cookie: {body}");

    // With an email hint: allowCredentials lists her passkeys; flat form, ceremony in JSON.
    let c = reqwest::Client::new();
    let begun = begin(
        &c,
        &s,
        LOGIN_BEGIN,
        None,
        &json!({"email": " Alice@Example.ORG "}),
    )
    .await;
    let mut allowed: Vec<&str> = begun["allowCredentials"]
        .as_array()
        .expect("allowCredentials")
        .iter()
        .map(|d| {
            assert_eq!(d["type"], "public-key");
            d["id"].as_str().expect("id")
        })
        .collect();
    allowed.sort_unstable();
    let mut expected = vec![
        URL_SAFE_NO_PAD.encode(created.raw_id.as_slice()),
        URL_SAFE_NO_PAD.encode(created_phone.raw_id.as_slice()),
    ];
    expected.sort_unstable();
    assert_eq!(allowed, expected);
    let got = phone.get(APP_ORIGIN, &begun["publicKey"]).await;
    let a = call(post(
        &c,
        &s,
        LOGIN_FINISH,
        None,
        &assertion(&got, Form::Flat, Some(ceremony(&begun))),
    ))
    .await;
    assert_eq!(signed_in(&a).id, alice.id);

    // An unknown email: an empty list, nothing revealed.
    let begun = begin(
        &c,
        &s,
        LOGIN_BEGIN,
        None,
        &json!({"email": "nobody@example.org"}),
    )
    .await;
    assert_eq!(begun["allowCredentials"], json!([]));
    // The login of an unknown email cannot end in Alice's account.
    let got = laptop
        .get(
            ORIGIN,
            &json!({"challenge": begun["challenge"], "rpId": RP_ID,
                                         "userVerification": "preferred"}),
        )
        .await;
    let a = call(post(
        &c,
        &s,
        LOGIN_FINISH,
        None,
        &assertion(&got, Form::Flat, Some(ceremony(&begun))),
    ))
    .await;
    assert_eq!(a.err(), (401, Some("passkey not found")));

    let passkeys = list(&s, &alice).await;
    for p in &passkeys {
        assert!(
            p["lastUsedAt"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{p}"
        );
    }

    // Delete the laptop's passkey: gone from the list, and it signs in no more.
    let (status, body) = common::send(
        reqwest::Client::new()
            .delete(s.url(&format!("/api/auth/passkeys/{laptop_id}")))
            .header("authorization", &alice.bearer),
    )
    .await;
    assert_eq!(
        (status, body.clone()),
        (200, json!({"message": "Passkey deleted"}))
    );
    let passkeys = list(&s, &alice).await;
    assert_eq!(passkeys.len(), 1);
    assert_eq!(passkeys[0]["id"], phone_id.as_str());
    let a = login(&s, &s, &mut laptop, ORIGIN, Form::Flat).await;
    assert_eq!(a.err(), (401, Some("passkey not found")));
    for id in [laptop_id.as_str(), "not-a-uuid"] {
        let answer = common::send(
            reqwest::Client::new()
                .delete(s.url(&format!("/api/auth/passkeys/{id}")))
                .header("authorization", &alice.bearer),
        )
        .await;
        assert_eq!(
            common::err(&answer),
            (404, Some("Passkey not found")),
            "{id}"
        );
    }
    // Someone else cannot delete (or see) Alice's passkey.
    let bob = common::register(&s, "bob@example.org", "Bob").await;
    assert!(list(&s, &bob).await.is_empty());
    let answer = common::send(
        reqwest::Client::new()
            .delete(s.url(&format!("/api/auth/passkeys/{phone_id}")))
            .header("authorization", &bob.bearer),
    )
    .await;
    assert_eq!(common::err(&answer), (404, Some("Passkey not found")));
    // Alice (she has a password) may delete her last passkey.
    let (status, _) = common::send(
        reqwest::Client::new()
            .delete(s.url(&format!("/api/auth/passkeys/{phone_id}")))
            .header("authorization", &alice.bearer),
    )
    .await;
    assert_eq!(status, 200);
    assert!(list(&s, &alice).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn register_list_login_delete_on_sqlite() {
    register_list_login_delete(start(Backend::Sqlite, &[])).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn register_list_login_delete_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    register_list_login_delete(start(Backend::Postgres(url), &[])).await;
}

// ---- sign-up with only a passkey ---------------------------------------------------------

async fn signup_then_login(s: Server) {
    let browser = client();
    let begun = begin(
        &browser,
        &s,
        SIGNUP_BEGIN,
        None,
        &json!({"email": " Carol@Example.ORG ", "name": " Carol <Ann> "}),
    )
    .await;
    assert_eq!(begun["user"]["name"], "carol@example.org");
    assert_eq!(begun["user"]["displayName"], "Carol Ann", "sanitised");
    assert_eq!(begun["excludeCredentials"], json!([]));
    assert_eq!(begun["rp"]["id"], RP_ID);
    let handle = URL_SAFE_NO_PAD
        .decode(begun["user"]["id"].as_str().expect("user.id"))
        .expect("base64url");
    let future_id = String::from_utf8(handle).expect("UTF-8 user id");
    assert_eq!(future_id.len(), 36, "a UUID: {future_id}");

    let mut key = Device::new();
    let created = key.create(ORIGIN, &begun["publicKey"]).await;
    // Padded base64url, flat, ceremony from the cookie.
    let body = attestation(&created, Form::FlatPadded, None);
    let a = call(post(&browser, &s, SIGNUP_FINISH, None, &body)).await;
    let carol = signed_in(&a);
    assert_eq!(carol.id, future_id);
    let user = &a.body["user"];
    assert_eq!(user["email"], "carol@example.org");
    assert_eq!(user["name"], "Carol Ann");
    assert_eq!(user["provider"], "passkey");
    assert_eq!(user["accesses"], json!(["user"]));
    assert_eq!(user["isActive"], true);
    assert_eq!(me(&s, &carol).await["provider"], "passkey");

    // The same body again: the ceremony is gone.
    let a = call(post(&browser, &s, SIGNUP_FINISH, None, &body)).await;
    assert_eq!(a.err(), (400, Some(SIGNUP_NOT_FOUND)));

    // Sign in with the new passkey (discoverable, standard form).
    let a = login(&s, &s, &mut key, ORIGIN, Form::Standard).await;
    let again = signed_in(&a);
    assert_eq!(again.id, carol.id);
    assert_eq!(a.body["user"]["provider"], "passkey");
    assert_ne!(again.bearer, carol.bearer, "a new session");

    // Her only sign-in method cannot be deleted; she has no password to log in with.
    let passkeys = list(&s, &again).await;
    assert_eq!(passkeys.len(), 1);
    let id = passkeys[0]["id"].as_str().expect("id");
    let answer = common::send(
        reqwest::Client::new()
            .delete(s.url(&format!("/api/auth/passkeys/{id}")))
            .header("authorization", &again.bearer),
    )
    .await;
    assert_eq!(
        common::err(&answer),
        (409, Some("Cannot delete your only sign-in method"))
    );
    let answer = common::send(
        reqwest::Client::new()
            .post(s.url("/api/auth/login"))
            .json(&json!({"email": "carol@example.org", "password": common::PASSWORD})),
    )
    .await;
    assert_eq!(common::err(&answer), (401, Some("Invalid credentials")));

    // The email is taken now, by whatever method; bad input is refused.
    let c = reqwest::Client::new();
    for (body, expected) in [
        (
            json!({"email": "carol@example.org", "name": "Carol Two"}),
            (400, Some("Unable to register with the provided details")),
        ),
        (
            json!({"email": "", "name": "Nobody"}),
            (400, Some("Email and Name are required")),
        ),
        (
            json!({"email": "not an email", "name": "Nobody"}),
            (400, Some("Invalid email format")),
        ),
        (
            json!({"email": "dave@example.org", "name": "D"}),
            (400, Some("Name must be between 2 and 100 characters")),
        ),
    ] {
        let a = call(post(&c, &s, SIGNUP_BEGIN, None, &body)).await;
        assert_eq!(a.err(), expected, "{body}");
    }
    common::register(&s, "erin@example.org", "Erin").await;
    let a = call(post(
        &c,
        &s,
        SIGNUP_BEGIN,
        None,
        &json!({"email": "ERIN@example.org", "name": "Erin"}),
    ))
    .await;
    assert_eq!(
        a.err(),
        (400, Some("Unable to register with the provided details"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn signup_then_login_on_sqlite() {
    signup_then_login(start(Backend::Sqlite, &[])).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn signup_then_login_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    signup_then_login(start(Backend::Postgres(url), &[])).await;
}

// ---- refusals ------------------------------------------------------------------------------

async fn refusals(s: Server) {
    let alice = common::register(&s, "alice@example.org", "Alice").await;
    let mut key = Device::new();
    let a = add_passkey(&s, &s, &alice, &mut key, Form::Flat, None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let c = reqwest::Client::new();

    // A replayed assertion: its ceremony is gone, and under a new ceremony its challenge
    // is the wrong one.
    let begun = begin(&c, &s, LOGIN_BEGIN, None, &json!({})).await;
    let got = key.get(ORIGIN, &begun["publicKey"]).await;
    let body = assertion(&got, Form::Flat, Some(ceremony(&begun)));
    signed_in(&call(post(&c, &s, LOGIN_FINISH, None, &body)).await);
    let a = call(post(&c, &s, LOGIN_FINISH, None, &body)).await;
    assert_eq!(a.err(), (400, Some(CHALLENGE_NOT_FOUND)), "replayed");
    let fresh = begin(&c, &s, LOGIN_BEGIN, None, &json!({})).await;
    let replay = assertion(&got, Form::Flat, Some(ceremony(&fresh)));
    let a = call(post(&c, &s, LOGIN_FINISH, None, &replay)).await;
    assert_eq!(
        a.err(),
        (401, Some(AUTH_FAILED)),
        "replayed into a new ceremony"
    );

    // A wrong origin (on the RP id, not configured): refused at login and registration.
    let a = login(&s, &s, &mut key, EVIL_ORIGIN, Form::Flat).await;
    assert_eq!(
        a.err(),
        (401, Some(AUTH_FAILED)),
        "login from {EVIL_ORIGIN}"
    );
    let begun = begin(&c, &s, REGISTER_BEGIN, Some(&alice.bearer), &json!({})).await;
    let created = Device::new().create(EVIL_ORIGIN, &begun["publicKey"]).await;
    let body = attestation(&created, Form::Flat, Some(ceremony(&begun)));
    let a = call(post(&c, &s, REGISTER_FINISH, Some(&alice.bearer), &body)).await;
    assert_eq!(
        a.err(),
        (400, Some(VERIFICATION_FAILED)),
        "register from {EVIL_ORIGIN}"
    );

    // A wrong RP id: a credential scoped to `meet.example.org` (allowed for the origin by
    // the browser, but not our RP id), at registration and at login.
    let begun = begin(&c, &s, REGISTER_BEGIN, Some(&alice.bearer), &json!({})).await;
    let mut options = begun["publicKey"].clone();
    options["rp"]["id"] = json!("meet.example.org");
    let created = Device::new().create(ORIGIN, &options).await;
    let body = attestation(&created, Form::Standard, Some(ceremony(&begun)));
    let a = call(post(&c, &s, REGISTER_FINISH, Some(&alice.bearer), &body)).await;
    assert_eq!(
        a.err(),
        (400, Some(VERIFICATION_FAILED)),
        "register for another RP id"
    );
    let mut scoped = key.passkey();
    scoped.rp_id = "meet.example.org".into();
    let mut elsewhere = Device::holding(Some(scoped));
    let begun = begin(&c, &s, LOGIN_BEGIN, None, &json!({})).await;
    let mut options = begun["publicKey"].clone();
    options["rpId"] = json!("meet.example.org");
    let got = elsewhere.get(ORIGIN, &options).await;
    let a = call(post(
        &c,
        &s,
        LOGIN_FINISH,
        None,
        &assertion(&got, Form::Flat, Some(ceremony(&begun))),
    ))
    .await;
    assert_eq!(a.err(), (401, Some(AUTH_FAILED)), "login for another RP id");

    // The genuine device still signs in (the failures above did not count against it).
    signed_in(&login(&s, &s, &mut key, ORIGIN, Form::Flat).await);

    // An expired ceremony (aged in the database): login, registration and sign-up.
    let begun = begin(&c, &s, LOGIN_BEGIN, None, &json!({})).await;
    let got = key.get(ORIGIN, &begun["publicKey"]).await;
    expire(&s, ceremony(&begun)).await;
    let a = call(post(
        &c,
        &s,
        LOGIN_FINISH,
        None,
        &assertion(&got, Form::Flat, Some(ceremony(&begun))),
    ))
    .await;
    assert_eq!(a.err(), (400, Some(CHALLENGE_NOT_FOUND)), "expired login");
    let begun = begin(&c, &s, REGISTER_BEGIN, Some(&alice.bearer), &json!({})).await;
    let created = Device::new().create(ORIGIN, &begun["publicKey"]).await;
    expire(&s, ceremony(&begun)).await;
    let a = call(post(
        &c,
        &s,
        REGISTER_FINISH,
        Some(&alice.bearer),
        &attestation(&created, Form::Flat, Some(ceremony(&begun))),
    ))
    .await;
    assert_eq!(
        a.err(),
        (400, Some(CHALLENGE_NOT_FOUND)),
        "expired registration"
    );
    let begun = begin(
        &c,
        &s,
        SIGNUP_BEGIN,
        None,
        &json!({"email": "late@example.org", "name": "Late"}),
    )
    .await;
    let created = Device::new().create(ORIGIN, &begun["publicKey"]).await;
    expire(&s, ceremony(&begun)).await;
    let a = call(post(
        &c,
        &s,
        SIGNUP_FINISH,
        None,
        &attestation(&created, Form::Flat, Some(ceremony(&begun))),
    ))
    .await;
    assert_eq!(a.err(), (400, Some(SIGNUP_NOT_FOUND)), "expired sign-up");

    // A reused ceremony: a second finish of a registration, by the same or another device.
    let begun = begin(&c, &s, REGISTER_BEGIN, Some(&alice.bearer), &json!({})).await;
    let created = Device::new().create(ORIGIN, &begun["publicKey"]).await;
    let body = attestation(&created, Form::Flat, Some(ceremony(&begun)));
    let a = call(post(&c, &s, REGISTER_FINISH, Some(&alice.bearer), &body)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = call(post(&c, &s, REGISTER_FINISH, Some(&alice.bearer), &body)).await;
    assert_eq!(
        a.err(),
        (400, Some(CHALLENGE_NOT_FOUND)),
        "registration finished twice"
    );
    let other = Device::new().create(ORIGIN, &begun["publicKey"]).await;
    let a = call(post(
        &c,
        &s,
        REGISTER_FINISH,
        Some(&alice.bearer),
        &attestation(&other, Form::Flat, Some(ceremony(&begun))),
    ))
    .await;
    assert_eq!(
        a.err(),
        (400, Some(CHALLENGE_NOT_FOUND)),
        "registration ceremony reused"
    );
    // Another user's registration ceremony, and a ceremony of another kind.
    let bob = common::register(&s, "bob@example.org", "Bob").await;
    let begun = begin(&c, &s, REGISTER_BEGIN, Some(&alice.bearer), &json!({})).await;
    let created = Device::new().create(ORIGIN, &begun["publicKey"]).await;
    let body = attestation(&created, Form::Flat, Some(ceremony(&begun)));
    let a = call(post(&c, &s, REGISTER_FINISH, Some(&bob.bearer), &body)).await;
    assert_eq!(
        a.err(),
        (400, Some(CHALLENGE_NOT_FOUND)),
        "Alice's ceremony, Bob's finish"
    );
    let a = call(post(&c, &s, SIGNUP_FINISH, None, &body)).await;
    assert_eq!(
        a.err(),
        (400, Some(SIGNUP_NOT_FOUND)),
        "a registration ceremony at sign-up"
    );
    let a = call(post(&c, &s, REGISTER_FINISH, Some(&alice.bearer), &body)).await;
    assert_eq!(a.status, 200, "still Alice's to finish: {}", a.body);
    // Five failed finishes delete the ceremony: the sixth, genuine one finds none.
    let begun = begin(&c, &s, LOGIN_BEGIN, None, &json!({})).await;
    let got = key.get(ORIGIN, &begun["publicKey"]).await;
    let good = assertion(&got, Form::Flat, Some(ceremony(&begun)));
    let mut bad = good.clone();
    let mut signature = URL_SAFE_NO_PAD
        .decode(good["signature"].as_str().expect("signature"))
        .expect("b64");
    if let Some(last) = signature.last_mut() {
        *last ^= 0x01;
    }
    bad["signature"] = json!(URL_SAFE_NO_PAD.encode(&signature));
    for attempt in 1..=5 {
        let a = call(post(&c, &s, LOGIN_FINISH, None, &bad)).await;
        assert_eq!(
            a.err(),
            (401, Some(AUTH_FAILED)),
            "tampered signature, attempt {attempt}"
        );
    }
    let a = call(post(&c, &s, LOGIN_FINISH, None, &good)).await;
    assert_eq!(
        a.err(),
        (400, Some(CHALLENGE_NOT_FOUND)),
        "deleted after five failures"
    );

    // A cloned authenticator: the copy's counter lags behind the original's → 401.
    let mut clone = Device::holding(Some(key.passkey()));
    signed_in(&login(&s, &s, &mut key, ORIGIN, Form::Flat).await);
    let a = login(&s, &s, &mut clone, ORIGIN, Form::Flat).await;
    assert_eq!(a.err(), (401, Some(AUTH_FAILED)), "sign counter went back");
    signed_in(&login(&s, &s, &mut key, ORIGIN, Form::Standard).await);

    // A user handle that is not the credential's user.
    let begun = begin(&c, &s, LOGIN_BEGIN, None, &json!({})).await;
    let got = key.get(ORIGIN, &begun["publicKey"]).await;
    let mut body = assertion(&got, Form::Flat, Some(ceremony(&begun)));
    body["userHandle"] = json!(URL_SAFE_NO_PAD.encode(bob.id.as_bytes()));
    let a = call(post(&c, &s, LOGIN_FINISH, None, &body)).await;
    assert_eq!(a.err(), (401, Some(AUTH_FAILED)), "foreign user handle");

    // Malformed finishes.
    let begun = begin(&c, &s, LOGIN_BEGIN, None, &json!({})).await;
    let got = key.get(ORIGIN, &begun["publicKey"]).await;
    let good = assertion(&got, Form::Flat, Some(ceremony(&begun)));
    for (field, value, expected) in [
        ("clientDataJSON", json!(null), (400, Some("Invalid input"))),
        (
            "credentialId",
            json!("***"),
            (400, Some("Invalid credentialId encoding")),
        ),
        (
            "clientDataJSON",
            json!("***"),
            (400, Some("Invalid clientDataJSON encoding")),
        ),
        (
            "authenticatorData",
            json!("***"),
            (400, Some("Invalid authenticatorData encoding")),
        ),
        (
            "signature",
            json!("***"),
            (400, Some("Invalid signature encoding")),
        ),
        (
            "ceremonyId",
            json!("no-such-ceremony"),
            (400, Some(CHALLENGE_NOT_FOUND)),
        ),
    ] {
        let mut body = good.clone();
        body[field] = value;
        let a = call(post(&c, &s, LOGIN_FINISH, None, &body)).await;
        assert_eq!(a.err(), expected, "{field}");
    }
    let mut body = good.clone();
    body.as_object_mut().expect("object").remove("ceremonyId");
    let a = call(post(&c, &s, LOGIN_FINISH, None, &body)).await;
    assert_eq!(
        a.err(),
        (400, Some(CHALLENGE_NOT_FOUND)),
        "no ceremony id and no cookie"
    );
    let a = call(c.post(s.url(LOGIN_FINISH)).body("not json")).await;
    assert_eq!(a.err(), (400, Some("Invalid input")));
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_on_sqlite() {
    refusals(start(Backend::Sqlite, &[])).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    refusals(start(Backend::Postgres(url), &[])).await;
}

// ---- the ceremony id: JSON or cookie -----------------------------------------------------

async fn ceremony_from_json_or_cookie(s: Server) {
    let alice = common::register(&s, "alice@example.org", "Alice").await;
    let mut key = Device::new();

    // Registration: cookie only.
    let browser = client();
    let begun = begin(
        &browser,
        &s,
        REGISTER_BEGIN,
        Some(&alice.bearer),
        &json!({}),
    )
    .await;
    let created = key.create(ORIGIN, &begun["publicKey"]).await;
    let a = call(post(
        &browser,
        &s,
        REGISTER_FINISH,
        Some(&alice.bearer),
        &attestation(&created, Form::Standard, None),
    ))
    .await;
    assert_eq!(a.status, 200, "register with the cookie: {}", a.body);

    // Login: the cookie-less client (desktop) names the ceremony in the JSON.
    let desktop = reqwest::Client::new();
    let begun = begin(&desktop, &s, LOGIN_BEGIN, None, &json!({})).await;
    let got = key.get(ORIGIN, &begun["publicKey"]).await;
    let a = call(post(
        &desktop,
        &s,
        LOGIN_FINISH,
        None,
        &assertion(&got, Form::Flat, None),
    ))
    .await;
    assert_eq!(
        a.err(),
        (400, Some(CHALLENGE_NOT_FOUND)),
        "no id, no cookie"
    );
    let a = call(post(
        &desktop,
        &s,
        LOGIN_FINISH,
        None,
        &assertion(&got, Form::Flat, Some(ceremony(&begun))),
    ))
    .await;
    assert_eq!(signed_in(&a).id, alice.id, "ceremony from the JSON");

    // Login: the browser sends only the cookie.
    let browser = client();
    let begun = begin(&browser, &s, LOGIN_BEGIN, None, &json!({})).await;
    let got = key.get(ORIGIN, &begun["publicKey"]).await;
    let a = call(post(
        &browser,
        &s,
        LOGIN_FINISH,
        None,
        &assertion(&got, Form::Standard, None),
    ))
    .await;
    assert_eq!(signed_in(&a).id, alice.id, "ceremony from the cookie");

    // The body's id wins over the cookie: a cookie of one ceremony, the JSON of another.
    let browser = client();
    let first = begin(&browser, &s, LOGIN_BEGIN, None, &json!({})).await;
    let second = begin(&browser, &s, LOGIN_BEGIN, None, &json!({})).await;
    assert_ne!(ceremony(&first), ceremony(&second));
    let got = key.get(ORIGIN, &first["publicKey"]).await;
    // The cookie now names `second`; the assertion answers `first`'s challenge.
    let a = call(post(
        &browser,
        &s,
        LOGIN_FINISH,
        None,
        &assertion(&got, Form::Flat, None),
    ))
    .await;
    assert_eq!(
        a.err(),
        (401, Some(AUTH_FAILED)),
        "cookie = second ceremony"
    );
    let a = call(post(
        &browser,
        &s,
        LOGIN_FINISH,
        None,
        &assertion(&got, Form::Flat, Some(ceremony(&first))),
    ))
    .await;
    assert_eq!(signed_in(&a).id, alice.id, "JSON = first ceremony");

    // Sign-up with the id in the JSON, from a cookie-less client.
    let begun = begin(
        &desktop,
        &s,
        SIGNUP_BEGIN,
        None,
        &json!({"email": "dan@example.org", "name": "Dan"}),
    )
    .await;
    let mut dans = Device::new();
    let created = dans.create(ORIGIN, &begun["publicKey"]).await;
    let a = call(post(
        &desktop,
        &s,
        SIGNUP_FINISH,
        None,
        &attestation(&created, Form::Standard, Some(ceremony(&begun))),
    ))
    .await;
    let dan = signed_in(&a);
    assert_eq!(a.body["user"]["provider"], "passkey");
    assert_eq!(
        signed_in(&login(&s, &s, &mut dans, ORIGIN, Form::Standard).await).id,
        dan.id
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ceremony_from_json_or_cookie_on_sqlite() {
    ceremony_from_json_or_cookie(start(Backend::Sqlite, &[])).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ceremony_from_json_or_cookie_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    ceremony_from_json_or_cookie(start(Backend::Postgres(url), &[])).await;
}

// ---- two instances -------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_ceremony_begun_on_one_instance_finishes_on_another() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    let one = start(Backend::Postgres(url), &[]);
    let two = one.sibling().expect("second instance");
    let alice = common::register(&one, "alice@example.org", "Alice").await;
    let mut key = Device::new();

    let a = add_passkey(&one, &two, &alice, &mut key, Form::Flat, Some("Key")).await;
    assert_eq!(
        a.status, 200,
        "register begun on one, finished on two: {}",
        a.body
    );
    assert_eq!(list(&two, &alice).await.len(), 1);
    let a = login(&two, &one, &mut key, ORIGIN, Form::Standard).await;
    assert_eq!(
        signed_in(&a).id,
        alice.id,
        "login begun on two, finished on one"
    );
    let a = login(&one, &two, &mut key, ORIGIN, Form::Flat).await;
    let session = signed_in(&a);
    assert_eq!(me(&one, &session).await["id"], alice.id.as_str());

    // Sign-up across instances, with the cookie.
    let browser = client();
    let begun = begin(
        &browser,
        &two,
        SIGNUP_BEGIN,
        None,
        &json!({"email": "eve@example.org", "name": "Eve"}),
    )
    .await;
    let mut eves = Device::new();
    let created = eves.create(ORIGIN, &begun["publicKey"]).await;
    // The cookie is host-only (127.0.0.1), so the browser sends it to either instance.
    let a = call(post(
        &browser,
        &one,
        SIGNUP_FINISH,
        None,
        &attestation(&created, Form::Flat, None),
    ))
    .await;
    let eve = signed_in(&a);
    // A ceremony finished on one instance is gone on the other.
    let a = call(post(
        &browser,
        &two,
        SIGNUP_FINISH,
        None,
        &attestation(&created, Form::Flat, Some(ceremony(&begun))),
    ))
    .await;
    assert_eq!(a.err(), (400, Some(SIGNUP_NOT_FOUND)));
    assert_eq!(
        signed_in(&login(&one, &two, &mut eves, ORIGIN, Form::Flat).await).id,
        eve.id
    );

    // The counter is shared: a clone is caught on the other instance.
    let mut clone = Device::holding(Some(key.passkey()));
    signed_in(&login(&one, &one, &mut key, ORIGIN, Form::Flat).await);
    let a = login(&two, &two, &mut clone, ORIGIN, Form::Flat).await;
    assert_eq!(a.err(), (401, Some(AUTH_FAILED)));
}

// ---- switched off ----------------------------------------------------------------------------

async fn disabled(s: Server) {
    let (status, settings) =
        common::send(reqwest::Client::new().get(s.url("/api/auth/settings"))).await;
    assert_eq!(status, 200);
    assert_eq!(settings["passkeysEnabled"], false);
    let alice = common::register(&s, "alice@example.org", "Alice").await;
    let c = reqwest::Client::new();
    let some_body = json!({"ceremonyId": "x", "credentialId": "AAAA", "clientDataJSON": "AAAA",
                           "attestationObject": "AAAA", "authenticatorData": "AAAA",
                           "signature": "AAAA", "email": "alice@example.org", "name": "Alice"});
    let requests = vec![
        (
            "register/begin",
            post(&c, &s, REGISTER_BEGIN, Some(&alice.bearer), &json!({})),
        ),
        (
            "register/begin without body",
            c.post(s.url(REGISTER_BEGIN))
                .header("authorization", &alice.bearer),
        ),
        (
            "register/finish",
            post(&c, &s, REGISTER_FINISH, Some(&alice.bearer), &some_body),
        ),
        (
            "register/finish unparsable",
            c.post(s.url(REGISTER_FINISH))
                .header("authorization", &alice.bearer)
                .body("{"),
        ),
        (
            "login/begin",
            post(
                &c,
                &s,
                LOGIN_BEGIN,
                None,
                &json!({"email": "alice@example.org"}),
            ),
        ),
        ("login/begin without body", c.post(s.url(LOGIN_BEGIN))),
        ("login/finish", post(&c, &s, LOGIN_FINISH, None, &some_body)),
        ("login/finish without body", c.post(s.url(LOGIN_FINISH))),
        ("signup/begin", post(&c, &s, SIGNUP_BEGIN, None, &some_body)),
        (
            "signup/begin empty",
            post(&c, &s, SIGNUP_BEGIN, None, &json!({})),
        ),
        (
            "signup/finish",
            post(&c, &s, SIGNUP_FINISH, None, &some_body),
        ),
        (
            "signup/finish unparsable",
            c.post(s.url(SIGNUP_FINISH))
                .header("content-type", "application/json")
                .body("[1,"),
        ),
        (
            "list",
            c.get(s.url("/api/auth/passkeys"))
                .header("authorization", &alice.bearer),
        ),
        (
            "delete",
            c.delete(s.url("/api/auth/passkeys/00000000-0000-4000-8000-000000000000"))
                .header("authorization", &alice.bearer),
        ),
        (
            "delete malformed",
            c.delete(s.url("/api/auth/passkeys/nope"))
                .header("authorization", &alice.bearer),
        ),
    ];
    for (what, req) in requests {
        let a = call(req).await;
        assert_eq!(a.err(), (403, Some("Passkeys are disabled")), "{what}");
        assert!(
            a.cookie("bedrud_webauthn").is_none(),
            "{what}: no ceremony cookie"
        );
    }
    // The guards still come first on the user routes.
    let a = call(c.get(s.url("/api/auth/passkeys"))).await;
    assert_eq!(a.err(), (401, Some("Missing authorization")));
}

#[tokio::test(flavor = "multi_thread")]
async fn disabled_passkeys_answer_403_everywhere_on_sqlite() {
    disabled(start(
        Backend::Sqlite,
        &[("BEDRUD_AUTH__PASSKEYS_ENABLED", "false")],
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn disabled_passkeys_answer_403_everywhere_on_postgres() {
    let Some(url) = postgres_or_skip().await else {
        return;
    };
    disabled(start(
        Backend::Postgres(url),
        &[("BEDRUD_AUTH__PASSKEYS_ENABLED", "false")],
    ))
    .await;
}
