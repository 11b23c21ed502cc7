//! Bedrud's security adapters: session JWTs, password hashing, passkeys (WebAuthn) and
//! OAuth/OpenID Connect sign-in.
#![forbid(unsafe_code)]

mod jwt;
mod oauth;
mod password;
mod system;
mod webauthn;

pub use jwt::{AUDIENCE, EXPIRY_LEEWAY_SECS, ISSUER, JwtCodec, install_crypto_provider};
pub use oauth::{
    EndpointOverrides, OAuthClients, OAuthConfigError, ProviderConfig, ProviderKind,
    valid_provider_name,
};
pub use password::{
    ARGON2_M_COST, ARGON2_OUTPUT_LEN, ARGON2_P_COST, ARGON2_T_COST, Argon2Hasher, SALT_LEN,
};
pub use system::{OsRandom, SystemClock};
pub use webauthn::{CEREMONY_TIMEOUT, WebauthnConfig, WebauthnConfigError, WebauthnVerifier};
