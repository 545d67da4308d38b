//! Daily values of a group of stations (a district / town, or the whole network).
//!
//! A group's daily value of each statistic is the arithmetic mean of its stations' *valid*
//! daily values of that statistic (24-h means, O3 daily maximum 1-h and maximum 8-h); it is
//! missing only when no station has a valid value that day. The group's period statistics are
//! then computed from that series exactly as for a station. This is how cities compute a town's
//! or the city's values from several stations (station daily values first, then their mean);
//! averaging the stations' *hourly* values first and taking the daily statistics of that mean
//! would give (slightly) different O3 maxima and is not done here.
//!
//! Hour and window counts are not meaningful for a group and are left at 0.

use enum_map::EnumMap;

use super::DailyStats;
use crate::aqi::Pollutant as Term;
use crate::aqi::china::DailyInput;

/// Accumulates the per-day sums of several stations' daily values.
#[derive(Debug, Clone, Default)]
pub(super) struct DayMean {
    /// Per day and AQI term: the sum of the valid values and their number.
    sums: Vec<EnumMap<Term, (f64, u32)>>,
}

impl DayMean {
    /// An accumulator over `days` days.
    pub(super) fn new(days: usize) -> DayMean {
        DayMean {
            sums: vec![EnumMap::default(); days],
        }
    }

    /// Adds one station's series (day `i` = the accumulator's day `i`; extra days are ignored).
    pub(super) fn add(&mut self, days: &[DailyStats]) {
        for (sums, d) in self.sums.iter_mut().zip(days) {
            for (term, (sum, count)) in sums {
                if let Some(v) = d.values.get(term) {
                    *sum += v;
                    *count += 1;
                }
            }
        }
    }

    /// The group's daily series.
    pub(super) fn finish(&self) -> Vec<DailyStats> {
        self.sums
            .iter()
            .map(|sums| DailyStats {
                values: DailyInput::from_fn(|term| {
                    let (sum, count) = sums[term];
                    (count > 0).then(|| sum / f64::from(count))
                }),
                valid_hours: EnumMap::default(),
                o3_8h_windows: 0,
            })
            .collect()
    }
}

/// The daily series of a group: the mean of its stations' valid daily values, day by day, over
/// `days` days.
pub fn mean_of_days<'a>(
    stations: impl IntoIterator<Item = &'a [DailyStats]>,
    days: usize,
) -> Vec<DailyStats> {
    let mut acc = DayMean::new(days);
    for s in stations {
        acc.add(s);
    }
    acc.finish()
}
