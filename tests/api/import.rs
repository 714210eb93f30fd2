//! `tongdai import` on both backends: an imported history is, kind by kind and payload
//! shape by payload shape, what the live workflow writes for the same story; bad records land
//! in the rejects file with their reasons; a second run and a run resumed after an
//! interruption store every ticket once; absent deadlines follow the SLA version in force at
//! `created_at`, given ones are kept; the real binary imports a CSV.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tongdai_domain::{Channel, EventKind, Priority, Reporter, Role, TrackingCode};
use tongdai_intake::import::Importer;
use tongdai_intake::{ActionInput, CitizenProof, TicketDraft};
use tongdai_routing::{Place, Report};
use tongdai_server::import_cmd::{ImportFormat, ImportOptions, ImportSummary, import_file};
use tongdai_storage::tickets::{self, StoredEvent, Ticket};

use crate::helpers::{TestApp, backends, repo_root, spawn_app, staff, vn};

const WARD: &str = "UBND-TN-P-LONGAN";

fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests/fixtures/import").join(name)
}

fn importer(app: &TestApp) -> Importer {
    Importer::new(app.intake.router(), app.intake.limits().clone())
}

fn options(format: ImportFormat, file: &Path, dir: &Path) -> ImportOptions {
    let mut options = ImportOptions::new(format, file);
    options.rejects = dir.join("rejects.jsonl");
    options
}

fn import(app: &TestApp, options: &ImportOptions) -> ImportSummary {
    import_file(&app.db.db, &importer(app), options, app.clock.as_ref()).unwrap()
}

fn stored(app: &TestApp, code: &str) -> (Ticket, Vec<StoredEvent>) {
    let mut conn = app.db.db.conn().unwrap();
    let ticket = tickets::find_by_code(&mut conn, &TrackingCode::parse(code).unwrap())
        .unwrap()
        .unwrap_or_else(|| panic!("{code} is stored"));
    let events = tickets::events(&mut conn, ticket.id, false).unwrap();
    (ticket, events)
}

