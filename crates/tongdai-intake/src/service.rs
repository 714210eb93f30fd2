//! Filing a ticket, end to end, in one place.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};

use chrono::{DateTime, SubsecRound, Utc};
use rand::Rng;
use serde_json::json;
use sha2::{Digest, Sha256};
use tongdai_domain::{
    Actor, Clock, EventKind, EventVisibility, TicketEvent, TicketId, TicketStatus, TrackingCode,
    local_date,
};
use tongdai_routing::{DeadlineGrant, Outcome, Report, Router, RouterCell, RoutingDecision};
use tongdai_storage::objects::AttachmentStore;
use tongdai_storage::tickets::{
    self, AttachmentRow, IdempotencyClaim, NewTicket, OutboxMessage, StoredEvent, Ticket,
};
use tongdai_storage::{Database, DbConnection, StorageError};
use uuid::Uuid;

use crate::error::{FieldError, IntakeError};
use crate::ratelimit::{RateLimiter, client_key, retry_after_secs};
use crate::validate::{
    IntakeLimits, TicketDraft, ValidPhoto, ValidTicket, validate, validate_photos,
};
use crate::view::{PublicTicket, public_ticket};

/// Where files go and how links to the public tracking page are written.
#[derive(Debug, Clone)]
pub struct IntakeSettings {
    pub limits: IntakeLimits,
    /// Where photo bytes go (`data/attachments` or a bucket): one folder per ticket.
    pub attachments: AttachmentStore,
    /// `https://1022.example.vn`: tracking links are `{base}/tra-cuu/{code}`.
    pub public_base_url: String,
    /// The key upload tokens are derived from (from the server's signing secret): a
    /// ticket's token is `HMAC(key, id)`, so a replayed receipt carries the same token and
    /// nothing secret is stored.
    pub upload_key: Vec<u8>,
}

/// Who asks to add photos to a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadCredential {
    /// The upload token given with the receipt.
    Token(String),
    /// The `sub` of a verified citizen token.
    Citizen(String),
    Nobody,
}

/// A client-chosen key that makes a retried request safe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRequest {
    pub scope: String,
    pub key: String,
}

/// What the citizen is told at once.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub ticket: Ticket,
    pub decision: RoutingDecision,
    pub tracking_url: String,
    /// True when this answers a retry of an earlier request (nothing new was stored).
    pub replayed: bool,
    /// The filer's capability to add photos later (kept by the app, a private link on the
    /// portal); never shown on public views.
    pub upload_token: String,
    /// The filer's private link to reply, reopen and rate
    /// (`/tra-cuu/{code}/y-kien?ma=…`); never shown on public views.
    pub citizen_token: String,
    /// The photos stored with the ticket, in order (the ones just written, so answering
    /// needs no read after the transaction).
    pub attachments: Vec<AttachmentRow>,
}

#[derive(Clone)]
pub struct IntakeService {
    pub(crate) db: Database,
    /// The router in force, replaced when a newer jurisdiction is stored: take
    /// [`IntakeService::router`] once per operation.
    pub(crate) router: Arc<RouterCell>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) settings: Arc<IntakeSettings>,
    anonymous: Arc<RateLimiter>,
    pub(crate) workflow: Arc<crate::work::WorkflowSettings>,
    pub(crate) reports: Arc<crate::reports::ReportSettings>,
}

type HmacSha256 = Hmac<Sha256>;

impl IntakeService {
    pub fn new(
        db: Database,
        router: Arc<RouterCell>,
        clock: Arc<dyn Clock>,
        settings: IntakeSettings,
    ) -> Self {
        let anonymous = Arc::new(RateLimiter::new(
            settings.limits.anonymous_per_minute,
            settings.limits.anonymous_burst,
        ));
        Self {
            db,
            router,
            clock,
            settings: Arc::new(settings),
            anonymous,
            workflow: Arc::new(crate::work::WorkflowSettings::default()),
            reports: Arc::new(crate::reports::ReportSettings::default()),
        }
    }

