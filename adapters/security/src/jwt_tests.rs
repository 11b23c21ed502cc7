use super::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef-test-secret";

fn now() -> i64 {
    i64::try_from(jsonwebtoken::get_current_timestamp()).expect("timestamp fits i64")
}

fn claims(kind: TokenKind) -> TokenClaims {
    let iat = now();
    TokenClaims {
        user_id: "user-1".into(),
        email: "ada@example.org".into(),
        name: "Ada Lovelace".into(),
        provider: "local".into(),
        accesses: vec!["user".into(), "admin".into()],
        kind,
        session_id: "session-1".into(),
        jti: Some("7f1c2d9e-4a3b-4c5d-8e6f-0a1b2c3d4e5f".into()),
        issued_at: iat,
        expires_at: iat + 900,
    }
}

fn payload_json(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("three parts");
    let bytes = URL_SAFE_NO_PAD.decode(payload).expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON payload")
}

fn header_json(token: &str) -> Value {
    let header = token.split('.').next().expect("header part");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("b64")).expect("JSON")
}

/// A token with the given header and payload, and `signature` as its third part.
fn craft(header: &Value, payload: &Value, signature: &str) -> String {
    let h = URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).expect("json"));
    let p = URL_SAFE_NO_PAD.encode(serde_json::to_vec(payload).expect("json"));
    format!("{h}.{p}.{signature}")
}

fn hs256_sign(payload: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        payload,
        &EncodingKey::from_secret(secret),
    )
    .expect("sign")
}

fn codec() -> JwtCodec {
    JwtCodec::new(SECRET)
}

#[test]
fn access_round_trip_keeps_every_claim_and_wire_format() {
    let c = codec();
    let claims = claims(TokenKind::Access);
    let token = c.sign(&claims).expect("sign");

    let back = c.verify(&token, TokenKind::Access).expect("verify");
    assert_eq!(
        back,
        TokenClaims {
            jti: None,
            ..claims.clone()
        }
    );

    assert_eq!(header_json(&token)["alg"], "HS256");
    let p = payload_json(&token);
    assert_eq!(
        p,
        json!({
            "iss": "bedrud",
            "aud": ["bedrud"],
            "sub": "user-1",
            "userId": "user-1",
            "email": "ada@example.org",
            "name": "Ada Lovelace",
            "provider": "local",
            "accesses": ["user", "admin"],
            "typ": "access",
            "sid": "session-1",
            "iat": claims.issued_at,
            "exp": claims.expires_at,
        })
    );
}

#[test]
fn refresh_round_trip_carries_jti() {
    let c = codec();
    let claims = claims(TokenKind::Refresh);
    let token = c.sign(&claims).expect("sign");
    assert_eq!(
        c.verify(&token, TokenKind::Refresh).expect("verify"),
        claims
    );
    let p = payload_json(&token);
    assert_eq!(p["typ"], "refresh");
    assert_eq!(p["jti"], "7f1c2d9e-4a3b-4c5d-8e6f-0a1b2c3d4e5f");
    assert_eq!(p["aud"], json!(["bedrud"]));
}

#[test]
fn refresh_without_jti_is_not_signed() {
    let claims = TokenClaims {
        jti: None,
        ..claims(TokenKind::Refresh)
    };
    assert!(matches!(codec().sign(&claims), Err(TokenError::Signing(_))));
}

#[test]
fn wrong_type_is_rejected_both_ways() {
    let c = codec();
    let access = c.sign(&claims(TokenKind::Access)).expect("sign");
    let refresh = c.sign(&claims(TokenKind::Refresh)).expect("sign");
    assert!(matches!(
        c.verify(&access, TokenKind::Refresh),
        Err(TokenError::Invalid)
    ));
    assert!(matches!(
        c.verify(&refresh, TokenKind::Access),
        Err(TokenError::Invalid)
    ));
}

#[test]
fn expiry_beyond_leeway_is_rejected() {
    let c = codec();
    let mut claims = claims(TokenKind::Access);
    claims.issued_at = now() - 1000;
    claims.expires_at = now() - 60;
    let token = c.sign(&claims).expect("sign");
    assert!(matches!(
        c.verify(&token, TokenKind::Access),
        Err(TokenError::Invalid)
    ));
}

#[test]
fn expiry_within_leeway_is_accepted() {
    let c = codec();
    let mut claims = claims(TokenKind::Access);
    claims.issued_at = now() - 1000;
    claims.expires_at = now() - 10;
    let token = c.sign(&claims).expect("sign");
    assert!(c.verify(&token, TokenKind::Access).is_ok());
}

#[test]
fn wrong_secret_is_rejected() {
    let token = JwtCodec::new(b"another-secret-of-at-least-32-bytes!!")
        .sign(&claims(TokenKind::Access))
        .expect("sign");
    assert!(matches!(
        codec().verify(&token, TokenKind::Access),
        Err(TokenError::Invalid)
    ));
}

#[test]
fn tampered_payload_is_rejected() {
    let c = codec();
    let token = c.sign(&claims(TokenKind::Access)).expect("sign");
    let mut p = payload_json(&token);
    p["accesses"] = json!(["superadmin"]);
    let signature = token.rsplit('.').next().expect("signature");
    let forged = craft(&header_json(&token), &p, signature);
    assert!(matches!(
        c.verify(&forged, TokenKind::Access),
        Err(TokenError::Invalid)
    ));
}

