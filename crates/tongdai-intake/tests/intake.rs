//! The intake service on a real database (SQLite, and PostgreSQL when configured).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use tongdai_calendar::{CalendarSettings, SlaPolicy, WorkingCalendar};
use tongdai_domain::{
    Actor, Channel, FixedClock, Jurisdiction, JurisdictionFiles, Priority, Reporter, TicketStatus,
};
use tongdai_intake::{
    IdempotencyRequest, IntakeError, IntakeService, IntakeSettings, TicketDraft, Upload,
};
use tongdai_routing::{Place, Router};
use tongdai_storage::testing::{TestDatabase, backends};
use tongdai_storage::tickets;
use uuid::Uuid;

const SLA: &str = include_str!("../../../config/jurisdiction/sla.toml");

fn jurisdiction() -> Jurisdiction {
    Jurisdiction::parse(JurisdictionFiles {
        jurisdiction: include_str!("../../../config/jurisdiction/jurisdiction.toml"),
        areas: include_str!("../../../config/jurisdiction/areas.toml"),
        agencies: include_str!("../../../config/jurisdiction/agencies.toml"),
        categories: include_str!("../../../config/jurisdiction/categories.toml"),
        routing: Some(include_str!("../../../config/jurisdiction/routing.toml")),
    })
    .unwrap()
}

fn router(sla: &str) -> Arc<Router> {
    let calendar = WorkingCalendar::from_toml_strs(
        CalendarSettings::default(),
        &[
            include_str!("../../../config/calendar/2025.toml"),
            include_str!("../../../config/calendar/2026.toml"),
        ],
    )
    .unwrap();
    Arc::new(
        Router::new(
            jurisdiction(),
            SlaPolicy::from_toml_str(sla).unwrap(),
            calendar,
        )
        .unwrap(),
    )
}