fn keys(payload: &Value) -> BTreeSet<String> {
    payload
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn rfc(t: DateTime<Utc>) -> String {
    tongdai_domain::to_local(t).to_rfc3339()
}

fn input(version: i64) -> ActionInput {
    ActionInput {
        version: u64::try_from(version).unwrap(),
        ..ActionInput::default()
    }
}

/// The story of one street lamp, lived through the real workflow at the given instants:
/// filed, accepted, info requested and given, an extension, answered and published,
/// reopened, answered again, rated, closed.
fn live_story(app: &TestApp) -> Ticket {
    let intake = &app.intake;
    let clerk = staff(&[Role::Clerk], Some(WARD));
    let ioc = staff(&[Role::Ioc], None);
    app.clock.set(vn(2026, 3, 2, 8, 0));
    let receipt = intake
        .submit(
            TicketDraft {
                channel: Channel::Phone,
                category: "chieu-sang.den-duong".into(),
                title: "Đèn đường không sáng".into(),
                description: "Ba cột đèn trên đường Hùng Vương không sáng từ tối qua.".into(),
                priority: Some(Priority::BinhThuong),
                place: Place {
                    area_code: Some("TN-P-LONGAN".into()),
                    address: Some("Đường Hùng Vương, phường Long An".into()),
                    lat: None,
                    lon: None,
                },
                reporter: Reporter {
                    name: Some("Nguyễn Thị B".into()),
                    phone: Some("0912 345 678".into()),
                    email: None,
                },
                reporter_subject: None,
                consent: true,
                attributes: [("tinh-trang".to_owned(), "khong-sang".to_owned())].into(),
                photos: Vec::new(),
                submitted_by: None,
                anonymous_client: None,
            },
            None,
        )
        .unwrap();
    let code = receipt.ticket.code.clone();
    let proof = CitizenProof::Token(receipt.citizen_token.clone());
    let version = |app: &TestApp| stored(app, code.as_str()).0.version;
    let staff_act = |who: &tongdai_intake::Staff,
                     at: DateTime<Utc>,
                     action,
                     fill: &dyn Fn(&mut ActionInput)| {
        app.clock.set(at);
        let mut i = input(version(app));
        fill(&mut i);
        intake.act(who, &code, action, i).unwrap();
    };
    let citizen_act = |at: DateTime<Utc>, action, fill: &dyn Fn(&mut ActionInput)| {
        app.clock.set(at);
        let mut i = input(version(app));
        fill(&mut i);
        intake.act_as_citizen(&code, &proof, action, i).unwrap();
    };
    use tongdai_domain::Action as A;
    staff_act(&clerk, vn(2026, 3, 2, 9, 0), A::Accept, &|_| {});
    staff_act(&clerk, vn(2026, 3, 3, 10, 0), A::RequestInfo, &|i| {
        i.text = Some("Đề nghị cho biết số cột đèn".into())
    });
    citizen_act(vn(2026, 3, 5, 14, 0), A::CitizenReply, &|i| {
        i.text = Some("Ba cột trước số 10 đến 14".into())
    });
    staff_act(&clerk, vn(2026, 3, 9, 9, 0), A::ExtensionRequest, &|i| {
        i.reason = Some("Chờ thay bóng".into());
        i.new_deadline = Some(vn(2026, 3, 31, 17, 0));
    });
    staff_act(&ioc, vn(2026, 3, 10, 9, 0), A::ExtensionApprove, &|_| {});
    staff_act(&clerk, vn(2026, 3, 20, 16, 0), A::Answer, &|i| {
        i.text = Some("Đã thay bóng đèn.".into())
    });
    staff_act(&ioc, vn(2026, 3, 20, 16, 0), A::Publish, &|_| {});
    citizen_act(vn(2026, 3, 22, 8, 30), A::Reopen, &|i| {
        i.reason = Some("Đèn lại tắt".into())
    });
    staff_act(&clerk, vn(2026, 3, 25, 10, 0), A::Answer, &|i| {
        i.text = Some("Đã sửa dây điện.".into())
    });
    staff_act(&ioc, vn(2026, 3, 25, 10, 0), A::Publish, &|_| {});
    citizen_act(vn(2026, 3, 26, 11, 0), A::Rate, &|i| i.rating = Some(4));
    staff_act(&ioc, vn(2026, 4, 1, 9, 0), A::Close, &|_| {});
    stored(app, code.as_str()).0
}

#[tokio::test]
async fn an_imported_history_is_what_the_live_workflow_writes_for_the_same_story() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let live = live_story(&app);
        let (_, live_events) = stored(&app, live.code.as_str());

        // The same story in the import format (first line of the fixture).
        let dir = tempfile::tempdir().unwrap();
        let summary = import(
            &app,
            &options(ImportFormat::Jsonl, &fixture("tickets.jsonl"), dir.path()),
        );
        assert_eq!(
            (summary.imported, summary.rejected),
            (4, 0),
            "{backend}: {summary:?}"
        );
        let (imported, events) = stored(&app, "1022-K7Q9-3MPX");

        // The old system's export has no extension request: its approval is one event.
        let live_events: Vec<&StoredEvent> = live_events
            .iter()
            .filter(|e| e.event.kind != EventKind::ExtensionRequested)
            .collect();
        let kinds = |list: &[&StoredEvent]| list.iter().map(|e| e.event.kind).collect::<Vec<_>>();
        let imported_events: Vec<&StoredEvent> = events.iter().collect();
        assert_eq!(kinds(&imported_events), kinds(&live_events), "{backend}");
        for (mine, theirs) in imported_events.iter().zip(&live_events) {
            let (m, t) = (&mine.event, &theirs.event);
            assert_eq!(keys(&m.payload), keys(&t.payload), "{backend}: {}", m.kind);
            assert_eq!(m.visibility, t.visibility, "{backend}: {}", m.kind);
            assert_eq!(m.occurred_at, t.occurred_at, "{backend}: {}", m.kind);
            assert_eq!(
                m.actor,
                tongdai_domain::Actor::System {
                    component: "import".into()
                }
            );
            // Deadlines, agencies, ratings: the same values, not only the same shape.
            if matches!(
                m.kind,
                EventKind::DeadlineSet
                    | EventKind::Routed
                    | EventKind::Accepted
                    | EventKind::Rated
                    | EventKind::Closed
                    | EventKind::ExtensionApproved
                    | EventKind::Reopened
            ) {
                assert_eq!(m.payload, t.payload, "{backend}: {}", m.kind);
            }
            for key in ["agency", "needs_approval", "photos", "attachments", "cause"] {
                assert_eq!(
                    m.payload.get(key),
                    t.payload.get(key),
                    "{backend}: {} {key}",
                    m.kind
                );
            }
            // Personal data stays in the summary row.
            let text = m.payload.to_string();
            assert!(
                !text.contains("0912345678") && !text.contains("Nguyễn Thị B"),
                "{text}"
            );
        }

        // The summary row: the same final state (the live one counted one more action).
        assert_eq!(imported.status, live.status);
        assert_eq!(imported.agency_code, live.agency_code);
        assert_eq!(imported.forward_due_at, live.forward_due_at);
        assert_eq!(imported.accept_due_at, live.accept_due_at);
        assert_eq!(imported.answer_due_at, live.answer_due_at);
        assert_eq!(imported.answer_paused_at, live.answer_paused_at);
        assert_eq!(
            imported.pending_extension_until,
            live.pending_extension_until
        );
        assert_eq!(imported.published_at, live.published_at);
        assert_eq!(imported.closed_at, live.closed_at);
        assert_eq!(imported.updated_at, live.updated_at);
        assert_eq!(imported.version, live.version - 1);
        assert_eq!(imported.reporter, live.reporter);
        assert_eq!(imported.routing_decision, live.routing_decision);

        // Every import kind was replayed somewhere in the fixture.
        let mut seen = BTreeSet::new();
        for code in ["1022-K7Q9-3MPX", "1022-4679-ACDE", "1022-7CFH-JKMN"] {
            seen.extend(
                stored(&app, code)
                    .1
                    .into_iter()
                    .map(|e| e.event.kind.code()),
            );
        }
        for kind in [
            EventKind::Forwarded,
            EventKind::Transferred,
            EventKind::Accepted,
            EventKind::Returned,
            EventKind::Rejected,
            EventKind::InfoRequested,
            EventKind::CitizenReplied,
            EventKind::ExtensionApproved,
            EventKind::AnswerSubmitted,
            EventKind::Published,
            EventKind::Closed,
            EventKind::Reopened,
            EventKind::Rated,
            EventKind::SentToTriage,
        ] {
            assert!(seen.contains(kind.code()), "{backend}: {kind} missing");
        }
        // A triage ticket forwarded, transferred, returned, forwarded again: deadline causes
        // in order, the return binding the triage agency.
        let (triaged, events) = stored(&app, "1022-4679-ACDE");
        let causes: Vec<(String, String)> = events
            .iter()
            .filter(|e| e.event.kind == EventKind::DeadlineSet)
            .map(|e| {
                (
                    e.event.payload["cause"].as_str().unwrap().to_owned(),
                    e.event.payload["agency"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let pairs: Vec<(&str, &str)> = causes
            .iter()
            .map(|(c, a)| (c.as_str(), a.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("routed", "IOC"),
                ("forward", "SO-XD-TN"),
                ("transfer", WARD),
                ("return", "IOC"),
                ("forward", "SO-XD-TN"),
            ]
        );
        // The old system's deadline of the second forward is kept.
        assert_eq!(triaged.answer_due_at, Some(vn(2026, 4, 30, 17, 0)));
        let returned = events
            .iter()
            .find(|e| e.event.kind == EventKind::Returned)
            .unwrap();
        assert_eq!(
            returned.event.payload,
            json!({"agency": WARD, "reason": "Không thuộc địa bàn"})
        );
    }
}

#[tokio::test]
async fn bad_records_land_in_the_rejects_file_with_their_line_and_reasons() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let dir = tempfile::tempdir().unwrap();
        // The fixture's bad lines, then a line over 1 MiB, then a good one.
        let file = dir.path().join("bad.jsonl");
        let mut text = std::fs::read_to_string(fixture("bad.jsonl")).unwrap();
        text.push_str(&format!(
            "{{\"code\":\"{}\"}}\n",
            "x".repeat(1024 * 1024 + 10)
        ));
        text.push_str(
            std::fs::read_to_string(fixture("tickets.jsonl"))
                .unwrap()
                .lines()
                .next()
                .unwrap(),
        );
        text.push('\n');
        std::fs::write(&file, text).unwrap();
        let options = options(ImportFormat::Jsonl, &file, dir.path());
        let summary = import(&app, &options);
        assert_eq!(
            (
                summary.read,
                summary.imported,
                summary.rejected,
                summary.skipped
            ),
            (10, 2, 8, 0),
            "{backend}: {summary:?}"
        );
        let rejects: Vec<Value> = std::fs::read_to_string(&options.rejects)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let lines: Vec<i64> = rejects
            .iter()
            .map(|r| r["line"].as_i64().unwrap())
            .collect();
        assert_eq!(lines, [1, 2, 3, 4, 5, 6, 7, 9], "{backend}");
        for reject in &rejects {
            let reasons = reject["reasons"].as_array().unwrap();
            assert!(!reasons.is_empty());
            for r in reasons {
                assert!(
                    !r["vi"].as_str().unwrap().is_empty() && !r["en"].as_str().unwrap().is_empty()
                );
            }
        }
        let en = |i: usize| rejects[i]["reasons"].to_string();
        assert!(en(0).contains("unknown category"), "{}", en(0));
        assert!(en(1).contains("not valid JSON"), "{}", en(1));
        assert!(en(2).contains("time order"), "{}", en(2));
        assert!(en(3).contains("close is not possible"), "{}", en(3));
        assert!(
            en(4).contains("unknown channel") && en(4).contains("title"),
            "{}",
            en(4)
        );
        assert!(en(5).contains("rating"), "{}", en(5));
        assert!(en(6).contains("unknown event kind"), "{}", en(6));
        assert!(en(7).contains("longer than 1 MiB"), "{}", en(7));
        assert_eq!(rejects[0]["code"], "1022-MNPQ-RTWX");
        // Nothing of a rejected record was stored.
        let mut conn = app.db.db.conn().unwrap();
        assert_eq!(tickets::count_tickets(&mut conn).unwrap(), 2);
    }
}

#[tokio::test]
async fn a_second_run_and_a_resumed_run_store_every_ticket_once() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("many.jsonl");
        {
            let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
            let spec = tongdai_server::import_synth::SyntheticSpec::two_years(57);
            tongdai_server::import_synth::write_synthetic_jsonl(
                &app.intake.router(),
                &spec,
                &mut out,
            )
            .unwrap();
        }
        // A bad line in the middle, to check the rejects survive the resume once.
        let mut text = std::fs::read_to_string(&file).unwrap();
        let cut = text.match_indices('\n').nth(29).unwrap().0 + 1;
        text.insert_str(cut, "not json\n");
        std::fs::write(&file, text).unwrap();

        let mut first = options(ImportFormat::Jsonl, &file, dir.path());
        first.batch_size = 10;
        first.stop_after_batches = Some(2);
        let cut_short = import(&app, &first);
        assert!(!cut_short.finished);
        assert_eq!(cut_short.imported, 20, "{backend}: {cut_short:?}");
        // The crash happened after the rejects of the next batch were written.
        std::fs::write(
            &first.rejects,
            format!(
                "{}{}\n",
                std::fs::read_to_string(&first.rejects).unwrap(),
                json!({"record": 25, "line": 25, "code": null, "reasons": []})
            ),
        )
        .unwrap();

        let mut again = first.clone();
        again.stop_after_batches = None;
        let resumed = import(&app, &again);
        assert_eq!(resumed.resumed_after, Some(20), "{backend}: {resumed:?}");
        assert!(resumed.finished);
        assert_eq!(
            (
                cut_short.imported + resumed.imported,
                resumed.rejected,
                resumed.skipped
            ),
            (57, 1, 0),
            "{backend}: {resumed:?}"
        );
        let rejects = std::fs::read_to_string(&again.rejects).unwrap();
        assert_eq!(rejects.lines().count(), 1, "{rejects}");
        assert!(rejects.contains("\"line\":31"), "{rejects}");

        // A third run of the finished file: a new run, every ticket already there.
        let third = import(&app, &again);
        assert_eq!(third.resumed_after, None);
        assert_eq!(
            (third.imported, third.skipped, third.rejected),
            (0, 57, 1),
            "{backend}"
        );

        let mut conn = app.db.db.conn().unwrap();
        assert_eq!(tickets::count_tickets(&mut conn).unwrap(), 57);
        // No event twice: every history is numbered 1..n and starts with one `created`.
        for ticket in tickets::search_tickets(
            &mut conn,
            &tickets::TicketFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .unwrap()
        {
            let events = tickets::events(&mut conn, ticket.id, false).unwrap();
            let created = events
                .iter()
                .filter(|e| e.event.kind == EventKind::Created)
                .count();
            assert_eq!(created, 1, "{}", ticket.code);
            let seqs: Vec<i32> = events.iter().map(|e| e.seq).collect();
            assert_eq!(
                seqs,
                (1..=i32::try_from(events.len()).unwrap()).collect::<Vec<_>>()
            );
            assert_eq!(ticket.updated_at, events.last().unwrap().event.occurred_at);
        }
        let run = tongdai_storage::import::find_run(&mut conn, &resumed.run_id)
            .unwrap()
            .unwrap();
        assert_eq!((run.imported, run.rejected, run.skipped), (57, 1, 0));
        assert!(run.finished_at.is_some());
    }
}

