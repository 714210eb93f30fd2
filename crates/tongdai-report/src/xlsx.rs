//! The Excel workbook of the monthly report: the league table with a native bar chart, the
//! late tickets, the three breakdowns, and a notes sheet (period, checksum, definitions).
//! Counts are integers, rates are Excel percentages (60.0 % is written as 0.6 with the format
//! `0.0%`), instants are Excel datetimes in the report's local wall time.

use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use rust_xlsxwriter::{
    Chart, ChartType, Color, ConditionalFormatCell, ConditionalFormatCellRule,
    ConditionalFormatFormula, ExcelDateTime, Format, FormatBorder, Workbook, Worksheet, XlsxError,
};

use crate::ReportError;
use crate::model::OverdueReport;
use crate::table::{
    Cell, ColumnRole, Table, agency_table, format_local, group_table, late_ticket_table,
};

/// The sheets, in order.
pub const SHEET_NAMES: [&str; 6] = [
    "Đơn vị",
    "Phiếu trễ hạn",
    "Theo lĩnh vực",
    "Theo địa bàn",
    "Theo kênh",
    "Ghi chú",
];

/// The definitions, embedded as they are in the repository, written on the notes sheet.
pub const DEFINITIONS_MD: &str = include_str!("../../../docs/report.md");

/// On-time rates below this (a fraction) are shown in amber.
pub const ON_TIME_TARGET: f64 = 0.8;

const DATETIME_FORMAT: &str = "dd/mm/yyyy hh:mm";
const RED_FILL: u32 = 0xFFC7CE;
const RED_TEXT: u32 = 0x9C0006;
const AMBER_FILL: u32 = 0xFFEB9C;
const AMBER_TEXT: u32 = 0x9C5700;

fn xlsx_error(e: XlsxError) -> ReportError {
    ReportError::Xlsx(e.to_string())
}

struct Formats {
    header: Format,
    text: Format,
    count: Format,
    rate: Format,
    when: Format,
    bold_text: Format,
    bold_count: Format,
    bold_rate: Format,
    late: Format,
    below_target: Format,
}

impl Formats {
    fn new() -> Self {
        let header = Format::new()
            .set_bold()
            .set_text_wrap()
            .set_background_color(Color::RGB(0xDDEBF7))
            .set_border_bottom(FormatBorder::Thin);
        let count = Format::new().set_num_format("0");
        let rate = Format::new().set_num_format("0.0%");
        Self {
            header,
            text: Format::new(),
            bold_text: Format::new().set_bold(),
            bold_count: count.clone().set_bold(),
            bold_rate: rate.clone().set_bold(),
            count,
            rate,
            when: Format::new().set_num_format(DATETIME_FORMAT),
            late: Format::new()
                .set_background_color(Color::RGB(RED_FILL))
                .set_font_color(Color::RGB(RED_TEXT)),
            below_target: Format::new()
                .set_background_color(Color::RGB(AMBER_FILL))
                .set_font_color(Color::RGB(AMBER_TEXT)),
        }
    }
}

/// An instant as an Excel datetime: its wall time in `offset`.
fn excel_datetime(
    at: DateTime<FixedOffset>,
    offset: FixedOffset,
) -> Result<ExcelDateTime, ReportError> {
    let local = at.with_timezone(&offset).naive_local();
    let year = u16::try_from(local.year())
        .map_err(|_| ReportError::Xlsx(format!("year out of range: {local}")))?;
    // Month, day, minute are small by construction; the casts cannot truncate.
    ExcelDateTime::from_ymd(year, local.month() as u8, local.day() as u8)
        .and_then(|d| {
            d.and_hms(
                local.hour() as u16,
                local.minute() as u8,
                f64::from(local.second()),
            )
        })
        .map_err(xlsx_error)
}

fn write_cell(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    bold: bool,
    formats: &Formats,
    offset: FixedOffset,
) -> Result<(), ReportError> {
    let (text, count, rate) = if bold {
        (&formats.bold_text, &formats.bold_count, &formats.bold_rate)
    } else {
        (&formats.text, &formats.count, &formats.rate)
    };
    match cell {
        Cell::Text(t) if t.is_empty() => sheet.write_blank(row, col, text),
        Cell::Text(t) => sheet.write_string_with_format(row, col, t, text),
        // Counts fit an f64 exactly far beyond any ticket count.
        Cell::Count(n) => sheet.write_number_with_format(row, col, *n as f64, count),
        Cell::Rate(Some(r)) => sheet.write_number_with_format(row, col, r / 100.0, rate),
        Cell::Rate(None) => sheet.write_blank(row, col, rate),
        Cell::Rank(Some(r)) => sheet.write_number_with_format(row, col, f64::from(*r), count),
        Cell::Rank(None) => sheet.write_blank(row, col, count),
        Cell::When(Some(w)) => {
            sheet.write_datetime_with_format(row, col, excel_datetime(*w, offset)?, &formats.when)
        }
        Cell::When(None) => sheet.write_blank(row, col, &formats.when),
    }
    .map_err(xlsx_error)?;
    Ok(())
}

