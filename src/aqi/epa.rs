//! The US EPA AQI.
//!
//! # Rules implemented
//!
//! * Concentrations are **truncated** before the lookup: PM2.5 to 0.1 µg/m³, PM10 to 1 µg/m³,
//!   O3 to 0.001 ppm, CO to 0.1 ppm, SO2 and NO2 to 1 ppb. Truncation allows 10⁻⁶ of a step
//!   for floating-point error (35.5 computed as 35.49999999999999 stays 35.5).
//! * AQI = linear interpolation inside the segment, **rounded to the nearest integer** (halves
//!   up), in exact integer arithmetic.
//! * Negative concentrations count as 0 (as EPA's published daily values do); NaN and infinite
//!   values are refused ([`AqiResult::rejected`]).
//! * Above the top breakpoint the top segment is extrapolated (published data do: AQI > 500).
//! * O3: the 8-h value is looked up up to 0.200 ppm; above, the 8-h term has no index and the
//!   1-h term (if given) stands for O3. The 1-h term exists from 0.125 ppm; the O3 AQI is the
//!   larger of the two.
//! * SO2: 1-h values up to 304 ppb on the 1-h rows; above 304 ppb the 24-h mean is used when it
//!   is ≥ 305 ppb, otherwise the index is 200 ([`Note::Fixed`]: the 1-h value alone shows at
//!   least "Unhealthy"). A 24-h mean ≥ 305 ppb given without a 1-h value is used as well.
//! * Inputs in canonical units (µg/m³, CO mg/m³) are converted to ppm/ppb at 25 °C and
//!   1013.25 hPa ([`ReferenceState::default`]), EPA's convention; [`NativeInput`] takes EPA's
//!   own units.
//! * The responsible (primary) pollutant is given at every AQI, as the EPA reports it.

mod breakpoints;

use chrono::NaiveDate;

use super::Pollutant;
use super::exact::{round_half_up_div, truncate};
pub use super::result::{AqiError, AqiResult, Note, SubIndex};
use crate::units::{Conversion, Parameter, ReferenceState, Unit};
pub use breakpoints::{EpaRow, Segment};

/// The EPA table editions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    /// The tables in force before 2024-05-06 (PM2.5 breakpoints of 2012).
    Y2012,
    /// The 2024 revision, in force from 2024-05-06.
    Y2024,
}

impl Table {
    /// The first day of the 2024 table.
    pub const Y2024_FROM: NaiveDate = match NaiveDate::from_ymd_opt(2024, 5, 6) {
        Some(d) => d,
        None => NaiveDate::MIN,
    };

    /// The table in force on a date (override by passing a `Table` value instead).
    pub fn for_date(date: NaiveDate) -> Table {
        if date < Self::Y2024_FROM {
            Table::Y2012
        } else {
            Table::Y2024
        }
    }
}

/// EPA inputs in lantian's canonical units (µg/m³; CO mg/m³); `None` = missing.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Input {
    /// PM2.5 24-h mean.
    pub pm25: Option<f64>,
    /// PM10 24-h mean.
    pub pm10: Option<f64>,
    /// O3 8-h mean (daily: the maximum 8-h mean).
    pub o3_8h: Option<f64>,
    /// O3 1-h mean (daily: the maximum 1-h value).
    pub o3_1h: Option<f64>,
    /// CO 8-h mean (daily: the maximum 8-h mean), mg/m³.
    pub co_8h: Option<f64>,
    /// SO2 1-h mean (daily: the maximum 1-h value).
    pub so2_1h: Option<f64>,
    /// SO2 24-h mean (used above 304 ppb only).
    pub so2_24h: Option<f64>,
    /// NO2 1-h mean (daily: the maximum 1-h value).
    pub no2_1h: Option<f64>,
}

/// EPA inputs in EPA's units: PM µg/m³, O3 and CO ppm, SO2 and NO2 ppb.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NativeInput {
    /// PM2.5 24-h mean, µg/m³.
    pub pm25: Option<f64>,
    /// PM10 24-h mean, µg/m³.
    pub pm10: Option<f64>,
    /// O3 8-h mean, ppm.
    pub o3_8h: Option<f64>,
    /// O3 1-h mean, ppm.
    pub o3_1h: Option<f64>,
    /// CO 8-h mean, ppm.
    pub co_8h: Option<f64>,
    /// SO2 1-h mean, ppb.
    pub so2_1h: Option<f64>,
    /// SO2 24-h mean, ppb.
    pub so2_24h: Option<f64>,
    /// NO2 1-h mean, ppb.
    pub no2_1h: Option<f64>,
}

/// Converts a canonical concentration of `parameter` to `unit` at 25 °C (NaN if impossible,
/// which the lookup then refuses).
pub fn to_native(parameter: Parameter, unit: Unit, canonical: f64) -> f64 {
    match Conversion::to_canonical(parameter, unit, &ReferenceState::default()) {
        Ok(c) => c.invert(canonical),
        Err(_) => f64::NAN,
    }
}

