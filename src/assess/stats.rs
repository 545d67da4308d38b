//! Period statistics of one series of days (a station, a district or the network): valid-day
//! counts, period concentrations, the comprehensive index and the good-day share.
//!
//! - SO2, NO2, PM10, PM2.5: the mean of the valid daily means.
//! - CO: the 95th percentile of the valid daily means; O3: the 90th percentile of the valid daily
//!   maximum 8-h means ([`percentile`]).
//! - A pollutant is *sufficient* when its valid days reach [`DateRange::min_valid_days`] (27 a
//!   month, 25 in February, 324 a year, see there for quarters and years to date). The
//!   statistics and the index are computed either way; [`PeriodStats::sufficient`] flags it.
//! - Good-day share (优良天数比例) = days with daily AQI ≤ 100 / days with a valid daily AQI;
//!   exceedance days have AQI > 100. Each day's AQI is HJ 633's daily AQI under the rule set in
//!   force on that date ([`RuleSet::for_date`]) unless the configuration forces one.
//!   Which days have a "valid AQI" is [`AqiDayValidity`] (*unverified*; default: the AQI could be
//!   computed from at least one valid pollutant statistic).
//! - Rounding ([`Rounding`], default [`Rounding::Hj663`]): HJ 663 reports daily values and period
//!   concentrations rounded by GB/T 8170 (µg/m³ to integers, CO to 0.1 mg/m³) and computes the
//!   sub-indices from the rounded concentrations; the ministry's ranking is computed that way.
//!   Each day's values are rounded before the period statistics and the daily AQI of the
//!   good-day share, the period concentrations before the index.
//!   [`PeriodStats::concentrations`] keep the unrounded period values for analysis;
//!   [`Rounding::Unrounded`] computes everything from unrounded values.

use std::borrow::Cow;

use chrono::NaiveDate;
use enum_map::EnumMap;

use super::{ComprehensiveIndex, DailyRules, DailyStats, DateRange, IndexStandards, Pollutant};
use crate::aqi::Pollutant as Term;
use crate::aqi::china::{RuleSet, daily_aqi};

/// Which days count as having a valid daily AQI (*unverified*, configurable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AqiDayValidity {
    /// The daily AQI exists: at least one pollutant statistic of the day is valid.
    #[default]
    AnyPollutant,
    /// All six daily values (five 24-h means and the O3 daily maximum 8-h) are valid.
    AllSix,
}

/// How the assessment rounds daily values and period concentrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rounding {
    /// HJ 663 / GB/T 8170: daily values and period concentrations rounded half to even, µg/m³ to
    /// integers and CO to 0.1 mg/m³, before the sub-indices (the published figures).
    #[default]
    Hj663,
    /// No rounding before the sub-indices (analysis; the sub-indices are still rounded to 2
    /// decimals).
    Unrounded,
}

/// Decimals HJ 663 reports a pollutant's concentrations to (CO 1, the others 0).
pub const fn reported_decimals(p: Pollutant) -> u32 {
    match p {
        Pollutant::Co => 1,
        _ => 0,
    }
}

impl DailyStats {
    /// The day's statistics rounded as HJ 663 reports them (hour and window counts kept).
    pub fn rounded(&self) -> DailyStats {
        DailyStats {
            values: crate::aqi::china::DailyInput::from_fn(|term| {
                let decimals = reported_decimals(Pollutant::from(term));
                self.values
                    .get(term)
                    .map(|v| super::round_half_even(v, decimals))
            }),
            ..*self
        }
    }
}

/// `days` as `rounding` wants them for the period statistics.
pub fn rounded_days(days: &[DailyStats], rounding: Rounding) -> Cow<'_, [DailyStats]> {
    match rounding {
        Rounding::Hj663 => Cow::Owned(days.iter().map(DailyStats::rounded).collect()),
        Rounding::Unrounded => Cow::Borrowed(days),
    }
}

