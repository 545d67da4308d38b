//! HJ 633: IAQI and AQI, hourly (real-time, as CNEMC publishes) and daily.

use chrono::NaiveDate;

use super::Category;

/// The Chinese rule sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleSet {
    /// HJ 633-2012 / HJ 663-2013 / GB 3095-2012.
    Y2012,
    /// The 2026 editions, in force from 2026-03-01.
    Y2026,
}

impl RuleSet {
    /// The rule set in force on a (local) date.
    pub fn for_date(date: NaiveDate) -> RuleSet {
        let _ = date;
        unimplemented!("helper E")
    }
}

/// A day's statistics as HJ 633 daily AQI needs them (canonical units; `None` = not valid).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DailyInput {
    /// SO2 24-h mean.
    pub so2: Option<f64>,
    /// NO2 24-h mean.
    pub no2: Option<f64>,
    /// PM10 24-h mean.
    pub pm10: Option<f64>,
    /// PM2.5 24-h mean.
    pub pm25: Option<f64>,
    /// CO 24-h mean (mg/m³).
    pub co: Option<f64>,
    /// O3 daily maximum 1-h value.
    pub o3_1h_max: Option<f64>,
    /// O3 daily maximum 8-h moving mean.
    pub o3_8h_max: Option<f64>,
}

/// The result of an AQI computation.
#[derive(Debug, Clone, PartialEq)]
pub struct AqiResult {
    /// The AQI (max IAQI); `None` when no pollutant had a value.
    pub aqi: Option<u32>,
    /// Its category.
    pub category: Option<Category>,
}

/// The daily AQI of HJ 633 under `rules`.
pub fn daily_aqi(input: &DailyInput, rules: RuleSet) -> AqiResult {
    let _ = (input, rules);
    unimplemented!("helper E")
}
