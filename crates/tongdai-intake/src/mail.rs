//! The e-mail channel: one raw message from the 1022 mailbox becomes a ticket, joins the
//! ticket it answers, or is recorded and ignored — exactly once per mailbox.
//!
//! `MailIntake::ingest` decides in this order (each outcome is an `inbound_mail` row,
//! `tongdai_storage::mail`):
//!
//! 1. over the size limit or not a mail at all (`tongdai_mail::parse`): `quarantined`, with
//!    the Vietnamese reason; the poller moves it to the quarantine folder;
//! 2. our own mail or our loop header, auto-replies, mailing lists (`tongdai_mail::classify`):
//!    recorded, never answered; a delivery report (bounce) also marks each failed address
//!    (`mail_address_status`) and is linked to the ticket whose notice bounced;
//! 3. already recorded (same Message-ID, or the same bytes when it has none): `Duplicate`;
//! 4. over the sender's daily cap (`daily_cap_per_sender` mails that made or changed a
//!    ticket since local midnight): `capped`;
//! 5. a reply (our Message-ID in In-Reply-To/References, or the code in the subject): from
//!    the ticket's reporter address only (else `refused`, to quarantine for a person to
//!    read); `citizen-reply` while the ticket waits for the citizen (the paused clock
//!    resumes), `reopen` of an answered or closed ticket where `reply_reopens` allows and the
//!    workflow's window is open, otherwise an internal note on the timeline;
//! 6. otherwise a new ticket: category and place from the keyword rules and the area names
//!    in the text (`crate::mail_routing`), else IOC triage; consent as `[mail.intake]
//!    consent` says; images become photos under the web's limits, PDFs, plain-text files and
//!    forwarded messages are kept as files, the rest is listed as dropped.
//!
//! The row is inserted inside the transaction of the ticket or action (`file_valid`,
//! `perform_with`), so a crash after that commit and before the IMAP move is found as a
//! duplicate on the next poll: no second ticket.

use std::cell::Cell;
use std::path::PathBuf;

use chrono::{DateTime, NaiveTime, SubsecRound, TimeZone, Utc};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use tongdai_domain::workflow::{Action, Caller};
use tongdai_domain::{
    Actor, Channel, EventKind, EventVisibility, Reporter, TicketEvent, TicketStatus, TrackingCode,
    allowed_actions, local_date, vn_offset,
};
use tongdai_mail::{MailAttachment, MailKind, MailLimits, OwnIdentity, ParsedMail};
use tongdai_routing::Place;
use tongdai_storage::mail::{self as store, InboundRow};
use tongdai_storage::outbox;
use tongdai_storage::tickets::{self, Ticket};
use tongdai_storage::work::Scope;
use tongdai_storage::{DbConnection, StorageError};
use uuid::Uuid;

use crate::error::IntakeError;
use crate::mail_routing::KeywordRules;
use crate::service::IntakeService;
use crate::validate::{
    TITLE_MIN_CHARS, TicketDraft, ValidPhoto, recognise_photo, sanitize_file_name, validate,
};
use crate::work::{ActionInput, state_of};

/// How an e-mail ticket records consent to the processing of personal data (Nghị định
/// 13/2023/NĐ-CP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailConsent {
    /// Writing to the 1022 address to report a problem is consent to its processing for
    /// that purpose; the acknowledgement carries the privacy notice. `consent_at` is the
    /// time the mail was taken in.
    #[default]
    Implied,
}

/// `[mail.intake]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailIntakeSettings {
    /// A larger raw message is quarantined unread.
    pub max_message_bytes: usize,
    /// Files kept from one mail (photos and documents together).
    pub max_attachments: usize,
    /// A larger non-image file is dropped (images follow `[intake] max_photo_bytes`).
    pub max_attachment_bytes: usize,
    /// Mails from one address that may make or change tickets per local day; 0: no cap.
    pub daily_cap_per_sender: u32,
    pub consent: MailConsent,
    /// A reply to an answered or closed ticket reopens it (within the workflow's reopen
    /// window); otherwise it is only noted on the timeline.
    pub reply_reopens: bool,
    /// The category of a mail the keyword rules do not place (a category without routing
    /// rules, so the ticket goes to IOC triage).
    pub unclassified_category: String,
    /// The keyword rules (`config/mail/keywords.toml`).
    pub keywords_file: PathBuf,
}

