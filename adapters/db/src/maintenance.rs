//! `SweepStore` and `CensusStore` on both backends.

use async_trait::async_trait;
use bedrud_ports::*;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};
use diesel_async::RunQueryDsl;

use crate::Db;
use crate::error::db_err;

/// Active participant rows of the room in the outer query.
const ACTIVE_ROWS: &str = "(SELECT COUNT(*) FROM room_participants p \
     WHERE p.room_id = rooms.id AND p.is_active)";

#[async_trait]
impl SweepStore for Db {
    async fn sweep_candidates(&self, running: Vec<String>) -> StoreResult<Vec<SweepRoom>> {
        let rows: Vec<(String, String, bool, i64)> = on_db!(self, read, |conn| {
            rooms::table
                .filter(rooms::is_active.eq(true))
                .filter(rooms::deleted_at.is_null())
                .filter(
                    rooms::is_live
                        .eq(true)
                        .or(rooms::name.eq_any(&running))
                        .or(diesel::dsl::sql::<Bool>(&format!("{ACTIVE_ROWS} > 0"))),
                )
                .select((
                    rooms::id,
                    rooms::name,
                    rooms::is_live,
                    diesel::dsl::sql::<BigInt>(ACTIVE_ROWS),
                ))
                .order(rooms::id.asc())
                .load(conn)
                .await
                .map_err(db_err)?
        });
        Ok(rows
            .into_iter()
            .map(|(id, name, is_live, active)| SweepRoom {
                id,
                name,
                is_live,
                active_participants: active,
            })
            .collect())
    }

    async fn deactivate_stale(
        &self,
        room_id: &str,
        connected: Vec<String>,
        joined_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        on_db!(self, write, |conn| {
            diesel::update(
                room_participants::table
                    .filter(room_participants::room_id.eq(room_id))
                    .filter(room_participants::is_active.eq(true))
                    .filter(room_participants::identity.ne_all(&connected))
                    .filter(
                        room_participants::joined_at
                            .lt(joined_before)
                            .or(room_participants::joined_at.is_null()),
                    ),
            )
            .set((
                room_participants::is_active.eq(false),
                room_participants::left_at.eq(Some(now)),
                room_participants::updated_at.eq(now),
            ))
            .execute(conn)
            .await
            .map(|n| n as u64)
            .map_err(db_err)
        })
    }
}

#[async_trait]
impl CensusStore for Db {
    async fn census(&self, now: DateTime<Utc>) -> StoreResult<Census> {
        on_db!(self, read, |conn| {
            let active_sessions: i64 = sessions::table
                .filter(sessions::revoked_at.is_null())
                .filter(sessions::expires_at.gt(now))
                .count()
                .get_result(conn)
                .await
                .map_err(db_err)?;
            let rooms_where = |active: Option<bool>, live: bool, archived: bool| {
                let mut q = rooms::table.into_boxed();
                q = if archived {
                    q.filter(rooms::deleted_at.is_not_null())
                } else {
                    q.filter(rooms::deleted_at.is_null())
                };
                if let Some(active) = active {
                    q = q.filter(rooms::is_active.eq(active));
                }
                if live {
                    q = q.filter(rooms::is_live.eq(true));
                }
                q.count()
            };
            let active_rooms: i64 = rooms_where(Some(true), false, false)
                .get_result(conn)
                .await
                .map_err(db_err)?;
            let live_rooms: i64 = rooms_where(Some(true), true, false)
                .get_result(conn)
                .await
                .map_err(db_err)?;
            let inactive_rooms: i64 = rooms_where(Some(false), false, false)
                .get_result(conn)
                .await
                .map_err(db_err)?;
            let archived_rooms: i64 = rooms_where(None, false, true)
                .get_result(conn)
                .await
                .map_err(db_err)?;
            let active_participants: i64 = room_participants::table
                .filter(room_participants::is_active.eq(true))
                .filter(room_participants::is_banned.eq(false))
                .count()
                .get_result(conn)
                .await
                .map_err(db_err)?;
            let census = Census {
                active_sessions,
                active_rooms,
                live_rooms,
                inactive_rooms,
                archived_rooms,
                active_participants,
            };
            Ok(census)
        })
    }
}
