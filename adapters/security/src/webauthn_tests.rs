//! The verifier against a real software authenticator (1Password's passkey-rs): a
//! WebAuthn client and CTAP2 authenticator with an in-memory credential store.

use bedrud_tests::webauthn::Device;
use passkey::types::Bytes;
use passkey::types::webauthn::{AuthenticatedPublicKeyCredential, CreatedPublicKeyCredential};
use serde_json::json;

use super::*;

fn verifier(rp_id: &str, origins: &[&str]) -> WebauthnVerifier {
    WebauthnVerifier::new(&WebauthnConfig {
        rp_id: rp_id.into(),
        rp_name: String::new(),
        rp_origins: origins.iter().map(|o| (*o).to_owned()).collect(),
    })
    .expect("valid config")
}

fn alice() -> PasskeyUser {
    PasskeyUser {
        id: "9b2c1d52-0000-4000-8000-000000000001".into(),
        name: "alice@example.org".into(),
        display_name: "Alice".into(),
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn attestation_of(created: &CreatedPublicKeyCredential) -> AttestationResponse {
    AttestationResponse {
        credential_id: Some(created.raw_id.to_vec()),
        client_data_json: created.response.client_data_json.to_vec(),
        attestation_object: created.response.attestation_object.to_vec(),
    }
}

fn assertion_of(got: &AuthenticatedPublicKeyCredential) -> AssertionResponse {
    AssertionResponse {
        credential_id: got.raw_id.to_vec(),
        client_data_json: got.response.client_data_json.to_vec(),
        authenticator_data: got.response.authenticator_data.to_vec(),
        signature: got.response.signature.to_vec(),
        user_handle: got.response.user_handle.as_ref().map(|h| h.to_vec()),
    }
}

/// Registers a passkey for `alice` at `origin`; returns the stored credential.
async fn register(
    verifier: &WebauthnVerifier,
    client: &mut Device,
    origin: &str,
) -> RegisteredCredential {
    let challenge = verifier
        .begin_registration(&alice(), &[])
        .expect("begin registration");
    let created = client.create(origin, &challenge.options).await;
    verifier
        .finish_registration(&challenge.state, &attestation_of(&created))
        .expect("registration verifies")
}

/// Signs in at `origin` with whatever credential the authenticator picks.
async fn authenticate(
    verifier: &WebauthnVerifier,
    client: &mut Device,
    origin: &str,
    stored: &RegisteredCredential,
    sign_count: i64,
    allow: &[String],
) -> Result<VerifiedAssertion, PasskeyError> {
    let challenge = verifier.begin_authentication(allow).expect("begin login");
    let got = client.get(origin, &challenge.options).await;
    verifier.finish_authentication(
        &challenge.state,
        &stored.credential,
        sign_count,
        &assertion_of(&got),
    )
}

/// Asserts a rejection whose (log-only) reason mentions `needle`.
#[track_caller]
fn assert_rejected(err: PasskeyError, needle: &str) {
    match err {
        PasskeyError::Rejected(reason) => assert!(reason.contains(needle), "{reason}"),
        other => panic!("expected a rejection for {needle}, got {other:?}"),
    }
}

#[test]
fn creation_options_have_the_contract_shape() {
    let v = verifier("meet.example.org", &["https://meet.example.org"]);
    let challenge = v
        .begin_registration(&alice(), &[b"old-credential".to_vec()])
        .expect("begin");
    let o = &challenge.options;
    let keys: Vec<&str> = o
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = CREATION_FIELDS.to_vec();
    expected.sort_unstable();
    let mut keys_sorted = keys.clone();
    keys_sorted.sort_unstable();
    assert_eq!(keys_sorted, expected);
    assert_eq!(
        o["rp"],
        json!({"id": "meet.example.org", "name": "meet.example.org"})
    );
    assert_eq!(
        o["user"],
        json!({"id": b64(alice().id.as_bytes()), "name": "alice@example.org",
               "displayName": "Alice"})
    );
    assert_eq!(
        o["pubKeyCredParams"],
        json!([{"type": "public-key", "alg": -7}, {"type": "public-key", "alg": -8},
               {"type": "public-key", "alg": -257}])
    );
    assert_eq!(
        o["authenticatorSelection"],
        json!({"residentKey": "required", "requireResidentKey": true,
               "userVerification": "preferred"})
    );
    assert_eq!(o["timeout"], json!(300_000));
    assert_eq!(o["attestation"], json!("none"));
    assert_eq!(
        o["excludeCredentials"][0]["id"],
        json!(b64(b"old-credential"))
    );
    assert_eq!(o["excludeCredentials"][0]["type"], json!("public-key"));
    let challenge_bytes = URL_SAFE_NO_PAD
        .decode(o["challenge"].as_str().expect("challenge"))
        .expect("base64url");
    assert_eq!(challenge_bytes.len(), 32);
}

#[test]
fn request_options_have_the_contract_shape() {
    let v = verifier("meet.example.org", &["https://meet.example.org"]);
    let challenge = v.begin_authentication(&[]).expect("begin");
    let o = challenge.options.as_object().expect("object");
    let mut keys: Vec<&str> = o.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "allowCredentials",
            "challenge",
            "rpId",
            "timeout",
            "userVerification"
        ]
    );
    assert_eq!(o["rpId"], json!("meet.example.org"));
    assert_eq!(o["userVerification"], json!("preferred"));
    assert_eq!(o["allowCredentials"], json!([]));
    assert_eq!(o["timeout"], json!(300_000));
}

