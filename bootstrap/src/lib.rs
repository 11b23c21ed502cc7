//! Bedrud's composition root: configuration, logging, CLI and the wiring of adapters.
#![forbid(unsafe_code)]

pub mod app;
pub mod cli;
pub mod config;
pub mod jobs;
pub mod logging;
pub mod media;
pub mod secrets;
pub mod server;
pub mod settings;
pub mod tls;
pub mod users;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, ConfigCommand, LivekitCommand};

/// Runs the `bedrud` command line; errors are printed as one line and exit non-zero.
pub fn main_entry() -> ExitCode {
    let cli = Cli::parse();
    match run_cli(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bedrud: error: {}", one_line(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn run_cli(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Run);
    if let Command::Openapi = command {
        println!("{}", bedrud_http::openapi_json());
        return Ok(());
    }
    let (mut config, file) = config::load(cli.config.as_deref()).map_err(anyhow::Error::msg)?;
    if let Some(format) = cli.log_format {
        config.logging.format = format;
    }
    let resolved = settings::check(&config).map_err(anyhow::Error::msg)?;
    app::http_config(&config, resolved.livekit_mode, "")
        .validate()
        .map_err(anyhow::Error::msg)?;
    app::webauthn_verifier(&config)?;
    app::oauth_clients(&config)?;
    for job in app::job_schedules(&config) {
        if job.enabled {
            bedrud_scheduler::parse_schedule(&job.cron)
                .map_err(|e| anyhow::anyhow!("jobs.{}.schedule: {e}", job.name))?;
        }
    }
    if let Command::Config {
        command: ConfigCommand::Check,
    } = command
    {
        println!(
            "configuration OK ({})",
            file.map(|f| f.display().to_string())
                .unwrap_or_else(|| "defaults and environment".into())
        );
        println!(
            "database: {}",
            bedrud_db::redact(&format!("{:?}", resolved.database))
        );
        println!("livekit: {:?}", resolved.livekit_mode);
        return Ok(());
    }
    if let Command::Livekit {
        command: Some(LivekitCommand::Config),
    } = command
    {
        // Before logging starts: stdout carries only the YAML.
        return media::print_config(&config, &resolved);
    }
    logging::init(&config.logging.level, &config.logging.format);
    bedrud_security::install_crypto_provider();
    bedrud_livekit::install_tls_provider();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Password hashing runs on the blocking pool and frees 19 MiB per hash; the allocator
        // returns a thread's freed memory when the thread ends, so idle threads end soon
        // (tokio's default is 10 s). Measured: 26 MiB 2 s after 64 sign-ups, 45–65 MiB before.
        .thread_keep_alive(std::time::Duration::from_millis(1500))
        .build()?;
    runtime.block_on(async move {
        match command {
            Command::Run => server::run(config, resolved).await,
            Command::Migrate => {
                let db = app::open_db(&config, &resolved)?;
                let report = db.migrate().await?;
                if report.applied.is_empty() {
                    println!("database is up to date");
                } else {
                    println!("applied migrations: {}", report.applied.join(", "));
                }
                db.close();
                Ok(())
            }
            Command::User { command } => {
                let db = app::open_db(&config, &resolved)?;
                db.migrate().await?;
                let result = users::run(&db, command).await;
                db.close();
                result
            }
            Command::Jobs { command } => {
                let db = app::open_db(&config, &resolved)?;
                db.migrate().await?;
                let result = jobs::run(&config, &resolved, &db, command).await;
                db.close();
                result
            }
            Command::Livekit { .. } => media::run_only(config, resolved).await,
            Command::Config { .. } | Command::Openapi => Ok(()),
        }
    })
}
