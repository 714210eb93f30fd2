//! `GET /thong-ke`: the published monthly statistics — for each stored month of the
//! overdue report, the province's on-time rate and each agency's rate and rank
//! ([`IntakeService::published_statistics`]). No sign-in, no ticket codes, no personal data,
//! no late-ticket lists: only what the league table's public columns say.
//!
//! `?ky=YYYY-MM` picks the month (default: the latest stored). A malformed one gets the
//! page with the message and status 400, a month that is not published 404.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use tongdai_intake::IntakeService;
use tongdai_intake::reports::PublishedMonth;

use crate::WebState;
use crate::error::WebError;
use crate::pages::Layout;
use crate::response::html;

/// The page's address.
pub const PATH: &str = "/thong-ke";
/// How many months are published.
pub const MONTHS: i64 = 12;
/// The longest `ky` taken.
const KY_MAX: usize = 7;

#[derive(Debug, Default, Deserialize)]
struct StatisticsQuery {
    ky: Option<String>,
}

fn well_formed(ky: &str) -> bool {
    let b = ky.as_bytes();
    ky.len() == KY_MAX
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..].iter().all(u8::is_ascii_digit)
        && matches!(ky[5..].parse::<u32>(), Ok(1..=12))
}

/// "tháng 10/2026".
fn month_text(ky: &str) -> String {
    match ky.split_once('-') {
        Some((y, m)) => format!("tháng {m}/{y}"),
        None => ky.to_owned(),
    }
}

fn rate_text(rate: f64) -> String {
    format!("{rate:.1}%").replace('.', ",")
}

/// The bar's width class: the rate to the nearest 5%.
fn step_class(rate: f64) -> String {
    let step = ((rate.clamp(0.0, 100.0) / 5.0).round() as u32) * 5;
    format!("w-{step}")
}

pub struct MonthOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct StatRow {
    pub rank: String,
    pub agency: String,
    pub answered: u64,
    pub rate: String,
    pub bar: String,
    pub low: bool,
}

pub struct Month {
    pub text: String,
    pub province_rate: String,
    pub rows: Vec<StatRow>,
}

#[derive(Template)]
#[template(path = "statistics.html")]
pub struct StatisticsPage {
    pub layout: Layout,
    pub months: Vec<MonthOption>,
    pub error: Option<String>,
    pub month: Option<Month>,
    /// Nothing is published yet.
    pub empty: bool,
}

fn month(m: &PublishedMonth) -> Month {
    let mut rows: Vec<&tongdai_intake::reports::PublishedRow> = m.rows.iter().collect();
    rows.sort_by(|a, b| {
        (a.rank.is_none(), a.rank, &a.agency).cmp(&(b.rank.is_none(), b.rank, &b.agency))
    });
    Month {
        text: month_text(&m.period),
        province_rate: m
            .totals_on_time_rate
            .map_or_else(|| "Chưa có".to_owned(), rate_text),
        rows: rows
            .into_iter()
            .map(|r| StatRow {
                rank: r.rank.map_or_else(|| "—".to_owned(), |n| n.to_string()),
                agency: r.agency.clone(),
                answered: r.answered,
                rate: r.on_time_rate.map_or_else(|| "—".to_owned(), rate_text),
                bar: step_class(r.on_time_rate.unwrap_or_default()),
                low: r.on_time_rate.is_some_and(|v| v < 80.0),
            })
            .collect(),
    }
}

/// `GET /thong-ke?ky=YYYY-MM`.
pub async fn page(
    req: HttpRequest,
    intake: web::Data<IntakeService>,
    state: web::Data<WebState>,
) -> HttpResponse {
    let asked = web::Query::<StatisticsQuery>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map(|q| q.ky.map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()));
    let service = intake.clone();
    let published = match tongdai_http::block(move || service.published_statistics(MONTHS)).await {
        Ok(Ok(months)) => months,
        Ok(Err(e)) => return WebError::from(e).response(&state),
        Err(e) => return WebError::from(e).response(&state),
    };
    let (status, chosen, error) = match asked {
        Err(_) => (
            StatusCode::BAD_REQUEST,
            None,
            Some("Địa chỉ trang không hợp lệ: vui lòng chọn tháng trong danh sách.".to_owned()),
        ),
        Ok(None) => (StatusCode::OK, published.first(), None),
        Ok(Some(ky)) if ky.chars().count() > KY_MAX || !well_formed(&ky) => (
            StatusCode::BAD_REQUEST,
            None,
            Some(
                "Tháng không hợp lệ: vui lòng chọn tháng trong danh sách (dạng năm-tháng, ví dụ 2026-10)."
                    .to_owned(),
            ),
        ),
        Ok(Some(ky)) => match published.iter().find(|m| m.period == ky) {
            Some(m) => (StatusCode::OK, Some(m), None),
            None => (
                StatusCode::NOT_FOUND,
                None,
                Some(format!(
                    "Chưa có số liệu công bố của {}. Vui lòng chọn tháng khác trong danh sách.",
                    month_text(&ky)
                )),
            ),
        },
    };
    let selected = chosen.map(|m| m.period.clone()).unwrap_or_default();
    let page = StatisticsPage {
        layout: state.layout(status),
        months: published
            .iter()
            .map(|m| MonthOption {
                value: m.period.clone(),
                label: {
                    let t = month_text(&m.period);
                    let mut c = t.chars();
                    c.next()
                        .map_or(t.clone(), |f| f.to_uppercase().chain(c).collect())
                },
                selected: m.period == selected,
            })
            .collect(),
        error,
        month: chosen.map(month),
        empty: published.is_empty(),
    };
    html(status, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_step_by_five_percent() {
        assert_eq!(step_class(0.0), "w-0");
        assert_eq!(step_class(62.4), "w-60");
        assert_eq!(step_class(62.5), "w-65");
        assert_eq!(step_class(100.0), "w-100");
        assert_eq!(step_class(140.0), "w-100");
    }

    #[test]
    fn months_are_checked() {
        assert!(well_formed("2026-10"));
        for bad in ["2026-13", "2026-1", "x", "2026-10-01"] {
            assert!(!well_formed(bad), "{bad}");
        }
        assert_eq!(rate_text(66.7), "66,7%");
    }
}
