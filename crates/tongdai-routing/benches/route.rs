//! Routing + deadline computation per ticket on the shipped demo config.
//!
//! `cargo bench -p tongdai-routing` (short measurement: a few seconds per case).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tongdai_calendar::{CalendarSettings, SlaPolicy, WorkingCalendar};
use tongdai_domain::{Jurisdiction, JurisdictionFiles, Priority};
use tongdai_routing::{Place, Report, Router};

fn build_router() -> Router {
    let jurisdiction = Jurisdiction::parse(JurisdictionFiles {
        jurisdiction: include_str!("../../../config/jurisdiction/jurisdiction.toml"),
        areas: include_str!("../../../config/jurisdiction/areas.toml"),
        agencies: include_str!("../../../config/jurisdiction/agencies.toml"),
        categories: include_str!("../../../config/jurisdiction/categories.toml"),
        routing: Some(include_str!("../../../config/jurisdiction/routing.toml")),
    })
    .unwrap();
    let sla =
        SlaPolicy::from_toml_str(include_str!("../../../config/jurisdiction/sla.toml")).unwrap();
    let calendar = WorkingCalendar::from_toml_strs(
        CalendarSettings::default(),
        &[
            include_str!("../../../config/calendar/2025.toml"),
            include_str!("../../../config/calendar/2026.toml"),
        ],
    )
    .unwrap();
    Router::new(jurisdiction, sla, calendar).unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn report(category: &str, place: Place, priority: Priority, filed: &str) -> Report {
    Report {
        category: category.into(),
        place,
        priority,
        filed_at: at(filed),
    }
}

fn code(c: &str) -> Place {
    Place {
        area_code: Some(c.into()),
        ..Place::default()
    }
}

fn address(a: &str) -> Place {
    Place {
        address: Some(a.into()),
        ..Place::default()
    }
}

fn cases() -> Vec<(&'static str, Report)> {
    use Priority::{BinhThuong, Khan, PhucTap};
    vec![
        (
            "area_code/normal",
            report(
                "chieu-sang.den-duong",
                code("TN-P-LONGAN"),
                BinhThuong,
                "2026-02-13T16:00:00+07:00",
            ),
        ),
        (
            "area_code/urgent",
            report(
                "an-ninh-trat-tu",
                code("TN-P-LONGAN"),
                Khan,
                "2026-03-06T16:30:00+07:00",
            ),
        ),
        (
            "area_code/successor",
            report(
                "tieng-on",
                code("LA-TANAN-P4"),
                BinhThuong,
                "2025-07-15T09:00:00+07:00",
            ),
        ),
        (
            "address/normal",
            report(
                "chieu-sang.den-duong",
                address("12 Nguyễn Huệ, Phường 4, TP. Tân An, Long An"),
                BinhThuong,
                "2025-06-13T16:00:00+07:00",
            ),
        ),
        (
            "address/ambiguous_triage",
            report(
                "tieng-on",
                address("số 5, Phường 1"),
                PhucTap,
                "2025-03-03T09:00:00+07:00",
            ),
        ),
        (
            "coordinates/outside_triage",
            report(
                "cay-xanh",
                Place {
                    lat: Some(10.535),
                    lon: Some(106.41),
                    ..Place::default()
                },
                Khan,
                "2026-01-20T22:00:00+07:00",
            ),
        ),
        (
            "no_rule/triage",
            report(
                "an-sinh-xa-hoi",
                code("TN-P-TANAN"),
                BinhThuong,
                "2026-04-24T15:00:00+07:00",
            ),
        ),
        (
            "address/long_text",
            report(
                "moi-truong.rac-thai",
                address(
                    "Rác thải tồn đọng nhiều ngày trước nhà số 45/7, hẻm 12, đường Hùng Vương, \
                     khu phố Bình Yên Đông, phường Long An, tỉnh Tây Ninh (gần chợ)",
                ),
                BinhThuong,
                "2026-08-28T09:00:00+07:00",
            ),
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let router = build_router();
    let cases = cases();
    let mut group = c.benchmark_group("route");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    for (name, report) in &cases {
        // Make sure every case is routed, as the name says.
        router.route(report).unwrap();
        group.bench_function(*name, |b| {
            b.iter(|| router.route(black_box(report)).unwrap())
        });
    }
    group.throughput(Throughput::Elements(cases.len() as u64));
    group.bench_function("mix_of_8", |b| {
        b.iter(|| {
            for (_, report) in &cases {
                black_box(router.route(black_box(report)).unwrap());
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("router");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    group.bench_function("new_from_shipped_config", |b| b.iter(build_router));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
