//! A ranking as people read it: the columns of `lantian rank`'s table and CSV (fixed decimals,
//! rounded half to even) and its JSON rows — one form for the command line and the web API,
//! so that both publish the same numbers.

use super::city::City;
use super::{GroupBy, Pollutant, RankRow, round_half_even};

/// The columns after the rank and the id: name, the six sub-indices, I_sum, valid days,
/// sufficiency, good-day share, last year's I_sum and the change.
const COLUMNS: [&str; 14] = [
    "name",
    "so2",
    "no2",
    "pm10",
    "pm25",
    "co",
    "o3",
    "i_sum",
    "valid_days",
    "sufficient",
    "good_share_%",
    "last_i_sum",
    "change",
    "change_%",
];

/// The numeric columns (aligned right in a table).
pub const NUMERIC_COLUMNS: [&str; 13] = [
    "rank",
    "so2",
    "no2",
    "pm10",
    "pm25",
    "co",
    "o3",
    "i_sum",
    "valid_days",
    "good_share_%",
    "last_i_sum",
    "change",
    "change_%",
];

/// The name of a ranking's id column.
pub fn id_column(by: GroupBy) -> &'static str {
    match by {
        GroupBy::Station => "station",
        GroupBy::District => "district",
        GroupBy::Network => "network",
    }
}

/// The header of a ranking's table: rank, the id column, then the figures.
pub fn header(by: GroupBy) -> Vec<&'static str> {
    let mut header = vec!["rank", id_column(by)];
    header.extend(COLUMNS);
    header
}

/// The header of a city ranking's table: rank, city, province, region group, then the
/// figures after the name.
pub fn city_header() -> Vec<&'static str> {
    let mut header = vec!["rank", "city", "province", "region"];
    header.extend(&COLUMNS[1..]);
    header
}

/// A city row's cells under [`city_header`] (province and region group from its list entry).
pub fn city_cells(row: &RankRow, city: Option<&City>) -> Vec<String> {
    let cells = row.cells();
    let mut out = vec![cells[0].clone(), cells[1].clone()];
    out.push(city.map(|c| c.province.clone()).unwrap_or_default());
    out.push(city.map(|c| c.region.clone()).unwrap_or_default());
    out.extend(cells[3..].iter().cloned());
    out
}

fn fixed(v: Option<f64>, decimals: u32) -> String {
    v.map(|v| format!("{:.*}", decimals as usize, round_half_even(v, decimals)))
        .unwrap_or_else(|| "-".to_string())
}

impl RankRow {
    /// The row's cells under [`header`].
    pub fn cells(&self) -> Vec<String> {
        let s = &self.stats;
        let mut cells = vec![
            self.rank
                .map(|r| r.to_string())
                .unwrap_or_else(|| "-".into()),
            self.id.clone(),
            self.name.clone(),
        ];
        for p in Pollutant::ALL {
            cells.push(fixed(s.index.map(|i| i.of(p)), 2));
        }
        let change = self.change();
        cells.extend([
            fixed(s.total(), 2),
            format!("{}/{}", s.fewest_valid_days(), s.min_valid_days),
            if s.all_sufficient() { "yes" } else { "no" }.to_string(),
            fixed(s.good_share().map(|g| g * 100.0), 1),
            fixed(self.previous_total(), 2),
            fixed(change.map(|c| c.difference), 2),
            fixed(change.and_then(|c| c.percent), 1),
        ]);
        cells
    }

    /// The row as JSON (unrounded figures).
    pub fn to_json(&self) -> serde_json::Value {
        let s = &self.stats;
        let mut sub = serde_json::Map::new();
        let mut conc = serde_json::Map::new();
        let mut valid = serde_json::Map::new();
        for p in Pollutant::ALL {
            sub.insert(p.code().into(), s.index.map(|i| i.of(p)).into());
            conc.insert(p.code().into(), s.concentrations[p].into());
            valid.insert(p.code().into(), s.valid_days[p].into());
        }
        let change = self.change();
        serde_json::json!({
            "rank": self.rank,
            "id": self.id,
            "name": self.name,
            "stations": self.stations,
            "sub_indices": sub,
            "concentrations": conc,
            "i_sum": s.total(),
            "valid_days": valid,
            "min_valid_days": s.min_valid_days,
            "sufficient": s.all_sufficient(),
            "aqi_days": s.aqi.valid,
            "good_days": s.aqi.good,
            "exceedance_days": s.aqi.exceedance,
            "good_share": s.good_share(),
            "last_i_sum": self.previous_total(),
            "change": change.map(|c| c.difference),
            "change_percent": change.and_then(|c| c.percent),
        })
    }
}
