//! Unit tests of the `Passkeys` use case, one file per area.

mod body;
mod login;
mod manage;
mod register;
mod signup;

use std::sync::{Arc, Mutex};

use bedrud_ports::{
    Ceremony, CeremonyKind, MockCeremonyStore, MockPasskeyStore, MockPasskeyVerifier,
    MockSettingsStore, MockUserStore, Passkey, PasskeyChallenge, RuntimeSettings, StoreError,
};
use chrono::TimeDelta;
use serde_json::json;

use super::*;
use crate::ceremonies::b64url;
use crate::principal::Principal;
use crate::testkit::{
    FakeCodec, SeqIds, SessionsParts, assert_err, block_on, client, principal, t0, user,
};

/// The ceremony id every stored test ceremony has.
const CEREMONY: &str = "cer-1";

/// Mocks of a `Passkeys` under test.
struct Parts {
    users: MockUserStore,
    passkeys: MockPasskeyStore,
    ceremonies: MockCeremonyStore,
    settings: MockSettingsStore,
    verifier: MockPasskeyVerifier,
    sessions: SessionsParts,
    policy: AuthPolicy,
}

impl Parts {
    /// Fresh mocks; passkeys enabled by default policy and an empty settings row.
    fn new() -> Self {
        let mut p = Parts::bare();
        p.runtime(RuntimeSettings::default());
        p
    }

    /// Fresh mocks without any expectation.
    fn bare() -> Self {
        Parts {
            users: MockUserStore::new(),
            passkeys: MockPasskeyStore::new(),
            ceremonies: MockCeremonyStore::new(),
            settings: MockSettingsStore::new(),
            verifier: MockPasskeyVerifier::new(),
            sessions: SessionsParts::new(),
            policy: AuthPolicy::default(),
        }
    }

    fn runtime(&mut self, runtime: RuntimeSettings) {
        self.settings
            .expect_get()
            .returning(move || Ok(runtime.clone()));
    }

    /// `get` finds `ceremony` (under its own id only).
    fn stored(&mut self, ceremony: Ceremony) {
        self.ceremonies
            .expect_get()
            .returning(move |id, _| Ok((id == ceremony.id).then(|| ceremony.clone())));
    }

    /// The ceremony is consumed exactly once, and this caller wins.
    fn consumed(&mut self) {
        self.ceremonies
            .expect_consume()
            .withf(|id| id == CEREMONY)
            .times(1)
            .returning(|_| Ok(true));
    }

    /// Exactly one failed finish is recorded against the test ceremony.
    fn one_failure(&mut self) {
        self.ceremonies
            .expect_record_failure()
            .withf(|id, max| id == CEREMONY && *max == 5)
            .times(1)
            .returning(|_, _| Ok(()));
    }

    /// One session gets inserted.
    fn accept_session(&mut self) {
        self.sessions
            .sessions
            .expect_insert()
            .times(1)
            .returning(|_| Ok(()));
    }

    fn build(self) -> (Passkeys, Arc<FakeCodec>) {
        let codec = self.sessions.codec.clone();
        let clock = self.sessions.clock.clone();
        let ports = PasskeyPorts {
            users: Arc::new(self.users),
            passkeys: Arc::new(self.passkeys),
            ceremonies: Arc::new(self.ceremonies),
            settings: Arc::new(self.settings),
            verifier: Arc::new(self.verifier),
            clock,
            ids: Arc::new(SeqIds::default()),
        };
        let passkeys = Passkeys::new(ports, Arc::new(self.sessions.build()), self.policy);
        (passkeys, codec)
    }
}

/// A stored, unexpired ceremony `cer-1`.
fn ceremony(kind: CeremonyKind, user_id: Option<&str>, payload: serde_json::Value) -> Ceremony {
    Ceremony {
        id: CEREMONY.to_owned(),
        kind,
        user_id: user_id.map(str::to_owned),
        binding_hash: None,
        payload: payload.to_string(),
        failures: 0,
        created_at: t0(),
        expires_at: t0() + TimeDelta::minutes(5),
    }
}

/// A challenge as the verifier would make it.
fn challenge(options: serde_json::Value) -> PasskeyChallenge {
    PasskeyChallenge {
        options,
        state: "verifier-state".to_owned(),
    }
}

/// A stored passkey of `user_id` with credential id `cred` and counter `count`.
fn passkey(id: &str, user_id: &str, count: i64) -> Passkey {
    Passkey {
        id: id.to_owned(),
        user_id: user_id.to_owned(),
        credential_id: format!("cred-{id}").into_bytes(),
        name: "Passkey".to_owned(),
        credential: format!("credential-{id}"),
        sign_count: count,
        created_at: t0() - TimeDelta::days(1),
        last_used_at: None,
    }
}

/// base64url of a text.
fn enc(text: &str) -> String {
    b64url(text.as_bytes())
}

