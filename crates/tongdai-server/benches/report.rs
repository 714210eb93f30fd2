//! The monthly overdue report on PostgreSQL with 5,000,000 tickets over 24 months and 120
//! agencies, next to a hand-written single SQL aggregate over the same tables:
//!
//!     cargo bench -p tongdai-server --bench report
//!
//! Prints the time of one month's report through the service (the as-of fold: tickets that
//! may matter, their report events before the period's end, folded in Rust), the time of
//! one SQL statement that counts the same month per agency (first answer against the last
//! deadline before it, open at the end, returns), both medians of `TONGDAI_BENCH_RUNS`
//! (default 5) runs, and their ratio; then checks that the two agree on the on-time and late
//! counts of the month (the SQL knows no pauses or send-backs, which the seed has none of).
//! Target: at most 1.5× the SQL.
//!
//! The seed (one psql statement per table, deterministic) is kept in the database
//! `TONGDAI_BENCH_REPORT_DB` (default `tongdai_bench_report`) and reused while it holds
//! `TONGDAI_BENCH_TICKETS` (default 5000000) tickets: the first run takes several minutes.
//! Environment: TONGDAI_BENCH_DATABASE_URL (the server, default
//! postgres://postgres@127.0.0.1:5432/postgres), TONGDAI_BENCH_PERIOD (default 2026-06).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::TimeZone;
use tongdai_domain::FixedClock;
use tongdai_server::{Config, app};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn psql(url: &str, sql: &str) -> String {
    let out = std::process::Command::new("psql")
        .args(["-qAtX", "-v", "ON_ERROR_STOP=1", url, "-c", sql])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql failed: {}\n{sql:.300}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

const AGENCIES: u32 = 120;

/// RFC 3339 in +07:00 of a UTC `timestamp` expression, as the service writes payloads.
fn local(expr: &str) -> String {
    format!("to_char(({expr}) + interval '7 hours', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+07:00\"')")
}

fn seed(url: &str, n: u64) {
    let start = Instant::now();
    psql(
        url,
        &format!(
            "INSERT INTO agencies (code, name, kind, area_code, valid_from, valid_to, basis, confirmed)
             SELECT 'BENCH-' || lpad(a::text, 3, '0'), 'Đơn vị thử ' || a, 'department', NULL,
                    DATE '2020-01-01', NULL, 'bench', TRUE
             FROM generate_series(1, {AGENCIES}) a
             ON CONFLICT (code) DO NOTHING"
        ),
    );
    // One row per ticket with its pseudo-random story; h(k) is deterministic per ticket.
    let h = |k: u32| format!("(abs(hashint8(i * 16 + {k})::bigint) % 1000)");
    psql(url, "DROP TABLE IF EXISTS bench_seed");
    psql(
        url,
        &format!(
            "CREATE UNLOGGED TABLE bench_seed AS
             SELECT i,
               lpad(to_hex(i), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(i), 12, '0') AS id,
               'BENCH-' || lpad(i::text, 10, '0') AS code,
               timestamp '2024-11-30 17:00:00' + (i::float8 / {n}) * interval '730 days' AS created,
               'BENCH-' || lpad((1 + {a} % {AGENCIES})::text, 3, '0') AS agency,
               'BENCH-' || lpad((1 + {b} % {AGENCIES})::text, 3, '0') AS agency2,
               {answer} AS answer_hours,
               -- Open: 30% of the last two months, and a backlog of 0.1% older ones.
               (({open} < 300 AND i > {n} / 12 * 11) OR {open} = 0) AS open,
               -- Extensions and transfers happen before the answer.
               ({ext} < 50 AND {answer} > 240) AS extended,
               ({transfer} < 50 AND {answer} > 48) AS transferred,
               {rated} AS rated
             FROM generate_series(1, {n}) i",
            a = h(1),
            b = h(2),
            // Answers within 0–20 days: a deadline of 14 days leaves ~30% late.
            answer = format!("(1 + {} % 480)", h(3)),
            open = h(4),
            ext = h(5),
            transfer = h(6),
            rated = h(7),
        ),
    );
    eprintln!("seed table: {:.0?}", start.elapsed());
    psql(
        url,
        "ALTER TABLE bench_seed ADD COLUMN due timestamp, ADD COLUMN answered timestamp, ADD COLUMN holder text, ADD COLUMN last timestamp",
    );
    psql(
        url,
        "UPDATE bench_seed SET
           due = CASE WHEN transferred THEN created + interval '16 days' ELSE created + interval '14 days' END,
           answered = CASE WHEN open THEN NULL ELSE created + answer_hours * interval '1 hour' END,
           holder = CASE WHEN transferred THEN agency2 ELSE agency END",
    );
    psql(
        url,
        "UPDATE bench_seed SET last = COALESCE(answered + interval '2 days', created + interval '2 days')",
    );
    eprintln!("seed stories: {:.0?}", start.elapsed());
    psql(
        url,
        "INSERT INTO tickets (id, code, channel, status, priority, category_code, area_code, address,
               latitude, longitude, title, description, agency_code, reporter_name, reporter_phone,
               reporter_email, reporter_subject, consent_at, routing_decision, forward_due_at,
               accept_due_at, answer_due_at, created_at, updated_at, closed_at, attributes,
               submitted_by, version, answer_paused_at, pending_extension_until, published_at, search_text)
             SELECT id, code, (ARRAY['web','app','phone','email','open311'])[1 + i % 5],
               CASE WHEN open THEN 'in_progress' ELSE 'closed' END, 'binh-thuong',
               (ARRAY['chieu-sang.den-duong','giao-thong.o-ga','moi-truong.rac-thai','cap-thoat-nuoc.ngap-nuoc'])[1 + i % 4],
               NULL, NULL, NULL, NULL, 'Phản ánh thử', 'Nội dung thử', holder, NULL, NULL, NULL, NULL,
               created, NULL, created, created + interval '8 hours',
               CASE WHEN extended THEN due + interval '6 days' ELSE due END,
               created, last, CASE WHEN open THEN NULL ELSE answered + interval '2 days' END, '{}',
               NULL, 6, NULL, NULL, answered, 'phan anh thu'
             FROM bench_seed",
    );
    eprintln!("tickets: {:.0?}", start.elapsed());
    let deadline = |cause: &str, agency: &str, due: &str| {
        format!(
            "'{{\"cause\":\"{cause}\",\"agency\":\"' || {agency} || '\",\"forward_due\":null,\"accept_due\":null,\"answer_due\":\"' || {} || '\",\"paused_at\":null,\"clock\":null}}'",
            local(due)
        )
    };
    // Every ticket's events in one statement: filing, routing, its deadline, acceptance,
    // maybe a transfer or an extension, the answer and its publication, a rating, closure.
    psql(
        url,
        &format!(
            "INSERT INTO ticket_events (id, ticket_id, seq, kind, actor_kind, actor_ref, occurred_at, visibility, payload)
             SELECT s.id || '-' || e.seq, s.id, e.seq, e.kind, 'system', 'bench', e.at, e.visibility, e.payload
             FROM bench_seed s
             CROSS JOIN LATERAL (VALUES
               (1, 'created', s.created, 'public', '{{}}', true),
               (2, 'routed', s.created, 'public', '{{\"agency\":\"' || s.agency || '\"}}', true),
               (3, 'deadline_set', s.created, 'internal', {routed}, true),
               (4, 'accepted', s.created + interval '1 hour', 'public', '{{}}', true),
               (5, 'transferred', s.created + interval '2 days', 'public', '{{\"from\":\"' || s.agency || '\",\"to\":\"' || s.agency2 || '\",\"reason\":\"thử\"}}', s.transferred),
               (6, 'deadline_set', s.created + interval '2 days', 'internal', {transfer}, s.transferred),
               (7, 'extension_approved', s.created + interval '10 days', 'public', '{{}}', s.extended),
               (8, 'deadline_set', s.created + interval '10 days', 'internal', {extension}, s.extended),
               (9, 'answer_submitted', s.answered, 'internal', '{{\"agency\":\"' || s.holder || '\",\"answer\":\"thử\",\"needs_approval\":false}}', NOT s.open),
               (10, 'published', s.answered, 'public', '{{\"agency\":\"' || s.holder || '\",\"answer\":\"thử\"}}', NOT s.open),
               (11, 'rated', s.answered + interval '1 day', 'internal', '{{\"rating\":' || (1 + s.rated % 5) || ',\"comment\":null}}', NOT s.open AND s.rated < 300),
               (12, 'closed', s.answered + interval '2 days', 'public', '{{}}', NOT s.open)
             ) AS e(seq, kind, at, visibility, payload, present)
             WHERE e.present",
            routed = deadline("routed", "s.agency", "s.created + interval '14 days'"),
            transfer = deadline("transfer", "s.agency2", "s.created + interval '16 days'"),
            extension = deadline("extension", "s.holder", "s.due + interval '6 days'"),
        ),
    );
    psql(url, "DROP TABLE bench_seed");
    psql(url, "VACUUM ANALYZE tickets");
    psql(url, "VACUUM ANALYZE ticket_events");
    eprintln!("events: {:.0?}", start.elapsed());
}

