//! The mail sender: delivers the ticket notices of the outbox (issue 15).
//!
//! Every `send_interval_secs` a round claims up to `batch` due rows of the mail topics
//! (`tongdai_storage::outbox::claim_mail`: `FOR UPDATE SKIP LOCKED` on PostgreSQL, so of
//! several instances exactly one claims each row; a lease of `lease_seconds`, so a row whose
//! sender died is due again), builds each message (`tongdai_notify::Notifier::prepare`, on
//! a blocking thread), sends a few at a time, and settles each row on its own:
//!
//! - sent: `sent_at` and the Message-ID we gave it;
//! - nobody to write to (no reporter address, an agency without contacts): settled with a
//!   note, never retried;
//! - failed: due again after `first_retry_seconds × 2^(attempt−1)` (at most a day), with the
//!   error kept; after `max_attempts` attempts, or at once when the row itself cannot become a
//!   message, dead (`dead_at`), counted by `/readyz` and shown on the console's ticket page.
//!
//! Delivery is at least once: a crash between the relay's "250 OK" and the commit of
//! `sent_at` sends the row again after its lease, under the same Message-ID.
//!
//! Without `[mail.smtp] host`, messages are written to `data/outbox/<row id>.eml`.
//! Time comes from the injected clock (tests drive retries with a fixed one).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use anyhow::Context;
use chrono::Duration;
use futures_util::StreamExt;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;
use tongdai_domain::Clock;
use tongdai_intake::IntakeService;
use tongdai_notify::{AgencyContacts, Kind, Letter, Notifier, NotifyError, Prepared};
use tongdai_storage::outbox::{self, MailRow};

use crate::config::{Config, MAIL_CONCURRENCY, SmtpSecurity};
use crate::error::Error;

/// Where messages go.
#[derive(Clone)]
enum Transport {
    Smtp {
        relay: AsyncSmtpTransport<Tokio1Executor>,
        /// `smtp://host:port (starttls)`, for logs.
        name: String,
    },
    /// `data/outbox`: one `<row id>.eml` per message.
    Files(PathBuf),
}

/// The retry policy of `[mail]`.
#[derive(Debug, Clone, Copy)]
struct Policy {
    max_attempts: i32,
    first_retry: Duration,
    lease: Duration,
    batch: i64,
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    /// Handed to the relay (or written as a file).
    pub sent: usize,
    /// Settled without a message (nobody to write to).
    pub unsent: usize,
    /// Failed, due again later.
    pub retrying: usize,
    /// Failed for the last time.
    pub dead: usize,
}

impl Round {
    pub fn claimed(&self) -> usize {
        self.sent + self.unsent + self.retrying + self.dead
    }
}

enum Verdict {
    Sent,
    Unsent,
    Retrying,
    Dead,
}

/// Sends the outbox's mail. Cheap to clone (every part is shared).
#[derive(Clone)]
pub struct MailSender {
    intake: IntakeService,
    notifier: Notifier,
    clock: Arc<dyn Clock>,
    transport: Transport,
    policy: Policy,
}

