//! Which rule wins, ties rejected at load, the structure before and after 1/7/2025.

use tongdai_calendar::{CalendarSettings, SlaPolicy, WorkingCalendar};
use tongdai_domain::{Jurisdiction, JurisdictionFiles};
use tongdai_routing::{Outcome, Router, RoutingError, TriageReason};

use crate::common::*;

#[test]
fn before_1_7_2025_the_city_handles_street_lights_in_phuong_4() {
    // routing.toml: R-TANAN-CHIEUSANG (chieu-sang, LA-TANAN) → UBND-LA-TANAN until 30/6/2025.
    let d = route(
        "chieu-sang.den-duong",
        code("LA-TANAN-P4"),
        "2025-06-15T09:00:00+07:00",
    );
    assert_eq!(d.outcome, Outcome::Assigned);
    assert_eq!(rule_id(&d), Some("R-TANAN-CHIEUSANG"));
    assert_eq!(d.agency_code, "UBND-LA-TANAN");
    assert_eq!(d.area_code.as_deref(), Some("LA-TANAN-P4"));
    assert_eq!(
        d.area_name.as_deref(),
        Some("Phường 4, Thành phố Tân An, Tỉnh Long An")
    );
    assert_eq!(d.sla.version, "long-an-2024");
    assert!(
        d.explanation.starts_with(
            "Lĩnh vực «Đèn đường hư» tại «Phường 4, Thành phố Tân An, Tỉnh Long An» do "
        ),
        "{}",
        d.explanation
    );
    assert!(
        d.explanation
            .contains("R-TANAN-CHIEUSANG (hiệu lực từ 01/06/2022")
    );
}

#[test]
fn from_1_7_2025_the_new_phuong_handles_them() {
    let d = route(
        "chieu-sang.den-duong",
        code("TN-P-LONGAN"),
        "2025-07-15T09:00:00+07:00",
    );
    assert_eq!(rule_id(&d), Some("R-TN-P-LONGAN-CHIEUSANG"));
    assert_eq!(d.agency_code, "UBND-TN-P-LONGAN");
    assert_eq!(d.agency_name, "Ủy ban nhân dân phường Long An");
    assert_eq!(
        d.area_name.as_deref(),
        Some("Phường Long An, Tỉnh Tây Ninh")
    );
    // Still the Long An SLA: Tây Ninh's version starts 15/1/2026.
    assert_eq!(d.sla.version, "long-an-2024");
}

#[test]
fn the_new_phuong_did_not_exist_before_the_merger() {
    let d = route(
        "chieu-sang.den-duong",
        code("TN-P-LONGAN"),
        "2025-06-30T23:59:00+07:00",
    );
    assert_eq!(d.outcome, Outcome::Triage);
    assert_eq!(d.triage_reason, Some(TriageReason::AreaNotInForce));
}

#[test]
fn the_filing_date_is_the_vietnamese_date() {
    // 30/6/2025 17:30 UTC is already 1/7/2025 00:30 in Vietnam.
    let d = route(
        "chieu-sang.den-duong",
        code("TN-P-LONGAN"),
        "2025-06-30T17:30:00Z",
    );
    assert_eq!(rule_id(&d), Some("R-TN-P-LONGAN-CHIEUSANG"));
}

#[test]
fn the_sla_version_follows_the_filing_date() {
    let before = route("tieng-on", code("TN-P-LONGAN"), "2026-01-14T10:00:00+07:00");
    let after = route("tieng-on", code("TN-P-LONGAN"), "2026-01-15T10:00:00+07:00");
    assert_eq!(before.sla.version, "long-an-2024");
    assert_eq!(after.sla.version, "tay-ninh-2026");
    assert!(after.sla.basis.contains("QĐ 63/2025/QĐ-UBND"));
    assert_eq!(rule_id(&after), Some("R-TN-P-LONGAN-TIENGON"));
    assert!(after.explanation.contains("tay-ninh-2026"));
}

