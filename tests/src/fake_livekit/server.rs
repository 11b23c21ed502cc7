//! The fake's HTTP side: Twirp RoomService with token checks, health, a WebSocket echo
//! at `/rtc` (LiveKit's signalling path), control endpoints.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use livekit_api::access_token::{Claims, TokenVerifier, VideoGrants};
use livekit_protocol as proto;
use prost::Message;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use super::model::{Change, Model};
use super::{Call, FailMode, FakeParticipant, FakeRequest, Shared, TwirpError, lock};

const TWIRP_PREFIX: &str = "/twirp/livekit.RoomService/";

type Reply = Response<Full<Bytes>>;

/// Accepts connections until the task is aborted; aborting drops every connection too.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let shared = shared.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req| handle(shared.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades()
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Why a connection is closed without an answer (`FailMode::Drop`): hyper drops the
/// connection when the service fails.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for Dropped {}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Reply, Dropped> {
    let path = req.uri().path().to_string();
    if path.starts_with("/_fake/") {
        return Ok(control(&shared, req).await);
    }
    let mode = *lock(&shared.fail);
    match mode {
        FailMode::None => {}
        FailMode::Drop => return Err(Dropped),
        FailMode::Hang => std::future::pending::<()>().await,
        FailMode::Http500 => {
            let err = TwirpError {
                status: 500,
                code: "internal",
                msg: "the fake LiveKit was told to fail".into(),
            };
            return Ok(twirp_error(&err));
        }
    }
    if req.method() == Method::GET && path == "/" {
        return Ok(text(StatusCode::OK, "OK"));
    }
    if path == "/rtc" || path.starts_with("/rtc/") {
        return Ok(websocket_echo(req));
    }
    match path.strip_prefix(TWIRP_PREFIX) {
        Some(method) if req.method() == Method::POST => {
            let method = method.to_string();
            Ok(twirp(&shared, &method, req).await)
        }
        _ => Ok(twirp_error(&TwirpError {
            status: 404,
            code: "bad_route",
            msg: format!("no handler for {} {path}", req.method()),
        })),
    }
}

/// LiveKit's signalling path as a WebSocket echo (a text `bye` makes the fake close the
/// connection itself): every text or binary message comes
/// back unchanged; the first message sent is `{"path":…,"query":…}` of the upgrade.
fn websocket_echo(mut req: Request<Incoming>) -> Reply {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::WebSocketStream;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
    use tokio_tungstenite::tungstenite::protocol::Role;

    let is_websocket = req
        .headers()
        .get(hyper::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let Some(key) = req.headers().get("sec-websocket-key").cloned() else {
        return text(StatusCode::BAD_REQUEST, "expected a WebSocket upgrade");
    };
    if !is_websocket {
        return text(StatusCode::BAD_REQUEST, "expected a WebSocket upgrade");
    }
    let hello = serde_json::json!({
        "path": req.uri().path(),
        "query": req.uri().query().unwrap_or_default(),
    })
    .to_string();
    let on_upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        let (mut tx, mut rx) = ws.split();
        if tx.send(Message::text(hello)).await.is_err() {
            return;
        }
        while let Some(Ok(message)) = rx.next().await {
            let echo = match message {
                // "bye" asks the fake to close from its side.
                Message::Text(ref t) if t.as_str() == "bye" => break,
                Message::Text(_) | Message::Binary(_) => message,
                Message::Close(_) => break,
                _ => continue,
            };
            if tx.send(echo).await.is_err() {
                break;
            }
        }
        let _ = tx.close().await;
    });
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = r.headers_mut();
    headers.insert(
        hyper::header::UPGRADE,
        hyper::header::HeaderValue::from_static("websocket"),
    );
    headers.insert(
        hyper::header::CONNECTION,
        hyper::header::HeaderValue::from_static("Upgrade"),
    );
    if let Ok(accept) = hyper::header::HeaderValue::from_str(&derive_accept_key(key.as_bytes())) {
        headers.insert("sec-websocket-accept", accept);
    }
    r
}

fn text(status: StatusCode, body: &str) -> Reply {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r
}

