//! Bedrud's LiveKit adapter: join tokens ([`LivekitTokens`]), RoomService calls over Twirp
//! ([`LivekitRooms`]) and webhook verification ([`LivekitWebhooks`]).
//!
//! Tokens are signed with `livekit-api`'s `access_token`; the protobuf messages come from
//! `livekit-protocol`. RoomService calls are our own small Twirp client (reqwest + prost)
//! rather than `livekit_api::services::RoomClient`: RoomClient sends the right grants, but
//! signs 6-hour service tokens, cannot skip TLS verification for self-signed API hosts
//! (`livekit.skip_tls_verify`), and panics on a `MutePublishedTrack` reply without a track.
//!
//! [`process`] supervises an embedded `livekit-server` ([`Supervisor`]) started with a
//! livekit.yaml rendered from Bedrud's configuration ([`render_livekit_yaml`]).
#![forbid(unsafe_code)]

mod convert;
pub mod process;
mod rooms;
mod tokens;
mod twirp;
mod webhook;

pub use bedrud_ports::ProcessState;
pub use convert::{permission_to_proto, track_source_from_proto, track_source_name, video_grants};
pub use process::{
    Backoff, HealthSettings, LivekitYamlConfig, Supervisor, SupervisorConfig, SupervisorTask,
    TurnConfig, render_livekit_yaml, webhook_url, yaml_port,
};
pub use rooms::LivekitRooms;
pub use tokens::LivekitTokens;
pub use webhook::LivekitWebhooks;

/// Installs the `ring` rustls crypto provider as the process default (idempotent; a
/// provider installed earlier by someone else is kept).
pub fn install_tls_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err means a default is already installed, which is what we want anyway.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
pub(crate) mod test_support {
    /// jsonwebtoken's full provider, as the server installs it at start-up.
    pub fn crypto() {
        let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
    }
}
