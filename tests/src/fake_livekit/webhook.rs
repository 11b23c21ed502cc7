//! Webhooks as LiveKit sends them: protobuf-JSON bodies, a JWT in `Authorization` whose
//! `sha256` claim is the base64 SHA-256 of the body.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use livekit_api::access_token::AccessToken;
use livekit_protocol as proto;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::model::Change;
use super::{Pending, WebhookDelivery, lock};

/// A webhook JWT for `body`: issuer = `api_key`, HS256 with `api_secret`, `sha256` claim.
pub fn sign_webhook(api_key: &str, api_secret: &str, body: &str) -> anyhow::Result<String> {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body.as_bytes()));
    Ok(AccessToken::with_api_key(api_key, api_secret)
        .with_ttl(Duration::from_secs(300))
        .with_sha256(&hash)
        .to_jwt()?)
}

/// POSTs a signed webhook `body` to `url` the way LiveKit does (raw JWT in `Authorization`,
/// `Content-Type: application/webhook+json`).
pub async fn post_webhook(
    url: &str,
    api_key: &str,
    api_secret: &str,
    body: &str,
) -> anyhow::Result<reqwest::Response> {
    let token = sign_webhook(api_key, api_secret, body)?;
    let response = reqwest::Client::new()
        .post(url)
        .header(reqwest::header::AUTHORIZATION, token)
        .header(reqwest::header::CONTENT_TYPE, "application/webhook+json")
        .body(body.to_string())
        .timeout(Duration::from_secs(10))
        .send()
        .await?;
    Ok(response)
}

/// A webhook event (`room_started`, `participant_joined`, …) about `room` and maybe a
/// participant.
pub fn webhook_event(
    event: &str,
    room: &str,
    participant: Option<proto::ParticipantInfo>,
) -> proto::WebhookEvent {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    proto::WebhookEvent {
        event: event.to_string(),
        room: Some(proto::Room {
            name: room.to_string(),
            ..Default::default()
        }),
        participant,
        id: format!("EV_{:016x}", rand_id()),
        created_at: now,
        ..Default::default()
    }
}

/// The JSON body of an event (protobuf JSON mapping: camelCase, enum names, int64 strings).
pub fn webhook_body(event: &proto::WebhookEvent) -> anyhow::Result<String> {
    Ok(serde_json::to_string(event)?)
}

fn rand_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.finish()
}

/// Queues events and delivers them in order from a background task.
pub(crate) struct Sender {
    urls: Arc<Mutex<Vec<String>>>,
    tx: mpsc::UnboundedSender<proto::WebhookEvent>,
    pending: Arc<Pending>,
    log: Arc<Mutex<Vec<WebhookDelivery>>>,
}

impl Sender {
    /// A sender signing with `api_key`/`api_secret`; starts its delivery task.
    pub fn new(api_key: String, api_secret: String, urls: Vec<String>) -> Self {
        let (tx, mut rx) = mpsc::unbounded_channel::<proto::WebhookEvent>();
        let urls = Arc::new(Mutex::new(urls));
        let pending = Arc::new(Pending::default());
        let log = Arc::new(Mutex::new(Vec::new()));
        let (task_urls, task_pending, task_log) = (urls.clone(), pending.clone(), log.clone());
        tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                let targets = lock(&task_urls).clone();
                for url in targets {
                    let status = match webhook_body(&event) {
                        Ok(body) => post_webhook(&url, &api_key, &api_secret, &body)
                            .await
                            .ok()
                            .map(|r| r.status().as_u16()),
                        Err(_) => None,
                    };
                    lock(&task_log).push(WebhookDelivery {
                        event: event.event.clone(),
                        room: event
                            .room
                            .as_ref()
                            .map(|r| r.name.clone())
                            .unwrap_or_default(),
                        identity: event.participant.as_ref().map(|p| p.identity.clone()),
                        status,
                    });
                }
                task_pending.done();
            }
        });
        Sender {
            urls,
            tx,
            pending,
            log,
        }
    }

    /// Also deliver to `url`.
    pub fn add_url(&self, url: &str) {
        lock(&self.urls).push(url.to_string());
    }

    /// Queues the webhooks for model changes (nothing when no URL is set).
    pub fn send_changes(&self, changes: Vec<Change>) {
        if lock(&self.urls).is_empty() {
            return;
        }
        for change in changes {
            let event = match change {
                Change::RoomStarted(room) => event_for("room_started", room, None),
                Change::RoomFinished(room) => event_for("room_finished", room, None),
                Change::Joined(room, p) => event_for("participant_joined", room, Some(p)),
                Change::Left(room, p) => event_for("participant_left", room, Some(p)),
            };
            self.pending.add();
            if self.tx.send(event).is_err() {
                self.pending.done();
            }
        }
    }

    /// Waits until the queue is empty.
    pub async fn settle(&self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.pending.get() > 0 {
            if tokio::time::Instant::now() > deadline {
                anyhow::bail!(
                    "{} webhook(s) still pending after {timeout:?}",
                    self.pending.get()
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(())
    }

    /// Every delivery attempt so far.
    pub fn deliveries(&self) -> Vec<WebhookDelivery> {
        lock(&self.log).clone()
    }
}

fn event_for(
    kind: &str,
    room: proto::Room,
    participant: Option<proto::ParticipantInfo>,
) -> proto::WebhookEvent {
    let mut event = webhook_event(kind, &room.name, participant);
    event.room = Some(room);
    event
}
