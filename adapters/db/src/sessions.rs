//! `SessionStore` on both backends.

use async_trait::async_trait;
use bedrud_ports::*;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::Db;
use crate::error::{db_err, store_err};
use crate::rows::SessionRow;

#[async_trait]
impl SessionStore for Db {
    async fn insert(&self, s: Session) -> StoreResult<()> {
        on_db!(self, write, |conn| {
            diesel::insert_into(sessions::table)
                .values((
                    sessions::id.eq(&s.id),
                    sessions::user_id.eq(&s.user_id),
                    sessions::refresh_hash.eq(&s.refresh_hash),
                    sessions::prev_refresh_hash.eq(&s.prev_refresh_hash),
                    sessions::rotated_at.eq(s.rotated_at),
                    sessions::created_at.eq(s.created_at),
                    sessions::last_used_at.eq(s.last_used_at),
                    sessions::expires_at.eq(s.expires_at),
                    sessions::revoked_at.eq(s.revoked_at),
                    sessions::revoke_reason.eq(&s.revoke_reason),
                    sessions::user_agent.eq(&s.user_agent),
                    sessions::ip.eq(&s.ip),
                ))
                .execute(conn)
                .await
                .map_err(store_err("session_id"))?;
        });
        Ok(())
    }

    async fn get(&self, id: &str) -> StoreResult<Option<Session>> {
        on_db!(self, read, |conn| {
            sessions::table
                .find(id)
                .first::<SessionRow>(conn)
                .await
                .optional()
                .map(|r| r.map(Session::from))
                .map_err(db_err)
        })
    }

    async fn rotate(&self, r: Rotation) -> StoreResult<bool> {
        on_db!(self, write, |conn| {
            // Compare-and-set in one statement: only the caller that still sees the
            // expected hash wins, on either backend.
            diesel::update(
                sessions::table
                    .filter(sessions::id.eq(&r.session_id))
                    .filter(sessions::refresh_hash.eq(&r.expected_hash))
                    .filter(sessions::revoked_at.is_null()),
            )
            .set((
                sessions::refresh_hash.eq(&r.new_hash),
                sessions::prev_refresh_hash.eq(Some(&r.expected_hash)),
                sessions::rotated_at.eq(Some(r.now)),
                sessions::last_used_at.eq(r.now),
                sessions::expires_at.eq(r.expires_at),
                sessions::ip.eq(&r.ip),
                sessions::user_agent.eq(&r.user_agent),
            ))
            .execute(conn)
            .await
            .map(|n| n == 1)
            .map_err(db_err)
        })
    }

    async fn revoke(&self, id: &str, reason: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        on_db!(self, write, |conn| {
            diesel::update(
                sessions::table
                    .filter(sessions::id.eq(id))
                    .filter(sessions::revoked_at.is_null()),
            )
            .set((
                sessions::revoked_at.eq(Some(now)),
                sessions::revoke_reason.eq(Some(reason)),
            ))
            .execute(conn)
            .await
            .map(|n| n == 1)
            .map_err(db_err)
        })
    }

    async fn revoke_all(
        &self,
        user_id: &str,
        except: Option<String>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let except = except.unwrap_or_default();
        on_db!(self, write, |conn| {
            diesel::update(
                sessions::table
                    .filter(sessions::user_id.eq(user_id))
                    .filter(sessions::id.ne(&except))
                    .filter(sessions::revoked_at.is_null()),
            )
            .set((
                sessions::revoked_at.eq(Some(now)),
                sessions::revoke_reason.eq(Some(reason)),
            ))
            .execute(conn)
            .await
            .map(|n| n as u64)
            .map_err(db_err)
        })
    }

    async fn touch(&self, id: &str, now: DateTime<Utc>) -> StoreResult<()> {
        on_db!(self, write, |conn| {
            diesel::update(sessions::table.find(id))
                .set(sessions::last_used_at.eq(now))
                .execute(conn)
                .await
                .map_err(db_err)?;
        });
        Ok(())
    }

    async fn purge(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        on_db!(self, write, |conn| {
            diesel::delete(
                sessions::table.filter(
                    sessions::expires_at
                        .lt(before)
                        .or(sessions::revoked_at.lt(before)),
                ),
            )
            .execute(conn)
            .await
            .map(|n| n as u64)
            .map_err(db_err)
        })
    }

    async fn count_active(&self, now: DateTime<Utc>) -> StoreResult<i64> {
        on_db!(self, read, |conn| {
            sessions::table
                .filter(sessions::revoked_at.is_null())
                .filter(sessions::expires_at.gt(now))
                .count()
                .get_result(conn)
                .await
                .map_err(db_err)
        })
    }

    async fn user_summary(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<(i64, Option<DateTime<Utc>>)> {
        on_db!(self, read, |conn| {
            let active: i64 = sessions::table
                .filter(sessions::user_id.eq(user_id))
                .filter(sessions::revoked_at.is_null())
                .filter(sessions::expires_at.gt(now))
                .count()
                .get_result(conn)
                .await
                .map_err(db_err)?;
            let last_seen: Option<DateTime<Utc>> = sessions::table
                .filter(sessions::user_id.eq(user_id))
                .select(sessions::last_used_at)
                .order(sessions::last_used_at.desc())
                .first(conn)
                .await
                .optional()
                .map_err(db_err)?;
            Ok((active, last_seen))
        })
    }
}
