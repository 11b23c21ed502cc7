//! The caller's own passkeys: listing and deleting.

use bedrud_ports::{Passkey, provider};

use super::{ONLY_SIGN_IN_METHOD, OWN_PASSKEY_NOT_FOUND, Passkeys};
use crate::error::{DomainError, DomainResult};
use crate::principal::Principal;

impl Passkeys {
    /// The caller's passkeys, newest first. Errors: 403 `Passkeys are disabled`.
    pub async fn list(&self, caller: &Principal) -> DomainResult<Vec<Passkey>> {
        self.enabled().await?;
        Ok(self.ports.passkeys.list_for_user(&caller.user.id).await?)
    }

    /// Deletes one of the caller's passkeys. Errors in order: 403 `Passkeys are
    /// disabled`; 404 `Passkey not found` (also someone else's, or a malformed id); 409
    /// `Cannot delete your only sign-in method` (a `passkey` account without a password
    /// deleting its last passkey).
    pub async fn delete(&self, caller: &Principal, id: &str) -> DomainResult<()> {
        self.enabled().await?;
        let user = &caller.user;
        let own = self.ports.passkeys.list_for_user(&user.id).await?;
        if !own.iter().any(|p| p.id == id) {
            return Err(DomainError::not_found(OWN_PASSKEY_NOT_FOUND));
        }
        let password_less = user.provider == provider::PASSKEY && user.password_hash.is_none();
        if password_less && own.len() == 1 {
            return Err(DomainError::conflict(ONLY_SIGN_IN_METHOD));
        }
        if self.ports.passkeys.delete(id, &user.id).await? {
            Ok(())
        } else {
            Err(DomainError::not_found(OWN_PASSKEY_NOT_FOUND))
        }
    }
}