/// One statement: per agency, the month's first answers against the last deadline set
/// before them (on time, within an extension, late), the tickets open at the end (in time,
/// overdue) and the returns, over the same tables the service reads.
fn hand_sql(from: &str, to: &str) -> String {
    format!(
        "WITH t AS (
           SELECT id FROM tickets
           WHERE created_at < '{to}' AND (updated_at >= '{from}' OR status IN
             ('triage','forwarded','in_progress','waiting_citizen','awaiting_approval','awaiting_publication'))
         ), ev AS (
           SELECT e.ticket_id, e.kind, e.occurred_at, e.seq, e.payload
           FROM ticket_events e JOIN t ON t.id = e.ticket_id
           WHERE e.occurred_at < '{to}' AND e.kind IN ('deadline_set','answer_submitted','returned','rejected')
         ), ans AS (
           SELECT DISTINCT ON (ticket_id) ticket_id, occurred_at AS at, seq
           FROM ev WHERE kind = 'answer_submitted' ORDER BY ticket_id, seq
         ), per AS (
           SELECT d.ticket_id,
             (array_agg(d.payload::jsonb->>'agency' ORDER BY d.seq DESC) FILTER (WHERE d.payload::jsonb->>'cause' <> 'extension'))[1] AS agency,
             (array_agg((d.payload::jsonb->>'answer_due')::timestamptz ORDER BY d.seq DESC) FILTER (WHERE d.payload::jsonb->>'cause' <> 'extension'))[1] AS given,
             (array_agg((d.payload::jsonb->>'answer_due')::timestamptz ORDER BY d.seq DESC))[1] AS effective
           FROM ev d LEFT JOIN ans a ON a.ticket_id = d.ticket_id
           WHERE d.kind = 'deadline_set' AND (a.seq IS NULL OR d.seq < a.seq)
           GROUP BY d.ticket_id
         )
         SELECT per.agency,
           count(*) FILTER (WHERE a.at >= '{from}' AND a.at::timestamptz <= per.given) AS on_time,
           count(*) FILTER (WHERE a.at >= '{from}' AND a.at::timestamptz > per.given AND a.at::timestamptz <= per.effective) AS late_ext,
           count(*) FILTER (WHERE a.at >= '{from}' AND a.at::timestamptz > per.effective) AS late,
           count(*) FILTER (WHERE a.at IS NULL AND per.effective > '{to}'::timestamptz) AS open_in_time,
           count(*) FILTER (WHERE a.at IS NULL AND per.effective <= '{to}'::timestamptz) AS open_overdue
         FROM per LEFT JOIN ans a ON a.ticket_id = per.ticket_id
         GROUP BY per.agency ORDER BY per.agency"
    )
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let server = env_or(
        "TONGDAI_BENCH_DATABASE_URL",
        "postgres://postgres@127.0.0.1:5432/postgres".to_owned(),
    );
    let name = env_or("TONGDAI_BENCH_REPORT_DB", "tongdai_bench_report".to_owned());
    let n: u64 = env_or("TONGDAI_BENCH_TICKETS", 5_000_000);
    let runs: usize = env_or("TONGDAI_BENCH_RUNS", 5);
    let label = env_or("TONGDAI_BENCH_PERIOD", "2026-06".to_owned());
    let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
    let url = format!("{base}/{name}");
    if psql(
        &server,
        &format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'"),
    ) == "0"
    {
        psql(&server, &format!("CREATE DATABASE {name}"));
    }
    // TestDatabase's UTC session: timestamps are compared as stored.
    psql(
        &url,
        &format!("ALTER DATABASE {name} SET timezone TO 'UTC'"),
    );

    let data = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let config = Config::from_toml_layers(&format!(
        "[database]\nurl = {url:?}\npool_size = 4\n[data]\ndir = {data:?}\n[jurisdiction]\ndir = {j:?}\n[calendar]\ndir = {c:?}\n[report.delivery]\nscheduled = false\n",
        data = data.path().display().to_string(),
        j = root.join("config/jurisdiction").display().to_string(),
        c = root.join("config/calendar").display().to_string(),
    ))
    .unwrap();
    let now = tongdai_domain::vn_offset()
        .with_ymd_and_hms(2026, 12, 15, 9, 0, 0)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let state = app::prepare(config, Arc::new(FixedClock::new(now))).unwrap();
    let have: u64 = psql(
        &url,
        "SELECT count(*) FROM tickets WHERE code LIKE 'BENCH-%'",
    )
    .parse()
    .unwrap();
    if have != n {
        eprintln!("seeding {n} tickets into {name} (had {have}) …");
        psql(
            &url,
            "TRUNCATE ticket_events, attachments, idempotency_keys, outbox, tickets CASCADE",
        );
        seed(&url, n);
    }
    let events: u64 = psql(&url, "SELECT count(*) FROM ticket_events")
        .parse()
        .unwrap();
    let intake = state.intake.clone();
    let period = intake.report_period(&label).unwrap();
    let (from, to) = (
        period.from_utc().naive_utc().to_string(),
        period.to_utc().naive_utc().to_string(),
    );
    println!(
        "report bench: {n} tickets, {events} events, {AGENCIES} agencies, period {label} ({from} – {to} UTC), {runs} runs"
    );

    // Warm both paths once (caches, plans), then time them alternately.
    let sql = hand_sql(&from, &to);
    let figures = intake.compute_figures(&period, now).unwrap();
    let sql_rows = psql(&url, &sql);
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        let r = intake.compute_figures(&period, now).unwrap();
        ours.push(t.elapsed());
        assert_eq!(r.totals, figures.totals);
        let t = Instant::now();
        let _ = psql(&url, &sql);
        theirs.push(t.elapsed());
    }
    let (ours, theirs) = (median(ours), median(theirs));
    println!(
        "  service (as-of fold):     {:>8.1} ms",
        ours.as_secs_f64() * 1e3
    );
    println!(
        "  hand-written SQL (psql):  {:>8.1} ms",
        theirs.as_secs_f64() * 1e3
    );
    println!(
        "  ratio service / SQL:      {:>8.2}×  (target ≤ 1.5×)",
        ours.as_secs_f64() / theirs.as_secs_f64()
    );

    // The two agree on the month.
    let (mut on_time, mut late_ext, mut late, mut open_in, mut open_over) = (0, 0, 0, 0, 0);
    for line in sql_rows.lines() {
        let f: Vec<&str> = line.split('|').collect();
        if f.len() == 6 && f[0].starts_with("BENCH-") {
            on_time += f[1].parse::<u64>().unwrap();
            late_ext += f[2].parse::<u64>().unwrap();
            late += f[3].parse::<u64>().unwrap();
            open_in += f[4].parse::<u64>().unwrap();
            open_over += f[5].parse::<u64>().unwrap();
        }
    }
    let t = &figures.totals;
    println!(
        "  month totals: received {}, on time {}, late with extension {}, late {}, open in time {}, open overdue {}, rate {:?}%",
        t.received,
        t.on_time,
        t.late_with_extension,
        t.late,
        t.open_in_time,
        t.open_overdue,
        t.on_time_rate
    );
    assert_eq!(
        (
            t.on_time,
            t.late_with_extension,
            t.late,
            t.open_in_time,
            t.open_overdue
        ),
        (on_time, late_ext, late, open_in, open_over),
        "service and SQL disagree"
    );
    println!("  service and SQL agree on every count");
}
