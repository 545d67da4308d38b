//! Cities as an assessment level: the ministry's ranking of key cities (城市环境空气质量排名).
//!
//! - A city's daily value of each statistic is the mean of its assessment stations' daily values
//!   (rounded first, as HJ 663 reports them): the stations whose [`StationInfo::city`] is the
//!   city, **background sites and micro stations excluded** ([`StationInfo::role`]). Its period statistics and
//!   comprehensive index follow as for any series (`stats`).
//! - The cities ranked are a [`CityList`]: the built-in 168 key cities ([`CityList::key_168`]) or
//!   a user's list (337 prefecture-level cities, a province's cities …). A listed city without
//!   stations or data gets a row without an index (ranked last, without a rank).
//! - Sand and dust (扣除沙尘): the ministry removes dust-affected PM10 and PM2.5 daily values before
//!   ranking. [`DustDays`] is the analyst's list of dust-affected city-days; with it the city's PM
//!   daily values of those days are removed (the day no longer counts as valid for PM).
//!
//! The built-in list is `cities_168.csv` beside this file: the 168 key cities with their
//! province, the region group of the 2023 State Council plan (国发〔2023〕24号) and the key region
//! of the 2018 plan in force in 2019 (国发〔2018〕22号). Source: the national data set's
//! `cities_168.csv` (names and grouping as enumerated in a public CNEMC 168-city statistics
//! fetcher; the first three groups checked against the 2023 plan); see `sources.csv` of that
//! data set.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use chrono::NaiveDate;

use super::run::{StoreDays, group_days, store_days};
use super::{
    AssessConfig, AssessError, DailyStats, Period, Pollutant, RankRow, Ranking, assign_ranks,
    period_stats,
};
use crate::store::{ReadingStore, StationInfo, StationStore};

/// The built-in 168 key cities (see the module docs for the source).
const KEY_168: &str = include_str!("cities_168.csv");

/// A city of a [`CityList`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct City {
    /// The city's name as station lists give it (北京, 石家庄 … without 市).
    pub name: String,
    /// Province.
    pub province: String,
    /// Region group (京津冀及周边地区, 长三角地区, 汾渭平原 …; empty when not given).
    pub region: String,
    /// Key region of the 2018 plan (京津冀及周边地区(2+26), 长三角地区, 汾渭平原; empty for the
    /// others or when not given).
    pub key_region_2018: String,
}

/// The cities a city ranking covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CityList {
    /// Where the list comes from (`168` for the built-in one, else the file).
    pub origin: String,
    /// The cities, in the list's order.
    pub cities: Vec<City>,
}

/// Errors reading a city list or a dust list.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// The file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A line is unusable.
    #[error("{origin}:{line}: {reason}")]
    Line {
        /// The file.
        origin: String,
        /// The line (1 = header).
        line: u64,
        /// What is wrong, naming the field.
        reason: String,
    },
}

