//! Translation between the media ports' types and LiveKit's grants and protobuf messages.

use bedrud_ports::media::{MediaParticipant, MediaPermission, MediaRoom, MediaTrack, TrackSource};
use livekit_api::access_token::VideoGrants;
use livekit_protocol as proto;

/// The name LiveKit uses for a track source in `canPublishSources`.
pub fn track_source_name(source: TrackSource) -> &'static str {
    match source {
        TrackSource::Camera => "camera",
        TrackSource::Microphone => "microphone",
        TrackSource::ScreenShare => "screen_share",
        TrackSource::ScreenShareAudio => "screen_share_audio",
    }
}

/// The protobuf enum value of a track source.
fn track_source_to_proto(source: TrackSource) -> proto::TrackSource {
    match source {
        TrackSource::Camera => proto::TrackSource::Camera,
        TrackSource::Microphone => proto::TrackSource::Microphone,
        TrackSource::ScreenShare => proto::TrackSource::ScreenShare,
        TrackSource::ScreenShareAudio => proto::TrackSource::ScreenShareAudio,
    }
}

/// A track source from its protobuf enum value (`None` for unknown or unset).
pub fn track_source_from_proto(value: i32) -> Option<TrackSource> {
    match proto::TrackSource::try_from(value).ok()? {
        proto::TrackSource::Camera => Some(TrackSource::Camera),
        proto::TrackSource::Microphone => Some(TrackSource::Microphone),
        proto::TrackSource::ScreenShare => Some(TrackSource::ScreenShare),
        proto::TrackSource::ScreenShareAudio => Some(TrackSource::ScreenShareAudio),
        proto::TrackSource::Unknown => None,
    }
}

/// The in-room part of a video grant (publish, subscribe, data, sources, metadata, hidden).
pub fn video_grants(permission: &MediaPermission) -> VideoGrants {
    VideoGrants {
        can_publish: Some(permission.can_publish),
        can_subscribe: Some(permission.can_subscribe),
        can_publish_data: Some(permission.can_publish_data),
        can_publish_sources: permission
            .can_publish_sources
            .iter()
            .map(|s| track_source_name(*s).to_string())
            .collect(),
        can_update_own_metadata: Some(permission.can_update_metadata),
        hidden: permission.hidden,
        ..VideoGrants::default()
    }
}

/// LiveKit's `ParticipantPermission` for `UpdateParticipant`.
pub fn permission_to_proto(permission: &MediaPermission) -> proto::ParticipantPermission {
    proto::ParticipantPermission {
        can_subscribe: permission.can_subscribe,
        can_publish: permission.can_publish,
        can_publish_data: permission.can_publish_data,
        can_publish_sources: permission
            .can_publish_sources
            .iter()
            .map(|s| track_source_to_proto(*s) as i32)
            .collect(),
        hidden: permission.hidden,
        can_update_metadata: permission.can_update_metadata,
        ..Default::default()
    }
}

/// A connected participant as the ports describe it.
pub(crate) fn participant_from_proto(info: proto::ParticipantInfo) -> MediaParticipant {
    MediaParticipant {
        hidden: info.permission.as_ref().is_some_and(|p| p.hidden),
        identity: info.identity,
        name: info.name,
        metadata: info.metadata,
        tracks: info
            .tracks
            .into_iter()
            .map(|t| MediaTrack {
                source: track_source_from_proto(t.source),
                sid: t.sid,
                muted: t.muted,
            })
            .collect(),
    }
}

/// A running room as the ports describe it.
pub(crate) fn room_from_proto(room: proto::Room) -> MediaRoom {
    MediaRoom {
        name: room.name,
        num_participants: room.num_participants,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_round_trip() {
        for s in [
            TrackSource::Camera,
            TrackSource::Microphone,
            TrackSource::ScreenShare,
            TrackSource::ScreenShareAudio,
        ] {
            assert_eq!(
                track_source_from_proto(track_source_to_proto(s) as i32),
                Some(s)
            );
        }
        assert_eq!(track_source_from_proto(0), None);
        assert_eq!(track_source_from_proto(99), None);
    }

    #[test]
    fn permission_maps_every_field() {
        let p = MediaPermission {
            can_subscribe: true,
            can_publish: true,
            can_publish_data: false,
            can_publish_sources: vec![TrackSource::Microphone, TrackSource::ScreenShareAudio],
            can_update_metadata: false,
            hidden: true,
        };
        let proto = permission_to_proto(&p);
        assert!(proto.can_subscribe && proto.can_publish && !proto.can_publish_data);
        assert_eq!(proto.can_publish_sources, vec![2, 4]);
        assert!(proto.hidden && !proto.can_update_metadata);
    }

    #[test]
    fn participant_reads_hidden_and_tracks() {
        let info = proto::ParticipantInfo {
            identity: "u1".into(),
            name: "Ann".into(),
            metadata: "{}".into(),
            permission: Some(proto::ParticipantPermission {
                hidden: true,
                ..Default::default()
            }),
            tracks: vec![proto::TrackInfo {
                sid: "TR_1".into(),
                source: proto::TrackSource::Camera as i32,
                muted: true,
                ..Default::default()
            }],
            ..Default::default()
        };
        let p = participant_from_proto(info);
        assert_eq!(p.identity, "u1");
        assert!(p.hidden);
        assert_eq!(
            p.tracks,
            vec![MediaTrack {
                sid: "TR_1".into(),
                source: Some(TrackSource::Camera),
                muted: true
            }]
        );
    }
}
