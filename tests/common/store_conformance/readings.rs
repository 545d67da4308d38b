//! Readings ([`ReadingStore`](lantian::store::ReadingStore)): idempotent writes, range
//! boundaries, filters and order, the latest record of each series, counts per resolution, a
//! second handle reading what the first wrote, paged reads and the span of each resolution.

use lantian::quality::Flag;
use lantian::store::{Parameters, Record, Resolution, Stations};
use lantian::units::Parameter;

use super::{Check, TestStore, at, paged, query, rec, stops_on_error};

/// Every check, by name.
pub(crate) const CHECKS: &[(&str, Check)] = &[
    ("idempotent_rewrite", idempotent_rewrite),
    ("range_boundaries", range_boundaries),
    ("filters_and_order", filters_and_order),
    ("latest_per_series", latest_per_series),
    ("count_per_resolution", count_per_resolution),
    ("concurrent_reader", concurrent_reader),
    ("readings_paged", readings_paged),
    (
        "readings_filters_select_exactly",
        readings_filters_select_exactly,
    ),
    ("readings_span", readings_span),
];

fn times(records: &[Record]) -> Vec<i64> {
    records
        .iter()
        .map(|r| (r.time - at(0)).num_minutes())
        .collect()
}

/// Writing the same batch twice keeps one record per key; the last value wins.
pub(crate) fn idempotent_rewrite(mut t: TestStore) {
    let batch: Vec<Record> = (0..10)
        .map(|i| rec("A", Parameter::Pm25, Resolution::Minute, i, i as f64))
        .collect();
    assert_eq!(t.store.put_readings(&batch).unwrap(), 10);
    assert_eq!(t.store.put_readings(&batch).unwrap(), 10);
    assert_eq!(t.store.count_readings(Resolution::Minute).unwrap(), 10);
    let mut changed = batch[3].clone();
    changed.value = 99.5;
    changed.flag = Flag::Calibration;
    changed.count = 0;
    t.store.put_readings(&[changed.clone()]).unwrap();
    let all = t.store.readings(&query(Resolution::Minute, 0, 10)).unwrap();
    assert_eq!(all.len(), 10);
    assert_eq!(all[3], changed);
    assert_eq!(all[4], batch[4]);
}

/// `from` is inclusive, `to` exclusive; an empty range reads nothing.
pub(crate) fn range_boundaries(mut t: TestStore) {
    let batch: Vec<Record> = (0..10)
        .map(|i| rec("A", Parameter::No2, Resolution::Minute, i, 1.0))
        .collect();
    t.store.put_readings(&batch).unwrap();
    assert_eq!(
        times(&t.store.readings(&query(Resolution::Minute, 2, 5)).unwrap()),
        [2, 3, 4]
    );
    assert_eq!(
        times(&t.store.readings(&query(Resolution::Minute, -5, 1)).unwrap()),
        [0]
    );
    assert!(
        t.store
            .readings(&query(Resolution::Minute, 4, 4))
            .unwrap()
            .is_empty()
    );
    assert!(
        t.store
            .readings(&query(Resolution::Minute, 5, 2))
            .unwrap()
            .is_empty()
    );
    assert!(
        t.store
            .readings(&query(Resolution::Hour, 0, 10))
            .unwrap()
            .is_empty()
    );
}

