//! The `Passkeys` use case: WebAuthn registration for a signed-in user, passkey login,
//! passkey sign-up, and listing and deleting one's own passkeys (API §3.4).
//!
//! Ceremonies live in the `CeremonyStore` so any instance can finish them: five minutes,
//! single use (consumed on success), deleted after five failed finishes.

mod body;
mod login;
mod manage;
mod register;
mod signup;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use bedrud_ports::{
    Ceremony, CeremonyKind, CeremonyStore, Clock, IdSource, PasskeyChallenge, PasskeyError,
    PasskeyStore, PasskeyVerifier, SettingsStore, StoreError, UserStore,
};
use chrono::TimeDelta;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ceremonies::random_token;
use crate::error::{DomainError, DomainResult};
use crate::policy::{AuthPolicy, EffectiveSettings};
use crate::sessions::Sessions;

pub use body::{CredentialBody, CredentialResponseBody};
pub use register::{DEFAULT_LABEL, LABEL_MAX_BYTES};
pub use signup::PasskeySignup;

/// Every passkey operation while `passkeysEnabled` is off.
pub const PASSKEYS_DISABLED: &str = "Passkeys are disabled";
/// Finish without a usable register or login ceremony.
pub const CHALLENGE_NOT_FOUND: &str = "Challenge not found or expired";
/// Finish without a usable sign-up ceremony.
pub const SIGNUP_NOT_FOUND: &str = "Signup session expired or not found";
/// A required field of a body is missing or empty.
pub const INVALID_INPUT: &str = "Invalid input";
/// An attestation that failed verification.
pub const VERIFICATION_FAILED: &str = "Passkey verification failed";
/// An assertion that failed verification (signature, user handle, counter).
pub const AUTHENTICATION_FAILED: &str = "authentication verification failed";
/// The credential id is already stored.
pub const ALREADY_REGISTERED: &str = "passkey already registered";
/// Login with a credential we do not know.
pub const PASSKEY_NOT_FOUND: &str = "passkey not found";
/// Login to a deactivated account (lowercase, as the clients expect).
pub const ACCOUNT_DEACTIVATED: &str = "account is deactivated";
/// Sign-up with an email some account holds.
pub const UNABLE_TO_REGISTER: &str = "Unable to register with the provided details";
/// Sign-up while registration is off.
pub const REGISTRATION_DISABLED: &str = "Registration is currently disabled";
/// Delete of a passkey the caller does not own.
pub const OWN_PASSKEY_NOT_FOUND: &str = "Passkey not found";
/// Delete of the last way a password-less passkey account can sign in.
pub const ONLY_SIGN_IN_METHOD: &str = "Cannot delete your only sign-in method";

/// How long a passkey ceremony can be finished.
pub const CEREMONY_TTL: TimeDelta = TimeDelta::minutes(5);
/// Failed finishes after which a ceremony is deleted.
pub const MAX_FAILURES: i32 = 5;

/// The ports the passkey use case works with.
#[derive(Clone)]
pub struct PasskeyPorts {
    pub users: Arc<dyn UserStore>,
    pub passkeys: Arc<dyn PasskeyStore>,
    pub ceremonies: Arc<dyn CeremonyStore>,
    pub settings: Arc<dyn SettingsStore>,
    pub verifier: Arc<dyn PasskeyVerifier>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
}

/// A started ceremony: its id (body `ceremonyId` and the `bedrud_webauthn` cookie) and the
/// standard `publicKey` options.
#[derive(Debug, Clone, PartialEq)]
pub struct PasskeyBegin {
    pub ceremony_id: String,
    pub options: serde_json::Value,
}

impl PasskeyBegin {
    /// The begin response body: `ceremonyId`, the options flat at the top level (Bedrud's
    /// shape) and the same options under `publicKey` (standard WebAuthn JSON).
    pub fn body(&self) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        body.insert(
            "ceremonyId".to_owned(),
            serde_json::Value::String(self.ceremony_id.clone()),
        );
        if let serde_json::Value::Object(fields) = &self.options {
            for (key, value) in fields {
                body.insert(key.clone(), value.clone());
            }
        }
        body.insert("publicKey".to_owned(), self.options.clone());
        serde_json::Value::Object(body)
    }
}

