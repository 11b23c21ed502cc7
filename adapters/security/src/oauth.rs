//! OAuth 2.0 / OpenID Connect sign-in (API §3.3) with the `oauth2` crate over reqwest
//! (rustls): Google and generic OIDC issuers (ID token checked against the JWKS), GitHub,
//! and X (OAuth 2.0 + PKCE). Every flow uses PKCE S256 with the core's challenge.

mod endpoints;
mod id_token;
mod profile;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use bedrud_ports::{AuthorizationParams, CodeExchange, OAuthError, OAuthProfile, OAuthProviders};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeVerifier, RedirectUrl, Scope, StandardRevocableToken,
    StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};

use endpoints::{Endpoints, OidcCache};

/// How long one call to a provider may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// Prefixes of placeholder credentials copied from examples: such a provider is off.
const PLACEHOLDER_PREFIXES: [&str; 5] = ["your-", "replace-", "example-", "xxx", "todo"];
/// Names that are sign-in methods of their own.
const RESERVED_NAMES: [&str; 4] = ["local", "passkey", "passkeys", "guest"];

/// What kind of provider a configured name is (`auth.oauth.<name>.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    Google,
    Github,
    Twitter,
    /// Any OpenID Connect issuer, configured through discovery.
    Oidc,
}

impl ProviderKind {
    /// Parses the config spelling: `google`, `github`, `twitter`, `oidc`.
    pub fn parse(kind: &str) -> Option<ProviderKind> {
        match kind {
            "google" => Some(ProviderKind::Google),
            "github" => Some(ProviderKind::Github),
            "twitter" => Some(ProviderKind::Twitter),
            "oidc" => Some(ProviderKind::Oidc),
            _ => None,
        }
    }

    /// Scopes used when the config lists none (API §7).
    pub fn default_scopes(self) -> &'static [&'static str] {
        match self {
            ProviderKind::Google | ProviderKind::Oidc => &["openid", "email", "profile"],
            ProviderKind::Github => &["read:user", "user:email"],
            ProviderKind::Twitter => &["users.read", "tweet.read"],
        }
    }

    /// Whether the flow ends in an ID token that must be validated.
    fn uses_id_token(self) -> bool {
        matches!(self, ProviderKind::Google | ProviderKind::Oidc)
    }
}

/// Endpoint overrides for `google`, `github` and `twitter` (tests and proxies); `None`
/// keeps the provider's public endpoint. `oidc` providers use discovery instead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointOverrides {
    pub authorization_url: Option<String>,
    pub token_url: Option<String>,
    /// Google: the JWKS of its ID tokens.
    pub jwks_url: Option<String>,
    /// Google: the `iss` its ID tokens carry.
    pub issuer: Option<String>,
    /// GitHub `/user`, X `/2/users/me`.
    pub profile_url: Option<String>,
    /// GitHub `/user/emails`.
    pub emails_url: Option<String>,
}

/// One `[auth.oauth.<name>]` table.
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    /// The configured name: the URL segment and the `provider` of accounts it creates.
    pub name: String,
    pub kind: ProviderKind,
    pub client_id: String,
    pub client_secret: String,
    /// The callback URL registered with the provider, e.g.
    /// `https://host/api/auth/<name>/callback`.
    pub redirect_url: String,
    /// `oidc`: the issuer; discovery at `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    /// Empty means [`ProviderKind::default_scopes`].
    pub scopes: Vec<String>,
    pub endpoints: EndpointOverrides,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("ProviderConfig")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("client_id", &self.client_id)
            .field("redirect_url", &self.redirect_url)
            .field("issuer", &self.issuer)
            .field("scopes", &self.scopes)
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

impl ProviderConfig {
    /// Enabled unless the client id or secret is empty or a placeholder (`your-…`,
    /// `replace-…`, `example-…`, `xxx…`, `todo…`).
    pub fn is_enabled(&self) -> bool {
        let real = |value: &str| {
            let value = value.trim().to_ascii_lowercase();
            !value.is_empty() && !PLACEHOLDER_PREFIXES.iter().any(|p| value.starts_with(p))
        };
        real(&self.client_id) && real(&self.client_secret)
    }

