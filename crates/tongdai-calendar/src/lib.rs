//! The working calendar of a Vietnamese state agency, deadline arithmetic and the 1022 SLA policy.
//!
//! Everything here is a pure function of its inputs: callers read the TOML files
//! (`config/calendar/<year>.toml`, `config/jurisdiction/sla.toml`) and pass their text, and pass
//! "now". The crate never touches the file system or the system clock, so every deadline can be
//! recomputed and tested on fixed instants.
//!
//! # Counting rules (Bộ luật Dân sự 2015, art. 147–148)
//! - Day-counted spans start counting the day after the triggering event, in local time.
//! - A day-counted deadline ends at the end of a working day. The end of the day (24:00) is
//!   represented as **23:59:59 local** of that day, because 24:00 would print as 00:00 of the
//!   next day and confuse everyone reading the RFC 3339 string. [`is_late`] compares whole
//!   seconds, so a deed done during the last second (23:59:59.x) is still on time.
//! - Hour-counted spans count only office hours of working days; they end inside an office
//!   interval or exactly at its closing time (a count that runs out at 11:30 is due 11:30,
//!   not 13:30).
//! - [`Span::Minutes`] is plain wall-clock time (the IOC works 24/7).
//!
//! # Errors
//! One `thiserror` enum per concern: [`CalendarError`] for calendar data, settings and the
//! pause/resume clock, [`SlaError`] for the SLA policy. Both carry enough context (entry number,
//! field, version name) to fix the offending TOML without a debugger. Deadline functions are
//! total: they never fail on valid inputs, and saturate at chrono's maximum on absurd ones.

mod calendar;
mod clock;
mod error;
mod settings;
pub mod sla;
mod span;
mod year;

pub use calendar::{DayInfo, WorkingCalendar, is_late};
pub use clock::DeadlineClock;
pub use error::CalendarError;
pub use settings::{CalendarSettings, OfficeInterval};
pub use sla::{
    Priority, SlaError, SlaPolicy, SlaTargets, SlaVersion, StepOverrides, StepTargets,
    TransferClock,
};
pub use span::{Span, SpanUnit};
pub use year::{CalendarYear, DayOffEntry, WorkingDayEntry};
