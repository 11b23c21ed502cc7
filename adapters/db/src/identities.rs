//! `IdentityStore` on both backends.

use async_trait::async_trait;
use bedrud_ports::*;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::Db;
use crate::error::{TxError, db_err, store_err, user_insert_err};
use crate::rows::{IdentityRow, accesses_to_text};

macro_rules! identity_values {
    ($i:expr) => {
        (
            oauth_identities::id.eq(&$i.id),
            oauth_identities::provider.eq(&$i.provider),
            oauth_identities::subject.eq(&$i.subject),
            oauth_identities::user_id.eq(&$i.user_id),
            oauth_identities::created_at.eq($i.created_at),
        )
    };
}

#[async_trait]
impl IdentityStore for Db {
    async fn find(&self, provider: &str, subject: &str) -> StoreResult<Option<OAuthIdentity>> {
        on_db!(self, read, |conn| {
            oauth_identities::table
                .filter(oauth_identities::provider.eq(provider))
                .filter(oauth_identities::subject.eq(subject))
                .first::<IdentityRow>(conn)
                .await
                .optional()
                .map(|r| r.map(OAuthIdentity::from))
                .map_err(db_err)
        })
    }

    async fn insert(&self, identity: OAuthIdentity) -> StoreResult<()> {
        on_db!(self, write, |conn| {
            diesel::insert_into(oauth_identities::table)
                .values(identity_values!(identity))
                .execute(conn)
                .await
                .map_err(store_err("identity"))?;
        });
        Ok(())
    }

    async fn insert_with_user(&self, user: User, identity: OAuthIdentity) -> StoreResult<User> {
        let accesses = accesses_to_text(&user.accesses);
        on_db!(self, write, |conn| {
            conn.transaction::<_, TxError, _>(async |conn| {
                diesel::insert_into(users::table)
                    .values(user_values!(user, &accesses))
                    .execute(conn)
                    .await
                    .map_err(user_insert_err)?;
                diesel::insert_into(oauth_identities::table)
                    .values(identity_values!(identity))
                    .execute(conn)
                    .await
                    .map_err(store_err("identity"))?;
                Ok(())
            })
            .await
            .map_err(|e| e.into_store(db_err))?;
        });
        Ok(user)
    }

    async fn refresh_profile(
        &self,
        user_id: &str,
        name: String,
        avatar_url: String,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_db!(self, write, |conn| {
            diesel::update(users::table.find(user_id))
                .set((
                    users::name.eq(&name),
                    users::avatar_url.eq(&avatar_url),
                    users::updated_at.eq(now),
                ))
                .execute(conn)
                .await
                .map_err(db_err)?;
        });
        Ok(())
    }
}
