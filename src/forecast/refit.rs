//! Rolling-origin backtests with re-training: before the first issue time and then every
//! `every_days` days (the refit origins), the model set is trained again with the saved set's
//! options ([`ModelSet::training`]) on an expanding window — from the grid's start (the saved
//! set's training start) up to the origin, nothing at or after it — and the issues up to the
//! next origin are forecast with it. Scored by the same [`Scorer`] as the fixed backtest.

use std::time::{Duration, Instant};

use super::ForecastError;
use super::backtest::{
    BacktestMode, BacktestOptions, BacktestReport, ModelWindow, Scorer, issue_times,
};
use super::features::FeatureContext;
use super::model::{ModelSet, train};
use super::series::Grid;
use super::weather::ForecastWeather;

/// One re-training done, as reported to the caller's progress callback.
#[derive(Debug)]
pub struct Refitted<'a> {
    /// 1-based index of the refit.
    pub index: usize,
    /// How many refits the backtest makes.
    pub of: usize,
    /// The set trained at this origin.
    pub models: &'a ModelSet,
    /// How long training took.
    pub took: Duration,
}

/// The refit origins (hour indices of `grid`): `opt.from` and every `every_days` days after,
/// before the end of the issue times.
pub fn origins(opt: BacktestOptions, every_days: u32) -> Vec<usize> {
    let every = 24 * every_days.max(1) as usize;
    (opt.from..opt.to).step_by(every).collect()
}

/// Backtests `base`'s options re-trained every `every_days` days. `grid` must start at the
/// start of the training period (`base.trained_from`) and hold the test period; `weather` is
/// the forecast weather of the backtest (a forecast-weather set). `progress` is called after
/// each re-training.
pub fn refit_backtest(
    grid: &Grid,
    base: &ModelSet,
    weather: Option<&ForecastWeather>,
    opt: BacktestOptions,
    every_days: u32,
    mut progress: impl FnMut(&Refitted<'_>),
) -> Result<BacktestReport, ForecastError> {
    if grid.start != base.trained_from {
        return Err(ForecastError::NoData(format!(
            "a refit backtest needs the data from the model set's training start {} (the grid \
             starts at {})",
            base.trained_from, grid.start
        )));
    }
    if every_days == 0 {
        return Err(ForecastError::NoData("refit every 0 days".into()));
    }
    let origins = origins(opt, every_days);
    let mut scorer = Scorer::new(opt);
    let mut windows: Vec<ModelWindow> = Vec::with_capacity(origins.len());
    let mut times = issue_times(grid, opt).peekable();
    for (k, &origin) in origins.iter().enumerate() {
        let clock = Instant::now();
        let models = train(grid, origin, &base.training)?;
        progress(&Refitted {
            index: k + 1,
            of: origins.len(),
            models: &models,
            took: clock.elapsed(),
        });
        let mut ctx = FeatureContext::new(grid, &models.climatology);
        if let Some(w) = weather {
            ctx = ctx.with_weather(w);
        }
        let mut window = ModelWindow::of(&models);
        let next = origins.get(k + 1).copied().unwrap_or(usize::MAX);
        while let Some(t) = times.next_if(|&t| t < next) {
            scorer.issue(&ctx, &models, t);
            window.served(grid, t);
        }
        windows.push(window);
    }
    Ok(scorer.report(
        grid,
        weather,
        base.training.range_coverage,
        BacktestMode::Refit { every_days },
        windows,
    ))
}
