//! In-memory rooms and participant rows, and mockall doubles of the media ports that
//! record what they were asked to do.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bedrud_ports::*;
use chrono::{DateTime, Utc};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Rooms and participant rows, enough for the HTTP tests.
#[derive(Default)]
pub struct RoomRows {
    pub rooms: Mutex<Vec<Room>>,
    pub participants: Mutex<Vec<Participant>>,
}

impl RoomRows {
    /// The stored room with this id.
    pub fn room(&self, id: &str) -> Option<Room> {
        lock(&self.rooms).iter().find(|r| r.id == id).cloned()
    }

    /// The row of `identity` in room `room_id`.
    pub fn participant(&self, room_id: &str, identity: &str) -> Option<Participant> {
        lock(&self.participants)
            .iter()
            .find(|p| p.room_id == room_id && p.identity == identity)
            .cloned()
    }

    /// Applies `change` to the active room named `name`; whether there was one.
    fn with_active(&self, name: &str, change: impl FnOnce(&mut Room)) -> bool {
        let mut rooms = lock(&self.rooms);
        rooms
            .iter_mut()
            .find(|r| r.is_active && r.name == name)
            .map(change)
            .is_some()
    }

    fn new_row(room_id: &str, identity: &str, now: DateTime<Utc>) -> Participant {
        Participant {
            room_id: room_id.to_owned(),
            identity: identity.to_owned(),
            is_active: false,
            is_moderator: false,
            is_banned: false,
            on_stage: false,
            joined_at: None,
            left_at: None,
            created_at: now,
            updated_at: now,
        }
    }
}

#[async_trait]
impl RoomStore for RoomRows {
    async fn create(
        &self,
        room: Room,
        creator: Participant,
        cap: Option<i64>,
    ) -> StoreResult<RoomCreation> {
        let mut rooms = lock(&self.rooms);
        if rooms.iter().any(|r| r.is_active && r.name == room.name) {
            return Err(StoreError::Conflict("room_name"));
        }
        let mine = rooms
            .iter()
            .filter(|r| r.is_active && r.created_by == room.created_by)
            .count() as i64;
        if cap.is_some_and(|c| mine >= c) {
            return Ok(RoomCreation::CapReached);
        }
        rooms.push(room.clone());
        lock(&self.participants).push(creator);
        Ok(RoomCreation::Created(room))
    }
    async fn get(&self, id: &str) -> StoreResult<Option<Room>> {
        Ok(self.room(id))
    }
    async fn find_by_name(&self, name: &str) -> StoreResult<Option<Room>> {
        let rooms = lock(&self.rooms);
        let active = rooms.iter().find(|r| r.is_active && r.name == name);
        Ok(active
            .or_else(|| rooms.iter().rev().find(|r| r.name == name))
            .cloned())
    }
    async fn find_by_name_with_row(
        &self,
        name: &str,
        identity: &str,
    ) -> StoreResult<Option<(Room, Option<Participant>)>> {
        let room = self.find_by_name(name).await?;
        Ok(room.map(|room| {
            let row = self.participant(&room.id, identity);
            (room, row)
        }))
    }
    async fn list_by_creator(&self, user_id: &str) -> StoreResult<Vec<Room>> {
        Ok(lock(&self.rooms)
            .iter()
            .rev()
            .filter(|r| r.created_by == user_id && r.deleted_at.is_none())
            .cloned()
            .collect())
    }
    async fn list_archived(&self, user_id: &str) -> StoreResult<Vec<Room>> {
        Ok(lock(&self.rooms)
            .iter()
            .rev()
            .filter(|r| r.created_by == user_id && r.deleted_at.is_some())
            .cloned()
            .collect())
    }
    async fn archive(&self, id: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        let mut rooms = lock(&self.rooms);
        let Some(room) = rooms.iter_mut().find(|r| r.id == id) else {
            return Ok(false);
        };
        room.deleted_at = Some(now);
        room.is_active = false;
        for p in lock(&self.participants)
            .iter_mut()
            .filter(|p| p.room_id == id)
        {
            p.is_active = false;
            p.left_at = Some(now);
        }
        Ok(true)
    }
    async fn update_settings(
        &self,
        id: &str,
        is_public: bool,
        max_participants: i32,
        settings: RoomSettings,
        now: DateTime<Utc>,
    ) -> StoreResult<Room> {
        let mut rooms = lock(&self.rooms);
        let room = rooms
            .iter_mut()
            .find(|r| r.id == id)
            .ok_or(StoreError::NotFound)?;
        room.is_public = is_public;
        room.max_participants = max_participants;
        room.settings = settings;
        room.updated_at = now;
        Ok(room.clone())
    }
    async fn hard_delete(&self, id: &str) -> StoreResult<bool> {
        let mut rooms = lock(&self.rooms);
        let before = rooms.len();
        rooms.retain(|r| r.id != id);
        lock(&self.participants).retain(|p| p.room_id != id);
        Ok(rooms.len() < before)
    }
    async fn admin_list(&self, query: RoomQuery) -> StoreResult<(Vec<AdminRoom>, i64)> {
        let rooms = lock(&self.rooms);
        let all: Vec<AdminRoom> = rooms
            .iter()
            .map(|r| AdminRoom {
                room: r.clone(),
                participants_count: 0,
                owner_name: String::new(),
                owner_email: String::new(),
            })
            .collect();
        let total = all.len() as i64;
        let page = all
            .into_iter()
            .skip(query.offset as usize)
            .take(query.limit as usize)
            .collect();
        Ok((page, total))
    }
    async fn set_live(&self, name: &str, live: bool, now: DateTime<Utc>) -> StoreResult<bool> {
        Ok(self.with_active(name, |room| {
            room.is_live = live;
            room.last_activity_at = Some(now);
        }))
    }
    async fn touch_activity(&self, name: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        Ok(self.with_active(name, |room| room.last_activity_at = Some(now)))
    }
    async fn correct_live(&self, name: &str, live: bool) -> StoreResult<bool> {
        Ok(self.with_active(name, |room| room.is_live = live))
    }
    async fn deactivate_expired(&self, _now: DateTime<Utc>) -> StoreResult<u64> {
        Ok(0)
    }
    async fn deactivate_idle(
        &self,
        _idle_before: DateTime<Utc>,
        _now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        Ok(0)
    }
}

