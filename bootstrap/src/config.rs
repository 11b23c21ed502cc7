//! Configuration: defaults < TOML file < environment (`BEDRUD_<SECTION>__<KEY>`).
//! Every key is documented in `config.example.toml`; unknown keys are errors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The whole configuration tree (API §7).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub livekit: LivekitConfig,
    pub auth: AuthConfig,
    pub cors: CorsConfig,
    pub rate_limit: RateLimitConfig,
    pub rooms: RoomsConfig,
    pub logging: LoggingConfig,
    pub metrics: MetricsConfig,
    pub jobs: JobsConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    pub host: String,
    pub port: u16,
    pub data_dir: PathBuf,
    pub loopback_port: u16,
    pub name: String,
    pub domain: String,
    pub enable_tls: bool,
    pub cert_file: String,
    pub key_file: String,
    pub behind_proxy: bool,
    pub trusted_proxies: Vec<String>,
    pub proxy_header: String,
    /// How long in-flight requests may run after a shutdown signal.
    pub shutdown_timeout_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            host: "0.0.0.0".into(),
            port: 8090,
            data_dir: PathBuf::from("./data"),
            loopback_port: 8089,
            name: String::new(),
            domain: String::new(),
            enable_tls: false,
            cert_file: String::new(),
            key_file: String::new(),
            behind_proxy: false,
            trusted_proxies: Vec::new(),
            proxy_header: "X-Forwarded-For".into(),
            shutdown_timeout_secs: 10,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// Empty = `sqlite://<data_dir>/bedrud.db`.
    pub url: String,
    pub max_connections: usize,
    pub acquire_timeout_secs: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: String::new(),
            max_connections: 10,
            acquire_timeout_secs: 5,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LivekitConfig {
    pub mode: String,
    pub binary: String,
    pub config_path: String,
    pub port: u16,
    pub rtc_tcp_port: u16,
    pub rtc_port_range_start: u16,
    pub rtc_port_range_end: u16,
    pub node_ip: String,
    pub host: String,
    pub internal_host: String,
    pub api_key: String,
    pub api_secret: String,
    pub skip_tls_verify: bool,
    pub token_ttl_minutes: u32,
}

