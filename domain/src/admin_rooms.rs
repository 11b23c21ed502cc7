//! The `AdminRooms` use case: the superadmin's room list, close and admin token
//! (API §3.9).

mod query;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::time::Duration;

use bedrud_ports::AdminRoom;

use crate::error::{DomainError, DomainResult};
use crate::grants::{Joiner, admin_grant};
use crate::media_calls::media_unavailable;
use crate::principal::Principal;
use crate::rooms::{ROOM_NOT_FOUND, RoomPolicy, RoomPorts, display_name, unarchived_room};
use crate::teardown::{RoomTeardown, TeardownEvent, TeardownReport, run_teardown};

pub use query::{RoomListParams, ValidatedRoomQuery, validate_room_query};

/// Longest admin token lifetime, in seconds.
const MAX_TOKEN_SECS: i64 = 86_400;

/// One page of `GET /api/admin/rooms`.
#[derive(Debug, Clone, PartialEq)]
pub struct AdminRoomPage {
    pub rooms: Vec<AdminRoom>,
    pub total: i64,
    pub page: i64,
    pub limit: i64,
}

/// `POST /api/admin/rooms/:roomId/token` input; absent fields are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminTokenRequest {
    /// Default: the caller.
    pub user_id: Option<String>,
    /// Seconds, 1–86400; default `livekit.token_ttl_minutes` × 60.
    pub duration: Option<i64>,
    /// Default `true`.
    pub hidden: Option<bool>,
}

/// Room administration; every method requires a superadmin caller.
pub struct AdminRooms {
    ports: RoomPorts,
    policy: RoomPolicy,
}

impl AdminRooms {
    /// Wires the use case to its ports.
    pub fn new(ports: RoomPorts, policy: RoomPolicy) -> Self {
        AdminRooms { ports, policy }
    }

    /// One page of rooms matching the validated filters. Errors: 403 `Insufficient
    /// access rights`; 400 per parameter (API §3.9).
    pub async fn list(
        &self,
        caller: &Principal,
        params: &RoomListParams,
    ) -> DomainResult<AdminRoomPage> {
        require_superadmin(caller)?;
        let validated = validate_room_query(params, self.ports.clock.now())?;
        let (rooms, total) = self.ports.rooms.admin_list(validated.query).await?;
        Ok(AdminRoomPage {
            rooms,
            total,
            page: validated.page,
            limit: validated.limit,
        })
    }

    /// Hard-deletes the room and its participant rows before returning the teardown to
    /// run in the background. Errors: 403; 404 `Room not found`.
    pub async fn close(&self, caller: &Principal, room_id: &str) -> DomainResult<RoomTeardown> {
        require_superadmin(caller)?;
        let room = unarchived_room(self.ports.rooms.as_ref(), room_id).await?;
        if !self.ports.rooms.hard_delete(&room.id).await? {
            return Err(DomainError::not_found(ROOM_NOT_FOUND));
        }
        Ok(RoomTeardown {
            room_name: room.name,
            event: TeardownEvent::RoomClosed,
        })
    }

    /// Runs a teardown returned by [`AdminRooms::close`] (see [`run_teardown`]).
    pub async fn teardown<S, F>(&self, plan: &RoomTeardown, sleep: S) -> TeardownReport
    where
        S: FnOnce(Duration) -> F,
        F: Future<Output = ()>,
    {
        run_teardown(self.ports.media.as_ref(), plan, sleep).await
    }

    /// A LiveKit token with `roomAdmin`, hidden by default. Errors in order: 403; 400
    /// `duration must be between 1 and 86400 seconds`; 404 `Room not found` · `User not
    /// found`; 502.
    pub async fn token(
        &self,
        caller: &Principal,
        room_id: &str,
        request: AdminTokenRequest,
    ) -> DomainResult<String> {
        require_superadmin(caller)?;
        let ttl_secs = match request.duration {
            None => self.policy.token_ttl_secs(),
            Some(d) if (1..=MAX_TOKEN_SECS).contains(&d) => u64::try_from(d).unwrap_or(1),
            Some(_) => {
                return Err(DomainError::invalid(
                    "duration must be between 1 and 86400 seconds",
                ));
            }
        };
        let room = unarchived_room(self.ports.rooms.as_ref(), room_id).await?;
        let user = match request
            .user_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => caller.user.clone(),
            Some(id) => self
                .ports
                .users
                .get(id)
                .await?
                .ok_or_else(|| DomainError::not_found("User not found"))?,
        };
        let joiner = Joiner {
            identity: &user.id,
            name: display_name(&user.name),
            accesses: &user.accesses,
        };
        let grant = admin_grant(&room, &joiner, request.hidden.unwrap_or(true), ttl_secs);
        self.ports
            .tokens
            .join_token(&grant)
            .map_err(media_unavailable)
    }
}

/// The domain's own copy of the HTTP superadmin guard.
fn require_superadmin(caller: &Principal) -> DomainResult<()> {
    if caller.is_superadmin() && caller.user.is_active {
        Ok(())
    } else {
        Err(DomainError::forbidden("Insufficient access rights"))
    }
}