#[tokio::test]
async fn register_then_sign_in_with_a_discoverable_credential() {
    let v = verifier("example.org", &["https://meet.example.org"]);
    let mut client = Device::new();
    let stored = register(&v, &mut client, "https://meet.example.org").await;
    assert_eq!(stored.sign_count, 0);
    assert!(!stored.credential_id.is_empty());

    // Discoverable: no allowCredentials; the authenticator returns the user handle.
    let challenge = v.begin_authentication(&[]).expect("begin login");
    let got = client
        .get("https://meet.example.org", &challenge.options)
        .await;
    let assertion = assertion_of(&got);
    assert_eq!(
        assertion.user_handle.as_deref(),
        Some(alice().id.as_bytes())
    );
    let verified = v
        .finish_authentication(&challenge.state, &stored.credential, 0, &assertion)
        .expect("verifies");
    assert_eq!(verified.credential_id, stored.credential_id);
    assert_eq!(verified.sign_count, 1);

    // The updated credential works for the next login, listed in allowCredentials.
    let again = authenticate(
        &v,
        &mut client,
        "https://meet.example.org",
        &RegisteredCredential {
            credential: verified.credential.clone(),
            ..stored.clone()
        },
        verified.sign_count,
        std::slice::from_ref(&verified.credential),
    )
    .await
    .expect("second login verifies");
    assert_eq!(again.sign_count, 2);
}

#[tokio::test]
async fn allow_credentials_lists_the_given_credentials() {
    let v = verifier("example.org", &["https://example.org"]);
    let mut client = Device::new();
    let stored = register(&v, &mut client, "https://example.org").await;
    let challenge = v
        .begin_authentication(std::slice::from_ref(&stored.credential))
        .expect("begin");
    assert_eq!(
        challenge.options["allowCredentials"][0]["id"],
        json!(b64(&stored.credential_id))
    );
}

#[tokio::test]
async fn an_eddsa_credential_round_trips() {
    let v = verifier("example.org", &["https://example.org"]);
    let mut client = Device::new();
    let challenge = v.begin_registration(&alice(), &[]).expect("begin");
    let mut options = challenge.options.clone();
    options["pubKeyCredParams"] = json!([{"type": "public-key", "alg": -8}]);
    let created = client.create("https://example.org", &options).await;
    assert_eq!(created.response.public_key_algorithm, -8);
    let stored = v
        .finish_registration(&challenge.state, &attestation_of(&created))
        .expect("registration verifies");
    authenticate(&v, &mut client, "https://example.org", &stored, 0, &[])
        .await
        .expect("EdDSA assertion verifies");
}

#[tokio::test]
async fn several_origins_are_accepted() {
    let v = verifier(
        "example.org",
        &["https://example.org", "https://app.example.org:8443"],
    );
    let mut client = Device::new();
    let stored = register(&v, &mut client, "https://app.example.org:8443").await;
    authenticate(&v, &mut client, "https://example.org", &stored, 0, &[])
        .await
        .expect("the other origin verifies too");
}

#[tokio::test]
async fn a_wrong_origin_is_rejected() {
    let v = verifier("example.org", &["https://meet.example.org"]);
    let mut client = Device::new();
    // Registration from an origin on the RP id but not configured.
    let challenge = v.begin_registration(&alice(), &[]).expect("begin");
    let created = client
        .create("https://evil.example.org", &challenge.options)
        .await;
    let err = v
        .finish_registration(&challenge.state, &attestation_of(&created))
        .expect_err("origin not allowed");
    assert_rejected(err, "origin does not match");

    // Authentication from the wrong origin with a good credential.
    let stored = register(&v, &mut client, "https://meet.example.org").await;
    let err = authenticate(&v, &mut client, "https://evil.example.org", &stored, 0, &[])
        .await
        .expect_err("origin not allowed");
    assert_rejected(err, "origin does not match");
}

#[tokio::test]
async fn a_wrong_rp_id_is_rejected() {
    // The origin is allowed, but the authenticator scoped the credential to another RP id.
    let v = verifier("example.org", &["https://app.example.org"]);
    let mut client = Device::new();
    let challenge = v.begin_registration(&alice(), &[]).expect("begin");
    let mut options = challenge.options.clone();
    options["rp"]["id"] = json!("app.example.org");
    let created = client.create("https://app.example.org", &options).await;
    let err = v
        .finish_registration(&challenge.state, &attestation_of(&created))
        .expect_err("rpIdHash mismatch");
    assert_rejected(err, "relying party id hash");
}

