//! Bedrud's security adapters: session JWTs and password hashing.
#![forbid(unsafe_code)]

mod jwt;
mod password;
mod system;

pub use jwt::{AUDIENCE, EXPIRY_LEEWAY_SECS, ISSUER, JwtCodec, install_crypto_provider};
pub use password::{
    ARGON2_M_COST, ARGON2_OUTPUT_LEN, ARGON2_P_COST, ARGON2_T_COST, Argon2Hasher, SALT_LEN,
};
pub use system::{OsRandom, SystemClock};