    /// `[report]`: periods, definitions choices and delivery of the overdue report.
    pub fn with_reports(mut self, reports: crate::reports::ReportSettings) -> Self {
        self.reports = Arc::new(reports);
        self
    }

    /// The workflow's policy (approval, proof photos, reopen window, who sees the reporter).
    pub fn with_workflow(mut self, workflow: crate::work::WorkflowSettings) -> Self {
        self.workflow = Arc::new(workflow);
        self
    }

    /// The upload token of a ticket: 128 bits of `HMAC-SHA256(upload_key, "upload:" id)`.
    pub fn upload_token(&self, id: TicketId) -> String {
        let bytes = self.upload_mac(id).finalize().into_bytes();
        hex::encode(&bytes[..16])
    }

    pub(crate) fn upload_mac(&self, id: TicketId) -> HmacSha256 {
        let Ok(mut mac) = HmacSha256::new_from_slice(&self.settings.upload_key) else {
            unreachable!("HMAC accepts keys of any length")
        };
        mac.update(b"upload:");
        mac.update(id.to_string().as_bytes());
        mac
    }

    fn upload_token_matches(&self, id: TicketId, token: &str) -> bool {
        match hex::decode(token.trim()) {
            Ok(bytes) if bytes.len() == 16 => {
                self.upload_mac(id).verify_truncated_left(&bytes).is_ok()
            }
            _ => false,
        }
    }

    /// Takes one ticket from an anonymous client's allowance.
    fn check_anonymous(&self, client: Option<IpAddr>) -> Result<(), IntakeError> {
        let Some(ip) = client else { return Ok(()) };
        self.anonymous
            .check(client_key(ip), self.clock.now())
            .map_err(|wait: Duration| {
                tracing::warn!(client = %ip, "anonymous filing rate limit reached");
                IntakeError::RateLimited {
                    retry_after_secs: retry_after_secs(wait),
                }
            })
    }

    pub fn limits(&self) -> &IntakeLimits {
        &self.settings.limits
    }

    /// Which database backend this service stores into.
    pub fn backend(&self) -> tongdai_storage::Backend {
        self.db.backend()
    }

    /// The router in force now. One operation routes with one router: take it once and
    /// keep the `Arc` (a newer jurisdiction may be put in force meanwhile).
    pub fn router(&self) -> Arc<Router> {
        self.router.current()
    }

    /// The cell the router is replaced in (the server's jurisdiction reloader).
    pub fn router_cell(&self) -> &Arc<RouterCell> {
        &self.router
    }

    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    pub fn tracking_url(&self, code: &TrackingCode) -> String {
        format!(
            "{}/tra-cuu/{code}",
            self.settings.public_base_url.trim_end_matches('/')
        )
    }

    /// Validates, routes and stores a report. With `idempotency`, a retry of the same
    /// request returns the first ticket; the same key with another request is refused.
    pub fn submit(
        &self,
        draft: TicketDraft,
        idempotency: Option<IdempotencyRequest>,
    ) -> Result<Receipt, IntakeError> {
        // A retry is not looked up first: the key's row is stored with the ticket, and a
        // claimed key ends that transaction with `DuplicateIdempotencyKey`, answered by
        // `replay`. A first request, the common case, so costs no read.
        let claim = idempotency.map(|request| IdempotencyClaim {
            scope: request.scope,
            key: request.key,
            request_hash: request_hash(&draft),
        });

        // Whole microseconds: what PostgreSQL keeps, so a replayed answer equals the first.
        let now = self.clock.now().trunc_subsecs(6);
        let anonymous_client = draft.anonymous_client;
        // One router for the whole ticket: validated and routed against one jurisdiction.
        let router = self.router();
        let valid = validate(
            draft,
            &self.settings.limits,
            router.jurisdiction(),
            local_date(now),
        )
        .map_err(IntakeError::Invalid)?;
        if let Err(limited) = self.check_anonymous(anonymous_client) {
            // A retry of a ticket already filed is answered, whatever the allowance.
            if let Some(claim) = &claim
                && let Some(receipt) = self.replay(claim)?
            {
                return Ok(receipt);
            }
            return Err(limited);
        }
        self.file_valid(&router, valid, now, claim, &mut |_, _| Ok(()))
    }

