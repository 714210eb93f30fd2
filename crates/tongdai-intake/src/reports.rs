//! The monthly overdue report as a service: which period, who may see what, the as-of
//! computation over stored histories, and the store-once rule (a closed period's report is
//! stored with its checksum; a later run that would differ is an error, never a new
//! version).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use tongdai_domain::Role;
use tongdai_report::{
    AgencyRef, OverdueReport, Period, PeriodPolicy, RateOver, ReportBuilder, ReportInputs,
    ReportPolicy,
};
use tongdai_storage::reports::{self as store, StoreOutcome, StoredReport};
use tracing::{error, info};

use crate::error::IntakeError;
use crate::service::IntakeService;
use crate::work::Staff;

/// `[report]` in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportSettings {
    /// Day of the month a period ends on (1 = calendar months; 25 for "the 25th to the
    /// 25th").
    pub period_cutoff_day: u32,
    /// Local time of the cut-off, "HH:MM".
    pub period_cutoff_time: String,
    /// A rating at least this high counts as satisfied.
    pub satisfied_min_rating: u8,
    /// The definitions version the figures follow (`docs/report.md`).
    pub definitions: String,
    /// Whether `/thong-ke` publishes the stored months' rates and ranks.
    pub publish_statistics: bool,
    pub delivery: DeliverySettings,
}

/// `[report.delivery]`: the push of a closed period's report to the IOC. `Debug` never
/// shows the webhook secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliverySettings {
    /// Run the schedule inside the server (off: only `tongdai report deliver`).
    pub scheduled: bool,
    /// Deliver on the first working day after a period closes, at this local time.
    pub time_of_day: String,
    /// The IOC's endpoint for the JSON report (POST); empty = no webhook.
    pub webhook_url: String,
    /// The HMAC-SHA256 key of `X-Tongdai-Signature` (at least 32 characters when a
    /// webhook is set).
    pub webhook_secret: String,
    /// Attempts before a delivery is given up (each recorded), and the first back-off.
    pub max_attempts: u32,
    pub first_retry_seconds: u64,
    /// Addresses that receive the XLSX by e-mail once outgoing mail exists (issue 15).
    pub email_to: Vec<String>,
}

impl std::fmt::Debug for DeliverySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliverySettings")
            .field("scheduled", &self.scheduled)
            .field("time_of_day", &self.time_of_day)
            .field("webhook_url", &self.webhook_url)
            .field(
                "webhook_secret",
                &if self.webhook_secret.is_empty() {
                    ""
                } else {
                    "[hidden]"
                },
            )
            .field("max_attempts", &self.max_attempts)
            .field("first_retry_seconds", &self.first_retry_seconds)
            .field("email_to", &self.email_to)
            .finish()
    }
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            scheduled: true,
            time_of_day: "08:00".to_owned(),
            webhook_url: String::new(),
            webhook_secret: String::new(),
            max_attempts: 8,
            first_retry_seconds: 60,
            email_to: Vec::new(),
        }
    }
}

impl Default for ReportSettings {
    fn default() -> Self {
        Self {
            period_cutoff_day: 1,
            period_cutoff_time: "00:00".to_owned(),
            satisfied_min_rating: 4,
            definitions: "2026-12".to_owned(),
            publish_statistics: true,
            delivery: DeliverySettings::default(),
        }
    }
}

