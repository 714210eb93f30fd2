//! The report as of the period's end, folded from ticket histories. The definitions are in
//! `docs/report.md` (Vietnamese and English); each rule below names the sentence it follows.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use tongdai_calendar::{SpanUnit, WorkingCalendar};

use crate::model::{
    AgencyRef, AgencyRow, Counts, Fact, GroupRow, LateKind, LateTicket, OverdueReport,
    TicketHistory, TriageCounts,
};
use crate::period::{Period, PeriodBounds};

/// The choices the definitions leave to policy (`[report]` in the configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportPolicy {
    /// A rating at least this high counts as satisfied (1–5).
    pub satisfied_min_rating: u8,
    /// The version of the definitions the figures follow (`docs/report.md`).
    pub definitions: String,
}

impl Default for ReportPolicy {
    fn default() -> Self {
        Self {
            satisfied_min_rating: 4,
            definitions: "2026-12".to_owned(),
        }
    }
}

/// What the report is computed against: the period, the jurisdiction as it stood at the
/// period's end, the calendar and the policy.
#[derive(Debug, Clone, Copy)]
pub struct ReportInputs<'a> {
    pub period: &'a Period,
    /// Agencies in force on the period's last day, names as they were then.
    pub agencies: &'a [AgencyRef],
    /// Names of agencies no longer in force at the period's end that still appear in it.
    pub former_agency_names: &'a BTreeMap<String, String>,
    pub categories: &'a BTreeMap<String, String>,
    pub areas: &'a BTreeMap<String, String>,
    /// The IOC's triage queue: kept out of the league table (it forwards, it does not
    /// answer).
    pub triage_agency: &'a str,
    pub calendar: &'a WorkingCalendar,
    pub policy: &'a ReportPolicy,
}

/// The assignment a ticket is under: the agency its last `deadline_set` binds.
#[derive(Debug, Clone)]
struct Assignment {
    agency: String,
    /// When this agency got the ticket (a recategorisation or reopening within the same
    /// agency does not start a new assignment).
    since: DateTime<Utc>,
    /// The answer deadline the agency was given (pauses for the citizen included,
    /// extensions not).
    given: Option<DateTime<Utc>>,
    /// The deadline in force, extensions included.
    effective: Option<DateTime<Utc>>,
    forward_due: Option<DateTime<Utc>>,
    paused_at: Option<DateTime<Utc>>,
    extended: bool,
}

/// The ticket's first answer (one that was not sent back by the agency's lead).
#[derive(Debug, Clone)]
struct Answer {
    at: DateTime<Utc>,
    assignment: Assignment,
    confirmed: bool,
}

/// One ticket, folded as of the period's end.
#[derive(Debug)]
struct AsOf {
    assignment: Option<Assignment>,
    answer: Option<Answer>,
    category: String,
    area: Option<String>,
    rejected: bool,
    returns: Vec<(DateTime<Utc>, Option<String>)>,
    rejects: Vec<(DateTime<Utc>, Option<String>)>,
    ratings: Vec<(DateTime<Utc>, u8)>,
}

