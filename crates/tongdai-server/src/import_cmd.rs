//! `tongdai import --format csv|jsonl FILE`: historical tickets with their past events from
//! the system in use before (docs/import.md). This module only moves bytes: it reads the
//! file record by record (JSONL lines bounded in length, CSV rows), hands each record to
//! `tongdai_intake::import::Importer` (validation, routing, the events the live workflow
//! writes), writes refused records with their reasons to the rejects file, and stores the
//! tickets in batches through `tongdai_storage::import::store_batch` (one transaction per
//! batch, with the run's progress), so a run cut short continues after its last committed
//! batch. Errors: `anyhow`, as in the rest of the CLI.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use tongdai_domain::Clock;
use tongdai_intake::import::{ImportDeadlines, ImportRecord, ImportReporter, Importer, Reason};
use tongdai_storage::Database;
use tongdai_storage::import::{self, ImportedTicket};

/// A JSONL line longer than this is refused (with a reason), never loaded whole.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportFormat {
    Csv,
    Jsonl,
}

impl ImportFormat {
    pub fn code(self) -> &'static str {
        match self {
            ImportFormat::Csv => "csv",
            ImportFormat::Jsonl => "jsonl",
        }
    }
}

/// `tongdai import`.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// csv (one ticket per row, no events) or jsonl (one ticket per line, with its events).
    #[arg(long, value_enum)]
    pub format: ImportFormat,
    /// The file exported by the old system.
    pub file: PathBuf,
    /// Where refused records go, with their line and reasons (default FILE.rejected.jsonl).
    #[arg(long, value_name = "PATH")]
    pub rejects: Option<PathBuf>,
    /// Tickets per transaction.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch_size: u32,
    /// No progress bar (it is hidden anyway when stderr is not a terminal).
    #[arg(long)]
    pub quiet: bool,
}

/// What one import does; `ImportArgs` as the library takes it (tests, benches).
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub format: ImportFormat,
    pub file: PathBuf,
    pub rejects: PathBuf,
    pub batch_size: usize,
    pub progress: bool,
    /// Stop (as a crash would) after this many committed batches, leaving the run open.
    pub stop_after_batches: Option<usize>,
}

impl ImportOptions {
    pub fn new(format: ImportFormat, file: impl Into<PathBuf>) -> Self {
        let file = file.into();
        Self {
            format,
            rejects: default_rejects(&file),
            file,
            batch_size: 1000,
            progress: false,
            stop_after_batches: None,
        }
    }
}

impl From<&ImportArgs> for ImportOptions {
    fn from(args: &ImportArgs) -> Self {
        Self {
            format: args.format,
            rejects: args
                .rejects
                .clone()
                .unwrap_or_else(|| default_rejects(&args.file)),
            file: args.file.clone(),
            batch_size: usize::try_from(args.batch_size).unwrap_or(1000),
            progress: !args.quiet && std::io::stderr().is_terminal(),
            stop_after_batches: None,
        }
    }
}

/// `FILE.rejected.jsonl` beside the file.
pub fn default_rejects(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".rejected.jsonl");
    PathBuf::from(name)
}

/// The outcome of one run (this process's part of it when it resumed another).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportSummary {
    pub run_id: String,
    /// Set when an interrupted run of the same file was continued: the records it had done.
    pub resumed_after: Option<i64>,
    pub read: usize,
    pub imported: usize,
    /// Already stored (an earlier run, a code twice in the file).
    pub skipped: usize,
    pub rejected: usize,
    pub events: usize,
    pub seconds: f64,
    /// False when stopped by `stop_after_batches`.
    pub finished: bool,
}

impl ImportSummary {
    pub fn tickets_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.imported as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// The last line of `tongdai import`.
    pub fn line(&self) -> String {
        format!(
            "read {}, imported {}, skipped {} (already imported), rejected {}, {:.1} s, {:.0} tickets/s ({} events)",
            self.read,
            self.imported,
            self.skipped,
            self.rejected,
            self.seconds,
            self.tickets_per_second(),
            self.events
        )
    }
}

/// A CSV row: the JSONL fields flat, without events.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvRecord {
    pub code: String,
    pub channel: String,
    pub category: String,
    #[serde(default)]
    pub priority: Option<String>,
    #[serde(default)]
    pub area_code: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub reporter_name: Option<String>,
    #[serde(default)]
    pub reporter_phone: Option<String>,
    #[serde(default)]
    pub reporter_email: Option<String>,
    pub created_at: String,
    #[serde(default)]
    pub agency: Option<String>,
    #[serde(default)]
    pub answer_deadline: Option<String>,
    #[serde(default)]
    pub accept_deadline: Option<String>,
}

