use bedrud_ports::{PasskeyError, PasskeyUser, RegisteredCredential, User, provider};

use super::*;

fn me() -> Principal {
    principal(user("u1"), "s1")
}

fn register_ceremony(owner: &str) -> Ceremony {
    ceremony(
        CeremonyKind::PasskeyRegister,
        Some(owner),
        json!({"state": "verifier-state"}),
    )
}

fn registered() -> RegisteredCredential {
    RegisteredCredential {
        credential_id: b"new-cred".to_vec(),
        credential: "serialised".to_owned(),
        sign_count: 0,
    }
}

/// A verifier that accepts the test attestation.
fn accepting(p: &mut Parts) {
    p.verifier
        .expect_finish_registration()
        .withf(|state, response| {
            state == "verifier-state"
                && response.client_data_json == b"client-data"
                && response.attestation_object == b"attestation"
        })
        .times(1)
        .returning(|_, _| Ok(registered()));
}

#[test]
fn begin_excludes_existing_credentials_and_stores_a_five_minute_ceremony() {
    let mut p = Parts::new();
    p.passkeys
        .expect_list_for_user()
        .withf(|id| id == "u1")
        .returning(|_| Ok(vec![passkey("a", "u1", 3), passkey("b", "u1", 0)]));
    p.verifier
        .expect_begin_registration()
        .withf(|user, exclude| {
            *user
                == PasskeyUser {
                    id: "u1".into(),
                    name: "u1@example.org".into(),
                    display_name: "Name u1".into(),
                }
                && exclude == [b"cred-a".to_vec(), b"cred-b".to_vec()]
        })
        .times(1)
        .returning(|_, _| Ok(challenge(json!({"challenge": "Y2g"}))));
    let (stored, cell) = sink::<Ceremony>();
    p.ceremonies.expect_insert().times(1).returning(move |c| {
        *cell.lock().expect("lock") = Some(c);
        Ok(())
    });
    let (passkeys, _) = p.build();

    let begin = block_on(passkeys.register_begin(&me())).expect("begun");

    let c = stored.lock().expect("lock").clone().expect("stored");
    assert_eq!(c.id, begin.ceremony_id);
    assert_eq!(c.id, b64url(&[7; 32]), "32 random bytes, base64url");
    assert_eq!(c.kind, CeremonyKind::PasskeyRegister);
    assert_eq!(c.user_id.as_deref(), Some("u1"));
    assert_eq!(c.binding_hash, None);
    assert_eq!(c.failures, 0);
    assert_eq!(
        (c.created_at, c.expires_at),
        (t0(), t0() + TimeDelta::minutes(5))
    );
    let payload: serde_json::Value = serde_json::from_str(&c.payload).expect("json");
    assert_eq!(payload, json!({"state": "verifier-state"}));
    assert_eq!(begin.options, json!({"challenge": "Y2g"}));
}

#[test]
fn begin_for_an_account_without_email_names_the_credential_after_the_user() {
    let mut p = Parts::new();
    p.passkeys.expect_list_for_user().returning(|_| Ok(vec![]));
    p.verifier
        .expect_begin_registration()
        .withf(|user, exclude| {
            user.name == "Name u1" && user.display_name == "Name u1" && exclude.is_empty()
        })
        .times(1)
        .returning(|_, _| Ok(challenge(json!({}))));
    p.ceremonies.expect_insert().returning(|_| Ok(()));
    let (passkeys, _) = p.build();
    let caller = principal(
        User {
            email: String::new(),
            ..user_with_provider_github("u1")
        },
        "s1",
    );
    assert!(block_on(passkeys.register_begin(&caller)).is_ok());
}

fn user_with_provider_github(id: &str) -> User {
    crate::testkit::user_with_provider(id, "github")
}

#[test]
fn begin_reports_a_verifier_failure_as_internal() {
    let mut p = Parts::new();
    p.passkeys.expect_list_for_user().returning(|_| Ok(vec![]));
    p.verifier
        .expect_begin_registration()
        .returning(|_, _| Err(PasskeyError::Failed(anyhow::anyhow!("bad config"))));
    let (passkeys, _) = p.build();
    assert_err(block_on(passkeys.register_begin(&me())), "internal", "");
}

