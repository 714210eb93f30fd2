//! Scheduled delivery of the monthly overdue report to the IOC.
//!
//! On the first working day after a period closes, at `[report.delivery] time_of_day`, the
//! report is generated and stored, and one outbox message (id `report-webhook-YYYY-MM`, the
//! same on every instance, so several instances enqueue it once) carries the push. The
//! sender claims due messages by a conditional update (one instance wins each claim), POSTs
//! the stored JSON with `X-Tongdai-Signature: sha256=<HMAC-SHA256 of the body>`, records every
//! attempt with its response in `report_deliveries`, and retries with exponential back-off
//! until `max_attempts`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tongdai_calendar::WorkingCalendar;
use tongdai_intake::{IntakeService, ReportAudience, ReportSettings};
use tongdai_report::{Period, PeriodPolicy};
use tongdai_storage::outbox;
use tongdai_storage::reports::DeliveryRow;

/// The outbox topic of webhook pushes.
pub const WEBHOOK_TOPIC: &str = "report.webhook";
/// How long a claimed push may take before another instance may try it.
const LEASE_SECONDS: i64 = 120;
/// The part of a response body kept with the delivery.
const KEPT_RESPONSE_CHARS: usize = 2000;

/// When the report of `period` is due to go out: the first working day after the period's
/// last day, at the configured local time.
pub fn delivery_instant(
    period: &Period,
    calendar: &WorkingCalendar,
    settings: &ReportSettings,
) -> DateTime<Utc> {
    let day = calendar.next_working_day(period.last_day());
    let local = day.and_time(settings.delivery_time());
    local
        .and_local_timezone(calendar.utc_offset())
        .single()
        .map_or_else(|| calendar.end_of_day(day), |t| t.with_timezone(&Utc))
}

/// The most recent closed period whose delivery time has come, if any.
pub fn due_period(
    now: DateTime<Utc>,
    policy: &PeriodPolicy,
    calendar: &WorkingCalendar,
    settings: &ReportSettings,
) -> Option<Period> {
    let current = policy.containing(now).ok()?;
    let (year, month) = if current.month == 1 {
        (current.year - 1, 12)
    } else {
        (current.year, current.month - 1)
    };
    let last = policy.of_month(year, month).ok()?;
    (now >= delivery_instant(&last, calendar, settings)).then_some(last)
}

/// The signature header value of a body.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        // HMAC takes keys of any length; this arm is never taken.
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// What one push got back.
#[derive(Debug, Clone)]
pub struct DeliveryOutcome {
    pub period: String,
    pub target: String,
    pub attempt: i32,
    pub succeeded: bool,
    pub status: Option<u16>,
    pub error: Option<String>,
}

impl fmt::Display for DeliveryOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.succeeded, self.status, &self.error) {
            (true, Some(s), _) => write!(
                f,
                "{}: delivered to {} (HTTP {s}, attempt {})",
                self.period, self.target, self.attempt
            ),
            (_, Some(s), _) => write!(
                f,
                "{}: {} answered HTTP {s} (attempt {})",
                self.period, self.target, self.attempt
            ),
            (_, None, Some(e)) => write!(
                f,
                "{}: {} failed: {e} (attempt {})",
                self.period, self.target, self.attempt
            ),
            _ => write!(f, "{}: nothing to deliver", self.period),
        }
    }
}

/// Pushes reports to the IOC.
#[derive(Clone)]
pub struct Deliverer {
    intake: IntakeService,
    settings: Arc<ReportSettings>,
    client: reqwest::Client,
}

