//! Rankings by the comprehensive index, and the change versus the same period of last year.

use super::{PeriodStats, Pollutant, round_half_even};

/// One ranked row: a station, a district or the network.
#[derive(Debug, Clone, PartialEq)]
pub struct RankRow {
    /// Rank by I_sum ascending (1 = best); equal I_sum (to the reported 2 decimals) share a
    /// rank and the next rank is skipped ("1, 2, 2, 4"). `None` without an index.
    pub rank: Option<u32>,
    /// Station id, district name, or `network`.
    pub id: String,
    /// Station name, or for a group the number of stations.
    pub name: String,
    /// Stations in the row (1 for a station).
    pub stations: usize,
    /// This period.
    pub stats: PeriodStats,
    /// The same period of the previous year (`None` when there is no data then).
    pub previous: Option<PeriodStats>,
}

/// Change of I_sum versus the same period of the previous year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change {
    /// I_sum − last year's I_sum (rounded to 2 decimals).
    pub difference: f64,
    /// The difference in percent of last year's I_sum (unrounded; `None` if that was 0).
    pub percent: Option<f64>,
}

impl RankRow {
    /// Last year's I_sum.
    pub fn previous_total(&self) -> Option<f64> {
        self.previous.as_ref().and_then(PeriodStats::total)
    }

    /// The change versus last year (`None` when either index is missing).
    pub fn change(&self) -> Option<Change> {
        let now = self.stats.total()?;
        let before = self.previous_total()?;
        let difference = round_half_even(now - before, 2);
        Some(Change {
            difference,
            percent: (before != 0.0).then(|| difference / before * 100.0),
        })
    }

    fn key(&self) -> Option<i64> {
        self.stats.index.map(|i| i.hundredths())
    }
}

/// Sorts rows by I_sum ascending (rows without an index last, ties by id) and sets their ranks.
pub fn assign_ranks(rows: &mut [RankRow]) {
    rank_by(rows, RankRow::key);
}

/// Sorts rows by one pollutant's period concentration ascending, as reported (rounded half to
/// even to the pollutant's reported decimals; rows without it last, ties by id), and sets
/// their ranks (equal values share a rank). Micro-station grids (网格化监测) rank this way by
/// PM2.5 or PM10: their sensors measure no comprehensive index.
pub fn assign_ranks_by(rows: &mut [RankRow], pollutant: Pollutant) {
    let key = |row: &RankRow| -> Option<i64> {
        let decimals = super::reported_decimals(pollutant);
        let v = round_half_even(row.stats.concentrations[pollutant]?, decimals);
        Some((v * 10f64.powi(decimals as i32)).round() as i64)
    };
    rank_by(rows, key);
}

/// Sorts rows by `key` ascending (rows without one last, ties by id) and sets competition
/// ranks ("1, 2, 2, 4").
fn rank_by(rows: &mut [RankRow], key: impl Fn(&RankRow) -> Option<i64>) {
    rows.sort_by(|a, b| match (key(a), key(b)) {
        (Some(x), Some(y)) => x.cmp(&y).then_with(|| a.id.cmp(&b.id)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.id.cmp(&b.id),
    });
    let mut previous: Option<(i64, u32)> = None;
    for (i, row) in rows.iter_mut().enumerate() {
        row.rank = key(row).map(|k| match previous {
            Some((pk, pr)) if pk == k => pr,
            _ => {
                let r = u32::try_from(i + 1).unwrap_or(u32::MAX);
                previous = Some((k, r));
                r
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::{ComprehensiveIndex, DateRange, Period};

    fn row(id: &str, total: Option<f64>, previous: Option<f64>) -> RankRow {
        let range: DateRange = "2016-01"
            .parse::<Period>()
            .and_then(|p| p.range())
            .expect("month");
        let stats = |t: Option<f64>| PeriodStats {
            range,
            min_valid_days: 27,
            valid_days: enum_map::EnumMap::from_fn(|_| 31),
            concentrations: Default::default(),
            index: t.map(|total| ComprehensiveIndex {
                sub: Default::default(),
                total,
            }),
            aqi: Default::default(),
        };
        RankRow {
            rank: None,
            id: id.to_string(),
            name: id.to_string(),
            stations: 1,
            stats: stats(total),
            previous: previous.map(|p| stats(Some(p))),
        }
    }

    #[test]
    fn ties_share_a_rank() {
        let mut rows = vec![
            row("d", None, None),
            row("c", Some(3.06), None),
            row("b", Some(2.5), None),
            row("a", Some(0.1 + 2.96), None), // 3.06 with binary noise
            row("e", Some(4.0), None),
            row("f", Some(2.5), None),
        ];
        assign_ranks(&mut rows);
        let got: Vec<(&str, Option<u32>)> = rows.iter().map(|r| (r.id.as_str(), r.rank)).collect();
        assert_eq!(
            got,
            [
                ("b", Some(1)),
                ("f", Some(1)),
                ("a", Some(3)),
                ("c", Some(3)),
                ("e", Some(5)),
                ("d", None)
            ]
        );
    }

    #[test]
    fn change_versus_last_year() {
        let r = row("a", Some(4.5), Some(5.0));
        let c = r.change().expect("change");
        assert_eq!(c.difference, -0.5);
        assert_eq!(c.percent, Some(-10.0));
        assert_eq!(row("a", Some(4.5), None).change(), None);
        assert_eq!(row("a", None, Some(4.0)).change(), None);
        assert_eq!(
            row("a", Some(1.0), Some(0.0))
                .change()
                .and_then(|c| c.percent),
            None
        );
    }
}
