//! Wiring: the only place that names concrete adapters.

use std::sync::Arc;
use std::time::Duration;

use bedrud_db::{Db, PoolOptions};
use bedrud_domain::{
    Accounts, Admin, AdminRooms, AuthPolicy, LivekitEvents, Maintenance, MaintenancePolicy,
    MaintenancePorts, Moderation, OAuth, OAuthPorts, PasskeyPorts, Passkeys, RoomPolicy, RoomPorts,
    Rooms, Sessions,
};
use bedrud_http::{HttpConfig, Metrics, MetricsSources, PoolGauges, RateLimit, Services};
use bedrud_livekit::{LivekitRooms, LivekitTokens, LivekitWebhooks, Supervisor};
use bedrud_ports::{Clock, IdSource, MediaServer};
use bedrud_scheduler::{JobSchedule, Scheduler};
use bedrud_security::{
    Argon2Hasher, EndpointOverrides, JwtCodec, OAuthClients, OsRandom, ProviderConfig,
    ProviderKind, SystemClock, WebauthnConfig, WebauthnVerifier,
};

use crate::config::Config;
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

/// The WebAuthn relying party from `[auth.webauthn]` and its defaults (API §7): RP id
/// `rp_id`, else `server.domain`, else the host of `auth.frontend_url`, else `localhost`;
/// origins `rp_origins`, else the origin of `auth.frontend_url`, else
/// `https://<server.domain>`, else `http://localhost:8090`; name `rp_name`, else the RP id.
pub fn webauthn_config(config: &Config) -> WebauthnConfig {
    let w = &config.auth.webauthn;
    let domain = config.server.domain.trim();
    let frontend = config.auth.frontend_url.trim();
    let frontend_url = url::Url::parse(frontend).ok();
    let rp_id = [w.rp_id.trim(), domain]
        .into_iter()
        .find(|v| !v.is_empty())
        .map(str::to_owned)
        .or_else(|| {
            frontend_url
                .as_ref()
                .and_then(|u| u.host_str())
                .map(|h| h.trim_matches(['[', ']']).to_owned())
        })
        .unwrap_or_else(|| "localhost".to_owned());
    let configured: Vec<String> = w
        .rp_origins
        .iter()
        .map(|o| o.trim().to_owned())
        .filter(|o| !o.is_empty())
        .collect();
    let rp_origins = if !configured.is_empty() {
        configured
    } else if !frontend.is_empty() {
        // Its origin (a path would never match); unparsable text is passed on so the
        // verifier names it.
        vec![
            frontend_url
                .as_ref()
                .map(|u| u.origin())
                .filter(url::Origin::is_tuple)
                .map(|o| o.ascii_serialization())
                .unwrap_or_else(|| frontend.to_owned()),
        ]
    } else if !domain.is_empty() {
        vec![format!("https://{domain}")]
    } else {
        vec!["http://localhost:8090".to_owned()]
    };
    let rp_name = match w.rp_name.trim() {
        "" => rp_id.clone(),
        name => name.to_owned(),
    };
    WebauthnConfig {
        rp_id,
        rp_name,
        rp_origins,
    }
}

/// The passkey verifier; a bad `[auth.webauthn]` is a start-up error.
pub fn webauthn_verifier(config: &Config) -> anyhow::Result<WebauthnVerifier> {
    WebauthnVerifier::new(&webauthn_config(config)).map_err(anyhow::Error::new)
}

/// The OAuth/OIDC providers of `[auth.oauth]` (disabled ones dropped, API §3.3); a bad
/// table is a start-up error.
pub fn oauth_clients(config: &Config) -> anyhow::Result<OAuthClients> {
    let mut providers = Vec::with_capacity(config.auth.oauth.len());
    for (name, p) in &config.auth.oauth {
        let kind =
            ProviderKind::parse(p.kind.trim().to_ascii_lowercase().as_str()).ok_or_else(|| {
                anyhow::anyhow!(
                    "auth.oauth.{name}: kind must be google, github, twitter or oidc (got {:?})",
                    p.kind
                )
            })?;
        providers.push(ProviderConfig {
            name: name.clone(),
            kind,
            client_id: p.client_id.trim().to_owned(),
            client_secret: p.client_secret.trim().to_owned(),
            redirect_url: p.redirect_url.trim().to_owned(),
            issuer: if kind == ProviderKind::Oidc {
                p.issuer.trim().to_owned()
            } else {
                String::new()
            },
            scopes: p
                .scopes
                .iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            endpoints: endpoint_overrides(name, kind, p)?,
        });
    }
    OAuthClients::new(providers).map_err(anyhow::Error::new)
}

