//! Start-up: open and migrate the database, load the jurisdiction, build the router (rules,
//! SLA policy, calendar) — or take the newer one stored in the database — read
//! the signing secret, then serve. Each step fails with an error that says what to fix.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::error::{JsonPayloadError, QueryPayloadError};
use actix_web::middleware::{Compress, DefaultHeaders, from_fn};
use actix_web::{App, HttpRequest, HttpServer, web};
use secrecy::ExposeSecret;
use tongdai_api::ApiState;
use tongdai_console::ConsoleState;
use tongdai_domain::{Clock, Jurisdiction};
use tongdai_intake::{IntakeService, IntakeSettings};
use tongdai_open311::Open311State;
use tongdai_routing::{Router, RouterCell};
use tongdai_storage::Database;
use tongdai_storage::jurisdiction::{
    LoadSummary, SnapshotText, generation_of_digest, latest_generation, load_jurisdiction_with,
};
use tongdai_web::WebState;

use crate::config::Config;
use crate::error::Error;
use crate::loader::{JurisdictionSnapshot, missing_calendar_years};
use crate::state::AppState;
use crate::{routes, secrets};
use tongdai_http::request_id;

/// Opens the database named by the config and applies pending migrations.
pub fn open_database(config: &Config) -> Result<Database, Error> {
    open_database_locked(config).map(|(db, _lock)| db)
}

/// `open_database`, keeping the start-up lock (`Database::startup_lock`) for more work
/// that must not run twice at once (the jurisdiction load); drop it when done.
pub fn open_database_locked(
    config: &Config,
) -> Result<(Database, tongdai_storage::db::StartupLock), Error> {
    let db = Database::open(&config.database.url, &config.pool_settings())?;
    tracing::info!(backend = %db.backend(), url = %db.url(), "database opened");
    let lock = db.startup_lock()?;
    let applied = db.run_migrations()?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "database migrations applied");
    }
    Ok((db, lock))
}

/// Upserts a checked jurisdiction and stores `snapshot` (what its router was built from)
/// under the next generation, in one transaction: every instance reloads it.
pub fn store_jurisdiction(
    db: &Database,
    jurisdiction: &Jurisdiction,
    snapshot: &JurisdictionSnapshot,
    dir: &std::path::Path,
    clock: &dyn Clock,
) -> Result<LoadSummary, Error> {
    let mut conn = db.conn()?;
    let load_id = uuid::Uuid::new_v4().to_string();
    let (digest, body) = (snapshot.digest(), snapshot.to_json());
    let summary = load_jurisdiction_with(
        &mut conn,
        jurisdiction,
        Some(SnapshotText {
            digest: &digest,
            body: &body,
        }),
        &dir.display().to_string(),
        &load_id,
        clock.now().naive_utc(),
    )?;
    tracing::info!(
        jurisdiction = %jurisdiction.info.code,
        generation = summary.generation,
        dir = %dir.display(),
        areas = summary.areas,
        agencies = summary.agencies,
        categories = summary.categories,
        rules = summary.rules,
        "jurisdiction loaded"
    );
    Ok(summary)
}

/// The router an instance starts with, and the generation it was built from (0: none
/// stored). Run under the start-up lock. The database is the source of truth:
/// - with `load_on_start`, a folder never loaded before (by its digest) is stored as the next
///   generation and used; a folder that is the newest generation is used as it is (nothing
///   stored); a folder that an older generation loaded gives way to the newer one stored
///   (another instance or `tongdai jurisdiction load` stored it);
/// - without, the newest generation stored is used (the folder only when none is).
///
/// A stored snapshot that does not build is logged and the folder's router used instead.
pub fn settle_jurisdiction(
    db: &Database,
    config: &Config,
    snapshot: &JurisdictionSnapshot,
    folder: Router,
    clock: &dyn Clock,
) -> Result<(Router, i64), Error> {
    let dir = &config.jurisdiction.dir;
    let (latest, known) = {
        let mut conn = db.conn()?;
        let latest = latest_generation(&mut conn)?;
        let known = if config.jurisdiction.load_on_start {
            generation_of_digest(&mut conn, &snapshot.digest())?
        } else {
            None
        };
        (latest, known)
    };
    let newer = match (config.jurisdiction.load_on_start, known, latest) {
        (true, Some(known), Some(latest)) if known == latest => {
            tracing::info!(
                generation = latest,
                dir = %dir.display(),
                "the jurisdiction folder is the generation in force; nothing to store"
            );
            return Ok((folder, latest));
        }
        (true, Some(known), Some(latest)) => {
            tracing::warn!(
                dir = %dir.display(),
                folder_generation = known,
                generation = latest,
                "the jurisdiction folder is what generation {known} loaded; the database \
                 holds the newer generation {latest}: routing with that one, nothing stored"
            );
            latest
        }
        (true, _, _) => {
            let summary = store_jurisdiction(db, folder.jurisdiction(), snapshot, dir, clock)?;
            return Ok((folder, summary.generation));
        }
        (false, _, Some(latest)) => latest,
        (false, _, None) => {
            tracing::warn!(
                dir = %dir.display(),
                "no jurisdiction stored with a snapshot yet (load_on_start = false): routing \
                 with the folder until `tongdai jurisdiction load` stores one"
            );
            return Ok((folder, 0));
        }
    };
    let stored = {
        let mut conn = db.conn()?;
        crate::reload::stored_snapshot(&mut conn, newer)?
    };
    match crate::reload::router_of(&stored, &config.calendar.working_time) {
        Ok(router) => Ok((router, newer)),
        Err(e) => {
            tracing::error!(
                generation = newer,
                error = %e,
                dir = %dir.display(),
                "JURISDICTION GENERATION {newer} REFUSED: its snapshot does not build; \
                 routing with the folder until a newer load"
            );
            Ok((folder, newer))
        }
    }
}

