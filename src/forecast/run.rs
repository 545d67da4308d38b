//! One forecast run: at an issue time, for each station, hourly PM2.5, PM10 and O3 for
//! 1–72 h ahead with their hourly AQI and category, and daily AQI and category for the next
//! local days. A target whose recent values are missing is not forecast (abstains); missing
//! weather or network inputs degrade the forecast and are listed; horizons whose models showed
//! no skill over the climatology or persistence are not published.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, TimeDelta, Timelike, Utc};
use enum_map::EnumMap;
use serde::Serialize;

use super::dataset::{day_climatology, day_horizon, day_start};
use super::features::FeatureContext;
use super::model::{DAILY_LEADS, ModelSet, predict};
use super::range::RangeOf;
use super::{MAX_HORIZON, Target};
use crate::aqi::Category;
use crate::aqi::china::{DailyInput, HourlyInput, RuleSet, daily_aqi, hourly_aqi};
use crate::aqi::span::AqiRange;

/// One forecast hour.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HourForecast {
    /// Hours ahead.
    pub horizon: u32,
    /// Label time (hour-ending, UTC).
    pub time: DateTime<Utc>,
    /// PM2.5, PM10, O3 (µg/m³); `None` where the forecast abstained.
    pub pm25: Option<f64>,
    /// PM10.
    pub pm10: Option<f64>,
    /// O3.
    pub o3: Option<f64>,
    /// Hourly AQI (HJ 633) of the forecast pollutants.
    pub aqi: Option<u32>,
    /// Its category.
    #[serde(serialize_with = "ser_category")]
    pub category: Option<Category>,
}

impl HourForecast {
    /// The forecast of one target.
    pub const fn get(&self, target: Target) -> Option<f64> {
        match target {
            Target::Pm25 => self.pm25,
            Target::Pm10 => self.pm10,
            Target::O3 => self.o3,
        }
    }
}

/// One forecast local day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayForecast {
    /// Local date.
    pub date: NaiveDate,
    /// Daily statistics of the forecast hours (24-h means; O3 maximum 8-h mean).
    pub pm25: Option<f64>,
    /// PM10 24-h mean.
    pub pm10: Option<f64>,
    /// O3 maximum 8-h moving mean.
    pub o3_8h_max: Option<f64>,
    /// Daily AQI (HJ 633) of these three.
    pub aqi: Option<u32>,
    /// Its category.
    #[serde(serialize_with = "ser_category")]
    pub category: Option<Category>,
    /// The AQI range and category span around the AQI (see [`super::range`]), when the model
    /// set has an interval for this lead day and issue hour.
    pub range: Option<AqiRange>,
}

fn ser_category<S: serde::Serializer>(c: &Option<Category>, s: S) -> Result<S::Ok, S::Error> {
    match c {
        Some(c) => s.serialize_str(&format!("{c:?}")),
        None => s.serialize_none(),
    }
}

/// The forecast of one station.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StationForecast {
    /// Station id.
    pub station: String,
    /// Issue time (UTC; data labelled up to it were used).
    pub issued: DateTime<Utc>,
    /// Hours 1..=72.
    pub hours: Vec<HourForecast>,
    /// Tomorrow and the day after (local days), when covered.
    pub days: Vec<DayForecast>,
    /// Targets not forecast because a required input (recent values) was missing.
    pub abstained: Vec<Target>,
    /// Per target, the first horizon not published because its model showed no skill over
    /// the climatology or persistence on the validation part of the training period (daily
    /// statistics of such models are left out too).
    pub beyond_skill: BTreeMap<Target, u32>,
    /// Inputs that were missing (forecast degraded, or abstained for the targets above).
    pub missing: BTreeSet<&'static str>,
}

