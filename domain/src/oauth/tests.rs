//! Unit tests of the `OAuth` use case.

mod begin;
mod callback;

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bedrud_ports::{
    Ceremony, CeremonyKind, IdSource, MockCeremonyStore, MockIdentityStore, MockOAuthProviders,
    MockSettingsStore, MockUserStore, OAuthError, OAuthIdentity, OAuthProfile, RuntimeSettings,
    StoreError, User,
};
use chrono::TimeDelta;
use serde_json::json;

use super::*;
use crate::ceremonies::{b64url, sha256_hex};
use crate::testkit::{FakeCodec, SessionsParts, assert_err, block_on, client, t0, user};

/// The `state` of the stored test flow, and its binding cookie.
const STATE: &str = "the-state";
const BINDING: &str = "the-binding";

/// Ids `id-1`, `id-2`, …; random bytes `[1; n]`, `[2; n]`, … so every token differs.
#[derive(Default)]
struct CountingIds {
    ids: AtomicU64,
    bytes: AtomicU8,
}

impl IdSource for CountingIds {
    fn uuid(&self) -> String {
        format!("id-{}", self.ids.fetch_add(1, Ordering::SeqCst) + 1)
    }
    fn random_string(&self, _alphabet: &'static str, len: usize) -> String {
        "x".repeat(len)
    }
    fn random_bytes(&self, len: usize) -> Vec<u8> {
        vec![self.bytes.fetch_add(1, Ordering::SeqCst) + 1; len]
    }
}

/// The n-th random token `CountingIds` hands out (1-based).
fn token(n: u8) -> String {
    b64url(&[n; 32])
}

/// Mocks of an `OAuth` under test.
struct Parts {
    users: MockUserStore,
    identities: MockIdentityStore,
    ceremonies: MockCeremonyStore,
    settings: MockSettingsStore,
    providers: MockOAuthProviders,
    sessions: SessionsParts,
    policy: AuthPolicy,
    frontend_url: String,
}

impl Parts {
    fn new() -> Self {
        let mut settings = MockSettingsStore::new();
        settings
            .expect_get()
            .returning(|| Ok(RuntimeSettings::default()));
        Parts {
            users: MockUserStore::new(),
            identities: MockIdentityStore::new(),
            ceremonies: MockCeremonyStore::new(),
            settings,
            providers: MockOAuthProviders::new(),
            sessions: SessionsParts::new(),
            policy: AuthPolicy {
                oauth_providers: vec!["google".into(), "keycloak".into()],
                ..AuthPolicy::default()
            },
            frontend_url: "https://meet.example.org/".into(),
        }
    }

    /// Registration switched off in the settings row.
    fn registration_off(&mut self) {
        self.settings.checkpoint();
        self.settings.expect_get().returning(|| {
            Ok(RuntimeSettings {
                registration_enabled: Some(false),
                ..RuntimeSettings::default()
            })
        });
    }

    /// The flow of `STATE` is stored (for `provider`, with `redirect`) and consumable once.
    fn flow(&mut self, provider: &str, redirect: Option<&str>) {
        let ceremony = flow_ceremony(provider, redirect);
        self.ceremonies
            .expect_get()
            .withf(|id, _| id == sha256_hex(STATE))
            .returning(move |_, _| Ok(Some(ceremony.clone())));
        self.ceremonies
            .expect_consume()
            .withf(|id| id == sha256_hex(STATE))
            .times(1)
            .returning(|_| Ok(true));
    }

    /// The provider exchanges the code of the test flow for `profile`.
    fn exchanges(&mut self, profile: OAuthProfile) {
        self.providers
            .expect_exchange()
            .withf(|provider, exchange| {
                provider == "google"
                    && exchange.code == "the-code"
                    && exchange.pkce_verifier == "the-verifier"
                    && exchange.nonce == "the-nonce"
            })
            .times(1)
            .returning(move |_, _| Ok(profile.clone()));
    }

    fn accept_session(&mut self) {
        self.sessions
            .sessions
            .expect_insert()
            .times(1)
            .returning(|_| Ok(()));
    }

    fn build(self) -> (OAuth, Arc<FakeCodec>) {
        let codec = self.sessions.codec.clone();
        let clock = self.sessions.clock.clone();
        let ports = OAuthPorts {
            users: Arc::new(self.users),
            identities: Arc::new(self.identities),
            ceremonies: Arc::new(self.ceremonies),
            settings: Arc::new(self.settings),
            providers: Arc::new(self.providers),
            clock,
            ids: Arc::new(CountingIds::default()),
        };
        let oauth = OAuth::new(
            ports,
            Arc::new(self.sessions.build()),
            self.policy,
            self.frontend_url,
        );
        (oauth, codec)
    }
}

/// The stored flow of `STATE`.
fn flow_ceremony(provider: &str, redirect: Option<&str>) -> Ceremony {
    Ceremony {
        id: sha256_hex(STATE),
        kind: CeremonyKind::OAuth,
        user_id: None,
        binding_hash: Some(sha256_hex(BINDING)),
        payload: json!({"provider": provider, "pkce_verifier": "the-verifier",
                        "nonce": "the-nonce", "redirect": redirect})
        .to_string(),
        failures: 0,
        created_at: t0(),
        expires_at: t0() + TimeDelta::minutes(10),
    }
}

/// The callback of the test flow.
fn callback_input() -> OAuthCallback {
    OAuthCallback {
        state: Some(STATE.into()),
        code: Some("the-code".into()),
        error: None,
        binding: Some(BINDING.into()),
    }
}

/// A Google profile with a verified email.
fn profile() -> OAuthProfile {
    OAuthProfile {
        subject: "g-123".into(),
        email: Some("Alice@Example.org".into()),
        email_verified: true,
        name: "Alice".into(),
        avatar_url: "https://img/alice.png".into(),
    }
}

/// Asserts an `Upstream` (502) failure with this message.
#[track_caller]
fn assert_upstream<T: std::fmt::Debug>(result: OAuthResult<T>, message: &str) {
    match result {
        Err(OAuthFlowError::Upstream { message: m, .. }) => assert_eq!(m, message),
        other => panic!("expected 502 `{message}`, got {other:?}"),
    }
}

/// Asserts a domain failure with this variant and message.
#[track_caller]
fn assert_flow_err<T: std::fmt::Debug>(result: OAuthResult<T>, variant: &str, message: &str) {
    match result {
        Err(OAuthFlowError::Domain(e)) => assert_err::<()>(Err(e), variant, message),
        other => panic!("expected {variant} `{message}`, got {other:?}"),
    }
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
    is_shareable::<OAuth>();
    let (oauth, _) = Parts::new().build();
    // Futures are only built, never polled: no port is called.
    is_send(oauth.begin("google", None));
    is_send(oauth.callback("google", OAuthCallback::default(), &client()));
}
