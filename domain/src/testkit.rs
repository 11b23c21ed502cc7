//! Fixtures and small fakes shared by the unit tests (mocks come from `bedrud-ports`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bedrud_ports::{
    Access, Clock, IdSource, MockSessionStore, MockUserStore, Session, TokenClaims, TokenCodec,
    TokenError, TokenKind, User, provider,
};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};

pub use futures::executor::block_on;

use crate::error::DomainError;
use crate::policy::AuthPolicy;
use crate::principal::{ClientInfo, Principal};
use crate::sessions::Sessions;

/// A fixed instant: 2026-03-01T10:00:00Z.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0)
        .single()
        .expect("valid instant")
}

/// An active local user with a password and the `user` role.
pub fn user(id: &str) -> User {
    User {
        id: id.to_owned(),
        email: format!("{id}@example.org"),
        name: format!("Name {id}"),
        avatar_url: String::new(),
        provider: provider::LOCAL.to_owned(),
        accesses: vec![Access::User],
        is_active: true,
        password_hash: Some(format!("hash-{id}")),
        email_verified_at: None,
        password_changed_at: None,
        created_at: t0() - TimeDelta::days(10),
        updated_at: t0() - TimeDelta::days(10),
    }
}

/// `user(id)` with another provider and no password.
pub fn user_with_provider(id: &str, provider: &str) -> User {
    User {
        provider: provider.to_owned(),
        password_hash: None,
        ..user(id)
    }
}

/// A superadmin.
pub fn superadmin(id: &str) -> User {
    User {
        accesses: vec![Access::Superadmin],
        ..user(id)
    }
}

/// A live session of `user_id` created at `t0`, refresh hash `"h0"`.
pub fn session(id: &str, user_id: &str) -> Session {
    Session {
        id: id.to_owned(),
        user_id: user_id.to_owned(),
        refresh_hash: "h0".to_owned(),
        prev_refresh_hash: None,
        rotated_at: None,
        created_at: t0(),
        last_used_at: t0(),
        expires_at: t0() + TimeDelta::days(30),
        revoked_at: None,
        revoke_reason: None,
        user_agent: "ua".to_owned(),
        ip: "127.0.0.1".to_owned(),
    }
}

/// The caller `user` in session `session_id`.
pub fn principal(user: User, session_id: &str) -> Principal {
    Principal {
        user,
        session_id: session_id.to_owned(),
    }
}

/// Request metadata used throughout the tests.
pub fn client() -> ClientInfo {
    ClientInfo {
        ip: "10.0.0.7".to_owned(),
        user_agent: "tests/1.0".to_owned(),
    }
}

/// Extracts `(variant, message)` from a domain error for assertions.
pub fn describe(err: &DomainError) -> (&'static str, String) {
    match err {
        DomainError::Invalid(m) => ("invalid", m.clone()),
        DomainError::Unauthorized(m) => ("unauthorized", m.clone()),
        DomainError::Forbidden(m) => ("forbidden", m.clone()),
        DomainError::NotFound(m) => ("not_found", m.clone()),
        DomainError::Conflict(m) => ("conflict", m.clone()),
        DomainError::Gone(m) => ("gone", m.clone()),
        DomainError::TooMany => ("too_many", String::new()),
        DomainError::MediaUnavailable(_) => ("media", String::new()),
        DomainError::Unavailable(_) => ("unavailable", String::new()),
        DomainError::Internal(_) => ("internal", String::new()),
    }
}

/// Asserts that `result` failed with this variant and exact message.
#[track_caller]
pub fn assert_err<T: std::fmt::Debug>(
    result: Result<T, DomainError>,
    variant: &str,
    message: &str,
) {
    match result {
        Ok(v) => panic!("expected {variant} `{message}`, got Ok({v:?})"),
        Err(e) => {
            let (v, m) = describe(&e);
            assert_eq!((v, m.as_str()), (variant, message));
        }
    }
}

