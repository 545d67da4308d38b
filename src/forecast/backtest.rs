//! Rolling-origin backtests: forecasts issued every `step` hours across a test period with the
//! fixed models of a [`ModelSet`] (trained before the period; re-trained along the way by
//! [`super::refit`], scored by the same [`Scorer`]), each from the data available at
//! its issue time only, compared with what was then observed — per horizon RMSE, MAE, bias, R²
//! and skill against persistence (the value at issue time) and climatology (hour × month mean
//! of the training period), on exactly the same samples; and the next-day daily AQI category.

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use enum_map::EnumMap;
use serde::Serialize;

use super::features::FeatureContext;
use super::model::ModelSet;
use super::range::{RangeOf, RangeScore, RangeTally};
use super::run::{DayValues, forecast_station, label_day};
use super::series::Grid;
use super::weather::ForecastWeather;
use super::{REPORT_HORIZONS, Target};
use crate::aqi::span::AqiRange;

/// Options of a backtest.
#[derive(Debug, Clone, Copy)]
pub struct BacktestOptions {
    /// First issue hour index in the grid.
    pub from: usize,
    /// End hour index (exclusive) of issue times and verifying observations.
    pub to: usize,
    /// Hours between issue times.
    pub step: usize,
    /// Local hour of the daily issue (next-day category forecasts are issued then).
    pub daily_issue_hour: u32,
}

/// Error statistics of one target and horizon.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HorizonMetrics {
    /// Target code.
    pub target: &'static str,
    /// Hours ahead.
    pub horizon: u32,
    /// Samples compared (model issued, observation present).
    pub n: usize,
    /// Forecasts not issued (abstained for a missing required input) where an observation existed.
    pub abstained: usize,
    /// Model RMSE, MAE, bias (forecast − observed), R².
    pub rmse: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Mean error.
    pub bias: f64,
    /// 1 − SSE / SST.
    pub r2: f64,
    /// Persistence RMSE / MAE.
    pub persistence_rmse: f64,
    /// Persistence MAE.
    pub persistence_mae: f64,
    /// Climatology RMSE / MAE.
    pub climatology_rmse: f64,
    /// Climatology MAE.
    pub climatology_mae: f64,
    /// 1 − RMSE / RMSE(persistence).
    pub skill_persistence: f64,
    /// 1 − RMSE / RMSE(climatology).
    pub skill_climatology: f64,
}

/// Next-day daily results.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DailyMetrics {
    /// What is compared.
    pub definition: String,
    /// Station-days compared.
    pub n: usize,
    /// Share with the right category: model, persistence, climatology.
    pub category_accuracy: f64,
    /// Persistence share.
    pub persistence_accuracy: f64,
    /// Climatology share.
    pub climatology_accuracy: f64,
    /// Daily mean PM2.5 RMSE: model, persistence.
    pub pm25_rmse: f64,
    /// Persistence daily mean PM2.5 RMSE.
    pub pm25_persistence_rmse: f64,
    /// The same station-days under the range rules of Chinese operational evaluation.
    pub range: RangeMetrics,
}

/// Next-day AQI range and category-span scores of the model and of persistence under the same
/// rule (see [`super::range`]), on the station-days of [`DailyMetrics`] where both have a range.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RangeMetrics {
    /// What is compared.
    pub definition: String,
    /// Nominal coverage of the intervals.
    pub coverage: f64,
    /// The model's ranges.
    pub model: RangeScore,
    /// Persistence's ranges.
    pub persistence: RangeScore,
}

/// The number of targets.
const TARGETS: usize = Target::ALL.len();

/// One verified next-day forecast (a station-day).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayPair {
    /// Station id.
    pub station: String,
    /// Local date forecast.
    pub date: chrono::NaiveDate,
    /// Forecast statistics, in [`Target::ALL`] order.
    pub forecast: [f64; TARGETS],
    /// Observed statistics (PM2.5 and PM10 24-h means, O3 maximum 8-h mean).
    pub observed: [f64; TARGETS],
    /// Forecast daily AQI.
    pub aqi: Option<u32>,
    /// The forecast's range and span.
    pub range: Option<AqiRange>,
    /// Observed daily AQI.
    pub observed_aqi: Option<u32>,
    /// Persistence's daily AQI (the 24 h up to the issue time).
    pub persistence_aqi: Option<u32>,
    /// Persistence's range under the same rule.
    pub persistence_range: Option<AqiRange>,
}

