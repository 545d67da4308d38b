//! Stored forecasts: the hourly values and daily AQI a forecast run issued, kept beside the
//! observations they are later compared with (see [`crate::forecast::skill`]).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};

pub(crate) use super::indices::{join_pollutants, split_pollutants};
use super::select::{PAGE_SIZE, PageFn, Stations, TimeSpan, collect};
use super::{Missing, StationId, StoreError};
use crate::aqi::span::{AqiRange, CategorySpan};
use crate::aqi::{Category, Pollutant};
use crate::units::{ForecastTarget, Parameter};

/// What an hourly forecast value is of: a forecast pollutant or the hourly AQI of them.
/// Ordered pm25 < pm10 < o3 < aqi (the order reads return them in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ForecastParameter {
    /// A forecast pollutant's concentration (µg/m³; O3 hourly).
    Target(ForecastTarget),
    /// The hourly AQI (HJ 633) of the forecast pollutants.
    Aqi,
}

impl ForecastParameter {
    /// Every forecast parameter, in the order reads return them.
    pub const ALL: [ForecastParameter; 4] = [
        ForecastParameter::Target(ForecastTarget::Pm25),
        ForecastParameter::Target(ForecastTarget::Pm10),
        ForecastParameter::Target(ForecastTarget::O3),
        ForecastParameter::Aqi,
    ];

    /// The code kept in the store: the target's parameter code (`pm25`, `pm10`, `o3`) or `aqi`.
    pub const fn code(self) -> &'static str {
        match self {
            ForecastParameter::Target(t) => t.code(),
            ForecastParameter::Aqi => "aqi",
        }
    }
}

impl From<ForecastTarget> for ForecastParameter {
    fn from(t: ForecastTarget) -> Self {
        ForecastParameter::Target(t)
    }
}

impl fmt::Display for ForecastParameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Error for an unknown forecast parameter code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown forecast parameter `{0}` (expected pm25, pm10, o3 or aqi)")]
pub struct UnknownForecastParameter(pub String);

impl FromStr for ForecastParameter {
    type Err = UnknownForecastParameter;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ForecastParameter::ALL
            .into_iter()
            .find(|p| p.code() == s)
            .ok_or_else(|| UnknownForecastParameter(s.to_string()))
    }
}

/// One forecast hourly value. Keyed by (`station`, `parameter`, `issued`, `valid`): writing
/// the key again replaces it. Hours a forecast abstained on are not stored (no value is
/// invented); their reason is in the run's [`ForecastDay::missing`].
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastHour {
    /// Station id.
    pub station: StationId,
    /// What is forecast.
    pub parameter: ForecastParameter,
    /// Issue time (UTC): data labelled up to it were used.
    pub issued: DateTime<Utc>,
    /// The hour forecast: its hour-ending label (UTC), like hourly records.
    pub valid: DateTime<Utc>,
    /// The value: µg/m³ for the pollutants, the AQI (a whole number) for [`ForecastParameter::Aqi`].
    pub value: f64,
    /// The model that made it (e.g. `forecast-v1 trained to 2015-03-01`).
    pub model: String,
}

impl ForecastHour {
    /// Hours between issue and valid time.
    pub fn horizon(&self) -> i64 {
        (self.valid - self.issued).num_hours()
    }
}

/// One forecast local day of a station. Keyed by (`station`, `time`, `issued`).
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastDay {
    /// Station id.
    pub station: StationId,
    /// The local date forecast.
    pub date: NaiveDate,
    /// The start of that local day in UTC (the label of daily records and indices).
    pub time: DateTime<Utc>,
    /// Issue time (UTC).
    pub issued: DateTime<Utc>,
    /// Daily AQI (HJ 633) of the forecast statistics; `None` when the station abstained.
    pub aqi: Option<u32>,
    /// Lower end of the published AQI range around [`Self::aqi`] (see
    /// [`crate::forecast::range`]); `None` without a range.
    pub aqi_low: Option<u32>,
    /// Upper end of the AQI range.
    pub aqi_high: Option<u32>,
    /// Primary pollutant(s) (empty when AQI ≤ 50 or without an AQI).
    pub primary: Vec<Pollutant>,
    /// Forecast PM2.5 24-h mean (µg/m³).
    pub pm25: Option<f64>,
    /// Forecast PM10 24-h mean (µg/m³).
    pub pm10: Option<f64>,
    /// Forecast O3 maximum 8-h moving mean (µg/m³).
    pub o3_8h_max: Option<f64>,
    /// The model that made it.
    pub model: String,
    /// Pollutants the forecast abstained on (a required input was missing).
    pub abstained: Vec<ForecastTarget>,
    /// What was missing (inputs that degraded the forecast or made it abstain, where the
    /// climatology came from, pollutants beyond their model's skill).
    pub missing: Vec<Missing>,
}

