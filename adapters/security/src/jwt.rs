//! Session JWTs (API §2.2): HS256, fixed issuer and audience, typed access/refresh tokens.

use bedrud_ports::{TokenClaims, TokenCodec, TokenError, TokenKind};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The `iss` of every session token, and the one accepted.
pub const ISSUER: &str = "bedrud";
/// The `aud` of every session token, and the one required.
pub const AUDIENCE: &str = "bedrud";
/// Clock skew tolerated on `exp`, in seconds.
pub const EXPIRY_LEEWAY_SECS: u64 = 30;

/// Installs jsonwebtoken's RustCrypto provider as the process default; later calls do nothing.
///
/// Call it at start-up before any token work: livekit-token otherwise installs an HMAC-only
/// provider on first use. When a provider is already installed, that one stays.
pub fn install_crypto_provider() {
    // Err only means some provider is already installed, which is what we want.
    let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
}

/// The claims as they travel, for signing (borrows from [`TokenClaims`]).
#[derive(Serialize)]
struct OutgoingClaims<'a> {
    iss: &'a str,
    aud: [&'a str; 1],
    sub: &'a str,
    #[serde(rename = "userId")]
    user_id: &'a str,
    email: &'a str,
    name: &'a str,
    provider: &'a str,
    accesses: &'a [String],
    typ: TokenKind,
    sid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    jti: Option<&'a str>,
    iat: i64,
    exp: i64,
}

/// The claims as they arrive; `iss`, `aud` and `exp` are checked by [`Validation`].
#[derive(Deserialize)]
struct IncomingClaims {
    sub: String,
    #[serde(rename = "userId")]
    user_id: String,
    email: String,
    name: String,
    provider: String,
    accesses: Vec<String>,
    typ: TokenKind,
    sid: String,
    #[serde(default)]
    jti: Option<String>,
    iat: i64,
    exp: i64,
}

/// Signs and verifies Bedrud's session JWTs with an HS256 secret.
#[derive(Clone)]
pub struct JwtCodec {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for JwtCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("JwtCodec").finish_non_exhaustive()
    }
}

impl JwtCodec {
    /// A codec for the HS256 `secret` (its length is checked by configuration).
    pub fn new(secret: &[u8]) -> Self {
        install_crypto_provider();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.leeway = EXPIRY_LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = false;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }
}

impl TokenCodec for JwtCodec {
    fn sign(&self, claims: &TokenClaims) -> Result<String, TokenError> {
        let jti = match claims.kind {
            TokenKind::Access => None,
            TokenKind::Refresh => match claims.jti.as_deref() {
                Some(jti) => Some(jti),
                None => {
                    return Err(TokenError::Signing(anyhow::anyhow!(
                        "a refresh token needs a jti"
                    )));
                }
            },
        };
        let outgoing = OutgoingClaims {
            iss: ISSUER,
            aud: [AUDIENCE],
            sub: &claims.user_id,
            user_id: &claims.user_id,
            email: &claims.email,
            name: &claims.name,
            provider: &claims.provider,
            accesses: &claims.accesses,
            typ: claims.kind,
            sid: &claims.session_id,
            jti,
            iat: claims.issued_at,
            exp: claims.expires_at,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &outgoing, &self.encoding)
            .map_err(|e| TokenError::Signing(e.into()))
    }

    fn verify(&self, token: &str, kind: TokenKind) -> Result<TokenClaims, TokenError> {
        let data = jsonwebtoken::decode::<IncomingClaims>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenError::Invalid)?;
        if data.header.alg != Algorithm::HS256 {
            return Err(TokenError::Invalid);
        }
        let c = data.claims;
        if c.typ != kind || c.sub != c.user_id {
            return Err(TokenError::Invalid);
        }
        let jti = match kind {
            TokenKind::Access => None,
            TokenKind::Refresh => Some(c.jti.ok_or(TokenError::Invalid)?),
        };
        Ok(TokenClaims {
            user_id: c.user_id,
            email: c.email,
            name: c.name,
            provider: c.provider,
            accesses: c.accesses,
            kind: c.typ,
            session_id: c.sid,
            jti,
            issued_at: c.iat,
            expires_at: c.exp,
        })
    }
}

#[cfg(test)]
#[path = "jwt_tests.rs"]
mod tests;
