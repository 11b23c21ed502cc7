//! Adding a passkey to the signed-in caller's account.

use bedrud_ports::{CeremonyKind, Passkey, PasskeyError, PasskeyUser, User};
use serde::{Deserialize, Serialize};

use super::{
    CHALLENGE_NOT_FOUND, CredentialBody, INVALID_INPUT, PasskeyBegin, Passkeys,
    VERIFICATION_FAILED, credential_conflict, read_payload, verifier_fault,
};
use crate::error::{DomainError, DomainResult};
use crate::principal::Principal;
use crate::validation::sanitize_name;

/// Longest passkey label, in bytes.
pub const LABEL_MAX_BYTES: usize = 64;
/// Label of a passkey registered without one.
pub const DEFAULT_LABEL: &str = "Passkey";

/// What a register ceremony keeps until its finish.
#[derive(Serialize, Deserialize)]
struct RegisterPayload {
    state: String,
}

impl Passkeys {
    /// Starts registering a passkey for the caller; existing credentials go into
    /// `excludeCredentials`. Errors: 403 `Passkeys are disabled`.
    pub async fn register_begin(&self, caller: &Principal) -> DomainResult<PasskeyBegin> {
        self.enabled().await?;
        let user = &caller.user;
        let exclude: Vec<Vec<u8>> = self
            .ports
            .passkeys
            .list_for_user(&user.id)
            .await?
            .into_iter()
            .map(|p| p.credential_id)
            .collect();
        let challenge = self
            .ports
            .verifier
            .begin_registration(&passkey_user(user), &exclude)
            .map_err(verifier_fault)?;
        let payload = RegisterPayload {
            state: challenge.state.clone(),
        };
        self.open(
            CeremonyKind::PasskeyRegister,
            Some(user.id.clone()),
            &payload,
            challenge,
        )
        .await
    }

    /// Verifies the attestation and stores the passkey under the caller. The ceremony
    /// comes from the body's `ceremonyId`, else `cookie`, and must be the caller's.
    /// Errors in order: 403 `Passkeys are disabled`; 400 `Invalid input` · `Challenge not
    /// found or expired` · `Invalid clientDataJSON encoding` · `Invalid attestationObject
    /// encoding` · `Passkey verification failed` · `passkey already registered`.
    pub async fn register_finish(
        &self,
        caller: &Principal,
        body: &CredentialBody,
        cookie: Option<&str>,
    ) -> DomainResult<()> {
        self.enabled().await?;
        let encoded = body.attestation()?;
        let label = label(body.name.as_deref())?;
        let ceremony = self
            .pending(
                body,
                cookie,
                CeremonyKind::PasskeyRegister,
                CHALLENGE_NOT_FOUND,
            )
            .await?;
        if ceremony.user_id.as_deref() != Some(caller.user.id.as_str()) {
            // Somebody else's ceremony: as good as missing, and not counted against it.
            return Err(DomainError::invalid(CHALLENGE_NOT_FOUND));
        }
        let response = match encoded.decode() {
            Ok(response) => response,
            Err(e) => return Err(self.failed(&ceremony, e).await),
        };
        let payload: RegisterPayload = read_payload(&ceremony)?;
        let credential = match self
            .ports
            .verifier
            .finish_registration(&payload.state, &response)
        {
            Ok(credential) => credential,
            Err(PasskeyError::Rejected(_)) => {
                let error = DomainError::invalid(VERIFICATION_FAILED);
                return Err(self.failed(&ceremony, error).await);
            }
            Err(other) => return Err(verifier_fault(other)),
        };
        self.consume(&ceremony, CHALLENGE_NOT_FOUND).await?;
        let now = self.ports.clock.now();
        self.ports
            .passkeys
            .insert(Passkey {
                id: self.ports.ids.uuid(),
                user_id: caller.user.id.clone(),
                credential_id: credential.credential_id,
                name: label,
                credential: credential.credential,
                sign_count: credential.sign_count,
                created_at: now,
                last_used_at: None,
            })
            .await
            .map_err(credential_conflict)
    }
}

/// The WebAuthn user of an existing account: `user.name` is the email (the name for
/// accounts without one), `displayName` the name (the email for nameless ones).
fn passkey_user(user: &User) -> PasskeyUser {
    let name = if user.email.is_empty() {
        user.name.clone()
    } else {
        user.email.clone()
    };
    let display_name = if user.name.is_empty() {
        name.clone()
    } else {
        user.name.clone()
    };
    PasskeyUser {
        id: user.id.clone(),
        name,
        display_name,
    }
}

/// The sanitised label: `Passkey` when absent or blank; over 64 bytes is `Invalid input`.
fn label(raw: Option<&str>) -> DomainResult<String> {
    let label = sanitize_name(raw.unwrap_or_default());
    if label.is_empty() {
        Ok(DEFAULT_LABEL.to_owned())
    } else if label.len() > LABEL_MAX_BYTES {
        Err(DomainError::invalid(INVALID_INPUT))
    } else {
        Ok(label)
    }
}
