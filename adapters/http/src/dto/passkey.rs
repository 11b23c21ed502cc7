//! Bodies of the passkey endpoints (API §3.4).
//!
//! Begin responses are the domain's JSON as it is ([`PasskeyOptions`]), documented with
//! the schemas below; finish bodies are read with serde into `CredentialBody` and
//! documented by [`PasskeyCredential`].

use std::borrow::Cow;
use std::marker::PhantomData;

use bedrud_ports::Passkey;
use poem_openapi::Object;
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::{ToJSON, Type};
use serde_json::Value;

use crate::dto::{Text, Timestamp};

/// One of the caller's passkeys (`GET /api/auth/passkeys`).
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "Passkey", rename_all = "camelCase")]
pub struct PasskeyDto {
    /// UUID.
    pub id: String,
    /// Label given at registration (default `Passkey`).
    pub name: String,
    /// When it was registered.
    pub created_at: Timestamp,
    /// When it last signed in.
    #[oai(nullable)]
    pub last_used_at: Option<Timestamp>,
}

impl From<&Passkey> for PasskeyDto {
    fn from(p: &Passkey) -> Self {
        PasskeyDto {
            id: p.id.clone(),
            name: p.name.clone(),
            created_at: Timestamp(p.created_at),
            last_used_at: p.last_used_at.map(Timestamp),
        }
    }
}

/// Optional body of `POST /api/auth/passkey/login/begin`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Object)]
#[oai(rename = "PasskeyLoginBeginRequest")]
pub struct PasskeyLoginBeginRequest {
    /// Limits `allowCredentials` to this account's passkeys (`[]` for an unknown or
    /// inactive one); without it the login is discoverable.
    pub email: Option<Text>,
}

/// Body of `POST /api/auth/passkey/signup/begin`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Object)]
#[oai(rename = "PasskeySignupRequest", rename_all = "camelCase")]
pub struct PasskeySignupRequest {
    /// Email of the new account (required; missing or blank → 400 `Email and Name are
    /// required`).
    pub email: Option<Text>,
    /// Sanitised, 2–100 bytes (required; missing or blank → 400 `Email and Name are
    /// required`).
    pub name: Option<Text>,
    /// Ignored in this wave.
    pub invite_token: Option<Text>,
}

/// The `response` object of a standard PublicKeyCredential.
#[derive(Debug, Clone, Default, PartialEq, Eq, Object)]
#[oai(rename = "PasskeyCredentialResponse", rename_all = "camelCase")]
pub struct PasskeyCredentialResponse {
    /// base64url.
    #[oai(rename = "clientDataJSON")]
    pub client_data_json: Option<String>,
    /// base64url (register and sign-up).
    pub attestation_object: Option<String>,
    /// base64url (login).
    pub authenticator_data: Option<String>,
    /// base64url (login).
    pub signature: Option<String>,
    /// base64url (login).
    pub user_handle: Option<String>,
}

/// A passkey finish body: Bedrud's flat form (`credentialId`, `clientDataJSON`,
/// `attestationObject` or `authenticatorData` + `signature`, `userHandle`) or the
/// standard PublicKeyCredential JSON (`id`, `rawId`, `type`, `response`; detected by
/// `response`). base64url with or without padding; unknown fields are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Object)]
#[oai(rename = "PasskeyCredential", rename_all = "camelCase")]
pub struct PasskeyCredential {
    /// The ceremony to finish; else the `bedrud_webauthn` cookie.
    pub ceremony_id: Option<String>,
    /// Label of the new passkey (register/finish; ≤ 64 bytes, default `Passkey`).
    pub name: Option<String>,
    /// Flat form: the credential id (login).
    pub credential_id: Option<String>,
    /// Flat form.
    #[oai(rename = "clientDataJSON")]
    pub client_data_json: Option<String>,
    /// Flat form (register and sign-up).
    pub attestation_object: Option<String>,
    /// Flat form (login).
    pub authenticator_data: Option<String>,
    /// Flat form (login).
    pub signature: Option<String>,
    /// Flat form (login).
    pub user_handle: Option<String>,
    /// Standard form: the credential id.
    pub id: Option<String>,
    /// Standard form: the raw credential id.
    pub raw_id: Option<String>,
    /// Standard form: `public-key`.
    #[oai(rename = "type")]
    pub ty: Option<String>,
    /// Standard form: the authenticator's response.
    pub response: Option<PasskeyCredentialResponse>,
}

/// `rp` of creation options.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "PublicKeyCredentialRpEntity")]
pub struct RpEntity {
    /// The RP id (`auth.webauthn.rp_id`).
    pub id: String,
    /// `auth.webauthn.rp_name`, default the RP id.
    pub name: String,
}

