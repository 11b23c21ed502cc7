//! Authentication configuration the use cases need (API §7 `[auth]`), the effective
//! values after the runtime settings row, and the public settings document.

use bedrud_ports::RuntimeSettings;
use chrono::TimeDelta;
use serde::Serialize;

/// Longest session cache lifetime the contract allows (API §2.3).
const MAX_CACHE_SECS: u64 = 5;

/// Configuration of accounts and sessions; `Default` matches API §7.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthPolicy {
    /// Access token lifetime (`auth.access_token_minutes`).
    pub access_token_minutes: i64,
    /// Refresh token and session lifetime (`auth.refresh_token_days`).
    pub refresh_token_days: i64,
    /// `auth.registration_enabled`, unless the settings row overrides it.
    pub registration_enabled: bool,
    /// `auth.guest_login_enabled`, unless the settings row overrides it.
    pub guest_login_enabled: bool,
    /// `auth.passkeys_enabled`, unless the settings row overrides it.
    pub passkeys_enabled: bool,
    /// `server.name`, unless the settings row overrides it.
    pub server_name: String,
    /// Names of the configured, enabled OAuth/OIDC providers.
    pub oauth_providers: Vec<String>,
    /// Lifetime of the in-process session lookup cache, clamped to 5 s; 0 disables it.
    pub session_cache_secs: u64,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        AuthPolicy {
            access_token_minutes: 15,
            refresh_token_days: 30,
            registration_enabled: true,
            guest_login_enabled: true,
            passkeys_enabled: true,
            server_name: String::new(),
            oauth_providers: Vec::new(),
            session_cache_secs: MAX_CACHE_SECS,
        }
    }
}

impl AuthPolicy {
    /// Access token lifetime, bounded to [1 minute, 1 year].
    pub fn access_lifetime(&self) -> TimeDelta {
        TimeDelta::minutes(self.access_token_minutes.clamp(1, 525_600))
    }

    /// Refresh token and session lifetime, bounded to [1 day, 10 years].
    pub fn refresh_lifetime(&self) -> TimeDelta {
        TimeDelta::days(self.refresh_token_days.clamp(1, 3_650))
    }

    /// Session cache lifetime, never above the 5-second bound.
    pub fn cache_lifetime(&self) -> TimeDelta {
        // Clamped to 0..=5, so the cast cannot truncate.
        TimeDelta::seconds(self.session_cache_secs.min(MAX_CACHE_SECS) as i64)
    }

    /// The values in force: each runtime setting that is set overrides config.
    pub fn effective(&self, runtime: &RuntimeSettings) -> EffectiveSettings {
        EffectiveSettings {
            registration_enabled: runtime
                .registration_enabled
                .unwrap_or(self.registration_enabled),
            guest_login_enabled: runtime
                .guest_login_enabled
                .unwrap_or(self.guest_login_enabled),
            passkeys_enabled: runtime.passkeys_enabled.unwrap_or(self.passkeys_enabled),
            server_name: runtime
                .server_name
                .clone()
                .unwrap_or_else(|| self.server_name.clone()),
        }
    }

    /// The public settings document for these runtime overrides.
    pub fn public_settings(&self, runtime: &RuntimeSettings) -> PublicSettings {
        let effective = self.effective(runtime);
        PublicSettings {
            server_name: effective.server_name,
            registration_enabled: effective.registration_enabled,
            token_registration_only: false,
            guest_login_enabled: effective.guest_login_enabled,
            passkeys_enabled: effective.passkeys_enabled,
            oauth_providers: self.oauth_providers.clone(),
            require_email_verification: false,
            chat_max_message_count: 10_000,
            chat_message_ttl_hours: 2_160,
            chat_upload_max_bytes: 0,
            chat_upload_max_dimension: 0,
            recordings_enabled: false,
            rnnoise_enabled: false,
            krisp_enabled: false,
            webxdc: WebxdcSettings {
                enabled: false,
                experimental: true,
                base_domain: String::new(),
            },
        }
    }
}

/// Switches in force after the runtime settings row overrode config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveSettings {
    pub registration_enabled: bool,
    pub guest_login_enabled: bool,
    pub passkeys_enabled: bool,
    pub server_name: String,
}