impl Input {
    /// The same values in EPA's units.
    pub fn to_native(&self) -> NativeInput {
        let conv = |p: Parameter, u: Unit, v: Option<f64>| v.map(|x| to_native(p, u, x));
        NativeInput {
            pm25: self.pm25,
            pm10: self.pm10,
            o3_8h: conv(Parameter::O3, Unit::Ppm, self.o3_8h),
            o3_1h: conv(Parameter::O3, Unit::Ppm, self.o3_1h),
            co_8h: conv(Parameter::Co, Unit::Ppm, self.co_8h),
            so2_1h: conv(Parameter::So2, Unit::Ppb, self.so2_1h),
            so2_24h: conv(Parameter::So2, Unit::Ppb, self.so2_24h),
            no2_1h: conv(Parameter::No2, Unit::Ppb, self.no2_1h),
        }
    }
}

/// The outcome of looking a truncated value up on one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Inside the row (or extrapolated above it, with the note).
    Index {
        /// The AQI.
        aqi: u32,
        /// The truncated concentration, in steps of the row.
        steps: u32,
        /// [`Note::AboveTopBreakpoint`] when extrapolated.
        note: Option<Note>,
    },
    /// Below the row's first breakpoint (O3 1-h below 0.125 ppm, SO2 24-h below 305 ppb).
    BelowRange {
        /// The truncated concentration, in steps.
        steps: u32,
    },
}

/// Truncates a native concentration (negative → 0) to steps of `row`.
pub fn truncate_steps(row: EpaRow, native: f64) -> u32 {
    let t = truncate(native.max(0.0), f64::from(row.steps_per_unit()));
    u32::try_from(t).unwrap_or(u32::MAX)
}

/// Looks a native concentration up on one row: truncation, then interpolation rounded to
/// the nearest integer; extrapolation above the top. `pollutant` labels errors.
pub fn lookup(
    row: EpaRow,
    native: f64,
    table: Table,
    pollutant: Pollutant,
) -> Result<Lookup, AqiError> {
    if !native.is_finite() {
        return Err(AqiError::NotFinite { pollutant });
    }
    let steps = truncate_steps(row, native);
    let segments = row.segments(table);
    let Some(first) = segments.first() else {
        return Ok(Lookup::BelowRange { steps });
    };
    if steps < first.lo {
        return Ok(Lookup::BelowRange { steps });
    }
    let (seg, note) = match segments.iter().find(|s| steps <= s.hi) {
        Some(s) => (s, None),
        None => (
            segments.last().unwrap_or(first),
            Some(Note::AboveTopBreakpoint),
        ),
    };
    let num = i128::from(seg.aqi_hi - seg.aqi_lo) * i128::from(steps - seg.lo);
    let den = i128::from(seg.hi - seg.lo);
    let aqi = i128::from(seg.aqi_lo) + round_half_up_div(num, den);
    Ok(Lookup::Index {
        aqi: u32::try_from(aqi).unwrap_or(u32::MAX),
        steps,
        note,
    })
}

/// The AQI of a PM2.5 24-h mean (µg/m³) — the computation behind EPA's `DAILY_AQI_VALUE`.
pub fn pm25_aqi(concentration: f64, table: Table) -> Result<u32, AqiError> {
    match lookup(EpaRow::Pm25, concentration, table, Pollutant::Pm25)? {
        Lookup::Index { aqi, .. } => Ok(aqi),
        Lookup::BelowRange { .. } => Ok(0),
    }
}

/// Collects sub-indices.
struct Terms {
    table: Table,
    subs: Vec<SubIndex>,
    rejected: Vec<AqiError>,
}

impl Terms {
    fn lookup(&mut self, row: EpaRow, value: f64, pollutant: Pollutant) -> Option<Lookup> {
        match lookup(row, value, self.table, pollutant) {
            Ok(l) => Some(l),
            Err(e) => {
                self.rejected.push(e);
                None
            }
        }
    }

    fn push(
        &mut self,
        pollutant: Pollutant,
        row: EpaRow,
        steps: u32,
        aqi: u32,
        note: Option<Note>,
    ) {
        self.subs.push(SubIndex {
            pollutant,
            concentration: f64::from(steps) / f64::from(row.steps_per_unit()),
            iaqi: aqi,
            note,
        });
    }

    /// A term whose value is used only inside the row (`max_steps` caps the row, as for O3 8-h).
    fn add(
        &mut self,
        pollutant: Pollutant,
        row: EpaRow,
        value: Option<f64>,
        max_steps: Option<u32>,
    ) {
        let Some(v) = value else { return };
        if let Some(Lookup::Index { aqi, steps, note }) = self.lookup(row, v, pollutant)
            && max_steps.is_none_or(|m| steps <= m)
        {
            self.push(pollutant, row, steps, aqi, note);
        }
    }

