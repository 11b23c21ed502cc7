//! Path identifiers. A malformed id gets the same 404 as an unknown one (API §1), so
//! these only normalise what can exist and reject the rest before any lookup.

/// A UUID path parameter in its stored form (lowercase, hyphenated).
pub fn uuid(raw: &str) -> Option<String> {
    uuid::Uuid::try_parse(raw.trim())
        .ok()
        .map(|u| u.hyphenated().to_string())
}

/// A user id: a UUID, or a guest-join identity `guest-` + 8 of `[a-z0-9]`.
pub fn user_id(raw: &str) -> Option<String> {
    uuid(raw).or_else(|| {
        let tail = raw.strip_prefix("guest-")?;
        (tail.len() == 8
            && tail
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        .then(|| raw.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(
            uuid("9B2E3C4D-0000-4000-8000-000000000001").as_deref(),
            Some("9b2e3c4d-0000-4000-8000-000000000001")
        );
        assert_eq!(uuid("not-a-uuid"), None);
        assert_eq!(user_id("guest-ab12cd34").as_deref(), Some("guest-ab12cd34"));
        assert_eq!(user_id("guest-AB12CD34"), None);
        assert_eq!(user_id("guest-ab12"), None);
        assert_eq!(user_id("../etc/passwd"), None);
    }
}
