//! What goes into the report (ticket histories as of the period's end) and what comes out
//! (`OverdueReport`, whose JSON form is the export contract: add fields, never rename).

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::period::PeriodBounds;

/// One ticket as the report needs it: what it was at filing and the facts its events record.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketHistory {
    pub code: String,
    pub channel: String,
    pub created_at: DateTime<Utc>,
    /// The ticket's category now (the one at filing is the `previous_category` of its
    /// first recategorisation, if any) and its area; recategorisations are facts.
    pub category: String,
    pub area: Option<String>,
    /// In the order they were recorded. Facts at or after the period's end are ignored.
    pub events: Vec<HistoryEvent>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    pub at: DateTime<Utc>,
    pub fact: Fact,
}

/// The events the report reads, parsed from `ticket_events` (kind + JSON payload).
#[derive(Debug, Clone, PartialEq)]
pub enum Fact {
    /// `deadline_set`: the deadlines one decision gave, and the agency they bind.
    Deadline {
        cause: String,
        agency: String,
        forward_due: Option<DateTime<Utc>>,
        answer_due: Option<DateTime<Utc>>,
        paused_at: Option<DateTime<Utc>>,
    },
    AnswerSubmitted,
    AnswerSentBack,
    Published,
    Returned {
        agency: Option<String>,
    },
    Rejected,
    Rated {
        rating: u8,
    },
    Recategorised {
        category: String,
        /// What it was before: the category at filing is the first one's.
        previous_category: Option<String>,
        area: Option<String>,
    },
}

/// The event kinds the report reads; the loader fetches only these.
pub const REPORT_EVENT_KINDS: &[&str] = &[
    "deadline_set",
    "answer_submitted",
    "answer_sent_back",
    "published",
    "returned",
    "rejected",
    "rated",
    "recategorised",
];

fn instant(payload: &Value, key: &str) -> Option<DateTime<Utc>> {
    payload
        .get(key)
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

fn text(payload: &Value, key: &str) -> Option<String> {
    payload
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl Fact {
    /// The fact an event records, or `None` for events the report does not read (or a
    /// payload it cannot use, which the loader counts).
    pub fn from_event(kind: &str, payload: &str) -> Option<Fact> {
        let parse = || serde_json::from_str::<Value>(payload).ok();
        Some(match kind {
            "deadline_set" => {
                let p = parse()?;
                Fact::Deadline {
                    cause: text(&p, "cause")?,
                    agency: text(&p, "agency")?,
                    forward_due: instant(&p, "forward_due"),
                    answer_due: instant(&p, "answer_due"),
                    paused_at: instant(&p, "paused_at"),
                }
            }
            "answer_submitted" => Fact::AnswerSubmitted,
            "answer_sent_back" => Fact::AnswerSentBack,
            "published" => Fact::Published,
            "returned" => Fact::Returned {
                agency: parse().and_then(|p| text(&p, "agency")),
            },
            "rejected" => Fact::Rejected,
            "rated" => {
                let p = parse()?;
                let rating = p.get("rating").and_then(Value::as_u64)?;
                Fact::Rated {
                    rating: u8::try_from(rating).ok().filter(|r| (1..=5).contains(r))?,
                }
            }
            "recategorised" => {
                let p = parse()?;
                Fact::Recategorised {
                    category: text(&p, "category")?,
                    previous_category: text(&p, "previous_category"),
                    area: text(&p, "area"),
                }
            }
            _ => return None,
        })
    }
}

/// An agency as it stood at the period's end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyRef {
    pub code: String,
    pub name: String,
}

/// The counts of one row (an agency, a category, an area, a channel, or the totals).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Tickets the agency responsible received (was assigned) in the period.
    pub received: u64,
    pub on_time: u64,
    pub late_with_extension: u64,
    pub late: u64,
    /// Unanswered at period end, deadline still ahead (or the clock paused in time).
    pub open_in_time: u64,
    pub open_overdue: u64,
    pub returned: u64,
    pub rejected: u64,
    /// Ratings given in the period, and how many were satisfied (at least the policy's
    /// `satisfied_min_rating`).
    pub rated: u64,
    pub satisfied: u64,
    /// on_time ÷ answered, in percent, one decimal; `null` when nothing was answered.
    pub on_time_rate: Option<f64>,
    /// satisfied ÷ rated, in percent, one decimal; `null` when nothing was rated.
    pub satisfaction_rate: Option<f64>,
}

impl Counts {
    pub fn answered(&self) -> u64 {
        self.on_time + self.late_with_extension + self.late
    }

