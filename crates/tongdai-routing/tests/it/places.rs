//! Area codes, successions, addresses and coordinates.

use chrono::Duration;
use tongdai_routing::{Outcome, Place, PlaceMethod, TriageReason};

use crate::common::*;

#[test]
fn an_old_area_code_after_the_merger_resolves_through_its_successor() {
    let d = route(
        "chieu-sang.den-duong",
        code("LA-TANAN-P4"),
        "2025-07-15T09:00:00+07:00",
    );
    assert_eq!(d.outcome, Outcome::Assigned);
    assert_eq!(d.area_code.as_deref(), Some("TN-P-LONGAN"));
    assert_eq!(d.place_resolution.method, PlaceMethod::Successor);
    assert_eq!(
        d.place_resolution.successor_of.as_deref(),
        Some("LA-TANAN-P4")
    );
    assert_eq!(rule_id(&d), Some("R-TN-P-LONGAN-CHIEUSANG"));
    assert_eq!(d.agency_code, "UBND-TN-P-LONGAN");
    assert!(
        d.explanation.starts_with(
            "Địa bàn LA-TANAN-P4 (Phường 4, Thành phố Tân An, Tỉnh Long An) không còn hiệu lực"
        ),
        "{}",
        d.explanation
    );
}

#[test]
fn successions_are_followed_in_a_row() {
    // Phường 1 (until 30/11/2024) → Phường 1 (2024) → phường Long An (1/7/2025).
    let d = route("tieng-on", code("LA-TANAN-P1"), "2025-03-03T09:00:00+07:00");
    assert_eq!(d.area_code.as_deref(), Some("LA-TANAN-P1-2024"));
    assert_eq!(rule_id(&d), Some("R-TANAN-P1-2024-TIENGON"));
    let d = route("tieng-on", code("LA-TANAN-P1"), "2025-08-01T09:00:00+07:00");
    assert_eq!(d.area_code.as_deref(), Some("TN-P-LONGAN"));
    assert_eq!(
        d.place_resolution.successor_of.as_deref(),
        Some("LA-TANAN-P1")
    );
}

#[test]
fn a_split_commune_cannot_be_mapped_by_its_code() {
    // Only part of xã Bình Thạnh went into phường Long An.
    let d = route(
        "dien-luc",
        code("LA-THUTHUA-BINHTHANH"),
        "2025-07-15T09:00:00+07:00",
    );
    assert_eq!(d.outcome, Outcome::Triage);
    assert_eq!(d.triage_reason, Some(TriageReason::AreaNotInForce));
    assert_eq!(d.agency_code, "IOC");
    assert_eq!(d.place_resolution.method, PlaceMethod::None);
    assert!(d.explanation.contains("chia tách"), "{}", d.explanation);
    // Before the merger it was an ordinary commune of Thủ Thừa.
    let d = route(
        "dien-luc",
        code("LA-THUTHUA-BINHTHANH"),
        "2025-06-15T09:00:00+07:00",
    );
    assert_eq!(rule_id(&d), Some("R-LA-DIENLUC"));
    assert_eq!(d.agency_code, "PC-LONGAN");
}

#[test]
fn an_unknown_area_code_goes_to_triage() {
    let d = route("tieng-on", code("LA-NOWHERE"), "2025-07-15T09:00:00+07:00");
    assert_eq!(d.outcome, Outcome::Triage);
    assert_eq!(d.triage_reason, Some(TriageReason::UnknownArea));
    assert_eq!(d.place_resolution.input.as_deref(), Some("LA-NOWHERE"));
    assert!(d.area_code.is_none());
}

#[test]
fn an_unknown_place_goes_to_triage_with_a_five_minute_forward_deadline() {
    let filed = "2026-02-13T16:00:00+07:00";
    for place in [address("123 Hùng Vương, khu phố 3"), Place::default()] {
        let d = route("tieng-on", place, filed);
        assert_eq!(d.outcome, Outcome::Triage);
        assert_eq!(d.agency_code, "IOC");
        assert_eq!(d.deadlines.forward_due, at(filed) + Duration::minutes(5));
        assert_eq!(
            d.deadlines.forward_due.to_rfc3339(),
            "2026-02-13T16:05:00+07:00"
        );
        assert!(
            d.explanation.contains("16:05 13/02/2026"),
            "{}",
            d.explanation
        );
    }
    let d = route("tieng-on", address("123 Hùng Vương"), filed);
    assert_eq!(d.triage_reason, Some(TriageReason::UnknownArea));
    let d = route("tieng-on", Place::default(), filed);
    assert_eq!(d.triage_reason, Some(TriageReason::NoPlace));
    assert_eq!(d.place_resolution.method, PlaceMethod::None);
}

