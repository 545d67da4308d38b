//! The assessment over a store's readings: hourly records of the six pollutants → daily statistics →
//! period statistics per station, district or network → ranking rows with last year's values.
//!
//! - Only hourly records (`Resolution::Hour`, hour-ending labels in UTC) flagged `N` with a
//!   finite value are used; any other flag makes the hour missing.
//! - Each station's records are placed in its own time zone's local days ([`hour_slot`]).
//! - A station with hourly records in the period but no metadata ([`StationStore::stations`]) is an
//!   error naming it: its district and time zone would be guesses, and a guessed time zone
//!   shifts every day boundary.
//! - A year to date without an end runs to the last local day with hourly pollutant data.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use enum_map::EnumMap;

use super::daily::{MISSING_DAY, hour_slot};
use super::{
    AssessConfig, DailyStats, DateRange, DayHours, Period, PeriodError, Pollutant, RankRow,
    assign_ranks, daily_stats, mean_of_days, period_stats, rounded_days,
};
use crate::quality::Flag;
use crate::store::{
    Parameters, ReadingQuery, ReadingStore, Record, Resolution, StationInfo, StationRole,
    StationStore, Stations, StoreError,
};

/// Errors of the assessment over a store.
#[derive(Debug, thiserror::Error)]
pub enum AssessError {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The period is not usable.
    #[error(transparent)]
    Period(#[from] PeriodError),
    /// Stations with hourly data but no metadata.
    #[error(
        "stations with hourly data but no metadata (district, time zone): {}; add them to the store's station list",
        .0.join(", ")
    )]
    MissingMetadata(Vec<String>),
    /// No hourly pollutant data at all (a year to date cannot be resolved).
    #[error("the store holds no hourly pollutant data for {0}")]
    NoData(String),
    /// Districts and the network are assessed from assessment stations only.
    #[error(
        "{0} stations are ranked by station only: district and network values come from assessment stations"
    )]
    GroupOfRole(StationRole),
}

/// What the rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// One row per station.
    Station,
    /// One row per district (mean of its assessment stations' daily values).
    District,
    /// One row for the whole network (mean of all assessment stations' daily values).
    Network,
}

/// A ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    /// The period (a year to date resolved).
    pub period: Period,
    /// The same period of the previous year.
    pub previous: Period,
    /// Rows, ranked.
    pub rows: Vec<RankRow>,
}

/// One station's daily series over a range.
#[derive(Debug, Clone, PartialEq)]
pub struct StationDays {
    /// The station.
    pub info: StationInfo,
    /// Day `i` is `range.first + i`.
    pub days: Vec<DailyStats>,
}

/// Places hourly records (of any stations; only `station`'s six pollutants, flagged `N`, are
/// used) into dense local days of `range`: `out[day][pollutant][slot]`, `NaN` = missing.
pub fn fill_hours(
    records: &[Record],
    tz: Tz,
    range: DateRange,
    out: &mut Vec<EnumMap<Pollutant, DayHours>>,
) {
    out.clear();
    out.resize(range.days(), EnumMap::from_fn(|_| MISSING_DAY));
    for r in records {
        if r.resolution != Resolution::Hour || r.flag != Flag::Normal || !r.value.is_finite() {
            continue;
        }
        let Ok(p) = Pollutant::try_from(r.parameter) else {
            continue;
        };
        let (date, slot) = hour_slot(r.time.with_timezone(&tz).naive_local());
        if let Some(i) = range.index(date) {
            out[i][p][slot] = r.value;
        }
    }
}

/// The UTC span of labels that can fall into `range` in any time zone (with a margin; records
/// are filtered by local day afterwards).
fn utc_span(range: DateRange) -> (DateTime<Utc>, DateTime<Utc>) {
    let from = (range.first - TimeDelta::days(2)).and_time(Default::default());
    let to = (range.last + TimeDelta::days(3)).and_time(Default::default());
    (from.and_utc(), to.and_utc())
}

/// The query for `station`'s hourly pollutant records that can fall into the local days of
/// `range` (filter them with [`fill_hours`]).
pub fn hourly_query(station: &str, range: DateRange) -> ReadingQuery {
    let (from, to) = utc_span(range);
    ReadingQuery::new(Resolution::Hour, from, to)
        .for_stations(Stations::one(station))
        .for_parameters(Parameters::only(
            Pollutant::ALL.iter().map(|p| p.parameter()),
        ))
}