impl Default for LivekitConfig {
    fn default() -> Self {
        LivekitConfig {
            mode: "auto".into(),
            binary: "livekit-server".into(),
            config_path: String::new(),
            port: 7880,
            rtc_tcp_port: 7881,
            rtc_port_range_start: 50000,
            rtc_port_range_end: 60000,
            node_ip: String::new(),
            host: String::new(),
            internal_host: String::new(),
            api_key: String::new(),
            api_secret: String::new(),
            skip_tls_verify: false,
            token_ttl_minutes: 120,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    pub jwt_secret: String,
    pub session_secret: String,
    pub access_token_minutes: u32,
    pub refresh_token_days: u32,
    pub frontend_url: String,
    pub registration_enabled: bool,
    pub guest_login_enabled: bool,
    pub passkeys_enabled: bool,
    pub webauthn: WebauthnConfig,
    pub oauth: BTreeMap<String, OAuthProviderConfig>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            jwt_secret: String::new(),
            session_secret: String::new(),
            access_token_minutes: 15,
            refresh_token_days: 30,
            frontend_url: String::new(),
            registration_enabled: true,
            guest_login_enabled: true,
            passkeys_enabled: true,
            webauthn: WebauthnConfig::default(),
            oauth: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebauthnConfig {
    pub rp_id: String,
    pub rp_origins: Vec<String>,
    pub rp_name: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OAuthProviderConfig {
    pub kind: String,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_url: String,
    /// `oidc`: the issuer (discovery); `google`: the `iss` its ID tokens carry, when not
    /// Google's own.
    pub issuer: String,
    pub scopes: Vec<String>,
    /// Endpoints of `google`, `github` and `twitter` other than the providers' public
    /// ones (GitHub Enterprise Server, a proxy); empty keeps the public endpoint.
    pub authorization_url: String,
    pub token_url: String,
    /// `google`: the JWKS of its ID tokens.
    pub jwks_url: String,
    /// `github`: `/user`; `twitter`: `/2/users/me`.
    pub profile_url: String,
    /// `github`: `/user/emails`.
    pub emails_url: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorsConfig {
    pub allowed_origins: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub allow_credentials: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    pub auth_max_requests: u32,
    pub auth_window_secs: u64,
    pub guest_max_requests: u32,
    pub guest_window_secs: u64,
    pub api_max_requests: u32,
    pub api_window_secs: u64,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            auth_max_requests: 10,
            auth_window_secs: 60,
            guest_max_requests: 5,
            guest_window_secs: 60,
            api_max_requests: 30,
            api_window_secs: 60,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoomsConfig {
    pub default_ttl_hours: u32,
    pub idle_timeout_minutes: u32,
    pub max_participants_limit: u32,
    pub max_rooms_per_user: u32,
}

impl Default for RoomsConfig {
    fn default() -> Self {
        RoomsConfig {
            default_ttl_hours: 24,
            idle_timeout_minutes: 5,
            max_participants_limit: 1000,
            max_rooms_per_user: 100,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoggingConfig {
    pub level: String,
    pub format: String,
}

impl Default for LoggingConfig {
    fn default() -> Self {
        LoggingConfig {
            level: "info".into(),
            format: "text".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    pub enabled: bool,
    pub bind: String,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            enabled: true,
            bind: String::new(),
        }
    }
}

/// One scheduled job's switch and cron schedule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobConfig {
    pub enabled: bool,
    pub schedule: String,
}

impl JobConfig {
    fn every(schedule: &str) -> Self {
        JobConfig {
            enabled: true,
            schedule: schedule.into(),
        }
    }
}

impl Default for JobConfig {
    fn default() -> Self {
        JobConfig::every("0 * * * * *")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    pub guest_retention_days: u32,
    pub room_sweep: JobConfig,
    pub cleanup: JobConfig,
    pub guest_cleanup: JobConfig,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            guest_retention_days: 7,
            room_sweep: JobConfig::every("0 * * * * *"),
            cleanup: JobConfig::every("0 0 * * * *"),
            guest_cleanup: JobConfig::every("0 30 3 * * *"),
        }
    }
}

/// Reads the configuration: `path` if given (must exist), else `./config.toml` if present,
/// else defaults; then applies `BEDRUD_<SECTION>__<KEY>` environment overrides.
pub fn load(path: Option<&Path>) -> Result<(Config, Option<PathBuf>), String> {
    let file = match path {
        Some(p) => Some(p.to_path_buf()),
        None => Some(PathBuf::from("config.toml")).filter(|p| p.exists()),
    };
    let mut tree = match &file {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| format!("cannot read config file {}: {e}", p.display()))?;
            text.parse::<toml::Table>()
                .map_err(|e| format!("config file {}: {}", p.display(), one_line(&e.to_string())))?
        }
        None => toml::Table::new(),
    };
    apply_env(&mut tree, std::env::vars())?;
    let config: Config = toml::Value::Table(tree)
        .try_into()
        .map_err(|e: toml::de::Error| format!("configuration: {}", one_line(&e.to_string())))?;
    Ok((config, file))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Applies environment overrides. Only variables with a `__` separator are configuration
/// (so `BEDRUD_TEST_POSTGRES_URL` and friends are not); each value is typed after the
/// default of its key: booleans, integers, comma-separated lists, strings.
pub fn apply_env(
    tree: &mut toml::Table,
    vars: impl Iterator<Item = (String, String)>,
) -> Result<(), String> {
    let defaults = toml::Table::try_from(Config::default()).map_err(|e| e.to_string())?;
    for (name, raw) in vars {
        let Some(rest) = name.strip_prefix("BEDRUD_") else {
            continue;
        };
        if !rest.contains("__") {
            continue;
        }
        let path: Vec<String> = rest.split("__").map(|p| p.to_ascii_lowercase()).collect();
        if path.iter().any(|p| p.is_empty()) {
            return Err(format!("environment variable {name}: empty key segment"));
        }
        let value = typed_value(&defaults, &path, &raw)
            .map_err(|e| format!("environment variable {name}: {e}"))?;
        let mut node = &mut *tree;
        for key in &path[..path.len() - 1] {
            let entry = node
                .entry(key.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            node = entry
                .as_table_mut()
                .ok_or_else(|| format!("environment variable {name}: `{key}` is not a table"))?;
        }
        if let Some(last) = path.last() {
            node.insert(last.clone(), value);
        }
    }
    Ok(())
}

fn typed_value(defaults: &toml::Table, path: &[String], raw: &str) -> Result<toml::Value, String> {
    let mut node = Some(defaults);
    let mut default = None;
    for (i, key) in path.iter().enumerate() {
        let Some(table) = node else { break };
        let value = table.get(key);
        if i == path.len() - 1 {
            default = value;
        }
        node = value.and_then(|v| v.as_table());
    }
    // Keys of dynamic tables (OAuth providers) have no default: type them by name.
    let is_list = path
        .last()
        .is_some_and(|k| k == "scopes" || k == "rp_origins");
    Ok(match default {
        Some(toml::Value::Boolean(_)) => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => toml::Value::Boolean(true),
            "false" | "0" | "no" | "off" => toml::Value::Boolean(false),
            _ => return Err(format!("expected true or false, got {raw:?}")),
        },
        Some(toml::Value::Integer(_)) => raw
            .trim()
            .parse::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| format!("expected a whole number, got {raw:?}"))?,
        Some(toml::Value::Array(_)) => list(raw),
        _ if is_list => list(raw),
        _ => toml::Value::String(raw.to_string()),
    })
}

fn list(raw: &str) -> toml::Value {
    toml::Value::Array(
        raw.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| toml::Value::String(s.to_string()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    fn build(tree: toml::Table) -> Result<Config, toml::de::Error> {
        toml::Value::Table(tree).try_into()
    }

    #[test]
    fn env_overrides_are_typed_by_their_defaults() {
        let mut tree = toml::Table::new();
        apply_env(
            &mut tree,
            env(&[
                ("BEDRUD_SERVER__PORT", "9000"),
                ("BEDRUD_AUTH__REGISTRATION_ENABLED", "false"),
                ("BEDRUD_SERVER__TRUSTED_PROXIES", "10.0.0.1, 10.0.0.0/8"),
                (
                    "BEDRUD_AUTH__JWT_SECRET",
                    "12345678901234567890123456789012",
                ),
                ("BEDRUD_AUTH__OAUTH__GOOGLE__CLIENT_ID", "abc"),
                ("BEDRUD_AUTH__OAUTH__GOOGLE__SCOPES", "openid,email"),
                ("BEDRUD_TEST_POSTGRES_URL", "ignored"),
                ("OTHER__THING", "ignored"),
            ]),
        )
        .expect("env");
        let c = build(tree).expect("config");
        assert_eq!(c.server.port, 9000);
        assert!(!c.auth.registration_enabled);
        assert_eq!(c.server.trusted_proxies, vec!["10.0.0.1", "10.0.0.0/8"]);
        assert_eq!(c.auth.jwt_secret, "12345678901234567890123456789012");
        assert_eq!(c.auth.oauth["google"].client_id, "abc");
        assert_eq!(c.auth.oauth["google"].scopes, vec!["openid", "email"]);
    }

    #[test]
    fn bad_env_values_and_unknown_keys_are_errors() {
        let mut tree = toml::Table::new();
        let err = apply_env(&mut tree, env(&[("BEDRUD_SERVER__PORT", "eighty")])).unwrap_err();
        assert!(err.contains("BEDRUD_SERVER__PORT"), "{err}");
        let mut tree = toml::Table::new();
        apply_env(&mut tree, env(&[("BEDRUD_SERVER__PROT", "1")])).expect("env");
        let err = build(tree).unwrap_err().to_string();
        assert!(err.contains("prot"), "{err}");
    }

    #[test]
    fn defaults_match_the_contract() {
        let c = Config::default();
        assert_eq!((c.server.host.as_str(), c.server.port), ("0.0.0.0", 8090));
        assert_eq!(c.livekit.token_ttl_minutes, 120);
        assert_eq!(
            (c.auth.access_token_minutes, c.auth.refresh_token_days),
            (15, 30)
        );
        assert_eq!(c.rate_limit.guest_max_requests, 5);
        assert_eq!(c.rooms.max_participants_limit, 1000);
    }

    #[test]
    fn the_example_file_documents_every_key_with_its_default() {
        let text = include_str!("../../config.example.toml");
        let example: toml::Table = text.parse().expect("example parses");
        let from_example: Config = toml::Value::Table(example.clone())
            .try_into()
            .expect("example is valid");
        let defaults = toml::Table::try_from(Config::default()).expect("defaults");
        let example_back = toml::Table::try_from(from_example).expect("round trip");
        assert_eq!(
            example_back, defaults,
            "example values must be the defaults"
        );
        fn keys(t: &toml::Table, prefix: &str, out: &mut Vec<String>) {
            for (k, v) in t {
                let path = format!("{prefix}{k}");
                match v {
                    toml::Value::Table(inner) if !inner.is_empty() => {
                        keys(inner, &format!("{path}."), out)
                    }
                    _ => out.push(path),
                }
            }
        }
        let (mut want, mut have) = (Vec::new(), Vec::new());
        keys(&defaults, "", &mut want);
        keys(&example, "", &mut have);
        want.sort();
        have.sort();
        assert_eq!(have, want, "config.example.toml must list every key");
    }
}