/// The CSV columns, in the documented order.
pub const CSV_COLUMNS: [&str; 15] = [
    "code",
    "channel",
    "category",
    "priority",
    "area_code",
    "address",
    "title",
    "description",
    "reporter_name",
    "reporter_phone",
    "reporter_email",
    "created_at",
    "agency",
    "answer_deadline",
    "accept_deadline",
];

fn instant(field: &str, text: &str) -> Result<DateTime<FixedOffset>, Reason> {
    DateTime::parse_from_rfc3339(text.trim()).map_err(|e| {
        Reason::new(
            field,
            format!(
                "Thời điểm «{text}» không đúng dạng RFC 3339 (ví dụ 2025-03-04T08:30:00+07:00)."
            ),
            format!("{text:?} is not an RFC 3339 instant (e.g. 2025-03-04T08:30:00+07:00): {e}"),
        )
    })
}

fn blank(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

impl CsvRecord {
    fn into_record(self) -> Result<ImportRecord, Vec<Reason>> {
        let mut reasons = Vec::new();
        let created_at = instant("created_at", &self.created_at).map_err(|r| reasons.push(r));
        let answer = blank(self.answer_deadline)
            .map(|t| instant("answer_deadline", &t))
            .transpose()
            .map_err(|r| reasons.push(r));
        let accept = blank(self.accept_deadline)
            .map(|t| instant("accept_deadline", &t))
            .transpose()
            .map_err(|r| reasons.push(r));
        let (Ok(created_at), Ok(answer), Ok(accept)) = (created_at, answer, accept) else {
            return Err(reasons);
        };
        if accept.is_some() && answer.is_none() {
            return Err(vec![Reason::new(
                "accept_deadline",
                "Có hạn tiếp nhận thì phải có hạn trả lời (answer_deadline).",
                "accept_deadline needs answer_deadline",
            )]);
        }
        let reporter = ImportReporter {
            name: blank(self.reporter_name),
            phone: blank(self.reporter_phone),
            email: blank(self.reporter_email),
        };
        Ok(ImportRecord {
            code: self.code,
            channel: self.channel,
            category: self.category,
            priority: blank(self.priority),
            area_code: blank(self.area_code),
            address: blank(self.address),
            title: self.title,
            description: self.description,
            reporter: Some(reporter),
            created_at,
            agency: blank(self.agency),
            deadlines: answer.map(|answer| ImportDeadlines { answer, accept }),
            attributes: Default::default(),
            events: Vec::new(),
        })
    }
}

/// One record read from the file.
struct Read1 {
    /// 1-based position among the records (JSONL: the line; CSV: the row after the header).
    position: i64,
    /// The line of the file it starts on.
    line: u64,
    /// Bytes of the file read so far (for the progress bar).
    offset: u64,
    /// The record's `code`, when it could be read, for the rejects file.
    code: Option<String>,
    record: Result<ImportRecord, Vec<Reason>>,
}

fn io_reason(e: impl std::fmt::Display) -> Vec<Reason> {
    vec![Reason::new(
        "",
        format!("Không đọc được bản ghi: {e}"),
        format!("unreadable record: {e}"),
    )]
}

/// JSONL, one line at a time, never more than [`MAX_LINE_BYTES`] of one line in memory.
struct JsonlReader<R> {
    reader: R,
    line: u64,
    offset: u64,
    buf: Vec<u8>,
}

impl<R: BufRead> JsonlReader<R> {
    fn next(&mut self) -> anyhow::Result<Option<Read1>> {
        loop {
            self.buf.clear();
            let limit = u64::try_from(MAX_LINE_BYTES).unwrap_or(u64::MAX) + 1;
            let n = (&mut self.reader)
                .take(limit)
                .read_until(b'\n', &mut self.buf)?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            self.offset += n as u64;
            let position = i64::try_from(self.line).unwrap_or(i64::MAX);
            if self.buf.len() > MAX_LINE_BYTES && self.buf.last() != Some(&b'\n') {
                // Skip the rest of the line without keeping it.
                let mut rest = 0u64;
                loop {
                    let chunk = self.reader.fill_buf()?;
                    if chunk.is_empty() {
                        break;
                    }
                    match chunk.iter().position(|b| *b == b'\n') {
                        Some(i) => {
                            self.reader.consume(i + 1);
                            rest += i as u64 + 1;
                            break;
                        }
                        None => {
                            let len = chunk.len();
                            self.reader.consume(len);
                            rest += len as u64;
                        }
                    }
                }
                self.offset += rest;
                return Ok(Some(Read1 {
                    position,
                    line: self.line,
                    offset: self.offset,
                    code: None,
                    record: Err(vec![Reason::new(
                        "",
                        format!("Dòng dài hơn {} MiB.", MAX_LINE_BYTES / (1024 * 1024)),
                        format!("line longer than {} MiB", MAX_LINE_BYTES / (1024 * 1024)),
                    )]),
                }));
            }
            let text = match std::str::from_utf8(&self.buf) {
                Ok(t) => t.trim(),
                Err(e) => {
                    return Ok(Some(Read1 {
                        position,
                        line: self.line,
                        offset: self.offset,
                        code: None,
                        record: Err(vec![Reason::new(
                            "",
                            format!("Dòng không phải UTF-8: {e}"),
                            format!("line is not UTF-8: {e}"),
                        )]),
                    }));
                }
            };
            if text.is_empty() {
                continue;
            }
            let value: Result<serde_json::Value, _> = serde_json::from_str(text);
            let (code, record) = match value {
                Err(e) => (
                    None,
                    Err(vec![Reason::new(
                        "",
                        format!("Dòng không phải JSON hợp lệ: {e}"),
                        format!("not valid JSON: {e}"),
                    )]),
                ),
                Ok(value) => {
                    let code = value
                        .get("code")
                        .and_then(|c| c.as_str())
                        .map(str::to_owned);
                    let record = serde_json::from_value::<ImportRecord>(value).map_err(|e| {
                        vec![Reason::new(
                            "",
                            format!("Bản ghi không đúng định dạng nhập: {e}"),
                            format!("not a ticket of the import format: {e}"),
                        )]
                    });
                    (code, record)
                }
            };
            return Ok(Some(Read1 {
                position,
                line: self.line,
                offset: self.offset,
                code,
                record,
            }));
        }
    }
}

/// CSV with a header row.
struct CsvReader<R> {
    reader: csv::Reader<R>,
    headers: csv::StringRecord,
    position: i64,
    row: csv::StringRecord,
}

impl<R: Read> CsvReader<R> {
    fn new(input: R) -> anyhow::Result<Self> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(input);
        let headers = reader
            .headers()
            .context("reading the CSV header row")?
            .clone();
        let unknown: Vec<&str> = headers
            .iter()
            .filter(|h| !CSV_COLUMNS.contains(&h.trim()))
            .collect();
        anyhow::ensure!(
            unknown.is_empty(),
            "unknown CSV columns {unknown:?}; the columns are {}",
            CSV_COLUMNS.join(",")
        );
        let headers = csv::StringRecord::from(headers.iter().map(str::trim).collect::<Vec<_>>());
        Ok(Self {
            reader,
            headers,
            position: 0,
            row: csv::StringRecord::new(),
        })
    }

    fn next(&mut self) -> anyhow::Result<Option<Read1>> {
        let read = self.reader.read_record(&mut self.row);
        let line = self.reader.position().line();
        let offset = self.reader.position().byte();
        let more = match read {
            Ok(more) => more,
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => return Err(e.into()),
            Err(e) => {
                self.position += 1;
                return Ok(Some(Read1 {
                    position: self.position,
                    line,
                    offset,
                    code: None,
                    record: Err(io_reason(e)),
                }));
            }
        };
        if !more {
            return Ok(None);
        }
        self.position += 1;
        let line = self.row.position().map_or(line, |p| p.line());
        let code = self
            .headers
            .iter()
            .position(|h| h == "code")
            .and_then(|i| self.row.get(i))
            .map(str::to_owned);
        let record = if self.row.as_slice().len() > MAX_LINE_BYTES {
            Err(vec![Reason::new(
                "",
                format!("Dòng dài hơn {} MiB.", MAX_LINE_BYTES / (1024 * 1024)),
                format!("row longer than {} MiB", MAX_LINE_BYTES / (1024 * 1024)),
            )])
        } else {
            self.row
                .deserialize::<CsvRecord>(Some(&self.headers))
                .map_err(|e| {
                    vec![Reason::new(
                        "",
                        format!("Dòng không đúng định dạng nhập: {e}"),
                        format!("not a ticket of the import format: {e}"),
                    )]
                })
                .and_then(CsvRecord::into_record)
        };
        Ok(Some(Read1 {
            position: self.position,
            line,
            offset,
            code,
            record,
        }))
    }
}