/// On PostgreSQL two writers store batches at once; a code in two batches in flight would
/// make their open transactions wait on each other. Every record here comes twice, one
/// batch apart.
#[tokio::test]
async fn a_code_twice_in_neighbouring_batches_is_stored_once_by_concurrent_writers() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("twice.jsonl");
        let mut once = Vec::new();
        let spec = tongdai_server::import_synth::SyntheticSpec::two_years(12);
        tongdai_server::import_synth::write_synthetic_jsonl(&app.intake.router(), &spec, &mut once)
            .unwrap();
        let mut text = String::new();
        for line in String::from_utf8(once).unwrap().lines() {
            text.push_str(line);
            text.push('\n');
            text.push_str(line);
            text.push('\n');
        }
        std::fs::write(&file, text).unwrap();
        let mut opts = options(ImportFormat::Jsonl, &file, dir.path());
        opts.batch_size = 1;
        let summary = import(&app, &opts);
        assert!(summary.finished, "{backend}: {summary:?}");
        assert_eq!(
            (
                summary.read,
                summary.imported,
                summary.skipped,
                summary.rejected
            ),
            (24, 12, 12, 0),
            "{backend}: {summary:?}"
        );
        let mut conn = app.db.db.conn().unwrap();
        assert_eq!(tickets::count_tickets(&mut conn).unwrap(), 12, "{backend}");
        let run = tongdai_storage::import::find_run(&mut conn, &summary.run_id)
            .unwrap()
            .unwrap();
        assert_eq!((run.lines_done, run.imported), (24, 12), "{backend}");
    }
}

