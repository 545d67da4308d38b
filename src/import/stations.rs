//! The stations of an import: checking a file's station metadata against the store and
//! earlier rows, and collecting the stations to create or fill in.

use std::collections::{BTreeMap, BTreeSet};

use super::row::{Row, RowParser, StationMeta};
use crate::store::StationInfo;

/// Tolerance when comparing coordinates of a known station with a file's, in degrees.
const COORDINATE_TOLERANCE: f64 = 1e-6;

/// The stations of an import: those in the store and those the input creates.
pub(super) struct StationBook {
    /// From the store; entries may get missing fields filled in.
    pub(super) stored: BTreeMap<String, StationInfo>,
    /// Store stations whose fields were filled in.
    pub(super) filled: BTreeSet<String>,
    /// New stations, with the metadata given explicitly so far.
    pub(super) new: BTreeMap<String, (StationInfo, StationMeta)>,
}

impl StationBook {
    pub(super) fn new(stored: Vec<StationInfo>) -> StationBook {
        StationBook {
            stored: stored.into_iter().map(|s| (s.id.clone(), s)).collect(),
            filled: BTreeSet::new(),
            new: BTreeMap::new(),
        }
    }

    /// Creates or checks the row's station.
    pub(super) fn resolve(&mut self, parser: &dyn RowParser, row: &Row) -> Result<(), String> {
        if let Some(known) = self.stored.get_mut(&row.station) {
            if check_known(known, &row.meta)? {
                self.filled.insert(row.station.clone());
            }
        } else if let Some((info, given)) = self.new.get_mut(&row.station) {
            merge_given(info, given, &row.meta)?;
        } else {
            let info = parser.new_station(&row.station, &row.label, &row.meta);
            self.new
                .insert(row.station.clone(), (info, row.meta.clone()));
        }
        Ok(())
    }

    /// The stations to put into the store.
    pub(super) fn changed(&self) -> Vec<StationInfo> {
        let filled = self.filled.iter().map(|id| self.stored[id].clone());
        filled
            .chain(self.new.values().map(|(info, _)| info.clone()))
            .collect()
    }
}

fn same_coordinate(a: f64, b: f64) -> bool {
    (a - b).abs() <= COORDINATE_TOLERANCE
}

/// Checks a row's metadata against a station of the store, filling in an empty district and
/// unknown coordinates. Returns whether something was filled in.
pub(super) fn check_known(known: &mut StationInfo, given: &StationMeta) -> Result<bool, String> {
    let mut filled = false;
    for (field, have, want) in [
        ("name", &known.name, &given.name),
        ("name_en", &known.name_en, &given.name_en),
    ] {
        if let Some(w) = want
            && w != have
        {
            return Err(format!("{field} `{w}` differs from the store's `{have}`"));
        }
    }
    if let Some(d) = &given.district {
        if known.district.is_empty() {
            known.district = d.clone();
            filled = true;
        } else if *d != known.district {
            return Err(format!(
                "district `{d}` differs from the store's `{}`",
                known.district
            ));
        }
    }
    for (field, have, want) in [
        ("lat", &mut known.lat, given.lat),
        ("lon", &mut known.lon, given.lon),
    ] {
        match (*have, want) {
            (_, None) => {}
            (None, Some(w)) => {
                *have = Some(w);
                filled = true;
            }
            (Some(h), Some(w)) if !same_coordinate(h, w) => {
                return Err(format!("{field} {w} differs from the store's {h}"));
            }
            _ => {}
        }
    }
    Ok(filled)
}

/// Checks a row's metadata against what earlier rows gave for a new station, and adds what
/// they did not give.
pub(super) fn merge_given(
    info: &mut StationInfo,
    given: &mut StationMeta,
    row: &StationMeta,
) -> Result<(), String> {
    for (field, target, have, want) in [
        ("name", &mut info.name, &mut given.name, &row.name),
        (
            "name_en",
            &mut info.name_en,
            &mut given.name_en,
            &row.name_en,
        ),
        (
            "district",
            &mut info.district,
            &mut given.district,
            &row.district,
        ),
    ] {
        match (&*have, want) {
            (_, None) => {}
            (None, Some(w)) => {
                *have = Some(w.clone());
                *target = w.clone();
            }
            (Some(h), Some(w)) if h != w => {
                return Err(format!("{field} `{w}` differs from `{h}` given earlier"));
            }
            _ => {}
        }
    }
    for (field, target, have, want) in [
        ("lat", &mut info.lat, &mut given.lat, row.lat),
        ("lon", &mut info.lon, &mut given.lon, row.lon),
    ] {
        match (*have, want) {
            (_, None) => {}
            (None, Some(w)) => {
                *have = Some(w);
                *target = Some(w);
            }
            (Some(h), Some(w)) if !same_coordinate(h, w) => {
                return Err(format!("{field} {w} differs from {h} given earlier"));
            }
            _ => {}
        }
    }
    Ok(())
}
