//! End-to-end tests: the real server over HTTP on a real database, one fresh database per
//! test, on SQLite and (when `TONGDAI_TEST_DATABASE_URL` is set) on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod api;
mod attachments;
mod backup;
mod binary;
mod console;
mod contract;
mod faults;
mod hardening;
mod health;
mod helpers;
mod import;
mod instances;
mod jurisdiction;
mod mail_in;
mod mail_out;
mod open311;
mod reminders;
mod report_pages;
mod reports;
mod sessions;
mod web;
mod workflow;
