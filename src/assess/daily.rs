//! Daily statistics of one station (HJ 663-2013 § 4 and its data-validity table, GB 3095-2012
//! table 4).
//!
//! # Day boundaries
//!
//! Hourly values are hour-ending: the value labelled `N:00` is the mean over `(N−1:00, N:00]`.
//! A local day `d` therefore holds the hours labelled `d 01:00` … `d 24:00` (= `d+1 00:00`);
//! the hour labelled `00:00` belongs to the *previous* day. [`hour_slot`] maps a local label to
//! its day and slot; slot `i` (0–23) is the hour ending `i+1:00`.
//!
//! # Statistics and their validity
//!
//! - SO2, NO2, PM10, PM2.5, CO: the 24-h mean, valid with ≥ 20 hourly values.
//! - O3: the daily maximum 1-h value, and the daily maximum 8-h moving mean. The 8-h moving mean
//!   at hour X is the mean of hours X−7 … X, valid with ≥ 6 hourly values. The daily maximum is
//!   taken over the 17 windows ending 08:00 … 24:00 of the day; it is valid with ≥ 14 valid
//!   windows, or with fewer when the maximum already exceeds the 8-h limit (GB 3095-2012
//!   Grade II, 160 µg/m³; "exceeds" = strictly greater).
//!
//! The window ending 08:00 spans the hours ending 01:00 … 08:00, i.e. exactly the day's first
//! eight slots, and the window ending 24:00 its last eight: **all 17 windows lie inside the day**,
//! so no hour of the previous day is used (HJ 663 defines the daily maximum 8-h over the windows
//! "from 8:00 to 24:00 of the day", and a window ending at 8:00 starts after 0:00). Windows ending
//! 01:00 … 07:00, which would reach into the previous day, are not part of the daily statistic.
//!
//! HJ 663 gives no validity rule for the daily maximum 1-h O3 (its 1-h row only concerns how an
//! hourly value is formed); [`DailyRules::min_hours_o3_1h`] defaults to 1 (any valid hour) and is
//! configurable — *unverified*.
//!
//! The 2026 editions: the reference lists no change to these averaging or validity rules, so
//! [`DailyRules::for_rule_set`] returns the same rules for both rule sets (*unverified against the
//! official 2026 text*).

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use enum_map::EnumMap;

use super::Pollutant;
use crate::aqi::china::{DailyInput, RuleSet};

/// The hourly values of one pollutant over one local day: slot `i` is the hour ending `i+1:00`
/// (slot 0 = 01:00, slot 23 = 24:00). `NaN` (or any non-finite value) = missing.
pub type DayHours = [f64; 24];

/// An empty day (every hour missing).
pub const MISSING_DAY: DayHours = [f64::NAN; 24];

/// Number of 8-h windows in the daily maximum (ending 08:00 … 24:00).
pub const O3_8H_WINDOWS: usize = 17;

/// The validity rules of the daily statistics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DailyRules {
    /// Hourly values a 24-h mean needs (20).
    pub min_hours_24h: u8,
    /// Hourly values an 8-h moving mean needs (6).
    pub min_hours_8h: u8,
    /// Valid 8-h windows (of 17) the daily maximum 8-h O3 needs (14).
    pub min_windows_o3_8h: u8,
    /// The 8-h O3 limit above which a daily maximum from fewer windows is still valid (160).
    pub o3_8h_limit: f64,
    /// Hourly values the daily maximum 1-h O3 needs (1; *unverified*, see the module docs).
    pub min_hours_o3_1h: u8,
}

impl DailyRules {
    /// HJ 663-2013 / GB 3095-2012.
    pub const HJ663_2013: DailyRules = DailyRules {
        min_hours_24h: 20,
        min_hours_8h: 6,
        min_windows_o3_8h: 14,
        o3_8h_limit: 160.0,
        min_hours_o3_1h: 1,
    };

    /// The rules of a rule set (the same for both; see the module docs).
    pub const fn for_rule_set(rules: RuleSet) -> DailyRules {
        match rules {
            RuleSet::Y2012 | RuleSet::Y2026 => DailyRules::HJ663_2013,
        }
    }
}

