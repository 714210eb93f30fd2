//! Staff queue and search latency on PostgreSQL with 1,000,000 tickets, over HTTP through
//! the real server (token check, scope, query, JSON):
//!
//!     cargo bench -p tongdai-server --bench queue
//!
//! Prints p50/p95/p99 of a clerk's first queue page, of a keyset page 50 pages deep, and of
//! `q` searches (a common phrase and a rare word, without diacritics) over every agency.
//! Target: p99 under 20 ms. Environment: TONGDAI_BENCH_DATABASE_URL (default
//! postgres://postgres@127.0.0.1:5432/postgres), TONGDAI_BENCH_TICKETS (default 1000000),
//! TONGDAI_BENCH_SAMPLES (requests per scenario, default 300).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tongdai_domain::Clock;
use tongdai_domain::jurisdiction::Dated;
use tongdai_server::{Application, Config, SystemClock, app};
use tongdai_storage::testing::TestDatabase;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

const TITLES: [&str; 6] = [
    "Đèn đường không sáng",
    "Ổ gà trên đường Hùng Vương",
    "Ngập nước sau mưa lớn",
    "Tiếng ồn karaoke khuya",
    "Rác thải tồn đọng lâu ngày",
    "Cây xanh ngã đổ chắn lối đi",
];

/// Seeds `n` tickets in one statement per 100,000, spread over a year and over every
/// agency, 10% of them open; the search text folded as intake stores it.
fn seed(db: &TestDatabase, n: usize, agencies: &[String]) {
    // psql: the benchmark's SQL stays out of the server's code.
    let psql = |sql: &str| {
        let status = std::process::Command::new("psql")
            .args(["-q", "-v", "ON_ERROR_STOP=1", &db.url, "-c", sql])
            .status()
            .expect("psql runs");
        assert!(status.success(), "psql failed: {sql:.200}");
    };
    let titles: Vec<String> = TITLES
        .iter()
        .map(|t| format!("'{}'", t.replace('\'', "''")))
        .collect();
    let folded: Vec<String> = TITLES
        .iter()
        .map(|t| format!("'{}'", tongdai_domain::text::fold(t)))
        .collect();
    let agency_list: Vec<String> = agencies.iter().map(|a| format!("'{a}'")).collect();
    let alphabet = std::str::from_utf8(tongdai_domain::tracking::ALPHABET).unwrap();
    let digit = |k: u32| {
        format!(
            "substr('{alphabet}', 1 + ((i / {}) % 23)::int, 1)",
            23_u64.pow(k)
        )
    };
    let code = format!(
        "'1022-' || {} || {} || {} || {} || '-' || {} || {} || {} || {}",
        digit(7),
        digit(6),
        digit(5),
        digit(4),
        digit(3),
        digit(2),
        digit(1),
        digit(0)
    );
    psql("DROP INDEX IF EXISTS tickets_search_text_trgm");
    let started = Instant::now();
    let batch = 100_000;
    let mut from = 1;
    while from <= n {
        let to = (from + batch - 1).min(n);
        let sql = format!(
            "INSERT INTO tickets (id, code, channel, status, priority, category_code, area_code, \
             address, title, description, agency_code, created_at, updated_at, attributes, \
             version, search_text, forward_due_at, accept_due_at, answer_due_at) \
             SELECT md5(i::text)::uuid::text, {code}, 'web', \
               CASE WHEN i % 20 = 0 THEN 'in_progress' WHEN i % 20 = 1 THEN 'forwarded' ELSE 'closed' END, \
               'binh-thuong', 'chieu-sang.den-duong', 'TN-P-LONGAN', 'Số ' || i || ' đường Hùng Vương', \
               (ARRAY[{titles}])[1 + i % 6] || ' số ' || i, \
               'Người dân phản ánh tình trạng kéo dài nhiều ngày, đề nghị xử lý sớm.', \
               (ARRAY[{agencies}])[1 + (i / 7) % {count}], \
               ts, ts, '{{}}', 1, \
               lower({code}) || ' ' || (ARRAY[{folded}])[1 + i % 6] || ' so ' || i || \
                 ' ~ nguoi dan phan anh tinh trang keo dai nhieu ngay de nghi xu ly som so ' || i || ' duong hung vuong', \
               ts + interval '1 day', ts + interval '2 days', ts + interval '14 days' \
             FROM (SELECT i, timestamp '2026-11-30 00:00:00' - (i * interval '31 seconds') AS ts \
                   FROM generate_series({from}, {to}) AS i) AS s",
            titles = titles.join(","),
            folded = folded.join(","),
            agencies = agency_list.join(","),
            count = agencies.len(),
        );
        psql(&sql);
        from = to + 1;
    }
    let inserted = started.elapsed();
    psql("CREATE INDEX tickets_search_text_trgm ON tickets USING gin (search_text gin_trgm_ops)");
    psql("ANALYZE tickets");
    println!(
        "seeded {n} tickets over {} agencies: insert {:.1} s, trigram index + analyze {:.1} s",
        agencies.len(),
        inserted.as_secs_f64(),
        (started.elapsed() - inserted).as_secs_f64()
    );
}

