//! A fake LiveKit server for tests: it speaks the Twirp RoomService endpoints Bedrud uses
//! (protobuf or JSON bodies), verifies the Bearer server tokens with the API key and secret
//! (HS256, issuer = key), records every call with its grants, keeps rooms and participants
//! in memory, sends signed webhooks like LiveKit does, and can be told to fail.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use bedrud_tests::fake_livekit::{FakeLivekit, FakeParticipant, FailMode};
//! let lk = FakeLivekit::start("APIkey", "secret-secret-secret-secret-secret").await?;
//! let alice = lk.join("room-1", FakeParticipant::new("alice").track("camera", false));
//! // … point the code under test at lk.url() …
//! assert_eq!(lk.calls_to("GetParticipant").len(), 0);
//! lk.fail(FailMode::Drop); // LiveKit "down"
//! # Ok(()) }
//! ```
//!
//! Control endpoints (for the standalone `fake-livekit-server`, usable in-process too):
//! `GET /` → `OK`; `GET|DELETE /_fake/calls`; `GET /_fake/rooms`; `GET /_fake/webhooks`;
//! `POST /_fake/rooms/{room}/participants` (a [`FakeParticipant`] as JSON);
//! `DELETE /_fake/rooms/{room}/participants/{identity}`; `POST /_fake/fail`
//! (`{"mode":"none"|"http500"|"drop"|"hang"}`); `POST /_fake/crash` (standalone: exit 1);
//! any method on `/_fake/echo…` → the request's `{method, path, query, headers, body}`.
//! `GET /rtc…` with a WebSocket upgrade is an echo (first message: `{"path","query"}`).

mod config;
mod model;
mod server;
mod webhook;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub use config::FakeConfig;
pub use livekit_api::access_token::VideoGrants;
pub use livekit_protocol as proto;
pub use webhook::{post_webhook, sign_webhook, webhook_body, webhook_event};

use model::Model;

/// How the fake misbehaves (control endpoints keep working in every mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailMode {
    /// Behave.
    #[default]
    None,
    /// Answer every RoomService call with HTTP 500 and a Twirp `internal` error.
    Http500,
    /// Close the connection without answering.
    Drop,
    /// Never answer (for client timeouts).
    Hang,
}

/// A RoomService request as the fake decoded it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum FakeRequest {
    /// `CreateRoom`.
    CreateRoom(Box<proto::CreateRoomRequest>),
    /// `DeleteRoom`.
    DeleteRoom(proto::DeleteRoomRequest),
    /// `ListRooms`.
    ListRooms(proto::ListRoomsRequest),
    /// `ListParticipants`.
    ListParticipants(proto::ListParticipantsRequest),
    /// `GetParticipant`.
    GetParticipant(proto::RoomParticipantIdentity),
    /// `RemoveParticipant`.
    RemoveParticipant(proto::RoomParticipantIdentity),
    /// `MutePublishedTrack`.
    MutePublishedTrack(proto::MuteRoomTrackRequest),
    /// `UpdateParticipant`.
    UpdateParticipant(proto::UpdateParticipantRequest),
    /// `SendData`.
    SendData(proto::SendDataRequest),
}

impl FakeRequest {
    /// The room the request is about (`None` for `ListRooms`).
    pub fn room(&self) -> Option<&str> {
        match self {
            FakeRequest::CreateRoom(r) => Some(&r.name),
            FakeRequest::DeleteRoom(r) => Some(&r.room),
            FakeRequest::ListRooms(_) => None,
            FakeRequest::ListParticipants(r) => Some(&r.room),
            FakeRequest::GetParticipant(r) | FakeRequest::RemoveParticipant(r) => Some(&r.room),
            FakeRequest::MutePublishedTrack(r) => Some(&r.room),
            FakeRequest::UpdateParticipant(r) => Some(&r.room),
            FakeRequest::SendData(r) => Some(&r.room),
        }
    }

    /// The participant the request is about, if any.
    pub fn identity(&self) -> Option<&str> {
        match self {
            FakeRequest::GetParticipant(r) | FakeRequest::RemoveParticipant(r) => Some(&r.identity),
            FakeRequest::MutePublishedTrack(r) => Some(&r.identity),
            FakeRequest::UpdateParticipant(r) => Some(&r.identity),
            _ => None,
        }
    }
}

/// One authenticated RoomService call.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Call {
    /// `CreateRoom`, `SendData`, …
    pub method: String,
    /// The decoded request.
    pub request: FakeRequest,
    /// The video grant of the Bearer token.
    pub grants: VideoGrants,
    /// The token's `exp - nbf`.
    pub token_ttl_secs: u64,
    /// The HTTP status the fake answered.
    pub status: u16,
    /// Whether the body was JSON rather than protobuf.
    pub json: bool,
}

