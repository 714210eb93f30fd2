//! The decision as stored: JSON that round-trips and reads on its own.

use serde_json::{Value, json};
use tongdai_routing::RoutingDecision;

use crate::common::*;

#[test]
fn a_decision_round_trips_through_json_with_rfc3339_deadlines_in_plus_seven() {
    let d = route(
        "chieu-sang.den-duong",
        code("LA-TANAN-P4"),
        "2026-02-13T09:00:00Z",
    );
    let text = serde_json::to_string_pretty(&d).unwrap();
    let back: RoutingDecision = serde_json::from_str(&text).unwrap();
    assert_eq!(back, d);

    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["outcome"], "assigned");
    assert_eq!(v["filed_at"], "2026-02-13T16:00:00+07:00");
    assert_eq!(v["deadlines"]["forward_due"], "2026-02-13T16:05:00+07:00");
    assert_eq!(v["deadlines"]["accept_due"], "2026-02-23T16:30:00+07:00");
    assert_eq!(v["deadlines"]["answer_due"], "2026-03-06T23:59:59+07:00");
    assert_eq!(v["priority"], "binh-thuong");
    assert_eq!(v["place_resolution"]["method"], "successor");
    assert_eq!(v["place_resolution"]["successor_of"], "LA-TANAN-P4");
    assert_eq!(v["rule"]["id"], "R-TN-P-LONGAN-CHIEUSANG");
    assert_eq!(v["rule"]["valid_from"], "2025-07-01");
    assert_eq!(v["triage_reason"], Value::Null);
    assert_eq!(
        v["sla"],
        json!({
            "version": "tay-ninh-2026",
            "basis": "QĐ 63/2025/QĐ-UBND tỉnh Tây Ninh (defaults; deadlines not transcribed)",
            "matched_category": null,
            "transfer_clock": "restart",
            "forward": { "minutes": 5 },
            "accept": { "working_hours": 8 },
            "answer": { "working_days": 10 }
        })
    );
    assert_eq!(v["calendar_warnings"], json!([]));
}

#[test]
fn triage_and_transfer_decisions_round_trip_too() {
    let t = route(
        "an-sinh-xa-hoi",
        address("không rõ"),
        "2026-03-02T09:00:00+07:00",
    );
    let v = serde_json::to_value(&t).unwrap();
    assert_eq!(v["outcome"], "triage");
    assert_eq!(v["triage_reason"], "unknown_area");
    assert_eq!(v["place_resolution"]["method"], "none");
    assert_eq!(v["rule"], Value::Null);
    let back: RoutingDecision = serde_json::from_value(v).unwrap();
    assert_eq!(back, t);

    let moved = router()
        .transfer(&t, "SO-YTE-TN", at("2026-03-02T10:00:00+07:00"), "Y tế")
        .unwrap();
    let v = serde_json::to_value(&moved).unwrap();
    assert_eq!(v["transferred_from"]["agency_code"], "IOC");
    assert_eq!(v["transferred_from"]["at"], "2026-03-02T10:00:00+07:00");
    assert_eq!(v["transferred_from"]["clock"], "restart");
    let back: RoutingDecision = serde_json::from_value(v).unwrap();
    assert_eq!(back, moved);
    // A transfer from the stored form gives the same result as from the original.
    let again = router()
        .transfer(
            &back,
            "SO-GDDT-TN",
            at("2026-03-03T10:00:00+07:00"),
            "Giáo dục",
        )
        .unwrap();
    assert_eq!(again.transferred_from.unwrap().agency_code, "SO-YTE-TN");
}

#[test]
fn print_an_example_decision() {
    // Shown with `cargo test -- --nocapture print_an_example`; documents the JSON shape.
    let d = route(
        "chieu-sang.den-duong",
        code("LA-TANAN-P4"),
        "2025-06-13T16:00:00+07:00",
    );
    println!("{}", serde_json::to_string_pretty(&d).unwrap());
}

#[test]
fn print_triage_explanations() {
    for (cat, place, filed) in [
        (
            "tieng-on",
            address("số 5, Phường 1"),
            "2025-03-03T09:00:00+07:00",
        ),
        (
            "tieng-on",
            code("LA-THUTHUA-BINHTHANH"),
            "2025-07-15T09:00:00+07:00",
        ),
        ("tieng-on", code("XX"), "2025-07-15T09:00:00+07:00"),
        (
            "an-sinh-xa-hoi",
            code("TN-P-LONGAN"),
            "2025-07-15T09:00:00+07:00",
        ),
        (
            "tieng-on",
            tongdai_routing::Place::default(),
            "2025-07-15T09:00:00+07:00",
        ),
        (
            "tieng-on",
            address("phuong 4 tan an"),
            "2025-07-15T09:00:00+07:00",
        ),
    ] {
        let text = route(cat, place, filed).explanation;
        println!("{text}");
        assert!(text.contains("Hạn"), "{text}");
    }
}
