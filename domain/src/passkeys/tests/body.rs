use super::*;

fn parse(value: serde_json::Value) -> CredentialBody {
    serde_json::from_value(value).expect("parses")
}

#[test]
fn flat_form_is_read_from_the_top_level() {
    let body = parse(json!({
        "ceremonyId": "c1", "credentialId": enc("id"), "clientDataJSON": enc("cd"),
        "authenticatorData": enc("ad"), "signature": enc("sig"), "userHandle": enc("u1"),
        "unknown": 1
    }));
    let a = body.assertion().expect("fields").decode().expect("decoded");
    assert_eq!(a.credential_id, b"id");
    assert_eq!(a.client_data_json, b"cd");
    assert_eq!(a.authenticator_data, b"ad");
    assert_eq!(a.signature, b"sig");
    assert_eq!(a.user_handle.as_deref(), Some(&b"u1"[..]));
    assert_eq!(body.ceremony_id.as_deref(), Some("c1"));
}

#[test]
fn standard_form_is_detected_by_response() {
    let body = parse(json!({
        "id": enc("id"), "rawId": enc("raw"), "type": "public-key",
        "clientDataJSON": enc("ignored"),
        "response": {"clientDataJSON": enc("cd"), "attestationObject": enc("ao"),
                     "transports": ["usb"]},
        "authenticatorAttachment": "platform", "clientExtensionResults": {}
    }));
    let a = body
        .attestation()
        .expect("fields")
        .decode()
        .expect("decoded");
    assert_eq!(a.credential_id.as_deref(), Some(&b"raw"[..]));
    assert_eq!(a.client_data_json, b"cd");
    assert_eq!(a.attestation_object, b"ao");
}

#[test]
fn standard_login_falls_back_from_raw_id_to_id_and_allows_a_null_user_handle() {
    let body = parse(json!({
        "id": enc("id"), "type": "public-key",
        "response": {"clientDataJSON": enc("cd"), "authenticatorData": enc("ad"),
                     "signature": enc("sig"), "userHandle": null}
    }));
    let a = body.assertion().expect("fields").decode().expect("decoded");
    assert_eq!(a.credential_id, b"id");
    assert_eq!(a.user_handle, None);
}

#[test]
fn padded_and_unpadded_base64url_are_equal() {
    let padded = parse(json!({"clientDataJSON": "YQ==", "attestationObject": "YWI="}));
    let bare = parse(json!({"clientDataJSON": "YQ", "attestationObject": "YWI"}));
    let a = padded
        .attestation()
        .expect("fields")
        .decode()
        .expect("decoded");
    let b = bare
        .attestation()
        .expect("fields")
        .decode()
        .expect("decoded");
    assert_eq!(a, b);
    assert_eq!(a.client_data_json, b"a");
    assert_eq!(a.credential_id, None);
}

#[test]
fn wrong_types_do_not_parse() {
    assert!(serde_json::from_value::<CredentialBody>(json!({"clientDataJSON": 5})).is_err());
    assert!(serde_json::from_value::<CredentialBody>(json!([])).is_err());
}

#[test]
fn empty_decodings_count_as_bad_encoding() {
    let body = parse(json!({"clientDataJSON": "==", "attestationObject": "YQ"}));
    let err = body
        .attestation()
        .expect("fields")
        .decode()
        .expect_err("empty");
    assert_eq!(err.to_string(), "Invalid clientDataJSON encoding");
}
