//! Unit tests of the shared parsing helpers and the station book.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use super::row::StationMeta;
use super::stations::{check_known, merge_given};
use super::values::{
    check_value, compass_degrees, date_hour_to_utc, is_missing, parse_hour_label, parse_number,
    shown,
};
use crate::store::{StationInfo, StationRole};
use crate::units::Parameter;

fn utc(y: i32, mo: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, 0, 0).unwrap()
}

#[test]
fn compass_points() {
    let expect = [
        ("N", 0.0),
        ("NNE", 22.5),
        ("NE", 45.0),
        ("ENE", 67.5),
        ("E", 90.0),
        ("SSW", 202.5),
        ("W", 270.0),
        ("NNW", 337.5),
        ("nne", 22.5),
        (" SE ", 135.0),
    ];
    for (name, deg) in expect {
        assert_eq!(compass_degrees(name), Some(deg), "{name}");
    }
    for bad in ["", "NA", "NNNE", "north", "CV"] {
        assert_eq!(compass_degrees(bad), None, "{bad}");
    }
}

#[test]
fn missing_numbers_and_plausibility() {
    for m in ["", "NA", " NA ", "NaN", "nan", "N/A", "-"] {
        assert!(is_missing(m), "{m:?}");
    }
    assert!(!is_missing("0"));
    assert_eq!(parse_number(" 1.5 "), Ok(1.5));
    assert!(parse_number("inf").is_err());
    assert!(parse_number("1,5").is_err());
    assert!(check_value(Parameter::Pm25, -0.1).is_err());
    assert!(check_value(Parameter::Co, -1.0).is_err());
    assert_eq!(check_value(Parameter::Pm25, 0.0), Ok(0.0));
    assert_eq!(check_value(Parameter::Temperature, -30.0), Ok(-30.0));
    assert_eq!(check_value(Parameter::DewPoint, -40.0), Ok(-40.0));
    assert!(check_value(Parameter::WindSpeed, -1.0).is_err());
    assert!(check_value(Parameter::Rain, -0.1).is_err());
    assert!(check_value(Parameter::WindDirection, 361.0).is_err());
    assert_eq!(check_value(Parameter::WindDirection, 360.0), Ok(360.0));
}

#[test]
fn hour_labels() {
    let sh = chrono_tz::Asia::Shanghai;
    assert_eq!(
        parse_hour_label("2026-11-26 08:00", sh),
        Ok(utc(2026, 11, 26, 0))
    );
    assert_eq!(
        parse_hour_label("2026-11-26 08:00:00", sh),
        Ok(utc(2026, 11, 26, 0))
    );
    assert_eq!(
        parse_hour_label("2026-11-26T08:00", sh),
        Ok(utc(2026, 11, 26, 0))
    );
    assert_eq!(
        parse_hour_label("2026-11-26T08:00:00+01:00", sh),
        Ok(utc(2026, 11, 26, 7))
    );
    assert_eq!(
        parse_hour_label("2026-11-26 24:00", sh),
        Ok(utc(2026, 11, 26, 16))
    );
    assert_eq!(
        parse_hour_label("2026-11-26 00:00", sh),
        Ok(utc(2026, 11, 25, 16))
    );
    for bad in [
        "2026-11-26 08:30",
        "2026-11-26T08:00:30Z",
        "2026-11-26",
        "26/11/2026 08:00",
        "2026-11-26 25:00",
    ] {
        assert!(parse_hour_label(bad, sh).is_err(), "{bad}");
    }
    // Europe/London: 01:00 on the last Sunday of March does not exist; 01:00 on the last
    // Sunday of October happens twice (taken the first time, BST).
    let london = chrono_tz::Europe::London;
    let err = parse_hour_label("2025-03-30 01:00", london).unwrap_err();
    assert!(err.contains("does not exist"), "{err}");
    assert_eq!(
        parse_hour_label("2025-10-26 01:00", london),
        Ok(utc(2025, 10, 26, 0))
    );
    assert_eq!(
        parse_hour_label("2025-07-01 12:00", london),
        Ok(utc(2025, 7, 1, 11))
    );
}

#[test]
fn date_hours() {
    let sh = chrono_tz::Asia::Shanghai;
    let d = NaiveDate::from_ymd_opt(2016, 2, 29).unwrap();
    assert_eq!(date_hour_to_utc(d, 0, sh), Ok(utc(2016, 2, 28, 16)));
    assert_eq!(date_hour_to_utc(d, 23, sh), Ok(utc(2016, 2, 29, 15)));
    assert_eq!(date_hour_to_utc(d, 24, sh), Ok(utc(2016, 2, 29, 16)));
    assert!(date_hour_to_utc(d, 25, sh).is_err());
}

fn info(id: &str) -> StationInfo {
    StationInfo {
        id: id.to_string(),
        name: "甲".to_string(),
        name_en: "Jia".to_string(),
        district: String::new(),
        lat: None,
        lon: Some(113.0),
        time_zone: chrono_tz::Asia::Shanghai,
        city: String::new(),
        role: StationRole::Assessment,
    }
}

#[test]
fn known_stations_are_checked_and_completed() {
    let mut known = info("A");
    let agree = StationMeta {
        name: Some("甲".to_string()),
        lon: Some(113.0000004),
        ..StationMeta::default()
    };
    assert_eq!(check_known(&mut known, &agree), Ok(false));
    let fill = StationMeta {
        district: Some("东城".to_string()),
        lat: Some(23.0),
        ..StationMeta::default()
    };
    assert_eq!(check_known(&mut known, &fill), Ok(true));
    assert_eq!((known.district.as_str(), known.lat), ("东城", Some(23.0)));
    for bad in [
        StationMeta {
            name_en: Some("Yi".to_string()),
            ..StationMeta::default()
        },
        StationMeta {
            district: Some("西城".to_string()),
            ..StationMeta::default()
        },
        StationMeta {
            lon: Some(113.1),
            ..StationMeta::default()
        },
    ] {
        let before = known.clone();
        assert!(check_known(&mut known, &bad).is_err(), "{bad:?}");
        assert_eq!(known, before);
    }
}

#[test]
fn new_stations_merge_what_rows_give() {
    let mut station = info("B");
    let mut given = StationMeta::default();
    let row = StationMeta {
        name: Some("乙".to_string()),
        ..StationMeta::default()
    };
    merge_given(&mut station, &mut given, &row).unwrap();
    assert_eq!(station.name, "乙");
    merge_given(&mut station, &mut given, &row).unwrap();
    let other = StationMeta {
        name: Some("丙".to_string()),
        ..StationMeta::default()
    };
    let err = merge_given(&mut station, &mut given, &other).unwrap_err();
    assert!(err.contains("丙") && err.contains("乙"), "{err}");
}

#[test]
fn cells_in_messages_are_short_and_escaped() {
    assert_eq!(shown("a\nb"), "a\\nb");
    let long = "x".repeat(100);
    assert_eq!(shown(&long), format!("{}…", "x".repeat(40)));
    let err = parse_number("1\n2026-11-26 09:00,A,2").unwrap_err();
    assert!(!err.contains('\n'), "{err}");
}