#[tokio::test]
async fn absent_deadlines_follow_the_policy_in_force_at_created_at_and_given_ones_are_kept() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("dates.jsonl");
        let record = |code: &str, at: &str, deadlines: Option<Value>| {
            json!({
                "code": code, "channel": "web", "category": "hanh-chinh-cong",
                "area_code": "TN-P-LONGAN",
                "title": "Hồ sơ trễ hẹn", "description": "Hồ sơ đăng ký hộ kinh doanh trễ hẹn.",
                "created_at": at, "deadlines": deadlines,
            })
            .to_string()
        };
        std::fs::write(
            &file,
            [
                record("1022-AAAA-CCCC", "2025-12-01T09:00:00+07:00", None),
                record("1022-AAAA-DDDD", "2026-02-02T09:00:00+07:00", None),
                record(
                    "1022-AAAA-EEEE",
                    "2026-02-02T09:00:00+07:00",
                    Some(json!({"answer": "2026-02-27T17:00:00+07:00", "accept": "2026-02-02T11:00:00+07:00"})),
                ),
            ]
            .join("\n"),
        )
        .unwrap();
        let summary = import(&app, &options(ImportFormat::Jsonl, &file, dir.path()));
        assert_eq!(
            (summary.imported, summary.rejected),
            (3, 0),
            "{backend}: {summary:?}"
        );
        for (code, version) in [
            ("1022-AAAA-CCCC", "long-an-2024"),
            ("1022-AAAA-DDDD", "tay-ninh-2026"),
        ] {
            let (ticket, events) = stored(&app, code);
            let decision = app
                .intake
                .router()
                .route(&Report {
                    category: "hanh-chinh-cong".into(),
                    place: Place {
                        area_code: ticket.area_code.clone(),
                        ..Place::default()
                    },
                    priority: Priority::BinhThuong,
                    filed_at: ticket.created_at,
                })
                .unwrap();
            assert_eq!(decision.sla.version, version);
            assert_eq!(
                ticket.answer_due_at,
                Some(decision.deadlines.answer_due.with_timezone(&Utc))
            );
            assert_eq!(
                ticket.accept_due_at,
                Some(decision.deadlines.accept_due.with_timezone(&Utc))
            );
            let routed = events
                .iter()
                .find(|e| e.event.kind == EventKind::Routed)
                .unwrap();
            assert_eq!(routed.event.payload["sla_version"], version, "{backend}");
        }
        let (given, events) = stored(&app, "1022-AAAA-EEEE");
        assert_eq!(given.answer_due_at, Some(vn(2026, 2, 27, 17, 0)));
        assert_eq!(given.accept_due_at, Some(vn(2026, 2, 2, 11, 0)));
        let set = events
            .iter()
            .find(|e| e.event.kind == EventKind::DeadlineSet)
            .unwrap();
        assert_eq!(set.event.payload["answer_due"], rfc(vn(2026, 2, 27, 17, 0)));
        assert_eq!(set.event.payload["accept_due"], rfc(vn(2026, 2, 2, 11, 0)));
        // The legacy code of the fixture got a derived code and is kept as an attribute.
        let _ = import(
            &app,
            &options(ImportFormat::Jsonl, &fixture("tickets.jsonl"), dir.path()),
        );
        let derived = tongdai_intake::import::derived_code("LA-2025-000123");
        let (legacy, _) = stored(&app, derived.as_str());
        assert_eq!(
            legacy.attributes.get("legacy_code").map(String::as_str),
            Some("LA-2025-000123")
        );
        assert_eq!(legacy.answer_due_at, Some(vn(2025, 3, 20, 17, 0)));
    }
}

