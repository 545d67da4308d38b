//! Reports: the daily report (leadership), ranking reports (monthly, quarterly, annual) and
//! the device-health report (maintainers), as self-contained HTML (inline CSS and SVG charts,
//! no external assets) with PNG charts beside them, in Chinese or English.
//!
//! Each report is written under [`ReportConfig::out_dir`] as `<kind>-<period>.html`, its
//! charts in the folder `<kind>-<period>/` (PNG), a ranking's table also as
//! `<kind>-<period>.csv`; the index page `index.html` lists every report found in the folder,
//! newest first (`index_page`).
//!
//! | file | what |
//! |---|---|
//! | [`html`] | the escaping HTML writer, page style, well-formedness check |
//! | [`i18n`] | languages and every label |
//! | [`charts`] | plotters charts (SVG + PNG), the embedded font |
//! | `daily` / `daily_page` | the daily report's figures / page |
//! | [`events`] | the daily report's notable events (the day's source flags) |
//! | `daily_forecast` | the daily report's forecast section (stored forecasts, live skill) |
//! | [`ranking`] / `ranking_page` | the ranking's figures and CSV / page |
//! | [`health`] / `health_page` | the device-health report's findings / page |
//! | [`health_timeline`] / [`health_charts`] | each device's states through the day / the health report's charts |
//! | [`national`] / `national_page` | the national key-city ranking's figures / page |
//! | `index_page` | the index of all reports |
//!
//! Reports read the stored indices (see [`figures`] for why) and never invent content:
//! sections whose inputs do not exist (a forecast not issued; source flags for a day the
//! `sources` job has not run for) say so.

pub mod charts;
mod daily;
mod daily_forecast;
mod daily_page;
pub mod day_alarms;
pub mod events;
pub mod figures;
pub mod health;
pub mod health_charts;
mod health_checks;
mod health_page;
mod health_series;
pub mod health_timeline;
pub mod html;
pub mod i18n;
pub mod index_page;
pub mod national;
mod national_page;
pub mod ranking;
mod ranking_page;
mod settings;

use std::path::{Path, PathBuf};

pub use crate::lang::Lang;
pub use daily::{Counted, DailyFigures, GroupDay, daily_figures};
#[cfg(feature = "web")]
pub(crate) use daily::{competition_ranks, mean_hourly_input};
pub use health::{DeviceSpec, HealthFindings, HealthRules, health_findings};
#[cfg(feature = "web")]
pub(crate) use health_page::{flag_name, reason as health_reason};
pub use ranking::{RankingFigures, ranking_figures};
pub use settings::ReportConfig;

use crate::assess::{AssessError, GroupBy, Period, PeriodError};
use crate::chart::{Chart, ChartError, render};
use crate::store::{
    AlarmStore, HealthStore, IndexStore, ReadingStore, StationStore, Store, StoreError,
};
use html::Html;

/// Errors while making a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The assessment failed.
    #[error(transparent)]
    Assess(#[from] AssessError),
    /// The period is not usable.
    #[error(transparent)]
    Period(#[from] PeriodError),
    /// A chart could not be drawn.
    #[error(transparent)]
    Chart(#[from] ChartError),
    /// The store knows no stations.
    #[error("the store has no stations (import or collect data first)")]
    NoStations,
    /// The chosen city is not in the city list.
    #[error("{city} is not in the city list {list}")]
    NotListed {
        /// The city.
        city: String,
        /// The list's origin (`168` or the file).
        list: String,
    },
    /// A year to date without any data to end it.
    #[error("the store holds no hourly pollutant data for {0}")]
    NoData(String),
    /// Writing a file failed.
    #[error("writing {}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// The kinds of report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportKind {
    /// The daily report.
    Daily,
    /// A ranking report.
    Ranking,
    /// The device-health report.
    Health,
    /// The national key-city ranking.
    National,
}

impl ReportKind {
    /// The file-name prefix: `daily`, `ranking`, `health`, `national`.
    pub const fn code(self) -> &'static str {
        match self {
            ReportKind::Daily => "daily",
            ReportKind::Ranking => "ranking",
            ReportKind::Health => "health",
            ReportKind::National => "national",
        }
    }
}

/// The files a report wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFiles {
    /// The kind.
    pub kind: ReportKind,
    /// The HTML document.
    pub html: PathBuf,
    /// The CSV table (ranking reports).
    pub csv: Option<PathBuf>,
    /// PNG charts.
    pub images: Vec<PathBuf>,
    /// The index page, updated.
    pub index: PathBuf,
}

impl ReportFiles {
    /// Every file written, the HTML first.
    pub fn paths(&self) -> Vec<&Path> {
        let mut out = vec![self.html.as_path()];
        out.extend(self.csv.as_deref());
        out.extend(self.images.iter().map(PathBuf::as_path));
        out
    }
}

