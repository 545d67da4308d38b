//! HJ 633: IAQI and AQI, hourly (real-time, as CNEMC publishes) and daily.
//!
//! # Rules implemented
//!
//! * IAQI = linear interpolation inside the breakpoint segment, **rounded up**, computed in
//!   exact integer arithmetic on the concentration taken to a millionth (so PM2.5 75 gives
//!   exactly 100, never 101). AQI = the largest IAQI.
//! * Above the top breakpoint (IAQI 500) the IAQI is **capped at 500** (noted as
//!   [`Note::AboveTopBreakpoint`]): HJ 633 defines no index beyond 500 and CNEMC publishes
//!   500 for such hours.
//! * SO2 1-h above 800 µg/m³: 2012 — no 1-h IAQI, the SO2 IAQI comes from the 24-h mean when
//!   one is given ([`HourlyInput::so2_24h`]), else SO2 has no IAQI; 2026 — IAQI 200.
//! * O3 8-h above 800 µg/m³: 2012 — no 8-h IAQI (the 1-h term stands for O3); 2026 — IAQI 300.
//! * 2026: concentrations are rounded before the lookup (PM, SO2, NO2, O3 to integers, CO to
//!   one decimal), **halves to even** as GB/T 8170 prescribes for rounding (*unverified* against
//!   the 2026 text, which secondary sources only summarise as "rounded").
//! * Negative or non-finite concentrations get no IAQI: they are listed in
//!   [`AqiResult::rejected`] and the AQI is computed from the other pollutants.
//! * Primary pollutant(s): only when AQI > 50, every term with the largest IAQI. Exceeding
//!   pollutants (2012 only): IAQI > 100.

mod breakpoints;

use chrono::NaiveDate;

use super::Pollutant;
use super::exact::{MICRO, ceil_div, round_half_even, to_micro};
pub use super::result::{AqiError, AqiResult, Note, SubIndex};
pub use breakpoints::{IAQI_LEVELS, Row};

/// The Chinese rule sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleSet {
    /// HJ 633-2012 / HJ 663-2013 / GB 3095-2012.
    Y2012,
    /// The 2026 editions, in force from 2026-03-01.
    Y2026,
}

impl RuleSet {
    /// The first day of the 2026 rules.
    pub const Y2026_FROM: NaiveDate = match NaiveDate::from_ymd_opt(2026, 3, 1) {
        Some(d) => d,
        None => NaiveDate::MIN,
    };

    /// The rule set in force on a (local) date: 2012 rules before 2026-03-01, 2026 rules on
    /// and after. To override, pass a `RuleSet` value from the configuration instead.
    pub fn for_date(date: NaiveDate) -> RuleSet {
        if date < Self::Y2026_FROM {
            RuleSet::Y2012
        } else {
            RuleSet::Y2026
        }
    }
}

/// A day's statistics as HJ 633 daily AQI needs them (canonical units; `None` = not valid).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DailyInput {
    /// SO2 24-h mean.
    pub so2: Option<f64>,
    /// NO2 24-h mean.
    pub no2: Option<f64>,
    /// PM10 24-h mean.
    pub pm10: Option<f64>,
    /// PM2.5 24-h mean.
    pub pm25: Option<f64>,
    /// CO 24-h mean (mg/m³).
    pub co: Option<f64>,
    /// O3 daily maximum 1-h value.
    pub o3_1h_max: Option<f64>,
    /// O3 daily maximum 8-h moving mean.
    pub o3_8h_max: Option<f64>,
}

impl DailyInput {
    /// The statistic of one term (the daily maximum 1-h or 8-h mean for the O3 terms).
    pub const fn get(&self, term: Pollutant) -> Option<f64> {
        match term {
            Pollutant::So2 => self.so2,
            Pollutant::No2 => self.no2,
            Pollutant::Pm10 => self.pm10,
            Pollutant::Pm25 => self.pm25,
            Pollutant::Co => self.co,
            Pollutant::O3_1h => self.o3_1h_max,
            Pollutant::O3_8h => self.o3_8h_max,
        }
    }

    /// The statistics `f` gives term by term.
    pub fn from_fn(mut f: impl FnMut(Pollutant) -> Option<f64>) -> DailyInput {
        DailyInput {
            so2: f(Pollutant::So2),
            no2: f(Pollutant::No2),
            pm10: f(Pollutant::Pm10),
            pm25: f(Pollutant::Pm25),
            co: f(Pollutant::Co),
            o3_1h_max: f(Pollutant::O3_1h),
            o3_8h_max: f(Pollutant::O3_8h),
        }
    }
}