#[tokio::test]
async fn the_binary_imports_a_csv_and_prints_the_summary() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let rejects = dir.path().join("csv.rejected.jsonl");
        let run = || {
            crate::helpers::tongdai_command(dir.path(), &app.db.url)
                .env("TONGDAI_LOG__FILTER", "warn")
                .args(["import", "--format", "csv", "--quiet", "--rejects"])
                .arg(&rejects)
                .arg(fixture("tickets.csv"))
                .output()
                .unwrap()
        };
        let out = run();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{backend}: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("read 3, imported 2, skipped 0 (already imported), rejected 1"),
            "{stdout}"
        );
        assert!(stdout.contains("tickets/s"), "{stdout}");
        let rejected = std::fs::read_to_string(&rejects).unwrap();
        assert!(
            rejected.contains("\"line\":4") && rejected.contains("RFC 3339"),
            "{rejected}"
        );
        let (ticket, events) = stored(&app, "1022-9ACD-EFGH");
        assert_eq!(ticket.reporter.phone.as_deref(), Some("0912345679"));
        let kinds: Vec<EventKind> = events.iter().map(|e| e.event.kind).collect();
        assert_eq!(
            kinds,
            [
                EventKind::Created,
                EventKind::Routed,
                EventKind::DeadlineSet
            ]
        );
        let (given, _) = stored(&app, "1022-9ACD-EFGJ");
        assert_eq!(given.answer_due_at, Some(vn(2025, 6, 20, 17, 0)));

        let again = run();
        let stdout = String::from_utf8_lossy(&again.stdout);
        assert!(
            stdout.contains("imported 0, skipped 2 (already imported), rejected 1"),
            "{stdout}"
        );
    }
}
