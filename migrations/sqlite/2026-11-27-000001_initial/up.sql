-- Bedrud's initial schema (SQLite: timestamps are RFC 3339 text in UTC, booleans 0/1). Invariants live here as well as in the code.

CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    email               TEXT NOT NULL,
    name                TEXT NOT NULL,
    avatar_url          TEXT NOT NULL DEFAULT '',
    provider            TEXT NOT NULL,
    -- normalised roles as a JSON array of strings, e.g. ["superadmin","user"]
    accesses            TEXT NOT NULL DEFAULT '[]',
    is_active           BOOLEAN NOT NULL DEFAULT TRUE,
    password_hash       TEXT,
    email_verified_at   TEXT,
    password_changed_at TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
-- One account per (email, provider); e-mail-less OAuth accounts are exempt.
CREATE UNIQUE INDEX users_email_provider_key ON users (email, provider) WHERE email <> '';
CREATE INDEX users_email_idx ON users (email);
CREATE INDEX users_created_at_idx ON users (created_at);

CREATE TABLE sessions (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_hash      TEXT NOT NULL,
    prev_refresh_hash TEXT,
    rotated_at        TEXT,
    created_at        TEXT NOT NULL,
    last_used_at      TEXT NOT NULL,
    expires_at        TEXT NOT NULL,
    revoked_at        TEXT,
    revoke_reason     TEXT,
    user_agent        TEXT NOT NULL DEFAULT '',
    ip                TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

CREATE TABLE rooms (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    created_by         TEXT NOT NULL,
    admin_id           TEXT NOT NULL,
    is_active          BOOLEAN NOT NULL DEFAULT TRUE,
    is_public          BOOLEAN NOT NULL DEFAULT FALSE,
    max_participants   INTEGER NOT NULL DEFAULT 0,
    mode               TEXT NOT NULL DEFAULT 'standard',
    allow_chat         BOOLEAN NOT NULL DEFAULT TRUE,
    allow_video        BOOLEAN NOT NULL DEFAULT TRUE,
    allow_audio        BOOLEAN NOT NULL DEFAULT TRUE,
    require_approval   BOOLEAN NOT NULL DEFAULT FALSE,
    e2ee               BOOLEAN NOT NULL DEFAULT FALSE,
    is_persistent      BOOLEAN NOT NULL DEFAULT FALSE,
    recordings_allowed BOOLEAN NOT NULL DEFAULT FALSE,
    is_live            BOOLEAN NOT NULL DEFAULT FALSE,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    expires_at         TEXT NOT NULL,
    last_activity_at   TEXT,
    deleted_at         TEXT,
    CONSTRAINT rooms_mode_check CHECK (mode IN ('standard', 'webinar', 'broadcast'))
);
-- Names are unique among active rooms only; old rows keep theirs.
CREATE UNIQUE INDEX rooms_active_name_key ON rooms (name) WHERE is_active;
CREATE INDEX rooms_name_idx ON rooms (name);
CREATE INDEX rooms_created_by_idx ON rooms (created_by);

CREATE TABLE room_participants (
    room_id      TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    identity     TEXT NOT NULL,
    is_active    BOOLEAN NOT NULL DEFAULT FALSE,
    is_moderator BOOLEAN NOT NULL DEFAULT FALSE,
    is_banned    BOOLEAN NOT NULL DEFAULT FALSE,
    on_stage     BOOLEAN NOT NULL DEFAULT FALSE,
    joined_at    TEXT,
    left_at      TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (room_id, identity)
);
CREATE INDEX room_participants_identity_idx ON room_participants (identity);

CREATE TABLE passkeys (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id BLOB NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    credential    TEXT NOT NULL,
    sign_count    BIGINT NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT
);
CREATE INDEX passkeys_user_id_idx ON passkeys (user_id);

CREATE TABLE ceremonies (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    user_id      TEXT,
    binding_hash TEXT,
    payload      TEXT NOT NULL,
    failures     INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX ceremonies_expires_at_idx ON ceremonies (expires_at);

CREATE TABLE oauth_identities (
    id         TEXT PRIMARY KEY,
    provider   TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    CONSTRAINT oauth_identities_provider_subject_key UNIQUE (provider, subject)
);
CREATE INDEX oauth_identities_user_id_idx ON oauth_identities (user_id);

-- Operator overrides of configuration: one row, NULL = use the config file.
CREATE TABLE runtime_settings (
    id                     INTEGER PRIMARY KEY CHECK (id = 1),
    registration_enabled   BOOLEAN,
    guest_login_enabled    BOOLEAN,
    passkeys_enabled       BOOLEAN,
    server_name            TEXT,
    max_participants_limit INTEGER,
    max_rooms_per_user     INTEGER
);
INSERT INTO runtime_settings (id) VALUES (1);
