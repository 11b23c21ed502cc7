//! Rooms (API §3.5): create, join, guest-join, check, refresh-token, list, archived,
//! delete, settings and presence.

use std::sync::Arc;

use bedrud_domain::rooms::ROOM_NOT_FOUND;
use bedrud_domain::{GuestJoin, JoinOutcome, NewRoom, Presence, SettingsChange};
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use crate::auth::guest_id::{GUEST_COOKIE, GUEST_COOKIE_MAX_AGE};
use crate::auth::token::cookie;
use crate::auth::{Caller, MaybeCaller, Member};
use crate::context::{Client, RequestContext};
use crate::dto::Text;
use crate::dto::room::{
    ArchivedOwnedDto, CreateRoomRequest, CreatedRoomDto, GuestJoinRequest, GuestJoinedDto,
    JoinResponseDto, JoinedRoomDto, PresenceCountDto, PresenceDto, PresenceListDto, RoomCheckDto,
    RoomDto, RoomNameRequest, RoomTokenDto, UpdateSettingsRequest,
};
use crate::dto::user::{MessageDto, TokensDto};
use crate::error::ApiError;
use crate::ids;
use crate::media_log::{spawn_teardown, warn_media};
use crate::routes::flow::{
    API_LIMIT_429, FlowError, GUARD_401, GUEST_LIMIT_429, INTERNAL_500, MEDIA_502, NO_GUESTS_403,
    TOO_LARGE_413, UNAVAILABLE_503, error_doc,
};
use crate::routes::{
    Tag, api_limited, guest_limited, guest_limited_body, invalid_body, member_api_limited,
    user_api_limited_body,
};
use crate::{HttpState, Services};

type ApiResult<T> = Result<T, ApiError>;

const ROOM_404: &str = "`Room not found`";
const GONE_410: &str = "`room is no longer active`";

