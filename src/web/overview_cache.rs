//! The overview's figures kept between renders ([`OverviewCache`]): the day's figures (the
//! daily report's [`daily_figures`]: the city's and the towns' hourly and daily values from
//! the day's hourly and daily indices, the forecast, the day's source events and alarms) and
//! the month's and the year to date's district rankings (`lantian rank --by district`'s
//! numbers, the ranking report's [`ranking_figures`], from the daily indices). Each is kept
//! under the store's [`WriteCounts`] of what it is computed from (every write, by any
//! process, moves its kind's count in its own transaction) and the stations it was computed
//! over, and used only while both are still the same. A backend without counts (InfluxDB)
//! keeps nothing. Readings alone move neither: the overview's figures come from indices,
//! which the index stage writes once an hour.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::NaiveDate;

use crate::assess::{GroupBy, Period, RankRow};
use crate::report::{DailyFigures, ReportError, daily_figures, ranking_figures};
use crate::store::{StationInfo, Store, WriteCounts};

/// Entries kept of each kind: the overview asks two periods at a time (the month and the year
/// to date); room for the day after midnight and for a render in between.
const ENTRIES: usize = 8;

/// The districts' rows of a period's ranking, by district name.
pub type DistrictRows = Arc<BTreeMap<String, RankRow>>;

/// One figure with what it was computed from.
#[derive(Debug)]
struct Entry<F, V> {
    figure: F,
    counts: WriteCounts,
    stations: Vec<StationInfo>,
    value: V,
}

/// Figures of one kind, the newest last.
#[derive(Debug)]
struct Kept<F, V> {
    entries: Mutex<Vec<Entry<F, V>>>,
}

impl<F, V> Default for Kept<F, V> {
    fn default() -> Self {
        Kept {
            entries: Mutex::new(Vec::new()),
        }
    }
}

impl<F: PartialEq + Copy, V: Clone> Kept<F, V> {
    fn find(&self, figure: F, counts: WriteCounts, stations: &[StationInfo]) -> Option<V> {
        self.lock()
            .iter()
            .find(|e| e.figure == figure && e.counts == counts && e.stations == stations)
            .map(|e| e.value.clone())
    }

