//! Creating an account whose first sign-in method is a passkey.

use bedrud_ports::{Access, CeremonyKind, Passkey, PasskeyError, PasskeyUser, StoreError, User};
use serde::{Deserialize, Serialize};

use super::{
    ALREADY_REGISTERED, CredentialBody, DEFAULT_LABEL, PasskeyBegin, Passkeys,
    REGISTRATION_DISABLED, SIGNUP_NOT_FOUND, UNABLE_TO_REGISTER, VERIFICATION_FAILED, read_payload,
    verifier_fault,
};
use crate::accounts::SignedIn;
use crate::ceremonies::accounts_with_email;
use crate::error::{DomainError, DomainResult};
use crate::principal::ClientInfo;
use crate::validation::{canonical_email, prepare_email, sanitize_name};

/// `POST /api/auth/passkey/signup/begin` input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PasskeySignup {
    pub email: String,
    pub name: String,
}

/// What a sign-up ceremony keeps until its finish: the future account.
#[derive(Serialize, Deserialize)]
struct SignupPayload {
    state: String,
    user_id: String,
    email: String,
    name: String,
}

impl Passkeys {
    /// Starts a sign-up: validates the future account and makes creation options for a
    /// new user id. Errors in order: 403 `Passkeys are disabled`; 400 `Email and Name are
    /// required` · `Invalid email format` · `Name must be between 2 and 100 characters`;
    /// 403 `Registration is currently disabled`; 400 `Unable to register with the
    /// provided details` (email held by any account).
    pub async fn signup_begin(&self, input: PasskeySignup) -> DomainResult<PasskeyBegin> {
        let settings = self.enabled().await?;
        if prepare_email(&input.email).is_empty() || input.name.trim().is_empty() {
            return Err(DomainError::invalid("Email and Name are required"));
        }
        let email =
            canonical_email(&input.email).map_err(|e| DomainError::invalid(e.to_string()))?;
        let name = sanitize_name(&input.name);
        if !(2..=100).contains(&name.len()) {
            return Err(DomainError::invalid(
                "Name must be between 2 and 100 characters",
            ));
        }
        if !settings.registration_enabled {
            return Err(DomainError::forbidden(REGISTRATION_DISABLED));
        }
        if !accounts_with_email(self.ports.users.as_ref(), &email)
            .await?
            .is_empty()
        {
            return Err(DomainError::invalid(UNABLE_TO_REGISTER));
        }
        let user_id = self.ports.ids.uuid();
        let challenge = self
            .ports
            .verifier
            .begin_registration(
                &PasskeyUser {
                    id: user_id.clone(),
                    name: email.clone(),
                    display_name: name.clone(),
                },
                &[],
            )
            .map_err(verifier_fault)?;
        let payload = SignupPayload {
            state: challenge.state.clone(),
            user_id,
            email,
            name,
        };
        self.open(CeremonyKind::PasskeySignup, None, &payload, challenge)
            .await
    }

    /// Verifies the attestation and, in one transaction, creates the account (provider
    /// `passkey`, `["user"]`, no password) with this passkey; then signs it in. Errors in
    /// order: 403 `Passkeys are disabled`; 400 `Invalid input` · `Signup session expired
    /// or not found` · `Invalid clientDataJSON encoding` · `Invalid attestationObject
    /// encoding` · `Passkey verification failed` · `Unable to register with the provided
    /// details` (email taken meanwhile) · `passkey already registered`.
    pub async fn signup_finish(
        &self,
        body: &CredentialBody,
        cookie: Option<&str>,
        client: &ClientInfo,
    ) -> DomainResult<SignedIn> {
        self.enabled().await?;
        let encoded = body.attestation()?;
        let ceremony = self
            .pending(body, cookie, CeremonyKind::PasskeySignup, SIGNUP_NOT_FOUND)
            .await?;
        let response = match encoded.decode() {
            Ok(response) => response,
            Err(e) => return Err(self.failed(&ceremony, e).await),
        };
        let payload: SignupPayload = read_payload(&ceremony)?;
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
        if !accounts_with_email(self.ports.users.as_ref(), &payload.email)
            .await?
            .is_empty()
        {
            // Somebody registered the email since the begin step; the ceremony is spent.
            let _ = self.ports.ceremonies.consume(&ceremony.id).await;
            return Err(DomainError::invalid(UNABLE_TO_REGISTER));
        }
        self.consume(&ceremony, SIGNUP_NOT_FOUND).await?;
        let now = self.ports.clock.now();
        let user = User {
            id: payload.user_id.clone(),
            email: payload.email,
            name: payload.name,
            avatar_url: String::new(),
            provider: bedrud_ports::provider::PASSKEY.to_owned(),
            accesses: vec![Access::User],
            is_active: true,
            password_hash: None,
            email_verified_at: None,
            password_changed_at: None,
            created_at: now,
            updated_at: now,
        };
        let passkey = Passkey {
            id: self.ports.ids.uuid(),
            user_id: payload.user_id,
            credential_id: credential.credential_id,
            name: DEFAULT_LABEL.to_owned(),
            credential: credential.credential,
            sign_count: credential.sign_count,
            created_at: now,
            last_used_at: None,
        };
        let user = self
            .ports
            .passkeys
            .insert_with_user(user, passkey)
            .await
            .map_err(|e| match e {
                StoreError::Conflict("user_email") | StoreError::Conflict("user_id") => {
                    DomainError::invalid(UNABLE_TO_REGISTER)
                }
                StoreError::Conflict("credential_id") => DomainError::invalid(ALREADY_REGISTERED),
                other => other.into(),
            })?;
        let tokens = self.sessions.issue(&user, client).await?;
        Ok(SignedIn { user, tokens })
    }
}
