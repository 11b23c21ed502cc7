//! Session token pairs: claims building and the refresh-token fingerprint.

use bedrud_ports::{TokenClaims, TokenKind, User};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// An access and a refresh JWT; serialises as `{"accessToken","refreshToken"}` (API §4.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
}

/// Lowercase hex SHA-256 of a refresh token, as stored in `sessions.refresh_hash`.
pub fn refresh_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Claims of a token of `kind` for `user` in `session_id`, issued at `now`.
pub(crate) fn claims_for(
    user: &User,
    session_id: &str,
    kind: TokenKind,
    jti: Option<String>,
    now: DateTime<Utc>,
    lifetime: TimeDelta,
) -> TokenClaims {
    TokenClaims {
        user_id: user.id.clone(),
        email: user.email.clone(),
        name: user.name.clone(),
        provider: user.provider.clone(),
        accesses: user
            .accesses
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect(),
        kind,
        session_id: session_id.to_owned(),
        jti,
        issued_at: now.timestamp(),
        expires_at: (now + lifetime).timestamp(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_hash_is_lowercase_hex_sha256() {
        assert_eq!(
            refresh_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn pair_serialises_camel_case() {
        let pair = TokenPair {
            access_token: "a".into(),
            refresh_token: "r".into(),
        };
        assert_eq!(
            serde_json::to_string(&pair).expect("serialises"),
            r#"{"accessToken":"a","refreshToken":"r"}"#
        );
    }
}
