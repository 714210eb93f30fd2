//! The command line: `tongdai` (= `tongdai serve`), `tongdai migrate`,
//! `tongdai jurisdiction load DIR`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::app::{Application, load_jurisdiction_dir, open_database, prepare};
use crate::config::{Config, Overrides};
use crate::state::SystemClock;
use crate::telemetry;

#[derive(Debug, Parser)]
#[command(
    name = "tongdai",
    version,
    about = "Tổng đài 1022: tiếp nhận và xử lý phản ánh, kiến nghị của người dân"
)]
pub struct Cli {
    /// An extra configuration file layered over config/default.toml.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the HTTP server (the default).
    Serve {
        /// Address to listen on, e.g. 0.0.0.0:8080 (overrides server.bind).
        #[arg(long)]
        bind: Option<String>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Jurisdiction data (areas, agencies, categories, routing rules).
    Jurisdiction {
        #[command(subcommand)]
        command: JurisdictionCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum JurisdictionCommand {
    /// Check a jurisdiction folder and load (upsert) it into the database.
    Load { dir: PathBuf },
    /// Check a jurisdiction folder without touching the database.
    Check { dir: PathBuf },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let bind = match &cli.command {
        Some(Command::Serve { bind }) => bind.clone(),
        _ => None,
    };
    let config = Config::load(&Overrides {
        config_file: cli.config.clone(),
        bind,
    })?;
    telemetry::init(&config.log);
    match cli.command.unwrap_or(Command::Serve { bind: None }) {
        Command::Serve { .. } => {
            let state = prepare(config, Arc::new(SystemClock)).context("start-up failed")?;
            Application::build(state)?.run_until_stopped().await?;
        }
        Command::Migrate => {
            let db =
                tongdai_storage::Database::open(&config.database.url, &config.pool_settings())?;
            let applied = db.run_migrations()?;
            if applied.is_empty() {
                println!(
                    "{} ({}): the schema is current, nothing to apply",
                    db.url(),
                    db.backend()
                );
            }
            for name in applied {
                println!("{} ({}): applied {name}", db.url(), db.backend());
            }
        }
        Command::Jurisdiction {
            command: JurisdictionCommand::Load { dir },
        } => {
            let db = open_database(&config)?;
            let summary = load_jurisdiction_dir(&db, &dir, &SystemClock)
                .with_context(|| format!("loading {}", dir.display()))?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
        }
        Command::Jurisdiction {
            command: JurisdictionCommand::Check { dir },
        } => {
            let j = crate::loader::read_jurisdiction(&dir)
                .with_context(|| format!("checking {}", dir.display()))?;
            println!(
                "{}: {} areas, {} agencies, {} categories, {} routing rules: OK",
                j.info.code,
                j.areas.len(),
                j.agencies.len(),
                j.categories.len(),
                j.rules.len()
            );
        }
    }
    Ok(())
}
