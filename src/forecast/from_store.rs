//! The forecast commands' work on the store: training a model set on a stored period,
//! backtesting a saved set over one (fixed, or re-trained every few days: [`super::refit`]),
//! and the default issue time of a run.

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};

use super::ForecastError;
use super::backtest::{BacktestOptions, BacktestReport, backtest};
use super::features::FeatureContext;
use super::model::{ModelSet, TrainOptions, train};
use super::refit::{Refitted, refit_backtest};
use super::series::Grid;
use super::weather::ForecastWeather;
use crate::store::{ReadingStore, Resolution, Store};

/// Hours of history a fixed backtest loads before its first issue (lags and means).
const HISTORY_HOURS: i64 = 48;

/// A model set trained on the store, with what it took.
#[derive(Debug)]
pub struct Trained {
    /// The models.
    pub set: ModelSet,
    /// Stations trained on.
    pub stations: usize,
    /// Reading the store.
    pub loaded: Duration,
    /// Training.
    pub trained: Duration,
}

/// Trains on the hourly data of `stations` (all the store knows when empty) labelled in
/// `[start, end)`.
pub fn train_from_store(
    store: &dyn Store,
    stations: &[String],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    options: &TrainOptions,
) -> Result<Trained, ForecastError> {
    let clock = Instant::now();
    let grid = Grid::load(store, stations, start, end)?;
    let loaded = clock.elapsed();
    let set = train(&grid, grid.len, options)?;
    Ok(Trained {
        set,
        stations: grid.stations.len(),
        loaded,
        trained: clock.elapsed() - loaded,
    })
}

/// A backtest of a saved model set over the store's data.
#[derive(Debug, Clone, Copy)]
pub struct BacktestRequest<'a> {
    /// Stations: all the store knows when empty (for a refit: the set's).
    pub stations: &'a [String],
    /// First issue time (a local midnight).
    pub start: DateTime<Utc>,
    /// End (exclusive) of issues and verifying observations.
    pub end: DateTime<Utc>,
    /// Hours between issue times.
    pub step: usize,
    /// Local hour of the daily issue (next-day categories).
    pub daily_issue_hour: u32,
    /// Stand the observed weather in for a weather forecast (perfect prognosis).
    pub perfect_prognosis: bool,
    /// Re-train every so many days (rolling origin with updating); the fixed set otherwise.
    pub refit: Option<u32>,
}

/// What a long backtest reports as it goes (refits only).
#[derive(Debug)]
pub enum BacktestProgress<'a> {
    /// The data from the set's training start on was read.
    Loaded {
        /// Stations read.
        stations: usize,
        /// From.
        from: DateTime<Utc>,
        /// To.
        to: DateTime<Utc>,
        /// How long it took.
        took: Duration,
    },
    /// One re-training is done.
    Refitted(&'a Refitted<'a>),
}

/// Backtests `set` over the store's data as `request` says (see [`super::backtest`] and
/// [`super::refit`]).
pub fn backtest_from_store(
    store: &dyn Store,
    set: &ModelSet,
    request: BacktestRequest<'_>,
    mut progress: impl FnMut(BacktestProgress<'_>),
) -> Result<BacktestReport, ForecastError> {
    let BacktestRequest { start, end, .. } = request;
    if set.weather && !request.perfect_prognosis {
        return Err(ForecastError::Weather(
            "the model set needs forecast weather: backtest it with perfect prognosis".into(),
        ));
    }
    let options = |from, grid: &Grid| BacktestOptions {
        from,
        to: grid.len,
        step: request.step,
        daily_issue_hour: request.daily_issue_hour,
    };
    let Some(every_days) = request.refit else {
        if start < set.trained_to {
            tracing::warn!(
                "the backtest starts before the end of the training period ({}): scores are optimistic",
                set.trained_to
            );
        }
        let history = TimeDelta::hours(HISTORY_HOURS);
        let grid = Grid::load(store, request.stations, start - history, end)?;
        let observed = ForecastWeather::observed(&grid);
        let mut context = FeatureContext::new(&grid, &set.climatology);
        if request.perfect_prognosis {
            context = context.with_weather(&observed);
        }
        return Ok(backtest(
            &context,
            set,
            options(HISTORY_HOURS as usize, &grid),
        ));
    };
    if start <= set.trained_from {
        return Err(ForecastError::NoData(format!(
            "a refit backtest starts after the training start of the model set ({})",
            set.trained_from
        )));
    }
    // The stations trained on unless others are named; loaded once, from the training start
    // on (each refit trains on its part before the origin).
    let stations = if request.stations.is_empty() {
        &set.stations
    } else {
        request.stations
    };
    let clock = Instant::now();
    let grid = Grid::load(store, stations, set.trained_from, end)?;
    progress(BacktestProgress::Loaded {
        stations: grid.stations.len(),
        from: set.trained_from,
        to: end,
        took: clock.elapsed(),
    });
    let observed = request
        .perfect_prognosis
        .then(|| ForecastWeather::observed(&grid));
    let first = grid
        .index_of(start)
        .ok_or_else(|| ForecastError::NoData(format!("{start} is outside the data")))?;
    refit_backtest(
        &grid,
        set,
        observed.as_ref(),
        options(first, &grid),
        every_days,
        |r| progress(BacktestProgress::Refitted(r)),
    )
}

/// The default issue time of a run: the latest hour the store holds.
pub fn latest_issue_time(store: &dyn ReadingStore) -> Result<DateTime<Utc>, ForecastError> {
    store
        .readings_span(Resolution::Hour)?
        .map(|span| span.last)
        .ok_or_else(|| ForecastError::NoData("the store holds no hourly records".into()))
}
