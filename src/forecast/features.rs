//! The feature vector of a forecast issued at hour `t` for hour `t + h`, built only from
//! records labelled at or before `t` (hour-ending labels: the hour ending at `t` is known at
//! `t`), the calendar, and the training period's climatology.
//!
//! Pollutant values enter on the model's [`Scale`] (µg/m³ or √). A feature
//! whose inputs are missing is `NaN` and named in [`FeatureRow::missing`]: training drops such
//! samples; a forecast abstains when a *required* feature is missing and otherwise degrades
//! (see [`super::model`]) — nothing is ever filled with zero.

use std::f64::consts::TAU;

use chrono::{Datelike, TimeDelta, Timelike};
use enum_map::EnumMap;

use super::Target;
use super::climatology::Climatology;
use super::missing::REQUIRED;
use super::series::Grid;
use super::weather::{ForecastWeather, WeatherVar, dew_point_from_rh, wind_components};
use crate::units::Parameter;

/// Feature names, in vector order: the [`BASE_FEATURES`] issue-time features, then the
/// forecast-weather features (used by the weather variant only).
pub const FEATURE_NAMES: [&str; 47] = [
    "lag0",
    "lag1",
    "lag2",
    "lag3",
    "lag4",
    "lag5",
    "lag11",
    "lag23",
    "mean6",
    "mean24",
    "net0",
    "net_change3",
    "net_mean24",
    "clim_target",
    "clim_now",
    "hour_sin",
    "hour_cos",
    "hour2_sin",
    "hour2_cos",
    "issue_hour_sin",
    "issue_hour_cos",
    "dow_sin",
    "dow_cos",
    "doy_sin",
    "doy_cos",
    "horizon",
    "u",
    "v",
    "u_mean6",
    "v_mean6",
    "ws",
    "temp",
    "dewp_depression",
    "pres_tend3",
    "pres_tend24",
    "rain6",
    "u_x_lag0",
    "v_x_lag0",
    "fw_u",
    "fw_v",
    "fw_ws",
    "fw_temp",
    "fw_dewp_depression",
    "fw_pres_change",
    "fw_rain",
    "fw_v_x_lag0",
    "fw_ws_x_lag0",
];

/// How many leading features use information available at issue time only.
pub const BASE_FEATURES: usize = 38;

/// The features a model uses: the issue-time ones, and the forecast-weather ones with `weather`.
pub fn feature_count(weather: bool) -> usize {
    if weather {
        FEATURE_NAMES.len()
    } else {
        BASE_FEATURES
    }
}

/// One feature vector and the names of the features that could not be computed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureRow {
    /// Values in [`FEATURE_NAMES`] order; `NaN` where missing.
    pub values: Vec<f64>,
    /// Names of the missing features.
    pub missing: Vec<&'static str>,
}

impl FeatureRow {
    /// Whether a required feature is missing.
    pub fn lacks_required(&self) -> bool {
        self.missing.iter().any(|m| REQUIRED.contains(m))
    }

    /// The missing features among the first `width` (those a model uses).
    pub fn missing_among(&self, width: usize) -> Vec<&'static str> {
        self.missing
            .iter()
            .copied()
            .filter(|m| FEATURE_NAMES[..width].contains(m))
            .collect()
    }
}

/// What features are computed from: the grid, the network means and the climatology.
#[derive(Debug)]
pub struct FeatureContext<'a> {
    /// The observations.
    pub grid: &'a Grid,
    /// The training period's climatology.
    pub climatology: &'a Climatology,
    /// Network mean of each target per hour (`NaN` when fewer than half the stations report).
    network: EnumMap<Target, Vec<f64>>,
    /// Forecast weather, when there is some (the weather variant's input).
    weather: Option<&'a ForecastWeather>,
}

/// The scale pollutant values (features and target) enter a model on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// µg/m³ as measured.
    Identity,
    /// √(µg/m³): steadier variance, positive forecasts.
    Sqrt,
    /// ln(1 + µg/m³): for the skewed daily means.
    Log,
}