#[async_trait]
impl ParticipantStore for RoomRows {
    async fn get(&self, room_id: &str, identity: &str) -> StoreResult<Option<Participant>> {
        Ok(self.participant(room_id, identity))
    }
    async fn list(&self, room_id: &str) -> StoreResult<Vec<Participant>> {
        Ok(lock(&self.participants)
            .iter()
            .filter(|p| p.room_id == room_id)
            .cloned()
            .collect())
    }
    async fn count_active(&self, room_id: &str, except: Option<String>) -> StoreResult<i64> {
        Ok(lock(&self.participants)
            .iter()
            .filter(|p| p.room_id == room_id && p.is_active && !p.is_banned)
            .filter(|p| Some(&p.identity) != except.as_ref())
            .count() as i64)
    }
    async fn admit(
        &self,
        room_id: &str,
        identity: &str,
        capacity: Option<i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut rows = lock(&self.participants);
        let others = rows
            .iter()
            .filter(|p| p.room_id == room_id && p.is_active && !p.is_banned)
            .filter(|p| p.identity != identity)
            .count() as i64;
        if capacity.is_some_and(|c| others >= c) {
            return Ok(false);
        }
        if !rows
            .iter()
            .any(|p| p.room_id == room_id && p.identity == identity)
        {
            rows.push(RoomRows::new_row(room_id, identity, now));
        }
        for p in rows
            .iter_mut()
            .filter(|p| p.room_id == room_id && p.identity == identity)
        {
            p.is_active = true;
            p.joined_at = Some(now);
            p.left_at = None;
        }
        Ok(true)
    }
    async fn apply(
        &self,
        room_id: &str,
        identity: &str,
        change: ParticipantChange,
        now: DateTime<Utc>,
    ) -> StoreResult<Participant> {
        let mut rows = lock(&self.participants);
        if !rows
            .iter()
            .any(|p| p.room_id == room_id && p.identity == identity)
        {
            rows.push(RoomRows::new_row(room_id, identity, now));
        }
        let row = rows
            .iter_mut()
            .find(|p| p.room_id == room_id && p.identity == identity)
            .ok_or(StoreError::NotFound)?;
        if let Some(active) = change.active {
            row.is_active = active;
            if !active {
                row.left_at = Some(now);
            }
        }
        if let Some(v) = change.moderator {
            row.is_moderator = v;
        }
        if let Some(v) = change.banned {
            row.is_banned = v;
        }
        if let Some(v) = change.on_stage {
            row.on_stage = v;
        }
        Ok(row.clone())
    }
    async fn deactivate_all(&self, room_id: &str, now: DateTime<Utc>) -> StoreResult<u64> {
        let mut n = 0;
        for p in lock(&self.participants)
            .iter_mut()
            .filter(|p| p.room_id == room_id && p.is_active)
        {
            p.is_active = false;
            p.left_at = Some(now);
            n += 1;
        }
        Ok(n)
    }
}

/// Calls made to the media doubles, as `"method room …"` strings.
pub type MediaCalls = Arc<Mutex<Vec<String>>>;

/// The recorded calls so far.
pub fn calls(log: &MediaCalls) -> Vec<String> {
    lock(log).clone()
}

fn record(log: &MediaCalls, call: String) {
    lock(log).push(call);
}

/// A media server whose every call succeeds (or fails with `Unavailable` when `failing`)
/// and is recorded; nobody is connected.
pub fn media_server(log: MediaCalls, failing: bool) -> MockMediaServer {
    let fail = move || -> Result<(), MediaError> {
        if failing {
            Err(MediaError::Unavailable(anyhow::anyhow!(
                "connection refused (os error 111)"
            )))
        } else {
            Ok(())
        }
    };
    let mut m = MockMediaServer::new();
    let l = log.clone();
    m.expect_create_room().returning(move |name, max| {
        record(&l, format!("create_room {name} {max}"));
        fail()
    });
    let l = log.clone();
    m.expect_delete_room().returning(move |name| {
        record(&l, format!("delete_room {name}"));
        fail()
    });
    m.expect_list_rooms().returning(|| Ok(Vec::new()));
    let l = log.clone();
    m.expect_list_participants().returning(move |room| {
        record(&l, format!("list_participants {room}"));
        Ok(Vec::new())
    });
    m.expect_get_participant()
        .returning(|_, _| Err(MediaError::NotFound));
    m.expect_remove_participant()
        .returning(|_, _| Err(MediaError::NotFound));
    m.expect_mute_track().returning(|_, _, _, _| Ok(()));
    m.expect_update_participant()
        .returning(|_, _, _, _| Err(MediaError::NotFound));
    let l = log;
    m.expect_send_data().returning(move |room, topic, payload| {
        record(
            &l,
            format!(
                "send_data {room} {topic} {}",
                String::from_utf8_lossy(&payload)
            ),
        );
        fail()
    });
    m
}

/// A token signer that returns `lk.<identity>.<room>`.
pub fn media_tokens() -> MockMediaTokens {
    let mut m = MockMediaTokens::new();
    m.expect_join_token()
        .returning(|grant| Ok(format!("lk.{}.{}", grant.identity, grant.room)));
    m
}
