//! The fake's in-memory LiveKit: rooms, participants and their tracks, and the RoomService
//! semantics over them.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use livekit_protocol as proto;

use super::{FakeParticipant, TwirpError};

/// One room and who is in it.
#[derive(Debug, Clone, Default)]
pub(crate) struct RoomState {
    pub room: proto::Room,
    /// In join order.
    pub participants: Vec<proto::ParticipantInfo>,
    /// Every `SendData` the room received.
    pub data: Vec<proto::SendDataRequest>,
}

/// What a change to the model means for webhook listeners.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    RoomStarted(proto::Room),
    RoomFinished(proto::Room),
    Joined(proto::Room, proto::ParticipantInfo),
    Left(proto::Room, proto::ParticipantInfo),
}

/// Every room the fake knows.
#[derive(Debug, Default)]
pub(crate) struct Model {
    pub rooms: BTreeMap<String, RoomState>,
    next_id: u64,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

impl Model {
    fn sid(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}_{:012}", self.next_id)
    }

    fn with_count(state: &RoomState) -> proto::Room {
        let mut room = state.room.clone();
        room.num_participants = state.participants.len() as u32;
        room.num_publishers = state
            .participants
            .iter()
            .filter(|p| !p.tracks.is_empty())
            .count() as u32;
        room
    }

    /// Opens `name` if it is not running; the bool says whether it was new.
    fn open(&mut self, name: &str) -> bool {
        if self.rooms.contains_key(name) {
            return false;
        }
        let sid = self.sid("RM");
        let room = proto::Room {
            sid,
            name: name.to_string(),
            empty_timeout: 300,
            departure_timeout: 20,
            creation_time: now(),
            creation_time_ms: now() * 1000,
            ..Default::default()
        };
        self.rooms.insert(
            name.to_string(),
            RoomState {
                room,
                ..Default::default()
            },
        );
        true
    }

    fn room_mut(&mut self, name: &str) -> Result<&mut RoomState, TwirpError> {
        self.rooms
            .get_mut(name)
            .ok_or_else(|| TwirpError::not_found(format!("requested room does not exist: {name}")))
    }

