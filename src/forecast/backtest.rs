//! Rolling-origin backtests: forecasts issued every `step` hours across a test period with the
//! fixed models of a [`ModelSet`] (trained before the period), each from the data available at
//! its issue time only, compared with what was then observed — per horizon RMSE, MAE, bias, R²
//! and skill against persistence (the value at issue time) and climatology (hour × month mean
//! of the training period), on exactly the same samples; and the next-day daily AQI category.

use chrono::{TimeDelta, Timelike};
use serde::Serialize;

use super::features::FeatureContext;
use super::model::ModelSet;
use super::range::{RangeOf, RangeScore, RangeTally};
use super::run::{DayValues, forecast_station, label_day};
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

/// One verified next-day forecast (a station-day).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayPair {
    /// Station id.
    pub station: String,
    /// Local date forecast.
    pub date: chrono::NaiveDate,
    /// Forecast statistics.
    pub forecast: [f64; 3],
    /// Observed statistics (PM2.5 and PM10 24-h means, O3 maximum 8-h mean).
    pub observed: [f64; 3],
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

/// Runs a backtest over the context's grid.
pub fn backtest(
    ctx: &FeatureContext<'_>,
    models: &ModelSet,
    opt: BacktestOptions,
) -> BacktestReport {
    let grid = ctx.grid;
    let tz = grid.tz;
    let mut acc = vec![vec![Acc::default(); REPORT_HORIZONS.len()]; Target::ALL.len()];
    let (mut dn, mut hit, mut phit, mut chit) = (0usize, 0usize, 0usize, 0usize);
    let (mut d_obs, mut d_mod, mut d_per) = (Vec::new(), Vec::new(), Vec::new());
    let mut pairs = Vec::new();
    let (mut model_range, mut pers_range) = (RangeTally::default(), RangeTally::default());
    let to = opt.to.min(grid.len);
    let mut t = opt.from;
    // Align issue times to the daily issue hour.
    while t < to
        && (grid.time_of(t).with_timezone(&tz).hour() as usize) % opt.step
            != opt.daily_issue_hour as usize % opt.step
    {
        t += 1;
    }
    while t < to {
        let daily_issue = grid.time_of(t).with_timezone(&tz).hour() == opt.daily_issue_hour;
        for s in 0..grid.stations.len() {
            let f = forecast_station(ctx, models, s, t);
            for (k, &target) in Target::ALL.iter().enumerate() {
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
                    let fv = match target {
                        Target::Pm25 => fc.pm25,
                        Target::Pm10 => fc.pm10,
                        Target::O3 => fc.o3,
                    };
                    let clim = models
                        .climatology
                        .value(&grid.stations[s], target, fc.time, tz);
                    let a = &mut acc[k][j];
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
            let window = |start: usize| DayValues {
                pm25: (start..start + 24)
                    .map(|i| grid.get(s, Target::Pm25.parameter(), i))
                    .collect(),
                pm10: (start..start + 24)
                    .map(|i| grid.get(s, Target::Pm10.parameter(), i))
                    .collect(),
                o3: (start..start + 24)
                    .map(|i| grid.get(s, Target::O3.parameter(), i))
                    .collect(),
            };
            let observed = window(first).daily();
            let Some(past_start) = (t + 1).checked_sub(24) else {
                continue;
            };
            let persisted = window(past_start).daily();
            let clim_values = DayValues {
                pm25: (first..first + 24)
                    .map(|i| {
                        models.climatology.value(
                            &grid.stations[s],
                            Target::Pm25,
                            grid.time_of(i),
                            tz,
                        )
                    })
                    .collect(),
                pm10: (first..first + 24)
                    .map(|i| {
                        models.climatology.value(
                            &grid.stations[s],
                            Target::Pm10,
                            grid.time_of(i),
                            tz,
                        )
                    })
                    .collect(),
                o3: (first..first + 24)
                    .map(|i| {
                        models
                            .climatology
                            .value(&grid.stations[s], Target::O3, grid.time_of(i), tz)
                    })
                    .collect(),
            }
            .daily();
            let complete = |d: &super::run::DayStats| {
                d.pm25.is_some() && d.pm10.is_some() && d.o3_8h_max.is_some()
            };
            if !(complete(&observed)
                && complete(&persisted)
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
                model_range.add(&r, o);
                pers_range.add(&p, o);
            }
            let (_, cc) = clim_values.aqi(day.date);
            dn += 1;
            let stats = |d: &super::run::DayStats| {
                [d.pm25, d.pm10, d.o3_8h_max].map(|v| v.unwrap_or(f64::NAN))
            };
            pairs.push(DayPair {
                station: grid.stations[s].clone(),
                date: day.date,
                forecast: [day.pm25, day.pm10, day.o3_8h_max].map(|v| v.unwrap_or(f64::NAN)),
                observed: stats(&observed),
                aqi: day.aqi,
                range: day.range,
                observed_aqi: oa,
                persistence_aqi: pa,
                persistence_range: pr,
            });
            hit += usize::from(day.category == oc);
            phit += usize::from(pc == oc);
            chit += usize::from(cc == oc);
            d_obs.push(observed.pm25.unwrap_or(f64::NAN));
            d_mod.push(day.pm25.unwrap_or(f64::NAN));
            d_per.push(persisted.pm25.unwrap_or(f64::NAN));
        }
        t += opt.step;
    }
    let mut horizons = Vec::new();
    for (k, &target) in Target::ALL.iter().enumerate() {
        for (j, &h) in REPORT_HORIZONS.iter().enumerate() {
            let a = &acc[k][j];
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
        weather: ctx.weather().map(|w| w.source.clone()),
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
            pm25_rmse: rmse(&d_mod, &d_obs),
            pm25_persistence_rmse: rmse(&d_per, &d_obs),
            range: RangeMetrics {
                definition: "the same station-days (where the model and persistence both have a \
                    range): AQI range hit = observed daily AQI inside [low, high] (AQI范围预报), \
                    span hit = observed category inside the span of one or two adjacent categories \
                    (AQI级别范围预报); ranges from the model file's intervals for lead day 1 and the \
                    issue hour"
                    .into(),
                coverage: models.aqi_range.coverage,
                model: model_range.score(),
                persistence: pers_range.score(),
            },
        },
        days: pairs,
    }
}