fn vn(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    tongdai_domain::vn_offset()
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

struct Env {
    db: TestDatabase,
    clock: Arc<FixedClock>,
    files: tempfile::TempDir,
}

impl Env {
    fn new(backend: tongdai_storage::Backend) -> Self {
        let db = TestDatabase::new(backend);
        let mut conn = db.db.conn().unwrap();
        tongdai_storage::jurisdiction::load_jurisdiction(
            &mut conn,
            &jurisdiction(),
            "test",
            "load-1",
            vn(2026, 1, 1, 0, 0).naive_utc(),
        )
        .unwrap();
        // Friday 13/02/2026 16:00, the afternoon before Tết.
        Env {
            db,
            clock: Arc::new(FixedClock::new(vn(2026, 2, 13, 16, 0))),
            files: tempfile::tempdir().unwrap(),
        }
    }

    fn service_with(&self, sla: &str) -> IntakeService {
        IntakeService::new(
            self.db.db.clone(),
            router(sla),
            self.clock.clone(),
            IntakeSettings {
                limits: Default::default(),
                attachments_dir: self.files.path().join("attachments"),
                public_base_url: "https://1022.example.vn".into(),
            },
        )
    }

    fn service(&self) -> IntakeService {
        self.service_with(SLA)
    }

    fn count(&self) -> i64 {
        tickets::count_tickets(&mut self.db.db.conn().unwrap()).unwrap()
    }
}

fn lamp_report() -> TicketDraft {
    TicketDraft {
        channel: Channel::Web,
        category: "chieu-sang.den-duong".into(),
        title: "Đèn đường không sáng".into(),
        description: "Ba cột đèn trên đường Hùng Vương không sáng từ tối qua.".into(),
        priority: None,
        place: Place {
            area_code: Some("TN-P-LONGAN".into()),
            ..Default::default()
        },
        reporter: Reporter {
            name: Some("Nguyễn Thị B".into()),
            phone: Some("+84 912 345 678".into()),
            email: Some("Nguoi.Dan@Example.vn".into()),
        },
        reporter_subject: None,
        consent: true,
        attributes: [("tinh-trang".to_owned(), "khong-sang".to_owned())]
            .into_iter()
            .collect(),
        photos: Vec::new(),
        submitted_by: None,
    }
}

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

#[test]
fn a_report_is_routed_and_stored_with_its_events_decision_and_acknowledgement() {
    for backend in backends() {
        let env = Env::new(backend);
        let receipt = env.service().submit(lamp_report(), None).unwrap();
        let t = &receipt.ticket;
        assert_eq!(t.status, TicketStatus::Forwarded);
        assert_eq!(t.agency_code.as_deref(), Some("UBND-TN-P-LONGAN"));
        assert_eq!(receipt.decision.agency_code, "UBND-TN-P-LONGAN");
        assert_eq!(
            t.reporter.phone.as_deref(),
            Some("0912345678"),
            "phones are stored normalised"
        );
        assert_eq!(t.reporter.email.as_deref(), Some("nguoi.dan@example.vn"));
        assert_eq!(
            receipt.tracking_url,
            format!("https://1022.example.vn/tra-cuu/{}", t.code)
        );
        // 10 working days after Tết: the end of Friday 06/03/2026.
        assert_eq!(
            t.answer_due_at,
            Some(vn(2026, 3, 6, 23, 59) + chrono::Duration::seconds(59))
        );

        let mut conn = env.db.db.conn().unwrap();
        let stored = tickets::find_by_code(&mut conn, &t.code).unwrap().unwrap();
        let decision = stored.routing_decision.unwrap();
        assert_eq!(
            decision["rule"]["id"],
            receipt.decision.rule.as_ref().unwrap().id
        );
        assert_eq!(decision["sla"]["version"], "tay-ninh-2026");
        let history = tickets::events(&mut conn, t.id, false).unwrap();
        let kinds: Vec<_> = history.iter().map(|e| e.event.kind.code()).collect();
        assert_eq!(kinds, vec!["created", "routed"], "{backend}");
        assert_eq!(
            tickets::outbox_for_ticket(&mut conn, t.id).unwrap().len(),
            1
        );

        // Nothing personal in any event payload.
        let payloads =
            serde_json::to_string(&history.iter().map(|e| &e.event.payload).collect::<Vec<_>>())
                .unwrap();
        for secret in ["0912345678", "Nguyễn Thị B", "nguoi.dan@example.vn"] {
            assert!(!payloads.contains(secret), "{secret} leaked into events");
        }
    }
}

#[test]
fn a_report_nobody_can_route_goes_to_triage_with_a_forwarding_deadline() {
    for backend in backends() {
        let env = Env::new(backend);
        let mut draft = lamp_report();
        draft.place = Place {
            address: Some("ấp Không Tồn Tại, xã Mơ Hồ".into()),
            ..Default::default()
        };
        let receipt = env.service().submit(draft, None).unwrap();
        assert_eq!(receipt.ticket.status, TicketStatus::Triage);
        assert_eq!(receipt.ticket.agency_code, None);
        assert_eq!(receipt.ticket.forward_due_at, Some(vn(2026, 2, 13, 16, 5)));
        let view = env.service().public_view(&receipt.ticket.code).unwrap();
        assert_eq!(view.agency, None);
        assert_eq!(view.timeline.last().unwrap().kind, "sent_to_triage");
    }
}

#[test]
fn invalid_input_is_refused_with_every_field_named_and_nothing_stored() {
    for backend in backends() {
        let env = Env::new(backend);
        let mut draft = lamp_report();
        draft.reporter = Reporter {
            name: Some("A".into()),
            phone: None,
            email: None,
        };
        draft.consent = false;
        draft.title = "  ".into();
        draft.category = "khong-co".into();
        draft.attributes.clear();
        let err = env.service().submit(draft, None).unwrap_err();
        let IntakeError::Invalid(fields) = err else {
            panic!("{err:?}")
        };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        for expected in ["reporter", "consent", "title", "category"] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        assert!(fields.iter().all(|f| !f.message.is_empty()));

        let mut bad_phone = lamp_report();
        bad_phone.reporter.phone = Some("1022".into());
        let err = env.service().submit(bad_phone, None).unwrap_err();
        assert!(
            matches!(&err, IntakeError::Invalid(f) if f[0].field == "reporter.phone"),
            "{err:?}"
        );
        assert_eq!(env.count(), 0, "{backend}");
    }
}

#[test]
fn a_retried_request_returns_the_first_ticket_and_a_changed_one_is_refused() {
    for backend in backends() {
        let env = Env::new(backend);
        let service = env.service();
        let key = || {
            Some(IdempotencyRequest {
                scope: "app:anonymous".into(),
                key: "5d6f-retry".into(),
            })
        };
        let first = service.submit(lamp_report(), key()).unwrap();
        assert!(!first.replayed);
        env.clock.advance(chrono::Duration::seconds(20));
        let retry = service.submit(lamp_report(), key()).unwrap();
        assert!(retry.replayed);
        assert_eq!(retry.ticket.code, first.ticket.code);
        assert_eq!(retry.decision, first.decision);
        let mut changed = lamp_report();
        changed.title = "Một tiêu đề khác hẳn".into();
        assert!(matches!(
            service.submit(changed, key()),
            Err(IntakeError::IdempotencyKeyReused)
        ));
        assert_eq!(env.count(), 1, "{backend}");
    }
}

#[test]
fn photos_are_checked_by_content_and_kept_only_with_their_ticket() {
    for backend in backends() {
        let env = Env::new(backend);
        let mut draft = lamp_report();
        draft.photos = vec![Upload {
            file_name: "den.png".into(),
            bytes: PNG.to_vec(),
        }];
        let receipt = env.service().submit(draft, None).unwrap();
        let rows =
            tickets::attachments_of(&mut env.db.db.conn().unwrap(), receipt.ticket.id).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].content_type, "image/png");
        let on_disk = std::fs::read(
            env.files
                .path()
                .join("attachments")
                .join(&rows[0].storage_path),
        )
        .unwrap();
        assert_eq!(on_disk, PNG);

        // A program renamed .png, and a photo over the limit: refused, nothing stored.
        let mut exe = lamp_report();
        exe.photos = vec![Upload {
            file_name: "anh.png".into(),
            bytes: b"MZ\x90\0\x03\0\0\0 program".to_vec(),
        }];
        let err = env.service().submit(exe, None).unwrap_err();
        assert!(
            matches!(&err, IntakeError::Invalid(f) if f[0].field == "photos[0]" && f[0].message.contains("anh.png")),
            "{err:?}"
        );
        let mut big = lamp_report();
        let mut bytes = PNG.to_vec();
        bytes.resize(6 * 1024 * 1024, 0);
        big.photos = vec![Upload {
            file_name: "to.png".into(),
            bytes,
        }];
        assert!(matches!(
            env.service().submit(big, None),
            Err(IntakeError::Invalid(_))
        ));
        assert_eq!(env.count(), 1, "{backend}");
        let dirs = std::fs::read_dir(env.files.path().join("attachments"))
            .unwrap()
            .count();
        assert_eq!(dirs, 1, "no files of refused reports are left behind");
    }
}

