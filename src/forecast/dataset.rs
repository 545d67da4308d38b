//! Training sets: the feature rows of every station at issue hours across a period with what
//! was observed later — for an hourly model the value `h` hours ahead (one horizon group), for
//! a daily model the next local day's statistic (24-h mean, or maximum 8-h mean for O3).
//! Targets are stored as the change from a base feature (the current value, or the last 24-h
//! mean) on the dataset's scale. Samples with a missing feature or target are dropped and
//! counted, never filled.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

use super::features::{FeatureContext, Scale};
use super::run::day_statistic;
use super::series::Grid;
use super::{HORIZON_GROUPS, Target};

/// Feature index of the hourly models' base (`lag0`).
pub(super) const HOURLY_BASE: usize = 0;
/// Feature index of the daily models' base (`mean24`).
pub(super) const DAILY_BASE: usize = 9;
/// Feature index of the climatology at the valid time (`clim_target`).
pub(super) const CLIM_FEATURE: usize = 13;

/// A row-major design matrix with its targets.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Features per row.
    pub width: usize,
    /// Row-major features.
    pub x: Vec<f64>,
    /// The observed target's change from the base, on the dataset's scale.
    pub y: Vec<f64>,
    /// The base of each row (model scale).
    pub base: Vec<f64>,
    /// The climatology of each row's target (µg/m³), the blend partner.
    pub clim: Vec<f64>,
    /// Hour index of each row's issue time.
    pub issue: Vec<usize>,
    /// Samples dropped because a feature was missing.
    pub dropped_features: usize,
    /// Samples dropped because the target was missing.
    pub dropped_target: usize,
}

impl Dataset {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.y.len()
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.width..(i + 1) * self.width]
    }
}

/// Options of [`build`] and [`build_daily`].
#[derive(Debug, Clone, Copy)]
pub(super) struct DatasetOptions {
    /// First issue hour index.
    pub from: usize,
    /// End hour index (exclusive) for issue *and* target hours: targets stay in the period.
    pub to: usize,
    /// Hours between issue times.
    pub stride: usize,
    /// Features used (see [`super::features::feature_count`]).
    pub width: usize,
}

/// Inverse of [`Scale::apply`] (no bias correction).
pub(super) fn unscale(scale: Scale, v: f64) -> f64 {
    match scale {
        Scale::Identity => v,
        Scale::Sqrt => v * v,
        Scale::Log => v.exp_m1(),
    }
}

/// The training set of `target` for horizon group `group` (index into [`HORIZON_GROUPS`]).
///
/// The horizons of the group are cycled through from one issue time to the next, so every
/// horizon of the group is represented equally.
pub(super) fn build(
    ctx: &FeatureContext<'_>,
    target: Target,
    group: usize,
    scale: Scale,
    opt: DatasetOptions,
) -> Dataset {
    let (lo, hi) = HORIZON_GROUPS[group];
    let span = (hi - lo + 1) as usize;
    let mut ds = Dataset {
        width: opt.width,
        ..Default::default()
    };
    let p = target.parameter();
    let to = opt.to.min(ctx.grid.len);
    let mut k = 0usize;
    for s in 0..ctx.grid.stations.len() {
        let mut t = opt.from;
        while t < to {
            let h = lo + ((k + s) % span) as u32;
            k += 1;
            let v = t + h as usize;
            if v >= to {
                break;
            }
            match ctx.grid.get(s, p, v) {
                None => ds.dropped_target += 1,
                Some(y) => {
                    let row = ctx.row(s, t, target, h, scale);
                    let clim = unscale(scale, row.values[CLIM_FEATURE]);
                    push(&mut ds, &row, scale.apply(y), HOURLY_BASE, clim, t);
                }
            }
            t += opt.stride;
        }
    }
    ds
}

fn push(
    ds: &mut Dataset,
    row: &super::features::FeatureRow,
    y: f64,
    base: usize,
    clim: f64,
    t: usize,
) {
    let w = ds.width;
    if row.values[..w].iter().all(|v| v.is_finite()) && clim.is_finite() {
        ds.x.extend_from_slice(&row.values[..w]);
        ds.y.push(y - row.values[base]);
        ds.base.push(row.values[base]);
        ds.clim.push(clim);
        ds.issue.push(t);
    } else {
        ds.dropped_features += 1;
    }
}

/// The hour index of the label 01:00 local (the first hour) of the local day `lead` days
/// after the issue day of hour `t`, and that day.
pub(super) fn day_start(grid: &Grid, t: usize, lead: u32) -> Option<(usize, NaiveDate)> {
    let day =
        grid.time_of(t).with_timezone(&grid.tz).date_naive() + TimeDelta::days(i64::from(lead));
    let first = local_label(day, 1, grid.tz)?;
    let d = first - grid.start;
    let i = usize::try_from(d.num_hours()).ok()?;
    Some((i, day))
}

fn local_label(day: NaiveDate, hour: u32, tz: Tz) -> Option<DateTime<Utc>> {
    day.and_hms_opt(hour, 0, 0)?
        .and_local_timezone(tz)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// The climatological daily statistic of `target` at station `s` for the day starting at hour
/// index `first`.
pub(super) fn day_climatology(
    ctx: &FeatureContext<'_>,
    s: usize,
    target: Target,
    first: usize,
) -> Option<f64> {
    let grid = ctx.grid;
    let station = grid.stations[s].as_str();
    let hours = (first..first + 24)
        .map(|i| {
            ctx.climatology
                .value(station, target, grid.time_of(i), grid.tz)
        })
        .collect::<Vec<_>>();
    day_statistic(target, &hours)
}

/// The hours ahead of the middle (label 12:00) of a day starting at `first`, from `t`.
pub(super) fn day_horizon(t: usize, first: usize) -> u32 {
    (first + 11 - t) as u32
}

/// The training set of the daily model of `target` for the local day `lead` (1 or 2) days
/// after the issue day: features at the day's middle, forecast weather over the day.
pub(super) fn build_daily(
    ctx: &FeatureContext<'_>,
    target: Target,
    lead: u32,
    scale: Scale,
    opt: DatasetOptions,
) -> Dataset {
    let mut ds = Dataset {
        width: opt.width,
        ..Default::default()
    };
    let p = target.parameter();
    let grid = ctx.grid;
    let to = opt.to.min(grid.len);
    for s in 0..grid.stations.len() {
        let mut t = opt.from;
        while t < to {
            let Some((first, _)) = day_start(grid, t, lead) else {
                break;
            };
            if first + 24 > to {
                break;
            }
            let hours: Vec<_> = (first..first + 24).map(|i| grid.get(s, p, i)).collect();
            let observed = day_statistic(target, &hours);
            match (observed, day_climatology(ctx, s, target, first)) {
                (Some(y), Some(clim)) => {
                    let h = day_horizon(t, first);
                    let row = ctx.row_window(s, t, target, h, scale, (first, first + 23));
                    push(&mut ds, &row, scale.apply(y), DAILY_BASE, clim, t);
                }
                _ => ds.dropped_target += 1,
            }
            t += opt.stride;
        }
    }
    ds
}