fn fold(ticket: &TicketHistory, end: DateTime<Utc>, calendar: &WorkingCalendar) -> AsOf {
    let filed_category = ticket
        .events
        .iter()
        .find_map(|e| match &e.fact {
            Fact::Recategorised {
                previous_category, ..
            } => Some(previous_category.clone()),
            _ => None,
        })
        .flatten()
        .unwrap_or_else(|| ticket.category.clone());
    let mut s = AsOf {
        assignment: None,
        answer: None,
        category: filed_category,
        area: ticket.area.clone(),
        rejected: false,
        returns: Vec::new(),
        rejects: Vec::new(),
        ratings: Vec::new(),
    };
    for event in ticket.events.iter().filter(|e| e.at < end) {
        let at = event.at;
        match &event.fact {
            Fact::Deadline {
                cause,
                agency,
                forward_due,
                answer_due,
                paused_at,
            } => match (cause.as_str(), s.assignment.as_mut()) {
                ("extension", Some(a)) => {
                    a.effective = *answer_due;
                    a.extended = true;
                }
                ("pause", Some(a)) => {
                    a.paused_at = paused_at.or(Some(at));
                }
                ("resume", Some(a)) => {
                    // Waiting for the citizen does not count: both deadlines move on by the
                    // time the clock stood still.
                    a.given = match (a.extended, a.paused_at, a.given) {
                        (true, Some(p), Some(g)) => {
                            Some(calendar.resume(p, at, g, SpanUnit::WorkingMinutes))
                        }
                        _ => *answer_due,
                    };
                    a.effective = *answer_due;
                    a.paused_at = None;
                }
                _ => {
                    let since = match &s.assignment {
                        Some(a) if a.agency == *agency => a.since,
                        _ => at,
                    };
                    s.assignment = Some(Assignment {
                        agency: agency.clone(),
                        since,
                        given: *answer_due,
                        effective: *answer_due,
                        forward_due: *forward_due,
                        paused_at: *paused_at,
                        extended: false,
                    });
                }
            },
            Fact::AnswerSubmitted => {
                if s.answer.is_none()
                    && let Some(a) = &s.assignment
                {
                    s.answer = Some(Answer {
                        at,
                        assignment: a.clone(),
                        confirmed: false,
                    });
                }
            }
            Fact::AnswerSentBack => {
                if s.answer.as_ref().is_some_and(|a| !a.confirmed) {
                    s.answer = None;
                }
            }
            Fact::Published => {
                if let Some(a) = s.answer.as_mut() {
                    a.confirmed = true;
                }
            }
            Fact::Returned { agency } => {
                let by = agency
                    .clone()
                    .or_else(|| s.assignment.as_ref().map(|a| a.agency.clone()));
                s.returns.push((at, by));
            }
            Fact::Rejected => {
                s.rejected = true;
                s.rejects
                    .push((at, s.assignment.as_ref().map(|a| a.agency.clone())));
            }
            Fact::Rated { rating } => s.ratings.push((at, *rating)),
            Fact::Recategorised { category, area, .. } => {
                s.category = category.clone();
                if area.is_some() {
                    s.area = area.clone();
                }
            }
        }
    }
    s
}

/// Collects the report ticket by ticket, so the loader can stream histories.
pub struct ReportBuilder<'a> {
    inputs: ReportInputs<'a>,
    agencies: BTreeMap<String, Counts>,
    by_category: BTreeMap<String, Counts>,
    by_area: BTreeMap<String, Counts>,
    by_channel: BTreeMap<String, Counts>,
    triage: TriageCounts,
    late: Vec<LateTicket>,
    tickets: u64,
}

/// Where one contribution goes: the agency row and the three breakdowns.
struct Keys<'k> {
    agency: &'k str,
    category: &'k str,
    area: &'k str,
    channel: &'k str,
}

const NO_AREA: &str = "";

impl<'a> ReportBuilder<'a> {
    pub fn new(inputs: ReportInputs<'a>) -> Self {
        let agencies = inputs
            .agencies
            .iter()
            .filter(|a| a.code != inputs.triage_agency)
            .map(|a| (a.code.clone(), Counts::default()))
            .collect();
        Self {
            inputs,
            agencies,
            by_category: BTreeMap::new(),
            by_area: BTreeMap::new(),
            by_channel: BTreeMap::new(),
            triage: TriageCounts::default(),
            late: Vec::new(),
            tickets: 0,
        }
    }

    /// Tickets read so far.
    pub fn tickets(&self) -> u64 {
        self.tickets
    }

    fn bump(&mut self, keys: &Keys<'_>, f: impl Fn(&mut Counts)) {
        f(self.agencies.entry(keys.agency.to_owned()).or_default());
        f(self
            .by_category
            .entry(keys.category.to_owned())
            .or_default());
        f(self.by_area.entry(keys.area.to_owned()).or_default());
        f(self.by_channel.entry(keys.channel.to_owned()).or_default());
    }

    fn local(&self, at: DateTime<Utc>) -> DateTime<FixedOffset> {
        self.inputs.calendar.to_local(at)
    }

    #[allow(clippy::too_many_arguments)] // the facts of one late ticket, each named
    fn late_ticket(
        &self,
        ticket: &TicketHistory,
        agency: &str,
        category: &str,
        kind: LateKind,
        deadline: DateTime<Utc>,
        extended_to: Option<DateTime<Utc>>,
        answered_at: Option<DateTime<Utc>>,
    ) -> LateTicket {
        let calendar = self.inputs.calendar;
        let until = answered_at.unwrap_or(self.inputs.period.to_utc());
        let (from_day, to_day) = (calendar.local_date(deadline), calendar.local_date(until));
        let days = (to_day - from_day).num_days().max(0);
        LateTicket {
            code: ticket.code.clone(),
            agency: agency.to_owned(),
            category: category.to_owned(),
            kind,
            deadline: self.local(deadline),
            extended_to: extended_to.map(|t| self.local(t)),
            answered_at: answered_at.map(|t| self.local(t)),
            days_late: u32::try_from(days).unwrap_or(u32::MAX),
            working_days_late: calendar.working_days_between(from_day, to_day),
        }
    }

