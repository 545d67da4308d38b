//! The index stage: hourly AQI (HJ 633 real-time rules, as CNEMC publishes) and the daily
//! statistics with the daily AQI, recomputed for each station-day whose hourly means change.
//!
//! Recomputing a whole station-day from the store each time one of its hours arrives is cheap
//! (one indexed read of ≤ 24 × 6 values and 25 index computations) and makes the stage
//! stateless: a restart, a late hour or a re-import gives the same result, and writes replace
//! earlier ones.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use enum_map::EnumMap;
use serde::Deserialize;

use crate::aqi::china::{self, HourlyInput, RuleSet};
use crate::aqi::{AqiResult, Pollutant as Term, Standard};
use crate::assess::daily::hour_slot;
use crate::assess::run::{fill_hours, hourly_query};
use crate::assess::{DailyRules, DailyStats, DateRange, DayHours, Pollutant, daily_stats};
use crate::store::{
    IndexRecord, IndexStore, IndexTerm, ReadingStore, Record, Resolution, StationStore, StoreError,
};

/// Settings of the index stage (`[aqi]` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IndexConfig {
    /// Force a rule set (`"2012"` or `"2026"`); by default the one in force on each local day
    /// (HJ 633-2026 from 2026-03-01).
    #[serde(deserialize_with = "rules")]
    pub rules: Option<RuleSet>,
    /// Validity rules of the daily statistics.
    #[serde(skip)]
    pub daily: DailyRules,
}

fn rules<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<RuleSet>, D::Error> {
    match String::deserialize(d)?.as_str() {
        "auto" => Ok(None),
        "2012" => Ok(Some(RuleSet::Y2012)),
        "2026" => Ok(Some(RuleSet::Y2026)),
        other => Err(serde::de::Error::custom(format!(
            "unknown rule set `{other}` (expected \"auto\", \"2012\" or \"2026\")"
        ))),
    }
}

/// Index records per write of `IndexStage::recompute_touched`.
const WRITE_BATCH: usize = 100_000;
/// The longest span of days `recompute_touched` reads at once (its hours are held in memory).
const MAX_SPAN_DAYS: i64 = 366;
/// Touched days further apart than this are read separately.
const MAX_GAP_DAYS: i64 = 31;

/// Computes and stores indices; see the module documentation.
#[derive(Debug)]
pub struct IndexStage {
    config: IndexConfig,
    zones: BTreeMap<String, Tz>,
    hours: Vec<EnumMap<Pollutant, DayHours>>,
    out: Vec<IndexRecord>,
    hourly: Vec<IndexRecord>,
}

impl IndexStage {
    /// A stage with these settings.
    pub fn new(config: IndexConfig) -> IndexStage {
        IndexStage {
            config,
            zones: BTreeMap::new(),
            hours: Vec::new(),
            out: Vec::new(),
            hourly: Vec::new(),
        }
    }

    /// After `written` was stored: recomputes the indices of every station-day it touched
    /// (hourly pollutant means only; other records are ignored). Returns the number of index
    /// records written. Stations without metadata are skipped with a warning (their local
    /// day is unknown).
    pub fn update<S: ReadingStore + StationStore + IndexStore + ?Sized>(
        &mut self,
        store: &mut S,
        written: &[Record],
    ) -> Result<usize, StoreError> {
        self.hourly.clear();
        let mut days = BTreeSet::new();
        self.touched_days(store, written, &mut days)?;
        let mut n = 0;
        for (station, date) in days {
            n += self.recompute_day(store, station, date)?;
            let hours = self.out.iter().filter(|r| r.resolution == Resolution::Hour);
            self.hourly.extend(hours.cloned());
        }
        Ok(n)
    }

