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
//! The tickets are imported through `tongdai import` (the library's `import_file`, the same
//! reader, validation, replay and batched writers as the command) from a JSONL file that
//! `import_synth` writes: 24 months from December 2024, filed with, forwarded and
//! transferred between 120 agencies `BENCH-001` … `BENCH-120` (added to a copy of the demo
//! jurisdiction), with pauses, extensions, transfers, returns, reopenings, rejections,
//! ratings and open tickets. The import's tickets/s is printed in the same run. The database
//! `TONGDAI_BENCH_REPORT_DB` (default `tongdai_bench_report`) is kept and reused while it
//! holds `TONGDAI_BENCH_TICKETS` (default 5000000) tickets of a finished import: the first
//! run imports for about 25 minutes on 2 cores.
//! Environment: TONGDAI_BENCH_DATABASE_URL (the server, default
//! postgres://postgres@127.0.0.1:5432/postgres), TONGDAI_BENCH_PERIOD (default 2026-06).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::TimeZone;
use tongdai_domain::FixedClock;
use tongdai_intake::import::Importer;
use tongdai_server::import_cmd::{ImportFormat, ImportOptions, import_file};
use tongdai_server::import_synth::{SyntheticSpec, write_synthetic_jsonl};
use tongdai_server::{Config, SystemClock, app};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The output of `sql`, or `None` when it fails (no such database or table yet).
fn psql_try(url: &str, sql: &str) -> Option<String> {
    let out = std::process::Command::new("psql")
        .args(["-qAtX", "-v", "ON_ERROR_STOP=1", url, "-c", sql])
        .output()
        .expect("psql runs");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
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

/// A copy of the demo jurisdiction with the bench's agencies added, in force throughout.
fn bench_jurisdiction(root: &std::path::Path, into: &std::path::Path) -> Vec<String> {
    let from = root.join("config/jurisdiction");
    for entry in std::fs::read_dir(&from).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, into.join(path.file_name().unwrap())).unwrap();
    }
    let codes: Vec<String> = (1..=AGENCIES).map(|a| format!("BENCH-{a:03}")).collect();
    let mut agencies = std::fs::read_to_string(into.join("agencies.toml")).unwrap();
    for (i, code) in codes.iter().enumerate() {
        agencies.push_str(&format!(
            "\n[[agency]]\ncode = \"{code}\"\nname = \"Đơn vị thử {}\"\nkind = \"department\"\nvalid_from = 1900-01-01\n",
            i + 1
        ));
    }
    std::fs::write(into.join("agencies.toml"), agencies).unwrap();
    codes
}

/// Writes the synthetic history of `n` tickets and imports it; prints both speeds.
fn seed(state: &tongdai_server::AppState, agencies: Vec<String>, n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.jsonl");
    let started = Instant::now();
    let stats = {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        let mut spec = SyntheticSpec::two_years(n);
        spec.agencies = Some(agencies);
        write_synthetic_jsonl(&state.intake.router(), &spec, &mut out).unwrap()
    };
    eprintln!(
        "  wrote {} tickets with {} events ({:.1} GB) in {:.0} s",
        stats.tickets,
        stats.events,
        std::fs::metadata(&file).unwrap().len() as f64 / 1e9,
        started.elapsed().as_secs_f64()
    );
    let importer = Importer::new(state.intake.router(), state.intake.limits().clone());
    let mut options = ImportOptions::new(ImportFormat::Jsonl, &file);
    options.progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let summary = import_file(&state.db, &importer, &options, &SystemClock).unwrap();
    println!("  tongdai import: {}", summary.line());
    println!(
        "  import speed:             {:>8.0} tickets/s ({:.0} stored events/s)",
        summary.tickets_per_second(),
        summary.events as f64 / summary.seconds
    );
    assert_eq!(summary.rejected, 0, "the synthetic history is all valid");
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
             (array_agg((d.payload::jsonb->>'answer_due')::timestamptz ORDER BY d.seq DESC))[1] AS effective,
             -- A clock stopped for the citizen at the end: overdue only if already late then.
             (array_agg(CASE WHEN d.payload::jsonb->>'cause' = 'pause'
                 THEN COALESCE((d.payload::jsonb->>'paused_at')::timestamptz, d.occurred_at::timestamptz) END
               ORDER BY d.seq DESC))[1] AS paused
           FROM ev d LEFT JOIN ans a ON a.ticket_id = d.ticket_id
           WHERE d.kind = 'deadline_set' AND (a.seq IS NULL OR d.seq < a.seq)
           GROUP BY d.ticket_id
         )
         SELECT per.agency,
           count(*) FILTER (WHERE a.at >= '{from}' AND a.at::timestamptz <= per.given) AS on_time,
           count(*) FILTER (WHERE a.at >= '{from}' AND a.at::timestamptz > per.given AND a.at::timestamptz <= per.effective) AS late_ext,
           count(*) FILTER (WHERE a.at >= '{from}' AND a.at::timestamptz > per.effective) AS late,
           count(*) FILTER (WHERE a.at IS NULL AND per.effective > COALESCE(per.paused, '{to}'::timestamptz)) AS open_in_time,
           count(*) FILTER (WHERE a.at IS NULL AND per.effective <= COALESCE(per.paused, '{to}'::timestamptz)) AS open_overdue
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
    let data = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let jurisdiction = tempfile::tempdir().unwrap();
    let agencies = bench_jurisdiction(&root, jurisdiction.path());
    // Reused only when a finished import left exactly the tickets asked for.
    let have = psql_try(
        &url,
        "SELECT (SELECT count(*) FROM tickets) || '/' || (SELECT count(*) FROM import_runs WHERE finished_at IS NOT NULL)",
    );
    let reuse = have.as_deref() == Some(format!("{n}/1").as_str());
    if !reuse {
        eprintln!("importing {n} tickets into {name} (had {have:?}) …");
        psql(&server, &format!("DROP DATABASE IF EXISTS {name}"));
        psql(&server, &format!("CREATE DATABASE {name}"));
        psql(
            &url,
            &format!("ALTER DATABASE {name} SET timezone TO 'UTC'"),
        );
    }
    let config = Config::from_toml_layers(&format!(
        "[database]\nurl = {url:?}\npool_size = 4\n[data]\ndir = {data:?}\n[jurisdiction]\ndir = {j:?}\n[calendar]\ndir = {c:?}\n[report.delivery]\nscheduled = false\n",
        data = data.path().display().to_string(),
        j = jurisdiction.path().display().to_string(),
        c = root.join("config/calendar").display().to_string(),
    ))
    .unwrap();
    let now = tongdai_domain::vn_offset()
        .with_ymd_and_hms(2026, 12, 15, 9, 0, 0)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let state = app::prepare(config, Arc::new(FixedClock::new(now))).unwrap();
    if !reuse {
        seed(&state, agencies, usize::try_from(n).unwrap());
        psql(&url, "VACUUM ANALYZE tickets");
        psql(&url, "VACUUM ANALYZE ticket_events");
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
