use bedrud_ports::Access;

use super::*;
use crate::testkit::user_with_provider;

const FAILED: &str = "Failed to complete authentication";

/// No identity is linked to the test subject (yet).
fn unlinked(p: &mut Parts) {
    p.identities
        .expect_find()
        .withf(|provider, subject| provider == "google" && subject == "g-123")
        .returning(|_, _| Ok(None));
}

/// The subject is linked to `user`.
fn linked_to(p: &mut Parts, user: User) {
    let user_id = user.id.clone();
    p.identities
        .expect_find()
        .returning(move |provider, subject| {
            Ok(Some(OAuthIdentity {
                id: "ident-1".into(),
                provider: provider.into(),
                subject: subject.into(),
                user_id: user_id.clone(),
                created_at: t0(),
            }))
        });
    p.users
        .expect_get()
        .returning(move |id| Ok((id == user.id).then(|| user.clone())));
}

/// A Google account of `id` with the profile's email, name and avatar.
fn google_user(id: &str) -> User {
    User {
        email: "alice@example.org".into(),
        name: "Alice".into(),
        avatar_url: "https://img/alice.png".into(),
        ..user_with_provider(id, "google")
    }
}

// ---- the flow ----------------------------------------------------------------------

#[test]
fn an_unknown_provider_is_404_and_leaves_the_flow_alone() {
    let (oauth, _) = Parts::new().build();
    assert_flow_err(
        block_on(oauth.callback("github", callback_input(), &client())),
        "not_found",
        "Unsupported OAuth provider",
    );
}

#[test]
fn a_missing_or_unknown_state_is_400() {
    let (oauth, _) = Parts::new().build();
    let input = OAuthCallback {
        state: None,
        ..callback_input()
    };
    assert_flow_err(
        block_on(oauth.callback("google", input, &client())),
        "invalid",
        FAILED,
    );
    let mut p = Parts::new();
    p.ceremonies.expect_get().returning(|_, _| Ok(None));
    p.ceremonies.expect_consume().never();
    let (oauth, _) = p.build();
    assert_flow_err(
        block_on(oauth.callback("google", callback_input(), &client())),
        "invalid",
        FAILED,
    );
}

#[test]
fn a_flow_used_concurrently_is_400() {
    let mut p = Parts::new();
    let ceremony = flow_ceremony("google", None);
    p.ceremonies
        .expect_get()
        .returning(move |_, _| Ok(Some(ceremony.clone())));
    p.ceremonies.expect_consume().returning(|_| Ok(false));
    p.providers.expect_exchange().never();
    let (oauth, _) = p.build();
    assert_flow_err(
        block_on(oauth.callback("google", callback_input(), &client())),
        "invalid",
        FAILED,
    );
}

#[test]
fn a_wrong_or_missing_binding_cookie_is_400_and_spends_the_flow() {
    for binding in [
        Some("another-browser".to_owned()),
        None,
        Some(String::new()),
    ] {
        let mut p = Parts::new();
        p.flow("google", None);
        p.providers.expect_exchange().never();
        let (oauth, _) = p.build();
        let input = OAuthCallback {
            binding,
            ..callback_input()
        };
        assert_flow_err(
            block_on(oauth.callback("google", input, &client())),
            "invalid",
            FAILED,
        );
    }
}

#[test]
fn a_flow_of_another_provider_is_400_and_spent() {
    let mut p = Parts::new();
    p.flow("keycloak", None);
    p.providers.expect_exchange().never();
    let (oauth, _) = p.build();
    assert_flow_err(
        block_on(oauth.callback("google", callback_input(), &client())),
        "invalid",
        FAILED,
    );
}

#[test]
fn a_ceremony_of_another_kind_is_400() {
    let mut p = Parts::new();
    let ceremony = Ceremony {
        kind: CeremonyKind::PasskeyLogin,
        ..flow_ceremony("google", None)
    };
    p.ceremonies
        .expect_get()
        .returning(move |_, _| Ok(Some(ceremony.clone())));
    // Not an OAuth flow: left for its own finish step.
    p.ceremonies.expect_consume().never();
    let (oauth, _) = p.build();
    assert_flow_err(
        block_on(oauth.callback("google", callback_input(), &client())),
        "invalid",
        FAILED,
    );
}

