//! The SLA policy shipped in `config/jurisdiction/sla.toml`.

use std::str::FromStr;

use tongdai_calendar::{Priority, SlaError, SlaPolicy, Span, TransferClock};

use crate::common::{SLA, at, cal, date, due};

fn policy() -> SlaPolicy {
    SlaPolicy::from_toml_str(SLA).unwrap()
}

#[test]
fn default_normal_targets() {
    let t = policy()
        .targets(date("2025-06-02"), &["giao-thong"], Priority::BinhThuong)
        .unwrap();
    assert_eq!(t.version, "long-an-2024");
    assert_eq!(t.forward, Span::Minutes(5));
    assert_eq!(t.accept, Span::working_hours(8));
    assert_eq!(t.answer, Span::WorkingDays(10));
    assert_eq!(t.transfer_clock, TransferClock::Restart);
    assert_eq!(t.matched_category, None);
}

#[test]
fn default_urgent_and_complex_targets() {
    let p = policy();
    let k = p.targets(date("2026-03-02"), &[], Priority::Khan).unwrap();
    assert_eq!(
        (k.forward, k.accept, k.answer),
        (
            Span::Minutes(5),
            Span::working_hours(2),
            Span::working_hours(4)
        )
    );
    let c = p
        .targets(date("2026-03-02"), &[], Priority::PhucTap)
        .unwrap();
    assert_eq!(c.answer, Span::WorkingDays(15));
}

#[test]
fn category_override_replaces_only_its_step() {
    let t = policy()
        .targets(
            date("2026-03-02"),
            &["hanh-chinh-cong"],
            Priority::BinhThuong,
        )
        .unwrap();
    assert_eq!(t.answer, Span::WorkingDays(5));
    assert_eq!(t.accept, Span::working_hours(8));
    assert_eq!(t.matched_category.as_deref(), Some("hanh-chinh-cong"));
    // The override is for bình thường only.
    let k = policy()
        .targets(date("2026-03-02"), &["hanh-chinh-cong"], Priority::Khan)
        .unwrap();
    assert_eq!(k.answer, Span::working_hours(4));
    assert_eq!(k.matched_category, None);
}

#[test]
fn version_is_chosen_by_filing_date() {
    let p = policy();
    let v = |d| {
        p.targets(date(d), &[], Priority::BinhThuong)
            .map(|t| t.version)
    };
    assert_eq!(v("2024-12-01").unwrap(), "long-an-2024");
    assert_eq!(v("2026-01-14").unwrap(), "long-an-2024");
    assert_eq!(v("2026-01-15").unwrap(), "tay-ninh-2026");
    assert_eq!(v("2030-01-01").unwrap(), "tay-ninh-2026");
    assert_eq!(
        v("2024-11-30"),
        Err(SlaError::NoVersion(date("2024-11-30")))
    );
    assert!(
        p.version_at(date("2026-01-15"))
            .unwrap()
            .basis
            .contains("QĐ 63/2025")
    );
}

const SUB: &str = r#"
[[version]]
version = "v1"
valid_from = 2025-01-01
basis = "test"
transfer_clock = "continue"
[version.default.khan]
forward = { minutes = 5 }
accept = { working_hours = 2 }
answer = { working_hours = 4 }
[version.default.phuc-tap]
forward = { minutes = 5 }
accept = { working_hours = 8 }
answer = { working_days = 15 }
[version.default.binh-thuong]
forward = { minutes = 5 }
accept = { working_hours = 8 }
answer = { working_days = 10 }
[version.category."chieu-sang".binh-thuong]
accept = { working_hours = 4 }
answer = { working_days = 3 }
[version.category."chieu-sang.den-duong".binh-thuong]
answer = { working_minutes = 90 }
"#;

#[test]
fn most_specific_sub_category_wins_step_by_step() {
    let p = SlaPolicy::from_toml_str(SUB).unwrap();
    let t = p
        .targets(
            date("2025-06-02"),
            &["chieu-sang.den-duong", "chieu-sang"],
            Priority::BinhThuong,
        )
        .unwrap();
    assert_eq!(t.answer, Span::WorkingMinutes(90));
    assert_eq!(
        t.accept,
        Span::working_hours(4),
        "inherited from the parent category"
    );
    assert_eq!(t.forward, Span::Minutes(5));
    assert_eq!(t.matched_category.as_deref(), Some("chieu-sang.den-duong"));
    assert_eq!(t.transfer_clock, TransferClock::Continue);
    let parent = p
        .targets(date("2025-06-02"), &["chieu-sang"], Priority::BinhThuong)
        .unwrap();
    assert_eq!(parent.answer, Span::WorkingDays(3));
}