impl Scale {
    /// Transforms a concentration.
    pub fn apply(self, v: f64) -> f64 {
        match self {
            Scale::Identity => v,
            // `f64::max` would turn a missing (NaN) value into 0: keep it missing.
            Scale::Sqrt if v.is_nan() => f64::NAN,
            Scale::Sqrt => v.max(0.0).sqrt(),
            Scale::Log if v.is_nan() => f64::NAN,
            Scale::Log => v.max(0.0).ln_1p(),
        }
    }
}

impl<'a> FeatureContext<'a> {
    /// Prepares the network means.
    pub fn new(grid: &'a Grid, climatology: &'a Climatology) -> FeatureContext<'a> {
        let need = grid.stations.len().div_ceil(2).max(1);
        let network = EnumMap::from_fn(|t: Target| {
            (0..grid.len)
                .map(|i| {
                    let (mut s, mut n) = (0.0, 0usize);
                    for si in 0..grid.stations.len() {
                        if let Some(v) = grid.get(si, t.parameter(), i) {
                            s += v;
                            n += 1;
                        }
                    }
                    if n >= need { s / n as f64 } else { f64::NAN }
                })
                .collect()
        });
        FeatureContext {
            grid,
            climatology,
            network,
            weather: None,
        }
    }

    /// Adds forecast weather (the weather variant's input).
    pub fn with_weather(mut self, weather: &'a ForecastWeather) -> FeatureContext<'a> {
        self.weather = Some(weather);
        self
    }

    /// The forecast weather, if any.
    pub fn weather(&self) -> Option<&'a ForecastWeather> {
        self.weather
    }

    fn at(&self, s: usize, p: Parameter, t: usize, back: usize) -> f64 {
        t.checked_sub(back)
            .and_then(|i| self.grid.get(s, p, i))
            .unwrap_or(f64::NAN)
    }

    /// Mean of `p` over hours `t-n+1 ..= t` when at least `need` are present.
    fn mean(&self, s: usize, p: Parameter, t: usize, n: usize, need: usize) -> f64 {
        let (mut sum, mut k) = (0.0, 0);
        for b in 0..n {
            let v = self.at(s, p, t, b);
            if v.is_finite() {
                sum += v;
                k += 1;
            }
        }
        if k >= need { sum / k as f64 } else { f64::NAN }
    }

    fn net(&self, target: Target, t: usize, back: usize) -> f64 {
        let series = &self.network[target];
        t.checked_sub(back)
            .and_then(|i| series.get(i).copied())
            .unwrap_or(f64::NAN)
    }

    /// Wind components (u eastward, v northward: the direction the air moves to) at hour `i`.
    fn wind(&self, s: usize, t: usize, back: usize) -> (f64, f64) {
        wind_components(
            self.at(s, Parameter::WindSpeed, t, back),
            self.at(s, Parameter::WindDirection, t, back),
        )
    }

    /// Dew point at an hour: measured, or from temperature and relative humidity (Magnus).
    fn dew_point(&self, s: usize, t: usize) -> f64 {
        let d = self.at(s, Parameter::DewPoint, t, 0);
        if d.is_finite() {
            return d;
        }
        dew_point_from_rh(
            self.at(s, Parameter::Temperature, t, 0),
            self.at(s, Parameter::Humidity, t, 0),
        )
    }

    /// The features of station `s` issued at hour index `t` for `t + h`; forecast weather
    /// is averaged over the 12 hours up to the valid time (after the issue time).
    pub fn row(&self, s: usize, t: usize, target: Target, h: u32, scale: Scale) -> FeatureRow {
        let v = t + h as usize;
        self.row_window(
            s,
            t,
            target,
            h,
            scale,
            ((t + 1).max(v.saturating_sub(11)), v),
        )
    }

    /// [`Self::row`] with the forecast weather averaged over hour indices `[a, b]`.
    pub fn row_window(
        &self,
        s: usize,
        t: usize,
        target: Target,
        h: u32,
        scale: Scale,
        (a, b): (usize, usize),
    ) -> FeatureRow {
        let sq = |v: f64| scale.apply(v);
        let p = target.parameter();
        let grid = self.grid;
        let issue = grid.time_of(t);
        let valid = issue + TimeDelta::hours(i64::from(h));
        let local_valid = valid.with_timezone(&grid.tz);
        let local_issue = issue.with_timezone(&grid.tz);
        let station = grid.stations[s].as_str();

        let lag = |b: usize| sq(self.at(s, p, t, b));
        let lag0 = lag(0);
        let net0 = self.net(target, t, 0);
        let net3 = self.net(target, t, 3);
        let net_mean24 = {
            let v: Vec<f64> = (0..24)
                .map(|b| self.net(target, t, b))
                .filter(|v| v.is_finite())
                .collect();
            if v.len() >= 18 {
                v.iter().sum::<f64>() / v.len() as f64
            } else {
                f64::NAN
            }
        };
        let clim = |when| {
            self.climatology
                .value(station, target, when, grid.tz)
                .map(sq)
                .unwrap_or(f64::NAN)
        };
        let hour_v = f64::from(local_valid.hour()) / 24.0;
        let hour_i = f64::from(local_issue.hour()) / 24.0;
        let dow = f64::from(local_valid.weekday().num_days_from_monday()) / 7.0;
        let doy = f64::from(local_issue.ordinal0()) / 365.25;
        let (u, v) = self.wind(s, t, 0);
        let (mut us, mut vs, mut nw) = (0.0, 0.0, 0);
        for b in 0..6 {
            let (a, c) = self.wind(s, t, b);
            if a.is_finite() && c.is_finite() {
                us += a;
                vs += c;
                nw += 1;
            }
        }
        let (u6, v6) = if nw >= 4 {
            (us / f64::from(nw), vs / f64::from(nw))
        } else {
            (f64::NAN, f64::NAN)
        };
        let temp = self.at(s, Parameter::Temperature, t, 0);
        let pres = self.at(s, Parameter::Pressure, t, 0);
        let rain6 = {
            let m = self.mean(s, Parameter::Rain, t, 6, 4);
            m * 6.0
        };
        let mut values = vec![
            lag0,
            lag(1),
            lag(2),
            lag(3),
            lag(4),
            lag(5),
            lag(11),
            lag(23),
            sq(self.mean(s, p, t, 6, 4)),
            sq(self.mean(s, p, t, 24, 18)),
            sq(net0),
            sq(net0) - sq(net3),
            sq(net_mean24),
            clim(valid),
            clim(issue),
            (TAU * hour_v).sin(),
            (TAU * hour_v).cos(),
            (2.0 * TAU * hour_v).sin(),
            (2.0 * TAU * hour_v).cos(),
            (TAU * hour_i).sin(),
            (TAU * hour_i).cos(),
            (TAU * dow).sin(),
            (TAU * dow).cos(),
            (TAU * doy).sin(),
            (TAU * doy).cos(),
            f64::from(h) / 72.0,
            u,
            v,
            u6,
            v6,
            self.at(s, Parameter::WindSpeed, t, 0),
            temp,
            temp - self.dew_point(s, t),
            pres - self.at(s, Parameter::Pressure, t, 3),
            pres - self.at(s, Parameter::Pressure, t, 24),
            rain6,
            u6 * lag0,
            v6 * lag0,
        ];
        let fw = |var| self.weather.map_or(f64::NAN, |w| w.mean(s, var, a, b));
        let (fu, fv, fws) = (
            fw(WeatherVar::U),
            fw(WeatherVar::V),
            fw(WeatherVar::WindSpeed),
        );
        values.extend([
            fu,
            fv,
            fws,
            fw(WeatherVar::Temperature),
            fw(WeatherVar::Temperature) - fw(WeatherVar::DewPoint),
            fw(WeatherVar::Pressure) - pres,
            fw(WeatherVar::Rain) * (b + 1).saturating_sub(a) as f64,
            fv * lag0,
            fws * lag0,
        ]);
        debug_assert_eq!(values.len(), FEATURE_NAMES.len());
        let missing = values
            .iter()
            .zip(FEATURE_NAMES)
            .filter(|(v, _)| !v.is_finite())
            .map(|(_, n)| n)
            .collect();
        FeatureRow { values, missing }
    }
}
