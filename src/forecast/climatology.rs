//! Climatology: the mean of each target by local hour of day × month over the training period,
//! per station (falling back to the network's cell when a station's cell has too few values).
//! It is the climatology baseline of backtests and one of the model's features.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::Target;
use super::series::Grid;

/// Fewest values a cell needs.
const MIN_CELL: u32 = 5;

/// Hour × month means (`cells[month0 * 24 + local_hour]`), per station and for the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Climatology {
    /// Per station, per target: 288 cells (`None` = too few values).
    pub stations: BTreeMap<String, BTreeMap<Target, Vec<Option<f64>>>>,
    /// The network (all stations pooled), per target.
    pub network: BTreeMap<Target, Vec<Option<f64>>>,
}

/// The cell of label time `t` in zone `tz`.
pub fn cell(t: DateTime<Utc>, tz: Tz) -> usize {
    let l = t.with_timezone(&tz);
    l.month0() as usize * 24 + l.hour() as usize
}

impl Climatology {
    /// Computes the climatology of every station of `grid` over hours `[0, end)`.
    pub fn from_grid(grid: &Grid, end: usize) -> Climatology {
        let end = end.min(grid.len);
        let cells: Vec<usize> = (0..end).map(|i| cell(grid.time_of(i), grid.tz)).collect();
        let mut stations = BTreeMap::new();
        let mut network = BTreeMap::new();
        for target in Target::ALL {
            let mut net = vec![(0.0, 0u32); 288];
            for (si, id) in grid.stations.iter().enumerate() {
                let mut acc = vec![(0.0, 0u32); 288];
                let series = grid.series(si, target.parameter());
                for (i, &c) in cells.iter().enumerate() {
                    let v = series[i];
                    if v.is_finite() {
                        acc[c].0 += v;
                        acc[c].1 += 1;
                        net[c].0 += v;
                        net[c].1 += 1;
                    }
                }
                stations
                    .entry(id.clone())
                    .or_insert_with(BTreeMap::new)
                    .insert(target, finish(&acc));
            }
            network.insert(target, finish(&net));
        }
        Climatology { stations, network }
    }

    /// The climatological value of `target` at `station` for label time `t`.
    pub fn value(&self, station: &str, target: Target, t: DateTime<Utc>, tz: Tz) -> Option<f64> {
        let c = cell(t, tz);
        self.stations
            .get(station)
            .and_then(|m| m.get(&target))
            .and_then(|cells| cells[c])
            .or_else(|| self.network.get(&target).and_then(|cells| cells[c]))
    }
}

fn finish(acc: &[(f64, u32)]) -> Vec<Option<f64>> {
    acc.iter()
        .map(|&(s, n)| (n >= MIN_CELL).then(|| s / f64::from(n)))
        .collect()
}