/// Where a report's files go: `<out>/<stem>.html` and images in `<out>/<stem>/`.
pub(crate) struct Target {
    pub(crate) html: PathBuf,
    pub(crate) images: PathBuf,
    pub(crate) stem: String,
}

impl Target {
    pub(crate) fn new(cfg: &ReportConfig, stem: String) -> Result<Target, ReportError> {
        let images = cfg.out_dir.join(&stem);
        std::fs::create_dir_all(&images).map_err(|source| ReportError::Io {
            path: images.clone(),
            source,
        })?;
        Ok(Target {
            html: cfg.out_dir.join(format!("{stem}.html")),
            images,
            stem,
        })
    }

    /// Draws `chart` into the page as an inline SVG figure (labels in `lang`), its PNG written
    /// beside the page as `<stem>/<Chart::NAME>.png`, captioned `caption` with a link to the
    /// PNG. Returns the PNG's path.
    pub(crate) fn figure<C: Chart>(
        &self,
        h: &mut Html,
        chart: &C,
        lang: Lang,
        caption: &str,
    ) -> Result<PathBuf, ReportError> {
        let png = self.images.join(format!("{}.png", C::NAME));
        let svg = render(chart, lang, Some(&png))?;
        h.figure(
            &svg,
            &format!("{caption} (PNG: {}/{}.png)", self.stem, C::NAME),
        );
        Ok(png)
    }
}

/// Writes a report with a CSV table: the page, `<out>/<csv_name>` and the index page.
pub(crate) fn write_with_csv(
    kind: ReportKind,
    target: Target,
    page: Html,
    csv_name: &str,
    csv: Result<String, csv::Error>,
    images: Vec<PathBuf>,
    cfg: &ReportConfig,
) -> Result<ReportFiles, ReportError> {
    write_file(&target.html, page.finish().as_bytes())?;
    let csv_path = cfg.out_dir.join(csv_name);
    let csv = csv.map_err(|e| ReportError::Io {
        path: csv_path.clone(),
        source: std::io::Error::other(e),
    })?;
    write_file(&csv_path, csv.as_bytes())?;
    let index = index_page::update(&cfg.out_dir, cfg.lang)?;
    Ok(ReportFiles {
        kind,
        html: target.html,
        csv: Some(csv_path),
        images,
        index,
    })
}

/// Writes `contents` to `path`.
pub(crate) fn write_file(path: &Path, contents: &[u8]) -> Result<(), ReportError> {
    std::fs::write(path, contents).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes the daily report of the local day `date` (see `daily` for the figures); the
/// issuing unit shown is `network_name`.
pub fn daily_report(
    store: &dyn Store,
    network_name: &str,
    date: chrono::NaiveDate,
    cfg: &ReportConfig,
) -> Result<ReportFiles, ReportError> {
    let figures = daily_figures(store, date)?;
    daily_page::write(&figures, network_name, cfg)
}

/// Writes the ranking report of `period` by station or district (towns), with its CSV.
pub fn ranking_report(
    store: &(impl StationStore + IndexStore + ReadingStore + ?Sized),
    network_name: &str,
    period: Period,
    by: GroupBy,
    cfg: &ReportConfig,
) -> Result<ReportFiles, ReportError> {
    let figures = ranking_figures(store, period, by)?;
    ranking_page::write(&figures, network_name, cfg)
}

/// Writes the national ranking report of `period` (`national-<period>.html`, its CSV and the
/// map's PNG): `list`'s cities ranked from the store's stations, PM of `dust`'s city-days
/// removed when a dust list is given, `focus` highlighted and explained.
pub fn national_report(
    store: &(impl StationStore + ReadingStore + IndexStore + ?Sized),
    period: Period,
    list: &crate::assess::city::CityList,
    dust: Option<&crate::assess::city::DustDays>,
    focus: Option<&str>,
    cfg: &ReportConfig,
) -> Result<ReportFiles, ReportError> {
    let figures = national::national_figures(store, period, list, dust, focus)?;
    national_page::write(&figures, cfg)
}

/// Writes the device-health report of the local day `date`. `devices` says which parameters
/// each device measures (from the registry, [`DeviceSpec::from_registry`]); when empty, each
/// station counts as one device measuring whatever it recorded.
pub fn health_report(
    store: &(impl StationStore + ReadingStore + HealthStore + AlarmStore + ?Sized),
    network_name: &str,
    date: chrono::NaiveDate,
    devices: &[DeviceSpec],
    cfg: &ReportConfig,
) -> Result<ReportFiles, ReportError> {
    let findings = health_findings(store, date, devices, &HealthRules::default())?;
    health_page::write(&findings, network_name, cfg)
}