    fn scopes(&self) -> Vec<String> {
        if self.scopes.is_empty() {
            self.kind
                .default_scopes()
                .iter()
                .map(|s| (*s).to_owned())
                .collect()
        } else {
            self.scopes.clone()
        }
    }
}

/// Whether `name` may name a provider: `[a-z0-9_-]{1,32}`, not a built-in method.
pub fn valid_provider_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        && !RESERVED_NAMES.contains(&name)
}

/// Why the provider configuration is unusable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OAuthConfigError {
    #[error(
        "auth.oauth: {0:?} is not a valid provider name ([a-z0-9_-]{{1,32}}, not local, passkey, passkeys or guest)"
    )]
    BadName(String),
    #[error("auth.oauth: provider {0:?} is configured twice")]
    Duplicate(String),
    #[error("auth.oauth.{0}: redirect_url is required")]
    MissingRedirect(String),
    #[error("auth.oauth.{0}: issuer is required for kind oidc")]
    MissingIssuer(String),
    #[error("auth.oauth.{name}: {url:?} is not a valid URL")]
    BadUrl { name: String, url: String },
    #[error("OAuth HTTP client: {0}")]
    HttpClient(String),
}

/// The `id_token` field of OIDC token responses.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct IdTokenField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenField {}

type TokenBody = StandardTokenResponse<IdTokenField, BasicTokenType>;

/// An `oauth2` client with authorisation and token endpoints set.
type Client = oauth2::Client<
    BasicErrorResponse,
    TokenBody,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// The configured, enabled providers behind the `OAuthProviders` port.
pub struct OAuthClients {
    providers: HashMap<String, ProviderConfig>,
    names: Vec<String>,
    http: reqwest::Client,
    oidc: OidcCache,
}

impl std::fmt::Debug for OAuthClients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClients")
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

impl OAuthClients {
    /// Validates the configuration and keeps the enabled providers (see
    /// [`ProviderConfig::is_enabled`]); disabled ones are dropped silently.
    pub fn new(configs: Vec<ProviderConfig>) -> Result<Self, OAuthConfigError> {
        // Redirects are never followed: a provider endpoint must answer itself.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .user_agent("bedrud")
            .build()
            .map_err(|e| OAuthConfigError::HttpClient(e.to_string()))?;
        Self::with_http_client(configs, http)
    }

    /// As [`OAuthClients::new`] with a caller-built HTTP client (it must not follow
    /// redirects).
    pub fn with_http_client(
        configs: Vec<ProviderConfig>,
        http: reqwest::Client,
    ) -> Result<Self, OAuthConfigError> {
        install_crypto_provider();
        let mut providers = HashMap::new();
        let mut names = Vec::new();
        for config in configs {
            let name = config.name.clone();
            if !valid_provider_name(&name) {
                return Err(OAuthConfigError::BadName(name));
            }
            if providers.contains_key(&name) {
                return Err(OAuthConfigError::Duplicate(name));
            }
            if !config.is_enabled() {
                continue;
            }
            check_urls(&config)?;
            names.push(name.clone());
            providers.insert(name, config);
        }
        Ok(OAuthClients {
            providers,
            names,
            http,
            oidc: OidcCache::default(),
        })
    }

    /// Names of the enabled providers, in configuration order (`oauthProviders`).
    pub fn names(&self) -> Vec<String> {
        self.names.clone()
    }

    fn provider(&self, name: &str) -> Result<&ProviderConfig, OAuthError> {
        self.providers.get(name).ok_or(OAuthError::UnknownProvider)
    }

    fn client(&self, config: &ProviderConfig, endpoints: &Endpoints) -> Result<Client, OAuthError> {
        let bad = |e: url::ParseError| OAuthError::DiscoveryFailed(anyhow::Error::new(e));
        Ok(oauth2::Client::new(ClientId::new(config.client_id.clone()))
            .set_client_secret(ClientSecret::new(config.client_secret.clone()))
            .set_auth_type(endpoints.auth_type.clone())
            .set_auth_uri(AuthUrl::new(endpoints.authorization.clone()).map_err(bad)?)
            .set_token_uri(TokenUrl::new(endpoints.token.clone()).map_err(bad)?)
            .set_redirect_uri(RedirectUrl::new(config.redirect_url.clone()).map_err(bad)?))
    }
}