/// One hour's values for the real-time AQI (canonical units; `None` = missing).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HourlyInput {
    /// PM2.5 1-h mean (looked up on the 24-h row, as CNEMC does).
    pub pm25: Option<f64>,
    /// PM10 1-h mean (looked up on the 24-h row, as CNEMC does).
    pub pm10: Option<f64>,
    /// SO2 1-h mean.
    pub so2: Option<f64>,
    /// NO2 1-h mean.
    pub no2: Option<f64>,
    /// CO 1-h mean (mg/m³).
    pub co: Option<f64>,
    /// O3 1-h mean.
    pub o3: Option<f64>,
    /// SO2 24-h mean, used only by the 2012 rules when the SO2 1-h mean exceeds 800 µg/m³.
    pub so2_24h: Option<f64>,
}

/// Checks a concentration: finite and not negative.
fn check(pollutant: Pollutant, value: f64) -> Result<f64, AqiError> {
    if !value.is_finite() {
        Err(AqiError::NotFinite { pollutant })
    } else if value < 0.0 {
        Err(AqiError::Negative { pollutant, value })
    } else {
        Ok(value)
    }
}

/// The concentration in millionths as the rules look it up (2026: rounded first).
fn lookup_value(row: Row, value: f64, rules: RuleSet) -> i128 {
    let m = to_micro(value);
    match rules {
        RuleSet::Y2012 => m,
        RuleSet::Y2026 => {
            let step = if row.decimals_2026() == 1 {
                MICRO / 10
            } else {
                MICRO
            };
            round_half_even(m, step)
        }
    }
}

/// IAQI of `m` millionths on `row`; `None` above the row's top breakpoint.
fn interpolate(row: Row, m: i128, rules: RuleSet) -> Option<u32> {
    let bp = row.breakpoints(rules);
    for i in 1..bp.len() {
        let hi = i128::from(bp[i]) * MICRO;
        if m <= hi {
            let lo = i128::from(bp[i - 1]) * MICRO;
            let (il, ih) = (IAQI_LEVELS[i - 1], IAQI_LEVELS[i]);
            let steps = ceil_div(i128::from(ih - il) * (m - lo), hi - lo);
            // 0 ≤ steps ≤ ih − il, so the sum fits.
            return Some(il + u32::try_from(steps).unwrap_or(ih - il));
        }
    }
    None
}

/// The IAQI of one concentration on one row of the table, without any above-range rule:
/// `Ok(None)` when the concentration lies above the row's top breakpoint.
///
/// `concentration` is in canonical units (µg/m³, CO mg/m³); `pollutant` only labels errors.
pub fn row_iaqi(
    row: Row,
    concentration: f64,
    rules: RuleSet,
    pollutant: Pollutant,
) -> Result<Option<u32>, AqiError> {
    let c = check(pollutant, concentration)?;
    Ok(interpolate(row, lookup_value(row, c, rules), rules))
}

/// Collects sub-indices and refusals.
struct Terms {
    rules: RuleSet,
    subs: Vec<SubIndex>,
    rejected: Vec<AqiError>,
}

impl Terms {
    fn new(rules: RuleSet) -> Terms {
        Terms {
            rules,
            subs: Vec::with_capacity(7),
            rejected: Vec::new(),
        }
    }

    /// Looks `value` up on `row`; returns `Some(m)` (millionths) when it lies above the top.
    fn add(&mut self, pollutant: Pollutant, row: Row, value: Option<f64>) -> Option<i128> {
        let v = match check(pollutant, value?) {
            Ok(v) => v,
            Err(e) => {
                self.rejected.push(e);
                return None;
            }
        };
        let m = lookup_value(row, v, self.rules);
        match interpolate(row, m, self.rules) {
            Some(iaqi) => {
                self.push(pollutant, m, iaqi, None);
                None
            }
            None => Some(m),
        }
    }

    fn push(&mut self, pollutant: Pollutant, m: i128, iaqi: u32, note: Option<Note>) {
        self.subs.push(SubIndex {
            pollutant,
            concentration: m as f64 / MICRO as f64,
            iaqi,
            note,
        });
    }

    /// A term on a full row (up to IAQI 500): capped at 500 above the top.
    fn add_full(&mut self, pollutant: Pollutant, row: Row, value: Option<f64>) {
        if let Some(m) = self.add(pollutant, row, value) {
            self.push(pollutant, m, 500, Some(Note::AboveTopBreakpoint));
        }
    }

    /// SO2 1-h, with the above-800 rule.
    fn add_so2_1h(&mut self, value: Option<f64>, so2_24h: Option<f64>) {
        if let Some(m) = self.add(Pollutant::So2, Row::So2_1h, value) {
            match self.rules {
                RuleSet::Y2012 => {
                    let before = self.subs.len();
                    self.add_full(Pollutant::So2, Row::So2_24h, so2_24h);
                    if let Some(s) = self.subs.get_mut(before) {
                        s.note = Some(Note::So2From24h);
                    }
                }
                RuleSet::Y2026 => self.push(Pollutant::So2, m, 200, Some(Note::Fixed)),
            }
        }
    }

