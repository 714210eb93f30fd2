//! Due-soon and overdue reminders to agencies (issue 15), as a pure rule: no I/O, no clock.
//! The server's scheduler reads the candidates (`tongdai_storage::reminders::candidates`),
//! asks [`due`] on its injected clock, and enqueues each answer under [`Reminder::id`].
//!
//! The rule:
//! - Nothing outside office hours of a working day, by the working calendar (never at night,
//!   on a Sunday, on Tết or a swapped day off; yes on a make-up Saturday).
//! - The running deadline ([`running_deadline`]): the accept deadline while the ticket waits
//!   for its agency to accept (`forwarded`), the answer deadline once accepted
//!   (`in_progress`). None while paused for the citizen (`waiting_citizen`, or a pause still
//!   recorded), in IOC triage (no agency), once the agency has answered (`awaiting_approval`,
//!   `awaiting_publication`: its answer deadline was met then) or the ticket is answered,
//!   rejected or closed.
//! - [`ReminderKind::Overdue`] once the deadline has passed ([`tongdai_calendar::is_late`],
//!   whole seconds); [`ReminderKind::DueSoon`] while it has not and at most
//!   [`ReminderPolicy::due_soon_lead_minutes`] working minutes are left (a lead of 0: no
//!   due-soon reminders).
//! - One reminder per (ticket, kind, deadline kind, local working day): the outbox row's id is
//!   derived from exactly that ([`reminder_id`]), so however many rounds or instances run, the
//!   primary key keeps the first and refuses the rest.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tongdai_calendar::{Span, WorkingCalendar, is_late};
use tongdai_domain::{TicketId, TicketStatus, TrackingCode};
use tongdai_storage::reminders::DueTicket;
use uuid::Uuid;

/// Which reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    DueSoon,
    Overdue,
}

impl ReminderKind {
    pub const fn code(self) -> &'static str {
        match self {
            ReminderKind::DueSoon => "due_soon",
            ReminderKind::Overdue => "overdue",
        }
    }

    /// The outbox topic (the mail kind of `tongdai-notify`).
    pub const fn topic(self) -> &'static str {
        match self {
            ReminderKind::DueSoon => "agency.due_soon",
            ReminderKind::Overdue => "agency.overdue",
        }
    }
}

/// Which of the agency's deadlines a reminder is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// Accepting the ticket (`accept_due_at`).
    Accept,
    /// Answering it (`answer_due_at`).
    Answer,
}

impl DeadlineKind {
    pub const fn code(self) -> &'static str {
        match self {
            DeadlineKind::Accept => "accept",
            DeadlineKind::Answer => "answer",
        }
    }
}

/// The rule's settings (`[mail.reminders]`): data, because the lead is set by decree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderPolicy {
    /// How much working time before a deadline the due-soon reminder starts; 0: never.
    pub due_soon_lead_minutes: u32,
}

/// A reminder that is due now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub ticket: TicketId,
    pub code: TrackingCode,
    pub agency: String,
    pub kind: ReminderKind,
    pub deadline: DeadlineKind,
    pub due_at: DateTime<Utc>,
    /// The local working day it counts for.
    pub day: NaiveDate,
    /// The instant it was decided at (the figures below are as of then).
    pub as_of: DateTime<Utc>,
    /// Due soon: working minutes left; overdue: working minutes since the deadline.
    pub working_minutes: i64,
    /// Overdue: working days after the deadline's day up to `day` (BLDS art. 147 counting:
    /// the deadline's own day does not count); 0 when due soon.
    pub working_days_late: u32,
    /// Overdue: calendar days from the deadline's day to `day`; 0 when due soon.
    pub calendar_days_late: i64,
}

/// The outbox payload of a reminder: what the notice shows, no personal data. Instants in
/// local time (+07:00), as every stored decision shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderPayload {
    pub code: String,
    pub agency: String,
    pub kind: ReminderKind,
    pub deadline: DeadlineKind,
    pub due_at: DateTime<FixedOffset>,
    pub day: NaiveDate,
    pub as_of: DateTime<FixedOffset>,
    pub working_minutes: i64,
    #[serde(default)]
    pub working_days_late: u32,
    #[serde(default)]
    pub calendar_days_late: i64,
}

impl Reminder {
    /// The outbox row's id: see [`reminder_id`].
    pub fn id(&self) -> Uuid {
        reminder_id(self.ticket, self.kind, self.deadline, self.day)
    }

    pub fn payload(&self, calendar: &WorkingCalendar) -> ReminderPayload {
        ReminderPayload {
            code: self.code.to_string(),
            agency: self.agency.clone(),
            kind: self.kind,
            deadline: self.deadline,
            due_at: calendar.to_local(self.due_at),
            day: self.day,
            as_of: calendar.to_local(self.as_of),
            working_minutes: self.working_minutes,
            working_days_late: self.working_days_late,
            calendar_days_late: self.calendar_days_late,
        }
    }
}

