//! `RoomStore` on both backends.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use bedrud_ports::*;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::Db;
use crate::error::{TxError, db_err, store_err};
use crate::lookups::Lookup;
use crate::pool::{KeyLock, Pools};
use crate::rows::{ParticipantRow, RoomRow, UserRow};
use crate::users::like_literal;

/// Which of the rows with one name "the room by that name" is: the active one, else the
/// newest (use inside `on_db!`, where `rooms` is in scope).
macro_rules! newest_by_name {
    () => {
        (
            rooms::is_active.desc(),
            rooms::created_at.desc(),
            rooms::id.desc(),
        )
    };
}

/// Active, non-banned participant rows of the room in the outer query.
const PARTICIPANTS_COUNT: &str = "(SELECT COUNT(*) FROM room_participants p \
     WHERE p.room_id = rooms.id AND p.is_active AND NOT p.is_banned)";

fn bucket_sql(expr: &str, bucket: CountBucket) -> String {
    match bucket.bounds() {
        (lo, Some(hi)) => format!("({expr} BETWEEN {lo} AND {hi})"),
        (lo, None) => format!("({expr} >= {lo})"),
    }
}

fn status_sql(status: RoomStatus) -> &'static str {
    match status {
        RoomStatus::Active => "(rooms.is_active AND rooms.deleted_at IS NULL)",
        RoomStatus::Suspended => "(NOT rooms.is_active AND rooms.deleted_at IS NULL)",
        RoomStatus::Archived => "(rooms.deleted_at IS NOT NULL)",
    }
}

#[async_trait]
impl RoomStore for Db {
    async fn create(
        &self,
        room: Room,
        creator: Participant,
        cap: Option<i64>,
    ) -> StoreResult<RoomCreation> {
        on_db!(self, write, |conn| {
            conn.transaction::<_, TxError, _>(async |conn| {
                if let Some(cap) = cap {
                    conn.lock_key(&format!("rooms-of:{}", room.created_by))
                        .await?;
                    let active: i64 = rooms::table
                        .filter(rooms::created_by.eq(&room.created_by))
                        .filter(rooms::is_active.eq(true))
                        .filter(rooms::deleted_at.is_null())
                        .count()
                        .get_result(conn)
                        .await?;
                    if active >= cap {
                        return Ok(RoomCreation::CapReached);
                    }
                }
                let s = &room.settings;
                diesel::insert_into(rooms::table)
                    .values((
                        (
                            rooms::id.eq(&room.id),
                            rooms::name.eq(&room.name),
                            rooms::created_by.eq(&room.created_by),
                            rooms::admin_id.eq(&room.admin_id),
                            rooms::is_active.eq(room.is_active),
                            rooms::is_public.eq(room.is_public),
                            rooms::max_participants.eq(room.max_participants),
                            rooms::mode.eq(room.mode.as_str()),
                            rooms::allow_chat.eq(s.allow_chat),
                            rooms::allow_video.eq(s.allow_video),
                            rooms::allow_audio.eq(s.allow_audio),
                        ),
                        (
                            rooms::require_approval.eq(s.require_approval),
                            rooms::e2ee.eq(s.e2ee),
                            rooms::is_persistent.eq(s.is_persistent),
                            rooms::recordings_allowed.eq(s.recordings_allowed),
                            rooms::is_live.eq(room.is_live),
                            rooms::created_at.eq(room.created_at),
                            rooms::updated_at.eq(room.updated_at),
                            rooms::expires_at.eq(room.expires_at),
                            rooms::last_activity_at.eq(room.last_activity_at),
                            rooms::deleted_at.eq(room.deleted_at),
                        ),
                    ))
                    .execute(conn)
                    .await
                    .map_err(store_err("room_name"))?;
                diesel::insert_into(room_participants::table)
                    .values((
                        room_participants::room_id.eq(&room.id),
                        room_participants::identity.eq(&creator.identity),
                        room_participants::is_active.eq(creator.is_active),
                        room_participants::is_moderator.eq(creator.is_moderator),
                        room_participants::is_banned.eq(creator.is_banned),
                        room_participants::on_stage.eq(creator.on_stage),
                        room_participants::joined_at.eq(creator.joined_at),
                        room_participants::left_at.eq(creator.left_at),
                        room_participants::created_at.eq(creator.created_at),
                        room_participants::updated_at.eq(creator.updated_at),
                    ))
                    .execute(conn)
                    .await?;
                Ok(RoomCreation::Created(room.clone()))
            })
            .await
            .map_err(|e| e.into_store(db_err))
        })
    }

