//! The ranking report (monthly, quarterly, annual, year to date): the comprehensive-index
//! table with sub-indices, rank and change against the same period last year, a bar chart,
//! the best and the worst, per-pollutant rankings, and the table as CSV beside the HTML.
//!
//! The rows are [`crate::assess::run::rank_days`]'s — the function `lantian rank` uses — fed
//! with the stored daily indices ([`super::figures`]), so the figures equal `lantian rank`'s
//! while reading one row per station-day (1,000 stations × a year: 365,000 rows instead of
//! 52 million hourly values).
//!
//! Per-pollutant ranks order the period concentrations (lowest first) as reported (µg/m³ to
//! integers, CO to one decimal), so equal reported values share a rank. Charts show every row
//! up to 40, else the best 20 and the worst 20.

use std::collections::BTreeMap;

use enum_map::EnumMap;

use super::ReportError;
use super::daily::{Counted, competition_ranks};
use super::figures::{read_daily, resolve_period};
use crate::assess::run::rank_days;
use crate::assess::{AssessConfig, GroupBy, Period, Pollutant, RankRow};
use crate::lang::{Bi, Lang};
use crate::store::{IndexStore, ReadingStore, StationInfo, StationStore};

/// Rows charted at most (else the best and the worst half of it).
const CHART_ROWS: usize = 40;

/// Everything the ranking report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct RankingFigures {
    /// The period (a year to date resolved).
    pub period: Period,
    /// The same period last year.
    pub previous: Period,
    /// Stations or districts.
    pub by: GroupBy,
    /// The stations by role: only assessment stations are ranked and make districts.
    pub counted: Counted,
    /// Ranked rows.
    pub rows: Vec<RankRow>,
    /// Display names of the rows (station names; district names with an English fallback).
    pub names: Vec<Bi>,
    /// The district of each row (stations), or empty.
    pub districts: Vec<String>,
    /// Each row's rank last year among these rows (by last year's index).
    pub last_ranks: Vec<Option<u32>>,
    /// Each row's rank per pollutant.
    pub pollutant_ranks: EnumMap<Pollutant, Vec<Option<u32>>>,
}

/// Computes the ranking of `period` (see the module docs).
pub fn ranking_figures(
    store: &(impl StationStore + IndexStore + ReadingStore + ?Sized),
    period: Period,
    by: GroupBy,
) -> Result<RankingFigures, ReportError> {
    let stations = store.stations()?;
    let counted = Counted::of(&stations);
    let stations: Vec<StationInfo> = stations
        .into_iter()
        .filter(|s| s.role.is_assessed())
        .collect();
    if stations.is_empty() {
        return Err(ReportError::NoStations);
    }
    let period = resolve_period(store, &stations, period)?;
    let previous = period.previous_year();
    let (range, prev_range) = (period.range()?, previous.range()?);
    let current = read_daily(store, &stations, range)?;
    let before = read_daily(store, &stations, prev_range)?;
    let cfg = AssessConfig::default();
    let rows = rank_days(&stations, &current, &before, range, prev_range, by, &cfg);

    let info: BTreeMap<&str, &StationInfo> = stations.iter().map(|s| (s.id.as_str(), s)).collect();
    let names: Vec<Bi> = rows
        .iter()
        .map(|r| match by {
            GroupBy::Station => info
                .get(r.id.as_str())
                .map(|s| Bi::new(&s.name, &s.name_en))
                .unwrap_or_else(|| Bi::new(&r.id, &r.id)),
            GroupBy::District => {
                let en = if r.id.is_ascii() {
                    r.id.clone()
                } else {
                    let members: Vec<&str> = stations
                        .iter()
                        .filter(|s| s.district == r.id)
                        .map(|s| s.name_en.as_str())
                        .collect();
                    match members.len() {
                        0 => r.id.clone(),
                        1 | 2 => members.join("/"),
                        _ => format!("{}/{}/…", members[0], members[1]),
                    }
                };
                Bi::new(&r.id, en)
            }
            GroupBy::Network => Bi::new("全市", "Network"),
        })
        .collect();
    let districts = rows
        .iter()
        .map(|r| match by {
            GroupBy::Station => info
                .get(r.id.as_str())
                .map(|s| s.district.clone())
                .unwrap_or_default(),
            _ => String::new(),
        })
        .collect();
    let key = |v: i64| u32::try_from(v.max(0)).ok();
    let last_ranks = competition_ranks(
        &rows
            .iter()
            .map(|r| {
                r.previous
                    .as_ref()
                    .and_then(|p| p.index)
                    .and_then(|i| key(i.hundredths()))
            })
            .collect::<Vec<_>>(),
    );
    let pollutant_ranks = EnumMap::from_fn(|p| {
        let scale = if p == Pollutant::Co { 10.0 } else { 1.0 };
        competition_ranks(
            &rows
                .iter()
                .map(|r| {
                    r.stats.concentrations[p]
                        .and_then(|c| key(crate::assess::round_half_even(c * scale, 0) as i64))
                })
                .collect::<Vec<_>>(),
        )
    });
    Ok(RankingFigures {
        period,
        previous,
        by,
        counted,
        rows,
        names,
        districts,
        last_ranks,
        pollutant_ranks,
    })
}

