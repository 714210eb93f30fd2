//! The intake service on a real database (SQLite, and PostgreSQL when configured).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use tongdai_calendar::{CalendarSettings, SlaPolicy, WorkingCalendar};
use tongdai_domain::{
    Channel, FixedClock, Jurisdiction, JurisdictionFiles, Priority, Reporter, TicketStatus,
};
use tongdai_intake::{
    IdempotencyRequest, IntakeError, IntakeLimits, IntakeService, IntakeSettings, TicketDraft,
    Upload, UploadCredential,
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
            include_str!("../../../config/calendar/2027.toml"),
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
        self.service_limited(sla, IntakeLimits::default())
    }

    fn service_limited(&self, sla: &str, limits: IntakeLimits) -> IntakeService {
        IntakeService::new(
            self.db.db.clone(),
            Arc::new(tongdai_routing::RouterCell::new(router(sla), 0)),
            self.clock.clone(),
            IntakeSettings {
                limits,
                attachments: tongdai_storage::objects::AttachmentStore::local(
                    &self.files.path().join("attachments"),
                )
                .unwrap(),
                public_base_url: "https://1022.example.vn".into(),
                upload_key: b"0123456789abcdef0123456789abcdef".to_vec(),
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
        anonymous_client: None,
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
        assert_eq!(
            kinds,
            vec!["created", "routed", "deadline_set"],
            "{backend}"
        );
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
        let ioc = tongdai_intake::Staff {
            caller: tongdai_domain::Caller::staff(
                Uuid::nil(),
                vec![tongdai_domain::Role::Ioc],
                None,
            ),
            scope: tongdai_storage::work::Scope::All,
            display_name: "IOC".into(),
        };
        let moved = service
            .act(
                &ioc,
                &receipt.ticket.code,
                tongdai_domain::Action::Transfer,
                tongdai_intake::ActionInput {
                    version: 1,
                    agency: Some("SO-XD-TN".into()),
                    reason: Some("Tuyến đường do Sở quản lý".into()),
                    ..Default::default()
                },
            )
            .unwrap()
            .ticket;
        assert_eq!(moved.version, 2);
        assert_eq!(moved.agency_code.as_deref(), Some("SO-XD-TN"));
        // Restart: 10 working days from 23/02 → end of 09/03/2026.
        assert_eq!(
            moved.answer_due_at,
            Some(vn(2026, 3, 9, 23, 59) + chrono::Duration::seconds(59))
        );
        let history = service.history(moved.id).unwrap();
        let last = &history[history.len() - 2].event;
        assert_eq!(last.kind.code(), "transferred");
        let deadline = &history.last().unwrap().event;
        assert_eq!(deadline.kind.code(), "deadline_set");
        assert_eq!(deadline.payload["agency"], "SO-XD-TN");
        assert_eq!(deadline.payload["cause"], "transfer");
        assert_eq!(deadline.payload["clock"], "restart");
        assert_eq!(deadline.payload["answer_due"], "2026-03-09T23:59:59+07:00");
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

fn png(name: &str) -> Upload {
    Upload {
        file_name: name.into(),
        bytes: PNG.to_vec(),
    }
}

#[test]
fn control_and_invisible_characters_never_reach_the_database() {
    for backend in backends() {
        let env = Env::new(backend);
        let mut draft = lamp_report();
        draft.title = "Đèn\u{0}đường \u{202E}không sáng\u{200B}".into();
        draft.description = "Dòng 1\u{0}\r\nDòng 2\u{1b}[31m\tcòn lại".into();
        draft.place.address = Some("Hùng\u{0}Vương".into());
        draft.reporter.name = Some("Nguyễn\u{0} Thị\u{2066} B".into());
        draft
            .attributes
            .insert("tinh-trang".into(), "khong-sang\u{0}".into());
        let receipt = env.service().submit(draft, None).unwrap();
        let stored = tickets::find_by_id(&mut env.db.db.conn().unwrap(), receipt.ticket.id)
            .unwrap()
            .unwrap();
        assert_eq!(stored.title, "Đèn đường không sáng", "{backend}");
        assert_eq!(stored.description, "Dòng 1\nDòng 2 [31m còn lại");
        assert_eq!(stored.address.as_deref(), Some("Hùng Vương"));
        assert_eq!(stored.reporter.name.as_deref(), Some("Nguyễn Thị B"));

        // A title of invisible characters only is an empty title: a field error.
        let mut blank = lamp_report();
        blank.title = "\u{200B}\u{200D}\u{3164}\u{0} \u{FEFF}".into();
        let err = env.service().submit(blank, None).unwrap_err();
        assert!(
            matches!(&err, IntakeError::Invalid(f) if f.iter().any(|e| e.field == "title" && e.message == "Vui lòng nhập tiêu đề.")),
            "{err:?}"
        );
    }
}

#[test]
fn anonymous_filers_share_one_limit_and_refused_reports_take_nothing() {
    for backend in backends() {
        let env = Env::new(backend);
        let limits = IntakeLimits {
            anonymous_per_minute: 6,
            anonymous_burst: 2,
            ..IntakeLimits::default()
        };
        let service = env.service_limited(SLA, limits);
        let from = |ip: &str| {
            let mut d = lamp_report();
            d.anonymous_client = Some(ip.parse().unwrap());
            d
        };
        let mut invalid = from("203.0.113.7");
        invalid.consent = false;
        for _ in 0..5 {
            assert!(matches!(
                service.submit(invalid.clone(), None),
                Err(IntakeError::Invalid(_))
            ));
        }
        service.submit(from("203.0.113.7"), None).unwrap();
        service.submit(from("203.0.113.7"), None).unwrap();
        let err = service.submit(from("203.0.113.7"), None).unwrap_err();
        assert!(
            matches!(
                err,
                IntakeError::RateLimited {
                    retry_after_secs: 10
                }
            ),
            "{err:?}"
        );
        // Another address, and identified filers, are not affected.
        service.submit(from("198.51.100.1"), None).unwrap();
        service.submit(lamp_report(), None).unwrap();
        // Ten seconds later one more ticket is allowed.
        env.clock.advance(chrono::Duration::seconds(10));
        service.submit(from("203.0.113.7"), None).unwrap();
        assert_eq!(env.count(), 5, "{backend}");
    }
}

#[test]
fn only_the_filer_adds_photos_and_each_addition_is_an_event() {
    for backend in backends() {
        let env = Env::new(backend);
        let service = env.service();
        let receipt = service.submit(lamp_report(), None).unwrap();
        let code = receipt.ticket.code.clone();
        assert_eq!(receipt.upload_token.len(), 32);
        assert_eq!(
            receipt.upload_token,
            service.upload_token(receipt.ticket.id)
        );

        for stranger in [
            UploadCredential::Nobody,
            UploadCredential::Token("00000000000000000000000000000000".into()),
            UploadCredential::Token("not hex".into()),
            UploadCredential::Citizen("someone".into()),
        ] {
            let err = service
                .add_photos(&code, vec![png("a.png")], &stranger)
                .unwrap_err();
            assert!(matches!(err, IntakeError::Forbidden(_)), "{stranger:?}");
        }

        env.clock.advance(chrono::Duration::minutes(5));
        let token = UploadCredential::Token(receipt.upload_token.clone());
        let rows = service
            .add_photos(&code, vec![png("a.png"), png("b.png")], &token)
            .unwrap();
        assert_eq!(rows.len(), 2);
        let mut conn = env.db.db.conn().unwrap();
        let ticket = tickets::find_by_id(&mut conn, receipt.ticket.id)
            .unwrap()
            .unwrap();
        assert_eq!(
            ticket.updated_at,
            receipt.ticket.created_at + chrono::Duration::minutes(5),
            "adding photos changes the ticket"
        );
        assert_eq!(
            ticket.version,
            receipt.ticket.version + 1,
            "one addition, one version"
        );
        let events = service.history(receipt.ticket.id).unwrap();
        let last = events.last().unwrap();
        assert_eq!(last.event.kind.code(), "photos_added");
        assert_eq!(last.event.payload["count"], 2);

        // The total stays within max_photos (5): 2 + 4 is refused, nothing stored.
        let four = (0..4).map(|i| png(&format!("{i}.png"))).collect();
        let err = service.add_photos(&code, four, &token).unwrap_err();
        assert!(matches!(err, IntakeError::Invalid(_)), "{err:?}");
        assert_eq!(
            tickets::attachments_of(&mut conn, receipt.ticket.id)
                .unwrap()
                .len(),
            2,
            "{backend}"
        );

        // A ticket filed with a citizen token accepts that citizen's token too.
        let mut own = lamp_report();
        own.reporter_subject = Some("citizen-7".into());
        let mine = service.submit(own, None).unwrap();
        service
            .add_photos(
                &mine.ticket.code,
                vec![png("c.png")],
                &UploadCredential::Citizen("citizen-7".into()),
            )
            .unwrap();
    }
}

#[test]
fn concurrent_uploads_never_pass_the_photo_limit_together() {
    for backend in backends() {
        let env = Env::new(backend);
        let service = env.service();
        let receipt = service.submit(lamp_report(), None).unwrap();
        let token = UploadCredential::Token(receipt.upload_token.clone());
        // 4 uploads of 2 photos each race for 5 slots: at most two of them can win.
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let service = service.clone();
                let code = receipt.ticket.code.clone();
                let token = token.clone();
                std::thread::spawn(move || {
                    service.add_photos(&code, vec![png("a.png"), png("b.png")], &token)
                })
            })
            .collect();
        let outcomes: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let stored = tickets::attachments_of(&mut env.db.db.conn().unwrap(), receipt.ticket.id)
            .unwrap()
            .len();
        assert!(stored <= 5, "{backend}: {stored} photos stored");
        let won = outcomes.iter().filter(|o| o.is_ok()).count();
        assert_eq!(stored, won * 2, "{backend}: {outcomes:?}");
        assert!(won >= 1, "{backend}: {outcomes:?}");
        // Every photo on disk has its row: refused uploads left no file behind.
        let dir = env
            .files
            .path()
            .join("attachments")
            .join(receipt.ticket.id.to_string());
        let files = std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
        assert_eq!(files, stored, "{backend}");
    }
}

#[test]
fn orphan_photos_older_than_the_grace_period_are_swept() {
    for backend in backends() {
        let env = Env::new(backend);
        let service = env.service();
        let mut draft = lamp_report();
        draft.photos = vec![png("den.png")];
        let receipt = service.submit(draft, None).unwrap();
        let root = env.files.path().join("attachments");
        let ticket_dir = root.join(receipt.ticket.id.to_string());
        // A crash between writing and committing leaves files nobody knows.
        let crashed = root.join(Uuid::now_v7().to_string());
        std::fs::create_dir_all(&crashed).unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 3600);
        for (dir, name, when) in [
            (&crashed, "x.png", Some(old)),
            (&crashed, "y.part", Some(old)),
            (&ticket_dir, "stray.png", Some(old)),
            (&ticket_dir, "in-progress.png", None),
        ] {
            let path = dir.join(name);
            std::fs::write(&path, PNG).unwrap();
            if let Some(when) = when {
                std::fs::File::options()
                    .write(true)
                    .open(&path)
                    .unwrap()
                    .set_modified(when)
                    .unwrap();
            }
        }
        // The stored photo is old too, but it has its row.
        let rows =
            tickets::attachments_of(&mut env.db.db.conn().unwrap(), receipt.ticket.id).unwrap();
        let kept = root.join(&rows[0].storage_path);
        std::fs::File::options()
            .write(true)
            .open(&kept)
            .unwrap()
            .set_modified(old)
            .unwrap();

        assert_eq!(service.sweep_orphan_photos().unwrap(), 3, "{backend}");
        assert!(!crashed.exists(), "an emptied folder goes too");
        assert!(kept.exists());
        assert!(
            ticket_dir.join("in-progress.png").exists(),
            "younger than the grace"
        );
        assert!(!ticket_dir.join("stray.png").exists());
    }
}

#[test]
fn idempotency_keys_expire_after_the_retention() {
    for backend in backends() {
        let env = Env::new(backend);
        let service = env.service();
        let key = || {
            Some(IdempotencyRequest {
                scope: "app:anonymous:203.0.113.7".into(),
                key: "k-1".into(),
            })
        };
        let first = service.submit(lamp_report(), key()).unwrap();
        env.clock.advance(chrono::Duration::hours(23));
        assert_eq!(service.sweep_idempotency_keys().unwrap(), 0);
        assert!(service.submit(lamp_report(), key()).unwrap().replayed);
        env.clock.advance(chrono::Duration::hours(2));
        assert_eq!(service.sweep_idempotency_keys().unwrap(), 1, "{backend}");
        let again = service.submit(lamp_report(), key()).unwrap();
        assert!(!again.replayed);
        assert_ne!(again.ticket.code, first.ticket.code);
    }
}
