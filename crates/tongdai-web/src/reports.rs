//! `GET /phan-anh`: the published reports with their answers, newest publication first,
//! as the portals of other provinces list them. Server-rendered, no script: a search box
//! (`q`, accent-insensitive: the service folds it), a category and an area filter (selects
//! from the jurisdiction in force), and keyset pages (`sau`, the cursor of
//! [`IntakeService::published_reports`]). Only what the public tracking page shows: the
//! title, category, area, agency and the published answer; never the description or the
//! reporter.
//!
//! Query parameters are bounded: `q` by the service (200 characters, no control
//! characters), codes to [`CODE_MAX`] characters of `[A-Za-z0-9._-]`, the cursor to
//! [`CURSOR_MAX`]. A bad one gets the page with the message at its input and status 400.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use tongdai_domain::local_date;
use tongdai_intake::work::MAX_QUERY_CHARS;
use tongdai_intake::{FieldError, IntakeError, IntakeService, PublicTicket};

use crate::WebState;
use crate::error::WebError;
use crate::pages::{
    Answer, Field, ReportItem, ReportsPage, SummaryItem, When, area_groups, category_groups,
};
use crate::response::html;

/// The page's address.
pub const PATH: &str = "/phan-anh";
/// Reports per page.
pub const PAGE_SIZE: i64 = 10;
/// The longest category or area code taken.
pub const CODE_MAX: usize = 64;
/// The longest cursor taken (`{micros}.{uuid}` is about 53 characters).
pub const CURSOR_MAX: usize = 100;
/// How much of an answer the list shows.
const EXCERPT_CHARS: usize = 280;

/// The query, as the browser sends it (names as on the page's form).
#[derive(Debug, Default, Deserialize, Serialize)]
struct ReportsQuery {
    #[serde(skip_serializing_if = "blank")]
    q: Option<String>,
    #[serde(rename = "linh-vuc", skip_serializing_if = "blank")]
    category: Option<String>,
    #[serde(rename = "dia-ban", skip_serializing_if = "blank")]
    area: Option<String>,
    #[serde(skip_serializing_if = "blank")]
    sau: Option<String>,
}

#[allow(clippy::ref_option)] // serde's `skip_serializing_if` passes `&Option<String>`.
fn blank(value: &Option<String>) -> bool {
    value.as_deref().is_none_or(|v| v.trim().is_empty())
}

fn trimmed(value: Option<&String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

impl ReportsQuery {
    /// This query's address, on its first page (`sau` left out) or after `cursor`.
    fn href(&self, cursor: Option<&str>) -> String {
        let query = ReportsQuery {
            q: trimmed(self.q.as_ref()),
            category: trimmed(self.category.as_ref()),
            area: trimmed(self.area.as_ref()),
            sau: cursor.map(str::to_owned),
        };
        match serde_urlencoded::to_string(&query) {
            Ok(text) if !text.is_empty() => format!("{PATH}?{text}"),
            _ => PATH.to_owned(),
        }
    }
}

/// A category or area code: short, plain characters.
fn code(field: &str, value: Option<&String>, message: &str) -> Result<Option<String>, FieldError> {
    match trimmed(value) {
        None => Ok(None),
        Some(v)
            if v.chars().count() <= CODE_MAX
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')) =>
        {
            Ok(Some(v))
        }
        Some(_) => Err(FieldError::new(field, message)),
    }
}

fn input_id(field: &str) -> &'static str {
    match field {
        "q" => "f-q",
        "category" => "f-linh-vuc",
        "area" => "f-dia-ban",
        _ => "form-errors",
    }
}

fn excerpt(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= EXCERPT_CHARS {
        return text;
    }
    let mut cut: String = text.chars().take(EXCERPT_CHARS).collect();
    if let Some(space) = cut.rfind(' ') {
        cut.truncate(space);
    }
    cut.push('…');
    cut
}

fn item(t: &PublicTicket) -> ReportItem {
    let answer = Answer::of(t);
    ReportItem {
        code: t.code.clone(),
        title: t.title.clone(),
        category: t.category.name.clone(),
        area: t.area.as_ref().map(|a| a.name.clone()),
        agency: t.agency.as_ref().map(|a| a.name.clone()),
        created: When::instant(&t.created_at),
        excerpt: answer
            .as_ref()
            .map(|a| excerpt(&a.text))
            .unwrap_or_default(),
        answer,
    }
}

