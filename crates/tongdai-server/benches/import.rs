//! `tongdai import` throughput on PostgreSQL:
//!
//!     cargo bench -p tongdai-server --bench import
//!
//! Writes TONGDAI_BENCH_TICKETS (default 100,000) synthetic JSONL tickets over 24 months of
//! the demo jurisdiction (`tongdai_server::import_synth::write_synthetic_jsonl`, the
//! generator a later bench reuses for 5,000,000 tickets), imports them into a fresh database
//! on TONGDAI_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; a
//! database `t_<uuid>` is created there and dropped at the end) in batches of
//! TONGDAI_BENCH_BATCH (default 1000), and prints tickets/s and stored events/s.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::BufWriter;
use std::sync::Arc;
use std::time::Instant;

use tongdai_intake::IntakeLimits;
use tongdai_intake::import::Importer;
use tongdai_server::import_cmd::{ImportFormat, ImportOptions, import_file};
use tongdai_server::import_synth::{SyntheticSpec, write_synthetic_jsonl};
use tongdai_server::{SystemClock, app, loader};
use tongdai_storage::testing::TestDatabase;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let admin_url = std::env::var("TONGDAI_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let tickets: usize = env_or("TONGDAI_BENCH_TICKETS", 100_000);
    let batch: usize = env_or("TONGDAI_BENCH_BATCH", 1000);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let jurisdiction = root.join("config/jurisdiction");
    let router = loader::build_router(
        &jurisdiction,
        &root.join("config/calendar"),
        Default::default(),
    )
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tickets.jsonl");
    let started = Instant::now();
    let stats = {
        let mut out = BufWriter::new(std::fs::File::create(&file).unwrap());
        write_synthetic_jsonl(&router, &SyntheticSpec::two_years(tickets), &mut out).unwrap()
    };
    let size = std::fs::metadata(&file).unwrap().len();
    println!(
        "generated {} tickets with {} events ({:.1} MB) in {:.1} s",
        stats.tickets,
        stats.events,
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    // The service's part alone (parse, validate, route, replay), without the database.
    let importer = Importer::new(Arc::new(router.clone()), IntakeLimits::default());
    let started = Instant::now();
    let text = std::fs::read_to_string(&file).unwrap();
    let mut prepared = 0usize;
    for line in text.lines() {
        let record = serde_json::from_str(line).unwrap();
        if importer.prepare(record).is_ok() {
            prepared += 1;
        }
    }
    let prepare_secs = started.elapsed().as_secs_f64();
    println!(
        "prepare only: {prepared} tickets in {prepare_secs:.1} s, {:.0} tickets/s",
        prepared as f64 / prepare_secs
    );
    drop(text);

    let db = TestDatabase::postgres_at(&admin_url);
    let snapshot =
        loader::JurisdictionSnapshot::read(&jurisdiction, &root.join("config/calendar")).unwrap();
    app::store_jurisdiction(
        &db.db,
        router.jurisdiction(),
        &snapshot,
        &jurisdiction,
        &SystemClock,
    )
    .unwrap();
    let mut options = ImportOptions::new(ImportFormat::Jsonl, &file);
    options.batch_size = batch;
    let summary = import_file(&db.db, &importer, &options, &SystemClock).unwrap();
    println!("{}", summary.line());
    println!(
        "import: {:.0} tickets/s, {:.0} stored events/s ({:.1} stored events per ticket), batches of {batch}",
        summary.imported as f64 / summary.seconds,
        summary.events as f64 / summary.seconds,
        summary.events as f64 / summary.imported.max(1) as f64
    );
    if summary.rejected > 0 {
        let rejects = std::fs::read_to_string(&options.rejects).unwrap();
        panic!("{} rejected:\n{rejects:.4000}", summary.rejected);
    }
}