#[test]
fn a_provider_error_or_missing_code_is_400_and_spends_the_flow() {
    for (error, code) in [
        (
            Some("access_denied".to_owned()),
            Some("the-code".to_owned()),
        ),
        (None, None),
        (None, Some(" ".to_owned())),
    ] {
        let mut p = Parts::new();
        p.flow("google", None);
        p.providers.expect_exchange().never();
        let (oauth, _) = p.build();
        let input = OAuthCallback {
            error,
            code,
            ..callback_input()
        };
        assert_flow_err(
            block_on(oauth.callback("google", input, &client())),
            "invalid",
            FAILED,
        );
    }
}

#[test]
fn exchange_failures_map_to_400_404_and_502() {
    type Expected = Option<(&'static str, &'static str)>;
    let cases: [(fn() -> OAuthError, Expected); 4] = [
        (
            || OAuthError::InvalidIdToken(anyhow::anyhow!("nonce")),
            Some(("invalid", FAILED)),
        ),
        (
            || OAuthError::UnknownProvider,
            Some(("not_found", "Unsupported OAuth provider")),
        ),
        (|| OAuthError::ExchangeFailed(anyhow::anyhow!("500")), None),
        (|| OAuthError::DiscoveryFailed(anyhow::anyhow!("dns")), None),
    ];
    for (error, expected) in cases {
        let mut p = Parts::new();
        p.flow("google", None);
        p.providers
            .expect_exchange()
            .returning(move |_, _| Err(error()));
        p.sessions.sessions.expect_insert().never();
        let (oauth, _) = p.build();
        let result = block_on(oauth.callback("google", callback_input(), &client()));
        match expected {
            Some((variant, message)) => assert_flow_err(result, variant, message),
            None => assert_upstream(result, FAILED),
        }
    }
}

#[test]
fn a_profile_without_subject_is_a_502() {
    let mut p = Parts::new();
    p.flow("google", None);
    p.exchanges(OAuthProfile {
        subject: " ".into(),
        ..profile()
    });
    let (oauth, _) = p.build();
    assert_upstream(
        block_on(oauth.callback("google", callback_input(), &client())),
        FAILED,
    );
}

// ---- linked identities -------------------------------------------------------------

#[test]
fn a_linked_identity_signs_its_user_in_and_redirects_with_the_stored_path() {
    let mut p = Parts::new();
    p.flow("google", Some("/rooms/a b?x=1&y=é"));
    p.exchanges(profile());
    linked_to(&mut p, google_user("u1"));
    p.identities.expect_refresh_profile().never();
    p.accept_session();
    let (oauth, codec) = p.build();

    let done = block_on(oauth.callback("google", callback_input(), &client())).expect("done");

    assert_eq!(done.user.id, "u1");
    assert_eq!(codec.claims(&done.tokens.access_token).user_id, "u1");
    assert_eq!(
        done.redirect_url,
        "https://meet.example.org/auth/callback?redirect=%2Frooms%2Fa%20b%3Fx%3D1%26y%3D%C3%A9"
    );
}

