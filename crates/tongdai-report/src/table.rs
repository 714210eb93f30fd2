//! The report's tables as the exports show them: one list of columns (Vietnamese headers) and
//! typed cells, so the CSV and the XLSX files have the same columns in the same order with the
//! same values. Rendering (quoting, number formats) is the exporter's.

use chrono::{DateTime, FixedOffset};

use crate::model::{AgencyRow, Counts, GroupRow, OverdueReport};

/// The label of the totals row.
pub const TOTALS_LABEL: &str = "Tổng cộng";

/// One cell, typed; the exporter decides how each type is written.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Count(u64),
    /// A rate in percent (60.0 = 60 %), empty when `None`.
    Rate(Option<f64>),
    /// A rank, empty when `None` (not ranked).
    Rank(Option<u32>),
    /// An instant, shown as local wall time in the report's offset; empty when `None`.
    When(Option<DateTime<FixedOffset>>),
}

/// What a column holds, for the exporter's highlighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnRole {
    Plain,
    /// A count of late tickets (answered late, open overdue): highlighted when above zero.
    Late,
    /// The on-time rate: highlighted when below the target.
    OnTimeRate,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub header: &'static str,
    /// Width in Excel character units.
    pub width: f64,
    pub role: ColumnRole,
}

const fn col(header: &'static str, width: f64) -> Column {
    Column {
        header,
        width,
        role: ColumnRole::Plain,
    }
}

const fn late(header: &'static str, width: f64) -> Column {
    Column {
        header,
        width,
        role: ColumnRole::Late,
    }
}

/// A table: columns, body rows, and an optional totals row.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    pub totals: Option<Vec<Cell>>,
}

impl Table {
    pub fn headers(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.columns.iter().map(|c| c.header)
    }

    /// The indices of the columns with the given role.
    pub fn columns_with(&self, role: ColumnRole) -> impl Iterator<Item = usize> + '_ {
        self.columns
            .iter()
            .enumerate()
            .filter(move |(_, c)| c.role == role)
            .map(|(i, _)| i)
    }
}

/// The count columns shared by the league table and the breakdowns (after the two name
/// columns), in order.
fn count_columns() -> Vec<Column> {
    vec![
        col("Tiếp nhận", 11.0),
        col("Đã xử lý đúng hạn", 13.0),
        late("Đã xử lý trễ hạn", 13.0),
        col("Trễ hạn có gia hạn được duyệt", 16.0),
        col("Đang xử lý trong hạn", 13.0),
        late("Đang xử lý quá hạn", 13.0),
        col("Chuyển trả", 11.0),
        col("Từ chối", 10.0),
        col("Lượt đánh giá", 11.0),
        col("Hài lòng", 10.0),
        Column {
            header: "Tỷ lệ đúng hạn (%)",
            width: 13.0,
            role: ColumnRole::OnTimeRate,
        },
        col("Tỷ lệ hài lòng (%)", 13.0),
    ]
}

fn count_cells(c: &Counts) -> Vec<Cell> {
    vec![
        Cell::Count(c.received),
        Cell::Count(c.on_time),
        Cell::Count(c.late),
        Cell::Count(c.late_with_extension),
        Cell::Count(c.open_in_time),
        Cell::Count(c.open_overdue),
        Cell::Count(c.returned),
        Cell::Count(c.rejected),
        Cell::Count(c.rated),
        Cell::Count(c.satisfied),
        Cell::Rate(c.on_time_rate),
        Cell::Rate(c.satisfaction_rate),
    ]
}

impl OverdueReport {
    /// The agencies in league-table order: ranked ones by rank, then the unranked, each in
    /// the report's order otherwise (stable).
    pub fn league_order(&self) -> Vec<&AgencyRow> {
        let mut rows: Vec<&AgencyRow> = self.rows.iter().collect();
        rows.sort_by_key(|r| (r.rank.is_none(), r.rank));
        rows
    }

    /// The offset the report's wall times are shown in (the period's).
    pub fn local_offset(&self) -> FixedOffset {
        *self.period.from.offset()
    }

    /// The name of an agency of the report, by code.
    pub fn agency_name(&self, code: &str) -> Option<&str> {
        self.rows
            .iter()
            .find(|r| r.agency.code == code)
            .map(|r| r.agency.name.as_str())
    }

