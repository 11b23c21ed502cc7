//! Diesel table definitions for PostgreSQL (kept in step with migrations/postgres).
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
        email_verified_at -> Nullable<Timestamptz>,
        password_changed_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        refresh_hash -> Text,
        prev_refresh_hash -> Nullable<Text>,
        rotated_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        last_used_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
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
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        expires_at -> Timestamptz,
        last_activity_at -> Nullable<Timestamptz>,
        deleted_at -> Nullable<Timestamptz>,
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
        joined_at -> Nullable<Timestamptz>,
        left_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
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
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
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
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    oauth_identities (id) {
        id -> Text,
        provider -> Text,
        subject -> Text,
        user_id -> Text,
        created_at -> Timestamptz,
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
        tick -> Timestamptz,
        instance -> Text,
        started_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
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