#[test]
fn addresses_match_without_accents_case_or_punctuation() {
    let before = "2025-06-15T09:00:00+07:00";
    for text in [
        "phuong 4 tan an",
        "Phường 4, TP Tân An",
        "12 Nguyễn Huệ, P.4, TP. Tân An, Long An",
        // Decomposed (NFD) input from some phones.
        "Phu\u{031B}o\u{031B}\u{0300}ng 4, Ta\u{0302}n An",
    ] {
        let d = route("chieu-sang.den-duong", address(text), before);
        assert_eq!(d.area_code.as_deref(), Some("LA-TANAN-P4"), "{text}");
        assert_eq!(d.place_resolution.method, PlaceMethod::Address, "{text}");
        assert_eq!(rule_id(&d), Some("R-TANAN-CHIEUSANG"), "{text}");
    }
    let d = route(
        "chieu-sang.den-duong",
        address("PHUONG LONG AN"),
        "2025-07-15T09:00:00+07:00",
    );
    assert_eq!(d.area_code.as_deref(), Some("TN-P-LONGAN"));
    assert_eq!(
        d.place_resolution.matched.as_deref(),
        Some("phuong long an")
    );
    assert!(d.place_resolution.successor_of.is_none());
}

#[test]
fn an_address_naming_an_old_unit_resolves_through_its_successor() {
    let d = route(
        "chieu-sang.den-duong",
        address("phuong 4 tan an"),
        "2025-07-15T09:00:00+07:00",
    );
    assert_eq!(d.area_code.as_deref(), Some("TN-P-LONGAN"));
    assert_eq!(d.place_resolution.method, PlaceMethod::Address);
    assert_eq!(
        d.place_resolution.successor_of.as_deref(),
        Some("LA-TANAN-P4")
    );
    assert_eq!(rule_id(&d), Some("R-TN-P-LONGAN-CHIEUSANG"));
    // A split commune named in an address cannot be mapped.
    let d = route(
        "tieng-on",
        address("ấp 3, xã Bình Thạnh, huyện Thủ Thừa"),
        "2025-07-15T09:00:00+07:00",
    );
    assert_eq!(d.triage_reason, Some(TriageReason::AreaNotInForce));
}

#[test]
fn an_ambiguous_address_goes_to_triage_unless_a_parent_name_decides() {
    // Tân An and Kiến Tường both have a Phường 1.
    let filed = "2025-03-03T09:00:00+07:00";
    let d = route("tieng-on", address("số 5, Phường 1"), filed);
    assert_eq!(d.outcome, Outcome::Triage);
    assert_eq!(d.triage_reason, Some(TriageReason::AmbiguousAddress));
    assert!(
        d.explanation.contains("Thị xã Kiến Tường"),
        "{}",
        d.explanation
    );
    assert!(
        d.explanation.contains("Thành phố Tân An"),
        "{}",
        d.explanation
    );

    let d = route("tieng-on", address("số 5, Phường 1, Tân An"), filed);
    assert_eq!(d.area_code.as_deref(), Some("LA-TANAN-P1-2024"));
    assert_eq!(rule_id(&d), Some("R-TANAN-P1-2024-TIENGON"));
    assert!(!d.place_resolution.notes.is_empty());

    let d = route(
        "tieng-on",
        address("số 5, Phường 1, thị xã Kiến Tường"),
        filed,
    );
    assert_eq!(d.area_code.as_deref(), Some("LA-KIENTUONG-P1"));
    assert_eq!(rule_id(&d), Some("R-KIENTUONG-P1-TIENGON"));
}