/// Everything configurable in the assessment.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AssessConfig {
    /// Validity rules of the daily statistics.
    pub daily: DailyRules,
    /// The denominators S_i of the comprehensive index.
    pub standards: IndexStandards,
    /// Force a rule set for the daily AQI (default: by date, [`RuleSet::for_date`]).
    pub rule_set: Option<RuleSet>,
    /// Which days have a valid daily AQI.
    pub aqi_day: AqiDayValidity,
    /// How daily values and period concentrations are rounded (default: as HJ 663 reports them).
    pub rounding: Rounding,
}

/// The statistics of one series over one period.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodStats {
    /// The period's local dates.
    pub range: DateRange,
    /// Valid daily values each pollutant needs for a valid period statistic.
    pub min_valid_days: usize,
    /// Valid daily values per pollutant (O3: daily maximum 8-h).
    pub valid_days: EnumMap<Pollutant, u32>,
    /// The period concentrations C_i (means; CO P95; O3 P90) of the (rounded, with
    /// [`Rounding::Hj663`]) daily values, before the period value itself is rounded; `None`
    /// without any valid day.
    pub concentrations: EnumMap<Pollutant, Option<f64>>,
    /// The comprehensive index (`None` unless all six concentrations exist).
    pub index: Option<ComprehensiveIndex>,
    /// Daily-AQI day counts (all 0 from [`period_concentrations`]).
    pub aqi: AqiDays,
}

/// Day counts by daily AQI.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AqiDays {
    /// Days with a valid daily AQI.
    pub valid: u32,
    /// Days with a daily AQI ≤ 100 (优 and 良).
    pub good: u32,
    /// Days with a daily AQI > 100.
    pub exceedance: u32,
}

impl AqiDays {
    /// Good days / days with a valid AQI (0–1; `None` without such days).
    pub fn good_share(&self) -> Option<f64> {
        (self.valid > 0).then(|| f64::from(self.good) / f64::from(self.valid))
    }

    /// Counts the days of a series (day `i` is `first + i`).
    pub fn count(first: NaiveDate, days: &[DailyStats], cfg: &AssessConfig) -> AqiDays {
        let mut out = AqiDays::default();
        let mut date = first;
        for d in days {
            if let Some(aqi) = day_aqi(d, date, cfg) {
                out.valid += 1;
                if aqi <= 100 {
                    out.good += 1;
                } else {
                    out.exceedance += 1;
                }
            }
            date = date.succ_opt().unwrap_or(date);
        }
        out
    }
}

impl PeriodStats {
    /// True when the pollutant's valid days reach the minimum.
    pub fn sufficient(&self, p: Pollutant) -> bool {
        self.valid_days[p] as usize >= self.min_valid_days
    }

    /// True when all six pollutants are sufficient.
    pub fn all_sufficient(&self) -> bool {
        Pollutant::ALL.iter().all(|&p| self.sufficient(p))
    }

    /// The smallest valid-day count of the six pollutants.
    pub fn fewest_valid_days(&self) -> u32 {
        self.valid_days.values().copied().min().unwrap_or(0)
    }

    /// True when any day of any pollutant is valid.
    pub fn has_data(&self) -> bool {
        self.valid_days.values().any(|&n| n > 0) || self.aqi.valid > 0
    }

    /// Good days / days with a valid AQI (0–1; `None` without such days).
    pub fn good_share(&self) -> Option<f64> {
        self.aqi.good_share()
    }

    /// The comprehensive index I_sum.
    pub fn total(&self) -> Option<f64> {
        self.index.map(|i| i.total)
    }
}

/// The `pct`-th percentile (0–100) of ascending `sorted` values: k = (n−1)·p (0-based),
/// `s = ⌊k⌋`, `X_p = X[s] + (k−s)·(X[s+1] − X[s])`. `k` is computed in integers, so it is exact.
pub fn percentile(sorted: &[f64], pct: u32) -> Option<f64> {
    let n = sorted.len();
    if n == 0 || pct > 100 {
        return None;
    }
    let num = (n - 1) * pct as usize;
    let s = num / 100;
    let frac = (num % 100) as f64 / 100.0;
    let lo = sorted[s];
    if frac == 0.0 || s + 1 >= n {
        return Some(lo);
    }
    Some(lo + frac * (sorted[s + 1] - lo))
}

