//! Routing and deadlines of Tổng đài 1022: given what a citizen reported (category, place,
//! priority) and when, decide which agency must handle it and by when, exactly as a clerk
//! with the regulations in hand would.
//!
//! Pure: no I/O, no system clock. Build a [`Router`] from a checked
//! [`tongdai_domain::Jurisdiction`], a [`tongdai_calendar::SlaPolicy`] and a
//! [`tongdai_calendar::WorkingCalendar`], then call [`Router::route`] with a [`Report`]. The
//! answer is a [`RoutingDecision`], stored as JSON with the ticket: it names the agency, the
//! rule, the SLA version, the three deadlines (RFC 3339, +07:00) and a Vietnamese explanation.
//!
//! Every date-dependent choice uses the **filing date in Vietnam** (UTC+7,
//! [`tongdai_domain::local_date`]): the areas, rules, categories and SLA version in force
//! that day. A ticket filed on 15/6/2025 is routed with the Long An structure, one filed on
//! 15/7/2025 with the Tây Ninh one, whenever the routing is (re)computed.
//!
//! # Places
//! A [`Place`] is resolved in this order; the first input that resolves wins, and when none
//! does the first failure gives the triage reason (later failures are kept as notes):
//! 1. **Area code**: must exist and be in force on the filing date. An old unit that has
//!    ended is followed through whole successions (`[[succession]]` `predecessors`, possibly
//!    several in a row, e.g. Phường 1 → Phường 1 (2024) → phường Long An) to a successor in
//!    force; the decision says `"successor"` and names the old code. A unit that was split
//!    (`partial`) or has no successor → triage `area_not_in_force`; an unknown code →
//!    `unknown_area`.
//! 2. **Address** (free text), matched accent-insensitively ([`tongdai_domain::text::fold`])
//!    as whole-word sequences against each area's name, aliases and full name. An old unit
//!    named after it ended resolves through a whole succession, as for a code. Among the
//!    candidates the deepest level wins (commune > district > province); if several remain,
//!    those whose parent (or grandparent) is also named in the address are preferred — a
//!    parent counts as named by its name, an alias, or its name without the kind word
//!    ("Tân An" for "Thành phố Tân An"). Still several → `ambiguous_address`; nothing →
//!    `unknown_area` (or `area_not_in_force` when only split / ended units were named).
//! 3. **Coordinates** (`lat`, `lon`): point in polygon against the areas in force that have a
//!    `boundary`; the deepest containing area wins (then the smaller polygon). None →
//!    `outside_boundaries`.
//!
//! No input at all → `no_place`.
//!
//! # Rule precedence
//! A rule matches when its category is the report's category or one of its parents (no
//! category = any), its area is the resolved area or one of its ancestors (no area =
//! anywhere), and the filing date is within its validity. Among the matches:
//! 1. **the most specific category wins first**: sub-category > category > any;
//! 2. **then the deepest area**: commune > district > province > anywhere.
//!
//! So a sub-category rule for a whole province beats a category rule for one commune. Two
//! rules with the same category (or both any) and the same area (or both anywhere) whose
//! validities overlap are rejected when the router is built ([`RoutingError::RuleTie`]).
//! Because a parent must be at a shallower level than its child (checked too), that is the
//! only way two matches can have equal specificity.
//! [`Router::precedence_conflicts`] lists the rule pairs that area-first precedence would
//! route to a different agency (config/jurisdiction/README.md asks to avoid them).
//!
//! # Triage
//! No resolvable place, or no matching rule: the ticket goes to the IOC triage queue
//! (`jurisdiction.info.triage_agency`), outcome `triage`, with a [`TriageReason`] code and a
//! Vietnamese explanation. Its forwarding deadline is the SLA `forward` span from filing.
//!
//! # Deadlines
//! [`tongdai_calendar::SlaPolicy::targets`] with the category chain (most specific first) and
//! the priority gives three spans; each deadline is
//! [`tongdai_calendar::WorkingCalendar::deadline`] from the filing instant (routed tickets
//! are forwarded automatically at filing, so `forward_due` is the policy's deadline all the
//! same; triaged tickets count accept/answer from filing too, since the citizen's wait starts
//! then). Deadlines over years without calendar data, or over unconfirmed days off, carry
//! [`CalendarWarning`]s. [`Router::transfer`] re-assigns a ticket and applies the version's
//! `transfer_clock` (restart or continue).

mod cell;
mod deadlines;
mod decision;
mod error;
mod geo;
mod place;
mod router;

pub use cell::RouterCell;
pub use deadlines::{DeadlineCause, DeadlineGrant, TicketDeadlines};
pub use decision::{
    CalendarWarning, Deadlines, Outcome, Place, PlaceMethod, PlaceResolution, Report,
    RoutingDecision, RuleRef, SlaRecord, TransferRecord, TriageReason,
};
pub use error::RoutingError;
pub use router::{PrecedenceConflict, Router};