impl ReportSettings {
    /// Checks the settings; the configuration loader calls it at start-up.
    pub fn validate(&self) -> Result<(), String> {
        parse_time(&self.period_cutoff_time).ok_or_else(|| {
            format!(
                "report.period_cutoff_time {:?} is not HH:MM",
                self.period_cutoff_time
            )
        })?;
        parse_time(&self.delivery.time_of_day).ok_or_else(|| {
            format!(
                "report.delivery.time_of_day {:?} is not HH:MM",
                self.delivery.time_of_day
            )
        })?;
        if !(1..=28).contains(&self.period_cutoff_day) {
            return Err("report.period_cutoff_day must be 1 to 28".into());
        }
        if !(1..=5).contains(&self.satisfied_min_rating) {
            return Err("report.satisfied_min_rating must be 1 to 5".into());
        }
        if !self.delivery.webhook_url.is_empty() {
            if !(self.delivery.webhook_url.starts_with("https://")
                || self.delivery.webhook_url.starts_with("http://"))
            {
                return Err("report.delivery.webhook_url must be an http(s) URL".into());
            }
            if self.delivery.webhook_secret.chars().count() < 32 {
                return Err(
                    "report.delivery.webhook_secret must have at least 32 characters when a webhook is set"
                        .into(),
                );
            }
        }
        if self.delivery.max_attempts == 0 {
            return Err("report.delivery.max_attempts must be at least 1".into());
        }
        Ok(())
    }

    pub fn delivery_time(&self) -> NaiveTime {
        parse_time(&self.delivery.time_of_day).unwrap_or(NaiveTime::MIN)
    }
}

fn parse_time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M").ok()
}

/// Who asks for a report, and so what they get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportAudience {
    /// IOC, reporter, admin, the CLI: everything.
    Province,
    /// An agency's lead: its own row and late tickets only.
    Agency(String),
}

impl ReportAudience {
    /// The audience of a signed-in staff member, or `Forbidden` for roles without the report.
    pub fn of(staff: &Staff) -> Result<Self, IntakeError> {
        let c = &staff.caller;
        if c.has(Role::Ioc) || c.has(Role::Reporter) || c.has(Role::Admin) {
            return Ok(ReportAudience::Province);
        }
        match (&c.agency, c.has(Role::Lead)) {
            (Some(agency), true) => Ok(ReportAudience::Agency(agency.clone())),
            _ => Err(IntakeError::Forbidden(
                "Báo cáo trễ hạn dành cho IOC, bộ phận báo cáo, quản trị và lãnh đạo đơn vị."
                    .into(),
            )),
        }
    }
}

/// A re-run of a stored period compared with what is stored.
#[derive(Debug, Clone)]
pub struct Recheck {
    pub stored: OverdueReport,
    pub fresh: OverdueReport,
}

impl Recheck {
    pub fn unchanged(&self) -> bool {
        self.stored.checksum == self.fresh.checksum
    }
}

/// One agency's published figures for `/thong-ke`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedMonth {
    pub period: String,
    pub rows: Vec<PublishedRow>,
    pub totals_on_time_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedRow {
    pub agency: String,
    pub answered: u64,
    pub on_time_rate: Option<f64>,
    pub rank: Option<u32>,
}

impl IntakeService {
    /// The period policy from `[report]`.
    pub fn report_periods(&self) -> PeriodPolicy {
        let s = &self.reports;
        PeriodPolicy {
            cutoff_day: s.period_cutoff_day,
            cutoff_time: parse_time(&s.period_cutoff_time).unwrap_or(NaiveTime::MIN),
            offset: self.router().calendar().utc_offset(),
        }
    }

    pub fn report_settings(&self) -> &ReportSettings {
        &self.reports
    }

    /// The period named `label`, or a field error naming `period`.
    pub fn report_period(&self, label: &str) -> Result<Period, IntakeError> {
        let period = self.report_periods().period(label).map_err(|_| {
            IntakeError::invalid("period", "Kỳ báo cáo phải có dạng YYYY-MM, ví dụ 2026-10.")
        })?;
        if period.from_utc() > self.clock.now() {
            return Err(IntakeError::invalid("period", "Kỳ báo cáo chưa bắt đầu."));
        }
        Ok(period)
    }

    /// The report of the period `label` for `audience`. A closed period's report is the
    /// stored one (computed and stored on first use); an open period's is computed now,
    /// marked provisional and not stored.
    pub fn overdue_report(
        &self,
        label: &str,
        audience: &ReportAudience,
    ) -> Result<OverdueReport, IntakeError> {
        let period = self.report_period(label)?;
        let report = self.report_of(&period)?;
        Ok(match audience {
            ReportAudience::Province => report,
            ReportAudience::Agency(code) => report.for_agency(code),
        })
    }

