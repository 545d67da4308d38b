//! AQI range and category-span forecasts, as Chinese forecast centres publish them ("AQI
//! 90–130，良至轻度污染") and CNEMC scores them: *AQI范围预报* (the observed daily AQI inside the
//! forecast range) and *AQI级别范围预报* (the observed category inside the forecast span of one
//! or two adjacent categories) — see 王晓彦 et al., 环境科学 2022, 43(7): 3396–3403.
//!
//! **The rule.** At training, on the validation part of the training period (the last 20 %,
//! the part that already chooses scale, penalty and blend), every station and every issue hour
//! is forecast with the fitted daily models, and `r = ln(observed daily AQI / forecast daily
//! AQI)` is collected per lead day and local issue hour (the error of tomorrow's forecast
//! issued at 05:00 is not the one issued at 17:00). The quantiles `(1 − c)/2` and `(1 + c)/2`
//! of `r` (`c` the coverage, 50 % by default; linear interpolation) make the range
//! `[AQI·e^low, AQI·e^high]`, rounded to whole AQI: a multiplicative interval, wider in AQI
//! points where the AQI is high, as the errors are. AQIs enter the ratio as at least 1. The
//! same is measured for persistence (the AQI of the 24 h up to the issue time as the forecast
//! of both lead days), so the baseline is scored under the same rule. A lead day and issue hour
//! with fewer than [`MIN_SAMPLES`] validation samples get no range.
//!
//! **The category span** ([`crate::aqi::span`]) is the categories of the range's two ends when
//! they are the same or adjacent; a range crossing more keeps the forecast's category and the
//! neighbour holding more of it, and is cut to that span — never more than two. Categories are
//! [`Category::from_aqi`] (HJ 633).

use serde::{Deserialize, Serialize};

use chrono::{NaiveDate, Timelike};

use super::dataset;
use super::features::FeatureContext;
use super::model::{DAILY_LEADS, ModelSet};
use super::run::{DayStats, DayValues, daily_from_models};
use crate::aqi::Category;
use crate::aqi::span::AqiRange;
use crate::stats::quantile_sorted;

/// The coverage of the central interval when none is chosen.
pub const DEFAULT_COVERAGE: f64 = 0.5;

/// Fewest validation samples of a lead day and issue hour for a range.
pub const MIN_SAMPLES: usize = 50;

/// The quantiles of `ln(observed / forecast)` daily AQI of one lead day and local issue hour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RangeQuantiles {
    /// Days after the issue day (1 = the next local day).
    pub lead: u32,
    /// Local hour of the issue time (0–23).
    pub issue_hour: u32,
    /// Validation samples.
    pub n: usize,
    /// The `(1 − c)/2` quantile.
    pub low: f64,
    /// The `(1 + c)/2` quantile.
    pub high: f64,
}

/// The range intervals of a model set (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RangeModel {
    /// Nominal coverage of the central interval (0–1).
    pub coverage: f64,
    /// How the intervals were measured, in words.
    pub rule: String,
    /// Of the model's daily AQI.
    pub model: Vec<RangeQuantiles>,
    /// Of persistence (the AQI of the 24 h up to the issue time).
    pub persistence: Vec<RangeQuantiles>,
}

/// Whose interval to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeOf {
    /// The model's daily AQI.
    Model,
    /// Persistence.
    Persistence,
}

impl RangeModel {
    /// The quantiles of `of` for a lead day and local issue hour, when measured.
    pub fn quantiles(&self, of: RangeOf, lead: u32, issue_hour: u32) -> Option<&RangeQuantiles> {
        let list = match of {
            RangeOf::Model => &self.model,
            RangeOf::Persistence => &self.persistence,
        };
        list.iter()
            .find(|q| q.lead == lead && q.issue_hour == issue_hour)
    }

    /// The range of `of` around `aqi` for a lead day and local issue hour.
    pub fn range(&self, of: RangeOf, lead: u32, issue_hour: u32, aqi: u32) -> Option<AqiRange> {
        self.quantiles(of, lead, issue_hour)
            .map(|q| AqiRange::around(aqi, q.low, q.high))
    }
}

/// Scores of range forecasts under the CNEMC rules.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RangeScore {
    /// Forecasts scored.
    pub n: usize,
    /// Share with the observed AQI inside the range (AQI范围预报).
    pub aqi_hit_rate: f64,
    /// Share with the observed category inside the span (AQI级别范围预报).
    pub span_hit_rate: f64,
    /// Share of spans of two categories.
    pub two_category_share: f64,
    /// Mean width of the range (AQI points).
    pub mean_width: f64,
}

/// Counts behind a [`RangeScore`].
#[derive(Debug, Clone, Copy, Default)]
pub struct RangeTally {
    n: usize,
    aqi_hits: usize,
    span_hits: usize,
    two: usize,
    width: u64,
}

impl RangeTally {
    /// Scores one forecast range against the observed daily AQI.
    pub fn add(&mut self, range: &AqiRange, observed: u32) {
        self.n += 1;
        self.aqi_hits += usize::from(range.holds(observed));
        self.span_hits += usize::from(range.span.contains(Category::from_aqi(observed)));
        self.two += usize::from(range.span.is_two());
        self.width += u64::from(range.width());
    }

    /// The shares (`NaN` without forecasts).
    pub fn score(&self) -> RangeScore {
        let share = |k: f64| {
            if self.n > 0 {
                k / self.n as f64
            } else {
                f64::NAN
            }
        };
        RangeScore {
            n: self.n,
            aqi_hit_rate: share(self.aqi_hits as f64),
            span_hit_rate: share(self.span_hits as f64),
            two_category_share: share(self.two as f64),
            mean_width: share(self.width as f64),
        }
    }
}