impl Default for MailIntakeSettings {
    fn default() -> Self {
        Self {
            max_message_bytes: 25 * 1024 * 1024,
            max_attachments: 10,
            max_attachment_bytes: 10 * 1024 * 1024,
            daily_cap_per_sender: 20,
            consent: MailConsent::Implied,
            reply_reopens: true,
            unclassified_category: "khac".to_owned(),
            keywords_file: PathBuf::from("config/mail/keywords.toml"),
        }
    }
}

/// The position of a message in its mailbox, kept with the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MailPosition {
    pub uid_validity: Option<i64>,
    pub uid: Option<i64>,
}

/// What became of one message; `folder` says where the poller puts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailOutcome {
    /// A new ticket.
    Filed {
        code: TrackingCode,
    },
    /// Joined a ticket (citizen-reply, or a note on its timeline).
    Reply {
        code: TrackingCode,
    },
    Reopened {
        code: TrackingCode,
    },
    /// Recorded and not acted on: auto-reply, bounce, own, list, capped.
    Ignored {
        outcome: &'static str,
        reason: String,
    },
    /// For a person to read: unparseable, too large, not valid as a report, a reply from
    /// someone who is not the reporter.
    Quarantined {
        reason: String,
    },
    /// Recorded before (a re-read after a crash, a UIDVALIDITY change, a second copy).
    Duplicate,
}

impl MailOutcome {
    /// The `inbound_mail.outcome` code (`duplicate` is never stored).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Filed { .. } => "filed",
            Self::Reply { .. } => "reply",
            Self::Reopened { .. } => "reopened",
            Self::Ignored { outcome, .. } => outcome,
            Self::Quarantined { .. } => "quarantined",
            Self::Duplicate => "duplicate",
        }
    }

    /// Goes to the quarantine folder rather than the processed one.
    pub fn quarantined(&self) -> bool {
        matches!(self, Self::Quarantined { .. })
    }
}

/// The e-mail channel. Cheap to clone.
#[derive(Clone)]
pub struct MailIntake {
    service: IntakeService,
    own: OwnIdentity,
    limits: MailLimits,
    settings: std::sync::Arc<MailIntakeSettings>,
    keywords: std::sync::Arc<KeywordRules>,
}

/// Why the mail was taken in, for the stored reason of quarantined drafts.
fn field_errors(errors: &[crate::FieldError]) -> String {
    let list: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
    format!("Không tạo được phản ánh từ thư: {}", list.join(" "))
}

/// "sha256-<hex>": the id of a message without a usable Message-ID (as `tongdai_mail` does).
fn raw_id(raw: &[u8]) -> String {
    format!("sha256-{}", hex::encode(Sha256::digest(raw)))
}

/// Subject prefixes of replies and forwards (English, Vietnamese Outlook and Gmail).
const PREFIXES: [&str; 8] = [
    "re:",
    "fw:",
    "fwd:",
    "tl:",
    "trả lời:",
    "chuyển tiếp:",
    "aw:",
    "sv:",
];

fn bare_subject(subject: &str) -> String {
    let mut s = subject.trim();
    loop {
        let lower = s.to_lowercase();
        let Some(p) = PREFIXES.iter().find(|p| lower.starts_with(**p)) else {
            break;
        };
        // The prefixes are ASCII or start with the same bytes in lower case.
        let cut = s
            .char_indices()
            .nth(p.chars().count())
            .map_or(s.len(), |(i, _)| i);
        s = s[cut..].trim_start();
    }
    s.to_owned()
}

fn cut_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Types kept as files besides photos: what staff open safely.
fn document_type(attachment: &MailAttachment) -> Option<(&'static str, &'static str)> {
    if attachment.is_forwarded_message {
        return Some(("message/rfc822", "eml"));
    }
    if infer::get(&attachment.bytes).is_some_and(|k| k.mime_type() == "application/pdf") {
        return Some(("application/pdf", "pdf"));
    }
    if attachment.content_type == "text/plain" && std::str::from_utf8(&attachment.bytes).is_ok() {
        return Some(("text/plain; charset=utf-8", "txt"));
    }
    None
}

