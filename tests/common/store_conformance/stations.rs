//! Stations ([`StationStore`](lantian::store::StationStore)): every field round-trips, and a
//! station is replaced by its id.

use lantian::store::{StationInfo, StationRole};

use super::{Check, TestStore};

/// Every check, by name.
pub(crate) const CHECKS: &[(&str, Check)] = &[
    ("stations_round_trip", stations_round_trip),
    ("stations_replace_by_id", stations_replace_by_id),
];

/// A station with every field set (Shanghai time, coordinates known).
pub(crate) fn station(id: &str) -> StationInfo {
    StationInfo {
        id: id.to_string(),
        name: "莞城".to_string(),
        name_en: "Guancheng".to_string(),
        district: "莞城街道".to_string(),
        lat: Some(23.0437),
        lon: Some(113.7519),
        time_zone: chrono_tz::Asia::Shanghai,
        city: "东莞".to_string(),
        role: StationRole::Background,
    }
}

/// Stations round-trip every field, including unknown coordinates and other time zones, and
/// come back ordered by id.
pub(crate) fn stations_round_trip(mut t: TestStore) {
    assert!(t.store.stations().unwrap().is_empty());
    t.store.put_stations(&[]).unwrap();
    let london = StationInfo {
        id: "MY1".to_string(),
        name: "London Marylebone Road".to_string(),
        name_en: "London Marylebone Road".to_string(),
        district: "Westminster".to_string(),
        lat: Some(51.5225),
        lon: Some(-0.1546),
        time_zone: chrono_tz::Europe::London,
        city: String::new(),
        role: StationRole::Assessment,
    };
    let unknown = StationInfo {
        lat: None,
        lon: None,
        district: String::new(),
        time_zone: chrono_tz::America::Los_Angeles,
        ..station("B-unknown")
    };
    let half = StationInfo {
        lat: Some(-33.8688),
        lon: None,
        time_zone: chrono_tz::Asia::Kolkata,
        ..station("C")
    };
    let gc = station("DG-GC");
    t.store
        .put_stations(&[london.clone(), unknown.clone(), half.clone(), gc.clone()])
        .unwrap();
    let expected = [unknown, half, gc, london];
    assert_eq!(t.store.stations().unwrap(), expected);
    assert_eq!(
        (t.reopen)().stations().unwrap(),
        expected,
        "a second handle"
    );
}

/// Putting a station with a known id replaces it; others stay.
pub(crate) fn stations_replace_by_id(mut t: TestStore) {
    t.store.put_stations(&[station("A"), station("B")]).unwrap();
    let moved = StationInfo {
        name: "东城".to_string(),
        name_en: "Dongcheng".to_string(),
        lat: None,
        lon: Some(113.8),
        time_zone: chrono_tz::Asia::Hong_Kong,
        ..station("A")
    };
    t.store.put_stations(std::slice::from_ref(&moved)).unwrap();
    assert_eq!(t.store.stations().unwrap(), [moved.clone(), station("B")]);
    // Twice in one batch: the last wins.
    let again = StationInfo {
        district: "东城街道".to_string(),
        ..moved.clone()
    };
    t.store.put_stations(&[moved, again.clone()]).unwrap();
    assert_eq!(t.store.stations().unwrap(), [again, station("B")]);
}
