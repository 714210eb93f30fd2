//! `tongdai report overdue|verify|deliver`: the monthly overdue report from the command line.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use tongdai_intake::{IntakeService, ReportAudience};

use crate::config::Config;
use crate::delivery::Deliverer;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormatArg {
    Json,
    Csv,
    Xlsx,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Write the report of a period. A closed period is computed again and compared with
    /// the stored report (stored on first run): a difference is an error (exit code 3),
    /// never a new version.
    Overdue {
        /// The period, YYYY-MM (the month it ends in).
        #[arg(long)]
        period: String,
        #[arg(long, value_enum, default_value = "json")]
        format: ReportFormatArg,
        /// Where to write it; standard output when absent (JSON and CSV only).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Compare the stored report of a closed period with a fresh computation.
    Verify {
        #[arg(long)]
        period: String,
    },
    /// Send the stored report of a closed period to the IOC again (webhook; e-mail once it
    /// exists), recording the attempt and its response.
    Deliver {
        #[arg(long)]
        period: String,
    },
}

/// Exit code of a report that would change after the fact.
pub const EXIT_REPORT_CHANGED: i32 = 3;

pub async fn run(
    command: ReportCommand,
    intake: IntakeService,
    config: &Config,
) -> anyhow::Result<()> {
    match command {
        ReportCommand::Overdue {
            period,
            format,
            out,
        } => {
            let service = intake.clone();
            let label = period.clone();
            let report = tokio::task::spawn_blocking(move || {
                let p = service.report_period(&label)?;
                if p.is_closed(service.clock().now()) {
                    Ok(service.recheck_report(&label)?.stored)
                } else {
                    service.overdue_report(&label, &ReportAudience::Province)
                }
            })
            .await?
            .map_err(changed_exit)?;
            let bytes = match format {
                ReportFormatArg::Json => {
                    let mut v = serde_json::to_vec_pretty(&report)?;
                    v.push(b'\n');
                    v
                }
                ReportFormatArg::Csv => tongdai_report::agencies_csv(&report)?,
                ReportFormatArg::Xlsx => tongdai_report::to_xlsx(&report)?,
            };
            match out {
                Some(path) => {
                    std::fs::write(&path, &bytes)
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!(
                        "{}: {} ({} bytes, checksum {}{})",
                        report.period.label,
                        path.display(),
                        bytes.len(),
                        report.checksum,
                        if report.is_final { "" } else { ", provisional" }
                    );
                }
                None if format == ReportFormatArg::Xlsx => {
                    anyhow::bail!("--format xlsx needs --out FILE");
                }
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&bytes)?;
                }
            }
        }
        ReportCommand::Verify { period } => {
            let service = intake.clone();
            let recheck = tokio::task::spawn_blocking(move || service.recheck_report(&period))
                .await?
                .map_err(changed_exit)?;
            println!(
                "{}: unchanged, checksum {}",
                recheck.stored.period.label, recheck.stored.checksum
            );
        }
        ReportCommand::Deliver { period } => {
            let deliverer = Deliverer::new(intake.clone(), config.report.clone())?;
            let outcome = deliverer.deliver_now(&period).await?;
            println!("{outcome}");
            if !outcome.succeeded {
                std::process::exit(1);
            }
        }
    }
    Ok(())
}

/// A report that would change ends the process loudly with its own exit code.
fn changed_exit(e: tongdai_intake::IntakeError) -> anyhow::Error {
    if let tongdai_intake::IntakeError::ReportChanged { .. } = &e {
        eprintln!("LỖI: {e}");
        std::process::exit(EXIT_REPORT_CHANGED);
    }
    anyhow::Error::new(e)
}