/// A station's daily statistics over `range`, read from the store.
pub fn station_days(
    store: &(impl ReadingStore + ?Sized),
    info: &StationInfo,
    range: DateRange,
    cfg: &AssessConfig,
    hours: &mut Vec<EnumMap<Pollutant, DayHours>>,
) -> Result<Vec<DailyStats>, StoreError> {
    let records = store.readings(&hourly_query(&info.id, range))?;
    fill_hours(&records, info.time_zone, range, hours);
    Ok(hours.iter().map(|h| daily_stats(h, &cfg.daily)).collect())
}

/// The last local day with hourly pollutant data (stations without metadata: UTC+8).
fn last_data_day(
    store: &(impl ReadingStore + ?Sized),
    zones: &BTreeMap<&str, Tz>,
) -> Result<Option<NaiveDate>, StoreError> {
    let latest = store.latest_readings(Resolution::Hour, &Stations::All)?;
    Ok(latest
        .iter()
        .filter(|r| Pollutant::try_from(r.parameter).is_ok())
        .map(|r| {
            let tz = zones
                .get(&*r.station)
                .copied()
                .unwrap_or(chrono_tz::Asia::Shanghai);
            hour_slot(r.time.with_timezone(&tz).naive_local()).0
        })
        .max())
}

/// The stations with hourly pollutant records but no metadata, among those with data in any
/// of `ranges`.
fn missing_metadata(
    store: &(impl ReadingStore + ?Sized),
    known: &BTreeMap<&str, Tz>,
    ranges: &[DateRange],
) -> Result<Vec<String>, StoreError> {
    let mut ids: Vec<String> = store
        .latest_readings(Resolution::Hour, &Stations::All)?
        .iter()
        .filter(|r| Pollutant::try_from(r.parameter).is_ok())
        .filter(|r| !known.contains_key(&*r.station))
        .map(|r| r.station.to_string())
        .collect();
    ids.dedup();
    let mut missing = Vec::new();
    for id in ids {
        for &range in ranges {
            if !store.readings(&hourly_query(&id, range))?.is_empty() {
                missing.push(id);
                break;
            }
        }
    }
    Ok(missing)
}

/// The daily series of the store's stations over a period and the same period of last year.
pub struct StoreDays {
    /// The period (a year to date resolved).
    pub period: Period,
    /// The same period of the previous year.
    pub previous: Period,
    /// The stations read.
    pub stations: Vec<StationInfo>,
    /// `current[i]`: the daily series of `stations[i]` over `period`.
    pub current: Vec<Vec<DailyStats>>,
    /// `before[i]`: over `previous`.
    pub before: Vec<Vec<DailyStats>>,
}

/// Ranks the store's assessment stations, districts or network over `period` (see the module
/// docs): the published ranking, without background sites and micro stations.
pub fn rank_store(
    store: &(impl ReadingStore + StationStore + ?Sized),
    period: Period,
    by: GroupBy,
    cfg: &AssessConfig,
) -> Result<Ranking, AssessError> {
    rank_store_role(store, period, by, StationRole::Assessment, cfg)
}

/// Ranks the store's stations of one `role` over `period`: assessment stations by station,
/// district or network ([`rank_store`]); micro stations and background sites by station only
/// (their own ranking, never part of an assessment: [`AssessError::GroupOfRole`] otherwise).
pub fn rank_store_role(
    store: &(impl ReadingStore + StationStore + ?Sized),
    period: Period,
    by: GroupBy,
    role: StationRole,
    cfg: &AssessConfig,
) -> Result<Ranking, AssessError> {
    if by != GroupBy::Station && !role.is_assessed() {
        return Err(AssessError::GroupOfRole(role));
    }
    let d = store_days(store, period, cfg, |s| s.role == role)?;
    let (range, prev_range) = (d.period.range()?, d.previous.range()?);
    let rows = rank_days(
        &d.stations,
        &d.current,
        &d.before,
        range,
        prev_range,
        by,
        cfg,
    );
    Ok(Ranking {
        period: d.period,
        previous: d.previous,
        rows,
    })
}

