//! `PasskeyStore` on both backends.

use async_trait::async_trait;
use bedrud_ports::*;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::Db;
use crate::error::{TxError, db_err, store_err, user_insert_err};
use crate::rows::{PasskeyRow, accesses_to_text};

macro_rules! passkey_values {
    ($p:expr) => {
        (
            passkeys::id.eq(&$p.id),
            passkeys::user_id.eq(&$p.user_id),
            passkeys::credential_id.eq(&$p.credential_id),
            passkeys::name.eq(&$p.name),
            passkeys::credential.eq(&$p.credential),
            passkeys::sign_count.eq($p.sign_count),
            passkeys::created_at.eq($p.created_at),
            passkeys::last_used_at.eq($p.last_used_at),
        )
    };
}

#[async_trait]
impl PasskeyStore for Db {
    async fn insert(&self, p: Passkey) -> StoreResult<()> {
        on_db!(self, write, |conn| {
            diesel::insert_into(passkeys::table)
                .values(passkey_values!(p))
                .execute(conn)
                .await
                .map_err(store_err("credential_id"))?;
        });
        Ok(())
    }

    async fn insert_with_user(&self, user: User, p: Passkey) -> StoreResult<User> {
        let accesses = accesses_to_text(&user.accesses);
        on_db!(self, write, |conn| {
            conn.transaction::<_, TxError, _>(async |conn| {
                diesel::insert_into(users::table)
                    .values(user_values!(user, &accesses))
                    .execute(conn)
                    .await
                    .map_err(user_insert_err)?;
                diesel::insert_into(passkeys::table)
                    .values(passkey_values!(p))
                    .execute(conn)
                    .await
                    .map_err(store_err("credential_id"))?;
                Ok(())
            })
            .await
            .map_err(|e| e.into_store(db_err))?;
        });
        Ok(user)
    }

    async fn list_for_user(&self, user_id: &str) -> StoreResult<Vec<Passkey>> {
        on_db!(self, read, |conn| {
            passkeys::table
                .filter(passkeys::user_id.eq(user_id))
                .order((passkeys::created_at.desc(), passkeys::id.desc()))
                .load::<PasskeyRow>(conn)
                .await
                .map(|rows| rows.into_iter().map(Passkey::from).collect())
                .map_err(db_err)
        })
    }

    async fn find_by_credential_id(&self, credential_id: &[u8]) -> StoreResult<Option<Passkey>> {
        on_db!(self, read, |conn| {
            passkeys::table
                .filter(passkeys::credential_id.eq(credential_id))
                .first::<PasskeyRow>(conn)
                .await
                .optional()
                .map(|r| r.map(Passkey::from))
                .map_err(db_err)
        })
    }

    async fn record_use(
        &self,
        id: &str,
        sign_count: i64,
        credential: String,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_db!(self, write, |conn| {
            diesel::update(passkeys::table.find(id))
                .set((
                    passkeys::sign_count.eq(sign_count),
                    passkeys::credential.eq(&credential),
                    passkeys::last_used_at.eq(Some(now)),
                ))
                .execute(conn)
                .await
                .map_err(db_err)?;
        });
        Ok(())
    }

    async fn delete(&self, id: &str, user_id: &str) -> StoreResult<bool> {
        on_db!(self, write, |conn| {
            diesel::delete(
                passkeys::table
                    .filter(passkeys::id.eq(id))
                    .filter(passkeys::user_id.eq(user_id)),
            )
            .execute(conn)
            .await
            .map(|n| n == 1)
            .map_err(db_err)
        })
    }
}
