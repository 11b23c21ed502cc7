//! Best-effort media-server failures handed back by the use cases: logged as warnings
//! with the request id, never shown to the client. Also the background LiveKit teardown
//! after a room delete or admin close (API §6.2).

use std::future::Future;

use bedrud_domain::TeardownReport;
use bedrud_ports::MediaError;
use tracing::Instrument;

/// Logs each best-effort failure of `action` on `room` as a warning.
pub fn warn_media<'a>(
    request_id: &str,
    action: &str,
    room: &str,
    errors: impl IntoIterator<Item = &'a MediaError>,
) {
    for error in errors {
        tracing::warn!(
            request_id = %request_id,
            action,
            room,
            cause = %error_chain(error),
            "media server call failed (best effort)"
        );
    }
}

/// The error and its sources on one line.
fn error_chain(error: &MediaError) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Runs a teardown in the background, inside the current request span, and logs its
/// failures with the request id.
pub fn spawn_teardown<F>(request_id: String, room: String, teardown: F)
where
    F: Future<Output = TeardownReport> + Send + 'static,
{
    let span = tracing::Span::current();
    tokio::spawn(
        async move {
            let report = teardown.await;
            let failures = [report.send_error.as_ref(), report.delete_error.as_ref()];
            warn_media(
                &request_id,
                "teardown",
                &room,
                failures.into_iter().flatten(),
            );
        }
        .instrument(span),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_are_flattened() {
        let e = MediaError::Unavailable(anyhow::anyhow!("connection refused"));
        assert_eq!(
            error_chain(&e),
            "media server unavailable: connection refused"
        );
        assert_eq!(
            error_chain(&MediaError::NotFound),
            "not found on the media server"
        );
    }
}