impl MailIntake {
    /// The channel over `service`; the keyword rules are read and checked against the
    /// jurisdiction now, so a bad file stops the start-up with its name.
    pub fn new(
        service: IntakeService,
        own: OwnIdentity,
        settings: MailIntakeSettings,
    ) -> Result<Self, String> {
        let keywords = if settings.keywords_file.as_os_str().is_empty() {
            KeywordRules::empty()
        } else {
            KeywordRules::load(&settings.keywords_file)?
        };
        let router = service.router();
        keywords.check(router.jurisdiction())?;
        let jurisdiction = router.jurisdiction();
        if !jurisdiction
            .categories
            .iter()
            .any(|c| c.code == settings.unclassified_category)
        {
            return Err(format!(
                "mail.intake.unclassified_category: the jurisdiction has no category {:?}",
                settings.unclassified_category
            ));
        }
        let limits = MailLimits {
            max_message_bytes: settings.max_message_bytes,
            max_attachments: settings.max_attachments,
            max_attachment_bytes: settings
                .max_attachment_bytes
                .max(service.limits().max_photo_bytes),
            max_text_chars: service.limits().description_max_chars.max(1000) * 4,
        };
        Ok(Self {
            service,
            own,
            limits,
            settings: std::sync::Arc::new(settings),
            keywords: std::sync::Arc::new(keywords),
        })
    }

    pub fn settings(&self) -> &MailIntakeSettings {
        &self.settings
    }

    pub fn service(&self) -> &IntakeService {
        &self.service
    }

    /// The mailbox's records among these Message-IDs (the poller skips their bodies).
    pub fn known(&self, mailbox: &str, message_ids: &[String]) -> Result<Vec<String>, IntakeError> {
        let mut conn = self.service.db.conn()?;
        Ok(store::known_message_ids(&mut conn, mailbox, message_ids)?)
    }

    /// Decides about one raw message (see the module comment). An `Err` is a failure to
    /// store (database down): the message stays in the mailbox and is tried again.
    pub fn ingest(
        &self,
        mailbox: &str,
        position: MailPosition,
        raw: &[u8],
    ) -> Result<MailOutcome, IntakeError> {
        let now = self.service.clock.now().trunc_subsecs(6);
        let mail = match tongdai_mail::parse(raw, &self.limits) {
            Ok(mail) => mail,
            Err(e) => {
                let reason = e.vietnamese();
                tracing::warn!(mailbox, error = %e, "inbound mail quarantined");
                let row = self.row(mailbox, position, raw_id(raw), raw.len(), now);
                let row = InboundRow {
                    subject: String::new(),
                    outcome: "quarantined".into(),
                    reason: Some(reason.clone()),
                    ..row
                };
                return self.record_alone(&row, MailOutcome::Quarantined { reason });
            }
        };
        let base = self.row(mailbox, position, mail.message_id.clone(), raw.len(), now);
        let base = InboundRow {
            sender: mail.from.as_ref().map(|f| f.address.clone()),
            subject: mail.subject.clone(),
            original_text: Some(mail.full_text.clone()),
            dropped_attachments: serde_json::to_string(&mail.dropped_attachments)
                .unwrap_or_else(|_| "[]".into()),
            ..base
        };

        match tongdai_mail::classify(&mail, &self.own) {
            MailKind::Ordinary => {}
            MailKind::OwnMail => {
                return self.ignore(base, "own", "Thư do chính hệ thống gửi (vòng lặp).".into());
            }
            MailKind::AutoReply { reason } => {
                return self.ignore(
                    base,
                    "auto-reply",
                    format!("Thư trả lời tự động ({reason})."),
                );
            }
            MailKind::List { reason } => {
                return self.ignore(base, "list", format!("Thư gửi hàng loạt ({reason})."));
            }
            MailKind::Bounce {
                failed_recipients,
                original_message_id,
            } => return self.bounce(base, &failed_recipients, original_message_id.as_deref()),
        }

        {
            let mut conn = self.service.db.conn()?;
            if store::find_inbound(&mut conn, mailbox, &mail.message_id)?.is_some() {
                return Ok(MailOutcome::Duplicate);
            }
            let cap = self.settings.daily_cap_per_sender;
            if let Some(sender) = &base.sender
                && cap > 0
            {
                let midnight = vn_offset()
                    .from_local_datetime(&local_date(now).and_time(NaiveTime::MIN))
                    .single()
                    .map_or(now, |t| t.with_timezone(&Utc));
                if store::accepted_from_since(&mut conn, sender, midnight)? >= i64::from(cap) {
                    drop(conn);
                    return self.ignore(
                        base,
                        "capped",
                        format!("Quá {cap} thư trong ngày từ cùng một địa chỉ."),
                    );
                }
            }
        }

        if let Some(code) = tongdai_mail::thread_code(&mail, &self.own) {
            let ticket = {
                let mut conn = self.service.db.conn()?;
                tickets::find_by_code(&mut conn, &code)?
            };
            if let Some(ticket) = ticket {
                return self.reply(base, &mail, ticket);
            }
        }
        self.file(base, mail, now)
    }

