//! Validation of the `GET /api/admin/rooms` query parameters into a [`RoomQuery`]
//! (API §3.9).

use bedrud_ports::{CountBucket, Order, RoomQuery, RoomSort, RoomStatus};
use chrono::{DateTime, Utc};

use crate::admin::{created_since, paging};
use crate::error::{DomainError, DomainResult};

/// Raw query parameters of `GET /api/admin/rooms`, as strings (absent = `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomListParams {
    pub page: Option<String>,
    pub limit: Option<String>,
    pub q: Option<String>,
    /// Alias of `q`.
    pub search: Option<String>,
    pub owner: Option<String>,
    /// Alias of `owner`.
    pub created_by: Option<String>,
    pub visibility: Option<String>,
    pub status: Option<String>,
    pub occupancy: Option<String>,
    pub capacity: Option<String>,
    pub created: Option<String>,
    pub date_from: Option<String>,
    pub date_to: Option<String>,
    pub last_activity_from: Option<String>,
    pub last_activity_to: Option<String>,
    pub sort: Option<String>,
    pub order: Option<String>,
}

/// A validated room query and the page/limit to report back.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedRoomQuery {
    pub query: RoomQuery,
    pub page: i64,
    pub limit: i64,
}

/// Validates the parameters; `now` anchors `created`. Errors are the 400 messages of
/// API §3.9.
pub fn validate_room_query(
    params: &RoomListParams,
    now: DateTime<Utc>,
) -> DomainResult<ValidatedRoomQuery> {
    let (page, limit, offset) = paging(params.page.as_deref(), params.limit.as_deref());

    let (mut want_public, mut want_private) = (false, false);
    for item in csv(params.visibility.as_deref()) {
        match item {
            "public" => want_public = true,
            "private" => want_private = true,
            other => return Err(DomainError::invalid(format!("Invalid visibility: {other}"))),
        }
    }
    let public = match (want_public, want_private) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    };

    let mut statuses = Vec::new();
    for item in csv(params.status.as_deref()) {
        let status = match item {
            "active" => RoomStatus::Active,
            "suspended" => RoomStatus::Suspended,
            "archived" => RoomStatus::Archived,
            other => return Err(DomainError::invalid(format!("Invalid status: {other}"))),
        };
        if !statuses.contains(&status) {
            statuses.push(status);
        }
    }

    let occupancy = bucket(params.occupancy.as_deref(), "Invalid occupancy filter")?;
    // Capacity applies only without occupancy.
    let capacity = match occupancy {
        Some(_) => None,
        None => bucket(params.capacity.as_deref(), "Invalid capacity filter")?,
    };

    let created_from = timestamp(params.date_from.as_deref());
    let created_to = timestamp(params.date_to.as_deref());
    let created_from = match (created_from, created_to) {
        (None, None) => match non_empty(params.created.as_deref()) {
            None => None,
            Some(v) => Some(
                created_since(v, now)
                    .ok_or_else(|| DomainError::invalid("Invalid created filter"))?,
            ),
        },
        _ => created_from,
    };

    let sort = match non_empty(params.sort.as_deref()) {
        None | Some("createdAt") => RoomSort::CreatedAt,
        Some("name") => RoomSort::Name,
        Some("maxParticipants") => RoomSort::MaxParticipants,
        Some("participantsCount") => RoomSort::ParticipantsCount,
        Some("lastActivityAt") => RoomSort::LastActivityAt,
        Some("createdBy") => RoomSort::CreatedBy,
        Some(_) => return Err(DomainError::invalid("Invalid sort field")),
    };
    let order = match non_empty(params.order.as_deref()) {
        None | Some("desc") => Order::Desc,
        Some("asc") => Order::Asc,
        Some(_) => return Err(DomainError::invalid("Invalid order, must be asc or desc")),
    };

    let first = |a: &Option<String>, b: &Option<String>| {
        non_empty(a.as_deref())
            .or_else(|| non_empty(b.as_deref()))
            .map(str::to_owned)
    };
    Ok(ValidatedRoomQuery {
        query: RoomQuery {
            q: first(&params.q, &params.search),
            owner: first(&params.owner, &params.created_by),
            public,
            statuses,
            occupancy,
            capacity,
            created_from,
            created_to,
            activity_from: timestamp(params.last_activity_from.as_deref()),
            activity_to: timestamp(params.last_activity_to.as_deref()),
            sort,
            order,
            offset,
            limit,
        },
        page,
        limit,
    })
}

/// `empty`, `1-5`, `6-20`, `20+`; anything else is `message`.
fn bucket(raw: Option<&str>, message: &str) -> DomainResult<Option<CountBucket>> {
    match non_empty(raw) {
        None => Ok(None),
        Some("empty") => Ok(Some(CountBucket::Empty)),
        Some("1-5") => Ok(Some(CountBucket::OneToFive)),
        Some("6-20") => Ok(Some(CountBucket::SixToTwenty)),
        Some("20+") => Ok(Some(CountBucket::OverTwenty)),
        Some(_) => Err(DomainError::invalid(message)),
    }
}

/// An RFC 3339 instant; unparsable values are ignored.
fn timestamp(raw: Option<&str>) -> Option<DateTime<Utc>> {
    non_empty(raw)
        .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
        .map(|t| t.with_timezone(&Utc))
}

fn csv(raw: Option<&str>) -> impl Iterator<Item = &str> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn non_empty(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests;
