//! The overview (the operations-centre screen): the city's AQI now and today, the station map,
//! the town ranking (now, today, month, year to date with the change against last year),
//! primary pollutants, open alarms and tomorrow's forecast.
//!
//! Every number comes from the functions the reports and `lantian rank` use: the day's
//! figures are [`daily_figures`] (the city's hourly and daily AQI of mean concentrations, the
//! towns of the day, primary pollutants, the forecast), the month's and the year's rankings
//! are the ranking report's by district (`lantian rank`'s numbers, from the stored daily
//! indices); both are kept between renders by [`OverviewCache`] while the indices they come
//! from do not change. The real-time towns are the daily report's hourly rule
//! ([`mean_hourly_input`]) over the latest hour's stored indices.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, TimeDelta, Utc};
use chrono_tz::Tz;
use enum_map::EnumMap;

use super::PageError;
use super::alarms::{AlarmList, alarm_list};
use super::map::MapStation;
use crate::aqi::Pollutant as Term;
use crate::aqi::china::hourly_aqi;
use crate::assess::daily::hour_slot;
use crate::assess::{Period, Pollutant, RankRow};
use crate::lang::Lang;
use crate::report::{DailyFigures, competition_ranks, mean_hourly_input};
use crate::store::{Alarm, IndexQuery, IndexRecord, Resolution, Store, network_zone};
use crate::web::overview_cache::OverviewCache;

/// One station now.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StationNow {
    /// The map's view of it.
    pub(crate) map: MapStation,
    /// Its district (town).
    pub(crate) district: String,
    /// Primary pollutants of the hour.
    pub(crate) primary: Vec<Term>,
}

/// One town of the ranking.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TownRow {
    /// The district's name.
    pub(crate) name: String,
    /// Real-time AQI (the latest hour's mean concentrations).
    pub(crate) now: Option<u32>,
    /// Rank by real-time AQI.
    pub(crate) now_rank: Option<u32>,
    /// The day's AQI so far and its rank (the daily report's).
    pub(crate) today: Option<u32>,
    /// Rank of the day.
    pub(crate) today_rank: Option<u32>,
    /// The month's comprehensive index and rank (`lantian rank --by district`).
    pub(crate) month: Option<RankRow>,
    /// The year to date's, with last year's same days.
    pub(crate) ytd: Option<RankRow>,
}

/// Everything the overview shows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Overview {
    /// The latest hour label with indices (`None`: an empty store).
    pub(crate) hour: Option<DateTime<Utc>>,
    /// The network's time zone.
    pub(crate) tz: Tz,
    /// The city's real-time AQI (the mean of the stations' concentrations of their current
    /// hours).
    pub(crate) city_now: Option<u32>,
    /// The day's figures (the daily report's), when there is a day.
    pub(crate) day: Option<Arc<DailyFigures>>,
    /// Stations with their real-time AQI (their latest hour within [`CURRENT_HOURS`]).
    pub(crate) stations: Vec<StationNow>,
    /// Towns, in real-time rank order.
    pub(crate) towns: Vec<TownRow>,
    /// Alarms not closed, most severe and latest first.
    pub(crate) alarms: Vec<Alarm>,
}

/// A station's real-time AQI is its latest hour among the network's latest `CURRENT_HOURS`
/// hours (a station whose last hour is older shows no current AQI).
const CURRENT_HOURS: i64 = 3;

/// How many open alarms the overview lists.
const ALARMS_SHOWN: usize = 8;