fn col_index(i: usize) -> Result<u16, ReportError> {
    u16::try_from(i).map_err(|_| ReportError::Xlsx(format!("column {i} out of range")))
}

fn row_index(i: usize) -> Result<u32, ReportError> {
    u32::try_from(i).map_err(|_| ReportError::Xlsx(format!("row {i} out of range")))
}

/// Writes a table from A1: the bold header row (frozen), the body rows, the totals row in
/// bold; widths per column; red fill for late counts above zero and amber for on-time rates
/// below the target, on body and totals rows. Returns the number of rows written.
fn write_table(
    sheet: &mut Worksheet,
    table: &Table,
    formats: &Formats,
    offset: FixedOffset,
) -> Result<u32, ReportError> {
    for (i, column) in table.columns.iter().enumerate() {
        let c = col_index(i)?;
        sheet
            .write_string_with_format(0, c, column.header, &formats.header)
            .map_err(xlsx_error)?;
        sheet
            .set_column_width(c, column.width)
            .map_err(xlsx_error)?;
    }
    sheet.set_row_height(0, 45).map_err(xlsx_error)?;
    sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    let mut row = 1u32;
    for cells in &table.rows {
        for (i, cell) in cells.iter().enumerate() {
            write_cell(sheet, row, col_index(i)?, cell, false, formats, offset)?;
        }
        row += 1;
    }
    if let Some(cells) = &table.totals {
        for (i, cell) in cells.iter().enumerate() {
            write_cell(sheet, row, col_index(i)?, cell, true, formats, offset)?;
        }
        row += 1;
    }
    let last = row - 1;
    if last >= 1 {
        for i in table.columns_with(ColumnRole::Late) {
            let c = col_index(i)?;
            let rule = ConditionalFormatCell::new()
                .set_rule(ConditionalFormatCellRule::GreaterThan(0))
                .set_format(&formats.late);
            sheet
                .add_conditional_format(1, c, last, c, &rule)
                .map_err(xlsx_error)?;
        }
        for i in table.columns_with(ColumnRole::OnTimeRate) {
            let c = col_index(i)?;
            // A formula rule, so that an empty rate (nothing answered) is not "below 80 %".
            let top = rust_xlsxwriter::utility::row_col_to_cell(1, c);
            let rule = ConditionalFormatFormula::new()
                .set_rule(format!("=AND(ISNUMBER({top}),{top}<{ON_TIME_TARGET})").as_str())
                .set_format(&formats.below_target);
            sheet
                .add_conditional_format(1, c, last, c, &rule)
                .map_err(xlsx_error)?;
        }
    }
    Ok(row)
}

fn on_time_chart(report: &OverdueReport, ranked: u32, rate_col: u16) -> Chart {
    let sheet = SHEET_NAMES[0];
    let mut chart = Chart::new(ChartType::Bar);
    chart
        .add_series()
        .set_name("Tỷ lệ đúng hạn")
        .set_categories((sheet, 1, 0, ranked, 0))
        .set_values((sheet, 1, rate_col, ranked, rate_col))
        .set_data_label(
            rust_xlsxwriter::ChartDataLabel::new()
                .show_value()
                .set_num_format("0.0%"),
        );
    chart.title().set_name(&format!(
        "Tỷ lệ xử lý đúng hạn theo đơn vị, kỳ {}",
        report.period.label
    ));
    chart.legend().set_hidden();
    chart
        .x_axis()
        .set_num_format("0%")
        .set_min(0)
        .set_max(1)
        .set_name("Tỷ lệ đúng hạn");
    // Rank 1 at the top.
    chart.y_axis().set_reverse();
    chart.set_width(720);
    chart.set_height(120 + 28 * ranked.min(60));
    chart
}

fn agencies_sheet(
    sheet: &mut Worksheet,
    report: &OverdueReport,
    formats: &Formats,
) -> Result<(), ReportError> {
    let table = agency_table(report);
    let rows = write_table(sheet, &table, formats, report.local_offset())?;
    // The ranked agencies are the first rows of the league order.
    let ranked = row_index(report.rows.iter().filter(|r| r.rank.is_some()).count())?;
    if ranked > 0 {
        let rate_col = col_index(
            table
                .columns_with(ColumnRole::OnTimeRate)
                .next()
                .unwrap_or(12),
        )?;
        let chart = on_time_chart(report, ranked, rate_col);
        sheet
            .insert_chart(rows + 1, 0, &chart)
            .map_err(xlsx_error)?;
    }
    Ok(())
}

