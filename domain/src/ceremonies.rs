//! Pieces shared by the passkey and OAuth flows: random tokens, their fingerprints,
//! base64url, and the lookup of every account that holds an email.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bedrud_ports::{IdSource, User, UserStore};
use sha2::{Digest, Sha256};

use crate::error::DomainResult;
use crate::validation::email_lookup_forms;

/// Random bytes in every ceremony id, OAuth `state`, binding cookie, verifier and nonce.
pub(crate) const TOKEN_BYTES: usize = 32;

/// A new random token: [`TOKEN_BYTES`] bytes from the CSPRNG, base64url without padding.
pub(crate) fn random_token(ids: &dyn IdSource) -> String {
    b64url(&ids.random_bytes(TOKEN_BYTES))
}

/// base64url without padding.
pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url with or without padding (clients differ); the standard alphabet's
/// `+` and `/` are tolerated too. `None` when the text is not base64.
pub(crate) fn decode_b64url(text: &str) -> Option<Vec<u8>> {
    let trimmed = text.trim().trim_end_matches('=');
    let normalised: String = trimmed
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            other => other,
        })
        .collect();
    URL_SAFE_NO_PAD.decode(normalised).ok()
}

/// Lowercase hex SHA-256: how ceremony ids and cookie bindings of OAuth flows are stored.
pub(crate) fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// base64url SHA-256: the PKCE S256 challenge of a verifier.
pub(crate) fn pkce_challenge(verifier: &str) -> String {
    b64url(&Sha256::digest(verifier.as_bytes()))
}

/// Every account whose email is `canonical` (or its Unicode-domain form), any provider.
pub(crate) async fn accounts_with_email(
    users: &dyn UserStore,
    canonical: &str,
) -> DomainResult<Vec<User>> {
    let mut found: Vec<User> = Vec::new();
    for form in email_lookup_forms(canonical) {
        for user in users.find_by_email(&form).await? {
            if !found.iter().any(|u| u.id == user.id) {
                found.push(user);
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_decodes_with_and_without_padding() {
        assert_eq!(decode_b64url("AQID"), Some(vec![1, 2, 3]));
        assert_eq!(decode_b64url("AQ"), Some(vec![1]));
        assert_eq!(decode_b64url("AQ=="), Some(vec![1]));
        assert_eq!(decode_b64url("-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(decode_b64url("+/8="), Some(vec![0xfb, 0xff]));
        assert_eq!(decode_b64url("not base64!"), None);
        assert_eq!(decode_b64url("A"), None);
    }

    #[test]
    fn tokens_are_32_bytes_base64url() {
        struct Fixed;
        impl IdSource for Fixed {
            fn uuid(&self) -> String {
                String::new()
            }
            fn random_string(&self, _: &'static str, _: usize) -> String {
                String::new()
            }
            fn random_bytes(&self, len: usize) -> Vec<u8> {
                vec![0xff; len]
            }
        }
        let token = random_token(&Fixed);
        assert_eq!(token.len(), 43);
        assert!(!token.contains('=') && !token.contains('+') && !token.contains('/'));
        assert_eq!(decode_b64url(&token), Some(vec![0xff; 32]));
    }

    #[test]
    fn pkce_challenge_matches_rfc7636_example() {
        // RFC 7636 appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn sha256_hex_is_lowercase() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