impl ForecastDay {
    /// The category of the forecast AQI.
    pub fn category(&self) -> Option<Category> {
        self.aqi.map(Category::from_aqi)
    }

    /// The AQI range with its category span (the span follows from the range and the AQI:
    /// [`CategorySpan::of_range`]).
    pub fn range(&self) -> Option<AqiRange> {
        let (aqi, low, high) = (self.aqi?, self.aqi_low?, self.aqi_high?);
        Some(AqiRange {
            low,
            high,
            span: CategorySpan::of_range(low, high, aqi),
        })
    }
}

/// Which time a forecast read selects on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForecastAxis {
    /// The time forecast: [`ForecastHour::valid`] / [`ForecastDay::time`].
    Valid,
    /// The issue time.
    Issued,
}

/// A range read of stored forecasts.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastQuery {
    /// Stations to include.
    pub stations: Stations,
    /// Which time `from` and `to` apply to.
    pub axis: ForecastAxis,
    /// Inclusive start.
    pub from: DateTime<Utc>,
    /// Exclusive end.
    pub to: DateTime<Utc>,
}

impl ForecastQuery {
    /// Every station's forecasts whose `axis` time is in `[from, to)`.
    pub fn new(axis: ForecastAxis, from: DateTime<Utc>, to: DateTime<Utc>) -> ForecastQuery {
        ForecastQuery {
            stations: Stations::All,
            axis,
            from,
            to,
        }
    }

    /// The same query for `stations` only.
    pub fn for_stations(mut self, stations: Stations) -> ForecastQuery {
        self.stations = stations;
        self
    }

    /// Whether the query cannot select anything.
    pub fn is_empty(&self) -> bool {
        self.from >= self.to || self.stations.selects_nothing()
    }
}

/// Where issued forecasts are kept: hourly values keyed by (station, parameter, issued,
/// valid) and daily forecasts keyed by (station, time, issued); a key written again replaces
/// its entry.
pub trait ForecastStore: Send {
    /// Writes issued forecasts. Non-finite values are rejected before anything is written.
    /// Returns how many entries (hours + days) were written.
    fn put_forecasts(
        &mut self,
        hours: &[ForecastHour],
        days: &[ForecastDay],
    ) -> Result<usize, StoreError>;

    /// Hands the hourly forecasts whose valid or issue time (`query.axis`) is in
    /// `[query.from, query.to)` to `each` in pages of at most `page_size`, in the backend's
    /// order.
    fn forecast_hours_paged(
        &self,
        query: &ForecastQuery,
        page_size: usize,
        each: &mut PageFn<'_, ForecastHour>,
    ) -> Result<(), StoreError>;

    /// The daily forecasts selected like [`ForecastStore::forecast_hours_paged`] (the valid
    /// time of a day is the start of its local day), in pages.
    fn forecast_days_paged(
        &self,
        query: &ForecastQuery,
        page_size: usize,
        each: &mut PageFn<'_, ForecastDay>,
    ) -> Result<(), StoreError>;

    /// The earliest and latest issue time of the stored forecasts (hourly and daily).
    fn forecasts_span(&self) -> Result<Option<TimeSpan>, StoreError>;

    /// Hourly forecasts matching `query`, ordered by station, parameter (in
    /// [`ForecastParameter::ALL`] order), issue time, valid time.
    fn forecast_hours(&self, query: &ForecastQuery) -> Result<Vec<ForecastHour>, StoreError> {
        let mut out = collect(|each| self.forecast_hours_paged(query, PAGE_SIZE, each))?;
        sort_hours(&mut out);
        Ok(out)
    }

    /// Daily forecasts matching `query`, ordered by station, day, issue time.
    fn forecast_days(&self, query: &ForecastQuery) -> Result<Vec<ForecastDay>, StoreError> {
        let mut out = collect(|each| self.forecast_days_paged(query, PAGE_SIZE, each))?;
        sort_days(&mut out);
        Ok(out)
    }
}

/// Sorts hours into the trait's order: station, parameter, issued, valid.
pub(crate) fn sort_hours(hours: &mut [ForecastHour]) {
    hours.sort_by(|a, b| {
        (&a.station, a.parameter, a.issued, a.valid).cmp(&(
            &b.station,
            b.parameter,
            b.issued,
            b.valid,
        ))
    });
}

