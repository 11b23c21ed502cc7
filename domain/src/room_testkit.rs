//! Room fixtures and a wired set of room port mocks shared by the room unit tests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bedrud_ports::{
    JoinGrant, MediaError, MockMediaServer, MockMediaTokens, MockParticipantStore, MockRoomStore,
    MockSettingsStore, MockUserStore, Participant, Room, RoomMode, RoomSettings, RuntimeSettings,
    StoreError,
};
use chrono::TimeDelta;

use crate::rooms::RoomPorts;
use crate::testkit::{SeqIds, TestClock, t0};

/// An active public standard room `name` with id `r-<name>`, created by `owner`.
pub fn room(name: &str, owner: &str) -> Room {
    Room {
        id: format!("r-{name}"),
        name: name.to_owned(),
        created_by: owner.to_owned(),
        admin_id: owner.to_owned(),
        is_active: true,
        is_public: true,
        max_participants: 0,
        mode: RoomMode::Standard,
        settings: RoomSettings::default(),
        is_live: false,
        created_at: t0() - TimeDelta::hours(1),
        updated_at: t0() - TimeDelta::hours(1),
        expires_at: t0() + TimeDelta::hours(23),
        last_activity_at: Some(t0() - TimeDelta::hours(1)),
        deleted_at: None,
    }
}

/// `room(name, owner)` made private.
pub fn private_room(name: &str, owner: &str) -> Room {
    Room {
        is_public: false,
        ..room(name, owner)
    }
}

/// An inactive participant row of `identity` in room `room_id`, not on stage.
pub fn row(room_id: &str, identity: &str) -> Participant {
    Participant {
        room_id: room_id.to_owned(),
        identity: identity.to_owned(),
        is_active: false,
        is_moderator: false,
        is_banned: false,
        on_stage: false,
        joined_at: None,
        left_at: None,
        created_at: t0() - TimeDelta::hours(1),
        updated_at: t0() - TimeDelta::hours(1),
    }
}

/// A store failure that maps to 503.
pub fn db_down() -> StoreError {
    StoreError::Unavailable(anyhow::anyhow!("db down"))
}

/// A media failure that maps to 502.
pub fn lk_down() -> MediaError {
    MediaError::Unavailable(anyhow::anyhow!("livekit down"))
}

/// The mocks behind a [`RoomPorts`], configured by each test before `ports()`.
pub struct RoomMocks {
    pub rooms: MockRoomStore,
    pub participants: MockParticipantStore,
    pub users: MockUserStore,
    pub settings: MockSettingsStore,
    pub tokens: MockMediaTokens,
    pub media: MockMediaServer,
    pub clock: Arc<TestClock>,
    /// Every grant the token mock signed.
    pub grants: Arc<Mutex<Vec<JoinGrant>>>,
    /// The rows [`RoomMocks::rows`] set, also seen by `find_by_name_with_row`.
    rows: Arc<Mutex<Vec<Participant>>>,
}

impl RoomMocks {
    /// Fresh mocks without expectations and a clock at `t0`.
    pub fn new() -> Self {
        RoomMocks {
            rooms: MockRoomStore::new(),
            participants: MockParticipantStore::new(),
            users: MockUserStore::new(),
            settings: MockSettingsStore::new(),
            tokens: MockMediaTokens::new(),
            media: MockMediaServer::new(),
            clock: TestClock::new(),
            grants: Arc::new(Mutex::new(Vec::new())),
            rows: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// The runtime settings row answers `runtime`.
    pub fn runtime(&mut self, runtime: RuntimeSettings) {
        self.settings
            .expect_get()
            .returning(move || Ok(runtime.clone()));
    }

    /// `RoomStore::get(id)` answers `room` (any id).
    pub fn room_by_id(&mut self, room: Option<Room>) {
        self.rooms.expect_get().returning(move |_| Ok(room.clone()));
    }

    /// `RoomStore::find_by_name` answers `room`; `find_by_name_with_row` answers it with
    /// the caller's row from [`RoomMocks::rows`].
    pub fn room_by_name(&mut self, room: Option<Room>) {
        let named = room.clone();
        self.rooms
            .expect_find_by_name()
            .returning(move |_| Ok(named.clone()));
        let rows = self.rows.clone();
        self.rooms
            .expect_find_by_name_with_row()
            .returning(move |_, identity| {
                let row = rows
                    .lock()
                    .expect("rows")
                    .iter()
                    .find(|r| r.identity == identity)
                    .cloned();
                Ok(room.clone().map(|room| (room, row)))
            });
    }

    /// `ParticipantStore::get` (and the row half of `find_by_name_with_row`) answers from
    /// `rows` by identity.
    pub fn rows(&mut self, rows: Vec<Participant>) {
        self.rows.lock().expect("rows").clone_from(&rows);
        self.participants
            .expect_get()
            .returning(move |_, identity| {
                Ok(rows.iter().find(|r| r.identity == identity).cloned())
            });
    }

    /// The token mock signs once, recording the grant; tokens are `lk:<identity>`.
    pub fn sign_once(&mut self) {
        let grants = self.grants.clone();
        self.tokens
            .expect_join_token()
            .times(1)
            .returning(move |g| {
                grants.lock().expect("grants").push(g.clone());
                Ok(format!("lk:{}", g.identity))
            });
    }

    /// Wires the mocks into ports; ids come from [`SeqIds`].
    pub fn ports(self) -> (RoomPorts, Arc<Mutex<Vec<JoinGrant>>>) {
        let ports = RoomPorts {
            rooms: Arc::new(self.rooms),
            participants: Arc::new(self.participants),
            users: Arc::new(self.users),
            settings: Arc::new(self.settings),
            tokens: Arc::new(self.tokens),
            media: Arc::new(self.media),
            clock: self.clock,
            ids: Arc::new(SeqIds::default()),
        };
        (ports, self.grants)
    }
}

/// A sleep double that records the requested delays.
pub fn recording_sleep(
    log: &Arc<Mutex<Vec<Duration>>>,
) -> impl FnOnce(Duration) -> std::future::Ready<()> + use<> {
    let log = log.clone();
    move |d| {
        log.lock().expect("sleep log").push(d);
        std::future::ready(())
    }
}
