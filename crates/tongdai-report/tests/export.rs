//! The exports of the monthly report, read back with independent readers: the XLSX with
//! `calamine`, the CSV with `csv`, the SVGs with `quick-xml`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use quick_xml::Reader as XmlReader;
use quick_xml::XmlVersion;
use quick_xml::events::Event;
use tongdai_report::chart::{BAR_BELOW_TARGET_COLOR, BAR_COLOR};
use tongdai_report::csv::{BOM, guard_text};
use tongdai_report::xlsx::{DEFINITIONS_MD, SHEET_NAMES};
use tongdai_report::{
    AgencyRef, AgencyRow, Counts, GroupRow, LateKind, LateTicket, OverdueReport, PeriodBounds,
    RateOver, TriageCounts, agencies_csv, late_tickets_csv, monthly_trend_svg,
    on_time_by_agency_svg, to_xlsx,
};

fn ict() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).unwrap()
}

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<FixedOffset> {
    ict().with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

#[allow(clippy::too_many_arguments)]
fn counts(
    received: u64,
    on_time: u64,
    late_with_extension: u64,
    late: u64,
    open_in_time: u64,
    open_overdue: u64,
    returned: u64,
    rejected: u64,
    rated: u64,
    satisfied: u64,
) -> Counts {
    let mut c = Counts {
        received,
        on_time,
        late_with_extension,
        late,
        open_in_time,
        open_overdue,
        returned,
        rejected,
        rated,
        satisfied,
        on_time_rate: None,
        satisfaction_rate: None,
    };
    c.finish();
    c
}

fn agency(code: &str, name: &str, counts: Counts, rank: Option<u32>) -> AgencyRow {
    AgencyRow {
        agency: AgencyRef {
            code: code.to_owned(),
            name: name.to_owned(),
        },
        counts,
        rank,
        year_to_date: None,
        previous_year: None,
    }
}

fn group(code: &str, name: &str, counts: Counts) -> GroupRow {
    GroupRow {
        code: code.to_owned(),
        name: name.to_owned(),
        counts,
    }
}

/// Three agencies, in the report's order: SXD (60 %, rank 2), UBND-BC (nothing answered,
/// unranked), STNMT (87.5 %, rank 1).
fn report() -> OverdueReport {
    let mut sxd = agency(
        "SXD",
        "Sở Xây dựng",
        counts(10, 3, 1, 1, 2, 1, 1, 0, 4, 3),
        Some(2),
    );
    sxd.year_to_date = Some(RateOver::of(30, 40));
    sxd.previous_year = Some(RateOver::of(1, 2));
    let bc = agency(
        "UBND-BC",
        "UBND huyện Bến Cầu",
        counts(2, 0, 0, 0, 2, 0, 0, 1, 0, 0),
        None,
    );
    let stnmt = agency(
        "STNMT",
        "Sở Tài nguyên và Môi trường",
        counts(8, 7, 0, 1, 0, 0, 0, 0, 0, 0),
        Some(1),
    );
    let mut totals = Counts::default();
    for r in [&sxd, &bc, &stnmt] {
        totals.add(&r.counts);
    }
    totals.finish();
    let utc = FixedOffset::east_opt(0).unwrap();
    let late_tickets = vec![
        LateTicket {
            code: "LA-2026-000101".to_owned(),
            agency: "SXD".to_owned(),
            category: "XD".to_owned(),
            kind: LateKind::LateWithExtension,
            deadline: at(2026, 10, 10, 17, 0),
            extended_to: Some(at(2026, 10, 15, 17, 0)),
            answered_at: Some(at(2026, 10, 12, 9, 30)),
            days_late: 2,
            working_days_late: 1,
        },
        LateTicket {
            code: "LA-2026-000102".to_owned(),
            agency: "SXD".to_owned(),
            // A category code that a spreadsheet would take for a formula.
            category: "=SUM(A1)".to_owned(),
            kind: LateKind::Late,
            // 10:00 UTC is 17:00 in Vietnam: the exports show local wall time.
            deadline: utc.with_ymd_and_hms(2026, 10, 5, 10, 0, 0).unwrap(),
            extended_to: None,
            answered_at: Some(at(2026, 10, 20, 8, 15)),
            days_late: 15,
            working_days_late: 11,
        },
        LateTicket {
            code: "LA-2026-000103".to_owned(),
            agency: "STNMT".to_owned(),
            category: "MT".to_owned(),
            kind: LateKind::OpenOverdue,
            deadline: at(2026, 10, 28, 17, 0),
            extended_to: None,
            answered_at: None,
            days_late: 4,
            working_days_late: 2,
        },
    ];
    let mut report = OverdueReport {
        period: PeriodBounds {
            label: "2026-10".to_owned(),
            from: at(2026, 10, 1, 0, 0),
            to: at(2026, 11, 1, 0, 0),
        },
        generated_at: at(2026, 11, 1, 8, 5),
        is_final: true,
        checksum: String::new(),
        definitions: "2026-12".to_owned(),
        rows: vec![sxd, bc, stnmt],
        totals,
        totals_year_to_date: Some(RateOver::of(60, 80)),
        triage: TriageCounts {
            received: 5,
            open_in_time: 1,
            open_overdue: 1,
            rejected: 2,
        },
        late_tickets,
        by_category: vec![
            group("XD", "Xây dựng", counts(10, 3, 1, 1, 2, 1, 1, 0, 4, 3)),
            group("MT", "Môi trường", counts(10, 7, 0, 1, 2, 0, 0, 1, 0, 0)),
        ],
        by_area: vec![group(
            "TB",
            "Thị xã Trảng Bàng",
            counts(20, 10, 1, 2, 4, 1, 1, 1, 4, 3),
        )],
        by_channel: vec![
            group(
                "web",
                "Cổng thông tin",
                counts(12, 6, 1, 1, 3, 1, 0, 0, 2, 2),
            ),
            group("phone", "Điện thoại", counts(8, 4, 0, 1, 1, 0, 1, 1, 2, 1)),
        ],
    };
    report.seal().unwrap();
    report
}

const AGENCY_HEADERS: [&str; 17] = [
    "Đơn vị",
    "Mã đơn vị",
    "Tiếp nhận",
    "Đã xử lý đúng hạn",
    "Đã xử lý trễ hạn",
    "Trễ hạn có gia hạn được duyệt",
    "Đang xử lý trong hạn",
    "Đang xử lý quá hạn",
    "Chuyển trả",
    "Từ chối",
    "Lượt đánh giá",
    "Hài lòng",
    "Tỷ lệ đúng hạn (%)",
    "Tỷ lệ hài lòng (%)",
    "Xếp hạng",
    "Lũy kế năm (%)",
    "Cùng kỳ năm trước (%)",
];

const LATE_HEADERS: [&str; 10] = [
    "Mã phiếu",
    "Mã đơn vị",
    "Đơn vị",
    "Lĩnh vực",
    "Loại trễ hạn",
    "Hạn xử lý",
    "Gia hạn đến",
    "Thời điểm trả lời",
    "Số ngày trễ",
    "Số ngày làm việc trễ",
];

/// A cell as the test expects it: text, a number, or empty.
#[derive(Debug, Clone, PartialEq)]
enum V {
    T(&'static str),
    N(f64),
    E,
}
use V::{E, N, T};

fn excel_serial(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> f64 {
    let days = (NaiveDate::from_ymd_opt(y, mo, d).unwrap()
        - NaiveDate::from_ymd_opt(1899, 12, 30).unwrap())
    .num_days() as f64;
    days + f64::from(h * 60 + mi) / 1440.0
}

fn same(cell: Option<&Data>, expected: &V) -> bool {
    match (cell, expected) {
        (None | Some(Data::Empty), E) => true,
        (Some(Data::String(s)), T(t)) => s == t,
        (Some(Data::Float(f)), N(n)) => (f - n).abs() < 1e-9,
        (Some(Data::Int(i)), N(n)) => (*i as f64 - n).abs() < 1e-9,
        (Some(Data::DateTime(d)), N(n)) => (d.as_f64() - n).abs() < 1e-6,
        _ => false,
    }
}

fn check_row(range: &calamine::Range<Data>, row: u32, expected: &[V]) {
    for (col, v) in expected.iter().enumerate() {
        let cell = range.get_value((row, col as u32));
        assert!(
            same(cell, v),
            "row {row} column {col}: expected {v:?}, found {cell:?}"
        );
    }
    let extra = range.get_value((row, expected.len() as u32));
    assert!(
        same(extra, &E),
        "row {row}: unexpected cell after the last column: {extra:?}"
    );
}

fn header(headers: &[&'static str]) -> Vec<V> {
    headers.iter().map(|h| T(h)).collect()
}

fn workbook() -> Xlsx<Cursor<Vec<u8>>> {
    let bytes = to_xlsx(&report()).unwrap();
    assert_eq!(&bytes[..2], b"PK", "an XLSX is a zip file");
    if let Some(dir) = std::env::var_os("TONGDAI_DUMP_SVG") {
        std::fs::write(std::path::Path::new(&dir).join("report.xlsx"), &bytes).unwrap();
    }
    open_workbook_from_rs(Cursor::new(bytes)).unwrap()
}

#[test]
fn xlsx_sheets_in_order() {
    let wb = workbook();
    assert_eq!(wb.sheet_names(), SHEET_NAMES.map(str::to_owned).to_vec());
    assert_eq!(
        SHEET_NAMES,
        [
            "Đơn vị",
            "Phiếu trễ hạn",
            "Theo lĩnh vực",
            "Theo địa bàn",
            "Theo kênh",
            "Ghi chú"
        ]
    );
}

/// The parts of the workbook that a cell reader does not see.
fn xlsx_part(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut file = archive.by_name(name).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut file, &mut text).unwrap();
    text
}

#[test]
fn xlsx_freeze_panes_formats_and_chart() {
    let bytes = to_xlsx(&report()).unwrap();
    for sheet in 1..=6 {
        let xml = xlsx_part(&bytes, &format!("xl/worksheets/sheet{sheet}.xml"));
        assert!(
            xml.contains(
                r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#
            ),
            "sheet {sheet}: header row frozen"
        );
        assert!(xml.contains("<cols>"), "sheet {sheet}: column widths");
    }
    let agencies = xlsx_part(&bytes, "xl/worksheets/sheet1.xml");
    // Red for late counts above zero (Đã xử lý trễ hạn = E, Đang xử lý quá hạn = H), amber
    // for an on-time rate (M) below 80 %, empty rates left alone; body and totals rows.
    assert!(agencies.contains(r#"<conditionalFormatting sqref="E2:E5"><cfRule type="cellIs" dxfId="0" priority="1" operator="greaterThan"><formula>0</formula>"#));
    assert!(
        agencies
            .contains(r#"<conditionalFormatting sqref="H2:H5"><cfRule type="cellIs" dxfId="0""#)
    );
    assert!(agencies.contains("<formula>AND(ISNUMBER(M2),M2&lt;0.8)</formula>"));
    assert!(agencies.contains("<drawing "));
    let late = xlsx_part(&bytes, "xl/worksheets/sheet2.xml");
    assert!(!late.contains("<conditionalFormatting"));
    let styles = xlsx_part(&bytes, "xl/styles.xml");
    for format in ["0", "0.0%", "dd/mm/yyyy hh:mm"] {
        assert!(
            styles.contains(&format!(r#"formatCode="{format}""#)),
            "{format}"
        );
    }
    // The bar chart: the ranked agencies (rows 2–3), their on-time rates, rank 1 on top.
    let chart = xlsx_part(&bytes, "xl/charts/chart1.xml");
    assert!(chart.contains("<c:barChart>"));
    assert!(chart.contains(r#"<c:barDir val="bar"/>"#));
    assert!(chart.contains("<c:f>'Đơn vị'!$A$2:$A$3</c:f>"));
    assert!(chart.contains("<c:f>'Đơn vị'!$M$2:$M$3</c:f>"));
    assert!(chart.contains("<a:t>Tỷ lệ xử lý đúng hạn theo đơn vị, kỳ 2026-10</a:t>"));
    assert!(chart.contains(r#"<c:orientation val="maxMin"/>"#));
}

#[test]
fn xlsx_without_ranked_agencies_has_no_chart() {
    let mut report = report();
    report.rows.retain(|r| r.rank.is_none());
    let bytes = to_xlsx(&report).unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    assert!(archive.by_name("xl/charts/chart1.xml").is_err());
}

#[test]
fn xlsx_league_table_cell_by_cell() {
    let mut wb = workbook();
    let range = wb.worksheet_range("Đơn vị").unwrap();
    check_row(&range, 0, &header(&AGENCY_HEADERS));
    // League order: rank 1, rank 2, then the unranked agency.
    #[rustfmt::skip]
    let rows = [
        vec![T("Sở Tài nguyên và Môi trường"), T("STNMT"), N(8.0), N(7.0), N(1.0), N(0.0), N(0.0), N(0.0), N(0.0), N(0.0), N(0.0), N(0.0), N(0.875), E, N(1.0), E, E],
        vec![T("Sở Xây dựng"), T("SXD"), N(10.0), N(3.0), N(1.0), N(1.0), N(2.0), N(1.0), N(1.0), N(0.0), N(4.0), N(3.0), N(0.6), N(0.75), N(2.0), N(0.75), N(0.5)],
        vec![T("UBND huyện Bến Cầu"), T("UBND-BC"), N(2.0), N(0.0), N(0.0), N(0.0), N(2.0), N(0.0), N(0.0), N(1.0), N(0.0), N(0.0), E, E, E, E, E],
        // Totals: 13 answered, 10 on time = 76.9 %; 3 of 4 satisfied.
        vec![T("Tổng cộng"), E, N(20.0), N(10.0), N(2.0), N(1.0), N(4.0), N(1.0), N(1.0), N(1.0), N(4.0), N(3.0), N(0.769), N(0.75), E, N(0.75), E],
    ];
    for (i, row) in rows.iter().enumerate() {
        check_row(&range, i as u32 + 1, row);
    }
    // Nothing below the totals row but the chart (which is not a cell).
    assert_eq!(range.end().map(|(r, _)| r), Some(4));
}

#[test]
fn xlsx_late_tickets_cell_by_cell() {
    let mut wb = workbook();
    let range = wb.worksheet_range("Phiếu trễ hạn").unwrap();
    check_row(&range, 0, &header(&LATE_HEADERS));
    #[rustfmt::skip]
    let rows = [
        vec![T("LA-2026-000101"), T("SXD"), T("Sở Xây dựng"), T("Xây dựng"), T("Trễ hạn có gia hạn"),
             N(excel_serial(2026, 10, 10, 17, 0)), N(excel_serial(2026, 10, 15, 17, 0)), N(excel_serial(2026, 10, 12, 9, 30)), N(2.0), N(1.0)],
        // The formula-like category is a plain string in the workbook (never a formula).
        vec![T("LA-2026-000102"), T("SXD"), T("Sở Xây dựng"), T("=SUM(A1)"), T("Trễ hạn"),
             N(excel_serial(2026, 10, 5, 17, 0)), E, N(excel_serial(2026, 10, 20, 8, 15)), N(15.0), N(11.0)],
        vec![T("LA-2026-000103"), T("STNMT"), T("Sở Tài nguyên và Môi trường"), T("Môi trường"), T("Đang xử lý quá hạn"),
             N(excel_serial(2026, 10, 28, 17, 0)), E, E, N(4.0), N(2.0)],
    ];
    for (i, row) in rows.iter().enumerate() {
        check_row(&range, i as u32 + 1, row);
    }
    // The deadlines are datetimes, not bare numbers.
    assert!(matches!(range.get_value((1, 5)), Some(Data::DateTime(d)) if d.is_datetime()));
    assert_eq!(range.end().map(|(r, _)| r), Some(3));
    let formulas = wb.worksheet_formula("Phiếu trễ hạn").unwrap();
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "no formulas"
    );
}

#[test]
fn xlsx_breakdowns() {
    let mut wb = workbook();
    let range = wb.worksheet_range("Theo lĩnh vực").unwrap();
    let mut expected = vec![T("Mã"), T("Lĩnh vực")];
    expected.extend(header(&AGENCY_HEADERS[2..14]));
    check_row(&range, 0, &expected);
    #[rustfmt::skip]
    check_row(&range, 1, &[T("XD"), T("Xây dựng"), N(10.0), N(3.0), N(1.0), N(1.0), N(2.0), N(1.0), N(1.0), N(0.0), N(4.0), N(3.0), N(0.6), N(0.75)]);
    #[rustfmt::skip]
    check_row(&range, 2, &[T("MT"), T("Môi trường"), N(10.0), N(7.0), N(1.0), N(0.0), N(2.0), N(0.0), N(0.0), N(1.0), N(0.0), N(0.0), N(0.875), E]);

    let range = wb.worksheet_range("Theo địa bàn").unwrap();
    assert!(same(range.get_value((0, 1)), &T("Địa bàn")));
    assert!(same(range.get_value((1, 1)), &T("Thị xã Trảng Bàng")));
    assert!(same(range.get_value((1, 2)), &N(20.0)));

    let range = wb.worksheet_range("Theo kênh").unwrap();
    assert!(same(range.get_value((0, 1)), &T("Kênh tiếp nhận")));
    assert!(same(range.get_value((2, 0)), &T("phone")));
    assert!(same(range.get_value((2, 12)), &N(0.8)));
}

#[test]
fn xlsx_notes() {
    let report = report();
    let mut wb = workbook();
    let range = wb.worksheet_range("Ghi chú").unwrap();
    check_row(&range, 0, &[T("Mục"), T("Nội dung")]);
    assert!(same(range.get_value((1, 0)), &T("Kỳ báo cáo")));
    assert!(same(
        range.get_value((1, 1)),
        &T("2026-10 (từ 01/10/2026 00:00 đến 01/11/2026 00:00)")
    ));
    assert!(same(range.get_value((3, 0)), &T("Thời điểm lập")));
    assert!(same(
        range.get_value((3, 1)),
        &N(excel_serial(2026, 11, 1, 8, 5))
    ));
    assert!(same(range.get_value((4, 0)), &T("Mã kiểm tra (SHA-256)")));
    assert_eq!(
        range.get_value((4, 1)),
        Some(&Data::String(report.checksum.clone()))
    );
    assert_eq!(report.checksum.len(), 64);
    assert!(same(range.get_value((5, 1)), &T("2026-12")));
    assert!(same(range.get_value((6, 1)), &N(5.0)));
    // The definitions, verbatim, line by line from the row after a blank one.
    let first = (0..200u32)
        .find(|&r| {
            range.get_value((r, 0))
                == Some(&Data::String(
                    "# Báo cáo trễ hạn hằng tháng / The monthly overdue report".to_owned(),
                ))
        })
        .expect("the definitions' first line");
    for (i, line) in DEFINITIONS_MD.lines().enumerate() {
        let cell = range.get_value((first + i as u32, 0));
        if line.is_empty() {
            assert!(same(cell, &E), "line {i} is blank");
        } else {
            assert_eq!(cell, Some(&Data::String(line.to_owned())), "line {i}");
        }
    }
    assert!(DEFINITIONS_MD.contains("Tỷ lệ đúng hạn (%)"));
}

fn parse_csv(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    assert!(bytes.starts_with(BOM), "UTF-8 byte-order mark first");
    let mut reader = csv::Reader::from_reader(&bytes[BOM.len()..]);
    let headers = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (headers, rows)
}

#[test]
fn csv_agencies() {
    let (headers, rows) = parse_csv(&agencies_csv(&report()).unwrap());
    assert_eq!(headers, AGENCY_HEADERS);
    let expected: [&[&str]; 4] = [
        &[
            "Sở Tài nguyên và Môi trường",
            "STNMT",
            "8",
            "7",
            "1",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
            "87.5",
            "",
            "1",
            "",
            "",
        ],
        &[
            "Sở Xây dựng",
            "SXD",
            "10",
            "3",
            "1",
            "1",
            "2",
            "1",
            "1",
            "0",
            "4",
            "3",
            "60.0",
            "75.0",
            "2",
            "75.0",
            "50.0",
        ],
        &[
            "UBND huyện Bến Cầu",
            "UBND-BC",
            "2",
            "0",
            "0",
            "0",
            "2",
            "0",
            "0",
            "1",
            "0",
            "0",
            "",
            "",
            "",
            "",
            "",
        ],
        &[
            "Tổng cộng",
            "",
            "20",
            "10",
            "2",
            "1",
            "4",
            "1",
            "1",
            "1",
            "4",
            "3",
            "76.9",
            "75.0",
            "",
            "75.0",
            "",
        ],
    ];
    assert_eq!(
        rows,
        expected.map(|r| r.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    );
}

#[test]
fn csv_late_tickets_and_injection_guard() {
    let bytes = late_tickets_csv(&report()).unwrap();
    let (headers, rows) = parse_csv(&bytes);
    assert_eq!(headers, LATE_HEADERS);
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[0],
        [
            "LA-2026-000101",
            "SXD",
            "Sở Xây dựng",
            "Xây dựng",
            "Trễ hạn có gia hạn",
            "10/10/2026 17:00",
            "15/10/2026 17:00",
            "12/10/2026 09:30",
            "2",
            "1"
        ]
    );
    // The category that looks like a formula is quoted with a leading apostrophe; the
    // deadline given in UTC is shown in Vietnam time.
    assert_eq!(rows[1][3], "'=SUM(A1)");
    assert_eq!(rows[1][5], "05/10/2026 17:00");
    assert_eq!(rows[1][6], "");
    assert_eq!(rows[2][4], "Đang xử lý quá hạn");
    assert_eq!(rows[2][7], "");

    for (text, guarded) in [
        ("=1+2", "'=1+2"),
        ("+84 912", "'+84 912"),
        ("-3", "'-3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Sở Y tế", "Sở Y tế"),
        ("", ""),
    ] {
        assert_eq!(guard_text(text), guarded);
    }
    // Numbers are never guarded (a negative would be, but counts are unsigned).
    let text = String::from_utf8(bytes[BOM.len()..].to_vec()).unwrap();
    assert!(text.contains(",15,11\r\n"));
}

/// Parses an SVG; returns the root's attributes, the `<title>` text, the `<desc>` text, the
/// fills of the `<rect>`s, and the texts of the `<text>`s, in document order.
struct Svg {
    root: Vec<(String, String)>,
    title: String,
    desc: String,
    rect_fills: Vec<String>,
    texts: Vec<String>,
}

fn parse_svg(svg: &str) -> Svg {
    let mut reader = XmlReader::from_str(svg);
    let mut out = Svg {
        root: Vec::new(),
        title: String::new(),
        desc: String::new(),
        rect_fills: Vec::new(),
        texts: Vec::new(),
    };
    let mut stack: Vec<String> = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => {
                let name = e.name().as_ref().to_owned();
                if name == "svg" && stack.is_empty() {
                    out.root = e
                        .attributes()
                        .map(|a| {
                            let a = a.unwrap();
                            (
                                a.key.as_ref().to_owned(),
                                a.normalized_value(XmlVersion::Implicit1_0)
                                    .unwrap()
                                    .into_owned(),
                            )
                        })
                        .collect();
                }
                if name == "text" {
                    out.texts.push(String::new());
                }
                stack.push(name);
            }
            Event::Empty(e) if e.name().as_ref() == "rect" => {
                let fill = e
                    .attributes()
                    .map(|a| a.unwrap())
                    .find(|a| a.key.as_ref() == "fill")
                    .map(|a| {
                        a.normalized_value(XmlVersion::Implicit1_0)
                            .unwrap()
                            .into_owned()
                    })
                    .unwrap_or_default();
                out.rect_fills.push(fill);
            }
            Event::Text(t) => {
                // Entities come as `GeneralRef` events; this is the text between them.
                let text: &str = &t;
                match stack.last().map(String::as_str) {
                    Some("title") => out.title.push_str(text),
                    Some("desc") => out.desc.push_str(text),
                    Some("text") => {
                        if let Some(last) = out.texts.last_mut() {
                            last.push_str(text.trim());
                        }
                    }
                    _ => {}
                }
            }
            Event::GeneralRef(r) => {
                let name = r.as_ref().to_owned();
                let decoded = quick_xml::escape::unescape(&format!("&{name};"))
                    .unwrap()
                    .into_owned();
                match stack.last().map(String::as_str) {
                    Some("title") => out.title.push_str(&decoded),
                    Some("desc") => out.desc.push_str(&decoded),
                    Some("text") => {
                        if let Some(last) = out.texts.last_mut() {
                            last.push_str(&decoded);
                        }
                    }
                    _ => {}
                }
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(stack.is_empty(), "every element closed");
    out
}

fn attr<'a>(svg: &'a Svg, key: &str) -> Option<&'a str> {
    svg.root
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// With `TONGDAI_DUMP_SVG=dir`, writes the chart there to look at.
fn dump(name: &str, svg: &str) {
    if let Some(dir) = std::env::var_os("TONGDAI_DUMP_SVG") {
        std::fs::write(std::path::Path::new(&dir).join(name), svg).unwrap();
    }
}

fn check_accessible(svg: &Svg) {
    assert_eq!(attr(svg, "role"), Some("img"));
    assert_eq!(attr(svg, "xmlns"), Some("http://www.w3.org/2000/svg"));
    assert_eq!(attr(svg, "width"), Some("100%"));
    assert_eq!(attr(svg, "height"), None, "no fixed pixel height");
    assert!(attr(svg, "viewBox").is_some_and(|v| v.starts_with("0 0 ")));
    let labelled = attr(svg, "aria-labelledby").unwrap();
    let ids: Vec<&str> = labelled.split(' ').collect();
    assert_eq!(ids.len(), 2);
    assert!(ids[0].ends_with("-title") && ids[1].ends_with("-desc"));
    assert!(!svg.title.is_empty() && !svg.desc.is_empty());
}

#[test]
fn svg_on_time_by_agency_worst_first() {
    let report = report();
    let raw = on_time_by_agency_svg(&report, 10).unwrap();
    dump("agencies.svg", &raw);
    assert!(!raw.contains("<script"));
    let ids = format!(
        "id=\"{}\"",
        raw.split("aria-labelledby=\"")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
    );
    assert!(raw.contains(&ids), "the title's id exists");
    let svg = parse_svg(&raw);
    check_accessible(&svg);
    assert_eq!(svg.title, "Tỷ lệ xử lý đúng hạn theo đơn vị, kỳ 2026-10");
    assert_eq!(
        svg.desc,
        "Biểu đồ thanh ngang, 2 đơn vị được xếp hạng, từ thấp đến cao: Sở Xây dựng 60,0%; \
         Sở Tài nguyên và Môi trường 87,5%. 1 đơn vị không được xếp hạng vì không trả lời \
         phiếu nào trong kỳ."
    );
    // One bar per ranked agency: the worst (60 %, below target) first, then 87.5 %.
    let bars: Vec<&str> = svg
        .rect_fills
        .iter()
        .map(String::as_str)
        .filter(|f| *f == BAR_COLOR || *f == BAR_BELOW_TARGET_COLOR)
        .collect();
    assert_eq!(bars, [BAR_BELOW_TARGET_COLOR, BAR_COLOR]);
    let labels: Vec<&str> = svg
        .texts
        .iter()
        .map(String::as_str)
        .filter(|t| {
            t.starts_with("Sở") || t.starts_with("UBND") || (t.ends_with('%') && t.contains(','))
        })
        .collect();
    assert_eq!(
        labels,
        [
            "60,0%",
            "Sở Xây dựng",
            "87,5%",
            "Sở Tài nguyên và Môi trường"
        ]
    );
    assert!(!svg.texts.iter().any(|t| t.contains("Bến Cầu")));

    // At most one row: the worst only.
    let one = parse_svg(&on_time_by_agency_svg(&report, 1).unwrap());
    assert!(
        one.desc
            .contains("1 đơn vị thấp nhất trong 2 đơn vị được xếp hạng")
    );
    assert!(one.texts.iter().any(|t| t == "Sở Xây dựng"));
    assert!(!one.texts.iter().any(|t| t.starts_with("Sở Tài nguyên")));
}

#[test]
fn svg_with_nothing_ranked() {
    let mut report = report();
    report.rows.retain(|r| r.rank.is_none());
    let svg = parse_svg(&on_time_by_agency_svg(&report, 10).unwrap());
    check_accessible(&svg);
    assert!(svg.desc.starts_with("Không có đơn vị nào được xếp hạng"));
}

#[test]
fn svg_monthly_trend_with_gaps() {
    let points: Vec<(String, Option<f64>)> = (1..=12)
        .map(|m| {
            let v = match m {
                1 => Some(90.0),
                2 => Some(93.5),
                3 => None,
                4 => Some(81.2),
                5..=10 => Some(70.0 + f64::from(m)),
                _ => None,
            };
            (format!("T{m}"), v)
        })
        .collect();
    let raw = monthly_trend_svg(&points).unwrap();
    dump("trend.svg", &raw);
    let svg = parse_svg(&raw);
    check_accessible(&svg);
    assert_eq!(svg.title, "Tỷ lệ xử lý đúng hạn theo tháng");
    assert!(svg.desc.contains("T2 93,5%; T3 không có số liệu; T4 81,2%"));
    assert!(svg.desc.contains("T12 không có số liệu."));
    for m in 1..=12 {
        let label = format!("T{m}");
        assert!(svg.texts.contains(&label), "{label}");
    }
    assert!(svg.texts.iter().any(|t| t == "93,5%"));
    // Two runs with more than one point (T1–T2, T4–T10): two polylines, nothing across T3.
    let line = format!("stroke=\"{BAR_COLOR}\" stroke-width=\"2\"");
    assert_eq!(raw.matches(&line).count(), 2);

    let empty = parse_svg(&monthly_trend_svg(&[]).unwrap());
    check_accessible(&empty);
    assert_eq!(empty.desc, "Chưa có số liệu.");
}