/// Sorts days into the trait's order: station, time, issued.
pub(crate) fn sort_days(days: &mut [ForecastDay]) {
    days.sort_by(|a, b| (&a.station, a.time, a.issued).cmp(&(&b.station, b.time, b.issued)));
}

/// Target codes joined by `;` (the stored form of [`ForecastDay::abstained`]).
pub(crate) fn join_targets(targets: &[ForecastTarget]) -> String {
    targets
        .iter()
        .map(|t| t.code())
        .collect::<Vec<_>>()
        .join(";")
}

/// The inverse of [`join_targets`].
pub(crate) fn split_targets(s: &str) -> Result<Vec<ForecastTarget>, String> {
    s.split(';')
        .filter(|c| !c.is_empty())
        .map(|c| {
            Parameter::from_code(c)
                .ok_or_else(|| format!("unknown parameter `{c}`"))
                .and_then(|p| ForecastTarget::try_from(p).map_err(|e| e.to_string()))
        })
        .collect()
}

/// Checks what a store cannot keep: non-finite values, AQI ranges without their AQI and
/// missing-input names that would not read back ([`Missing::Input`]).
pub(crate) fn check(hours: &[ForecastHour], days: &[ForecastDay]) -> Result<(), String> {
    for h in hours {
        if !h.value.is_finite() {
            return Err(format!(
                "forecast {} {} issued {} for {}: value {} is not finite",
                h.station, h.parameter, h.issued, h.valid, h.value
            ));
        }
    }
    for d in days {
        for v in [d.pm25, d.pm10, d.o3_8h_max].into_iter().flatten() {
            if !v.is_finite() {
                return Err(format!(
                    "daily forecast {} issued {} for {}: value {v} is not finite",
                    d.station, d.issued, d.date
                ));
            }
        }
        let range_ok = match (d.aqi, d.aqi_low, d.aqi_high) {
            (_, None, None) => true,
            (Some(a), Some(lo), Some(hi)) => lo <= a && a <= hi,
            _ => false,
        };
        if !range_ok {
            return Err(format!(
                "daily forecast {} issued {} for {}: AQI range {:?}–{:?} does not hold the AQI {:?}",
                d.station, d.issued, d.date, d.aqi_low, d.aqi_high, d.aqi
            ));
        }
        for m in &d.missing {
            if let Missing::Input(name) = m
                && !Missing::is_input_name(name)
            {
                return Err(format!(
                    "daily forecast {} issued {} for {}: missing-input name `{name}` is not \
                     [a-z0-9_]+",
                    d.station, d.issued, d.date
                ));
            }
        }
    }
    Ok(())
}

/// Ends each name of the stored form of [`ForecastDay::missing`].
pub(crate) const MISSING_SEP: char = '\u{1f}';

/// The stored form of [`ForecastDay::missing`] in SQLite: each entry followed by U+001F.
pub(crate) fn join_missing(m: &[Missing]) -> String {
    m.iter().map(|m| format!("{m}{MISSING_SEP}")).collect()
}

/// The inverse of [`join_missing`].
pub(crate) fn split_missing(s: &str) -> Result<Vec<Missing>, String> {
    s.split_terminator(MISSING_SEP)
        .map(|m| m.parse().map_err(|e: super::UnknownMissing| e.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_keep_their_codes_and_order() {
        let codes: Vec<&str> = ForecastParameter::ALL.map(ForecastParameter::code).to_vec();
        assert_eq!(codes, ["pm25", "pm10", "o3", "aqi"]);
        let mut sorted = ForecastParameter::ALL;
        sorted.sort();
        assert_eq!(sorted, ForecastParameter::ALL);
        for p in ForecastParameter::ALL {
            assert_eq!(p.code().parse::<ForecastParameter>(), Ok(p));
        }
        for bad in ["PM25", "no2", "", "aqi "] {
            assert_eq!(
                bad.parse::<ForecastParameter>(),
                Err(UnknownForecastParameter(bad.to_string()))
            );
        }
    }

    #[test]
    fn abstained_targets_round_trip_and_refuse_other_parameters() {
        let all = ForecastTarget::ALL.to_vec();
        assert_eq!(join_targets(&all), "pm25;pm10;o3");
        assert_eq!(split_targets("pm25;pm10;o3"), Ok(all));
        assert_eq!(split_targets(""), Ok(vec![]));
        assert!(split_targets("pm25;no2").is_err_and(|e| e.contains("no2")));
        assert!(split_targets("pm2.5").is_err_and(|e| e.contains("pm2.5")));
    }
}
