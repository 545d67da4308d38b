//! The figures of the daily report (leadership's morning read), computed from the stored
//! indices; `daily_page` renders them.
//!
//! # Definitions
//!
//! - **Network (city) AQI of a day**: HJ 633's daily AQI of the *network's daily
//!   concentrations*, each the arithmetic mean of the stations' valid daily values (24-h means,
//!   O3 daily maximum 1-h and 8-h) — the way a city's AQI is published from city-average
//!   concentrations (城市 AQI from 城市平均浓度, HJ 663), not the mean of the stations' AQIs.
//!   The same averaging is used for the towns (districts) and, hour by hour, for the network's
//!   24-h AQI curve (the mean of the stations' hourly concentrations through the real-time
//!   rules). This is [`crate::assess::aggregate`]'s rule, so the daily report agrees with
//!   `lantian rank --by network`.
//! - **Which stations count**: the network's and the towns' values, the network's hourly curve,
//!   the stations' category and primary-pollutant counts, the station ranking and the
//!   forecast's city values are of assessment stations only
//!   ([`crate::store::StationRole::Assessment`]); micro stations and background sites are
//!   listed with their own values, unranked, and counted apart ([`Counted`]).
//! - **Station and town ranking of the day**: by daily AQI, lowest first; equal AQIs share a
//!   rank ("1, 2, 2, 4"); stations without a daily AQI are listed last, unranked.
//! - **Year to date**: 1 January to the report's day, against the same days of the previous
//!   year: good-day share (daily AQI ≤ 100) and comprehensive index of the network
//!   ([`crate::assess::run::rank_days`] with [`GroupBy::Network`]).
//! - **Data completeness**: valid hourly values of the six pollutants (flag `N`) against
//!   24 × 6 per station, and the stations whose every pollutant meets HJ 663's 20-hour rule.
//! - **Notable events**: the source flags of episodes that began on the day ([`DayEvents`]).
//! - **Alarms**: those active during the day, by kind and severity, the longest and the most
//!   severe ([`AlarmFigures`]; which alarms belong to a day: [`super::day_alarms`]).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use chrono_tz::Tz;
use enum_map::EnumMap;

use super::ReportError;
use super::daily_forecast::{ForecastFigures, forecast_figures};
use super::day_alarms::{AlarmFigures, alarm_figures};
use super::events::{DayEvents, day_events};
use super::figures::{EMPTY_DAY, read_daily, utc_span};
use crate::aqi::china::{DailyInput, HourlyInput, RuleSet, daily_aqi, hourly_aqi};
use crate::aqi::{Category, Pollutant as Term, Standard};
use crate::assess::daily::hour_slot;
use crate::assess::run::rank_days;
use crate::assess::{AssessConfig, DailyStats, DateRange, GroupBy, Period, Pollutant, RankRow};
use crate::store::{
    IndexQuery, IndexRecord, Resolution, StationInfo, StationRole, Store, network_zone,
};

/// One station's day.
#[derive(Debug, Clone, PartialEq)]
pub struct StationDay {
    /// The station.
    pub info: StationInfo,
    /// Rank of the day (1 = cleanest; `None` without an AQI).
    pub rank: Option<u32>,
    /// Daily AQI.
    pub aqi: Option<u32>,
    /// Primary pollutant(s).
    pub primary: Vec<Term>,
    /// Daily statistics (24-h means, O3 maxima).
    pub values: DailyInput,
    /// Valid hours of the day per pollutant.
    pub valid_hours: EnumMap<Pollutant, u8>,
    /// Hourly AQI, hour `h` (1–24) at `h − 1`.
    pub hourly: [Option<u32>; 24],
}

/// A group's day: a town (district) or the whole network.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupDay {
    /// District name (or the network's id `network`).
    pub name: String,
    /// Stations in the group.
    pub stations: usize,
    /// Rank among the towns (`None` for the network or without an AQI).
    pub rank: Option<u32>,
    /// The daily AQI of the group's mean concentrations.
    pub aqi: Option<u32>,
    /// Primary pollutant(s).
    pub primary: Vec<Term>,
    /// The group's daily values (means of its stations').
    pub values: DailyInput,
    /// Sub-indices (IAQI) of the seven terms.
    pub iaqi: EnumMap<Term, Option<u32>>,
}

impl GroupDay {
    /// The category of the AQI.
    pub fn category(&self) -> Option<Category> {
        self.aqi.map(Category::from_aqi)
    }
}

/// Data completeness of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Completeness {
    /// Stations in the network.
    pub stations: usize,
    /// Stations with at least one valid hourly pollutant value.
    pub reporting: usize,
    /// Stations whose six pollutants each have ≥ 20 valid hours.
    pub complete: usize,
    /// Valid hourly pollutant values.
    pub hours: usize,
    /// Expected: stations × 24 × 6.
    pub expected: usize,
}

