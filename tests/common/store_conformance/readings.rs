//! Readings: idempotent writes, range boundaries, filters and order, the latest record of
//! each series, counts per resolution, and a second handle reading what the first wrote.

use lantian::quality::Flag;
use lantian::store::{Record, Resolution};
use lantian::units::Parameter;

use super::{TestStore, at, query, rec};

fn times(records: &[Record]) -> Vec<i64> {
    records
        .iter()
        .map(|r| (r.time - at(0)).num_minutes())
        .collect()
}

/// Writing the same batch twice keeps one record per key; the last value wins.
pub fn idempotent_rewrite(mut t: TestStore) {
    let batch: Vec<Record> = (0..10)
        .map(|i| rec("A", Parameter::Pm25, Resolution::Minute, i, i as f64))
        .collect();
    assert_eq!(t.store.write(&batch).unwrap(), 10);
    assert_eq!(t.store.write(&batch).unwrap(), 10);
    assert_eq!(t.store.count(Resolution::Minute).unwrap(), 10);
    let mut changed = batch[3].clone();
    changed.value = 99.5;
    changed.flag = Flag::Calibration;
    changed.count = 0;
    t.store.write(&[changed.clone()]).unwrap();
    let all = t.store.read(&query(Resolution::Minute, 0, 10)).unwrap();
    assert_eq!(all.len(), 10);
    assert_eq!(all[3], changed);
    assert_eq!(all[4], batch[4]);
}

/// `from` is inclusive, `to` exclusive; an empty range reads nothing.
pub fn range_boundaries(mut t: TestStore) {
    let batch: Vec<Record> = (0..10)
        .map(|i| rec("A", Parameter::No2, Resolution::Minute, i, 1.0))
        .collect();
    t.store.write(&batch).unwrap();
    assert_eq!(
        times(&t.store.read(&query(Resolution::Minute, 2, 5)).unwrap()),
        [2, 3, 4]
    );
    assert_eq!(
        times(&t.store.read(&query(Resolution::Minute, -5, 1)).unwrap()),
        [0]
    );
    assert!(
        t.store
            .read(&query(Resolution::Minute, 4, 4))
            .unwrap()
            .is_empty()
    );
    assert!(
        t.store
            .read(&query(Resolution::Minute, 5, 2))
            .unwrap()
            .is_empty()
    );
    assert!(
        t.store
            .read(&query(Resolution::Hour, 0, 10))
            .unwrap()
            .is_empty()
    );
}

/// Station, parameter and resolution filters; order by station, parameter, time.
pub fn filters_and_order(mut t: TestStore) {
    let mut batch = Vec::new();
    for station in ["B", "A", "C"] {
        for parameter in [Parameter::WindDirection, Parameter::Co, Parameter::Pm25] {
            for i in [2, 0, 1] {
                batch.push(rec(station, parameter, Resolution::Minute, i, i as f64));
            }
            batch.push(rec(station, parameter, Resolution::Hour, 60, 5.0));
        }
    }
    t.store.write(&batch).unwrap();
    let all = t.store.read(&query(Resolution::Minute, 0, 60)).unwrap();
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

    let mut q = query(Resolution::Minute, 0, 60);
    q.stations = vec!["C".into(), "A".into()];
    q.parameters = vec![Parameter::Co];
    let got = t.store.read(&q).unwrap();
    let keys: Vec<(&str, Parameter)> = got.iter().map(|r| (&*r.station, r.parameter)).collect();
    assert_eq!(
        keys,
        [("A", Parameter::Co); 3]
            .into_iter()
            .chain([("C", Parameter::Co); 3])
            .collect::<Vec<_>>()
    );
    q.stations = vec!["Z".into()];
    assert!(t.store.read(&q).unwrap().is_empty());
    let hours = t.store.read(&query(Resolution::Hour, 0, 61)).unwrap();
    assert_eq!(hours.len(), 9);
}

/// The newest record of each station × parameter at a resolution.
pub fn latest_per_series(mut t: TestStore) {
    assert!(t.store.latest(Resolution::Minute, None).unwrap().is_empty());
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
    t.store.write(&batch).unwrap();
    let latest = t.store.latest(Resolution::Minute, None).unwrap();
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
    let b = t.store.latest(Resolution::Minute, Some("B")).unwrap();
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
            .latest(Resolution::Minute, Some("AB"))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        t.store.latest(Resolution::Hour, Some("A")).unwrap().len(),
        2
    );
    assert!(
        t.store
            .latest(Resolution::Minute, Some("nope"))
            .unwrap()
            .is_empty()
    );
}

/// `count` counts one resolution only.
pub fn count_per_resolution(mut t: TestStore) {
    for r in Resolution::ALL {
        assert_eq!(t.store.count(r).unwrap(), 0);
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
    t.store.write(&batch).unwrap();
    assert_eq!(t.store.count(Resolution::Minute).unwrap(), 120);
    assert_eq!(t.store.count(Resolution::Hour).unwrap(), 2);
    assert_eq!(t.store.count(Resolution::Sample).unwrap(), 1);
    assert_eq!(t.store.count(Resolution::Day).unwrap(), 0);
}

/// A second handle sees what the first committed while the first stays open.
pub fn concurrent_reader(mut t: TestStore) {
    let reader = (t.reopen)();
    assert_eq!(reader.count(Resolution::Minute).unwrap(), 0);
    let first: Vec<Record> = (0..5)
        .map(|i| rec("A", Parameter::Rain, Resolution::Minute, i, 0.5))
        .collect();
    t.store.write(&first).unwrap();
    assert_eq!(reader.count(Resolution::Minute).unwrap(), 5);
    assert_eq!(
        reader.read(&query(Resolution::Minute, 0, 60)).unwrap(),
        first
    );
    t.store
        .write(&[rec("A", Parameter::Rain, Resolution::Minute, 5, 0.0)])
        .unwrap();
    assert_eq!(
        reader.latest(Resolution::Minute, Some("A")).unwrap()[0].time,
        at(5)
    );
    let another = (t.reopen)();
    assert_eq!(another.count(Resolution::Minute).unwrap(), 6);
}