/// Reads a CSV text's records with the columns `wanted` (by header name), calling `each(line,
/// cells)`.
fn read_csv(
    text: &str,
    origin: &str,
    required: &[&str],
    optional: &[&str],
    mut each: impl FnMut(u64, Vec<String>) -> Result<(), ListError>,
) -> Result<(), ListError> {
    let fail = |line: u64, reason: String| ListError::Line {
        origin: origin.to_string(),
        line,
        reason,
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| fail(1, format!("unreadable header ({e})")))?
        .clone();
    let mut index = Vec::new();
    for name in required {
        let i = header
            .iter()
            .position(|h| h == *name)
            .ok_or_else(|| fail(1, format!("missing column `{name}`")))?;
        index.push(Some(i));
    }
    index.extend(
        optional
            .iter()
            .map(|name| header.iter().position(|h| h == *name)),
    );
    for record in reader.records() {
        let record = record.map_err(|e| {
            fail(
                e.position().map_or(0, |p| p.line()),
                format!("unreadable row ({e})"),
            )
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let cells = index
            .iter()
            .map(|i| {
                i.and_then(|i| record.get(i))
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        each(line, cells)?;
    }
    Ok(())
}

impl CityList {
    /// The 168 key cities of the ministry's monthly ranking.
    pub fn key_168() -> CityList {
        CityList::parse(KEY_168, "168").expect("the built-in list is valid")
    }

    /// Reads a list file: a CSV with a `city` column and optionally `province`,
    /// `region_2023_plan` (or `region`) and `key_region_2018_plan`.
    pub fn read(path: &Path) -> Result<CityList, ListError> {
        let text = std::fs::read_to_string(path).map_err(|source| ListError::Io {
            path: path.display().to_string(),
            source,
        })?;
        CityList::parse(&text, &path.display().to_string())
    }

    /// Parses a list (see [`CityList::read`]); `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<CityList, ListError> {
        let mut cities: Vec<City> = Vec::new();
        let mut seen: BTreeMap<String, u64> = BTreeMap::new();
        read_csv(
            text,
            origin,
            &["city"],
            &[
                "province",
                "region_2023_plan",
                "region",
                "key_region_2018_plan",
            ],
            |line, cells| {
                let name = cells[0].clone();
                if name.is_empty() {
                    return Err(ListError::Line {
                        origin: origin.to_string(),
                        line,
                        reason: "empty city".to_string(),
                    });
                }
                if let Some(first) = seen.insert(name.clone(), line) {
                    return Err(ListError::Line {
                        origin: origin.to_string(),
                        line,
                        reason: format!("city `{name}` is listed twice (first on line {first})"),
                    });
                }
                let region = if cells[2].is_empty() {
                    cells[3].clone()
                } else {
                    cells[2].clone()
                };
                cities.push(City {
                    name,
                    province: cells[1].clone(),
                    region,
                    key_region_2018: cells[4].clone(),
                });
                Ok(())
            },
        )?;
        Ok(CityList {
            origin: origin.to_string(),
            cities,
        })
    }

    /// The city of a name.
    pub fn get(&self, name: &str) -> Option<&City> {
        self.cities.iter().find(|c| c.name == name)
    }

    /// True when the station counts for a listed city (an assessment station: not a
    /// background site, not a micro station).
    pub fn counts(&self, station: &StationInfo) -> bool {
        station.role.is_assessed() && !station.city.is_empty() && self.get(&station.city).is_some()
    }
}

/// The analyst's list of dust-affected city-days (a CSV `city,date`, date `YYYY-MM-DD`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DustDays {
    days: HashSet<(String, NaiveDate)>,
}

impl DustDays {
    /// Reads the list.
    pub fn read(path: &Path) -> Result<DustDays, ListError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ListError::Io {
            path: origin.clone(),
            source,
        })?;
        DustDays::parse(&text, &origin)
    }

    /// Parses the list; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<DustDays, ListError> {
        let mut days = HashSet::new();
        read_csv(text, origin, &["city", "date"], &[], |line, cells| {
            let date =
                NaiveDate::parse_from_str(&cells[1], "%Y-%m-%d").map_err(|_| ListError::Line {
                    origin: origin.to_string(),
                    line,
                    reason: format!("cannot read date `{}` (YYYY-MM-DD)", cells[1]),
                })?;
            days.insert((cells[0].clone(), date));
            Ok(())
        })?;
        Ok(DustDays { days })
    }

    /// True when `city` was dust-affected on `date`.
    pub fn contains(&self, city: &str, date: NaiveDate) -> bool {
        self.days.contains(&(city.to_string(), date))
    }

    /// Number of city-days listed.
    pub fn len(&self) -> usize {
        self.days.len()
    }

    /// True when nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.days.is_empty()
    }

    /// Removes the PM10 and PM2.5 daily values of `city`'s dust days from its series (day `i`
    /// is `first + i`); returns how many days were affected.
    pub fn remove_pm(&self, city: &str, first: NaiveDate, days: &mut [DailyStats]) -> u32 {
        let mut n = 0;
        for (i, day) in days.iter_mut().enumerate() {
            let date = first + chrono::TimeDelta::days(i as i64);
            if self.contains(city, date) {
                day.values.pm10 = None;
                day.values.pm25 = None;
                n += 1;
            }
        }
        n
    }
}

/// A city ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct CityRanking {
    /// The ranking (row ids are city names).
    pub ranking: Ranking,
    /// The cities ranked.
    pub list: CityList,
    /// Dust-affected city-days removed from PM this period (`None`: no dust list was given).
    pub dust_removed: Option<u32>,
}

