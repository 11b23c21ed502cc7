//! Completing a flow: the stored flow is taken (whatever the outcome), the code exchanged,
//! the account resolved by `(provider, subject)` and a session issued.

use bedrud_ports::{
    Access, CeremonyKind, CodeExchange, OAuthIdentity, OAuthProfile, StoreError, User,
};

use super::begin::FlowPayload;
use super::{
    ACCOUNT_DEACTIVATED, COMPLETE_FAILED, EMAIL_ELSEWHERE, OAuth, OAuthCallback, OAuthFlowError,
    OAuthResult, OAuthSignedIn, REGISTRATION_DISABLED, provider_failure,
};
use crate::ceremonies::{accounts_with_email, sha256_hex};
use crate::error::DomainError;
use crate::principal::ClientInfo;
use crate::validation::{canonical_email, sanitize_name};

/// Longest name taken from a provider profile, in bytes.
const NAME_MAX_BYTES: usize = 255;
/// Name of an account whose provider gave neither a name nor an email.
const FALLBACK_NAME: &str = "User";

fn failed() -> OAuthFlowError {
    DomainError::invalid(COMPLETE_FAILED).into()
}

fn some_text(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

impl OAuth {
    /// Completes a flow of `provider` and signs the account in with a new session.
    /// Errors in order: 404 `Unsupported OAuth provider`; 400 `Failed to complete
    /// authentication` (state or binding invalid, provider `error`, no code, ID token
    /// invalid); 502 `Failed to complete authentication` (exchange or profile fetch); 403
    /// `Account is deactivated`; 409 `An account with this email already exists via a
    /// different sign-in method`; 403 `Registration is currently disabled`.
    pub async fn callback(
        &self,
        provider: &str,
        input: OAuthCallback,
        client: &ClientInfo,
    ) -> OAuthResult<OAuthSignedIn> {
        self.known(provider)?;
        let flow = self.take_flow(provider, &input).await?;
        if some_text(input.error.as_deref()).is_some() {
            return Err(failed());
        }
        let code = some_text(input.code.as_deref()).ok_or_else(failed)?;
        let exchange = CodeExchange {
            code: code.to_owned(),
            pkce_verifier: flow.pkce_verifier,
            nonce: flow.nonce,
        };
        let profile = self
            .ports
            .providers
            .exchange(provider, &exchange)
            .await
            .map_err(|e| provider_failure(e, COMPLETE_FAILED))?;
        if profile.subject.trim().is_empty() {
            return Err(OAuthFlowError::Upstream {
                message: COMPLETE_FAILED,
                cause: anyhow::anyhow!("provider {provider} returned no subject"),
            });
        }
        let user = self.resolve(provider, &profile).await?;
        let tokens = self.sessions.issue(&user, client).await?;
        Ok(OAuthSignedIn {
            user,
            tokens,
            redirect_url: self.redirect_url(flow.redirect.as_deref()),
        })
    }

    /// Takes the stored flow named by `state`: it must exist, be unexpired and unused,
    /// belong to `provider` and to this browser's binding cookie. It is consumed as soon
    /// as it is found, whatever follows.
    async fn take_flow(&self, provider: &str, input: &OAuthCallback) -> OAuthResult<FlowPayload> {
        let state = some_text(input.state.as_deref()).ok_or_else(failed)?;
        let id = sha256_hex(state);
        let now = self.ports.clock.now();
        let ceremony = self
            .ports
            .ceremonies
            .get(&id, now)
            .await?
            .ok_or_else(failed)?;
        // Only OAuth flows are taken here; any flow found is spent whatever follows.
        if ceremony.kind != CeremonyKind::OAuth || !self.ports.ceremonies.consume(&id).await? {
            return Err(failed());
        }
        let bound = some_text(input.binding.as_deref())
            .is_some_and(|cookie| ceremony.binding_hash.as_deref() == Some(&sha256_hex(cookie)));
        if !bound {
            return Err(failed());
        }
        let flow: FlowPayload = serde_json::from_str(&ceremony.payload).map_err(|e| {
            DomainError::Internal(anyhow::Error::new(e).context("unreadable OAuth flow"))
        })?;
        if flow.provider != provider {
            return Err(failed());
        }
        Ok(flow)
    }

    /// The account of this profile: the linked one; else the single account of this
    /// provider holding the verified email (linked now); else a new one. A verified email
    /// held by an account of another sign-in method is a conflict, never merged.
    async fn resolve(&self, provider: &str, profile: &OAuthProfile) -> OAuthResult<User> {
        if let Some(identity) = self
            .ports
            .identities
            .find(provider, &profile.subject)
            .await?
        {
            return self.linked(&identity.user_id, profile).await;
        }
        let email = profile
            .email
            .as_deref()
            .filter(|_| profile.email_verified)
            .and_then(|e| canonical_email(e).ok());
        if let Some(email) = &email {
            let accounts = accounts_with_email(self.ports.users.as_ref(), email).await?;
            let mut of_provider = accounts.iter().filter(|u| u.provider == provider);
            if let (Some(user), None) = (of_provider.next(), of_provider.next()) {
                if !user.is_active {
                    return Err(DomainError::forbidden(ACCOUNT_DEACTIVATED).into());
                }
                return self.link(provider, profile, &user.id).await;
            }
            if !accounts.is_empty() {
                return Err(DomainError::conflict(EMAIL_ELSEWHERE).into());
            }
        }
        let runtime = self.ports.settings.get().await?;
        if !self.policy.effective(&runtime).registration_enabled {
            return Err(DomainError::forbidden(REGISTRATION_DISABLED).into());
        }
        self.create(provider, profile, email).await
    }

    /// Links `(provider, subject)` to an existing account of this provider.
    async fn link(
        &self,
        provider: &str,
        profile: &OAuthProfile,
        user_id: &str,
    ) -> OAuthResult<User> {
        let identity = OAuthIdentity {
            id: self.ports.ids.uuid(),
            provider: provider.to_owned(),
            subject: profile.subject.clone(),
            user_id: user_id.to_owned(),
            created_at: self.ports.clock.now(),
        };
        match self.ports.identities.insert(identity).await {
            // A concurrent callback linked the subject first: use its link.
            Ok(()) | Err(StoreError::Conflict("identity")) => {
                self.relinked(provider, profile).await
            }
            Err(other) => Err(other.into()),
        }
    }

    /// Creates the account and its identity in one transaction.
    async fn create(
        &self,
        provider: &str,
        profile: &OAuthProfile,
        email: Option<String>,
    ) -> OAuthResult<User> {
        let now = self.ports.clock.now();
        let user_id = self.ports.ids.uuid();
        let name = account_name(profile, email.as_deref());
        let user = User {
            id: user_id.clone(),
            email_verified_at: email.as_ref().map(|_| now),
            email: email.unwrap_or_default(),
            name,
            avatar_url: profile.avatar_url.trim().to_owned(),
            provider: provider.to_owned(),
            accesses: vec![Access::User],
            is_active: true,
            password_hash: None,
            password_changed_at: None,
            created_at: now,
            updated_at: now,
        };
        let identity = OAuthIdentity {
            id: self.ports.ids.uuid(),
            provider: provider.to_owned(),
            subject: profile.subject.clone(),
            user_id,
            created_at: now,
        };
        match self.ports.identities.insert_with_user(user, identity).await {
            Ok(user) => Ok(user),
            Err(StoreError::Conflict("user_email")) => {
                Err(DomainError::conflict(EMAIL_ELSEWHERE).into())
            }
            // A concurrent callback created the account first: use it.
            Err(StoreError::Conflict("identity")) => self.relinked(provider, profile).await,
            Err(other) => Err(other.into()),
        }
    }

    /// The account now linked to the subject (after our own or a concurrent link).
    async fn relinked(&self, provider: &str, profile: &OAuthProfile) -> OAuthResult<User> {
        let identity = self
            .ports
            .identities
            .find(provider, &profile.subject)
            .await?
            .ok_or_else(|| {
                DomainError::Internal(anyhow::anyhow!("identity vanished after linking"))
            })?;
        self.linked(&identity.user_id, profile).await
    }

    /// A linked account: it must be active; name and avatar follow the provider.
    async fn linked(&self, user_id: &str, profile: &OAuthProfile) -> OAuthResult<User> {
        let mut user = self.ports.users.get(user_id).await?.ok_or_else(|| {
            DomainError::Internal(anyhow::anyhow!("OAuth identity of a missing user"))
        })?;
        if !user.is_active {
            return Err(DomainError::forbidden(ACCOUNT_DEACTIVATED).into());
        }
        let name = profile_name(profile).unwrap_or_else(|| user.name.clone());
        let avatar = some_text(Some(&profile.avatar_url))
            .map(str::to_owned)
            .unwrap_or_else(|| user.avatar_url.clone());
        if name != user.name || avatar != user.avatar_url {
            let now = self.ports.clock.now();
            self.ports
                .identities
                .refresh_profile(&user.id, name.clone(), avatar.clone(), now)
                .await?;
            self.sessions.forget_user(&user.id);
            user.name = name;
            user.avatar_url = avatar;
            user.updated_at = now;
        }
        Ok(user)
    }

    /// `frontend_url` + `/auth/callback`, plus `?redirect=<encoded path>` when one was
    /// stored; same-origin `/auth/callback` when `frontend_url` is empty.
    fn redirect_url(&self, redirect: Option<&str>) -> String {
        let base = self.frontend_url.trim().trim_end_matches('/');
        let mut url = format!("{base}/auth/callback");
        if let Some(path) = redirect {
            url.push_str("?redirect=");
            url.push_str(&percent_encode(path));
        }
        url
    }
}

/// The provider's name for the account, sanitised and bounded; `None` when empty.
fn profile_name(profile: &OAuthProfile) -> Option<String> {
    let name = truncate(sanitize_name(&profile.name), NAME_MAX_BYTES);
    (!name.is_empty()).then_some(name)
}

/// Name of a new account: display name → login → email local part → `User`.
fn account_name(profile: &OAuthProfile, email: Option<&str>) -> String {
    profile_name(profile)
        .or_else(|| {
            let local = email?.rsplit_once('@')?.0;
            let local = truncate(sanitize_name(local), NAME_MAX_BYTES);
            (!local.is_empty()).then_some(local)
        })
        .unwrap_or_else(|| FALLBACK_NAME.to_owned())
}

/// At most `max` bytes, cut on a character boundary.
fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
