//! A minimal Twirp client for LiveKit's RoomService: protobuf bodies, Bearer server tokens,
//! Twirp JSON errors.

use std::time::Duration;

use bedrud_ports::media::MediaError;
use livekit_api::access_token::VideoGrants;
use prost::Message;
use serde::Deserialize;

use crate::tokens::service_token;

/// How long a service token is valid: long enough for clock skew, short enough to be
/// useless if logged.
const SERVICE_TOKEN_TTL: Duration = Duration::from_secs(600);

/// The RoomService endpoint prefix.
const ROOM_SERVICE: &str = "/twirp/livekit.RoomService/";

/// A Twirp error body (`{"code":"not_found","msg":"…"}`).
#[derive(Debug, Deserialize)]
struct TwirpError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    msg: String,
}

/// Calls RoomService methods on one LiveKit server.
#[derive(Clone)]
pub(crate) struct TwirpClient {
    base: String,
    api_key: String,
    api_secret: String,
    http: reqwest::Client,
}

impl TwirpClient {
    /// A client for `base` (http(s) or ws(s) URL of the LiveKit API).
    pub(crate) fn new(
        base: &str,
        api_key: &str,
        api_secret: &str,
        skip_tls_verify: bool,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        crate::install_tls_provider();
        let http = reqwest::Client::builder()
            .danger_accept_invalid_certs(skip_tls_verify)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .timeout(timeout)
            .build()?;
        Ok(TwirpClient {
            base: normalize_base(base),
            api_key: api_key.to_string(),
            api_secret: api_secret.to_string(),
            http,
        })
    }

    /// The base URL calls go to.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// Calls `RoomService/<method>` with a fresh token carrying only `grants`.
    pub(crate) async fn call<Req: Message, Resp: Message + Default>(
        &self,
        method: &str,
        request: &Req,
        grants: VideoGrants,
    ) -> Result<Resp, MediaError> {
        let token = service_token(&self.api_key, &self.api_secret, grants, SERVICE_TOKEN_TTL)?;
        let url = format!("{}{ROOM_SERVICE}{method}", self.base);
        let response = self
            .http
            .post(&url)
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/protobuf")
            .body(request.encode_to_vec())
            .send()
            .await
            .map_err(|e| unavailable(anyhow::Error::new(e).context(format!("LiveKit {method}"))))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| {
            unavailable(anyhow::Error::new(e).context(format!("LiveKit {method}: read reply")))
        })?;
        if status.is_success() {
            return Resp::decode(body).map_err(|e| {
                unavailable(
                    anyhow::Error::new(e).context(format!("LiveKit {method}: decode reply")),
                )
            });
        }
        Err(error_from_reply(method, status, &body))
    }
}

/// Maps a non-2xx Twirp reply: `not_found` → `NotFound`, anything else → `Unavailable`.
fn error_from_reply(method: &str, status: reqwest::StatusCode, body: &[u8]) -> MediaError {
    match serde_json::from_slice::<TwirpError>(body) {
        Ok(err) if err.code == "not_found" => MediaError::NotFound,
        Ok(err) => unavailable(anyhow::anyhow!(
            "LiveKit {method}: HTTP {status}, twirp {}: {}",
            err.code,
            err.msg
        )),
        Err(_) => unavailable(anyhow::anyhow!(
            "LiveKit {method}: HTTP {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        )),
    }
}

fn unavailable(e: anyhow::Error) -> MediaError {
    MediaError::Unavailable(e)
}

/// `ws(s)://` becomes `http(s)://` (LiveKit URLs are often given as signalling URLs); no
/// trailing slash.
fn normalize_base(base: &str) -> String {
    let base = base.trim();
    let base = if let Some(rest) = base.strip_prefix("wss://") {
        format!("https://{rest}")
    } else if let Some(rest) = base.strip_prefix("ws://") {
        format!("http://{rest}")
    } else {
        base.to_string()
    };
    base.trim_end_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_normalized() {
        assert_eq!(
            normalize_base("ws://127.0.0.1:7880/"),
            "http://127.0.0.1:7880"
        );
        assert_eq!(
            normalize_base("wss://lk.example.com"),
            "https://lk.example.com"
        );
        assert_eq!(
            normalize_base("http://127.0.0.1:7880"),
            "http://127.0.0.1:7880"
        );
        assert_eq!(
            normalize_base("https://lk.example.com/base//"),
            "https://lk.example.com/base"
        );
    }

    #[test]
    fn twirp_errors_are_mapped() {
        let nf = error_from_reply(
            "GetParticipant",
            reqwest::StatusCode::NOT_FOUND,
            br#"{"code":"not_found","msg":"participant not found"}"#,
        );
        assert!(matches!(nf, MediaError::NotFound));
        let other = error_from_reply(
            "GetParticipant",
            reqwest::StatusCode::UNAUTHORIZED,
            br#"{"code":"unauthenticated","msg":"bad token"}"#,
        );
        assert!(matches!(other, MediaError::Unavailable(_)));
        assert!(format!("{:#}", anyhow_of(other)).contains("unauthenticated"));
        let garbage = error_from_reply("ListRooms", reqwest::StatusCode::BAD_GATEWAY, b"<html>");
        assert!(matches!(garbage, MediaError::Unavailable(_)));
    }

    fn anyhow_of(e: MediaError) -> anyhow::Error {
        match e {
            MediaError::Unavailable(e) => e,
            other => anyhow::anyhow!("{other}"),
        }
    }
}