    /// Adds one ticket as it stood at the period's end.
    pub fn add(&mut self, ticket: &TicketHistory) {
        let period = *self.inputs.period;
        let (start, end) = (period.from_utc(), period.to_utc());
        if ticket.created_at >= end {
            return;
        }
        self.tickets += 1;
        let s = fold(ticket, end, self.inputs.calendar);
        let triage = self.inputs.triage_agency.to_owned();
        let area = s.area.clone().unwrap_or_else(|| NO_AREA.to_owned());

        // Returns and rejections count for the agency that made them, in the period.
        for (at, by) in &s.returns {
            if let Some(by) = by.as_deref().filter(|_| period.contains(*at))
                && by != triage
            {
                let keys = Keys {
                    agency: by,
                    category: &s.category,
                    area: &area,
                    channel: &ticket.channel,
                };
                self.bump(&keys, |c| c.returned += 1);
            }
        }
        for (at, by) in &s.rejects {
            if !period.contains(*at) {
                continue;
            }
            match by.as_deref() {
                Some(by) if by != triage => {
                    let keys = Keys {
                        agency: by,
                        category: &s.category,
                        area: &area,
                        channel: &ticket.channel,
                    };
                    self.bump(&keys, |c| c.rejected += 1);
                }
                _ => self.triage.rejected += 1,
            }
        }

        // The ticket counts for the agency responsible: the one that answered it, or the
        // one holding it at period end. An agency it was transferred away from is not
        // counted for it.
        let (assignment, answer) = match (&s.answer, &s.assignment) {
            (Some(answer), _) => (&answer.assignment, Some(answer)),
            (None, Some(assignment)) => (assignment, None),
            (None, None) => return,
        };
        let agency = assignment.agency.clone();
        let received = period.contains(assignment.since);

        if agency == triage {
            if received {
                self.triage.received += 1;
            }
            if answer.is_none() && !s.rejected {
                match assignment.forward_due {
                    Some(due) if due <= end => self.triage.open_overdue += 1,
                    _ => self.triage.open_in_time += 1,
                }
            }
            return;
        }

        let keys = Keys {
            agency: &agency,
            category: &s.category,
            area: &area,
            channel: &ticket.channel,
        };
        if received {
            self.bump(&keys, |c| c.received += 1);
        }
        match answer {
            Some(answer) if period.contains(answer.at) => {
                let at = answer.at;
                let a = &answer.assignment;
                match (a.given, a.effective) {
                    (Some(given), _) if at > given => {
                        match a.effective.filter(|e| a.extended && at <= *e) {
                            Some(extended) => {
                                self.bump(&keys, |c| c.late_with_extension += 1);
                                let late = self.late_ticket(
                                    ticket,
                                    &agency,
                                    &s.category,
                                    LateKind::LateWithExtension,
                                    given,
                                    Some(extended),
                                    Some(at),
                                );
                                self.late.push(late);
                            }
                            None => {
                                self.bump(&keys, |c| c.late += 1);
                                let deadline = a.effective.unwrap_or(given);
                                let late = self.late_ticket(
                                    ticket,
                                    &agency,
                                    &s.category,
                                    LateKind::Late,
                                    deadline,
                                    None,
                                    Some(at),
                                );
                                self.late.push(late);
                            }
                        }
                    }
                    _ => self.bump(&keys, |c| c.on_time += 1),
                }
            }
            Some(_) => {}
            None if s.rejected => {}
            None => {
                // Open at period end. A clock paused for the citizen is overdue only if it
                // was already past its deadline when it stopped.
                let due = assignment.effective;
                let overdue = match (due, assignment.paused_at) {
                    (Some(due), Some(paused)) => due <= paused,
                    (Some(due), None) => due <= end,
                    (None, _) => false,
                };
                if overdue {
                    self.bump(&keys, |c| c.open_overdue += 1);
                    if let Some(due) = due {
                        let late = self.late_ticket(
                            ticket,
                            &agency,
                            &s.category,
                            LateKind::OpenOverdue,
                            due,
                            None,
                            None,
                        );
                        self.late.push(late);
                    }
                } else {
                    self.bump(&keys, |c| c.open_in_time += 1);
                }
            }
        }

        // Ratings given in the period count for the agency that answered.
        if answer.is_some() {
            let min = self.inputs.policy.satisfied_min_rating;
            for (at, rating) in &s.ratings {
                if *at >= start && *at < end {
                    let satisfied = *rating >= min;
                    self.bump(&keys, |c| {
                        c.rated += 1;
                        if satisfied {
                            c.satisfied += 1;
                        }
                    });
                }
            }
        }
    }

