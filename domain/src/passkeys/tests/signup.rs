use bedrud_ports::{Access, PasskeyError, PasskeyUser, RegisteredCredential, User};

use super::*;

fn signup(email: &str, name: &str) -> PasskeySignup {
    PasskeySignup {
        email: email.into(),
        name: name.into(),
    }
}

fn signup_ceremony() -> Ceremony {
    ceremony(
        CeremonyKind::PasskeySignup,
        None,
        json!({"state": "verifier-state", "user_id": "new-user",
               "email": "alice@example.org", "name": "Alice"}),
    )
}

fn accepting(p: &mut Parts) {
    p.verifier
        .expect_finish_registration()
        .withf(|state, _| state == "verifier-state")
        .times(1)
        .returning(|_, _| {
            Ok(RegisteredCredential {
                credential_id: b"new-cred".to_vec(),
                credential: "serialised".to_owned(),
                sign_count: 2,
            })
        });
}

fn email_free(p: &mut Parts) {
    p.users.expect_find_by_email().returning(|_| Ok(vec![]));
}

// ---- begin -------------------------------------------------------------------------

#[test]
fn begin_validates_and_stores_the_future_account() {
    let mut p = Parts::new();
    p.users
        .expect_find_by_email()
        .withf(|e| e == "alice@example.org")
        .times(1)
        .returning(|_| Ok(vec![]));
    p.verifier
        .expect_begin_registration()
        .withf(|user, exclude| {
            *user
                == PasskeyUser {
                    id: "id-1".into(),
                    name: "alice@example.org".into(),
                    display_name: "Alice".into(),
                }
                && exclude.is_empty()
        })
        .times(1)
        .returning(|_, _| Ok(challenge(json!({"excludeCredentials": []}))));
    let (stored, cell) = sink::<Ceremony>();
    p.ceremonies.expect_insert().times(1).returning(move |c| {
        *cell.lock().expect("lock") = Some(c);
        Ok(())
    });
    let (passkeys, _) = p.build();

    let begin =
        block_on(passkeys.signup_begin(signup(" Alice@Example.ORG", " <Alice> "))).expect("begun");

    assert_eq!(begin.options, json!({"excludeCredentials": []}));
    let c = stored.lock().expect("lock").clone().expect("stored");
    assert_eq!(c.kind, CeremonyKind::PasskeySignup);
    assert_eq!(c.user_id, None);
    assert_eq!(c.expires_at, t0() + TimeDelta::minutes(5));
    let payload: serde_json::Value = serde_json::from_str(&c.payload).expect("json");
    assert_eq!(
        payload,
        json!({"state": "verifier-state", "user_id": "id-1",
               "email": "alice@example.org", "name": "Alice"})
    );
}

#[test]
fn begin_input_errors_come_in_order() {
    let (passkeys, _) = Parts::new().build();
    let required = "Email and Name are required";
    let cases = [
        (signup("", "Alice"), required),
        (signup(" \u{FEFF} ", "Alice"), required),
        (signup("alice@example.org", "  "), required),
        (signup("Bob <bob@x.org>", "Alice"), "Invalid email format"),
        (
            signup("alice@example.org", "A"),
            "Name must be between 2 and 100 characters",
        ),
        (
            signup("alice@example.org", "<>A"),
            "Name must be between 2 and 100 characters",
        ),
        (
            signup("alice@example.org", &"é".repeat(51)),
            "Name must be between 2 and 100 characters",
        ),
    ];
    for (input, msg) in cases {
        assert_err(block_on(passkeys.signup_begin(input)), "invalid", msg);
    }
}

#[test]
fn begin_accepts_names_of_2_and_100_bytes() {
    for name in ["ab".to_owned(), "a".repeat(100)] {
        let mut p = Parts::new();
        email_free(&mut p);
        p.verifier
            .expect_begin_registration()
            .returning(|_, _| Ok(challenge(json!({}))));
        p.ceremonies.expect_insert().returning(|_| Ok(()));
        let (passkeys, _) = p.build();
        assert!(block_on(passkeys.signup_begin(signup("a@x.org", &name))).is_ok());
    }
}

#[test]
fn begin_is_refused_while_registration_is_disabled() {
    let mut p = Parts::bare();
    p.runtime(RuntimeSettings {
        registration_enabled: Some(false),
        ..RuntimeSettings::default()
    });
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.signup_begin(signup("alice@example.org", "Alice"))),
        "forbidden",
        "Registration is currently disabled",
    );
}

#[test]
fn begin_with_an_email_of_any_account_is_the_generic_400() {
    let mut p = Parts::new();
    p.users
        .expect_find_by_email()
        .returning(|_| Ok(vec![crate::testkit::user_with_provider("u1", "google")]));
    p.verifier.expect_begin_registration().never();
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.signup_begin(signup("u1@example.org", "Alice"))),
        "invalid",
        "Unable to register with the provided details",
    );
}

// ---- finish ------------------------------------------------------------------------