impl Deliverer {
    pub fn new(intake: IntakeService, settings: ReportSettings) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(StdDuration::from_secs(30))
            .connect_timeout(StdDuration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("tongdai/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            intake,
            settings: Arc::new(settings),
            client,
        })
    }

    fn now(&self) -> DateTime<Utc> {
        self.intake.clock().now()
    }

    /// The stored JSON body of a closed period's report (generated and stored if needed).
    async fn body(&self, label: &str) -> anyhow::Result<Vec<u8>> {
        let service = self.intake.clone();
        let label = label.to_owned();
        let report = tokio::task::spawn_blocking(move || {
            service.overdue_report(&label, &ReportAudience::Province)
        })
        .await??;
        anyhow::ensure!(
            report.is_final,
            "kỳ {} chưa kết thúc: chỉ gửi báo cáo của kỳ đã chốt",
            report.period.label
        );
        Ok(serde_json::to_vec(&report)?)
    }

    /// One POST of `label`'s report, recorded.
    async fn push(&self, label: &str, attempt: i32) -> anyhow::Result<DeliveryOutcome> {
        let url = self.settings.delivery.webhook_url.clone();
        let body = self.body(label).await?;
        let sig = signature(self.settings.delivery.webhook_secret.as_bytes(), &body);
        let sent = self
            .client
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Tongdai-Signature", sig)
            .header("X-Tongdai-Period", label)
            .header("Idempotency-Key", format!("report-{label}"))
            .body(body)
            .send()
            .await;
        let (status, response, error) = match sent {
            Ok(resp) => {
                let status = resp.status();
                let text = resp.text().await.unwrap_or_default();
                (
                    Some(status.as_u16()),
                    Some(text.chars().take(KEPT_RESPONSE_CHARS).collect::<String>()),
                    None,
                )
            }
            Err(e) => (None, None, Some(e.to_string())),
        };
        let succeeded = status.is_some_and(|s| (200..300).contains(&s));
        let row = DeliveryRow::new(
            label,
            "webhook",
            &url,
            attempt,
            self.now(),
            succeeded,
            status.map(i32::from),
            response,
            error.clone(),
        );
        let service = self.intake.clone();
        tokio::task::spawn_blocking(move || service.record_report_delivery(row)).await??;
        let outcome = DeliveryOutcome {
            period: label.to_owned(),
            target: url,
            attempt,
            succeeded,
            status,
            error,
        };
        if succeeded {
            tracing::info!(%outcome, "overdue report delivered");
        } else {
            tracing::warn!(%outcome, "overdue report delivery failed");
        }
        Ok(outcome)
    }

    /// `tongdai report deliver`: push now, outside the schedule.
    pub async fn deliver_now(&self, label: &str) -> anyhow::Result<DeliveryOutcome> {
        anyhow::ensure!(
            !self.settings.delivery.webhook_url.is_empty(),
            "report.delivery.webhook_url is not set: nowhere to deliver"
        );
        let service = self.intake.clone();
        let l = label.to_owned();
        let attempt = tokio::task::spawn_blocking(move || service.report_deliveries(&l))
            .await??
            .len();
        self.push(label, i32::try_from(attempt + 1).unwrap_or(i32::MAX))
            .await
    }

    /// One round of the schedule: store and enqueue the due period's report, then send what
    /// is due. Returns the pushes made.
    pub async fn tick(&self) -> anyhow::Result<Vec<DeliveryOutcome>> {
        let now = self.now();
        let policy = self.intake.report_periods();
        let router = self.intake.router();
        let Some(period) = due_period(now, &policy, router.calendar(), &self.settings) else {
            return Ok(Vec::new());
        };
        let label = period.label();
        // Generating stores it: a closed period's report exists from its delivery day on,
        // with or without a webhook. Once stored, later rounds neither read nor verify it.
        let service = self.intake.clone();
        let l = label.clone();
        let stored = tokio::task::spawn_blocking(move || {
            service.with_conn(|conn| tongdai_storage::reports::is_stored(conn, &l))
        })
        .await??;
        if !stored {
            self.body(&label).await?;
        }
        if self.settings.delivery.webhook_url.is_empty() {
            return Ok(Vec::new());
        }
        let service = self.intake.clone();
        let id = format!("report-webhook-{label}");
        let payload = serde_json::json!({ "period": label }).to_string();
        tokio::task::spawn_blocking(move || {
            // Look first: a clash every minute for the rest of the month would fill the
            // database's log with unique-violation errors.
            service.with_conn(|conn| match outbox::find(conn, &id)? {
                Some(_) => Ok(false),
                None => outbox::enqueue_once(conn, &id, WEBHOOK_TOPIC, &payload, now),
            })
        })
        .await??;
        self.send_due().await
    }

    /// Sends the due webhook messages this instance manages to claim.
    pub async fn send_due(&self) -> anyhow::Result<Vec<DeliveryOutcome>> {
        let now = self.now();
        let max = i32::try_from(self.settings.delivery.max_attempts).unwrap_or(i32::MAX);
        let service = self.intake.clone();
        let claimed = tokio::task::spawn_blocking(move || {
            service.with_conn(|conn| {
                outbox::claim_mail(
                    conn,
                    &[WEBHOOK_TOPIC],
                    now,
                    Duration::seconds(LEASE_SECONDS),
                    max,
                    10,
                )
            })
        })
        .await??;
        let mut outcomes = Vec::new();
        for row in claimed {
            let label = serde_json::from_str::<serde_json::Value>(&row.payload)
                .ok()
                .and_then(|v| v.get("period").and_then(|p| p.as_str()).map(str::to_owned))
                .unwrap_or_default();
            let outcome = match self.push(&label, row.attempts).await {
                Ok(o) => o,
                Err(e) => DeliveryOutcome {
                    period: label.clone(),
                    target: self.settings.delivery.webhook_url.clone(),
                    attempt: row.attempts,
                    succeeded: false,
                    status: None,
                    error: Some(e.to_string()),
                },
            };
            let service = self.intake.clone();
            let id = row.id.clone();
            let at = self.now();
            let retry_at = at + self.backoff(row.attempts);
            let error = outcome
                .error
                .clone()
                .or_else(|| outcome.status.map(|s| format!("HTTP {s}")))
                .unwrap_or_default();
            let succeeded = outcome.succeeded;
            let last = row.attempts >= max;
            tokio::task::spawn_blocking(move || {
                service.with_conn(|conn| {
                    if succeeded {
                        outbox::mark_sent(conn, &id, at)
                    } else if last {
                        // Nobody will try again: dead, counted by /readyz.
                        outbox::mark_dead(conn, &id, at, &error, None).map(|_| ())
                    } else {
                        outbox::reschedule(conn, &id, retry_at, &error)
                    }
                })
            })
            .await??;
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    /// first_retry_seconds × 2^(attempt−1), at most a day.
    fn backoff(&self, attempt: i32) -> Duration {
        let first = i64::try_from(self.settings.delivery.first_retry_seconds).unwrap_or(60);
        let exp = u32::try_from(attempt.saturating_sub(1).clamp(0, 16)).unwrap_or(0);
        Duration::seconds(first.saturating_mul(1i64 << exp).min(86_400))
    }
}

/// Runs the schedule every minute while the server runs.
pub fn spawn(deliverer: Deliverer) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(StdDuration::from_secs(60));
        loop {
            every.tick().await;
            if let Err(e) = deliverer.tick().await {
                tracing::warn!(error = %e, "overdue report delivery round failed");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongdai_calendar::CalendarSettings;

    fn calendar() -> WorkingCalendar {
        WorkingCalendar::from_toml_strs(
            CalendarSettings::default(),
            &[include_str!("../../../config/calendar/2026.toml")],
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .unwrap_or_else(|e| panic!("{e}"))
            .with_timezone(&Utc)
    }

    #[test]
    fn october_goes_out_on_monday_the_second_at_eight() {
        let cal = calendar();
        let policy = PeriodPolicy::calendar_months(cal.utc_offset());
        let settings = ReportSettings::default();
        // 1/11/2026 is a Sunday.
        assert!(due_period(at("2026-11-02T07:59:59+07:00"), &policy, &cal, &settings).is_none());
        let due = due_period(at("2026-11-02T08:00:00+07:00"), &policy, &cal, &settings);
        assert_eq!(due.map(|p| p.label()), Some("2026-10".to_owned()));
        // January closes on 1/02 (Sunday); Monday 2/02 is a working day (Tết is 14–22/02).
        let jan = due_period(at("2026-02-02T08:00:00+07:00"), &policy, &cal, &settings);
        assert_eq!(jan.map(|p| p.label()), Some("2026-01".to_owned()));
        // February closes 1/03 (Sunday): Monday 2/03.
        assert!(due_period(at("2026-03-01T09:00:00+07:00"), &policy, &cal, &settings).is_none());
    }

    #[test]
    fn the_signature_is_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