    fn agency_name(&self, code: &str) -> String {
        self.inputs
            .agencies
            .iter()
            .find(|a| a.code == code)
            .map(|a| a.name.clone())
            .or_else(|| self.inputs.former_agency_names.get(code).cloned())
            .unwrap_or_else(|| code.to_owned())
    }

    /// The report, unsealed (`checksum` empty): the service adds the year-to-date and
    /// previous-year figures, then seals it.
    pub fn finish(self, generated_at: DateTime<Utc>, is_final: bool) -> OverdueReport {
        let mut rows: Vec<AgencyRow> = self
            .agencies
            .iter()
            .map(|(code, counts)| {
                let mut counts = counts.clone();
                counts.finish();
                AgencyRow {
                    agency: AgencyRef {
                        code: code.clone(),
                        name: self.agency_name(code),
                    },
                    counts,
                    rank: None,
                    year_to_date: None,
                    previous_year: None,
                }
            })
            .collect();
        rank(&mut rows);
        let mut totals = Counts::default();
        for row in &rows {
            totals.add(&row.counts);
        }
        totals.finish();
        let groups = |map: &BTreeMap<String, Counts>, names: &BTreeMap<String, String>| {
            map.iter()
                .map(|(code, counts)| {
                    let mut counts = counts.clone();
                    counts.finish();
                    GroupRow {
                        code: code.clone(),
                        name: if code.is_empty() {
                            "Chưa xác định địa bàn".to_owned()
                        } else {
                            names.get(code).cloned().unwrap_or_else(|| code.clone())
                        },
                        counts,
                    }
                })
                .collect::<Vec<_>>()
        };
        let channel_names: BTreeMap<String, String> = tongdai_domain::Channel::ALL
            .iter()
            .map(|c| (c.code().to_owned(), c.label_vi().to_owned()))
            .collect();
        let mut late = self.late;
        late.sort_by(|a, b| {
            (
                a.agency.as_str(),
                std::cmp::Reverse(a.days_late),
                a.code.as_str(),
            )
                .cmp(&(
                    b.agency.as_str(),
                    std::cmp::Reverse(b.days_late),
                    b.code.as_str(),
                ))
        });
        OverdueReport {
            period: PeriodBounds::from(self.inputs.period),
            generated_at: self.inputs.calendar.to_local(generated_at),
            is_final,
            checksum: String::new(),
            definitions: self.inputs.policy.definitions.clone(),
            rows,
            totals,
            totals_year_to_date: None,
            triage: self.triage,
            late_tickets: late,
            by_category: groups(&self.by_category, self.inputs.categories),
            by_area: groups(&self.by_area, self.inputs.areas),
            by_channel: groups(&self.by_channel, &channel_names),
        }
    }
}

/// Ranks rows by on-time rate, ties by volume answered; equal on both share a rank. Rows
/// that answered nothing are unranked and listed last. Rows come out in rank order.
pub fn rank(rows: &mut [AgencyRow]) {
    rows.sort_by(|a, b| {
        let key = |r: &AgencyRow| {
            (
                r.counts.on_time_rate.is_none(),
                std::cmp::Reverse(rate_key(r.counts.on_time_rate)),
                std::cmp::Reverse(r.counts.answered()),
            )
        };
        key(a)
            .cmp(&key(b))
            .then_with(|| a.agency.name.cmp(&b.agency.name))
            .then_with(|| a.agency.code.cmp(&b.agency.code))
    });
    let mut previous: Option<(i64, u64, u32)> = None;
    for (i, row) in rows.iter_mut().enumerate() {
        let Some(rate) = row.counts.on_time_rate else {
            row.rank = None;
            continue;
        };
        let key = (rate_key(Some(rate)), row.counts.answered());
        let position = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let rank = match previous {
            Some((r, n, rank)) if (r, n) == key => rank,
            _ => position,
        };
        row.rank = Some(rank);
        previous = Some((key.0, key.1, rank));
    }
}

/// Rates are stored to one decimal: compare them as tenths.
fn rate_key(rate: Option<f64>) -> i64 {
    rate.map_or(-1, |r| (r * 10.0).round() as i64)
}

/// Builds the report in one go (tests, small periods).
pub fn compute<'t>(
    inputs: ReportInputs<'_>,
    tickets: impl IntoIterator<Item = &'t TicketHistory>,
    generated_at: DateTime<Utc>,
) -> OverdueReport {
    let mut builder = ReportBuilder::new(inputs);
    for t in tickets {
        builder.add(t);
    }
    let is_final = inputs.period.is_closed(generated_at);
    builder.finish(generated_at, is_final)
}
