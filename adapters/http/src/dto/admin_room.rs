//! Bodies of the admin room endpoints (API §3.9, §4.5).

use bedrud_domain::AdminRoomPage;
use bedrud_ports::AdminRoom;
use poem_openapi::Object;

use crate::dto::Text;
use crate::dto::room::RoomDto;

/// An item of the admin room list (API §4.5).
#[derive(Debug, Clone, PartialEq, Object)]
#[oai(rename = "AdminRoomDetail", rename_all = "camelCase")]
pub struct AdminRoomDetailDto {
    /// The room (flattened).
    #[oai(flatten)]
    pub room: RoomDto,
    /// Active, non-banned participant rows.
    pub participants_count: i64,
    /// The owner's name; `""` if the owner is gone.
    pub owner_name: String,
    /// The owner's email; `""` if the owner is gone.
    pub owner_email: String,
}

impl From<&AdminRoom> for AdminRoomDetailDto {
    fn from(r: &AdminRoom) -> Self {
        AdminRoomDetailDto {
            room: RoomDto::from(&r.room),
            participants_count: r.participants_count,
            owner_name: r.owner_name.clone(),
            owner_email: r.owner_email.clone(),
        }
    }
}

/// `GET /api/admin/rooms`.
#[derive(Debug, Clone, PartialEq, Object)]
#[oai(rename = "AdminRoomList")]
pub struct AdminRoomListDto {
    /// This page of rooms.
    pub rooms: Vec<AdminRoomDetailDto>,
    /// Matches over all pages.
    pub total: i64,
    /// Page number (from 1).
    pub page: i64,
    /// Page size.
    pub limit: i64,
}

impl From<&AdminRoomPage> for AdminRoomListDto {
    fn from(p: &AdminRoomPage) -> Self {
        AdminRoomListDto {
            rooms: p.rooms.iter().map(AdminRoomDetailDto::from).collect(),
            total: p.total,
            page: p.page,
            limit: p.limit,
        }
    }
}

/// `POST /api/admin/rooms/:roomId/token`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Object)]
#[oai(rename = "AdminRoomTokenRequest", rename_all = "camelCase")]
pub struct AdminTokenRequestDto {
    /// Whose token; default the caller.
    pub user_id: Option<Text>,
    /// Seconds, 1–86400; default `livekit.token_ttl_minutes` × 60.
    pub duration: Option<i64>,
    /// Default `true` (an observer that does not publish).
    pub hidden: Option<bool>,
}

/// `POST /api/admin/rooms/:roomId/token` response.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "AdminRoomToken", rename_all = "camelCase")]
pub struct AdminRoomTokenDto {
    /// LiveKit token with `roomAdmin`.
    pub token: String,
    /// Where clients connect to LiveKit.
    pub livekit_host: String,
}
