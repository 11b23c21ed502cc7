use std::sync::{Arc, Mutex};

use bedrud_ports::{
    HashError, MockPasswordHasher, MockSettingsStore, MockUserStore, RuntimeSettings, TokenKind,
};
use chrono::TimeDelta;

use super::*;
use crate::testkit::*;

const GOOD_PASSWORD: &str = "correct horse battery";

struct Parts {
    users: MockUserStore,
    settings: MockSettingsStore,
    hasher: MockPasswordHasher,
    sessions: SessionsParts,
    policy: AuthPolicy,
}

impl Parts {
    fn new() -> Self {
        Parts {
            users: MockUserStore::new(),
            settings: MockSettingsStore::new(),
            hasher: MockPasswordHasher::new(),
            sessions: SessionsParts::new(),
            policy: AuthPolicy::default(),
        }
    }

    fn runtime(&mut self, runtime: RuntimeSettings) {
        self.settings
            .expect_get()
            .returning(move || Ok(runtime.clone()));
    }

    /// Sessions get inserted for anyone who signs in.
    fn accept_sessions(&mut self) {
        self.sessions
            .sessions
            .expect_insert()
            .times(1)
            .returning(|_| Ok(()));
    }

    fn no_sessions(&mut self) {
        self.sessions.sessions.expect_insert().never();
    }

    fn build(self) -> (Accounts, Arc<FakeCodec>) {
        let codec = self.sessions.codec.clone();
        let clock = self.sessions.clock.clone();
        let sessions = Arc::new(self.sessions.build());
        let accounts = Accounts::new(
            Arc::new(self.users),
            Arc::new(self.settings),
            Arc::new(self.hasher),
            sessions,
            clock,
            Arc::new(SeqIds::default()),
            self.policy,
        );
        (accounts, codec)
    }
}

fn registration(email: &str, password: &str, name: &str) -> Registration {
    Registration {
        email: email.into(),
        password: password.into(),
        name: name.into(),
    }
}

fn unavailable() -> StoreError {
    StoreError::Unavailable(anyhow::anyhow!("down"))
}

// ---- register ------------------------------------------------------------------------

#[test]
fn register_creates_an_active_local_user_and_a_session() {
    let mut p = Parts::new();
    p.runtime(RuntimeSettings::default());
    p.users
        .expect_find_by_email()
        .withf(|e| e == "alice@example.org")
        .times(1)
        .returning(|_| Ok(vec![]));
    p.hasher
        .expect_hash()
        .withf(|pw| pw == GOOD_PASSWORD)
        .times(1)
        .returning(|_| Ok("argon2-hash".into()));
    let inserted: Arc<Mutex<Option<User>>> = Arc::default();
    let sink = inserted.clone();
    p.users.expect_insert().times(1).returning(move |u| {
        *sink.lock().expect("lock") = Some(u.clone());
        Ok(u)
    });
    p.accept_sessions();
    let (accounts, codec) = p.build();

    let signed = block_on(accounts.register(
        registration(" Alice@Example.ORG ", GOOD_PASSWORD, "  <Alice>  "),
        &client(),
    ))
    .expect("registered");

    let u = inserted.lock().expect("lock").clone().expect("inserted");
    assert_eq!(u.id, "id-1");
    assert_eq!(u.email, "alice@example.org");
    assert_eq!(u.name, "Alice");
    assert_eq!(u.provider, "local");
    assert_eq!(u.accesses, vec![Access::User]);
    assert!(u.is_active);
    assert_eq!(u.password_hash.as_deref(), Some("argon2-hash"));
    assert_eq!(u.email_verified_at, None);
    assert_eq!((u.created_at, u.updated_at), (t0(), t0()));
    assert_eq!(signed.user, u);
    let claims = codec.claims(&signed.tokens.access_token);
    assert_eq!(claims.user_id, "id-1");
    assert_eq!(claims.kind, TokenKind::Access);
}

#[test]
fn register_rejects_bad_emails_first() {
    for email in ["", "not-an-email", "Bob <bob@x.org>"] {
        let mut p = Parts::new();
        p.settings.expect_get().never();
        let (accounts, _) = p.build();
        assert_err(
            block_on(accounts.register(registration(email, "x", "A"), &client())),
            "invalid",
            "Invalid email format",
        );
    }
}