/// Percentile of unsorted values, sorting a copy in `scratch`.
fn percentile_of(
    values: impl Iterator<Item = f64>,
    pct: u32,
    scratch: &mut Vec<f64>,
) -> Option<f64> {
    scratch.clear();
    scratch.extend(values);
    scratch.sort_unstable_by(f64::total_cmp);
    percentile(scratch, pct)
}

/// The statistics of `days` (day `i` is `range.first + i`; days beyond `days.len()` count as
/// missing, extra entries are ignored), with the daily-AQI day counts. `scratch` is reused for
/// the percentiles.
pub fn period_stats(
    range: DateRange,
    days: &[DailyStats],
    cfg: &AssessConfig,
    scratch: &mut Vec<f64>,
) -> PeriodStats {
    let mut stats = period_concentrations(range, days, cfg, scratch);
    let days = rounded_days(&days[..days.len().min(range.days())], cfg.rounding);
    stats.aqi = AqiDays::count(range.first, &days, cfg);
    stats
}

/// [`period_stats`] without the daily AQI: valid days, concentrations and the index only
/// (`aqi` is left at zero).
pub fn period_concentrations(
    range: DateRange,
    days: &[DailyStats],
    cfg: &AssessConfig,
    scratch: &mut Vec<f64>,
) -> PeriodStats {
    let days = rounded_days(&days[..days.len().min(range.days())], cfg.rounding);
    let days = &days[..];
    let mut valid_days = EnumMap::<Pollutant, u32>::default();
    let mut sums = EnumMap::<Pollutant, f64>::default();
    for d in days {
        for p in Pollutant::ALL {
            if let Some(v) = d.value(p) {
                valid_days[p] += 1;
                sums[p] += v;
            }
        }
    }
    let mut percentile_of_days =
        |p: Pollutant, pct| percentile_of(days.iter().filter_map(|d| d.value(p)), pct, scratch);
    let concentrations = enum_map::enum_map! {
        p @ (Pollutant::So2 | Pollutant::No2 | Pollutant::Pm10 | Pollutant::Pm25) => {
            let n = valid_days[p];
            (n > 0).then(|| sums[p] / f64::from(n))
        }
        Pollutant::Co => percentile_of_days(Pollutant::Co, 95),
        Pollutant::O3 => percentile_of_days(Pollutant::O3, 90),
    };
    let mut stats = PeriodStats {
        range,
        min_valid_days: range.min_valid_days(),
        valid_days,
        concentrations,
        index: None,
        aqi: AqiDays::default(),
    };
    let for_index = match cfg.rounding {
        Rounding::Hj663 => rounded_concentrations(&stats),
        Rounding::Unrounded => concentrations,
    };
    stats.index = ComprehensiveIndex::compute(&for_index, &cfg.standards);
    stats
}

/// The period concentrations as HJ 663 reports them (GB/T 8170: µg/m³ to integers, CO to
/// 0.1 mg/m³).
pub fn rounded_concentrations(stats: &PeriodStats) -> EnumMap<Pollutant, Option<f64>> {
    EnumMap::from_fn(|p| {
        stats.concentrations[p].map(|v| super::round_half_even(v, reported_decimals(p)))
    })
}