    /// A message the poller did not download because its size is over the limit.
    pub fn too_large(
        &self,
        mailbox: &str,
        position: MailPosition,
        size: u64,
    ) -> Result<MailOutcome, IntakeError> {
        let now = self.service.clock.now().trunc_subsecs(6);
        let bytes = usize::try_from(size).unwrap_or(usize::MAX);
        let error = tongdai_mail::MailError::TooLarge {
            bytes,
            limit: self.limits.max_message_bytes,
        };
        let reason = error.vietnamese();
        tracing::warn!(mailbox, error = %error, "inbound mail quarantined unread");
        let id = format!(
            "too-large-{}-{}",
            position.uid_validity.unwrap_or(0),
            position.uid.unwrap_or(0)
        );
        let row = InboundRow {
            outcome: "quarantined".into(),
            reason: Some(reason.clone()),
            ..self.row(mailbox, position, id, bytes, now)
        };
        self.record_alone(&row, MailOutcome::Quarantined { reason })
    }

    fn row(
        &self,
        mailbox: &str,
        position: MailPosition,
        message_id: String,
        size: usize,
        now: DateTime<Utc>,
    ) -> InboundRow {
        InboundRow {
            id: Uuid::new_v4().to_string(),
            mailbox: mailbox.to_owned(),
            message_id,
            uid_validity: position.uid_validity,
            uid: position.uid,
            received_at: now.naive_utc(),
            sender: None,
            subject: String::new(),
            size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
            outcome: String::new(),
            reason: None,
            ticket_id: None,
            original_text: None,
            dropped_attachments: "[]".into(),
        }
    }

    /// Stores a record that goes with no other change.
    fn record_alone(
        &self,
        row: &InboundRow,
        outcome: MailOutcome,
    ) -> Result<MailOutcome, IntakeError> {
        let mut conn = self.service.db.conn()?;
        if store::record_inbound(&mut conn, row)? {
            Ok(outcome)
        } else {
            Ok(MailOutcome::Duplicate)
        }
    }

    fn ignore(
        &self,
        base: InboundRow,
        outcome: &'static str,
        reason: String,
    ) -> Result<MailOutcome, IntakeError> {
        tracing::info!(mailbox = %base.mailbox, message_id = %base.message_id, outcome, "inbound mail ignored");
        let row = InboundRow {
            outcome: outcome.into(),
            reason: Some(reason.clone()),
            ..base
        };
        self.record_alone(&row, MailOutcome::Ignored { outcome, reason })
    }

    /// A delivery failure: the failed addresses are marked, the record is linked to the
    /// ticket whose notice bounced. One transaction; nothing counted twice.
    fn bounce(
        &self,
        base: InboundRow,
        failed: &[String],
        original: Option<&str>,
    ) -> Result<MailOutcome, IntakeError> {
        let now = self.service.clock.now();
        let reason = if failed.is_empty() {
            "Báo lỗi chuyển phát thư.".to_owned()
        } else {
            format!("Không gửi được thư tới {}.", failed.join(", "))
        };
        let outcome = MailOutcome::Ignored {
            outcome: "bounce",
            reason: reason.clone(),
        };
        let stored = self.service.db.transaction(|conn| {
            let ticket_id = match original {
                Some(id) => outbox::find_by_message_id(conn, id)?.and_then(|m| m.ticket_id),
                None => None,
            };
            let row = InboundRow {
                outcome: "bounce".into(),
                reason: Some(reason.clone()),
                ticket_id,
                ..base.clone()
            };
            if !store::record_inbound(conn, &row)? {
                return Ok(false);
            }
            for address in failed {
                store::record_bounce(conn, &address.to_lowercase(), now, original)?;
            }
            Ok(true)
        })?;
        // Addresses are personal data: the log shows them masked (the console shows them to
        // those who may see them).
        let masked: Vec<String> = failed.iter().map(|a| masked_address(a)).collect();
        tracing::warn!(failed = ?masked, original, "our mail bounced");
        Ok(if stored {
            outcome
        } else {
            MailOutcome::Duplicate
        })
    }