    async fn get(&self, id: &str) -> StoreResult<Option<Room>> {
        on_db!(self, read, |conn| {
            rooms::table
                .find(id)
                .first::<RoomRow>(conn)
                .await
                .optional()
                .map(|r| r.map(Room::from))
                .map_err(db_err)
        })
    }

    async fn find_by_name(&self, name: &str) -> StoreResult<Option<Room>> {
        on_db!(self, read, |conn| {
            rooms::table
                .filter(rooms::name.eq(name))
                .order(newest_by_name!())
                .first::<RoomRow>(conn)
                .await
                .optional()
                .map(|r| r.map(Room::from))
                .map_err(db_err)
        })
    }

    async fn find_by_name_with_row(
        &self,
        name: &str,
        identity: &str,
    ) -> StoreResult<Option<(Room, Option<Participant>)>> {
        if let Pools::Postgres(pool) = self.pools() {
            // Coalesced with concurrent lookups (see `crate::lookups`).
            let lookup = Lookup {
                name: name.to_string(),
                identity: identity.to_string(),
            };
            return self.lookups().find(pool, lookup).await;
        }
        on_db!(self, read, |conn| {
            rooms::table
                .left_join(
                    room_participants::table.on(room_participants::room_id
                        .eq(rooms::id)
                        .and(room_participants::identity.eq(identity))),
                )
                .filter(rooms::name.eq(name))
                .order(newest_by_name!())
                .select((
                    rooms::all_columns,
                    room_participants::all_columns.nullable(),
                ))
                .first::<(RoomRow, Option<ParticipantRow>)>(conn)
                .await
                .optional()
                .map(|r| r.map(|(room, row)| (Room::from(room), row.map(Participant::from))))
                .map_err(db_err)
        })
    }

    async fn list_by_creator(&self, user_id: &str) -> StoreResult<Vec<Room>> {
        let rows: Vec<RoomRow> = on_db!(self, read, |conn| {
            rooms::table
                .filter(rooms::created_by.eq(user_id))
                .filter(rooms::deleted_at.is_null())
                .order((rooms::created_at.desc(), rooms::id.desc()))
                .load::<RoomRow>(conn)
                .await
                .map_err(db_err)?
        });
        let mut seen = HashSet::new();
        Ok(rows
            .into_iter()
            .map(Room::from)
            .filter(|r| seen.insert(r.name.clone()))
            .collect())
    }

    async fn list_archived(&self, user_id: &str) -> StoreResult<Vec<Room>> {
        on_db!(self, read, |conn| {
            rooms::table
                .filter(rooms::created_by.eq(user_id))
                .filter(rooms::deleted_at.is_not_null())
                .order((rooms::deleted_at.desc(), rooms::id.desc()))
                .load::<RoomRow>(conn)
                .await
                .map(|rows| rows.into_iter().map(Room::from).collect())
                .map_err(db_err)
        })
    }

    async fn archive(&self, id: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        let id = id.to_string();
        on_db!(self, write, |conn| {
            conn.transaction::<_, TxError, _>(async |conn| {
                let exists: i64 = rooms::table.find(&id).count().get_result(conn).await?;
                if exists == 0 {
                    return Ok(false);
                }
                diesel::update(rooms::table.find(&id).filter(rooms::deleted_at.is_null()))
                    .set((
                        rooms::deleted_at.eq(Some(now)),
                        rooms::is_active.eq(false),
                        rooms::is_live.eq(false),
                        rooms::updated_at.eq(now),
                    ))
                    .execute(conn)
                    .await?;
                diesel::update(
                    room_participants::table
                        .filter(room_participants::room_id.eq(&id))
                        .filter(room_participants::is_active.eq(true)),
                )
                .set((
                    room_participants::is_active.eq(false),
                    room_participants::left_at.eq(Some(now)),
                    room_participants::updated_at.eq(now),
                ))
                .execute(conn)
                .await?;
                Ok(true)
            })
            .await
            .map_err(|e| e.into_store(db_err))
        })
    }