/// Reads the daily series of the stations `wanted` accepts over `period` and last year's.
pub fn store_days(
    store: &(impl ReadingStore + StationStore + ?Sized),
    period: Period,
    cfg: &AssessConfig,
    wanted: impl Fn(&StationInfo) -> bool,
) -> Result<StoreDays, AssessError> {
    let stations = store.stations()?;
    let zones: BTreeMap<&str, Tz> = stations
        .iter()
        .map(|s| (s.id.as_str(), s.time_zone))
        .collect();
    let period = if period.is_resolved() {
        period
    } else {
        match last_data_day(store, &zones)? {
            Some(day) => period.with_end(day)?,
            None => return Err(AssessError::NoData(period.to_string())),
        }
    };
    let previous = period.previous_year();
    let range = period.range()?;
    let prev_range = previous.range()?;
    let missing = missing_metadata(store, &zones, &[range, prev_range])?;
    if !missing.is_empty() {
        return Err(AssessError::MissingMetadata(missing));
    }
    let stations: Vec<StationInfo> = stations.into_iter().filter(|s| wanted(s)).collect();
    let mut hours = Vec::new();
    let mut current = Vec::with_capacity(stations.len());
    let mut before = Vec::with_capacity(stations.len());
    for info in &stations {
        current.push(station_days(store, info, range, cfg, &mut hours)?);
        before.push(station_days(store, info, prev_range, cfg, &mut hours)?);
    }
    Ok(StoreDays {
        period,
        previous,
        stations,
        current,
        before,
    })
}

/// A group's daily series: the mean of its stations' daily values, each rounded first as
/// `cfg.rounding` says (HJ 663: the stations' reported daily values are averaged).
pub fn group_days<'a>(
    members: impl IntoIterator<Item = &'a [DailyStats]>,
    range: DateRange,
    cfg: &AssessConfig,
) -> Vec<DailyStats> {
    let rounded: Vec<_> = members
        .into_iter()
        .map(|days| rounded_days(days, cfg.rounding))
        .collect();
    mean_of_days(rounded.iter().map(|d| &d[..]), range.days())
}

/// Ranking rows from stations' daily series (`current[i]`, `previous[i]` belong to
/// `stations[i]`, over `range` and `prev_range`). A station or group without any valid day in
/// the previous period gets `previous: None`. By station every station given gets a row; a
/// district or the network is the mean of its assessment stations only
/// ([`StationRole::is_assessed`]): background sites and micro stations never enter a group.
pub fn rank_days(
    stations: &[StationInfo],
    current: &[Vec<DailyStats>],
    previous: &[Vec<DailyStats>],
    range: DateRange,
    prev_range: DateRange,
    by: GroupBy,
    cfg: &AssessConfig,
) -> Vec<RankRow> {
    let mut scratch = Vec::new();
    let mut stats = |r: DateRange, days: &[DailyStats]| period_stats(r, days, cfg, &mut scratch);
    let mut rows = Vec::new();
    match by {
        GroupBy::Station => {
            for ((info, cur), prev) in stations.iter().zip(current).zip(previous) {
                let p = stats(prev_range, prev);
                rows.push(RankRow {
                    rank: None,
                    id: info.id.clone(),
                    name: info.name.clone(),
                    stations: 1,
                    stats: stats(range, cur),
                    previous: p.has_data().then_some(p),
                });
            }
        }
        GroupBy::District | GroupBy::Network => {
            let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            let assessed = stations
                .iter()
                .enumerate()
                .filter(|(_, s)| s.role.is_assessed());
            for (i, info) in assessed {
                let key = if by == GroupBy::Network {
                    "network"
                } else {
                    info.district.as_str()
                };
                groups.entry(key).or_default().push(i);
            }
            for (key, members) in groups {
                let cur = group_days(members.iter().map(|&i| &current[i][..]), range, cfg);
                let prev = group_days(members.iter().map(|&i| &previous[i][..]), prev_range, cfg);
                let p = stats(prev_range, &prev);
                rows.push(RankRow {
                    rank: None,
                    id: key.to_string(),
                    name: format!("{} stations", members.len()),
                    stations: members.len(),
                    stats: stats(range, &cur),
                    previous: p.has_data().then_some(p),
                });
            }
        }
    }
    assign_ranks(&mut rows);
    rows
}