/// Station, parameter and resolution filters; order by station, parameter, time.
pub(crate) fn filters_and_order(mut t: TestStore) {
    let mut batch = Vec::new();
    for station in ["B", "A", "C"] {
        for parameter in [Parameter::WindDirection, Parameter::Co, Parameter::Pm25] {
            for i in [2, 0, 1] {
                batch.push(rec(station, parameter, Resolution::Minute, i, i as f64));
            }
            batch.push(rec(station, parameter, Resolution::Hour, 60, 5.0));
        }
    }
    t.store.put_readings(&batch).unwrap();
    let all = t.store.readings(&query(Resolution::Minute, 0, 60)).unwrap();
    assert_eq!(all.len(), 27);
    let keys: Vec<(String, Parameter, i64)> = all
        .iter()
        .map(|r| {
            (
                r.station.to_string(),
                r.parameter,
                (r.time - at(0)).num_minutes(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(
        keys, sorted,
        "ordered by station, parameter (enum order), time"
    );
    assert!(all.iter().all(|r| r.resolution == Resolution::Minute));

    let mut q = query(Resolution::Minute, 0, 60)
        .for_stations(Stations::only(["C", "A"]))
        .for_parameters(Parameters::one(Parameter::Co));
    let got = t.store.readings(&q).unwrap();
    let keys: Vec<(&str, Parameter)> = got.iter().map(|r| (&*r.station, r.parameter)).collect();
    assert_eq!(
        keys,
        [("A", Parameter::Co); 3]
            .into_iter()
            .chain([("C", Parameter::Co); 3])
            .collect::<Vec<_>>()
    );
    q.stations = Stations::one("Z");
    assert!(t.store.readings(&q).unwrap().is_empty());
    let hours = t.store.readings(&query(Resolution::Hour, 0, 61)).unwrap();
    assert_eq!(hours.len(), 9);
}

/// The newest record of each station × parameter at a resolution.
pub(crate) fn latest_per_series(mut t: TestStore) {
    assert!(
        t.store
            .latest_readings(Resolution::Minute, &Stations::All)
            .unwrap()
            .is_empty()
    );
    let mut batch = Vec::new();
    for (station, parameter, last) in [
        ("A", Parameter::Pm10, 7),
        ("A", Parameter::Pm25, 3),
        ("B", Parameter::Pm25, 5),
    ] {
        for i in 0..=last {
            batch.push(rec(station, parameter, Resolution::Minute, i, i as f64));
        }
        batch.push(rec(station, parameter, Resolution::Hour, 600, -1.0));
    }
    batch.push(rec("AB", Parameter::O3, Resolution::Hour, 60, 1.0)); // no minute data
    t.store.put_readings(&batch).unwrap();
    let latest = t
        .store
        .latest_readings(Resolution::Minute, &Stations::All)
        .unwrap();
    let got: Vec<(&str, Parameter, i64)> = latest
        .iter()
        .map(|r| (&*r.station, r.parameter, (r.time - at(0)).num_minutes()))
        .collect();
    assert_eq!(
        got,
        [
            ("A", Parameter::Pm25, 3),
            ("A", Parameter::Pm10, 7),
            ("B", Parameter::Pm25, 5)
        ]
    );
    assert_eq!(latest[1].value, 7.0);
    let b = t
        .store
        .latest_readings(Resolution::Minute, &Stations::one("B"))
        .unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!(
        b[0],
        batch
            .iter()
            .find(|r| &*r.station == "B" && r.time == at(5))
            .unwrap()
            .clone()
    );
    assert!(
        t.store
            .latest_readings(Resolution::Minute, &Stations::one("AB"))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        t.store
            .latest_readings(Resolution::Hour, &Stations::one("A"))
            .unwrap()
            .len(),
        2
    );
    assert!(
        t.store
            .latest_readings(Resolution::Minute, &Stations::one("nope"))
            .unwrap()
            .is_empty()
    );
}

/// `count` counts one resolution only.
pub(crate) fn count_per_resolution(mut t: TestStore) {
    for r in Resolution::ALL {
        assert_eq!(t.store.count_readings(r).unwrap(), 0);
    }
    let mut batch: Vec<Record> = (0..120)
        .map(|i| rec("A", Parameter::Temperature, Resolution::Minute, i, 20.0))
        .collect();
    batch.extend((1..=2).map(|h| rec("A", Parameter::Temperature, Resolution::Hour, 60 * h, 20.0)));
    batch.push(rec(
        "A",
        Parameter::Temperature,
        Resolution::Sample,
        0,
        20.0,
    ));
    t.store.put_readings(&batch).unwrap();
    assert_eq!(t.store.count_readings(Resolution::Minute).unwrap(), 120);
    assert_eq!(t.store.count_readings(Resolution::Hour).unwrap(), 2);
    assert_eq!(t.store.count_readings(Resolution::Sample).unwrap(), 1);
    assert_eq!(t.store.count_readings(Resolution::Day).unwrap(), 0);
}

/// A second handle sees what the first committed while the first stays open.
pub(crate) fn concurrent_reader(mut t: TestStore) {
    let reader = (t.reopen)();
    assert_eq!(reader.count_readings(Resolution::Minute).unwrap(), 0);
    let first: Vec<Record> = (0..5)
        .map(|i| rec("A", Parameter::Rain, Resolution::Minute, i, 0.5))
        .collect();
    t.store.put_readings(&first).unwrap();
    assert_eq!(reader.count_readings(Resolution::Minute).unwrap(), 5);
    assert_eq!(
        reader.readings(&query(Resolution::Minute, 0, 60)).unwrap(),
        first
    );
    t.store
        .put_readings(&[rec("A", Parameter::Rain, Resolution::Minute, 5, 0.0)])
        .unwrap();
    assert_eq!(
        reader
            .latest_readings(Resolution::Minute, &Stations::one("A"))
            .unwrap()[0]
            .time,
        at(5)
    );
    let another = (t.reopen)();
    assert_eq!(another.count_readings(Resolution::Minute).unwrap(), 6);
}

/// Paged reads hand out pages of the size asked for across several page boundaries, each
/// series in time order, together what the collecting read returns; the filters apply; a
/// consumer's error stops the read.
pub(crate) fn readings_paged(mut t: TestStore) {
    let mut batch = Vec::new();
    for station in ["C", "A", "B"] {
        for parameter in [Parameter::O3, Parameter::Pm25] {
            for i in (0..17).rev() {
                batch.push(rec(station, parameter, Resolution::Minute, i, i as f64));
            }
        }
    }
    batch.push(rec("A", Parameter::Pm25, Resolution::Hour, 60, 1.0));
    t.store.put_readings(&batch).unwrap();
    let q = query(Resolution::Minute, 0, 60);
    let whole = t.store.readings(&q).unwrap();
    assert_eq!(whole.len(), 102);
    for size in [1, 7, 34, 102, 1000] {
        let pages = paged(size, |size, each| t.store.readings_paged(&q, size, each));
        assert_eq!(pages.len(), 102_usize.div_ceil(size), "pages of {size}");
        let mut all = pages.concat();
        for (station, parameter) in ["A", "B", "C"]
            .into_iter()
            .flat_map(|s| [(s, Parameter::O3), (s, Parameter::Pm25)])
        {
            let series: Vec<Record> = all
                .iter()
                .filter(|r| &*r.station == station && r.parameter == parameter)
                .cloned()
                .collect();
            assert_eq!(
                times(&series),
                (0..17).collect::<Vec<_>>(),
                "{station} {parameter:?}"
            );
        }
        all.sort_by(|a, b| (&a.station, a.parameter).cmp(&(&b.station, b.parameter)));
        assert_eq!(all, whole, "pages of {size}");
    }
    let only = q
        .clone()
        .for_stations(Stations::one("B"))
        .for_parameters(Parameters::one(Parameter::O3));
    let pages = paged(5, |size, each| t.store.readings_paged(&only, size, each));
    assert_eq!(pages.len(), 4);
    let expected: Vec<Record> = whole
        .iter()
        .filter(|r| &*r.station == "B" && r.parameter == Parameter::O3)
        .cloned()
        .collect();
    assert_eq!(pages.concat(), expected);
    stops_on_error(|size, each| t.store.readings_paged(&q, size, each));
}

/// A list selects exactly its stations or parameters, an empty list nothing; the latest
/// records of several stations.
pub(crate) fn readings_filters_select_exactly(mut t: TestStore) {
    let mut batch = Vec::new();
    for station in ["A", "B", "C", "AB"] {
        for parameter in [Parameter::Pm25, Parameter::No2] {
            for i in 0..3 {
                batch.push(rec(station, parameter, Resolution::Minute, i, i as f64));
            }
        }
    }
    t.store.put_readings(&batch).unwrap();
    let q = query(Resolution::Minute, 0, 60);
    let nothing = q.clone().for_stations(Stations::Only(vec![]));
    assert!(t.store.readings(&nothing).unwrap().is_empty());
    let nothing = q.clone().for_parameters(Parameters::Only(vec![]));
    assert!(t.store.readings(&nothing).unwrap().is_empty());
    let no2 = t
        .store
        .readings(&q.clone().for_parameters(Parameters::one(Parameter::No2)))
        .unwrap();
    assert_eq!(no2.len(), 12);
    assert!(no2.iter().all(|r| r.parameter == Parameter::No2));
    let ab = t
        .store
        .readings(&q.clone().for_stations(Stations::only(["AB", "B"])))
        .unwrap();
    let stations: Vec<&str> = ab.iter().map(|r| &*r.station).collect();
    assert_eq!(stations, [["AB"; 6], ["B"; 6]].concat());

    let latest = t
        .store
        .latest_readings(Resolution::Minute, &Stations::only(["C", "A", "nope"]))
        .unwrap();
    let mut expected: Vec<(&str, Parameter)> = ["A", "C"]
        .into_iter()
        .flat_map(|s| [(s, Parameter::Pm25), (s, Parameter::No2)])
        .collect();
    expected.sort();
    let got: Vec<(&str, Parameter)> = latest.iter().map(|r| (&*r.station, r.parameter)).collect();
    assert_eq!(got, expected);
    assert!(latest.iter().all(|r| r.time == at(2)));
    assert!(
        t.store
            .latest_readings(Resolution::Minute, &Stations::Only(vec![]))
            .unwrap()
            .is_empty()
    );
}

/// The span of a resolution runs from its earliest to its latest label, to the millisecond;
/// other resolutions do not count; none when there are no records.
pub(crate) fn readings_span(mut t: TestStore) {
    for r in Resolution::ALL {
        assert_eq!(t.store.readings_span(r).unwrap(), None, "{r}");
    }
    let mut late = rec("B", Parameter::Co, Resolution::Minute, 40, 1.0);
    late.time += chrono::TimeDelta::milliseconds(250);
    t.store
        .put_readings(&[
            rec("A", Parameter::Pm25, Resolution::Minute, 5, 1.0),
            rec("A", Parameter::Pm25, Resolution::Minute, -3, 1.0),
            late.clone(),
            rec("Z", Parameter::Pm25, Resolution::Hour, 120, 1.0),
            rec("Z", Parameter::Pm25, Resolution::Day, -10_000, 1.0),
        ])
        .unwrap();
    let minutes = t.store.readings_span(Resolution::Minute).unwrap().unwrap();
    assert_eq!((minutes.first, minutes.last), (at(-3), late.time));
    let hours = t.store.readings_span(Resolution::Hour).unwrap().unwrap();
    assert_eq!((hours.first, hours.last), (at(120), at(120)));
    assert_eq!(t.store.readings_span(Resolution::Sample).unwrap(), None);
    let whole = t
        .store
        .readings(&lantian::store::ReadingQuery::new(
            Resolution::Minute,
            minutes.first,
            minutes.end(),
        ))
        .unwrap();
    assert_eq!(whole.len(), 3, "the span's range holds every record");
}