impl Completeness {
    /// Valid / expected hourly values (0–1).
    pub fn share(&self) -> Option<f64> {
        (self.expected > 0).then(|| self.hours as f64 / self.expected as f64)
    }
}

/// Everything the daily report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyFigures {
    /// The report's local day.
    pub date: NaiveDate,
    /// The network's time zone.
    pub tz: Tz,
    /// The stations by role: which make the network's and the towns' figures.
    pub counted: Counted,
    /// The rule set of the day's AQI.
    pub rules: RuleSet,
    /// The network's day.
    pub network: GroupDay,
    /// Assessment stations per category, by [`Category::level`] − 1.
    pub category_counts: [usize; 6],
    /// Assessment stations without a daily AQI.
    pub no_aqi: usize,
    /// How many assessment stations have each primary pollutant (most frequent first).
    pub primary_counts: Vec<(Term, usize)>,
    /// Stations in rank order.
    pub stations: Vec<StationDay>,
    /// Towns (districts) in rank order.
    pub districts: Vec<GroupDay>,
    /// The network's year to date and the same days of last year.
    pub ytd: RankRow,
    /// The network's hourly AQI.
    pub hourly: [Option<u32>; 24],
    /// The lowest and highest assessment station AQI of each hour.
    pub hourly_range: [Option<(u32, u32)>; 24],
    /// Data completeness.
    pub completeness: Completeness,
    /// The day's source flags.
    pub events: DayEvents,
    /// The alarms active during the day.
    pub alarms: AlarmFigures,
    /// Tomorrow's and the day after's forecast, and recent skill.
    pub forecast: ForecastFigures,
}

/// How many stations of each role a report had: assessment stations make its area figures,
/// the others are listed apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counted {
    /// Assessment stations (评价点).
    pub assessment: usize,
    /// Background sites (对照点).
    pub background: usize,
    /// Micro stations (微站).
    pub micro: usize,
}

impl Counted {
    /// Counts `stations` by role.
    pub fn of(stations: &[StationInfo]) -> Counted {
        let mut c = Counted::default();
        for s in stations {
            *match s.role {
                StationRole::Assessment => &mut c.assessment,
                StationRole::Background => &mut c.background,
                StationRole::Micro => &mut c.micro,
            } += 1;
        }
        c
    }

    /// True when some stations were left out of the area figures.
    pub fn any_left_out(&self) -> bool {
        self.background + self.micro > 0
    }
}

/// The rule set a stored standard stands for (`None` for the EPA scales).
fn rule_set(standard: Standard) -> Option<RuleSet> {
    match standard {
        Standard::Hj633_2012 => Some(RuleSet::Y2012),
        Standard::Hj633_2026 => Some(RuleSet::Y2026),
        _ => None,
    }
}

/// Ranks `keys` (lower is better; `None` unranked) with shared ranks for ties.
pub(crate) fn competition_ranks(keys: &[Option<u32>]) -> Vec<Option<u32>> {
    let mut order: Vec<usize> = (0..keys.len()).filter(|&i| keys[i].is_some()).collect();
    order.sort_by_key(|&i| keys[i]);
    let mut out = vec![None; keys.len()];
    let mut last: Option<(u32, u32)> = None;
    for (pos, &i) in order.iter().enumerate() {
        let k = keys[i].unwrap_or(0);
        let rank = match last {
            Some((lk, lr)) if lk == k => lr,
            _ => u32::try_from(pos + 1).unwrap_or(u32::MAX),
        };
        last = Some((k, rank));
        out[i] = Some(rank);
    }
    out
}

/// The daily AQI of a group's mean values.
fn group_day(name: String, members: &[&DailyStats], rules: RuleSet) -> GroupDay {
    let days: Vec<&[DailyStats]> = members.iter().map(|d| std::slice::from_ref(*d)).collect();
    let mean = crate::assess::mean_of_days(days, 1)
        .pop()
        .unwrap_or(EMPTY_DAY);
    let result = daily_aqi(&mean.values, rules);
    GroupDay {
        name,
        stations: members.len(),
        rank: None,
        aqi: result.aqi,
        primary: result.primary.clone(),
        values: mean.values,
        iaqi: EnumMap::from_fn(|t| result.iaqi(t)),
    }
}