/// One webhook delivery attempt.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    /// The event name, e.g. `participant_joined`.
    pub event: String,
    /// The room name.
    pub room: String,
    /// The participant identity, if any.
    pub identity: Option<String>,
    /// The HTTP status, or `None` when the request failed.
    pub status: Option<u16>,
}

/// A track a fake participant publishes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct FakeTrack {
    /// `camera`, `microphone`, `screen_share` or `screen_share_audio`.
    pub source: String,
    /// Whether it starts muted.
    #[serde(default)]
    pub muted: bool,
}

/// A participant to connect to a fake room.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct FakeParticipant {
    /// The identity (Bedrud: user id or `guest-…`).
    pub identity: String,
    /// The display name.
    pub name: String,
    /// Participant metadata (JSON string).
    pub metadata: String,
    /// Hidden (e.g. an admin token).
    pub hidden: bool,
    /// Published tracks.
    pub tracks: Vec<FakeTrack>,
}

impl FakeParticipant {
    /// A participant named after its identity, with no tracks.
    pub fn new(identity: &str) -> Self {
        FakeParticipant {
            identity: identity.to_string(),
            name: identity.to_string(),
            ..Default::default()
        }
    }

    /// Sets the display name.
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }

    /// Sets the metadata.
    pub fn metadata(mut self, metadata: &str) -> Self {
        self.metadata = metadata.to_string();
        self
    }

    /// Makes the participant hidden.
    pub fn hidden(mut self) -> Self {
        self.hidden = true;
        self
    }

    /// Adds a published track (`camera`, `microphone`, `screen_share`, `screen_share_audio`).
    pub fn track(mut self, source: &str, muted: bool) -> Self {
        self.tracks.push(FakeTrack {
            source: source.to_string(),
            muted,
        });
        self
    }
}

/// A Twirp error reply.
#[derive(Debug, Clone)]
pub(crate) struct TwirpError {
    pub status: u16,
    pub code: &'static str,
    pub msg: String,
}

impl TwirpError {
    pub fn not_found(msg: String) -> Self {
        TwirpError {
            status: 404,
            code: "not_found",
            msg,
        }
    }
    pub fn invalid(msg: &str) -> Self {
        TwirpError {
            status: 400,
            code: "invalid_argument",
            msg: msg.to_string(),
        }
    }
    pub fn body(&self) -> Vec<u8> {
        serde_json::json!({"code": self.code, "msg": self.msg})
            .to_string()
            .into_bytes()
    }
}

/// State shared by the HTTP server, the webhook sender and the test handle.
pub(crate) struct Shared {
    /// API key → secret.
    pub keys: HashMap<String, String>,
    pub model: Mutex<Model>,
    pub calls: Mutex<Vec<Call>>,
    pub fail: Mutex<FailMode>,
    pub webhook: webhook::Sender,
    /// `POST /_fake/crash` exits the process (standalone server only).
    pub exit_on_crash: bool,
}

