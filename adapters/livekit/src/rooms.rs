//! LiveKit's RoomService behind the `MediaServer` port (API §6.2).

use std::time::Duration;

use async_trait::async_trait;
use bedrud_ports::media::{MediaError, MediaParticipant, MediaPermission, MediaRoom, MediaServer};
use livekit_api::access_token::VideoGrants;
use livekit_protocol as proto;

use crate::convert::{participant_from_proto, permission_to_proto, room_from_proto};
use crate::twirp::TwirpClient;

/// Default per-call timeout (connect + request + reply).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// RoomService calls against one LiveKit server, or nothing when disabled.
#[derive(Clone)]
pub struct LivekitRooms {
    client: Option<TwirpClient>,
}

impl std::fmt::Debug for LivekitRooms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LivekitRooms")
            .field("base", &self.client.as_ref().map(TwirpClient::base))
            .finish()
    }
}

impl LivekitRooms {
    /// RoomService at `internal_host` (http(s):// or ws(s)://) with a 10 s per-call timeout.
    /// With an empty host, key or secret the result is [`LivekitRooms::disabled`].
    /// Errors: the HTTP client cannot be built (TLS set-up).
    pub fn new(
        internal_host: &str,
        api_key: &str,
        api_secret: &str,
        skip_tls_verify: bool,
    ) -> anyhow::Result<Self> {
        Self::with_timeout(
            internal_host,
            api_key,
            api_secret,
            skip_tls_verify,
            DEFAULT_TIMEOUT,
        )
    }

    /// Like [`LivekitRooms::new`] with an explicit per-call timeout.
    pub fn with_timeout(
        internal_host: &str,
        api_key: &str,
        api_secret: &str,
        skip_tls_verify: bool,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        if internal_host.trim().is_empty() || api_key.is_empty() || api_secret.is_empty() {
            return Ok(Self::disabled());
        }
        let client =
            TwirpClient::new(internal_host, api_key, api_secret, skip_tls_verify, timeout)?;
        Ok(LivekitRooms {
            client: Some(client),
        })
    }

    /// A media server that answers every call with `MediaError::Disabled`.
    pub fn disabled() -> Self {
        LivekitRooms { client: None }
    }

    /// Whether calls are made at all.
    pub fn is_enabled(&self) -> bool {
        self.client.is_some()
    }

    fn client(&self) -> Result<&TwirpClient, MediaError> {
        self.client.as_ref().ok_or(MediaError::Disabled)
    }
}

/// roomCreate (CreateRoom, DeleteRoom).
fn room_create() -> VideoGrants {
    VideoGrants {
        room_create: true,
        ..VideoGrants::default()
    }
}

/// roomList (ListRooms).
fn room_list() -> VideoGrants {
    VideoGrants {
        room_list: true,
        ..VideoGrants::default()
    }
}

/// roomAdmin + room (every per-room call).
fn room_admin(room: &str) -> VideoGrants {
    VideoGrants {
        room_admin: true,
        room: room.to_string(),
        ..VideoGrants::default()
    }
}

#[async_trait]
impl MediaServer for LivekitRooms {
    async fn create_room(&self, name: &str, max_participants: u32) -> Result<(), MediaError> {
        let request = proto::CreateRoomRequest {
            name: name.to_string(),
            max_participants,
            ..Default::default()
        };
        let _: proto::Room = self
            .client()?
            .call("CreateRoom", &request, room_create())
            .await?;
        Ok(())
    }

    async fn delete_room(&self, name: &str) -> Result<(), MediaError> {
        let request = proto::DeleteRoomRequest {
            room: name.to_string(),
        };
        let _: proto::DeleteRoomResponse = self
            .client()?
            .call("DeleteRoom", &request, room_create())
            .await?;
        Ok(())
    }

    async fn list_rooms(&self) -> Result<Vec<MediaRoom>, MediaError> {
        let request = proto::ListRoomsRequest { names: Vec::new() };
        let reply: proto::ListRoomsResponse = self
            .client()?
            .call("ListRooms", &request, room_list())
            .await?;
        Ok(reply.rooms.into_iter().map(room_from_proto).collect())
    }

    async fn list_participants(&self, room: &str) -> Result<Vec<MediaParticipant>, MediaError> {
        let request = proto::ListParticipantsRequest {
            room: room.to_string(),
        };
        let reply: proto::ListParticipantsResponse = self
            .client()?
            .call("ListParticipants", &request, room_admin(room))
            .await?;
        Ok(reply
            .participants
            .into_iter()
            .map(participant_from_proto)
            .collect())
    }

