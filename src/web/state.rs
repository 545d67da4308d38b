//! What every handler shares ([`AppState`]): the store (a small pool of handles used on
//! tokio's blocking threads), the registry when the network file is there, the network's
//! time zone, the accounts database, the live-update channel and the settings.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono_tz::Tz;
use tokio::sync::Semaphore;

use super::accounts::Accounts;
use super::alarm_steps::AlarmHook;
use super::error::ApiError;
use super::events::Events;
use super::overview_cache::OverviewCache;
use super::settings::WebConfig;
use crate::collect::hj212::LoggerControl;
use crate::registry::Registry;
use crate::store::{Store, StoreUrl};

/// Store handles at most open at once (each blocking read holds one).
const MAX_STORE_HANDLES: usize = 8;

/// Handles of one store, opened on demand up to `MAX_STORE_HANDLES` and reused. Backends
/// are `Send` but not `Sync`: each call has a handle to itself, on a blocking thread.
pub struct StorePool {
    url: StoreUrl,
    idle: Mutex<Vec<Box<dyn Store>>>,
    permits: Semaphore,
}

impl std::fmt::Debug for StorePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StorePool").field("url", &self.url).finish()
    }
}

impl StorePool {
    /// A pool over the store at `url`, with `first` as its first handle (opening it checks
    /// the store before the server starts).
    pub fn new(url: StoreUrl, first: Box<dyn Store>) -> StorePool {
        StorePool {
            url,
            idle: Mutex::new(vec![first]),
            permits: Semaphore::new(MAX_STORE_HANDLES),
        }
    }

    /// Runs `f` with a store handle on a blocking thread.
    pub async fn with<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut dyn Store) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| ApiError::unavailable("store", e))?;
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let taken = pool.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let mut store = match taken {
                Some(store) => store,
                None => crate::store::open(&pool.url)?,
            };
            let result = f(store.as_mut());
            pool.idle
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(store);
            result
        })
        .await
        .map_err(|e| ApiError::unavailable("store task", e))?
    }
}

/// The state every handler and extractor receives (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<StorePool>,
    /// The network (names, devices, what they measure) when its file is there.
    pub registry: Option<Arc<Registry>>,
    /// The network's time zone: local days, hour labels, the offsets of API times.
    pub zone: Tz,
    /// Users, sessions, tokens, audit log.
    pub accounts: Arc<Accounts>,
    /// The live updates (latest values) the SSE endpoint hands out.
    pub events: Events,
    /// The overview's day figures and rankings, kept while the indices do not change.
    pub overview: Arc<OverviewCache>,
    /// The settings.
    pub settings: Arc<WebConfig>,
    /// The folder of generated reports (served read-only, nothing outside it).
    pub report_dir: PathBuf,
    /// What is done with each alarm step taken in the web once stored (the notifications),
    /// when the process has notifications.
    pub alarm_hook: Option<AlarmHook>,
    /// The HJ 212 loggers of the process's listener (`lantian run` with `[hj212] listen`).
    pub loggers: Option<LoggerControl>,
    /// Login attempts per client address (rate limiting).
    pub(crate) login_limiter: Arc<super::auth::LoginLimiter>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .field("zone", &self.zone)
            .field("alarm_hook", &self.alarm_hook.is_some())
            .field("loggers", &self.loggers.is_some())
            .finish_non_exhaustive()
    }
}