error_doc!(
    /// Errors of `POST /api/room/create`.
    CreateErrors,
    [
        (
            400,
            "`Invalid request body` · `room name must be at least 3 characters` · `room name \
             must be at most 63 characters` · `room name must contain only lowercase letters, \
             numbers, and hyphens` · `maxParticipants must be at most <limit>` · `Invalid room \
             mode`"
        ),
        (401, GUARD_401),
        (
            403,
            "`Account is deactivated` · `Guests cannot create or manage rooms` · `Room limit \
             reached (max N active rooms)`"
        ),
        (409, "`a room with this name already exists`"),
        (413, TOO_LARGE_413),
        (429, API_LIMIT_429),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `POST /api/room/join`.
    JoinErrors,
    [
        (400, "`Invalid body`"),
        (401, GUARD_401),
        (
            403,
            "`Account is deactivated` · `you are banned from this room` · `This room requires \
             approval to join` · `This room is private` · `room is full`"
        ),
        (404, ROOM_404),
        (410, GONE_410),
        (413, TOO_LARGE_413),
        (500, INTERNAL_500),
        (502, MEDIA_502),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `POST /api/room/guest-join`.
    GuestJoinErrors,
    [
        (
            400,
            "`Invalid body` · `Guest name is required` · `Guest name too long (max 50 \
             characters)`"
        ),
        (
            403,
            "`Guest login is currently disabled` · `This room is private` · `you are banned from \
             this room` · `room is full`"
        ),
        (404, ROOM_404),
        (410, GONE_410),
        (413, TOO_LARGE_413),
        (429, GUEST_LIMIT_429),
        (500, INTERNAL_500),
        (502, MEDIA_502),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `GET /api/room/check/:roomName`.
    CheckErrors,
    [
        (
            400,
            "`Room name is required` · `room name must be at least 3 characters` · `room name \
             must be at most 63 characters` · `room name must contain only lowercase letters, \
             numbers, and hyphens`"
        ),
        (
            403,
            "`This room is private` · `room is full` (only when `maxParticipants` > 0)"
        ),
        (404, ROOM_404),
        (410, GONE_410),
        (429, GUEST_LIMIT_429),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `POST /api/room/refresh-token`.
    RefreshTokenErrors,
    [
        (400, "`Invalid body` · `roomName required`"),
        (401, GUARD_401),
        (
            403,
            "`Account is deactivated` · `you are banned from this room` · `This room is private`"
        ),
        (404, ROOM_404),
        (410, GONE_410),
        (413, TOO_LARGE_413),
        (429, API_LIMIT_429),
        (500, INTERNAL_500),
        (502, MEDIA_502),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `GET /api/room/list` and `GET /api/room/archived` (only the guards').
    ListErrors,
    [
        (401, GUARD_401),
        (403, NO_GUESTS_403),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `DELETE /api/room/:roomId`.
    DeleteErrors,
    [
        (401, GUARD_401),
        (
            403,
            "`Account is deactivated` · `Guests cannot create or manage rooms` · `Only the room \
             creator can delete this room`"
        ),
        (404, "`Room not found` (unknown or malformed id)"),
        (413, TOO_LARGE_413),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `PUT /api/room/:roomId/settings`.
    SettingsErrors,
    [
        (
            400,
            "`Invalid body` · `maxParticipants must be between 0 and <limit>`"
        ),
        (401, GUARD_401),
        (
            403,
            "`Account is deactivated` · `Guests cannot create or manage rooms` · `Insufficient \
             permissions`"
        ),
        (404, "`Room not found` (unknown, archived or malformed id)"),
        (413, TOO_LARGE_413),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `GET /api/room/:roomId/presence`.
    PresenceErrors,
    [
        (401, "`Unauthorized` (a list without a valid token)"),
        (
            404,
            "`Room not found` (unknown, archived or malformed id; a private room's count for a \
             non-member)"
        ),
        (429, API_LIMIT_429),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);

/// The stored form of a `:roomId`, or the 404 an unknown room gets (API §1).
pub(crate) fn room_id(raw: &str) -> ApiResult<String> {
    ids::uuid(raw).ok_or_else(|| ApiError::not_found(ROOM_NOT_FOUND))
}

/// `202` of the room delete and the admin close.
#[derive(Debug, ApiResponse)]
pub enum Queued {
    /// The archive (or deletion) is written; the LiveKit teardown runs in the background.
    #[oai(status = 202)]
    Accepted(Json<MessageDto>),
}

/// `POST /api/room/guest-join` outcomes.
#[derive(Debug, ApiResponse)]
pub enum GuestJoinResponse {
    /// Joined. `Set-Cookie: bedrud_guest_id=…` when a new guest identity was minted.
    #[oai(status = 200)]
    Joined(
        Json<GuestJoinedDto>,
        #[oai(header = "Set-Cookie")] Option<String>,
    ),
}

/// Whether a `countOnly` value asks for the count.
fn wants_count(raw: Option<&str>) -> bool {
    raw.is_some_and(|v| {
        let v = v.trim();
        v == "1" || v.eq_ignore_ascii_case("true")
    })
}

/// Rooms area.
pub struct RoomsApi;

#[OpenApi(prefix_path = "/api/room", tag = "Tag::Rooms")]
impl RoomsApi {
    /// Creates a room owned by the caller (no guests); LiveKit `CreateRoom` is best effort.
    #[oai(
        path = "/create",
        method = "post",
        operation_id = "createRoom",
        transform = "member_api_limited"
    )]
    async fn create(
        &self,
        caller: Member,
        services: Data<&Arc<Services>>,
        state: Data<&Arc<HttpState>>,
        req: &Request,
        body: Json<CreateRoomRequest>,
    ) -> Result<Json<CreatedRoomDto>, FlowError<CreateErrors>> {
        let Json(body) = body;
        let input = NewRoom {
            name: body.name.map(Text::into_string),
            max_participants: body.max_participants,
            is_public: body.is_public,
            mode: body.mode.map(Text::into_string),
            settings: body.settings.map(Into::into),
        };
        let created = services.rooms.create(&caller.0, input).await?;
        warn_media(
            &RequestContext::of(req).request_id,
            "create_room",
            &created.room.name,
            created.media_error.as_ref(),
        );
        Ok(Json(CreatedRoomDto {
            room: RoomDto::from(&created.room),
            livekit_host: state.livekit.for_request(req),
        }))
    }

    /// Joins a room by name and returns a LiveKit token; the creator of an inactive
    /// room gets `{"status":"archived_owned",…}` instead.
    #[oai(
        path = "/join",
        method = "post",
        operation_id = "joinRoom",
        transform = "invalid_body"
    )]
    async fn join(
        &self,
        caller: Caller,
        services: Data<&Arc<Services>>,
        state: Data<&Arc<HttpState>>,
        req: &Request,
        body: Json<RoomNameRequest>,
    ) -> Result<Json<JoinResponseDto>, FlowError<JoinErrors>> {
        let name = body.0.name();
        Ok(Json(match services.rooms.join(&caller.0, &name).await? {
            JoinOutcome::Joined(joined) => JoinResponseDto::Joined(JoinedRoomDto::new(
                &joined.room,
                joined.token,
                state.livekit.for_request(req),
            )),
            JoinOutcome::ArchivedOwned(room) => {
                JoinResponseDto::ArchivedOwned(ArchivedOwnedDto::from(&room))
            }
        }))
    }

    /// Joins a room as a guest identified by the `bedrud_guest_id` cookie (minted when
    /// absent or invalid) and signs the guest in.
    #[oai(
        path = "/guest-join",
        method = "post",
        operation_id = "guestJoinRoom",
        transform = "guest_limited_body"
    )]
    async fn guest_join(
        &self,
        services: Data<&Arc<Services>>,
        state: Data<&Arc<HttpState>>,
        req: &Request,
        client: Client,
        body: Json<GuestJoinRequest>,
    ) -> Result<GuestJoinResponse, FlowError<GuestJoinErrors>> {
        let Json(body) = body;
        let known = cookie(req, GUEST_COOKIE).and_then(|v| state.guest_ids.verify(&v));
        let (identity, minted) = match known {
            Some(identity) => (identity, false),
            None => (services.rooms.new_guest_identity(), true),
        };
        let input = GuestJoin {
            identity: identity.clone(),
            guest_name: body.guest_name.map(Text::into_string).unwrap_or_default(),
            room_name: body.room_name.map(Text::into_string).unwrap_or_default(),
        };
        let joined = services.rooms.guest_join(input, &client.0).await?;
        let set_cookie = minted.then(|| {
            state.cookies.lax_cookie(
                GUEST_COOKIE,
                &state.guest_ids.sign(&identity),
                GUEST_COOKIE_MAX_AGE,
            )
        });
        let tokens = TokensDto::from(&joined.tokens);
        Ok(GuestJoinResponse::Joined(
            Json(GuestJoinedDto {
                id: joined.room.id.clone(),
                name: joined.room.name.clone(),
                token: joined.token,
                admin_id: joined.room.admin_id.clone(),
                is_public: joined.room.is_public,
                livekit_host: state.livekit.for_request(req),
                active_recording_id: String::new(),
                access_token: tokens.access_token.clone(),
                refresh_token: tokens.refresh_token.clone(),
                tokens,
            }),
            set_cookie,
        ))
    }

    /// Read-only check that a public room can be joined.
    #[oai(
        path = "/check/:roomName",
        method = "get",
        operation_id = "checkRoom",
        transform = "guest_limited"
    )]
    async fn check(
        &self,
        services: Data<&Arc<Services>>,
        /// Room name.
        #[oai(name = "roomName")]
        room_name: Path<String>,
    ) -> Result<Json<RoomCheckDto>, FlowError<CheckErrors>> {
        let check = services.rooms.check(&room_name.0).await?;
        Ok(Json(RoomCheckDto {
            exists: check.exists,
            name: check.name,
        }))
    }

    /// A fresh LiveKit token from the caller's current role and stage state.
    #[oai(
        path = "/refresh-token",
        method = "post",
        operation_id = "refreshRoomToken",
        transform = "user_api_limited_body"
    )]
    async fn refresh_token(
        &self,
        caller: Caller,
        services: Data<&Arc<Services>>,
        body: Json<RoomNameRequest>,
    ) -> Result<Json<RoomTokenDto>, FlowError<RefreshTokenErrors>> {
        let name = body.0.name();
        let token = services.rooms.refresh_token(&caller.0, &name).await?;
        Ok(Json(RoomTokenDto { token }))
    }

    /// The caller's rooms, archived excluded, newest first.
    #[oai(path = "/list", method = "get", operation_id = "listRooms")]
    async fn list(
        &self,
        caller: Member,
        services: Data<&Arc<Services>>,
    ) -> Result<Json<Vec<RoomDto>>, FlowError<ListErrors>> {
        let rooms = services.rooms.list(&caller.0).await?;
        Ok(Json(rooms.iter().map(RoomDto::from).collect()))
    }

    /// The caller's archived rooms, newest `deletedAt` first.
    #[oai(path = "/archived", method = "get", operation_id = "listArchivedRooms")]
    async fn archived(
        &self,
        caller: Member,
        services: Data<&Arc<Services>>,
    ) -> Result<Json<Vec<RoomDto>>, FlowError<ListErrors>> {
        let rooms = services.rooms.archived(&caller.0).await?;
        Ok(Json(rooms.iter().map(RoomDto::from).collect()))
    }

    /// Archives a room now; the LiveKit teardown runs in the background. Idempotent.
    #[oai(path = "/:roomId", method = "delete", operation_id = "deleteRoom")]
    async fn delete(
        &self,
        caller: Member,
        services: Data<&Arc<Services>>,
        req: &Request,
        /// Room UUID.
        #[oai(name = "roomId")]
        room: Path<String>,
    ) -> Result<Queued, FlowError<DeleteErrors>> {
        let id = room_id(&room.0)?;
        if let Some(plan) = services.rooms.delete(&caller.0, &id).await? {
            let services = Arc::clone(services.0);
            let name = plan.room_name.clone();
            spawn_teardown(
                RequestContext::of(req).request_id.to_string(),
                name,
                async move { services.rooms.teardown(&plan, tokio::time::sleep).await },
            );
        }
        Ok(Queued::Accepted(Json(MessageDto::new(
            "Room deletion queued",
        ))))
    }

    /// Updates visibility, capacity and (merged) settings; LiveKit is synced best effort.
    #[oai(
        path = "/:roomId/settings",
        method = "put",
        operation_id = "updateRoomSettings",
        transform = "invalid_body"
    )]
    async fn update_settings(
        &self,
        caller: Member,
        services: Data<&Arc<Services>>,
        req: &Request,
        /// Room UUID.
        #[oai(name = "roomId")]
        room: Path<String>,
        body: Json<UpdateSettingsRequest>,
    ) -> Result<Json<RoomDto>, FlowError<SettingsErrors>> {
        let Json(body) = body;
        let id = room_id(&room.0)?;
        let change = SettingsChange {
            is_public: body.is_public,
            max_participants: body.max_participants,
            settings: body.settings.map(Into::into),
        };
        let updated = services
            .rooms
            .update_settings(&caller.0, &id, change)
            .await?;
        warn_media(
            &RequestContext::of(req).request_id,
            "room_settings_sync",
            &updated.room.name,
            &updated.media_errors,
        );
        Ok(Json(RoomDto::from(&updated.room)))
    }

    /// Who is connected: a count (`countOnly`), or a list for signed-in callers.
    #[oai(
        path = "/:roomId/presence",
        method = "get",
        operation_id = "roomPresence",
        transform = "api_limited"
    )]
    async fn presence(
        &self,
        viewer: MaybeCaller,
        services: Data<&Arc<Services>>,
        /// Room UUID.
        #[oai(name = "roomId")]
        room: Path<String>,
        /// `1` or `true`: only the count (anonymous callers allowed on public rooms).
        #[oai(name = "countOnly")]
        count_only: Query<Option<String>>,
    ) -> Result<Json<PresenceDto>, FlowError<PresenceErrors>> {
        let id = room_id(&room.0)?;
        let presence = services
            .rooms
            .presence(viewer.0.as_ref(), &id, wants_count(count_only.0.as_deref()))
            .await?;
        Ok(Json(match presence {
            Presence::Count(count) => PresenceDto::Count(PresenceCountDto { count }),
            Presence::Participants(list) => PresenceDto::List(PresenceListDto {
                participants: list.into_iter().map(Into::into).collect(),
            }),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_only_values() {
        assert!(wants_count(Some("1")));
        assert!(wants_count(Some("true")));
        assert!(wants_count(Some("TRUE")));
        assert!(!wants_count(Some("0")));
        assert!(!wants_count(Some("yes")));
        assert!(!wants_count(None));
    }

    #[test]
    fn malformed_room_ids_are_not_found() {
        let err = room_id("nope").expect_err("malformed");
        assert_eq!(
            (err.status().as_u16(), err.message()),
            (404, "Room not found")
        );
        assert_eq!(
            room_id("9B2E3C4D-0000-4000-8000-000000000001")
                .ok()
                .as_deref(),
            Some("9b2e3c4d-0000-4000-8000-000000000001")
        );
    }
}
