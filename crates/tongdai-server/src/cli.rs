//! The command line: `tongdai` (= `tongdai serve`), `tongdai migrate`,
//! `tongdai jurisdiction load|check DIR`, `tongdai route …`, `tongdai calendar …`,
//! `tongdai apikey create|revoke`, `tongdai user create|list|disable|passwd`,
//! `tongdai mail outbox|send|requeue|poll|inbound`, `tongdai backup --output PATH`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use tongdai_domain::{Clock, Priority};
use tongdai_routing::{Place, Report};

use crate::app::{Application, open_database, open_database_locked, prepare, store_jurisdiction};
use crate::config::{Config, Overrides};
use crate::loader::{JurisdictionSnapshot, build_router, read_calendar};
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
    /// Staff users (hotline operators, IOC staff).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Open311 API keys of integrators.
    Apikey {
        #[command(subcommand)]
        command: ApikeyCommand,
    },
    /// The monthly overdue report: write, verify, deliver.
    Report {
        #[command(subcommand)]
        command: crate::report_cmd::ReportCommand,
    },
    /// Outgoing mail: list what is not sent, send now, requeue dead messages.
    Mail {
        #[command(subcommand)]
        command: crate::mail_cmd::MailCommand,
    },
    /// Show where a report would go and by when (the routing decision as JSON).
    Route(RouteArgs),
    /// Load historical tickets with their past events (docs/import.md).
    Import(crate::import_cmd::ImportArgs),
    /// Write a consistent copy of the database while the server runs (SQLite: VACUUM INTO;
    /// PostgreSQL: pg_dump custom format); restoring is in docs/deploy.md.
    Backup(crate::backup_cmd::BackupArgs),
    /// List working and non-working days with the reason.
    Calendar {
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: NaiveDate,
        /// Last day (inclusive), YYYY-MM-DD.
        #[arg(long)]
        to: NaiveDate,
        /// Print `[{"date", "working", "reason", …}]` instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a staff user; the password is read from TONGDAI_NEW_PASSWORD or else the
    /// first line of standard input (never from the command line, which `ps` shows).
    Create {
        #[arg(long)]
        username: String,
        /// Display name, e.g. "Nguyễn Văn A".
        #[arg(long)]
        name: String,
        /// A role; repeat for several (e.g. --role operator).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[arg(long)]
        email: Option<String>,
        /// Agency code, required for the roles clerk and lead (an agency in force).
        #[arg(long)]
        agency: Option<String>,
    },
    /// List staff users: username, name, roles, agency, active.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Disable a user: no more logins, and tokens already issued stop working at once.
    Disable { username: String },
    /// Set a new password (read from TONGDAI_NEW_PASSWORD or the first line of standard input).
    Passwd { username: String },
}

#[derive(Debug, Subcommand)]
pub enum ApikeyCommand {
    /// Create a key for an integrator and print it once (only its SHA-256 digest is stored).
    Create {
        /// Who uses the key, e.g. "FixMyStreet Long An".
        #[arg(long)]
        name: String,
    },
    /// Revoke a key by its id (as printed by `create`).
    Revoke { id: String },
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("place").required(true).multiple(true).args(["area", "address", "lat"])))]
pub struct RouteArgs {
    /// Category code, e.g. chieu-sang.den-duong.
    #[arg(long)]
    pub category: String,
    /// Area code, e.g. TN-P-LONGAN.
    #[arg(long)]
    pub area: Option<String>,
    /// Free-text address, e.g. "phuong 4 tan an".
    #[arg(long)]
    pub address: Option<String>,
    /// Latitude (WGS 84), with --lon.
    #[arg(long, requires = "lon", allow_hyphen_values = true)]
    pub lat: Option<f64>,
    #[arg(long, requires = "lat", allow_hyphen_values = true)]
    pub lon: Option<f64>,
    /// khan, phuc-tap or binh-thuong.
    #[arg(long, default_value = "binh-thuong")]
    pub priority: Priority,
    /// Filing instant in RFC 3339 (default: now), e.g. 2026-02-13T16:00:00+07:00.
    #[arg(long)]
    pub at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Subcommand)]
