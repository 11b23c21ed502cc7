//! Where each provider lives: the public endpoints of Google, GitHub and X (overridable),
//! and OIDC discovery for generic issuers, cached per instance.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bedrud_ports::OAuthError;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use oauth2::AuthType;
use serde::Deserialize;

use super::{OAuthClients, ProviderConfig, ProviderKind};

/// How long a discovery document or JWKS is reused before it is fetched again.
pub(super) const CACHE_TTL: Duration = Duration::from_secs(3600);

const GOOGLE_AUTHORIZATION: &str = "https://accounts.google.com/o/oauth2/v2/auth";
const GOOGLE_TOKEN: &str = "https://oauth2.googleapis.com/token";
const GOOGLE_JWKS: &str = "https://www.googleapis.com/oauth2/v3/certs";
const GOOGLE_ISSUER: &str = "https://accounts.google.com";
const GITHUB_AUTHORIZATION: &str = "https://github.com/login/oauth/authorize";
const GITHUB_TOKEN: &str = "https://github.com/login/oauth/access_token";
const GITHUB_USER: &str = "https://api.github.com/user";
const GITHUB_EMAILS: &str = "https://api.github.com/user/emails";
const X_AUTHORIZATION: &str = "https://x.com/i/oauth2/authorize";
const X_TOKEN: &str = "https://api.x.com/2/oauth2/token";
const X_ME: &str = "https://api.x.com/2/users/me?user.fields=profile_image_url";

/// The resolved endpoints of one provider.
#[derive(Debug, Clone)]
pub(super) struct Endpoints {
    pub authorization: String,
    pub token: String,
    /// How the client authenticates at the token endpoint.
    pub auth_type: AuthType,
    /// OIDC userinfo, when the issuer has one.
    pub userinfo: Option<String>,
    /// The JWKS of ID tokens (Google, OIDC).
    pub jwks: Option<String>,
    /// Accepted `iss` values of ID tokens.
    pub issuers: Vec<String>,
    /// GitHub `/user`, X `/2/users/me`.
    pub profile: Option<String>,
    /// GitHub `/user/emails`.
    pub emails: Option<String>,
}

/// The fields of an OpenID Provider Configuration we use.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// A JWKS before its keys are read one by one.
#[derive(Deserialize)]
struct RawKeySet {
    keys: Vec<serde_json::Value>,
}

/// Per-instance caches of discovery documents (by issuer) and key sets (by JWKS URL).
#[derive(Default)]
pub(super) struct OidcCache {
    discovery: Mutex<HashMap<String, (Instant, Arc<Discovery>)>>,
    jwks: Mutex<HashMap<String, (Instant, Arc<JwkSet>)>>,
}

impl OidcCache {
    fn fresh<T>(map: &Mutex<HashMap<String, (Instant, Arc<T>)>>, key: &str) -> Option<Arc<T>> {
        let map = map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .filter(|(at, _)| at.elapsed() < CACHE_TTL)
            .map(|(_, value)| value.clone())
    }

    fn store<T>(map: &Mutex<HashMap<String, (Instant, Arc<T>)>>, key: &str, value: Arc<T>) {
        let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(key.to_owned(), (Instant::now(), value));
    }
}

fn or(value: &Option<String>, default: &str) -> String {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or(default)
        .to_owned()
}

