//! The `OAuth` use case: sign-in through OAuth 2.0 / OpenID Connect providers (API §3.3).
//!
//! The flow lives server-side: `state`, PKCE verifier, nonce and redirect path are stored
//! as a ceremony keyed by the hash of `state` (ten minutes, single use) and bound to the
//! `bedrud_oauth` cookie, whose hash is stored with it. Accounts are resolved by
//! `(provider, subject)`, never by email alone.

mod begin;
mod callback;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use bedrud_ports::{
    CeremonyStore, Clock, IdSource, IdentityStore, OAuthError, OAuthProviders, SettingsStore,
    StoreError, User, UserStore,
};
use chrono::TimeDelta;

use crate::error::DomainError;
use crate::policy::AuthPolicy;
use crate::sessions::Sessions;
use crate::tokens::TokenPair;

pub use begin::is_safe_redirect;

/// An unknown, unconfigured or disabled provider (404).
pub const UNSUPPORTED_PROVIDER: &str = "Unsupported OAuth provider";
/// The login step could not reach the provider (502).
pub const BEGIN_FAILED: &str = "Failed to begin authentication";
/// Every failed callback but the account decisions (400 or 502).
pub const COMPLETE_FAILED: &str = "Failed to complete authentication";
/// A verified email that belongs to an account of another sign-in method (409).
pub const EMAIL_ELSEWHERE: &str =
    "An account with this email already exists via a different sign-in method";
/// The linked account is deactivated (403).
pub const ACCOUNT_DEACTIVATED: &str = "Account is deactivated";
/// A new account is needed but registration is off (403).
pub const REGISTRATION_DISABLED: &str = "Registration is currently disabled";

/// How long a flow can be completed.
pub const FLOW_TTL: TimeDelta = TimeDelta::minutes(10);

/// The ports the OAuth use case works with.
#[derive(Clone)]
pub struct OAuthPorts {
    pub users: Arc<dyn UserStore>,
    pub identities: Arc<dyn IdentityStore>,
    pub ceremonies: Arc<dyn CeremonyStore>,
    pub settings: Arc<dyn SettingsStore>,
    pub providers: Arc<dyn OAuthProviders>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
}

/// A started flow: where to send the browser, and the `bedrud_oauth` cookie value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthStart {
    /// The provider's authorisation URL (answer 307 to it).
    pub authorization_url: String,
    /// Value of the `bedrud_oauth` cookie binding this browser to the flow.
    pub binding: String,
}

/// What `GET /api/auth/:provider/callback` received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OAuthCallback {
    /// Query `state`.
    pub state: Option<String>,
    /// Query `code`.
    pub code: Option<String>,
    /// Query `error` (the provider refused or the user cancelled).
    pub error: Option<String>,
    /// The `bedrud_oauth` cookie.
    pub binding: Option<String>,
}

/// A completed flow: the user, a new session's pair, and where to redirect (302).
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthSignedIn {
    pub user: User,
    pub tokens: TokenPair,
    /// `frontend_url` + `/auth/callback` (+ `?redirect=<encoded path>`).
    pub redirect_url: String,
}

/// Why a flow failed. `Upstream` is a provider failure (502); its message is for the
/// client, its cause for the log.
#[derive(Debug, thiserror::Error)]
pub enum OAuthFlowError {
    /// 502: the provider could not be reached, or refused the code exchange.
    #[error("{message}")]
    Upstream {
        message: &'static str,
        #[source]
        cause: anyhow::Error,
    },
    /// Any other failure, with its client-facing message.
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<StoreError> for OAuthFlowError {
    fn from(e: StoreError) -> Self {
        OAuthFlowError::Domain(e.into())
    }
}

/// Result alias of the OAuth use case.
pub type OAuthResult<T> = Result<T, OAuthFlowError>;

/// OAuth/OIDC sign-in.
pub struct OAuth {
    ports: OAuthPorts,
    sessions: Arc<Sessions>,
    policy: AuthPolicy,
    frontend_url: String,
}

impl OAuth {
    /// Wires the use case; `frontend_url` (`auth.frontend_url`, may be empty) is where
    /// completed flows redirect to.
    pub fn new(
        ports: OAuthPorts,
        sessions: Arc<Sessions>,
        policy: AuthPolicy,
        frontend_url: impl Into<String>,
    ) -> Self {
        OAuth {
            ports,
            sessions,
            policy,
            frontend_url: frontend_url.into(),
        }
    }

    /// 404 `Unsupported OAuth provider` unless `provider` is configured and enabled.
    fn known(&self, provider: &str) -> OAuthResult<()> {
        if self.policy.oauth_providers.iter().any(|p| p == provider) {
            Ok(())
        } else {
            Err(unsupported())
        }
    }
}

fn unsupported() -> OAuthFlowError {
    DomainError::not_found(UNSUPPORTED_PROVIDER).into()
}

/// Maps a provider-port failure at `stage` (its 502 message) to the flow error.
fn provider_failure(error: OAuthError, stage: &'static str) -> OAuthFlowError {
    match error {
        OAuthError::UnknownProvider => unsupported(),
        OAuthError::InvalidIdToken(_) => DomainError::invalid(COMPLETE_FAILED).into(),
        OAuthError::DiscoveryFailed(cause) | OAuthError::ExchangeFailed(cause) => {
            OAuthFlowError::Upstream {
                message: stage,
                cause,
            }
        }
    }
}
