//! Input rules shared by the use cases: email canonicalisation, name sanitising and
//! password lengths (API §1.1). Lengths always count UTF-8 bytes.

use unicode_normalization::UnicodeNormalization;

use crate::error::DomainError;

/// Longest local part of an email address, in bytes.
const MAX_LOCAL_BYTES: usize = 64;
/// Longest whole email address, in bytes.
const MAX_EMAIL_BYTES: usize = 254;
/// Characters that never appear in a bare local part we accept.
const LOCAL_FORBIDDEN: &[char] = &['<', '>', '(', ')', '[', ']', '\\', ',', ';', ':', '"', '@'];
/// Characters deleted from display names (besides Unicode Cc controls).
const NAME_FORBIDDEN: &[char] = &['<', '>', '&', '"', '\''];

/// Shortest accepted password, in bytes.
pub const PASSWORD_MIN_BYTES: usize = 12;
/// Longest accepted password, in bytes (also bounds the hashing work).
pub const PASSWORD_MAX_BYTES: usize = 128;

/// The input is not a bare `local@domain` address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Invalid email format")]
pub struct InvalidEmail;

/// The first canonicalisation steps: trim, NFKC, remove U+FEFF.
pub fn prepare_email(raw: &str) -> String {
    raw.trim().nfkc().filter(|c| *c != '\u{FEFF}').collect()
}

/// Canonical form of an email address (API §1.1), or [`InvalidEmail`].
pub fn canonical_email(raw: &str) -> Result<String, InvalidEmail> {
    let prepared = prepare_email(raw);
    let (local, domain) = prepared.rsplit_once('@').ok_or(InvalidEmail)?;
    let local = local.to_lowercase();
    if local.is_empty()
        || local.len() > MAX_LOCAL_BYTES
        || local
            .chars()
            .any(|c| c.is_whitespace() || LOCAL_FORBIDDEN.contains(&c))
    {
        return Err(InvalidEmail);
    }
    let domain = ascii_host(domain).ok_or(InvalidEmail)?;
    let email = format!("{local}@{domain}");
    if email.len() > MAX_EMAIL_BYTES {
        return Err(InvalidEmail);
    }
    Ok(email)
}

/// Forms under which a canonical email may be stored: itself, plus the Unicode-domain
/// form that rows migrated from Bedrud may hold.
pub fn email_lookup_forms(canonical: &str) -> Vec<String> {
    let mut forms = vec![canonical.to_owned()];
    let Some((local, domain)) = canonical.rsplit_once('@') else {
        return forms;
    };
    if domain.split('.').any(|label| label.starts_with("xn--")) {
        let (unicode, result) = idna::domain_to_unicode(domain);
        if result.is_ok() && unicode != domain {
            forms.push(format!("{local}@{unicode}"));
        }
    }
    forms
}

/// The IDNA ASCII, lowercased form of a valid host name.
fn ascii_host(domain: &str) -> Option<String> {
    if domain.is_empty() || domain.chars().any(char::is_whitespace) {
        return None;
    }
    // Strict: STD3 ASCII rules, hyphen placement and DNS lengths (labels 1–63 bytes,
    // whole name ≤ 253, no empty or root label).
    let ascii = idna::domain_to_ascii_strict(domain)
        .ok()?
        .to_ascii_lowercase();
    let valid = !ascii.is_empty()
        && ascii.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    valid.then_some(ascii)
}

/// A display name after sanitising: trimmed, without Cc controls and `<>&"'`.
pub fn sanitize_name(raw: &str) -> String {
    raw.trim()
        .chars()
        .filter(|c| !c.is_control() && !NAME_FORBIDDEN.contains(c))
        .collect()
}

/// Checks a sanitised account name: 2–255 bytes (register, PUT /auth/me).
pub fn check_account_name(name: &str) -> Result<(), DomainError> {
    if name.len() < 2 {
        Err(DomainError::invalid("Name must be at least 2 characters"))
    } else if name.len() > 255 {
        Err(DomainError::invalid("Name must be at most 255 characters"))
    } else {
        Ok(())
    }
}