    /// Adds to `days` the local station-days whose indices `written` changes (hourly
    /// pollutant means of stations with metadata): for a writer that recomputes them once,
    /// later, with [`IndexStage::recompute`] — an import of a file ordered by time touches
    /// every station-day once per hour, and recomputing after each batch would read each
    /// day back about as many times.
    pub fn touched_days<'a, S: StationStore + ?Sized>(
        &mut self,
        store: &S,
        written: &'a [Record],
        days: &mut BTreeSet<(&'a str, NaiveDate)>,
    ) -> Result<(), StoreError> {
        for r in written {
            if r.resolution != Resolution::Hour || Pollutant::try_from(r.parameter).is_err() {
                continue;
            }
            let Some(tz) = self.zone(store, &r.station)? else {
                continue;
            };
            days.insert((
                &r.station,
                hour_slot(r.time.with_timezone(&tz).naive_local()).0,
            ));
        }
        Ok(())
    }

    /// The hourly index records the last [`IndexStage::update`] wrote (every hour of the
    /// station-days it recomputed): what the alarm stage's AQI rules read.
    pub fn hourly(&self) -> &[IndexRecord] {
        &self.hourly
    }

    /// Recomputes the indices of `station` for the local days `first..=last` (one read of the
    /// station's hours, one write).
    pub fn recompute<S: ReadingStore + StationStore + IndexStore + ?Sized>(
        &mut self,
        store: &mut S,
        station: &str,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<usize, StoreError> {
        self.out.clear();
        let days = first.iter_days().take_while(|d| *d <= last);
        self.compute_days(store, station, days)?;
        store.put_indices(&self.out)
    }

    /// Recomputes the indices of the station-days `days` — what an import touched, collected
    /// with [`IndexStage::touched_days`]: each station's hours are read once for the span of
    /// its days, and the records are written in transactions of 100,000.
    pub fn recompute_touched<S: ReadingStore + StationStore + IndexStore + ?Sized>(
        &mut self,
        store: &mut S,
        days: &BTreeSet<(String, NaiveDate)>,
    ) -> Result<usize, StoreError> {
        self.out.clear();
        let mut written = 0;
        let mut rest = days.iter().peekable();
        while let Some((station, first)) = rest.next() {
            // One read for a run of nearby days; a far-off day (a bad year in a file) starts
            // a run of its own, so the hours in memory never span more than a year.
            let mut dates = vec![*first];
            while let Some((_, date)) = rest.next_if(|(s, d)| {
                s == station
                    && (*d - *first).num_days() < MAX_SPAN_DAYS
                    && dates
                        .last()
                        .is_some_and(|l| (*d - *l).num_days() <= MAX_GAP_DAYS)
            }) {
                dates.push(*date);
            }
            self.compute_days(store, station, dates.into_iter())?;
            if self.out.len() >= WRITE_BATCH {
                written += store.put_indices(&self.out)?;
                self.out.clear();
            }
        }
        written += store.put_indices(&self.out)?;
        self.out.clear();
        Ok(written)
    }

    fn zone(
        &mut self,
        store: &(impl StationStore + ?Sized),
        station: &str,
    ) -> Result<Option<Tz>, StoreError> {
        if !self.zones.contains_key(station) {
            self.zones = store
                .stations()?
                .into_iter()
                .map(|s| (s.id, s.time_zone))
                .collect();
            if !self.zones.contains_key(station) {
                tracing::warn!(station, "no station metadata: indices not computed");
            }
        }
        Ok(self.zones.get(station).copied())
    }

    /// Adds to `self.out` the indices of `station`'s local days `dates` (ascending), from one
    /// read of its hours over their span.
    fn compute_days<S: ReadingStore + StationStore + ?Sized>(
        &mut self,
        store: &S,
        station: &str,
        dates: impl Iterator<Item = NaiveDate> + Clone,
    ) -> Result<(), StoreError> {
        let Some(tz) = self.zone(store, station)? else {
            return Ok(());
        };
        let (Some(first), Some(last)) = (dates.clone().next(), dates.clone().last()) else {
            return Ok(());
        };
        let range = DateRange { first, last };
        fill_hours(
            &store.readings(&hourly_query(station, range))?,
            tz,
            range,
            &mut self.hours,
        );
        for date in dates {
            let day = self.hours[range.index(date).expect("a date of the range")];
            self.compute_day(station, tz, date, &day);
        }
        Ok(())
    }

    fn recompute_day<S: ReadingStore + StationStore + IndexStore + ?Sized>(
        &mut self,
        store: &mut S,
        station: &str,
        date: NaiveDate,
    ) -> Result<usize, StoreError> {
        self.out.clear();
        self.compute_days(store, station, std::iter::once(date))?;
        store.put_indices(&self.out)
    }

    /// Adds to `self.out` the daily and hourly indices of one station-day from its hours.
    fn compute_day(
        &mut self,
        station: &str,
        tz: Tz,
        date: NaiveDate,
        day: &EnumMap<Pollutant, DayHours>,
    ) {
        let rules = self.config.rules.unwrap_or_else(|| RuleSet::for_date(date));
        let standard = match rules {
            RuleSet::Y2012 => Standard::Hj633_2012,
            RuleSet::Y2026 => Standard::Hj633_2026,
        };
        let Some(midnight) = local(tz, date, 0) else {
            return;
        };
        let stats = daily_stats(day, &self.config.daily);
        let result = china::daily_aqi(&stats.values, rules);
        self.out.push(IndexRecord {
            station: station.into(),
            resolution: Resolution::Day,
            time: midnight,
            standard,
            aqi: result.aqi,
            primary: result.primary.clone(),
            terms: daily_terms(&stats, &result),
        });
        // `slot` addresses the same hour in six pollutant arrays and makes the label.
        #[allow(clippy::needless_range_loop)]
        for slot in 0..24 {
            let value = |p: Pollutant| Some(day[p][slot]).filter(|v| v.is_finite());
            let input = HourlyInput {
                pm25: value(Pollutant::Pm25),
                pm10: value(Pollutant::Pm10),
                so2: value(Pollutant::So2),
                no2: value(Pollutant::No2),
                co: value(Pollutant::Co),
                o3: value(Pollutant::O3),
                so2_24h: stats.values.so2,
            };
            let Some(label) = local(tz, date, slot as i64 + 1) else {
                continue;
            };
            if Pollutant::ALL.iter().all(|p| value(*p).is_none()) {
                continue;
            }
            let result = china::hourly_aqi(&input, rules);
            let terms = EnumMap::from_fn(|term: Term| {
                let concentration = match term {
                    Term::O3_8h => None,
                    Term::O3_1h => input.o3,
                    other => value(Pollutant::from(other)),
                };
                concentration.map(|c| IndexTerm {
                    concentration: c,
                    iaqi: result.iaqi(term),
                    valid: 1,
                })
            });
            self.out.push(IndexRecord {
                station: station.into(),
                resolution: Resolution::Hour,
                time: label,
                standard,
                aqi: result.aqi,
                primary: result.primary,
                terms,
            });
        }
    }
}

/// `hours` after local midnight of `date` in `tz`, in UTC (`None` in a DST gap).
pub(crate) fn local(tz: Tz, date: NaiveDate, hours: i64) -> Option<DateTime<Utc>> {
    let naive = date.and_time(Default::default()) + TimeDelta::hours(hours);
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.to_utc())
}

/// The seven terms of a daily record from the day's statistics and AQI.
fn daily_terms(stats: &DailyStats, result: &AqiResult) -> EnumMap<Term, Option<IndexTerm>> {
    let v = &stats.values;
    let hours = |p: Pollutant| stats.valid_hours[p];
    EnumMap::from_fn(|term: Term| {
        let (concentration, valid) = match term {
            Term::So2 => (v.so2, hours(Pollutant::So2)),
            Term::No2 => (v.no2, hours(Pollutant::No2)),
            Term::Pm10 => (v.pm10, hours(Pollutant::Pm10)),
            Term::Pm25 => (v.pm25, hours(Pollutant::Pm25)),
            Term::Co => (v.co, hours(Pollutant::Co)),
            Term::O3_1h => (v.o3_1h_max, hours(Pollutant::O3)),
            Term::O3_8h => (v.o3_8h_max, stats.o3_8h_windows),
        };
        concentration.map(|c| IndexTerm {
            concentration: c,
            iaqi: result.iaqi(term),
            valid,
        })
    })
}