#[test]
fn register_checks_the_sanitised_name() {
    let (accounts, _) = Parts::new().build();
    assert_err(
        block_on(accounts.register(registration("a@x.org", "x", " <a> "), &client())),
        "invalid",
        "Name must be at least 2 characters",
    );
    let (accounts, _) = Parts::new().build();
    assert_err(
        block_on(accounts.register(registration("a@x.org", "x", &"n".repeat(256)), &client())),
        "invalid",
        "Name must be at most 255 characters",
    );
}

#[test]
fn register_refuses_when_disabled_before_checking_the_password() {
    let mut p = Parts::new();
    p.runtime(RuntimeSettings {
        registration_enabled: Some(false),
        ..RuntimeSettings::default()
    });
    p.users.expect_find_by_email().never();
    let (accounts, _) = p.build();
    assert_err(
        block_on(accounts.register(registration("a@x.org", "short", "Al"), &client())),
        "forbidden",
        "Registration is currently disabled",
    );
}

#[test]
fn register_disabled_by_config_is_reenabled_by_the_settings_row() {
    let mut p = Parts::new();
    p.policy.registration_enabled = false;
    p.runtime(RuntimeSettings {
        registration_enabled: Some(true),
        ..RuntimeSettings::default()
    });
    let (accounts, _) = p.build();
    // Past the registration switch, the password check answers.
    assert_err(
        block_on(accounts.register(registration("a@x.org", "short", "Al"), &client())),
        "invalid",
        "Password must be at least 12 characters",
    );

    let mut p = Parts::new();
    p.policy.registration_enabled = false;
    p.runtime(RuntimeSettings::default());
    let (accounts, _) = p.build();
    assert_err(
        block_on(accounts.register(registration("a@x.org", "short", "Al"), &client())),
        "forbidden",
        "Registration is currently disabled",
    );
}

#[test]
fn register_checks_password_length_in_bytes() {
    let mut p = Parts::new();
    p.runtime(RuntimeSettings::default());
    let (accounts, _) = p.build();
    assert_err(
        block_on(accounts.register(registration("a@x.org", &"p".repeat(129), "Al"), &client())),
        "invalid",
        "Password must be at most 128 characters",
    );
    assert_err(
        block_on(accounts.register(registration("a@x.org", "elevenbytes", "Al"), &client())),
        "invalid",
        "Password must be at least 12 characters",
    );
}

#[test]
fn register_refuses_an_email_used_by_any_account() {
    let mut p = Parts::new();
    p.runtime(RuntimeSettings::default());
    p.users
        .expect_find_by_email()
        .returning(|_| Ok(vec![user_with_provider("g1", "google")]));
    p.hasher.expect_hash().never();
    p.users.expect_insert().never();
    let (accounts, _) = p.build();
    assert_err(
        block_on(accounts.register(registration("a@x.org", GOOD_PASSWORD, "Al"), &client())),
        "invalid",
        "Unable to register with the provided details",
    );
}

#[test]
fn register_also_looks_up_the_unicode_domain_form() {
    let mut p = Parts::new();
    p.runtime(RuntimeSettings::default());
    let asked: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = asked.clone();
    p.users.expect_find_by_email().times(2).returning(move |e| {
        sink.lock().expect("lock").push(e.to_owned());
        // Only the migrated Unicode form exists.
        Ok(if e.contains("bücher") {
            vec![user("old")]
        } else {
            vec![]
        })
    });
    p.users.expect_insert().never();
    let (accounts, _) = p.build();
    assert_err(
        block_on(accounts.register(registration("a@Bücher.de", GOOD_PASSWORD, "Al"), &client())),
        "invalid",
        "Unable to register with the provided details",
    );
    assert_eq!(
        *asked.lock().expect("lock"),
        vec!["a@xn--bcher-kva.de", "a@bücher.de"]
    );
}

