//! Routing and deadlines on fixed instants, mostly against the configuration shipped in
//! `config/`, so that a wrong edit of the data fails here rather than on a citizen's ticket.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod deadlines;
mod effects;
mod json;
mod places;
mod props;
mod rules;
mod transfer;