/// Installs jsonwebtoken's RustCrypto provider (RSA, ECDSA, EdDSA) if none is installed.
fn install_crypto_provider() {
    crate::jwt::install_crypto_provider();
}

/// Every configured URL must parse; `oidc` needs an issuer.
fn check_urls(config: &ProviderConfig) -> Result<(), OAuthConfigError> {
    let name = &config.name;
    if config.redirect_url.trim().is_empty() {
        return Err(OAuthConfigError::MissingRedirect(name.clone()));
    }
    if config.kind == ProviderKind::Oidc && config.issuer.trim().is_empty() {
        return Err(OAuthConfigError::MissingIssuer(name.clone()));
    }
    let o = &config.endpoints;
    let mut urls = vec![config.redirect_url.as_str()];
    if config.kind == ProviderKind::Oidc {
        urls.push(config.issuer.as_str());
    }
    urls.extend(
        [
            &o.authorization_url,
            &o.token_url,
            &o.jwks_url,
            &o.profile_url,
            &o.emails_url,
        ]
        .into_iter()
        .flatten()
        .map(String::as_str),
    );
    for url in urls {
        if url::Url::parse(url.trim()).is_err() {
            return Err(OAuthConfigError::BadUrl {
                name: name.clone(),
                url: url.to_owned(),
            });
        }
    }
    Ok(())
}

#[async_trait]
impl OAuthProviders for OAuthClients {
    async fn authorization_url(
        &self,
        provider: &str,
        params: &AuthorizationParams,
    ) -> Result<String, OAuthError> {
        let config = self.provider(provider)?;
        let endpoints = self.endpoints(config).await?;
        let client = self.client(config, &endpoints)?;
        let state = params.state.clone();
        let mut request = client
            .authorize_url(move || CsrfToken::new(state))
            .add_scopes(config.scopes().into_iter().map(Scope::new))
            .add_extra_param("code_challenge", params.pkce_challenge.clone())
            .add_extra_param("code_challenge_method", "S256");
        if config.kind.uses_id_token() {
            request = request.add_extra_param("nonce", params.nonce.clone());
        }
        Ok(request.url().0.to_string())
    }

    async fn exchange(
        &self,
        provider: &str,
        exchange: &CodeExchange,
    ) -> Result<OAuthProfile, OAuthError> {
        let config = self.provider(provider)?;
        let endpoints = self.endpoints(config).await?;
        let client = self.client(config, &endpoints)?;
        let token = client
            .exchange_code(AuthorizationCode::new(exchange.code.clone()))
            .set_pkce_verifier(PkceCodeVerifier::new(exchange.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| OAuthError::ExchangeFailed(anyhow::Error::new(e)))?;
        let access_token = token.access_token().secret().clone();
        match config.kind {
            ProviderKind::Google | ProviderKind::Oidc => {
                let id_token = token.extra_fields().id_token.as_deref().ok_or_else(|| {
                    OAuthError::InvalidIdToken(anyhow::anyhow!("no id_token in the token response"))
                })?;
                let claims = self
                    .verify_id_token(config, &endpoints, id_token, &exchange.nonce)
                    .await?;
                let userinfo = match (&endpoints.userinfo, config.kind) {
                    // Issuers that keep the ID token lean answer the rest at userinfo.
                    (Some(url), ProviderKind::Oidc) if claims.needs_userinfo() => {
                        Some(self.userinfo(url, &access_token).await?)
                    }
                    _ => None,
                };
                Ok(claims.into_profile(userinfo))
            }
            ProviderKind::Github => self.github_profile(&endpoints, &access_token).await,
            ProviderKind::Twitter => self.twitter_profile(&endpoints, &access_token).await,
        }
    }
}