fn main() {
    let admin_url = std::env::var("TONGDAI_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let tickets: usize = env_or("TONGDAI_BENCH_TICKETS", 1_000_000);
    let samples: usize = env_or("TONGDAI_BENCH_SAMPLES", 300);

    let db = TestDatabase::postgres_at(&admin_url);
    let data = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let config = Config::from_toml_layers(&format!(
        "[server]\nbind = \"127.0.0.1:0\"\nworkers = 2\n[database]\nurl = {:?}\npool_size = 8\n[data]\ndir = {:?}\n[jurisdiction]\ndir = {:?}\n[calendar]\ndir = {:?}\n[log]\nfilter = \"warn\"\n",
        db.url,
        data.path().display().to_string(),
        root.join("config/jurisdiction").display().to_string(),
        root.join("config/calendar").display().to_string(),
    ))
    .unwrap();
    let state = app::prepare(config, Arc::new(SystemClock)).unwrap();
    let today = tongdai_domain::local_date(SystemClock.now());
    let mut agencies: Vec<String> = state
        .router
        .current()
        .jurisdiction()
        .agencies
        .iter()
        .filter(|a| a.valid_on(today))
        .map(|a| a.code.clone())
        .collect();
    agencies.sort();
    let clerk_agency = agencies[0].clone();
    seed(&db, tickets, &agencies);
    for (name, roles, agency) in [
        (
            "clerk",
            vec!["clerk".to_owned()],
            Some(clerk_agency.clone()),
        ),
        ("ioc", vec!["ioc".to_owned()], None),
    ] {
        tongdai_auth::users::create_user(
            &mut db.db.conn().unwrap(),
            tongdai_auth::users::NewStaffUser {
                username: name.into(),
                display_name: name.into(),
                email: None,
                agency_code: agency,
                roles,
                password: "mật-khẩu-đủ-dài-2026".into(),
            },
            SystemClock.now(),
        )
        .unwrap();
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let application = Application::with_listener(state, listener).unwrap();
        let base = format!("http://{}", application.addr());
        tokio::spawn(application.into_server());
        let client = reqwest::Client::new();
        let token = |user: &'static str| {
            let (client, base) = (client.clone(), base.clone());
            async move {
                let body: serde_json::Value = client
                    .post(format!("{base}/api/v1/auth/login"))
                    .json(
                        &serde_json::json!({"username": user, "password": "mật-khẩu-đủ-dài-2026"}),
                    )
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                body["access_token"].as_str().unwrap().to_owned()
            }
        };
        let clerk = token("clerk").await;
        let ioc = token("ioc").await;

        // The cursor 50 pages deep into the clerk's whole list.
        let mut cursor = String::new();
        for _ in 0..50 {
            let path = if cursor.is_empty() {
                "/api/v1/staff/tickets?view=all&limit=50".to_owned()
            } else {
                format!("/api/v1/staff/tickets?view=all&limit=50&cursor={cursor}")
            };
            let page: serde_json::Value = client
                .get(format!("{base}{path}"))
                .bearer_auth(&clerk)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            cursor = match page["next_cursor"].as_str() {
                Some(next) => next.to_owned(),
                None => panic!("no next page: {page}"),
            };
        }
        let rare = tickets / 2 + 17;
        let scenarios = [
            (
                "clerk queue, first page (view=mine)",
                clerk.clone(),
                "/api/v1/staff/tickets?view=mine".to_owned(),
            ),
            (
                "clerk list, keyset page 51 (view=all)",
                clerk.clone(),
                format!("/api/v1/staff/tickets?view=all&limit=50&cursor={cursor}"),
            ),
            (
                "clerk overdue, by due date",
                clerk.clone(),
                "/api/v1/staff/tickets?view=overdue&order=due".to_owned(),
            ),
            (
                "IOC search q=\"den duong hung vuong\" (all agencies)",
                ioc.clone(),
                "/api/v1/staff/tickets?view=all&q=den%20duong%20hung%20vuong".to_owned(),
            ),
            (
                "IOC search q=<rare number> (one ticket in 1M)",
                ioc.clone(),
                format!("/api/v1/staff/tickets?view=all&q={rare}"),
            ),
            (
                "IOC search q=\"karaoke\" + view=mine",
                ioc.clone(),
                "/api/v1/staff/tickets?view=mine&q=karaoke".to_owned(),
            ),
        ];
        println!(
            "{:<55} {:>9} {:>9} {:>9} {:>6}",
            "scenario (sequential, over HTTP)", "p50 ms", "p95 ms", "p99 ms", "rows"
        );
        for (name, token, path) in scenarios {
            let url = format!("{base}{path}");
            let mut times = Vec::with_capacity(samples);
            let mut rows = 0;
            for i in 0..samples + 10 {
                let started = Instant::now();
                let response = client.get(&url).bearer_auth(&token).send().await.unwrap();
                assert!(
                    response.status().is_success(),
                    "{name}: {}",
                    response.status()
                );
                let body: serde_json::Value = response.json().await.unwrap();
                let took = started.elapsed();
                rows = body["items"].as_array().map_or(0, Vec::len);
                if i >= 10 {
                    times.push(took);
                }
            }
            times.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            println!(
                "{:<55} {:>9.2} {:>9.2} {:>9.2} {:>6}",
                name,
                ms(percentile(&times, 50.0)),
                ms(percentile(&times, 95.0)),
                ms(percentile(&times, 99.0)),
                rows
            );
        }
    });
}
