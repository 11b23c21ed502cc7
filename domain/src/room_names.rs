//! Room names (API §5.1): normalisation, validation and the random generator.

use bedrud_ports::IdSource;

use crate::error::{DomainError, DomainResult};

/// Shortest valid room name, in bytes.
pub const ROOM_NAME_MIN_BYTES: usize = 3;
/// Longest valid room name, in bytes.
pub const ROOM_NAME_MAX_BYTES: usize = 63;
/// Letters the generator draws from.
const GENERATOR_ALPHABET: &str = "abcdefghijklmnopqrstuvwxyz";
/// Lengths of the generated name's three parts (`kqz-mwpa-tro`).
const GENERATOR_PARTS: [usize; 3] = [3, 4, 3];

/// The form every lookup and check uses: trimmed and lowercased.
pub fn normalize_room_name(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// Normalises and validates a chosen name; errors carry the 400 messages of API §3.5.
pub fn validate_room_name(raw: &str) -> DomainResult<String> {
    let name = normalize_room_name(raw);
    if name.len() < ROOM_NAME_MIN_BYTES {
        return Err(DomainError::invalid(
            "room name must be at least 3 characters",
        ));
    }
    if name.len() > ROOM_NAME_MAX_BYTES {
        return Err(DomainError::invalid(
            "room name must be at most 63 characters",
        ));
    }
    if !matches_pattern(&name) {
        return Err(DomainError::invalid(
            "room name must contain only lowercase letters, numbers, and hyphens",
        ));
    }
    Ok(name)
}

/// `^[a-z0-9]+(-[a-z0-9]+)*$`: alphanumeric runs joined by single hyphens.
fn matches_pattern(name: &str) -> bool {
    name.split('-').all(|run| {
        !run.is_empty()
            && run
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// A random name of 3 + 4 + 3 lowercase letters joined by `-`.
pub fn generate_room_name(ids: &dyn IdSource) -> String {
    GENERATOR_PARTS
        .iter()
        .map(|len| ids.random_string(GENERATOR_ALPHABET, *len))
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::assert_err;
    use bedrud_ports::MockIdSource;

    #[test]
    fn names_are_trimmed_and_lowercased() {
        assert_eq!(
            validate_room_name("  My-Room-1 ").expect("valid"),
            "my-room-1"
        );
        assert_eq!(validate_room_name("abc").expect("valid"), "abc");
        assert_eq!(validate_room_name("a1-b2-c3").expect("valid"), "a1-b2-c3");
        assert_eq!(validate_room_name("123").expect("valid"), "123");
    }

    #[test]
    fn length_is_counted_in_bytes() {
        let max = "a".repeat(63);
        assert_eq!(validate_room_name(&max).expect("valid"), max);
        for short in ["", "  ", "ab", " AB "] {
            assert_err(
                validate_room_name(short),
                "invalid",
                "room name must be at least 3 characters",
            );
        }
        assert_err(
            validate_room_name(&"a".repeat(64)),
            "invalid",
            "room name must be at most 63 characters",
        );
        // Two letters of two bytes each: long enough in bytes, but not ASCII.
        assert_err(
            validate_room_name("éé"),
            "invalid",
            "room name must contain only lowercase letters, numbers, and hyphens",
        );
    }

    #[test]
    fn the_pattern_is_enforced() {
        for bad in [
            "-abc", "abc-", "ab--c", "ab c", "ab_c", "ab.c", "---", "a/bc", "abc\u{0}",
        ] {
            assert_err(
                validate_room_name(bad),
                "invalid",
                "room name must contain only lowercase letters, numbers, and hyphens",
            );
        }
    }

    #[test]
    fn normalisation_does_not_validate() {
        assert_eq!(normalize_room_name("  Bad_Name "), "bad_name");
    }

    #[test]
    fn generator_draws_three_parts_of_letters() {
        let mut ids = MockIdSource::new();
        let mut seq = mockall::Sequence::new();
        for (len, part) in [(3, "kqz"), (4, "mwpa"), (3, "tro")] {
            ids.expect_random_string()
                .withf(move |alphabet, l| alphabet == GENERATOR_ALPHABET && *l == len)
                .times(1)
                .in_sequence(&mut seq)
                .returning(move |_, _| part.to_owned());
        }
        let name = generate_room_name(&ids);
        assert_eq!(name, "kqz-mwpa-tro");
        assert_eq!(validate_room_name(&name).expect("valid"), name);
    }
}
