//! The `Sessions` use case: issuing token pairs, the per-request check, refresh with
//! rotation and reuse detection, logout and revocation (API §2.3, §2.4, §2.8).

mod cache;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use bedrud_ports::{
    Clock, IdSource, Rotation, Session, SessionStore, TokenCodec, TokenError, TokenKind, User,
    UserStore,
};
use chrono::{DateTime, TimeDelta, Utc};

use crate::error::{DomainError, DomainResult};
use crate::policy::AuthPolicy;
use crate::principal::{ClientInfo, Principal};
use crate::tokens::{TokenPair, claims_for, refresh_hash};
use cache::SessionCache;

/// The message of every failed per-request check but deactivation.
pub const INVALID_TOKEN: &str = "Invalid token";
/// The message of every rejected refresh token.
pub const INVALID_REFRESH: &str = "Invalid or expired refresh token";
/// The message of a deactivated account.
pub const ACCOUNT_DEACTIVATED: &str = "Account is deactivated";

/// How long a just-replaced refresh token counts as a concurrent refresh, not reuse.
const ROTATION_GRACE: TimeDelta = TimeDelta::seconds(10);
/// `last_used_at` is written at most this often per session.
const TOUCH_INTERVAL: TimeDelta = TimeDelta::seconds(60);

/// `revoke_reason` values written by the use cases.
pub mod revoke_reason {
    /// The user logged out.
    pub const LOGOUT: &str = "logout";
    /// An already-rotated refresh token was presented again.
    pub const REFRESH_REUSE: &str = "refresh_reuse";
    /// The user changed their password (other sessions).
    pub const PASSWORD_CHANGE: &str = "password_change";
    /// The user changed their email (other sessions).
    pub const EMAIL_CHANGE: &str = "email_change";
    /// An admin deactivated the account.
    pub const DEACTIVATED: &str = "deactivated";
    /// An admin changed the account's accesses.
    pub const ACCESSES_CHANGED: &str = "accesses_changed";
    /// An admin forced a logout.
    pub const FORCE_LOGOUT: &str = "force_logout";
}

/// Why a refresh failed. `Reuse` is a security event the caller should log as a warning
/// (session, user, IP, user agent, request id); it answers like any rejected token.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// An already-rotated refresh token was presented; the session is now revoked.
    #[error("refresh token reuse detected")]
    Reuse {
        /// The revoked session.
        session_id: String,
        /// Its user.
        user_id: String,
    },
    /// Any other failure, carrying its client-facing message.
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<RefreshError> for DomainError {
    fn from(e: RefreshError) -> Self {
        match e {
            RefreshError::Reuse { .. } => DomainError::unauthorized(INVALID_REFRESH),
            RefreshError::Domain(e) => e,
        }
    }
}

/// Session lifecycle and the per-request authentication check.
pub struct Sessions {
    users: Arc<dyn UserStore>,
    sessions: Arc<dyn SessionStore>,
    tokens: Arc<dyn TokenCodec>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    policy: AuthPolicy,
    cache: SessionCache,
}

impl Sessions {
    /// Wires the use case to its ports.
    pub fn new(
        users: Arc<dyn UserStore>,
        sessions: Arc<dyn SessionStore>,
        tokens: Arc<dyn TokenCodec>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
        policy: AuthPolicy,
    ) -> Self {
        let cache = SessionCache::new(policy.cache_lifetime());
        Sessions {
            users,
            sessions,
            tokens,
            clock,
            ids,
            policy,
            cache,
        }
    }

    /// The configuration in force.
    pub fn policy(&self) -> &AuthPolicy {
        &self.policy
    }

    /// Creates a session for `user` and returns its first token pair.
    pub async fn issue(&self, user: &User, client: &ClientInfo) -> DomainResult<TokenPair> {
        let now = self.clock.now();
        let session_id = self.ids.uuid();
        let (pair, hash) = self.sign_pair(user, &session_id, now)?;
        self.sessions
            .insert(Session {
                id: session_id,
                user_id: user.id.clone(),
                refresh_hash: hash,
                prev_refresh_hash: None,
                rotated_at: None,
                created_at: now,
                last_used_at: now,
                expires_at: now + self.policy.refresh_lifetime(),
                revoked_at: None,
                revoke_reason: None,
                user_agent: client.user_agent.clone(),
                ip: client.ip.clone(),
            })
            .await?;
        Ok(pair)
    }