/// A flat register/sign-up finish body naming `cer-1`.
fn attestation_body() -> CredentialBody {
    CredentialBody {
        ceremony_id: Some(CEREMONY.to_owned()),
        client_data_json: Some(enc("client-data")),
        attestation_object: Some(enc("attestation")),
        ..CredentialBody::default()
    }
}

/// A flat login finish body naming `cer-1` and credential `cred-<id>`.
fn assertion_body(passkey_id: &str) -> CredentialBody {
    CredentialBody {
        ceremony_id: Some(CEREMONY.to_owned()),
        credential_id: Some(enc(&format!("cred-{passkey_id}"))),
        client_data_json: Some(enc("client-data")),
        authenticator_data: Some(enc("auth-data")),
        signature: Some(enc("signature")),
        ..CredentialBody::default()
    }
}

fn unavailable() -> StoreError {
    StoreError::Unavailable(anyhow::anyhow!("down"))
}

#[test]
fn every_operation_answers_403_first_when_disabled_by_config() {
    let mut p = Parts::bare();
    p.runtime(RuntimeSettings::default());
    p.policy.passkeys_enabled = false;
    // No other port may be touched: the mocks have no further expectations.
    let (passkeys, _) = p.build();
    let me = principal(user("u1"), "s1");
    let body = attestation_body();
    let msg = "Passkeys are disabled";
    assert_err(block_on(passkeys.register_begin(&me)), "forbidden", msg);
    assert_err(
        block_on(passkeys.register_finish(&me, &CredentialBody::default(), None)),
        "forbidden",
        msg,
    );
    assert_err(block_on(passkeys.login_begin(None)), "forbidden", msg);
    assert_err(
        block_on(passkeys.login_finish(&body, None, &client())),
        "forbidden",
        msg,
    );
    assert_err(
        block_on(passkeys.signup_begin(PasskeySignup::default())),
        "forbidden",
        msg,
    );
    assert_err(
        block_on(passkeys.signup_finish(&body, None, &client())),
        "forbidden",
        msg,
    );
    assert_err(block_on(passkeys.list(&me)), "forbidden", msg);
    assert_err(block_on(passkeys.delete(&me, "pk-1")), "forbidden", msg);
}

#[test]
fn the_runtime_row_overrides_config_both_ways() {
    let mut p = Parts::bare();
    p.runtime(RuntimeSettings {
        passkeys_enabled: Some(false),
        ..RuntimeSettings::default()
    });
    let (passkeys, _) = p.build();
    assert_err(
        block_on(passkeys.login_begin(None)),
        "forbidden",
        "Passkeys are disabled",
    );

    let mut p = Parts::bare();
    p.policy.passkeys_enabled = false;
    p.runtime(RuntimeSettings {
        passkeys_enabled: Some(true),
        ..RuntimeSettings::default()
    });
    p.verifier
        .expect_begin_authentication()
        .returning(|_| Ok(challenge(json!({"challenge": "c"}))));
    p.ceremonies.expect_insert().returning(|_| Ok(()));
    let (passkeys, _) = p.build();
    assert!(block_on(passkeys.login_begin(None)).is_ok());
}

#[test]
fn settings_store_failure_is_a_503() {
    let mut p = Parts::bare();
    p.settings.expect_get().returning(|| Err(unavailable()));
    let (passkeys, _) = p.build();
    assert_err(block_on(passkeys.login_begin(None)), "unavailable", "");
}

#[test]
fn begin_body_carries_options_flat_and_under_public_key() {
    let begin = PasskeyBegin {
        ceremony_id: "abc".to_owned(),
        options: json!({"challenge": "Y2g", "timeout": 300000}),
    };
    assert_eq!(
        begin.body(),
        json!({
            "ceremonyId": "abc", "challenge": "Y2g", "timeout": 300000,
            "publicKey": {"challenge": "Y2g", "timeout": 300000}
        })
    );
}

/// Where a mock leaves the value it was called with.
type Cell<T> = Arc<Mutex<Option<T>>>;

/// Captures the value a mock was called with: one handle to read, one for the mock.
fn sink<T>() -> (Cell<T>, Cell<T>) {
    let cell = Arc::new(Mutex::new(None));
    (cell.clone(), cell)
}

#[test]
fn the_use_case_and_its_futures_are_send() {
    fn is_send<T: Send>(_: T) {}
    fn is_shareable<T: Send + Sync + 'static>() {}
    is_shareable::<Passkeys>();
    let (passkeys, _) = Parts::bare().build();
    let me = principal(user("u1"), "s1");
    let body = CredentialBody::default();
    // Futures are only built, never polled: no port is called.
    is_send(passkeys.register_begin(&me));
    is_send(passkeys.register_finish(&me, &body, None));
    is_send(passkeys.login_begin(None));
    is_send(passkeys.login_finish(&body, None, &client()));
    is_send(passkeys.signup_begin(PasskeySignup::default()));
    is_send(passkeys.signup_finish(&body, None, &client()));
    is_send(passkeys.list(&me));
    is_send(passkeys.delete(&me, "pk"));
}