#[test]
fn name_and_avatar_follow_the_provider() {
    let mut p = Parts::new();
    p.flow("google", None);
    p.exchanges(OAuthProfile {
        name: " Alice <B> ".into(),
        avatar_url: "https://img/new.png".into(),
        ..profile()
    });
    linked_to(&mut p, google_user("u1"));
    p.identities
        .expect_refresh_profile()
        .withf(|id, name, avatar, now| {
            id == "u1" && name == "Alice B" && avatar == "https://img/new.png" && *now == t0()
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    p.accept_session();
    let (oauth, codec) = p.build();

    let done = block_on(oauth.callback("google", callback_input(), &client())).expect("done");

    assert_eq!(done.user.name, "Alice B");
    assert_eq!(done.user.avatar_url, "https://img/new.png");
    assert_eq!(codec.claims(&done.tokens.access_token).name, "Alice B");
}

#[test]
fn an_empty_provider_name_keeps_the_stored_one() {
    let mut p = Parts::new();
    p.flow("google", None);
    p.exchanges(OAuthProfile {
        name: String::new(),
        avatar_url: String::new(),
        ..profile()
    });
    linked_to(&mut p, google_user("u1"));
    p.identities.expect_refresh_profile().never();
    p.accept_session();
    let (oauth, _) = p.build();
    let done = block_on(oauth.callback("google", callback_input(), &client())).expect("done");
    assert_eq!(done.user.name, "Alice");
}

#[test]
fn a_deactivated_linked_user_is_403() {
    let mut p = Parts::new();
    p.flow("google", None);
    p.exchanges(profile());
    linked_to(
        &mut p,
        User {
            is_active: false,
            ..google_user("u1")
        },
    );
    p.sessions.sessions.expect_insert().never();
    let (oauth, _) = p.build();
    assert_flow_err(
        block_on(oauth.callback("google", callback_input(), &client())),
        "forbidden",
        "Account is deactivated",
    );
}

#[test]
fn linked_identities_sign_in_even_while_registration_is_off() {
    let mut p = Parts::new();
    p.registration_off();
    p.flow("google", None);
    p.exchanges(profile());
    linked_to(&mut p, google_user("u1"));
    p.accept_session();
    let (oauth, _) = p.build();
    assert!(block_on(oauth.callback("google", callback_input(), &client())).is_ok());
}

// ---- linking by verified email -----------------------------------------------------

#[test]
fn the_single_account_of_this_provider_with_the_verified_email_is_linked() {
    let mut p = Parts::new();
    p.flow("google", None);
    p.exchanges(profile());
    let mut seq = mockall::Sequence::new();
    p.identities
        .expect_find()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(None));
    p.users
        .expect_find_by_email()
        .withf(|e| e == "alice@example.org")
        .returning(|_| Ok(vec![google_user("u7")]));
    p.identities
        .expect_insert()
        .withf(|i| {
            i.provider == "google"
                && i.subject == "g-123"
                && i.user_id == "u7"
                && i.created_at == t0()
        })
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));
    p.identities
        .expect_find()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|provider, subject| {
            Ok(Some(OAuthIdentity {
                id: "id-1".into(),
                provider: provider.into(),
                subject: subject.into(),
                user_id: "u7".into(),
                created_at: t0(),
            }))
        });
    p.users
        .expect_get()
        .returning(|id| Ok(Some(google_user(id))));
    p.accept_session();
    let (oauth, _) = p.build();

    let done = block_on(oauth.callback("google", callback_input(), &client())).expect("done");

    assert_eq!(done.user.id, "u7");
    assert_eq!(done.redirect_url, "https://meet.example.org/auth/callback");
}

#[test]
fn a_deactivated_account_is_not_linked() {
    let mut p = Parts::new();
    p.flow("google", None);
    p.exchanges(profile());
    unlinked(&mut p);
    p.users.expect_find_by_email().returning(|_| {
        Ok(vec![User {
            is_active: false,
            ..google_user("u7")
        }])
    });
    p.identities.expect_insert().never();
    let (oauth, _) = p.build();
    assert_flow_err(
        block_on(oauth.callback("google", callback_input(), &client())),
        "forbidden",
        "Account is deactivated",
    );
}

#[test]
fn a_verified_email_of_another_sign_in_method_is_409() {
    for holder in [user("u1"), user_with_provider("u1", "keycloak")] {
        let mut p = Parts::new();
        p.flow("google", None);
        p.exchanges(profile());
        unlinked(&mut p);
        let holder = User {
            email: "alice@example.org".into(),
            ..holder
        };
        p.users
            .expect_find_by_email()
            .returning(move |_| Ok(vec![holder.clone()]));
        p.identities.expect_insert().never();
        p.identities.expect_insert_with_user().never();
        let (oauth, _) = p.build();
        assert_flow_err(
            block_on(oauth.callback("google", callback_input(), &client())),
            "conflict",
            "An account with this email already exists via a different sign-in method",
        );
    }
}

// ---- new accounts ------------------------------------------------------------------

#[test]
fn a_new_account_is_created_with_its_identity_in_one_call() {
    let mut p = Parts::new();
    p.flow("google", None);
    p.exchanges(profile());
    unlinked(&mut p);
    p.users.expect_find_by_email().returning(|_| Ok(vec![]));
    let (created, cell) = sink::<(User, OAuthIdentity)>();
    p.identities
        .expect_insert_with_user()
        .times(1)
        .returning(move |u, i| {
            *cell.lock().expect("lock") = Some((u.clone(), i));
            Ok(u)
        });
    p.accept_session();
    let (oauth, codec) = p.build();

    let done = block_on(oauth.callback("google", callback_input(), &client())).expect("done");

    let (u, i) = created.lock().expect("lock").clone().expect("created");
    assert_eq!(u.id, "id-1");
    assert_eq!(u.email, "alice@example.org");
    assert_eq!(u.email_verified_at, Some(t0()));
    assert_eq!(u.name, "Alice");
    assert_eq!(u.avatar_url, "https://img/alice.png");
    assert_eq!(u.provider, "google");
    assert_eq!(u.accesses, vec![Access::User]);
    assert!(u.is_active);
    assert_eq!(u.password_hash, None);
    assert_eq!((u.created_at, u.updated_at), (t0(), t0()));
    assert_eq!(
        (i.provider.as_str(), i.subject.as_str(), i.user_id.as_str()),
        ("google", "g-123", "id-1")
    );
    assert_eq!(codec.claims(&done.tokens.access_token).provider, "google");
}