fn notes_sheet(
    sheet: &mut Worksheet,
    report: &OverdueReport,
    formats: &Formats,
) -> Result<(), ReportError> {
    let offset = report.local_offset();
    let e = xlsx_error;
    sheet
        .write_string_with_format(0, 0, "Mục", &formats.header)
        .map_err(e)?;
    sheet
        .write_string_with_format(0, 1, "Nội dung", &formats.header)
        .map_err(e)?;
    sheet.set_freeze_panes(1, 0).map_err(e)?;
    sheet.set_column_width(0, 34).map_err(e)?;
    sheet.set_column_width(1, 80).map_err(e)?;
    let period = format!(
        "{} (từ {} đến {})",
        report.period.label,
        format_local(report.period.from, offset),
        format_local(report.period.to, offset)
    );
    let status = if report.is_final {
        "Chính thức (kỳ đã kết thúc)"
    } else {
        "Tạm tính (kỳ chưa kết thúc, số liệu còn thay đổi)"
    };
    let texts: [(&str, &str); 2] = [("Kỳ báo cáo", &period), ("Tình trạng", status)];
    let mut row = 1u32;
    for (label, value) in texts {
        sheet.write_string(row, 0, label).map_err(e)?;
        sheet.write_string(row, 1, value).map_err(e)?;
        row += 1;
    }
    sheet.write_string(row, 0, "Thời điểm lập").map_err(e)?;
    sheet
        .write_datetime_with_format(
            row,
            1,
            excel_datetime(report.generated_at, offset)?,
            &formats
                .when
                .clone()
                .set_align(rust_xlsxwriter::FormatAlign::Left),
        )
        .map_err(e)?;
    row += 1;
    let more: [(&str, &str); 2] = [
        ("Mã kiểm tra (SHA-256)", &report.checksum),
        ("Phiên bản định nghĩa", &report.definitions),
    ];
    for (label, value) in more {
        sheet.write_string(row, 0, label).map_err(e)?;
        sheet.write_string(row, 1, value).map_err(e)?;
        row += 1;
    }
    let triage = [
        ("Tổ phân loại IOC: tiếp nhận", report.triage.received),
        (
            "Tổ phân loại IOC: đang chờ phân loại trong hạn",
            report.triage.open_in_time,
        ),
        (
            "Tổ phân loại IOC: đang chờ phân loại quá hạn",
            report.triage.open_overdue,
        ),
        ("Tổ phân loại IOC: từ chối", report.triage.rejected),
    ];
    for (label, n) in triage {
        sheet.write_string(row, 0, label).map_err(e)?;
        sheet
            .write_number_with_format(row, 1, n as f64, &formats.count)
            .map_err(e)?;
        row += 1;
    }
    row += 1;
    for line in DEFINITIONS_MD.lines() {
        if !line.is_empty() {
            sheet.write_string(row, 0, line).map_err(e)?;
        }
        row += 1;
    }
    Ok(())
}

/// The report as an XLSX workbook (bytes). Sheets, in order: [`SHEET_NAMES`].
pub fn to_xlsx(report: &OverdueReport) -> Result<Vec<u8>, ReportError> {
    let formats = Formats::new();
    let offset = report.local_offset();
    let mut workbook = Workbook::new();
    let [agencies, late, by_category, by_area, by_channel, notes] = SHEET_NAMES;

    agencies_sheet(
        workbook
            .add_worksheet()
            .set_name(agencies)
            .map_err(xlsx_error)?,
        report,
        &formats,
    )?;
    write_table(
        workbook
            .add_worksheet()
            .set_name(late)
            .map_err(xlsx_error)?,
        &late_ticket_table(report),
        &formats,
        offset,
    )?;
    let groups = [
        (by_category, "Lĩnh vực", &report.by_category),
        (by_area, "Địa bàn", &report.by_area),
        (by_channel, "Kênh tiếp nhận", &report.by_channel),
    ];
    for (name, header, rows) in groups {
        write_table(
            workbook
                .add_worksheet()
                .set_name(name)
                .map_err(xlsx_error)?,
            &group_table(header, rows),
            &formats,
            offset,
        )?;
    }
    notes_sheet(
        workbook
            .add_worksheet()
            .set_name(notes)
            .map_err(xlsx_error)?,
        report,
        &formats,
    )?;
    workbook.save_to_buffer().map_err(xlsx_error)
}