    async fn update_settings(
        &self,
        id: &str,
        is_public: bool,
        max_participants: i32,
        s: RoomSettings,
        now: DateTime<Utc>,
    ) -> StoreResult<Room> {
        on_db!(self, write, |conn| {
            let n = diesel::update(rooms::table.find(id))
                .set((
                    rooms::is_public.eq(is_public),
                    rooms::max_participants.eq(max_participants),
                    rooms::allow_chat.eq(s.allow_chat),
                    rooms::allow_video.eq(s.allow_video),
                    rooms::allow_audio.eq(s.allow_audio),
                    rooms::require_approval.eq(s.require_approval),
                    rooms::e2ee.eq(s.e2ee),
                    rooms::is_persistent.eq(s.is_persistent),
                    rooms::recordings_allowed.eq(s.recordings_allowed),
                    rooms::updated_at.eq(now),
                ))
                .execute(conn)
                .await
                .map_err(db_err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            rooms::table
                .find(id)
                .first::<RoomRow>(conn)
                .await
                .map(Room::from)
                .map_err(db_err)
        })
    }

    async fn hard_delete(&self, id: &str) -> StoreResult<bool> {
        on_db!(self, write, |conn| {
            // Participant rows go with the room (ON DELETE CASCADE).
            diesel::delete(rooms::table.find(id))
                .execute(conn)
                .await
                .map(|n| n == 1)
                .map_err(db_err)
        })
    }

    async fn admin_list(&self, q: RoomQuery) -> StoreResult<(Vec<AdminRoom>, i64)> {
        let (rows, total): (Vec<(RoomRow, i64)>, i64) = on_db!(self, read, |conn| {
            let filtered = || {
                let mut query = rooms::table
                    .select((
                        rooms::all_columns,
                        diesel::dsl::sql::<BigInt>(PARTICIPANTS_COUNT),
                    ))
                    .into_boxed();
                if let Some(term) = q.q.as_deref().filter(|t| !t.is_empty()) {
                    query = query.filter(
                        diesel::dsl::sql::<Bool>("LOWER(rooms.name) LIKE ")
                            .bind::<Text, _>(like_literal(term))
                            .sql(" ESCAPE '\\'"),
                    );
                }
                if let Some(term) = q.owner.as_deref().filter(|t| !t.is_empty()) {
                    let pattern = like_literal(term);
                    query = query.filter(
                        diesel::dsl::sql::<Bool>(
                            "EXISTS (SELECT 1 FROM users u WHERE u.id = rooms.created_by AND \
                             (LOWER(u.name) LIKE ",
                        )
                        .bind::<Text, _>(pattern.clone())
                        .sql(" ESCAPE '\\' OR LOWER(u.email) LIKE ")
                        .bind::<Text, _>(pattern)
                        .sql(" ESCAPE '\\'))"),
                    );
                }
                if let Some(public) = q.public {
                    query = query.filter(rooms::is_public.eq(public));
                }
                if !q.statuses.is_empty() {
                    let any: Vec<&str> = q.statuses.iter().map(|s| status_sql(*s)).collect();
                    query =
                        query.filter(diesel::dsl::sql::<Bool>(&format!("({})", any.join(" OR "))));
                }
                if let Some(b) = q.occupancy {
                    query =
                        query.filter(diesel::dsl::sql::<Bool>(&bucket_sql(PARTICIPANTS_COUNT, b)));
                } else if let Some(b) = q.capacity {
                    query = query.filter(diesel::dsl::sql::<Bool>(&bucket_sql(
                        "rooms.max_participants",
                        b,
                    )));
                }
                if let Some(t) = q.created_from {
                    query = query.filter(rooms::created_at.ge(t));
                }
                if let Some(t) = q.created_to {
                    query = query.filter(rooms::created_at.le(t));
                }
                if let Some(t) = q.activity_from {
                    query = query.filter(rooms::last_activity_at.ge(t));
                }
                if let Some(t) = q.activity_to {
                    query = query.filter(rooms::last_activity_at.le(t));
                }
                query
            };
            let total: i64 = filtered().count().get_result(conn).await.map_err(db_err)?;
            let dir = match q.order {
                Order::Asc => "ASC",
                Order::Desc => "DESC",
            };
            let key = match q.sort {
                RoomSort::Name => "rooms.name",
                RoomSort::CreatedAt => "rooms.created_at",
                RoomSort::MaxParticipants => "rooms.max_participants",
                RoomSort::ParticipantsCount => PARTICIPANTS_COUNT,
                RoomSort::LastActivityAt => "rooms.last_activity_at",
                RoomSort::CreatedBy => "rooms.created_by",
            };
            let order = format!("{key} {dir}, rooms.id {dir}");
            let rows = filtered()
                .order(diesel::dsl::sql::<BigInt>(&order))
                .offset(q.offset)
                .limit(q.limit)
                .load::<(RoomRow, i64)>(conn)
                .await
                .map_err(db_err)?;
            (rows, total)
        });
        let owner_ids: Vec<String> = rows.iter().map(|(r, _)| r.created_by.clone()).collect();
        let owners: HashMap<String, (String, String)> = on_db!(self, read, |conn| {
            users::table
                .filter(users::id.eq_any(&owner_ids))
                .load::<UserRow>(conn)
                .await
                .map_err(db_err)?
                .into_iter()
                .map(|u| (u.id, (u.name, u.email)))
                .collect()
        });
        let rooms = rows
            .into_iter()
            .map(|(row, count)| {
                let (owner_name, owner_email) =
                    owners.get(&row.created_by).cloned().unwrap_or_default();
                AdminRoom {
                    room: Room::from(row),
                    participants_count: count,
                    owner_name,
                    owner_email,
                }
            })
            .collect();
        Ok((rooms, total))
    }

    async fn set_live(&self, name: &str, live: bool, now: DateTime<Utc>) -> StoreResult<bool> {
        on_db!(self, write, |conn| {
            diesel::update(
                rooms::table
                    .filter(rooms::name.eq(name))
                    .filter(rooms::is_active.eq(true)),
            )
            .set((
                rooms::is_live.eq(live),
                rooms::last_activity_at.eq(Some(now)),
            ))
            .execute(conn)
            .await
            .map(|n| n > 0)
            .map_err(db_err)
        })
    }

    async fn touch_activity(&self, name: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        on_db!(self, write, |conn| {
            diesel::update(
                rooms::table
                    .filter(rooms::name.eq(name))
                    .filter(rooms::is_active.eq(true)),
            )
            .set(rooms::last_activity_at.eq(Some(now)))
            .execute(conn)
            .await
            .map(|n| n > 0)
            .map_err(db_err)
        })
    }

    async fn correct_live(&self, name: &str, live: bool) -> StoreResult<bool> {
        on_db!(self, write, |conn| {
            diesel::update(
                rooms::table
                    .filter(rooms::name.eq(name))
                    .filter(rooms::is_active.eq(true)),
            )
            .set(rooms::is_live.eq(live))
            .execute(conn)
            .await
            .map(|n| n > 0)
            .map_err(db_err)
        })
    }

    async fn deactivate_expired(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        on_db!(self, write, |conn| {
            diesel::update(
                rooms::table
                    .filter(rooms::is_active.eq(true))
                    .filter(rooms::is_persistent.eq(false))
                    .filter(rooms::is_live.eq(false))
                    .filter(rooms::deleted_at.is_null())
                    .filter(rooms::expires_at.lt(now)),
            )
            .set((rooms::is_active.eq(false), rooms::updated_at.eq(now)))
            .execute(conn)
            .await
            .map(|n| n as u64)
            .map_err(db_err)
        })
    }

    async fn deactivate_idle(
        &self,
        idle_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        on_db!(self, write, |conn| {
            conn.transaction::<_, TxError, _>(async |conn| {
                let ids: Vec<String> = rooms::table
                    .filter(rooms::is_active.eq(true))
                    .filter(rooms::is_persistent.eq(false))
                    .filter(rooms::is_live.eq(false))
                    .filter(rooms::deleted_at.is_null())
                    .filter(
                        rooms::last_activity_at
                            .lt(idle_before)
                            .or(rooms::last_activity_at
                                .is_null()
                                .and(rooms::created_at.lt(idle_before))),
                    )
                    .select(rooms::id)
                    .load(conn)
                    .await?;
                if ids.is_empty() {
                    return Ok(0);
                }
                diesel::update(rooms::table.filter(rooms::id.eq_any(&ids)))
                    .set((rooms::is_active.eq(false), rooms::updated_at.eq(now)))
                    .execute(conn)
                    .await?;
                diesel::update(
                    room_participants::table
                        .filter(room_participants::room_id.eq_any(&ids))
                        .filter(room_participants::is_active.eq(true)),
                )
                .set((
                    room_participants::is_active.eq(false),
                    room_participants::left_at.eq(Some(now)),
                    room_participants::updated_at.eq(now),
                ))
                .execute(conn)
                .await?;
                Ok(ids.len() as u64)
            })
            .await
            .map_err(|e| e.into_store(db_err))
        })
    }
}
