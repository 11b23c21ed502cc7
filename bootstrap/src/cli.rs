//! The command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Bedrud: self-hosted video meetings in one binary.
#[derive(Debug, Parser)]
#[command(name = "bedrud", version, about)]
pub struct Cli {
    /// Configuration file (default: ./config.toml when present).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Log format: text or json (overrides logging.format).
    #[arg(long, global = true, value_name = "FORMAT")]
    pub log_format: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Run,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Configuration tools.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The scheduled maintenance jobs.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Run only the supervised LiveKit media server (for a separate service unit).
    Livekit {
        #[command(subcommand)]
        command: Option<LivekitCommand>,
    },
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List the jobs with their schedules.
    List,
    /// Run one job now (under the same database claim as a scheduled run).
    Run {
        /// room_sweep, cleanup or guest_cleanup.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum LivekitCommand {
    /// Print the livekit.yaml rendered from the configuration.
    Config,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check the configuration and print the resolved settings.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a local account. Without --password the password is read from stdin.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        password: Option<String>,
        /// Also grant the superadmin role.
        #[arg(long)]
        superadmin: bool,
    },
    /// Grant the superadmin role.
    Promote {
        #[arg(long)]
        email: String,
    },
    /// Remove the superadmin role.
    Demote {
        #[arg(long)]
        email: String,
    },
    /// List accounts.
    List,
    /// Set a new password, read from stdin (ends every session of the account).
    SetPassword {
        #[arg(long)]
        email: String,
    },
}
