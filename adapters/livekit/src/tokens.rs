//! Join tokens (API §6.1).

use std::time::Duration;

use bedrud_ports::media::{JoinGrant, MediaError, MediaTokens};
use livekit_api::access_token::{AccessToken, VideoGrants};

use crate::convert::video_grants;

/// Signs LiveKit join tokens with the API key and secret.
#[derive(Clone)]
pub struct LivekitTokens {
    api_key: String,
    api_secret: String,
}

impl std::fmt::Debug for LivekitTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LivekitTokens")
            .field("api_key", &self.api_key)
            .finish_non_exhaustive()
    }
}

impl LivekitTokens {
    /// A signer for `api_key`/`api_secret`; with either empty every call is `Disabled`.
    pub fn new(api_key: impl Into<String>, api_secret: impl Into<String>) -> Self {
        LivekitTokens {
            api_key: api_key.into(),
            api_secret: api_secret.into(),
        }
    }

    /// Whether both the key and the secret are set.
    pub fn is_configured(&self) -> bool {
        !self.api_key.is_empty() && !self.api_secret.is_empty()
    }
}

impl MediaTokens for LivekitTokens {
    fn join_token(&self, grant: &JoinGrant) -> Result<String, MediaError> {
        if !self.is_configured() {
            return Err(MediaError::Disabled);
        }
        let grants = VideoGrants {
            room_join: true,
            room: grant.room.clone(),
            room_admin: grant.room_admin,
            recorder: grant.recorder,
            ..video_grants(&grant.permission)
        };
        AccessToken::with_api_key(&self.api_key, &self.api_secret)
            .with_identity(&grant.identity)
            .with_name(&grant.name)
            .with_metadata(&grant.metadata)
            .with_ttl(Duration::from_secs(grant.ttl_secs))
            .with_grants(grants)
            .to_jwt()
            .map_err(|e| {
                MediaError::Unavailable(anyhow::Error::new(e).context("sign LiveKit join token"))
            })
    }
}

/// A fresh server token carrying only `grants`, valid for `ttl` (RoomService calls).
pub(crate) fn service_token(
    api_key: &str,
    api_secret: &str,
    grants: VideoGrants,
    ttl: Duration,
) -> Result<String, MediaError> {
    AccessToken::with_api_key(api_key, api_secret)
        .with_ttl(ttl)
        .with_grants(grants)
        .to_jwt()
        .map_err(|e| {
            MediaError::Unavailable(anyhow::Error::new(e).context("sign LiveKit service token"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrud_ports::media::{MediaPermission, TrackSource};
    use livekit_api::access_token::TokenVerifier;

    const KEY: &str = "APIkey123";
    const SECRET: &str = "a-secret-that-is-at-least-32-bytes-long";

    fn grant() -> JoinGrant {
        JoinGrant {
            room: "abc-defg-hij".into(),
            identity: "6f1c0c1e-0000-4000-8000-000000000001".into(),
            name: "Ann".into(),
            metadata: r#"{"roomRole":"admin"}"#.into(),
            permission: MediaPermission {
                can_subscribe: true,
                can_publish: true,
                can_publish_data: true,
                can_publish_sources: vec![
                    TrackSource::Microphone,
                    TrackSource::Camera,
                    TrackSource::ScreenShare,
                    TrackSource::ScreenShareAudio,
                ],
                can_update_metadata: false,
                hidden: false,
            },
            room_admin: false,
            recorder: false,
            ttl_secs: 7200,
        }
    }

    #[test]
    fn join_token_claims_carry_the_grant() {
        crate::test_support::crypto();
        let token = LivekitTokens::new(KEY, SECRET)
            .join_token(&grant())
            .unwrap();
        let claims = TokenVerifier::with_api_key(KEY, SECRET)
            .verify(&token)
            .unwrap();
        assert_eq!(claims.iss, KEY);
        assert_eq!(claims.sub, "6f1c0c1e-0000-4000-8000-000000000001");
        assert_eq!(claims.name, "Ann");
        assert_eq!(claims.metadata, r#"{"roomRole":"admin"}"#);
        let ttl = claims.exp - claims.nbf;
        assert!((7199..=7201).contains(&ttl), "ttl {ttl}");
        let v = claims.video;
        assert!(v.room_join);
        assert_eq!(v.room, "abc-defg-hij");
        assert_eq!(v.can_subscribe, Some(true));
        assert_eq!(v.can_publish, Some(true));
        assert_eq!(v.can_publish_data, Some(true));
        assert_eq!(v.can_update_own_metadata, Some(false));
        assert_eq!(
            v.can_publish_sources,
            vec!["microphone", "camera", "screen_share", "screen_share_audio"]
        );
        assert!(!v.hidden && !v.room_admin && !v.recorder && !v.room_create && !v.room_list);
    }

    #[test]
    fn join_token_json_uses_livekit_claim_names() {
        crate::test_support::crypto();
        let mut g = grant();
        g.permission.can_publish = false;
        g.permission.can_publish_sources.clear();
        g.permission.can_publish_data = false;
        let token = LivekitTokens::new(KEY, SECRET).join_token(&g).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        use base64::Engine;
        let json: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        let video = &json["video"];
        assert_eq!(video["roomJoin"], true);
        assert_eq!(video["room"], "abc-defg-hij");
        // false must be explicit: an absent canPublish means "true" to LiveKit.
        assert_eq!(video["canPublish"], false);
        assert_eq!(video["canPublishData"], false);
        assert_eq!(video["canSubscribe"], true);
        assert_eq!(video["canUpdateOwnMetadata"], false);
        assert!(video.get("canPublishSources").is_none());
        assert_eq!(json["sub"], "6f1c0c1e-0000-4000-8000-000000000001");
    }

    #[test]
    fn admin_token_is_hidden_recorder_room_admin() {
        crate::test_support::crypto();
        let mut g = grant();
        g.permission.hidden = true;
        g.room_admin = true;
        g.recorder = true;
        g.ttl_secs = 600;
        let token = LivekitTokens::new(KEY, SECRET).join_token(&g).unwrap();
        let claims = TokenVerifier::with_api_key(KEY, SECRET)
            .verify(&token)
            .unwrap();
        assert!(claims.video.hidden && claims.video.room_admin && claims.video.recorder);
        assert!((599..=601).contains(&(claims.exp - claims.nbf)));
    }

    #[test]
    fn token_from_other_secret_does_not_verify() {
        crate::test_support::crypto();
        let token = LivekitTokens::new(KEY, SECRET)
            .join_token(&grant())
            .unwrap();
        assert!(
            TokenVerifier::with_api_key(KEY, "another-secret-another-secret-xx")
                .verify(&token)
                .is_err()
        );
    }

    #[test]
    fn empty_keys_are_disabled() {
        for (k, s) in [("", SECRET), (KEY, ""), ("", "")] {
            let err = LivekitTokens::new(k, s).join_token(&grant()).unwrap_err();
            assert!(matches!(err, MediaError::Disabled), "{err:?}");
        }
    }

    #[test]
    fn service_token_carries_only_its_grant() {
        crate::test_support::crypto();
        let grants = VideoGrants {
            room_admin: true,
            room: "r".into(),
            ..Default::default()
        };
        let token = service_token(KEY, SECRET, grants.clone(), Duration::from_secs(600)).unwrap();
        let claims = TokenVerifier::with_api_key(KEY, SECRET)
            .verify(&token)
            .unwrap();
        assert_eq!(claims.video, grants);
        assert!(claims.exp - claims.nbf <= 600);
    }
}