/// Everything the server needs, prepared and checked.
pub fn prepare(config: Config, clock: Arc<dyn Clock>) -> Result<AppState, Error> {
    let dir = &config.jurisdiction.dir;
    // Build the router before touching the database: a folder with rule ties or a broken
    // SLA policy is refused before any of it is stored. The router is built from the
    // snapshot's text, as every instance rebuilds it from the stored one.
    let snapshot = JurisdictionSnapshot::read(dir, &config.calendar.dir)?;
    let folder = snapshot.router(
        dir,
        &config.calendar.dir,
        config.calendar.working_time.clone(),
    )?;
    // Migrations and the jurisdiction upsert (count, then insert) under one lock, so
    // instances starting together on one PostgreSQL take turns instead of racing.
    let (db, lock) = open_database_locked(&config)?;
    let (router, generation) =
        settle_jurisdiction(&db, &config, &snapshot, folder, clock.as_ref())?;
    drop(lock);
    let today = tongdai_domain::local_date(clock.now());
    for year in missing_calendar_years(router.calendar(), today) {
        tracing::warn!(
            year,
            dir = %config.calendar.dir.display(),
            "NO WORKING CALENDAR for {year}: add {year}.toml (public holidays and swapped days); \
             until then deadlines in {year} skip weekends only"
        );
    }
    for warning in config.warnings() {
        tracing::warn!("{warning}");
    }
    let secrets = secrets::load(&config, &db, clock.as_ref())?;
    let jwt_secret = secrets.jwt;
    let router = Arc::new(RouterCell::new(router, generation));
    let intake = IntakeService::new(
        db.clone(),
        router.clone(),
        clock.clone(),
        IntakeSettings {
            limits: config.intake.clone(),
            attachments: config.attachments.store(&config.data.dir)?,
            public_base_url: config.server.public_base_url.clone(),
            upload_key: jwt_secret.expose_secret().as_bytes().to_vec(),
        },
    )
    .with_workflow(config.workflow.clone())
    .with_reports(config.report.clone());
    {
        // Tickets stored before the search column existed get their folded text.
        let mut conn = db.conn()?;
        let filled = tongdai_storage::work::backfill_search_text(&mut conn, 500)?;
        if filled > 0 {
            tracing::info!(filled, "search text filled for older tickets");
        }
    }
    // Left-overs of a crash: photo files whose transaction never committed, and
    // idempotency keys past their retention.
    // Housekeeping, not a reason to refuse to start: a bucket that is away for a moment
    // must not keep the portal down (reports without photos still go through).
    match intake.sweep_orphan_photos() {
        Ok(0) => {}
        Ok(removed) => tracing::warn!(removed, "orphan photo files removed at start-up"),
        Err(e) => tracing::error!(
            error = %e,
            "ORPHAN PHOTO SWEEP FAILED at start-up ({}); it runs again at the next start",
            intake.attachment_store().describe()
        ),
    }
    intake
        .sweep_idempotency_keys()
        .map_err(|e| Error::Internal(format!("sweeping idempotency keys: {e}")))?;
    Ok(AppState {
        db,
        clock,
        router,
        config: Arc::new(config),
        jwt_secret,
        csrf_secret: secrets.csrf,
        intake,
    })
}

/// Malformed or oversized JSON is the client's fault: 400/413 problems, never a 500.
fn json_error(err: JsonPayloadError, _req: &HttpRequest, limit: usize) -> actix_web::Error {
    let error = match err {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            Error::PayloadTooLarge { limit }
        }
        JsonPayloadError::ContentType => {
            Error::InvalidJson("Nội dung phải có Content-Type: application/json.".to_owned())
        }
        JsonPayloadError::Deserialize(e) => {
            Error::InvalidJson(format!("Dữ liệu JSON không đúng: {e}"))
        }
        other => Error::InvalidJson(format!("Không đọc được dữ liệu JSON: {other}")),
    };
    error.into()
}