    /// Routes and stores a validated ticket: the ticket, its first events, its photos and
    /// its acknowledgement in one transaction, with `also` run inside that transaction
    /// (the e-mail channel records the message there, so the ticket and the record of the
    /// mail that made it commit together or not at all). `router` is the one the ticket was
    /// validated against: one ticket, one jurisdiction.
    pub(crate) fn file_valid(
        &self,
        router: &Router,
        valid: ValidTicket,
        now: DateTime<Utc>,
        claim: Option<IdempotencyClaim>,
        also: &mut dyn FnMut(&mut DbConnection, &Ticket) -> Result<(), StorageError>,
    ) -> Result<Receipt, IntakeError> {
        let decision = self.route(router, &valid, now)?;
        let mut rng = rand::rng();
        let new = new_ticket(&valid, &decision, now, &mut rng)?;
        let events = first_events(&valid, &decision, now);
        let ack = OutboxMessage {
            id: Uuid::new_v4(),
            topic: "ticket.acknowledgement".into(),
            payload: json!({ "code": new.code, "channel": valid.channel.code() }),
        };

        let files = self.write_photos(new.id, &valid.photos, now)?;
        let stored = self.db.transaction(|conn| {
            let ticket =
                tickets::insert_ticket(conn, &new, &events, &[ack], claim.as_ref(), || {
                    TrackingCode::generate(&mut rand::rng())
                })?;
            for row in &files {
                tickets::insert_attachment(conn, row)?;
            }
            also(conn, &ticket)?;
            Ok(ticket)
        });
        let ticket = match stored {
            Ok(ticket) => ticket,
            Err(e) => {
                self.remove_photos(new.id);
                if let (StorageError::DuplicateIdempotencyKey, Some(claim)) = (&e, &claim) {
                    // Another request with the same key won the race: answer as it did.
                    return self.replay(claim)?.ok_or(IntakeError::IdempotencyKeyReused);
                }
                return Err(e.into());
            }
        };
        tracing::info!(
            code = %ticket.code,
            channel = %ticket.channel,
            outcome = ?decision.outcome,
            agency = %decision.agency_code,
            "ticket filed"
        );
        let tracking_url = self.tracking_url(&ticket.code);
        let upload_token = self.upload_token(ticket.id);
        let citizen_token = self.citizen_token(ticket.id);
        Ok(Receipt {
            ticket,
            decision,
            tracking_url,
            replayed: false,
            upload_token,
            citizen_token,
            attachments: files,
        })
    }

    fn route(
        &self,
        router: &Router,
        valid: &ValidTicket,
        now: DateTime<Utc>,
    ) -> Result<RoutingDecision, IntakeError> {
        let report = Report {
            category: valid.category.clone(),
            place: valid.place.clone(),
            priority: valid.priority,
            filed_at: now,
        };
        router.route(&report).map_err(|e| match e {
            tongdai_routing::RoutingError::UnknownCategory { .. } => {
                IntakeError::Invalid(vec![FieldError::new(
                    "category",
                    "Lĩnh vực không có trong danh mục hiện hành.",
                )])
            }
            other => IntakeError::Routing(other),
        })
    }