enum Records {
    Jsonl(JsonlReader<BufReader<File>>),
    Csv(CsvReader<BufReader<File>>),
}

impl Records {
    fn open(format: ImportFormat, path: &Path) -> anyhow::Result<Self> {
        let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let reader = BufReader::with_capacity(256 * 1024, file);
        Ok(match format {
            ImportFormat::Jsonl => Records::Jsonl(JsonlReader {
                reader,
                line: 0,
                offset: 0,
                buf: Vec::new(),
            }),
            ImportFormat::Csv => Records::Csv(CsvReader::new(reader)?),
        })
    }

    fn next(&mut self) -> anyhow::Result<Option<Read1>> {
        match self {
            Records::Jsonl(r) => r.next(),
            Records::Csv(r) => r.next(),
        }
    }
}

/// The SHA-256 of the file, read in pieces: a run is resumed only on the same bytes.
pub fn file_sha256(path: &Path) -> anyhow::Result<String> {
    let mut file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// The rejects file of a resumed run keeps only the records its committed batches did;
/// a new run starts it empty.
fn open_rejects(path: &Path, keep_up_to: Option<i64>) -> anyhow::Result<BufWriter<File>> {
    let kept: Vec<String> = match keep_up_to {
        Some(done) if path.exists() => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            text.lines()
                .filter(|l| {
                    serde_json::from_str::<serde_json::Value>(l)
                        .ok()
                        .and_then(|v| v.get("record").and_then(serde_json::Value::as_i64))
                        .is_some_and(|p| p <= done)
                })
                .map(str::to_owned)
                .collect()
        }
        _ => Vec::new(),
    };
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = BufWriter::new(file);
    for line in kept {
        writeln!(out, "{line}")?;
    }
    Ok(out)
}

