//! EPA NowCast for PM and ozone.
//!
//! * PM2.5 / PM10: the last 12 hourly values; ozone: the last 8.
//! * w* = min / max over the available hours; PM: w = max(w*, 0.5); ozone: w = w* (no floor).
//! * NowCast = Σ wⁱ⁻¹·cᵢ / Σ wⁱ⁻¹ over the available hours, c₁ the newest.
//! * Valid only when at least 2 of the 3 newest hours are available.
//! * The result is truncated like the AQI input (PM2.5 0.1 µg/m³, PM10 1 µg/m³, O3 0.001 ppm)
//!   and looked up on the PM 24-h rows or the O3 8-h row (above 0.200 ppm: the O3 1-h row).
//! * Negative hourly values count as 0 (EPA's convention); NaN and infinite values count as
//!   missing. When every available value is 0 the NowCast is 0. Ozone with w = 0 and the newest
//!   hour missing has no NowCast (all weights vanish).

use super::epa::{EpaRow, Lookup, Table, lookup, truncate_steps};
use super::{Category, Pollutant};

/// What a NowCast is computed for (and the unit of its hourly values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NowcastKind {
    /// PM2.5, µg/m³.
    Pm25,
    /// PM10, µg/m³.
    Pm10,
    /// Ozone, ppm (see [`crate::aqi::epa::to_native`] to convert from µg/m³).
    O3,
}

impl NowcastKind {
    /// Hours in the window: 12 for PM, 8 for ozone.
    pub const fn hours(self) -> usize {
        match self {
            NowcastKind::Pm25 | NowcastKind::Pm10 => 12,
            NowcastKind::O3 => 8,
        }
    }

    /// The lower bound of the weight factor: 0.5 for PM, none for ozone.
    pub const fn weight_floor(self) -> f64 {
        match self {
            NowcastKind::Pm25 | NowcastKind::Pm10 => 0.5,
            NowcastKind::O3 => 0.0,
        }
    }

    /// The EPA row the NowCast is looked up on.
    pub const fn row(self) -> EpaRow {
        match self {
            NowcastKind::Pm25 => EpaRow::Pm25,
            NowcastKind::Pm10 => EpaRow::Pm10,
            NowcastKind::O3 => EpaRow::O3_8h,
        }
    }

    const fn pollutant(self) -> Pollutant {
        match self {
            NowcastKind::Pm25 => Pollutant::Pm25,
            NowcastKind::Pm10 => Pollutant::Pm10,
            NowcastKind::O3 => Pollutant::O3_8h,
        }
    }
}

/// A NowCast value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nowcast {
    /// The NowCast concentration, truncated (µg/m³, or ppm for ozone).
    pub concentration: f64,
    /// The weight factor w used.
    pub weight: f64,
    /// Hours of the window that had a value.
    pub hours_used: usize,
}

/// The NowCast of `hours`, in time order (**oldest first, newest last**; `None` = missing
/// hour). Only the last [`NowcastKind::hours`] entries are used; a shorter slice counts the
/// hours before it as missing. `None` when not valid.
pub fn nowcast(hours: &[Option<f64>], kind: NowcastKind) -> Option<Nowcast> {
    let n = kind.hours();
    // Newest first, at most n hours, cleaned.
    let window: Vec<Option<f64>> = hours
        .iter()
        .rev()
        .take(n)
        .map(|v| v.filter(|x| x.is_finite()).map(|x| x.max(0.0)))
        .collect();
    let newest3 = window.iter().take(3).filter(|v| v.is_some()).count();
    if newest3 < 2 {
        return None;
    }
    let values = window.iter().flatten();
    let max = values.clone().fold(0.0_f64, |a, &b| a.max(b));
    let min = values.clone().fold(f64::INFINITY, |a, &b| a.min(b));
    let used = values.count();
    let truncated = |c: f64| {
        let row = kind.row();
        f64::from(truncate_steps(row, c)) / f64::from(row.steps_per_unit())
    };
    if max <= 0.0 {
        return Some(Nowcast {
            concentration: 0.0,
            weight: 1.0,
            hours_used: used,
        });
    }
    let w = (min / max).max(kind.weight_floor());
    let mut num = 0.0;
    let mut den = 0.0;
    let mut factor = 1.0;
    for v in &window {
        if let Some(c) = v {
            num += factor * c;
            den += factor;
        }
        factor *= w;
    }
    if den <= 0.0 {
        return None;
    }
    Some(Nowcast {
        concentration: truncated(num / den),
        weight: w,
        hours_used: used,
    })
}

/// The AQI of a NowCast concentration under `table`.
pub fn nowcast_aqi(concentration: f64, kind: NowcastKind, table: Table) -> Option<u32> {
    let mut row = kind.row();
    if kind == NowcastKind::O3 && truncate_steps(row, concentration) > 200 {
        row = EpaRow::O3_1h;
    }
    match lookup(row, concentration, table, kind.pollutant()) {
        Ok(Lookup::Index { aqi, .. }) => Some(aqi),
        Ok(Lookup::BelowRange { .. }) | Err(_) => None,
    }
}

/// NowCast, its AQI and category in one call.
pub fn nowcast_with_aqi(
    hours: &[Option<f64>],
    kind: NowcastKind,
    table: Table,
) -> Option<(Nowcast, u32, Category)> {
    let n = nowcast(hours, kind)?;
    let aqi = nowcast_aqi(n.concentration, kind, table)?;
    Some((n, aqi, Category::from_aqi(aqi)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference_vector() -> Vec<Option<f64>> {
        [
            Some(34.9),
            Some(43.0),
            Some(50.0),
            Some(64.9),
            Some(69.2),
            Some(66.2),
            Some(53.7),
            Some(48.6),
            Some(49.2),
            Some(35.0),
            None,
            Some(21.0),
        ]
        .to_vec()
    }

    #[test]
    fn reference_vector_gives_28_4() {
        let n = nowcast(&reference_vector(), NowcastKind::Pm25).unwrap();
        assert_eq!(n.concentration, 28.4);
        assert_eq!(n.weight, 0.5);
        assert_eq!(n.hours_used, 11);
        assert_eq!(nowcast_aqi(28.4, NowcastKind::Pm25, Table::Y2024), Some(87));
        assert_eq!(nowcast_aqi(28.4, NowcastKind::Pm25, Table::Y2012), Some(85));
    }

    #[test]
    fn validity_needs_two_of_three_newest() {
        let mut v = reference_vector();
        v[9] = None; // now the newest three are 21, missing, missing
        assert!(nowcast(&v, NowcastKind::Pm25).is_none());
        assert!(nowcast(&[Some(1.0)], NowcastKind::Pm25).is_none());
        assert!(nowcast(&[], NowcastKind::O3).is_none());
        let zeros = nowcast(&[Some(0.0), Some(-1.0)], NowcastKind::O3).unwrap();
        assert_eq!(zeros.concentration, 0.0);
    }

    #[test]
    fn ozone_has_no_floor() {
        let v = [Some(0.010), Some(0.100), Some(0.050)];
        let n = nowcast(&v, NowcastKind::O3).unwrap();
        assert!((n.weight - 0.1).abs() < 1e-12);
        // (0.050 + 0.1·0.100 + 0.01·0.010) / 1.11 = 0.05414 → 0.054
        assert_eq!(n.concentration, 0.054);
    }
}
