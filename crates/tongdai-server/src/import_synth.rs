//! Synthetic histories in the `tongdai import` JSONL format, for benchmarks and load tests
//! (`benches/import.rs`; a later bench can write 5,000,000 tickets over 24 months and its
//! own 120 agencies with the same function). Every ticket is routed by the real [`Router`]
//! at its filing instant, so its story is legal for the workflow and the import stores it;
//! the mix of stories (answered, rated, paused, extended, transferred, returned, reopened,
//! rejected, still open) is drawn from a seeded generator: the same spec, the same file.

use std::io::Write;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tongdai_domain::jurisdiction::Dated;
use tongdai_domain::{AreaLevel, TrackingCode, vn_offset};
use tongdai_routing::{Outcome, Place, Report, Router};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SyntheticSpec {
    pub tickets: usize,
    /// The first day of the first month.
    pub start: NaiveDate,
    pub months: u32,
    pub seed: u64,
    /// Agencies tickets are filed with, forwarded and transferred to (default: routing's
    /// choice at filing, then every agency in force on the day except the triage queue).
    pub agencies: Option<Vec<String>>,
}

impl SyntheticSpec {
    /// `tickets` over the 24 months from December 2024 (the first SLA version of the demo
    /// jurisdiction) to November 2026.
    pub fn two_years(tickets: usize) -> Self {
        Self {
            tickets,
            start: NaiveDate::from_ymd_opt(2024, 12, 1).unwrap_or_default(),
            months: 24,
            seed: 1022,
            agencies: None,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyntheticStats {
    pub tickets: usize,
    /// Events of the import format (the stored history has more: filing, deadlines).
    pub events: usize,
}

const TITLES: [&str; 8] = [
    "Đèn đường không sáng",
    "Ổ gà trên đường Hùng Vương",
    "Ngập nước sau mưa lớn",
    "Tiếng ồn karaoke khuya",
    "Rác thải tồn đọng lâu ngày",
    "Cây xanh ngã đổ chắn lối đi",
    "Lấn chiếm vỉa hè buôn bán",
    "Nước sinh hoạt bị đục",
];

/// The `n`-th code of a run: distinct for every `n` below 23^8.
pub fn synthetic_code(n: u64) -> TrackingCode {
    let alphabet = tongdai_domain::tracking::ALPHABET;
    let base = alphabet.len() as u64;
    // A multiplier coprime with 23^8 spreads consecutive numbers over the code space.
    let space = base.pow(8);
    let mut x = (n.wrapping_mul(2_654_435_761) + 12_345) % space;
    let mut chars = [0u8; 8];
    for c in chars.iter_mut().rev() {
        *c = alphabet[(x % base) as usize];
        x /= base;
    }
    let text = format!(
        "1022-{}-{}",
        String::from_utf8_lossy(&chars[..4]),
        String::from_utf8_lossy(&chars[4..])
    );
    match TrackingCode::parse(&text) {
        Ok(code) => code,
        Err(_) => unreachable!("built from the tracking alphabet"),
    }
}

struct Story {
    events: Vec<Value>,
    at: DateTime<FixedOffset>,
}

impl Story {
    fn push(&mut self, kind: &str, after: Duration, extra: Value) {
        self.at += after;
        let mut event = json!({ "kind": kind, "at": self.at.to_rfc3339() });
        if let (Some(map), Value::Object(more)) = (event.as_object_mut(), extra) {
            map.extend(more);
        }
        self.events.push(event);
    }
}

fn hours(rng: &mut StdRng, from: i64, to: i64) -> Duration {
    Duration::minutes(rng.random_range(from * 60..=to * 60))
}

/// Writes `spec.tickets` JSONL records to `out`.
pub fn write_synthetic_jsonl(
    router: &Router,
    spec: &SyntheticSpec,
    out: &mut impl Write,
) -> std::io::Result<SyntheticStats> {
    let j = router.jurisdiction();
    let triage = router.triage_agency_ref().code.clone();
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let mut stats = SyntheticStats::default();
    let end = add_months(spec.start, spec.months);
    let days = (end - spec.start).num_days().max(1);
    let mut n: u64 = 0;
    while stats.tickets < spec.tickets {
        n += 1;
        let day = spec.start + Duration::days(rng.random_range(0..days));
        let minute = rng.random_range(7 * 60 + 30..17 * 60);
        let Some(created) = vn_offset()
            .with_ymd_and_hms(
                day.year(),
                day.month(),
                day.day(),
                minute / 60,
                minute % 60,
                0,
            )
            .single()
        else {
            continue;
        };
        let categories: Vec<_> = j.categories.iter().filter(|c| c.valid_on(day)).collect();
        let areas: Vec<_> = j
            .areas
            .iter()
            .filter(|a| a.valid_on(day) && a.level == AreaLevel::Commune)
            .collect();
        let agencies: Vec<String> = match &spec.agencies {
            Some(list) => list.clone(),
            None => j
                .agencies
                .iter()
                // In force for the whole story (it may run for weeks).
                .filter(|a| {
                    a.valid_on(day) && a.valid_on(day + Duration::days(60)) && a.code != triage
                })
                .map(|a| a.code.clone())
                .collect(),
        };
        if categories.is_empty() || areas.is_empty() || agencies.len() < 2 {
            continue;
        }
        let category = categories[rng.random_range(0..categories.len())];
        let area = areas[rng.random_range(0..areas.len())];
        let priority = match rng.random_range(0..20) {
            0 => "khan",
            1..=3 => "phuc-tap",
            _ => "binh-thuong",
        };
        let report = Report {
            category: category.code.clone(),
            place: Place {
                area_code: Some(area.code.clone()),
                ..Place::default()
            },
            priority: priority
                .parse()
                .unwrap_or(tongdai_domain::Priority::BinhThuong),
            filed_at: created.with_timezone(&Utc),
        };
        let Ok(decision) = router.route(&report) else {
            continue;
        };
        let mut story = Story {
            events: Vec::new(),
            at: created,
        };
        let pick_other = |rng: &mut StdRng, not: &str| -> String {
            loop {
                let a = &agencies[rng.random_range(0..agencies.len())];
                if a != not {
                    return a.clone();
                }
            }
        };
        // With a list of its own, the old system filed tickets with those agencies too.
        let mut filing: Option<String> = None;
        let mut agency = match &spec.agencies {
            Some(_) if decision.outcome != Outcome::Triage => {
                let picked = pick_other(&mut rng, &triage);
                filing = Some(picked.clone());
                picked
            }
            _ => decision.agency_code.clone(),
        };
        let roll = rng.random_range(0..100);
        if decision.outcome == Outcome::Triage || roll < 15 {
            // Filed into the IOC's triage queue (as the old system recorded it).
            filing = Some(triage.clone());
            if roll % 10 == 0 {
                story.push(
                    "rejected",
                    hours(&mut rng, 1, 6),
                    json!({"reason": "Không thuộc phạm vi tiếp nhận"}),
                );
                story.push("closed", hours(&mut rng, 20, 50), json!({}));
                finish(
                    out,
                    &mut stats,
                    n,
                    category,
                    area,
                    priority,
                    created,
                    filing.as_deref(),
                    &story,
                )?;
                continue;
            }
            agency = pick_other(&mut rng, &triage);
            story.push(
                "forwarded",
                hours(&mut rng, 1, 4),
                json!({ "agency": agency }),
            );
        }
        if (15..25).contains(&roll) {
            let to = pick_other(&mut rng, &agency);
            story.push(
                "transferred",
                hours(&mut rng, 2, 30),
                json!({ "agency": to, "reason": "Không thuộc thẩm quyền" }),
            );
            agency = to;
        } else if (25..30).contains(&roll) {
            story.push(
                "returned",
                hours(&mut rng, 2, 30),
                json!({ "reason": "Sai địa bàn" }),
            );
            agency = pick_other(&mut rng, &triage);
            story.push(
                "forwarded",
                hours(&mut rng, 1, 4),
                json!({ "agency": agency }),
            );
        }
        story.push("accepted", hours(&mut rng, 1, 8), json!({}));
        if roll >= 95 {
            // Still being handled.
            finish(
                out,
                &mut stats,
                n,
                category,
                area,
                priority,
                created,
                filing.as_deref(),
                &story,
            )?;
            continue;
        }
        if rng.random_range(0..100) < 35 {
            story.push(
                "waiting_citizen",
                hours(&mut rng, 4, 48),
                json!({"reason": "Đề nghị bổ sung hình ảnh, vị trí cụ thể"}),
            );
            story.push("resumed", hours(&mut rng, 4, 72), json!({}));
        }
        if rng.random_range(0..100) < 10 {
            let until = story.at + Duration::days(25);
            story.push(
                "extension_approved",
                hours(&mut rng, 2, 24),
                json!({ "new_deadline": until.to_rfc3339() }),
            );
        }
        story.push("answered", hours(&mut rng, 24, 300), json!({}));
        if rng.random_range(0..100) < 10 {
            story.push(
                "reopened",
                hours(&mut rng, 4, 72),
                json!({"reason": "Chưa khắc phục xong"}),
            );
            story.push("answered", hours(&mut rng, 24, 120), json!({}));
        }
        if rng.random_range(0..100) < 70 {
            story.push(
                "rated",
                hours(&mut rng, 2, 72),
                json!({ "score": rng.random_range(1..=5) }),
            );
        }
        if rng.random_range(0..100) < 80 {
            story.push("closed", hours(&mut rng, 24, 120), json!({}));
        }
        finish(
            out,
            &mut stats,
            n,
            category,
            area,
            priority,
            created,
            filing.as_deref(),
            &story,
        )?;
    }
    Ok(stats)
}

#[allow(clippy::too_many_arguments)]
fn finish(
    out: &mut impl Write,
    stats: &mut SyntheticStats,
    n: u64,
    category: &tongdai_domain::Category,
    area: &tongdai_domain::Area,
    priority: &str,
    created: DateTime<FixedOffset>,
    agency: Option<&str>,
    story: &Story,
) -> std::io::Result<()> {
    let title = TITLES[(n as usize) % TITLES.len()];
    let channel = ["phone", "web", "app", "email"][(n as usize) % 4];
    let record = json!({
        "code": synthetic_code(n).as_str(),
        "channel": channel,
        "category": category.code,
        "priority": priority,
        "area_code": area.code,
        "title": title,
        "description": format!("{title} tại {} (phản ánh số {n}).", area.name),
        "reporter": { "name": "Người dân", "phone": format!("09{:08}", n % 100_000_000) },
        "created_at": created.to_rfc3339(),
        "agency": agency,
        "events": story.events,
    });
    serde_json::to_writer(&mut *out, &record)?;
    out.write_all(b"\n")?;
    stats.tickets += 1;
    stats.events += story.events.len();
    Ok(())
}

fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(chrono::Months::new(months))
        .unwrap_or(date)
}