    /// A mail that answers `ticket`.
    fn reply(
        &self,
        base: InboundRow,
        mail: &ParsedMail,
        ticket: Ticket,
    ) -> Result<MailOutcome, IntakeError> {
        let code = ticket.code.clone();
        let reporter = ticket.reporter.email.as_deref().map(str::to_lowercase);
        if reporter.is_none() || reporter != base.sender {
            let reason = format!(
                "Thư trả lời phản ánh {code} không gửi từ địa chỉ của người phản ánh: không \
                 ghi nhận vào phản ánh."
            );
            let row = InboundRow {
                outcome: "refused".into(),
                reason: Some(reason.clone()),
                ticket_id: Some(ticket.id.to_string()),
                ..base
            };
            return self.record_alone(&row, MailOutcome::Quarantined { reason });
        }
        let text = if mail.description.trim().is_empty() {
            mail.subject.clone()
        } else {
            mail.description.clone()
        };
        let text = cut_chars(&text, 9_000);
        let now = self.service.clock.now().trunc_subsecs(6);
        let rated = {
            let mut conn = self.service.db.conn()?;
            tongdai_storage::work::is_rated(&mut conn, ticket.id)?
        };
        let allowed = allowed_actions(
            &state_of(&ticket, rated),
            &Caller::citizen(),
            &self.service.workflow.policy(),
            now,
        );
        let action = if ticket.status == TicketStatus::WaitingCitizen
            && allowed.contains(&Action::CitizenReply)
        {
            Some((Action::CitizenReply, "reply"))
        } else if self.settings.reply_reopens
            && matches!(ticket.status, TicketStatus::Answered | TicketStatus::Closed)
            && allowed.contains(&Action::Reopen)
        {
            Some((Action::Reopen, "reopened"))
        } else {
            None
        };
        let duplicate = Cell::new(false);
        let record = |conn: &mut DbConnection, stored: &Ticket, outcome: &str| {
            record_in(conn, &base, stored, outcome, &duplicate)
        };
        let result = match action {
            Some((action, outcome)) => {
                let input = ActionInput {
                    version: u64::try_from(ticket.version).unwrap_or(0),
                    text: (action == Action::CitizenReply).then(|| text.clone()),
                    reason: (action == Action::Reopen).then(|| text.clone()),
                    ..ActionInput::default()
                };
                self.service
                    .perform_with(
                        &Scope::All,
                        &Caller::citizen(),
                        &code,
                        action,
                        input,
                        None,
                        &mut |conn, stored| record(conn, stored, outcome),
                    )
                    .map(|_| {
                        if action == Action::Reopen {
                            MailOutcome::Reopened { code: code.clone() }
                        } else {
                            MailOutcome::Reply { code: code.clone() }
                        }
                    })
            }
            None => {
                // Not the moment for a reply in the workflow: kept on the timeline for the
                // agency, with no change of state.
                let event = TicketEvent {
                    kind: EventKind::Commented,
                    actor: Actor::Citizen,
                    occurred_at: now,
                    visibility: EventVisibility::Internal,
                    payload: json!({
                        "text": format!("Thư của người phản ánh: {text}"),
                        "channel": Channel::Email.code(),
                    }),
                };
                self.service
                    .db
                    .transaction(|conn| {
                        tickets::append_event(conn, ticket.id, &event)?;
                        record(conn, &ticket, "reply")
                    })
                    .map(|()| MailOutcome::Reply { code: code.clone() })
                    .map_err(IntakeError::from)
            }
        };
        match result {
            Err(_) if duplicate.get() => Ok(MailOutcome::Duplicate),
            other => {
                if let Ok(outcome) = &other {
                    tracing::info!(code = %code, outcome = outcome.code(), "inbound mail joined a ticket");
                }
                other
            }
        }
    }