/// A backtest's results.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BacktestReport {
    /// Test period (UTC labels) and issue step.
    pub from: String,
    /// End (exclusive).
    pub to: String,
    /// Hours between issues.
    pub step_hours: usize,
    /// One fixed model set, or re-trained along the way.
    pub mode: BacktestMode,
    /// The model sets used, in order, with their training periods and the issues each served.
    pub windows: Vec<ModelWindow>,
    /// Where the forecast weather came from (forecast-weather models only).
    pub weather: Option<String>,
    /// Per target and horizon.
    pub horizons: Vec<HorizonMetrics>,
    /// Next-day category.
    pub daily: DailyMetrics,
    /// Every verified station-day (written by `forecast backtest --days FILE.csv`).
    #[serde(skip)]
    pub days: Vec<DayPair>,
}

/// How the models of a backtest were obtained.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum BacktestMode {
    /// One model set, trained before the test period.
    #[default]
    Fixed,
    /// Re-trained with the saved set's options on an expanding window (from its training
    /// start up to each refit origin) before the first issue and then every `every_days` days.
    Refit {
        /// Days between refit origins.
        every_days: u32,
    },
}

/// A model set of a backtest: what it was trained on and which issue times it served.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelWindow {
    /// First label time of its training period.
    pub trained_from: DateTime<Utc>,
    /// End (exclusive) of its training period: the refit origin when re-trained.
    pub trained_to: DateTime<Utc>,
    /// First issue time it served.
    pub first_issue: Option<DateTime<Utc>>,
    /// Last issue time it served.
    pub last_issue: Option<DateTime<Utc>>,
    /// Issue times it served.
    pub issues: usize,
}

impl ModelWindow {
    /// The window of `models`, before it has served any issue.
    pub fn of(models: &ModelSet) -> ModelWindow {
        ModelWindow {
            trained_from: models.trained_from,
            trained_to: models.trained_to,
            first_issue: None,
            last_issue: None,
            issues: 0,
        }
    }

    /// Counts issue hour `t` of `grid` as served.
    pub fn served(&mut self, grid: &Grid, t: usize) {
        let time = grid.time_of(t);
        self.first_issue.get_or_insert(time);
        self.last_issue = Some(time);
        self.issues += 1;
    }
}

#[derive(Default, Clone)]
struct Acc {
    n: usize,
    abstained: usize,
    obs: Vec<f64>,
    model: Vec<f64>,
    pers: Vec<f64>,
    clim: Vec<f64>,
}

fn rmse(a: &[f64], b: &[f64]) -> f64 {
    (a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>() / a.len().max(1) as f64).sqrt()
}

fn mae(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>() / a.len().max(1) as f64
}

/// The issue hours of a backtest: every `step` hours from `from`, aligned to the daily issue
/// hour, before `to`.
pub fn issue_times(grid: &Grid, opt: BacktestOptions) -> impl Iterator<Item = usize> {
    let to = opt.to.min(grid.len);
    let step = opt.step.max(1);
    let aligned = |t: &usize| {
        (grid.time_of(*t).with_timezone(&grid.tz).hour() as usize) % step
            == opt.daily_issue_hour as usize % step
    };
    let first = (opt.from..to).find(aligned).unwrap_or(to);
    (first..to).step_by(step)
}

/// Runs a backtest over the context's grid with one fixed model set.
pub fn backtest(
    ctx: &FeatureContext<'_>,
    models: &ModelSet,
    opt: BacktestOptions,
) -> BacktestReport {
    let mut scorer = Scorer::new(opt);
    let mut window = ModelWindow::of(models);
    for t in issue_times(ctx.grid, opt) {
        scorer.issue(ctx, models, t);
        window.served(ctx.grid, t);
    }
    scorer.report(
        ctx.grid,
        ctx.weather(),
        models.aqi_range.coverage,
        BacktestMode::Fixed,
        vec![window],
    )
}

