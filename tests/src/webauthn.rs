//! A browser with a software authenticator for the passkey tests: 1Password's passkey-rs
//! (a WebAuthn client and a CTAP2 authenticator holding one credential in memory), and
//! the finish bodies in Bedrud's flat form or the standard PublicKeyCredential JSON.
//! Used by the verifier's unit tests (`bedrud-security`) and the black-box tests.

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use passkey::authenticator::{Authenticator, UiHint, UserCheck, UserValidationMethod};
use passkey::client::{Client, DefaultClientData};
use passkey::types::Passkey;
use passkey::types::ctap2::{Aaguid, Ctap2Error};
use passkey::types::webauthn::{
    AuthenticatedPublicKeyCredential, CreatedPublicKeyCredential, CredentialCreationOptions,
    CredentialRequestOptions,
};
use serde_json::{Value, json};

/// A user who is always present and verified.
struct AlwaysYes;

#[async_trait::async_trait]
impl UserValidationMethod for AlwaysYes {
    type PasskeyItem = Passkey;

    async fn check_user<'a>(
        &self,
        _hint: UiHint<'a, Self::PasskeyItem>,
        presence: bool,
        verification: bool,
    ) -> Result<UserCheck, Ctap2Error> {
        Ok(UserCheck {
            presence,
            verification,
        })
    }

    fn is_presence_enabled(&self) -> bool {
        true
    }

    fn is_verification_enabled(&self) -> Option<bool> {
        Some(true)
    }
}

type SoftClient = Client<
    Option<Passkey>,
    AlwaysYes,
    passkey::crypto::rust_crypto::RustCryptoBackend,
    public_suffix::PublicSuffixList,
    (),
>;

/// A browser with a software authenticator holding at most one credential, with a
/// signature counter.
pub struct Device(SoftClient);

impl Default for Device {
    fn default() -> Self {
        Device::new()
    }
}

impl Device {
    /// A device with no credential yet.
    pub fn new() -> Device {
        Device::holding(None)
    }

    pub fn holding(store: Option<Passkey>) -> Device {
        let mut authenticator = Authenticator::new(
            Aaguid::new_empty(),
            store,
            AlwaysYes,
            passkey::crypto::rust_crypto::RustCryptoBackend,
        );
        authenticator.set_make_credentials_with_signature_counter(true);
        Device(Client::new(authenticator))
    }

    /// The credential, counter and all.
    pub fn passkey(&self) -> Passkey {
        self.0
            .authenticator()
            .store()
            .clone()
            .expect("the device holds a credential")
    }

    /// `navigator.credentials.create` at `origin` with the `publicKey` options of a begin.
    pub async fn create(&mut self, origin: &str, options: &Value) -> CreatedPublicKeyCredential {
        let request: CredentialCreationOptions =
            serde_json::from_value(json!({ "publicKey": options })).expect("creation options");
        self.0
            .register(url(origin), request, DefaultClientData)
            .await
            .expect("the authenticator creates a credential")
    }

    /// `navigator.credentials.get` at `origin` with the `publicKey` options of a begin.
    pub async fn get(&mut self, origin: &str, options: &Value) -> AuthenticatedPublicKeyCredential {
        let request: CredentialRequestOptions =
            serde_json::from_value(json!({ "publicKey": options })).expect("request options");
        self.0
            .authenticate(url(origin), request, DefaultClientData)
            .await
            .expect("the authenticator signs")
    }
}

pub fn url(text: &str) -> url::Url {
    url::Url::parse(text).expect("url")
}

/// The shape of a finish body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Bedrud's flat fields, base64url without padding.
    Flat,
    /// Bedrud's flat fields, base64url with padding.
    FlatPadded,
    /// The standard PublicKeyCredential JSON (`{id, rawId, type, response}`).
    Standard,
}

pub fn b64(form: Form, bytes: &[u8]) -> String {
    match form {
        Form::FlatPadded => URL_SAFE.encode(bytes),
        Form::Flat | Form::Standard => URL_SAFE_NO_PAD.encode(bytes),
    }
}

/// A registration finish body; `ceremony` = the body's `ceremonyId` (else the cookie).
pub fn attestation(
    created: &CreatedPublicKeyCredential,
    form: Form,
    ceremony: Option<&str>,
) -> Value {
    let id = b64(form, &created.raw_id);
    let client_data = b64(form, &created.response.client_data_json);
    let object = b64(form, &created.response.attestation_object);
    let mut body = match form {
        Form::Flat | Form::FlatPadded => json!({
            "credentialId": id,
            "clientDataJSON": client_data,
            "attestationObject": object,
        }),
        Form::Standard => json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": client_data,
                "attestationObject": object,
                "transports": ["internal"],
            },
        }),
    };
    if let Some(ceremony) = ceremony {
        body["ceremonyId"] = json!(ceremony);
    }
    body
}

/// A login finish body; `ceremony` = the body's `ceremonyId` (else the cookie).
pub fn assertion(
    got: &AuthenticatedPublicKeyCredential,
    form: Form,
    ceremony: Option<&str>,
) -> Value {
    let r = &got.response;
    let id = b64(form, &got.raw_id);
    let handle = r.user_handle.as_ref().map(|h| b64(form, h));
    let fields = json!({
        "clientDataJSON": b64(form, &r.client_data_json),
        "authenticatorData": b64(form, &r.authenticator_data),
        "signature": b64(form, &r.signature),
        "userHandle": handle,
    });
    let mut body = match form {
        Form::Flat | Form::FlatPadded => {
            let mut body = fields;
            body["credentialId"] = json!(id);
            body
        }
        Form::Standard => json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "clientExtensionResults": {},
            "response": fields,
        }),
    };
    if let Some(ceremony) = ceremony {
        body["ceremonyId"] = json!(ceremony);
    }
    body
}