/// The daily AQI of a day when the day counts (see [`AqiDayValidity`]).
pub(super) fn day_aqi(day: &DailyStats, date: NaiveDate, cfg: &AssessConfig) -> Option<u32> {
    let counts = match cfg.aqi_day {
        AqiDayValidity::AnyPollutant => Term::ALL.iter().any(|&t| day.values.get(t).is_some()),
        AqiDayValidity::AllSix => Pollutant::ALL.iter().all(|&p| day.value(p).is_some()),
    };
    if !counts {
        return None;
    }
    let rules = cfg.rule_set.unwrap_or_else(|| RuleSet::for_date(date));
    daily_aqi(&day.values, rules).aqi
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aqi::china::DailyInput;

    #[test]
    fn percentile_vectors() {
        let x: Vec<f64> = (1..=10).map(f64::from).collect();
        let close = |a: Option<f64>, b: f64| (a.expect("value") - b).abs() < 1e-12;
        assert!(close(percentile(&x, 95), 9.55)); // k = 8.55
        assert!(close(percentile(&x, 90), 9.1)); // k = 8.1
        assert!(close(percentile(&x, 50), 5.5));
        assert_eq!(percentile(&x, 0), Some(1.0));
        assert_eq!(percentile(&x, 100), Some(10.0));
        assert_eq!(percentile(&[4.0], 95), Some(4.0));
        assert_eq!(percentile(&[], 95), None);
        assert_eq!(percentile(&x, 101), None);
        // 31 values 0, 10, …, 300: P95 k = 28.5 → 285; P90 k = 27 → 270 exactly.
        let y: Vec<f64> = (0..31).map(|i| f64::from(i) * 10.0).collect();
        assert_eq!(percentile(&y, 95), Some(285.0));
        assert_eq!(percentile(&y, 90), Some(270.0));
        // 28 values: P95 k = 25.65, P90 k = 24.3.
        let z: Vec<f64> = (0..28).map(|i| f64::from(i * i)).collect();
        assert!(close(percentile(&z, 95), 625.0 + 0.65 * 51.0));
        assert!(close(percentile(&z, 90), 576.0 + 0.3 * 49.0));
    }

    fn days(n: usize, f: impl Fn(usize) -> DailyInput) -> Vec<DailyStats> {
        (0..n)
            .map(|i| DailyStats {
                values: f(i),
                ..Default::default()
            })
            .collect()
    }

    #[test]
    fn concentrations_and_validity() {
        let range: DateRange = "2015-07"
            .parse::<super::super::Period>()
            .and_then(|p| p.range())
            .expect("month");
        // 27 valid days of everything (days 27..31 missing) → sufficient.
        let series = days(31, |i| {
            if i >= 27 {
                return DailyInput::default();
            }
            let x = i as f64;
            DailyInput {
                so2: Some(9.0),
                no2: Some(
                    15.0 + if i % 2 == 0 { 1.0 } else { -1.0 } * if i == 26 { 0.0 } else { 1.0 },
                ),
                pm10: Some(39.0),
                pm25: Some(21.0),
                co: Some(0.1 * x),
                o3_1h_max: Some(250.0),
                o3_8h_max: Some(10.0 * x),
            }
        });
        let cfg = AssessConfig {
            rounding: Rounding::Unrounded,
            ..AssessConfig::default()
        };
        let s = period_concentrations(range, &series, &cfg, &mut Vec::new());
        assert_eq!(s.valid_days.into_array(), [27; 6]);
        assert_eq!(s.min_valid_days, 27);
        assert!(s.all_sufficient());
        assert_eq!(s.concentrations[Pollutant::So2], Some(9.0));
        assert!((s.concentrations[Pollutant::No2].expect("no2") - 15.0).abs() < 1e-12);
        // CO P95 of 0.0 … 2.6: k = 24.7 → 2.47; O3 P90 of 0 … 260: k = 23.4 → 234.
        assert!((s.concentrations[Pollutant::Co].expect("co") - 2.47).abs() < 1e-12);
        assert!((s.concentrations[Pollutant::O3].expect("o3") - 234.0).abs() < 1e-9);
        let index = s.index.expect("index");
        assert_eq!(index.sub.into_array(), [0.15, 0.38, 0.56, 0.6, 0.62, 1.46]);
        assert_eq!(s.aqi, AqiDays::default());
        // One day fewer → insufficient, but still computed.
        let mut short = series.clone();
        short[0] = DailyStats::default();
        let s = period_concentrations(range, &short, &cfg, &mut Vec::new());
        assert_eq!(s.valid_days.into_array(), [26; 6]);
        assert!(!s.sufficient(Pollutant::So2));
        assert!(s.index.is_some());
        // Rounded concentrations: CO 2.47 → 2.5 → I 0.625, an exact tie → 0.62 (even).
        let rounded = AssessConfig {
            rounding: Rounding::Hj663,
            ..cfg
        };
        let s = period_concentrations(range, &series, &rounded, &mut Vec::new());
        assert_eq!(s.index.expect("index").of(Pollutant::Co), 0.62);
        // An empty series has no index.
        let s = period_concentrations(range, &[], &cfg, &mut Vec::new());
        assert_eq!(s.index, None);
        assert!(!s.has_data());
    }
}
