//! Assessment (HJ 663): daily statistics with their validity rules, period statistics, the
//! comprehensive index and rankings.
//!
//! The flow, from hourly values to a ranking:
//!
//! 1. [`daily`]: a station's hourly values of one local day (a dense `[f64; 24]` per pollutant,
//!    hour-ending, `NaN` = missing) → [`DailyStats`]: 24-h means, O3 daily maximum 1-h and
//!    maximum 8-h moving mean, each `None` when HJ 663's validity rule is not met.
//! 2. `aggregate`: the daily values of several stations → one daily series (district, network).
//!    Only assessment stations ([`StationRole::Assessment`](crate::store::StationRole), 评价点)
//!    make a district, the network or a city; background sites and micro stations keep their
//!    station-level values (micro stations their own ranking: [`rank_store_role`]).
//! 3. `stats`: a series of days over a [`Period`] → [`PeriodStats`]: valid-day counts, period
//!    concentrations (means, CO P95, O3 P90), good-day share via the daily AQI, and the
//!    comprehensive index of `index`.
//! 4. `rank`: rows ranked by the comprehensive index, with the change versus the same period of
//!    the previous year; [`run`] does it all over a [`Store`](crate::store::Store).
//! 5. [`city`]: cities as an assessment level — the ministry's key-city ranking over a city
//!    list (the built-in 168 key cities or a user's), background sites and micro stations excluded, with the
//!    analyst's dust days and the focus on one city.
//!
//! Everything is in canonical units (µg/m³; CO mg/m³).

mod aggregate;
pub mod city;
pub mod daily;
mod index;
mod period;
mod pollutant;
mod rank;
pub mod rank_table;
#[cfg(test)]
mod roles_tests;
pub mod run;
mod stats;

pub use aggregate::mean_of_days;
pub use daily::{DailyRules, DailyStats, DayHours, daily_stats, local_midnight};
pub use index::{ComprehensiveIndex, IndexStandards, round_half_even};
pub use period::{DateRange, Period, PeriodError};
pub use pollutant::Pollutant;
pub use rank::{Change, RankRow, assign_ranks, assign_ranks_by};
pub use run::{AssessError, GroupBy, Ranking, rank_store, rank_store_role};
pub use stats::{
    AqiDayValidity, AqiDays, AssessConfig, PeriodStats, Rounding, percentile,
    period_concentrations, period_stats, reported_decimals, rounded_concentrations, rounded_days,
};