#[test]
fn register_losing_the_unique_constraint_gets_the_same_400() {
    let mut p = Parts::new();
    p.runtime(RuntimeSettings::default());
    p.users.expect_find_by_email().returning(|_| Ok(vec![]));
    p.hasher.expect_hash().returning(|_| Ok("h".into()));
    p.users
        .expect_insert()
        .returning(|_| Err(StoreError::Conflict("user_email")));
    p.no_sessions();
    let (accounts, _) = p.build();
    assert_err(
        block_on(accounts.register(registration("a@x.org", GOOD_PASSWORD, "Al"), &client())),
        "invalid",
        "Unable to register with the provided details",
    );
}

#[test]
fn register_reports_an_unavailable_database() {
    let mut p = Parts::new();
    p.runtime(RuntimeSettings::default());
    p.users.expect_find_by_email().returning(|_| Ok(vec![]));
    p.hasher.expect_hash().returning(|_| Ok("h".into()));
    p.users.expect_insert().returning(|_| Err(unavailable()));
    let (accounts, _) = p.build();
    let err = block_on(accounts.register(registration("a@x.org", GOOD_PASSWORD, "Al"), &client()))
        .expect_err("fails");
    assert!(matches!(err, DomainError::Unavailable(_)), "{err:?}");
}

// ---- login ---------------------------------------------------------------------------

fn login_parts(accounts: Vec<User>, verification: Verification) -> Parts {
    let mut p = Parts::new();
    p.users
        .expect_find_by_email()
        .returning(move |_| Ok(accounts.clone()));
    p.hasher
        .expect_verify()
        .times(1)
        .returning(move |_, _| Ok(verification));
    p
}

#[test]
fn login_signs_in_with_the_canonical_email() {
    let mut p = Parts::new();
    p.users
        .expect_find_by_email()
        .withf(|e| e == "u1@example.org")
        .times(1)
        .returning(|_| Ok(vec![user("u1")]));
    p.hasher
        .expect_verify()
        .withf(|pw, hash| pw == GOOD_PASSWORD && hash.as_deref() == Some("hash-u1"))
        .times(1)
        .returning(|_, _| Ok(Verification::Match));
    p.hasher.expect_hash().never();
    p.users.expect_set_password_hash().never();
    p.accept_sessions();
    let (accounts, codec) = p.build();
    let signed =
        block_on(accounts.login(" U1@Example.ORG ", GOOD_PASSWORD, &client())).expect("signed in");
    assert_eq!(signed.user.id, "u1");
    assert_eq!(codec.claims(&signed.tokens.refresh_token).user_id, "u1");
}

#[test]
fn login_requires_email_and_password() {
    for (email, password) in [("", "pw"), ("  \u{FEFF} ", "pw"), ("a@x.org", "")] {
        let mut p = Parts::new();
        p.hasher.expect_verify().never();
        let (accounts, _) = p.build();
        assert_err(
            block_on(accounts.login(email, password, &client())),
            "invalid",
            "Email and password are required",
        );
    }
}

#[test]
fn login_rejects_overlong_passwords_before_hashing() {
    let mut p = Parts::new();
    p.hasher.expect_verify().never();
    let (accounts, _) = p.build();
    assert_err(
        block_on(accounts.login("a@x.org", &"p".repeat(129), &client())),
        "invalid",
        "Password must be at most 128 characters",
    );
}

#[test]
fn login_with_unknown_email_still_verifies_once() {
    let mut p = Parts::new();
    p.users.expect_find_by_email().returning(|_| Ok(vec![]));
    p.hasher
        .expect_verify()
        .withf(|_, hash| hash.is_none())
        .times(1)
        .returning(|_, _| Ok(Verification::Mismatch));
    p.no_sessions();
    let (accounts, _) = p.build();
    assert_err(
        block_on(accounts.login("nobody@x.org", GOOD_PASSWORD, &client())),
        "unauthorized",
        "Invalid credentials",
    );
}

#[test]
fn login_with_malformed_email_still_verifies_once() {
    let mut p = Parts::new();
    p.users.expect_find_by_email().never();
    p.hasher
        .expect_verify()
        .withf(|_, hash| hash.is_none())
        .times(1)
        .returning(|_, _| Ok(Verification::Mismatch));
    let (accounts, _) = p.build();
    assert_err(
        block_on(accounts.login("not-an-email", GOOD_PASSWORD, &client())),
        "unauthorized",
        "Invalid credentials",
    );
}

