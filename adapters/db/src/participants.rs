//! `ParticipantStore` on both backends.

use async_trait::async_trait;
use bedrud_ports::*;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::Db;
use crate::error::{TxError, db_err};
use crate::pool::{Pools, acquire};
use crate::rows::ParticipantRow;

diesel::define_sql_function! {
    /// `ParticipantStore::admit` on PostgreSQL (a plpgsql function of the migrations).
    fn bedrud_admit(
        room_id: diesel::sql_types::Text,
        identity: diesel::sql_types::Text,
        capacity: diesel::sql_types::Nullable<diesel::sql_types::BigInt>,
        now: diesel::sql_types::Timestamptz,
    ) -> diesel::sql_types::Bool;
}

#[async_trait]
impl ParticipantStore for Db {
    async fn get(&self, room_id: &str, identity: &str) -> StoreResult<Option<Participant>> {
        on_db!(self, read, |conn| {
            room_participants::table
                .find((room_id, identity))
                .first::<ParticipantRow>(conn)
                .await
                .optional()
                .map(|r| r.map(Participant::from))
                .map_err(db_err)
        })
    }

    async fn list(&self, room_id: &str) -> StoreResult<Vec<Participant>> {
        on_db!(self, read, |conn| {
            room_participants::table
                .filter(room_participants::room_id.eq(room_id))
                .order(room_participants::created_at.asc())
                .load::<ParticipantRow>(conn)
                .await
                .map(|rows| rows.into_iter().map(Participant::from).collect())
                .map_err(db_err)
        })
    }

    async fn count_active(&self, room_id: &str, except: Option<String>) -> StoreResult<i64> {
        let except = except.unwrap_or_default();
        on_db!(self, read, |conn| {
            room_participants::table
                .filter(room_participants::room_id.eq(room_id))
                .filter(room_participants::is_active.eq(true))
                .filter(room_participants::is_banned.eq(false))
                .filter(room_participants::identity.ne(&except))
                .count()
                .get_result(conn)
                .await
                .map_err(db_err)
        })
    }

    async fn admit(
        &self,
        room_id: &str,
        identity: &str,
        capacity: Option<i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let (room_id, identity) = (room_id.to_string(), identity.to_string());
        match self.pools() {
            // The meeting hot path in one round trip (see `blocking::admit`).
            Pools::Postgres(pool) => {
                let mut conn = acquire(pool).await?;
                diesel::select(bedrud_admit(room_id, identity, capacity, now))
                    .get_result::<bool>(&mut conn)
                    .await
                    .map_err(db_err)
            }
            // One `BEGIN IMMEDIATE … COMMIT` in a single synchronous call on the writer.
            Pools::Sqlite { writer, .. } => {
                let mut conn = acquire(writer).await?;
                conn.spawn_blocking(move |conn| {
                    blocking::admit(conn, &room_id, &identity, capacity, now)
                })
                .await
                .map_err(db_err)
            }
        }
    }

    async fn apply(
        &self,
        room_id: &str,
        identity: &str,
        change: ParticipantChange,
        now: DateTime<Utc>,
    ) -> StoreResult<Participant> {
        let (room_id, identity) = (room_id.to_string(), identity.to_string());
        on_db!(self, write, |conn| {
            conn.transaction::<_, TxError, _>(async |conn| {
                diesel::insert_into(room_participants::table)
                    .values((
                        room_participants::room_id.eq(&room_id),
                        room_participants::identity.eq(&identity),
                        room_participants::created_at.eq(now),
                        room_participants::updated_at.eq(now),
                    ))
                    .on_conflict_do_nothing()
                    .execute(conn)
                    .await?;
                let row: ParticipantRow = room_participants::table
                    .find((&room_id, &identity))
                    .first(conn)
                    .await?;
                let mut p = Participant::from(row);
                if let Some(active) = change.active {
                    if active && !p.is_active {
                        p.joined_at = Some(now);
                        p.left_at = None;
                    } else if !active && p.is_active {
                        p.left_at = Some(now);
                    }
                    p.is_active = active;
                }
                if let Some(m) = change.moderator {
                    p.is_moderator = m;
                }
                if let Some(b) = change.banned {
                    p.is_banned = b;
                }
                if let Some(s) = change.on_stage {
                    p.on_stage = s;
                }
                p.updated_at = now;
                diesel::update(room_participants::table.find((&room_id, &identity)))
                    .set((
                        room_participants::is_active.eq(p.is_active),
                        room_participants::is_moderator.eq(p.is_moderator),
                        room_participants::is_banned.eq(p.is_banned),
                        room_participants::on_stage.eq(p.on_stage),
                        room_participants::joined_at.eq(p.joined_at),
                        room_participants::left_at.eq(p.left_at),
                        room_participants::updated_at.eq(now),
                    ))
                    .execute(conn)
                    .await?;
                Ok(p)
            })
            .await
            .map_err(|e| e.into_store(db_err))
        })
    }

    async fn deactivate_all(&self, room_id: &str, now: DateTime<Utc>) -> StoreResult<u64> {
        on_db!(self, write, |conn| {
            diesel::update(
                room_participants::table
                    .filter(room_participants::room_id.eq(room_id))
                    .filter(room_participants::is_active.eq(true)),
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

/// The SQLite statements of `admit`, run synchronously on the writer connection; the same
/// statements as the PostgreSQL function `bedrud_admit` (migrations/postgres/…_admit).
mod blocking {
    use chrono::{DateTime, Utc};
    use diesel::prelude::*;
    use diesel::sqlite::SqliteConnection;

    use crate::schema::sqlite::*;

    /// [`ParticipantStore::admit`](bedrud_ports::ParticipantStore::admit) as one
    /// `BEGIN IMMEDIATE … COMMIT`.
    pub(super) fn admit(
        conn: &mut SqliteConnection,
        room_id: &str,
        identity: &str,
        capacity: Option<i64>,
        now: DateTime<Utc>,
    ) -> QueryResult<bool> {
        conn.immediate_transaction(|conn| {
            if let Some(capacity) = capacity {
                let others: i64 = room_participants::table
                    .filter(room_participants::room_id.eq(room_id))
                    .filter(room_participants::is_active.eq(true))
                    .filter(room_participants::is_banned.eq(false))
                    .filter(room_participants::identity.ne(identity))
                    .count()
                    .get_result(conn)?;
                if others >= capacity {
                    return Ok(false);
                }
            }
            diesel::insert_into(room_participants::table)
                .values((
                    room_participants::room_id.eq(room_id),
                    room_participants::identity.eq(identity),
                    room_participants::is_active.eq(true),
                    room_participants::joined_at.eq(Some(now)),
                    room_participants::created_at.eq(now),
                    room_participants::updated_at.eq(now),
                ))
                .on_conflict((room_participants::room_id, room_participants::identity))
                .do_update()
                .set((
                    room_participants::is_active.eq(true),
                    room_participants::joined_at.eq(Some(now)),
                    room_participants::left_at.eq(None::<DateTime<Utc>>),
                    room_participants::updated_at.eq(now),
                ))
                .execute(conn)?;
            diesel::update(rooms::table.find(room_id))
                .set(rooms::last_activity_at.eq(Some(now)))
                .execute(conn)?;
            Ok(true)
        })
    }
}
