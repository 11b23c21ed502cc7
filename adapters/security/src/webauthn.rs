//! Passkeys (API §3.4) with webauthn-rs's core: ES256, EdDSA and RS256, discoverable
//! credentials, user verification preferred, no attestation. The user handle is the UTF-8
//! user id, as Bedrud stored it, so migrated credentials keep working.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bedrud_ports::{
    AssertionResponse, AttestationResponse, PasskeyChallenge, PasskeyError, PasskeyUser,
    PasskeyVerifier, RegisteredCredential, VerifiedAssertion,
};
use serde_json::{Map, Value};
use url::Url;
use webauthn_rs_core::WebauthnCore;
use webauthn_rs_core::proto::{
    AttestationConveyancePreference, AuthenticationState, AuthenticatorAssertionResponseRaw,
    AuthenticatorAttestationResponseRaw, COSEAlgorithm, Credential, CredentialID,
    PublicKeyCredential, RegisterPublicKeyCredential, RegistrationState, UserVerificationPolicy,
};

/// How long the client may take: the ceremony lifetime (five minutes).
pub const CEREMONY_TIMEOUT: Duration = Duration::from_secs(300);

/// The algorithms offered, in preference order: ES256 (−7), EdDSA (−8), RS256 (−257).
const ALGORITHMS: [COSEAlgorithm; 3] = [
    COSEAlgorithm::ES256,
    COSEAlgorithm::EDDSA,
    COSEAlgorithm::RS256,
];

/// The option fields of a creation request the clients get (API §3.4), in this order.
const CREATION_FIELDS: [&str; 8] = [
    "challenge",
    "rp",
    "user",
    "pubKeyCredParams",
    "authenticatorSelection",
    "timeout",
    "attestation",
    "excludeCredentials",
];
/// The option fields of a request for an assertion.
const REQUEST_FIELDS: [&str; 5] = [
    "challenge",
    "rpId",
    "userVerification",
    "timeout",
    "allowCredentials",
];

/// `[auth.webauthn]`: who we are to authenticators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebauthnConfig {
    /// The RP id (`auth.webauthn.rp_id`): a host name, no scheme or port.
    pub rp_id: String,
    /// `rp.name`; empty means the RP id.
    pub rp_name: String,
    /// Accepted origins, e.g. `https://meet.example.com`, `http://localhost:5173` or an
    /// app origin such as `android:apk-key-hash:…`.
    pub rp_origins: Vec<String>,
}

/// Why a [`WebauthnConfig`] is unusable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebauthnConfigError {
    #[error("auth.webauthn.rp_id is empty")]
    MissingRpId,
    #[error("auth.webauthn.rp_origins is empty")]
    MissingOrigins,
    #[error("auth.webauthn.rp_origins: {0:?} is not a URL")]
    BadOrigin(String),
    #[error("auth.webauthn.rp_origins: {origin:?} is not on rp_id {rp_id:?} or a subdomain of it")]
    ForeignOrigin { origin: String, rp_id: String },
}

/// The `PasskeyVerifier` port over webauthn-rs.
#[derive(Debug, Clone)]
pub struct WebauthnVerifier {
    core: WebauthnCore,
}

impl WebauthnVerifier {
    /// A verifier for this relying party. Web origins must be the RP id or a subdomain of
    /// it (any scheme and explicit port); opaque origins (apps) are accepted as given and
    /// matched exactly.
    pub fn new(config: &WebauthnConfig) -> Result<Self, WebauthnConfigError> {
        let rp_id = config.rp_id.trim().to_ascii_lowercase();
        if rp_id.is_empty() {
            return Err(WebauthnConfigError::MissingRpId);
        }
        let mut origins = Vec::new();
        for raw in config
            .rp_origins
            .iter()
            .map(|o| o.trim())
            .filter(|o| !o.is_empty())
        {
            let url = Url::parse(raw.trim_end_matches('/'))
                .map_err(|_| WebauthnConfigError::BadOrigin(raw.to_owned()))?;
            if let Some(host) = url.host_str() {
                let host = host.to_ascii_lowercase();
                if host != rp_id && !host.ends_with(&format!(".{rp_id}")) {
                    return Err(WebauthnConfigError::ForeignOrigin {
                        origin: raw.to_owned(),
                        rp_id,
                    });
                }
            } else if !url.cannot_be_a_base() {
                return Err(WebauthnConfigError::BadOrigin(raw.to_owned()));
            }
            origins.push(url);
        }
        if origins.is_empty() {
            return Err(WebauthnConfigError::MissingOrigins);
        }
        let rp_name = match config.rp_name.trim() {
            "" => rp_id.clone(),
            name => name.to_owned(),
        };
        let core = WebauthnCore::new_unsafe_experts_only(
            &rp_name,
            &rp_id,
            origins,
            CEREMONY_TIMEOUT,
            Some(false),
            Some(false),
        );
        Ok(WebauthnVerifier { core })
    }
}

