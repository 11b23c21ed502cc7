//! In-memory ceremony, passkey and identity stores, and what a world's passkey and OAuth
//! use cases are built with (mocks of the verifier and the providers).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bedrud_ports::*;
use chrono::{DateTime, Utc};

use crate::tests::fakes::Users;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Ceremonies by id.
#[derive(Default)]
pub struct Ceremonies(pub Mutex<HashMap<String, Ceremony>>);

#[async_trait]
impl CeremonyStore for Ceremonies {
    async fn insert(&self, ceremony: Ceremony) -> StoreResult<()> {
        let mut rows = lock(&self.0);
        if rows.contains_key(&ceremony.id) {
            return Err(StoreError::Conflict("ceremony_id"));
        }
        rows.insert(ceremony.id.clone(), ceremony);
        Ok(())
    }
    async fn get(&self, id: &str, now: DateTime<Utc>) -> StoreResult<Option<Ceremony>> {
        Ok(lock(&self.0)
            .get(id)
            .filter(|c| c.expires_at > now)
            .cloned())
    }
    async fn consume(&self, id: &str) -> StoreResult<bool> {
        Ok(lock(&self.0).remove(id).is_some())
    }
    async fn record_failure(&self, id: &str, max_failures: i32) -> StoreResult<()> {
        let mut rows = lock(&self.0);
        let spent = rows.get_mut(id).is_some_and(|c| {
            c.failures += 1;
            c.failures >= max_failures
        });
        if spent {
            rows.remove(id);
        }
        Ok(())
    }
    async fn purge_expired(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let mut rows = lock(&self.0);
        let before = rows.len();
        rows.retain(|_, c| c.expires_at > now);
        Ok((before - rows.len()) as u64)
    }
}

/// Passkeys, with the users they create on sign-up.
pub struct PasskeyRows {
    pub rows: Mutex<Vec<Passkey>>,
    pub users: Arc<Users>,
}

#[async_trait]
impl PasskeyStore for PasskeyRows {
    async fn insert(&self, passkey: Passkey) -> StoreResult<()> {
        let mut rows = lock(&self.rows);
        if rows
            .iter()
            .any(|p| p.credential_id == passkey.credential_id)
        {
            return Err(StoreError::Conflict("credential_id"));
        }
        rows.push(passkey);
        Ok(())
    }
    async fn insert_with_user(&self, user: User, passkey: Passkey) -> StoreResult<User> {
        if lock(&self.rows)
            .iter()
            .any(|p| p.credential_id == passkey.credential_id)
        {
            return Err(StoreError::Conflict("credential_id"));
        }
        let user = UserStore::insert(self.users.as_ref(), user).await?;
        lock(&self.rows).push(passkey);
        Ok(user)
    }
    async fn list_for_user(&self, user_id: &str) -> StoreResult<Vec<Passkey>> {
        let mut mine: Vec<Passkey> = lock(&self.rows)
            .iter()
            .filter(|p| p.user_id == user_id)
            .cloned()
            .collect();
        mine.sort_by_key(|p| std::cmp::Reverse(p.created_at));
        Ok(mine)
    }
    async fn find_by_credential_id(&self, credential_id: &[u8]) -> StoreResult<Option<Passkey>> {
        Ok(lock(&self.rows)
            .iter()
            .find(|p| p.credential_id == credential_id)
            .cloned())
    }
    async fn record_use(
        &self,
        id: &str,
        sign_count: i64,
        credential: String,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        if let Some(p) = lock(&self.rows).iter_mut().find(|p| p.id == id) {
            p.sign_count = sign_count;
            p.credential = credential;
            p.last_used_at = Some(now);
        }
        Ok(())
    }
    async fn delete(&self, id: &str, user_id: &str) -> StoreResult<bool> {
        let mut rows = lock(&self.rows);
        let before = rows.len();
        rows.retain(|p| !(p.id == id && p.user_id == user_id));
        Ok(rows.len() < before)
    }
}

/// OAuth identities, with the users they create.
pub struct Identities {
    pub rows: Mutex<Vec<OAuthIdentity>>,
    pub users: Arc<Users>,
}

#[async_trait]
impl IdentityStore for Identities {
    async fn find(&self, provider: &str, subject: &str) -> StoreResult<Option<OAuthIdentity>> {
        Ok(lock(&self.rows)
            .iter()
            .find(|i| i.provider == provider && i.subject == subject)
            .cloned())
    }
    async fn insert(&self, identity: OAuthIdentity) -> StoreResult<()> {
        let mut rows = lock(&self.rows);
        if rows
            .iter()
            .any(|i| i.provider == identity.provider && i.subject == identity.subject)
        {
            return Err(StoreError::Conflict("identity"));
        }
        rows.push(identity);
        Ok(())
    }
    async fn insert_with_user(&self, user: User, identity: OAuthIdentity) -> StoreResult<User> {
        let user = UserStore::insert(self.users.as_ref(), user).await?;
        IdentityStore::insert(self, identity).await?;
        Ok(user)
    }
    async fn refresh_profile(
        &self,
        user_id: &str,
        name: String,
        avatar_url: String,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        if let Some(u) = lock(&self.users.0).iter_mut().find(|u| u.id == user_id) {
            u.name = name;
            u.avatar_url = avatar_url;
            u.updated_at = now;
        }
        Ok(())
    }
}

/// What a world's passkey and OAuth use cases are built with.
pub struct Flows {
    /// The WebAuthn verifier.
    pub verifier: MockPasskeyVerifier,
    /// The OAuth providers.
    pub providers: MockOAuthProviders,
    /// `auth.passkeys_enabled`.
    pub passkeys_enabled: bool,
    /// Names of the enabled providers.
    pub oauth_providers: Vec<String>,
    /// `auth.frontend_url`.
    pub frontend_url: String,
}

impl Default for Flows {
    /// A verifier and providers that fail every call (as if unconfigured).
    fn default() -> Self {
        let mut verifier = MockPasskeyVerifier::new();
        verifier
            .expect_begin_registration()
            .returning(|_, _| Err(PasskeyError::Failed(anyhow::anyhow!("no verifier"))));
        verifier
            .expect_begin_authentication()
            .returning(|_| Err(PasskeyError::Failed(anyhow::anyhow!("no verifier"))));
        verifier
            .expect_finish_registration()
            .returning(|_, _| Err(PasskeyError::Rejected("no verifier".into())));
        verifier
            .expect_finish_authentication()
            .returning(|_, _, _, _| Err(PasskeyError::Rejected("no verifier".into())));
        let mut providers = MockOAuthProviders::new();
        providers
            .expect_authorization_url()
            .returning(|_, _| Err(OAuthError::UnknownProvider));
        providers
            .expect_exchange()
            .returning(|_, _| Err(OAuthError::UnknownProvider));
        Flows {
            verifier,
            providers,
            passkeys_enabled: true,
            oauth_providers: Vec::new(),
            frontend_url: String::new(),
        }
    }
}
