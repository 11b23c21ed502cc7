//! `bedrud jobs list` and `bedrud jobs run <name>`: the scheduled jobs by hand.

use bedrud_db::Db;
use bedrud_domain::MaintenanceJob;
use bedrud_scheduler::Scheduler;

use crate::app;
use crate::cli::JobsCommand;
use crate::config::Config;
use crate::settings::Resolved;

/// Runs one `bedrud jobs` command against the configured database.
pub async fn run(
    config: &Config,
    resolved: &Resolved,
    db: &Db,
    command: JobsCommand,
) -> anyhow::Result<()> {
    match command {
        JobsCommand::List => {
            for schedule in app::job_schedules(config) {
                let describe = MaintenanceJob::parse(&schedule.name)
                    .map(MaintenanceJob::describe)
                    .unwrap_or_default();
                let when = if schedule.enabled {
                    schedule.cron.as_str()
                } else {
                    "disabled"
                };
                println!("{:<14} {:<16} {describe}", schedule.name, when);
            }
            Ok(())
        }
        JobsCommand::Run { name } => {
            if MaintenanceJob::parse(&name).is_none() {
                anyhow::bail!(
                    "unknown job {name:?} (known: {})",
                    Scheduler::names().join(", ")
                );
            }
            let secrets = app::Secrets::ensure(config, resolved)?;
            let media = app::media_server(config, &secrets, resolved.livekit_mode)?;
            let maintenance = app::maintenance(config, db, media);
            let report = app::scheduler(config, db, maintenance)
                .run_once(&name)
                .await?;
            println!("{report}");
            Ok(())
        }
    }
}