/// Body of `GET /api/auth/settings` (API §3.2); later-wave keys carry safe values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicSettings {
    pub server_name: String,
    pub registration_enabled: bool,
    pub token_registration_only: bool,
    pub guest_login_enabled: bool,
    pub passkeys_enabled: bool,
    pub oauth_providers: Vec<String>,
    pub require_email_verification: bool,
    pub chat_max_message_count: i64,
    #[serde(rename = "chatMessageTTLHours")]
    pub chat_message_ttl_hours: i64,
    pub chat_upload_max_bytes: i64,
    pub chat_upload_max_dimension: i64,
    pub recordings_enabled: bool,
    pub rnnoise_enabled: bool,
    pub krisp_enabled: bool,
    pub webxdc: WebxdcSettings,
}

/// The `webxdc` object of the public settings (off in this wave).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebxdcSettings {
    pub enabled: bool,
    pub experimental: bool,
    pub base_domain: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_contract() {
        let p = AuthPolicy::default();
        assert_eq!(p.access_token_minutes, 15);
        assert_eq!(p.refresh_token_days, 30);
        assert!(p.registration_enabled && p.guest_login_enabled && p.passkeys_enabled);
        assert_eq!(p.server_name, "");
        assert!(p.oauth_providers.is_empty());
        assert_eq!(p.access_lifetime(), TimeDelta::minutes(15));
        assert_eq!(p.refresh_lifetime(), TimeDelta::days(30));
        assert_eq!(p.cache_lifetime(), TimeDelta::seconds(5));
    }

    #[test]
    fn cache_lifetime_never_exceeds_five_seconds() {
        let p = AuthPolicy {
            session_cache_secs: 60,
            ..AuthPolicy::default()
        };
        assert_eq!(p.cache_lifetime(), TimeDelta::seconds(5));
        let off = AuthPolicy {
            session_cache_secs: 0,
            ..AuthPolicy::default()
        };
        assert_eq!(off.cache_lifetime(), TimeDelta::zero());
    }

    #[test]
    fn runtime_settings_override_config() {
        let p = AuthPolicy {
            server_name: "config".into(),
            ..AuthPolicy::default()
        };
        let runtime = RuntimeSettings {
            registration_enabled: Some(false),
            guest_login_enabled: None,
            passkeys_enabled: Some(false),
            server_name: Some("runtime".into()),
            ..RuntimeSettings::default()
        };
        let e = p.effective(&runtime);
        assert!(!e.registration_enabled);
        assert!(e.guest_login_enabled);
        assert!(!e.passkeys_enabled);
        assert_eq!(e.server_name, "runtime");
    }

    #[test]
    fn config_applies_when_runtime_unset() {
        let p = AuthPolicy {
            guest_login_enabled: false,
            server_name: "Meet".into(),
            ..AuthPolicy::default()
        };
        let e = p.effective(&RuntimeSettings::default());
        assert!(e.registration_enabled);
        assert!(!e.guest_login_enabled);
        assert_eq!(e.server_name, "Meet");
    }

    #[test]
    fn public_settings_serialise_as_the_contract() {
        let p = AuthPolicy {
            oauth_providers: vec!["google".into(), "keycloak".into()],
            ..AuthPolicy::default()
        };
        let runtime = RuntimeSettings {
            guest_login_enabled: Some(false),
            ..RuntimeSettings::default()
        };
        let json = serde_json::to_value(p.public_settings(&runtime)).expect("serialises");
        assert_eq!(
            json,
            serde_json::json!({
                "serverName": "", "registrationEnabled": true, "tokenRegistrationOnly": false,
                "guestLoginEnabled": false, "passkeysEnabled": true,
                "oauthProviders": ["google", "keycloak"], "requireEmailVerification": false,
                "chatMaxMessageCount": 10000, "chatMessageTTLHours": 2160,
                "chatUploadMaxBytes": 0, "chatUploadMaxDimension": 0,
                "recordingsEnabled": false, "rnnoiseEnabled": false, "krispEnabled": false,
                "webxdc": {"enabled": false, "experimental": true, "baseDomain": ""}
            })
        );
    }
}