/// Checks a sanitised guest name: 2–50 bytes.
pub fn check_guest_name(name: &str) -> Result<(), DomainError> {
    if (2..=50).contains(&name.len()) {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "Name must be between 2 and 50 characters",
        ))
    }
}

/// Checks the length of a new password; `label` starts the message (`Password`,
/// `New password`).
pub fn check_new_password(password: &str, label: &str) -> Result<(), DomainError> {
    if password.len() < PASSWORD_MIN_BYTES {
        Err(DomainError::invalid(format!(
            "{label} must be at least {PASSWORD_MIN_BYTES} characters"
        )))
    } else if password.len() > PASSWORD_MAX_BYTES {
        Err(DomainError::invalid(format!(
            "{label} must be at most {PASSWORD_MAX_BYTES} characters"
        )))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: Result<(), DomainError>) -> String {
        match result {
            Err(DomainError::Invalid(m)) => m,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn email_is_trimmed_and_lowercased() {
        assert_eq!(
            canonical_email("  Alice.Smith@Example.ORG \n").as_deref(),
            Ok("alice.smith@example.org")
        );
    }

    #[test]
    fn email_is_nfkc_normalised_and_bom_removed() {
        // Fullwidth letters fold to ASCII under NFKC; the BOM disappears.
        assert_eq!(
            canonical_email("\u{FEFF}ｂｏｂ@ｅｘａｍｐｌｅ.com").as_deref(),
            Ok("bob@example.com")
        );
        assert_eq!(
            canonical_email("bo\u{FEFF}b@x.org").as_deref(),
            Ok("bob@x.org")
        );
    }

    #[test]
    fn email_domain_becomes_idna_ascii() {
        assert_eq!(
            canonical_email("Jörg@Bücher.DE").as_deref(),
            Ok("jörg@xn--bcher-kva.de")
        );
    }

    #[test]
    fn email_splits_at_last_at_sign() {
        // The local part then contains '@', which is forbidden.
        assert_eq!(canonical_email("a@b@example.com"), Err(InvalidEmail));
    }

    #[test]
    fn display_name_forms_are_rejected() {
        assert_eq!(canonical_email("Bob <bob@x.org>"), Err(InvalidEmail));
        assert_eq!(canonical_email("<bob@x.org>"), Err(InvalidEmail));
        assert_eq!(canonical_email("\"Bob\" bob@x.org"), Err(InvalidEmail));
    }

    #[test]
    fn malformed_emails_are_rejected() {
        for bad in [
            "",
            "   ",
            "plainaddress",
            "@example.com",
            "bob@",
            "bob smith@x.org",
            "bob@exa mple.org",
            "bob(x)@x.org",
            "bob,x@x.org",
            "bob;x@x.org",
            "bob:x@x.org",
            "bob[x]@x.org",
            "bob\\x@x.org",
            "bob@-x.org",
            "bob@x-.org",
            "bob@x..org",
            "bob@x.org.",
            "bob@under_score.org",
            "bob@[127.0.0.1]",
        ] {
            assert_eq!(canonical_email(bad), Err(InvalidEmail), "{bad:?}");
        }
    }

    #[test]
    fn email_length_limits_count_bytes() {
        let local64 = "a".repeat(64);
        assert!(canonical_email(&format!("{local64}@x.org")).is_ok());
        assert_eq!(
            canonical_email(&format!("{}@x.org", "a".repeat(65))),
            Err(InvalidEmail)
        );
        // 32 two-byte characters = 64 bytes: accepted; one more is 66 bytes.
        assert!(canonical_email(&format!("{}@x.org", "é".repeat(32))).is_ok());
        assert_eq!(
            canonical_email(&format!("{}@x.org", "é".repeat(33))),
            Err(InvalidEmail)
        );
        // 64 + 1 + 189 = 254 bytes is the maximum.
        let domain189 = format!("{}.{}.{}", "b".repeat(63), "c".repeat(63), "d".repeat(61));
        assert_eq!(domain189.len(), 189);
        assert!(canonical_email(&format!("{local64}@{domain189}")).is_ok());
        let domain190 = format!("{}.{}.{}", "b".repeat(63), "c".repeat(63), "d".repeat(62));
        assert_eq!(
            canonical_email(&format!("{local64}@{domain190}")),
            Err(InvalidEmail)
        );
    }

    #[test]
    fn long_domain_labels_are_rejected() {
        assert_eq!(
            canonical_email(&format!("a@{}.org", "x".repeat(64))),
            Err(InvalidEmail)
        );
    }

    #[test]
    fn single_label_host_is_a_valid_host_name() {
        assert_eq!(
            canonical_email("root@LocalHost").as_deref(),
            Ok("root@localhost")
        );
    }

    #[test]
    fn prepare_email_keeps_invalid_input() {
        assert_eq!(prepare_email(" \u{FEFF} "), "");
        assert_eq!(prepare_email(" Not An Email "), "Not An Email");
    }

    #[test]
    fn lookup_forms_add_unicode_domain() {
        assert_eq!(email_lookup_forms("a@x.org"), vec!["a@x.org".to_owned()]);
        assert_eq!(
            email_lookup_forms("a@xn--bcher-kva.de"),
            vec!["a@xn--bcher-kva.de".to_owned(), "a@bücher.de".to_owned()]
        );
    }

    #[test]
    fn names_are_trimmed_and_stripped() {
        assert_eq!(sanitize_name("  <b>Alice</b>  "), "bAlice/b");
        assert_eq!(sanitize_name("Tom & \"Jerry\" 'x'"), "Tom  Jerry x");
        assert_eq!(sanitize_name("A\u{0000}l\u{0007}i\u{009F}ce"), "Alice");
        // Format characters (Cf) are not controls (Cc) and stay.
        assert_eq!(sanitize_name("Al\u{200D}ice"), "Al\u{200D}ice");
        assert_eq!(sanitize_name("Zoë"), "Zoë");
    }

    #[test]
    fn account_name_lengths_count_bytes() {
        assert_eq!(
            message(check_account_name("A")),
            "Name must be at least 2 characters"
        );
        assert!(check_account_name("é").is_ok()); // two bytes
        assert!(check_account_name(&"a".repeat(255)).is_ok());
        assert_eq!(
            message(check_account_name(&"a".repeat(256))),
            "Name must be at most 255 characters"
        );
        assert_eq!(
            message(check_account_name(&"é".repeat(128))),
            "Name must be at most 255 characters"
        );
    }

    #[test]
    fn guest_name_lengths_count_bytes() {
        let msg = "Name must be between 2 and 50 characters";
        assert_eq!(message(check_guest_name("")), msg);
        assert_eq!(message(check_guest_name("a")), msg);
        assert!(check_guest_name("ab").is_ok());
        assert!(check_guest_name(&"a".repeat(50)).is_ok());
        assert_eq!(message(check_guest_name(&"a".repeat(51))), msg);
        assert_eq!(message(check_guest_name(&"é".repeat(26))), msg);
    }

    #[test]
    fn password_lengths_count_bytes() {
        assert_eq!(
            message(check_new_password(&"a".repeat(11), "Password")),
            "Password must be at least 12 characters"
        );
        assert!(check_new_password(&"a".repeat(12), "Password").is_ok());
        assert!(check_new_password(&"é".repeat(6), "Password").is_ok());
        assert!(check_new_password(&"a".repeat(128), "Password").is_ok());
        assert_eq!(
            message(check_new_password(&"a".repeat(129), "New password")),
            "New password must be at most 128 characters"
        );
        assert_eq!(
            message(check_new_password("short", "New password")),
            "New password must be at least 12 characters"
        );
    }
}