fn progress_bar(total: u64, shown: bool) -> indicatif::ProgressBar {
    if !shown {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{elapsed_precise} [{bar:40}] {bytes}/{total_bytes} ({eta}) {msg}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// One batch on its way from the reader to a writer.
struct PreparedBatch {
    /// Its place in the file: batches commit in this order.
    index: u64,
    tickets: Vec<ImportedTicket>,
    /// The position of the batch's last record: the run's progress once it commits.
    last_position: i64,
    rejected: usize,
    /// Codes already in a batch in flight: skipped like codes already stored.
    twice: usize,
    read: usize,
    /// Bytes of the file read so far, for the progress bar.
    offset: u64,
}

/// Batches prepared ahead of the writers: enough to keep them busy, few enough to bound
/// memory.
const BATCHES_AHEAD: usize = 2;

/// Writers on PostgreSQL (one per core here; SQLite has one writer at a time anyway).
const POSTGRES_WRITERS: usize = 2;

/// The order in which batches commit, shared by the writers.
#[derive(Default)]
struct CommitOrder {
    state: std::sync::Mutex<OrderState>,
    turned: std::sync::Condvar,
}

#[derive(Default)]
struct OrderState {
    /// The index of the batch whose turn it is to commit.
    next: u64,
    /// No batch commits any more (an error, or `stop_after_batches` reached).
    halted: bool,
}

impl CommitOrder {
    /// Blocks until batch `index` may commit; false when the import halted meanwhile.
    fn wait_for(&self, index: u64) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        while state.next != index && !state.halted {
            state = match self.turned.wait(state) {
                Ok(s) => s,
                Err(_) => return false,
            };
        }
        !state.halted
    }

    fn committed(&self, index: u64, halt: bool) {
        if let Ok(mut state) = self.state.lock() {
            state.next = index + 1;
            state.halted |= halt;
        }
        self.turned.notify_all();
    }

    fn halt(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.halted = true;
        }
        self.turned.notify_all();
    }
}