    pub fn add(&mut self, other: &Counts) {
        self.received += other.received;
        self.on_time += other.on_time;
        self.late_with_extension += other.late_with_extension;
        self.late += other.late;
        self.open_in_time += other.open_in_time;
        self.open_overdue += other.open_overdue;
        self.returned += other.returned;
        self.rejected += other.rejected;
        self.rated += other.rated;
        self.satisfied += other.satisfied;
    }

    /// Fills the two rates from the counts.
    pub fn finish(&mut self) {
        self.on_time_rate = percent(self.on_time, self.answered());
        self.satisfaction_rate = percent(self.satisfied, self.rated);
    }

    pub fn is_empty(&self) -> bool {
        self.received == 0
            && self.answered() == 0
            && self.open_in_time == 0
            && self.open_overdue == 0
            && self.returned == 0
            && self.rejected == 0
            && self.rated == 0
    }
}

/// `part ÷ whole` in percent, rounded to one decimal (half away from zero), so the figure
/// printed is the figure stored and compared.
pub fn percent(part: u64, whole: u64) -> Option<f64> {
    if whole == 0 {
        return None;
    }
    // Integer arithmetic: tenths of a percent, rounded half up.
    let tenths = (part as u128 * 2000 + whole as u128) / (whole as u128 * 2);
    Some(tenths as f64 / 10.0)
}

/// The on-time rate over a longer stretch (the year so far, the same month a year ago).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RateOver {
    pub on_time: u64,
    pub answered: u64,
    pub on_time_rate: Option<f64>,
}

impl RateOver {
    pub fn of(on_time: u64, answered: u64) -> Self {
        Self {
            on_time,
            answered,
            on_time_rate: percent(on_time, answered),
        }
    }
}

/// One agency's row of the league table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgencyRow {
    pub agency: AgencyRef,
    #[serde(flatten)]
    pub counts: Counts,
    /// 1 = best on-time rate; ties broken by the number answered (more first). `null` for
    /// an agency that answered nothing in the period.
    pub rank: Option<u32>,
    /// Filled by the service from the stored reports of the year's earlier months.
    #[serde(default)]
    pub year_to_date: Option<RateOver>,
    /// The same month of the previous year, where a report for it exists.
    #[serde(default)]
    pub previous_year: Option<RateOver>,
}

/// A breakdown row (by category, area or channel).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    pub code: String,
    pub name: String,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LateKind {
    /// Answered after the deadline the agency was given, within an approved extension.
    LateWithExtension,
    /// Answered after the effective deadline.
    Late,
    /// Unanswered at period end, its deadline passed.
    OpenOverdue,
}

impl LateKind {
    pub fn label_vi(self) -> &'static str {
        match self {
            LateKind::LateWithExtension => "Trễ hạn có gia hạn",
            LateKind::Late => "Trễ hạn",
            LateKind::OpenOverdue => "Đang xử lý quá hạn",
        }
    }
}

/// One late ticket: no personal data, no text, only what the league table needs to be
/// checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LateTicket {
    pub code: String,
    pub agency: String,
    pub category: String,
    pub kind: LateKind,
    /// The deadline it was late against: the one given for `late_with_extension`, the
    /// effective one (extensions included) otherwise.
    pub deadline: DateTime<FixedOffset>,
    /// For `late_with_extension`: the approved extension.
    pub extended_to: Option<DateTime<FixedOffset>>,
    /// `null` for a ticket still open at period end (lateness counted to the period's end).
    pub answered_at: Option<DateTime<FixedOffset>>,
    /// Calendar days from the deadline's date to the answer's (or period end's) date.
    pub days_late: u32,
    /// Working days after the deadline's date up to the answer's date.
    pub working_days_late: u32,
}

/// The IOC's own triage queue, outside the league table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TriageCounts {
    pub received: u64,
    pub open_in_time: u64,
    pub open_overdue: u64,
    pub rejected: u64,
}

/// The monthly overdue report. Its JSON is the export contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverdueReport {
    pub period: PeriodBounds,
    pub generated_at: DateTime<FixedOffset>,
    /// `false` for a period not yet closed: the figures may still change and nothing is
    /// stored.
    #[serde(rename = "final")]
    pub is_final: bool,
    /// SHA-256 of the report without `generated_at` and `checksum` (hex).
    pub checksum: String,
    /// The definitions version (`[report] definitions`) the figures follow.
    pub definitions: String,
    pub rows: Vec<AgencyRow>,
    pub totals: Counts,
    #[serde(default)]
    pub totals_year_to_date: Option<RateOver>,
    pub triage: TriageCounts,
    pub late_tickets: Vec<LateTicket>,
    pub by_category: Vec<GroupRow>,
    pub by_area: Vec<GroupRow>,
    pub by_channel: Vec<GroupRow>,
}
