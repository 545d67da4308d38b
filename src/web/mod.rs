//! The web platform (feature `web`): `lantian serve`, and the same server inside `lantian
//! run` (`[web] listen`). axum on the process's tokio runtime, reading the store.
//!
//! - [`state`]: [`AppState`], what every handler shares (the store, the registry, the zone,
//!   the accounts, the live updates, the settings);
//! - [`router`]: the composition point — `/healthz`, the login routes, `/api/v1` ([`api`]),
//!   the pages ([`pages::routes`]), with the [`auth::authenticate`] middleware (sessions,
//!   tokens, CSRF) and the [`headers`] on everything;
//! - [`alarm_steps`]: the steps people take on alarms, one path for the API and the pages;
//! - [`accounts`]: users (argon2id), sessions, API tokens, the audit log, in a SQLite file of
//!   their own; [`role`]: roles and permissions;
//! - [`events`]: the shared poller of latest values and `/api/v1/events` (SSE);
//! - [`overview_cache`]: the overview's day figures and month and year-to-date rankings,
//!   kept while the stored indices do not change;
//! - [`server`]: the listener (connection limit, header timeout, TLS with rustls).

pub mod accounts;
pub mod alarm_steps;
pub mod api;
pub mod auth;
pub mod error;
pub mod events;
pub mod headers;
pub mod overview_cache;
pub mod pages;
pub mod role;
pub mod server;
pub mod settings;
pub mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use chrono_tz::Tz;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use accounts::{AccountError, Accounts, LoginPolicy};
pub use alarm_steps::{AlarmHook, AlarmStep};
pub use error::{ApiError, ErrorCode};
pub use overview_cache::OverviewCache;
pub use role::{Permission, Role};
pub use server::ServeError;
pub use settings::WebConfig;
pub use state::{AppState, StorePool};

use crate::registry::Registry;
use crate::store::{Store, StoreUrl, network_zone};

/// The whole application: every route with its middleware, over `state`.
pub fn router(state: AppState) -> Router {
    let api = api::routes().fallback(error::api_not_found);
    Router::new()
        .route("/healthz", get(healthz))
        .merge(auth::login_routes())
        .nest("/api/v1", api)
        .merge(pages::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::security_headers,
        ))
        .with_state(state)
}

/// `GET /healthz`: `ok` while the server runs (no login, nothing about the data).
async fn healthz() -> &'static str {
    "ok"
}

/// What a server is built from.
pub struct ServerParts {
    /// The settings.
    pub settings: WebConfig,
    /// The store and a first handle of it (opened by the caller, which reports its errors).
    pub store: (StoreUrl, Box<dyn Store>),
    /// The network, when its file is there.
    pub registry: Option<Arc<Registry>>,
    /// The accounts database's path.
    pub accounts: PathBuf,
    /// The folder of generated reports.
    pub report_dir: PathBuf,
    /// What is done with each alarm step taken in the web (the notifications), if anything.
    pub alarm_hook: Option<AlarmHook>,
    /// The HJ 212 loggers of the process's listener, when it has one.
    pub loggers: Option<crate::collect::hj212::LoggerControl>,
}

/// A running server.
#[derive(Debug)]
pub struct Server {
    /// The address it listens on (the port chosen when 0 was asked).
    pub addr: SocketAddr,
    /// Its state (tests and `lantian demo` read the accounts through it).
    pub state: AppState,
    stop: CancellationToken,
    tasks: tokio::task::JoinSet<()>,
}

impl Server {
    /// Binds `listen` and starts serving with the live-update poller.
    pub async fn start(parts: ServerParts, listen: SocketAddr) -> Result<Server, ServeError> {
        let settings = parts.settings;
        let tls = match (&settings.tls_cert, &settings.tls_key) {
            (Some(cert), Some(key)) => Some(server::tls_acceptor(cert, key)?),
            (None, None) => None,
            _ => {
                return Err(ServeError::Tls(
                    "[web] needs both tls_cert and tls_key, or neither".into(),
                ));
            }
        };
        let (url, first) = parts.store;
        let zone = zone_of(parts.registry.as_deref(), first.as_ref());
        let accounts = Arc::new(Accounts::open(&parts.accounts, settings.login_policy())?);
        let state = AppState {
            store: Arc::new(StorePool::new(url, first)),
            registry: parts.registry,
            zone,
            accounts,
            events: events::Events::new(),
            overview: Arc::new(OverviewCache::default()),
            login_limiter: Arc::new(auth::LoginLimiter::new(settings.login_per_minute)),
            report_dir: parts.report_dir,
            alarm_hook: parts.alarm_hook,
            loggers: parts.loggers,
            settings: Arc::new(settings),
        };
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|source| ServeError::Bind {
                addr: listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| ServeError::Bind {
            addr: listen,
            source,
        })?;
        let stop = CancellationToken::new();
        let mut tasks = tokio::task::JoinSet::new();
        tasks.spawn(events::poll(
            state.store.clone(),
            state.zone,
            state.events.clone(),
            Duration::from_secs(state.settings.poll_seconds.max(1)),
            stop.clone(),
        ));
        // The overview's figures computed before the first visitor, then kept warm.
        let warmed = overview_cache::warm(&state.store, &state.overview, None).await;
        tasks.spawn(overview_cache::keep_warm(
            state.store.clone(),
            state.overview.clone(),
            warmed,
            events::PROBE,
            stop.clone(),
        ));
        tasks.spawn(server::accept_loop(
            listener,
            router(state.clone()),
            tls,
            state.settings.max_connections,
            stop.clone(),
        ));
        tracing::info!(
            "web platform on {}://{addr}",
            if state.settings.tls_cert.is_some() {
                "https"
            } else {
                "http"
            }
        );
        Ok(Server {
            addr,
            state,
            stop,
            tasks,
        })
    }

    /// Stops accepting, gives open connections a few seconds, and waits for the tasks.
    pub async fn stop(mut self) {
        self.stop.cancel();
        while self.tasks.join_next().await.is_some() {}
    }
}

/// The network's zone: the registry's, else the one most stored stations have.
fn zone_of(registry: Option<&Registry>, store: &dyn Store) -> Tz {
    if let Some(r) = registry {
        return r.network.time_zone;
    }
    match store.stations() {
        Ok(stations) => network_zone(&stations),
        Err(e) => {
            tracing::warn!("web: stations not readable ({e}); times in UTC");
            Tz::UTC
        }
    }
}
