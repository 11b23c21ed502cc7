use bedrud_ports::{PasskeyError, User, VerifiedAssertion};

use super::*;

fn login_ceremony(users: Option<Vec<&str>>) -> Ceremony {
    let payload = match users {
        None => json!({"state": "verifier-state"}),
        Some(users) => json!({"state": "verifier-state", "users": users}),
    };
    ceremony(CeremonyKind::PasskeyLogin, None, payload)
}

/// The store knows passkey `a` of `u1` with counter `count`, and `u1`'s row is `owner`.
fn known(p: &mut Parts, count: i64, owner: User) {
    p.passkeys
        .expect_find_by_credential_id()
        .returning(move |id| Ok((id == b"cred-a").then(|| passkey("a", "u1", count))));
    p.users
        .expect_get()
        .returning(move |id| Ok((id == owner.id).then(|| owner.clone())));
}

/// The verifier accepts and reports counter `count`.
fn verifies(p: &mut Parts, stored_count: i64, count: i64) {
    p.verifier
        .expect_finish_authentication()
        .withf(move |state, credential, sign_count, response| {
            state == "verifier-state"
                && credential == "credential-a"
                && *sign_count == stored_count
                && response.credential_id == b"cred-a"
                && response.client_data_json == b"client-data"
                && response.authenticator_data == b"auth-data"
                && response.signature == b"signature"
        })
        .times(1)
        .returning(move |_, _, _, _| {
            Ok(VerifiedAssertion {
                credential_id: b"cred-a".to_vec(),
                sign_count: count,
                credential: "credential-a-updated".to_owned(),
            })
        });
}

// ---- begin -------------------------------------------------------------------------

#[test]
fn begin_without_email_is_discoverable() {
    let mut p = Parts::new();
    p.verifier
        .expect_begin_authentication()
        .withf(|creds| creds.is_empty())
        .times(1)
        .returning(|_| {
            Ok(challenge(json!({
                "challenge": "Y2g", "rpId": "x.org", "allowCredentials": [],
                "userVerification": "preferred", "timeout": 300000
            })))
        });
    let (stored, cell) = sink::<Ceremony>();
    p.ceremonies.expect_insert().times(1).returning(move |c| {
        *cell.lock().expect("lock") = Some(c);
        Ok(())
    });
    let (passkeys, _) = p.build();

    let begin = block_on(passkeys.login_begin(None)).expect("begun");

    assert_eq!(
        begin.options,
        json!({"challenge": "Y2g", "rpId": "x.org", "userVerification": "preferred",
               "timeout": 300000})
    );
    let c = stored.lock().expect("lock").clone().expect("stored");
    assert_eq!(c.kind, CeremonyKind::PasskeyLogin);
    assert_eq!(c.user_id, None);
    assert_eq!(c.expires_at, t0() + TimeDelta::minutes(5));
    let payload: serde_json::Value = serde_json::from_str(&c.payload).expect("json");
    assert_eq!(payload, json!({"state": "verifier-state"}));
}

#[test]
fn begin_with_email_allows_the_passkeys_of_its_active_accounts() {
    let mut p = Parts::new();
    p.users
        .expect_find_by_email()
        .withf(|e| e == "u1@example.org")
        .returning(|_| {
            let inactive = User {
                is_active: false,
                ..crate::testkit::user_with_provider("u2", "github")
            };
            Ok(vec![user("u1"), inactive])
        });
    p.passkeys
        .expect_list_for_user()
        .withf(|id| id == "u1")
        .times(1)
        .returning(|_| Ok(vec![passkey("a", "u1", 1), passkey("b", "u1", 0)]));
    p.verifier
        .expect_begin_authentication()
        .withf(|creds| creds == ["credential-a".to_owned(), "credential-b".to_owned()])
        .times(1)
        .returning(|_| Ok(challenge(json!({"allowCredentials": [{"id": "x"}]}))));
    let (stored, cell) = sink::<Ceremony>();
    p.ceremonies.expect_insert().returning(move |c| {
        *cell.lock().expect("lock") = Some(c);
        Ok(())
    });
    let (passkeys, _) = p.build();

    let begin = block_on(passkeys.login_begin(Some(" U1@Example.org "))).expect("begun");

    assert_eq!(begin.options, json!({"allowCredentials": [{"id": "x"}]}));
    let c = stored.lock().expect("lock").clone().expect("stored");
    let payload: serde_json::Value = serde_json::from_str(&c.payload).expect("json");
    assert_eq!(payload, json!({"state": "verifier-state", "users": ["u1"]}));
}