/// Forecasts station `s` of the context's grid from hour index `t` (the issue time's label).
///
/// The days come from the daily models when the set has them (from the hourly forecasts
/// otherwise). With a forecast-weather model set, the context must carry forecast weather
/// covering the hours ahead (hours without it are degraded and reported as missing inputs).
pub fn forecast_station(
    ctx: &FeatureContext<'_>,
    models: &ModelSet,
    s: usize,
    t: usize,
) -> StationForecast {
    let grid = ctx.grid;
    let issued = grid.time_of(t);
    let mut missing = BTreeSet::new();
    let mut abstained = Vec::new();
    let mut beyond_skill = BTreeMap::new();
    let mut values: EnumMap<Target, Vec<Option<f64>>> = EnumMap::default();
    for target in Target::ALL {
        let mut out = Vec::with_capacity(MAX_HORIZON as usize);
        let mut abstain = false;
        for h in 1..=MAX_HORIZON {
            let v = match models.model(target, h) {
                Some(m) if !m.fit.skilful() => {
                    beyond_skill.entry(target).or_insert(h);
                    None
                }
                Some(m) => {
                    let row = ctx.row(s, t, target, h, m.fit.scale);
                    let p = m.predict(&row);
                    missing.extend(p.missing.iter().copied());
                    abstain |= p.value.is_none();
                    p.value
                }
                None => None,
            };
            out.push(v);
        }
        if abstain {
            abstained.push(target);
        }
        values[target] = out;
    }
    let mut hours = Vec::with_capacity(MAX_HORIZON as usize);
    for h in 1..=MAX_HORIZON {
        let i = (h - 1) as usize;
        let time = issued + TimeDelta::hours(i64::from(h));
        let (pm25, pm10, o3) = (
            values[Target::Pm25][i],
            values[Target::Pm10][i],
            values[Target::O3][i],
        );
        let local = time.with_timezone(&grid.tz).date_naive();
        let r = hourly_aqi(
            &HourlyInput {
                pm25,
                pm10,
                o3,
                ..Default::default()
            },
            RuleSet::for_date(local),
        );
        hours.push(HourForecast {
            horizon: h,
            time,
            pm25,
            pm10,
            o3,
            aqi: r.aqi,
            category: r.category,
        });
    }
    let mut days = daily_from_hours(&hours, grid.tz, issued);
    if !models.daily.is_empty() {
        days = daily_from_models(ctx, models, s, t, &mut missing);
    }
    let local = issued.with_timezone(&grid.tz);
    for d in &mut days {
        let lead = (d.date - local.date_naive()).num_days();
        d.range = d.aqi.zip(u32::try_from(lead).ok()).and_then(|(aqi, lead)| {
            models
                .aqi_range
                .range(RangeOf::Model, lead, local.hour(), aqi)
        });
    }
    StationForecast {
        station: grid.stations[s].clone(),
        issued,
        hours,
        days,
        abstained,
        beyond_skill,
        missing,
    }
}

/// The next local days from the daily models (a target abstains as its hourly models do),
/// without their ranges.
pub fn daily_from_models(
    ctx: &FeatureContext<'_>,
    models: &ModelSet,
    s: usize,
    t: usize,
    missing: &mut BTreeSet<&'static str>,
) -> Vec<DayForecast> {
    let mut days = Vec::new();
    for lead in DAILY_LEADS {
        let Some((first, date)) = day_start(ctx.grid, t, lead) else {
            continue;
        };
        let h = day_horizon(t, first);
        let stat = |target: Target, missing: &mut BTreeSet<&'static str>| {
            let m = models.daily_model(target, lead)?;
            let row = ctx.row_window(s, t, target, h, m.fit.scale, (first, first + 23));
            let clim = day_climatology(ctx, s, target, first).unwrap_or(f64::NAN);
            let p = predict(&m.fit, &row, clim);
            missing.extend(p.missing.iter().copied());
            p.value
        };
        let stats = DayStats::from_fn(|target| stat(target, missing));
        days.push(stats.into_forecast(date));
    }
    days
}

impl DayForecast {
    /// The forecast daily statistics.
    pub const fn stats(&self) -> DayStats {
        DayStats {
            pm25: self.pm25,
            pm10: self.pm10,
            o3_8h_max: self.o3_8h_max,
        }
    }
}

/// The local days fully covered by `hours` after the issue day: hour-ending labels
/// 01:00 … 24:00 local.
fn daily_from_hours(
    hours: &[HourForecast],
    tz: chrono_tz::Tz,
    issued: DateTime<Utc>,
) -> Vec<DayForecast> {
    let issue_day = issued.with_timezone(&tz).date_naive();
    let mut days = Vec::new();
    for d in 1..=2 {
        let date = issue_day + TimeDelta::days(d);
        let sel: Vec<&HourForecast> = hours
            .iter()
            .filter(|f| label_day(f.time, tz) == date)
            .collect();
        if sel.len() < 24 {
            continue;
        }
        let stats = DayStats::from_fn(|t| {
            day_statistic(t, &sel.iter().map(|f| f.get(t)).collect::<Vec<_>>())
        });
        days.push(stats.into_forecast(date));
    }
    days
}

