//! Wiring: the only place that names concrete adapters.

use std::sync::Arc;
use std::time::Duration;

use bedrud_db::{Db, PoolOptions};
use bedrud_domain::{
    Accounts, Admin, AdminRooms, AuthPolicy, LivekitEvents, Moderation, RoomPolicy, RoomPorts,
    Rooms, Sessions,
};
use bedrud_http::{HttpConfig, RateLimit, Services};
use bedrud_livekit::{LivekitRooms, LivekitTokens, LivekitWebhooks};
use bedrud_ports::{Clock, IdSource, MediaServer};
use bedrud_security::{Argon2Hasher, JwtCodec, OsRandom, SystemClock};

use crate::config::{Config, OAuthProviderConfig};
use crate::secrets;
use crate::settings::{LivekitMode, Resolved};

/// Secrets the server needs, from config or generated once into the data directory.
pub struct Secrets {
    pub jwt: String,
    pub session: String,
    pub livekit_key: String,
    pub livekit_secret: String,
}

impl Secrets {
    /// Loads or generates every secret.
    pub fn ensure(config: &Config, resolved: &Resolved) -> anyhow::Result<Secrets> {
        let dir = &config.server.data_dir;
        let jwt = secrets::ensure(dir, "jwt_secret", &config.auth.jwt_secret, "JWT secret")?;
        let session = secrets::ensure(
            dir,
            "session_secret",
            &config.auth.session_secret,
            "session secret",
        )?;
        let (livekit_key, livekit_secret) = match resolved.livekit_mode {
            LivekitMode::External => (
                config.livekit.api_key.clone(),
                config.livekit.api_secret.clone(),
            ),
            _ => (
                secrets::ensure(
                    dir,
                    "livekit_api_key",
                    &config.livekit.api_key,
                    "LiveKit API key",
                )?,
                secrets::ensure(
                    dir,
                    "livekit_api_secret",
                    &config.livekit.api_secret,
                    "LiveKit API secret",
                )?,
            ),
        };
        Ok(Secrets {
            jwt,
            session,
            livekit_key,
            livekit_secret,
        })
    }
}

/// Opens the database described by the configuration (no connection yet).
pub fn open_db(config: &Config, resolved: &Resolved) -> anyhow::Result<Db> {
    Db::open(
        &resolved.database,
        &PoolOptions {
            max_connections: config.database.max_connections,
            acquire_timeout: Duration::from_secs(config.database.acquire_timeout_secs.max(1)),
        },
    )
}

/// A provider is enabled when its credentials are not placeholders (API §3.3).
fn provider_enabled(p: &OAuthProviderConfig) -> bool {
    let placeholder = |v: &str| {
        let v = v.trim().to_ascii_lowercase();
        v.is_empty()
            || ["your-", "replace-", "example-", "xxx", "todo"]
                .iter()
                .any(|p| v.starts_with(p))
    };
    !placeholder(&p.client_id) && !placeholder(&p.client_secret)
}

/// The account policy from the configuration.
pub fn auth_policy(config: &Config) -> AuthPolicy {
    AuthPolicy {
        access_token_minutes: i64::from(config.auth.access_token_minutes),
        refresh_token_days: i64::from(config.auth.refresh_token_days),
        registration_enabled: config.auth.registration_enabled,
        guest_login_enabled: config.auth.guest_login_enabled,
        passkeys_enabled: config.auth.passkeys_enabled,
        server_name: config.server.name.clone(),
        oauth_providers: config
            .auth
            .oauth
            .iter()
            .filter(|(_, p)| provider_enabled(p))
            .map(|(name, _)| name.clone())
            .collect(),
        ..AuthPolicy::default()
    }
}

/// The use cases over the database.
pub struct UseCases {
    pub sessions: Arc<Sessions>,
    pub accounts: Arc<Accounts>,
    pub admin: Arc<Admin>,
}

/// Builds the use cases on `db`.
pub fn use_cases(config: &Config, db: &Db, secrets: &Secrets) -> UseCases {
    let store = Arc::new(db.clone());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let ids: Arc<dyn IdSource> = Arc::new(OsRandom);
    let policy = auth_policy(config);
    let sessions = Arc::new(Sessions::new(
        store.clone(),
        store.clone(),
        Arc::new(JwtCodec::new(secrets.jwt.as_bytes())),
        clock.clone(),
        ids.clone(),
        policy.clone(),
    ));
    let accounts = Arc::new(Accounts::new(
        store.clone(),
        store.clone(),
        Arc::new(Argon2Hasher::new()),
        sessions.clone(),
        clock.clone(),
        ids,
        policy.clone(),
    ));
    let admin = Arc::new(Admin::new(store, sessions.clone(), clock, policy));
    UseCases {
        sessions,
        accounts,
        admin,
    }
}

/// Where the server reaches LiveKit's RoomService: `livekit.internal_host`, else the
/// embedded server on loopback, else the external `livekit.host` with ws→http, wss→https.
pub fn livekit_internal_host(config: &Config, mode: LivekitMode) -> String {
    let configured = config.livekit.internal_host.trim();
    if !configured.is_empty() {
        return configured.to_string();
    }
    match mode {
        LivekitMode::Embedded => format!("http://127.0.0.1:{}", config.livekit.port),
        LivekitMode::External => {
            let host = config.livekit.host.trim();
            if let Some(rest) = host.strip_prefix("wss://") {
                format!("https://{rest}")
            } else if let Some(rest) = host.strip_prefix("ws://") {
                format!("http://{rest}")
            } else {
                host.to_string()
            }
        }
        LivekitMode::Disabled => String::new(),
    }
}