#[test]
fn a_sub_category_rule_beats_its_category_rule() {
    // Rác thải in Phường 4: R-TANAN-RACTHAI (moi-truong.rac-thai, city) beats
    // R-LA-MOITRUONG-NNMT (moi-truong, province).
    let d = route(
        "moi-truong.rac-thai",
        code("LA-TANAN-P4"),
        "2025-06-15T09:00:00+07:00",
    );
    assert_eq!(rule_id(&d), Some("R-TANAN-RACTHAI"));
    assert_eq!(d.agency_code, "UBND-LA-TANAN");
    let d = route(
        "moi-truong",
        code("LA-TANAN-P4"),
        "2025-06-15T09:00:00+07:00",
    );
    assert_eq!(rule_id(&d), Some("R-LA-MOITRUONG-NNMT"));
    // Before the department merger of 1/3/2025, the old department.
    let d = route(
        "moi-truong",
        code("LA-TANAN-P4"),
        "2025-02-28T09:00:00+07:00",
    );
    assert_eq!(rule_id(&d), Some("R-LA-MOITRUONG-TNMT"));
}

#[test]
fn a_commune_rule_beats_a_province_rule_and_category_comes_first() {
    let routing = format!(
        "{ROUTING}{}{}{}",
        extra_rule(
            "R-TEST-TN-CHIEUSANG",
            Some("chieu-sang"),
            Some("TN"),
            "SO-XD-TN",
            "2025-07-01"
        ),
        extra_rule(
            "R-TEST-TN-DENDUONG",
            Some("chieu-sang.den-duong"),
            Some("TN"),
            "SO-XD-TN",
            "2025-07-01"
        ),
        extra_rule("R-TEST-TN-ANY", None, Some("TN"), "IOC", "2025-07-01"),
    );
    let r = router_with(AREAS, &routing, SLA).unwrap();
    let go = |category: &str, place| {
        r.route(&report(category, place, "2025-07-15T09:00:00+07:00"))
            .unwrap()
    };
    // Same category: the commune rule beats the province rule.
    let d = go("chieu-sang", code("TN-P-LONGAN"));
    assert_eq!(rule_id(&d), Some("R-TN-P-LONGAN-CHIEUSANG"));
    // Outside the communes that have a rule, the province rule applies.
    let d = go("chieu-sang", address("Tỉnh Tây Ninh"));
    assert_eq!(rule_id(&d), Some("R-TEST-TN-CHIEUSANG"));
    assert_eq!(d.agency_code, "SO-XD-TN");
    // Category first: a sub-category rule for the province beats the category rule of the
    // commune (documented precedence).
    let d = go("chieu-sang.den-duong", code("TN-P-LONGAN"));
    assert_eq!(rule_id(&d), Some("R-TEST-TN-DENDUONG"));
    // "Any category" comes last.
    let d = go("an-sinh-xa-hoi", code("TN-P-LONGAN"));
    assert_eq!(rule_id(&d), Some("R-TEST-TN-ANY"));
    let d = go("tieng-on", code("TN-P-LONGAN"));
    assert_eq!(rule_id(&d), Some("R-TN-P-LONGAN-TIENGON"));

    // The sub-category rule for the province against the communes' lighting rules is what
    // the README asks to avoid: the router lists it.
    let conflicts = r.precedence_conflicts();
    assert!(!conflicts.is_empty());
    assert!(
        conflicts
            .iter()
            .all(|c| c.winning_rule == "R-TEST-TN-DENDUONG")
    );
    let c = conflicts
        .iter()
        .find(|c| c.deeper_area_rule == "R-TN-P-LONGAN-CHIEUSANG")
        .unwrap();
    assert_eq!(
        (c.winning_agency.as_str(), c.deeper_area_agency.as_str()),
        ("SO-XD-TN", "UBND-TN-P-LONGAN")
    );
    assert_eq!(c.overlap_from.to_string(), "2025-07-01");
    assert_eq!(c.overlap_to, None);
}

