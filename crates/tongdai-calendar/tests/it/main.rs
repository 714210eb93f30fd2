//! Tests on fixed instants against the calendar data shipped in `config/calendar/`, so that a
//! wrong edit of the data fails here rather than in a citizen's deadline.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod data;
mod day_counted;
mod hours;
mod pause;
mod props;
mod sla;
mod y2027;