    fn add_so2(&mut self, one_hour: Option<f64>, day: Option<f64>) {
        let day_lookup = day.and_then(|v| self.lookup(EpaRow::So2_24h, v, Pollutant::So2));
        let hour = one_hour.and_then(|v| self.lookup(EpaRow::So2_1h, v, Pollutant::So2));
        match (hour, day_lookup) {
            (
                Some(Lookup::Index {
                    aqi,
                    steps,
                    note: None,
                }),
                _,
            ) => {
                self.push(Pollutant::So2, EpaRow::So2_1h, steps, aqi, None);
            }
            (_, Some(Lookup::Index { aqi, steps, note })) => {
                self.push(Pollutant::So2, EpaRow::So2_24h, steps, aqi, note);
            }
            (Some(Lookup::Index { steps, .. }), _) => {
                self.push(
                    Pollutant::So2,
                    EpaRow::So2_1h,
                    steps,
                    200,
                    Some(Note::Fixed),
                );
            }
            _ => {}
        }
    }
}

/// The EPA AQI of values in EPA's units.
pub fn aqi_native(input: &NativeInput, table: Table) -> AqiResult {
    let mut t = Terms {
        table,
        subs: Vec::with_capacity(7),
        rejected: Vec::new(),
    };
    t.add_so2(input.so2_1h, input.so2_24h);
    t.add(Pollutant::No2, EpaRow::No2_1h, input.no2_1h, None);
    t.add(Pollutant::Pm10, EpaRow::Pm10, input.pm10, None);
    t.add(Pollutant::Pm25, EpaRow::Pm25, input.pm25, None);
    t.add(Pollutant::Co, EpaRow::Co8h, input.co_8h, None);
    t.add(Pollutant::O3_1h, EpaRow::O3_1h, input.o3_1h, None);
    t.add(Pollutant::O3_8h, EpaRow::O3_8h, input.o3_8h, Some(200));
    AqiResult::from_sub_indices(t.subs, t.rejected, None, false)
}

/// The EPA AQI of values in lantian's canonical units (converted at 25 °C).
pub fn aqi(input: &Input, table: Table) -> AqiResult {
    aqi_native(&input.to_native(), table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_by_date() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(Table::for_date(d(2024, 5, 5)), Table::Y2012);
        assert_eq!(Table::for_date(d(2024, 5, 6)), Table::Y2024);
    }

    #[test]
    fn pm25_edges_and_extrapolation() {
        assert_eq!(pm25_aqi(12.0, Table::Y2012), Ok(50));
        assert_eq!(pm25_aqi(12.1, Table::Y2012), Ok(51));
        assert_eq!(pm25_aqi(12.09, Table::Y2012), Ok(50));
        assert_eq!(pm25_aqi(35.499_999_999_999_99, Table::Y2012), Ok(101));
        assert_eq!(pm25_aqi(-2.8, Table::Y2012), Ok(0));
        assert_eq!(pm25_aqi(9.0, Table::Y2024), Ok(50));
        assert_eq!(pm25_aqi(325.4, Table::Y2024), Ok(500));
        assert!(pm25_aqi(600.0, Table::Y2024).unwrap() > 500);
        assert!(pm25_aqi(f64::NAN, Table::Y2024).is_err());
    }

    #[test]
    fn ozone_and_so2_rules() {
        let r = aqi_native(
            &NativeInput {
                o3_8h: Some(0.250),
                o3_1h: Some(0.300),
                ..Default::default()
            },
            Table::Y2024,
        );
        assert_eq!(r.iaqi(Pollutant::O3_8h), None);
        assert_eq!(r.iaqi(Pollutant::O3_1h), Some(248));
        let r = aqi_native(
            &NativeInput {
                o3_1h: Some(0.100),
                o3_8h: Some(0.060),
                ..Default::default()
            },
            Table::Y2024,
        );
        assert_eq!(r.iaqi(Pollutant::O3_1h), None);
        assert_eq!(r.aqi, Some(r.iaqi(Pollutant::O3_8h).unwrap()));
        let so2 = |h: Option<f64>, d: Option<f64>| {
            aqi_native(
                &NativeInput {
                    so2_1h: h,
                    so2_24h: d,
                    ..Default::default()
                },
                Table::Y2024,
            )
            .aqi
        };
        assert_eq!(so2(Some(304.0), None), Some(200));
        assert_eq!(so2(Some(400.0), None), Some(200));
        assert_eq!(so2(Some(400.0), Some(100.0)), Some(200));
        assert_eq!(so2(Some(400.0), Some(305.0)), Some(201));
        assert_eq!(so2(None, Some(604.0)), Some(300));
        assert_eq!(so2(None, Some(100.0)), None);
    }

    #[test]
    fn canonical_input_is_converted() {
        // 0.070 ppm O3 at 25 °C = 137.33 µg/m³ → AQI 100.
        let ug = 0.070 * 47.997 / ReferenceState::default().molar_volume() * 1000.0;
        let r = aqi(
            &Input {
                o3_8h: Some(ug),
                ..Default::default()
            },
            Table::Y2024,
        );
        assert_eq!(r.aqi, Some(100));
    }
}