#[test]
fn alg_none_is_rejected() {
    let c = codec();
    let valid = c.sign(&claims(TokenKind::Access)).expect("sign");
    let payload = payload_json(&valid);
    for alg in ["none", "None", "NONE"] {
        let token = craft(&json!({"alg": alg, "typ": "JWT"}), &payload, "");
        assert!(
            matches!(
                c.verify(&token, TokenKind::Access),
                Err(TokenError::Invalid)
            ),
            "alg {alg} accepted"
        );
    }
}

#[test]
fn other_hmac_algorithms_with_the_same_secret_are_rejected() {
    let c = codec();
    let payload = payload_json(&c.sign(&claims(TokenKind::Access)).expect("sign"));
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let token = jsonwebtoken::encode(
            &Header::new(alg),
            &payload,
            &EncodingKey::from_secret(SECRET),
        )
        .expect("sign");
        assert!(
            matches!(
                c.verify(&token, TokenKind::Access),
                Err(TokenError::Invalid)
            ),
            "{alg:?} accepted"
        );
    }
}

#[test]
fn a_header_naming_another_algorithm_is_rejected_even_over_an_hs256_signature() {
    let c = codec();
    let payload = payload_json(&c.sign(&claims(TokenKind::Access)).expect("sign"));
    for alg in ["HS512", "none", "RS256"] {
        let unsigned = craft(&json!({"alg": alg, "typ": "JWT"}), &payload, "");
        let message = unsigned.trim_end_matches('.');
        let signature = jsonwebtoken::crypto::sign(
            message.as_bytes(),
            &EncodingKey::from_secret(SECRET),
            Algorithm::HS256,
        )
        .expect("sign");
        let token = format!("{message}.{signature}");
        assert!(
            matches!(
                c.verify(&token, TokenKind::Access),
                Err(TokenError::Invalid)
            ),
            "header alg {alg} accepted"
        );
    }
}

#[test]
fn rs256_header_is_rejected() {
    let c = codec();
    let valid = c.sign(&claims(TokenKind::Access)).expect("sign");
    let signature = valid.rsplit('.').next().expect("signature");
    let token = craft(
        &json!({"alg": "RS256", "typ": "JWT"}),
        &payload_json(&valid),
        signature,
    );
    assert!(matches!(
        c.verify(&token, TokenKind::Access),
        Err(TokenError::Invalid)
    ));
}

#[test]
fn control_hand_signed_hs256_payload_is_accepted() {
    // Guards the tests below: a payload changed only in the field under test is what fails.
    let c = codec();
    let payload = payload_json(&c.sign(&claims(TokenKind::Access)).expect("sign"));
    let token = hs256_sign(&payload, SECRET);
    assert!(c.verify(&token, TokenKind::Access).is_ok());
}

#[test]
fn wrong_or_missing_issuer_is_rejected() {
    let c = codec();
    let payload = payload_json(&c.sign(&claims(TokenKind::Access)).expect("sign"));
    let mut wrong = payload.clone();
    wrong["iss"] = json!("someone-else");
    let mut missing = payload;
    missing.as_object_mut().expect("object").remove("iss");
    for p in [wrong, missing] {
        let token = hs256_sign(&p, SECRET);
        assert!(matches!(
            c.verify(&token, TokenKind::Access),
            Err(TokenError::Invalid)
        ));
    }
}

#[test]
fn audience_must_contain_bedrud() {
    let c = codec();
    let payload = payload_json(&c.sign(&claims(TokenKind::Access)).expect("sign"));

    let mut wrong = payload.clone();
    wrong["aud"] = json!(["other"]);
    let mut missing = payload.clone();
    missing.as_object_mut().expect("object").remove("aud");
    for p in [wrong, missing] {
        let token = hs256_sign(&p, SECRET);
        assert!(matches!(
            c.verify(&token, TokenKind::Access),
            Err(TokenError::Invalid)
        ));
    }

    let mut several = payload.clone();
    several["aud"] = json!(["other", "bedrud"]);
    let mut one = payload.clone();
    one["aud"] = json!("bedrud");
    let mut other_one = payload;
    other_one["aud"] = json!("other");
    for (p, ok) in [(several, true), (one, true), (other_one, false)] {
        let verified = c.verify(&hs256_sign(&p, SECRET), TokenKind::Access);
        assert_eq!(verified.is_ok(), ok, "{}", p["aud"]);
    }
}

#[test]
fn missing_expiry_or_mismatched_user_ids_are_rejected() {
    let c = codec();
    let payload = payload_json(&c.sign(&claims(TokenKind::Access)).expect("sign"));
    let mut no_exp = payload.clone();
    no_exp.as_object_mut().expect("object").remove("exp");
    let mut other_sub = payload;
    other_sub["sub"] = json!("user-2");
    for p in [no_exp, other_sub] {
        let token = hs256_sign(&p, SECRET);
        assert!(matches!(
            c.verify(&token, TokenKind::Access),
            Err(TokenError::Invalid)
        ));
    }
}

#[test]
fn garbage_is_rejected() {
    let c = codec();
    for token in ["", "a", "a.b", "a.b.c", "..", "a.b.c.d", "\u{0}.\u{ff}.x"] {
        assert!(matches!(
            c.verify(token, TokenKind::Access),
            Err(TokenError::Invalid)
        ));
    }
}

#[test]
fn install_crypto_provider_is_idempotent() {
    install_crypto_provider();
    install_crypto_provider();
    let c = codec();
    let token = c.sign(&claims(TokenKind::Access)).expect("sign");
    assert!(c.verify(&token, TokenKind::Access).is_ok());
}
