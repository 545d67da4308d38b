//! Shared figure helpers: daily statistics from the stored daily indices, the network's time
//! zone, number formatting.
//!
//! Reports read the **indices the compute stage keeps** ([`IndexRecord`]s, hourly and daily)
//! rather than recomputing them from hourly means: a daily index record carries exactly the
//! [`DailyStats`] values (24-h means, O3 daily maximum 1-h and 8-h, each present only when
//! HJ 663's validity rule is met) that [`crate::assess`] computes, so the assessment functions
//! can run on them directly — at a fraction of the cost (one row per station-day instead of
//! 144 hourly values). They are current as long as the compute stage ran (it runs whenever
//! hourly means are written; `lantian compute` recomputes a range).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use enum_map::EnumMap;

use crate::aqi::Pollutant as Term;
use crate::aqi::china::DailyInput;
use crate::assess::{DailyStats, DateRange, Pollutant, round_half_even};
use crate::store::{
    IndexQuery, IndexRecord, IndexStore, ReadingStore, Resolution, StationInfo, Stations,
    StoreError,
};

/// A day without any valid value.
pub const EMPTY_DAY: DailyStats = DailyStats {
    values: DailyInput {
        so2: None,
        no2: None,
        pm10: None,
        pm25: None,
        co: None,
        o3_1h_max: None,
        o3_8h_max: None,
    },
    valid_hours: EnumMap::from_array([0; 6]),
    o3_8h_windows: 0,
};

/// The daily statistics a daily index record was computed from.
pub fn day_stats(r: &IndexRecord) -> DailyStats {
    let c = |t: Term| r.terms[t].map(|t| t.concentration);
    let n = |t: Term| r.terms[t].map_or(0, |t| t.valid);
    DailyStats {
        values: DailyInput::from_fn(c),
        valid_hours: EnumMap::from_fn(|p: Pollutant| n(p.hourly_term())),
        o3_8h_windows: n(Term::O3_8h),
    }
}

/// A UTC span that covers the local days of `range` in any time zone.
pub fn utc_span(range: DateRange) -> (DateTime<Utc>, DateTime<Utc>) {
    let from = (range.first - TimeDelta::days(1)).and_time(Default::default());
    let to = (range.last + TimeDelta::days(2)).and_time(Default::default());
    (from.and_utc(), to.and_utc())
}

/// Every station's daily statistics over `range` from the stored daily indices:
/// `out[i][d]` is `stations[i]` on day `range.first + d` ([`EMPTY_DAY`] when not stored).
pub fn read_daily(
    store: &(impl IndexStore + ?Sized),
    stations: &[StationInfo],
    range: DateRange,
) -> Result<Vec<Vec<DailyStats>>, StoreError> {
    let (from, to) = utc_span(range);
    let records = store.indices(&IndexQuery::new(Resolution::Day, from, to))?;
    let position: HashMap<&str, usize> = stations
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let mut out = vec![vec![EMPTY_DAY; range.days()]; stations.len()];
    for r in &records {
        let Some(&i) = position.get(&*r.station) else {
            continue;
        };
        let date = r.time.with_timezone(&stations[i].time_zone).date_naive();
        if let Some(d) = range.index(date) {
            out[i][d] = day_stats(r);
        }
    }
    Ok(out)
}

/// `period`, a year to date ended at the last local day with data (`NoData` without any).
pub fn resolve_period(
    store: &(impl ReadingStore + ?Sized),
    stations: &[StationInfo],
    period: crate::assess::Period,
) -> Result<crate::assess::Period, super::ReportError> {
    if period.is_resolved() {
        return Ok(period);
    }
    match last_data_day(store, crate::store::network_zone(stations))? {
        Some(day) => Ok(period.with_end(day)?),
        None => Err(super::ReportError::NoData(period.to_string())),
    }
}

/// The last local day with hourly pollutant data in the store (`None` without any).
pub fn last_data_day(
    store: &(impl ReadingStore + ?Sized),
    tz: Tz,
) -> Result<Option<NaiveDate>, StoreError> {
    Ok(store
        .latest_readings(Resolution::Hour, &Stations::All)?
        .iter()
        .filter(|r| Pollutant::try_from(r.parameter).is_ok())
        .map(|r| crate::assess::daily::hour_slot(r.time.with_timezone(&tz).naive_local()).0)
        .max())
}

/// `v` with `decimals` decimals (half to even, as the assessment rounds), or `—`.
pub fn fixed(v: Option<f64>, decimals: u32) -> String {
    match v {
        Some(v) if v.is_finite() => {
            format!("{:.*}", decimals as usize, round_half_even(v, decimals))
        }
        _ => "—".to_string(),
    }
}

/// A share 0–1 as a percentage with one decimal, or `—`.
pub fn percent(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{}%", fixed(Some(v * 100.0), 1)),
        _ => "—".to_string(),
    }
}

/// A signed number with `decimals` decimals (`+0.12`, `−0.30`), or `—`.
pub fn signed(v: Option<f64>, decimals: u32) -> String {
    match v {
        Some(v) if v.is_finite() => {
            let r = round_half_even(v, decimals);
            let s = format!("{:.*}", decimals as usize, r.abs());
            if r > 0.0 {
                format!("+{s}")
            } else if r < 0.0 {
                format!("−{s}")
            } else {
                s
            }
        }
        _ => "—".to_string(),
    }
}

/// The concentration of a pollutant with its customary decimals (CO one, others none).
pub fn concentration(p: Pollutant, v: Option<f64>) -> String {
    fixed(v, if p == Pollutant::Co { 1 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting() {
        assert_eq!(fixed(Some(3.125), 2), "3.12");
        assert_eq!(fixed(None, 2), "—");
        assert_eq!(percent(Some(0.8766)), "87.7%");
        assert_eq!(signed(Some(0.5), 2), "+0.50");
        assert_eq!(signed(Some(-0.304), 2), "−0.30");
        assert_eq!(signed(Some(0.0), 1), "0.0");
        assert_eq!(concentration(Pollutant::Co, Some(1.26)), "1.3");
        assert_eq!(concentration(Pollutant::Pm25, Some(35.5)), "36");
    }
}
