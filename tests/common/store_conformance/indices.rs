//! Indices ([`IndexStore`](lantian::store::IndexStore)): every field round-trips, replacement
//! by key, range boundaries, the station filter and order, hourly and daily records kept
//! apart, paged reads and the span of each resolution.

use enum_map::{EnumMap, enum_map};
use lantian::aqi::{Pollutant, Standard};
use lantian::store::{IndexQuery, IndexRecord, IndexTerm, Resolution, Stations};

use super::{Check, TestStore, at, index_query as query, paged, stops_on_error};

/// Every check, by name.
pub(crate) const CHECKS: &[(&str, Check)] = &[
    ("indices_round_trip", indices_round_trip),
    ("indices_replace_by_key", indices_replace_by_key),
    ("indices_range_boundaries", indices_range_boundaries),
    ("indices_filter_and_order", indices_filter_and_order),
    ("indices_resolutions_apart", indices_resolutions_apart),
    ("indices_paged_and_span", indices_paged_and_span),
];

/// A term.
pub(crate) fn term(concentration: f64, iaqi: Option<u32>, valid: u8) -> Option<IndexTerm> {
    Some(IndexTerm {
        concentration,
        iaqi,
        valid,
    })
}

/// An hourly or daily index at `minutes` past [`at`]`(0)`: PM2.5 and O3 1-h terms, PM2.5
/// primary.
pub(crate) fn index(station: &str, resolution: Resolution, minutes: i64) -> IndexRecord {
    let mut terms = EnumMap::default();
    terms[Pollutant::Pm25] = term(55.0, Some(76), 1);
    terms[Pollutant::O3_1h] = term(90.0, Some(29), 1);
    IndexRecord {
        station: station.into(),
        resolution,
        time: at(minutes),
        standard: Standard::Hj633_2012,
        aqi: Some(76),
        primary: vec![Pollutant::Pm25],
        terms,
    }
}

fn index_times(records: &[IndexRecord]) -> Vec<i64> {
    records
        .iter()
        .map(|r| (r.time - at(0)).num_minutes())
        .collect()
}

/// Every field of an index round-trips: absent terms, no AQI, several primary pollutants, a
/// term with a concentration but no sub-index, every standard.
pub(crate) fn indices_round_trip(mut t: TestStore) {
    let all = query(Resolution::Hour, -24 * 60, 24 * 60);
    assert!(t.store.indices(&all).unwrap().is_empty());
    assert_eq!(t.store.put_indices(&[]).unwrap(), 0);
    let full = IndexRecord {
        standard: Standard::Hj633_2026,
        aqi: Some(231),
        primary: vec![Pollutant::Pm25, Pollutant::O3_8h, Pollutant::So2],
        terms: enum_map! {
            Pollutant::So2 => term(0.5, Some(0), 24),
            Pollutant::No2 => term(40.25, Some(50), 23),
            Pollutant::Pm10 => term(350.0, Some(200), 20),
            Pollutant::Pm25 => term(181.0, Some(231), 22),
            Pollutant::Co => term(2.1, Some(21), 24),
            // Above the top of the table: a concentration without a sub-index.
            Pollutant::O3_1h => term(1300.0, None, 18),
            Pollutant::O3_8h => term(231.5, Some(150), 17),
        },
        ..index("A", Resolution::Day, -8 * 60)
    };
    let empty = IndexRecord {
        standard: Standard::Epa2024,
        aqi: None,
        primary: vec![],
        terms: EnumMap::default(),
        ..index("A", Resolution::Day, 16 * 60)
    };
    let epa = IndexRecord {
        standard: Standard::Epa2012,
        aqi: Some(42),
        primary: vec![],
        terms: enum_map! { Pollutant::Pm25 => term(9.8, Some(42), 3), _ => None },
        ..index("B", Resolution::Day, -8 * 60)
    };
    let hourly = IndexRecord {
        primary: vec![Pollutant::O3_1h, Pollutant::Pm10],
        ..index("A", Resolution::Hour, 60)
    };
    let batch = [epa.clone(), empty.clone(), hourly.clone(), full.clone()];
    assert_eq!(t.store.put_indices(&batch).unwrap(), 4);
    let days = query(Resolution::Day, -24 * 60, 24 * 60);
    let expected = [full, empty, epa];
    assert_eq!(t.store.indices(&days).unwrap(), expected);
    assert_eq!(
        t.store.indices(&all).unwrap(),
        std::slice::from_ref(&hourly)
    );
    let reader = (t.reopen)();
    assert_eq!(reader.indices(&days).unwrap(), expected, "a second handle");
    assert_eq!(reader.indices(&all).unwrap(), [hourly]);
    assert_eq!(
        t.store.count_readings(Resolution::Day).unwrap(),
        0,
        "indices are not readings"
    );
}

/// Writing an index with the key (station, resolution, time) of a stored one replaces it,
/// across and within batches; others stay.
pub(crate) fn indices_replace_by_key(mut t: TestStore) {
    let batch: Vec<IndexRecord> = (0..5)
        .map(|h| index("A", Resolution::Hour, 60 * h))
        .collect();
    assert_eq!(t.store.put_indices(&batch).unwrap(), 5);
    assert_eq!(t.store.put_indices(&batch).unwrap(), 5);
    let q = query(Resolution::Hour, 0, 5 * 60);
    assert_eq!(t.store.indices(&q).unwrap(), batch);
    let changed = IndexRecord {
        standard: Standard::Hj633_2026,
        aqi: None,
        primary: vec![],
        terms: enum_map! { Pollutant::No2 => term(12.0, None, 1), _ => None },
        ..batch[2].clone()
    };
    t.store.put_indices(std::slice::from_ref(&changed)).unwrap();
    let mut expected = batch.clone();
    expected[2] = changed.clone();
    assert_eq!(t.store.indices(&q).unwrap(), expected);
    // Twice in one batch: the last wins.
    let again = IndexRecord {
        aqi: Some(5),
        ..changed.clone()
    };
    t.store.put_indices(&[changed, again.clone()]).unwrap();
    expected[2] = again;
    assert_eq!(t.store.indices(&q).unwrap(), expected);
}