/// The deadline the agency is working against now, if any (see the module doc).
pub fn running_deadline(ticket: &DueTicket) -> Option<(DeadlineKind, DateTime<Utc>)> {
    if ticket.agency.is_none() || ticket.closed_at.is_some() {
        return None;
    }
    match ticket.status {
        TicketStatus::Forwarded => ticket.accept_due_at.map(|d| (DeadlineKind::Accept, d)),
        TicketStatus::InProgress if ticket.answer_paused_at.is_none() => {
            ticket.answer_due_at.map(|d| (DeadlineKind::Answer, d))
        }
        _ => None,
    }
}

/// The reminder due for `ticket` at `now`, if any (see the module doc).
pub fn due(
    ticket: &DueTicket,
    now: DateTime<Utc>,
    calendar: &WorkingCalendar,
    policy: &ReminderPolicy,
) -> Option<Reminder> {
    if !calendar.is_office_time(now) {
        return None;
    }
    let agency = ticket.agency.clone()?;
    let (deadline, due_at) = running_deadline(ticket)?;
    let day = calendar.local_date(now);
    let (kind, working_minutes, working_days_late, calendar_days_late) = if is_late(due_at, now) {
        let due_day = calendar.local_date(due_at);
        (
            ReminderKind::Overdue,
            calendar.working_minutes_between(due_at, now),
            calendar.working_days_between(due_day, day),
            (day - due_day).num_days(),
        )
    } else {
        let left = calendar.working_minutes_between(now, due_at);
        let lead = i64::from(policy.due_soon_lead_minutes);
        if lead == 0 || left > lead {
            return None;
        }
        (ReminderKind::DueSoon, left, 0, 0)
    };
    Some(Reminder {
        ticket: ticket.id,
        code: ticket.code.clone(),
        agency,
        kind,
        deadline,
        due_at,
        day,
        as_of: now,
        working_minutes,
        working_days_late,
        calendar_days_late,
    })
}

/// The latest deadline a round at `now` can remind of: every deadline up to the end of the
/// lead (in working time, so a Tết break in between is spanned), and a minute more for
/// [`WorkingCalendar::working_minutes_between`] rounding down. Overdue ones are all before it.
pub fn horizon(
    now: DateTime<Utc>,
    calendar: &WorkingCalendar,
    policy: &ReminderPolicy,
) -> DateTime<Utc> {
    let lead = policy.due_soon_lead_minutes.saturating_add(1);
    calendar.deadline(now, Span::WorkingMinutes(lead)).max(now)
}