fn json_reply(status: StatusCode, value: &impl Serialize) -> Reply {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

fn twirp_error(err: &TwirpError) -> Reply {
    let mut r = Response::new(Full::new(Bytes::from(err.body())));
    *r.status_mut() = StatusCode::from_u16(err.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

/// Protobuf or JSON, as the request's `Content-Type` says; replies use the same.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Codec {
    Protobuf,
    Json,
}

impl Codec {
    fn decode<T: Message + Default + DeserializeOwned>(self, body: &[u8]) -> Result<T, TwirpError> {
        let malformed = |e: String| TwirpError {
            status: 400,
            code: "malformed",
            msg: e,
        };
        match self {
            Codec::Protobuf => T::decode(body).map_err(|e| malformed(e.to_string())),
            Codec::Json => serde_json::from_slice(body).map_err(|e| malformed(e.to_string())),
        }
    }

    fn reply<T: Message + Serialize>(self, value: &T) -> Reply {
        let (body, ct) = match self {
            Codec::Protobuf => (value.encode_to_vec(), "application/protobuf"),
            Codec::Json => (
                serde_json::to_vec(value).unwrap_or_default(),
                "application/json",
            ),
        };
        let mut r = Response::new(Full::new(Bytes::from(body)));
        r.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static(ct),
        );
        r
    }
}

/// Verifies the Bearer token: HS256 with the secret of its issuer (an API key we know).
fn authenticate(shared: &Shared, req: &Request<Incoming>) -> Result<Claims, TwirpError> {
    let unauthenticated = |msg: &str| TwirpError {
        status: 401,
        code: "unauthenticated",
        msg: msg.to_string(),
    };
    let header = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| unauthenticated("missing authorization"))?;
    let token = header
        .strip_prefix("Bearer ")
        .ok_or_else(|| unauthenticated("authorization is not a Bearer token"))?;
    let unverified =
        Claims::from_unverified(token).map_err(|_| unauthenticated("malformed token"))?;
    let secret = shared
        .keys
        .get(&unverified.iss)
        .ok_or_else(|| unauthenticated("unknown API key"))?;
    TokenVerifier::with_api_key(&unverified.iss, secret)
        .verify(token)
        .map_err(|e| unauthenticated(&format!("invalid token: {e}")))
}

/// Whether `grants` allow `request` (LiveKit's rules for the RoomService).
fn permitted(grants: &VideoGrants, request: &FakeRequest) -> bool {
    match request {
        FakeRequest::CreateRoom(_) | FakeRequest::DeleteRoom(_) => grants.room_create,
        FakeRequest::ListRooms(_) => grants.room_list,
        other => grants.room_admin && Some(grants.room.as_str()) == other.room(),
    }
}

/// Runs one RoomService method: decode, record, check the grant, apply, encode.
async fn twirp(shared: &Shared, method: &str, req: Request<Incoming>) -> Reply {
    let claims = match authenticate(shared, &req) {
        Ok(c) => c,
        Err(e) => return twirp_error(&e),
    };
    let codec = match req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        Some(ct) if ct.starts_with("application/json") => Codec::Json,
        _ => Codec::Protobuf,
    };
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            return twirp_error(&TwirpError {
                status: 400,
                code: "malformed",
                msg: e.to_string(),
            });
        }
    };
    let decoded = match decode(method, codec, &body) {
        Ok(r) => r,
        Err(e) => return twirp_error(&e),
    };
    let call_index = {
        let mut calls = lock(&shared.calls);
        calls.push(Call {
            method: method.to_string(),
            request: decoded.clone(),
            grants: claims.video.clone(),
            token_ttl_secs: claims.exp.saturating_sub(claims.nbf) as u64,
            status: 0,
            json: codec == Codec::Json,
        });
        calls.len() - 1
    };
    let reply = if permitted(&claims.video, &decoded) {
        let (reply, changes) = {
            let mut model = lock(&shared.model);
            apply(&mut model, codec, decoded)
        };
        shared.webhook.send_changes(changes);
        reply
    } else {
        twirp_error(&TwirpError {
            status: 403,
            code: "permission_denied",
            msg: format!("the token's grant does not allow {method}"),
        })
    };
    if let Some(call) = lock(&shared.calls).get_mut(call_index) {
        call.status = reply.status().as_u16();
    }
    reply
}

fn decode(method: &str, codec: Codec, body: &[u8]) -> Result<FakeRequest, TwirpError> {
    Ok(match method {
        "CreateRoom" => FakeRequest::CreateRoom(Box::new(codec.decode(body)?)),
        "DeleteRoom" => FakeRequest::DeleteRoom(codec.decode(body)?),
        "ListRooms" => FakeRequest::ListRooms(codec.decode(body)?),
        "ListParticipants" => FakeRequest::ListParticipants(codec.decode(body)?),
        "GetParticipant" => FakeRequest::GetParticipant(codec.decode(body)?),
        "RemoveParticipant" => FakeRequest::RemoveParticipant(codec.decode(body)?),
        "MutePublishedTrack" => FakeRequest::MutePublishedTrack(codec.decode(body)?),
        "UpdateParticipant" => FakeRequest::UpdateParticipant(codec.decode(body)?),
        "SendData" => FakeRequest::SendData(codec.decode(body)?),
        other => {
            return Err(TwirpError {
                status: 404,
                code: "bad_route",
                msg: format!("unknown RoomService method {other}"),
            });
        }
    })
}

