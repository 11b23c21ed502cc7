//! Signing in with a passkey: with an email (its accounts' credentials are allowed) or
//! discoverable (the authenticator picks the account).

use bedrud_ports::{CeremonyKind, PasskeyError};
use serde::{Deserialize, Serialize};

use super::{
    ACCOUNT_DEACTIVATED, AUTHENTICATION_FAILED, CHALLENGE_NOT_FOUND, CredentialBody,
    PASSKEY_NOT_FOUND, PasskeyBegin, Passkeys, read_payload, verifier_fault,
};
use crate::accounts::SignedIn;
use crate::ceremonies::accounts_with_email;
use crate::error::{DomainError, DomainResult};
use crate::principal::ClientInfo;
use crate::validation::{canonical_email, prepare_email};

/// What a login ceremony keeps until its finish.
#[derive(Serialize, Deserialize)]
struct LoginPayload {
    state: String,
    /// With an email: the only accounts the login may end in (empty for an unknown one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    users: Option<Vec<String>>,
}

impl Passkeys {
    /// Starts a passkey login. With an email, `allowCredentials` lists the passkeys of its
    /// active accounts — `[]` for an unknown or inactive one, so nothing is revealed;
    /// without one the login is discoverable and the field is left out. Errors: 403
    /// `Passkeys are disabled`.
    pub async fn login_begin(&self, email: Option<&str>) -> DomainResult<PasskeyBegin> {
        self.enabled().await?;
        let email = email.map(prepare_email).filter(|e| !e.is_empty());
        let (credentials, users) = match email {
            None => (Vec::new(), None),
            Some(email) => {
                let mut credentials = Vec::new();
                let mut users = Vec::new();
                if let Ok(canonical) = canonical_email(&email) {
                    let accounts = accounts_with_email(self.ports.users.as_ref(), &canonical);
                    for user in accounts.await?.into_iter().filter(|u| u.is_active) {
                        let passkeys = self.ports.passkeys.list_for_user(&user.id).await?;
                        credentials.extend(passkeys.into_iter().map(|p| p.credential));
                        users.push(user.id);
                    }
                }
                (credentials, Some(users))
            }
        };
        let mut challenge = self
            .ports
            .verifier
            .begin_authentication(&credentials)
            .map_err(verifier_fault)?;
        let allow = serde_json::Value::Array(Vec::new());
        if let serde_json::Value::Object(options) = &mut challenge.options {
            if users.is_some() {
                options.entry("allowCredentials").or_insert(allow);
            } else {
                options.remove("allowCredentials");
            }
        }
        let payload = LoginPayload {
            state: challenge.state.clone(),
            users,
        };
        self.open(CeremonyKind::PasskeyLogin, None, &payload, challenge)
            .await
    }

    /// Verifies the assertion and signs the credential's owner in with a new session.
    /// Errors in order: 403 `Passkeys are disabled`; 400 `Invalid input` · `Challenge not
    /// found or expired` · `Invalid credentialId encoding` · `Invalid clientDataJSON
    /// encoding` · `Invalid authenticatorData encoding` · `Invalid signature encoding`;
    /// 401 `passkey not found` · `account is deactivated` · `authentication verification
    /// failed` (signature, user handle, counter).
    pub async fn login_finish(
        &self,
        body: &CredentialBody,
        cookie: Option<&str>,
        client: &ClientInfo,
    ) -> DomainResult<SignedIn> {
        self.enabled().await?;
        let encoded = body.assertion()?;
        let ceremony = self
            .pending(
                body,
                cookie,
                CeremonyKind::PasskeyLogin,
                CHALLENGE_NOT_FOUND,
            )
            .await?;
        let response = match encoded.decode() {
            Ok(response) => response,
            Err(e) => return Err(self.failed(&ceremony, e).await),
        };
        let payload: LoginPayload = read_payload(&ceremony)?;
        let not_found = || DomainError::unauthorized(PASSKEY_NOT_FOUND);
        let passkey = match self
            .ports
            .passkeys
            .find_by_credential_id(&response.credential_id)
            .await?
        {
            Some(passkey)
                if payload
                    .users
                    .as_ref()
                    .is_none_or(|allowed| allowed.contains(&passkey.user_id)) =>
            {
                passkey
            }
            _ => return Err(self.failed(&ceremony, not_found()).await),
        };
        let Some(user) = self.ports.users.get(&passkey.user_id).await? else {
            return Err(self.failed(&ceremony, not_found()).await);
        };
        if !user.is_active {
            let error = DomainError::unauthorized(ACCOUNT_DEACTIVATED);
            return Err(self.failed(&ceremony, error).await);
        }
        let rejected = || DomainError::unauthorized(AUTHENTICATION_FAILED);
        if response
            .user_handle
            .as_ref()
            .is_some_and(|handle| handle.as_slice() != user.id.as_bytes())
        {
            return Err(self.failed(&ceremony, rejected()).await);
        }
        let verified = match self.ports.verifier.finish_authentication(
            &payload.state,
            &passkey.credential,
            passkey.sign_count,
            &response,
        ) {
            Ok(verified) => verified,
            Err(PasskeyError::Rejected(_)) => return Err(self.failed(&ceremony, rejected()).await),
            Err(other) => return Err(verifier_fault(other)),
        };
        // Checked here too, whatever the verifier does: a counter that does not increase
        // means a cloned authenticator, unless the authenticator keeps no counter at all.
        let counter_ok = verified.sign_count > passkey.sign_count
            || (verified.sign_count == 0 && passkey.sign_count == 0);
        if !counter_ok || verified.credential_id != passkey.credential_id {
            return Err(self.failed(&ceremony, rejected()).await);
        }
        self.consume(&ceremony, CHALLENGE_NOT_FOUND).await?;
        let now = self.ports.clock.now();
        self.ports
            .passkeys
            .record_use(&passkey.id, verified.sign_count, verified.credential, now)
            .await?;
        let tokens = self.sessions.issue(&user, client).await?;
        Ok(SignedIn { user, tokens })
    }
}
