//! Live skill: stored forecasts against the observations that arrived after them.
//!
//! - **Hourly** (per forecast parameter and horizon group of [`HORIZON_GROUPS`]): a pair is a
//!   stored forecast value and the observation of its valid hour — the hourly record flagged
//!   `N` for PM2.5, PM10 and O3, the stored hourly AQI for the AQI — counted only when the
//!   persistence forecast (the observation labelled at the issue time) exists too, so that the
//!   model and persistence are scored on the same pairs. RMSE, MAE and bias (forecast −
//!   observed) in the parameter's unit; skill = 1 − RMSE / RMSE of persistence.
//! - **Daily** (per lead day: 1 = the local day after the issue day): the forecast daily AQI's
//!   category against the category of the stored daily AQI of that day (hit rate), the AQI's
//!   MAE, and persistence's hit rate — the category of the last complete local day before the
//!   issue — on the same station-days. Station-days the forecast abstained on are counted
//!   apart. The forecasts stored with an AQI range are also scored under the range rules of
//!   Chinese operational evaluation ([`super::range`]): observed AQI inside the range, observed
//!   category inside the category span.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::range::{RangeScore, RangeTally};
use super::{HORIZON_GROUPS, group_of};
use crate::aqi::Category;
use crate::compute::local_time;
use crate::quality::Flag;
use crate::store::{
    ForecastAxis, ForecastParameter, ForecastQuery, ForecastStore, IndexQuery, IndexStore,
    Parameters, ReadingQuery, ReadingStore, Resolution, StationId, StationStore, Stations,
    StoreError,
};
use crate::units::ForecastTarget;

/// Scores of one forecast parameter and horizon group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HourSkill {
    /// `pm25`, `pm10`, `o3` or `aqi`.
    pub parameter: &'static str,
    /// First and last hour of the group.
    pub horizons: (u32, u32),
    /// Pairs scored.
    pub n: usize,
    /// Root-mean-square error.
    pub rmse: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Mean of forecast − observed.
    pub bias: f64,
    /// RMSE of persistence on the same pairs.
    pub persistence_rmse: f64,
    /// 1 − RMSE / persistence RMSE (`None` when persistence was perfect).
    pub skill: Option<f64>,
}

/// Scores of the daily forecasts of one lead day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DaySkill {
    /// Days after the issue's local day.
    pub lead_day: i64,
    /// Station-days scored (forecast and observed AQI both present).
    pub n: usize,
    /// Station-days the forecast abstained on (observed AQI present).
    pub abstained: usize,
    /// Share of `n` whose category was right.
    pub hit_rate: f64,
    /// Mean absolute error of the daily AQI.
    pub aqi_mae: f64,
    /// Station-days among `n` with a persistence forecast.
    pub persistence_n: usize,
    /// Persistence's hit rate on those.
    pub persistence_hit_rate: f64,
    /// The station-days among `n` stored with an AQI range, under the range rules.
    pub range: RangeScore,
}

/// Live skill over forecasts issued in a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkillReport {
    /// First issue time included.
    pub from: DateTime<Utc>,
    /// End (exclusive) of the issue times.
    pub to: DateTime<Utc>,
    /// Hourly scores (groups without pairs are left out).
    pub hours: Vec<HourSkill>,
    /// Daily scores (lead days without station-days are left out).
    pub days: Vec<DaySkill>,
}