impl OAuthClients {
    /// The endpoints of `config`. Errors: `DiscoveryFailed` (OIDC only).
    pub(super) async fn endpoints(&self, config: &ProviderConfig) -> Result<Endpoints, OAuthError> {
        let o = &config.endpoints;
        Ok(match config.kind {
            ProviderKind::Google => {
                let issuer = or(&o.issuer, GOOGLE_ISSUER);
                let mut issuers = vec![issuer.clone()];
                if let Some(bare) = issuer.strip_prefix("https://") {
                    // Google documents both spellings of its issuer.
                    issuers.push(bare.to_owned());
                }
                Endpoints {
                    authorization: or(&o.authorization_url, GOOGLE_AUTHORIZATION),
                    token: or(&o.token_url, GOOGLE_TOKEN),
                    auth_type: AuthType::RequestBody,
                    userinfo: None,
                    jwks: Some(or(&o.jwks_url, GOOGLE_JWKS)),
                    issuers,
                    profile: None,
                    emails: None,
                }
            }
            ProviderKind::Github => Endpoints {
                authorization: or(&o.authorization_url, GITHUB_AUTHORIZATION),
                token: or(&o.token_url, GITHUB_TOKEN),
                // GitHub reads the client credentials from the form body.
                auth_type: AuthType::RequestBody,
                userinfo: None,
                jwks: None,
                issuers: Vec::new(),
                profile: Some(or(&o.profile_url, GITHUB_USER)),
                emails: Some(or(&o.emails_url, GITHUB_EMAILS)),
            },
            ProviderKind::Twitter => Endpoints {
                authorization: or(&o.authorization_url, X_AUTHORIZATION),
                token: or(&o.token_url, X_TOKEN),
                // X requires HTTP Basic for confidential clients.
                auth_type: AuthType::BasicAuth,
                userinfo: None,
                jwks: None,
                issuers: Vec::new(),
                profile: Some(or(&o.profile_url, X_ME)),
                emails: None,
            },
            ProviderKind::Oidc => {
                let doc = self.discovery(&config.issuer).await?;
                let methods = doc.token_endpoint_auth_methods_supported.as_deref();
                // RFC 8414: absent means client_secret_basic.
                let basic = methods.is_none_or(|m| m.iter().any(|m| m == "client_secret_basic"));
                let post = methods.is_some_and(|m| m.iter().any(|m| m == "client_secret_post"));
                Endpoints {
                    authorization: doc.authorization_endpoint.clone(),
                    token: doc.token_endpoint.clone(),
                    auth_type: if !basic && post {
                        AuthType::RequestBody
                    } else {
                        AuthType::BasicAuth
                    },
                    userinfo: doc.userinfo_endpoint.clone(),
                    jwks: Some(doc.jwks_uri.clone()),
                    issuers: vec![doc.issuer.clone()],
                    profile: None,
                    emails: None,
                }
            }
        })
    }

    /// The issuer's discovery document; its `issuer` must be the configured one.
    async fn discovery(&self, issuer: &str) -> Result<Arc<Discovery>, OAuthError> {
        let issuer = issuer.trim().trim_end_matches('/');
        if let Some(doc) = OidcCache::fresh(&self.oidc.discovery, issuer) {
            return Ok(doc);
        }
        let url = format!("{issuer}/.well-known/openid-configuration");
        let failed = |e: anyhow::Error| OAuthError::DiscoveryFailed(e.context(url.clone()));
        let doc: Discovery = self
            .http
            .get(&url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| failed(e.into()))?
            .json()
            .await
            .map_err(|e| failed(e.into()))?;
        if doc.issuer.trim_end_matches('/') != issuer {
            return Err(failed(anyhow::anyhow!(
                "discovery names issuer {:?}, configured {issuer:?}",
                doc.issuer
            )));
        }
        let doc = Arc::new(doc);
        OidcCache::store(&self.oidc.discovery, issuer, doc.clone());
        Ok(doc)
    }

    /// The key set at `url`; `refresh` skips the cache (after an unknown `kid`).
    pub(super) async fn jwks(&self, url: &str, refresh: bool) -> Result<Arc<JwkSet>, OAuthError> {
        if let Some(set) = OidcCache::fresh(&self.oidc.jwks, url).filter(|_| !refresh) {
            return Ok(set);
        }
        let failed = |e: anyhow::Error| OAuthError::DiscoveryFailed(e.context(url.to_owned()));
        let doc: RawKeySet = self
            .http
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| failed(e.into()))?
            .json()
            .await
            .map_err(|e| failed(e.into()))?;
        // Keys of kinds we cannot read (other curves, encryption-only formats) are
        // skipped rather than failing the whole set.
        let keys = doc
            .keys
            .into_iter()
            .filter_map(|k| serde_json::from_value::<Jwk>(k).ok())
            .collect();
        let set = Arc::new(JwkSet { keys });
        OidcCache::store(&self.oidc.jwks, url, set.clone());
        Ok(set)
    }
}
