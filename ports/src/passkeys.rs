//! The passkey (WebAuthn) verifier: challenge options for the client and verification of
//! what the authenticator sent back. Ceremony state and stored credentials are opaque
//! strings to the core; the adapter that makes them reads them back.

/// The account a new credential is created for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyUser {
    /// The user id; its UTF-8 bytes are the WebAuthn user handle.
    pub id: String,
    /// `user.name` of the options: the email (or the name when there is no email).
    pub name: String,
    /// `user.displayName` of the options.
    pub display_name: String,
}

/// What a begin step produced: options for the client and state to keep server-side.
#[derive(Debug, Clone, PartialEq)]
pub struct PasskeyChallenge {
    /// The standard WebAuthn `publicKey` options (binary fields base64url, no padding).
    pub options: serde_json::Value,
    /// Serialised ceremony state; the finish step needs it back unchanged.
    pub state: String,
}

/// The response of `navigator.credentials.create()`, decoded to raw bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttestationResponse {
    /// `rawId`, when the client sent it (the attested credential data carries it anyway).
    pub credential_id: Option<Vec<u8>>,
    pub client_data_json: Vec<u8>,
    pub attestation_object: Vec<u8>,
}

/// The response of `navigator.credentials.get()`, decoded to raw bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssertionResponse {
    /// `rawId`.
    pub credential_id: Vec<u8>,
    pub client_data_json: Vec<u8>,
    pub authenticator_data: Vec<u8>,
    pub signature: Vec<u8>,
    /// The user handle the authenticator returned, if any.
    pub user_handle: Option<Vec<u8>>,
}

/// A verified new credential, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredCredential {
    /// Raw credential id bytes.
    pub credential_id: Vec<u8>,
    /// The verifier's serialised credential (public key, algorithm, flags).
    pub credential: String,
    /// The authenticator's signature counter at creation.
    pub sign_count: i64,
}

/// A verified assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAssertion {
    /// Raw id of the credential that signed.
    pub credential_id: Vec<u8>,
    /// The signature counter the authenticator reported.
    pub sign_count: i64,
    /// The serialised credential updated with this use (counter, backup flags).
    pub credential: String,
}

/// Errors of the passkey verifier.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// The response failed verification: challenge, origin, RP id, flags, algorithm,
    /// signature, excluded credential or counter regression. The text is for logs only.
    #[error("passkey response rejected: {0}")]
    Rejected(String),
    /// Stored ceremony state or a stored credential could not be read back.
    #[error("stored passkey state is unreadable")]
    BadState(#[source] anyhow::Error),
    /// The options could not be built (invalid user fields or configuration).
    #[error("passkey operation failed")]
    Failed(#[source] anyhow::Error),
}

/// Makes WebAuthn challenges and verifies responses (API §3.4). Synchronous: the work is
/// a few signature checks.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait PasskeyVerifier: Send + Sync {
    /// Creation options for `user` (discoverable credential, `excludeCredentials` from
    /// `exclude`) and the state to finish with. Errors: `Failed`.
    fn begin_registration(
        &self,
        user: &PasskeyUser,
        exclude: &[Vec<u8>],
    ) -> Result<PasskeyChallenge, PasskeyError>;

    /// Verifies an attestation against the state of its begin step. Errors: `Rejected`,
    /// `BadState`.
    fn finish_registration(
        &self,
        state: &str,
        response: &AttestationResponse,
    ) -> Result<RegisteredCredential, PasskeyError>;

    /// Request options listing `credentials` (serialised, as stored) in
    /// `allowCredentials`; empty means a discoverable login. Errors: `BadState`, `Failed`.
    fn begin_authentication(
        &self,
        credentials: &[String],
    ) -> Result<PasskeyChallenge, PasskeyError>;

    /// Verifies an assertion made with `credential` (serialised, as stored, whose counter
    /// stood at `sign_count`) against the state of its begin step. Errors: `Rejected`
    /// (also for a counter that did not increase), `BadState`.
    fn finish_authentication(
        &self,
        state: &str,
        credential: &str,
        sign_count: i64,
        response: &AssertionResponse,
    ) -> Result<VerifiedAssertion, PasskeyError>;
}
