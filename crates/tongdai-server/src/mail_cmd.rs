//! `tongdai mail outbox|send|requeue`: the outgoing mail from the command line, for the
//! operator who sees `outbox.dead` in `/readyz`.

use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;
use tongdai_domain::Clock;
use tongdai_intake::IntakeService;
use tongdai_notify::Kind;
use tongdai_storage::outbox;

use crate::config::Config;
use crate::mail_out::MailSender;

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// List messages not sent yet: pending (with their last error) and dead.
    Outbox {
        /// At most this many.
        #[arg(long, default_value_t = 200)]
        limit: i64,
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Send what is due now, outside the server's schedule (rounds until none is due).
    Send,
    /// Give a dead message its attempts back (after the cause is fixed): due at once.
    Requeue {
        /// Outbox row ids (the first column of `tongdai mail outbox`).
        #[arg(required = true)]
        ids: Vec<String>,
    },
}

pub async fn run(
    command: MailCommand,
    intake: IntakeService,
    clock: Arc<dyn Clock>,
    config: &Config,
) -> anyhow::Result<()> {
    match command {
        MailCommand::Outbox { limit, json } => {
            let rows = intake
                .with_conn(|conn| outbox::unsent_mail(conn, &Kind::TOPICS, limit))
                .context("reading the outbox")?;
            for row in &rows {
                let status = row.status();
                if json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "id": row.id,
                            "topic": row.topic,
                            "status": status.code(),
                            "attempts": row.attempts,
                            "recipient": row.recipient,
                            "due": row.available_at.and_utc().to_rfc3339(),
                            "dead_at": row.dead_at.map(|d| d.and_utc().to_rfc3339()),
                            "last_error": row.last_error,
                        })
                    );
                } else {
                    println!(
                        "{}\t{}\t{}\t{} attempt(s)\t{}",
                        row.id,
                        row.topic,
                        status.code(),
                        row.attempts,
                        row.last_error.as_deref().unwrap_or("")
                    );
                }
            }
            if !json {
                let counts = intake.with_conn(outbox::counts)?;
                eprintln!("pending: {}, dead: {}", counts.pending, counts.dead);
            }
        }
        MailCommand::Send => {
            let sender = MailSender::from_config(config, intake, clock)?;
            let round = sender.drain(1000).await?;
            println!(
                "{}: sent {}, not sent (no address) {}, failed and retrying {}, dead {}",
                sender.destination(),
                round.sent,
                round.unsent,
                round.retrying,
                round.dead
            );
        }
        MailCommand::Requeue { ids } => {
            let now = clock.now();
            for id in ids {
                let done = intake.with_conn(|conn| outbox::requeue(conn, &id, now))?;
                if done {
                    println!("{id}: due again");
                } else {
                    anyhow::bail!("{id}: no dead message with this id");
                }
            }
        }
    }
    Ok(())
}