#[test]
fn login_ignores_password_less_and_oauth_accounts() {
    let google_with_hash = User {
        password_hash: Some("stray".into()),
        ..user_with_provider("g1", "google")
    };
    for account in [
        user_with_provider("g2", "github"),
        user_with_provider("p1", "passkey"),
        google_with_hash,
        user_with_provider("guest1", "guest"),
    ] {
        let mut p = Parts::new();
        p.users
            .expect_find_by_email()
            .returning(move |_| Ok(vec![account.clone()]));
        // Even if the dummy verify "matched", nobody is signed in.
        p.hasher
            .expect_verify()
            .withf(|_, hash| hash.is_none())
            .times(1)
            .returning(|_, _| Ok(Verification::Match));
        p.no_sessions();
        let (accounts, _) = p.build();
        assert_err(
            block_on(accounts.login("a@x.org", GOOD_PASSWORD, &client())),
            "unauthorized",
            "Invalid credentials",
        );
    }
}

#[test]
fn login_accepts_a_passkey_user_who_set_a_password() {
    let passkey = User {
        password_hash: Some("hash-p1".into()),
        ..user_with_provider("p1", "passkey")
    };
    let mut p = login_parts(vec![passkey], Verification::Match);
    p.accept_sessions();
    let (accounts, _) = p.build();
    let signed = block_on(accounts.login("a@x.org", GOOD_PASSWORD, &client())).expect("ok");
    assert_eq!(signed.user.id, "p1");
}

#[test]
fn login_prefers_the_local_account() {
    let passkey = User {
        password_hash: Some("hash-p1".into()),
        ..user_with_provider("p1", "passkey")
    };
    let mut p = Parts::new();
    p.users
        .expect_find_by_email()
        .returning(move |_| Ok(vec![passkey.clone(), user("l1")]));
    p.hasher
        .expect_verify()
        .withf(|_, hash| hash.as_deref() == Some("hash-l1"))
        .returning(|_, _| Ok(Verification::Match));
    p.accept_sessions();
    let (accounts, _) = p.build();
    let signed = block_on(accounts.login("a@x.org", GOOD_PASSWORD, &client())).expect("ok");
    assert_eq!(signed.user.id, "l1");
}

#[test]
fn login_with_wrong_password_is_invalid_credentials() {
    let mut p = login_parts(vec![user("u1")], Verification::Mismatch);
    p.no_sessions();
    let (accounts, _) = p.build();
    assert_err(
        block_on(accounts.login("u1@example.org", "wrong password!", &client())),
        "unauthorized",
        "Invalid credentials",
    );
}

#[test]
fn login_of_an_inactive_account_is_invalid_credentials_even_with_the_right_password() {
    for verification in [Verification::Match, Verification::Mismatch] {
        let inactive = User {
            is_active: false,
            ..user("u1")
        };
        let mut p = login_parts(vec![inactive], verification);
        p.no_sessions();
        p.hasher.expect_hash().never();
        let (accounts, _) = p.build();
        assert_err(
            block_on(accounts.login("u1@example.org", GOOD_PASSWORD, &client())),
            "unauthorized",
            "Invalid credentials",
        );
    }
}

