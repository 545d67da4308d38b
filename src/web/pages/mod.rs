//! The web pages (feature `web`): server-rendered HTML from askama templates
//! (`src/web/templates/`, compiled in and escaped by default), a little vanilla JavaScript for
//! live updates over the server's events (`assets/web/live.js`), and every asset embedded.
//! Pages read the store through the functions the reports, the API and the CLI use; none
//! computes a published number of its own.
//!
//! - `routes`: the routes and handlers ([`routes`] is merged into the server's router);
//! - `overview`: the operations-centre screen's figures; `map`: its station map (SVG);
//! - `health`: the device-health page; `alarms`: the alarms list, one alarm, the steps;
//! - `station`: one station, with its roses (`roses`) and source flags;
//! - `reports`: the report archive and generation; `explore`: the data explorer and the AQI
//!   of an uploaded CSV; `analyst_routes`: their routes;
//! - `public`: the opt-in public AQI map (no login, cached, rate-limited);
//! - `view`: the frame every page shares, the overview's and the login page's templates;
//! - `words`: the pages' labels in zh and en; `assets`: the embedded stylesheet, script, font
//!   and the AQI categories' colours.

mod admin;
mod alarms;
mod analyst_routes;
mod assets;
mod explore;
mod health;
mod map;
mod overview;
mod public;
mod rankings;
mod reports;
mod roses;
mod routes;
mod series_chart;
mod station;
mod view;
mod words;

use askama::Template;
use axum::Router;

use crate::alarms::AlarmError;
use crate::lang::Lang;
use crate::report::ReportError;
use crate::store::{Store, StoreError};
use view::Frame;

use super::overview_cache::OverviewCache;
use super::state::AppState;

/// The pages' routes (merged into [`crate::web::router`]; `/login`'s `POST` and `/logout`
/// are the server's, the login page's `GET` is a page's).
pub fn routes() -> Router<AppState> {
    routes::routes()
}

/// What can keep a page from rendering.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// The reports' figures (the day's, the rankings, the device-health findings).
    #[error(transparent)]
    Report(#[from] ReportError),
    /// Reading the store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An alarm not found, or a step its state refuses.
    #[error(transparent)]
    Alarm(#[from] AlarmError),
    /// A chart failed to draw.
    #[error(transparent)]
    Chart(#[from] crate::chart::ChartError),
    /// A template failed to render.
    #[error("rendering the page failed: {0}")]
    Render(#[from] askama::Error),
}

/// The overview's live part over `store` in `lang`, as `/overview/live` serves it (the part
/// that holds every number of the overview; the bench `web_overview` measures it), with the
/// figures kept in `cache`.
pub fn render_overview(
    store: &dyn Store,
    cache: &OverviewCache,
    lang: Lang,
) -> Result<String, PageError> {
    overview_live(store, cache, lang)
}

/// The overview page, whole.
pub(crate) fn overview_page(
    store: &dyn Store,
    cache: &OverviewCache,
    frame: Frame,
) -> Result<String, PageError> {
    let figures = overview::overview(store, cache, frame.lang)?;
    let live = view::render_overview_live(&figures, frame.lang)?;
    Ok(view::OverviewPage { frame, live }.render()?)
}

/// The overview's live part alone (what the page fetches on every server event).
pub(crate) fn overview_live(
    store: &dyn Store,
    cache: &OverviewCache,
    lang: Lang,
) -> Result<String, PageError> {
    let figures = overview::overview(store, cache, lang)?;
    Ok(view::render_overview_live(&figures, lang)?)
}

#[cfg(test)]
pub(crate) mod tests;