/// The pollers' stop flag: set when the process ends (the threads are not joined; one in
/// IDLE notices within its poll interval).
fn self_stop() -> Arc<std::sync::atomic::AtomicBool> {
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    });
    stop
}

/// Sweeps expired idempotency keys every hour while the server runs.
fn spawn_sweeper(intake: IntakeService) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(3600));
        every.tick().await;
        loop {
            every.tick().await;
            let service = intake.clone();
            match tongdai_http::block(move || service.sweep_idempotency_keys()).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "sweeping idempotency keys failed"),
                Err(e) => tracing::warn!(error = %e, "sweeping idempotency keys failed"),
            }
        }
    });
}

fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    Error::InvalidQuery(format!("Tham số truy vấn không hợp lệ: {err}")).into()
}

/// No route matched: a browser gets the portal's Vietnamese 404 page; the API, Open311 and
/// other clients a problem+json.
async fn not_found(req: HttpRequest) -> Result<actix_web::HttpResponse, Error> {
    if let Some(page) = tongdai_web::not_found_page(&req) {
        return Ok(page);
    }
    Err(Error::NotFound(format!(
        "Không có địa chỉ {} {}.",
        req.method(),
        req.path()
    )))
}

/// The shared app-wide settings, also used by unit tests of handlers.
pub fn configure_app(cfg: &mut web::ServiceConfig, json_limit: usize) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(json_limit)
            .error_handler(move |e, req| json_error(e, req, json_limit)),
    )
    .app_data(web::PayloadConfig::new(json_limit))
    .app_data(web::QueryConfig::default().error_handler(query_error));
}

/// A bound, not yet running server.
pub struct Application {
    addr: SocketAddr,
    server: Server,
}

impl Application {
    pub fn build(state: AppState) -> Result<Self, Error> {
        let addr = state.config.bind_addr()?;
        let listener =
            TcpListener::bind(addr).map_err(|e| Error::io(format!("server.bind {addr}"), e))?;
        Self::with_listener(state, listener)
    }