/// Computes the daily report's figures for the local day `date` (network time zone).
pub fn daily_figures(store: &dyn Store, date: NaiveDate) -> Result<DailyFigures, ReportError> {
    let stations = store.stations()?;
    if stations.is_empty() {
        return Err(ReportError::NoStations);
    }
    let tz = network_zone(&stations);
    let day = DateRange {
        first: date,
        last: date,
    };
    let (from, to) = utc_span(day);
    let query = |resolution| IndexQuery::new(resolution, from, to);
    let position: BTreeMap<&str, usize> = stations
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let local = |r: &IndexRecord| -> Option<usize> {
        let &i = position.get(&*r.station)?;
        let tz = stations[i].time_zone;
        let ok = match r.resolution {
            Resolution::Day => r.time.with_timezone(&tz).date_naive() == date,
            _ => hour_slot(r.time.with_timezone(&tz).naive_local()).0 == date,
        };
        ok.then_some(i)
    };

    // The day's station records.
    let mut daily: Vec<Option<IndexRecord>> = vec![None; stations.len()];
    for r in store.indices(&query(Resolution::Day))? {
        if let Some(i) = local(&r) {
            daily[i] = Some(r);
        }
    }
    let rules = daily
        .iter()
        .flatten()
        .find_map(|r| rule_set(r.standard))
        .unwrap_or_else(|| RuleSet::for_date(date));

    // Only assessment stations make the network's and the towns' figures.
    let assessed: Vec<bool> = stations.iter().map(|s| s.role.is_assessed()).collect();

    // Hourly: station AQIs and concentrations by slot.
    let mut hourly_aqi_of = vec![[None; 24]; stations.len()];
    let mut valid_hours = vec![EnumMap::<Pollutant, u8>::default(); stations.len()];
    // Per slot and pollutant: the sum of the stations' hourly values and their number.
    let mut sums = [EnumMap::<Pollutant, (f64, u32)>::default(); 24];
    for r in store.indices(&query(Resolution::Hour))? {
        let Some(i) = local(&r) else { continue };
        let slot = hour_slot(r.time.with_timezone(&stations[i].time_zone).naive_local()).1;
        hourly_aqi_of[i][slot] = r.aqi;
        for (p, (sum, count)) in &mut sums[slot] {
            if let Some(term) = r.terms[p.hourly_term()] {
                valid_hours[i][p] += 1;
                if assessed[i] {
                    *sum += term.concentration;
                    *count += 1;
                }
            }
        }
    }

    // Stations of the day.
    let stats: Vec<DailyStats> = daily
        .iter()
        .map(|r| {
            r.as_ref()
                .map(super::figures::day_stats)
                .unwrap_or(EMPTY_DAY)
        })
        .collect();
    let aqis: Vec<Option<u32>> = daily
        .iter()
        .map(|r| r.as_ref().and_then(|r| r.aqi))
        .collect();
    let ranked: Vec<Option<u32>> = aqis
        .iter()
        .zip(&assessed)
        .map(|(&a, &counts)| a.filter(|_| counts))
        .collect();
    let ranks = competition_ranks(&ranked);
    let mut station_days: Vec<StationDay> = stations
        .iter()
        .enumerate()
        .map(|(i, info)| StationDay {
            info: info.clone(),
            rank: ranks[i],
            aqi: aqis[i],
            primary: daily[i]
                .as_ref()
                .map(|r| r.primary.clone())
                .unwrap_or_default(),
            values: stats[i].values,
            valid_hours: valid_hours[i],
            hourly: hourly_aqi_of[i],
        })
        .collect();
    station_days.sort_by(|a, b| {
        (a.rank.is_none(), a.rank, &a.info.id).cmp(&(b.rank.is_none(), b.rank, &b.info.id))
    });

    let mut category_counts = [0usize; 6];
    let mut primary: BTreeMap<Term, usize> = BTreeMap::new();
    for s in station_days.iter().filter(|s| s.info.role.is_assessed()) {
        if let Some(a) = s.aqi {
            category_counts[usize::from(Category::from_aqi(a).level() - 1)] += 1;
        }
        for p in &s.primary {
            *primary.entry(*p).or_default() += 1;
        }
    }
    let mut primary_counts: Vec<(Term, usize)> = primary.into_iter().collect();
    primary_counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));

    // Network and towns.
    let all: Vec<&DailyStats> = stats
        .iter()
        .zip(&assessed)
        .filter_map(|(s, &counts)| counts.then_some(s))
        .collect();
    let network = group_day("network".into(), &all, rules);
    let mut by_district: BTreeMap<&str, Vec<&DailyStats>> = BTreeMap::new();
    for ((info, s), _) in stations
        .iter()
        .zip(&stats)
        .zip(&assessed)
        .filter(|(_, counts)| **counts)
    {
        by_district
            .entry(info.district.as_str())
            .or_default()
            .push(s);
    }
    let mut districts: Vec<GroupDay> = by_district
        .into_iter()
        .map(|(name, members)| group_day(name.to_string(), &members, rules))
        .collect();
    let ranks = competition_ranks(&districts.iter().map(|d| d.aqi).collect::<Vec<_>>());
    for (d, r) in districts.iter_mut().zip(ranks) {
        d.rank = r;
    }
    districts.sort_by(|a, b| {
        (a.rank.is_none(), a.rank, &a.name).cmp(&(b.rank.is_none(), b.rank, &b.name))
    });

    // The network's hourly AQI and the stations' range.
    let mut hourly = [None; 24];
    let mut hourly_range = [None; 24];
    for slot in 0..24 {
        let input = mean_hourly_input(&sums[slot], network.values.so2);
        hourly[slot] = hourly_aqi(&input, rules).aqi;
        let values = hourly_aqi_of
            .iter()
            .zip(&assessed)
            .filter(|(_, counts)| **counts)
            .filter_map(|(h, _)| h[slot]);
        hourly_range[slot] = values.fold(None, |acc: Option<(u32, u32)>, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        });
    }

    // Year to date against last year.
    let period = Period::YearToDate {
        year: chrono::Datelike::year(&date),
        end: Some(date),
    };
    let (range, prev_range) = (period.range()?, period.previous_year().range()?);
    let current = read_daily(store, &stations, range)?;
    let before = read_daily(store, &stations, prev_range)?;
    let cfg = AssessConfig::default();
    let ytd = rank_days(
        &stations,
        &current,
        &before,
        range,
        prev_range,
        GroupBy::Network,
        &cfg,
    )
    .pop()
    .ok_or(ReportError::NoStations)?;

    let completeness = Completeness {
        stations: stations.len(),
        reporting: valid_hours
            .iter()
            .filter(|v| v.values().any(|&n| n > 0))
            .count(),
        complete: valid_hours
            .iter()
            .filter(|v| v.values().all(|&n| n >= 20))
            .count(),
        hours: valid_hours
            .iter()
            .flat_map(|v| v.values())
            .map(|&n| usize::from(n))
            .sum(),
        expected: stations.len() * 24 * Pollutant::ALL.len(),
    };
    let no_aqi = station_days
        .iter()
        .filter(|s| s.info.role.is_assessed() && s.aqi.is_none())
        .count();
    let assessment: Vec<StationInfo> = stations
        .iter()
        .filter(|s| s.role.is_assessed())
        .cloned()
        .collect();
    let forecast = forecast_figures(store, &assessment, date, tz)?;
    Ok(DailyFigures {
        date,
        tz,
        counted: Counted::of(&stations),
        rules,
        network,
        category_counts,
        no_aqi,
        primary_counts,
        stations: station_days,
        districts,
        ytd,
        hourly,
        hourly_range,
        completeness,
        events: day_events(store, date, tz)?,
        alarms: alarm_figures(
            store,
            crate::assess::local_midnight(date, tz),
            crate::assess::local_midnight(date + chrono::Days::new(1), tz),
        )?,
        forecast,
    })
}