/// The endpoint keys of a `google`, `github` or `twitter` table. A key the kind does not
/// use is a start-up error rather than silently ignored (`oidc` takes its endpoints from
/// discovery, so none).
fn endpoint_overrides(
    name: &str,
    kind: ProviderKind,
    p: &crate::config::OAuthProviderConfig,
) -> anyhow::Result<EndpointOverrides> {
    use ProviderKind::{Github, Google, Oidc, Twitter};
    let key = |key: &str, value: &str, kinds: &[ProviderKind]| {
        let value = value.trim();
        if value.is_empty() {
            return Ok(None);
        }
        if !kinds.contains(&kind) {
            anyhow::bail!(
                "auth.oauth.{name}: {key} does not apply to kind {}{}",
                p.kind.trim().to_ascii_lowercase(),
                if kind == Oidc {
                    " (its endpoints come from discovery at the issuer)"
                } else {
                    ""
                }
            );
        }
        Ok(Some(value.to_owned()))
    };
    let builtin = [Google, Github, Twitter];
    Ok(EndpointOverrides {
        authorization_url: key("authorization_url", &p.authorization_url, &builtin)?,
        token_url: key("token_url", &p.token_url, &builtin)?,
        jwks_url: key("jwks_url", &p.jwks_url, &[Google])?,
        // `oidc` keeps its issuer in `ProviderConfig::issuer` (discovery).
        issuer: key("issuer", &p.issuer, &[Google, Oidc])?.filter(|_| kind == Google),
        profile_url: key("profile_url", &p.profile_url, &[Github, Twitter])?,
        emails_url: key("emails_url", &p.emails_url, &[Github])?,
    })
}

/// The account policy from the configuration; `oauth_providers` are the names of the
/// enabled providers ([`OAuthClients::names`]).
pub fn auth_policy(config: &Config, oauth_providers: Vec<String>) -> AuthPolicy {
    AuthPolicy {
        access_token_minutes: i64::from(config.auth.access_token_minutes),
        refresh_token_days: i64::from(config.auth.refresh_token_days),
        registration_enabled: config.auth.registration_enabled,
        guest_login_enabled: config.auth.guest_login_enabled,
        passkeys_enabled: config.auth.passkeys_enabled,
        server_name: config.server.name.clone(),
        oauth_providers,
        ..AuthPolicy::default()
    }
}

/// The use cases over the database.
pub struct UseCases {
    pub sessions: Arc<Sessions>,
    pub accounts: Arc<Accounts>,
    pub admin: Arc<Admin>,
    pub passkeys: Arc<Passkeys>,
    pub oauth: Arc<OAuth>,
}

/// Builds the use cases on `db`. Errors: a bad `[auth.webauthn]` or `[auth.oauth]`.
pub fn use_cases(config: &Config, db: &Db, secrets: &Secrets) -> anyhow::Result<UseCases> {
    let store = Arc::new(db.clone());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let ids: Arc<dyn IdSource> = Arc::new(OsRandom);
    let verifier = Arc::new(webauthn_verifier(config)?);
    let providers = Arc::new(oauth_clients(config)?);
    let policy = auth_policy(config, providers.names());
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
        ids.clone(),
        policy.clone(),
    ));
    let admin = Arc::new(Admin::new(
        store.clone(),
        sessions.clone(),
        clock.clone(),
        policy.clone(),
    ));
    let passkeys = Arc::new(Passkeys::new(
        PasskeyPorts {
            users: store.clone(),
            passkeys: store.clone(),
            ceremonies: store.clone(),
            settings: store.clone(),
            verifier,
            clock: clock.clone(),
            ids: ids.clone(),
        },
        sessions.clone(),
        policy.clone(),
    ));
    let oauth = Arc::new(OAuth::new(
        OAuthPorts {
            users: store.clone(),
            identities: store.clone(),
            ceremonies: store.clone(),
            settings: store,
            providers,
            clock,
            ids,
        },
        sessions.clone(),
        policy,
        config.auth.frontend_url.trim(),
    ));
    Ok(UseCases {
        sessions,
        accounts,
        admin,
        passkeys,
        oauth,
    })
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
    /// LiveKit's RoomService (a disabled stand-in when there is no media server).
    pub media: Arc<dyn MediaServer>,
}