pub enum JurisdictionCommand {
    /// Check a jurisdiction folder and load (upsert) it into the database.
    Load { dir: PathBuf },
    /// Check a jurisdiction folder (references, dates, rule ties, SLA policy) without
    /// touching the database.
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
        Command::Report { command } => {
            let config_copy = config.clone();
            let state = prepare(config, Arc::new(SystemClock)).context("start-up failed")?;
            crate::report_cmd::run(command, state.intake.clone(), &config_copy).await?;
        }
        Command::Mail { command } => {
            let config_copy = config.clone();
            let clock: Arc<dyn Clock> = Arc::new(SystemClock);
            let state = prepare(config, clock.clone()).context("start-up failed")?;
            crate::mail_cmd::run(command, state.intake.clone(), clock, &config_copy).await?;
        }
        Command::Import(args) => crate::import_cmd::run(&config, &args)?,
        Command::Backup(args) => crate::backup_cmd::run(&config, &args)?,
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
            // The whole folder must make a working router (no rule ties, a valid SLA
            // policy) before anything is written. What is stored is the text the router
            // was built from (with this machine's calendar folder), as the next generation:
            // every running instance switches to it within `reload_check_seconds`.
            let snapshot = JurisdictionSnapshot::read(&dir, &config.calendar.dir)
                .with_context(|| format!("reading {}", dir.display()))?;
            let router = snapshot
                .router(
                    &dir,
                    &config.calendar.dir,
                    config.calendar.working_time.clone(),
                )
                .with_context(|| format!("checking {}", dir.display()))?;
            // Under the start-up lock: never at the same time as a starting instance.
            let (db, lock) = open_database_locked(&config)?;
            let summary =
                store_jurisdiction(&db, router.jurisdiction(), &snapshot, &dir, &SystemClock)
                    .with_context(|| format!("loading {}", dir.display()))?;
            drop(lock);
            println!("{}", serde_json::to_string_pretty(&summary)?);
        }
        Command::User { command } => {
            let db = open_database(&config)?;
            let mut conn = db.conn()?;
            match command {
                UserCommand::Create {
                    username,
                    name,
                    roles,
                    email,
                    agency,
                } => {
                    let password = tongdai_auth::users::read_new_password()
                        .context("reading the password (TONGDAI_NEW_PASSWORD or standard input)")?;
                    let user = tongdai_auth::users::create_user(
                        &mut conn,
                        tongdai_auth::users::NewStaffUser {
                            username,
                            display_name: name,
                            email,
                            agency_code: agency,
                            roles,
                            password,
                        },
                        SystemClock.now(),
                    )?;
                    println!(
                        "created user {} ({}) with roles {}",
                        user.username,
                        user.id,
                        user.roles.join(", ")
                    );
                }
                UserCommand::List { json } => {
                    let users = tongdai_storage::users::list_users(&mut conn)?;
                    if json {
                        let rows: Vec<_> = users
                            .iter()
                            .map(|u| {
                                serde_json::json!({
                                    "username": u.username,
                                    "id": u.id.to_string(),
                                    "name": u.display_name,
                                    "roles": u.roles,
                                    "agency": u.agency_code,
                                    "email": u.email,
                                    "active": u.active,
                                })
                            })
                            .collect();
                        println!("{}", serde_json::to_string_pretty(&rows)?);
                    } else {
                        println!(
                            "{:<24} {:<8} {:<20} {:<16} name",
                            "username", "active", "roles", "agency"
                        );
                        for u in &users {
                            println!(
                                "{:<24} {:<8} {:<20} {:<16} {}",
                                u.username,
                                if u.active { "yes" } else { "DISABLED" },
                                u.roles.join(","),
                                u.agency_code.as_deref().unwrap_or("-"),
                                u.display_name
                            );
                        }
                    }
                }
                UserCommand::Disable { username } => {
                    let user =
                        tongdai_auth::users::disable_user(&mut conn, &username, SystemClock.now())?;
                    println!("disabled user {} ({})", user.username, user.id);
                }
                UserCommand::Passwd { username } => {
                    let password = tongdai_auth::users::read_new_password()
                        .context("reading the password (TONGDAI_NEW_PASSWORD or standard input)")?;
                    let user = tongdai_auth::users::change_password(
                        &mut conn,
                        &username,
                        &password,
                        SystemClock.now(),
                    )?;
                    println!("new password set for {} ({})", user.username, user.id);
                }
            }
        }
        Command::Apikey { command } => {
            let db = open_database(&config)?;
            let mut conn = db.conn()?;
            match command {
                ApikeyCommand::Create { name } => {
                    let (id, key) =
                        tongdai_open311::keys::create_api_key(&mut conn, &name, SystemClock.now())?;
                    println!("id:  {id}");
                    println!("key: {key}");
                    eprintln!(
                        "Store the key now: it is shown only once (the database keeps its SHA-256 digest)."
                    );
                }
                ApikeyCommand::Revoke { id } => {
                    let key =
                        tongdai_open311::keys::revoke_api_key(&mut conn, &id, SystemClock.now())?;
                    let at = key.revoked_at.map(|t| t.to_rfc3339()).unwrap_or_default();
                    println!("revoked {} ({}) at {at}", key.id, key.name);
                }
            }
        }
        Command::Route(args) => {
            let router = build_router(
                &config.jurisdiction.dir,
                &config.calendar.dir,
                config.calendar.working_time.clone(),
            )?;
            let report = Report {
                category: args.category,
                place: Place {
                    area_code: args.area,
                    address: args.address,
                    lat: args.lat,
                    lon: args.lon,
                },
                priority: args.priority,
                filed_at: args
                    .at
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_else(|| SystemClock.now()),
            };
            let decision = router.route(&report)?;
            println!("{}", serde_json::to_string_pretty(&decision)?);
        }
        Command::Calendar { from, to, json } => {
            anyhow::ensure!(from <= to, "--from {from} is after --to {to}");
            anyhow::ensure!(
                (to - from).num_days() <= 3660,
                "at most ten years at a time"
            );
            let calendar =
                read_calendar(&config.calendar.dir, config.calendar.working_time.clone())?;
            let days = calendar.days(from, to);
            if json {
                println!("{}", serde_json::to_string_pretty(&days)?);
            } else {
                for day in &days {
                    let mark = if day.working { "làm việc" } else { "nghỉ" };
                    let unconfirmed = if day.confirmed {
                        ""
                    } else {
                        " (chưa xác nhận)"
                    };
                    println!(
                        "{}  {:<9} {:<9} {}{unconfirmed}",
                        day.date, day.weekday, mark, day.reason
                    );
                }
            }
            for year in calendar.missing_years(from.year(), to.year()) {
                eprintln!("warning: no calendar data for {year}: only weekends are days off");
            }
        }
        Command::Jurisdiction {
            command: JurisdictionCommand::Check { dir },
        } => {
            let router = build_router(
                &dir,
                &config.calendar.dir,
                config.calendar.working_time.clone(),
            )
            .with_context(|| format!("checking {}", dir.display()))?;
            let j = router.jurisdiction();
            println!(
                "{}: {} areas, {} agencies, {} categories, {} routing rules, {} SLA policy versions: OK",
                j.info.code,
                j.areas.len(),
                j.agencies.len(),
                j.categories.len(),
                j.rules.len(),
                router.sla().versions().len()
            );
        }
    }
    Ok(())
}