/// A name-based UUID (version 8, SHA-256, as RFC 9562 appendix B.2 suggests) of the
/// reminder's identity: the same ticket, kind, deadline kind and local day always give the
/// same id.
pub fn reminder_id(
    ticket: TicketId,
    kind: ReminderKind,
    deadline: DeadlineKind,
    day: NaiveDate,
) -> Uuid {
    let name = format!(
        "tongdai reminder\n{ticket}\n{}\n{}\n{day}",
        kind.code(),
        deadline.code()
    );
    let digest = Sha256::digest(name.as_bytes());
    let mut bytes = [0u8; 16];
    for (b, d) in bytes.iter_mut().zip(digest.iter()) {
        *b = *d;
    }
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use chrono::TimeZone;
    use tongdai_calendar::CalendarSettings;

    use super::*;

    fn calendar() -> WorkingCalendar {
        WorkingCalendar::from_toml_strs(
            CalendarSettings::default(),
            &[
                include_str!("../../../config/calendar/2026.toml"),
                include_str!("../../../config/calendar/2027.toml"),
            ],
        )
        .unwrap()
    }

    /// Local (+07:00) wall-clock time.
    fn vn(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        tongdai_domain::vn_offset()
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    const LEAD: ReminderPolicy = ReminderPolicy {
        due_soon_lead_minutes: 240,
    };

    fn ticket(status: TicketStatus, accept: DateTime<Utc>, answer: DateTime<Utc>) -> DueTicket {
        DueTicket {
            id: TicketId(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001)),
            code: TrackingCode::parse("1022-K7Q9-3MPX").unwrap(),
            status,
            agency: Some("UBND-TN-P-LONGAN".into()),
            accept_due_at: Some(accept),
            answer_due_at: Some(answer),
            answer_paused_at: None,
            closed_at: None,
        }
    }

    /// Forwarded on Wed 03/02/2027, accept due Thu 04/02 09:30, the day before Tết.
    fn forwarded() -> DueTicket {
        ticket(
            TicketStatus::Forwarded,
            vn(2027, 2, 4, 9, 30),
            end_of(2027, 2, 24),
        )
    }

    fn end_of(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        tongdai_domain::vn_offset()
            .with_ymd_and_hms(y, m, d, 23, 59, 59)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn kind_at(t: &DueTicket, now: DateTime<Utc>) -> Option<(ReminderKind, DeadlineKind)> {
        due(t, now, &calendar(), &LEAD).map(|r| (r.kind, r.deadline))
    }

    use DeadlineKind::{Accept, Answer};
    use ReminderKind::{DueSoon, Overdue};

    #[test]
    fn due_soon_within_the_lead_in_working_time_only() {
        let t = forwarded();
        // Wed 13:30: 3.5 h today + 2 h tomorrow left.
        assert_eq!(kind_at(&t, vn(2027, 2, 3, 13, 30)), None);
        // Wed 15:30: 1.5 h + 2 h = 3.5 h.
        let r = due(&t, vn(2027, 2, 3, 15, 30), &calendar(), &LEAD).unwrap();
        assert_eq!((r.kind, r.deadline), (DueSoon, Accept));
        assert_eq!(r.working_minutes, 210);
        assert_eq!(r.day, NaiveDate::from_ymd_opt(2027, 2, 3).unwrap());
        assert_eq!(r.agency, "UBND-TN-P-LONGAN");
        // Exactly the lead left (Wed 15:00: 2 h + 2 h) is within it.
        assert_eq!(kind_at(&t, vn(2027, 2, 3, 15, 0)), Some((DueSoon, Accept)));
        // Thu 09:30:00 is the deadline itself: not passed yet.
        assert_eq!(kind_at(&t, vn(2027, 2, 4, 9, 30)), Some((DueSoon, Accept)));
        // A lead of 0 turns due-soon reminders off.
        let off = ReminderPolicy {
            due_soon_lead_minutes: 0,
        };
        assert!(due(&t, vn(2027, 2, 4, 9, 0), &calendar(), &off).is_none());
    }

    #[test]
    fn overdue_once_passed_with_how_late_in_working_and_calendar_time() {
        let t = forwarded();
        let r = due(&t, vn(2027, 2, 4, 10, 15), &calendar(), &LEAD).unwrap();
        assert_eq!((r.kind, r.deadline), (Overdue, Accept));
        assert_eq!(r.working_minutes, 45);
        assert_eq!((r.working_days_late, r.calendar_days_late), (0, 0));
        // After Tết: Fri 12/02 is the first working day after Thu 04/02.
        let r = due(&t, vn(2027, 2, 12, 8, 0), &calendar(), &LEAD).unwrap();
        assert_eq!(r.kind, Overdue);
        // Thu 09:30–11:30 and 13:30–17:00, then Fri 07:30–08:00.
        assert_eq!(r.working_minutes, 120 + 210 + 30);
        assert_eq!((r.working_days_late, r.calendar_days_late), (1, 8));
    }

    #[test]
    fn nothing_outside_office_hours_or_on_a_day_off() {
        let t = forwarded();
        for now in [
            vn(2027, 2, 4, 3, 0),  // night before the deadline, a working day
            vn(2027, 2, 4, 0, 0),  // midnight
            vn(2027, 2, 4, 12, 0), // lunch
            vn(2027, 2, 4, 17, 1), // after closing
            vn(2027, 2, 5, 9, 0),  // Tết (29 tháng Chạp)
            vn(2027, 2, 10, 9, 0), // compensatory day off after Tết
            vn(2027, 2, 14, 9, 0), // Sunday
            vn(2027, 2, 13, 9, 0), // Saturday
        ] {
            assert_eq!(kind_at(&t, now), None, "{now}");
        }
        // 2026: Fri 02/01 is swapped off, Sat 10/01 is worked instead.
        let t = ticket(
            TicketStatus::Forwarded,
            vn(2025, 12, 31, 9, 0),
            end_of(2026, 1, 30),
        );
        assert_eq!(kind_at(&t, vn(2026, 1, 2, 9, 0)), None);
        assert_eq!(kind_at(&t, vn(2026, 1, 10, 9, 0)), Some((Overdue, Accept)));
        // Closing time itself is office time (intervals are closed at both ends).
        assert_eq!(kind_at(&t, vn(2026, 1, 5, 17, 0)), Some((Overdue, Accept)));
    }

    #[test]
    fn the_running_deadline_follows_the_workflow() {
        let accept = vn(2027, 3, 1, 9, 30);
        let answer = end_of(2027, 3, 2);
        let now = vn(2027, 3, 2, 14, 0);
        use TicketStatus::*;
        assert_eq!(
            kind_at(&ticket(Forwarded, accept, answer), now),
            Some((Overdue, Accept))
        );
        // Accepted: the answer deadline (3 working hours left) runs, the accept one is done.
        assert_eq!(
            kind_at(&ticket(InProgress, accept, answer), now),
            Some((DueSoon, Answer))
        );
        for status in [
            Triage,
            WaitingCitizen,
            AwaitingApproval,
            AwaitingPublication,
            Answered,
            Rejected,
            Closed,
        ] {
            assert_eq!(
                kind_at(&ticket(status, accept, answer), now),
                None,
                "{status}"
            );
        }
        let mut paused = ticket(InProgress, accept, answer);
        paused.answer_paused_at = Some(vn(2027, 3, 1, 10, 0));
        assert_eq!(kind_at(&paused, now), None, "a pause still recorded");
        let mut triage = ticket(Forwarded, accept, answer);
        triage.agency = None;
        assert_eq!(kind_at(&triage, now), None, "no agency");
        let mut closed = ticket(InProgress, accept, answer);
        closed.closed_at = Some(vn(2027, 3, 1, 10, 0));
        assert_eq!(kind_at(&closed, now), None);
        let mut none = ticket(Forwarded, accept, answer);
        none.accept_due_at = None;
        assert_eq!(kind_at(&none, now), None, "no deadline stored");
    }

    #[test]
    fn one_identity_per_ticket_kind_deadline_and_working_day() {
        let t = forwarded();
        let cal = calendar();
        let morning = due(&t, vn(2027, 2, 4, 10, 0), &cal, &LEAD).unwrap();
        let afternoon = due(&t, vn(2027, 2, 4, 16, 0), &cal, &LEAD).unwrap();
        let next_day = due(&t, vn(2027, 2, 12, 8, 0), &cal, &LEAD).unwrap();
        assert_eq!(morning.id(), afternoon.id());
        assert_ne!(morning.id(), next_day.id());
        assert_eq!(morning.id().get_version_num(), 8);
        let soon = due(&t, vn(2027, 2, 4, 8, 0), &cal, &LEAD).unwrap();
        assert_eq!(soon.kind, DueSoon);
        assert_ne!(soon.id(), morning.id(), "another kind the same day");
        let mut accepted = t.clone();
        accepted.status = TicketStatus::InProgress;
        accepted.answer_due_at = Some(vn(2027, 2, 4, 9, 0));
        let answer = due(&accepted, vn(2027, 2, 4, 10, 0), &cal, &LEAD).unwrap();
        assert_eq!((answer.kind, answer.deadline), (Overdue, Answer));
        assert_ne!(answer.id(), morning.id(), "another deadline the same day");
        let mut other = t.clone();
        other.id = TicketId(Uuid::from_u128(2));
        assert_ne!(
            due(&other, vn(2027, 2, 4, 10, 0), &cal, &LEAD)
                .unwrap()
                .id(),
            morning.id()
        );
        // Stable across releases: the id is stored, and a changed derivation would send a
        // second reminder on the day of an upgrade. (SHA-256 of the name, RFC 9562 v8 bits.)
        let day = NaiveDate::from_ymd_opt(2027, 2, 4).unwrap();
        assert_eq!(
            reminder_id(t.id, Overdue, Accept, day).to_string(),
            "76c0e69e-117d-8537-8107-cc845cea1a4f"
        );
    }

    #[test]
    fn the_horizon_spans_the_lead_across_tet() {
        let cal = calendar();
        // Thu 04/02 15:00: 2 h today, Tết and the compensatory days, then Fri 12/02 07:30.
        let h = horizon(vn(2027, 2, 4, 15, 0), &cal, &LEAD);
        assert_eq!(h, vn(2027, 2, 12, 9, 31));
        let t = ticket(
            TicketStatus::Forwarded,
            vn(2027, 2, 12, 9, 30),
            end_of(2027, 2, 26),
        );
        assert!(t.accept_due_at.unwrap() <= h);
        assert_eq!(kind_at(&t, vn(2027, 2, 4, 15, 0)), Some((DueSoon, Accept)));
        // At night the lead counts from the morning's opening (4 h, then a minute after lunch).
        assert_eq!(
            horizon(vn(2027, 2, 3, 3, 0), &cal, &LEAD),
            vn(2027, 2, 3, 13, 31)
        );
    }

    #[test]
    fn the_payload_reads_back_in_local_time() {
        let cal = calendar();
        let r = due(&forwarded(), vn(2027, 2, 4, 10, 15), &cal, &LEAD).unwrap();
        let json = serde_json::to_value(r.payload(&cal)).unwrap();
        assert_eq!(json["code"], "1022-K7Q9-3MPX");
        assert_eq!(json["agency"], "UBND-TN-P-LONGAN");
        assert_eq!(json["kind"], "overdue");
        assert_eq!(json["deadline"], "accept");
        assert_eq!(json["due_at"], "2027-02-04T09:30:00+07:00");
        assert_eq!(json["day"], "2027-02-04");
        let back: ReminderPayload = serde_json::from_value(json).unwrap();
        assert_eq!(back, r.payload(&cal));
    }
}
