//! ID token validation: signature against the issuer's JWKS (asymmetric algorithms only),
//! `iss`, `aud` (+ `azp`), `exp` and `nonce`; then the profile the claims describe.

use bedrud_ports::{OAuthError, OAuthProfile};
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::endpoints::Endpoints;
use super::profile::UserInfo;
use super::{OAuthClients, ProviderConfig};

/// Clock skew tolerated on `exp`, in seconds.
pub(super) const LEEWAY_SECS: u64 = 60;

/// Signature algorithms an ID token may use; never HMAC or `none`.
const ALLOWED: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// `email_verified` is a boolean, but some issuers send `"true"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(super) enum Flag {
    Bool(bool),
    Text(String),
}

impl Flag {
    pub(super) fn is_true(flag: &Option<Flag>) -> bool {
        match flag {
            Some(Flag::Bool(b)) => *b,
            Some(Flag::Text(t)) => t.eq_ignore_ascii_case("true"),
            None => false,
        }
    }
}

/// The claims of a validated ID token that Bedrud reads.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct IdClaims {
    sub: String,
    /// A string or a list of strings; jsonwebtoken already checked it holds our client.
    aud: serde_json::Value,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<Flag>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    preferred_username: Option<String>,
    #[serde(default)]
    picture: Option<String>,
}

fn text(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

impl IdClaims {
    /// Whether email or name must come from the userinfo endpoint.
    pub(super) fn needs_userinfo(&self) -> bool {
        text(&self.email).is_none()
            || (text(&self.name).is_none() && text(&self.preferred_username).is_none())
    }

    /// The profile: claims first, userinfo (of the same subject) filling the gaps.
    pub(super) fn into_profile(self, userinfo: Option<UserInfo>) -> OAuthProfile {
        let info = userinfo.filter(|u| u.sub == self.sub);
        let (email, verified) = match text(&self.email) {
            Some(email) => (Some(email), Flag::is_true(&self.email_verified)),
            None => match &info {
                Some(u) => (text(&u.email), Flag::is_true(&u.email_verified)),
                None => (None, false),
            },
        };
        let from_info =
            |f: fn(&UserInfo) -> &Option<String>| info.as_ref().and_then(|u| text(f(u)));
        let name = text(&self.name)
            .or_else(|| from_info(|u| &u.name))
            .or_else(|| text(&self.preferred_username))
            .or_else(|| from_info(|u| &u.preferred_username))
            .unwrap_or_default();
        let avatar_url = text(&self.picture)
            .or_else(|| from_info(|u| &u.picture))
            .unwrap_or_default();
        OAuthProfile {
            subject: self.sub,
            email: email.filter(|_| verified),
            email_verified: verified,
            name,
            avatar_url,
        }
    }
}

fn invalid(reason: impl std::fmt::Display) -> OAuthError {
    OAuthError::InvalidIdToken(anyhow::anyhow!("{reason}"))
}

/// Whether the key can verify `alg`: its type fits, and its own `alg`/`use`, when given, agree.
fn key_fits(jwk: &Jwk, alg: Algorithm) -> bool {
    let type_fits = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => matches!(
            alg,
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512
        ),
        AlgorithmParameters::EllipticCurve(_) => matches!(alg, Algorithm::ES256 | Algorithm::ES384),
        AlgorithmParameters::OctetKeyPair(_) => alg == Algorithm::EdDSA,
        // Symmetric keys never verify an ID token.
        AlgorithmParameters::OctetKey(_) => false,
    };
    let alg_fits = jwk
        .common
        .key_algorithm
        .is_none_or(|k| k.to_string() == format!("{alg:?}"));
    let use_fits = !matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption));
    type_fits && alg_fits && use_fits
}

/// The key of `set` for a token signed with `alg` under `kid`.
fn find_key(set: &JwkSet, kid: Option<&str>, alg: Algorithm) -> Option<DecodingKey> {
    let mut candidates = set.keys.iter().filter(|k| key_fits(k, alg));
    let jwk = match kid {
        Some(kid) => candidates.find(|k| k.common.key_id.as_deref() == Some(kid)),
        None => {
            // Without a kid only an unambiguous key will do.
            let first = candidates.next();
            if candidates.next().is_some() {
                None
            } else {
                first
            }
        }
    }?;
    DecodingKey::from_jwk(jwk).ok()
}

impl OAuthClients {
    /// Validates `token` for `config` and returns its claims. Errors: `InvalidIdToken`
    /// (signature, algorithm, `iss`, `aud`, `azp`, `exp`, `nonce`), `DiscoveryFailed`
    /// (JWKS unreachable).
    pub(super) async fn verify_id_token(
        &self,
        config: &ProviderConfig,
        endpoints: &Endpoints,
        token: &str,
        nonce: &str,
    ) -> Result<IdClaims, OAuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(invalid)?;
        if !ALLOWED.contains(&header.alg) {
            return Err(invalid(format!("algorithm {:?} not allowed", header.alg)));
        }
        let jwks_url = endpoints
            .jwks
            .as_deref()
            .ok_or_else(|| invalid("provider has no JWKS"))?;
        let kid = header.kid.as_deref();
        let key = match find_key(&*self.jwks(jwks_url, false).await?, kid, header.alg) {
            Some(key) => key,
            // Keys rotate: look once more before giving up.
            None => find_key(&*self.jwks(jwks_url, true).await?, kid, header.alg)
                .ok_or_else(|| invalid("no JWKS key fits the token"))?,
        };
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&endpoints.issuers);
        validation.set_audience(&[config.client_id.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        let claims = jsonwebtoken::decode::<IdClaims>(token, &key, &validation)
            .map_err(invalid)?
            .claims;
        if claims.nonce.as_deref() != Some(nonce) {
            return Err(invalid("nonce mismatch"));
        }
        let several_audiences = claims.aud.as_array().is_some_and(|list| list.len() > 1);
        let azp_ok = match claims.azp.as_deref() {
            Some(azp) => azp == config.client_id,
            None => !several_audiences,
        };
        if !azp_ok {
            return Err(invalid("azp is not our client"));
        }
        if claims.sub.trim().is_empty() {
            return Err(invalid("empty sub"));
        }
        Ok(claims)
    }
}