/// A clock the test moves by hand.
pub struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    /// A clock standing at `t0`.
    pub fn new() -> Arc<Self> {
        Arc::new(TestClock(Mutex::new(t0())))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: TimeDelta) {
        let mut now = self.0.lock().expect("clock lock");
        *now += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

/// Ids `id-1`, `id-2`, … in order.
#[derive(Default)]
pub struct SeqIds(AtomicU64);

impl IdSource for SeqIds {
    fn uuid(&self) -> String {
        format!("id-{}", self.0.fetch_add(1, Ordering::SeqCst) + 1)
    }
    fn random_string(&self, _alphabet: &'static str, len: usize) -> String {
        "x".repeat(len)
    }
    fn random_bytes(&self, len: usize) -> Vec<u8> {
        vec![7; len]
    }
}

/// A token codec that remembers what it signed: tokens are `"<typ>:<sid>:<n>"`, and
/// verification returns the stored claims when the type fits.
#[derive(Default)]
pub struct FakeCodec {
    signed: Mutex<HashMap<String, TokenClaims>>,
    counter: AtomicU64,
}

impl FakeCodec {
    /// The claims of a token this codec signed.
    pub fn claims(&self, token: &str) -> TokenClaims {
        self.signed
            .lock()
            .expect("codec lock")
            .get(token)
            .cloned()
            .expect("token signed by this codec")
    }

    /// Registers a token carrying `claims` without signing through the use case.
    pub fn mint(&self, claims: TokenClaims) -> String {
        self.sign(&claims).expect("fake signing")
    }
}

impl TokenCodec for FakeCodec {
    fn sign(&self, claims: &TokenClaims) -> Result<String, TokenError> {
        let n = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        let typ = match claims.kind {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        };
        let token = format!("{typ}:{}:{n}", claims.session_id);
        self.signed
            .lock()
            .expect("codec lock")
            .insert(token.clone(), claims.clone());
        Ok(token)
    }

    fn verify(&self, token: &str, kind: TokenKind) -> Result<TokenClaims, TokenError> {
        match self.signed.lock().expect("codec lock").get(token) {
            Some(claims) if claims.kind == kind => Ok(claims.clone()),
            _ => Err(TokenError::Invalid),
        }
    }
}

/// Claims of a token of `kind` for `user_id` in `session_id`.
pub fn claims(user_id: &str, session_id: &str, kind: TokenKind) -> TokenClaims {
    TokenClaims {
        user_id: user_id.to_owned(),
        email: format!("{user_id}@example.org"),
        name: format!("Name {user_id}"),
        provider: provider::LOCAL.to_owned(),
        accesses: vec!["user".to_owned()],
        kind,
        session_id: session_id.to_owned(),
        jti: (kind == TokenKind::Refresh).then(|| "jti".to_owned()),
        issued_at: t0().timestamp(),
        expires_at: (t0() + TimeDelta::days(1)).timestamp(),
    }
}

/// The pieces a `Sessions` under test is built from.
pub struct SessionsParts {
    pub users: MockUserStore,
    pub sessions: MockSessionStore,
    pub codec: Arc<FakeCodec>,
    pub clock: Arc<TestClock>,
    pub policy: AuthPolicy,
}

impl SessionsParts {
    /// Fresh mocks (no expectations), a fake codec, a clock at `t0`, default policy.
    pub fn new() -> Self {
        SessionsParts {
            users: MockUserStore::new(),
            sessions: MockSessionStore::new(),
            codec: Arc::new(FakeCodec::default()),
            clock: TestClock::new(),
            policy: AuthPolicy::default(),
        }
    }

    /// Builds the use case; the codec and clock stay reachable through the clones kept.
    pub fn build(self) -> Sessions {
        Sessions::new(
            Arc::new(self.users),
            Arc::new(self.sessions),
            self.codec,
            self.clock,
            Arc::new(SeqIds::default()),
            self.policy,
        )
    }
}