/// Ranks the listed cities over `period` from the store's stations (see the module docs).
pub fn rank_cities(
    store: &(impl ReadingStore + StationStore + ?Sized),
    period: Period,
    list: &CityList,
    dust: Option<&DustDays>,
    cfg: &AssessConfig,
) -> Result<CityRanking, AssessError> {
    let d = store_days(store, period, cfg, |s| list.counts(s))?;
    rank_city_days(&d, list, dust, cfg)
}

/// Ranks the listed cities from stations' daily series (stations that do not count for a listed
/// city — background sites, other cities — are left out here too).
pub fn rank_city_days(
    d: &StoreDays,
    list: &CityList,
    dust: Option<&DustDays>,
    cfg: &AssessConfig,
) -> Result<CityRanking, AssessError> {
    let (range, prev_range) = (d.period.range()?, d.previous.range()?);
    let mut members: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, s) in d.stations.iter().enumerate() {
        if list.counts(s) {
            members.entry(s.city.as_str()).or_default().push(i);
        }
    }
    let mut scratch = Vec::new();
    let mut dust_removed = 0;
    let mut rows = Vec::with_capacity(list.cities.len());
    for city in &list.cities {
        let m = members.get(city.name.as_str()).map_or(&[][..], |v| &v[..]);
        let mut cur = group_days(m.iter().map(|&i| &d.current[i][..]), range, cfg);
        let mut prev = group_days(m.iter().map(|&i| &d.before[i][..]), prev_range, cfg);
        if let Some(dust) = dust {
            dust_removed += dust.remove_pm(&city.name, range.first, &mut cur);
            dust.remove_pm(&city.name, prev_range.first, &mut prev);
        }
        let p = period_stats(prev_range, &prev, cfg, &mut scratch);
        rows.push(RankRow {
            rank: None,
            id: city.name.clone(),
            name: city.province.clone(),
            stations: m.len(),
            stats: period_stats(range, &cur, cfg, &mut scratch),
            previous: p.has_data().then_some(p),
        });
    }
    assign_ranks(&mut rows);
    Ok(CityRanking {
        ranking: Ranking {
            period: d.period,
            previous: d.previous,
            rows,
        },
        list: list.clone(),
        dust_removed: dust.map(|_| dust_removed),
    })
}

/// What the ranking means for one city (`lantian rank --by city --focus`).
#[derive(Debug, Clone, PartialEq)]
pub struct Focus {
    /// The city's rank.
    pub rank: u32,
    /// Places each pollutant costs: how many places the city would rise if its sub-index of that
    /// pollutant were the median of the ranked cities' (0 when it is at or below the median).
    pub places: Vec<(Pollutant, u32)>,
    /// The city ranked just above (`None` for rank 1) and how much lower I_sum must be to pass it
    /// (its I_sum − the city's, negative, in hundredths; ties share a rank so it is < 0).
    pub next_up: Option<(String, f64)>,
    /// What that gap is in each pollutant alone: the period concentration reduction (µg/m³, CO
    /// mg/m³) that would close it (Δ I × S_i).
    pub gap_in: Vec<(Pollutant, f64)>,
}