#[test]
fn login_upgrades_a_legacy_hash() {
    let mut p = login_parts(vec![user("u1")], Verification::MatchNeedsRehash);
    p.hasher
        .expect_hash()
        .withf(|pw| pw == GOOD_PASSWORD)
        .times(1)
        .returning(|_| Ok("argon2-new".into()));
    p.users
        .expect_set_password_hash()
        .withf(|id, hash, changed, now| {
            id == "u1" && hash == "argon2-new" && changed.is_none() && *now == t0()
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    p.accept_sessions();
    let (accounts, _) = p.build();
    block_on(accounts.login("u1@example.org", GOOD_PASSWORD, &client())).expect("signed in");
}

#[test]
fn login_survives_a_failed_hash_upgrade() {
    let mut p = login_parts(vec![user("u1")], Verification::MatchNeedsRehash);
    p.hasher
        .expect_hash()
        .returning(|_| Ok("argon2-new".into()));
    p.users
        .expect_set_password_hash()
        .times(1)
        .returning(|_, _, _, _| Err(unavailable()));
    p.accept_sessions();
    let (accounts, _) = p.build();
    block_on(accounts.login("u1@example.org", GOOD_PASSWORD, &client())).expect("signed in");

    let mut p = login_parts(vec![user("u1")], Verification::MatchNeedsRehash);
    p.hasher
        .expect_hash()
        .returning(|_| Err(HashError::Failed(anyhow::anyhow!("pool closed"))));
    p.users.expect_set_password_hash().never();
    p.accept_sessions();
    let (accounts, _) = p.build();
    block_on(accounts.login("u1@example.org", GOOD_PASSWORD, &client())).expect("signed in");
}

// ---- guest login ---------------------------------------------------------------------

#[test]
fn guest_login_creates_a_guest_and_a_session() {
    let mut p = Parts::new();
    p.runtime(RuntimeSettings::default());
    let inserted: Arc<Mutex<Option<User>>> = Arc::default();
    let sink = inserted.clone();
    p.users.expect_insert().times(1).returning(move |u| {
        *sink.lock().expect("lock") = Some(u.clone());
        Ok(u)
    });
    p.accept_sessions();
    let (accounts, codec) = p.build();
    let signed = block_on(accounts.guest_login(" Bob's <cat> ", &client())).expect("guest");
    let u = inserted.lock().expect("lock").clone().expect("inserted");
    assert_eq!(u.id, "id-1");
    assert_eq!(u.email, "guest_id-1@bedrud.guest");
    assert_eq!(u.name, "Bobs cat");
    assert_eq!(u.provider, "guest");
    assert_eq!(u.accesses, vec![Access::Guest]);
    assert_eq!(u.password_hash, None);
    assert!(u.is_active && u.is_guest());
    assert_eq!(codec.claims(&signed.tokens.access_token).provider, "guest");
}

#[test]
fn guest_login_name_rules() {
    let cases = [
        ("", "Name is required"),
        ("<>", "Name must be between 2 and 50 characters"),
        ("   ", "Name must be between 2 and 50 characters"),
        ("x", "Name must be between 2 and 50 characters"),
    ];
    for (name, message) in cases {
        let mut p = Parts::new();
        p.settings.expect_get().never();
        let (accounts, _) = p.build();
        assert_err(
            block_on(accounts.guest_login(name, &client())),
            "invalid",
            message,
        );
    }
    let (accounts, _) = Parts::new().build();
    assert_err(
        block_on(accounts.guest_login(&"g".repeat(51), &client())),
        "invalid",
        "Name must be between 2 and 50 characters",
    );
}

#[test]
fn guest_login_needs_registration_then_guest_login_enabled() {
    let cases = [
        (
            Some(false),
            Some(false),
            "Registration is currently disabled",
        ),
        (
            Some(false),
            Some(true),
            "Registration is currently disabled",
        ),
        (None, Some(false), "Guest login is currently disabled"),
    ];
    for (registration, guest, message) in cases {
        let mut p = Parts::new();
        p.runtime(RuntimeSettings {
            registration_enabled: registration,
            guest_login_enabled: guest,
            ..RuntimeSettings::default()
        });
        p.users.expect_insert().never();
        let (accounts, _) = p.build();
        assert_err(
            block_on(accounts.guest_login("Guesty", &client())),
            "forbidden",
            message,
        );
    }
}

// ---- me / update_me ------------------------------------------------------------------

#[test]
fn me_returns_the_callers_row() {
    let (accounts, _) = Parts::new().build();
    let p = principal(superadmin("u1"), "s1");
    assert_eq!(accounts.me(&p), superadmin("u1"));
}

fn change(name: &str, email: Option<&str>) -> ProfileChange {
    ProfileChange {
        name: name.into(),
        email: email.map(str::to_owned),
    }
}

#[test]
fn update_me_renames_without_touching_sessions() {
    let mut p = Parts::new();
    p.users
        .expect_update_profile()
        .withf(|id, name, email, now| {
            id == "u1" && name == "New Name" && email.is_none() && *now == t0()
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    p.sessions.sessions.expect_revoke_all().never();
    p.sessions.sessions.expect_rotate().never();
    let (accounts, _) = p.build();
    let updated = block_on(accounts.update_me(
        &principal(user("u1"), "s1"),
        change(" New <Name> ", None),
        &client(),
    ))
    .expect("updated");
    assert_eq!(updated.user.name, "New Name");
    assert_eq!(updated.user.email, "u1@example.org");
    assert_eq!(updated.user.updated_at, t0());
    assert_eq!(updated.tokens, None);
}

#[test]
fn update_me_checks_the_name_first() {
    for (name, message) in [
        ("a", "Name must be at least 2 characters"),
        (
            &"n".repeat(256) as &str,
            "Name must be at most 255 characters",
        ),
    ] {
        let mut p = Parts::new();
        p.users.expect_update_profile().never();
        let (accounts, _) = p.build();
        // The guest's email change would also fail, but the name is checked first.
        assert_err(
            block_on(accounts.update_me(
                &principal(user_with_provider("g1", "guest"), "s1"),
                change(name, Some("new@x.org")),
                &client(),
            )),
            "invalid",
            message,
        );
    }
}

#[test]
fn update_me_with_the_same_email_changes_only_the_name() {
    for (provider, given) in [
        ("local", " U1@EXAMPLE.org "),
        ("google", "u1@example.org"),
        ("guest", "u1@example.org"),
        ("local", ""),
        ("github", "  "),
    ] {
        let mut p = Parts::new();
        p.users.expect_find_by_email().never();
        p.users
            .expect_update_profile()
            .withf(|_, _, email, _| email.is_none())
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let (accounts, _) = p.build();
        let updated = block_on(accounts.update_me(
            &principal(user_with_provider("u1", provider), "s1"),
            change("Same Mail", Some(given)),
            &client(),
        ))
        .expect("updated");
        assert_eq!(updated.tokens, None);
    }
}

#[test]
fn update_me_email_change_is_refused_for_oauth_and_guest_accounts() {
    for provider in ["google", "github", "guest", "keycloak"] {
        for email in ["new@x.org", "not an email"] {
            let mut p = Parts::new();
            p.users.expect_update_profile().never();
            let (accounts, _) = p.build();
            assert_err(
                block_on(accounts.update_me(
                    &principal(user_with_provider("u1", provider), "s1"),
                    change("Name", Some(email)),
                    &client(),
                )),
                "invalid",
                "Cannot change email for OAuth accounts",
            );
        }
    }
}

#[test]
fn update_me_rejects_a_malformed_email() {
    let mut p = Parts::new();
    p.users.expect_update_profile().never();
    let (accounts, _) = p.build();
    assert_err(
        block_on(accounts.update_me(
            &principal(user("u1"), "s1"),
            change("Name", Some("Bob <bob@x.org>")),
            &client(),
        )),
        "invalid",
        "Invalid email format",
    );
}

#[test]
fn update_me_rejects_an_email_in_use() {
    let mut p = Parts::new();
    p.users
        .expect_find_by_email()
        .withf(|e| e == "taken@x.org")
        .returning(|_| Ok(vec![user_with_provider("other", "github")]));
    p.users.expect_update_profile().never();
    let (accounts, _) = p.build();
    assert_err(
        block_on(accounts.update_me(
            &principal(user("u1"), "s1"),
            change("Name", Some("Taken@X.org")),
            &client(),
        )),
        "invalid",
        "email already in use",
    );
}

#[test]
fn update_me_maps_a_lost_unique_race_to_email_in_use() {
    let mut p = Parts::new();
    p.users.expect_find_by_email().returning(|_| Ok(vec![]));
    p.users
        .expect_update_profile()
        .returning(|_, _, _, _| Err(StoreError::Conflict("user_email")));
    p.sessions.sessions.expect_revoke_all().never();
    let (accounts, _) = p.build();
    assert_err(
        block_on(accounts.update_me(
            &principal(user("u1"), "s1"),
            change("Name", Some("new@x.org")),
            &client(),
        )),
        "invalid",
        "email already in use",
    );
}

#[test]
fn update_me_email_change_revokes_others_and_reissues_this_session() {
    let mut p = Parts::new();
    // The only match is the caller's own legacy row: no conflict.
    p.users
        .expect_find_by_email()
        .returning(|_| Ok(vec![user("u1")]));
    p.users
        .expect_update_profile()
        .withf(|id, name, email, _| {
            id == "u1" && name == "Alice" && email.as_deref() == Some("new@x.org")
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    p.sessions
        .sessions
        .expect_revoke_all()
        .withf(|uid, except, reason, _| {
            uid == "u1" && except.as_deref() == Some("s1") && reason == "email_change"
        })
        .times(1)
        .returning(|_, _, _, _| Ok(2));
    p.sessions
        .sessions
        .expect_get()
        .withf(|id| id == "s1")
        .returning(|_| Ok(Some(session("s1", "u1"))));
    p.sessions
        .sessions
        .expect_rotate()
        .withf(|r| r.session_id == "s1" && r.expected_hash == "h0")
        .times(1)
        .returning(|_| Ok(true));
    let (accounts, codec) = p.build();
    let verified = User {
        email_verified_at: Some(t0() - TimeDelta::days(1)),
        ..user("u1")
    };
    let updated = block_on(accounts.update_me(
        &principal(verified, "s1"),
        change("Alice", Some("NEW@x.org")),
        &client(),
    ))
    .expect("updated");
    assert_eq!(updated.user.email, "new@x.org");
    assert_eq!(updated.user.name, "Alice");
    assert_eq!(updated.user.email_verified_at, None);
    let tokens = updated.tokens.expect("new pair");
    let access = codec.claims(&tokens.access_token);
    assert_eq!(access.session_id, "s1");
    assert_eq!(access.email, "new@x.org");
    assert_eq!(access.name, "Alice");
}

#[test]
fn update_me_lets_a_passkey_user_change_email() {
    let mut p = Parts::new();
    p.users.expect_find_by_email().returning(|_| Ok(vec![]));
    p.users
        .expect_update_profile()
        .returning(|_, _, _, _| Ok(()));
    p.sessions
        .sessions
        .expect_revoke_all()
        .returning(|_, _, _, _| Ok(0));
    p.sessions
        .sessions
        .expect_get()
        .returning(|_| Ok(Some(session("s1", "p1"))));
    p.sessions.sessions.expect_rotate().returning(|_| Ok(true));
    let (accounts, _) = p.build();
    let updated = block_on(accounts.update_me(
        &principal(user_with_provider("p1", "passkey"), "s1"),
        change("Pat", Some("pat@x.org")),
        &client(),
    ))
    .expect("updated");
    assert!(updated.tokens.is_some());
}

// ---- change_password -----------------------------------------------------------------

fn password_change(current: Option<&str>, new: &str) -> PasswordChange {
    PasswordChange {
        current_password: current.map(str::to_owned),
        new_password: new.into(),
    }
}

#[test]
fn change_password_rehashes_and_revokes_other_sessions() {
    let mut p = Parts::new();
    p.hasher
        .expect_verify()
        .withf(|pw, hash| pw == "old password!" && hash.as_deref() == Some("hash-u1"))
        .times(1)
        .returning(|_, _| Ok(Verification::Match));
    p.hasher
        .expect_hash()
        .withf(|pw| pw == GOOD_PASSWORD)
        .times(1)
        .returning(|_| Ok("argon2-new".into()));
    p.users
        .expect_set_password_hash()
        .withf(|id, hash, changed, now| {
            id == "u1" && hash == "argon2-new" && *changed == Some(t0()) && *now == t0()
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    p.sessions
        .sessions
        .expect_revoke_all()
        .withf(|uid, except, reason, _| {
            uid == "u1" && except.as_deref() == Some("s1") && reason == "password_change"
        })
        .times(1)
        .returning(|_, _, _, _| Ok(4));
    let (accounts, _) = p.build();
    block_on(accounts.change_password(
        &principal(user("u1"), "s1"),
        password_change(Some("old password!"), GOOD_PASSWORD),
    ))
    .expect("changed");
}

#[test]
fn change_password_checks_the_new_length_first() {
    for (new, message) in [
        ("elevenbytes", "New password must be at least 12 characters"),
        (
            &"p".repeat(129) as &str,
            "New password must be at most 128 characters",
        ),
    ] {
        let mut p = Parts::new();
        p.hasher.expect_verify().never();
        let (accounts, _) = p.build();
        // A guest: the provider error would follow, but length comes first.
        assert_err(
            block_on(accounts.change_password(
                &principal(user_with_provider("g1", "guest"), "s1"),
                password_change(Some("whatever"), new),
            )),
            "invalid",
            message,
        );
    }
}

#[test]
fn change_password_is_only_for_local_and_passkey_accounts() {
    for provider in ["guest", "google", "github", "twitter", "keycloak"] {
        let mut p = Parts::new();
        p.hasher.expect_verify().never();
        p.users.expect_set_password_hash().never();
        let (accounts, _) = p.build();
        assert_err(
            block_on(accounts.change_password(
                &principal(user_with_provider("x1", provider), "s1"),
                password_change(Some("old password!"), GOOD_PASSWORD),
            )),
            "invalid",
            "password change is only available for local accounts",
        );
    }
}

#[test]
fn change_password_rejects_a_wrong_current_password() {
    let mut p = Parts::new();
    p.hasher
        .expect_verify()
        .returning(|_, _| Ok(Verification::Mismatch));
    p.hasher.expect_hash().never();
    p.users.expect_set_password_hash().never();
    p.sessions.sessions.expect_revoke_all().never();
    let (accounts, _) = p.build();
    assert_err(
        block_on(accounts.change_password(
            &principal(user("u1"), "s1"),
            password_change(Some("not my password"), GOOD_PASSWORD),
        )),
        "invalid",
        "current password is incorrect",
    );
}

#[test]
fn change_password_requires_the_current_password_when_one_exists() {
    let passkey_with_password = User {
        password_hash: Some("hash-p1".into()),
        ..user_with_provider("p1", "passkey")
    };
    for who in [user("u1"), passkey_with_password] {
        for current in [None, Some("")] {
            let mut p = Parts::new();
            p.hasher.expect_verify().never();
            p.users.expect_set_password_hash().never();
            let (accounts, _) = p.build();
            assert_err(
                block_on(accounts.change_password(
                    &principal(who.clone(), "s1"),
                    password_change(current, GOOD_PASSWORD),
                )),
                "invalid",
                "current password is incorrect",
            );
        }
    }
}

#[test]
fn change_password_lets_a_passkey_user_without_password_omit_it() {
    let mut p = Parts::new();
    p.hasher.expect_verify().never();
    p.hasher
        .expect_hash()
        .returning(|_| Ok("argon2-new".into()));
    p.users
        .expect_set_password_hash()
        .withf(|id, _, changed, _| id == "p1" && changed.is_some())
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    p.sessions
        .sessions
        .expect_revoke_all()
        .times(1)
        .returning(|_, _, _, _| Ok(0));
    let (accounts, _) = p.build();
    block_on(accounts.change_password(
        &principal(user_with_provider("p1", "passkey"), "s1"),
        password_change(None, GOOD_PASSWORD),
    ))
    .expect("set");
}

// ---- public settings -----------------------------------------------------------------

#[test]
fn public_settings_apply_runtime_overrides() {
    let mut p = Parts::new();
    p.policy.server_name = "Config".into();
    p.policy.oauth_providers = vec!["github".into()];
    p.runtime(RuntimeSettings {
        server_name: Some("Runtime".into()),
        passkeys_enabled: Some(false),
        ..RuntimeSettings::default()
    });
    let (accounts, _) = p.build();
    let s = block_on(accounts.public_settings()).expect("settings");
    assert_eq!(s.server_name, "Runtime");
    assert!(!s.passkeys_enabled);
    assert!(s.registration_enabled);
    assert_eq!(s.oauth_providers, vec!["github"]);
}

#[test]
fn public_settings_report_an_unavailable_database() {
    let mut p = Parts::new();
    p.settings.expect_get().returning(|| Err(unavailable()));
    let (accounts, _) = p.build();
    let err = block_on(accounts.public_settings()).expect_err("fails");
    assert!(matches!(err, DomainError::Unavailable(_)), "{err:?}");
}
