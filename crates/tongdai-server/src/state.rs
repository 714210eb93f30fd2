//! What every handler shares: the pool, the injected clock, the router (rules, SLA policy,
//! working calendar), the
//! configuration and the signing secret.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use secrecy::SecretString;
use tongdai_domain::Clock;
use tongdai_intake::IntakeService;
use tongdai_routing::RouterCell;
use tongdai_storage::{Database, DbConnection, StorageResult};

use crate::config::Config;
use crate::error::Error;

/// The real clock; tests inject `tongdai_domain::FixedClock` instead.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub clock: Arc<dyn Clock>,
    /// Routing rules, SLA policy and working calendar: the jurisdiction stored in the
    /// database, replaced when a newer generation is stored (`crate::reload`). Take
    /// `router.current()` once per request; the intake service shares this cell.
    pub router: Arc<RouterCell>,
    pub config: Arc<Config>,
    pub jwt_secret: SecretString,
    /// The key of the portal's and the console's CSRF tokens.
    pub csrf_secret: SecretString,
    /// The one service every channel files tickets through.
    pub intake: IntakeService,
}

impl AppState {
    /// Runs blocking diesel work on actix's blocking pool, never on the async workers.
    pub async fn db<T, F>(&self, work: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> StorageResult<T> + Send + 'static,
    {
        let db = self.db.clone();
        let result = tongdai_http::block(move || {
            let mut conn = db.conn()?;
            work(&mut conn)
        })
        .await
        .map_err(|e| Error::Internal(format!("blocking task failed: {e}")))?;
        Ok(result?)
    }

    /// Today in Vietnam, by the injected clock.
    pub fn today(&self) -> NaiveDate {
        tongdai_domain::local_date(self.clock.now())
    }
}