/// Collected `ln(observed / forecast)` per lead day and issue hour.
#[derive(Debug, Clone)]
struct Ratios(Vec<Vec<f64>>);

impl Ratios {
    fn new() -> Ratios {
        Ratios(vec![Vec::new(); DAILY_LEADS.len() * 24])
    }

    fn push(&mut self, lead: u32, hour: u32, observed: u32, forecast: u32) {
        let r = (f64::from(observed.max(1)) / f64::from(forecast.max(1))).ln();
        self.0[(lead as usize - 1) * 24 + hour as usize].push(r);
    }

    fn quantiles(mut self, coverage: f64) -> Vec<RangeQuantiles> {
        let mut out = Vec::new();
        for (k, v) in self.0.iter_mut().enumerate() {
            if v.len() < MIN_SAMPLES {
                continue;
            }
            v.sort_by(f64::total_cmp);
            out.push(RangeQuantiles {
                lead: (k / 24) as u32 + 1,
                issue_hour: (k % 24) as u32,
                n: v.len(),
                low: quantile_sorted(v, (1.0 - coverage) / 2.0),
                high: quantile_sorted(v, (1.0 + coverage) / 2.0),
            });
        }
        out
    }
}

/// The daily AQI of complete statistics (PM2.5, PM10 and O3 8-h all present).
fn complete_aqi(d: &DayStats, date: NaiveDate) -> Option<u32> {
    d.is_complete().then(|| d.aqi(date).0).flatten()
}

/// Measures the range intervals of `models` (its daily models fitted) on the issue hours `t`
/// of `[0, end)` in the validation part of lead day `lead` (`in_validation(t, lead)`), every
/// hour, every station.
pub fn fit(
    ctx: &FeatureContext<'_>,
    models: &ModelSet,
    end: usize,
    in_validation: impl Fn(usize, u32) -> bool,
    coverage: f64,
) -> RangeModel {
    let grid = ctx.grid;
    let (mut model, mut persistence) = (Ratios::new(), Ratios::new());
    let end = end.min(grid.len);
    let first_issue = (0..end).find(|&t| DAILY_LEADS.iter().any(|&l| in_validation(t, l)));
    for s in 0..grid.stations.len() {
        for t in first_issue.unwrap_or(end).max(23)..end {
            let hour = grid.time_of(t).with_timezone(&grid.tz).hour();
            let persisted = DayValues::observed(grid, s, t - 23);
            let mut missing = Default::default();
            let days = daily_from_models(ctx, models, s, t, &mut missing);
            for lead in DAILY_LEADS {
                if !in_validation(t, lead) {
                    continue;
                }
                let Some((first, date)) = dataset::day_start(grid, t, lead) else {
                    continue;
                };
                if first + 24 > end {
                    continue;
                }
                let Some(observed) = complete_aqi(&DayValues::observed(grid, s, first), date)
                else {
                    continue;
                };
                if let Some(p) = complete_aqi(&persisted, date) {
                    persistence.push(lead, hour, observed, p);
                }
                if let Some(f) = days.iter().find(|d| d.date == date).and_then(|d| d.aqi) {
                    model.push(lead, hour, observed, f);
                }
            }
        }
    }
    RangeModel {
        coverage,
        rule: format!(
            "central {:.0} % interval of ln(observed / forecast daily AQI) on the validation part \
             of the training period, per lead day and local issue hour, every station and hour; \
             range = [AQI·e^low, AQI·e^high] rounded; persistence = the AQI of the 24 h up to \
             the issue time, measured the same way",
            100.0 * coverage
        ),
        model: model.quantiles(coverage),
        persistence: persistence.quantiles(coverage),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_score_known_forecasts() {
        let mut t = RangeTally::default();
        let r = AqiRange::around(100, (0.8f64).ln(), (1.3f64).ln()); // 80–130, Good–Light
        t.add(&r, 80); // range and span hit
        t.add(&r, 140); // span hit only (Light)
        t.add(&r, 60); // span hit only (Good)
        t.add(&r, 160); // neither
        let narrow = AqiRange::around(20, -0.1, 0.1); // 18–22, Excellent
        t.add(&narrow, 51); // neither
        let s = t.score();
        assert_eq!(s.n, 5);
        assert!((s.aqi_hit_rate - 0.2).abs() < 1e-12);
        assert!((s.span_hit_rate - 0.6).abs() < 1e-12);
        assert!((s.two_category_share - 0.8).abs() < 1e-12);
        assert!((s.mean_width - (4.0 * 50.0 + 4.0) / 5.0).abs() < 1e-12);
        assert!(RangeTally::default().score().aqi_hit_rate.is_nan());
    }

    #[test]
    fn quantiles_of_known_ratios() {
        let mut r = Ratios::new();
        // Observed/forecast ratios e^(−1 … +1) in 101 steps at lead 1, 17:00: the central
        // 50 % is e^−0.5 … e^0.5.
        for k in 0..=100 {
            let ratio = (f64::from(k) / 50.0 - 1.0).exp();
            r.push(1, 17, (1000.0 * ratio).round() as u32, 1000);
        }
        // Too few at lead 2.
        r.push(2, 17, 100, 100);
        let qs = r.quantiles(0.5);
        assert_eq!(qs.len(), 1);
        let q = &qs[0];
        assert_eq!((q.lead, q.issue_hour, q.n), (1, 17, 101));
        assert!(
            (q.low + 0.5).abs() < 2e-3 && (q.high - 0.5).abs() < 2e-3,
            "{q:?}"
        );
    }
}
