//! The system clock and the operating system's CSPRNG behind the `Clock` and `IdSource` ports.

use bedrud_ports::{Clock, IdSource};
use chrono::{DateTime, SubsecRound, Utc};
use rand::{Rng, RngCore};

/// Wall-clock time, truncated to microseconds (what both databases store).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}

/// Identifiers and random tokens from the thread-local CSPRNG.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl IdSource for OsRandom {
    fn uuid(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }

    fn random_string(&self, alphabet: &'static str, len: usize) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        if chars.is_empty() {
            return String::new();
        }
        let mut rng = rand::rng();
        (0..len)
            .map(|_| chars[rng.random_range(0..chars.len())])
            .collect()
    }

    fn random_bytes(&self, len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        rand::rng().fill_bytes(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_keeps_microseconds_only() {
        assert_eq!(SystemClock.now().timestamp_subsec_nanos() % 1000, 0);
    }

    #[test]
    fn random_values_have_the_requested_shape() {
        let s = OsRandom.random_string("abc", 32);
        assert_eq!(s.len(), 32);
        assert!(s.chars().all(|c| "abc".contains(c)));
        assert_ne!(OsRandom.random_bytes(32), OsRandom.random_bytes(32));
        assert_eq!(OsRandom.uuid().len(), 36);
    }
}