    async fn get_participant(
        &self,
        room: &str,
        identity: &str,
    ) -> Result<MediaParticipant, MediaError> {
        let request = proto::RoomParticipantIdentity {
            room: room.to_string(),
            identity: identity.to_string(),
            ..Default::default()
        };
        let reply: proto::ParticipantInfo = self
            .client()?
            .call("GetParticipant", &request, room_admin(room))
            .await?;
        Ok(participant_from_proto(reply))
    }

    async fn remove_participant(&self, room: &str, identity: &str) -> Result<(), MediaError> {
        let request = proto::RoomParticipantIdentity {
            room: room.to_string(),
            identity: identity.to_string(),
            ..Default::default()
        };
        let _: proto::RemoveParticipantResponse = self
            .client()?
            .call("RemoveParticipant", &request, room_admin(room))
            .await?;
        Ok(())
    }

    async fn mute_track(
        &self,
        room: &str,
        identity: &str,
        track_sid: &str,
        muted: bool,
    ) -> Result<(), MediaError> {
        let request = proto::MuteRoomTrackRequest {
            room: room.to_string(),
            identity: identity.to_string(),
            track_sid: track_sid.to_string(),
            muted,
        };
        let _: proto::MuteRoomTrackResponse = self
            .client()?
            .call("MutePublishedTrack", &request, room_admin(room))
            .await?;
        Ok(())
    }

    async fn update_participant(
        &self,
        room: &str,
        identity: &str,
        metadata: Option<String>,
        permission: Option<MediaPermission>,
    ) -> Result<(), MediaError> {
        let request = proto::UpdateParticipantRequest {
            room: room.to_string(),
            identity: identity.to_string(),
            // LiveKit leaves the metadata alone when the field is empty.
            metadata: metadata.unwrap_or_default(),
            permission: permission.as_ref().map(permission_to_proto),
            ..Default::default()
        };
        let _: proto::ParticipantInfo = self
            .client()?
            .call("UpdateParticipant", &request, room_admin(room))
            .await?;
        Ok(())
    }

    async fn send_data(&self, room: &str, topic: &str, payload: Vec<u8>) -> Result<(), MediaError> {
        let request = proto::SendDataRequest {
            room: room.to_string(),
            data: payload,
            kind: proto::data_packet::Kind::Reliable as i32,
            topic: Some(topic.to_string()),
            // LiveKit drops repeated deliveries of one nonce.
            nonce: rand::random::<[u8; 16]>().to_vec(),
            ..Default::default()
        };
        let _: proto::SendDataResponse = self
            .client()?
            .call("SendData", &request, room_admin(room))
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn disabled_answers_disabled_everywhere() {
        let rooms = LivekitRooms::disabled();
        assert!(!rooms.is_enabled());
        assert!(matches!(
            rooms.create_room("r", 5).await,
            Err(MediaError::Disabled)
        ));
        assert!(matches!(
            rooms.delete_room("r").await,
            Err(MediaError::Disabled)
        ));
        assert!(matches!(
            rooms.list_rooms().await,
            Err(MediaError::Disabled)
        ));
        assert!(matches!(
            rooms.list_participants("r").await,
            Err(MediaError::Disabled)
        ));
        assert!(matches!(
            rooms.get_participant("r", "u").await,
            Err(MediaError::Disabled)
        ));
        assert!(matches!(
            rooms.remove_participant("r", "u").await,
            Err(MediaError::Disabled)
        ));
        assert!(matches!(
            rooms.mute_track("r", "u", "TR", true).await,
            Err(MediaError::Disabled)
        ));
        assert!(matches!(
            rooms.update_participant("r", "u", None, None).await,
            Err(MediaError::Disabled)
        ));
        assert!(matches!(
            rooms.send_data("r", "system", vec![1]).await,
            Err(MediaError::Disabled)
        ));
    }

    #[test]
    fn missing_settings_mean_disabled() {
        assert!(!LivekitRooms::new("", "k", "s", false).unwrap().is_enabled());
        assert!(
            !LivekitRooms::new("http://127.0.0.1:1", "", "s", false)
                .unwrap()
                .is_enabled()
        );
        assert!(
            !LivekitRooms::new("http://127.0.0.1:1", "k", "", false)
                .unwrap()
                .is_enabled()
        );
        assert!(
            LivekitRooms::new("http://127.0.0.1:1", "k", "s", true)
                .unwrap()
                .is_enabled()
        );
    }

    #[tokio::test]
    async fn unreachable_server_is_unavailable() {
        crate::test_support::crypto();
        // Port 1 on loopback refuses connections.
        let rooms = LivekitRooms::with_timeout(
            "http://127.0.0.1:1",
            "k",
            "secret",
            false,
            Duration::from_secs(2),
        )
        .unwrap();
        assert!(matches!(
            rooms.list_rooms().await,
            Err(MediaError::Unavailable(_))
        ));
    }
}
