//! Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database
//! answers, the schema is current, a jurisdiction is loaded). Calendar years without data
//! are reported as warnings: the service works, but deadlines in those years count
//! weekends only. The outbox's pending and dead messages are counted (`outbox`); dead ones
//! are a warning, not unreadiness: the service still takes reports. So are inbound mail
//! waiting in quarantine and addresses whose mail bounces (`inbound_mail`).

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
    let outbox = state.db(tongdai_storage::outbox::counts).await?;
    let missing = missing_calendar_years(state.router.current().calendar(), today);
    let mut warnings: Vec<String> = missing
        .iter()
        .map(|year| {
            format!("Thiếu lịch làm việc năm {year} (config/calendar/{year}.toml): hạn xử lý năm này chỉ trừ thứ Bảy, Chủ nhật.")
        })
        .collect();
    let since = state.clock.now() - chrono::Duration::hours(24);
    let (quarantined, failing) = state
        .db(move |conn| {
            let quarantined = tongdai_storage::mail::outcome_counts_since(conn, since)?
                .into_iter()
                .filter(|(outcome, _)| outcome == "quarantined" || outcome == "refused")
                .map(|(_, n)| n)
                .sum::<i64>();
            let failing = tongdai_storage::mail::failing_addresses(conn, 1000)?.len();
            Ok((quarantined, failing))
        })
        .await?;
    if quarantined > 0 {
        warnings.push(format!(
            "{quarantined} thư đến trong 24 giờ qua chờ cán bộ xem (thư mục cách ly; `tongdai mail inbound --outcome quarantined`)."
        ));
    }
    if failing > 0 {
        warnings.push(format!(
            "{failing} địa chỉ thư điện tử đang bị trả thư: kiểm tra lại địa chỉ của đơn vị (config/agency-contacts.toml)."
        ));
    }
    if outbox.dead > 0 {
        warnings.push(format!(
            "{} thư/thông báo gửi không được sau mọi lần thử (xem trang phản ánh trên /console hoặc `tongdai mail outbox`).",
            outbox.dead
        ));
    }
    Ok(HttpResponse::Ok().json(json!({
        "status": "ready",
        "backend": state.db.backend().to_string(),
        "checks": { "database": "ok", "migrations": "ok", "jurisdiction": "ok",
                    "calendar": if missing.is_empty() { "ok" } else { "warning" },
                    "outbox": if outbox.dead == 0 { "ok" } else { "warning" } },
        // Messages not yet delivered and those that failed their last attempt (every topic):
        // the service is ready either way, but dead ones need a person.
        "outbox": { "pending": outbox.pending, "dead": outbox.dead },
        // Inbound mail that needs a person (quarantined or refused, last 24 hours) and
        // addresses our mail bounces from: warnings, not unreadiness.
        "inbound_mail": { "needs_review_24h": quarantined, "failing_addresses": failing },
        "missing_calendar_years": missing,
        "warnings": warnings,
        "detail": warnings.join(" "),
    })))
}
