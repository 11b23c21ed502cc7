//! OAuth 2.0 / OpenID Connect providers behind one port: the authorisation redirect, and
//! the code exchange that ends in a verified profile (API §3.3).

use async_trait::async_trait;

/// What the authorisation redirect carries; all values are made by the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationParams {
    /// The `state` parameter (32 random bytes, base64url).
    pub state: String,
    /// PKCE S256 challenge: base64url(SHA-256(verifier)), no padding.
    pub pkce_challenge: String,
    /// The OIDC `nonce` (sent to `oidc`/`google` providers only).
    pub nonce: String,
}

/// What the callback hands over for the code exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeExchange {
    /// The `code` query parameter.
    pub code: String,
    /// The PKCE verifier whose challenge went out with the flow.
    pub pkce_verifier: String,
    /// The nonce the ID token must carry (`oidc`/`google`).
    pub nonce: String,
}

/// The signed-in account at the provider.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OAuthProfile {
    /// Stable account id: OIDC `sub`, GitHub numeric id, X user id. Never empty.
    pub subject: String,
    /// The email, only when the provider marks it verified.
    pub email: Option<String>,
    /// Whether the provider said the email is verified.
    pub email_verified: bool,
    /// Display name, else login/username; empty when the provider gave neither.
    pub name: String,
    /// Picture URL; empty when unknown.
    pub avatar_url: String,
}

/// Errors of the provider port.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// No configured, enabled provider has this name.
    #[error("unknown OAuth provider")]
    UnknownProvider,
    /// The OIDC discovery document or the JWKS could not be fetched or read.
    #[error("OIDC discovery failed")]
    DiscoveryFailed(#[source] anyhow::Error),
    /// The token endpoint refused the code, or the profile could not be fetched.
    #[error("OAuth code exchange failed")]
    ExchangeFailed(#[source] anyhow::Error),
    /// The ID token is missing or fails signature, `iss`, `aud`, `exp` or `nonce`.
    #[error("invalid ID token")]
    InvalidIdToken(#[source] anyhow::Error),
}

/// The configured OAuth/OIDC providers, addressed by their configured name.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait OAuthProviders: Send + Sync {
    /// The provider's authorisation URL for this flow (PKCE S256). Errors:
    /// `UnknownProvider`, `DiscoveryFailed`.
    async fn authorization_url(
        &self,
        provider: &str,
        params: &AuthorizationParams,
    ) -> Result<String, OAuthError>;

    /// Exchanges the code, validates the ID token (`oidc`/`google`) and fetches the
    /// profile. Errors: `UnknownProvider`, `DiscoveryFailed`, `ExchangeFailed`,
    /// `InvalidIdToken`.
    async fn exchange(
        &self,
        provider: &str,
        exchange: &CodeExchange,
    ) -> Result<OAuthProfile, OAuthError>;
}
