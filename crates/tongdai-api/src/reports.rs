//! `GET /api/v1/reports/overdue`: the monthly overdue report for the IOC, as JSON, CSV or
//! XLSX. Roles `reporter`, `ioc`, `admin` get the whole report; a `lead` only the agency's
//! own row and late tickets; anyone else 403, no token 401.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use tongdai_intake::{IntakeService, ReportAudience};
use utoipa::{IntoParams, ToSchema};

use crate::ApiState;
use crate::error::{ApiError, blocking};
use crate::staff::staff_of;

/// The export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    #[default]
    Json,
    Csv,
    Xlsx,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OverdueParams {
    /// The period, `YYYY-MM` (the month it ends in; see `docs/report.md`).
    #[param(pattern = r"^2[01][0-9]{2}-(0[1-9]|1[0-2])$", example = "2026-10")]
    pub period: String,
    /// `json` (default), `csv` (agencies, UTF-8 with BOM) or `xlsx` (every view, with a
    /// chart and the definitions).
    #[serde(default)]
    pub format: ReportFormat,
}

/// `GET /api/v1/reports/overdue`.
#[utoipa::path(
    get,
    path = "/api/v1/reports/overdue",
    tag = "reports",
    operation_id = "getOverdueReport",
    summary = "The monthly overdue report (báo cáo trễ hạn) of a period",
    description = "One row per agency (received, on_time, late_with_extension, late, \
        open_in_time, open_overdue, returned, rejected, on_time_rate and satisfaction_rate in \
        percent — 60.0 means 60% —, rank, year_to_date, previous_year), totals, the IOC's \
        triage queue, late_tickets (code, agency, category, kind, deadline, extended_to, \
        answered_at, days_late, working_days_late), and breakdowns by category, area and \
        channel. Computed as of the period's end with the agency names then in force. A \
        closed period's report is stored once with its `checksum` (SHA-256) and returned as \
        stored (`final: true`); an open period's is provisional (`final: false`). Definitions: \
        docs/report.md. Roles reporter, ioc and admin get everything; a lead only the \
        agency's own row and late tickets.",
    params(OverdueParams),
    responses(
        (status = 200, description = "The report", body = Object,
            content(
                (Object = "application/json"),
                (String = "text/csv"),
                (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ),
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "A parameter of the wrong type or an unknown parameter", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "No or invalid staff token", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The user may not see the report", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Not a period, or one that has not begun", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
        (status = 500, description = "`report-changed`: the stored report of a closed period differs from a re-run (history was altered); never replaced", body = crate::model::ProblemDoc, content_type = "application/problem+json"),
    ),
    security(("staff" = [])),
)]
pub async fn overdue(
    req: HttpRequest,
    intake: web::Data<IntakeService>,
    state: web::Data<ApiState>,
    params: web::Query<OverdueParams>,
) -> Result<HttpResponse, ApiError> {
    let staff = staff_of(&req, &state, &intake).await?;
    let audience = ReportAudience::of(&staff)?;
    let OverdueParams { period, format } = params.into_inner();
    let service = intake.clone();
    let report = blocking(move || Ok(service.overdue_report(&period, &audience)?)).await?;
    let no_store = (header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let file = |ext: &str| {
        HeaderValue::from_str(&format!(
            "attachment; filename=\"bao-cao-tre-han-{}.{ext}\"",
            report.period.label
        ))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
    };
    Ok(match format {
        ReportFormat::Json => HttpResponse::Ok().insert_header(no_store).json(&report),
        ReportFormat::Csv => {
            let body = tongdai_report::agencies_csv(&report)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            HttpResponse::Ok()
                .insert_header(no_store)
                .insert_header((header::CONTENT_DISPOSITION, file("csv")))
                .content_type("text/csv; charset=utf-8")
                .body(body)
        }
        ReportFormat::Xlsx => {
            let body =
                tongdai_report::to_xlsx(&report).map_err(|e| ApiError::Internal(e.to_string()))?;
            HttpResponse::Ok()
                .insert_header(no_store)
                .insert_header((header::CONTENT_DISPOSITION, file("xlsx")))
                .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                .body(body)
        }
    })
}