/// `from` is inclusive, `to` exclusive; an empty range reads nothing.
pub(crate) fn indices_range_boundaries(mut t: TestStore) {
    let batch: Vec<IndexRecord> = (0..10)
        .map(|h| index("A", Resolution::Hour, 60 * h))
        .collect();
    t.store.put_indices(&batch).unwrap();
    let read =
        |from, to| index_times(&t.store.indices(&query(Resolution::Hour, from, to)).unwrap());
    assert_eq!(read(120, 300), [120, 180, 240]);
    assert_eq!(read(121, 300), [180, 240]);
    assert_eq!(read(-600, 1), [0]);
    assert_eq!(read(540, 541), [540]);
    assert_eq!(read(540, 540), [] as [i64; 0]);
    assert_eq!(read(300, 120), [] as [i64; 0]);
    assert_eq!(read(600, 6000), [] as [i64; 0]);
}

/// The station filter; order by station (byte order), then time.
pub(crate) fn indices_filter_and_order(mut t: TestStore) {
    let mut batch = Vec::new();
    for station in ["B", "A", "C", "AB"] {
        for h in [2, 0, 1] {
            batch.push(index(station, Resolution::Hour, 60 * h));
        }
    }
    t.store.put_indices(&batch).unwrap();
    let keys = |q: &IndexQuery| -> Vec<(String, i64)> {
        t.store
            .indices(q)
            .unwrap()
            .iter()
            .map(|r| (r.station.to_string(), (r.time - at(0)).num_minutes()))
            .collect()
    };
    let mut q = query(Resolution::Hour, 0, 3 * 60);
    let all = keys(&q);
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all.len(), 12);
    assert_eq!(all, sorted, "ordered by station, time");
    assert_eq!(all[3], ("AB".to_string(), 0));
    q.stations = Stations::only(["C", "A"]);
    let got = keys(&q);
    let expected: Vec<(String, i64)> = ["A", "C"]
        .iter()
        .flat_map(|s| [0, 60, 120].map(|m| (s.to_string(), m)))
        .collect();
    assert_eq!(got, expected);
    q.stations = Stations::one("Z");
    assert!(keys(&q).is_empty());
}

/// Hourly and daily indices with the same station and time are different records.
pub(crate) fn indices_resolutions_apart(mut t: TestStore) {
    let hour = index("A", Resolution::Hour, 0);
    let day = IndexRecord {
        aqi: Some(99),
        primary: vec![Pollutant::O3_8h],
        ..index("A", Resolution::Day, 0)
    };
    t.store.put_indices(&[hour.clone(), day.clone()]).unwrap();
    assert_eq!(
        t.store.indices(&query(Resolution::Hour, 0, 1)).unwrap(),
        [hour]
    );
    assert_eq!(
        t.store.indices(&query(Resolution::Day, 0, 1)).unwrap(),
        [day]
    );
    assert!(
        t.store
            .indices(&query(Resolution::Minute, 0, 1))
            .unwrap()
            .is_empty()
    );
}

/// Paged reads across page boundaries give what the collecting read gives, each station's in
/// time order; the span of each resolution; an empty station list selects nothing.
pub(crate) fn indices_paged_and_span(mut t: TestStore) {
    assert_eq!(t.store.indices_span(Resolution::Hour).unwrap(), None);
    let mut batch = Vec::new();
    for station in ["B", "A", "C"] {
        for h in (0..9).rev() {
            batch.push(index(station, Resolution::Hour, 60 * h));
        }
    }
    batch.push(index("A", Resolution::Day, -24 * 60));
    t.store.put_indices(&batch).unwrap();
    let q = query(Resolution::Hour, 0, 24 * 60);
    let whole = t.store.indices(&q).unwrap();
    assert_eq!(whole.len(), 27);
    for size in [1, 4, 27, 100] {
        let mut all = paged(size, |size, each| t.store.indices_paged(&q, size, each)).concat();
        for station in ["A", "B", "C"] {
            let times: Vec<i64> = all
                .iter()
                .filter(|r| &*r.station == station)
                .map(|r| (r.time - at(0)).num_hours())
                .collect();
            assert_eq!(
                times,
                (0..9).collect::<Vec<_>>(),
                "{station}, pages of {size}"
            );
        }
        all.sort_by(|a, b| a.station.cmp(&b.station));
        assert_eq!(all, whole, "pages of {size}");
    }
    stops_on_error(|size, each| t.store.indices_paged(&q, size, each));
    let none = q.clone().for_stations(Stations::Only(vec![]));
    assert!(t.store.indices(&none).unwrap().is_empty());
    let hours = t.store.indices_span(Resolution::Hour).unwrap().unwrap();
    assert_eq!((hours.first, hours.last), (at(0), at(8 * 60)));
    let days = t.store.indices_span(Resolution::Day).unwrap().unwrap();
    assert_eq!((days.first, days.last), (at(-24 * 60), at(-24 * 60)));
    assert_eq!(
        t.store
            .indices(&IndexQuery::new(Resolution::Hour, hours.first, hours.end()))
            .unwrap(),
        whole
    );
}