#[test]
fn finish_stores_the_verified_passkey_under_the_caller() {
    let mut p = Parts::new();
    p.stored(register_ceremony("u1"));
    accepting(&mut p);
    p.consumed();
    let (inserted, cell) = sink::<Passkey>();
    p.passkeys.expect_insert().times(1).returning(move |pk| {
        *cell.lock().expect("lock") = Some(pk);
        Ok(())
    });
    let (passkeys, _) = p.build();

    block_on(passkeys.register_finish(&me(), &attestation_body(), None)).expect("registered");

    let pk = inserted.lock().expect("lock").clone().expect("inserted");
    assert_eq!(pk.id, "id-1");
    assert_eq!(pk.user_id, "u1");
    assert_eq!(pk.credential_id, b"new-cred");
    assert_eq!(pk.name, "Passkey");
    assert_eq!(pk.credential, "serialised");
    assert_eq!(pk.sign_count, 0);
    assert_eq!((pk.created_at, pk.last_used_at), (t0(), None));
}

#[test]
fn finish_accepts_the_standard_form_and_the_cookie() {
    let mut p = Parts::new();
    p.stored(register_ceremony("u1"));
    accepting(&mut p);
    p.consumed();
    p.passkeys
        .expect_insert()
        .withf(|pk| pk.name == "My Laptop")
        .times(1)
        .returning(|_| Ok(()));
    let (passkeys, _) = p.build();
    let body: CredentialBody = serde_json::from_value(json!({
        "id": enc("new-cred"), "rawId": enc("new-cred"), "type": "public-key",
        "name": "  My <Laptop> ",
        "response": {"clientDataJSON": enc("client-data"),
                     "attestationObject": format!("{}==", enc("attestation")),
                     "transports": ["internal"]},
        "clientExtensionResults": {}
    }))
    .expect("parses");
    block_on(passkeys.register_finish(&me(), &body, Some(CEREMONY))).expect("registered");
}

#[test]
fn body_ceremony_id_wins_over_the_cookie() {
    let mut p = Parts::new();
    p.stored(register_ceremony("u1"));
    accepting(&mut p);
    p.consumed();
    p.passkeys.expect_insert().returning(|_| Ok(()));
    let (passkeys, _) = p.build();
    block_on(passkeys.register_finish(&me(), &attestation_body(), Some("stale-cookie")))
        .expect("registered");
}

#[test]
fn finish_without_required_fields_is_invalid_input_before_any_lookup() {
    let (passkeys, _) = Parts::new().build();
    let mut body = attestation_body();
    body.attestation_object = None;
    assert_err(
        block_on(passkeys.register_finish(&me(), &body, None)),
        "invalid",
        "Invalid input",
    );
    let mut body = attestation_body();
    body.client_data_json = Some("   ".into());
    assert_err(
        block_on(passkeys.register_finish(&me(), &body, None)),
        "invalid",
        "Invalid input",
    );
    // The standard form reads `response.*` only.
    let mut body = attestation_body();
    body.response = Some(CredentialResponseBody::default());
    assert_err(
        block_on(passkeys.register_finish(&me(), &body, None)),
        "invalid",
        "Invalid input",
    );
}

#[test]
fn finish_rejects_a_label_over_64_bytes() {
    let (passkeys, _) = Parts::new().build();
    let mut body = attestation_body();
    body.name = Some("é".repeat(33));
    assert_err(
        block_on(passkeys.register_finish(&me(), &body, None)),
        "invalid",
        "Invalid input",
    );
}

