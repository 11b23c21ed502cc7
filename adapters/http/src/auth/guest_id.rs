//! The `bedrud_guest_id` cookie of guest-join (API §2.5): `guest-<8 a-z0-9>.<hex
//! HMAC-SHA256(auth.session_secret, id)>`, so a guest keeps their identity across joins
//! and nobody can claim someone else's.

use std::fmt;
use std::time::Duration;

use bedrud_domain::rooms::is_guest_identity;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Name of the guest identity cookie.
pub const GUEST_COOKIE: &str = "bedrud_guest_id";
/// Lifetime of the guest identity cookie.
pub const GUEST_COOKIE_MAX_AGE: Duration = Duration::from_secs(30 * 24 * 60 * 60);

type HmacSha256 = Hmac<Sha256>;

/// Signs and checks guest identities with the session secret.
#[derive(Clone)]
pub struct GuestIds {
    keyed: HmacSha256,
}

impl fmt::Debug for GuestIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuestIds").finish_non_exhaustive()
    }
}

impl GuestIds {
    /// A signer keyed with `auth.session_secret`.
    pub fn new(key: &[u8]) -> Self {
        // HMAC takes keys of any length, so the fallback is never used.
        let keyed = <HmacSha256 as KeyInit>::new_from_slice(key)
            .unwrap_or_else(|_| <HmacSha256 as KeyInit>::new(&Default::default()));
        GuestIds { keyed }
    }

    fn mac(&self, identity: &str) -> HmacSha256 {
        let mut mac = self.keyed.clone();
        mac.update(identity.as_bytes());
        mac
    }

    /// The cookie value for `identity`.
    pub fn sign(&self, identity: &str) -> String {
        let tag = self.mac(identity).finalize().into_bytes();
        format!("{identity}.{}", hex::encode(tag))
    }

    /// The identity of a cookie value when it has the guest form and a valid tag
    /// (constant-time comparison); `None` for anything forged or malformed.
    pub fn verify(&self, value: &str) -> Option<String> {
        let (identity, tag) = value.trim().split_once('.')?;
        if !is_guest_identity(identity) {
            return None;
        }
        let tag = hex::decode(tag).ok()?;
        self.mac(identity)
            .verify_slice(&tag)
            .ok()
            .map(|()| identity.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_values_verify_and_forgeries_do_not() {
        let ids = GuestIds::new(b"0123456789abcdef0123456789abcdef");
        let value = ids.sign("guest-ab12cd34");
        let (id, tag) = value.split_once('.').expect("two parts");
        assert_eq!(id, "guest-ab12cd34");
        assert_eq!(tag.len(), 64, "hex of 32 bytes");
        assert!(tag.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(ids.verify(&value).as_deref(), Some("guest-ab12cd34"));

        let other_key = GuestIds::new(b"another key of sufficient length!");
        assert_eq!(other_key.verify(&value), None, "signed with another secret");
        assert_eq!(
            ids.verify(&format!("guest-zzzzzzzz.{tag}")),
            None,
            "id swapped"
        );
        assert_eq!(ids.verify("guest-ab12cd34"), None, "no tag");
        assert_eq!(ids.verify("guest-ab12cd34.zz"), None, "not hex");
        assert_eq!(ids.verify(&format!("guest-ab12cd34.{}", &tag[..62])), None);
        let user = ids.sign("9b2e3c4d-0000-4000-8000-000000000001");
        assert_eq!(ids.verify(&user), None, "only guest identities");
    }
}