/// Passkey registration, login, sign-up and management.
pub struct Passkeys {
    ports: PasskeyPorts,
    sessions: Arc<Sessions>,
    policy: AuthPolicy,
}

impl Passkeys {
    /// Wires the use case to its ports and to the `Sessions` use case.
    pub fn new(ports: PasskeyPorts, sessions: Arc<Sessions>, policy: AuthPolicy) -> Self {
        Passkeys {
            ports,
            sessions,
            policy,
        }
    }

    /// The effective settings, or 403 `Passkeys are disabled`: the first check of every
    /// passkey operation.
    async fn enabled(&self) -> DomainResult<EffectiveSettings> {
        let runtime = self.ports.settings.get().await?;
        let effective = self.policy.effective(&runtime);
        if !effective.passkeys_enabled {
            return Err(DomainError::forbidden(PASSKEYS_DISABLED));
        }
        Ok(effective)
    }

    /// Stores a new ceremony and returns the begin result.
    async fn open(
        &self,
        kind: CeremonyKind,
        user_id: Option<String>,
        payload: &impl Serialize,
        challenge: PasskeyChallenge,
    ) -> DomainResult<PasskeyBegin> {
        let now = self.ports.clock.now();
        let id = random_token(self.ports.ids.as_ref());
        let payload = serde_json::to_string(payload)
            .map_err(|e| DomainError::Internal(anyhow::Error::new(e)))?;
        self.ports
            .ceremonies
            .insert(Ceremony {
                id: id.clone(),
                kind,
                user_id,
                binding_hash: None,
                payload,
                failures: 0,
                created_at: now,
                expires_at: now + CEREMONY_TTL,
            })
            .await?;
        Ok(PasskeyBegin {
            ceremony_id: id,
            options: challenge.options,
        })
    }

    /// The unexpired ceremony of `kind` named by the body (else the cookie), or 400
    /// `missing` (the message of this flow).
    async fn pending(
        &self,
        body: &CredentialBody,
        cookie: Option<&str>,
        kind: CeremonyKind,
        missing: &str,
    ) -> DomainResult<Ceremony> {
        let id = body
            .ceremony_id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .or_else(|| cookie.map(str::trim).filter(|id| !id.is_empty()))
            .ok_or_else(|| DomainError::invalid(missing))?;
        let now = self.ports.clock.now();
        match self.ports.ceremonies.get(id, now).await? {
            Some(ceremony) if ceremony.kind == kind => Ok(ceremony),
            _ => Err(DomainError::invalid(missing)),
        }
    }

    /// Counts a failed finish (the store deletes the ceremony at [`MAX_FAILURES`]) and
    /// passes `error` on. Best effort: the client gets the finish's own error.
    async fn failed(&self, ceremony: &Ceremony, error: DomainError) -> DomainError {
        let _ = self
            .ports
            .ceremonies
            .record_failure(&ceremony.id, MAX_FAILURES)
            .await;
        error
    }

    /// Takes the ceremony for this finish; 400 `missing` when a concurrent finish won.
    async fn consume(&self, ceremony: &Ceremony, missing: &str) -> DomainResult<()> {
        if self.ports.ceremonies.consume(&ceremony.id).await? {
            Ok(())
        } else {
            Err(DomainError::invalid(missing))
        }
    }
}

/// Reads the JSON payload a begin step stored.
fn read_payload<T: DeserializeOwned>(ceremony: &Ceremony) -> DomainResult<T> {
    serde_json::from_str(&ceremony.payload).map_err(|e| {
        DomainError::Internal(anyhow::Error::new(e).context("unreadable ceremony payload"))
    })
}

/// Verifier failures that are not the client's fault.
fn verifier_fault(error: PasskeyError) -> DomainError {
    DomainError::Internal(error.into())
}

/// Maps the store's duplicate-credential conflict to 400 `passkey already registered`.
fn credential_conflict(error: StoreError) -> DomainError {
    match error {
        StoreError::Conflict("credential_id") => DomainError::invalid(ALREADY_REGISTERED),
        other => other.into(),
    }
}
