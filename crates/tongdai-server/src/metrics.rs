//! `/metrics` in the Prometheus text format (issue 16).
//!
//! Two kinds of figures. This instance's own, counted as they happen: requests and their
//! latency by route pattern (`/tra-cuu/{code}`, never the path itself, so the label set stays
//! small) and method and status. The fleet's, read from the database at scrape time (so
//! every instance reports the same): tickets by status and channel, overdue tickets by
//! agency, outbox pending and dead, seconds since each mailbox was polled; and this
//! instance's pool (open and idle connections).
//!
//! Who may read it (`[metrics]`): with `token` set, a request carrying `Authorization: Bearer
//! <token>`; without, only a client on this machine talking to it directly (loopback, with no
//! `Forwarded`/`X-Forwarded-For`, so a reverse proxy on the same machine does not make it
//! public). `enabled = false` answers 404.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::error::Error;
use crate::state::AppState;

/// `[metrics]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    pub enabled: bool,
    /// A bearer token for scrapers elsewhere (env `TONGDAI_METRICS__TOKEN`); unset: loopback
    /// only.
    pub token: Option<SecretString>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            token: None,
        }
    }
}

/// This instance's request figures. Cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
}

impl Metrics {
    pub fn new() -> Result<Self, Error> {
        let registry = Registry::new();
        let fail = |e: prometheus::Error| Error::Internal(format!("metrics: {e}"));
        let requests = IntCounterVec::new(
            Opts::new("tongdai_http_requests_total", "HTTP requests answered"),
            &["route", "method", "status"],
        )
        .map_err(fail)?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "tongdai_http_request_duration_seconds",
                "Time from the request to the response head",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["route"],
        )
        .map_err(fail)?;
        registry
            .register(Box::new(requests.clone()))
            .map_err(fail)?;
        registry.register(Box::new(latency.clone())).map_err(fail)?;
        Ok(Self {
            registry,
            requests,
            latency,
        })
    }

    fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[route, method, &status.to_string()])
            .inc();
        self.latency.with_label_values(&[route]).observe(seconds);
    }
}

/// Counts every answer by its route pattern (known once routing has run).
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = req.method().as_str().to_owned();
    let response = next.call(req).await?;
    if let Some(metrics) = metrics {
        let route = response
            .request()
            .match_pattern()
            .unwrap_or_else(|| "(unmatched)".to_owned());
        metrics.observe(
            &route,
            &method,
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(response)
}

fn allowed(req: &HttpRequest, config: &MetricsConfig) -> bool {
    match &config.token {
        Some(token) => req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
            .is_some_and(|given| {
                // Same length and same bytes, compared without an early exit.
                let expected = token.expose_secret().as_bytes();
                let given = given.trim_ascii();
                given.len() == expected.len()
                    && given
                        .iter()
                        .zip(expected)
                        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                        == 0
            }),
        None => {
            let direct = !req.headers().contains_key("forwarded")
                && !req.headers().contains_key("x-forwarded-for");
            direct && req.peer_addr().is_some_and(|a| a.ip().is_loopback())
        }
    }
}

/// `GET /metrics`.
pub async fn render(
    req: HttpRequest,
    state: web::Data<AppState>,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, Error> {
    let config = &state.config.metrics;
    if !config.enabled {
        return Err(Error::NotFound("/metrics".into()));
    }
    if !allowed(&req, config) {
        return Err(Error::Forbidden(
            "/metrics chỉ đọc được từ chính máy chủ, hoặc với mã truy cập [metrics] token.".into(),
        ));
    }
    let now = state.clock.now();
    let (tickets, overdue, outbox, polls) = state
        .db(move |conn| {
            Ok((
                tongdai_storage::metrics::tickets_by_status_and_channel(conn)?,
                tongdai_storage::metrics::overdue_by_agency(conn, now)?,
                tongdai_storage::outbox::counts(conn)?,
                tongdai_storage::metrics::mailbox_polls(conn)?,
            ))
        })
        .await?;
    let mut text = String::new();
    let mut family = |name: &str, kind: &str, help: &str, samples: Vec<(String, f64)>| {
        text.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for (labels, value) in samples {
            text.push_str(&format!("{name}{labels} {value}\n"));
        }
    };
    family(
        "tongdai_tickets",
        "gauge",
        "Tickets by status and channel (the whole database)",
        tickets
            .into_iter()
            .map(|(status, channel, n)| {
                (
                    format!(
                        "{{status=\"{}\",channel=\"{}\"}}",
                        label(&status),
                        label(&channel)
                    ),
                    n as f64,
                )
            })
            .collect(),
    );
    family(
        "tongdai_tickets_overdue",
        "gauge",
        "Open tickets past their running deadline, by agency",
        overdue
            .into_iter()
            .map(|(agency, n)| (format!("{{agency=\"{}\"}}", label(&agency)), n as f64))
            .collect(),
    );
    family(
        "tongdai_outbox_messages",
        "gauge",
        "Outbox messages not delivered yet (pending) and after their last attempt (dead)",
        vec![
            ("{state=\"pending\"}".into(), outbox.pending as f64),
            ("{state=\"dead\"}".into(), outbox.dead as f64),
        ],
    );
    family(
        "tongdai_mailbox_poll_age_seconds",
        "gauge",
        "Seconds since each mailbox was last polled (poller lag)",
        polls
            .into_iter()
            .filter_map(|(mailbox, at)| {
                let at = at?.and_utc();
                Some((
                    format!("{{mailbox=\"{}\"}}", label(&mailbox)),
                    (now - at).num_milliseconds() as f64 / 1000.0,
                ))
            })
            .collect(),
    );
    let (open, idle) = state.db.pool_state();
    family(
        "tongdai_db_pool_connections",
        "gauge",
        "This instance's database pool: open connections, and of those idle",
        vec![
            ("{state=\"open\"}".into(), f64::from(open)),
            ("{state=\"idle\"}".into(), f64::from(idle)),
        ],
    );
    let mut own = Vec::new();
    TextEncoder::new()
        .encode(&metrics.registry.gather(), &mut own)
        .map_err(|e| Error::Internal(format!("metrics: {e}")))?;
    text.push_str(&String::from_utf8_lossy(&own));
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(text))
}

/// A label value as the text format wants it.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