#[tokio::test]
async fn a_cloned_authenticator_is_caught_by_its_counter() {
    let v = verifier("example.org", &["https://example.org"]);
    let mut original = Device::new();
    let stored = register(&v, &mut original, "https://example.org").await;
    // Copy the key, counter and all, before it is used.
    let mut clone = Device::holding(Some(original.passkey()));

    let first = authenticate(&v, &mut original, "https://example.org", &stored, 0, &[])
        .await
        .expect("the original signs in");
    assert_eq!(first.sign_count, 1);
    let stored = RegisteredCredential {
        credential: first.credential,
        sign_count: first.sign_count,
        ..stored
    };
    let err = authenticate(&v, &mut clone, "https://example.org", &stored, 1, &[])
        .await
        .expect_err("counter 1 after 1");
    assert_rejected(err, "compromised");
}

#[tokio::test]
async fn a_replayed_assertion_or_foreign_challenge_is_rejected() {
    let v = verifier("example.org", &["https://example.org"]);
    let mut client = Device::new();
    let stored = register(&v, &mut client, "https://example.org").await;
    let first = v.begin_authentication(&[]).expect("begin");
    let second = v.begin_authentication(&[]).expect("begin");
    let got = client.get("https://example.org", &first.options).await;
    let err = v
        .finish_authentication(&second.state, &stored.credential, 0, &assertion_of(&got))
        .expect_err("challenge of another ceremony");
    assert!(matches!(err, PasskeyError::Rejected(_)), "{err:?}");
    // A tampered signature.
    let mut bad = assertion_of(&got);
    if let Some(last) = bad.signature.last_mut() {
        *last ^= 0x01;
    }
    let err = v
        .finish_authentication(&first.state, &stored.credential, 0, &bad)
        .expect_err("bad signature");
    assert!(matches!(err, PasskeyError::Rejected(_)), "{err:?}");
    // Another credential than the stored one.
    let mut other = assertion_of(&got);
    other.credential_id = b"someone-else".to_vec();
    let err = v
        .finish_authentication(&first.state, &stored.credential, 0, &other)
        .expect_err("credential mismatch");
    assert!(matches!(err, PasskeyError::Rejected(_)), "{err:?}");
}

#[test]
fn garbage_state_and_credentials_are_bad_state() {
    let v = verifier("example.org", &["https://example.org"]);
    let err = v
        .finish_registration("{", &AttestationResponse::default())
        .expect_err("bad state");
    assert!(matches!(err, PasskeyError::BadState(_)));
    let err = v
        .begin_authentication(&["not a credential".to_owned()])
        .expect_err("bad credential");
    assert!(matches!(err, PasskeyError::BadState(_)));
    let state = v.begin_authentication(&[]).expect("begin").state;
    let err = v
        .finish_authentication(&state, "{}", 0, &AssertionResponse::default())
        .expect_err("bad credential");
    assert!(matches!(err, PasskeyError::BadState(_)));
}

#[test]
fn garbage_responses_are_rejected() {
    let v = verifier("example.org", &["https://example.org"]);
    let challenge = v.begin_registration(&alice(), &[]).expect("begin");
    let err = v
        .finish_registration(
            &challenge.state,
            &AttestationResponse {
                credential_id: None,
                client_data_json: b"{}".to_vec(),
                attestation_object: vec![0xa0],
            },
        )
        .expect_err("garbage");
    assert!(matches!(err, PasskeyError::Rejected(_)));
}

#[test]
fn configuration_is_checked() {
    let config = |rp_id: &str, origins: &[&str]| WebauthnConfig {
        rp_id: rp_id.into(),
        rp_name: "Meet".into(),
        rp_origins: origins.iter().map(|o| (*o).to_owned()).collect(),
    };
    assert_eq!(
        WebauthnVerifier::new(&config("", &["https://x.org"])).err(),
        Some(WebauthnConfigError::MissingRpId)
    );
    assert_eq!(
        WebauthnVerifier::new(&config("x.org", &[" "])).err(),
        Some(WebauthnConfigError::MissingOrigins)
    );
    assert!(matches!(
        WebauthnVerifier::new(&config("x.org", &["https://evil.org"])),
        Err(WebauthnConfigError::ForeignOrigin { .. })
    ));
    assert!(matches!(
        WebauthnVerifier::new(&config("x.org", &["https://notx.org"])),
        Err(WebauthnConfigError::ForeignOrigin { .. })
    ));
    assert!(matches!(
        WebauthnVerifier::new(&config("x.org", &["not a url"])),
        Err(WebauthnConfigError::BadOrigin(_))
    ));
    // App origins and local development.
    assert!(
        WebauthnVerifier::new(&config(
            "localhost",
            &["http://localhost:5173", "android:apk-key-hash:abc-_1"]
        ))
        .is_ok()
    );
    let v = WebauthnVerifier::new(&config("x.org", &["https://x.org/"])).expect("ok");
    let challenge = v.begin_registration(&alice(), &[]).expect("begin");
    assert_eq!(challenge.options["rp"]["name"], json!("Meet"));
}

#[test]
fn bytes_helpers_agree_with_passkey_types() {
    // The software client reads our base64url options.
    let bytes: Bytes = serde_json::from_value(json!(b64(b"abc"))).expect("bytes");
    assert_eq!(bytes.to_vec(), b"abc");
}