    fn replay(&self, claim: &IdempotencyClaim) -> Result<Option<Receipt>, IntakeError> {
        let mut conn = self.db.conn()?;
        let Some(row) = tickets::find_idempotency(&mut conn, &claim.scope, &claim.key)? else {
            return Ok(None);
        };
        if row.request_hash != claim.request_hash {
            return Err(IntakeError::IdempotencyKeyReused);
        }
        let id =
            Uuid::parse_str(&row.ticket_id).map_err(|e| IntakeError::Corrupt(e.to_string()))?;
        let ticket = tickets::find_by_id(&mut conn, TicketId(id))?.ok_or_else(|| {
            IntakeError::Corrupt(format!("idempotency key points at missing ticket {id}"))
        })?;
        let decision = decision_of(&ticket)?;
        let attachments = tickets::attachments_of(&mut conn, ticket.id)?;
        let tracking_url = self.tracking_url(&ticket.code);
        let upload_token = self.upload_token(ticket.id);
        let citizen_token = self.citizen_token(ticket.id);
        Ok(Some(Receipt {
            ticket,
            decision,
            tracking_url,
            replayed: true,
            upload_token,
            citizen_token,
            attachments,
        }))
    }

    /// Writes the photos before the transaction; `remove_photos` (a new ticket) or
    /// `remove_photo_files` (photos added later) undoes it if the transaction fails, so no
    /// file outlives a row that was not stored. A write that fails half-way removes only
    /// what this call wrote: the photos a ticket already has are never touched.
    pub(crate) fn write_photos(
        &self,
        id: TicketId,
        photos: &[ValidPhoto],
        now: DateTime<Utc>,
    ) -> Result<Vec<AttachmentRow>, IntakeError> {
        if photos.is_empty() {
            return Ok(Vec::new());
        }
        let mut rows = Vec::new();
        for (index, photo) in photos.iter().enumerate() {
            let attachment_id = attachment_id(now, index);
            let relative = format!("{id}/{attachment_id}.{}", photo.extension);
            if let Err(e) = self
                .settings
                .attachments
                .put(&relative, photo.bytes.clone())
            {
                // Only what this call wrote: photos added to a ticket that has some keep them.
                let _ = self.settings.attachments.delete(&relative);
                self.remove_photo_files(&rows);
                return Err(e.into());
            }
            rows.push(AttachmentRow {
                id: attachment_id.to_string(),
                ticket_id: id.to_string(),
                file_name: photo.file_name.clone(),
                content_type: photo.content_type.to_owned(),
                size_bytes: i64::try_from(photo.bytes.len()).unwrap_or(i64::MAX),
                sha256: hex::encode(Sha256::digest(&photo.bytes)),
                storage_path: relative,
                visibility: EventVisibility::Internal.code().to_owned(),
                created_at: now.naive_utc(),
            });
        }
        Ok(rows)
    }

    /// Where this service keeps photo bytes (for start-up logs and health).
    pub fn attachment_store(&self) -> &AttachmentStore {
        &self.settings.attachments
    }

    pub(crate) fn remove_photos(&self, id: TicketId) {
        if let Err(e) = self.settings.attachments.delete_folder(&id.to_string()) {
            tracing::warn!(ticket = %id, error = %e, "could not remove the photos of a ticket that was not stored");
        }
    }

    /// Removes photos written for rows that were then not stored.
    pub(crate) fn remove_photo_files(&self, rows: &[AttachmentRow]) {
        for row in rows {
            if let Err(e) = self.settings.attachments.delete(&row.storage_path) {
                tracing::warn!(key = %row.storage_path, error = %e, "could not remove a photo that was not stored");
            }
        }
    }

    /// The public view of a ticket, or `NotFound`.
    pub fn public_view(&self, code: &TrackingCode) -> Result<PublicTicket, IntakeError> {
        let mut conn = self.db.conn()?;
        let ticket = tickets::find_by_code(&mut conn, code)?
            .ok_or_else(|| IntakeError::NotFound(code.to_string()))?;
        let events = tickets::events(&mut conn, ticket.id, true)?;
        let mut view = public_ticket(&ticket, &events);
        view.photo_count = tickets::attachments_of(&mut conn, ticket.id)?.len();
        Ok(view)
    }

