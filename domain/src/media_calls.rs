//! How media-server failures become domain results: synchronous calls fail with 502,
//! best-effort calls hand their failures back for the caller to log.

use bedrud_ports::MediaError;

use crate::error::DomainError;

/// 502 `Media server unavailable`, keeping the cause for the log.
pub fn media_unavailable(e: MediaError) -> DomainError {
    DomainError::MediaUnavailable(anyhow::Error::new(e))
}

/// Best-effort outcome: `None` on success and when no media server is configured
/// (the call is skipped by design), else the failure to log.
pub fn best_effort<T>(result: Result<T, MediaError>) -> Option<MediaError> {
    match result {
        Ok(_) | Err(MediaError::Disabled) => None,
        Err(e) => Some(e),
    }
}

/// Like [`best_effort`], also ignoring `NotFound` (the room or participant is simply
/// not connected, so there is nothing to change).
pub fn best_effort_if_present<T>(result: Result<T, MediaError>) -> Option<MediaError> {
    match result {
        Err(MediaError::NotFound) => None,
        other => best_effort(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::describe;

    #[test]
    fn failures_map_to_502() {
        let e = media_unavailable(MediaError::Unavailable(anyhow::anyhow!("x")));
        assert_eq!(describe(&e).0, "media");
        assert_eq!(e.to_string(), "Media server unavailable");
    }

    #[test]
    fn best_effort_keeps_real_failures_only() {
        assert!(best_effort(Ok::<_, MediaError>(())).is_none());
        assert!(best_effort::<()>(Err(MediaError::Disabled)).is_none());
        assert!(matches!(
            best_effort::<()>(Err(MediaError::NotFound)),
            Some(MediaError::NotFound)
        ));
        assert!(best_effort_if_present::<()>(Err(MediaError::NotFound)).is_none());
        assert!(best_effort_if_present::<()>(Err(MediaError::Disabled)).is_none());
        assert!(matches!(
            best_effort_if_present::<()>(Err(MediaError::Unavailable(anyhow::anyhow!("x")))),
            Some(MediaError::Unavailable(_))
        ));
    }
}
