//! The `Accounts` use case: local registration, login, guest login, the caller's
//! profile and password, and the public settings (API §3.2).

#[cfg(test)]
mod tests;

use std::sync::Arc;

use bedrud_ports::{
    Access, Clock, IdSource, PasswordHasher, SettingsStore, StoreError, User, UserStore,
    Verification, provider,
};

use crate::error::{DomainError, DomainResult};
use crate::policy::{AuthPolicy, EffectiveSettings, PublicSettings};
use crate::principal::{ClientInfo, Principal};
use crate::sessions::{Sessions, revoke_reason};
use crate::tokens::TokenPair;
use crate::validation::{
    PASSWORD_MAX_BYTES, canonical_email, check_account_name, check_guest_name, check_new_password,
    email_lookup_forms, prepare_email, sanitize_name,
};

const INVALID_CREDENTIALS: &str = "Invalid credentials";
const UNABLE_TO_REGISTER: &str = "Unable to register with the provided details";
const REGISTRATION_DISABLED: &str = "Registration is currently disabled";
const EMAIL_IN_USE: &str = "email already in use";
const USER_NOT_FOUND: &str = "User not found";

/// `POST /api/auth/register` input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub name: String,
}

/// `PUT /api/auth/me` input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileChange {
    /// Required on every call.
    pub name: String,
    /// Acts only when its canonical form differs from the stored email; empty = absent.
    pub email: Option<String>,
}

/// `PUT /api/auth/password` input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PasswordChange {
    /// May be omitted only by a passkey user who has no password yet.
    pub current_password: Option<String>,
    pub new_password: String,
}

/// A new session: the user (for `LoginResponse.user`) and its token pair.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedIn {
    pub user: User,
    pub tokens: TokenPair,
}

/// Result of `PUT /api/auth/me`: the updated user, and a new pair when the email changed.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileUpdated {
    pub user: User,
    pub tokens: Option<TokenPair>,
}

/// Accounts and the caller's own profile.
pub struct Accounts {
    users: Arc<dyn UserStore>,
    settings: Arc<dyn SettingsStore>,
    hasher: Arc<dyn PasswordHasher>,
    sessions: Arc<Sessions>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    policy: AuthPolicy,
}

impl Accounts {
    /// Wires the use case to its ports and to the `Sessions` use case.
    pub fn new(
        users: Arc<dyn UserStore>,
        settings: Arc<dyn SettingsStore>,
        hasher: Arc<dyn PasswordHasher>,
        sessions: Arc<Sessions>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
        policy: AuthPolicy,
    ) -> Self {
        Accounts {
            users,
            settings,
            hasher,
            sessions,
            clock,
            ids,
            policy,
        }
    }

    /// Creates an active local user and a session. Errors in order: 400 `Invalid email
    /// format` · name length; 403 `Registration is currently disabled`; 400 password
    /// length · `Unable to register with the provided details`.
    pub async fn register(
        &self,
        input: Registration,
        client: &ClientInfo,
    ) -> DomainResult<SignedIn> {
        let email =
            canonical_email(&input.email).map_err(|e| DomainError::invalid(e.to_string()))?;
        let name = sanitize_name(&input.name);
        check_account_name(&name)?;
        if !self.effective().await?.registration_enabled {
            return Err(DomainError::forbidden(REGISTRATION_DISABLED));
        }
        check_new_password(&input.password, "Password")?;
        if !self.accounts_with_email(&email).await?.is_empty() {
            return Err(DomainError::invalid(UNABLE_TO_REGISTER));
        }
        let hash = self.hasher.hash(input.password).await?;
        let now = self.clock.now();
        let user = User {
            id: self.ids.uuid(),
            email,
            name,
            avatar_url: String::new(),
            provider: provider::LOCAL.to_owned(),
            accesses: vec![Access::User],
            is_active: true,
            password_hash: Some(hash),
            email_verified_at: None,
            password_changed_at: None,
            created_at: now,
            updated_at: now,
        };
        let user = self.users.insert(user).await.map_err(|e| match e {
            // A concurrent registration of the same email won the unique constraint.
            StoreError::Conflict("user_email") => DomainError::invalid(UNABLE_TO_REGISTER),
            other => other.into(),
        })?;
        let tokens = self.sessions.issue(&user, client).await?;
        Ok(SignedIn { user, tokens })
    }

