//! The public read-only AQI map (`[web] public_map = true`; off by default, and then its routes
//! answer 404 as any unknown page): `/public/map` (a page without login) and
//! `/public/map.json`, with each station's real-time AQI, category and primary pollutants
//! only — no concentrations, no devices, no alarms. What they show is read from the store at
//! most once per [`CACHE_FOR`] whatever the traffic (one refresh at a time), and each client
//! address may ask [`PER_MINUTE`] times a minute (429 beyond).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Query, State};
use axum::http::{Extensions, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use tokio::sync::Mutex;

use super::PageError;
use super::map::{MapStation, public_station_map};
use super::routes::{LangQuery, PageFailure};
use super::view::Frame;
use crate::aqi::{Category, Pollutant};
use crate::store::{Resolution, Store, network_zone};
use crate::web::auth::LoginLimiter;
use crate::web::error::ApiError;
use crate::web::state::AppState;

/// How long a read of the store is served.
pub(crate) const CACHE_FOR: Duration = Duration::from_secs(60);
/// Requests one client address may make per minute.
pub(crate) const PER_MINUTE: u32 = 60;

/// One station on the public map: what the public may see.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PublicStation {
    /// Station id.
    pub(crate) id: String,
    /// Chinese name.
    pub(crate) name: String,
    /// English name.
    pub(crate) name_en: String,
    /// Latitude (degrees).
    pub(crate) lat: Option<f64>,
    /// Longitude (degrees).
    pub(crate) lon: Option<f64>,
    /// The real-time AQI.
    pub(crate) aqi: Option<u32>,
    /// Its category's level (1–6).
    pub(crate) level: Option<u8>,
    /// Primary pollutants' codes.
    pub(crate) primary: Vec<&'static str>,
    /// The same, as terms (the page names them in its language).
    #[serde(skip)]
    pub(crate) terms: Vec<Pollutant>,
}

/// What the public map shows, read once per [`CACHE_FOR`].
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PublicMap {
    /// The latest hour (its hour-ending label, UTC).
    pub(crate) hour: Option<DateTime<Utc>>,
    /// The stations.
    pub(crate) stations: Vec<PublicStation>,
    /// The network's zone.
    #[serde(skip)]
    pub(crate) tz: Tz,
}

/// The public map's figures from the store.
pub(crate) fn public_map(store: &dyn Store) -> Result<PublicMap, PageError> {
    let infos = store.stations()?;
    let tz = network_zone(&infos);
    let hour = store.indices_span(Resolution::Hour)?.map(|s| s.last);
    let latest = super::overview::latest_hours(store, hour)?;
    let stations = infos
        .into_iter()
        .map(|info| {
            let record = latest.get(&info.id);
            let aqi = record.and_then(|r| r.aqi);
            PublicStation {
                aqi,
                level: aqi.map(|a| Category::from_aqi(a).level()),
                primary: record
                    .map_or_else(Vec::new, |r| r.primary.iter().map(|p| p.code()).collect()),
                terms: record.map_or_else(Vec::new, |r| r.primary.clone()),
                id: info.id,
                name: info.name,
                name_en: info.name_en,
                lat: info.lat,
                lon: info.lon,
            }
        })
        .collect();
    Ok(PublicMap { hour, stations, tz })
}

/// The cache and the per-address limit of the public routes.
#[derive(Debug)]
pub(crate) struct PublicCache {
    last: Mutex<Option<(Instant, Arc<PublicMap>)>>,
    limiter: LoginLimiter,
}

impl PublicCache {
    fn new() -> PublicCache {
        PublicCache {
            last: Mutex::new(None),
            limiter: LoginLimiter::new(PER_MINUTE),
        }
    }
}

/// The public routes (each answers 404 unless `[web] public_map` is on).
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/public/map", get(page))
        .route("/public/map.json", get(json))
        .layer(Extension(Arc::new(PublicCache::new())))
}

/// The map, from the cache or (once per [`CACHE_FOR`], one reader at a time) the store; the
/// refusals when the map is off or the client asks too often.
async fn cached(
    state: &AppState,
    cache: &PublicCache,
    extensions: &Extensions,
) -> Result<Arc<PublicMap>, PageFailure> {
    if !state.settings.public_map {
        return Err(PageFailure(StatusCode::NOT_FOUND, "not found".into()));
    }
    if let Some(ConnectInfo(peer)) = extensions.get::<ConnectInfo<SocketAddr>>()
        && !cache.limiter.allow(peer.ip())
    {
        return Err(PageFailure(
            StatusCode::TOO_MANY_REQUESTS,
            "too many requests: wait a minute".into(),
        ));
    }
    let mut last = cache.last.lock().await;
    if let Some((at, map)) = last.as_ref()
        && at.elapsed() < CACHE_FOR
    {
        return Ok(map.clone());
    }
    let map = Arc::new(
        state
            .store
            .with(|store| public_map(store).map_err(|e| ApiError::unavailable("public map", e)))
            .await?,
    );
    *last = Some((Instant::now(), map.clone()));
    Ok(map)
}

fn public_headers(response: impl IntoResponse) -> Response {
    let mut response = response.into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("public, max-age=60"),
    );
    response
}

/// `GET /public/map.json`.
async fn json(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<PublicCache>>,
    extensions: Extensions,
) -> Result<Response, PageFailure> {
    let map = cached(&state, &cache, &extensions).await?;
    Ok(public_headers(Json(map.as_ref().clone())))
}

/// The public page.
#[derive(Template)]
#[template(path = "public_map.html")]
pub(crate) struct PublicPage {
    /// The frame (no user).
    pub(crate) frame: Frame,
    /// The figures.
    pub(crate) map: Arc<PublicMap>,
    /// The map (SVG).
    pub(crate) svg: String,
}

impl PublicPage {
    fn hour(&self) -> String {
        self.map.hour.map_or_else(
            || self.frame.t.no_data.to_string(),
            |h| {
                h.with_timezone(&self.map.tz)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            },
        )
    }

    fn name<'a>(&self, s: &'a PublicStation) -> &'a str {
        self.frame.lang.pick(&s.name, &s.name_en)
    }

    fn category(&self, s: &PublicStation) -> &'static str {
        s.aqi.map_or(self.frame.t.no_data, |a| {
            self.frame.lang.category(Category::from_aqi(a))
        })
    }

    fn class(&self, s: &PublicStation) -> String {
        super::view::category_class(s.aqi)
    }

    fn aqi(&self, s: &PublicStation) -> String {
        s.aqi.map_or_else(|| "—".to_string(), |a| a.to_string())
    }

    fn primary(&self, s: &PublicStation) -> String {
        self.frame.lang.terms(&s.terms)
    }
}

/// `GET /public/map[?lang=en]`.
async fn page(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<PublicCache>>,
    extensions: Extensions,
    Query(q): Query<LangQuery>,
) -> Result<Response, PageFailure> {
    let lang = q.lang()?;
    let map = cached(&state, &cache, &extensions).await?;
    let stations: Vec<MapStation> = map
        .stations
        .iter()
        .map(|s| MapStation {
            id: s.id.clone(),
            name: lang.pick(&s.name, &s.name_en).to_string(),
            lat: s.lat.unwrap_or(f64::NAN),
            lon: s.lon.unwrap_or(f64::NAN),
            aqi: s.aqi,
        })
        .collect();
    let page = PublicPage {
        frame: Frame::new(lang, "public", "/public/map", None, None),
        svg: public_station_map(&stations, lang).map_err(PageError::from)?,
        map,
    };
    Ok(public_headers(Html(
        page.render().map_err(PageError::from)?,
    )))
}
