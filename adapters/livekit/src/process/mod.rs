//! The embedded media server process: its livekit.yaml, health check, output forwarding
//! and supervision.

pub mod config;
pub mod health;
pub mod output;
pub mod supervisor;

pub use config::{LivekitYamlConfig, TurnConfig, render_livekit_yaml, webhook_url, yaml_port};
pub use health::HealthCheck;
pub use supervisor::{
    Backoff, HealthSettings, PID_FILE, RENDERED_FILE, Supervisor, SupervisorConfig, SupervisorTask,
};