#[test]
fn begin_with_an_unknown_or_invalid_email_allows_nothing_and_reveals_nothing() {
    for email in ["nobody@example.org", "not an email"] {
        let mut p = Parts::new();
        p.users.expect_find_by_email().returning(|_| Ok(vec![]));
        p.verifier
            .expect_begin_authentication()
            .withf(|creds| creds.is_empty())
            .returning(|_| Ok(challenge(json!({"challenge": "Y2g"}))));
        let (stored, cell) = sink::<Ceremony>();
        p.ceremonies.expect_insert().returning(move |c| {
            *cell.lock().expect("lock") = Some(c);
            Ok(())
        });
        let (passkeys, _) = p.build();

        let begin = block_on(passkeys.login_begin(Some(email))).expect("begun");

        assert_eq!(
            begin.options,
            json!({"challenge": "Y2g", "allowCredentials": []})
        );
        let c = stored.lock().expect("lock").clone().expect("stored");
        let payload: serde_json::Value = serde_json::from_str(&c.payload).expect("json");
        assert_eq!(payload["users"], json!([]));
    }
}

#[test]
fn begin_treats_a_blank_email_as_none() {
    let mut p = Parts::new();
    p.verifier
        .expect_begin_authentication()
        .returning(|_| Ok(challenge(json!({"allowCredentials": []}))));
    p.ceremonies.expect_insert().returning(|_| Ok(()));
    let (passkeys, _) = p.build();
    let begin = block_on(passkeys.login_begin(Some("  "))).expect("begun");
    assert_eq!(begin.options, json!({}));
}

// ---- finish ------------------------------------------------------------------------

#[test]
fn finish_signs_the_owner_in_and_records_the_use() {
    let mut p = Parts::new();
    p.stored(login_ceremony(None));
    known(&mut p, 4, user("u1"));
    verifies(&mut p, 4, 5);
    p.consumed();
    p.passkeys
        .expect_record_use()
        .withf(|id, count, credential, now| {
            id == "a" && *count == 5 && credential == "credential-a-updated" && *now == t0()
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    p.accept_session();
    let (passkeys, codec) = p.build();

    let signed =
        block_on(passkeys.login_finish(&assertion_body("a"), None, &client())).expect("signed in");

    assert_eq!(signed.user.id, "u1");
    let claims = codec.claims(&signed.tokens.access_token);
    assert_eq!(claims.user_id, "u1");
}

#[test]
fn finish_accepts_the_standard_form_with_a_matching_user_handle() {
    let mut p = Parts::new();
    p.stored(login_ceremony(Some(vec!["u1"])));
    known(&mut p, 0, user("u1"));
    verifies(&mut p, 0, 0);
    p.consumed();
    p.passkeys
        .expect_record_use()
        .returning(|_, _, _, _| Ok(()));
    p.accept_session();
    let (passkeys, _) = p.build();
    let body: CredentialBody = serde_json::from_value(json!({
        "id": "ignored-when-rawId-is-there", "rawId": format!("{}=", enc("cred-a")),
        "type": "public-key",
        "response": {"clientDataJSON": enc("client-data"), "authenticatorData": enc("auth-data"),
                     "signature": enc("signature"), "userHandle": enc("u1")}
    }))
    .expect("parses");
    block_on(passkeys.login_finish(&body, Some(CEREMONY), &client())).expect("signed in");
}

#[test]
fn finish_without_required_fields_is_invalid_input() {
    let (passkeys, _) = Parts::new().build();
    for strip in 0..4 {
        let mut body = assertion_body("a");
        match strip {
            0 => body.credential_id = None,
            1 => body.client_data_json = None,
            2 => body.authenticator_data = None,
            _ => body.signature = None,
        }
        assert_err(
            block_on(passkeys.login_finish(&body, None, &client())),
            "invalid",
            "Invalid input",
        );
    }
}

#[test]
fn finish_without_a_login_ceremony_is_challenge_not_found() {
    let mut p = Parts::new();
    p.stored(ceremony(
        CeremonyKind::PasskeySignup,
        None,
        json!({"state": "s"}),
    ));
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.login_finish(&assertion_body("a"), None, &client())),
        "invalid",
        "Challenge not found or expired",
    );
    let (passkeys, _) = Parts::new().build();
    let mut body = assertion_body("a");
    body.ceremony_id = Some(" ".into());
    assert_err(
        block_on(passkeys.login_finish(&body, Some(""), &client())),
        "invalid",
        "Challenge not found or expired",
    );
}

