//! Checks a loaded [`Config`] and resolves what it leaves to defaults.

use std::path::{Path, PathBuf};

use bedrud_db::DatabaseUrl;

use crate::config::Config;

/// How the server reaches a media server, after `auto` is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LivekitMode {
    Embedded,
    External,
    Disabled,
}

/// Settings derived from the configuration.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub database: DatabaseUrl,
    pub livekit_mode: LivekitMode,
    /// Where `auto` looked for the binary, for the start-up log line.
    pub livekit_binary: Option<PathBuf>,
}

/// Every problem that makes the configuration unusable, as one line.
pub fn check(config: &Config) -> Result<Resolved, String> {
    let url = if config.database.url.trim().is_empty() {
        format!(
            "sqlite://{}",
            config.server.data_dir.join("bedrud.db").display()
        )
    } else {
        config.database.url.clone()
    };
    let database = DatabaseUrl::parse(&url)?;
    for (key, value) in [
        ("auth.jwt_secret", &config.auth.jwt_secret),
        ("auth.session_secret", &config.auth.session_secret),
        ("livekit.api_secret", &config.livekit.api_secret),
    ] {
        if !value.is_empty() && value.len() < 32 {
            return Err(format!(
                "{key} must be at least 32 bytes long (or empty to generate one)"
            ));
        }
    }
    if config.cors.allow_credentials
        && (config.cors.allowed_origins.is_empty()
            || config.cors.allowed_origins.iter().any(|o| o == "*"))
    {
        return Err("cors.allow_credentials = true needs an explicit cors.allowed_origins list (not empty, not \"*\")".into());
    }
    if config.server.behind_proxy && config.server.trusted_proxies.is_empty() {
        return Err(
            "server.behind_proxy = true needs server.trusted_proxies (the proxy addresses)".into(),
        );
    }
    for proxy in &config.server.trusted_proxies {
        if !valid_ip_or_cidr(proxy) {
            return Err(format!(
                "server.trusted_proxies: {proxy:?} is not an IP address or CIDR"
            ));
        }
    }
    if config.server.enable_tls
        && (config.server.cert_file.trim().is_empty() || config.server.key_file.trim().is_empty())
    {
        return Err("server.enable_tls needs server.cert_file and server.key_file (PEM)".into());
    }
    if !matches!(config.logging.format.as_str(), "text" | "json") {
        return Err(format!(
            "logging.format must be \"text\" or \"json\", not {:?}",
            config.logging.format
        ));
    }
    if config.database.max_connections == 0 {
        return Err("database.max_connections must be at least 1".into());
    }
    if config.auth.access_token_minutes == 0 || config.auth.refresh_token_days == 0 {
        return Err(
            "auth.access_token_minutes and auth.refresh_token_days must be at least 1".into(),
        );
    }
    if config.livekit.rtc_port_range_start > config.livekit.rtc_port_range_end {
        return Err(
            "livekit.rtc_port_range_start must not be above livekit.rtc_port_range_end".into(),
        );
    }
    let (livekit_mode, livekit_binary) = match config.livekit.mode.as_str() {
        "embedded" => (LivekitMode::Embedded, find_binary(&config.livekit.binary)),
        "disabled" => (LivekitMode::Disabled, None),
        "external" => {
            if config.livekit.host.is_empty()
                || config.livekit.api_key.is_empty()
                || config.livekit.api_secret.is_empty()
            {
                return Err("livekit.mode = \"external\" needs livekit.host, livekit.api_key and livekit.api_secret".into());
            }
            (LivekitMode::External, None)
        }
        "auto" => match find_binary(&config.livekit.binary) {
            Some(path) => (LivekitMode::Embedded, Some(path)),
            None => (LivekitMode::Disabled, None),
        },
        other => {
            return Err(format!(
                "livekit.mode must be auto, embedded, external or disabled, not {other:?}"
            ));
        }
    };
    Ok(Resolved {
        database,
        livekit_mode,
        livekit_binary,
    })
}

fn valid_ip_or_cidr(s: &str) -> bool {
    let (ip, bits) = match s.split_once('/') {
        Some((ip, bits)) => (ip, Some(bits)),
        None => (s, None),
    };
    match ip.parse::<std::net::IpAddr>() {
        Ok(addr) => bits.is_none_or(|b| {
            b.parse::<u8>()
                .is_ok_and(|b| b <= if addr.is_ipv4() { 32 } else { 128 })
        }),
        Err(_) => false,
    }
}

/// An executable at `name` (a path) or on PATH.
pub fn find_binary(name: &str) -> Option<PathBuf> {
    if name.is_empty() {
        return None;
    }
    let candidate = Path::new(name);
    if candidate.components().count() > 1 {
        return is_executable(candidate).then(|| candidate.to_path_buf());
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| is_executable(p))
    })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_resolve_to_sqlite_in_the_data_dir() {
        let mut c = Config::default();
        c.livekit.binary = "definitely-not-on-path-livekit".into();
        let r = check(&c).expect("valid");
        assert_eq!(
            r.database,
            DatabaseUrl::Sqlite(PathBuf::from("./data/bedrud.db"))
        );
        assert_eq!(r.livekit_mode, LivekitMode::Disabled);
    }

    #[test]
    fn each_bad_setting_is_named() {
        type Case = (fn(&mut Config), &'static str);
        let cases: Vec<Case> = vec![
            (|c| c.database.url = "mysql://x".into(), "database.url"),
            (|c| c.auth.jwt_secret = "short".into(), "auth.jwt_secret"),
            (
                |c| c.cors.allow_credentials = true,
                "cors.allow_credentials",
            ),
            (|c| c.server.behind_proxy = true, "server.behind_proxy"),
            (
                |c| c.server.trusted_proxies = vec!["nope".into()],
                "server.trusted_proxies",
            ),
            (|c| c.server.enable_tls = true, "server.enable_tls"),
            (|c| c.logging.format = "xml".into(), "logging.format"),
            (|c| c.livekit.mode = "sometimes".into(), "livekit.mode"),
            (|c| c.livekit.mode = "external".into(), "livekit.mode"),
        ];
        for (mutate, key) in cases {
            let mut c = Config::default();
            mutate(&mut c);
            let err = check(&c).expect_err(key);
            assert!(err.contains(key), "{err} should name {key}");
        }
    }
}