#[test]
fn the_shipped_rules_read_the_same_whichever_precedence_comes_first() {
    assert_eq!(router().precedence_conflicts(), &[]);
}

#[test]
fn no_rule_sends_the_ticket_to_triage() {
    // routing.toml has no rule for an-sinh-xa-hoi.
    let d = route(
        "an-sinh-xa-hoi",
        code("TN-P-LONGAN"),
        "2025-07-15T09:00:00+07:00",
    );
    assert_eq!(d.outcome, Outcome::Triage);
    assert_eq!(d.triage_reason, Some(TriageReason::NoRule));
    assert_eq!(d.agency_code, "IOC");
    assert!(d.rule.is_none());
    // The place was resolved all the same, for the operator.
    assert_eq!(d.area_code.as_deref(), Some("TN-P-LONGAN"));
    assert!(
        d.explanation.starts_with("Chuyển Trung tâm"),
        "{}",
        d.explanation
    );
    assert!(d.explanation.contains("không có quy tắc phân công"));
}

#[test]
fn an_unknown_category_is_an_error_not_triage() {
    let err = router()
        .route(&report(
            "khong-co",
            code("TN-P-LONGAN"),
            "2025-07-15T09:00:00+07:00",
        ))
        .unwrap_err();
    assert!(
        matches!(&err, RoutingError::UnknownCategory { code, detail: "does not exist", .. } if code == "khong-co"),
        "{err:?}"
    );
    // Categories start 1/6/2022: before that the category is not in force.
    let err = router()
        .route(&report(
            "tieng-on",
            code("LA-TANAN-P4"),
            "2022-05-31T09:00:00+07:00",
        ))
        .unwrap_err();
    assert!(
        matches!(
            err,
            RoutingError::UnknownCategory {
                detail: "is not in force",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_date_without_sla_version_is_an_error() {
    // The first SLA version starts 1/12/2024.
    let err = router()
        .route(&report(
            "tieng-on",
            code("LA-TANAN-P4"),
            "2024-11-30T09:00:00+07:00",
        ))
        .unwrap_err();
    assert!(matches!(err, RoutingError::Sla(_)), "{err:?}");
}

const MINI_JURISDICTION: &str = r#"
code = "TEST"
name = "Thử nghiệm"
open311_jurisdiction_id = "test.example"
triage_agency = "IOC"
"#;
const MINI_AREAS: &str = r#"
[[area]]
code = "TN"
name = "Tỉnh Tây Ninh"
level = "province"
kind = "tinh"
valid_from = 2025-07-01

[[area]]
code = "TN-P-LONGAN"
name = "Phường Long An"
level = "commune"
kind = "phuong"
parent = "TN"
valid_from = 2025-07-01
"#;
const MINI_AGENCIES: &str = r#"
[[agency]]
code = "IOC"
name = "Trung tâm IOC"
kind = "ioc"
valid_from = 2022-01-01

[[agency]]
code = "UBND-A"
name = "UBND A"
kind = "commune_committee"
valid_from = 2025-07-01

[[agency]]
code = "UBND-B"
name = "UBND B"
kind = "commune_committee"
valid_from = 2025-07-01
"#;
const MINI_CATEGORIES: &str = r#"
[[category]]
code = "chieu-sang"
name = "Chiếu sáng"
valid_from = 2022-06-01
"#;

fn mini(routing: &str) -> Result<Router, RoutingError> {
    let j = Jurisdiction::parse(JurisdictionFiles {
        jurisdiction: MINI_JURISDICTION,
        areas: MINI_AREAS,
        agencies: MINI_AGENCIES,
        categories: MINI_CATEGORIES,
        routing: Some(routing),
    })
    .unwrap();
    let cal = WorkingCalendar::from_toml_strs(CalendarSettings::default(), &[]).unwrap();
    Router::new(j, SlaPolicy::from_toml_str(SLA).unwrap(), cal)
}

#[test]
fn overlapping_rules_for_the_same_category_and_area_are_rejected_at_load() {
    let routing = r#"
[[rule]]
id = "R-A"
category = "chieu-sang"
area = "TN-P-LONGAN"
agency = "UBND-A"
valid_from = 2025-07-01
valid_to = 2025-12-31

[[rule]]
id = "R-B"
category = "chieu-sang"
area = "TN-P-LONGAN"
agency = "UBND-B"
valid_from = 2025-10-01
"#;
    let err = mini(routing).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("R-A") && message.contains("R-B"),
        "{message}"
    );
    assert!(
        message.contains("2025-10-01") && message.contains("2025-12-31"),
        "{message}"
    );
    assert_eq!(
        err,
        RoutingError::RuleTie {
            first: "R-A".into(),
            second: "R-B".into(),
            category: "chieu-sang".into(),
            area: "TN-P-LONGAN".into(),
            overlap_from: "2025-10-01".parse().unwrap(),
            overlap_to: "2025-12-31".parse().ok(),
        }
    );
}

#[test]
fn two_catch_all_rules_tie_and_back_to_back_rules_do_not() {
    let any = r#"
[[rule]]
id = "R-ANY-1"
agency = "UBND-A"
valid_from = 2025-07-01

[[rule]]
id = "R-ANY-2"
agency = "UBND-B"
valid_from = 2026-01-01
"#;
    let message = mini(any).unwrap_err().to_string();
    assert!(
        message.contains("R-ANY-1") && message.contains("R-ANY-2"),
        "{message}"
    );
    assert!(message.contains("category any, area anywhere"), "{message}");
    assert!(
        message.contains("from 2026-01-01 to (open-ended)"),
        "{message}"
    );

    let back_to_back = r#"
[[rule]]
id = "R-OLD"
category = "chieu-sang"
area = "TN"
agency = "UBND-A"
valid_from = 2025-07-01
valid_to = 2025-12-31

[[rule]]
id = "R-NEW"
category = "chieu-sang"
area = "TN"
agency = "UBND-B"
valid_from = 2026-01-01

[[rule]]
id = "R-COMMUNE"
category = "chieu-sang"
area = "TN-P-LONGAN"
agency = "UBND-A"
valid_from = 2025-07-01
"#;
    let r = mini(back_to_back).unwrap();
    let d = r
        .route(&report(
            "chieu-sang",
            address("Tỉnh Tây Ninh"),
            "2026-02-02T09:00:00+07:00",
        ))
        .unwrap();
    assert_eq!(rule_id(&d), Some("R-NEW"));
    let d = r
        .route(&report(
            "chieu-sang",
            address("Tỉnh Tây Ninh"),
            "2025-12-31T09:00:00+07:00",
        ))
        .unwrap();
    assert_eq!(rule_id(&d), Some("R-OLD"));
}

#[test]
fn the_shipped_routing_has_no_ties() {
    // Building the router is the check; spot-check accessors too.
    let r = router();
    assert_eq!(r.jurisdiction().info.triage_agency, "IOC");
    assert_eq!(r.sla().versions().len(), 2);
    assert_eq!(r.calendar().loaded_years(), vec![2025, 2026]);
    assert_eq!(r.missing_calendar_years(2025, 2027), vec![2027]);
}

#[test]
fn a_router_accepts_shared_data() {
    let j = std::sync::Arc::new(
        Jurisdiction::parse(JurisdictionFiles {
            jurisdiction: JURISDICTION,
            areas: AREAS,
            agencies: AGENCIES,
            categories: CATEGORIES,
            routing: Some(ROUTING),
        })
        .unwrap(),
    );
    let sla = std::sync::Arc::new(SlaPolicy::from_toml_str(SLA).unwrap());
    let r = Router::new(j.clone(), sla, calendar()).unwrap();
    assert!(std::ptr::eq(r.jurisdiction(), j.as_ref()));
}
