//! In-memory fakes of the ports, just enough for the HTTP tests to drive real use cases.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bedrud_domain::{
    Accounts, Admin, AdminRooms, AuthPolicy, LivekitEvents, Moderation, OAuth, OAuthPorts,
    PasskeyPorts, Passkeys, RoomPolicy, RoomPorts, Rooms, Sessions,
};
use bedrud_ports::*;
use chrono::{DateTime, SubsecRound, Utc};

use crate::Services;
use crate::tests::flow_fakes::{Ceremonies, Flows, Identities, PasskeyRows};
use crate::tests::room_fakes::{MediaCalls, RoomRows, media_server, media_tokens};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Default)]
pub struct Users(pub Mutex<Vec<User>>);

#[async_trait]
impl UserStore for Users {
    async fn insert(&self, user: User) -> StoreResult<User> {
        let mut users = lock(&self.0);
        if users
            .iter()
            .any(|u| u.email == user.email && u.provider == user.provider)
        {
            return Err(StoreError::Conflict("user_email"));
        }
        users.push(user.clone());
        Ok(user)
    }
    async fn get(&self, id: &str) -> StoreResult<Option<User>> {
        Ok(lock(&self.0).iter().find(|u| u.id == id).cloned())
    }
    async fn find_by_email(&self, email: &str) -> StoreResult<Vec<User>> {
        Ok(lock(&self.0)
            .iter()
            .filter(|u| u.email == email)
            .cloned()
            .collect())
    }
    async fn update_profile(
        &self,
        id: &str,
        name: String,
        email: Option<String>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut users = lock(&self.0);
        let u = users
            .iter_mut()
            .find(|u| u.id == id)
            .ok_or(StoreError::NotFound)?;
        u.name = name;
        if let Some(e) = email {
            u.email = e;
            u.email_verified_at = None;
        }
        u.updated_at = now;
        Ok(())
    }
    async fn set_password_hash(
        &self,
        id: &str,
        hash: String,
        changed_at: Option<DateTime<Utc>>,
        _now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut users = lock(&self.0);
        let u = users
            .iter_mut()
            .find(|u| u.id == id)
            .ok_or(StoreError::NotFound)?;
        u.password_hash = Some(hash);
        if changed_at.is_some() {
            u.password_changed_at = changed_at;
        }
        Ok(())
    }
    async fn set_active(
        &self,
        id: &str,
        active: bool,
        _now: DateTime<Utc>,
    ) -> StoreResult<GuardedUpdate> {
        let mut users = lock(&self.0);
        let supers = users
            .iter()
            .filter(|u| u.is_active && u.has(Access::Superadmin))
            .count();
        let Some(u) = users.iter_mut().find(|u| u.id == id) else {
            return Ok(GuardedUpdate::NotFound);
        };
        if !active && u.has(Access::Superadmin) && u.is_active && supers <= 1 {
            return Ok(GuardedUpdate::LastSuperadmin);
        }
        u.is_active = active;
        Ok(GuardedUpdate::Updated)
    }
    async fn set_accesses(
        &self,
        id: &str,
        accesses: Vec<Access>,
        _now: DateTime<Utc>,
    ) -> StoreResult<GuardedUpdate> {
        let mut users = lock(&self.0);
        let Some(u) = users.iter_mut().find(|u| u.id == id) else {
            return Ok(GuardedUpdate::NotFound);
        };
        u.accesses = accesses;
        Ok(GuardedUpdate::Updated)
    }
    async fn list(&self, query: UserQuery) -> StoreResult<(Vec<User>, i64)> {
        let users = lock(&self.0);
        let all: Vec<User> = users.iter().cloned().collect();
        let total = all.len() as i64;
        let page = all
            .into_iter()
            .skip(query.offset as usize)
            .take(query.limit as usize)
            .collect();
        Ok((page, total))
    }
    async fn upsert_guest(&self, user: User) -> StoreResult<User> {
        let mut users = lock(&self.0);
        if let Some(existing) = users.iter_mut().find(|u| u.id == user.id) {
            existing.name = user.name;
            existing.updated_at = user.updated_at;
            return Ok(existing.clone());
        }
        users.push(user.clone());
        Ok(user)
    }
    async fn delete_stale_guests(&self, _before: DateTime<Utc>) -> StoreResult<u64> {
        Ok(0)
    }
}

#[derive(Default)]
pub struct SessionRows(pub Mutex<HashMap<String, Session>>);