/// Computes the overview over the store's latest hour (the day's figures and the month's and
/// the year's rankings from `cache` while they hold).
pub(crate) fn overview(
    store: &dyn Store,
    cache: &OverviewCache,
    lang: Lang,
) -> Result<Overview, PageError> {
    let infos = store.stations()?;
    let tz = network_zone(&infos);
    let hour = store.indices_span(Resolution::Hour)?.map(|s| s.last);
    let mut overview = Overview {
        hour,
        tz,
        city_now: None,
        day: None,
        stations: Vec::new(),
        towns: Vec::new(),
        alarms: alarm_list(store, AlarmList::Active, Utc::now())?,
    };
    let latest = latest_hours(store, hour)?;
    overview.stations = infos
        .iter()
        .map(|info| {
            let record = latest.get(&info.id);
            StationNow {
                map: MapStation {
                    id: info.id.clone(),
                    name: lang.pick(&info.name, &info.name_en).to_string(),
                    lat: info.lat.unwrap_or(f64::NAN),
                    lon: info.lon.unwrap_or(f64::NAN),
                    aqi: record.and_then(|r| r.aqi),
                },
                district: info.district.clone(),
                primary: record.map(|r| r.primary.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let Some(hour) = hour else {
        return Ok(overview);
    };
    let date = hour_slot(hour.with_timezone(&tz).naive_local()).0;
    let day = cache.day_figures(store, &infos, date)?;

    // The city and its towns now: the mean of their stations' concentrations of their latest
    // hours (the daily report's rule for its curve, over the stations' current hours).
    let mut city = EnumMap::<Pollutant, (f64, u32)>::default();
    let mut sums: BTreeMap<&str, EnumMap<Pollutant, (f64, u32)>> = BTreeMap::new();
    for info in &infos {
        let entry = sums.entry(info.district.as_str()).or_default();
        let Some(record) = latest.get(&info.id) else {
            continue;
        };
        for (p, (sum, count)) in entry.iter_mut() {
            if let Some(term) = record.terms[p.hourly_term()] {
                *sum += term.concentration;
                *count += 1;
                city[p].0 += term.concentration;
                city[p].1 += 1;
            }
        }
    }
    let input = mean_hourly_input(&city, day.network.values.so2);
    overview.city_now = hourly_aqi(&input, day.rules).aqi;
    let month = cache.district_rows(
        store,
        &infos,
        Period::Month {
            year: date.year(),
            month: date.month(),
        },
    )?;
    let ytd = cache.district_rows(
        store,
        &infos,
        Period::YearToDate {
            year: date.year(),
            end: Some(date),
        },
    )?;
    let mut towns: Vec<TownRow> = sums
        .into_iter()
        .map(|(name, sums)| {
            let today = day.districts.iter().find(|d| d.name == name);
            let input = mean_hourly_input(&sums, today.and_then(|d| d.values.so2));
            TownRow {
                name: name.to_string(),
                now: hourly_aqi(&input, day.rules).aqi,
                now_rank: None,
                today: today.and_then(|d| d.aqi),
                today_rank: today.and_then(|d| d.rank),
                month: month.get(name).cloned(),
                ytd: ytd.get(name).cloned(),
            }
        })
        .collect();
    let ranks = competition_ranks(&towns.iter().map(|t| t.now).collect::<Vec<_>>());
    for (town, rank) in towns.iter_mut().zip(ranks) {
        town.now_rank = rank;
    }
    towns.sort_by(|a, b| {
        (a.now_rank.is_none(), a.now_rank, &a.name).cmp(&(
            b.now_rank.is_none(),
            b.now_rank,
            &b.name,
        ))
    });
    overview.towns = towns;
    overview.day = Some(day);
    Ok(overview)
}

impl Overview {
    /// The alarms the screen lists.
    pub(crate) fn shown_alarms(&self) -> &[Alarm] {
        &self.alarms[..self.alarms.len().min(ALARMS_SHOWN)]
    }
}

/// Each station's latest hourly index within the current window ending at `hour`, the
/// store's last hour (ordered by time: the latest wins); empty without one.
pub(crate) fn latest_hours(
    store: &dyn Store,
    hour: Option<DateTime<Utc>>,
) -> Result<BTreeMap<String, IndexRecord>, PageError> {
    let Some(h) = hour else {
        return Ok(BTreeMap::new());
    };
    Ok(store
        .indices(&IndexQuery::new(
            Resolution::Hour,
            h - TimeDelta::hours(CURRENT_HOURS - 1),
            h + TimeDelta::seconds(1),
        ))?
        .into_iter()
        .map(|r| (r.station.to_string(), r))
        .collect())
}