#[test]
fn missing_priority_is_rejected() {
    let text = SUB.replace("[version.default.khan]", "[version.default.unused]");
    // An unknown priority key is a schema error…
    assert!(matches!(
        SlaPolicy::from_toml_str(&text),
        Err(SlaError::Toml(_))
    ));
    // …and a missing one is named.
    let start = SUB.find("[version.default.khan]").unwrap();
    let end = SUB.find("[version.default.phuc-tap]").unwrap();
    let text = format!("{}{}", &SUB[..start], &SUB[end..]);
    assert_eq!(
        SlaPolicy::from_toml_str(&text),
        Err(SlaError::MissingPriority {
            version: "v1".into(),
            priority: "khan"
        })
    );
}

#[test]
fn overlapping_versions_are_rejected() {
    let second = SUB
        .replace("\"v1\"", "\"v2\"")
        .replace("2025-01-01", "2025-06-01");
    let err = SlaPolicy::from_toml_str(&format!("{SUB}\n{second}")).unwrap_err();
    assert!(
        matches!(&err, SlaError::Overlap { version, other, .. } if version == "v2" && other == "v1"),
        "{err:?}"
    );
    assert!(err.to_string().contains("valid_to = 2025-05-31"), "{err}");

    let bounded = SUB.replace(
        "valid_from = 2025-01-01",
        "valid_from = 2025-01-01\nvalid_to = 2025-06-01",
    );
    assert!(matches!(
        SlaPolicy::from_toml_str(&format!("{bounded}\n{second}")),
        Err(SlaError::Overlap { .. })
    ));
    let fine = SUB.replace(
        "valid_from = 2025-01-01",
        "valid_from = 2025-01-01\nvalid_to = 2025-05-31",
    );
    assert!(SlaPolicy::from_toml_str(&format!("{fine}\n{second}")).is_ok());
}

#[test]
fn unknown_units_and_keys_are_rejected_with_their_name() {
    let err = SlaPolicy::from_toml_str(&SUB.replace("{ working_days = 15 }", "{ days = 15 }"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field `days`"), "{err}");
    assert!(
        err.contains("[version.default.phuc-tap] of version \"v1\""),
        "{err}"
    );
    let err = SlaPolicy::from_toml_str(&SUB.replace(
        "transfer_clock = \"continue\"",
        "transfer_clock = \"pause\"",
    ))
    .unwrap_err();
    assert!(matches!(err, SlaError::Toml(_)));
    let err =
        SlaPolicy::from_toml_str(&SUB.replace("basis = \"test\"", "basis = \"test\"\nnote = 1"));
    assert!(matches!(err, Err(SlaError::Toml(m)) if m.contains("note")));
}

#[test]
fn empty_policy_and_reversed_dates_are_rejected() {
    assert_eq!(SlaPolicy::from_toml_str(""), Err(SlaError::Empty));
    let text = SUB.replace(
        "valid_from = 2025-01-01",
        "valid_from = 2025-01-01\nvalid_to = 2024-12-31",
    );
    assert!(matches!(
        SlaPolicy::from_toml_str(&text),
        Err(SlaError::RangeReversed { .. })
    ));
}

#[test]
fn priority_codes_round_trip() {
    for p in Priority::ALL {
        assert_eq!(Priority::from_str(p.code()).unwrap(), p);
        assert_eq!(p.to_string(), p.code());
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, format!("\"{}\"", p.code()));
        assert_eq!(serde_json::from_str::<Priority>(&json).unwrap(), p);
    }
    assert_eq!(Priority::Khan.label_vi(), "Khẩn");
    assert_eq!(Priority::PhucTap.label_vi(), "Phức tạp");
    assert_eq!(Priority::BinhThuong.label_vi(), "Bình thường");
    assert_eq!(
        "khẩn".parse::<Priority>(),
        Err(SlaError::UnknownPriority("khẩn".into()))
    );
}

#[test]
fn urgent_ticket_filed_friday_evening_end_to_end() {
    let filed = "2026-03-06T16:30:00+07:00";
    let t = policy()
        .targets(
            cal().local_date(at(filed)),
            &["trat-tu-do-thi"],
            Priority::Khan,
        )
        .unwrap();
    assert_eq!(due(filed, t.forward), "2026-03-06T16:35:00+07:00");
    assert_eq!(due(filed, t.accept), "2026-03-09T09:00:00+07:00");
    assert_eq!(due(filed, t.answer), "2026-03-09T11:00:00+07:00");
}
