//! Diesel table definitions for SQLite (kept in step with migrations/sqlite).
// Column order matters: row structs in `rows.rs` load columns by position.

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        avatar_url -> Text,
        provider -> Text,
        accesses -> Text,
        is_active -> Bool,
        password_hash -> Nullable<Text>,
        email_verified_at -> Nullable<TimestamptzSqlite>,
        password_changed_at -> Nullable<TimestamptzSqlite>,
        created_at -> TimestamptzSqlite,
        updated_at -> TimestamptzSqlite,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        refresh_hash -> Text,
        prev_refresh_hash -> Nullable<Text>,
        rotated_at -> Nullable<TimestamptzSqlite>,
        created_at -> TimestamptzSqlite,
        last_used_at -> TimestamptzSqlite,
        expires_at -> TimestamptzSqlite,
        revoked_at -> Nullable<TimestamptzSqlite>,
        revoke_reason -> Nullable<Text>,
        user_agent -> Text,
        ip -> Text,
    }
}

diesel::table! {
    rooms (id) {
        id -> Text,
        name -> Text,
        created_by -> Text,
        admin_id -> Text,
        is_active -> Bool,
        is_public -> Bool,
        max_participants -> Integer,
        mode -> Text,
        allow_chat -> Bool,
        allow_video -> Bool,
        allow_audio -> Bool,
        require_approval -> Bool,
        e2ee -> Bool,
        is_persistent -> Bool,
        recordings_allowed -> Bool,
        is_live -> Bool,
        created_at -> TimestamptzSqlite,
        updated_at -> TimestamptzSqlite,
        expires_at -> TimestamptzSqlite,
        last_activity_at -> Nullable<TimestamptzSqlite>,
        deleted_at -> Nullable<TimestamptzSqlite>,
    }
}

diesel::table! {
    room_participants (room_id, identity) {
        room_id -> Text,
        identity -> Text,
        is_active -> Bool,
        is_moderator -> Bool,
        is_banned -> Bool,
        on_stage -> Bool,
        joined_at -> Nullable<TimestamptzSqlite>,
        left_at -> Nullable<TimestamptzSqlite>,
        created_at -> TimestamptzSqlite,
        updated_at -> TimestamptzSqlite,
    }
}

diesel::table! {
    passkeys (id) {
        id -> Text,
        user_id -> Text,
        credential_id -> Binary,
        name -> Text,
        credential -> Text,
        sign_count -> BigInt,
        created_at -> TimestamptzSqlite,
        last_used_at -> Nullable<TimestamptzSqlite>,
    }
}

diesel::table! {
    ceremonies (id) {
        id -> Text,
        kind -> Text,
        user_id -> Nullable<Text>,
        binding_hash -> Nullable<Text>,
        payload -> Text,
        failures -> Integer,
        created_at -> TimestamptzSqlite,
        expires_at -> TimestamptzSqlite,
    }
}

diesel::table! {
    oauth_identities (id) {
        id -> Text,
        provider -> Text,
        subject -> Text,
        user_id -> Text,
        created_at -> TimestamptzSqlite,
    }
}

diesel::table! {
    runtime_settings (id) {
        id -> Integer,
        registration_enabled -> Nullable<Bool>,
        guest_login_enabled -> Nullable<Bool>,
        passkeys_enabled -> Nullable<Bool>,
        server_name -> Nullable<Text>,
        max_participants_limit -> Nullable<Integer>,
        max_rooms_per_user -> Nullable<Integer>,
    }
}

diesel::table! {
    job_runs (id) {
        id -> Text,
        job -> Text,
        tick -> TimestamptzSqlite,
        instance -> Text,
        started_at -> TimestamptzSqlite,
        finished_at -> Nullable<TimestamptzSqlite>,
        rows_changed -> Nullable<BigInt>,
        error -> Nullable<Text>,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(room_participants -> rooms (room_id));
diesel::joinable!(passkeys -> users (user_id));
diesel::joinable!(oauth_identities -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    rooms,
    room_participants,
    passkeys,
    ceremonies,
    oauth_identities,
    runtime_settings,
    job_runs,
);
