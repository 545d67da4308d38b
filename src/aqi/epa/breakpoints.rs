//! EPA AQI breakpoint tables, in integer steps of the truncation resolution.
//!
//! `Y2012` holds the tables in force before 2024-05-06 (technical assistance document of
//! 2018, PM2.5 breakpoints of 2012): the hazardous range is split 301–400 / 401–500.
//! `Y2024` holds the tables of the 2024 revision: PM2.5 0–9.0 for Good and 55.5–125.4 /
//! 125.5–225.4 / 225.5–325.4 for the upper categories, and one 301–500 segment for every
//! pollutant (the concentrations at 301 and 500 are unchanged).

use super::Table;

/// One segment of a table: concentrations `lo..=hi` (in steps) map to `aqi_lo..=aqi_hi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Lowest concentration of the segment, in steps.
    pub lo: u32,
    /// Highest concentration of the segment, in steps.
    pub hi: u32,
    /// AQI at `lo`.
    pub aqi_lo: u32,
    /// AQI at `hi`.
    pub aqi_hi: u32,
}

/// A segment literal (a macro, so that the tables are promoted to `'static`).
macro_rules! s {
    ($lo:expr, $hi:expr, $aqi_lo:expr, $aqi_hi:expr) => {
        Segment {
            lo: $lo,
            hi: $hi,
            aqi_lo: $aqi_lo,
            aqi_hi: $aqi_hi,
        }
    };
}

/// A row of the EPA table: a pollutant, its averaging time and native unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub enum EpaRow {
    /// PM2.5 24-h (µg/m³, truncated to 0.1).
    Pm25,
    /// PM10 24-h (µg/m³, truncated to an integer).
    Pm10,
    /// O3 8-h (ppm, truncated to 0.001); defined up to 0.200 ppm.
    O3_8h,
    /// O3 1-h (ppm, truncated to 0.001); defined from 0.125 ppm.
    O3_1h,
    /// CO 8-h (ppm, truncated to 0.1).
    Co8h,
    /// SO2 1-h (ppb, truncated to an integer); defined up to 304 ppb.
    So2_1h,
    /// SO2 24-h (ppb, truncated to an integer); defined from 305 ppb.
    So2_24h,
    /// NO2 1-h (ppb, truncated to an integer).
    No2_1h,
}

impl EpaRow {
    /// Every row.
    pub const ALL: [EpaRow; 8] = [
        EpaRow::Pm25,
        EpaRow::Pm10,
        EpaRow::O3_8h,
        EpaRow::O3_1h,
        EpaRow::Co8h,
        EpaRow::So2_1h,
        EpaRow::So2_24h,
        EpaRow::No2_1h,
    ];

    /// Steps per native unit: the truncation resolution (10 = 0.1, 1000 = 0.001).
    pub const fn steps_per_unit(self) -> u32 {
        match self {
            EpaRow::Pm25 | EpaRow::Co8h => 10,
            EpaRow::O3_8h | EpaRow::O3_1h => 1000,
            EpaRow::Pm10 | EpaRow::So2_1h | EpaRow::So2_24h | EpaRow::No2_1h => 1,
        }
    }

    /// The segments under `table`, in increasing order.
    pub const fn segments(self, table: Table) -> &'static [Segment] {
        use Table::{Y2012, Y2024};
        match (self, table) {
            (EpaRow::Pm25, Y2012) => &[
                s!(0, 120, 0, 50),
                s!(121, 354, 51, 100),
                s!(355, 554, 101, 150),
                s!(555, 1504, 151, 200),
                s!(1505, 2504, 201, 300),
                s!(2505, 3504, 301, 400),
                s!(3505, 5004, 401, 500),
            ],
            (EpaRow::Pm25, Y2024) => &[
                s!(0, 90, 0, 50),
                s!(91, 354, 51, 100),
                s!(355, 554, 101, 150),
                s!(555, 1254, 151, 200),
                s!(1255, 2254, 201, 300),
                s!(2255, 3254, 301, 500),
            ],
            (EpaRow::Pm10, Y2012) => &[
                s!(0, 54, 0, 50),
                s!(55, 154, 51, 100),
                s!(155, 254, 101, 150),
                s!(255, 354, 151, 200),
                s!(355, 424, 201, 300),
                s!(425, 504, 301, 400),
                s!(505, 604, 401, 500),
            ],
            (EpaRow::Pm10, Y2024) => &[
                s!(0, 54, 0, 50),
                s!(55, 154, 51, 100),
                s!(155, 254, 101, 150),
                s!(255, 354, 151, 200),
                s!(355, 424, 201, 300),
                s!(425, 604, 301, 500),
            ],
            (EpaRow::O3_8h, _) => &[
                s!(0, 54, 0, 50),
                s!(55, 70, 51, 100),
                s!(71, 85, 101, 150),
                s!(86, 105, 151, 200),
                s!(106, 200, 201, 300),
            ],
            (EpaRow::O3_1h, Y2012) => &[
                s!(125, 164, 101, 150),
                s!(165, 204, 151, 200),
                s!(205, 404, 201, 300),
                s!(405, 504, 301, 400),
                s!(505, 604, 401, 500),
            ],
            (EpaRow::O3_1h, Y2024) => &[
                s!(125, 164, 101, 150),
                s!(165, 204, 151, 200),
                s!(205, 404, 201, 300),
                s!(405, 604, 301, 500),
            ],
            (EpaRow::Co8h, Y2012) => &[
                s!(0, 44, 0, 50),
                s!(45, 94, 51, 100),
                s!(95, 124, 101, 150),
                s!(125, 154, 151, 200),
                s!(155, 304, 201, 300),
                s!(305, 404, 301, 400),
                s!(405, 504, 401, 500),
            ],
            (EpaRow::Co8h, Y2024) => &[
                s!(0, 44, 0, 50),
                s!(45, 94, 51, 100),
                s!(95, 124, 101, 150),
                s!(125, 154, 151, 200),
                s!(155, 304, 201, 300),
                s!(305, 504, 301, 500),
            ],
            (EpaRow::So2_1h, _) => &[
                s!(0, 35, 0, 50),
                s!(36, 75, 51, 100),
                s!(76, 185, 101, 150),
                s!(186, 304, 151, 200),
            ],
            (EpaRow::So2_24h, Y2012) => &[
                s!(305, 604, 201, 300),
                s!(605, 804, 301, 400),
                s!(805, 1004, 401, 500),
            ],
            (EpaRow::So2_24h, Y2024) => &[s!(305, 604, 201, 300), s!(605, 1004, 301, 500)],
            (EpaRow::No2_1h, Y2012) => &[
                s!(0, 53, 0, 50),
                s!(54, 100, 51, 100),
                s!(101, 360, 101, 150),
                s!(361, 649, 151, 200),
                s!(650, 1249, 201, 300),
                s!(1250, 1649, 301, 400),
                s!(1650, 2049, 401, 500),
            ],
            (EpaRow::No2_1h, Y2024) => &[
                s!(0, 53, 0, 50),
                s!(54, 100, 51, 100),
                s!(101, 360, 101, 150),
                s!(361, 649, 151, 200),
                s!(650, 1249, 201, 300),
                s!(1250, 2049, 301, 500),
            ],
        }
    }
}
