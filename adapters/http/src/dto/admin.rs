//! Bodies of the admin user endpoints (API §3.8, §4.4).

use bedrud_domain::{UserDetail, UserPage};
use bedrud_ports::{Access, User};
use poem_openapi::Object;

use crate::dto::user::{UserDto, access_names};
use crate::dto::{Text, Timestamp};

/// An item of the admin user list (API §4.4).
#[derive(Debug, Clone, PartialEq, Object)]
#[oai(rename = "AdminUser", rename_all = "camelCase")]
pub struct AdminUserDto {
    /// User id.
    pub id: String,
    /// Email address.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Sign-in provider.
    pub provider: String,
    /// `false` when deactivated.
    pub is_active: bool,
    /// Accesses contain `admin`.
    pub is_admin: bool,
    /// Global roles.
    pub accesses: Vec<String>,
    /// Omitted when never verified.
    #[oai(skip_serializing_if_is_none)]
    pub email_verified_at: Option<Timestamp>,
    /// When the account was created.
    pub created_at: Timestamp,
}

impl From<&User> for AdminUserDto {
    fn from(u: &User) -> Self {
        AdminUserDto {
            id: u.id.clone(),
            email: u.email.clone(),
            name: u.name.clone(),
            provider: u.provider.clone(),
            is_active: u.is_active,
            is_admin: u.has(Access::Admin),
            accesses: access_names(u),
            email_verified_at: u.email_verified_at.map(Timestamp),
            created_at: Timestamp(u.created_at),
        }
    }
}

/// `GET /api/admin/users`.
#[derive(Debug, Clone, PartialEq, Object)]
#[oai(rename = "AdminUserList")]
pub struct AdminUserListDto {
    /// This page of users.
    pub users: Vec<AdminUserDto>,
    /// Matches over all pages.
    pub total: i64,
    /// Page number (from 1).
    pub page: i64,
    /// Page size.
    pub limit: i64,
}

impl From<&UserPage> for AdminUserListDto {
    fn from(p: &UserPage) -> Self {
        AdminUserListDto {
            users: p.users.iter().map(AdminUserDto::from).collect(),
            total: p.total,
            page: p.page,
            limit: p.limit,
        }
    }
}

/// `GET /api/admin/users/:id`: User plus session activity.
#[derive(Debug, Clone, PartialEq, Object)]
#[oai(rename = "AdminUserDetail", rename_all = "camelCase")]
pub struct AdminUserDetailDto {
    /// The user (flattened).
    #[oai(flatten)]
    pub user: UserDto,
    /// Accesses contain `admin`.
    pub is_admin: bool,
    /// Unrevoked, unexpired sessions.
    pub active_sessions: i64,
    /// Latest `last_used_at` of the user's sessions.
    #[oai(nullable)]
    pub last_seen_at: Option<Timestamp>,
}

impl From<&UserDetail> for AdminUserDetailDto {
    fn from(d: &UserDetail) -> Self {
        AdminUserDetailDto {
            user: UserDto::from(&d.user),
            is_admin: d.is_admin,
            active_sessions: d.active_sessions,
            last_seen_at: d.last_seen_at.map(Timestamp),
        }
    }
}

/// `PUT /api/admin/users/:id/status`: `active` required (alias `isActive`).
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "SetUserStatusRequest")]
pub struct SetStatusRequest {
    /// `true` activates, `false` deactivates; required (or its alias).
    pub active: Option<bool>,
    /// Alias of `active`.
    #[oai(rename = "isActive")]
    pub is_active: Option<bool>,
}

/// `PUT /api/admin/users/:id/accesses`.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "SetUserAccessesRequest")]
pub struct SetAccessesRequest {
    /// Replaces the roles; may be empty; duplicates dropped.
    pub accesses: Vec<Text>,
}
