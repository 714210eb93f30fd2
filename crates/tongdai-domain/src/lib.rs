//! The 1022 domain: what a ticket is, which states it moves through, and the dated
//! jurisdiction (areas, agencies, categories) it is filed under.
//!
//! This crate does no I/O: no database, no HTTP, no files, no system clock. Callers read
//! files and pass their text, and pass "now" through a [`Clock`]. That keeps every rule
//! here testable on fixed data and a fixed clock.

pub mod client;
pub mod clock;
pub mod error;
pub mod jurisdiction;
pub mod text;
pub mod ticket;
pub mod tracking;
pub mod validity;
pub mod workflow;

pub use clock::{
    Clock, FixedClock, HO_CHI_MINH_OFFSET_SECS, datetime_vi, deadline_vi, local_date, to_local,
    vn_offset,
};
pub use error::DomainError;
pub use jurisdiction::{
    Agency, AgencyKind, Area, AreaKind, AreaLevel, Category, CategoryAttribute, Jurisdiction,
    JurisdictionFiles, JurisdictionInfo, RoutingRule, Succession,
};
pub use ticket::{
    Actor, Channel, EventKind, EventVisibility, Priority, Reporter, TicketEvent, TicketId,
    TicketStatus,
};
pub use tracking::TrackingCode;
pub use validity::Validity;
pub use workflow::{
    Action, Caller, Command, DeadlineEffect, Decision, Refusal, RefusalClass, Role, Why,
    WorkflowPolicy, WorkflowState, allowed_actions, decide,
};
