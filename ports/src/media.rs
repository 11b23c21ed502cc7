//! The media server (LiveKit) behind ports: join tokens, room control, webhook events.

use async_trait::async_trait;

/// A kind of published track a participant may be allowed to publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrackSource {
    Camera,
    Microphone,
    ScreenShare,
    ScreenShareAudio,
}

/// What a participant may do in a media room (LiveKit's `ParticipantPermission` and the
/// publishing part of a video grant).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MediaPermission {
    pub can_subscribe: bool,
    pub can_publish: bool,
    pub can_publish_data: bool,
    /// Empty with `can_publish` means "no restriction" to LiveKit, so the domain never
    /// sends an empty list with `can_publish = true`.
    pub can_publish_sources: Vec<TrackSource>,
    pub can_update_metadata: bool,
    pub hidden: bool,
}

/// Everything a join token says (API §6.1, §3.9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinGrant {
    pub room: String,
    pub identity: String,
    pub name: String,
    /// Server-set participant metadata (a JSON string).
    pub metadata: String,
    pub permission: MediaPermission,
    pub room_admin: bool,
    pub recorder: bool,
    pub ttl_secs: u64,
}

/// Errors of the media ports.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The room or participant is not on the media server.
    #[error("not found on the media server")]
    NotFound,
    /// No media server is configured (calls are skipped).
    #[error("media server disabled")]
    Disabled,
    /// The media server could not be reached or failed.
    #[error("media server unavailable")]
    Unavailable(#[source] anyhow::Error),
}

/// Signs LiveKit join tokens.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait MediaTokens: Send + Sync {
    /// A signed join token for the grant. Errors: `Disabled` when no keys are configured.
    fn join_token(&self, grant: &JoinGrant) -> Result<String, MediaError>;
}

/// A published track as the media server reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaTrack {
    pub sid: String,
    pub source: Option<TrackSource>,
    pub muted: bool,
}

/// A connected participant as the media server reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaParticipant {
    pub identity: String,
    pub name: String,
    pub metadata: String,
    pub hidden: bool,
    pub tracks: Vec<MediaTrack>,
}

/// A running media room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRoom {
    pub name: String,
    pub num_participants: u32,
}

/// LiveKit's RoomService. Every call carries a fresh short-lived server token with only
/// the grant it needs (API §6.2).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait MediaServer: Send + Sync {
    /// Creates the room, or updates `max_participants` of a live one (roomCreate grant).
    async fn create_room(&self, name: &str, max_participants: u32) -> Result<(), MediaError>;
    /// Deletes the room (roomCreate grant).
    async fn delete_room(&self, name: &str) -> Result<(), MediaError>;
    /// Every running room (roomList grant).
    async fn list_rooms(&self) -> Result<Vec<MediaRoom>, MediaError>;
    /// The room's connected participants (roomAdmin + room).
    async fn list_participants(&self, room: &str) -> Result<Vec<MediaParticipant>, MediaError>;
    /// One connected participant. Errors: `NotFound`.
    async fn get_participant(
        &self,
        room: &str,
        identity: &str,
    ) -> Result<MediaParticipant, MediaError>;
    /// Disconnects a participant. Errors: `NotFound`.
    async fn remove_participant(&self, room: &str, identity: &str) -> Result<(), MediaError>;
    /// Mutes (or unmutes) one published track.
    async fn mute_track(
        &self,
        room: &str,
        identity: &str,
        track_sid: &str,
        muted: bool,
    ) -> Result<(), MediaError>;
    /// Rewrites a participant's metadata and/or permission.
    async fn update_participant(
        &self,
        room: &str,
        identity: &str,
        metadata: Option<String>,
        permission: Option<MediaPermission>,
    ) -> Result<(), MediaError>;
    /// Sends a reliable data message to the whole room on `topic`.
    async fn send_data(&self, room: &str, topic: &str, payload: Vec<u8>) -> Result<(), MediaError>;
}

/// A LiveKit webhook event reduced to what Bedrud consumes (API §6.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// `room_started`, `room_finished`, `participant_joined`, `participant_left`, or other.
    pub event: String,
    pub room_name: Option<String>,
    pub participant_identity: Option<String>,
    pub participant_name: Option<String>,
    pub participant_hidden: bool,
}

/// Why a webhook was refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// API key or secret empty.
    #[error("LiveKit not configured")]
    NotConfigured,
    /// Missing/invalid JWT, wrong issuer, or body hash mismatch.
    #[error("invalid webhook signature")]
    BadSignature,
    /// Signature valid but the body is not an event.
    #[error("Invalid webhook payload")]
    BadPayload,
}

/// Verifies and parses LiveKit webhook deliveries.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait WebhookVerifier: Send + Sync {
    /// Checks the `Authorization` JWT (issuer = API key, `sha256` = base64 SHA-256 of the
    /// raw body) and parses the body with the protobuf JSON mapping.
    fn verify(&self, body: &str, authorization: &str) -> Result<WebhookEvent, WebhookError>;
}

/// The state of a media server process Bedrud supervises (embedded LiveKit), as `/api/ready`
/// and the log report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProcessState {
    /// Being started: spawned, not yet answering its health check.
    Starting,
    /// Up and answering its health check.
    Running,
    /// Exited or stopped answering; waiting out the backoff before the next start.
    Restarting,
    /// Stopped on purpose (shutdown).
    Stopped,
    /// Down: the binary is missing or keeps failing.
    Unavailable,
}

impl ProcessState {
    /// The name `/api/ready` reports (`starting`, `running`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessState::Starting => "starting",
            ProcessState::Running => "running",
            ProcessState::Restarting => "restarting",
            ProcessState::Stopped => "stopped",
            ProcessState::Unavailable => "unavailable",
        }
    }
}

impl std::fmt::Display for ProcessState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A supervised media server process: its current state.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait MediaProcess: Send + Sync {
    /// The process state right now.
    fn state(&self) -> ProcessState;
}