/// The real-time AQI input of a group of stations in one hour: the mean of its stations'
/// hourly concentrations (`sums`: per pollutant, the sum of the valid values and their
/// number), with the group's 24-h SO2 mean beside (HJ 633's rule for hourly SO2 above
/// 800 µg/m³). The daily report's network curve and the web overview's towns use it.
pub(crate) fn mean_hourly_input(
    sums: &EnumMap<Pollutant, (f64, u32)>,
    so2_24h: Option<f64>,
) -> HourlyInput {
    let mean = |p: Pollutant| {
        let (sum, count) = sums[p];
        (count > 0).then(|| sum / f64::from(count))
    };
    HourlyInput {
        so2: mean(Pollutant::So2),
        no2: mean(Pollutant::No2),
        pm10: mean(Pollutant::Pm10),
        pm25: mean(Pollutant::Pm25),
        co: mean(Pollutant::Co),
        o3: mean(Pollutant::O3),
        so2_24h,
    }
}

/// The daily values of a pollutant in `values` (24-h mean; O3: daily maximum 8-h).
pub(super) fn value_of(values: &DailyInput, p: Pollutant) -> Option<f64> {
    match p {
        Pollutant::So2 => values.so2,
        Pollutant::No2 => values.no2,
        Pollutant::Pm10 => values.pm10,
        Pollutant::Pm25 => values.pm25,
        Pollutant::Co => values.co,
        Pollutant::O3 => values.o3_8h_max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_ranks() {
        assert_eq!(
            competition_ranks(&[Some(50), None, Some(30), Some(50), Some(80)]),
            [Some(2), None, Some(1), Some(2), Some(4)]
        );
    }
}