impl MailSender {
    /// Builds the sender from `[mail]`: addresses checked, agency contacts read, the SMTP
    /// password read from its file, the relay's TLS set up (no connection is made yet).
    pub fn from_config(
        config: &Config,
        intake: IntakeService,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, Error> {
        let mail = &config.mail;
        let settings = mail.settings(&config.web)?;
        let contacts = AgencyContacts::load(&mail.agency_contacts)
            .map_err(|e| Error::Config(format!("mail.agency_contacts: {e}")))?;
        let router = intake.router();
        let jurisdiction = router.jurisdiction();
        for code in contacts.codes() {
            if !jurisdiction.agencies.iter().any(|a| a.code == code) {
                tracing::warn!(
                    agency = code,
                    file = %mail.agency_contacts.display(),
                    "agency contacts name an agency the jurisdiction does not have"
                );
            }
        }
        let transport = match mail.smtp.host() {
            None => Transport::Files(config.data.dir.join("outbox")),
            Some(host) => {
                let smtp = &mail.smtp;
                let builder = match smtp.security {
                    SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
                    SmtpSecurity::Starttls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                    }
                    SmtpSecurity::None => Ok(
                        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
                    ),
                }
                .map_err(|e| Error::Config(format!("mail.smtp.host {host:?}: {e}")))?;
                let mut builder = builder
                    .port(smtp.port)
                    .timeout(Some(StdDuration::from_secs(smtp.timeout_seconds)))
                    .hello_name(ClientId::Domain(settings.message_id_domain.clone()));
                if let Some(user) = &smtp.username {
                    let password = match (&smtp.password, &smtp.password_file) {
                        (Some(p), _) => p.expose_secret().to_owned(),
                        (None, Some(file)) => {
                            crate::config::read_secret_file("mail.smtp.password_file", file)?
                        }
                        (None, None) => String::new(),
                    };
                    builder = builder.credentials(Credentials::new(user.clone(), password));
                }
                Transport::Smtp {
                    relay: builder.build(),
                    name: format!("smtp://{host}:{} ({:?})", smtp.port, smtp.security),
                }
            }
        };
        let seconds = |s: u64| Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000));
        Ok(Self {
            notifier: Notifier::new(intake.clone(), settings, contacts),
            intake,
            clock,
            transport,
            policy: Policy {
                max_attempts: i32::try_from(mail.max_attempts).unwrap_or(i32::MAX),
                first_retry: seconds(mail.first_retry_seconds),
                lease: seconds(mail.lease_seconds),
                batch: i64::from(mail.batch),
            },
        })
    }

    /// `smtp://host:port (…)` or the folder the `.eml` files go to.
    pub fn destination(&self) -> String {
        match &self.transport {
            Transport::Smtp { name, .. } => name.clone(),
            Transport::Files(dir) => format!("files in {}", dir.display()),
        }
    }

    /// One round: claims what is due and settles each claimed row.
    pub async fn send_due(&self) -> anyhow::Result<Round> {
        let now = self.clock.now();
        let policy = self.policy;
        let service = self.intake.clone();
        let rows = tokio::task::spawn_blocking(move || {
            service.with_conn(|conn| {
                outbox::claim_mail(
                    conn,
                    &Kind::TOPICS,
                    now,
                    policy.lease,
                    policy.max_attempts,
                    policy.batch,
                )
            })
        })
        .await
        .context("claiming mail")??;
        let verdicts: Vec<anyhow::Result<Verdict>> = futures_util::stream::iter(rows)
            .map(|row| self.handle(row))
            .buffer_unordered(usize::try_from(MAIL_CONCURRENCY).unwrap_or(4))
            .collect()
            .await;
        let mut round = Round::default();
        for verdict in verdicts {
            match verdict? {
                Verdict::Sent => round.sent += 1,
                Verdict::Unsent => round.unsent += 1,
                Verdict::Retrying => round.retrying += 1,
                Verdict::Dead => round.dead += 1,
            }
        }
        Ok(round)
    }

    /// Rounds until nothing is due (or `max_rounds`): what `tongdai mail send` and tests use.
    pub async fn drain(&self, max_rounds: usize) -> anyhow::Result<Round> {
        let mut total = Round::default();
        for _ in 0..max_rounds {
            let round = self.send_due().await?;
            total.sent += round.sent;
            total.unsent += round.unsent;
            total.retrying += round.retrying;
            total.dead += round.dead;
            if round.claimed() == 0 {
                break;
            }
        }
        Ok(total)
    }

    async fn handle(&self, row: MailRow) -> anyhow::Result<Verdict> {
        let notifier = self.notifier.clone();
        let for_prepare = row.clone();
        let prepared = tokio::task::spawn_blocking(move || notifier.prepare(&for_prepare)).await;
        match prepared {
            Ok(Ok(Prepared::Letter(letter))) => match self.deliver(&row, &letter).await {
                Ok(()) => {
                    self.settle(
                        &row,
                        Settle::Sent {
                            message_id: letter.message_id.clone(),
                            recipient: letter.recipient.clone(),
                        },
                    )
                    .await?;
                    tracing::info!(
                        id = %row.id,
                        kind = letter.kind.topic(),
                        message_id = %letter.message_id,
                        attempt = row.attempts,
                        "mail sent"
                    );
                    Ok(Verdict::Sent)
                }
                Err(error) => {
                    self.fail(&row, &error, false, Some(letter.recipient.clone()))
                        .await
                }
            },
            Ok(Ok(Prepared::Unsent { note })) => {
                self.settle(&row, Settle::Unsent(note.clone())).await?;
                tracing::info!(id = %row.id, topic = %row.topic, %note, "mail settled without sending");
                Ok(Verdict::Unsent)
            }
            Ok(Err(error)) => {
                // A row that cannot become a message will not become one on a retry.
                let permanent = matches!(
                    error,
                    NotifyError::Corrupt { .. }
                        | NotifyError::Build(_)
                        | NotifyError::Template(_)
                        | NotifyError::Config(_)
                );
                self.fail(&row, &error.to_string(), permanent, None).await
            }
            Err(join) => self.fail(&row, &join.to_string(), false, None).await,
        }
    }

    async fn deliver(&self, row: &MailRow, letter: &Letter) -> Result<(), String> {
        match &self.transport {
            Transport::Smtp { relay, .. } => relay
                .send(letter.message.clone())
                .await
                .map(|_| ())
                .map_err(|e| smtp_error_text(&e)),
            Transport::Files(dir) => {
                let dir = dir.clone();
                let name = format!("{}.eml", row.id);
                let bytes = letter.message.formatted();
                tokio::task::spawn_blocking(move || {
                    write_eml(&dir, &name, &bytes).map_err(|e| format!("writing {name}: {e}"))
                })
                .await
                .map_err(|e| e.to_string())?
            }
        }
    }

    async fn fail(
        &self,
        row: &MailRow,
        error: &str,
        permanent: bool,
        recipient: Option<String>,
    ) -> anyhow::Result<Verdict> {
        let last = permanent || row.attempts >= self.policy.max_attempts;
        if last {
            self.settle(row, Settle::Dead(error.to_owned(), recipient))
                .await?;
            tracing::error!(id = %row.id, topic = %row.topic, attempt = row.attempts, %error, "mail dead: no more attempts");
            Ok(Verdict::Dead)
        } else {
            self.settle(row, Settle::Retry(error.to_owned(), recipient))
                .await?;
            tracing::warn!(id = %row.id, topic = %row.topic, attempt = row.attempts, %error, "mail failed, will retry");
            Ok(Verdict::Retrying)
        }
    }

    async fn settle(&self, row: &MailRow, how: Settle) -> anyhow::Result<()> {
        let at = self.clock.now();
        let id = row.id.clone();
        let retry_at = at + self.backoff(row.attempts);
        let service = self.intake.clone();
        tokio::task::spawn_blocking(move || {
            service.with_conn(|conn| match &how {
                Settle::Sent {
                    message_id,
                    recipient,
                } => outbox::mark_mail_sent(conn, &id, at, message_id, recipient),
                Settle::Unsent(note) => outbox::settle_unsent(conn, &id, at, note),
                Settle::Retry(error, recipient) => {
                    outbox::reschedule_mail(conn, &id, retry_at, error, recipient.as_deref())
                }
                Settle::Dead(error, recipient) => {
                    outbox::mark_dead(conn, &id, at, error, recipient.as_deref())
                }
            })
        })
        .await
        .context("settling mail")??;
        Ok(())
    }

    /// first_retry_seconds × 2^(attempt−1), at most a day.
    fn backoff(&self, attempt: i32) -> Duration {
        let exp = u32::try_from(attempt.saturating_sub(1).clamp(0, 16)).unwrap_or(0);
        let seconds = self
            .policy
            .first_retry
            .num_seconds()
            .saturating_mul(1i64 << exp)
            .min(86_400);
        Duration::seconds(seconds)
    }
}

/// How a claimed row ends this attempt.
enum Settle {
    Sent {
        message_id: String,
        recipient: String,
    },
    Unsent(String),
    Retry(String, Option<String>),
    Dead(String, Option<String>),
}

/// The relay's answer, code included ("451 …"), or the connection's failure.
fn smtp_error_text(error: &lettre::transport::smtp::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// Writes `name` into `dir` whole or not at all (a temp file renamed into place), so a
/// reader never sees half a message.
fn write_eml(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, dir.join(name))
}

/// Runs the sender every `every` while the server runs.
pub fn spawn(sender: MailSender, every: StdDuration) {
    tracing::info!(destination = %sender.destination(), "mail sender started");
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = sender.send_due().await {
                tracing::warn!(error = %e, "mail round failed");
            }
        }
    });
}