    /// The full report of a period: the stored one when closed, else a fresh provisional
    /// one.
    pub(crate) fn report_of(&self, period: &Period) -> Result<OverdueReport, IntakeError> {
        let now = self.clock.now();
        if !period.is_closed(now) {
            return self.compute_report(period, now);
        }
        if let Some(row) = self.with_conn(|conn| store::stored(conn, &period.label()))? {
            return checked(&row);
        }
        let fresh = self.compute_report(period, now)?;
        self.store_report(&fresh)
    }

    /// Stores a closed period's report once; if another run stored it first, the two must
    /// agree.
    fn store_report(&self, report: &OverdueReport) -> Result<OverdueReport, IntakeError> {
        let row = StoredReport {
            period: report.period.label.clone(),
            period_from: report.period.from.naive_utc(),
            period_to: report.period.to.naive_utc(),
            generated_at: report.generated_at.naive_utc(),
            definitions: report.definitions.clone(),
            checksum: report.checksum.clone(),
            body: serde_json::to_string(report).map_err(|e| IntakeError::Corrupt(e.to_string()))?,
        };
        let outcome = match self.with_conn(|conn| store::store(conn, &row)) {
            Err(IntakeError::Storage(tongdai_storage::StorageError::Conflict(_))) => {
                // Stored by another instance between our read and our insert.
                match self.with_conn(|conn| store::stored(conn, &row.period))? {
                    Some(existing) => StoreOutcome::Existing(existing),
                    None => return Err(IntakeError::Corrupt("report vanished".into())),
                }
            }
            other => other?,
        };
        match outcome {
            StoreOutcome::Stored => {
                info!(period = %row.period, checksum = %row.checksum, "overdue report stored");
                Ok(report.clone())
            }
            StoreOutcome::Existing(existing) => {
                let stored = checked(&existing)?;
                if stored.checksum != report.checksum {
                    return Err(changed(&stored, report));
                }
                Ok(stored)
            }
        }
    }

    /// Computes a closed period again and compares it with the stored report (storing it
    /// if there is none yet). `Err(ReportChanged)` when they differ.
    pub fn recheck_report(&self, label: &str) -> Result<Recheck, IntakeError> {
        let period = self.report_period(label)?;
        let now = self.clock.now();
        if !period.is_closed(now) {
            return Err(IntakeError::invalid(
                "period",
                "Kỳ báo cáo chưa kết thúc: chỉ kỳ đã kết thúc mới được lưu và đối chiếu.",
            ));
        }
        let fresh = self.compute_report(&period, now)?;
        let stored = match self.with_conn(|conn| store::stored(conn, &period.label()))? {
            Some(row) => checked(&row)?,
            None => self.store_report(&fresh)?,
        };
        let recheck = Recheck { stored, fresh };
        if !recheck.unchanged() {
            return Err(changed(&recheck.stored, &recheck.fresh));
        }
        Ok(recheck)
    }

    /// The report of `period` as of its end (or as of now, provisional), with the
    /// year-to-date and previous-year rates from the stored months, sealed.
    fn compute_report(
        &self,
        period: &Period,
        now: DateTime<Utc>,
    ) -> Result<OverdueReport, IntakeError> {
        let mut report = self.compute_figures(period, now)?;
        self.add_context(period, &mut report)?;
        report
            .seal()
            .map_err(|e| IntakeError::Corrupt(e.to_string()))?;
        Ok(report)
    }

