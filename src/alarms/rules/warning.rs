//! The heavy-pollution weather warning (重污染天气预警) from a forecast run.
//!
//! The levels follow the Ministry of Environmental Protection's
//! 《重污染天气预警分级标准和应急减排措施修订工作方案》(环大气〔2017〕86号), with AQI the
//! forecast *daily* AQI (any 24 consecutive hours):
//!
//! | level | condition (each only "when the higher level is not reached") |
//! |---|---|
//! | blue 蓝色 | daily AQI > 200 forecast for 1 day |
//! | yellow 黄色 | AQI > 200 for 2 days (48 h) or more |
//! | orange 橙色 | AQI > 200 for 3 days (72 h) and > 300 on at least 1 of them |
//! | red 红色 | AQI > 200 for 4 days (96 h) and > 300 on at least 2, or AQI reaching 500 on 1 day |
//!
//! The later 《关于进一步优化重污染天气应急机制的指导意见》(环大气〔2024〕6号) revised the
//! emergency mechanism; whether it changed these thresholds has **not been verified** here, so
//! every number is configurable ([`WarningThresholds`], the `heavy-pollution-warning` rule).
//!
//! lantian's forecasts reach two days ahead (D+1, D+2). A level that needs more consecutive
//! days than the run forecasts cannot be decided from it: [`WarningAssessment::undecided`]
//! says so (e.g. "at least yellow; orange and red need a 3–4-day forecast") instead of
//! guessing.

use chrono::NaiveDate;

use crate::aqi::china::{DailyInput, RuleSet, daily_aqi};
use crate::store::{ForecastDay, WarningLevel};

/// The thresholds of the levels (defaults: 环大气〔2017〕86号).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WarningThresholds {
    /// A "heavy" day: forecast daily AQI above this (200).
    pub heavy_aqi: u32,
    /// A "severe" day: above this (300).
    pub severe_aqi: u32,
    /// One day reaching this is red on its own (500).
    pub extreme_aqi: u32,
    /// Consecutive heavy days for each level, blue to red (1, 2, 3, 4).
    pub days: [u32; 4],
    /// Severe days among them for each level (0, 0, 1, 2).
    pub severe_days: [u32; 4],
}

impl Default for WarningThresholds {
    fn default() -> Self {
        WarningThresholds {
            heavy_aqi: 200,
            severe_aqi: 300,
            extreme_aqi: 500,
            days: [1, 2, 3, 4],
            severe_days: [0, 0, 1, 2],
        }
    }
}

impl WarningThresholds {
    /// Why these thresholds are impossible (levels not rising, severe above extreme …).
    pub fn problem(&self) -> Option<String> {
        if !(self.heavy_aqi < self.severe_aqi && self.severe_aqi < self.extreme_aqi) {
            return Some(format!(
                "the AQI levels must rise: heavy_aqi {} < severe_aqi {} < extreme_aqi {}",
                self.heavy_aqi, self.severe_aqi, self.extreme_aqi
            ));
        }
        if self.days[0] == 0 || self.days.windows(2).any(|w| w[0] > w[1]) {
            return Some(format!(
                "the days of the levels must be at least 1 and not fall from blue to red: {:?}",
                self.days
            ));
        }
        if self.severe_days.iter().zip(self.days).any(|(s, d)| *s > d) {
            return Some(format!(
                "a level cannot need more severe days than heavy days: severe_days {:?}, days {:?}",
                self.severe_days, self.days
            ));
        }
        None
    }
}

/// The warning a run's forecast days call for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningAssessment {
    /// The level the forecast reaches (`None`: none).
    pub level: Option<WarningLevel>,
    /// A higher level the forecast cannot decide, with the days of forecast it would need:
    /// the heavy days run to the end of the forecast, and more days could reach it.
    pub undecided: Option<(WarningLevel, u32)>,
    /// Consecutive forecast days (from the first) that have a daily AQI.
    pub horizon_days: u32,
    /// The longest run of consecutive heavy days.
    pub heavy_days: u32,
    /// Severe days in that run.
    pub severe_days: u32,
    /// The highest daily AQI forecast.
    pub peak_aqi: Option<u32>,
}

/// The warning for the forecast daily AQIs of consecutive days starting tomorrow (`None`: no
/// forecast for that day; the forecast ends there).
pub fn assess(aqis: &[Option<u32>], t: &WarningThresholds) -> WarningAssessment {
    let known: Vec<u32> = aqis.iter().map_while(|a| *a).collect();
    let horizon = known.len() as u32;
    // The longest run of heavy days (the most severe one among equally long runs), and
    // whether it reaches the end of the forecast.
    let (mut best, mut best_severe, mut best_open) = (0u32, 0u32, false);
    let (mut run, mut severe) = (0u32, 0u32);
    for (i, aqi) in known.iter().enumerate() {
        if *aqi > t.heavy_aqi {
            run += 1;
            severe += u32::from(*aqi > t.severe_aqi);
            if (run, severe) > (best, best_severe) {
                (best, best_severe) = (run, severe);
                best_open = i + 1 == known.len();
            }
        } else {
            (run, severe) = (0, 0);
        }
    }
    let reached = |k: usize| best >= t.days[k] && best_severe >= t.severe_days[k];
    let extreme = known.iter().any(|a| *a >= t.extreme_aqi);
    let level = if extreme {
        Some(WarningLevel::Red)
    } else {
        (0..4)
            .rev()
            .find(|k| reached(*k))
            .map(|k| WarningLevel::ALL[k])
    };
    // A higher level is undecided when the run reaches the end of the forecast (more heavy
    // days may follow) and its severe-day count can still be met by days to come.
    let undecided = if best_open && level != Some(WarningLevel::Red) {
        (0..4)
            .rev()
            .filter(|k| Some(WarningLevel::ALL[*k]) > level)
            .find(|k| {
                let more = t.days[*k].saturating_sub(best);
                more > 0 && best_severe + more >= t.severe_days[*k]
            })
            .map(|k| (WarningLevel::ALL[k], horizon - best + t.days[k]))
    } else {
        None
    };
    WarningAssessment {
        level,
        undecided,
        horizon_days: horizon,
        heavy_days: best,
        severe_days: best_severe,
        peak_aqi: known.iter().max().copied(),
    }
}