    /// The per-request check: a valid access token of a live session of an active user.
    /// Errors, in order: 401 `Invalid token` (token, missing user), 403 `Account is
    /// deactivated`, 401 `Invalid token` (session missing, revoked, expired, foreign).
    pub async fn authenticate(&self, access_token: &str) -> DomainResult<Principal> {
        let claims = self
            .tokens
            .verify(access_token, TokenKind::Access)
            .map_err(|e| match e {
                TokenError::Invalid => DomainError::unauthorized(INVALID_TOKEN),
                other => other.into(),
            })?;
        if claims.kind != TokenKind::Access {
            return Err(DomainError::unauthorized(INVALID_TOKEN));
        }
        let now = self.clock.now();
        let (user, session, cached) = match self.cache.get(&claims.session_id, now) {
            Some((user, session)) if user.id == claims.user_id => (user, session, true),
            _ => {
                let user = self
                    .users
                    .get(&claims.user_id)
                    .await?
                    .ok_or_else(|| DomainError::unauthorized(INVALID_TOKEN))?;
                if !user.is_active {
                    return Err(DomainError::forbidden(ACCOUNT_DEACTIVATED));
                }
                let session = self
                    .sessions
                    .get(&claims.session_id)
                    .await?
                    .ok_or_else(|| DomainError::unauthorized(INVALID_TOKEN))?;
                (user, session, false)
            }
        };
        if !user.is_active {
            return Err(DomainError::forbidden(ACCOUNT_DEACTIVATED));
        }
        if session.user_id != user.id || !session.is_valid_at(now) {
            return Err(DomainError::unauthorized(INVALID_TOKEN));
        }
        let mut session = session;
        // Bookkeeping only: a failed write must not fail the request (it is retried on
        // the next request).
        if now - session.last_used_at >= TOUCH_INTERVAL
            && self.sessions.touch(&session.id, now).await.is_ok()
        {
            session.last_used_at = now;
            self.cache.touched(&session.id, now);
        }
        let session_id = session.id.clone();
        if !cached {
            self.cache.put(user.clone(), session, now);
        }
        Ok(Principal { user, session_id })
    }

    /// Rotates a refresh token: a new pair from the current user row, compare-and-set on
    /// the session. Errors: 401 `Invalid or expired refresh token` (bad token, unusable
    /// session, lost race, [`RefreshError::Reuse`]), 401 `User not found`, 403 `Account
    /// is deactivated`.
    pub async fn refresh(
        &self,
        refresh_token: &str,
        client: &ClientInfo,
    ) -> Result<TokenPair, RefreshError> {
        let rejected = || RefreshError::Domain(DomainError::unauthorized(INVALID_REFRESH));
        let claims = match self.tokens.verify(refresh_token, TokenKind::Refresh) {
            Ok(claims) if claims.kind == TokenKind::Refresh => claims,
            Ok(_) | Err(TokenError::Invalid) => return Err(rejected()),
            Err(other) => return Err(DomainError::from(other).into()),
        };
        let now = self.clock.now();
        let session = self
            .sessions
            .get(&claims.session_id)
            .await
            .map_err(DomainError::from)?
            .filter(|s| s.user_id == claims.user_id && s.is_valid_at(now))
            .ok_or_else(rejected)?;
        let presented = refresh_hash(refresh_token);
        if presented != session.refresh_hash {
            let just_replaced = session.prev_refresh_hash.as_deref() == Some(presented.as_str())
                && session
                    .rotated_at
                    .is_some_and(|at| now - at < ROTATION_GRACE);
            if just_replaced {
                // The other half of a concurrent double refresh: it won, we lose.
                return Err(rejected());
            }
            self.sessions
                .revoke(&session.id, revoke_reason::REFRESH_REUSE, now)
                .await
                .map_err(DomainError::from)?;
            self.cache.forget_session(&session.id);
            return Err(RefreshError::Reuse {
                session_id: session.id,
                user_id: session.user_id,
            });
        }
        let user = self
            .users
            .get(&claims.user_id)
            .await
            .map_err(DomainError::from)?
            .ok_or_else(|| DomainError::unauthorized("User not found"))?;
        if !user.is_active {
            return Err(DomainError::forbidden(ACCOUNT_DEACTIVATED).into());
        }
        let (pair, new_hash) = self.sign_pair(&user, &session.id, now)?;
        let won = self
            .sessions
            .rotate(Rotation {
                session_id: session.id.clone(),
                expected_hash: presented,
                new_hash,
                now,
                expires_at: now + self.policy.refresh_lifetime(),
                ip: client.ip.clone(),
                user_agent: client.user_agent.clone(),
            })
            .await
            .map_err(DomainError::from)?;
        if !won {
            return Err(rejected());
        }
        self.cache.forget_session(&session.id);
        Ok(pair)
    }

