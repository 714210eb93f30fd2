//! CSV exports of the monthly report: UTF-8 with a byte-order mark (so Excel opens the
//! Vietnamese headers right), one header row, numbers as plain numbers (rates with one
//! decimal, empty when there is none), instants as `dd/mm/yyyy HH:MM` local time. Text cells
//! are guarded against formula injection.

use chrono::FixedOffset;

use crate::ReportError;
use crate::model::OverdueReport;
use crate::table::{Cell, Table, agency_table, format_local, late_ticket_table};

/// The UTF-8 byte-order mark every CSV starts with.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The league table: one row per agency (league order), then the "Tổng cộng" row.
pub fn agencies_csv(report: &OverdueReport) -> Result<Vec<u8>, ReportError> {
    table_csv(&agency_table(report), report.local_offset())
}

/// The late tickets, one a row.
pub fn late_tickets_csv(report: &OverdueReport) -> Result<Vec<u8>, ReportError> {
    table_csv(&late_ticket_table(report), report.local_offset())
}

/// A text cell as written: one that a spreadsheet would read as a formula (starting with
/// `=`, `+`, `-`, `@`, or a tab or carriage return) gets a leading `'`.
pub fn guard_text(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

fn render(cell: &Cell, offset: FixedOffset) -> String {
    match cell {
        Cell::Text(t) => guard_text(t),
        Cell::Count(n) => n.to_string(),
        Cell::Rate(r) => r.map(|r| format!("{r:.1}")).unwrap_or_default(),
        Cell::Rank(r) => r.map(|r| r.to_string()).unwrap_or_default(),
        Cell::When(w) => w.map(|w| format_local(w, offset)).unwrap_or_default(),
    }
}

fn table_csv(table: &Table, offset: FixedOffset) -> Result<Vec<u8>, ReportError> {
    let error = |e: ::csv::Error| ReportError::Csv(e.to_string());
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(BOM.to_vec());
    writer.write_record(table.headers()).map_err(error)?;
    for row in table.rows.iter().chain(table.totals.iter()) {
        writer
            .write_record(row.iter().map(|c| render(c, offset)))
            .map_err(error)?;
    }
    writer
        .into_inner()
        .map_err(|e| ReportError::Csv(e.to_string()))
}
