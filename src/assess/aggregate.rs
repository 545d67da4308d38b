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

use super::DailyStats;
use crate::aqi::china::DailyInput;

/// Accumulates the per-day sums of several stations' daily values.
#[derive(Debug, Clone, Default)]
pub struct DayMean {
    sums: Vec<[f64; 7]>,
    counts: Vec<[u32; 7]>,
}

fn fields(v: &DailyInput) -> [Option<f64>; 7] {
    [v.so2, v.no2, v.pm10, v.pm25, v.co, v.o3_1h_max, v.o3_8h_max]
}

impl DayMean {
    /// An accumulator over `days` days.
    pub fn new(days: usize) -> DayMean {
        DayMean {
            sums: vec![[0.0; 7]; days],
            counts: vec![[0; 7]; days],
        }
    }

    /// Adds one station's series (day `i` = the accumulator's day `i`; extra days are ignored).
    pub fn add(&mut self, days: &[DailyStats]) {
        for ((sum, count), d) in self.sums.iter_mut().zip(&mut self.counts).zip(days) {
            for (k, v) in fields(&d.values).into_iter().enumerate() {
                if let Some(v) = v {
                    sum[k] += v;
                    count[k] += 1;
                }
            }
        }
    }

    /// The group's daily series.
    pub fn finish(&self) -> Vec<DailyStats> {
        self.sums
            .iter()
            .zip(&self.counts)
            .map(|(sum, count)| {
                let m = |k: usize| (count[k] > 0).then(|| sum[k] / f64::from(count[k]));
                DailyStats {
                    values: DailyInput {
                        so2: m(0),
                        no2: m(1),
                        pm10: m(2),
                        pm25: m(3),
                        co: m(4),
                        o3_1h_max: m(5),
                        o3_8h_max: m(6),
                    },
                    valid_hours: [0; 6],
                    o3_8h_windows: 0,
                }
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
