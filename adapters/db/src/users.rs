//! `UserStore` on both backends.

use async_trait::async_trait;
use bedrud_ports::*;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::Db;
use crate::error::{TxError, db_err, user_insert_err};
use crate::rows::{UserRow, access_pattern, accesses_to_text};

/// Escapes `%`, `_` and `\` so a search term matches literally under `ESCAPE '\'`.
pub(crate) fn like_literal(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 2);
    out.push('%');
    for ch in term.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

#[async_trait]
impl UserStore for Db {
    async fn insert(&self, user: User) -> StoreResult<User> {
        let accesses = accesses_to_text(&user.accesses);
        on_db!(self, write, |conn| {
            diesel::insert_into(users::table)
                .values(user_values!(user, &accesses))
                .execute(conn)
                .await
                .map_err(user_insert_err)?;
        });
        Ok(user)
    }

    async fn get(&self, id: &str) -> StoreResult<Option<User>> {
        on_db!(self, read, |conn| {
            users::table
                .find(id)
                .first::<UserRow>(conn)
                .await
                .optional()
                .map(|r| r.map(User::from))
                .map_err(db_err)
        })
    }

    async fn find_by_email(&self, email: &str) -> StoreResult<Vec<User>> {
        on_db!(self, read, |conn| {
            users::table
                .filter(users::email.eq(email))
                .order((users::created_at.asc(), users::id.asc()))
                .load::<UserRow>(conn)
                .await
                .map(|rows| rows.into_iter().map(User::from).collect())
                .map_err(db_err)
        })
    }