impl RankingFigures {
    /// The name of row `i` in tables: station names in `lang`; districts as stored (the
    /// English fallback of [`RankingFigures::names`] is for charts, whose PNGs have no CJK
    /// glyphs).
    pub fn table_name(&self, i: usize, lang: Lang) -> &str {
        match self.by {
            GroupBy::District => &self.rows[i].id,
            _ => self.names[i].get(lang),
        }
    }

    /// The file stem: `ranking-2016-02-station`, `ranking-2016-ytd-2016-05-31-district`.
    pub fn stem(&self) -> String {
        let period = match self.period {
            Period::YearToDate {
                year,
                end: Some(end),
            } => format!("{year}-ytd-{end}"),
            p => p.to_string(),
        };
        format!("ranking-{period}-{}", by_code(self.by))
    }

    /// Rows to chart: all up to 40 with an index, else the best 20 and the worst 20.
    pub(super) fn charted(&self) -> Vec<usize> {
        let ranked: Vec<usize> = (0..self.rows.len())
            .filter(|&i| self.rows[i].stats.index.is_some())
            .collect();
        if ranked.len() <= CHART_ROWS {
            ranked
        } else {
            let half = CHART_ROWS / 2;
            let mut v = ranked[..half].to_vec();
            v.extend_from_slice(&ranked[ranked.len() - half..]);
            v
        }
    }

    /// The CSV table.
    pub fn csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut head: Vec<String> = ["rank", "id", "name", "name_en", "district"]
            .map(String::from)
            .to_vec();
        for p in Pollutant::ALL {
            head.push(format!("i_{}", p.code()));
        }
        head.push("i_sum".into());
        for p in Pollutant::ALL {
            head.push(format!("c_{}", p.code()));
        }
        head.extend(
            [
                "valid_days_min",
                "min_valid_days",
                "sufficient",
                "good_days",
                "aqi_days",
                "good_share",
                "last_i_sum",
                "change",
                "change_percent",
                "last_rank",
            ]
            .map(String::from),
        );
        for p in Pollutant::ALL {
            head.push(format!("rank_{}", p.code()));
        }
        w.write_record(&head)?;
        let opt = |v: Option<f64>, d: u32| match v {
            Some(v) => format!("{:.*}", d as usize, crate::assess::round_half_even(v, d)),
            None => String::new(),
        };
        let rank = |r: Option<u32>| r.map(|r| r.to_string()).unwrap_or_default();
        for (i, row) in self.rows.iter().enumerate() {
            let s = &row.stats;
            let mut rec = vec![
                rank(row.rank),
                row.id.clone(),
                self.names[i].zh.clone(),
                self.names[i].en.clone(),
                self.districts[i].clone(),
            ];
            for p in Pollutant::ALL {
                rec.push(opt(s.index.map(|x| x.of(p)), 2));
            }
            rec.push(opt(s.total(), 2));
            for p in Pollutant::ALL {
                rec.push(opt(
                    s.concentrations[p],
                    if p == Pollutant::Co { 2 } else { 1 },
                ));
            }
            let change = row.change();
            rec.extend([
                s.fewest_valid_days().to_string(),
                s.min_valid_days.to_string(),
                s.all_sufficient().to_string(),
                s.aqi.good.to_string(),
                s.aqi.valid.to_string(),
                opt(s.good_share(), 4),
                opt(row.previous_total(), 2),
                opt(change.map(|c| c.difference), 2),
                opt(change.and_then(|c| c.percent), 1),
                rank(self.last_ranks[i]),
            ]);
            for p in Pollutant::ALL {
                rec.push(rank(self.pollutant_ranks[p][i]));
            }
            w.write_record(&rec)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

fn by_code(by: GroupBy) -> &'static str {
    match by {
        GroupBy::Station => "station",
        GroupBy::District => "district",
        GroupBy::Network => "network",
    }
}
