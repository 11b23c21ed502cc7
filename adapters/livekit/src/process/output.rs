//! Forwards the media server's stdout/stderr into tracing, line by line, under the
//! `livekit` target, at the level the line itself announces.

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

/// Longest line forwarded; the rest is cut (a runaway line must not eat the memory).
const MAX_LINE: usize = 8 * 1024;

/// A log level as a line announces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineLevel {
    /// `ERROR`, `FATAL`, `PANIC`, `DPANIC`.
    Error,
    /// `WARN`, `WARNING`.
    Warn,
    /// `INFO`, or no level found.
    Info,
    /// `DEBUG`, `TRACE`.
    Debug,
}

/// The level of one LiveKit line: console format (`2024-… INFO livekit …`) or JSON
/// (`{"level":"warn",…}`); lines without a level are `Info`.
pub fn line_level(line: &str) -> LineLevel {
    let word = |w: &str| match w.to_ascii_uppercase().as_str() {
        "ERROR" | "FATAL" | "PANIC" | "DPANIC" => Some(LineLevel::Error),
        "WARN" | "WARNING" => Some(LineLevel::Warn),
        "INFO" => Some(LineLevel::Info),
        "DEBUG" | "TRACE" => Some(LineLevel::Debug),
        _ => None,
    };
    if line.trim_start().starts_with('{')
        && let Ok(serde_json::Value::Object(map)) = serde_json::from_str(line)
    {
        return map
            .get("level")
            .and_then(|l| l.as_str())
            .and_then(word)
            .unwrap_or(LineLevel::Info);
    }
    line.split_whitespace()
        .take(4)
        .find_map(|w| word(w.trim_matches(|c: char| !c.is_ascii_alphabetic())))
        .unwrap_or(LineLevel::Info)
}

/// Emits one line under the `livekit` target.
pub fn emit(stream: &'static str, pid: u32, line: &str) {
    match line_level(line) {
        LineLevel::Error => tracing::error!(target: "livekit", stream, pid, "{line}"),
        LineLevel::Warn => tracing::warn!(target: "livekit", stream, pid, "{line}"),
        LineLevel::Info => tracing::info!(target: "livekit", stream, pid, "{line}"),
        LineLevel::Debug => tracing::debug!(target: "livekit", stream, pid, "{line}"),
    }
}

/// Reads `reader` until EOF and emits every non-empty line.
pub async fn forward(reader: impl AsyncRead + Unpin, stream: &'static str, pid: u32) {
    let mut reader = BufReader::new(reader);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                buf.truncate(MAX_LINE);
                let text = String::from_utf8_lossy(&buf);
                let line = text.trim_end();
                if !line.is_empty() {
                    emit(stream, pid, line);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_come_from_the_line() {
        let console = "2024-05-01T10:00:00.000Z\tWARN\tlivekit\trtc/config.go:10\tno node ip";
        assert_eq!(line_level(console), LineLevel::Warn);
        assert_eq!(
            line_level("2024-05-01T10:00:00.000Z ERROR livekit boom"),
            LineLevel::Error
        );
        assert_eq!(
            line_level(r#"{"level":"debug","msg":"x"}"#),
            LineLevel::Debug
        );
        assert_eq!(
            line_level(r#"{"level":"fatal","msg":"x"}"#),
            LineLevel::Error
        );
        assert_eq!(line_level("starting LiveKit server"), LineLevel::Info);
        assert_eq!(
            line_level("a long line that mentions error much later on"),
            LineLevel::Info
        );
    }

    #[tokio::test]
    async fn forwarding_stops_at_eof() {
        let input: &[u8] = b"one\n\ntwo without newline";
        forward(input, "stdout", 1).await;
    }
}