/// LiveKit's RoomService as the server reaches it (see [`livekit_internal_host`]).
pub fn media_server(
    config: &Config,
    secrets: &Secrets,
    mode: LivekitMode,
) -> anyhow::Result<Arc<dyn MediaServer>> {
    Ok(match mode {
        LivekitMode::Disabled => Arc::new(LivekitRooms::disabled()),
        _ => Arc::new(LivekitRooms::new(
            &livekit_internal_host(config, mode),
            &secrets.livekit_key,
            &secrets.livekit_secret,
            config.livekit.skip_tls_verify,
        )?),
    })
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
    let media = media_server(config, secrets, mode)?;
    let ports = RoomPorts {
        rooms: store.clone(),
        participants: store.clone(),
        users: store.clone(),
        settings: store,
        tokens: Arc::new(LivekitTokens::new(
            &secrets.livekit_key,
            &secrets.livekit_secret,
        )),
        media: media.clone(),
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
        media,
    })
}

/// The maintenance use case behind the scheduled jobs and the metrics' census.
pub fn maintenance(config: &Config, db: &Db, media: Arc<dyn MediaServer>) -> Arc<Maintenance> {
    let store = Arc::new(db.clone());
    Arc::new(Maintenance::new(
        MaintenancePorts {
            rooms: store.clone(),
            sweep: store.clone(),
            users: store.clone(),
            sessions: store.clone(),
            ceremonies: store.clone(),
            job_runs: store.clone(),
            census: store,
            media,
            clock: Arc::new(SystemClock),
        },
        MaintenancePolicy {
            idle_timeout_minutes: i64::from(config.rooms.idle_timeout_minutes),
            guest_retention_days: i64::from(config.jobs.guest_retention_days),
            ..MaintenancePolicy::default()
        },
    ))
}

/// `jobs.<name>` of every job, in listing order.
pub fn job_schedules(config: &Config) -> Vec<JobSchedule> {
    let j = &config.jobs;
    [
        ("room_sweep", &j.room_sweep),
        ("cleanup", &j.cleanup),
        ("guest_cleanup", &j.guest_cleanup),
    ]
    .into_iter()
    .map(|(name, c)| JobSchedule::new(name, c.enabled, &c.schedule))
    .collect()
}

/// The jobs of this instance over `maintenance`, claimed in the database.
pub fn scheduler(config: &Config, db: &Db, maintenance: Arc<Maintenance>) -> Scheduler {
    Scheduler::new(maintenance, Arc::new(db.clone()), job_schedules(config))
}

/// The Prometheus metrics, reading the census, LiveKit and the pool at scrape time.
pub fn metrics(
    db: &Db,
    maintenance: Arc<Maintenance>,
    livekit_state: Arc<dyn Fn() -> String + Send + Sync>,
    supervisor: Option<Arc<Supervisor>>,
) -> anyhow::Result<Arc<Metrics>> {
    let pool_db = db.clone();
    let sources = MetricsSources {
        census: maintenance,
        livekit_state,
        livekit_restarts: Arc::new(move || supervisor.as_ref().map_or(0, |s| s.restarts())),
        db_pool: Arc::new(move || {
            let (size, available, waiting) = pool_db.pool_status();
            PoolGauges {
                size,
                available,
                waiting,
            }
        }),
    };
    Ok(Arc::new(
        Metrics::new(sources, Scheduler::names())
            .map_err(|e| anyhow::anyhow!("cannot register metrics: {e}"))?,
    ))
}

/// What `/api/ready` and the metrics report for LiveKit: the supervisor's state when
/// bedrud runs it, else what the mode implies.
pub fn livekit_state_source(
    mode: LivekitMode,
    supervisor: Option<Arc<Supervisor>>,
) -> Arc<dyn Fn() -> String + Send + Sync> {
    match supervisor {
        Some(s) => Arc::new(move || s.state().as_str().to_owned()),
        None => {
            let state = livekit_state(mode);
            Arc::new(move || state.to_owned())
        }
    }
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

/// The state `/api/ready` reports for the media server when bedrud does not supervise it.
pub fn livekit_state(mode: LivekitMode) -> &'static str {
    match mode {
        LivekitMode::External => "external",
        LivekitMode::Disabled => "disabled",
        LivekitMode::Embedded => "unavailable",
    }
}

