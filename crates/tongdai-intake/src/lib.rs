//! The intake service: every channel (web form, app API, hotline operators, Open311, later
//! e-mail) turns what it received into a [`TicketDraft`] and calls
//! [`IntakeService::submit`]. One place validates (messages in Vietnamese, text in NFC),
//! routes (agency and deadlines from `tongdai-routing`), and stores the ticket, its first
//! events, its routing decision, its photos and an acknowledgement outbox row in one
//! transaction. Channels stay thin: they only parse their own wire format.
//!
//! The service is synchronous (diesel); async transports call it on a blocking thread.

mod error;
pub mod import;
pub mod mail;
pub mod mail_routing;
pub mod ratelimit;
pub mod reminders;
pub mod reports;
mod service;
pub mod validate;
mod view;
pub mod work;

pub use error::{FieldError, IntakeError};
pub use reports::{ReportAudience, ReportSettings};
pub use service::{IdempotencyRequest, IntakeService, IntakeSettings, Receipt, UploadCredential};
pub use validate::{IntakeLimits, TicketDraft, Upload, ValidTicket, normalize_phone};
pub use view::{PublicEvent, PublicTicket, public_ticket};
pub use work::{
    ActionInput, CitizenProof, Staff, StaffPage, StaffQuery, StaffTicket, View, WorkflowSettings,
};