    async fn update_profile(
        &self,
        id: &str,
        name: String,
        email: Option<String>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let updated = on_db!(self, write, |conn| {
            match email {
                Some(email) => diesel::update(users::table.find(id))
                    .set((
                        users::name.eq(&name),
                        users::email.eq(&email),
                        users::email_verified_at.eq(None::<DateTime<Utc>>),
                        users::updated_at.eq(now),
                    ))
                    .execute(conn)
                    .await
                    .map_err(user_insert_err)?,
                None => diesel::update(users::table.find(id))
                    .set((users::name.eq(&name), users::updated_at.eq(now)))
                    .execute(conn)
                    .await
                    .map_err(db_err)?,
            }
        });
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn set_password_hash(
        &self,
        id: &str,
        hash: String,
        changed_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let updated = on_db!(self, write, |conn| {
            match changed_at {
                Some(at) => {
                    diesel::update(users::table.find(id))
                        .set((
                            users::password_hash.eq(Some(&hash)),
                            users::password_changed_at.eq(Some(at)),
                            users::updated_at.eq(now),
                        ))
                        .execute(conn)
                        .await
                }
                None => {
                    diesel::update(users::table.find(id))
                        .set(users::password_hash.eq(Some(&hash)))
                        .execute(conn)
                        .await
                }
            }
            .map_err(db_err)?
        });
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn set_active(
        &self,
        id: &str,
        active: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<GuardedUpdate> {
        let id = id.to_string();
        let super_pattern = access_pattern(Access::Superadmin);
        on_db!(self, write, |conn| {
            conn.transaction::<_, TxError, _>(async |conn| {
                let Some(row) = users::table
                    .find(&id)
                    .first::<UserRow>(conn)
                    .await
                    .optional()?
                else {
                    return Ok(GuardedUpdate::NotFound);
                };
                let user = User::from(row);
                if !active && user.is_active && user.has(Access::Superadmin) {
                    let others: i64 = users::table
                        .filter(users::is_active.eq(true))
                        .filter(users::accesses.like(&super_pattern))
                        .filter(users::id.ne(&id))
                        .count()
                        .get_result(conn)
                        .await?;
                    if others == 0 {
                        return Ok(GuardedUpdate::LastSuperadmin);
                    }
                }
                diesel::update(users::table.find(&id))
                    .set((users::is_active.eq(active), users::updated_at.eq(now)))
                    .execute(conn)
                    .await?;
                Ok(GuardedUpdate::Updated)
            })
            .await
            .map_err(|e| e.into_store(db_err))
        })
    }

    async fn set_accesses(
        &self,
        id: &str,
        accesses: Vec<Access>,
        now: DateTime<Utc>,
    ) -> StoreResult<GuardedUpdate> {
        let id = id.to_string();
        let text = accesses_to_text(&accesses);
        let keeps_super = accesses.contains(&Access::Superadmin);
        let super_pattern = access_pattern(Access::Superadmin);
        on_db!(self, write, |conn| {
            conn.transaction::<_, TxError, _>(async |conn| {
                let Some(row) = users::table
                    .find(&id)
                    .first::<UserRow>(conn)
                    .await
                    .optional()?
                else {
                    return Ok(GuardedUpdate::NotFound);
                };
                let user = User::from(row);
                if !keeps_super && user.is_active && user.has(Access::Superadmin) {
                    let others: i64 = users::table
                        .filter(users::is_active.eq(true))
                        .filter(users::accesses.like(&super_pattern))
                        .filter(users::id.ne(&id))
                        .count()
                        .get_result(conn)
                        .await?;
                    if others == 0 {
                        return Ok(GuardedUpdate::LastSuperadmin);
                    }
                }
                diesel::update(users::table.find(&id))
                    .set((users::accesses.eq(&text), users::updated_at.eq(now)))
                    .execute(conn)
                    .await?;
                Ok(GuardedUpdate::Updated)
            })
            .await
            .map_err(|e| e.into_store(db_err))
        })
    }

    async fn list(&self, q: UserQuery) -> StoreResult<(Vec<User>, i64)> {
        on_db!(self, read, |conn| {
            // Built twice (count and page) because boxed queries are consumed.
            let filtered = || {
                let mut query = users::table.into_boxed();
                if let Some(term) = q.q.as_deref().filter(|t| !t.is_empty()) {
                    let pattern = like_literal(term);
                    query = query.filter(
                        diesel::dsl::sql::<diesel::sql_types::Bool>("(LOWER(users.name) LIKE ")
                            .bind::<diesel::sql_types::Text, _>(pattern.clone())
                            .sql(" ESCAPE '\\' OR LOWER(users.email) LIKE ")
                            .bind::<diesel::sql_types::Text, _>(pattern)
                            .sql(" ESCAPE '\\')"),
                    );
                }
                if !q.providers.is_empty() {
                    query = query.filter(users::provider.eq_any(q.providers.clone()));
                }
                if !q.roles.is_empty() {
                    // Roles come from a closed set of constants, so they are safe to inline.
                    let any: Vec<String> = q
                        .roles
                        .iter()
                        .map(|r| format!("users.accesses LIKE '{}'", access_pattern(*r)))
                        .collect();
                    query = query.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
                        "({})",
                        any.join(" OR ")
                    )));
                }
                if let Some(active) = q.active {
                    query = query.filter(users::is_active.eq(active));
                }
                match q.verified {
                    Some(true) => query = query.filter(users::email_verified_at.is_not_null()),
                    Some(false) => query = query.filter(users::email_verified_at.is_null()),
                    None => {}
                }
                if let Some(since) = q.created_since {
                    query = query.filter(users::created_at.ge(since));
                }
                query
            };
            let total: i64 = filtered().count().get_result(conn).await.map_err(db_err)?;
            let mut page = filtered();
            page = match (q.sort, q.order) {
                (UserSort::Name, Order::Asc) => page.order((users::name.asc(), users::id.asc())),
                (UserSort::Name, Order::Desc) => page.order((users::name.desc(), users::id.desc())),
                (UserSort::Email, Order::Asc) => page.order((users::email.asc(), users::id.asc())),
                (UserSort::Email, Order::Desc) => {
                    page.order((users::email.desc(), users::id.desc()))
                }
                (UserSort::Provider, Order::Asc) => {
                    page.order((users::provider.asc(), users::id.asc()))
                }
                (UserSort::Provider, Order::Desc) => {
                    page.order((users::provider.desc(), users::id.desc()))
                }
                (UserSort::CreatedAt, Order::Asc) => {
                    page.order((users::created_at.asc(), users::id.asc()))
                }
                (UserSort::CreatedAt, Order::Desc) => {
                    page.order((users::created_at.desc(), users::id.desc()))
                }
            };
            let rows = page
                .offset(q.offset)
                .limit(q.limit)
                .load::<UserRow>(conn)
                .await
                .map_err(db_err)?;
            Ok((rows.into_iter().map(User::from).collect(), total))
        })
    }

    async fn upsert_guest(&self, user: User) -> StoreResult<User> {
        let accesses = accesses_to_text(&user.accesses);
        on_db!(self, write, |conn| {
            diesel::insert_into(users::table)
                .values(user_values!(user, &accesses))
                .on_conflict(users::id)
                .do_update()
                .set((
                    users::name.eq(&user.name),
                    users::updated_at.eq(user.updated_at),
                ))
                .execute(conn)
                .await
                .map_err(user_insert_err)?;
            users::table
                .find(&user.id)
                .first::<UserRow>(conn)
                .await
                .map(User::from)
                .map_err(db_err)
        })
    }

    async fn delete_stale_guests(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        on_db!(self, write, |conn| {
            let in_rooms = room_participants::table
                .filter(room_participants::is_active.eq(true))
                .select(room_participants::identity);
            diesel::delete(
                users::table
                    .filter(users::provider.eq(provider::GUEST))
                    .filter(users::created_at.lt(before))
                    .filter(users::id.ne_all(in_rooms)),
            )
            .execute(conn)
            .await
            .map(|n| n as u64)
            .map_err(db_err)
        })
    }
}