/// Imports `options.file` into `db`. Bad records never stop it: they go to the rejects
/// file. Resumes the unfinished run of the same file, if any.
///
/// One thread reads, validates and replays records (CPU) while writers store the batches
/// before (on PostgreSQL two, each on its own connection, so the database works on both
/// cores). Batches commit one at a time in file order (a writer waits for its turn inside
/// its transaction), so the run's progress is always a prefix of the file; the rejects of
/// a batch are flushed before it is handed over, hence before it commits. A code twice
/// within the batches in flight is skipped by the reader: two open transactions inserting
/// one code would wait on each other.
pub fn import_file(
    db: &Database,
    importer: &Importer,
    options: &ImportOptions,
    clock: &dyn Clock,
) -> anyhow::Result<ImportSummary> {
    let started = Instant::now();
    let sha = file_sha256(&options.file)?;
    let mut conn = db.conn()?;
    let (run, resumed) =
        import::start_or_resume_run(&mut conn, &sha, options.format.code(), clock.now())?;
    let done = run.lines_done;
    let mut rejects = open_rejects(&options.rejects, resumed.then_some(done))?;
    let total = std::fs::metadata(&options.file)
        .map(|m| m.len())
        .unwrap_or(0);
    let bar = progress_bar(total, options.progress);
    let mut records = Records::open(options.format, &options.file)?;
    let batch_size = options.batch_size.max(1);
    let writers = match db.backend() {
        tongdai_storage::Backend::Postgres => POSTGRES_WRITERS,
        tongdai_storage::Backend::Sqlite => 1,
    };
    let (sender, receiver) = std::sync::mpsc::sync_channel::<PreparedBatch>(BATCHES_AHEAD);
    // Taken (dropped) once the writers are done, which tells a reader blocked on a full
    // channel to stop.
    let receiver = std::sync::Mutex::new(Some(receiver));
    let order = CommitOrder {
        state: std::sync::Mutex::new(OrderState {
            next: 0,
            halted: false,
        }),
        turned: std::sync::Condvar::new(),
    };
    let in_flight = writers + BATCHES_AHEAD + 1;

    // The reader: returns when the file ends or the writers stop listening.
    let read_all = move || -> anyhow::Result<()> {
        let new_batch = |index: u64, last_position: i64, offset: u64| PreparedBatch {
            index,
            tickets: Vec::with_capacity(batch_size),
            last_position,
            rejected: 0,
            twice: 0,
            read: 0,
            offset,
        };
        let mut batch = new_batch(0, done, 0);
        let mut recent: std::collections::VecDeque<HashSet<String>> =
            std::collections::VecDeque::new();
        let mut codes: HashSet<String> = HashSet::new();
        loop {
            let next = records.next()?;
            let end = next.is_none();
            if let Some(read) = next {
                batch.offset = read.offset;
                if read.position <= done {
                    continue;
                }
                batch.read += 1;
                batch.last_position = read.position;
                match read.record.and_then(|r| importer.prepare(r)) {
                    Ok(ticket) => {
                        let code = ticket.ticket.code.to_string();
                        if recent.iter().any(|set| set.contains(&code)) || codes.contains(&code) {
                            batch.twice += 1;
                        } else {
                            codes.insert(code);
                            batch.tickets.push(ticket);
                        }
                    }
                    Err(reasons) => {
                        batch.rejected += 1;
                        let line = json!({
                            "record": read.position,
                            "line": read.line,
                            "code": read.code,
                            "reasons": reasons,
                        });
                        writeln!(rejects, "{line}")?;
                    }
                }
            }
            if batch.tickets.len() >= batch_size || (end && batch.read > 0) {
                // Rejects first: a crash before the commit rewrites them on resume.
                rejects.flush()?;
                recent.push_back(std::mem::take(&mut codes));
                if recent.len() > in_flight {
                    recent.pop_front();
                }
                let next = new_batch(batch.index + 1, batch.last_position, batch.offset);
                if sender.send(std::mem::replace(&mut batch, next)).is_err() {
                    return Ok(());
                }
            }
            if end {
                rejects.flush()?;
                return Ok(());
            }
        }
    };

    let summary = std::sync::Mutex::new(ImportSummary {
        run_id: run.id.clone(),
        resumed_after: resumed.then_some(done),
        ..ImportSummary::default()
    });
    // One writer: takes batches until the reader is done or the import halts.
    let write = |mut conn: tongdai_storage::db::PooledDb| -> anyhow::Result<()> {
        loop {
            let next = match receiver.lock() {
                Ok(r) => r.as_ref().and_then(|r| r.recv().ok()),
                Err(_) => return Err(anyhow::anyhow!("an import writer panicked")),
            };
            let Some(batch) = next else {
                return Ok(());
            };
            let index = batch.index;
            let stored = import::store_batch_in_turn(
                &mut conn,
                &run.id,
                &batch.tickets,
                batch.last_position,
                batch.rejected,
                || order.wait_for(index),
            );
            let outcome = match stored {
                Ok(Some(outcome)) => outcome,
                // Halted while waiting: rolled back.
                Ok(None) => return Ok(()),
                Err(e) => {
                    order.halt();
                    return Err(e.into());
                }
            };
            let stop = options
                .stop_after_batches
                .is_some_and(|n| usize::try_from(index + 1).unwrap_or(usize::MAX) >= n);
            {
                let Ok(mut s) = summary.lock() else {
                    order.halt();
                    return Err(anyhow::anyhow!("an import writer panicked"));
                };
                s.read += batch.read;
                s.imported += outcome.imported;
                s.events += outcome.events;
                s.skipped += outcome.skipped.len() + batch.twice;
                s.rejected += batch.rejected;
                bar.set_position(batch.offset);
                bar.set_message(format!(
                    "{} imported, {} skipped, {} rejected",
                    s.imported, s.skipped, s.rejected
                ));
            }
            order.committed(index, stop);
            if stop {
                return Ok(());
            }
        }
    };

    let mut connections = Vec::with_capacity(writers);
    connections.push(conn);
    for _ in 1..writers {
        connections.push(db.conn()?);
    }
    let (read, written) = std::thread::scope(|scope| {
        let reader = std::thread::Builder::new()
            .name("import-reader".into())
            .spawn_scoped(scope, read_all);
        let mut handles = Vec::new();
        for (i, conn) in connections.into_iter().enumerate() {
            let write = &write;
            handles.push(
                std::thread::Builder::new()
                    .name(format!("import-writer-{i}"))
                    .spawn_scoped(scope, move || write(conn)),
            );
        }
        let mut written: anyhow::Result<()> = Ok(());
        for handle in handles {
            let result = match handle {
                Ok(h) => h
                    .join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("an import writer panicked"))),
                Err(e) => Err(anyhow::Error::new(e).context("starting an import writer")),
            };
            if written.is_ok() {
                written = result;
            }
        }
        // Every writer has returned: the reader sees the channel closed and returns too.
        if let Ok(mut r) = receiver.lock() {
            drop(r.take());
        }
        let read = match reader {
            Ok(h) => h
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the import reader panicked"))),
            Err(e) => Err(anyhow::Error::new(e).context("starting the import reader")),
        };
        (read, written)
    });
    written?;
    let mut summary = summary
        .into_inner()
        .map_err(|_| anyhow::anyhow!("an import writer panicked"))?;
    let stopped = order.state.lock().map(|s| s.halted).unwrap_or(true);
    summary.seconds = started.elapsed().as_secs_f64();
    if stopped {
        bar.abandon();
        return Ok(summary);
    }
    read?;
    let mut conn = db.conn()?;
    import::finish_run(&mut conn, &run.id, clock.now())?;
    bar.finish_and_clear();
    summary.finished = true;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// `tongdai import`: the jurisdiction is loaded (tickets refer to it), then the file.
pub fn run(config: &crate::Config, args: &ImportArgs) -> anyhow::Result<()> {
    let snapshot =
        crate::loader::JurisdictionSnapshot::read(&config.jurisdiction.dir, &config.calendar.dir)?;
    let folder = snapshot.router(
        &config.jurisdiction.dir,
        &config.calendar.dir,
        config.calendar.working_time.clone(),
    )?;
    // As at start-up: the jurisdiction stored in the database, the folder loaded if new.
    let (db, lock) = crate::app::open_database_locked(config)?;
    let (router, _generation) =
        crate::app::settle_jurisdiction(&db, config, &snapshot, folder, &crate::SystemClock)?;
    drop(lock);
    let importer = Importer::new(std::sync::Arc::new(router), config.intake.clone());
    let options = ImportOptions::from(args);
    let summary = import_file(&db, &importer, &options, &crate::SystemClock)
        .with_context(|| format!("importing {}", args.file.display()))?;
    if let Some(done) = summary.resumed_after {
        println!("resumed run {} after record {done}", summary.run_id);
    }
    if summary.rejected > 0 {
        println!(
            "{} rejected records with their reasons in {}",
            summary.rejected,
            options.rejects.display()
        );
    }
    println!("{}", summary.line());
    Ok(())
}