    /// O3 8-h, with the above-800 rule.
    fn add_o3_8h(&mut self, value: Option<f64>) {
        if let Some(m) = self.add(Pollutant::O3_8h, Row::O3_8h, value)
            && self.rules == RuleSet::Y2026
        {
            self.push(Pollutant::O3_8h, m, 300, Some(Note::Fixed));
        }
    }

    fn finish(self) -> AqiResult {
        let exceeding = self.rules == RuleSet::Y2012;
        AqiResult::from_sub_indices(self.subs, self.rejected, Some(50), exceeding)
    }
}

/// The daily AQI of HJ 633 under `rules`: SO2, NO2, PM10, PM2.5 and CO 24-h means on the
/// 24-h rows, O3 daily maximum 1-h value on the 1-h row and daily maximum 8-h mean on the
/// 8-h row.
pub fn daily_aqi(input: &DailyInput, rules: RuleSet) -> AqiResult {
    let mut t = Terms::new(rules);
    t.add_full(Pollutant::So2, Row::So2_24h, input.so2);
    t.add_full(Pollutant::No2, Row::No2_24h, input.no2);
    t.add_full(Pollutant::Pm10, Row::Pm10_24h, input.pm10);
    t.add_full(Pollutant::Pm25, Row::Pm25_24h, input.pm25);
    t.add_full(Pollutant::Co, Row::Co_24h, input.co);
    t.add_full(Pollutant::O3_1h, Row::O3_1h, input.o3_1h_max);
    t.add_o3_8h(input.o3_8h_max);
    t.finish()
}

/// The real-time (hourly) AQI exactly as CNEMC publishes it: PM2.5 and PM10 hourly values on
/// the 24-h rows; SO2, NO2, CO and O3 hourly values on the 1-h rows; no O3 8-h term.
pub fn hourly_aqi(input: &HourlyInput, rules: RuleSet) -> AqiResult {
    let mut t = Terms::new(rules);
    t.add_so2_1h(input.so2, input.so2_24h);
    t.add_full(Pollutant::No2, Row::No2_1h, input.no2);
    t.add_full(Pollutant::Pm10, Row::Pm10_24h, input.pm10);
    t.add_full(Pollutant::Pm25, Row::Pm25_24h, input.pm25);
    t.add_full(Pollutant::Co, Row::Co_1h, input.co);
    t.add_full(Pollutant::O3_1h, Row::O3_1h, input.o3);
    t.finish()
}

/// Like [`daily_aqi`], but the first refused input is an error instead of an entry in
/// [`AqiResult::rejected`].
pub fn try_daily_aqi(input: &DailyInput, rules: RuleSet) -> Result<AqiResult, AqiError> {
    let r = daily_aqi(input, rules);
    match r.rejected.first() {
        Some(e) => Err(*e),
        None => Ok(r),
    }
}

/// Like [`hourly_aqi`], but the first refused input is an error.
pub fn try_hourly_aqi(input: &HourlyInput, rules: RuleSet) -> Result<AqiResult, AqiError> {
    let r = hourly_aqi(input, rules);
    match r.rejected.first() {
        Some(e) => Err(*e),
        None => Ok(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn rule_set_by_date() {
        assert_eq!(RuleSet::for_date(d(2026, 2, 28)), RuleSet::Y2012);
        assert_eq!(RuleSet::for_date(d(2026, 3, 1)), RuleSet::Y2026);
        assert_eq!(RuleSet::for_date(d(2013, 1, 1)), RuleSet::Y2012);
    }

    #[test]
    fn worked_examples() {
        let r = daily_aqi(
            &DailyInput {
                pm25: Some(120.0),
                so2: Some(65.0),
                ..Default::default()
            },
            RuleSet::Y2012,
        );
        assert_eq!(r.iaqi(Pollutant::Pm25), Some(158));
        assert_eq!(r.iaqi(Pollutant::So2), Some(58));
        assert_eq!(r.aqi, Some(158));
        assert_eq!(r.primary, vec![Pollutant::Pm25]);
        assert_eq!(r.exceeding, vec![Pollutant::Pm25]);
        let exact = DailyInput {
            pm25: Some(75.0),
            ..Default::default()
        };
        assert_eq!(daily_aqi(&exact, RuleSet::Y2012).aqi, Some(100));
    }

    #[test]
    fn negative_is_rejected() {
        let r = daily_aqi(
            &DailyInput {
                pm25: Some(-1.0),
                pm10: Some(40.0),
                ..Default::default()
            },
            RuleSet::Y2012,
        );
        assert_eq!(r.aqi, Some(40));
        assert_eq!(r.rejected.len(), 1);
        assert!(r.primary.is_empty());
        assert!(try_daily_aqi(&DailyInput::default(), RuleSet::Y2012).is_ok());
        let nan = DailyInput {
            co: Some(f64::NAN),
            ..Default::default()
        };
        assert!(try_daily_aqi(&nan, RuleSet::Y2026).is_err());
    }
}