#[test]
fn an_unverified_email_is_neither_linked_nor_stored() {
    let mut p = Parts::new();
    p.flow("google", None);
    p.exchanges(OAuthProfile {
        email_verified: false,
        name: String::new(),
        ..profile()
    });
    unlinked(&mut p);
    p.users.expect_find_by_email().never();
    p.identities
        .expect_insert_with_user()
        .withf(|u, _| u.email.is_empty() && u.email_verified_at.is_none() && u.name == "User")
        .times(1)
        .returning(|u, _| Ok(u));
    p.accept_session();
    let (oauth, _) = p.build();
    assert!(block_on(oauth.callback("google", callback_input(), &client())).is_ok());
}

#[test]
fn a_nameless_profile_is_named_after_the_email() {
    let mut p = Parts::new();
    p.flow("google", None);
    p.exchanges(OAuthProfile {
        name: " <> ".into(),
        ..profile()
    });
    unlinked(&mut p);
    p.users.expect_find_by_email().returning(|_| Ok(vec![]));
    p.identities
        .expect_insert_with_user()
        .withf(|u, _| u.name == "alice")
        .times(1)
        .returning(|u, _| Ok(u));
    p.accept_session();
    let (oauth, _) = p.build();
    assert!(block_on(oauth.callback("google", callback_input(), &client())).is_ok());
}

#[test]
fn a_new_account_needs_registration_enabled() {
    let mut p = Parts::new();
    p.registration_off();
    p.flow("google", None);
    p.exchanges(profile());
    unlinked(&mut p);
    p.users.expect_find_by_email().returning(|_| Ok(vec![]));
    p.identities.expect_insert_with_user().never();
    let (oauth, _) = p.build();
    assert_flow_err(
        block_on(oauth.callback("google", callback_input(), &client())),
        "forbidden",
        "Registration is currently disabled",
    );
}

#[test]
fn an_email_registered_concurrently_is_409() {
    let mut p = Parts::new();
    p.flow("google", None);
    p.exchanges(profile());
    unlinked(&mut p);
    p.users.expect_find_by_email().returning(|_| Ok(vec![]));
    p.identities
        .expect_insert_with_user()
        .returning(|_, _| Err(StoreError::Conflict("user_email")));
    let (oauth, _) = p.build();
    assert_flow_err(
        block_on(oauth.callback("google", callback_input(), &client())),
        "conflict",
        "An account with this email already exists via a different sign-in method",
    );
}

#[test]
fn a_concurrent_callback_of_the_same_subject_ends_in_its_account() {
    let mut p = Parts::new();
    p.flow("google", None);
    p.exchanges(profile());
    let mut seq = mockall::Sequence::new();
    p.identities
        .expect_find()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(None));
    p.users.expect_find_by_email().returning(|_| Ok(vec![]));
    p.identities
        .expect_insert_with_user()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Err(StoreError::Conflict("identity")));
    p.identities
        .expect_find()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|provider, subject| {
            Ok(Some(OAuthIdentity {
                id: "other".into(),
                provider: provider.into(),
                subject: subject.into(),
                user_id: "winner".into(),
                created_at: t0(),
            }))
        });
    p.users
        .expect_get()
        .returning(|id| Ok(Some(google_user(id))));
    p.accept_session();
    let (oauth, _) = p.build();
    let done = block_on(oauth.callback("google", callback_input(), &client())).expect("done");
    assert_eq!(done.user.id, "winner");
}

#[test]
fn without_frontend_url_the_redirect_is_same_origin() {
    let mut p = Parts::new();
    p.frontend_url = String::new();
    p.flow("google", Some("/r/x"));
    p.exchanges(profile());
    linked_to(&mut p, google_user("u1"));
    p.accept_session();
    let (oauth, _) = p.build();
    let done = block_on(oauth.callback("google", callback_input(), &client())).expect("done");
    assert_eq!(done.redirect_url, "/auth/callback?redirect=%2Fr%2Fx");
}

#[test]
fn store_failures_are_503() {
    let mut p = Parts::new();
    p.ceremonies
        .expect_get()
        .returning(|_, _| Err(StoreError::Unavailable(anyhow::anyhow!("down"))));
    let (oauth, _) = p.build();
    assert_flow_err(
        block_on(oauth.callback("google", callback_input(), &client())),
        "unavailable",
        "",
    );
}
