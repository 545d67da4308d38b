//! The month's and the year to date's district rankings the overview shows, kept between
//! renders ([`RankingCache`]). They are `lantian rank --by district`'s numbers (the ranking
//! report's [`ranking_figures`]), computed from the stored daily indices and the stations, so
//! they change only when one of those does: an entry is kept under the store's
//! [`daily_indices_generation`](crate::store::IndexStore::daily_indices_generation) (which
//! every write of daily indices, by any process, changes in its own transaction) and the
//! stations it was computed over, and is used only while both are still the same. A backend
//! without a generation (InfluxDB) is never cached.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::assess::{GroupBy, Period, RankRow};
use crate::report::{ReportError, ranking_figures};
use crate::store::{StationInfo, Store};

/// Entries kept: the overview asks two periods at a time (the month and the year to date);
/// room for the day after midnight and for a second language's render in between.
const ENTRIES: usize = 8;

/// The districts' rows of a period's ranking, by district name.
pub type DistrictRows = Arc<BTreeMap<String, RankRow>>;

/// One period's rows with what they were computed from.
#[derive(Debug)]
struct Entry {
    period: Period,
    generation: u64,
    stations: Vec<StationInfo>,
    rows: DistrictRows,
}

/// Rankings by district kept while the daily indices and the stations they come from do not
/// change (see the module documentation). Shared by every handler of a server.
#[derive(Debug, Default)]
pub struct RankingCache {
    entries: Mutex<Vec<Entry>>,
    /// Held while rankings are computed: a render that misses waits for the computation
    /// under way (the background warming's, or another render's) and then finds its result,
    /// instead of computing the same rankings beside it on the same cores.
    computing: Mutex<()>,
}

impl RankingCache {
    /// The districts' rows of `period` over `store` whose stations are `stations` (as the
    /// store reads them now): kept ones when the store's daily indices and stations are
    /// those they were computed from, else computed (and kept).
    pub fn district_rows(
        &self,
        store: &dyn Store,
        stations: &[StationInfo],
        period: Period,
    ) -> Result<DistrictRows, ReportError> {
        // Read before the indices: rows computed after it are at least this new, so an
        // entry can only be older than its label claims if a write came in between, and that
        // write changed the generation the next render compares.
        let generation = store.daily_indices_generation()?;
        if let Some(generation) = generation
            && let Some(rows) = self.find(period, generation, stations)
        {
            return Ok(rows);
        }
        let _computing = self
            .computing
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(generation) = generation
            && let Some(rows) = self.find(period, generation, stations)
        {
            return Ok(rows);
        }
        let figures = ranking_figures(store, period, GroupBy::District)?;
        let rows: DistrictRows = Arc::new(
            figures
                .rows
                .into_iter()
                .map(|r| (r.id.clone(), r))
                .collect(),
        );
        if let Some(generation) = generation {
            let mut entries = self.lock();
            entries.retain(|e| e.period != period);
            if entries.len() >= ENTRIES {
                entries.remove(0);
            }
            entries.push(Entry {
                period,
                generation,
                stations: stations.to_vec(),
                rows: rows.clone(),
            });
        }
        Ok(rows)
    }

    fn find(
        &self,
        period: Period,
        generation: u64,
        stations: &[StationInfo],
    ) -> Option<DistrictRows> {
        self.lock()
            .iter()
            .find(|e| e.period == period && e.generation == generation && e.stations == stations)
            .map(|e| e.rows.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Renders the overview once in the background (so the people's next render finds the
/// rankings kept) when the store's daily indices changed since `warmed`, the generation last
/// warmed; returns the generation warmed now (`None`: the store keeps none, nothing to keep).
pub(crate) async fn warm(
    store: &Arc<super::StorePool>,
    rankings: &Arc<RankingCache>,
    warmed: Option<u64>,
) -> Option<u64> {
    let rankings = rankings.clone();
    let result = store
        .with(move |s| {
            let generation = s.daily_indices_generation()?;
            if generation.is_none() || generation == warmed {
                return Ok(generation);
            }
            super::pages::render_overview(s, &rankings, crate::lang::Lang::Zh)
                .map_err(|e| super::ApiError::unavailable("the overview", e))?;
            Ok(generation)
        })
        .await;
    result.unwrap_or_else(|e| {
        tracing::warn!("keeping the overview's rankings: {e}");
        warmed
    })
}

/// Keeps the overview's rankings computed ahead of the next render: asks the store every
/// `every` whether its daily indices changed, and when they did [`warm`]s them, until
/// `stop`.
pub(crate) async fn keep_warm(
    store: Arc<super::StorePool>,
    rankings: Arc<RankingCache>,
    every: std::time::Duration,
    stop: tokio_util::sync::CancellationToken,
) {
    let mut warmed: Option<u64> = None;
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        warmed = warm(&store, &rankings, warmed).await;
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeDelta, TimeZone, Utc};

    use super::*;
    use crate::assess::DateRange;
    use crate::compute::{IndexConfig, recompute_days};
    use crate::quality::Flag;
    use crate::store::sqlite::SqliteStore;
    use crate::store::{IndexStore, ReadingStore, Record, Resolution, StationRole, StationStore};
    use crate::units::Parameter;

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
        let mut records = Vec::new();
        for hour in 1..=24 {
            for (parameter, value) in [
                (Parameter::Pm25, pm25),
                (Parameter::Pm10, pm25 * 1.4),
                (Parameter::So2, 8.0),
                (Parameter::No2, 30.0),
                (Parameter::Co, 0.6),
                (Parameter::O3, 50.0),
            ] {
                records.push(Record {
                    station: id.into(),
                    parameter,
                    resolution: Resolution::Hour,
                    time: start + TimeDelta::hours(hour),
                    value,
                    flag: Flag::Normal,
                    count: 60,
                });
            }
        }
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
    fn kept_while_the_daily_indices_and_stations_hold_recomputed_when_they_change() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(dir.path().join("cache.db")).unwrap();
        assert_eq!(store.daily_indices_generation().unwrap(), Some(0));
        store
            .put_stations(&[station("A", "南城"), station("B", "虎门")])
            .unwrap();
        put_day(&mut store, "A", 20.0);
        put_day(&mut store, "B", 60.0);
        let period = Period::Month {
            year: 2026,
            month: 3,
        };
        let cache = RankingCache::default();
        let stations = store.stations().unwrap();
        let first = cache.district_rows(&store, &stations, period).unwrap();
        assert_eq!(*first, fresh(&store, period));
        assert_eq!(first["南城"].rank, Some(1));
        let again = cache.district_rows(&store, &stations, period).unwrap();
        assert!(Arc::ptr_eq(&first, &again), "kept");

        // Hourly indices alone leave the generation; a day's indices change it.
        let generation = store.daily_indices_generation().unwrap();
        let hours = store
            .indices(&crate::store::IndexQuery::new(
                Resolution::Hour,
                Utc.with_ymd_and_hms(2026, 3, 9, 0, 0, 0).unwrap(),
                Utc.with_ymd_and_hms(2026, 3, 11, 0, 0, 0).unwrap(),
            ))
            .unwrap();
        store.put_indices(&hours).unwrap();
        assert_eq!(store.daily_indices_generation().unwrap(), generation);
        put_day(&mut store, "A", 150.0);
        assert_ne!(store.daily_indices_generation().unwrap(), generation);
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