    fn keep(&self, figure: F, counts: WriteCounts, stations: &[StationInfo], value: V) {
        let mut entries = self.lock();
        entries.retain(|e| e.figure != figure);
        if entries.len() >= ENTRIES {
            entries.remove(0);
        }
        entries.push(Entry {
            figure,
            counts,
            stations: stations.to_vec(),
            value,
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry<F, V>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The counts the day's figures depend on: everything the daily report reads but readings
/// (its figures are of indices, forecasts, source flags and alarms). The rankings' daily
/// indices are among them, so these also say when the overview as a whole changed.
fn day_counts(counts: WriteCounts) -> WriteCounts {
    WriteCounts {
        readings: 0,
        ..counts
    }
}

/// The overview's figures kept while the indices and the stations they come from do not
/// change (see the module documentation). Shared by every handler of a server.
#[derive(Debug, Default)]
pub struct OverviewCache {
    days: Kept<NaiveDate, Arc<DailyFigures>>,
    rankings: Kept<Period, DistrictRows>,
    /// Held while figures are computed: a render that misses waits for the computation under
    /// way (the background warming's, or another render's) and then finds its result,
    /// instead of computing the same figures beside it on the same cores.
    computing: Mutex<()>,
}

impl OverviewCache {
    /// The day's figures of `date` (the daily report's) over `store`, whose stations are
    /// `stations` (as the store reads them now): kept ones when the store's hourly and daily
    /// indices and its stations are those they were computed from, else computed (and kept).
    pub fn day_figures(
        &self,
        store: &dyn Store,
        stations: &[StationInfo],
        date: NaiveDate,
    ) -> Result<Arc<DailyFigures>, ReportError> {
        self.kept_or(&self.days, store, stations, date, day_counts, || {
            Ok(Arc::new(daily_figures(store, date)?))
        })
    }

    /// The districts' rows of `period` over `store` whose stations are `stations`: kept ones
    /// when the store's daily indices and stations are those they were computed from, else
    /// computed (and kept).
    pub fn district_rows(
        &self,
        store: &dyn Store,
        stations: &[StationInfo],
        period: Period,
    ) -> Result<DistrictRows, ReportError> {
        let counts = |c: WriteCounts| WriteCounts {
            daily_indices: c.daily_indices,
            ..WriteCounts::default()
        };
        self.kept_or(&self.rankings, store, stations, period, counts, || {
            let figures = ranking_figures(store, period, GroupBy::District)?;
            Ok(Arc::new(
                figures
                    .rows
                    .into_iter()
                    .map(|r| (r.id.clone(), r))
                    .collect(),
            ))
        })
    }

    /// `figure` from `kept`, or computed by `compute` and kept.
    fn kept_or<F: PartialEq + Copy, V: Clone>(
        &self,
        kept: &Kept<F, V>,
        store: &dyn Store,
        stations: &[StationInfo],
        figure: F,
        counts_of: impl Fn(WriteCounts) -> WriteCounts,
        compute: impl FnOnce() -> Result<V, ReportError>,
    ) -> Result<V, ReportError> {
        // Read before the indices: figures computed after it are at least this new, so an
        // entry can only be older than its counts claim if a write came in between, and that
        // write moved the counts the next render compares.
        let counts = store.write_counts()?.map(counts_of);
        if let Some(counts) = counts
            && let Some(value) = kept.find(figure, counts, stations)
        {
            return Ok(value);
        }
        let _computing = self
            .computing
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(counts) = counts
            && let Some(value) = kept.find(figure, counts, stations)
        {
            return Ok(value);
        }
        let value = compute()?;
        if let Some(counts) = counts {
            kept.keep(figure, counts, stations, value.clone());
        }
        Ok(value)
    }
}

/// Renders the overview once in the background (so the people's next render finds its
/// figures kept) when what they come from changed since `warmed`, the counts last warmed;
/// returns the counts warmed now (`None`: the store keeps none, nothing to keep).
pub(crate) async fn warm(
    store: &Arc<super::StorePool>,
    cache: &Arc<OverviewCache>,
    warmed: Option<WriteCounts>,
) -> Option<WriteCounts> {
    let cache = cache.clone();
    let result = store
        .with(move |s| {
            let counts = s.write_counts()?;
            if counts.is_none() || counts.map(day_counts) == warmed.map(day_counts) {
                return Ok(counts);
            }
            super::pages::render_overview(s, &cache, crate::lang::Lang::Zh)
                .map_err(|e| super::ApiError::unavailable("the overview", e))?;
            Ok(counts)
        })
        .await;
    result.unwrap_or_else(|e| {
        tracing::warn!("keeping the overview's figures: {e}");
        warmed
    })
}

/// Keeps the overview's figures computed ahead of the next render: asks the store every
/// `every` whether what they come from changed, and when it did [`warm`]s them, until
/// `stop`.
pub(crate) async fn keep_warm(
    store: Arc<super::StorePool>,
    cache: Arc<OverviewCache>,
    mut warmed: Option<WriteCounts>,
    every: std::time::Duration,
    stop: tokio_util::sync::CancellationToken,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        warmed = warm(&store, &cache, warmed).await;
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeDelta, TimeZone, Utc};

    use super::*;
    use crate::assess::DateRange;
    use crate::compute::{IndexConfig, recompute_days};
    use crate::store::sqlite::SqliteStore;
    use crate::store::{
        IndexStore, ReadingStore, Resolution, StationRole, StationStore, WriteCounter,
    };
    use crate::web::pages::tests::six_pollutants;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
    }

    fn station(id: &str, district: &str) -> StationInfo {
        StationInfo {
            id: id.into(),
            name: id.into(),
            name_en: id.into(),
            district: district.into(),
            lat: None,
            lon: None,
            time_zone: chrono_tz::Asia::Shanghai,
            city: String::new(),
            role: StationRole::Assessment,
        }
    }

    /// A day of the six pollutants at `id`, PM2.5 at `pm25`, and the day's indices.
    fn put_day(store: &mut SqliteStore, id: &str, pm25: f64) {
        let start = Utc.with_ymd_and_hms(2026, 3, 9, 16, 0, 0).unwrap();
        let hours = (1..=24).map(|hour| start + TimeDelta::hours(hour));
        let records = six_pollutants(id, pm25, hours);
        store.put_readings(&records).unwrap();
        let days = DateRange {
            first: day(),
            last: day(),
        };
        recompute_days(store, IndexConfig::default(), &[id.into()], days).unwrap();
    }

    fn fresh(store: &SqliteStore, period: Period) -> BTreeMap<String, RankRow> {
        ranking_figures(store, period, GroupBy::District)
            .unwrap()
            .rows
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect()
    }

    #[test]
    fn kept_while_the_indices_and_stations_hold_recomputed_when_they_change() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(dir.path().join("cache.db")).unwrap();
        assert_eq!(store.write_counts().unwrap(), Some(WriteCounts::default()));
        store
            .put_stations(&[station("A", "南城"), station("B", "虎门")])
            .unwrap();
        put_day(&mut store, "A", 20.0);
        put_day(&mut store, "B", 60.0);
        let period = Period::Month {
            year: 2026,
            month: 3,
        };
        let cache = OverviewCache::default();
        let stations = store.stations().unwrap();
        let first = cache.district_rows(&store, &stations, period).unwrap();
        assert_eq!(*first, fresh(&store, period));
        assert_eq!(first["南城"].rank, Some(1));
        let again = cache.district_rows(&store, &stations, period).unwrap();
        assert!(Arc::ptr_eq(&first, &again), "kept");
        let today = cache.day_figures(&store, &stations, day()).unwrap();
        assert_eq!(*today, daily_figures(&store, day()).unwrap());
        let kept = cache.day_figures(&store, &stations, day()).unwrap();
        assert!(Arc::ptr_eq(&today, &kept), "kept");

        // Hourly indices alone leave the daily count; a day's indices move it.
        let generation = store.write_counts().unwrap().unwrap().daily_indices;
        let hours = store
            .indices(&crate::store::IndexQuery::new(
                Resolution::Hour,
                Utc.with_ymd_and_hms(2026, 3, 9, 0, 0, 0).unwrap(),
                Utc.with_ymd_and_hms(2026, 3, 11, 0, 0, 0).unwrap(),
            ))
            .unwrap();
        store.put_indices(&hours).unwrap();
        assert_eq!(
            store.write_counts().unwrap().unwrap().daily_indices,
            generation
        );
        let again = cache.district_rows(&store, &stations, period).unwrap();
        assert!(Arc::ptr_eq(&first, &again), "kept over hourly indices");
        let rewritten = cache.day_figures(&store, &stations, day()).unwrap();
        assert!(
            !Arc::ptr_eq(&today, &rewritten),
            "the day's figures follow hourly indices"
        );
        assert_eq!(*rewritten, daily_figures(&store, day()).unwrap());
        put_day(&mut store, "A", 150.0);
        assert_ne!(
            store.write_counts().unwrap().unwrap().daily_indices,
            generation
        );
        let after = cache.district_rows(&store, &stations, period).unwrap();
        assert_eq!(
            *after,
            fresh(&store, period),
            "the numbers `lantian rank` gives"
        );
        assert_eq!(after["虎门"].rank, Some(1));

        // A station moved to another district: recomputed.
        store
            .put_stations(&[station("A", "南城"), station("B", "南城")])
            .unwrap();
        let stations = store.stations().unwrap();
        let moved = cache.district_rows(&store, &stations, period).unwrap();
        assert_eq!(*moved, fresh(&store, period));
        assert_eq!(moved.len(), 1);
    }
}