    /// The tickets a citizen filed with their token, newest first.
    pub fn tickets_of(&self, subject: &str, limit: i64) -> Result<Vec<PublicTicket>, IntakeError> {
        let mut conn = self.db.conn()?;
        let list = tickets::tickets_of_subject(&mut conn, subject, limit)?;
        list.iter()
            .map(|t| {
                let mut view = public_ticket(t, &tickets::events(&mut conn, t.id, true)?);
                view.photo_count = tickets::attachments_of(&mut conn, t.id)?.len();
                Ok(view)
            })
            .collect()
    }

    /// Adds photos to an existing ticket (the app's separate upload). Allowed with the
    /// ticket's upload token, or with the citizen token of the reporter who filed it;
    /// anyone else is refused, since tracking codes are public. The count is checked again
    /// inside the transaction that stores the rows and the `photos_added` event.
    pub fn add_photos(
        &self,
        code: &TrackingCode,
        uploads: Vec<crate::Upload>,
        credential: &UploadCredential,
    ) -> Result<Vec<AttachmentRow>, IntakeError> {
        let now = self.clock.now().trunc_subsecs(6);
        let (ticket, existing) = self.authorize_upload(code, credential)?;
        let limits = &self.settings.limits;
        let too_many = |existing: usize| {
            IntakeError::invalid(
                "photos",
                format!(
                    "Mỗi phản ánh có tối đa {} ảnh (đã có {existing}).",
                    limits.max_photos
                ),
            )
        };
        if existing + uploads.len() > limits.max_photos {
            return Err(too_many(existing));
        }
        let photos = validate_photos(uploads, limits).map_err(IntakeError::Invalid)?;
        let rows = self.write_photos(ticket.id, &photos, now)?;
        let event = TicketEvent {
            kind: EventKind::PhotosAdded,
            actor: Actor::Citizen,
            occurred_at: now,
            visibility: EventVisibility::Public,
            payload: json!({
                "count": rows.len(),
                "attachments": rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
                "detail": format!("Người phản ánh bổ sung {} ảnh", rows.len()),
            }),
        };
        // `add_attachments` is its own transaction.
        let stored = self.db.conn().and_then(|mut conn| {
            tickets::add_attachments(&mut conn, ticket.id, &rows, limits.max_photos, &event)
        });
        let outcome = match stored {
            Ok(Ok(())) => return Ok(rows),
            Ok(Err(existing)) => too_many(existing),
            Err(e) => e.into(),
        };
        self.remove_photo_files(&rows);
        Err(outcome)
    }

    /// The ticket and how many photos it has, if `credential` may add photos to it: its
    /// upload token, or the citizen token it was filed with. Transports call this before
    /// reading an upload's body, so a stranger's 25 MB are refused unread.
    pub fn authorize_upload(
        &self,
        code: &TrackingCode,
        credential: &UploadCredential,
    ) -> Result<(Ticket, usize), IntakeError> {
        let mut conn = self.db.conn()?;
        let ticket = tickets::find_by_code(&mut conn, code)?
            .ok_or_else(|| IntakeError::NotFound(code.to_string()))?;
        let allowed = match credential {
            UploadCredential::Token(token) => self.upload_token_matches(ticket.id, token),
            UploadCredential::Citizen(subject) => {
                ticket.reporter_subject.as_deref() == Some(subject.as_str())
            }
            UploadCredential::Nobody => false,
        };
        if !allowed {
            return Err(IntakeError::Forbidden(
                "Chỉ người gửi phản ánh (với mã bổ sung ảnh nhận khi gửi, hoặc tài khoản đã \
                 dùng để gửi) mới thêm được ảnh."
                    .to_owned(),
            ));
        }
        let existing = tickets::attachments_of(&mut conn, ticket.id)?.len();
        Ok((ticket, existing))
    }