impl PasskeyVerifier for WebauthnVerifier {
    fn begin_registration(
        &self,
        user: &PasskeyUser,
        exclude: &[Vec<u8>],
    ) -> Result<PasskeyChallenge, PasskeyError> {
        let exclude: Vec<CredentialID> = exclude.iter().map(|id| id.clone().into()).collect();
        let builder = self
            .core
            .new_challenge_register_builder(user.id.as_bytes(), &user.name, &user.display_name)
            .map_err(|e| PasskeyError::Failed(anyhow::Error::new(e)))?
            .attestation(AttestationConveyancePreference::None)
            .credential_algorithms(ALGORITHMS.to_vec())
            .require_resident_key(true)
            .authenticator_attachment(None)
            .user_verification_policy(UserVerificationPolicy::Preferred)
            .reject_synchronised_authenticators(false)
            .exclude_credentials(Some(exclude))
            .extensions(None)
            .hints(None);
        let (options, state) = self
            .core
            .generate_challenge_register(builder)
            .map_err(|e| PasskeyError::Failed(anyhow::Error::new(e)))?;
        let mut options = pick(to_json(&options.public_key)?, &CREATION_FIELDS);
        // The contract's exact selection: a discoverable credential, verification preferred.
        options.insert(
            "authenticatorSelection".to_owned(),
            serde_json::json!({
                "residentKey": "required",
                "requireResidentKey": true,
                "userVerification": "preferred",
            }),
        );
        options
            .entry("excludeCredentials")
            .or_insert_with(|| Value::Array(Vec::new()));
        Ok(PasskeyChallenge {
            options: Value::Object(options),
            state: to_string(&state)?,
        })
    }

    fn finish_registration(
        &self,
        state: &str,
        response: &AttestationResponse,
    ) -> Result<RegisteredCredential, PasskeyError> {
        let state: RegistrationState = from_str(state)?;
        let raw_id = response.credential_id.clone().unwrap_or_default();
        let credential = RegisterPublicKeyCredential {
            id: URL_SAFE_NO_PAD.encode(&raw_id),
            raw_id: raw_id.into(),
            response: AuthenticatorAttestationResponseRaw {
                attestation_object: response.attestation_object.clone().into(),
                client_data_json: response.client_data_json.clone().into(),
                transports: None,
            },
            type_: "public-key".to_owned(),
            extensions: Default::default(),
        };
        let credential = self
            .core
            .register_credential(&credential, &state, None)
            .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
        Ok(RegisteredCredential {
            credential_id: credential.cred_id.to_vec(),
            sign_count: i64::from(credential.counter),
            credential: to_string(&credential)?,
        })
    }

    fn begin_authentication(
        &self,
        credentials: &[String],
    ) -> Result<PasskeyChallenge, PasskeyError> {
        let credentials = credentials
            .iter()
            .map(|c| from_str::<Credential>(c))
            .collect::<Result<Vec<_>, _>>()?;
        let builder = self
            .core
            .new_challenge_authenticate_builder(
                credentials,
                Some(UserVerificationPolicy::Preferred),
            )
            .map_err(|e| PasskeyError::Failed(anyhow::Error::new(e)))?
            // Passkeys may become synchronised after registration; that is not a failure.
            .allow_backup_eligible_upgrade(true)
            .extensions(None)
            .hints(None);
        let (options, state) = self
            .core
            .generate_challenge_authenticate(builder)
            .map_err(|e| PasskeyError::Failed(anyhow::Error::new(e)))?;
        let mut options = pick(to_json(&options.public_key)?, &REQUEST_FIELDS);
        options
            .entry("allowCredentials")
            .or_insert_with(|| Value::Array(Vec::new()));
        Ok(PasskeyChallenge {
            options: Value::Object(options),
            state: to_string(&state)?,
        })
    }

    fn finish_authentication(
        &self,
        state: &str,
        credential: &str,
        sign_count: i64,
        response: &AssertionResponse,
    ) -> Result<VerifiedAssertion, PasskeyError> {
        let mut state: AuthenticationState = from_str(state)?;
        let mut credential: Credential = from_str(credential)?;
        if credential.cred_id.as_slice() != response.credential_id.as_slice() {
            return Err(PasskeyError::Rejected("credential id mismatch".to_owned()));
        }
        // The stored counter is the authority; the serialised copy may lag behind it.
        credential.counter = u32::try_from(sign_count.max(0)).unwrap_or(u32::MAX);
        // A discoverable login names no credential up front: allow exactly the one found.
        state.set_allowed_credentials(vec![credential.clone()]);
        let assertion = PublicKeyCredential {
            id: URL_SAFE_NO_PAD.encode(&response.credential_id),
            raw_id: response.credential_id.clone().into(),
            response: AuthenticatorAssertionResponseRaw {
                authenticator_data: response.authenticator_data.clone().into(),
                client_data_json: response.client_data_json.clone().into(),
                signature: response.signature.clone().into(),
                user_handle: response.user_handle.clone().map(Into::into),
            },
            extensions: Default::default(),
            type_: "public-key".to_owned(),
        };
        let result = self
            .core
            .authenticate_credential(&assertion, &state)
            .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
        credential.counter = result.counter();
        credential.backup_state = result.backup_state();
        credential.backup_eligible = result.backup_eligible();
        Ok(VerifiedAssertion {
            credential_id: result.cred_id().to_vec(),
            sign_count: i64::from(result.counter()),
            credential: to_string(&credential)?,
        })
    }
}

/// The listed fields of a JSON object, in that order; absent ones stay absent.
fn pick(value: Value, fields: &[&str]) -> Map<String, Value> {
    let Value::Object(mut object) = value else {
        return Map::new();
    };
    let mut picked = Map::new();
    for field in fields {
        if let Some(v) = object.remove(*field) {
            picked.insert((*field).to_owned(), v);
        }
    }
    picked
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, PasskeyError> {
    serde_json::to_value(value).map_err(|e| PasskeyError::Failed(anyhow::Error::new(e)))
}

fn to_string<T: serde::Serialize>(value: &T) -> Result<String, PasskeyError> {
    serde_json::to_string(value).map_err(|e| PasskeyError::Failed(anyhow::Error::new(e)))
}

fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, PasskeyError> {
    serde_json::from_str(text).map_err(|e| PasskeyError::BadState(anyhow::Error::new(e)))
}

#[cfg(test)]
#[path = "webauthn_tests.rs"]
mod tests;
