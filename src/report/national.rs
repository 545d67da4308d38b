//! The national ranking report's figures: the key cities ranked as the ministry ranks them
//! (`assess::city::rank_city_days`, the function `lantian rank --by city` uses, with the same
//! defaults — HJ 663 rounding — fed, as the other reports are, with the stored daily indices
//! (`figures`): a year of the national network is ≈ 300,000 rows instead of 44 million hourly
//! values), each city's place on the map (the mean longitude and latitude
//! of its assessment stations), region-group summaries, the best and worst 20 and the chosen
//! city's focus (the places each pollutant costs it, the gap to the next rank up).
//!
//! Region groups are summarised from their cities' figures: the mean of the ranked cities'
//! comprehensive indices and of their period concentrations and good-day shares (a simple mean
//! of cities, as the ministry states a region's figures), the best and worst city of the group,
//! and how many of its cities are among the best and the worst 20.

use enum_map::EnumMap;

use super::ReportError;
use super::figures::{read_daily, resolve_period};
use crate::assess::city::{CityList, CityRanking, DustDays, Focus, focus, rank_city_days};
use crate::assess::run::StoreDays;
use crate::assess::{AssessConfig, Period, Pollutant, RankRow, Rounding};
use crate::store::{IndexStore, ReadingStore, StationInfo, StationStore};

/// How many cities the ministry names at each end of the monthly table.
pub const ENDS: usize = 20;

/// A region group's summary.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionSummary {
    /// The group (京津冀及周边地区, 长三角地区, 汾渭平原 …).
    pub region: String,
    /// Cities of the group in the list.
    pub cities: usize,
    /// Of them, ranked (with an index).
    pub ranked: usize,
    /// Mean comprehensive index of the ranked cities.
    pub mean_index: Option<f64>,
    /// Mean period concentration of each pollutant over the ranked cities.
    pub concentrations: EnumMap<Pollutant, Option<f64>>,
    /// Mean good-day share of the ranked cities.
    pub good_share: Option<f64>,
    /// The best and the worst ranked city (row indices).
    pub best: Option<usize>,
    /// See `best`.
    pub worst: Option<usize>,
    /// Cities among the best [`ENDS`].
    pub in_best: usize,
    /// Cities among the worst [`ENDS`].
    pub in_worst: usize,
}

/// Everything the national ranking report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct NationalFigures {
    /// The ranking (rows in rank order, unranked cities last).
    pub cities: CityRanking,
    /// Each row's position: its assessment stations' mean (longitude, latitude).
    pub positions: Vec<Option<(f64, f64)>>,
    /// The region groups in the list's order.
    pub regions: Vec<RegionSummary>,
    /// The chosen city (its row) and what the ranking means for it (`None` when unranked).
    pub focus: Option<(usize, Option<Focus>)>,
    /// The rounding of the figures (HJ 663's by default).
    pub rounding: Rounding,
}

/// Ranks `list`'s cities over `period` from the store, with the map positions, region
/// summaries and the focus on `focus_city` (which must be in the list).
pub fn national_figures(
    store: &(impl StationStore + ReadingStore + IndexStore + ?Sized),
    period: Period,
    list: &CityList,
    dust: Option<&DustDays>,
    focus_city: Option<&str>,
) -> Result<NationalFigures, ReportError> {
    let stations = store.stations()?;
    if stations.is_empty() {
        return Err(ReportError::NoStations);
    }
    if let Some(city) = focus_city
        && list.get(city).is_none()
    {
        return Err(ReportError::NotListed {
            city: city.to_string(),
            list: list.origin.clone(),
        });
    }
    let cfg = AssessConfig::default();
    let period = resolve_period(store, &stations, period)?;
    let previous = period.previous_year();
    let members: Vec<StationInfo> = stations
        .iter()
        .filter(|s| list.counts(s))
        .cloned()
        .collect();
    let days = StoreDays {
        period,
        previous,
        current: read_daily(store, &members, period.range()?)?,
        before: read_daily(store, &members, previous.range()?)?,
        stations: members,
    };
    let cities = rank_city_days(&days, list, dust, &cfg)?;
    let positions = cities
        .ranking
        .rows
        .iter()
        .map(|row| {
            let at: Vec<(f64, f64)> = stations
                .iter()
                .filter(|s| s.city == row.id && list.counts(s))
                .filter_map(|s| s.lon.zip(s.lat))
                .collect();
            let n = at.len() as f64;
            (!at.is_empty()).then(|| {
                let (x, y) = at.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
                (x / n, y / n)
            })
        })
        .collect();
    let regions = region_summaries(&cities);
    let focus = focus_city.and_then(|city| {
        let row = cities.ranking.rows.iter().position(|r| r.id == city)?;
        Some((row, focus(&cities.ranking, city, &cfg)))
    });
    Ok(NationalFigures {
        cities,
        positions,
        regions,
        focus,
        rounding: cfg.rounding,
    })
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

fn region_summaries(cities: &CityRanking) -> Vec<RegionSummary> {
    let rows = &cities.ranking.rows;
    let ranked = rows.iter().filter(|r| r.rank.is_some()).count();
    let mut order: Vec<&str> = Vec::new();
    for c in &cities.list.cities {
        if !c.region.is_empty() && !order.contains(&c.region.as_str()) {
            order.push(&c.region);
        }
    }
    order
        .into_iter()
        .map(|region| {
            let members: Vec<usize> = (0..rows.len())
                .filter(|&i| {
                    cities
                        .list
                        .get(&rows[i].id)
                        .is_some_and(|c| c.region == region)
                })
                .collect();
            let with_rank: Vec<usize> = members
                .iter()
                .copied()
                .filter(|&i| rows[i].rank.is_some())
                .collect();
            let of = |f: &dyn Fn(&RankRow) -> Option<f64>| {
                mean(with_rank.iter().filter_map(|&i| f(&rows[i])))
            };
            let place = |i: usize| rows[i].rank.map_or(u32::MAX, |r| r) as usize;
            RegionSummary {
                region: region.to_string(),
                cities: members.len(),
                ranked: with_rank.len(),
                mean_index: of(&|r| r.stats.total()),
                concentrations: EnumMap::from_fn(|p| of(&|r| r.stats.concentrations[p])),
                good_share: of(&|r| r.stats.good_share()),
                best: with_rank.first().copied(),
                worst: with_rank.last().copied(),
                in_best: with_rank.iter().filter(|&&i| place(i) <= ENDS).count(),
                in_worst: with_rank
                    .iter()
                    .filter(|&&i| place(i) + ENDS > ranked)
                    .count(),
            }
        })
        .collect()
}

impl NationalFigures {
    /// The file stem: `national-2019-01` (the web archive's `national` kind).
    pub fn stem(&self) -> String {
        format!("national-{}", self.cities.ranking.period)
    }

    /// The ranked rows' indices, best first.
    pub fn ranked(&self) -> Vec<usize> {
        (0..self.cities.ranking.rows.len())
            .filter(|&i| self.cities.ranking.rows[i].rank.is_some())
            .collect()
    }

    /// The table as CSV: `lantian rank --by city --format csv`'s columns and cells.
    pub fn csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(crate::assess::rank_table::city_header())?;
        for row in &self.cities.ranking.rows {
            let city = self.cities.list.get(&row.id);
            w.write_record(crate::assess::rank_table::city_cells(row, city))?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}
