//! `CeremonyStore` on both backends.

use async_trait::async_trait;
use bedrud_ports::*;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::Db;
use crate::error::{db_err, store_err};
use crate::rows::CeremonyRow;

#[async_trait]
impl CeremonyStore for Db {
    async fn insert(&self, c: Ceremony) -> StoreResult<()> {
        on_db!(self, write, |conn| {
            diesel::insert_into(ceremonies::table)
                .values((
                    ceremonies::id.eq(&c.id),
                    ceremonies::kind.eq(c.kind.as_str()),
                    ceremonies::user_id.eq(&c.user_id),
                    ceremonies::binding_hash.eq(&c.binding_hash),
                    ceremonies::payload.eq(&c.payload),
                    ceremonies::failures.eq(c.failures),
                    ceremonies::created_at.eq(c.created_at),
                    ceremonies::expires_at.eq(c.expires_at),
                ))
                .execute(conn)
                .await
                .map_err(store_err("ceremony_id"))?;
        });
        Ok(())
    }

    async fn get(&self, id: &str, now: DateTime<Utc>) -> StoreResult<Option<Ceremony>> {
        on_db!(self, read, |conn| {
            ceremonies::table
                .find(id)
                .filter(ceremonies::expires_at.gt(now))
                .first::<CeremonyRow>(conn)
                .await
                .optional()
                .map(|r| r.and_then(CeremonyRow::into_ceremony))
                .map_err(db_err)
        })
    }

    async fn consume(&self, id: &str) -> StoreResult<bool> {
        on_db!(self, write, |conn| {
            diesel::delete(ceremonies::table.find(id))
                .execute(conn)
                .await
                .map(|n| n == 1)
                .map_err(db_err)
        })
    }

    async fn record_failure(&self, id: &str, max_failures: i32) -> StoreResult<()> {
        on_db!(self, write, |conn| {
            diesel::update(ceremonies::table.find(id))
                .set(ceremonies::failures.eq(ceremonies::failures + 1))
                .execute(conn)
                .await
                .map_err(db_err)?;
            diesel::delete(
                ceremonies::table
                    .find(id)
                    .filter(ceremonies::failures.ge(max_failures)),
            )
            .execute(conn)
            .await
            .map_err(db_err)?;
        });
        Ok(())
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        on_db!(self, write, |conn| {
            diesel::delete(ceremonies::table.filter(ceremonies::expires_at.le(now)))
                .execute(conn)
                .await
                .map(|n| n as u64)
                .map_err(db_err)
        })
    }
}
