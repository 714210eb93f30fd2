use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{CalendarError, Span, WorkingCalendar};

/// A deadline that can stop while the agency waits for the citizen, and restart later.
///
/// A plain value (serializable, no clock inside) so that the ticket store can persist it and
/// replay it: each pause/resume pair moves `deadline` by [`WorkingCalendar::resume`], so any
/// number of pauses compose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineClock {
    span: Span,
    started_at: DateTime<Utc>,
    deadline: DateTime<Utc>,
    paused_at: Option<DateTime<Utc>>,
}

impl DeadlineClock {
    pub fn start(calendar: &WorkingCalendar, started_at: DateTime<Utc>, span: Span) -> Self {
        Self {
            span,
            started_at,
            deadline: calendar.deadline(started_at, span),
            paused_at: None,
        }
    }

    /// A clock as a ticket's summary row stores it: its span, when it started, the deadline
    /// it stands at (after any extensions and earlier pauses) and the pause, if any.
    pub fn from_parts(
        span: Span,
        started_at: DateTime<Utc>,
        deadline: DateTime<Utc>,
        paused_at: Option<DateTime<Utc>>,
    ) -> Self {
        Self {
            span,
            started_at,
            deadline,
            paused_at,
        }
    }

    pub fn span(&self) -> Span {
        self.span
    }

    pub fn started_at(&self) -> DateTime<Utc> {
        self.started_at
    }

    pub fn paused_at(&self) -> Option<DateTime<Utc>> {
        self.paused_at
    }

    pub fn is_paused(&self) -> bool {
        self.paused_at.is_some()
    }

    /// The running deadline, or `None` while paused: a stopped clock has no due instant, so
    /// overdue lists must not count it.
    pub fn deadline(&self) -> Option<DateTime<Utc>> {
        match self.paused_at {
            Some(_) => None,
            None => Some(self.deadline),
        }
    }

    /// The deadline as it stood when the clock was last running.
    pub fn last_deadline(&self) -> DateTime<Utc> {
        self.deadline
    }

    /// What the deadline would become if the clock resumed at `at` (for "due if resumed now").
    pub fn deadline_if_resumed_at(
        &self,
        calendar: &WorkingCalendar,
        at: DateTime<Utc>,
    ) -> DateTime<Utc> {
        match self.paused_at {
            Some(p) => calendar.resume(p, at, self.deadline, self.span.unit()),
            None => self.deadline,
        }
    }

    pub fn pause(&mut self, at: DateTime<Utc>) -> Result<(), CalendarError> {
        if let Some(p) = self.paused_at {
            return Err(CalendarError::AlreadyPaused(p));
        }
        self.paused_at = Some(at);
        Ok(())
    }

    pub fn resume(
        &mut self,
        calendar: &WorkingCalendar,
        at: DateTime<Utc>,
    ) -> Result<(), CalendarError> {
        let paused_at = self.paused_at.ok_or(CalendarError::NotPaused)?;
        if at < paused_at {
            return Err(CalendarError::ResumeBeforePause {
                paused_at,
                resumed_at: at,
            });
        }
        self.deadline = calendar.resume(paused_at, at, self.deadline, self.span.unit());
        self.paused_at = None;
        Ok(())
    }

    /// An approved extension (gia hạn) of `extra`, counted from the current deadline under the
    /// usual rules (working days from the day after it, working hours from its instant). The
    /// approval itself is recorded by the caller; this is only the arithmetic.
    pub fn extend(&mut self, calendar: &WorkingCalendar, extra: Span) {
        self.deadline = calendar.deadline(self.deadline, extra);
    }
}
