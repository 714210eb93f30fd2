use chrono::NaiveDate;
use tongdai_calendar::SlaError;

/// Why a router could not be built, or a report could not be routed at all.
///
/// A report whose place cannot be resolved or that no rule matches is **not** an error: it
/// goes to the IOC triage queue (see [`crate::TriageReason`]). Errors are reserved for
/// configuration faults (found when the router is built) and for input that intake must
/// reject (an unknown category).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutingError {
    /// Two rules with the same category (or both "any") and the same area (or both
    /// "anywhere") are in force on the same days: a report could not be routed by precedence.
    #[error(
        "routing.toml: rules {first} and {second} tie (category {category}, area {area}): both are in force from {overlap_from} to {}; end one before the other starts",
        overlap_to.map_or_else(|| "(open-ended)".to_string(), |d| d.to_string())
    )]
    RuleTie {
        first: String,
        second: String,
        /// The shared category code, or `"any"`.
        category: String,
        /// The shared area code, or `"anywhere"`.
        area: String,
        /// First day both rules are in force.
        overlap_from: NaiveDate,
        /// Last day both are in force; `None` = both still in force.
        overlap_to: Option<NaiveDate>,
    },
    /// The jurisdiction breaks an assumption of routing (e.g. an area deeper than its child).
    #[error("jurisdiction cannot be used for routing: {0}")]
    InvalidJurisdiction(String),
    /// The report's category does not exist, or is not in force on the filing date. Intake
    /// rejects such a report; it is not triage.
    #[error("category {code:?} {detail} on {date}")]
    UnknownCategory {
        code: String,
        date: NaiveDate,
        /// "does not exist" or "is not in force".
        detail: &'static str,
    },
    /// No SLA version on the filing date (or another SLA lookup failure).
    #[error(transparent)]
    Sla(#[from] SlaError),
    #[error("agency {0:?} does not exist")]
    UnknownAgency(String),
    #[error("agency {code:?} is not in force on {date}")]
    AgencyNotInForce { code: String, date: NaiveDate },
    /// A transfer that makes no sense (to the same agency, before filing, …).
    #[error("invalid transfer: {0}")]
    InvalidTransfer(String),
}
