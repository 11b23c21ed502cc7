//! Session JWTs (API §2.2): HS256, fixed issuer and audience, typed access/refresh tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bedrud_ports::{TokenClaims, TokenCodec, TokenError, TokenKind};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::{Deserialize, Serialize};

/// The `iss` of every session token, and the one accepted.
pub const ISSUER: &str = "bedrud";
/// The `aud` of every session token, and the one required.
pub const AUDIENCE: &str = "bedrud";
/// Clock skew tolerated on `exp`, in seconds.
pub const EXPIRY_LEEWAY_SECS: i64 = 30;

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

/// The claims as they arrive. Every field is required except `jti`; `iss`, `aud` and
/// `exp` are checked by [`JwtCodec::verify`].
#[derive(Deserialize)]
struct IncomingClaims {
    iss: String,
    aud: Audience,
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

/// `aud`: one string or a list of them (RFC 7519 §4.1.3).
#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Several(Vec<String>),
}

impl Audience {
    fn contains(&self, wanted: &str) -> bool {
        match self {
            Audience::One(aud) => aud == wanted,
            Audience::Several(auds) => auds.iter().any(|a| a == wanted),
        }
    }
}

/// Signs and verifies Bedrud's session JWTs with an HS256 secret.
#[derive(Clone)]
pub struct JwtCodec {
    encoding: EncodingKey,
    decoding: DecodingKey,
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
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
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

    /// Checks in one pass what `jsonwebtoken::decode` checks in two (it parses the header
    /// and the claims twice each, ~5 % of the server's CPU in a room join): three parts,
    /// an HS256 header, the signature over the first two, then the claims, parsed once.
    fn verify(&self, token: &str, kind: TokenKind) -> Result<TokenClaims, TokenError> {
        let (message, signature) = token.rsplit_once('.').ok_or(TokenError::Invalid)?;
        let (_, payload) = message.split_once('.').ok_or(TokenError::Invalid)?;
        if payload.contains('.') {
            return Err(TokenError::Invalid);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        if header.alg != Algorithm::HS256 {
            return Err(TokenError::Invalid);
        }
        let signed = jsonwebtoken::crypto::verify(
            signature,
            message.as_bytes(),
            &self.decoding,
            Algorithm::HS256,
        );
        if !matches!(signed, Ok(true)) {
            return Err(TokenError::Invalid);
        }
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Invalid)?;
        let c: IncomingClaims =
            serde_json::from_slice(&payload).map_err(|_| TokenError::Invalid)?;
        let now = i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap_or(i64::MAX);
        if c.iss != ISSUER
            || !c.aud.contains(AUDIENCE)
            || c.exp.saturating_add(EXPIRY_LEEWAY_SECS) < now
        {
            return Err(TokenError::Invalid);
        }
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
