//! `tongdai mail outbox|send|requeue|poll|inbound`: the mail from the command line, for
//! the operator who sees `outbox.dead` in `/readyz`, and for cron (`mail poll --once`).

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
    /// Read the [mail.imap] mailboxes: new mail becomes tickets or replies.
    Poll {
        /// One poll of each mailbox, then exit (for cron); without it, poll until Ctrl-C.
        #[arg(long)]
        once: bool,
        /// Tests only: abort after the first messages are stored, before they are moved.
        #[arg(long, hide = true)]
        crash_after_commit: bool,
    },
    /// Addresses our mail bounces from (agencies' contacts to fix), newest bounce first;
    /// `--clear ADDRESS` marks one as working again once it is fixed.
    Failing {
        #[arg(long, value_name = "ADDRESS")]
        clear: Option<String>,
    },
    /// List inbound mail the poller recorded, newest first.
    Inbound {
        /// Only this outcome (filed, reply, reopened, refused, auto-reply, bounce, own,
        /// list, capped, quarantined).
        #[arg(long)]
        outcome: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: i64,
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
        MailCommand::Poll {
            once,
            crash_after_commit,
        } => {
            let pollers = crate::mail_poll::pollers(config, intake, clock)?;
            if pollers.is_empty() {
                anyhow::bail!("no mailbox to poll: set [mail.imap] host (see config/default.toml)");
            }
            if once {
                let after = if crash_after_commit {
                    crate::mail_poll::AfterCommit::CrashBeforeMove
                } else {
                    crate::mail_poll::AfterCommit::Move
                };
                let mut failed = false;
                for poller in pollers {
                    let poller = poller.with_after_commit(after);
                    let mailbox = poller.mailbox().to_owned();
                    match tokio::task::spawn_blocking(move || poller.poll_once()).await? {
                        Ok(s) if s.held_elsewhere => println!(
                            "{mailbox}: another instance holds this mailbox (its lease runs \
                             [mail.imap] lease_seconds after its last poll); not polled"
                        ),
                        Ok(s) => println!(
                            "{mailbox}: filed {}, replies {}, ignored {}, quarantined {}, \
                             already recorded {}, left for later {}",
                            s.filed, s.replies, s.ignored, s.quarantined, s.duplicates, s.left
                        ),
                        Err(e) => {
                            eprintln!("{mailbox}: {e}");
                            failed = true;
                        }
                    }
                }
                if failed {
                    anyhow::bail!("a mailbox could not be polled");
                }
            } else {
                let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
                crate::mail_poll::spawn(pollers, stop.clone());
                tokio::signal::ctrl_c().await?;
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
        MailCommand::Failing { clear } => {
            if let Some(address) = clear {
                let address = address.trim().to_lowercase();
                let now = clock.now();
                if !intake
                    .with_conn(|conn| tongdai_storage::mail::clear_address(conn, &address, now))?
                {
                    anyhow::bail!("{address}: no bounce recorded for this address");
                }
                println!("{address}: marked as working again");
            } else {
                let rows = intake
                    .with_conn(|conn| tongdai_storage::mail::failing_addresses(conn, 1000))?;
                for row in &rows {
                    println!(
                        "{}\t{} bounce(s)\tfirst {}\tlast {}",
                        row.address,
                        row.bounces,
                        row.first_bounce_at.and_utc().to_rfc3339(),
                        row.last_bounce_at.and_utc().to_rfc3339()
                    );
                }
                eprintln!("failing addresses: {}", rows.len());
            }
        }
        MailCommand::Inbound { outcome, limit } => {
            let rows = intake.with_conn(|conn| {
                tongdai_storage::mail::recent_inbound(conn, outcome.as_deref(), limit)
            })?;
            for row in rows {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    row.received_at.and_utc().to_rfc3339(),
                    row.outcome,
                    row.sender.as_deref().unwrap_or("-"),
                    row.subject,
                    row.message_id,
                    row.reason.as_deref().unwrap_or("")
                );
            }
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
