//! The routing decision as stored with a ticket (JSON). Field names and codes are part of
//! the stored format: add fields, never rename or remove them.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use tongdai_calendar::{Span, TransferClock};
use tongdai_domain::Priority;

/// What a citizen reported, as intake passes it to the router.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Category code, e.g. `"chieu-sang.den-duong"`.
    pub category: String,
    pub place: Place,
    pub priority: Priority,
    /// The filing instant; its local (UTC+7) date selects the rules, areas and SLA version.
    pub filed_at: DateTime<Utc>,
}

/// Where the reported problem is. Resolved in this order: `area_code`, then `address`, then
/// `lat`/`lon`; the first one that resolves wins (see [`crate::Router::route`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Place {
    pub area_code: Option<String>,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// `assigned`: a rule (or a transfer) names the agency. `triage`: the IOC queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Assigned,
    Triage,
}

/// Why a report went to the IOC triage queue (machine code, stable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriageReason {
    /// The place was resolved but no rule covers this category there on that date.
    NoRule,
    /// The area code or address names no known area.
    UnknownArea,
    /// The address names several areas equally well.
    AmbiguousAddress,
    /// The report carries no place at all.
    NoPlace,
    /// The area existed but is not in force on the filing date and has no whole successor
    /// (it was split, or it did not exist yet).
    AreaNotInForce,
    /// The coordinates are inside no area that has a boundary (or are not valid coordinates).
    OutsideBoundaries,
}

impl TriageReason {
    pub fn code(self) -> &'static str {
        match self {
            TriageReason::NoRule => "no_rule",
            TriageReason::UnknownArea => "unknown_area",
            TriageReason::AmbiguousAddress => "ambiguous_address",
            TriageReason::NoPlace => "no_place",
            TriageReason::AreaNotInForce => "area_not_in_force",
            TriageReason::OutsideBoundaries => "outside_boundaries",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            TriageReason::NoRule => "không có quy tắc phân công cho lĩnh vực và địa bàn này",
            TriageReason::UnknownArea => "không nhận ra địa bàn",
            TriageReason::AmbiguousAddress => "địa chỉ khớp với nhiều địa bàn",
            TriageReason::NoPlace => "phản ánh không có địa điểm",
            TriageReason::AreaNotInForce => {
                "địa bàn không còn (hoặc chưa) hiệu lực vào ngày phản ánh"
            }
            TriageReason::OutsideBoundaries => "tọa độ nằm ngoài các địa bàn đã có ranh giới",
        }
    }
}

/// How the place was resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceMethod {
    /// The area code, in force on the filing date.
    AreaCode,
    /// The area code named an old unit; its whole successor was used.
    Successor,
    /// The free-text address (possibly naming an old unit; then `successor_of` is set).
    Address,
    /// The coordinates, inside an area's boundary.
    Coordinates,
    /// Not resolved.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceResolution {
    pub method: PlaceMethod,
    /// The input that decided: the area code, the address text or `"lat,lon"`.
    pub input: Option<String>,
    /// What matched: the area code, or the (folded) name / alias found in the address.
    pub matched: Option<String>,
    /// The old area code when the place was mapped through a succession.
    pub successor_of: Option<String>,
    /// Inputs tried before and why they did not resolve (Vietnamese), and ambiguity details.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// The rule that assigned the agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRef {
    pub id: String,
    /// `None` = any category.
    pub category: Option<String>,
    /// `None` = anywhere.
    pub area: Option<String>,
    pub agency: String,
    pub basis: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub confirmed: bool,
}

/// The SLA targets applied, in their config form (`{ "minutes": 5 }`, `{ "working_days": 10 }`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaRecord {
    pub version: String,
    pub basis: String,
    /// The most specific category code that overrode a step, if any.
    pub matched_category: Option<String>,
    pub transfer_clock: TransferClock,
    pub forward: Span,
    pub accept: Span,
    pub answer: Span,
}

/// The three deadlines, in +07:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    /// IOC → agency. For a routed ticket the forward happens at filing; the policy's deadline
    /// is still recorded.
    pub forward_due: DateTime<FixedOffset>,
    pub accept_due: DateTime<FixedOffset>,
    pub answer_due: DateTime<FixedOffset>,
}

/// Set on a decision produced by [`crate::Router::transfer`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferRecord {
    /// The agency the ticket was taken from.
    pub agency_code: String,
    pub agency_name: String,
    /// Its outcome before the transfer (`triage` when the IOC forwards from its queue).
    pub outcome: Outcome,
    pub at: DateTime<FixedOffset>,
    pub reason: String,
    /// Whether accept/answer were counted again from `at` (`restart`) or kept (`continue`).
    pub clock: TransferClock,
    /// The deadlines before the transfer.
    pub previous_deadlines: Deadlines,
}

/// Something about the working calendar that makes a deadline less certain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CalendarWarning {
    /// The deadline is counted over years without calendar data (only weekends are off).
    MissingYears { years: Vec<i32>, message: String },
    /// The deadline is counted over days off that are not confirmed by the Government yet.
    UnconfirmedDays {
        days: Vec<NaiveDate>,
        message: String,
    },
}

/// Which agency handles a report and by when, and why. Stored as JSON with the ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingDecision {
    pub outcome: Outcome,
    pub agency_code: String,
    pub agency_name: String,
    pub category_code: String,
    pub category_name: String,
    pub priority: Priority,
    /// The resolved area, if any.
    pub area_code: Option<String>,
    /// Its full name: "Phường 4, Thành phố Tân An, Tỉnh Long An".
    pub area_name: Option<String>,
    pub place_resolution: PlaceResolution,
    /// `None` for triage and for transfers.
    pub rule: Option<RuleRef>,
    pub triage_reason: Option<TriageReason>,
    pub sla: SlaRecord,
    pub deadlines: Deadlines,
    pub filed_at: DateTime<FixedOffset>,
    /// When this decision was taken: `filed_at` for [`crate::Router::route`], the transfer
    /// instant for [`crate::Router::transfer`].
    pub decided_at: DateTime<FixedOffset>,
    pub transferred_from: Option<TransferRecord>,
    /// One or two Vietnamese sentences for the clerk.
    pub explanation: String,
    pub calendar_warnings: Vec<CalendarWarning>,
}

impl RoutingDecision {
    pub fn is_triage(&self) -> bool {
        self.outcome == Outcome::Triage
    }
}
