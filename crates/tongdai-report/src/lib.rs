//! The monthly overdue report (báo cáo trễ hạn) that the department sends the IOC: which
//! agencies answered Tổng đài 1022 reports late. Pure: the figures are folded from ticket
//! histories that the storage layer loads "as they stood at the period's end", with the
//! jurisdiction of that date, so a past month gives the same numbers whenever it is re-run.
//! The definitions are `docs/report.md`; the JSON of [`OverdueReport`] is the export
//! contract.

pub mod chart;
pub mod compute;
pub mod csv;
pub mod model;
pub mod period;
pub mod table;
pub mod xlsx;

pub use self::chart::{monthly_trend_svg, on_time_by_agency_svg};
pub use self::csv::{agencies_csv, late_tickets_csv};
pub use compute::{ReportBuilder, ReportInputs, ReportPolicy, compute, rank};
pub use model::{
    AgencyRef, AgencyRow, Counts, Fact, GroupRow, HistoryEvent, LateKind, LateTicket,
    OverdueReport, REPORT_EVENT_KINDS, RateOver, TicketHistory, TriageCounts, percent,
};
pub use period::{Period, PeriodBounds, PeriodPolicy};
pub use table::{Cell, Column, ColumnRole, TOTALS_LABEL, Table};
pub use xlsx::to_xlsx;

use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("not a report period (expected YYYY-MM): {0}")]
    Period(String),
    #[error("report policy: {0}")]
    Policy(String),
    #[error("report could not be serialised: {0}")]
    Serialise(#[from] serde_json::Error),
    #[error("CSV export: {0}")]
    Csv(String),
    #[error("XLSX export: {0}")]
    Xlsx(String),
    #[error("chart: {0}")]
    Chart(String),
}

impl OverdueReport {
    /// The SHA-256 (hex) of the report's figures: everything but `generated_at` and the
    /// checksum itself, as canonical JSON (object keys sorted).
    pub fn compute_checksum(&self) -> Result<String, ReportError> {
        let mut value = serde_json::to_value(self)?;
        if let Some(map) = value.as_object_mut() {
            map.remove("generated_at");
            map.remove("checksum");
        }
        let canonical = serde_json::to_vec(&value)?;
        Ok(hex::encode(Sha256::digest(&canonical)))
    }

    /// Fills `checksum`; called once the report is complete.
    pub fn seal(&mut self) -> Result<(), ReportError> {
        self.checksum = self.compute_checksum()?;
        Ok(())
    }

    /// Whether the stored checksum matches the figures.
    pub fn verify(&self) -> Result<bool, ReportError> {
        Ok(self.compute_checksum()? == self.checksum)
    }

    /// What an agency's lead sees: its own row and late tickets, nothing of the others.
    pub fn for_agency(&self, code: &str) -> OverdueReport {
        let rows: Vec<AgencyRow> = self
            .rows
            .iter()
            .filter(|r| r.agency.code == code)
            .cloned()
            .collect();
        let totals = rows.first().map(|r| r.counts.clone()).unwrap_or_default();
        OverdueReport {
            period: self.period.clone(),
            generated_at: self.generated_at,
            is_final: self.is_final,
            checksum: self.checksum.clone(),
            definitions: self.definitions.clone(),
            totals_year_to_date: rows.first().and_then(|r| r.year_to_date.clone()),
            rows,
            totals,
            triage: TriageCounts::default(),
            late_tickets: self
                .late_tickets
                .iter()
                .filter(|t| t.agency == code)
                .cloned()
                .collect(),
            by_category: Vec::new(),
            by_area: Vec::new(),
            by_channel: Vec::new(),
        }
    }
}
