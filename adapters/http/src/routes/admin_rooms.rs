//! Room administration for superadmins (API §3.9): list, close, admin token.

use std::sync::Arc;

use bedrud_domain::{AdminTokenRequest, RoomListParams};
use poem::Request;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use crate::auth::Superadmin;
use crate::context::RequestContext;
use crate::dto::Text;
use crate::dto::admin_room::{AdminRoomListDto, AdminRoomTokenDto, AdminTokenRequestDto};
use crate::dto::user::MessageDto;
use crate::ids;
use crate::media_log::spawn_teardown;
use crate::routes::Tag;
use crate::routes::flow::{
    FlowError, GUARD_401, INTERNAL_500, SUPERADMIN_403, TOO_LARGE_413, UNAVAILABLE_503, error_doc,
};
use crate::routes::rooms::{Queued, room_id};
use crate::{HttpState, Services};

error_doc!(
    /// Errors of `GET /api/admin/rooms`.
    ListRoomsErrors,
    [
        (
            400,
            "`Invalid visibility: X` · `Invalid status: X` · `Invalid occupancy filter` · \
             `Invalid capacity filter` · `Invalid created filter` · `Invalid sort field` · \
             `Invalid order, must be asc or desc`"
        ),
        (401, GUARD_401),
        (403, SUPERADMIN_403),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `DELETE /api/admin/rooms/:roomId`.
    CloseErrors,
    [
        (401, GUARD_401),
        (403, SUPERADMIN_403),
        (404, "`Room not found` (unknown or malformed id)"),
        (413, TOO_LARGE_413),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `POST /api/admin/rooms/:roomId/token`.
    TokenErrors,
    [
        (
            400,
            "`Invalid request body` · `duration must be between 1 and 86400 seconds`"
        ),
        (401, GUARD_401),
        (403, SUPERADMIN_403),
        (404, "`Room not found` · `User not found`"),
        (413, TOO_LARGE_413),
        (500, INTERNAL_500),
        (502, "`Media server unavailable` (the token cannot be signed)"),
        (503, UNAVAILABLE_503),
    ]
);

/// Admin room area.
pub struct AdminRoomsApi;

#[OpenApi(prefix_path = "/api/admin", tag = "Tag::Admin")]
impl AdminRoomsApi {
    /// One page of rooms with occupancy and owner; filters are validated by the domain.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/rooms", method = "get", operation_id = "adminListRooms")]
    async fn list_rooms(
        &self,
        admin: Superadmin,
        services: Data<&Arc<Services>>,
        /// Page number, ≥ 1 (else 1).
        page: Query<Option<String>>,
        /// Page size, 1–100 (else 50).
        limit: Query<Option<String>>,
        /// Case-insensitive room-name substring.
        q: Query<Option<String>>,
        /// Alias of `q`.
        search: Query<Option<String>>,
        /// Owner name or email substring.
        owner: Query<Option<String>>,
        /// Alias of `owner`.
        #[oai(name = "createdBy")]
        created_by: Query<Option<String>>,
        /// CSV of `public`, `private`.
        visibility: Query<Option<String>>,
        /// CSV of `active`, `suspended`, `archived`.
        status: Query<Option<String>>,
        /// `empty`, `1-5`, `6-20` or `20+` on `participantsCount`.
        occupancy: Query<Option<String>>,
        /// The same buckets on `maxParticipants` (only without `occupancy`).
        capacity: Query<Option<String>>,
        /// `today`, `7d` or `30d`; ignored with `dateFrom`/`dateTo`.
        created: Query<Option<String>>,
        /// RFC 3339; unparsable values are ignored.
        #[oai(name = "dateFrom")]
        date_from: Query<Option<String>>,
        /// RFC 3339; unparsable values are ignored.
        #[oai(name = "dateTo")]
        date_to: Query<Option<String>>,
        /// RFC 3339; unparsable values are ignored.
        #[oai(name = "lastActivityFrom")]
        last_activity_from: Query<Option<String>>,
        /// RFC 3339; unparsable values are ignored.
        #[oai(name = "lastActivityTo")]
        last_activity_to: Query<Option<String>>,
        /// `name`, `createdAt`, `maxParticipants`, `participantsCount`, `lastActivityAt`
        /// or `createdBy`.
        sort: Query<Option<String>>,
        /// `asc` or `desc`.
        order: Query<Option<String>>,
    ) -> Result<Json<AdminRoomListDto>, FlowError<ListRoomsErrors>> {
        let params = RoomListParams {
            page: page.0,
            limit: limit.0,
            q: q.0,
            search: search.0,
            owner: owner.0,
            created_by: created_by.0,
            visibility: visibility.0,
            status: status.0,
            occupancy: occupancy.0,
            capacity: capacity.0,
            created: created.0,
            date_from: date_from.0,
            date_to: date_to.0,
            last_activity_from: last_activity_from.0,
            last_activity_to: last_activity_to.0,
            sort: sort.0,
            order: order.0,
        };
        let page = services.admin_rooms.list(&admin.0, &params).await?;
        Ok(Json(AdminRoomListDto::from(&page)))
    }

    /// Hard-deletes a room now; the LiveKit teardown runs in the background.
    #[oai(
        path = "/rooms/:roomId",
        method = "delete",
        operation_id = "adminCloseRoom"
    )]
    async fn close_room(
        &self,
        admin: Superadmin,
        services: Data<&Arc<Services>>,
        req: &Request,
        /// Room UUID.
        #[oai(name = "roomId")]
        room: Path<String>,
    ) -> Result<Queued, FlowError<CloseErrors>> {
        let id = room_id(&room.0)?;
        let plan = services.admin_rooms.close(&admin.0, &id).await?;
        let services = Arc::clone(services.0);
        let name = plan.room_name.clone();
        spawn_teardown(
            RequestContext::of(req).request_id.to_string(),
            name,
            async move {
                services
                    .admin_rooms
                    .teardown(&plan, tokio::time::sleep)
                    .await
            },
        );
        Ok(Queued::Accepted(Json(MessageDto::new("Room close queued"))))
    }

    /// A LiveKit token with `roomAdmin` for the caller or another user (hidden by default).
    #[oai(
        path = "/rooms/:roomId/token",
        method = "post",
        operation_id = "adminRoomToken"
    )]
    async fn room_token(
        &self,
        admin: Superadmin,
        services: Data<&Arc<Services>>,
        state: Data<&Arc<HttpState>>,
        req: &Request,
        /// Room UUID.
        #[oai(name = "roomId")]
        room: Path<String>,
        body: Json<AdminTokenRequestDto>,
    ) -> Result<Json<AdminRoomTokenDto>, FlowError<TokenErrors>> {
        let Json(body) = body;
        // The duration check precedes the 404 (API §3.9 order), so a malformed id is left
        // to the domain, which answers the same `Room not found`.
        let id = ids::uuid(&room.0).unwrap_or(room.0);
        let request = AdminTokenRequest {
            user_id: body.user_id.map(Text::into_string),
            duration: body.duration,
            hidden: body.hidden,
        };
        let token = services.admin_rooms.token(&admin.0, &id, request).await?;
        Ok(Json(AdminRoomTokenDto {
            token,
            livekit_host: state.livekit.for_request(req),
        }))
    }
}
