//! LiveKit webhook deliveries: signature check and event parsing (API §3.7, §6.3).

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use bedrud_ports::media::{WebhookError, WebhookEvent, WebhookVerifier};
use livekit_api::access_token::TokenVerifier;
use livekit_protocol as proto;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Standard base64, padded or not (LiveKit pads; be lenient about it).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Verifies webhook JWTs with the API key and secret and parses the events.
#[derive(Clone)]
pub struct LivekitWebhooks {
    api_key: String,
    api_secret: String,
}

impl std::fmt::Debug for LivekitWebhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LivekitWebhooks")
            .field("api_key", &self.api_key)
            .finish_non_exhaustive()
    }
}

impl LivekitWebhooks {
    /// A verifier for `api_key`/`api_secret`; with either empty every delivery is
    /// `NotConfigured`.
    pub fn new(api_key: impl Into<String>, api_secret: impl Into<String>) -> Self {
        LivekitWebhooks {
            api_key: api_key.into(),
            api_secret: api_secret.into(),
        }
    }
}

impl WebhookVerifier for LivekitWebhooks {
    fn verify(&self, body: &str, authorization: &str) -> Result<WebhookEvent, WebhookError> {
        if self.api_key.is_empty() || self.api_secret.is_empty() {
            return Err(WebhookError::NotConfigured);
        }
        let token = strip_bearer(authorization);
        if token.is_empty() {
            return Err(WebhookError::BadSignature);
        }
        // HS256 with the secret, issuer = API key, exp/nbf checked.
        let claims = TokenVerifier::with_api_key(&self.api_key, &self.api_secret)
            .verify(token)
            .map_err(|_| WebhookError::BadSignature)?;
        let claimed = BASE64
            .decode(claims.sha256.trim())
            .map_err(|_| WebhookError::BadSignature)?;
        let actual = Sha256::digest(body.as_bytes());
        // ct_eq on slices of different lengths is false without leaking where they differ.
        if !bool::from(claimed.as_slice().ct_eq(actual.as_slice())) {
            return Err(WebhookError::BadSignature);
        }
        parse_event(body)
    }
}

/// The token from an `Authorization` value, with or without a `Bearer ` prefix.
fn strip_bearer(authorization: &str) -> &str {
    let value = authorization.trim();
    match value.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => value[7..].trim_start(),
        _ => value,
    }
}

/// Parses a webhook body with the protobuf JSON mapping into the port's event.
fn parse_event(body: &str) -> Result<WebhookEvent, WebhookError> {
    let event = match serde_json::from_str::<proto::WebhookEvent>(body) {
        Ok(event) => from_proto(event),
        Err(strict) => {
            // A newer LiveKit may send enum values this protocol version does not know; the
            // fields we read are plain strings and bools, so read them directly instead.
            let value: serde_json::Value =
                serde_json::from_str(body).map_err(|_| WebhookError::BadPayload)?;
            let event = from_json(&value).ok_or(WebhookError::BadPayload)?;
            tracing::debug!(error = %strict, "webhook body read leniently");
            event
        }
    };
    if event.event.is_empty() {
        return Err(WebhookError::BadPayload);
    }
    Ok(event)
}

/// The port's event from the typed protobuf message.
fn from_proto(event: proto::WebhookEvent) -> WebhookEvent {
    let participant = event.participant;
    WebhookEvent {
        event: event.event,
        room_name: event.room.map(|r| r.name).filter(|n| !n.is_empty()),
        participant_hidden: participant
            .as_ref()
            .and_then(|p| p.permission.as_ref())
            .is_some_and(|p| p.hidden),
        participant_identity: participant
            .as_ref()
            .map(|p| p.identity.clone())
            .filter(|s| !s.is_empty()),
        participant_name: participant.map(|p| p.name).filter(|s| !s.is_empty()),
    }
}