    /// Signs in with email and password. Errors: 400 `Email and password are required` ·
    /// `Password must be at most 128 characters`; 401 `Invalid credentials`. A legacy
    /// hash is upgraded; failing to store the upgrade does not fail the login.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        client: &ClientInfo,
    ) -> DomainResult<SignedIn> {
        if prepare_email(email).is_empty() || password.is_empty() {
            return Err(DomainError::invalid("Email and password are required"));
        }
        if password.len() > PASSWORD_MAX_BYTES {
            return Err(DomainError::invalid(format!(
                "Password must be at most {PASSWORD_MAX_BYTES} characters"
            )));
        }
        let candidate = match canonical_email(email) {
            Ok(canonical) => self.password_account(&canonical).await?,
            Err(_) => None,
        };
        let stored_hash = candidate.as_ref().and_then(|u| u.password_hash.clone());
        // Unknown email or no password: the hasher still does the work of one verify.
        let verification = self.hasher.verify(password.to_owned(), stored_hash).await?;
        let user = match (candidate, verification) {
            (Some(user), Verification::Match | Verification::MatchNeedsRehash) => user,
            _ => return Err(DomainError::unauthorized(INVALID_CREDENTIALS)),
        };
        if !user.is_active {
            return Err(DomainError::unauthorized(INVALID_CREDENTIALS));
        }
        if verification == Verification::MatchNeedsRehash {
            self.upgrade_hash(&user.id, password).await;
        }
        let tokens = self.sessions.issue(&user, client).await?;
        Ok(SignedIn { user, tokens })
    }

    /// Creates a guest user and a session. Errors in order: 400 `Name is required` ·
    /// `Name must be between 2 and 50 characters`; 403 `Registration is currently
    /// disabled` · `Guest login is currently disabled`.
    pub async fn guest_login(&self, name: &str, client: &ClientInfo) -> DomainResult<SignedIn> {
        if name.is_empty() {
            return Err(DomainError::invalid("Name is required"));
        }
        let name = sanitize_name(name);
        check_guest_name(&name)?;
        let settings = self.effective().await?;
        if !settings.registration_enabled {
            return Err(DomainError::forbidden(REGISTRATION_DISABLED));
        }
        if !settings.guest_login_enabled {
            return Err(DomainError::forbidden("Guest login is currently disabled"));
        }
        let now = self.clock.now();
        let id = self.ids.uuid();
        let user = User {
            email: format!("guest_{id}@bedrud.guest"),
            id,
            name,
            avatar_url: String::new(),
            provider: provider::GUEST.to_owned(),
            accesses: vec![Access::Guest],
            is_active: true,
            password_hash: None,
            email_verified_at: None,
            password_changed_at: None,
            created_at: now,
            updated_at: now,
        };
        let user = self.users.insert(user).await?;
        let tokens = self.sessions.issue(&user, client).await?;
        Ok(SignedIn { user, tokens })
    }

    /// The caller's user row (`GET /api/auth/me`).
    pub fn me(&self, principal: &Principal) -> User {
        principal.user.clone()
    }

    /// Updates the caller's name and, for local/passkey accounts, email, in one store
    /// call after every check. Errors in order: 400 name length · `Cannot change email
    /// for OAuth accounts` · `Invalid email format` · `email already in use`. An email
    /// change revokes the other sessions and returns a new pair for this one.
    pub async fn update_me(
        &self,
        principal: &Principal,
        change: ProfileChange,
        client: &ClientInfo,
    ) -> DomainResult<ProfileUpdated> {
        let current = &principal.user;
        let name = sanitize_name(&change.name);
        check_account_name(&name)?;
        let new_email = match change.email.as_deref().filter(|e| !e.trim().is_empty()) {
            None => None,
            Some(raw) => {
                let canonical = canonical_email(raw);
                if canonical.as_deref() == Ok(current.email.as_str()) {
                    None
                } else {
                    if !has_own_credentials(current) {
                        return Err(DomainError::invalid(
                            "Cannot change email for OAuth accounts",
                        ));
                    }
                    let email = canonical.map_err(|e| DomainError::invalid(e.to_string()))?;
                    let taken = self
                        .accounts_with_email(&email)
                        .await?
                        .iter()
                        .any(|u| u.id != current.id);
                    if taken {
                        return Err(DomainError::invalid(EMAIL_IN_USE));
                    }
                    Some(email)
                }
            }
        };
        let now = self.clock.now();
        self.users
            .update_profile(&current.id, name.clone(), new_email.clone(), now)
            .await
            .map_err(|e| match e {
                StoreError::Conflict("user_email") => DomainError::invalid(EMAIL_IN_USE),
                StoreError::NotFound => DomainError::not_found(USER_NOT_FOUND),
                other => other.into(),
            })?;
        self.sessions.forget_user(&current.id);
        let mut user = current.clone();
        user.name = name;
        user.updated_at = now;
        let Some(email) = new_email else {
            return Ok(ProfileUpdated { user, tokens: None });
        };
        user.email = email;
        user.email_verified_at = None;
        self.sessions
            .revoke_all(
                &user.id,
                Some(&principal.session_id),
                revoke_reason::EMAIL_CHANGE,
            )
            .await?;
        let tokens = self.sessions.reissue(principal, &user, client).await?;
        Ok(ProfileUpdated {
            user,
            tokens: Some(tokens),
        })
    }

    /// Changes the caller's password and revokes their other sessions. Errors in order:
    /// 400 new password length · `password change is only available for local
    /// accounts` · `current password is incorrect`.
    pub async fn change_password(
        &self,
        principal: &Principal,
        change: PasswordChange,
    ) -> DomainResult<()> {
        let user = &principal.user;
        check_new_password(&change.new_password, "New password")?;
        if !has_own_credentials(user) {
            return Err(DomainError::invalid(
                "password change is only available for local accounts",
            ));
        }
        let passkey_without_password =
            user.provider == provider::PASSKEY && user.password_hash.is_none();
        if !passkey_without_password {
            let incorrect = || DomainError::invalid("current password is incorrect");
            let given = change.current_password.unwrap_or_default();
            if given.is_empty() || given.len() > PASSWORD_MAX_BYTES {
                return Err(incorrect());
            }
            let verification = self
                .hasher
                .verify(given, user.password_hash.clone())
                .await?;
            if verification == Verification::Mismatch {
                return Err(incorrect());
            }
        }
        let hash = self.hasher.hash(change.new_password).await?;
        let now = self.clock.now();
        self.users
            .set_password_hash(&user.id, hash, Some(now), now)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => DomainError::not_found(USER_NOT_FOUND),
                other => other.into(),
            })?;
        self.sessions
            .revoke_all(
                &user.id,
                Some(&principal.session_id),
                revoke_reason::PASSWORD_CHANGE,
            )
            .await?;
        self.sessions.forget_user(&user.id);
        Ok(())
    }

    /// `GET /api/auth/settings`: runtime settings over config over defaults.
    pub async fn public_settings(&self) -> DomainResult<PublicSettings> {
        let runtime = self.settings.get().await?;
        Ok(self.policy.public_settings(&runtime))
    }

    async fn effective(&self) -> DomainResult<EffectiveSettings> {
        let runtime = self.settings.get().await?;
        Ok(self.policy.effective(&runtime))
    }

    /// Every account whose email is `canonical` (or its Unicode-domain form).
    async fn accounts_with_email(&self, canonical: &str) -> DomainResult<Vec<User>> {
        let mut found: Vec<User> = Vec::new();
        for form in email_lookup_forms(canonical) {
            for user in self.users.find_by_email(&form).await? {
                if !found.iter().any(|u| u.id == user.id) {
                    found.push(user);
                }
            }
        }
        Ok(found)
    }

    /// The account a password login addresses: local first, then a passkey account
    /// that set a password.
    async fn password_account(&self, canonical: &str) -> DomainResult<Option<User>> {
        let mut accounts: Vec<User> = self
            .accounts_with_email(canonical)
            .await?
            .into_iter()
            .filter(|u| has_own_credentials(u) && u.password_hash.is_some())
            .collect();
        accounts.sort_by_key(|u| u.provider != provider::LOCAL);
        Ok(accounts.into_iter().next())
    }

    /// Re-hashes a legacy hash with the current algorithm. Best effort: the login has
    /// already succeeded, so failures are dropped (the next login retries).
    async fn upgrade_hash(&self, user_id: &str, password: &str) {
        if let Ok(hash) = self.hasher.hash(password.to_owned()).await {
            let now = self.clock.now();
            let _ = self.users.set_password_hash(user_id, hash, None, now).await;
        }
    }
}

/// Accounts that own their credentials (password/email): `local` and `passkey`.
fn has_own_credentials(user: &User) -> bool {
    user.provider == provider::LOCAL || user.provider == provider::PASSKEY
}