/// `GET /phan-anh?q=…&linh-vuc=…&dia-ban=…&sau=…`.
pub async fn list(
    req: HttpRequest,
    intake: web::Data<IntakeService>,
    state: web::Data<WebState>,
) -> HttpResponse {
    let query: ReportsQuery = match serde_urlencoded::from_str(req.query_string()) {
        Ok(query) => query,
        Err(e) => {
            tracing::info!(error = %e, "published reports: malformed query");
            return render(
                &intake,
                &state,
                &ReportsQuery::default(),
                Err(vec![FieldError::new(
                    "query",
                    "Địa chỉ trang không hợp lệ: vui lòng tìm kiếm lại bằng biểu mẫu bên dưới.",
                )]),
            );
        }
    };
    let checked = (|| {
        let category = code(
            "category",
            query.category.as_ref(),
            "Lĩnh vực không hợp lệ: vui lòng chọn trong danh sách.",
        )?;
        let area = code(
            "area",
            query.area.as_ref(),
            "Địa bàn không hợp lệ: vui lòng chọn trong danh sách.",
        )?;
        let cursor = trimmed(query.sau.as_ref());
        if cursor.as_ref().is_some_and(|c| c.len() > CURSOR_MAX) {
            return Err(FieldError::new("sau", "Trang không hợp lệ."));
        }
        Ok((category, area, cursor))
    })();
    let outcome = match checked {
        Err(e) => Err(vec![e]),
        Ok((category, area, cursor)) => {
            let service = intake.clone();
            let q = query.q.clone();
            let found = tongdai_http::block(move || {
                service.published_reports(
                    q.as_deref(),
                    category,
                    area,
                    cursor.as_deref(),
                    PAGE_SIZE,
                )
            })
            .await;
            match found {
                Err(e) => return WebError::from(e).response(&state),
                Ok(Ok(found)) => Ok(found),
                Ok(Err(IntakeError::Invalid(fields))) => Err(fields),
                Ok(Err(other)) => return WebError::from(other).response(&state),
            }
        }
    };
    render(&intake, &state, &query, outcome)
}

type Found = (Vec<PublicTicket>, Option<String>);

fn render(
    intake: &IntakeService,
    state: &WebState,
    query: &ReportsQuery,
    outcome: Result<Found, Vec<FieldError>>,
) -> HttpResponse {
    let (status, items, next, errors) = match outcome {
        Ok((items, next)) => (StatusCode::OK, items, next, Vec::new()),
        Err(errors) => (StatusCode::BAD_REQUEST, Vec::new(), None, errors),
    };
    let today = local_date(intake.clock().now());
    let router = intake.router();
    let jurisdiction = router.jurisdiction();
    let chosen_category = trimmed(query.category.as_ref()).unwrap_or_default();
    let chosen_area = trimmed(query.area.as_ref()).unwrap_or_default();
    let message_of = |id: &str| {
        let messages: Vec<&str> = errors
            .iter()
            .filter(|e| input_id(&e.field) == id)
            .map(|e| e.message.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join(" "))
    };
    let q_error = message_of("f-q");
    let q = Field {
        value: query.q.clone().unwrap_or_default(),
        describedby: if q_error.is_some() {
            "f-q-hint f-q-error".to_owned()
        } else {
            "f-q-hint".to_owned()
        },
        error: q_error,
    };
    let mut summary: Vec<SummaryItem> = errors
        .iter()
        .map(|e| {
            let id = input_id(&e.field);
            SummaryItem {
                href: (id != "form-errors").then(|| format!("#{id}")),
                message: e.message.clone(),
            }
        })
        .collect();
    summary.sort_by_key(|item| item.href.is_some());
    let page = ReportsPage {
        layout: state.layout(status),
        q,
        categories: category_groups(jurisdiction, today, &chosen_category),
        areas: area_groups(jurisdiction, today, &chosen_area),
        category_all: chosen_category.is_empty(),
        area_all: chosen_area.is_empty(),
        category_error: message_of("f-linh-vuc"),
        area_error: message_of("f-dia-ban"),
        summary,
        items: items.iter().map(item).collect(),
        filtered: !blank(&query.q) || !blank(&query.category) || !blank(&query.area),
        paged: !blank(&query.sau),
        first_href: query.href(None),
        next_href: next.as_deref().map(|c| query.href(Some(c))),
        q_max: MAX_QUERY_CHARS,
    };
    html(status, &page)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn page_addresses_keep_the_search_and_drop_blank_fields() {
        let query = ReportsQuery {
            q: Some(" đèn đường ".into()),
            category: Some("".into()),
            area: Some("TN-P-TANAN".into()),
            sau: Some("123.abc".into()),
        };
        assert_eq!(
            query.href(None),
            "/phan-anh?q=%C4%91%C3%A8n+%C4%91%C6%B0%E1%BB%9Dng&dia-ban=TN-P-TANAN"
        );
        assert!(query.href(Some("9.x")).ends_with("&sau=9.x"));
        assert_eq!(ReportsQuery::default().href(None), "/phan-anh");
    }

    #[test]
    fn codes_are_short_and_plain() {
        let ok = "giao-thong.o-ga".to_owned();
        assert_eq!(code("category", Some(&ok), "x").unwrap(), Some(ok.clone()));
        assert_eq!(code("category", Some(&"  ".to_owned()), "x").unwrap(), None);
        for bad in ["a b", "<script>", "x\u{7}", &"a".repeat(65)] {
            assert!(
                code("category", Some(&bad.to_owned()), "x").is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn long_answers_are_cut_at_a_word() {
        let long = "lorem ipsum ".repeat(100);
        let cut = excerpt(&long);
        assert!(cut.chars().count() <= EXCERPT_CHARS + 1);
        assert!(cut.ends_with("…") && !cut.ends_with(" …"));
        assert_eq!(excerpt("ngắn\n gọn"), "ngắn gọn");
    }
}
