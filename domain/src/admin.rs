//! The `Admin` use case: the superadmin's user list, detail, status, accesses and
//! forced logout (API §3.8).

mod query;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use bedrud_ports::{Access, Clock, GuardedUpdate, StoreError, User, UserStore};
use chrono::{DateTime, Utc};

use crate::error::{DomainError, DomainResult};
use crate::policy::AuthPolicy;
use crate::principal::Principal;
use crate::sessions::{Sessions, revoke_reason};
pub use query::{UserListParams, ValidatedUserQuery, created_since, paging, validate_user_query};

const USER_NOT_FOUND: &str = "User not found";

/// One page of `GET /api/admin/users`.
#[derive(Debug, Clone, PartialEq)]
pub struct UserPage {
    pub users: Vec<User>,
    pub total: i64,
    pub page: i64,
    pub limit: i64,
}

/// `GET /api/admin/users/:id`: the user and their session activity.
#[derive(Debug, Clone, PartialEq)]
pub struct UserDetail {
    pub user: User,
    /// Accesses contain `admin` (API §4.4).
    pub is_admin: bool,
    /// Unrevoked, unexpired sessions.
    pub active_sessions: i64,
    /// Latest `last_used_at` of any of the user's sessions.
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// `isAdmin` of the admin views: the accesses contain `admin`.
pub fn is_admin(user: &User) -> bool {
    user.has(Access::Admin)
}

/// User administration; every method requires a superadmin caller.
pub struct Admin {
    users: Arc<dyn UserStore>,
    sessions: Arc<Sessions>,
    clock: Arc<dyn Clock>,
    policy: AuthPolicy,
}

impl Admin {
    /// Wires the use case to its ports and to the `Sessions` use case.
    pub fn new(
        users: Arc<dyn UserStore>,
        sessions: Arc<Sessions>,
        clock: Arc<dyn Clock>,
        policy: AuthPolicy,
    ) -> Self {
        Admin {
            users,
            sessions,
            clock,
            policy,
        }
    }

    /// One page of users matching the validated filters. Errors: 403 `Insufficient
    /// access rights`; 400 per parameter (API §3.8).
    pub async fn list_users(
        &self,
        caller: &Principal,
        params: &UserListParams,
    ) -> DomainResult<UserPage> {
        require_superadmin(caller)?;
        let validated =
            validate_user_query(params, &self.policy.oauth_providers, self.clock.now())?;
        let (users, total) = self.users.list(validated.query).await?;
        Ok(UserPage {
            users,
            total,
            page: validated.page,
            limit: validated.limit,
        })
    }

    /// One user with session activity. Errors: 403; 404 `User not found`.
    pub async fn user_detail(&self, caller: &Principal, id: &str) -> DomainResult<UserDetail> {
        require_superadmin(caller)?;
        let user = self
            .users
            .get(id)
            .await?
            .ok_or_else(|| DomainError::not_found(USER_NOT_FOUND))?;
        let (active_sessions, last_seen_at) = self.sessions.activity(id).await?;
        Ok(UserDetail {
            is_admin: is_admin(&user),
            user,
            active_sessions,
            last_seen_at,
        })
    }

    /// Activates or deactivates a user; deactivation revokes all their sessions.
    /// Errors: 403; 400 `Cannot change your own status`; 404 `User not found`; 409
    /// `Cannot deactivate the last superadmin`.
    pub async fn set_status(&self, caller: &Principal, id: &str, active: bool) -> DomainResult<()> {
        require_superadmin(caller)?;
        if id == caller.user_id() {
            return Err(DomainError::invalid("Cannot change your own status"));
        }
        let outcome = self
            .users
            .set_active(id, active, self.clock.now())
            .await
            .map_err(not_found_as_404)?;
        match outcome {
            GuardedUpdate::Updated => {}
            GuardedUpdate::NotFound => return Err(DomainError::not_found(USER_NOT_FOUND)),
            GuardedUpdate::LastSuperadmin => {
                return Err(DomainError::conflict(
                    "Cannot deactivate the last superadmin",
                ));
            }
        }
        if active {
            self.sessions.forget_user(id);
        } else {
            self.sessions
                .revoke_all(id, None, revoke_reason::DEACTIVATED)
                .await?;
        }
        Ok(())
    }

    /// Replaces a user's accesses (duplicates dropped) and revokes all their sessions.
    /// Errors: 403; 400 `Invalid access role: X` · `Cannot modify your own access
    /// levels`; 404 `User not found`; 409 `Cannot demote the last superadmin`.
    pub async fn set_accesses(
        &self,
        caller: &Principal,
        id: &str,
        accesses: &[String],
    ) -> DomainResult<Vec<Access>> {
        require_superadmin(caller)?;
        let mut parsed: Vec<Access> = Vec::with_capacity(accesses.len());
        for raw in accesses {
            let access = Access::parse(raw)
                .ok_or_else(|| DomainError::invalid(format!("Invalid access role: {raw}")))?;
            if !parsed.contains(&access) {
                parsed.push(access);
            }
        }
        if id == caller.user_id() {
            return Err(DomainError::invalid("Cannot modify your own access levels"));
        }
        let outcome = self
            .users
            .set_accesses(id, parsed.clone(), self.clock.now())
            .await
            .map_err(not_found_as_404)?;
        match outcome {
            GuardedUpdate::Updated => {}
            GuardedUpdate::NotFound => return Err(DomainError::not_found(USER_NOT_FOUND)),
            GuardedUpdate::LastSuperadmin => {
                return Err(DomainError::conflict("Cannot demote the last superadmin"));
            }
        }
        self.sessions
            .revoke_all(id, None, revoke_reason::ACCESSES_CHANGED)
            .await?;
        Ok(parsed)
    }

    /// Revokes every session of a user (`is_active` unchanged); returns how many.
    /// Errors: 403; 404 `User not found`.
    pub async fn force_logout(&self, caller: &Principal, id: &str) -> DomainResult<u64> {
        require_superadmin(caller)?;
        if self.users.get(id).await?.is_none() {
            return Err(DomainError::not_found(USER_NOT_FOUND));
        }
        self.sessions
            .revoke_all(id, None, revoke_reason::FORCE_LOGOUT)
            .await
    }
}

/// The domain's own copy of the HTTP superadmin guard, so no integrator can skip it.
fn require_superadmin(caller: &Principal) -> DomainResult<()> {
    if caller.is_superadmin() && caller.user.is_active {
        Ok(())
    } else {
        Err(DomainError::forbidden("Insufficient access rights"))
    }
}

fn not_found_as_404(e: StoreError) -> DomainError {
    match e {
        StoreError::NotFound => DomainError::not_found(USER_NOT_FOUND),
        other => other.into(),
    }
}
