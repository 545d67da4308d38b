//! Dense hourly grids of the parameters forecasting uses, one per station, read from a store.
//!
//! Hour `i` of a grid is the hourly record labelled `start + i h` (hour-ending UTC labels).
//! Only records flagged [`Flag::Normal`] are used; every other hour is *missing*, kept as
//! `NaN` internally and reported by name wherever it matters — never replaced by zero.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use enum_map::EnumMap;

use crate::quality::Flag;
use crate::store::{
    PAGE_SIZE, Parameters, ReadingQuery, ReadingStore, Resolution, StationStore, Stations,
};
use crate::units::Parameter;

use super::ForecastError;

/// The parameters a grid holds, in slot order.
pub const PARAMS: [Parameter; 10] = [
    Parameter::Pm25,
    Parameter::Pm10,
    Parameter::O3,
    Parameter::WindSpeed,
    Parameter::WindDirection,
    Parameter::Temperature,
    Parameter::DewPoint,
    Parameter::Humidity,
    Parameter::Pressure,
    Parameter::Rain,
];

/// Hourly values of every station for one period.
#[derive(Debug, Clone)]
pub struct Grid {
    /// Label time of hour 0.
    pub start: DateTime<Utc>,
    /// Number of hours.
    pub len: usize,
    /// Station ids, in the store's order.
    pub stations: Vec<String>,
    /// `values[station][parameter][hour]`; `NaN` = missing; no hours for a parameter outside
    /// [`PARAMS`].
    pub values: Vec<EnumMap<Parameter, Vec<f64>>>,
    /// Time zone of local hours and days (the stations').
    pub tz: Tz,
}

impl Grid {
    /// An empty (all-missing) grid.
    pub fn empty(start: DateTime<Utc>, len: usize, stations: Vec<String>, tz: Tz) -> Grid {
        let hours = EnumMap::from_fn(|p| {
            if PARAMS.contains(&p) {
                vec![f64::NAN; len]
            } else {
                Vec::new()
            }
        });
        let values = vec![hours; stations.len()];
        Grid {
            start,
            len,
            stations,
            values,
            tz,
        }
    }

    /// Reads hourly records labelled in `[from, to)` of `stations` (all the store knows when
    /// empty), a page at a time: years of data need only the grid in memory. The time zone is
    /// the first station's (Asia/Shanghai when the store has none).
    pub fn load(
        store: &(impl StationStore + ReadingStore + ?Sized),
        stations: &[String],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Grid, ForecastError> {
        let known = store.stations()?;
        let tz = known
            .first()
            .map(|s| s.time_zone)
            .unwrap_or(chrono_tz::Asia::Shanghai);
        let ids: Vec<String> = if stations.is_empty() {
            known.iter().map(|s| s.id.clone()).collect()
        } else {
            stations.to_vec()
        };
        if ids.is_empty() {
            return Err(ForecastError::NoData("the store knows no stations".into()));
        }
        let len = usize::try_from((to - from).num_hours().max(0)).unwrap_or(0);
        let mut grid = Grid::empty(from, len, ids, tz);
        let query = ReadingQuery::new(Resolution::Hour, from, to)
            .for_stations(Stations::only(grid.stations.iter().map(String::as_str)))
            .for_parameters(Parameters::only(PARAMS));
        let mut last_station: Option<(crate::store::StationId, usize)> = None;
        store.readings_paged(&query, PAGE_SIZE, &mut |page| {
            for r in page {
                if r.flag != Flag::Normal || !r.value.is_finite() {
                    continue;
                }
                let si = match &last_station {
                    Some((id, i)) if *id == r.station => *i,
                    _ => match grid.stations.iter().position(|s| **s == *r.station) {
                        Some(i) => {
                            last_station = Some((r.station.clone(), i));
                            i
                        }
                        None => continue,
                    },
                };
                if let Some(v) = grid
                    .index_of(r.time)
                    .and_then(|h| grid.values[si][r.parameter].get_mut(h))
                {
                    *v = r.value;
                }
            }
            Ok(())
        })?;
        Ok(grid)
    }

    /// The hour index of label time `t`, if inside the grid and on a whole hour.
    pub fn index_of(&self, t: DateTime<Utc>) -> Option<usize> {
        let d = t - self.start;
        if d < TimeDelta::zero() || d.num_seconds() % 3600 != 0 {
            return None;
        }
        let i = usize::try_from(d.num_hours()).ok()?;
        (i < self.len).then_some(i)
    }

    /// The label time of hour `i`.
    pub fn time_of(&self, i: usize) -> DateTime<Utc> {
        self.start + TimeDelta::hours(i as i64)
    }

    /// The value of `p` at station `s`, hour `i` (`None` when missing or outside the grid).
    pub fn get(&self, s: usize, p: Parameter, i: usize) -> Option<f64> {
        self.values[s][p].get(i).copied().filter(|v| v.is_finite())
    }

    /// The series of `p` at station `s`.
    pub fn series(&self, s: usize, p: Parameter) -> &[f64] {
        &self.values[s][p]
    }
}
