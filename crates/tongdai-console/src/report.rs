//! `GET /console/bao-cao`: the monthly overdue report as a page (summary figures, the two
//! charts as inline SVG, the league table, the late tickets, the breakdowns), and
//! `GET /console/bao-cao/tai-ve`: the same report as XLSX or CSV. Roles IOC, reporter and
//! admin see the whole province; a lead only the agency's own row and late tickets
//! ([`ReportAudience`]); anyone else gets the 403 page.
//!
//! `?ky=YYYY-MM` names the period (default: the last closed one). It is bounded (at most
//! [`KY_MAX`] characters, pattern checked here) before the service sees it; a bad one gets
//! the page with the message and status 400.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use tongdai_domain::Channel;
use tongdai_intake::{IntakeError, IntakeService, ReportAudience};
use tongdai_report::{AgencyRow, Counts, GroupRow, LateTicket, OverdueReport, Period};

use crate::ConsoleState;
use crate::error::ConsoleError;
use crate::handlers::{disposition, gate, user_bar, with_nonce};
use crate::pages::{self, Layout, Names, Opt, UserBar, html};
use crate::session;

/// The page's address.
pub const PATH: &str = "/console/bao-cao";
/// The downloads' address.
pub const DOWNLOAD_PATH: &str = "/console/bao-cao/tai-ve";
/// The longest `ky` taken (`2026-10`).
pub const KY_MAX: usize = 7;
/// How many months the period selector offers (the open one and those before it).
pub const MONTHS_OFFERED: usize = 24;

#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    ky: Option<String>,
    #[serde(rename = "dinh-dang")]
    format: Option<String>,
}

/// `YYYY-MM` with a month 01–12, at most [`KY_MAX`] characters.
fn well_formed(ky: &str) -> bool {
    let b = ky.as_bytes();
    ky.len() == KY_MAX
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..].iter().all(u8::is_ascii_digit)
        && matches!(ky[5..].parse::<u32>(), Ok(1..=12))
}

fn previous_month(year: i32, month: u32) -> (i32, u32) {
    if month == 1 {
        (year - 1, 12)
    } else {
        (year, month - 1)
    }
}

/// The open period and the [`MONTHS_OFFERED`]` - 1` before it, newest first.
fn offered(intake: &IntakeService) -> Vec<Period> {
    let policy = intake.report_periods();
    let Ok(open) = policy.containing(intake.clock().now()) else {
        return Vec::new();
    };
    let mut out = vec![open];
    let (mut y, mut m) = (open.year, open.month);
    while out.len() < MONTHS_OFFERED {
        (y, m) = previous_month(y, m);
        match policy.of_month(y, m) {
            Ok(p) => out.push(p),
            Err(_) => break,
        }
    }
    out
}

/// The period asked for: `Ok(label)` or the message to show.
fn chosen(query: &ReportQuery, periods: &[Period]) -> Result<String, String> {
    match query.ky.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => periods
            .get(1)
            .or(periods.first())
            .map(Period::label)
            .ok_or_else(|| "Không xác định được kỳ báo cáo.".to_owned()),
        Some(ky) if ky.chars().count() <= KY_MAX && well_formed(ky) => Ok(ky.to_owned()),
        Some(_) => Err(
            "Kỳ báo cáo không hợp lệ: chọn tháng trong danh sách (dạng năm-tháng, ví dụ 2026-10)."
                .to_owned(),
        ),
    }
}

fn parse_query(req: &HttpRequest) -> Result<ReportQuery, String> {
    web::Query::<ReportQuery>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|_| "Địa chỉ trang không hợp lệ: vui lòng chọn lại kỳ báo cáo.".to_owned())
}

fn month_label(p: &Period) -> String {
    format!("Tháng {:02}/{}", p.month, p.year)
}

fn label_of(ky: &str) -> String {
    match ky.split_once('-') {
        Some((y, m)) => format!("tháng {m}/{y}"),
        None => ky.to_owned(),
    }
}

fn rate(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), tongdai_report::table::rate_vi)
}

