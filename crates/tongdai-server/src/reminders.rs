//! The reminder scheduler (issue 15): due-soon and overdue reminders to agencies.
//!
//! Every `[mail.reminders] every_minutes` a round, on a blocking thread, reads the tickets
//! whose running deadline falls before the horizon (`tongdai_storage::reminders::candidates`,
//! pages keyset by id), asks the pure rule (`tongdai_intake::reminders::due`) on the injected
//! clock and the router's working calendar, and enqueues each reminder under its derived id
//! (`tongdai_storage::outbox::enqueue_once_for`): of several rounds or instances, the first
//! insert of a (ticket, kind, deadline, working day) wins and the rest change nothing. The
//! mail sender (`crate::mail_out`) delivers the rows like every other notice.
//!
//! A round outside office hours reads nothing: the rule would refuse every ticket anyway.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use tongdai_domain::{Clock, TicketId};
use tongdai_intake::IntakeService;
use tongdai_intake::reminders::{self, ReminderPolicy};
use tongdai_storage::outbox;

use crate::config::RemindersConfig;
use crate::error::Error;

/// Candidates read per query.
const PAGE: i64 = 500;

/// Runs reminder rounds. Cheap to clone.
#[derive(Clone)]
pub struct Reminders {
    intake: IntakeService,
    clock: Arc<dyn Clock>,
    policy: ReminderPolicy,
}

impl Reminders {
    pub fn new(intake: IntakeService, clock: Arc<dyn Clock>, config: &RemindersConfig) -> Self {
        Self {
            intake,
            clock,
            policy: config.policy(),
        }
    }

    /// A round at the clock's now, on a blocking thread.
    pub async fn run(&self) -> Result<usize, Error> {
        let this = self.clone();
        let now = self.clock.now();
        tokio::task::spawn_blocking(move || this.round(now))
            .await
            .map_err(|e| Error::Internal(format!("reminder round: {e}")))?
    }

    /// One round at `now` (blocking): how many reminders it enqueued. Tests call it on their
    /// fixed clock.
    pub fn round(&self, now: chrono::DateTime<chrono::Utc>) -> Result<usize, Error> {
        let router = self.intake.router();
        let calendar = router.calendar();
        if !calendar.is_office_time(now) {
            return Ok(0);
        }
        let due_by = reminders::horizon(now, calendar, &self.policy);
        let mut enqueued = 0;
        let mut after: Option<TicketId> = None;
        loop {
            let page = self
                .intake
                .with_conn(|conn| {
                    tongdai_storage::reminders::candidates(conn, due_by, after.as_ref(), PAGE)
                })
                .map_err(intake_error)?;
            for ticket in &page {
                let Some(reminder) = reminders::due(ticket, now, calendar, &self.policy) else {
                    continue;
                };
                let payload = serde_json::to_string(&reminder.payload(calendar))
                    .map_err(|e| Error::Internal(format!("reminder payload: {e}")))?;
                let id = reminder.id().to_string();
                let ticket_id = ticket.id.to_string();
                let inserted = self
                    .intake
                    .with_conn(|conn| {
                        outbox::enqueue_once_for(
                            conn,
                            &id,
                            reminder.kind.topic(),
                            Some(&ticket_id),
                            &payload,
                            now,
                        )
                    })
                    .map_err(intake_error)?;
                if inserted {
                    enqueued += 1;
                    tracing::info!(
                        code = %reminder.code,
                        agency = %reminder.agency,
                        kind = reminder.kind.code(),
                        deadline = reminder.deadline.code(),
                        due_at = %calendar.to_local(reminder.due_at),
                        "reminder enqueued"
                    );
                }
            }
            if i64::try_from(page.len()).unwrap_or(i64::MAX) < PAGE {
                break;
            }
            after = page.last().map(|t| t.id);
        }
        Ok(enqueued)
    }
}

fn intake_error(e: tongdai_intake::IntakeError) -> Error {
    match e {
        tongdai_intake::IntakeError::Storage(s) => Error::Storage(s),
        other => Error::Internal(other.to_string()),
    }
}

/// Runs a round every `every` while the server runs.
pub fn spawn(reminders: Reminders, every: StdDuration) {
    tracing::info!(
        every_secs = every.as_secs(),
        lead_minutes = reminders.policy.due_soon_lead_minutes,
        "reminder scheduler started"
    );
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match reminders.run().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(enqueued = n, "reminder round"),
                Err(e) => tracing::warn!(error = %e, "reminder round failed"),
            }
        }
    });
}
