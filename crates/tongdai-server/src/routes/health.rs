//! Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database
//! answers, the schema is current, a jurisdiction is loaded). Calendar years without data
//! are reported as warnings: the service works, but deadlines in those years count
//! weekends only.

use actix_web::{HttpResponse, web};
use serde_json::json;
use tongdai_storage::jurisdiction::areas_at;

use crate::error::Error;
use crate::loader::missing_calendar_years;
use crate::state::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    let today = state.today();
    let db = state.db.clone();
    let (ping, pending) = tongdai_http::block(move || (db.ping(), db.pending_migrations()))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    if let Err(e) = ping {
        tracing::warn!(error = %e, "readiness: database unreachable");
        return Err(Error::NotReady("Cơ sở dữ liệu không truy cập được.".into()));
    }
    match pending {
        Ok(pending) if !pending.is_empty() => {
            return Err(Error::NotReady(format!(
                "Cơ sở dữ liệu chưa được cập nhật cấu trúc (còn {} migration: {}). Chạy `tongdai migrate`.",
                pending.len(),
                pending.join(", ")
            )));
        }
        Ok(_) => {}
        Err(e) => {
            return Err(Error::NotReady(format!(
                "Không đọc được trạng thái migration: {e}"
            )));
        }
    }
    let areas = state.db(move |conn| areas_at(conn, today)).await?;
    if areas.is_empty() {
        return Err(Error::NotReady(format!(
            "Chưa nạp dữ liệu địa bàn có hiệu lực ngày {today}. Chạy `tongdai jurisdiction load DIR`."
        )));
    }
    let missing = missing_calendar_years(state.router.calendar(), today);
    let warnings: Vec<String> = missing
        .iter()
        .map(|year| {
            format!("Thiếu lịch làm việc năm {year} (config/calendar/{year}.toml): hạn xử lý năm này chỉ trừ thứ Bảy, Chủ nhật.")
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "status": "ready",
        "backend": state.db.backend().to_string(),
        "checks": { "database": "ok", "migrations": "ok", "jurisdiction": "ok",
                    "calendar": if missing.is_empty() { "ok" } else { "warning" } },
        "missing_calendar_years": missing,
        "warnings": warnings,
        "detail": warnings.join(" "),
    })))
}
