//! User administration for superadmins (API §3.8).

use std::sync::Arc;

use bedrud_domain::UserListParams;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use crate::Services;
use crate::auth::Superadmin;
use crate::dto::Text;
use crate::dto::admin::{
    AdminUserDetailDto, AdminUserListDto, SetAccessesRequest, SetStatusRequest,
};
use crate::dto::user::MessageDto;
use crate::error::{ApiError, INVALID_INPUT};
use crate::ids;
use crate::routes::flow::{
    FlowError, GUARD_401, INTERNAL_500, SUPERADMIN_403, TOO_LARGE_413, UNAVAILABLE_503, error_doc,
};
use crate::routes::{Tag, invalid_input};

type ApiResult<T> = Result<T, ApiError>;

const USER_404: &str = "`User not found` (unknown or malformed id)";

error_doc!(
    /// Errors of `GET /api/admin/users`.
    ListUsersErrors,
    [
        (
            400,
            "`Invalid provider: X` · `Invalid role: X` · `Invalid status: X` · `Invalid verified \
             filter, use true/false` · `Invalid created filter` · `Invalid sort field` · `Invalid \
             order, must be asc or desc`"
        ),
        (401, GUARD_401),
        (403, SUPERADMIN_403),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `GET /api/admin/users/:id` and `POST /api/admin/users/:id/force-logout`.
    UserErrors,
    [
        (401, GUARD_401),
        (403, SUPERADMIN_403),
        (404, USER_404),
        (413, TOO_LARGE_413),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `PUT /api/admin/users/:id/status`.
    StatusErrors,
    [
        (400, "`Invalid input` · `Cannot change your own status`"),
        (401, GUARD_401),
        (403, SUPERADMIN_403),
        (404, USER_404),
        (409, "`Cannot deactivate the last superadmin`"),
        (413, TOO_LARGE_413),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);
error_doc!(
    /// Errors of `PUT /api/admin/users/:id/accesses`.
    AccessesErrors,
    [
        (
            400,
            "`Invalid input` · `Invalid access role: X` · `Cannot modify your own access levels`"
        ),
        (401, GUARD_401),
        (403, SUPERADMIN_403),
        (404, USER_404),
        (409, "`Cannot demote the last superadmin`"),
        (413, TOO_LARGE_413),
        (500, INTERNAL_500),
        (503, UNAVAILABLE_503),
    ]
);

const USER_NOT_FOUND: &str = "User not found";

/// The stored form of a `:id`, or the 404 an unknown id gets.
fn user_id(raw: &str) -> ApiResult<String> {
    ids::user_id(raw).ok_or_else(|| ApiError::not_found(USER_NOT_FOUND))
}

/// The id an update addresses. Body and self checks precede the 404 (API §3.8 order),
/// so a malformed id is left to the domain, which answers the same `User not found`.
fn id_for_update(raw: String) -> String {
    ids::user_id(&raw).unwrap_or(raw)
}

/// Admin area.
pub struct AdminApi;

#[OpenApi(prefix_path = "/api/admin", tag = "Tag::Admin")]
impl AdminApi {
    /// One page of users; filters are validated by the domain.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/users", method = "get", operation_id = "adminListUsers")]
    async fn list_users(
        &self,
        admin: Superadmin,
        services: Data<&Arc<Services>>,
        /// Page number, ≥ 1 (else 1).
        page: Query<Option<String>>,
        /// Page size, 1–100 (else 50).
        limit: Query<Option<String>>,
        /// Case-insensitive substring of name or email.
        q: Query<Option<String>>,
        /// CSV of provider names.
        provider: Query<Option<String>>,
        /// CSV of roles.
        role: Query<Option<String>>,
        /// CSV of `active`, `banned`.
        status: Query<Option<String>>,
        /// `true` or `false`.
        verified: Query<Option<String>>,
        /// `today`, `7d` or `30d`.
        created: Query<Option<String>>,
        /// `name`, `email`, `provider` or `createdAt`.
        sort: Query<Option<String>>,
        /// `asc` or `desc`.
        order: Query<Option<String>>,
    ) -> Result<Json<AdminUserListDto>, FlowError<ListUsersErrors>> {
        let params = UserListParams {
            page: page.0,
            limit: limit.0,
            q: q.0,
            provider: provider.0,
            role: role.0,
            status: status.0,
            verified: verified.0,
            created: created.0,
            sort: sort.0,
            order: order.0,
        };
        let users = services.admin.list_users(&admin.0, &params).await?;
        Ok(Json(AdminUserListDto::from(&users)))
    }

    /// One user with session activity.
    #[oai(path = "/users/:id", method = "get", operation_id = "adminGetUser")]
    async fn get_user(
        &self,
        admin: Superadmin,
        services: Data<&Arc<Services>>,
        /// User id.
        id: Path<String>,
    ) -> Result<Json<AdminUserDetailDto>, FlowError<UserErrors>> {
        let id = user_id(&id.0)?;
        let detail = services.admin.user_detail(&admin.0, &id).await?;
        Ok(Json(AdminUserDetailDto::from(&detail)))
    }

    /// Activates or deactivates a user; deactivation revokes all their sessions.
    #[oai(
        path = "/users/:id/status",
        method = "put",
        operation_id = "adminSetUserStatus",
        transform = "invalid_input"
    )]
    async fn set_status(
        &self,
        admin: Superadmin,
        services: Data<&Arc<Services>>,
        /// User id.
        id: Path<String>,
        body: Json<SetStatusRequest>,
    ) -> Result<Json<MessageDto>, FlowError<StatusErrors>> {
        let active = body
            .active
            .or(body.is_active)
            .ok_or_else(|| ApiError::bad_request(INVALID_INPUT))?;
        let id = id_for_update(id.0);
        services.admin.set_status(&admin.0, &id, active).await?;
        Ok(Json(MessageDto::new("User status updated successfully")))
    }

    /// Replaces a user's accesses and revokes all their sessions.
    #[oai(
        path = "/users/:id/accesses",
        method = "put",
        operation_id = "adminSetUserAccesses",
        transform = "invalid_input"
    )]
    async fn set_accesses(
        &self,
        admin: Superadmin,
        services: Data<&Arc<Services>>,
        /// User id.
        id: Path<String>,
        body: Json<SetAccessesRequest>,
    ) -> Result<Json<MessageDto>, FlowError<AccessesErrors>> {
        let id = id_for_update(id.0);
        let accesses: Vec<String> = body.0.accesses.into_iter().map(Text::into_string).collect();
        services
            .admin
            .set_accesses(&admin.0, &id, &accesses)
            .await?;
        Ok(Json(MessageDto::new("User accesses updated")))
    }

    /// Revokes every session of a user (`isActive` unchanged).
    #[oai(
        path = "/users/:id/force-logout",
        method = "post",
        operation_id = "adminForceLogout"
    )]
    async fn force_logout(
        &self,
        admin: Superadmin,
        services: Data<&Arc<Services>>,
        /// User id.
        id: Path<String>,
    ) -> Result<Json<MessageDto>, FlowError<UserErrors>> {
        let id = user_id(&id.0)?;
        services.admin.force_logout(&admin.0, &id).await?;
        Ok(Json(MessageDto::new("All sessions revoked")))
    }
}