/// Everything the HTTP adapter needs; `supervisor` is the embedded LiveKit's, if any.
pub fn services(
    db: &Db,
    cases: &UseCases,
    rooms: &RoomCases,
    livekit_state: Arc<dyn Fn() -> String + Send + Sync>,
) -> Arc<Services> {
    Arc::new(Services {
        accounts: cases.accounts.clone(),
        sessions: cases.sessions.clone(),
        admin: cases.admin.clone(),
        db: Arc::new(db.clone()),
        livekit_state,
        rooms: rooms.rooms.clone(),
        moderation: rooms.moderation.clone(),
        livekit_events: rooms.events.clone(),
        admin_rooms: rooms.admin_rooms.clone(),
        webhooks: rooms.webhooks.clone(),
        passkeys: cases.passkeys.clone(),
        oauth: cases.oauth.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OAuthProviderConfig;

    fn origins(c: &WebauthnConfig) -> Vec<&str> {
        c.rp_origins.iter().map(String::as_str).collect()
    }

    #[test]
    fn webauthn_defaults_follow_domain_then_frontend_url() {
        let mut config = Config::default();
        let c = webauthn_config(&config);
        assert_eq!(
            (c.rp_id.as_str(), c.rp_name.as_str()),
            ("localhost", "localhost")
        );
        assert_eq!(origins(&c), ["http://localhost:8090"]);

        config.auth.frontend_url = " https://app.example.com:8443/meet/ ".into();
        let c = webauthn_config(&config);
        assert_eq!(c.rp_id, "app.example.com");
        assert_eq!(origins(&c), ["https://app.example.com:8443"]);

        config.server.domain = "example.com".into();
        let c = webauthn_config(&config);
        assert_eq!(c.rp_id, "example.com");
        assert_eq!(origins(&c), ["https://app.example.com:8443"]);
        assert!(webauthn_verifier(&config).is_ok());

        config.auth.frontend_url.clear();
        let c = webauthn_config(&config);
        assert_eq!(origins(&c), ["https://example.com"]);

        config.auth.webauthn.rp_id = "meet.example.com".into();
        config.auth.webauthn.rp_name = "Meet".into();
        config.auth.webauthn.rp_origins = vec![
            "https://meet.example.com".into(),
            "android:apk-key-hash:abc".into(),
            " ".into(),
        ];
        let c = webauthn_config(&config);
        assert_eq!(
            (c.rp_id.as_str(), c.rp_name.as_str()),
            ("meet.example.com", "Meet")
        );
        assert_eq!(
            origins(&c),
            ["https://meet.example.com", "android:apk-key-hash:abc"]
        );
        assert!(webauthn_verifier(&config).is_ok());
    }

    #[test]
    fn endpoint_keys_reach_their_kind_and_others_are_refused() {
        let github = OAuthProviderConfig {
            kind: "github".into(),
            authorization_url: " https://ghe.example.com/login/oauth/authorize ".into(),
            token_url: "https://ghe.example.com/login/oauth/access_token".into(),
            profile_url: "https://ghe.example.com/api/v3/user".into(),
            emails_url: "https://ghe.example.com/api/v3/user/emails".into(),
            ..OAuthProviderConfig::default()
        };
        let o = endpoint_overrides("ghe", ProviderKind::Github, &github).expect("github keys");
        assert_eq!(
            o,
            EndpointOverrides {
                authorization_url: Some("https://ghe.example.com/login/oauth/authorize".into()),
                token_url: Some("https://ghe.example.com/login/oauth/access_token".into()),
                jwks_url: None,
                issuer: None,
                profile_url: Some("https://ghe.example.com/api/v3/user".into()),
                emails_url: Some("https://ghe.example.com/api/v3/user/emails".into()),
            }
        );

        let google = OAuthProviderConfig {
            kind: "google".into(),
            jwks_url: "https://proxy.example.com/certs".into(),
            issuer: "https://accounts.example.com".into(),
            ..OAuthProviderConfig::default()
        };
        let o = endpoint_overrides("google", ProviderKind::Google, &google).expect("google");
        assert_eq!(
            o.jwks_url.as_deref(),
            Some("https://proxy.example.com/certs")
        );
        assert_eq!(o.issuer.as_deref(), Some("https://accounts.example.com"));
        assert_eq!(o.authorization_url, None);

        // An oidc issuer is discovery's, not an override.
        let oidc = OAuthProviderConfig {
            kind: "oidc".into(),
            issuer: "https://sso.example.com".into(),
            ..OAuthProviderConfig::default()
        };
        let o = endpoint_overrides("sso", ProviderKind::Oidc, &oidc).expect("oidc");
        assert_eq!(o, EndpointOverrides::default());

        let refused = |kind: ProviderKind, p: OAuthProviderConfig| {
            endpoint_overrides("p", kind, &p)
                .expect_err("refused")
                .to_string()
        };
        assert_eq!(
            refused(
                ProviderKind::Oidc,
                OAuthProviderConfig {
                    kind: "oidc".into(),
                    token_url: "https://sso.example.com/token".into(),
                    ..oidc.clone()
                }
            ),
            "auth.oauth.p: token_url does not apply to kind oidc \
             (its endpoints come from discovery at the issuer)"
        );
        assert_eq!(
            refused(
                ProviderKind::Github,
                OAuthProviderConfig {
                    jwks_url: "https://ghe.example.com/keys".into(),
                    ..github.clone()
                }
            ),
            "auth.oauth.p: jwks_url does not apply to kind github"
        );
        assert_eq!(
            refused(
                ProviderKind::Twitter,
                OAuthProviderConfig {
                    kind: "twitter".into(),
                    emails_url: "https://api.example.com/emails".into(),
                    ..OAuthProviderConfig::default()
                }
            ),
            "auth.oauth.p: emails_url does not apply to kind twitter"
        );

        // Through the whole table: a bad URL in a key is named.
        let mut config = Config::default();
        config.auth.oauth.insert(
            "ghe".into(),
            OAuthProviderConfig {
                client_id: "abc".into(),
                client_secret: "s3cret".into(),
                redirect_url: "https://meet.example.com/api/auth/ghe/callback".into(),
                token_url: "not a url".into(),
                ..github
            },
        );
        let e = oauth_clients(&config).expect_err("bad URL");
        assert_eq!(
            e.to_string(),
            "auth.oauth.ghe: \"not a url\" is not a valid URL"
        );
    }

    #[test]
    fn bad_webauthn_or_oauth_config_is_one_clear_error() {
        let mut config = Config::default();
        config.auth.webauthn.rp_id = "meet.example.com".into();
        config.auth.webauthn.rp_origins = vec!["https://evil.example.org".into()];
        let e = webauthn_verifier(&config).expect_err("foreign origin");
        assert!(
            e.to_string().starts_with("auth.webauthn.rp_origins:"),
            "{e}"
        );

        let provider = |kind: &str, id: &str| OAuthProviderConfig {
            kind: kind.into(),
            client_id: id.into(),
            client_secret: "s3cret".into(),
            redirect_url: "https://meet.example.com/api/auth/x/callback".into(),
            ..OAuthProviderConfig::default()
        };
        let mut config = Config::default();
        config
            .auth
            .oauth
            .insert("sso".into(), provider("saml", "abc"));
        let e = oauth_clients(&config).expect_err("unknown kind");
        assert_eq!(
            e.to_string(),
            "auth.oauth.sso: kind must be google, github, twitter or oidc (got \"saml\")"
        );

        let mut config = Config::default();
        config
            .auth
            .oauth
            .insert("keycloak".into(), provider("oidc", "abc"));
        let e = oauth_clients(&config).expect_err("no issuer");
        assert!(e.to_string().contains("issuer is required"), "{e}");

        let mut config = Config::default();
        config
            .auth
            .oauth
            .insert("github".into(), provider("github", "abc"));
        config
            .auth
            .oauth
            .insert("google".into(), provider("google", "your-client-id"));
        let clients = oauth_clients(&config).expect("valid");
        assert_eq!(clients.names(), ["github"], "placeholders are off");
        assert_eq!(
            auth_policy(&config, clients.names()).oauth_providers,
            ["github"]
        );
    }
}