    pub fn with_listener(state: AppState, listener: TcpListener) -> Result<Self, Error> {
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io("listener", e))?;
        let json_limit = state.config.server.json_body_limit_bytes;
        let workers = state.config.server.workers;
        let shutdown = state.config.server.shutdown_timeout_seconds;
        let secret = state.jwt_secret.expose_secret().as_bytes().to_vec();
        let csrf_secret = state.csrf_secret.expose_secret().as_bytes().to_vec();
        let web_state = web::Data::new(WebState::new(state.config.web.clone(), &csrf_secret));
        let api_state = web::Data::new(
            ApiState::new(
                state.config.api.clone(),
                state.config.login.clone(),
                &secret,
            )
            .map_err(|e| Error::Config(format!("api: {e}")))?,
        );
        let public_base = web::Data::new(tongdai_http::PublicBase::new(
            &state.config.server.public_base_url,
        ));
        // The console signs staff in under the API's `[login]` limits: the same instances.
        let (checker, throttle) = api_state.login_limits();
        let console_state = web::Data::new(ConsoleState::new(
            &csrf_secret,
            &public_base,
            checker,
            throttle,
        ));
        let trusted_proxies = web::Data::new(state.config.trusted_proxies());
        let body_timeouts = web::Data::new(state.config.body_timeouts());
        let header_timeout = Duration::from_secs(state.config.server.header_timeout_seconds);
        let open311_state = web::Data::new(Open311State::new(
            state.config.open311.clone(),
            state
                .router
                .current()
                .jurisdiction()
                .info
                .open311_jurisdiction_id
                .clone(),
        ));
        let intake = web::Data::new(state.intake.clone());
        spawn_sweeper(state.intake.clone());
        let reload_every = state.config.jurisdiction.reload_check_seconds;
        if reload_every > 0 {
            crate::reload::spawn(
                crate::reload::Reloader::new(
                    state.db.clone(),
                    state.router.clone(),
                    state.config.calendar.working_time.clone(),
                ),
                Duration::from_secs(reload_every),
            );
        }
        if state.config.report.delivery.scheduled {
            crate::delivery::spawn(
                crate::delivery::Deliverer::new(state.intake.clone(), state.config.report.clone())
                    .map_err(|e| Error::Internal(format!("report delivery: {e}")))?,
            );
        }
        if state.config.mail.send {
            // Built (and its configuration checked) even when not spawned, so a broken
            // `[mail]` stops start-up rather than the first round.
            let sender = crate::mail_out::MailSender::from_config(
                &state.config,
                state.intake.clone(),
                state.clock.clone(),
            )?;
            crate::mail_out::spawn(
                sender,
                Duration::from_secs(state.config.mail.send_interval_secs),
            );
        }
        let reminders = &state.config.mail.reminders;
        if reminders.enabled {
            // Reminders are outbox rows: they wait for a sender (this instance's or another's).
            crate::reminders::spawn(
                crate::reminders::Reminders::new(
                    state.intake.clone(),
                    state.clock.clone(),
                    reminders,
                ),
                Duration::from_secs(u64::from(reminders.every_minutes) * 60),
            );
        }
        // Built (and checked) here, so a broken [mail.imap] or keyword file stops start-up.
        let pollers =
            crate::mail_poll::pollers(&state.config, state.intake.clone(), state.clock.clone())?;
        if !pollers.is_empty() {
            crate::mail_poll::spawn(pollers, self_stop());
        }
        let metrics = web::Data::new(crate::metrics::Metrics::new()?);
        let data = web::Data::new(state);
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(crate::metrics::middleware))
                .wrap(from_fn(tongdai_http::body_timeout::middleware))
                .wrap(from_fn(tongdai_http::plain_errors::middleware))
                .wrap(Compress::default())
                .wrap(from_fn(request_id::middleware))
                // Outermost, so it sees every answer (errors included): no response of ours
                // is ever sniffed into another type. Handlers' own values win.
                .wrap(
                    DefaultHeaders::new()
                        .add((actix_web::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff")),
                )
                .app_data(public_base.clone())
                .app_data(trusted_proxies.clone())
                .app_data(body_timeouts.clone())
                .app_data(data.clone())
                .app_data(metrics.clone())
                .app_data(intake.clone())
                .app_data(web_state.clone())
                .app_data(api_state.clone())
                .app_data(open311_state.clone())
                .app_data(console_state.clone())
                .configure(|cfg| configure_app(cfg, json_limit))
                .configure(routes::configure)
                .configure(tongdai_api::configure)
                .configure(tongdai_open311::configure)
                .configure(tongdai_console::configure)
                .configure(tongdai_web::configure)
                .default_service(web::to(not_found))
        })
        .shutdown_timeout(shutdown)
        .client_request_timeout(header_timeout)
        // Answers go out when written: with Nagle's algorithm on (actix's default), a
        // response written in two parts waited for the client's delayed ACK (40 ms).
        .tcp_nodelay(true);
        if workers > 0 {
            server = server.workers(workers);
        }
        let server = server
            .listen(listener)
            .map_err(|e| Error::io(format!("listen on {addr}"), e))?
            .run();
        tracing::info!(%addr, "tongdai is listening");
        Ok(Self { addr, server })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until SIGTERM/SIGINT (actix stops accepting, lets in-flight requests finish
    /// within `server.shutdown_timeout_seconds`, then the pool is dropped).
    pub async fn run_until_stopped(self) -> Result<(), Error> {
        self.server.await.map_err(|e| Error::io("server", e))?;
        tracing::info!("tongdai stopped");
        Ok(())
    }

    pub fn server(&self) -> &Server {
        &self.server
    }

    pub fn into_server(self) -> Server {
        self.server
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use actix_web::{App, HttpResponse, test, web};

    use super::*;

    #[actix_web::test]
    async fn malformed_and_oversized_json_are_client_errors() {
        let app = test::init_service(App::new().configure(|cfg| configure_app(cfg, 2048)).route(
            "/echo",
            web::post().to(|body: web::Json<serde_json::Value>| async move {
                HttpResponse::Ok().json(body.into_inner())
            }),
        ))
        .await;
        let cases = [
            (
                "{\"title\": ",
                "application/json",
                400,
                "urn:tongdai:problem:invalid-json",
            ),
            (
                "not json",
                "text/plain",
                400,
                "urn:tongdai:problem:invalid-json",
            ),
        ];
        for (body, content_type, status, problem) in cases {
            let req = test::TestRequest::post()
                .uri("/echo")
                .insert_header(("content-type", content_type))
                .set_payload(body);
            let res = test::call_service(&app, req.to_request()).await;
            assert_eq!(res.status().as_u16(), status, "{body}");
            assert_eq!(
                res.headers().get("content-type").unwrap(),
                "application/problem+json"
            );
            let json: serde_json::Value = test::read_body_json(res).await;
            assert_eq!(json["type"], problem);
            assert_eq!(json["title"], "Dữ liệu JSON không hợp lệ");
        }
        let big = format!("{{\"x\": \"{}\"}}", "a".repeat(4096));
        let req = test::TestRequest::post()
            .uri("/echo")
            .insert_header(("content-type", "application/json"))
            .set_payload(big);
        let res = test::call_service(&app, req.to_request()).await;
        assert_eq!(res.status().as_u16(), 413);
        let json: serde_json::Value = test::read_body_json(res).await;
        assert_eq!(json["type"], "urn:tongdai:problem:payload-too-large");
    }
}