    /// The name of a category of the report's breakdown, by code.
    pub fn category_name(&self, code: &str) -> Option<&str> {
        self.by_category
            .iter()
            .find(|r| r.code == code)
            .map(|r| r.name.as_str())
    }
}

/// The league table: one row per agency (league order), then the totals.
pub fn agency_table(report: &OverdueReport) -> Table {
    let mut columns = vec![col("Đơn vị", 36.0), col("Mã đơn vị", 14.0)];
    columns.extend(count_columns());
    columns.extend([
        col("Xếp hạng", 10.0),
        col("Lũy kế năm (%)", 12.0),
        col("Cùng kỳ năm trước (%)", 14.0),
    ]);
    let rows = report
        .league_order()
        .into_iter()
        .map(|r| {
            let mut cells = vec![
                Cell::Text(r.agency.name.clone()),
                Cell::Text(r.agency.code.clone()),
            ];
            cells.extend(count_cells(&r.counts));
            cells.extend([
                Cell::Rank(r.rank),
                Cell::Rate(r.year_to_date.as_ref().and_then(|y| y.on_time_rate)),
                Cell::Rate(r.previous_year.as_ref().and_then(|y| y.on_time_rate)),
            ]);
            cells
        })
        .collect();
    let mut totals = vec![
        Cell::Text(TOTALS_LABEL.to_owned()),
        Cell::Text(String::new()),
    ];
    totals.extend(count_cells(&report.totals));
    totals.extend([
        Cell::Rank(None),
        Cell::Rate(
            report
                .totals_year_to_date
                .as_ref()
                .and_then(|y| y.on_time_rate),
        ),
        Cell::Rate(None),
    ]);
    Table {
        columns,
        rows,
        totals: Some(totals),
    }
}

/// The late tickets, in the report's order.
pub fn late_ticket_table(report: &OverdueReport) -> Table {
    let columns = vec![
        col("Mã phiếu", 16.0),
        col("Mã đơn vị", 14.0),
        col("Đơn vị", 36.0),
        col("Lĩnh vực", 24.0),
        col("Loại trễ hạn", 20.0),
        col("Hạn xử lý", 17.0),
        col("Gia hạn đến", 17.0),
        col("Thời điểm trả lời", 17.0),
        col("Số ngày trễ", 11.0),
        col("Số ngày làm việc trễ", 14.0),
    ];
    let rows = report
        .late_tickets
        .iter()
        .map(|t| {
            vec![
                Cell::Text(t.code.clone()),
                Cell::Text(t.agency.clone()),
                Cell::Text(
                    report
                        .agency_name(&t.agency)
                        .unwrap_or(&t.agency)
                        .to_owned(),
                ),
                Cell::Text(
                    report
                        .category_name(&t.category)
                        .unwrap_or(&t.category)
                        .to_owned(),
                ),
                Cell::Text(t.kind.label_vi().to_owned()),
                Cell::When(Some(t.deadline)),
                Cell::When(t.extended_to),
                Cell::When(t.answered_at),
                Cell::Count(u64::from(t.days_late)),
                Cell::Count(u64::from(t.working_days_late)),
            ]
        })
        .collect();
    Table {
        columns,
        rows,
        totals: None,
    }
}

/// A breakdown (by category, area or channel): code, name (headed `name_header`), counts.
pub fn group_table(name_header: &'static str, groups: &[GroupRow]) -> Table {
    let mut columns = vec![col("Mã", 14.0), col(name_header, 32.0)];
    columns.extend(count_columns());
    let rows = groups
        .iter()
        .map(|g| {
            let mut cells = vec![Cell::Text(g.code.clone()), Cell::Text(g.name.clone())];
            cells.extend(count_cells(&g.counts));
            cells
        })
        .collect();
    Table {
        columns,
        rows,
        totals: None,
    }
}

/// `dd/mm/yyyy HH:MM`, the wall time in the given offset.
pub fn format_local(at: DateTime<FixedOffset>, offset: FixedOffset) -> String {
    at.with_timezone(&offset)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// A rate in percent as Vietnamese text: one decimal, decimal comma (`93,5%`).
pub fn rate_vi(rate: f64) -> String {
    format!("{rate:.1}%").replace('.', ",")
}