/// The focus of `city` in a ranking (`None` when the city has no rank).
pub fn focus(ranking: &Ranking, city: &str, cfg: &AssessConfig) -> Option<Focus> {
    let me = ranking.rows.iter().find(|r| r.id == city)?;
    let rank = me.rank?;
    let index = me.stats.index?;
    let ranked: Vec<&RankRow> = ranking.rows.iter().filter(|r| r.rank.is_some()).collect();
    let places = Pollutant::ALL
        .iter()
        .map(|&p| {
            let mut subs: Vec<f64> = ranked
                .iter()
                .filter_map(|r| r.stats.index.map(|i| i.of(p)))
                .collect();
            subs.sort_by(f64::total_cmp);
            let median = super::percentile(&subs, 50).unwrap_or(0.0);
            let better = index.total - (index.of(p) - median).max(0.0);
            let key = (better * 100.0).round() as i64;
            let above = ranked
                .iter()
                .filter(|r| r.stats.index.is_some_and(|i| i.hundredths() < key))
                .count() as u32;
            (p, rank.saturating_sub(above + 1))
        })
        .collect();
    let next_up = ranked
        .iter()
        .filter(|r| r.rank.is_some_and(|x| x < rank))
        .max_by_key(|r| r.stats.index.map(|i| i.hundredths()))
        .and_then(|r| r.stats.index.map(|i| (r.id.clone(), i.total)));
    let gap = next_up
        .as_ref()
        .map(|(_, total)| super::round_half_even(total - index.total, 2));
    let gap_in = gap
        .map(|g| {
            Pollutant::ALL
                .iter()
                .map(|&p| (p, -g * cfg.standards.of(p)))
                .collect()
        })
        .unwrap_or_default();
    Some(Focus {
        rank,
        places,
        next_up: next_up.map(|(id, _)| id).zip(gap),
        gap_in,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::{ComprehensiveIndex, PeriodStats};

    fn row(id: &str, sub: [f64; 6]) -> RankRow {
        let range = "2019-01"
            .parse::<Period>()
            .and_then(|p| p.range())
            .expect("month");
        let sub = enum_map::EnumMap::from_array(sub);
        RankRow {
            rank: None,
            id: id.to_string(),
            name: String::new(),
            stations: 1,
            stats: PeriodStats {
                range,
                min_valid_days: 27,
                valid_days: enum_map::EnumMap::from_fn(|_| 31),
                concentrations: Default::default(),
                index: Some(ComprehensiveIndex {
                    sub,
                    total: crate::assess::round_half_even(sub.values().sum(), 2),
                }),
                aqi: Default::default(),
            },
            previous: None,
        }
    }

    #[test]
    fn focus_counts_places_and_the_gap_to_the_next_rank() {
        let mut rows = vec![
            row("a", [0.1, 0.5, 0.5, 0.5, 0.2, 0.5]), // 2.30
            row("b", [0.1, 0.5, 0.5, 0.6, 0.2, 0.5]), // 2.40
            row("c", [0.1, 0.5, 0.5, 0.7, 0.2, 0.5]), // 2.50
            row("x", [0.1, 0.5, 0.5, 1.0, 0.2, 0.5]), // 2.80: PM2.5 far above the median
        ];
        assign_ranks(&mut rows);
        let period: Period = "2019-01".parse().expect("period");
        let ranking = Ranking {
            period,
            previous: period.previous_year(),
            rows,
        };
        let f = focus(&ranking, "x", &AssessConfig::default()).expect("ranked");
        assert_eq!(f.rank, 4);
        // PM2.5 at the median (0.65) → 2.45: behind a and b, ahead of c → rank 3, one place.
        let pm = f.places.iter().find(|(p, _)| *p == Pollutant::Pm25);
        assert_eq!(pm, Some(&(Pollutant::Pm25, 1)));
        assert!(
            f.places
                .iter()
                .all(|(p, n)| *p == Pollutant::Pm25 || *n == 0)
        );
        assert_eq!(f.next_up, Some(("c".to_string(), -0.3)));
        let pm_gap = f
            .gap_in
            .iter()
            .find(|(p, _)| *p == Pollutant::Pm25)
            .expect("pm");
        assert!((pm_gap.1 - 10.5).abs() < 1e-9, "{pm_gap:?}");
        assert_eq!(focus(&ranking, "nowhere", &AssessConfig::default()), None);
    }

    #[test]
    fn dust_days_remove_pm_only() {
        let dust = DustDays::parse("city,date\n兰州,2019-01-02\n", "dust.csv").expect("list");
        let first = NaiveDate::from_ymd_opt(2019, 1, 1).expect("date");
        let day = DailyStats {
            values: crate::aqi::china::DailyInput {
                pm10: Some(300.0),
                pm25: Some(80.0),
                so2: Some(10.0),
                ..Default::default()
            },
            ..Default::default()
        };
        let mut days = vec![day; 3];
        assert_eq!(dust.remove_pm("兰州", first, &mut days), 1);
        assert_eq!(days[1].values.pm10, None);
        assert_eq!(days[1].values.so2, Some(10.0));
        assert_eq!(days[0].values.pm25, Some(80.0));
        assert!(DustDays::parse("city,date\n兰州,2019-1-32\n", "d").is_err());
        let list = CityList::key_168();
        assert_eq!(list.cities.len(), 168);
        assert!(CityList::parse("city\n北京\n北京\n", "mine.csv").is_err());
    }
}
