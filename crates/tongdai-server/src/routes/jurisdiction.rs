//! The jurisdiction in force on a date (`?at=YYYY-MM-DD`, default today in Vietnam):
//! what the web form and the app offer, and what an integrator maps its codes to.

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tongdai_storage::jurisdiction::{agencies_at, areas_at, categories_at};

use crate::error::Error;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct AtQuery {
    at: Option<String>,
}

impl AtQuery {
    /// Left out: today in Vietnam. Otherwise exactly `YYYY-MM-DD` (as the OpenAPI
    /// document's `format: date` says): no spaces, no single-digit month, no empty value.
    fn date(&self, state: &AppState) -> Result<NaiveDate, Error> {
        match self.at.as_deref() {
            None => Ok(state.today()),
            Some(text) => full_date(text).ok_or_else(|| {
                Error::InvalidQuery(format!(
                    "Tham số at={:?} phải là một ngày dạng YYYY-MM-DD, ví dụ 2025-07-01.",
                    text.chars().take(40).collect::<String>()
                ))
            }),
        }
    }
}

/// An RFC 3339 full-date (`2025-07-01`) of a year 0001–9999.
fn full_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shaped || text.starts_with("0000") {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::full_date;

    #[test]
    fn only_full_dates_are_dates() {
        assert!(full_date("2025-07-01").is_some());
        assert!(full_date("0001-01-01").is_some());
        for text in [
            "",
            " 2025-07-01",
            "2025-07-01 ",
            "2025-7-1",
            "2025-13-01",
            "2025-02-30",
            "0000-01-01",
            "+2025-07-01",
            "01/07/2025",
            "2025-07-01T00:00:00",
        ] {
            assert_eq!(full_date(text), None, "{text:?}");
        }
    }
}

#[derive(Serialize)]
struct Listing<T> {
    at: NaiveDate,
    items: Vec<T>,
}

#[derive(Serialize)]
struct CategoryItem {
    code: String,
    name: String,
    parent: Option<String>,
    description: Option<String>,
    attributes: serde_json::Value,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
}

#[derive(Serialize)]
struct AreaItem {
    code: String,
    name: String,
    full_name: String,
    level: String,
    kind: String,
    parent: Option<String>,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
}

#[derive(Serialize)]
struct AgencyItem {
    code: String,
    name: String,
    kind: String,
    area: Option<String>,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
}

pub async fn categories(
    state: web::Data<AppState>,
    query: web::Query<AtQuery>,
) -> Result<HttpResponse, Error> {
    let at = query.date(&state)?;
    let rows = state.db(move |conn| categories_at(conn, at)).await?;
    let items = rows
        .into_iter()
        .map(|c| CategoryItem {
            attributes: serde_json::from_str(&c.attributes)
                .unwrap_or(serde_json::Value::Array(Vec::new())),
            code: c.code,
            name: c.name,
            parent: c.parent_code,
            description: c.description,
            valid_from: c.valid_from,
            valid_to: c.valid_to,
        })
        .collect();
    Ok(HttpResponse::Ok().json(Listing { at, items }))
}

pub async fn areas(
    state: web::Data<AppState>,
    query: web::Query<AtQuery>,
) -> Result<HttpResponse, Error> {
    let at = query.date(&state)?;
    let rows = state.db(move |conn| areas_at(conn, at)).await?;
    let items: Vec<AreaItem> = rows
        .into_iter()
        .map(|a| AreaItem {
            code: a.code,
            name: a.name,
            full_name: a.full_name,
            level: a.level,
            kind: a.kind,
            parent: a.parent_code,
            valid_from: a.valid_from,
            valid_to: a.valid_to,
        })
        .collect();
    Ok(HttpResponse::Ok().json(Listing { at, items }))
}

pub async fn agencies(
    state: web::Data<AppState>,
    query: web::Query<AtQuery>,
) -> Result<HttpResponse, Error> {
    let at = query.date(&state)?;
    let rows = state.db(move |conn| agencies_at(conn, at)).await?;
    let items: Vec<AgencyItem> = rows
        .into_iter()
        .map(|a| AgencyItem {
            code: a.code,
            name: a.name,
            kind: a.kind,
            area: a.area_code,
            valid_from: a.valid_from,
            valid_to: a.valid_to,
        })
        .collect();
    Ok(HttpResponse::Ok().json(Listing { at, items }))
}
