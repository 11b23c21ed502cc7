//! Finish bodies: Bedrud's flat form (`credentialId`, `clientDataJSON`, …) or the standard
//! PublicKeyCredential JSON (`{id, rawId, type, response:{…}}`, detected by `response`),
//! each optionally with `ceremonyId`. Binary fields are base64url, padded or not.

use bedrud_ports::{AssertionResponse, AttestationResponse};
use serde::Deserialize;

use super::{AUTHENTICATION_FAILED, INVALID_INPUT};
use crate::ceremonies::decode_b64url;
use crate::error::{DomainError, DomainResult};

/// A passkey finish body as the client sent it, binary fields still encoded. Unknown
/// fields are ignored; deserialise it straight from the request JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialBody {
    /// The ceremony to finish; else the `bedrud_webauthn` cookie.
    pub ceremony_id: Option<String>,
    /// Label of a new passkey (register/finish).
    pub name: Option<String>,
    pub credential_id: Option<String>,
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: Option<String>,
    pub attestation_object: Option<String>,
    pub authenticator_data: Option<String>,
    pub signature: Option<String>,
    pub user_handle: Option<String>,
    /// Standard form: the credential id (base64url).
    pub id: Option<String>,
    /// Standard form: the raw credential id (base64url).
    pub raw_id: Option<String>,
    /// Standard form: the authenticator response; its presence selects the form.
    pub response: Option<CredentialResponseBody>,
}

/// The `response` object of the standard form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialResponseBody {
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: Option<String>,
    pub attestation_object: Option<String>,
    pub authenticator_data: Option<String>,
    pub signature: Option<String>,
    pub user_handle: Option<String>,
}

/// The encoded fields of a registration, whichever form carried them.
pub(super) struct EncodedAttestation<'a> {
    credential_id: Option<&'a str>,
    client_data_json: &'a str,
    attestation_object: &'a str,
}

/// The encoded fields of a login, whichever form carried them.
pub(super) struct EncodedAssertion<'a> {
    credential_id: &'a str,
    client_data_json: &'a str,
    authenticator_data: &'a str,
    signature: &'a str,
    user_handle: Option<&'a str>,
}

/// A present, non-blank field.
fn field(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Decodes one field or fails with `message`.
fn decode(text: &str, message: &str) -> DomainResult<Vec<u8>> {
    decode_b64url(text)
        .filter(|bytes| !bytes.is_empty())
        .ok_or_else(|| DomainError::invalid(message))
}

impl CredentialBody {
    /// The registration fields, or 400 `Invalid input` when one is missing.
    pub(super) fn attestation(&self) -> DomainResult<EncodedAttestation<'_>> {
        let (client_data_json, attestation_object) = match &self.response {
            Some(r) => (field(&r.client_data_json), field(&r.attestation_object)),
            None => (
                field(&self.client_data_json),
                field(&self.attestation_object),
            ),
        };
        match (client_data_json, attestation_object) {
            (Some(client_data_json), Some(attestation_object)) => Ok(EncodedAttestation {
                credential_id: self.any_credential_id(),
                client_data_json,
                attestation_object,
            }),
            _ => Err(DomainError::invalid(INVALID_INPUT)),
        }
    }

    /// The login fields, or 400 `Invalid input` when one is missing.
    pub(super) fn assertion(&self) -> DomainResult<EncodedAssertion<'_>> {
        let (client_data_json, authenticator_data, signature, user_handle) = match &self.response {
            Some(r) => (
                field(&r.client_data_json),
                field(&r.authenticator_data),
                field(&r.signature),
                field(&r.user_handle),
            ),
            None => (
                field(&self.client_data_json),
                field(&self.authenticator_data),
                field(&self.signature),
                field(&self.user_handle),
            ),
        };
        match (
            self.any_credential_id(),
            client_data_json,
            authenticator_data,
            signature,
        ) {
            (Some(credential_id), Some(client_data_json), Some(authenticator_data), Some(sig)) => {
                Ok(EncodedAssertion {
                    credential_id,
                    client_data_json,
                    authenticator_data,
                    signature: sig,
                    user_handle,
                })
            }
            _ => Err(DomainError::invalid(INVALID_INPUT)),
        }
    }

    /// The credential id: flat `credentialId` first, standard `rawId` then `id`.
    fn any_credential_id(&self) -> Option<&str> {
        let (first, second, third) = if self.response.is_some() {
            (&self.raw_id, &self.id, &self.credential_id)
        } else {
            (&self.credential_id, &self.raw_id, &self.id)
        };
        field(first)
            .or_else(|| field(second))
            .or_else(|| field(third))
    }
}

impl EncodedAttestation<'_> {
    /// Decodes the fields. Errors in order: 400 `Invalid clientDataJSON encoding` ·
    /// `Invalid attestationObject encoding`. An undecodable optional `rawId` is dropped:
    /// the attestation carries the credential id anyway.
    pub(super) fn decode(&self) -> DomainResult<AttestationResponse> {
        let client_data_json = decode(self.client_data_json, "Invalid clientDataJSON encoding")?;
        let attestation_object = decode(
            self.attestation_object,
            "Invalid attestationObject encoding",
        )?;
        Ok(AttestationResponse {
            credential_id: self.credential_id.and_then(decode_b64url),
            client_data_json,
            attestation_object,
        })
    }
}

impl EncodedAssertion<'_> {
    /// Decodes the fields. Errors in order: 400 `Invalid credentialId encoding` ·
    /// `Invalid clientDataJSON encoding` · `Invalid authenticatorData encoding` ·
    /// `Invalid signature encoding`; 401 `authentication verification failed` for an
    /// undecodable `userHandle` (it cannot match).
    pub(super) fn decode(&self) -> DomainResult<AssertionResponse> {
        let credential_id = decode(self.credential_id, "Invalid credentialId encoding")?;
        let client_data_json = decode(self.client_data_json, "Invalid clientDataJSON encoding")?;
        let authenticator_data = decode(
            self.authenticator_data,
            "Invalid authenticatorData encoding",
        )?;
        let signature = decode(self.signature, "Invalid signature encoding")?;
        let user_handle = match self.user_handle {
            None => None,
            Some(text) => Some(
                decode_b64url(text)
                    .ok_or_else(|| DomainError::unauthorized(AUTHENTICATION_FAILED))?,
            ),
        };
        Ok(AssertionResponse {
            credential_id,
            client_data_json,
            authenticator_data,
            signature,
            user_handle,
        })
    }
}
