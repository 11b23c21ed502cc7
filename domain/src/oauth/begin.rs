//! Starting a flow: server-made `state`, PKCE verifier and nonce, stored with the
//! provider and redirect path, bound to a fresh cookie.

use bedrud_ports::{AuthorizationParams, Ceremony, CeremonyKind};
use serde::{Deserialize, Serialize};

use super::{BEGIN_FAILED, FLOW_TTL, OAuth, OAuthResult, OAuthStart, provider_failure};
use crate::ceremonies::{pkce_challenge, random_token, sha256_hex};
use crate::error::DomainError;

/// Longest redirect path kept, in bytes.
const REDIRECT_MAX_BYTES: usize = 2048;

/// What a flow keeps until its callback.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct FlowPayload {
    pub provider: String,
    pub pkce_verifier: String,
    pub nonce: String,
    pub redirect: Option<String>,
}

/// A same-origin path: starts with `/`, not `//`, no `\`, no control characters.
pub fn is_safe_redirect(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
        && path.len() <= REDIRECT_MAX_BYTES
}

impl OAuth {
    /// Starts a flow with `provider`; an unsafe `redirect` is ignored. Returns the
    /// provider URL (answer 307) and the `bedrud_oauth` cookie value. Errors: 404
    /// `Unsupported OAuth provider`; 502 `Failed to begin authentication` (OIDC discovery).
    pub async fn begin(&self, provider: &str, redirect: Option<&str>) -> OAuthResult<OAuthStart> {
        self.known(provider)?;
        let ids = self.ports.ids.as_ref();
        let state = random_token(ids);
        let binding = random_token(ids);
        let pkce_verifier = random_token(ids);
        let nonce = random_token(ids);
        let params = AuthorizationParams {
            state: state.clone(),
            pkce_challenge: pkce_challenge(&pkce_verifier),
            nonce: nonce.clone(),
        };
        let authorization_url = self
            .ports
            .providers
            .authorization_url(provider, &params)
            .await
            .map_err(|e| provider_failure(e, BEGIN_FAILED))?;
        let payload = FlowPayload {
            provider: provider.to_owned(),
            pkce_verifier,
            nonce,
            redirect: redirect
                .filter(|path| is_safe_redirect(path))
                .map(str::to_owned),
        };
        let payload = serde_json::to_string(&payload)
            .map_err(|e| DomainError::Internal(anyhow::Error::new(e)))?;
        let now = self.ports.clock.now();
        self.ports
            .ceremonies
            .insert(Ceremony {
                id: sha256_hex(&state),
                kind: CeremonyKind::OAuth,
                user_id: None,
                binding_hash: Some(sha256_hex(&binding)),
                payload,
                failures: 0,
                created_at: now,
                expires_at: now + FLOW_TTL,
            })
            .await?;
        Ok(OAuthStart {
            authorization_url,
            binding,
        })
    }
}
