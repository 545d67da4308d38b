//! The data checks of the device-health report (stuck values, out of range, inconsistent
//! pairs; see [`super::health`]'s module docs), fed one station at a time.
//!
//! A station's day of records is read, checked and dropped before the next one is read: the
//! report never holds the whole network's minutes (≈ 665,000 records for the demo network,
//! 30 MB, whose freeing left glibc's arenas holding tens of MB in a long-running collector).
//! The stuck threshold of a parameter depends on the longest repeats at the *other* stations,
//! so each station's runs at the base threshold are kept as candidates (few and short) and
//! filtered once every station is seen: a run of `n` identical values is a run of ≥ `m` for
//! every `m ≤ n`, so the candidates at the base threshold hold every final finding.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::health::{CheckKind, Finding, HealthRules};
use super::health_series::{longest_repeat, stuck};
use crate::quality::Flag;
use crate::store::{Filter, ReadingQuery, ReadingStore, Record, Resolution, StoreError};
use crate::units::Parameter;

/// One station's records of a day: per parameter and resolution, sorted by time.
pub(super) type StationSeries = BTreeMap<(Parameter, Resolution), Vec<Record>>;

/// The hourly and minute records of `station` labelled within the day `[start, end)`
/// (labels `(start, end]`).
pub(super) fn read_station(
    store: &(impl ReadingStore + ?Sized),
    station: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<StationSeries, StoreError> {
    let mut series = StationSeries::new();
    for resolution in [Resolution::Hour, Resolution::Minute] {
        let step = resolution.period().unwrap_or_default();
        let query = ReadingQuery::new(resolution, start + step, end + TimeDelta::seconds(1))
            .for_stations(Filter::one(station));
        for r in store.readings(&query)? {
            series
                .entry((r.parameter, r.resolution))
                .or_default()
                .push(r);
        }
    }
    Ok(series)
}

/// The data checks of a day, station by station.
#[derive(Debug, Default)]
pub(super) struct DataChecks {
    /// Longest repeat of each parameter and resolution, per station.
    longest: BTreeMap<(Parameter, Resolution), Vec<(String, usize)>>,
    /// Stuck runs at the base threshold, with the resolution of their series.
    candidates: Vec<(Resolution, Finding)>,
    /// Findings that need no other station (out of range, inconsistencies).
    findings: Vec<Finding>,
}

impl DataChecks {
    /// Checks one station's day.
    pub(super) fn add_station(
        &mut self,
        station: &str,
        series: &StationSeries,
        rules: &HealthRules,
    ) {
        for (&(p, res), s) in series {
            self.longest
                .entry((p, res))
                .or_default()
                .push((station.to_string(), longest_repeat(s)));
            let has_minutes = series.contains_key(&(p, Resolution::Minute));
            let base = match res {
                Resolution::Minute => rules.stuck_minutes,
                _ if has_minutes => continue,
                _ => rules.stuck_hours,
            };
            let step = res.period().unwrap_or_default();
            if p != Parameter::Rain {
                for (a, b) in stuck(s, base) {
                    let finding = Finding {
                        station: station.to_string(),
                        kind: CheckKind::Stuck,
                        parameter: p,
                        from: s[a].time - step,
                        to: s[b].time,
                        count: u32::try_from(b - a + 1).unwrap_or(u32::MAX),
                        value: s[a].value,
                    };
                    self.candidates.push((res, finding));
                }
            }
            let over: Vec<&Record> = s.iter().filter(|r| r.flag == Flag::OverRange).collect();
            if let (Some(first), Some(last)) = (over.first(), over.last()) {
                self.findings.push(Finding {
                    station: station.to_string(),
                    kind: CheckKind::OutOfRange,
                    parameter: p,
                    from: first.time - step,
                    to: last.time,
                    count: u32::try_from(over.len()).unwrap_or(u32::MAX),
                    value: last.value,
                });
            }
        }
        for (small, large, kind) in [
            (Parameter::Pm25, Parameter::Pm10, CheckKind::Pm25AbovePm10),
            (Parameter::No2, Parameter::Nox, CheckKind::No2AboveNox),
        ] {
            let get = |p| series.get(&(p, Resolution::Hour));
            let (Some(a), Some(b)) = (get(small), get(large)) else {
                continue;
            };
            if let Some(finding) = inconsistency(station, kind, small, a, b) {
                self.findings.push(finding);
            }
        }
    }

    /// Every finding, by kind, station and parameter: the stuck candidates that are also at
    /// least three times as long as the longest repeat of their parameter at the median other
    /// station (when at least two other stations have it).
    pub(super) fn finish(self) -> Vec<Finding> {
        let DataChecks {
            longest,
            candidates,
            mut findings,
        } = self;
        for (res, finding) in candidates {
            let mut others: Vec<usize> = longest
                .get(&(finding.parameter, res))
                .into_iter()
                .flatten()
                .filter(|(id, _)| *id != finding.station)
                .map(|x| x.1)
                .collect();
            others.sort_unstable();
            let needed = if others.len() >= 2 {
                3 * others[others.len() / 2] + 1
            } else {
                0
            };
            if usize::try_from(finding.count).unwrap_or(usize::MAX) >= needed {
                findings.push(finding);
            }
        }
        findings.sort_by(|a, b| {
            (a.kind, &a.station, a.parameter).cmp(&(b.kind, &b.station, b.parameter))
        });
        findings
    }
}

/// Hours with valid `small` above valid `large` at one station, as one finding (`None` when
/// there are none).
fn inconsistency(
    station: &str,
    kind: CheckKind,
    small: Parameter,
    a: &[Record],
    b: &[Record],
) -> Option<Finding> {
    let b: BTreeMap<DateTime<Utc>, f64> = b
        .iter()
        .filter(|r| r.flag == Flag::Normal)
        .map(|r| (r.time, r.value))
        .collect();
    let bad: Vec<(DateTime<Utc>, f64)> = a
        .iter()
        .filter(|r| r.flag == Flag::Normal)
        .filter_map(|r| b.get(&r.time).map(|v| (r.time, r.value - v)))
        .filter(|(_, excess)| *excess > 0.0)
        .collect();
    let (first, last) = (bad.first()?, bad.last()?);
    Some(Finding {
        station: station.to_string(),
        kind,
        parameter: small,
        from: first.0 - TimeDelta::hours(1),
        to: last.0,
        count: u32::try_from(bad.len()).unwrap_or(u32::MAX),
        value: bad.iter().map(|x| x.1).fold(0.0, f64::max),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::health_series::minute_record;

    /// A station's day of SO2 minutes: `repeat` identical values from minute 100, varying
    /// values elsewhere.
    fn so2_day(station: &str, repeat: i64) -> StationSeries {
        let records = (1..=1440)
            .map(|m| {
                let value = if (100..100 + repeat).contains(&m) {
                    7.0
                } else {
                    m as f64
                };
                let mut r = minute_record(Parameter::So2, m, value, Flag::Normal);
                r.station = station.into();
                r
            })
            .collect();
        StationSeries::from([((Parameter::So2, Resolution::Minute), records)])
    }

    fn stuck_counts(repeats: &[(&str, i64)]) -> Vec<(String, u32)> {
        let mut checks = DataChecks::default();
        for (station, repeat) in repeats {
            checks.add_station(station, &so2_day(station, *repeat), &HealthRules::default());
        }
        checks
            .finish()
            .into_iter()
            .filter(|f| f.kind == CheckKind::Stuck)
            .map(|f| (f.station, f.count))
            .collect()
    }

    #[test]
    fn stuck_needs_three_times_the_median_other_station_once_every_station_is_seen() {
        // The others' median longest repeat is 20: 61 minutes are needed, 45 are not enough.
        assert!(stuck_counts(&[("A", 45), ("B", 20), ("C", 20), ("D", 20)]).is_empty());
        // The same run checked before the stations that set the threshold are read.
        assert_eq!(
            stuck_counts(&[("A", 61), ("B", 20), ("C", 20), ("D", 20)]),
            [("A".to_string(), 61)]
        );
        // With fewer than two other stations, the base threshold (30) alone.
        assert_eq!(
            stuck_counts(&[("A", 45), ("B", 20)]),
            [("A".to_string(), 45)]
        );
    }
}
