//! Outgoing notices (issue 15, the outgoing half). Every state change that should tell
//! someone writes an outbox row in its own transaction (`ticket.acknowledgement` when a
//! ticket is filed, `agency.assignment`, `citizen.request_info`, `citizen.answer`,
//! `agency.reopened`, `citizen.rejected` from the workflow). This crate turns such a row and
//! its ticket into one e-mail ([`Notifier::prepare`]): Vietnamese text and HTML
//! (multipart/alternative, askama templates in `templates/mail/`), the tracking code in the
//! subject, our own `Message-ID` (`<{row id}.{TRACKING-CODE}@{message_id_domain}>`, so a
//! reply names its ticket), `Auto-Submitted: auto-generated`, `Reply-To` the 1022 mailbox,
//! the loop header, and `In-Reply-To`/`References` to the earlier messages of the same
//! ticket to the same recipient. A row with nobody to write to is [`Prepared::Unsent`]: the
//! sender settles it with a note and never retries it.
//!
//! No network and no SMTP here: `tongdai-server`'s sender claims rows, calls `prepare` on a
//! blocking thread and moves the bytes.

mod compose;
pub mod contacts;
mod error;
mod kind;

pub use compose::{Letter, MailSettings, Notifier, Prepared, message_id, parse_message_id};
pub use contacts::{AgencyContacts, Recipients};
pub use error::NotifyError;
pub use kind::Kind;