/// Accumulates the scores of issue times, each with the models in use then; the same scores
/// for a fixed model set and for one re-trained along the way.
pub struct Scorer {
    opt: BacktestOptions,
    acc: EnumMap<Target, Vec<Acc>>,
    dn: usize,
    hit: usize,
    phit: usize,
    chit: usize,
    d_obs: Vec<f64>,
    d_mod: Vec<f64>,
    d_per: Vec<f64>,
    pairs: Vec<DayPair>,
    model_range: RangeTally,
    pers_range: RangeTally,
}

impl Scorer {
    /// An empty tally; observations verify up to `opt.to`.
    pub fn new(opt: BacktestOptions) -> Scorer {
        Scorer {
            opt,
            acc: EnumMap::from_fn(|_| vec![Acc::default(); REPORT_HORIZONS.len()]),
            dn: 0,
            hit: 0,
            phit: 0,
            chit: 0,
            d_obs: Vec::new(),
            d_mod: Vec::new(),
            d_per: Vec::new(),
            pairs: Vec::new(),
            model_range: RangeTally::default(),
            pers_range: RangeTally::default(),
        }
    }

    /// Forecasts every station at hour `t` with `models` (whose climatology `ctx` uses) and
    /// scores them against what was then observed.
    pub fn issue(&mut self, ctx: &FeatureContext<'_>, models: &ModelSet, t: usize) {
        let opt = self.opt;
        let grid = ctx.grid;
        let tz = grid.tz;
        let to = opt.to.min(grid.len);
        let acc = &mut self.acc;
        let daily_issue = grid.time_of(t).with_timezone(&tz).hour() == opt.daily_issue_hour;
        for s in 0..grid.stations.len() {
            let f = forecast_station(ctx, models, s, t);
            for target in Target::ALL {
                let p = target.parameter();
                let now = grid.get(s, p, t);
                for (j, &h) in REPORT_HORIZONS.iter().enumerate() {
                    let v = t + h as usize;
                    if v >= to {
                        continue;
                    }
                    let Some(obs) = grid.get(s, p, v) else {
                        continue;
                    };
                    let fc = &f.hours[(h - 1) as usize];
                    let fv = fc.get(target);
                    let clim = models
                        .climatology
                        .value(&grid.stations[s], target, fc.time, tz);
                    let a = &mut acc[target][j];
                    match (fv, now, clim) {
                        (Some(fv), Some(now), Some(clim)) => {
                            a.n += 1;
                            a.obs.push(obs);
                            a.model.push(fv);
                            a.pers.push(now);
                            a.clim.push(clim);
                        }
                        _ => a.abstained += 1,
                    }
                }
            }
            if !daily_issue {
                continue;
            }
            let Some(day) = f.days.first() else { continue };
            // Observed values of the day (labels 01:00..24:00 local) and of the 24 h to issue.
            let first = (1..48)
                .map(|h| t + h)
                .find(|&i| i < grid.len && label_day(grid.time_of(i), tz) == day.date);
            let Some(first) = first else { continue };
            if first + 24 > to {
                continue;
            }
            let observed = DayValues::observed(grid, s, first);
            let Some(past_start) = (t + 1).checked_sub(24) else {
                continue;
            };
            let persisted = DayValues::observed(grid, s, past_start);
            let climatology = |target, i| {
                let time = grid.time_of(i);
                models
                    .climatology
                    .value(&grid.stations[s], target, time, tz)
            };
            let clim_values = DayValues::over(first, climatology).daily();
            if !(observed.is_complete()
                && persisted.is_complete()
                && day.pm25.is_some()
                && day.pm10.is_some()
                && day.o3_8h_max.is_some())
            {
                continue;
            }
            let (oa, oc) = observed.aqi(day.date);
            let (pa, pc) = persisted.aqi(day.date);
            let pr = pa.and_then(|a| {
                models
                    .aqi_range
                    .range(RangeOf::Persistence, 1, opt.daily_issue_hour, a)
            });
            if let (Some(r), Some(p), Some(o)) = (day.range, pr, oa) {
                self.model_range.add(&r, o);
                self.pers_range.add(&p, o);
            }
            let (_, cc) = clim_values.aqi(day.date);
            self.dn += 1;
            let stats = |d: super::run::DayStats| Target::ALL.map(|t| d.get(t).unwrap_or(f64::NAN));
            self.pairs.push(DayPair {
                station: grid.stations[s].clone(),
                date: day.date,
                forecast: stats(day.stats()),
                observed: stats(observed),
                aqi: day.aqi,
                range: day.range,
                observed_aqi: oa,
                persistence_aqi: pa,
                persistence_range: pr,
            });
            self.hit += usize::from(day.category == oc);
            self.phit += usize::from(pc == oc);
            self.chit += usize::from(cc == oc);
            self.d_obs.push(observed.pm25.unwrap_or(f64::NAN));
            self.d_mod.push(day.pm25.unwrap_or(f64::NAN));
            self.d_per.push(persisted.pm25.unwrap_or(f64::NAN));
        }
    }

