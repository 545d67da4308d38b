//! The source analysis on real data: the three-month Beijing excerpt (12 stations,
//! December 2015 – February 2016) imported into a store, as `lantian sources` reads it.

use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use lantian::import::{self, Format, ImportOptions, NoProgress};
use lantian::sources::{AnalysisConfig, EpisodeScope, StationSeries, analyse};
use lantian::store::sqlite::SqliteStore;
use lantian::store::{ReadingQuery, ReadingStore, Resolution, StationStore};
use lantian::units::Parameter;

#[test]
fn beijing_winter_is_regional_with_local_excess_downtown() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/beijing_multisite_excerpt"
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("excerpt folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut store = SqliteStore::open(tmp.path().join("bj.db")).expect("store");
    let options = ImportOptions {
        index: None,
        ..ImportOptions::default()
    };
    import::import(&mut store, Format::Prsa, &files, &options, &NoProgress).expect("import");
    let (from, to) = (
        Utc.with_ymd_and_hms(2015, 11, 30, 17, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2016, 2, 29, 16, 0, 0).unwrap(),
    );
    let records = store
        .readings(&ReadingQuery::new(Resolution::Hour, from, to))
        .expect("read");
    let infos = store.stations().expect("stations");
    let series = StationSeries::from_records(&records, &infos, from, to);
    assert_eq!(series.len(), 12);
    let cfg = AnalysisConfig {
        time_zone: chrono_tz::Asia::Shanghai,
        ..AnalysisConfig::default()
    };
    let a = analyse(&series, &cfg);
    assert!(a.problems.is_empty(), "{:?}", a.problems);

    let pm = |st: &str| {
        a.split
            .iter()
            .find(|s| s.station == st && s.pollutant == Parameter::Pm25)
            .unwrap_or_else(|| panic!("no PM2.5 split for {st}"))
    };
    // Winter haze is regional: most of every station's PM2.5 is the network background, and
    // a large part of the hours lie in regional episodes.
    for s in a.split.iter().filter(|s| s.pollutant == Parameter::Pm25) {
        assert!(s.regional_share > 0.8, "{s:?}");
        assert!(s.regional_hours_share > 0.2, "{s:?}");
    }
    // Downtown sites carry a local excess; the rural northern sites do not.
    for urban in ["BJ-Dongsi", "BJ-Wanshouxigong"] {
        for rural in ["BJ-Dingling", "BJ-Huairou"] {
            assert!(
                pm(urban).mean > pm(rural).mean
                    && pm(urban).local_hours_share > pm(rural).local_hours_share,
                "{:?} vs {:?}",
                pm(urban),
                pm(rural)
            );
        }
    }
    // The Spring Festival eve (7 February 2016, fireworks at midnight) is a regional episode.
    let eve = Utc.with_ymd_and_hms(2016, 2, 7, 16, 0, 0).unwrap();
    assert!(
        a.episodes
            .iter()
            .any(|e| e.episode.scope == EpisodeScope::Network
                && e.episode.start <= eve
                && e.episode.end >= eve),
        "no regional episode over the Spring Festival night"
    );
    // Every station gets its factors, each with a profile over the five species.
    assert_eq!(a.factors.len(), 12);
    for f in &a.factors {
        assert_eq!(f.species.len(), 5, "{}", f.station);
        assert!(!f.factors.is_empty());
    }
}