impl Default for DailyRules {
    fn default() -> Self {
        DailyRules::HJ663_2013
    }
}

/// One station-day's statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DailyStats {
    /// The statistics HJ 633's daily AQI and HJ 663's period statistics use; `None` = not valid.
    pub values: DailyInput,
    /// Valid hourly values per pollutant.
    pub valid_hours: EnumMap<Pollutant, u8>,
    /// Valid 8-h O3 windows among the 17 ending 08:00 … 24:00.
    pub o3_8h_windows: u8,
}

impl DailyStats {
    /// The daily value a pollutant contributes to period statistics: the 24-h mean, or for O3
    /// the daily maximum 8-h moving mean.
    pub fn value(&self, p: Pollutant) -> Option<f64> {
        self.values.get(p.daily_term())
    }
}

/// The local day and slot (0–23) of an hour-ending label in local time: the hour labelled
/// `d 00:00` is slot 23 of day `d−1`.
pub fn hour_slot(label: NaiveDateTime) -> (NaiveDate, usize) {
    let start = label - TimeDelta::hours(1);
    (start.date(), start.hour() as usize)
}

/// Local midnight starting `day` in `tz`, in UTC: the start of the local day whose hours are
/// labelled `day 01:00` … `day+1 00:00`. Where midnight does not exist (a DST change at
/// midnight) the day starts at the first local instant after it.
pub fn local_midnight(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let naive = day.and_time(Default::default());
    (0..3)
        .find_map(|h| {
            tz.from_local_datetime(&(naive + TimeDelta::hours(h)))
                .earliest()
        })
        .map_or_else(|| naive.and_utc(), |t| t.to_utc())
}

/// The 24-h mean of a day's hours and the number of valid hours; the mean is `None` with fewer
/// than `min_hours` values.
pub fn mean_24h(hours: &DayHours, min_hours: u8) -> (Option<f64>, u8) {
    let mut sum = 0.0;
    let mut n = 0u8;
    for &v in hours {
        if v.is_finite() {
            sum += v;
            n += 1;
        }
    }
    let mean = (n > 0 && n >= min_hours).then(|| sum / f64::from(n));
    (mean, n)
}

/// The 8-h moving means ending 08:00 … 24:00 (window `j` spans slots `j ..= j+7`); `NaN` where
/// fewer than `min_hours` values.
#[inline]
pub fn o3_8h_means(hours: &DayHours, min_hours: u8) -> [f64; O3_8H_WINDOWS] {
    let mut out = [f64::NAN; O3_8H_WINDOWS];
    // Each window is summed directly (17 × 8 additions) rather than by a running sum, so that
    // every mean is bit-identical to a plain mean of its hours, free of add/subtract drift.
    for (j, slot) in out.iter_mut().enumerate() {
        let mut sum = 0.0;
        let mut n = 0u8;
        for &v in &hours[j..j + 8] {
            if v.is_finite() {
                sum += v;
                n += 1;
            }
        }
        if n > 0 && n >= min_hours {
            *slot = sum / f64::from(n);
        }
    }
    out
}

/// The daily maximum 8-h O3 and the number of valid windows.
pub fn o3_8h_max(hours: &DayHours, rules: &DailyRules) -> (Option<f64>, u8) {
    let means = o3_8h_means(hours, rules.min_hours_8h);
    let mut max = f64::NEG_INFINITY;
    let mut n = 0u8;
    for m in means {
        if !m.is_nan() {
            n += 1;
            if m > max {
                max = m;
            }
        }
    }
    let valid = n > 0 && (n >= rules.min_windows_o3_8h || max > rules.o3_8h_limit);
    (valid.then_some(max), n)
}

/// The daily maximum 1-h value (`None` with fewer than `min_hours` values).
pub fn max_1h(hours: &DayHours, min_hours: u8) -> Option<f64> {
    let mut max = f64::NEG_INFINITY;
    let mut n = 0u8;
    for &v in hours {
        if v.is_finite() {
            n += 1;
            if v > max {
                max = v;
            }
        }
    }
    (n > 0 && n >= min_hours).then_some(max)
}