/// `user` of creation options.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "PublicKeyCredentialUserEntity", rename_all = "camelCase")]
pub struct UserEntity {
    /// base64url of the UTF-8 user id.
    pub id: String,
    /// The email.
    pub name: String,
    /// The display name.
    pub display_name: String,
}

/// One entry of `pubKeyCredParams`.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "PublicKeyCredentialParameters")]
pub struct CredentialParameters {
    /// `public-key`.
    #[oai(rename = "type")]
    pub ty: String,
    /// COSE algorithm: −7 (ES256), −8 (EdDSA), −257 (RS256).
    pub alg: i64,
}

/// `authenticatorSelection` of creation options.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "AuthenticatorSelection", rename_all = "camelCase")]
pub struct AuthenticatorSelection {
    /// `required`.
    pub resident_key: String,
    /// `true`.
    pub require_resident_key: bool,
    /// `preferred`.
    pub user_verification: String,
}

/// An entry of `excludeCredentials` / `allowCredentials`.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "PublicKeyCredentialDescriptor")]
pub struct CredentialDescriptor {
    /// `public-key`.
    #[oai(rename = "type")]
    pub ty: String,
    /// base64url credential id.
    pub id: String,
    /// Transports, when known.
    pub transports: Option<Vec<String>>,
}

/// Standard WebAuthn creation options (`navigator.credentials.create({publicKey})`).
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(
    rename = "PublicKeyCredentialCreationOptions",
    rename_all = "camelCase"
)]
pub struct CreationOptions {
    /// base64url of 32 random bytes.
    pub challenge: String,
    /// The relying party.
    pub rp: RpEntity,
    /// The account the credential is for.
    pub user: UserEntity,
    /// ES256, EdDSA, RS256.
    pub pub_key_cred_params: Vec<CredentialParameters>,
    /// A discoverable credential, user verification preferred.
    pub authenticator_selection: AuthenticatorSelection,
    /// Milliseconds (300000).
    pub timeout: u64,
    /// `none`.
    pub attestation: String,
    /// The caller's existing credentials (`[]` on sign-up).
    pub exclude_credentials: Vec<CredentialDescriptor>,
}

/// Begin response of register and sign-up: `ceremonyId`, the options flat (Bedrud's
/// shape) and the same options under `publicKey`.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "PasskeyCreationBegin", rename_all = "camelCase")]
pub struct CreationBegin {
    /// Send it back as `ceremonyId` (also set in the `bedrud_webauthn` cookie).
    pub ceremony_id: String,
    /// The options, flat.
    #[oai(flatten)]
    pub options: CreationOptions,
    /// The same options.
    pub public_key: CreationOptions,
}

/// Standard WebAuthn request options (`navigator.credentials.get({publicKey})`).
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "PublicKeyCredentialRequestOptions", rename_all = "camelCase")]
pub struct RequestOptions {
    /// base64url of 32 random bytes.
    pub challenge: String,
    /// The RP id.
    pub rp_id: String,
    /// `preferred`.
    pub user_verification: String,
    /// Milliseconds (300000).
    pub timeout: u64,
    /// Only when an email was given: its passkeys (`[]` for an unknown or inactive
    /// account); absent for a discoverable login.
    pub allow_credentials: Option<Vec<CredentialDescriptor>>,
}

/// Begin response of login: `ceremonyId`, the options flat (Bedrud's shape) and the
/// same options under `publicKey`.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "PasskeyRequestBegin", rename_all = "camelCase")]
pub struct RequestBegin {
    /// Send it back as `ceremonyId` (also set in the `bedrud_webauthn` cookie).
    pub ceremony_id: String,
    /// The options, flat.
    #[oai(flatten)]
    pub options: RequestOptions,
    /// The same options.
    pub public_key: RequestOptions,
}

/// A begin body exactly as the domain made it (`PasskeyBegin::body()`), documented by
/// the schema of `D` ([`CreationBegin`] or [`RequestBegin`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PasskeyOptions<D> {
    body: Value,
    doc: PhantomData<fn() -> D>,
}

impl<D> PasskeyOptions<D> {
    /// Wraps a begin body.
    pub fn new(body: Value) -> Self {
        PasskeyOptions {
            body,
            doc: PhantomData,
        }
    }
}

impl<D: Type> Type for PasskeyOptions<D> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Value;
    type RawElementValueType = Value;

    fn name() -> Cow<'static, str> {
        D::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        D::schema_ref()
    }

    fn register(registry: &mut Registry) {
        D::register(registry);
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(&self.body)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl<D: Type> ToJSON for PasskeyOptions<D> {
    fn to_json(&self) -> Option<Value> {
        Some(self.body.clone())
    }
}