#[test]
fn a_transfer_is_an_event_and_restarts_the_new_agencys_clock() {
    for backend in backends() {
        let env = Env::new(backend);
        let service = env.service();
        let receipt = service.submit(lamp_report(), None).unwrap();
        // Monday 23/02/2026 09:00 the IOC sends it to the provincial construction department.
        env.clock.set(vn(2026, 2, 23, 9, 0));
        let ioc = Actor::User { id: Uuid::nil() };
        let moved = service
            .transfer(
                &receipt.ticket.code,
                "SO-XD-TN",
                ioc,
                "Tuyến đường do Sở quản lý",
            )
            .unwrap();
        assert_eq!(moved.agency_code.as_deref(), Some("SO-XD-TN"));
        // Restart: 10 working days from 23/02 → end of 09/03/2026.
        assert_eq!(
            moved.answer_due_at,
            Some(vn(2026, 3, 9, 23, 59) + chrono::Duration::seconds(59))
        );
        let history = service.history(moved.id).unwrap();
        let last = &history.last().unwrap().event;
        assert_eq!(last.kind.code(), "transferred");
        assert_eq!(last.payload["from"], "UBND-TN-P-LONGAN");
        assert_eq!(last.payload["to"], "SO-XD-TN");
        let view = service.public_view(&moved.code).unwrap();
        assert_eq!(view.agency.unwrap().code, "SO-XD-TN", "{backend}");
    }
}

#[test]
fn changing_the_policy_never_changes_deadlines_already_given() {
    for backend in backends() {
        let env = Env::new(backend);
        let before = env.service().submit(lamp_report(), None).unwrap();
        // A new policy: answers within 3 working days.
        let stricter = SLA.replace(
            "answer = { working_days = 10 }",
            "answer = { working_days = 3 }",
        );
        assert_ne!(stricter, SLA);
        let service = env.service_with(&stricter);
        let view = service.public_view(&before.ticket.code).unwrap();
        assert_eq!(
            view.deadlines.answer_due.map(|t| t.with_timezone(&Utc)),
            before.ticket.answer_due_at
        );
        let after = service.submit(lamp_report(), None).unwrap();
        assert!(
            after.ticket.answer_due_at < before.ticket.answer_due_at,
            "{backend}"
        );
    }
}

#[test]
fn the_public_view_never_shows_personal_data() {
    for backend in backends() {
        let env = Env::new(backend);
        let mut draft = lamp_report();
        draft.priority = Some(Priority::Khan);
        let receipt = env.service().submit(draft, None).unwrap();
        let view = env.service().public_view(&receipt.ticket.code).unwrap();
        let json = serde_json::to_string(&view).unwrap();
        for secret in [
            "0912345678",
            "Nguyễn Thị B",
            "nguoi.dan@example.vn",
            "Hùng Vương",
        ] {
            assert!(
                !json.contains(secret),
                "{backend}: {secret} is public: {json}"
            );
        }
        assert_eq!(view.status, "forwarded");
        assert_eq!(view.priority, "khan");
        assert_eq!(view.timeline.len(), 2);
        assert!(json.contains("+07:00"));
    }
}

#[test]
fn category_questions_are_checked_against_the_category() {
    let env = Env::new(tongdai_storage::Backend::Sqlite);
    let mut draft = lamp_report();
    draft.attributes.clear();
    let err = env.service().submit(draft, None).unwrap_err();
    assert!(
        matches!(&err, IntakeError::Invalid(f) if f[0].field == "attributes.tinh-trang"),
        "{err:?}"
    );
    let mut wrong = lamp_report();
    wrong
        .attributes
        .insert("tinh-trang".into(), "bi-trom".into());
    wrong.attributes.insert("mau-sac".into(), "đỏ".into());
    let IntakeError::Invalid(fields) = env.service().submit(wrong, None).unwrap_err() else {
        panic!()
    };
    let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
    assert!(
        names.contains(&"attributes.tinh-trang") && names.contains(&"attributes.mau-sac"),
        "{names:?}"
    );
    assert_eq!(env.count(), 0);
}