#[test]
fn finish_without_a_usable_ceremony_is_challenge_not_found() {
    let msg = "Challenge not found or expired";
    // No id in body or cookie.
    let (passkeys, _) = Parts::new().build();
    let mut body = attestation_body();
    body.ceremony_id = None;
    assert_err(
        block_on(passkeys.register_finish(&me(), &body, None)),
        "invalid",
        msg,
    );
    // Unknown or expired (the store hides expired ones).
    let mut p = Parts::new();
    p.ceremonies.expect_get().returning(|_, _| Ok(None));
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.register_finish(&me(), &attestation_body(), None)),
        "invalid",
        msg,
    );
    // Another kind of ceremony.
    let mut p = Parts::new();
    p.stored(ceremony(
        CeremonyKind::PasskeyLogin,
        None,
        json!({"state": "s"}),
    ));
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.register_finish(&me(), &attestation_body(), None)),
        "invalid",
        msg,
    );
}

#[test]
fn finish_of_someone_elses_ceremony_is_not_found_and_not_counted() {
    let mut p = Parts::new();
    p.stored(register_ceremony("u2"));
    p.ceremonies.expect_record_failure().never();
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.register_finish(&me(), &attestation_body(), None)),
        "invalid",
        "Challenge not found or expired",
    );
}

#[test]
fn bad_encodings_are_reported_in_order_and_counted() {
    for (client_data, attestation, msg) in [
        ("%%%", "!!!", "Invalid clientDataJSON encoding"),
        ("Y2Q", "!!!", "Invalid attestationObject encoding"),
    ] {
        let mut p = Parts::new();
        p.stored(register_ceremony("u1"));
        p.one_failure();
        let (passkeys, _) = p.build();
        let mut body = attestation_body();
        body.client_data_json = Some(client_data.into());
        body.attestation_object = Some(attestation.into());
        assert_err(
            block_on(passkeys.register_finish(&me(), &body, None)),
            "invalid",
            msg,
        );
    }
}

#[test]
fn a_rejected_attestation_fails_and_counts() {
    let mut p = Parts::new();
    p.stored(register_ceremony("u1"));
    p.verifier
        .expect_finish_registration()
        .returning(|_, _| Err(PasskeyError::Rejected("origin".into())));
    p.one_failure();
    p.ceremonies.expect_consume().never();
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.register_finish(&me(), &attestation_body(), None)),
        "invalid",
        "Passkey verification failed",
    );
}

#[test]
fn unreadable_state_is_internal_and_not_counted() {
    let mut p = Parts::new();
    p.stored(register_ceremony("u1"));
    p.verifier
        .expect_finish_registration()
        .returning(|_, _| Err(PasskeyError::BadState(anyhow::anyhow!("garbled"))));
    p.ceremonies.expect_record_failure().never();
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.register_finish(&me(), &attestation_body(), None)),
        "internal",
        "",
    );
    // A payload that is not ours.
    let mut p = Parts::new();
    p.stored(ceremony(
        CeremonyKind::PasskeyRegister,
        Some("u1"),
        json!("nope"),
    ));
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.register_finish(&me(), &attestation_body(), None)),
        "internal",
        "",
    );
}

#[test]
fn a_ceremony_finished_concurrently_is_single_use() {
    let mut p = Parts::new();
    p.stored(register_ceremony("u1"));
    accepting(&mut p);
    p.ceremonies
        .expect_consume()
        .times(1)
        .returning(|_| Ok(false));
    p.passkeys.expect_insert().never();
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.register_finish(&me(), &attestation_body(), None)),
        "invalid",
        "Challenge not found or expired",
    );
}

#[test]
fn a_credential_already_stored_is_refused() {
    let mut p = Parts::new();
    p.stored(register_ceremony("u1"));
    accepting(&mut p);
    p.consumed();
    p.passkeys
        .expect_insert()
        .returning(|_| Err(StoreError::Conflict("credential_id")));
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.register_finish(&me(), &attestation_body(), None)),
        "invalid",
        "passkey already registered",
    );
}

#[test]
fn passkey_users_get_the_same_flow() {
    let mut p = Parts::new();
    p.stored(register_ceremony("u1"));
    accepting(&mut p);
    p.consumed();
    p.passkeys.expect_insert().returning(|_| Ok(()));
    let (passkeys, _) = p.build();
    let caller = principal(
        crate::testkit::user_with_provider("u1", provider::PASSKEY),
        "s1",
    );
    assert!(block_on(passkeys.register_finish(&caller, &attestation_body(), None)).is_ok());
}