#[test]
fn the_area_code_comes_first_and_failed_inputs_are_noted() {
    let place = Place {
        area_code: Some("TN-P-TANAN".into()),
        address: Some("phường Long An".into()),
        ..Place::default()
    };
    let d = route("tieng-on", place, "2025-07-15T09:00:00+07:00");
    assert_eq!(d.area_code.as_deref(), Some("TN-P-TANAN"));

    // An unknown code falls back to the address, and the decision says so.
    let place = Place {
        area_code: Some("XX".into()),
        address: Some("phường Long An".into()),
        ..Place::default()
    };
    let d = route("tieng-on", place, "2025-07-15T09:00:00+07:00");
    assert_eq!(d.area_code.as_deref(), Some("TN-P-LONGAN"));
    assert_eq!(d.place_resolution.method, PlaceMethod::Address);
    assert_eq!(d.place_resolution.notes.len(), 1);
    assert!(d.place_resolution.notes[0].contains("XX"));
}

/// The shipped areas with synthetic boundaries: a square around phường Long An inside a
/// large rectangle for the province.
fn areas_with_boundaries() -> String {
    let with = |areas: &str, code: &str, ring: &str| {
        areas.replacen(
            &format!("code = \"{code}\"\n"),
            &format!("code = \"{code}\"\nboundary = {ring}\n"),
            1,
        )
    };
    let a = with(
        AREAS,
        "TN-P-LONGAN",
        "[[106.38, 10.51], [106.44, 10.51], [106.44, 10.56], [106.38, 10.56], [106.38, 10.51]]",
    );
    with(
        &a,
        "TN",
        "[[105.8, 10.3], [106.8, 10.3], [106.8, 11.6], [105.8, 11.6], [105.8, 10.3]]",
    )
}

#[test]
fn coordinates_resolve_to_the_deepest_area_containing_them() {
    let r = router_with(&areas_with_boundaries(), ROUTING, SLA).unwrap();
    let filed = "2025-07-15T09:00:00+07:00";
    let d = r
        .route(&report("chieu-sang", point(10.535, 106.41), filed))
        .unwrap();
    assert_eq!(d.area_code.as_deref(), Some("TN-P-LONGAN"));
    assert_eq!(d.place_resolution.method, PlaceMethod::Coordinates);
    assert_eq!(rule_id(&d), Some("R-TN-P-LONGAN-CHIEUSANG"));

    // Inside the province only: no province rule for lighting → triage no_rule.
    let d = r
        .route(&report("chieu-sang", point(11.3, 106.1), filed))
        .unwrap();
    assert_eq!(d.area_code.as_deref(), Some("TN"));
    assert_eq!(d.triage_reason, Some(TriageReason::NoRule));
    // ... but a province-wide field routes.
    let d = r
        .route(&report("giao-thong", point(11.3, 106.1), filed))
        .unwrap();
    assert_eq!(rule_id(&d), Some("R-TN-GIAOTHONG"));

    // Hà Nội, and nonsense.
    for (lat, lon) in [(21.03, 105.85), (f64::NAN, 106.4), (95.0, 106.4)] {
        let d = r
            .route(&report("chieu-sang", point(lat, lon), filed))
            .unwrap();
        assert_eq!(d.outcome, Outcome::Triage);
        assert_eq!(d.triage_reason, Some(TriageReason::OutsideBoundaries));
    }
    // Before 1/7/2025 those areas were not in force.
    let d = r
        .route(&report(
            "chieu-sang",
            point(10.535, 106.41),
            "2025-06-15T09:00:00+07:00",
        ))
        .unwrap();
    assert_eq!(d.triage_reason, Some(TriageReason::OutsideBoundaries));
}

#[test]
fn an_unmatched_address_falls_back_to_coordinates() {
    let r = router_with(&areas_with_boundaries(), ROUTING, SLA).unwrap();
    let place = Place {
        address: Some("gần chợ".into()),
        lat: Some(10.535),
        lon: Some(106.41),
        ..Place::default()
    };
    let d = r
        .route(&report("tieng-on", place, "2025-07-15T09:00:00+07:00"))
        .unwrap();
    assert_eq!(d.area_code.as_deref(), Some("TN-P-LONGAN"));
    assert_eq!(d.place_resolution.method, PlaceMethod::Coordinates);
    assert_eq!(d.place_resolution.notes.len(), 1);
}

#[test]
fn a_malformed_boundary_is_rejected_at_load() {
    let areas = AREAS.replacen(
        "code = \"TN-P-LONGAN\"\n",
        "code = \"TN-P-LONGAN\"\nboundary = [[106.38, 10.51], [106.44, 10.51]]\n",
        1,
    );
    let err = router_with(&areas, ROUTING, SLA).unwrap_err();
    assert!(err.to_string().contains("TN-P-LONGAN"), "{err}");
}