/// The room-side use cases and the webhook verifier.
pub struct RoomCases {
    pub rooms: Arc<Rooms>,
    pub moderation: Arc<Moderation>,
    pub events: Arc<LivekitEvents>,
    pub admin_rooms: Arc<AdminRooms>,
    pub webhooks: Arc<LivekitWebhooks>,
}

/// Builds the room use cases over the database and LiveKit.
pub fn room_cases(
    config: &Config,
    db: &Db,
    secrets: &Secrets,
    sessions: Arc<Sessions>,
    mode: LivekitMode,
) -> anyhow::Result<RoomCases> {
    let store = Arc::new(db.clone());
    let media: Arc<dyn MediaServer> = match mode {
        LivekitMode::Disabled => Arc::new(LivekitRooms::disabled()),
        _ => Arc::new(LivekitRooms::new(
            &livekit_internal_host(config, mode),
            &secrets.livekit_key,
            &secrets.livekit_secret,
            config.livekit.skip_tls_verify,
        )?),
    };
    let ports = RoomPorts {
        rooms: store.clone(),
        participants: store.clone(),
        users: store.clone(),
        settings: store,
        tokens: Arc::new(LivekitTokens::new(
            &secrets.livekit_key,
            &secrets.livekit_secret,
        )),
        media,
        clock: Arc::new(SystemClock),
        ids: Arc::new(OsRandom),
    };
    let policy = RoomPolicy {
        default_ttl_hours: i64::from(config.rooms.default_ttl_hours),
        idle_timeout_minutes: i64::from(config.rooms.idle_timeout_minutes),
        max_participants_limit: i32::try_from(config.rooms.max_participants_limit)
            .unwrap_or(i32::MAX),
        max_rooms_per_user: i32::try_from(config.rooms.max_rooms_per_user).unwrap_or(i32::MAX),
        token_ttl_minutes: i64::from(config.livekit.token_ttl_minutes),
    };
    Ok(RoomCases {
        rooms: Arc::new(Rooms::new(ports.clone(), sessions, policy.clone())),
        moderation: Arc::new(Moderation::new(ports.clone())),
        events: Arc::new(LivekitEvents::new(ports.clone())),
        admin_rooms: Arc::new(AdminRooms::new(ports, policy)),
        webhooks: Arc::new(LivekitWebhooks::new(
            &secrets.livekit_key,
            &secrets.livekit_secret,
        )),
    })
}

/// The HTTP adapter's settings from the configuration (the secret keys the guest-id cookie).
pub fn http_config(config: &Config, mode: LivekitMode, session_secret: &str) -> HttpConfig {
    let limit = |max_requests, window_secs| RateLimit {
        max_requests,
        window_secs,
    };
    let r = &config.rate_limit;
    let mut livekit_origins = Vec::new();
    let host = config.livekit.host.trim();
    if !host.is_empty() {
        let origin = host
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or_default())
            .unwrap_or(host);
        for scheme in ["ws", "wss", "http", "https"] {
            livekit_origins.push(format!("{scheme}://{origin}"));
        }
    }
    HttpConfig {
        cors_allowed_origins: config.cors.allowed_origins.clone(),
        cors_allowed_headers: config.cors.allowed_headers.clone(),
        cors_allow_credentials: config.cors.allow_credentials,
        enable_tls: config.server.enable_tls,
        behind_proxy: config.server.behind_proxy,
        trusted_proxies: config.server.trusted_proxies.clone(),
        proxy_header: config.server.proxy_header.clone(),
        cookie_domain: config.server.domain.clone(),
        auth_limit: limit(r.auth_max_requests, r.auth_window_secs),
        guest_limit: limit(r.guest_max_requests, r.guest_window_secs),
        api_limit: limit(r.api_max_requests, r.api_window_secs),
        livekit_origins,
        livekit_host: config.livekit.host.trim().to_string(),
        livekit_embedded: mode == LivekitMode::Embedded,
        session_secret: session_secret.as_bytes().to_vec(),
    }
}

/// The state `/api/ready` reports for the media server.
pub fn livekit_state(mode: LivekitMode) -> &'static str {
    match mode {
        LivekitMode::External => "external",
        LivekitMode::Disabled => "disabled",
        // Process supervision is not built yet: a configured binary is never running.
        LivekitMode::Embedded => "unavailable",
    }
}

/// Everything the HTTP adapter needs.
pub fn services(db: &Db, cases: &UseCases, rooms: &RoomCases, mode: LivekitMode) -> Arc<Services> {
    let state = livekit_state(mode);
    Arc::new(Services {
        accounts: cases.accounts.clone(),
        sessions: cases.sessions.clone(),
        admin: cases.admin.clone(),
        db: Arc::new(db.clone()),
        livekit_state: Arc::new(move || state.to_string()),
        rooms: rooms.rooms.clone(),
        moderation: rooms.moderation.clone(),
        livekit_events: rooms.events.clone(),
        admin_rooms: rooms.admin_rooms.clone(),
        webhooks: rooms.webhooks.clone(),
    })
}
