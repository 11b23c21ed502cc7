//! `GET /api/auth/settings` (API §3.2).

use bedrud_domain::PublicSettings;
use poem_openapi::Object;

/// The later-wave `webxdc` switch.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "WebxdcSettings", rename_all = "camelCase")]
pub struct WebxdcDto {
    /// Whether the feature is on.
    pub enabled: bool,
    /// Whether the feature is experimental.
    pub experimental: bool,
    /// Serving domain of the feature.
    pub base_domain: String,
}

/// What the clients need to know before signing in.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename = "PublicSettings", rename_all = "camelCase")]
pub struct PublicSettingsDto {
    /// Name of this server.
    pub server_name: String,
    /// Whether sign-up is open.
    pub registration_enabled: bool,
    /// Sign-up needs an invite (always `false` in this wave).
    pub token_registration_only: bool,
    /// Whether guests may sign in.
    pub guest_login_enabled: bool,
    /// Whether passkeys are enabled.
    pub passkeys_enabled: bool,
    /// Names of the configured, enabled OAuth/OIDC providers.
    pub oauth_providers: Vec<String>,
    /// Whether email verification is required (always `false` in this wave).
    pub require_email_verification: bool,
    /// Chat messages kept per room.
    pub chat_max_message_count: i64,
    /// Hours chat messages are kept.
    #[oai(rename = "chatMessageTTLHours")]
    pub chat_message_ttl_hours: i64,
    /// Largest chat upload (0 = uploads off).
    pub chat_upload_max_bytes: i64,
    /// Largest chat image side (0 = no limit).
    pub chat_upload_max_dimension: i64,
    /// Whether recordings are enabled.
    pub recordings_enabled: bool,
    /// Whether RNNoise suppression is offered.
    pub rnnoise_enabled: bool,
    /// Whether Krisp suppression is offered.
    pub krisp_enabled: bool,
    /// WebXDC apps (off in this wave).
    pub webxdc: WebxdcDto,
}

impl From<PublicSettings> for PublicSettingsDto {
    fn from(s: PublicSettings) -> Self {
        PublicSettingsDto {
            server_name: s.server_name,
            registration_enabled: s.registration_enabled,
            token_registration_only: s.token_registration_only,
            guest_login_enabled: s.guest_login_enabled,
            passkeys_enabled: s.passkeys_enabled,
            oauth_providers: s.oauth_providers,
            require_email_verification: s.require_email_verification,
            chat_max_message_count: s.chat_max_message_count,
            chat_message_ttl_hours: s.chat_message_ttl_hours,
            chat_upload_max_bytes: s.chat_upload_max_bytes,
            chat_upload_max_dimension: s.chat_upload_max_dimension,
            recordings_enabled: s.recordings_enabled,
            rnnoise_enabled: s.rnnoise_enabled,
            krisp_enabled: s.krisp_enabled,
            webxdc: WebxdcDto {
                enabled: s.webxdc.enabled,
                experimental: s.webxdc.experimental,
                base_domain: s.webxdc.base_domain,
            },
        }
    }
}