/// Live skill of the forecasts of `stations` issued in `[from, to)`.
pub fn live_skill<S>(
    store: &S,
    stations: &Stations,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<SkillReport, StoreError>
where
    S: ForecastStore + ReadingStore + IndexStore + StationStore + ?Sized,
{
    Ok(SkillReport {
        from,
        to,
        hours: hourly_skill(store, stations, from, to)?,
        days: daily_skill(store, stations, from, to)?,
    })
}

fn issued_query(stations: &Stations, from: DateTime<Utc>, to: DateTime<Utc>) -> ForecastQuery {
    ForecastQuery::new(ForecastAxis::Issued, from, to).for_stations(stations.clone())
}

/// Sums of one group.
#[derive(Debug, Default, Clone, Copy)]
struct Sums {
    n: usize,
    se: f64,
    ae: f64,
    err: f64,
    pse: f64,
}

/// Hourly scores of forecasts issued in `[from, to)`.
pub fn hourly_skill(
    store: &(impl ForecastStore + ReadingStore + IndexStore + ?Sized),
    stations: &Stations,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<HourSkill>, StoreError> {
    let forecasts = store.forecast_hours(&issued_query(stations, from, to))?;
    if forecasts.is_empty() {
        return Ok(Vec::new());
    }
    // Observations from the first issue to the last valid hour.
    let lo = forecasts.iter().map(|f| f.issued).min().unwrap_or(from);
    let hi = forecasts.iter().map(|f| f.valid).max().unwrap_or(to) + TimeDelta::hours(1);
    let mut obs: HashMap<(StationId, ForecastParameter, i64), f64> = HashMap::new();
    let pollutants = ForecastTarget::ALL.map(ForecastTarget::parameter);
    let readings = ReadingQuery::new(Resolution::Hour, lo, hi)
        .for_stations(stations.clone())
        .for_parameters(Parameters::only(pollutants));
    for r in store.readings(&readings)? {
        let p = ForecastTarget::try_from(r.parameter)
            .ok()
            .map(ForecastParameter::Target);
        if let Some(p) = p
            && r.flag == Flag::Normal
            && r.value.is_finite()
        {
            obs.insert((r.station, p, r.time.timestamp_millis()), r.value);
        }
    }
    for r in
        store.indices(&IndexQuery::new(Resolution::Hour, lo, hi).for_stations(stations.clone()))?
    {
        if let Some(aqi) = r.aqi {
            obs.insert(
                (r.station, ForecastParameter::Aqi, r.time.timestamp_millis()),
                f64::from(aqi),
            );
        }
    }
    let mut sums: HashMap<(ForecastParameter, usize), Sums> = HashMap::new();
    for f in &forecasts {
        let Some(g) = u32::try_from(f.horizon()).ok().and_then(group_of) else {
            continue;
        };
        let at = |t: DateTime<Utc>| {
            obs.get(&(f.station.clone(), f.parameter, t.timestamp_millis()))
                .copied()
        };
        let (Some(o), Some(p)) = (at(f.valid), at(f.issued)) else {
            continue;
        };
        let s = sums.entry((f.parameter, g)).or_default();
        let e = f.value - o;
        s.n += 1;
        s.se += e * e;
        s.ae += e.abs();
        s.err += e;
        s.pse += (p - o) * (p - o);
    }
    let mut out = Vec::new();
    for p in ForecastParameter::ALL {
        for (g, &horizons) in HORIZON_GROUPS.iter().enumerate() {
            let Some(s) = sums.get(&(p, g)).filter(|s| s.n > 0) else {
                continue;
            };
            let n = s.n as f64;
            let (rmse, persistence_rmse) = ((s.se / n).sqrt(), (s.pse / n).sqrt());
            out.push(HourSkill {
                parameter: p.code(),
                horizons,
                n: s.n,
                rmse,
                mae: s.ae / n,
                bias: s.err / n,
                persistence_rmse,
                skill: (persistence_rmse > 0.0).then(|| 1.0 - rmse / persistence_rmse),
            });
        }
    }
    Ok(out)
}

/// Daily scores of forecasts issued in `[from, to)`.
pub fn daily_skill(
    store: &(impl ForecastStore + StationStore + IndexStore + ?Sized),
    stations: &Stations,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<DaySkill>, StoreError> {
    let forecasts = store.forecast_days(&issued_query(stations, from, to))?;
    if forecasts.is_empty() {
        return Ok(Vec::new());
    }
    let zones: HashMap<String, chrono_tz::Tz> = store
        .stations()?
        .into_iter()
        .map(|s| (s.id, s.time_zone))
        .collect();
    let lo = from - TimeDelta::days(3);
    let hi = forecasts.iter().map(|f| f.time).max().unwrap_or(to) + TimeDelta::days(1);
    let observed: HashMap<(StationId, i64), u32> = store
        .indices(&IndexQuery::new(Resolution::Day, lo, hi).for_stations(stations.clone()))?
        .into_iter()
        .filter_map(|r| Some(((r.station, r.time.timestamp_millis()), r.aqi?)))
        .collect();
    #[derive(Default)]
    struct Day {
        n: usize,
        abstained: usize,
        hits: usize,
        ae: f64,
        pn: usize,
        phits: usize,
        range: RangeTally,
    }
    let mut by_lead: std::collections::BTreeMap<i64, Day> = Default::default();
    for f in &forecasts {
        let Some(&obs) = observed.get(&(f.station.clone(), f.time.timestamp_millis())) else {
            continue;
        };
        let tz = zones
            .get(&*f.station)
            .copied()
            .unwrap_or(chrono_tz::Asia::Shanghai);
        let issue_day = f.issued.with_timezone(&tz).date_naive();
        let lead = (f.date - issue_day).num_days();
        let d = by_lead.entry(lead).or_default();
        let Some(aqi) = f.aqi else {
            d.abstained += 1;
            continue;
        };
        let hit = Category::from_aqi(aqi) == Category::from_aqi(obs);
        d.n += 1;
        d.hits += usize::from(hit);
        d.ae += f64::from(aqi.abs_diff(obs));
        if let Some(r) = f.range() {
            d.range.add(&r, obs);
        }
        let before = local_time(tz, issue_day - TimeDelta::days(1), 0)
            .and_then(|t| observed.get(&(f.station.clone(), t.timestamp_millis())));
        if let Some(&p) = before {
            d.pn += 1;
            d.phits += usize::from(Category::from_aqi(p) == Category::from_aqi(obs));
        }
    }
    let rate = |k: usize, n: usize| {
        if n == 0 {
            f64::NAN
        } else {
            k as f64 / n as f64
        }
    };
    Ok(by_lead
        .into_iter()
        .filter(|(_, d)| d.n + d.abstained > 0)
        .map(|(lead_day, d)| DaySkill {
            lead_day,
            n: d.n,
            abstained: d.abstained,
            hit_rate: rate(d.hits, d.n),
            aqi_mae: if d.n == 0 {
                f64::NAN
            } else {
                d.ae / d.n as f64
            },
            persistence_n: d.pn,
            persistence_hit_rate: rate(d.phits, d.pn),
            range: d.range.score(),
        })
        .collect())
}
