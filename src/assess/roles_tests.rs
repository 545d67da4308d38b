//! Station roles in the assessment: only assessment stations make a town's (district's), the
//! network's or a city's value; micro stations and background sites keep their own rows.

use super::city::{CityList, rank_city_days};
use super::run::{GroupBy, StoreDays, rank_days};
use super::{AssessConfig, DailyStats, Period};
use crate::aqi::china::DailyInput;
use crate::store::{StationInfo, StationRole};

fn station(id: &str, district: &str, city: &str, role: StationRole) -> StationInfo {
    StationInfo {
        id: id.to_string(),
        name: id.to_string(),
        name_en: id.to_string(),
        district: district.to_string(),
        lat: None,
        lon: None,
        time_zone: chrono_tz::Asia::Shanghai,
        city: city.to_string(),
        role,
    }
}

/// Every day of January 2019 with the same six values, PM2.5 `pm25`.
fn days(pm25: f64) -> Vec<DailyStats> {
    let day = DailyStats {
        values: DailyInput {
            so2: Some(8.0),
            no2: Some(30.0),
            pm10: Some(pm25 * 1.5),
            pm25: Some(pm25),
            co: Some(0.8),
            o3_1h_max: Some(120.0),
            o3_8h_max: Some(100.0),
        },
        ..Default::default()
    };
    vec![day; 31]
}

fn january() -> Period {
    Period::Month {
        year: 2019,
        month: 1,
    }
}

#[test]
fn a_micro_stations_extremes_leave_its_towns_value_unchanged() {
    let cfg = AssessConfig::default();
    let range = january().range().expect("range");
    let prev = january().previous_year().range().expect("range");
    let town = |stations: &[StationInfo], series: &[Vec<DailyStats>]| {
        let before = vec![Vec::new(); stations.len()];
        rank_days(
            stations,
            series,
            &before,
            range,
            prev,
            GroupBy::District,
            &cfg,
        )
    };
    let alone = town(
        &[station("S1", "南城", "", StationRole::Assessment)],
        &[days(35.0)],
    );
    let with_micro = town(
        &[
            station("S1", "南城", "", StationRole::Assessment),
            station("M1", "南城", "", StationRole::Micro),
        ],
        &[days(35.0), days(950.0)],
    );
    assert_eq!(with_micro, alone);
    assert_eq!(with_micro[0].stations, 1);
    assert!(with_micro[0].stats.index.is_some());
    // The micro station keeps its station-level row.
    let by_station = rank_days(
        &[station("M1", "南城", "", StationRole::Micro)],
        &[days(950.0)],
        &[Vec::new()],
        range,
        prev,
        GroupBy::Station,
        &cfg,
    );
    assert_eq!(
        by_station[0].stats.concentrations[super::Pollutant::Pm25],
        Some(950.0)
    );
    // A town of micro stations only has no value at all.
    let micro_only = town(
        &[station("M1", "南城", "", StationRole::Micro)],
        &[days(950.0)],
    );
    assert!(micro_only.is_empty());
}

#[test]
fn a_background_sites_extremes_leave_its_citys_value_unchanged() {
    let cfg = AssessConfig::default();
    let list = CityList::key_168();
    let city = |stations: Vec<StationInfo>, current: Vec<Vec<DailyStats>>| {
        let d = StoreDays {
            period: january(),
            previous: january().previous_year(),
            before: vec![Vec::new(); stations.len()],
            stations,
            current,
        };
        let ranking = rank_city_days(&d, &list, None, &cfg)
            .expect("ranking")
            .ranking;
        ranking
            .rows
            .into_iter()
            .find(|r| r.id == "北京")
            .expect("北京")
    };
    let alone = city(
        vec![station("1001A", "", "北京", StationRole::Assessment)],
        vec![days(40.0)],
    );
    let with_background = city(
        vec![
            station("1001A", "", "北京", StationRole::Assessment),
            station("1002A", "", "北京", StationRole::Background),
            station("9001M", "", "北京", StationRole::Micro),
        ],
        vec![days(40.0), days(3.0), days(900.0)],
    );
    assert_eq!(with_background, alone);
    assert_eq!(with_background.stations, 1);
    assert!(with_background.stats.index.is_some());
}