/// The local day an hour-ending label belongs to (the hour ending at 00:00 closes the day before).
pub fn label_day(t: DateTime<Utc>, tz: chrono_tz::Tz) -> NaiveDate {
    let l = t.with_timezone(&tz);
    let d = l.date_naive();
    if l.hour() == 0 && l.minute() == 0 {
        d - TimeDelta::days(1)
    } else {
        d
    }
}

/// 24 hourly values (hour-ending 01..24) of one day, per target.
#[derive(Debug, Clone, Default)]
pub struct DayValues(pub EnumMap<Target, Vec<Option<f64>>>);

/// Daily statistics (HJ 663 validity: ≥ 20 hours for 24-h means, ≥ 6 hours per 8-h window).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DayStats {
    /// PM2.5 24-h mean.
    pub pm25: Option<f64>,
    /// PM10 24-h mean.
    pub pm10: Option<f64>,
    /// O3 maximum 8-h moving mean (windows ending 08:00 … 24:00).
    pub o3_8h_max: Option<f64>,
}

impl DayValues {
    /// The 24 hours from hour index `first`, each from `value(target, hour index)`.
    pub fn over(first: usize, value: impl Fn(Target, usize) -> Option<f64>) -> DayValues {
        DayValues(EnumMap::from_fn(|t| {
            (first..first + 24).map(|i| value(t, i)).collect()
        }))
    }

    /// The observed statistics of the 24 hours from hour index `first` of station `s`.
    pub fn observed(grid: &super::series::Grid, s: usize, first: usize) -> DayStats {
        DayValues::over(first, |t, i| grid.get(s, t.parameter(), i)).daily()
    }

    /// The day's statistics.
    pub fn daily(&self) -> DayStats {
        DayStats::from_fn(|t| day_statistic(t, &self.0[t]))
    }
}

/// The daily statistic of `target` over a day's hourly values: the 24-h mean of PM2.5 and
/// PM10 (≥ 20 hours), the maximum 8-h moving mean of O3 (≥ 6 hours per window).
pub fn day_statistic(target: Target, hours: &[Option<f64>]) -> Option<f64> {
    match target {
        Target::Pm25 | Target::Pm10 => {
            let x: Vec<f64> = hours.iter().flatten().copied().collect();
            (x.len() >= 20).then(|| x.iter().sum::<f64>() / x.len() as f64)
        }
        Target::O3 => (7..hours.len())
            .filter_map(|end| {
                let w: Vec<f64> = hours[end - 7..=end].iter().flatten().copied().collect();
                (w.len() >= 6).then(|| w.iter().sum::<f64>() / w.len() as f64)
            })
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v)))),
    }
}

impl DayStats {
    /// The statistic of one target.
    pub const fn get(&self, target: Target) -> Option<f64> {
        match target {
            Target::Pm25 => self.pm25,
            Target::Pm10 => self.pm10,
            Target::O3 => self.o3_8h_max,
        }
    }

    /// The statistics `f` gives target by target.
    pub fn from_fn(mut f: impl FnMut(Target) -> Option<f64>) -> DayStats {
        DayStats {
            pm25: f(Target::Pm25),
            pm10: f(Target::Pm10),
            o3_8h_max: f(Target::O3),
        }
    }

    /// Whether all three statistics are there (an AQI without one of them would understate
    /// the day).
    pub fn is_complete(&self) -> bool {
        self.pm25.is_some() && self.pm10.is_some() && self.o3_8h_max.is_some()
    }

    /// The daily AQI and category of these statistics.
    pub fn aqi(&self, date: NaiveDate) -> (Option<u32>, Option<Category>) {
        let r = daily_aqi(
            &DailyInput {
                pm25: self.pm25,
                pm10: self.pm10,
                o3_8h_max: self.o3_8h_max,
                ..Default::default()
            },
            RuleSet::for_date(date),
        );
        (r.aqi, r.category)
    }

    /// The day's forecast; its AQI and category only when it [is complete](Self::is_complete).
    fn into_forecast(self, date: NaiveDate) -> DayForecast {
        let (aqi, category) = if self.is_complete() {
            self.aqi(date)
        } else {
            (None, None)
        };
        DayForecast {
            date,
            pm25: self.pm25,
            pm10: self.pm10,
            o3_8h_max: self.o3_8h_max,
            aqi,
            category,
            range: None,
        }
    }
}
