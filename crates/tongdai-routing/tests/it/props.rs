//! Properties over arbitrary input.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use tongdai_calendar::Span;
use tongdai_domain::jurisdiction::Dated;
use tongdai_domain::{Priority, local_date};
use tongdai_routing::{Outcome, Place, Report};

use crate::common::*;

/// 01/12/2024 (first SLA version) to the end of 2027.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (1_733_011_200i64..1_830_297_600).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
}

fn priority() -> impl Strategy<Value = Priority> {
    prop::sample::select(Priority::ALL.to_vec())
}

fn category() -> impl Strategy<Value = String> {
    let codes: Vec<String> = router()
        .jurisdiction()
        .categories
        .iter()
        .map(|c| c.code.clone())
        .collect();
    prop::sample::select(codes)
}

fn area_code() -> impl Strategy<Value = Option<String>> {
    let mut codes: Vec<String> = router()
        .jurisdiction()
        .areas
        .iter()
        .map(|a| a.code.clone())
        .collect();
    codes.push("LA-NOWHERE".into());
    prop::option::of(prop::sample::select(codes))
}

fn address() -> impl Strategy<Value = Option<String>> {
    let names: Vec<String> = router()
        .jurisdiction()
        .areas
        .iter()
        .flat_map(|a| std::iter::once(a.name.clone()).chain(a.aliases.clone()))
        .collect();
    prop::option::of(prop_oneof![
        any::<String>(),
        "[ a-zA-Zàáạảãâầấậẩẫăằắặẳẵđêềếệểễôồốộổỗơờớợởỡưừứựửữ0-9,.]{0,60}",
        prop::collection::vec(prop::sample::select(names), 0..4).prop_map(|v| v.join(", ")),
    ])
}

fn coordinate() -> impl Strategy<Value = Option<f64>> {
    prop::option::of(prop_oneof![any::<f64>(), -200.0..200.0f64, 10.0..11.5f64])
}

fn report_strategy() -> impl Strategy<Value = Report> {
    (
        category(),
        area_code(),
        address(),
        coordinate(),
        coordinate(),
        priority(),
        instant(),
    )
        .prop_map(
            |(category, area_code, address, lat, lon, priority, filed_at)| Report {
                category,
                place: Place {
                    area_code,
                    address,
                    lat,
                    lon,
                },
                priority,
                filed_at,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Whatever the place, a known category in force is routed (maybe to triage), never an
    /// error or a panic, and an assigned agency is in force on the filing date.
    #[test]
    fn route_never_fails_on_arbitrary_places(report in report_strategy()) {
        let d = router().route(&report).unwrap();
        let date = local_date(report.filed_at);
        let j = router().jurisdiction();
        let agency = j.agencies.iter().find(|a| a.code == d.agency_code).unwrap();
        prop_assert!(agency.valid_on(date));
        if let Some(area) = &d.area_code {
            prop_assert!(j.area(area).unwrap().valid_on(date));
        }
        match d.outcome {
            Outcome::Assigned => {
                let rule = d.rule.as_ref().unwrap();
                prop_assert!(d.triage_reason.is_none());
                prop_assert!(rule.valid_from <= date && rule.valid_to.is_none_or(|t| date <= t));
            }
            Outcome::Triage => {
                prop_assert!(d.rule.is_none());
                prop_assert!(d.triage_reason.is_some());
                prop_assert_eq!(&d.agency_code, &j.info.triage_agency);
            }
        }
        prop_assert!(d.deadlines.forward_due <= d.deadlines.accept_due);
        prop_assert!(d.deadlines.accept_due <= d.deadlines.answer_due);
    }

    /// The triage forward deadline is the filing instant plus the forward span.
    #[test]
    fn triage_forward_deadline_is_filing_plus_forward_span(
        address in address(),
        lat in coordinate(),
        lon in coordinate(),
        priority in priority(),
        filed_at in instant(),
    ) {
        let report = Report {
            category: "an-sinh-xa-hoi".into(), // no rule: always triage
            place: Place { area_code: None, address, lat, lon },
            priority,
            filed_at,
        };
        let d = router().route(&report).unwrap();
        prop_assert!(d.is_triage());
        let Span::Minutes(m) = d.sla.forward else {
            return Err(TestCaseError::fail("the shipped forward span is in minutes"));
        };
        prop_assert_eq!(d.deadlines.forward_due, filed_at + Duration::minutes(i64::from(m)));
        prop_assert_eq!(m, 5);
    }

    /// Same input, same decision (also from a clone of the router and after a JSON trip).
    #[test]
    fn decisions_are_deterministic(report in report_strategy()) {
        let a = router().route(&report).unwrap();
        let b = router().clone().route(&report).unwrap();
        prop_assert_eq!(&a, &b);
        let json = serde_json::to_string(&a).unwrap();
        prop_assert_eq!(json, serde_json::to_string(&b).unwrap());
    }
}