#[test]
fn bad_encodings_are_reported_in_order_and_counted() {
    let cases = [
        (0, "Invalid credentialId encoding"),
        (1, "Invalid clientDataJSON encoding"),
        (2, "Invalid authenticatorData encoding"),
        (3, "Invalid signature encoding"),
    ];
    for (from, msg) in cases {
        let mut p = Parts::new();
        p.stored(login_ceremony(None));
        p.one_failure();
        let (passkeys, _) = p.build();
        let mut body = assertion_body("a");
        // Break this field and every later one: the first broken field is reported.
        let fields = [
            &mut body.credential_id,
            &mut body.client_data_json,
            &mut body.authenticator_data,
            &mut body.signature,
        ];
        for field in fields.into_iter().skip(from) {
            *field = Some("#not-base64#".into());
        }
        assert_err(
            block_on(passkeys.login_finish(&body, None, &client())),
            "invalid",
            msg,
        );
    }
}

#[test]
fn an_unknown_credential_is_passkey_not_found() {
    let mut p = Parts::new();
    p.stored(login_ceremony(None));
    p.passkeys
        .expect_find_by_credential_id()
        .returning(|_| Ok(None));
    p.one_failure();
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.login_finish(&assertion_body("a"), None, &client())),
        "unauthorized",
        "passkey not found",
    );
}

#[test]
fn a_credential_outside_the_email_bound_accounts_is_passkey_not_found() {
    let mut p = Parts::new();
    p.stored(login_ceremony(Some(vec!["u9"])));
    known(&mut p, 0, user("u1"));
    p.one_failure();
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.login_finish(&assertion_body("a"), None, &client())),
        "unauthorized",
        "passkey not found",
    );
}

#[test]
fn a_credential_of_a_deleted_user_is_passkey_not_found() {
    let mut p = Parts::new();
    p.stored(login_ceremony(None));
    known(&mut p, 0, user("someone-else"));
    p.one_failure();
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.login_finish(&assertion_body("a"), None, &client())),
        "unauthorized",
        "passkey not found",
    );
}

#[test]
fn a_deactivated_owner_is_refused() {
    let mut p = Parts::new();
    p.stored(login_ceremony(None));
    known(
        &mut p,
        0,
        User {
            is_active: false,
            ..user("u1")
        },
    );
    p.one_failure();
    p.verifier.expect_finish_authentication().never();
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.login_finish(&assertion_body("a"), None, &client())),
        "unauthorized",
        "account is deactivated",
    );
}

#[test]
fn a_user_handle_of_someone_else_fails_verification() {
    for handle in [enc("u2"), "#garbage#".to_owned()] {
        let mut p = Parts::new();
        p.stored(login_ceremony(None));
        known(&mut p, 0, user("u1"));
        p.one_failure();
        p.verifier.expect_finish_authentication().never();
        let (passkeys, _) = p.build();
        let mut body = assertion_body("a");
        body.user_handle = Some(handle);
        assert_err(
            block_on(passkeys.login_finish(&body, None, &client())),
            "unauthorized",
            "authentication verification failed",
        );
    }
}

#[test]
fn a_rejected_assertion_fails_and_counts() {
    let mut p = Parts::new();
    p.stored(login_ceremony(None));
    known(&mut p, 0, user("u1"));
    p.verifier
        .expect_finish_authentication()
        .returning(|_, _, _, _| Err(PasskeyError::Rejected("signature".into())));
    p.one_failure();
    p.ceremonies.expect_consume().never();
    p.sessions.sessions.expect_insert().never();
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.login_finish(&assertion_body("a"), None, &client())),
        "unauthorized",
        "authentication verification failed",
    );
}

#[test]
fn the_sign_counter_must_strictly_increase_unless_both_are_zero() {
    // (stored, reported, accepted)
    for (stored, reported, accepted) in [
        (0, 0, true),
        (0, 1, true),
        (7, 8, true),
        (7, 7, false),
        (7, 3, false),
        (7, 0, false),
    ] {
        let mut p = Parts::new();
        p.stored(login_ceremony(None));
        known(&mut p, stored, user("u1"));
        verifies(&mut p, stored, reported);
        if accepted {
            p.consumed();
            p.passkeys
                .expect_record_use()
                .returning(|_, _, _, _| Ok(()));
            p.accept_session();
        } else {
            p.one_failure();
            p.ceremonies.expect_consume().never();
        }
        let (passkeys, _) = p.build();
        let result = block_on(passkeys.login_finish(&assertion_body("a"), None, &client()));
        if accepted {
            assert!(result.is_ok(), "{stored} -> {reported}");
        } else {
            assert_err(result, "unauthorized", "authentication verification failed");
        }
    }
}

#[test]
fn a_ceremony_finished_concurrently_is_single_use() {
    let mut p = Parts::new();
    p.stored(login_ceremony(None));
    known(&mut p, 0, user("u1"));
    verifies(&mut p, 0, 1);
    p.ceremonies.expect_consume().returning(|_| Ok(false));
    p.passkeys.expect_record_use().never();
    p.sessions.sessions.expect_insert().never();
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.login_finish(&assertion_body("a"), None, &client())),
        "invalid",
        "Challenge not found or expired",
    );
}