    /// Forgets idempotency keys older than `intake.idempotency_retention_hours`.
    pub fn sweep_idempotency_keys(&self) -> Result<usize, IntakeError> {
        let hours = i64::from(self.settings.limits.idempotency_retention_hours);
        let before = self.clock.now() - chrono::Duration::hours(hours);
        let mut conn = self.db.conn()?;
        let removed = tickets::sweep_idempotency_keys(&mut conn, before)?;
        if removed > 0 {
            tracing::info!(removed, "expired idempotency keys removed");
        }
        Ok(removed)
    }

    /// Removes photo files that no attachment row names and that are older than
    /// `intake.orphan_photo_grace_minutes` (written before a transaction that never
    /// committed: a crash, a killed process). Younger files may belong to a filing in
    /// progress and are kept. Returns how many files were removed.
    pub fn sweep_orphan_photos(&self) -> Result<usize, IntakeError> {
        let grace =
            Duration::from_secs(u64::from(self.settings.limits.orphan_photo_grace_minutes) * 60);
        let store = &self.settings.attachments;
        let mut conn = self.db.conn()?;
        let mut removed = 0;
        for folder in store.folders()? {
            let Ok(id) = Uuid::parse_str(&folder) else {
                continue;
            };
            let known: std::collections::HashSet<String> =
                tickets::attachments_of(&mut conn, TicketId(id))?
                    .into_iter()
                    .map(|row| row.storage_path)
                    .collect();
            for object in store.objects_in(&folder)? {
                if object.age >= grace && !known.contains(&object.key) {
                    store.delete(&object.key)?;
                    tracing::warn!(key = %object.key, store = %store.describe(), "orphan photo removed (no attachment row)");
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }

    /// The stored history of a ticket (all events), for staff views and tests.
    pub fn history(&self, id: TicketId) -> Result<Vec<StoredEvent>, IntakeError> {
        let mut conn = self.db.conn()?;
        Ok(tickets::events(&mut conn, id, false)?)
    }

    /// Runs `f` with a connection (for channel-specific reads such as Open311 searches).
    pub fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, StorageError>,
    ) -> Result<T, IntakeError> {
        let mut conn = self.db.conn()?;
        Ok(f(&mut conn)?)
    }
}

/// The routing decision stored with a ticket.
pub fn decision_of(ticket: &Ticket) -> Result<RoutingDecision, IntakeError> {
    let value = ticket.routing_decision.clone().ok_or_else(|| {
        IntakeError::Corrupt(format!("ticket {} has no routing decision", ticket.code))
    })?;
    serde_json::from_value(value)
        .map_err(|e| IntakeError::Corrupt(format!("routing decision of {}: {e}", ticket.code)))
}

pub(crate) fn new_ticket<R: Rng>(
    valid: &ValidTicket,
    decision: &RoutingDecision,
    now: DateTime<Utc>,
    rng: &mut R,
) -> Result<NewTicket, IntakeError> {
    let assigned = decision.outcome == Outcome::Assigned;
    Ok(NewTicket {
        id: TicketId::new_at(now, rng),
        code: TrackingCode::generate(rng),
        channel: valid.channel,
        status: if assigned {
            TicketStatus::Forwarded
        } else {
            TicketStatus::Triage
        },
        priority: valid.priority,
        category_code: valid.category.clone(),
        area_code: decision.area_code.clone(),
        address: valid.place.address.clone(),
        latitude: valid.place.lat,
        longitude: valid.place.lon,
        title: valid.title.clone(),
        description: valid.description.clone(),
        agency_code: assigned.then(|| decision.agency_code.clone()),
        reporter: valid.reporter.clone(),
        reporter_subject: valid.reporter_subject.clone(),
        consent_at: Some(now),
        routing_decision: Some(
            serde_json::to_value(decision).map_err(|e| IntakeError::Corrupt(e.to_string()))?,
        ),
        forward_due_at: Some(decision.deadlines.forward_due.with_timezone(&Utc)),
        accept_due_at: Some(decision.deadlines.accept_due.with_timezone(&Utc)),
        answer_due_at: Some(decision.deadlines.answer_due.with_timezone(&Utc)),
        created_at: now,
        attributes: valid.attributes.clone(),
        submitted_by: valid.submitted_by,
    })
}

/// The public history starts with what happened at filing. Payloads carry no personal data.
pub(crate) fn first_events(
    valid: &ValidTicket,
    decision: &RoutingDecision,
    now: DateTime<Utc>,
) -> Vec<TicketEvent> {
    let actor = match valid.submitted_by {
        Some(id) => Actor::User { id },
        None => Actor::Citizen,
    };
    let routing = Actor::System {
        component: "routing".into(),
    };
    let created = TicketEvent {
        kind: EventKind::Created,
        actor,
        occurred_at: now,
        visibility: EventVisibility::Public,
        payload: json!({
            "channel": valid.channel.code(),
            "category": valid.category,
            "detail": format!("Tiếp nhận qua {}", valid.channel.label_vi()),
        }),
    };
    let second = match decision.outcome {
        Outcome::Assigned => TicketEvent {
            kind: EventKind::Routed,
            actor: routing,
            occurred_at: now,
            visibility: EventVisibility::Public,
            payload: json!({
                "agency": decision.agency_code,
                "rule": decision.rule.as_ref().map(|r| r.id.clone()),
                "sla_version": decision.sla.version,
                "detail": format!("Chuyển đến {}", decision.agency_name),
            }),
        },
        Outcome::Triage => TicketEvent {
            kind: EventKind::SentToTriage,
            actor: routing,
            occurred_at: now,
            visibility: EventVisibility::Public,
            payload: json!({
                "reason": decision.triage_reason.map(|r| r.code()),
                "sla_version": decision.sla.version,
                "detail": "Tổng đài đang phân loại và chuyển đến cơ quan có thẩm quyền",
            }),
        },
    };
    let deadlines = TicketEvent {
        kind: EventKind::DeadlineSet,
        actor: Actor::System {
            component: "deadlines".into(),
        },
        occurred_at: now,
        visibility: EventVisibility::Internal,
        payload: DeadlineGrant::routed(decision).payload(),
    };
    vec![created, second, deadlines]
}

/// A digest of everything the citizen sent, so "same key, same request" can be told from
/// "same key, different request".
fn request_hash(draft: &TicketDraft) -> String {
    let photos: Vec<String> = draft
        .photos
        .iter()
        .map(|p| hex::encode(Sha256::digest(&p.bytes)))
        .collect();
    let canonical = json!({
        "channel": draft.channel.code(),
        "category": draft.category,
        "title": draft.title,
        "description": draft.description,
        "priority": draft.priority.map(|p| p.code()),
        "place": draft.place,
        "reporter": draft.reporter,
        "subject": draft.reporter_subject,
        "consent": draft.consent,
        "attributes": draft.attributes,
        "photos": photos,
    });
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// A UUIDv7 from the injected time whose first random bits are the upload position, so
/// the photos of one upload sort in the order the citizen chose them.
fn attachment_id(now: DateTime<Utc>, index: usize) -> Uuid {
    let millis = u64::try_from(now.timestamp_millis()).unwrap_or(0);
    let mut random: [u8; 10] = rand::random();
    let position = u16::try_from(index).unwrap_or(u16::MAX) & 0x0FFF;
    random[0] = u8::try_from(position >> 8).unwrap_or(0);
    random[1] = u8::try_from(position & 0xFF).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_ids_sort_in_upload_order_within_one_instant() {
        let now = DateTime::<Utc>::from_timestamp(1_771_000_000, 0).unwrap_or_default();
        let ids: Vec<String> = (0..5).map(|i| attachment_id(now, i).to_string()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert!(
            ids.iter().all(|id| id.as_bytes()[14] == b'7'),
            "UUIDv7: {ids:?}"
        );
    }
}
