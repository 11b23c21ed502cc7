//! The dispatch macro that writes each query once for both backends.

/// Runs `$body` with `$conn` bound to a pooled connection of the configured backend and
/// that backend's tables (`users`, `rooms`, …) in scope. `read` takes a reader; `write`
/// takes the writer (on SQLite the single writer connection, so writes queue in-process).
macro_rules! on_db {
    ($db:expr, $mode:ident, |$conn:ident| $body:expr) => {{
        match $db.pools() {
            $crate::pool::Pools::Postgres(pool) => {
                #[allow(unused_imports)]
                use $crate::schema::postgres::*;
                let mut guard = $crate::pool::acquire(pool).await?;
                let $conn: &mut diesel_async::AsyncPgConnection = &mut guard;
                $body
            }
            $crate::pool::Pools::Sqlite { reader, writer } => {
                #[allow(unused_imports)]
                use $crate::schema::sqlite::*;
                let _ = (&reader, &writer);
                let pool = on_db!(@pick $mode, reader, writer);
                let mut guard = $crate::pool::acquire(pool).await?;
                let $conn: &mut $crate::pool::SqliteConn = &mut guard;
                $body
            }
        }
    }};
    (@pick read, $reader:ident, $writer:ident) => {
        $reader
    };
    (@pick write, $reader:ident, $writer:ident) => {
        $writer
    };
}

/// The column values of a new `users` row (use inside `on_db!`, where `users` is in scope).
macro_rules! user_values {
    ($user:expr, $accesses:expr) => {
        (
            users::id.eq(&$user.id),
            users::email.eq(&$user.email),
            users::name.eq(&$user.name),
            users::avatar_url.eq(&$user.avatar_url),
            users::provider.eq(&$user.provider),
            users::accesses.eq($accesses),
            users::is_active.eq($user.is_active),
            users::password_hash.eq(&$user.password_hash),
            users::email_verified_at.eq($user.email_verified_at),
            users::password_changed_at.eq($user.password_changed_at),
            users::created_at.eq($user.created_at),
            users::updated_at.eq($user.updated_at),
        )
    };
}