    /// A new pair for the caller's existing session (after an email change): rotates the
    /// session's refresh token, so the old refresh token now counts as rotated out. When
    /// a concurrent refresh wins the rotation, a fresh session replaces the caller's.
    pub async fn reissue(
        &self,
        principal: &Principal,
        user: &User,
        client: &ClientInfo,
    ) -> DomainResult<TokenPair> {
        let now = self.clock.now();
        let current = self
            .sessions
            .get(&principal.session_id)
            .await?
            .filter(|s| s.user_id == user.id && s.is_valid_at(now))
            .ok_or_else(|| DomainError::unauthorized(INVALID_TOKEN))?;
        let (pair, new_hash) = self.sign_pair(user, &current.id, now)?;
        let won = self
            .sessions
            .rotate(Rotation {
                session_id: current.id.clone(),
                expected_hash: current.refresh_hash,
                new_hash,
                now,
                expires_at: now + self.policy.refresh_lifetime(),
                ip: client.ip.clone(),
                user_agent: client.user_agent.clone(),
            })
            .await?;
        self.cache.forget_session(&current.id);
        if won {
            return Ok(pair);
        }
        let pair = self.issue(user, client).await?;
        self.sessions
            .revoke(&current.id, revoke_reason::EMAIL_CHANGE, now)
            .await?;
        Ok(pair)
    }

    /// Logs out: revokes the caller's session and, when `refresh_token` is a valid
    /// refresh token of the same user, its session too. An unusable token is ignored.
    pub async fn logout(
        &self,
        principal: &Principal,
        refresh_token: Option<&str>,
    ) -> DomainResult<()> {
        let now = self.clock.now();
        self.sessions
            .revoke(&principal.session_id, revoke_reason::LOGOUT, now)
            .await?;
        self.cache.forget_session(&principal.session_id);
        let Some(token) = refresh_token.filter(|t| !t.is_empty()) else {
            return Ok(());
        };
        let Ok(claims) = self.tokens.verify(token, TokenKind::Refresh) else {
            return Ok(());
        };
        if claims.kind != TokenKind::Refresh
            || claims.user_id != principal.user.id
            || claims.session_id == principal.session_id
        {
            return Ok(());
        }
        let owned = self
            .sessions
            .get(&claims.session_id)
            .await?
            .is_some_and(|s| s.user_id == principal.user.id);
        if owned {
            self.sessions
                .revoke(&claims.session_id, revoke_reason::LOGOUT, now)
                .await?;
            self.cache.forget_session(&claims.session_id);
        }
        Ok(())
    }

    /// Revokes every live session of `user_id` except `except`; returns how many.
    pub async fn revoke_all(
        &self,
        user_id: &str,
        except: Option<&str>,
        reason: &str,
    ) -> DomainResult<u64> {
        let now = self.clock.now();
        let revoked = self
            .sessions
            .revoke_all(user_id, except.map(str::to_owned), reason, now)
            .await;
        // Forget even on failure: the caller may already have changed the user row.
        self.cache.forget_user(user_id);
        Ok(revoked?)
    }

    /// Drops this instance's cached lookups of `user_id` after the user row changed.
    pub fn forget_user(&self, user_id: &str) {
        self.cache.forget_user(user_id);
    }

    /// A user's live session count and latest `last_used_at`.
    pub async fn activity(&self, user_id: &str) -> DomainResult<(i64, Option<DateTime<Utc>>)> {
        let now = self.clock.now();
        Ok(self.sessions.user_summary(user_id, now).await?)
    }

    /// Signs an access and a refresh token for `session_id`; returns the pair and the
    /// refresh token's hash.
    fn sign_pair(
        &self,
        user: &User,
        session_id: &str,
        now: DateTime<Utc>,
    ) -> DomainResult<(TokenPair, String)> {
        let access = claims_for(
            user,
            session_id,
            TokenKind::Access,
            None,
            now,
            self.policy.access_lifetime(),
        );
        let refresh = claims_for(
            user,
            session_id,
            TokenKind::Refresh,
            Some(self.ids.uuid()),
            now,
            self.policy.refresh_lifetime(),
        );
        let access_token = self.tokens.sign(&access)?;
        let refresh_token = self.tokens.sign(&refresh)?;
        let hash = refresh_hash(&refresh_token);
        Ok((
            TokenPair {
                access_token,
                refresh_token,
            },
            hash,
        ))
    }
}