#[test]
fn finish_creates_the_account_and_its_passkey_in_one_call_and_signs_in() {
    let mut p = Parts::new();
    p.stored(signup_ceremony());
    accepting(&mut p);
    email_free(&mut p);
    p.consumed();
    let (created, cell) = sink::<(User, Passkey)>();
    p.passkeys
        .expect_insert_with_user()
        .times(1)
        .returning(move |user, pk| {
            *cell.lock().expect("lock") = Some((user.clone(), pk));
            Ok(user)
        });
    p.accept_session();
    let (passkeys, codec) = p.build();

    let signed =
        block_on(passkeys.signup_finish(&attestation_body(), None, &client())).expect("signed up");

    let (u, pk) = created.lock().expect("lock").clone().expect("created");
    assert_eq!(u.id, "new-user");
    assert_eq!(u.email, "alice@example.org");
    assert_eq!(u.name, "Alice");
    assert_eq!(u.provider, "passkey");
    assert_eq!(u.accesses, vec![Access::User]);
    assert!(u.is_active);
    assert_eq!(u.password_hash, None);
    assert_eq!(u.email_verified_at, None);
    assert_eq!((u.created_at, u.updated_at), (t0(), t0()));
    assert_eq!(pk.user_id, "new-user");
    assert_eq!(pk.credential_id, b"new-cred");
    assert_eq!(pk.credential, "serialised");
    assert_eq!(pk.sign_count, 2);
    assert_eq!(pk.name, "Passkey");
    assert_eq!(signed.user.id, "new-user");
    assert_eq!(
        codec.claims(&signed.tokens.refresh_token).provider,
        "passkey"
    );
}

#[test]
fn finish_without_a_signup_ceremony_is_signup_session_expired() {
    let msg = "Signup session expired or not found";
    let mut p = Parts::new();
    p.ceremonies.expect_get().returning(|_, _| Ok(None));
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.signup_finish(&attestation_body(), None, &client())),
        "invalid",
        msg,
    );
    let mut p = Parts::new();
    p.stored(ceremony(
        CeremonyKind::PasskeyRegister,
        Some("u1"),
        json!({"state": "s"}),
    ));
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.signup_finish(&attestation_body(), None, &client())),
        "invalid",
        msg,
    );
    let (passkeys, _) = Parts::new().build();
    let mut body = attestation_body();
    body.ceremony_id = None;
    assert_err(
        block_on(passkeys.signup_finish(&body, None, &client())),
        "invalid",
        msg,
    );
}

#[test]
fn finish_input_and_encoding_errors() {
    let (passkeys, _) = Parts::new().build();
    assert_err(
        block_on(passkeys.signup_finish(&CredentialBody::default(), None, &client())),
        "invalid",
        "Invalid input",
    );
    let mut p = Parts::new();
    p.stored(signup_ceremony());
    p.one_failure();
    let (passkeys, _) = p.build();
    let mut body = attestation_body();
    body.attestation_object = Some("~~".into());
    assert_err(
        block_on(passkeys.signup_finish(&body, None, &client())),
        "invalid",
        "Invalid attestationObject encoding",
    );
}

#[test]
fn a_rejected_attestation_fails_and_counts() {
    let mut p = Parts::new();
    p.stored(signup_ceremony());
    p.verifier
        .expect_finish_registration()
        .returning(|_, _| Err(PasskeyError::Rejected("rp id".into())));
    p.one_failure();
    p.passkeys.expect_insert_with_user().never();
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.signup_finish(&attestation_body(), None, &client())),
        "invalid",
        "Passkey verification failed",
    );
}

#[test]
fn an_email_taken_meanwhile_is_the_generic_400_and_spends_the_ceremony() {
    let mut p = Parts::new();
    p.stored(signup_ceremony());
    accepting(&mut p);
    p.users
        .expect_find_by_email()
        .returning(|_| Ok(vec![user("u1")]));
    p.consumed();
    p.passkeys.expect_insert_with_user().never();
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.signup_finish(&attestation_body(), None, &client())),
        "invalid",
        "Unable to register with the provided details",
    );
}

#[test]
fn store_conflicts_map_to_the_contract_messages() {
    for (conflict, msg) in [
        ("user_email", "Unable to register with the provided details"),
        ("user_id", "Unable to register with the provided details"),
        ("credential_id", "passkey already registered"),
    ] {
        let mut p = Parts::new();
        p.stored(signup_ceremony());
        accepting(&mut p);
        email_free(&mut p);
        p.consumed();
        p.passkeys
            .expect_insert_with_user()
            .returning(move |_, _| Err(StoreError::Conflict(conflict)));
        p.sessions.sessions.expect_insert().never();
        let (passkeys, _) = p.build();
        assert_err(
            block_on(passkeys.signup_finish(&attestation_body(), None, &client())),
            "invalid",
            msg,
        );
    }
}

#[test]
fn a_ceremony_finished_concurrently_is_single_use() {
    let mut p = Parts::new();
    p.stored(signup_ceremony());
    accepting(&mut p);
    email_free(&mut p);
    p.ceremonies.expect_consume().returning(|_| Ok(false));
    p.passkeys.expect_insert_with_user().never();
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.signup_finish(&attestation_body(), None, &client())),
        "invalid",
        "Signup session expired or not found",
    );
}