/// plotters' root carries `style="max-width:…;height:auto"`, which the pages' CSP
/// (`style-src 'self'`) blocks; the style sheet sizes `.chart svg` instead.
pub fn without_inline_styles(svg: &str) -> String {
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    while let Some(i) = rest.find(" style=\"") {
        out.push_str(&rest[..i]);
        let after = &rest[i + " style=\"".len()..];
        match after.find('"') {
            Some(end) => rest = &after[end + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

// ------------------------------------------------------------------------- view data

#[derive(Debug, Clone)]
pub struct Figure {
    pub label: &'static str,
    pub value: String,
    pub id: &'static str,
}

#[derive(Debug, Clone)]
pub struct LeagueRow {
    pub rank: String,
    pub agency: String,
    pub received: u64,
    pub on_time: u64,
    pub late_with_extension: u64,
    pub late: u64,
    pub open_in_time: u64,
    pub open_overdue: u64,
    pub returned: u64,
    pub rejected: u64,
    pub on_time_rate: String,
    pub satisfaction_rate: String,
    pub year_to_date: String,
}

fn league_row(rank: String, agency: String, c: &Counts, ytd: String) -> LeagueRow {
    LeagueRow {
        rank,
        agency,
        received: c.received,
        on_time: c.on_time,
        late_with_extension: c.late_with_extension,
        late: c.late,
        open_in_time: c.open_in_time,
        open_overdue: c.open_overdue,
        returned: c.returned,
        rejected: c.rejected,
        on_time_rate: rate(c.on_time_rate),
        satisfaction_rate: rate(c.satisfaction_rate),
        year_to_date: ytd,
    }
}

fn agency_row(r: &AgencyRow) -> LeagueRow {
    league_row(
        r.rank
            .map_or_else(|| "—".to_owned(), |rank| rank.to_string()),
        r.agency.name.clone(),
        &r.counts,
        rate(r.year_to_date.as_ref().and_then(|y| y.on_time_rate)),
    )
}

#[derive(Debug, Clone)]
pub struct LateRow {
    pub code: String,
    pub href: String,
    pub agency: String,
    pub category: String,
    pub kind: &'static str,
    pub deadline: String,
    pub deadline_iso: String,
    pub extended_to: String,
    pub answered: String,
    pub days_late: u32,
    pub working_days_late: u32,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub id: &'static str,
    pub heading: &'static str,
    pub name_header: &'static str,
    pub rows: Vec<GroupLine>,
}

#[derive(Debug, Clone)]
pub struct GroupLine {
    pub name: String,
    pub received: u64,
    pub answered: u64,
    pub on_time: u64,
    pub late: u64,
    pub open_overdue: u64,
    pub on_time_rate: String,
}

fn group_line(g: &GroupRow, name: String) -> GroupLine {
    GroupLine {
        name,
        received: g.counts.received,
        answered: g.counts.answered(),
        on_time: g.counts.on_time,
        late: g.counts.late + g.counts.late_with_extension,
        open_overdue: g.counts.open_overdue,
        on_time_rate: rate(g.counts.on_time_rate),
    }
}

#[derive(Debug, Clone)]
pub struct Download {
    pub href: String,
    pub label: &'static str,
}

/// Everything the page shows of one report.
#[derive(Debug, Clone)]
pub struct ReportView {
    pub is_final: bool,
    pub checksum: String,
    pub definitions: String,
    pub generated: String,
    pub from: String,
    pub to: String,
    pub figures: Vec<Figure>,
    pub agency_chart: String,
    pub trend_chart: String,
    pub rows: Vec<LeagueRow>,
    /// Agencies with nothing in the period, left out of the table.
    pub idle: usize,
    pub totals: Option<LeagueRow>,
    pub triage: Option<String>,
    pub late: Vec<LateRow>,
    pub groups: Vec<Group>,
    pub downloads: Vec<Download>,
}

fn view(
    report: &OverdueReport,
    trend: &[(String, Option<f64>)],
    province: bool,
    names: &Names<'_>,
) -> Result<ReportView, tongdai_report::ReportError> {
    let t = &report.totals;
    let figures = vec![
        Figure {
            label: "Tiếp nhận",
            value: t.received.to_string(),
            id: "f-received",
        },
        Figure {
            label: "Đúng hạn",
            value: t.on_time.to_string(),
            id: "f-on-time",
        },
        Figure {
            label: "Trễ hạn",
            value: t.late.to_string(),
            id: "f-late",
        },
        Figure {
            label: "Trễ hạn có gia hạn",
            value: t.late_with_extension.to_string(),
            id: "f-late-ext",
        },
        Figure {
            label: "Đang xử lý quá hạn",
            value: t.open_overdue.to_string(),
            id: "f-open-overdue",
        },
        Figure {
            label: "Tỷ lệ đúng hạn",
            value: rate(t.on_time_rate),
            id: "f-rate",
        },
        Figure {
            label: "Lũy kế năm",
            value: rate(
                report
                    .totals_year_to_date
                    .as_ref()
                    .and_then(|y| y.on_time_rate),
            ),
            id: "f-ytd",
        },
    ];
    let agency_name = |code: &str| {
        report
            .rows
            .iter()
            .find(|r| r.agency.code == code)
            .map_or_else(|| names.agency(Some(code)), |r| r.agency.name.clone())
    };
    let local = |at: &chrono::DateTime<chrono::FixedOffset>| tongdai_domain::deadline_vi(at);
    let late = report
        .late_tickets
        .iter()
        .map(|l: &LateTicket| LateRow {
            code: l.code.clone(),
            href: format!("/console/phieu/{}", l.code),
            agency: agency_name(&l.agency),
            category: names.category(&l.category),
            kind: l.kind.label_vi(),
            deadline: local(&l.deadline),
            deadline_iso: l.deadline.to_rfc3339(),
            extended_to: l.extended_to.as_ref().map(local).unwrap_or_default(),
            answered: l
                .answered_at
                .as_ref()
                .map_or_else(|| "Chưa trả lời".to_owned(), tongdai_domain::datetime_vi),
            days_late: l.days_late,
            working_days_late: l.working_days_late,
        })
        .collect();
    let groups = if province {
        vec![
            Group {
                id: "by-category",
                heading: "Theo lĩnh vực",
                name_header: "Lĩnh vực",
                rows: report
                    .by_category
                    .iter()
                    .map(|g| group_line(g, g.name.clone()))
                    .collect(),
            },
            Group {
                id: "by-area",
                heading: "Theo địa bàn",
                name_header: "Địa bàn",
                rows: report
                    .by_area
                    .iter()
                    .map(|g| group_line(g, g.name.clone()))
                    .collect(),
            },
            Group {
                id: "by-channel",
                heading: "Theo kênh tiếp nhận",
                name_header: "Kênh",
                rows: report
                    .by_channel
                    .iter()
                    .map(|g| {
                        let name = g
                            .code
                            .parse::<Channel>()
                            .map_or_else(|_| g.name.clone(), |c| c.label_vi().to_owned());
                        group_line(g, name)
                    })
                    .collect(),
            },
        ]
    } else {
        Vec::new()
    };
    let label = &report.period.label;
    let downloads = vec![
        Download {
            href: format!("{DOWNLOAD_PATH}?ky={label}&dinh-dang=xlsx"),
            label: "Tải bảng tính Excel (XLSX)",
        },
        Download {
            href: format!("{DOWNLOAD_PATH}?ky={label}&dinh-dang=csv"),
            label: "Tải bảng đơn vị (CSV)",
        },
    ];
    Ok(ReportView {
        is_final: report.is_final,
        checksum: report.checksum.clone(),
        definitions: report.definitions.clone(),
        generated: tongdai_domain::datetime_vi(&report.generated_at),
        from: tongdai_domain::datetime_vi(&report.period.from),
        to: tongdai_domain::datetime_vi(&report.period.to),
        figures,
        agency_chart: without_inline_styles(&tongdai_report::on_time_by_agency_svg(report, 0)?),
        trend_chart: without_inline_styles(&tongdai_report::monthly_trend_svg(trend)?),
        rows: report
            .rows
            .iter()
            .filter(|r| !r.counts.is_empty())
            .map(agency_row)
            .collect(),
        idle: report.rows.iter().filter(|r| r.counts.is_empty()).count(),
        totals: province.then(|| league_row(String::new(), "Toàn tỉnh".to_owned(), t, rate(
            report
                .totals_year_to_date
                .as_ref()
                .and_then(|y| y.on_time_rate),
        ))),
        triage: province.then(|| {
            let q = &report.triage;
            format!(
                "Tổ phân loại IOC (không xếp hạng): tiếp nhận {}, đang chờ phân loại trong hạn {}, quá hạn {}, từ chối {}.",
                q.received, q.open_in_time, q.open_overdue, q.rejected
            )
        }),
        late,
        groups,
        downloads,
    })
}

#[derive(Template)]
#[template(path = "report.html")]
pub struct ReportPage {
    pub layout: Layout,
    pub periods: Vec<Opt>,
    pub heading: String,
    /// "tháng 10/2026".
    pub period_text: String,
    /// The agency's name, for a lead.
    pub agency: Option<String>,
    pub error: Option<String>,
    pub report: Option<ReportView>,
}

// ---------------------------------------------------------------------------- handlers

fn options(periods: &[Period], chosen: &str) -> Vec<Opt> {
    let mut list: Vec<Opt> = periods
        .iter()
        .enumerate()
        .map(|(i, p)| Opt {
            value: p.label(),
            label: if i == 0 {
                format!("{} (đang diễn ra, tạm tính)", month_label(p))
            } else {
                month_label(p)
            },
            selected: p.label() == chosen,
        })
        .collect();
    if !chosen.is_empty() && !list.iter().any(|o| o.selected) && well_formed(chosen) {
        list.push(Opt {
            value: chosen.to_owned(),
            label: format!("Tháng {}", label_of(chosen).trim_start_matches("tháng ")),
            selected: true,
        });
    }
    list
}

struct Render<'a> {
    state: &'a ConsoleState,
    bar: UserBar,
    nonce: Option<String>,
    periods: Vec<Period>,
    agency: Option<String>,
}

impl Render<'_> {
    fn page(
        self,
        status: StatusCode,
        label: &str,
        error: Option<String>,
        report: Option<ReportView>,
    ) -> HttpResponse {
        let heading = if label.is_empty() {
            "Báo cáo trễ hạn".to_owned()
        } else {
            format!("Báo cáo trễ hạn {}", label_of(label))
        };
        let page = ReportPage {
            layout: Layout::new(status, Some(self.bar)),
            periods: options(&self.periods, label),
            heading,
            period_text: label_of(label),
            agency: self.agency,
            error,
            report,
        };
        with_nonce(html(status, &page), self.state, self.nonce)
    }
}

/// `GET /console/bao-cao?ky=YYYY-MM`.
pub async fn page(
    req: HttpRequest,
    intake: web::Data<IntakeService>,
    state: web::Data<ConsoleState>,
) -> HttpResponse {
    let signed = match gate(&req, &intake).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let audience = match ReportAudience::of(&signed.staff) {
        Ok(a) => a,
        Err(e) => return ConsoleError::from(e).response(),
    };
    let router = intake.router();
    let names = Names {
        j: router.jurisdiction(),
    };
    let agency = match &audience {
        ReportAudience::Agency(code) => Some(names.agency(Some(code))),
        ReportAudience::Province => None,
    };
    let (csrf, nonce) = session::form_token(&req, &state, intake.clock().now());
    let periods = offered(&intake);
    let render = Render {
        state: &state,
        bar: user_bar(&signed, &csrf),
        nonce,
        periods: periods.clone(),
        agency,
    };
    let label = match parse_query(&req).and_then(|q| chosen(&q, &periods)) {
        Ok(label) => label,
        Err(message) => {
            tracing::info!("overdue report page: bad period");
            return render.page(StatusCode::BAD_REQUEST, "", Some(message), None);
        }
    };
    let service = intake.get_ref().clone();
    let who = audience.clone();
    let wanted = label.clone();
    let loaded = tongdai_http::block(move || {
        let report = service.overdue_report(&wanted, &who)?;
        let trend = service.year_trend(&report, &who)?;
        Ok::<_, IntakeError>((report, trend))
    })
    .await;
    let (report, trend) = match loaded {
        Ok(Ok(found)) => found,
        Ok(Err(IntakeError::Invalid(fields))) => {
            let message = fields
                .iter()
                .map(|f| f.message.clone())
                .collect::<Vec<_>>()
                .join(" ");
            return render.page(StatusCode::BAD_REQUEST, &label, Some(message), None);
        }
        Ok(Err(e)) => return ConsoleError::from(e).response(),
        Err(e) => return ConsoleError::from(e).response(),
    };
    let province = audience == ReportAudience::Province;
    match view(&report, &trend, province, &names) {
        Ok(v) => render.page(StatusCode::OK, &label, None, Some(v)),
        Err(e) => ConsoleError::Internal(e.to_string()).response(),
    }
}

/// `GET /console/bao-cao/tai-ve?ky=YYYY-MM&dinh-dang=xlsx|csv`: the report as a file, with
/// the page's session and audience rules.
pub async fn download(req: HttpRequest, intake: web::Data<IntakeService>) -> HttpResponse {
    let signed = match gate(&req, &intake).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let audience = match ReportAudience::of(&signed.staff) {
        Ok(a) => a,
        Err(e) => return ConsoleError::from(e).response(),
    };
    let back = || {
        vec![pages::Link {
            href: PATH.to_owned(),
            label: "Về trang báo cáo".to_owned(),
        }]
    };
    let query = match parse_query(&req) {
        Ok(q) => q,
        Err(m) => return ConsoleError::BadRequest(m).response_with(back()),
    };
    let periods = offered(&intake);
    let label = match chosen(&query, &periods) {
        Ok(l) => l,
        Err(m) => return ConsoleError::BadRequest(m).response_with(back()),
    };
    let xlsx = match query.format.as_deref() {
        Some("xlsx") | None => true,
        Some("csv") => false,
        Some(_) => {
            return ConsoleError::BadRequest("unknown format".into()).response_with(back());
        }
    };
    let service = intake.get_ref().clone();
    let who = audience.clone();
    let made = tongdai_http::block(move || {
        let report = service.overdue_report(&label, &who)?;
        let body = if xlsx {
            tongdai_report::to_xlsx(&report)
        } else {
            tongdai_report::agencies_csv(&report)
        }
        .map_err(|e| IntakeError::Corrupt(e.to_string()))?;
        Ok::<_, IntakeError>((report.period.label.clone(), body))
    })
    .await;
    let (label, body) = match made {
        Ok(Ok(made)) => made,
        Ok(Err(e)) => return ConsoleError::from(e).response_with(back()),
        Err(e) => return ConsoleError::from(e).response_with(back()),
    };
    let suffix = match &audience {
        ReportAudience::Agency(code) => format!("-{code}"),
        ReportAudience::Province => String::new(),
    };
    let (ext, content_type) = if xlsx {
        (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    } else {
        ("csv", "text/csv; charset=utf-8")
    };
    let name = format!("bao-cao-tre-han-{label}{suffix}.{ext}");
    let mut response = HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            disposition("attachment", &name),
        ))
        .body(body);
    pages::security_headers(&mut response);
    response.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_checked_before_the_service() {
        for ok in ["2026-10", "2026-01", "1999-12"] {
            assert!(well_formed(ok), "{ok}");
        }
        for bad in [
            "2026-13", "2026-00", "2026-1", "26-10", "2026/10", "2026-10x", "ab",
        ] {
            assert!(!well_formed(bad), "{bad}");
        }
        let q = |ky: &str| ReportQuery {
            ky: Some(ky.to_owned()),
            format: None,
        };
        assert!(chosen(&q(&"2".repeat(5000)), &[]).is_err());
        assert_eq!(chosen(&q(" 2026-10 "), &[]), Ok("2026-10".to_owned()));
    }

    #[test]
    fn inline_styles_are_removed() {
        let svg = r#"<svg viewBox="0 0 1 1" style="max-width:720px;height:auto" role="img"><text style="x">a</text></svg>"#;
        assert_eq!(
            without_inline_styles(svg),
            r#"<svg viewBox="0 0 1 1" role="img"><text>a</text></svg>"#
        );
    }
}
