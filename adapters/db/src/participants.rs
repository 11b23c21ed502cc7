//! `ParticipantStore` on both backends.

use async_trait::async_trait;
use bedrud_ports::*;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::Db;
use crate::admissions::Admission;
use crate::error::{TxError, db_err};
use crate::rows::ParticipantRow;

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
        let admission = Admission {
            room_id: room_id.to_string(),
            identity: identity.to_string(),
            capacity,
            now,
        };
        // Group commit: concurrent admissions share a transaction (see `crate::admissions`).
        self.admissions().admit(self.pools(), admission).await
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