/// The area's forecast daily AQI of one day from its stations' forecasts of that day: the
/// HJ 633 daily AQI of the stations' mean forecast PM2.5, PM10 and O3 8-h maximum (as cities
/// compute their AQI from the mean concentrations of their stations). Stations that abstained
/// on a pollutant are left out of its mean; `None` when fewer than half of `expected`
/// stations have a forecast AQI (too little of the area is known).
pub fn area_daily_aqi(day: &[&ForecastDay], expected: usize, date: NaiveDate) -> Option<u32> {
    let forecast = day.iter().filter(|d| d.aqi.is_some()).count();
    if forecast == 0 || forecast * 2 < expected {
        return None;
    }
    let mean = |f: fn(&ForecastDay) -> Option<f64>| {
        let values: Vec<f64> = day.iter().filter_map(|d| f(d)).collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    let input = DailyInput {
        pm25: mean(|d| d.pm25),
        pm10: mean(|d| d.pm10),
        o3_8h_max: mean(|d| d.o3_8h_max),
        ..DailyInput::default()
    };
    daily_aqi(&input, RuleSet::for_date(date)).aqi
}

/// The sentence that states an assessment in English (the reports have their own words).
pub fn describe(a: &WarningAssessment) -> String {
    let mut s = match a.level {
        Some(level) => format!("{level} warning"),
        None => "no warning".to_string(),
    };
    if let Some((higher, days)) = a.undecided {
        s += &format!(
            " (at least; {higher} cannot be decided from a {}-day forecast: it needs {days} days)",
            a.horizon_days
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(aqis: &[Option<u32>]) -> WarningAssessment {
        assess(aqis, &WarningThresholds::default())
    }

    #[test]
    fn levels_of_the_2017_scheme() {
        assert_eq!(level(&[Some(150), Some(180)]).level, None);
        let blue = level(&[Some(201), Some(180)]);
        assert_eq!(blue.level, Some(WarningLevel::Blue));
        assert_eq!(blue.undecided, None, "the run ended inside the forecast");
        let blue_open = level(&[Some(150), Some(230)]);
        assert_eq!(blue_open.level, Some(WarningLevel::Blue));
        assert_eq!(
            blue_open.undecided,
            Some((WarningLevel::Red, 5)),
            "heavy on the last day: more may follow"
        );
        let yellow = level(&[Some(210), Some(250)]);
        assert_eq!(yellow.level, Some(WarningLevel::Yellow));
        assert_eq!(yellow.undecided, Some((WarningLevel::Red, 4)));
        // Three days with one severe: orange; four with two severe: red.
        let four = [Some(210), Some(320), Some(220), Some(205)];
        assert_eq!(level(&four[..3]).level, Some(WarningLevel::Orange));
        assert_eq!(level(&four).level, Some(WarningLevel::Orange));
        let red = [Some(210), Some(320), Some(330), Some(205)];
        assert_eq!(level(&red).level, Some(WarningLevel::Red));
        assert_eq!(level(&red).undecided, None);
        // Three heavy days without a severe one stay yellow.
        assert_eq!(
            level(&[Some(210), Some(220), Some(230), Some(100)]).level,
            Some(WarningLevel::Yellow)
        );
    }

    #[test]
    fn an_aqi_of_500_is_red_at_once() {
        let a = level(&[Some(500), Some(120)]);
        assert_eq!(a.level, Some(WarningLevel::Red));
        assert_eq!(a.peak_aqi, Some(500));
    }

    #[test]
    fn a_missing_day_ends_the_forecast() {
        let a = level(&[Some(260), None, Some(300)]);
        assert_eq!(a.horizon_days, 1);
        assert_eq!(a.level, Some(WarningLevel::Blue));
        assert!(a.undecided.is_some());
        assert_eq!(level(&[None, Some(300)]).level, None);
    }

    #[test]
    fn thresholds_are_configurable_and_checked() {
        let t = WarningThresholds {
            heavy_aqi: 150,
            ..WarningThresholds::default()
        };
        assert_eq!(assess(&[Some(160)], &t).level, Some(WarningLevel::Blue));
        assert!(t.problem().is_none());
        let bad = WarningThresholds {
            severe_aqi: 100,
            ..WarningThresholds::default()
        };
        assert!(bad.problem().unwrap().contains("must rise"));
        let bad = WarningThresholds {
            days: [1, 3, 2, 4],
            ..WarningThresholds::default()
        };
        assert!(bad.problem().is_some());
    }

    #[test]
    fn descriptions_say_what_cannot_be_decided() {
        let s = describe(&level(&[Some(210), Some(320)]));
        assert!(s.starts_with("yellow warning (at least"), "{s}");
        assert!(s.contains("red"), "{s}");
        assert_eq!(describe(&level(&[Some(50), Some(60)])), "no warning");
    }
}