    fn participant_mut<'a>(
        state: &'a mut RoomState,
        identity: &str,
    ) -> Result<&'a mut proto::ParticipantInfo, TwirpError> {
        state
            .participants
            .iter_mut()
            .find(|p| p.identity == identity)
            .ok_or_else(|| TwirpError::not_found(format!("participant not found: {identity}")))
    }

    /// The room as `ListRooms` reports it.
    pub fn room(&self, name: &str) -> Option<proto::Room> {
        self.rooms.get(name).map(Self::with_count)
    }

    /// Test set-up: a participant connects (the room opens when needed).
    pub fn join(
        &mut self,
        room: &str,
        spec: &FakeParticipant,
    ) -> (proto::ParticipantInfo, Vec<Change>) {
        let mut changes = Vec::new();
        if self.open(room) {
            changes.extend(self.room(room).map(Change::RoomStarted));
        }
        let sid = self.sid("PA");
        let tracks: Vec<proto::TrackInfo> = spec
            .tracks
            .iter()
            .map(|t| {
                let source = source_from_name(&t.source);
                let kind = match source {
                    proto::TrackSource::Microphone | proto::TrackSource::ScreenShareAudio => {
                        proto::TrackType::Audio
                    }
                    _ => proto::TrackType::Video,
                };
                proto::TrackInfo {
                    sid: String::new(),
                    r#type: kind as i32,
                    name: t.source.clone(),
                    muted: t.muted,
                    source: source as i32,
                    ..Default::default()
                }
            })
            .collect();
        let tracks = tracks
            .into_iter()
            .map(|mut t| {
                t.sid = self.sid("TR");
                t
            })
            .collect();
        let info = proto::ParticipantInfo {
            sid,
            identity: spec.identity.clone(),
            state: proto::participant_info::State::Active as i32,
            tracks,
            metadata: spec.metadata.clone(),
            joined_at: now(),
            joined_at_ms: now() * 1000,
            name: spec.name.clone(),
            permission: Some(proto::ParticipantPermission {
                can_subscribe: true,
                can_publish: true,
                can_publish_data: true,
                hidden: spec.hidden,
                ..Default::default()
            }),
            ..Default::default()
        };
        if let Some(state) = self.rooms.get_mut(room) {
            // A second connection with one identity replaces the first, as in LiveKit.
            state.participants.retain(|p| p.identity != spec.identity);
            state.participants.push(info.clone());
            let r = Self::with_count(state);
            changes.push(Change::Joined(r, info.clone()));
        }
        (info, changes)
    }

    /// Test set-up: a participant disconnects on its own.
    pub fn leave(&mut self, room: &str, identity: &str) -> Vec<Change> {
        let Some(state) = self.rooms.get_mut(room) else {
            return Vec::new();
        };
        let Some(pos) = state
            .participants
            .iter()
            .position(|p| p.identity == identity)
        else {
            return Vec::new();
        };
        let gone = state.participants.remove(pos);
        vec![Change::Left(Self::with_count(state), gone)]
    }

    pub fn create_room(
        &mut self,
        req: proto::CreateRoomRequest,
    ) -> Result<(proto::Room, Vec<Change>), TwirpError> {
        if req.name.is_empty() {
            return Err(TwirpError::invalid("room name is required"));
        }
        let created = self.open(&req.name);
        let state = self.room_mut(&req.name)?;
        if req.max_participants != 0 || created {
            state.room.max_participants = req.max_participants;
        }
        if req.empty_timeout != 0 {
            state.room.empty_timeout = req.empty_timeout;
        }
        if !req.metadata.is_empty() {
            state.room.metadata = req.metadata;
        }
        let room = Self::with_count(state);
        let changes = if created {
            vec![Change::RoomStarted(room.clone())]
        } else {
            Vec::new()
        };
        Ok((room, changes))
    }

    pub fn delete_room(
        &mut self,
        req: proto::DeleteRoomRequest,
    ) -> Result<(proto::DeleteRoomResponse, Vec<Change>), TwirpError> {
        self.room_mut(&req.room)?;
        let mut changes = Vec::new();
        if let Some(state) = self.rooms.remove(&req.room) {
            let mut room = state.room.clone();
            for p in state.participants {
                changes.push(Change::Left(room.clone(), p));
            }
            room.num_participants = 0;
            changes.push(Change::RoomFinished(room));
        }
        Ok((proto::DeleteRoomResponse::default(), changes))
    }

    pub fn list_rooms(&self, req: proto::ListRoomsRequest) -> proto::ListRoomsResponse {
        let rooms = self
            .rooms
            .values()
            .filter(|s| req.names.is_empty() || req.names.contains(&s.room.name))
            .map(Self::with_count)
            .collect();
        proto::ListRoomsResponse { rooms }
    }

    pub fn list_participants(
        &mut self,
        req: proto::ListParticipantsRequest,
    ) -> Result<proto::ListParticipantsResponse, TwirpError> {
        let state = self.room_mut(&req.room)?;
        Ok(proto::ListParticipantsResponse {
            participants: state.participants.clone(),
        })
    }

    pub fn get_participant(
        &mut self,
        req: proto::RoomParticipantIdentity,
    ) -> Result<proto::ParticipantInfo, TwirpError> {
        let state = self.room_mut(&req.room)?;
        Ok(Self::participant_mut(state, &req.identity)?.clone())
    }

    pub fn remove_participant(
        &mut self,
        req: proto::RoomParticipantIdentity,
    ) -> Result<(proto::RemoveParticipantResponse, Vec<Change>), TwirpError> {
        let state = self.room_mut(&req.room)?;
        Self::participant_mut(state, &req.identity)?;
        let changes = self.leave(&req.room, &req.identity);
        Ok((proto::RemoveParticipantResponse::default(), changes))
    }

    pub fn mute_track(
        &mut self,
        req: proto::MuteRoomTrackRequest,
    ) -> Result<proto::MuteRoomTrackResponse, TwirpError> {
        let state = self.room_mut(&req.room)?;
        let participant = Self::participant_mut(state, &req.identity)?;
        let track = participant
            .tracks
            .iter_mut()
            .find(|t| t.sid == req.track_sid)
            .ok_or_else(|| TwirpError::not_found(format!("track not found: {}", req.track_sid)))?;
        track.muted = req.muted;
        Ok(proto::MuteRoomTrackResponse {
            track: Some(track.clone()),
        })
    }

    pub fn update_participant(
        &mut self,
        req: proto::UpdateParticipantRequest,
    ) -> Result<proto::ParticipantInfo, TwirpError> {
        let state = self.room_mut(&req.room)?;
        let participant = Self::participant_mut(state, &req.identity)?;
        if !req.metadata.is_empty() {
            participant.metadata = req.metadata;
        }
        if !req.name.is_empty() {
            participant.name = req.name;
        }
        if let Some(permission) = req.permission {
            participant.permission = Some(permission);
        }
        participant.attributes.extend(req.attributes);
        participant.version += 1;
        Ok(participant.clone())
    }

    pub fn send_data(
        &mut self,
        req: proto::SendDataRequest,
    ) -> Result<proto::SendDataResponse, TwirpError> {
        let state = self.room_mut(&req.room)?;
        state.data.push(req);
        Ok(proto::SendDataResponse::default())
    }
}

/// `camera`, `microphone`, `screen_share`, `screen_share_audio` (or the protobuf names).
pub(crate) fn source_from_name(name: &str) -> proto::TrackSource {
    match name.to_ascii_lowercase().as_str() {
        "camera" => proto::TrackSource::Camera,
        "microphone" => proto::TrackSource::Microphone,
        "screen_share" => proto::TrackSource::ScreenShare,
        "screen_share_audio" => proto::TrackSource::ScreenShareAudio,
        _ => proto::TrackSource::Unknown,
    }
}