    /// A new ticket from the mail.
    fn file(
        &self,
        base: InboundRow,
        mail: ParsedMail,
        now: DateTime<Utc>,
    ) -> Result<MailOutcome, IntakeError> {
        let router = self.service.router();
        let jurisdiction = router.jurisdiction();
        let limits = self.service.limits();
        let today = local_date(now);
        let subject = bare_subject(&mail.subject);
        let words = format!("{subject}\n{}", mail.description);
        let category = self
            .keywords
            .category_in(&words, today, jurisdiction)
            .map(|m| m.category)
            .unwrap_or_else(|| self.settings.unclassified_category.clone());
        let area_code = crate::mail_routing::area_in_text(jurisdiction, &words, today);

        let body = if mail.description.trim().is_empty() {
            mail.full_text.trim().to_owned()
        } else {
            mail.description.clone()
        };
        let description = if body.chars().count() < crate::validate::DESCRIPTION_MIN_CHARS {
            // A subject and a photo are a report too ("Ổ gà trước nhà số 12").
            [subject.as_str(), body.as_str()]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            body
        };
        let description = cut_chars(&description, limits.description_max_chars);
        let title = if subject.chars().count() >= TITLE_MIN_CHARS {
            cut_chars(&subject, limits.title_max_chars)
        } else {
            let first_line = description.lines().next().unwrap_or_default();
            cut_chars(first_line, 80.min(limits.title_max_chars))
        };
        let from = mail.from.clone();
        let draft = TicketDraft {
            channel: Channel::Email,
            category,
            title,
            description,
            priority: None,
            place: Place {
                area_code,
                address: None,
                lat: None,
                lon: None,
            },
            reporter: Reporter {
                name: from.as_ref().and_then(|f| f.name.clone()),
                phone: None,
                email: from.map(|f| f.address),
            },
            reporter_subject: None,
            consent: match self.settings.consent {
                MailConsent::Implied => true,
            },
            attributes: Default::default(),
            photos: Vec::new(),
            submitted_by: None,
            anonymous_client: None,
        };
        let mut valid = match validate(draft, limits, jurisdiction, today) {
            Ok(valid) => valid,
            Err(errors) => {
                let reason = field_errors(&errors);
                let row = InboundRow {
                    outcome: "quarantined".into(),
                    reason: Some(reason.clone()),
                    ..base
                };
                return self.record_alone(&row, MailOutcome::Quarantined { reason });
            }
        };
        let (files, dropped) = self.files_of(&mail.attachments);
        valid.photos = files;
        let mut all_dropped = mail.dropped_attachments.clone();
        all_dropped.extend(dropped);
        let base = InboundRow {
            dropped_attachments: serde_json::to_string(&all_dropped)
                .unwrap_or_else(|_| "[]".into()),
            ..base
        };

        let duplicate = Cell::new(false);
        let filed = self
            .service
            .file_valid(&router, valid, now, None, &mut |conn, ticket| {
                record_in(conn, &base, ticket, "filed", &duplicate)
            });
        match filed {
            Ok(receipt) => Ok(MailOutcome::Filed {
                code: receipt.ticket.code,
            }),
            Err(_) if duplicate.get() => Ok(MailOutcome::Duplicate),
            Err(e) => Err(e),
        }
    }