    /// The period's figures from the stored histories, unsealed, without context.
    pub fn compute_figures(
        &self,
        period: &Period,
        now: DateTime<Utc>,
    ) -> Result<OverdueReport, IntakeError> {
        let day = period.last_day();
        let router = self.router();
        let settings = self.reports.clone();
        let (from, to) = (period.from_utc(), period.to_utc());
        let end = if period.is_closed(now) { to } else { now };
        self.with_conn(move |conn| {
            let agencies: Vec<AgencyRef> = tongdai_storage::jurisdiction::agencies_at(conn, day)?
                .into_iter()
                .map(|a| AgencyRef {
                    code: a.code,
                    name: a.name,
                })
                .collect();
            let former = store::all_agency_names(conn)?;
            let categories: BTreeMap<String, String> =
                tongdai_storage::jurisdiction::categories_at(conn, day)?
                    .into_iter()
                    .map(|c| (c.code, c.name))
                    .collect();
            let areas: BTreeMap<String, String> =
                tongdai_storage::jurisdiction::areas_at(conn, day)?
                    .into_iter()
                    .map(|a| (a.code, a.name))
                    .collect();
            let policy = ReportPolicy {
                satisfied_min_rating: settings.satisfied_min_rating,
                definitions: settings.definitions.clone(),
            };
            // A provisional report is "as of now": the period cut at the present.
            let mut cut = *period;
            if end < to {
                cut.to = end.with_timezone(&period.to.timezone());
            }
            let inputs = ReportInputs {
                period: &cut,
                agencies: &agencies,
                former_agency_names: &former,
                categories: &categories,
                areas: &areas,
                triage_agency: &router.triage_agency_ref().code,
                calendar: router.calendar(),
                policy: &policy,
            };
            let mut builder = ReportBuilder::new(inputs);
            let stats = store::histories(conn, from, end, |t| builder.add(t))?;
            if stats.unreadable > 0 {
                tracing::warn!(
                    period = %period,
                    unreadable = stats.unreadable,
                    "events the report could not read were skipped"
                );
            }
            let mut report = builder.finish(now, period.is_closed(now));
            report.period = period.into();
            Ok(report)
        })
    }

    /// The year so far and the same month a year earlier, from the stored reports of
    /// closed months (computed and stored first where missing).
    fn add_context(&self, period: &Period, report: &mut OverdueReport) -> Result<(), IntakeError> {
        let policy = self.report_periods();
        let mut earlier = Vec::new();
        for (year, month) in period.months_of_year_so_far() {
            if month == period.month {
                break;
            }
            let p = policy
                .of_month(year, month)
                .map_err(|e| IntakeError::Corrupt(e.to_string()))?;
            if self.with_conn(|conn| store::any_ticket_before(conn, p.to_utc()))? {
                earlier.push(self.report_of(&p)?);
            }
        }
        let mut ytd: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        let (mut total_on_time, mut total_answered) =
            (report.totals.on_time, report.totals.answered());
        for r in &earlier {
            for row in &r.rows {
                let e = ytd.entry(row.agency.code.clone()).or_default();
                e.0 += row.counts.on_time;
                e.1 += row.counts.answered();
            }
            total_on_time += r.totals.on_time;
            total_answered += r.totals.answered();
        }
        let previous = match policy.of_month(period.year - 1, period.month) {
            Ok(p) if self.with_conn(|conn| store::any_ticket_before(conn, p.to_utc()))? => {
                Some(self.report_of(&p)?)
            }
            _ => None,
        };
        for row in &mut report.rows {
            let (on, answered) = ytd.get(&row.agency.code).copied().unwrap_or_default();
            row.year_to_date = Some(RateOver::of(
                on + row.counts.on_time,
                answered + row.counts.answered(),
            ));
            row.previous_year = previous.as_ref().and_then(|p| {
                p.rows
                    .iter()
                    .find(|r| r.agency.code == row.agency.code)
                    .map(|r| RateOver::of(r.counts.on_time, r.counts.answered()))
            });
        }
        report.totals_year_to_date = Some(RateOver::of(total_on_time, total_answered));
        Ok(())
    }