fn apply(model: &mut Model, codec: Codec, request: FakeRequest) -> (Reply, Vec<Change>) {
    fn done<T: Message + Serialize>(
        codec: Codec,
        r: Result<T, TwirpError>,
    ) -> (Reply, Vec<Change>) {
        match r {
            Ok(v) => (codec.reply(&v), Vec::new()),
            Err(e) => (twirp_error(&e), Vec::new()),
        }
    }
    fn changed<T: Message + Serialize>(
        codec: Codec,
        r: Result<(T, Vec<Change>), TwirpError>,
    ) -> (Reply, Vec<Change>) {
        match r {
            Ok((v, changes)) => (codec.reply(&v), changes),
            Err(e) => (twirp_error(&e), Vec::new()),
        }
    }
    match request {
        FakeRequest::CreateRoom(r) => changed(codec, model.create_room(*r)),
        FakeRequest::DeleteRoom(r) => changed(codec, model.delete_room(r)),
        FakeRequest::ListRooms(r) => done(codec, Ok(model.list_rooms(r))),
        FakeRequest::ListParticipants(r) => done(codec, model.list_participants(r)),
        FakeRequest::GetParticipant(r) => done(codec, model.get_participant(r)),
        FakeRequest::RemoveParticipant(r) => changed(codec, model.remove_participant(r)),
        FakeRequest::MutePublishedTrack(r) => done(codec, model.mute_track(r)),
        FakeRequest::UpdateParticipant(r) => done(codec, model.update_participant(r)),
        FakeRequest::SendData(r) => done(codec, model.send_data(r)),
    }
}

/// `{method, path, query, headers}` of a request (`/_fake/echo…`; headers as name →
/// values, for proxy tests).
fn request_echo(req: &Request<Incoming>) -> serde_json::Value {
    let mut headers = serde_json::Map::new();
    for (name, value) in req.headers() {
        let entry = headers
            .entry(name.as_str())
            .or_insert_with(|| serde_json::Value::Array(Vec::new()));
        if let serde_json::Value::Array(values) = entry {
            values.push(
                String::from_utf8_lossy(value.as_bytes())
                    .into_owned()
                    .into(),
            );
        }
    }
    serde_json::json!({
        "method": req.method().as_str(),
        "path": req.uri().path(),
        "query": req.uri().query().unwrap_or_default(),
        "headers": headers,
    })
}

/// A room with its participants and data messages, for `GET /_fake/rooms`.
#[derive(Serialize)]
struct RoomView {
    room: proto::Room,
    participants: Vec<proto::ParticipantInfo>,
    data: Vec<proto::SendDataRequest>,
}

#[derive(serde::Deserialize)]
struct FailRequest {
    mode: FailMode,
}

/// The `/_fake/…` control endpoints.
async fn control(shared: &Shared, req: Request<Incoming>) -> Reply {
    let method = req.method().clone();
    let path = req.uri().path().trim_end_matches('/').to_string();
    let segments: Vec<&str> = path.trim_start_matches("/_fake/").split('/').collect();
    let echo = (segments.first() == Some(&"echo")).then(|| request_echo(&req));
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    if let Some(mut echo) = echo {
        echo["body"] = serde_json::Value::String(String::from_utf8_lossy(&body).into_owned());
        return json_reply(StatusCode::OK, &echo);
    }
    let bad = |msg: String| {
        json_reply(
            StatusCode::BAD_REQUEST,
            &serde_json::json!({ "error": msg }),
        )
    };
    match (&method, segments.as_slice()) {
        (&Method::GET, ["calls"]) => json_reply(StatusCode::OK, &*lock(&shared.calls)),
        (&Method::DELETE, ["calls"]) => {
            lock(&shared.calls).clear();
            json_reply(StatusCode::OK, &serde_json::json!({"ok": true}))
        }
        (&Method::GET, ["rooms"]) => {
            let model = lock(&shared.model);
            let rooms: Vec<RoomView> = model
                .rooms
                .keys()
                .filter_map(|name| {
                    let state = model.rooms.get(name)?;
                    Some(RoomView {
                        room: model.room(name)?,
                        participants: state.participants.clone(),
                        data: state.data.clone(),
                    })
                })
                .collect();
            json_reply(StatusCode::OK, &rooms)
        }
        (&Method::GET, ["webhooks"]) => json_reply(StatusCode::OK, &shared.webhook.deliveries()),
        (&Method::POST, ["rooms", room, "participants"]) => {
            match serde_json::from_slice::<FakeParticipant>(&body) {
                Ok(p) if !p.identity.is_empty() => {
                    let (info, changes) = lock(&shared.model).join(room, &p);
                    shared.webhook.send_changes(changes);
                    json_reply(StatusCode::OK, &info)
                }
                Ok(_) => bad("identity is required".into()),
                Err(e) => bad(e.to_string()),
            }
        }
        (&Method::DELETE, ["rooms", room, "participants", identity]) => {
            let changes = lock(&shared.model).leave(room, identity);
            shared.webhook.send_changes(changes);
            json_reply(StatusCode::OK, &serde_json::json!({"ok": true}))
        }
        (&Method::POST, ["fail"]) => match serde_json::from_slice::<FailRequest>(&body) {
            Ok(f) => {
                *lock(&shared.fail) = f.mode;
                json_reply(StatusCode::OK, &serde_json::json!({"ok": true}))
            }
            Err(e) => bad(e.to_string()),
        },
        (&Method::POST, ["crash"]) if shared.exit_on_crash => {
            // Exit after the reply has had a moment to leave.
            tokio::spawn(async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                std::process::exit(1);
            });
            json_reply(StatusCode::OK, &serde_json::json!({"ok": true}))
        }
        _ => json_reply(
            StatusCode::NOT_FOUND,
            &serde_json::json!({"error": "no such control endpoint"}),
        ),
    }
}
