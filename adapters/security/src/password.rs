//! Password hashing (API §2.7): Argon2id for new hashes, Bedrud's bcrypt hashes still verified.

use std::sync::{Arc, OnceLock};

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use bedrud_ports::{HashError, PasswordHasher, Verification};
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use tokio::sync::Semaphore;

/// Argon2id memory cost in KiB.
pub const ARGON2_M_COST: u32 = 19_456;
/// Argon2id iterations.
pub const ARGON2_T_COST: u32 = 2;
/// Argon2id lanes.
pub const ARGON2_P_COST: u32 = 1;
/// Argon2id output length in bytes.
pub const ARGON2_OUTPUT_LEN: usize = 32;
/// Salt length in bytes.
pub const SALT_LEN: usize = 16;

const PARAMS: Params = match Params::new(
    ARGON2_M_COST,
    ARGON2_T_COST,
    ARGON2_P_COST,
    Some(ARGON2_OUTPUT_LEN),
) {
    Ok(params) => params,
    // Evaluated at compile time: bad constants fail the build, never a request.
    Err(_) => panic!("invalid Argon2 parameters"),
};

/// Hashes and verifies passwords on tokio's blocking pool, a bounded number at a time.
#[derive(Debug, Clone)]
pub struct Argon2Hasher {
    permits: Arc<Semaphore>,
}

impl Default for Argon2Hasher {
    fn default() -> Self {
        Self::new()
    }
}

impl Argon2Hasher {
    /// A hasher running at most one hash per CPU but one at a time (at least one): a
    /// login storm then always leaves a CPU to the request runtime.
    pub fn new() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        Self::with_concurrency(cpus.saturating_sub(1))
    }

    /// A hasher running at most `max_concurrent` (at least 1) hashes at a time.
    pub fn with_concurrency(max_concurrent: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
        }
    }

    /// Runs `work` on the blocking pool once a permit is free; the permit lives as long as the
    /// work, even when the caller stops waiting.
    async fn run<T, F>(&self, work: F) -> Result<T, HashError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|e| HashError::Failed(e.into()))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| HashError::Failed(e.into()))
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: String) -> Result<String, HashError> {
        self.run(move || hash_argon2id(password.as_bytes())).await?
    }

    async fn verify(
        &self,
        password: String,
        hash: Option<String>,
    ) -> Result<Verification, HashError> {
        self.run(move || verify_blocking(password.as_bytes(), hash.as_deref()))
            .await
    }
}

fn argon2id() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, PARAMS)
}

fn hash_argon2id(password: &[u8]) -> Result<String, HashError> {
    let mut salt = [0u8; SALT_LEN];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError::Failed(anyhow::anyhow!(e)))?;
    argon2id()
        .hash_password(password, &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| HashError::Failed(anyhow::anyhow!(e)))
}

fn verify_blocking(password: &[u8], hash: Option<&str>) -> Verification {
    match hash {
        Some(hash) if hash.starts_with("$argon2id$") => verify_argon2id(password, hash),
        Some(hash) if is_legacy_bcrypt(hash) => verify_legacy_bcrypt(password, hash),
        // No hash, or one we cannot read: spend the same work so timing tells nothing.
        _ => {
            spend_dummy_verify(password);
            Verification::Mismatch
        }
    }
}

fn verify_argon2id(password: &[u8], hash: &str) -> Verification {
    let Ok(parsed) = PasswordHash::new(hash) else {
        spend_dummy_verify(password);
        return Verification::Mismatch;
    };
    if parsed.algorithm != Algorithm::Argon2id.ident() {
        spend_dummy_verify(password);
        return Verification::Mismatch;
    }
    // The stored hash's own parameters are used, so older parameter sets still verify.
    match argon2id().verify_password(password, &parsed) {
        Ok(()) => Verification::Match,
        Err(_) => Verification::Mismatch,
    }
}

fn is_legacy_bcrypt(hash: &str) -> bool {
    ["$2a$", "$2b$", "$2y$"]
        .iter()
        .any(|prefix| hash.starts_with(prefix))
}

/// Bedrud stored bcrypt of the lowercase-hex SHA-256 of the password; older rows may be plain.
fn verify_legacy_bcrypt(password: &[u8], hash: &str) -> Verification {
    let prehashed = hex::encode(Sha256::digest(password));
    let matches = |candidate: &[u8]| bcrypt::verify(candidate, hash).unwrap_or(false);
    if matches(prehashed.as_bytes()) || matches(password) {
        Verification::MatchNeedsRehash
    } else {
        Verification::Mismatch
    }
}

/// A real Argon2id hash with the current parameters, of a random password nobody knows.
fn dummy_hash() -> Option<&'static str> {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    DUMMY
        .get_or_init(|| {
            let mut secret = [0u8; 32];
            rand::rng().fill_bytes(&mut secret);
            hash_argon2id(&secret).ok()
        })
        .as_deref()
}

/// Costs what verifying `password` against a real hash costs; the outcome is discarded.
fn spend_dummy_verify(password: &[u8]) {
    match dummy_hash().and_then(|hash| PasswordHash::new(hash).ok()) {
        Some(parsed) => {
            let _ = argon2id().verify_password(password, &parsed);
        }
        // Unreachable in practice; hashing once more costs the same.
        None => {
            let _ = hash_argon2id(password);
        }
    }
}

#[cfg(test)]
#[path = "password_tests.rs"]
mod tests;
