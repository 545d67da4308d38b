//! HJ 633 IAQI breakpoint tables (2012 and 2026 editions).

use super::RuleSet;

/// The IAQI values at the breakpoints, in column order.
pub const IAQI_LEVELS: [u32; 8] = [0, 50, 100, 150, 200, 300, 400, 500];

/// A row of the HJ 633 breakpoint table: a pollutant and an averaging time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub enum Row {
    /// SO2 24-h mean (µg/m³).
    So2_24h,
    /// SO2 1-h mean (µg/m³); defined up to 800 (IAQI 200) only.
    So2_1h,
    /// NO2 24-h mean (µg/m³).
    No2_24h,
    /// NO2 1-h mean (µg/m³).
    No2_1h,
    /// PM10 24-h mean (µg/m³).
    Pm10_24h,
    /// PM2.5 24-h mean (µg/m³).
    Pm25_24h,
    /// CO 24-h mean (mg/m³).
    Co_24h,
    /// CO 1-h mean (mg/m³).
    Co_1h,
    /// O3 1-h mean (µg/m³).
    O3_1h,
    /// O3 8-h moving mean (µg/m³); defined up to 800 (IAQI 300) only.
    O3_8h,
}

impl Row {
    /// Every row.
    pub const ALL: [Row; 10] = [
        Row::So2_24h,
        Row::So2_1h,
        Row::No2_24h,
        Row::No2_1h,
        Row::Pm10_24h,
        Row::Pm25_24h,
        Row::Co_24h,
        Row::Co_1h,
        Row::O3_1h,
        Row::O3_8h,
    ];

    /// The concentrations at IAQI 0, 50, 100, … ([`IAQI_LEVELS`]) under `rules`; shorter
    /// than 8 where the table stops (SO2 1 h, O3 8 h).
    pub const fn breakpoints(self, rules: RuleSet) -> &'static [u32] {
        match (self, rules) {
            (Row::So2_24h, _) => &[0, 50, 150, 475, 800, 1600, 2100, 2620],
            (Row::So2_1h, _) => &[0, 150, 500, 650, 800],
            (Row::No2_24h, _) => &[0, 40, 80, 180, 280, 565, 750, 940],
            (Row::No2_1h, _) => &[0, 100, 200, 700, 1200, 2340, 3090, 3840],
            (Row::Pm10_24h, RuleSet::Y2012) => &[0, 50, 150, 250, 350, 420, 500, 600],
            (Row::Pm10_24h, RuleSet::Y2026) => &[0, 50, 120, 250, 350, 420, 500, 600],
            (Row::Pm25_24h, RuleSet::Y2012) => &[0, 35, 75, 115, 150, 250, 350, 500],
            (Row::Pm25_24h, RuleSet::Y2026) => &[0, 35, 60, 115, 150, 250, 350, 500],
            (Row::Co_24h, _) => &[0, 2, 4, 14, 24, 36, 48, 60],
            (Row::Co_1h, _) => &[0, 5, 10, 35, 60, 90, 120, 150],
            (Row::O3_1h, _) => &[0, 160, 200, 300, 400, 800, 1000, 1200],
            (Row::O3_8h, _) => &[0, 100, 160, 215, 265, 800],
        }
    }

    /// Decimal places the 2026 rules round a concentration to before the lookup (CO 1,
    /// others 0).
    pub const fn decimals_2026(self) -> u32 {
        match self {
            Row::Co_24h | Row::Co_1h => 1,
            _ => 0,
        }
    }
}