#[async_trait]
impl SessionStore for SessionRows {
    async fn insert(&self, session: Session) -> StoreResult<()> {
        lock(&self.0).insert(session.id.clone(), session);
        Ok(())
    }
    async fn get(&self, id: &str) -> StoreResult<Option<Session>> {
        Ok(lock(&self.0).get(id).cloned())
    }
    async fn rotate(&self, r: Rotation) -> StoreResult<bool> {
        let mut rows = lock(&self.0);
        let Some(s) = rows.get_mut(&r.session_id) else {
            return Ok(false);
        };
        if s.refresh_hash != r.expected_hash || s.revoked_at.is_some() {
            return Ok(false);
        }
        s.prev_refresh_hash = Some(std::mem::replace(&mut s.refresh_hash, r.new_hash));
        s.rotated_at = Some(r.now);
        s.expires_at = r.expires_at;
        Ok(true)
    }
    async fn revoke(&self, id: &str, reason: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        let mut rows = lock(&self.0);
        match rows.get_mut(id) {
            Some(s) if s.revoked_at.is_none() => {
                s.revoked_at = Some(now);
                s.revoke_reason = Some(reason.to_owned());
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn revoke_all(
        &self,
        user_id: &str,
        except: Option<String>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let mut n = 0;
        for s in lock(&self.0).values_mut() {
            if s.user_id == user_id && s.revoked_at.is_none() && Some(&s.id) != except.as_ref() {
                s.revoked_at = Some(now);
                s.revoke_reason = Some(reason.to_owned());
                n += 1;
            }
        }
        Ok(n)
    }
    async fn touch(&self, _id: &str, _now: DateTime<Utc>) -> StoreResult<()> {
        Ok(())
    }
    async fn purge(&self, _before: DateTime<Utc>) -> StoreResult<u64> {
        Ok(0)
    }
    async fn count_active(&self, now: DateTime<Utc>) -> StoreResult<i64> {
        Ok(lock(&self.0)
            .values()
            .filter(|s| s.is_valid_at(now))
            .count() as i64)
    }
    async fn user_summary(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<(i64, Option<DateTime<Utc>>)> {
        let rows = lock(&self.0);
        let mine = rows.values().filter(|s| s.user_id == user_id);
        let active = mine.clone().filter(|s| s.is_valid_at(now)).count() as i64;
        Ok((active, mine.map(|s| s.last_used_at).max()))
    }
}

/// Tokens are opaque ids of claims kept here; unknown strings are invalid.
#[derive(Default)]
pub struct Tokens(pub Mutex<HashMap<String, TokenClaims>>);

impl TokenCodec for Tokens {
    fn sign(&self, claims: &TokenClaims) -> Result<String, TokenError> {
        let token = format!("tok.{}", uuid::Uuid::new_v4().simple());
        lock(&self.0).insert(token.clone(), claims.clone());
        Ok(token)
    }
    fn verify(&self, token: &str, kind: TokenKind) -> Result<TokenClaims, TokenError> {
        match lock(&self.0).get(token) {
            Some(c) if c.kind == kind => Ok(c.clone()),
            _ => Err(TokenError::Invalid),
        }
    }
}

pub struct PlainHasher;

#[async_trait]
impl PasswordHasher for PlainHasher {
    async fn hash(&self, password: String) -> Result<String, HashError> {
        Ok(format!("h:{password}"))
    }
    async fn verify(
        &self,
        password: String,
        hash: Option<String>,
    ) -> Result<Verification, HashError> {
        Ok(if hash == Some(format!("h:{password}")) {
            Verification::Match
        } else {
            Verification::Mismatch
        })
    }
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}

pub struct RandomIds;

impl IdSource for RandomIds {
    fn uuid(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }
    fn random_string(&self, alphabet: &'static str, len: usize) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        uuid::Uuid::new_v4()
            .as_bytes()
            .iter()
            .cycle()
            .take(len)
            .map(|b| chars[usize::from(*b) % chars.len()])
            .collect()
    }
    fn random_bytes(&self, len: usize) -> Vec<u8> {
        std::iter::repeat_with(|| *uuid::Uuid::new_v4().as_bytes())
            .flatten()
            .take(len)
            .collect()
    }
}

#[derive(Default)]
pub struct NoSettings;

#[async_trait]
impl SettingsStore for NoSettings {
    async fn get(&self) -> StoreResult<RuntimeSettings> {
        Ok(RuntimeSettings::default())
    }
}

/// A database whose ping can be made to fail.
#[derive(Default)]
pub struct Db(pub AtomicBool);

#[async_trait]
impl DatabaseHealth for Db {
    async fn ping(&self) -> StoreResult<()> {
        if self.0.load(Ordering::SeqCst) {
            Err(StoreError::Unavailable(anyhow::anyhow!(
                "connection refused (os error 111)"
            )))
        } else {
            Ok(())
        }
    }
}

/// The fakes behind one test server.
pub struct World {
    pub users: Arc<Users>,
    pub sessions: Arc<SessionRows>,
    pub db: Arc<Db>,
    pub rooms: Arc<RoomRows>,
    pub media: MediaCalls,
    pub services: Arc<Services>,
    pub ceremonies: Arc<Ceremonies>,
    pub passkeys: Arc<PasskeyRows>,
}

/// A webhook verifier that refuses everything as unconfigured.
fn unconfigured_webhooks() -> MockWebhookVerifier {
    let mut m = MockWebhookVerifier::new();
    m.expect_verify()
        .returning(|_, _| Err(WebhookError::NotConfigured));
    m
}

impl World {
    pub fn new() -> World {
        World::build(unconfigured_webhooks(), false, Flows::default())
    }

    /// A world whose passkey verifier, OAuth providers and their switches are `flows`.
    pub fn with_flows(flows: Flows) -> World {
        World::build(unconfigured_webhooks(), false, flows)
    }

    /// A world whose webhook verifier is `webhooks`.
    pub fn with_webhooks(webhooks: MockWebhookVerifier) -> World {
        World::build(webhooks, false, Flows::default())
    }

    /// A world whose media server fails every call.
    pub fn with_failing_media() -> World {
        World::build(unconfigured_webhooks(), true, Flows::default())
    }

    fn build(webhooks: MockWebhookVerifier, media_failing: bool, flows: Flows) -> World {
        let users = Arc::new(Users::default());
        let sessions = Arc::new(SessionRows::default());
        let db = Arc::new(Db::default());
        let policy = AuthPolicy {
            // Tests revoke and expect the next request to see it at once.
            session_cache_secs: 0,
            passkeys_enabled: flows.passkeys_enabled,
            oauth_providers: flows.oauth_providers,
            ..AuthPolicy::default()
        };
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let ids: Arc<dyn IdSource> = Arc::new(RandomIds);
        let session_uc = Arc::new(Sessions::new(
            users.clone(),
            sessions.clone(),
            Arc::new(Tokens::default()),
            clock.clone(),
            ids.clone(),
            policy.clone(),
        ));
        let accounts = Arc::new(Accounts::new(
            users.clone(),
            Arc::new(NoSettings),
            Arc::new(PlainHasher),
            session_uc.clone(),
            clock.clone(),
            ids.clone(),
            policy.clone(),
        ));
        let admin = Arc::new(Admin::new(
            users.clone(),
            session_uc.clone(),
            clock.clone(),
            policy.clone(),
        ));
        let ceremonies = Arc::new(Ceremonies::default());
        let passkey_rows = Arc::new(PasskeyRows {
            rows: Mutex::default(),
            users: users.clone(),
        });
        let passkeys = Arc::new(Passkeys::new(
            PasskeyPorts {
                users: users.clone(),
                passkeys: passkey_rows.clone(),
                ceremonies: ceremonies.clone(),
                settings: Arc::new(NoSettings),
                verifier: Arc::new(flows.verifier),
                clock: clock.clone(),
                ids: ids.clone(),
            },
            session_uc.clone(),
            policy.clone(),
        ));
        let oauth = Arc::new(OAuth::new(
            OAuthPorts {
                users: users.clone(),
                identities: Arc::new(Identities {
                    rows: Mutex::default(),
                    users: users.clone(),
                }),
                ceremonies: ceremonies.clone(),
                settings: Arc::new(NoSettings),
                providers: Arc::new(flows.providers),
                clock: clock.clone(),
                ids: ids.clone(),
            },
            session_uc.clone(),
            policy,
            flows.frontend_url,
        ));
        let rooms = Arc::new(RoomRows::default());
        let media = MediaCalls::default();
        let ports = RoomPorts {
            rooms: rooms.clone(),
            participants: rooms.clone(),
            users: users.clone(),
            settings: Arc::new(NoSettings),
            tokens: Arc::new(media_tokens()),
            media: Arc::new(media_server(media.clone(), media_failing)),
            clock,
            ids,
        };
        let room_policy = RoomPolicy::default();
        let services = Arc::new(Services {
            accounts,
            sessions: session_uc.clone(),
            admin,
            rooms: Arc::new(Rooms::new(ports.clone(), session_uc, room_policy.clone())),
            moderation: Arc::new(Moderation::new(ports.clone())),
            livekit_events: Arc::new(LivekitEvents::new(ports.clone())),
            admin_rooms: Arc::new(AdminRooms::new(ports, room_policy)),
            webhooks: Arc::new(webhooks),
            db: db.clone(),
            livekit_state: Arc::new(|| "disabled".to_owned()),
            passkeys,
            oauth,
        });
        World {
            users,
            sessions,
            db,
            rooms,
            media,
            services,
            ceremonies,
            passkeys: passkey_rows,
        }
    }

    /// Adds an active local user with password `password123456` and these roles.
    pub fn add_user(&self, email: &str, accesses: Vec<Access>) -> String {
        let now = SystemClock.now();
        let id = uuid::Uuid::new_v4().to_string();
        lock(&self.users.0).push(User {
            id: id.clone(),
            email: email.to_owned(),
            name: "Seeded".to_owned(),
            avatar_url: String::new(),
            provider: provider::LOCAL.to_owned(),
            accesses,
            is_active: true,
            password_hash: Some("h:password123456".to_owned()),
            email_verified_at: None,
            password_changed_at: None,
            created_at: now,
            updated_at: now,
        });
        id
    }
}