    /// The stored months for `/thong-ke`: rates and ranks only, newest first.
    pub fn published_statistics(&self, months: i64) -> Result<Vec<PublishedMonth>, IntakeError> {
        if !self.reports.publish_statistics {
            return Ok(Vec::new());
        }
        let rows = self.with_conn(move |conn| store::latest(conn, months))?;
        rows.iter()
            .map(|row| {
                let r = checked(row)?;
                Ok(PublishedMonth {
                    period: r.period.label.clone(),
                    totals_on_time_rate: r.totals.on_time_rate,
                    rows: r
                        .rows
                        .iter()
                        .filter(|row| row.counts.answered() > 0)
                        .map(|row| PublishedRow {
                            agency: row.agency.name.clone(),
                            answered: row.counts.answered(),
                            on_time_rate: row.counts.on_time_rate,
                            rank: row.rank,
                        })
                        .collect(),
                })
            })
            .collect()
    }

    /// The monthly trend of the year up to the month of `current` (a report this audience
    /// already has: its own rate is the last point, not computed again), the earlier months
    /// from their stored reports, for the console's chart.
    pub fn year_trend(
        &self,
        current: &OverdueReport,
        audience: &ReportAudience,
    ) -> Result<Vec<(String, Option<f64>)>, IntakeError> {
        let policy = self.report_periods();
        let period = self.report_period(&current.period.label)?;
        let mut points = Vec::new();
        for (year, month) in period.months_of_year_so_far() {
            let rate = if month == period.month {
                current.totals.on_time_rate
            } else {
                let p = policy
                    .of_month(year, month)
                    .map_err(|e| IntakeError::Corrupt(e.to_string()))?;
                if self.with_conn(|conn| store::any_ticket_before(conn, p.to_utc()))? {
                    let r = self.report_of(&p)?;
                    match audience {
                        ReportAudience::Province => r.totals.on_time_rate,
                        ReportAudience::Agency(code) => r
                            .rows
                            .iter()
                            .find(|row| &row.agency.code == code)
                            .and_then(|row| row.counts.on_time_rate),
                    }
                } else {
                    None
                }
            };
            points.push((format!("T{month}"), rate));
        }
        Ok(points)
    }

    /// The delivery attempts of a period.
    pub fn report_deliveries(&self, label: &str) -> Result<Vec<store::DeliveryRow>, IntakeError> {
        let label = label.to_owned();
        self.with_conn(move |conn| store::deliveries(conn, &label))
    }

    /// Records one delivery attempt.
    pub fn record_report_delivery(&self, row: store::DeliveryRow) -> Result<(), IntakeError> {
        self.with_conn(move |conn| store::record_delivery(conn, &row))
    }
}

/// A stored report, its checksum verified.
fn checked(row: &StoredReport) -> Result<OverdueReport, IntakeError> {
    let report: OverdueReport = serde_json::from_str(&row.body)
        .map_err(|e| IntakeError::Corrupt(format!("stored report {}: {e}", row.period)))?;
    let ok = report
        .verify()
        .map_err(|e| IntakeError::Corrupt(e.to_string()))?;
    if !ok || report.checksum != row.checksum {
        error!(period = %row.period, "stored overdue report fails its checksum");
        return Err(IntakeError::Corrupt(format!(
            "stored report {} fails its checksum",
            row.period
        )));
    }
    Ok(report)
}

fn changed(stored: &OverdueReport, fresh: &OverdueReport) -> IntakeError {
    let rows: Vec<String> = fresh
        .rows
        .iter()
        .filter(|row| {
            stored
                .rows
                .iter()
                .find(|s| s.agency.code == row.agency.code)
                .is_none_or(|s| s.counts != row.counts)
        })
        .map(|row| row.agency.code.clone())
        .collect();
    error!(
        period = %stored.period.label,
        stored = %stored.checksum,
        fresh = %fresh.checksum,
        agencies = ?rows,
        "OVERDUE REPORT WOULD CHANGE: the stored report of a closed period differs from a re-run"
    );
    IntakeError::ReportChanged {
        period: stored.period.label.clone(),
        stored: stored.checksum.clone(),
        fresh: fresh.checksum.clone(),
        agencies: rows,
    }
}