    /// The report of every issue scored, with the models' mode and windows.
    pub fn report(
        self,
        grid: &Grid,
        weather: Option<&ForecastWeather>,
        coverage: f64,
        mode: BacktestMode,
        windows: Vec<ModelWindow>,
    ) -> BacktestReport {
        let opt = self.opt;
        let to = opt.to.min(grid.len);
        let acc = &self.acc;
        let (dn, hit, phit, chit) = (self.dn, self.hit, self.phit, self.chit);
        let mut horizons = Vec::new();
        for (target, acc) in acc {
            for (j, &h) in REPORT_HORIZONS.iter().enumerate() {
                let a = &acc[j];
                if a.n == 0 && a.abstained == 0 {
                    continue;
                }
                let mean = a.obs.iter().sum::<f64>() / a.n.max(1) as f64;
                let sst: f64 = a.obs.iter().map(|o| (o - mean).powi(2)).sum();
                let r = rmse(&a.model, &a.obs);
                let pr = rmse(&a.pers, &a.obs);
                let cr = rmse(&a.clim, &a.obs);
                horizons.push(HorizonMetrics {
                    target: target.code(),
                    horizon: h,
                    n: a.n,
                    abstained: a.abstained,
                    rmse: r,
                    mae: mae(&a.model, &a.obs),
                    bias: a.model.iter().zip(&a.obs).map(|(m, o)| m - o).sum::<f64>()
                        / a.n.max(1) as f64,
                    r2: 1.0 - r * r * a.n as f64 / sst,
                    persistence_rmse: pr,
                    persistence_mae: mae(&a.pers, &a.obs),
                    climatology_rmse: cr,
                    climatology_mae: mae(&a.clim, &a.obs),
                    skill_persistence: 1.0 - r / pr,
                    skill_climatology: 1.0 - r / cr,
                });
            }
        }
        let share = |x: usize| x as f64 / dn.max(1) as f64;
        BacktestReport {
        from: grid.time_of(opt.from).to_rfc3339(),
        to: (grid.start + TimeDelta::hours(to as i64)).to_rfc3339(),
        step_hours: opt.step,
        weather: weather.map(|w| w.source.clone()),
        horizons,
        daily: DailyMetrics {
            definition: format!(
                "next local day (hour-ending 01–24 h) HJ 633 daily AQI category from the 24-h means of \
                 PM2.5 and PM10 and the O3 maximum 8-h mean (the three forecast pollutants; SO2, NO2, CO \
                 left out on both sides), forecasts issued at {:02}:00 local; observed days need ≥ 20 h of \
                 each; persistence = the same statistics of the 24 h up to the issue time",
                opt.daily_issue_hour
            ),
            n: dn,
            category_accuracy: share(hit),
            persistence_accuracy: share(phit),
            climatology_accuracy: share(chit),
            pm25_rmse: rmse(&self.d_mod, &self.d_obs),
            pm25_persistence_rmse: rmse(&self.d_per, &self.d_obs),
            range: RangeMetrics {
                definition: "the same station-days (where the model and persistence both have a \
                    range): AQI range hit = observed daily AQI inside [low, high] (AQI范围预报), \
                    span hit = observed category inside the span of one or two adjacent categories \
                    (AQI级别范围预报); ranges from the model file's intervals for lead day 1 and the \
                    issue hour"
                    .into(),
                coverage,
                model: self.model_range.score(),
                persistence: self.pers_range.score(),
            },
        },
        mode,
        windows,
        days: self.pairs,
    }
    }
}