    /// The attachments kept: images as photos (the web's count and size limits), a few
    /// safe document types as files; the rest listed as dropped, in Vietnamese.
    fn files_of(&self, attachments: &[MailAttachment]) -> (Vec<ValidPhoto>, Vec<String>) {
        let limits = self.service.limits();
        let mut kept = Vec::new();
        let mut dropped = Vec::new();
        let mut photos = 0;
        for (i, a) in attachments.iter().enumerate() {
            let name = sanitize_file_name(a.filename.as_deref().unwrap_or(""), i);
            let size = tongdai_mail::human_size(a.bytes.len());
            if kept.len() >= self.settings.max_attachments {
                dropped.push(format!("{name} ({size}): quá số tệp được lưu cho một thư"));
                continue;
            }
            if let Some((content_type, extension)) = recognise_photo(&a.bytes) {
                if photos >= limits.max_photos {
                    dropped.push(format!("{name} ({size}): quá {} ảnh", limits.max_photos));
                } else if a.bytes.len() > limits.max_photo_bytes {
                    dropped.push(format!(
                        "{name} ({size}): ảnh lớn hơn {} MB",
                        limits.max_photo_bytes.div_ceil(1024 * 1024)
                    ));
                } else {
                    photos += 1;
                    kept.push(ValidPhoto {
                        file_name: name,
                        content_type,
                        extension,
                        bytes: a.bytes.clone(),
                    });
                }
                continue;
            }
            match document_type(a) {
                Some(_) if a.bytes.len() > self.settings.max_attachment_bytes => {
                    dropped.push(format!("{name} ({size}): tệp lớn hơn giới hạn"))
                }
                Some((content_type, extension)) => kept.push(ValidPhoto {
                    file_name: name,
                    content_type,
                    extension,
                    bytes: a.bytes.clone(),
                }),
                None => dropped.push(format!(
                    "{name} ({size}): loại tệp {} không được lưu",
                    a.content_type
                )),
            }
        }
        (kept, dropped)
    }
}

/// `k***@example.vn`: enough to tell addresses apart in a log, not to write to one.
fn masked_address(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// Records the mail inside the transaction of the ticket or action it caused. A record
/// already there rolls that transaction back (`duplicate` says why): the mail was handled
/// before, and nothing is stored twice.
fn record_in(
    conn: &mut DbConnection,
    base: &InboundRow,
    ticket: &Ticket,
    outcome: &str,
    duplicate: &Cell<bool>,
) -> Result<(), StorageError> {
    let row = InboundRow {
        outcome: outcome.into(),
        ticket_id: Some(ticket.id.to_string()),
        ..base.clone()
    };
    if store::record_inbound(conn, &row)? {
        Ok(())
    } else {
        duplicate.set(true);
        Err(StorageError::Conflict(
            "inbound mail recorded before".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_and_forward_prefixes_are_taken_off_the_subject() {
        assert_eq!(bare_subject("Re: RE: Fwd: Đèn đường hư"), "Đèn đường hư");
        assert_eq!(bare_subject("TL: Trả lời: ổ gà"), "ổ gà");
        assert_eq!(bare_subject("Chuyển tiếp: Ngập nước"), "Ngập nước");
        assert_eq!(bare_subject("Rể cây đổ"), "Rể cây đổ");
        assert_eq!(bare_subject("re:"), "");
    }

    #[test]
    fn addresses_in_logs_are_masked() {
        assert_eq!(masked_address("khongtontai@example.vn"), "k***@example.vn");
        assert_eq!(masked_address("đặng@example.vn"), "đ***@example.vn");
        assert_eq!(masked_address("not-an-address"), "***");
    }

    #[test]
    fn long_texts_are_cut_at_a_character_with_an_ellipsis() {
        assert_eq!(cut_chars("Đèn đường", 20), "Đèn đường");
        assert_eq!(cut_chars("Đèn đường hư", 4), "Đèn…");
        assert_eq!(cut_chars("ổ gà", 4), "ổ gà");
    }

    #[test]
    fn only_safe_documents_are_kept_as_files() {
        let part = |content_type: &str, bytes: &[u8], forwarded: bool| MailAttachment {
            filename: Some("x".into()),
            content_type: content_type.into(),
            bytes: bytes.to_vec(),
            inline: false,
            content_id: None,
            is_forwarded_message: forwarded,
        };
        assert_eq!(
            document_type(&part("application/pdf", b"%PDF-1.4\n%...", false)),
            Some(("application/pdf", "pdf"))
        );
        assert_eq!(
            document_type(&part("message/rfc822", b"From: a@b.vn\r\n\r\nx", true)),
            Some(("message/rfc822", "eml"))
        );
        assert_eq!(
            document_type(&part("text/plain", "ghi chú".as_bytes(), false)),
            Some(("text/plain; charset=utf-8", "txt"))
        );
        // A program is not a PDF because its name or type says so.
        assert_eq!(
            document_type(&part("application/pdf", b"MZ\x90\x00", false)),
            None
        );
        assert_eq!(
            document_type(&part("application/x-msdownload", b"MZ", false)),
            None
        );
    }
}