/// The statistics of one station-day from its hourly values.
pub fn daily_stats(hours: &EnumMap<Pollutant, DayHours>, rules: &DailyRules) -> DailyStats {
    let mut valid_hours = EnumMap::default();
    let mut means = EnumMap::<Pollutant, Option<f64>>::default();
    for p in [
        Pollutant::So2,
        Pollutant::No2,
        Pollutant::Pm10,
        Pollutant::Pm25,
        Pollutant::Co,
    ] {
        (means[p], valid_hours[p]) = mean_24h(&hours[p], rules.min_hours_24h);
    }
    let o3 = &hours[Pollutant::O3];
    valid_hours[Pollutant::O3] = o3.iter().filter(|v| v.is_finite()).count() as u8;
    let (o3_8h_max, o3_8h_windows) = o3_8h_max(o3, rules);
    DailyStats {
        values: DailyInput {
            so2: means[Pollutant::So2],
            no2: means[Pollutant::No2],
            pm10: means[Pollutant::Pm10],
            pm25: means[Pollutant::Pm25],
            co: means[Pollutant::Co],
            o3_1h_max: max_1h(o3, rules.min_hours_o3_1h),
            o3_8h_max,
        },
        valid_hours,
        o3_8h_windows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_midnight_in_the_network_zone() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let utc = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        assert_eq!(
            local_midnight(d, chrono_tz::Asia::Shanghai),
            utc("2026-11-26T16:00:00Z")
        );
        // Santiago skipped 2022-09-11 00:00 (clocks went to 01:00): the day starts at 01:00.
        let gap = NaiveDate::from_ymd_opt(2022, 9, 11).unwrap();
        assert_eq!(
            local_midnight(gap, chrono_tz::America::Santiago),
            utc("2022-09-11T04:00:00Z")
        );
    }

    fn day(values: &[(usize, f64)]) -> DayHours {
        let mut d = MISSING_DAY;
        for &(i, v) in values {
            d[i] = v;
        }
        d
    }

    fn full(v: f64) -> DayHours {
        [v; 24]
    }

    #[test]
    fn mean_needs_20_hours() {
        let mut d = MISSING_DAY;
        for (i, slot) in d.iter_mut().enumerate().take(19) {
            *slot = i as f64;
        }
        assert_eq!(mean_24h(&d, 20), (None, 19));
        d[19] = 19.0;
        assert_eq!(mean_24h(&d, 20), (Some(9.5), 20));
        // Non-finite values are missing.
        d[20] = f64::INFINITY;
        assert_eq!(mean_24h(&d, 20), (Some(9.5), 20));
    }

    #[test]
    fn eight_hour_window_needs_6_hours() {
        // Window 0 spans slots 0..=7 (hours ending 01:00 … 08:00).
        let five = day(&[(0, 10.0), (1, 10.0), (2, 10.0), (3, 10.0), (7, 40.0)]);
        assert!(o3_8h_means(&five, 6)[0].is_nan());
        let six = day(&[
            (0, 10.0),
            (1, 10.0),
            (2, 10.0),
            (3, 10.0),
            (4, 10.0),
            (7, 40.0),
        ]);
        assert_eq!(o3_8h_means(&six, 6)[0], 15.0);
        // Slot 8 (hour ending 09:00) is not in the window ending 08:00.
        let mut nine = six;
        nine[8] = 1000.0;
        assert_eq!(o3_8h_means(&nine, 6)[0], 15.0);
        // The last window spans slots 16..=23 (ending 24:00).
        let last = day(&[
            (15, 1000.0),
            (16, 1.0),
            (17, 1.0),
            (18, 1.0),
            (19, 1.0),
            (20, 1.0),
            (23, 7.0),
        ]);
        assert_eq!(o3_8h_means(&last, 6)[16], 2.0);
    }

    /// O3 at `v` everywhere except slots `from..24` missing.
    fn o3_missing_from(v: f64, from: usize) -> DayHours {
        let mut d = full(v);
        for slot in &mut d[from..] {
            *slot = f64::NAN;
        }
        d
    }

    #[test]
    fn daily_max_8h_needs_14_windows() {
        let rules = DailyRules::HJ663_2013;
        // Slots 19..23 missing: windows 14..16 have ≤ 5 hours → 14 valid windows.
        assert_eq!(
            o3_8h_max(&o3_missing_from(100.0, 19), &rules),
            (Some(100.0), 14)
        );
        // Slots 18..23 missing: 13 valid windows → not valid.
        assert_eq!(o3_8h_max(&o3_missing_from(100.0, 18), &rules), (None, 13));
        assert_eq!(o3_8h_max(&full(100.0), &rules), (Some(100.0), 17));
        assert_eq!(o3_8h_max(&MISSING_DAY, &rules), (None, 0));
    }

    #[test]
    fn daily_max_8h_exception_above_the_limit() {
        let rules = DailyRules::HJ663_2013;
        // 13 windows but the maximum exceeds 160 → valid.
        assert_eq!(
            o3_8h_max(&o3_missing_from(170.0, 18), &rules),
            (Some(170.0), 13)
        );
        // Exactly the limit does not exceed it.
        assert_eq!(o3_8h_max(&o3_missing_from(160.0, 18), &rules), (None, 13));
        let mut d = o3_missing_from(150.0, 18);
        d[10] = 150.0 + 8.0 * 10.5; // windows containing slot 10 average 160.5
        assert_eq!(o3_8h_max(&d, &rules).0, Some(160.5));
        // One valid window only, above the limit: still valid.
        let one = day(&[
            (0, 200.0),
            (1, 200.0),
            (2, 200.0),
            (3, 200.0),
            (4, 200.0),
            (5, 200.0),
        ]);
        assert_eq!(o3_8h_max(&one, &rules), (Some(200.0), 1));
    }

    #[test]
    fn daily_stats_of_a_day() {
        let mut hours = EnumMap::from_fn(|_| full(10.0));
        hours[Pollutant::Co] = full(0.75);
        hours[Pollutant::O3] = day(&[(13, 180.0), (14, 200.0)]);
        let s = daily_stats(&hours, &DailyRules::HJ663_2013);
        assert_eq!(s.values.so2, Some(10.0));
        assert_eq!(s.values.co, Some(0.75));
        assert_eq!(s.values.o3_1h_max, Some(200.0));
        assert_eq!(s.values.o3_8h_max, None);
        assert_eq!(s.valid_hours.into_array(), [24, 24, 24, 24, 24, 2]);
        assert_eq!(s.o3_8h_windows, 0);
        assert_eq!(s.value(Pollutant::O3), None);
        assert_eq!(s.value(Pollutant::Pm25), Some(10.0));
    }

    #[test]
    fn hour_ending_labels_fall_into_local_days() {
        let d = |y, m, dd, h| {
            NaiveDate::from_ymd_opt(y, m, dd)
                .and_then(|x| x.and_hms_opt(h, 0, 0))
                .expect("valid")
        };
        let day = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).expect("valid");
        assert_eq!(hour_slot(d(2016, 1, 2, 0)), (day(2016, 1, 1), 23));
        assert_eq!(hour_slot(d(2016, 1, 2, 1)), (day(2016, 1, 2), 0));
        assert_eq!(hour_slot(d(2016, 1, 2, 8)), (day(2016, 1, 2), 7));
        assert_eq!(hour_slot(d(2016, 3, 1, 0)), (day(2016, 2, 29), 23));
        assert_eq!(hour_slot(d(2016, 1, 1, 0)), (day(2015, 12, 31), 23));
    }

    #[test]
    fn rules_are_the_same_for_2026() {
        assert_eq!(
            DailyRules::for_rule_set(RuleSet::Y2026),
            DailyRules::HJ663_2013
        );
        assert_eq!(
            DailyRules::for_rule_set(RuleSet::Y2012),
            DailyRules::default()
        );
    }
}