/// The port's event read field by field (every field we read has the same name in camelCase
/// and snake_case); `None` when the shape is not an event.
fn from_json(value: &serde_json::Value) -> Option<WebhookEvent> {
    let obj = value.as_object()?;
    let event = obj.get("event")?.as_str()?.to_string();
    let text = |v: Option<&serde_json::Value>, key: &str| -> Option<Option<String>> {
        match v.and_then(|v| v.get(key)) {
            None | Some(serde_json::Value::Null) => Some(None),
            Some(serde_json::Value::String(s)) => Some(Some(s.clone()).filter(|s| !s.is_empty())),
            Some(_) => None,
        }
    };
    let object = |key: &str| -> Option<Option<&serde_json::Value>> {
        match obj.get(key) {
            None | Some(serde_json::Value::Null) => Some(None),
            Some(v @ serde_json::Value::Object(_)) => Some(Some(v)),
            Some(_) => None,
        }
    };
    let room = object("room")?;
    let participant = object("participant")?;
    let hidden = match participant
        .and_then(|p| p.get("permission"))
        .and_then(|p| p.get("hidden"))
    {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::Bool(b)) => *b,
        Some(_) => return None,
    };
    Some(WebhookEvent {
        event,
        room_name: text(room, "name")?,
        participant_identity: text(participant, "identity")?,
        participant_name: text(participant, "name")?,
        participant_hidden: hidden,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use livekit_api::access_token::AccessToken;
    use std::time::Duration;

    const KEY: &str = "APIwebhook";
    const SECRET: &str = "webhook-secret-webhook-secret-0123456789";

    fn sign(key: &str, secret: &str, body: &str) -> String {
        crate::test_support::crypto();
        let hash =
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body.as_bytes()));
        AccessToken::with_api_key(key, secret)
            .with_ttl(Duration::from_secs(300))
            .with_sha256(&hash)
            .to_jwt()
            .unwrap()
    }

    fn verifier() -> LivekitWebhooks {
        LivekitWebhooks::new(KEY, SECRET)
    }

    const CAMEL: &str = r#"{
        "event": "participant_joined",
        "room": {"sid": "RM_1", "name": "abc-defg-hij", "emptyTimeout": 300, "creationTime": "1700000000", "numParticipants": 1},
        "participant": {"sid": "PA_1", "identity": "u-1", "name": "Ann", "state": "ACTIVE",
            "joinedAt": "1700000001", "kind": "STANDARD",
            "permission": {"canSubscribe": true, "canPublish": true, "canPublishSources": ["CAMERA", "MICROPHONE"], "hidden": false},
            "tracks": [{"sid": "TR_1", "type": "AUDIO", "source": "MICROPHONE", "muted": false}]},
        "id": "EV_1",
        "createdAt": "1700000002",
        "someFutureField": {"x": 1}
    }"#;

    const SNAKE: &str = r#"{
        "event": "participant_left",
        "room": {"sid": "RM_1", "name": "abc-defg-hij", "empty_timeout": 300, "creation_time": 1700000000},
        "participant": {"identity": "bot", "name": "", "joined_at": "1700000001",
            "permission": {"can_subscribe": true, "can_publish_sources": ["SCREEN_SHARE"], "hidden": true}},
        "created_at": 1700000002,
        "unknown_field": "ignored"
    }"#;

    #[test]
    fn camel_case_event_with_bearer() {
        let auth = format!("Bearer {}", sign(KEY, SECRET, CAMEL));
        let event = verifier().verify(CAMEL, &auth).unwrap();
        assert_eq!(
            event,
            WebhookEvent {
                event: "participant_joined".into(),
                room_name: Some("abc-defg-hij".into()),
                participant_identity: Some("u-1".into()),
                participant_name: Some("Ann".into()),
                participant_hidden: false,
            }
        );
    }

    #[test]
    fn snake_case_event_without_bearer() {
        let auth = sign(KEY, SECRET, SNAKE);
        let event = verifier().verify(SNAKE, &auth).unwrap();
        assert_eq!(event.event, "participant_left");
        assert_eq!(event.room_name.as_deref(), Some("abc-defg-hij"));
        assert_eq!(event.participant_identity.as_deref(), Some("bot"));
        assert_eq!(event.participant_name, None);
        assert!(event.participant_hidden);
    }

    #[test]
    fn livekit_bodies_take_the_typed_path() {
        // Both casings, enum names and 64-bit strings go through the protobuf JSON mapping.
        for body in [CAMEL, SNAKE] {
            let event: proto::WebhookEvent = serde_json::from_str(body).unwrap();
            assert!(event.participant.is_some());
        }
        let event: proto::WebhookEvent = serde_json::from_str(CAMEL).unwrap();
        assert_eq!(event.created_at, 1_700_000_002);
    }

    #[test]
    fn room_event_without_participant() {
        let body = r#"{"event":"room_finished","room":{"name":"r1"},"roomEndReason":"ROOM_END_REASON_UNKNOWN"}"#;
        let event = verifier().verify(body, &sign(KEY, SECRET, body)).unwrap();
        assert_eq!(event.event, "room_finished");
        assert_eq!(event.room_name.as_deref(), Some("r1"));
        assert_eq!(event.participant_identity, None);
        assert!(!event.participant_hidden);
    }

    #[test]
    fn unknown_enum_value_is_read_leniently() {
        let body = r#"{"event":"participant_joined","room":{"name":"r1"},
            "participant":{"identity":"u","name":"N","kind":"SOMETHING_NEW","permission":{"hidden":true}}}"#;
        let event = verifier().verify(body, &sign(KEY, SECRET, body)).unwrap();
        assert_eq!(event.participant_identity.as_deref(), Some("u"));
        assert!(event.participant_hidden);
    }

    #[test]
    fn wrong_secret_is_bad_signature() {
        let auth = sign(KEY, "another-secret-another-secret-0123456", CAMEL);
        assert!(matches!(
            verifier().verify(CAMEL, &auth),
            Err(WebhookError::BadSignature)
        ));
    }

    #[test]
    fn wrong_issuer_is_bad_signature() {
        let auth = sign("APIother", SECRET, CAMEL);
        assert!(matches!(
            verifier().verify(CAMEL, &auth),
            Err(WebhookError::BadSignature)
        ));
    }

    #[test]
    fn wrong_body_hash_is_bad_signature() {
        let auth = sign(KEY, SECRET, CAMEL);
        let tampered = CAMEL.replace("u-1", "u-2");
        assert!(matches!(
            verifier().verify(&tampered, &auth),
            Err(WebhookError::BadSignature)
        ));
    }

    #[test]
    fn missing_or_garbage_token_is_bad_signature() {
        for auth in ["", "Bearer ", "Bearer not.a.jwt", "garbage"] {
            assert!(
                matches!(
                    verifier().verify(CAMEL, auth),
                    Err(WebhookError::BadSignature)
                ),
                "{auth:?}"
            );
        }
    }

    #[test]
    fn token_without_sha256_is_bad_signature() {
        crate::test_support::crypto();
        let auth = AccessToken::with_api_key(KEY, SECRET).to_jwt().unwrap();
        assert!(matches!(
            verifier().verify(CAMEL, &auth),
            Err(WebhookError::BadSignature)
        ));
    }

    #[test]
    fn expired_token_is_bad_signature() {
        crate::test_support::crypto();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as usize;
        let claims = livekit_api::access_token::Claims {
            iss: KEY.into(),
            nbf: now - 7200,
            exp: now - 3600,
            sha256: base64::engine::general_purpose::STANDARD
                .encode(Sha256::digest(CAMEL.as_bytes())),
            ..Default::default()
        };
        let auth = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        assert!(matches!(
            verifier().verify(CAMEL, &auth),
            Err(WebhookError::BadSignature)
        ));
    }

    #[test]
    fn not_configured() {
        let auth = sign(KEY, SECRET, CAMEL);
        for v in [
            LivekitWebhooks::new("", SECRET),
            LivekitWebhooks::new(KEY, ""),
            LivekitWebhooks::new("", ""),
        ] {
            assert!(matches!(
                v.verify(CAMEL, &auth),
                Err(WebhookError::NotConfigured)
            ));
        }
    }

    #[test]
    fn bad_payloads() {
        for body in [
            "",
            "not json",
            "[]",
            "{}",
            r#"{"event":""}"#,
            r#"{"event":5}"#,
            r#"{"event":"room_started","room":"r1"}"#,
            r#"{"event":"participant_joined","participant":{"identity":7}}"#,
        ] {
            let auth = sign(KEY, SECRET, body);
            assert!(
                matches!(
                    verifier().verify(body, &auth),
                    Err(WebhookError::BadPayload)
                ),
                "{body:?}"
            );
        }
    }

    #[test]
    fn bearer_prefix_is_case_insensitive_and_trimmed() {
        assert_eq!(strip_bearer("Bearer abc"), "abc");
        assert_eq!(strip_bearer("bearer  abc "), "abc");
        assert_eq!(strip_bearer("abc"), "abc");
        assert_eq!(strip_bearer(" abc"), "abc");
    }
}