/// Locks a mutex, recovering from poisoning (a panicking test must not wedge the fake).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running fake LiveKit server; stops when dropped.
pub struct FakeLivekit {
    addr: SocketAddr,
    api_key: String,
    api_secret: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeLivekit {
    /// Starts on `127.0.0.1:0` with one API key pair.
    pub async fn start(api_key: &str, api_secret: &str) -> anyhow::Result<FakeLivekit> {
        FakeLivekit::start_with(FakeConfig::new(api_key, api_secret)).await
    }

    /// Starts with a full configuration (address, keys, webhook URL).
    pub async fn start_with(config: FakeConfig) -> anyhow::Result<FakeLivekit> {
        let (api_key, api_secret) = config
            .keys
            .iter()
            .next()
            .map(|(k, s)| (k.clone(), s.clone()))
            .ok_or_else(|| anyhow::anyhow!("the fake LiveKit needs at least one API key"))?;
        let webhook_key = config
            .webhook_api_key
            .clone()
            .unwrap_or_else(|| api_key.clone());
        let webhook_secret = config.keys.get(&webhook_key).cloned().ok_or_else(|| {
            anyhow::anyhow!("webhook api_key {webhook_key} is not among the keys")
        })?;
        let sender = webhook::Sender::new(webhook_key, webhook_secret, config.webhook_urls.clone());
        let shared = Arc::new(Shared {
            keys: config.keys.into_iter().collect(),
            model: Mutex::new(Model::default()),
            calls: Mutex::new(Vec::new()),
            fail: Mutex::new(FailMode::None),
            webhook: sender,
            exit_on_crash: config.exit_on_crash,
        });
        let listener = tokio::net::TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(server::serve(listener, shared.clone()));
        Ok(FakeLivekit {
            addr,
            api_key,
            api_secret,
            shared,
            task,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (Bedrud's `livekit.internal_host`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://127.0.0.1:PORT` (a `livekit.host`).
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// The (first) API key.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The (first) API secret.
    pub fn api_secret(&self) -> &str {
        &self.api_secret
    }

    /// Every authenticated RoomService call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.shared.calls).clone()
    }

    /// The calls of one method (`CreateRoom`, …).
    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        lock(&self.shared.calls)
            .iter()
            .filter(|c| c.method == method)
            .cloned()
            .collect()
    }

    /// Forgets the recorded calls.
    pub fn clear_calls(&self) {
        lock(&self.shared.calls).clear();
    }

    /// Changes how the fake misbehaves.
    pub fn fail(&self, mode: FailMode) {
        *lock(&self.shared.fail) = mode;
    }

    /// Back to normal behaviour.
    pub fn heal(&self) {
        self.fail(FailMode::None);
    }

    /// Opens a room (as `CreateRoom` would, but unrecorded).
    pub fn open_room(&self, name: &str) -> proto::Room {
        let req = proto::CreateRoomRequest {
            name: name.to_string(),
            ..Default::default()
        };
        let result = lock(&self.shared.model).create_room(req);
        match result {
            Ok((room, changes)) => {
                self.shared.webhook.send_changes(changes);
                room
            }
            Err(_) => proto::Room {
                name: name.to_string(),
                ..Default::default()
            },
        }
    }

    /// Connects a participant to `room` (opening it) and returns it with its sids;
    /// sends `room_started`/`participant_joined` webhooks when a URL is set.
    pub fn join(&self, room: &str, participant: FakeParticipant) -> proto::ParticipantInfo {
        let (info, changes) = lock(&self.shared.model).join(room, &participant);
        self.shared.webhook.send_changes(changes);
        info
    }

    /// Disconnects a participant on its own (`participant_left` webhook when a URL is set).
    pub fn leave(&self, room: &str, identity: &str) {
        let changes = lock(&self.shared.model).leave(room, identity);
        self.shared.webhook.send_changes(changes);
    }

    /// A running room with its participant count.
    pub fn room(&self, name: &str) -> Option<proto::Room> {
        lock(&self.shared.model).room(name)
    }

    /// Names of the running rooms.
    pub fn room_names(&self) -> Vec<String> {
        lock(&self.shared.model).rooms.keys().cloned().collect()
    }

    /// The connected participants of a room (empty when the room is not running).
    pub fn participants(&self, room: &str) -> Vec<proto::ParticipantInfo> {
        lock(&self.shared.model)
            .rooms
            .get(room)
            .map(|s| s.participants.clone())
            .unwrap_or_default()
    }

    /// One connected participant.
    pub fn participant(&self, room: &str, identity: &str) -> Option<proto::ParticipantInfo> {
        self.participants(room)
            .into_iter()
            .find(|p| p.identity == identity)
    }

    /// Every `SendData` the room received.
    pub fn sent_data(&self, room: &str) -> Vec<proto::SendDataRequest> {
        lock(&self.shared.model)
            .rooms
            .get(room)
            .map(|s| s.data.clone())
            .unwrap_or_default()
    }

    /// Sends webhooks to `url` from now on (in addition to configured URLs).
    pub fn add_webhook_url(&self, url: &str) {
        self.shared.webhook.add_url(url);
    }

    /// Waits until every queued webhook has been delivered (or `timeout` passes).
    pub async fn settle_webhooks(&self, timeout: Duration) -> anyhow::Result<()> {
        self.shared.webhook.settle(timeout).await
    }

    /// Every webhook delivery attempt so far.
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        self.shared.webhook.deliveries()
    }

    /// Signs `body` with this server's key and POSTs it to `url` as LiveKit would.
    pub async fn post_webhook(&self, url: &str, body: &str) -> anyhow::Result<reqwest::Response> {
        post_webhook(url, &self.api_key, &self.api_secret, body).await
    }

    /// Stops listening and closes every connection.
    pub fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for FakeLivekit {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Counts queued webhooks (shared by [`webhook::Sender`] and its task).
#[derive(Debug, Default)]
pub(crate) struct Pending(AtomicUsize);

impl Pending {
    pub fn add(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    pub fn done(&self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}
