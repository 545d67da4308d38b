//! The pages over a real SQLite store: the overview shows each station's stored AQI in its
//! category's colour and the city's AQI of the daily report; text from the store is escaped;
//! the health page lists the devices; an alarm step goes through the alarm book.

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};

use super::alarms::{AlarmList, alarm_list};
use super::health::{DeviceFilter, health_page};
use super::overview::overview;
use super::view::Frame;
use super::{overview_live, overview_page};
use crate::aqi::Category;
use crate::assess::DateRange;
use crate::compute::{IndexConfig, recompute_days};
use crate::lang::Lang;
use crate::quality::Flag;
use crate::report::daily_figures;
use crate::store::sqlite::SqliteStore;
use crate::store::{
    AlarmIdPrefix, AlarmState, DeviceHealth, HealthStore, IndexQuery, IndexStore, ReadingStore,
    Record, Resolution, StationInfo, StationRole, StationStore,
};
use crate::units::Parameter;
use crate::web::alarm_steps::{AlarmStep as Step, take_step};
use crate::web::overview_cache::OverviewCache;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
}

/// Hourly records of the six pollutants at station `id` at `times`: PM2.5 at `pm25`, PM10 at
/// 1.4 times that, the others fixed.
pub(crate) fn six_pollutants(
    id: &str,
    pm25: f64,
    times: impl IntoIterator<Item = DateTime<Utc>>,
) -> Vec<Record> {
    let mut records = Vec::new();
    for time in times {
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
                time,
                value,
                flag: Flag::Normal,
                count: 60,
            });
        }
    }
    records
}

/// The hour labelled `hour` (1–24) of the local day (Asia/Shanghai).
fn label(hour: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 9, 16, 0, 0).unwrap() + TimeDelta::hours(hour)
}

fn station(id: &str, name: &str, district: &str, lat: f64, lon: f64) -> StationInfo {
    StationInfo {
        id: id.into(),
        name: name.into(),
        name_en: name.into(),
        district: district.into(),
        lat: Some(lat),
        lon: Some(lon),
        time_zone: chrono_tz::Asia::Shanghai,
        city: String::new(),
        role: StationRole::Assessment,
    }
}

/// Two towns: a clean station and a polluted one, 6 hours of the six pollutants.
fn store(dir: &std::path::Path) -> SqliteStore {
    let mut store = SqliteStore::open(dir.join("pages.db")).unwrap();
    store
        .put_stations(&[
            station("A", "<b>Nancheng</b>", "南城", 23.01, 113.74),
            station("B", "Humen", "虎门", 22.82, 113.67),
        ])
        .unwrap();
    let mut records = Vec::new();
    for (id, pm25) in [("A", 20.0), ("B", 130.0)] {
        records.extend(six_pollutants(id, pm25, (1..=6).map(label)));
    }
    store.put_readings(&records).unwrap();
    let days = DateRange {
        first: day(),
        last: day(),
    };
    recompute_days(
        &mut store,
        IndexConfig::default(),
        &["A".into(), "B".into()],
        days,
    )
    .unwrap();
    store
}

#[test]
fn the_overview_shows_the_stored_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let stored = store
        .indices(&IndexQuery::new(
            Resolution::Hour,
            label(6),
            label(6) + TimeDelta::seconds(1),
        ))
        .unwrap();
    let o = overview(&store, &OverviewCache::default(), Lang::En).unwrap();
    assert_eq!(o.hour, Some(label(6)));
    for r in &stored {
        let shown = o.stations.iter().find(|s| *s.map.id == *r.station).unwrap();
        assert_eq!(shown.map.aqi, r.aqi, "station {}", r.station);
    }
    // The city's AQI now is the daily report's curve at the hour (every station has it).
    let figures = daily_figures(&store, day()).unwrap();
    assert_eq!(o.city_now, figures.hourly[5]);
    assert!(o.city_now.is_some());
    // Both towns are ranked now, the cleaner first.
    assert_eq!(o.towns.len(), 2);
    assert_eq!(o.towns[0].name, "南城");
    assert_eq!(o.towns[0].now_rank, Some(1));
    assert!(o.towns[0].now < o.towns[1].now);

    let frame = Frame::new(
        Lang::En,
        "overview",
        "/",
        Some("wang".into()),
        Some("t0k".into()),
    );
    let html = overview_page(&store, &OverviewCache::default(), frame).unwrap();
    let b = stored.iter().find(|r| &*r.station == "B").unwrap();
    let b_aqi = b.aqi.unwrap();
    assert!(
        html.contains(&format!(r#"data-station="B" data-aqi="{b_aqi}""#)),
        "{html}"
    );
    let colour = Category::from_aqi(b_aqi).colour().hex();
    assert!(html.contains(&format!(r#"fill="{colour}""#)));
    assert!(html.contains("&#60;b&#62;Nancheng"));
    assert!(!html.contains("<b>Nancheng"), "store text is escaped");
    assert!(
        html.contains(r#"name="csrf" value="t0k""#),
        "the log-out form's token"
    );
    let live = overview_live(&store, &OverviewCache::default(), Lang::Zh).unwrap();
    assert!(live.contains("town-ranking") && !live.contains("<html"));
}

#[test]
fn an_empty_store_has_an_overview() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("empty.db")).unwrap();
    let frame = Frame::new(Lang::Zh, "overview", "/", None, None);
    let html = overview_page(&store, &OverviewCache::default(), frame).unwrap();
    assert!(html.contains("暂无数据"), "{html}");
}

#[test]
fn the_health_page_lists_devices_and_filters_problems() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path());
    let mut down = DeviceHealth::new("B-pm", "B");
    down.polls = 10;
    down.successes = 4;
    down.last_error = Some("connection refused".into());
    let mut up = DeviceHealth::new("A-pm", "A");
    up.online = true;
    up.polls = 10;
    up.successes = 10;
    store.put_health(&[down, up]).unwrap();
    let frame = || Frame::new(Lang::En, "health", "/health", None, None);
    let all = health_page(&store, None, DeviceFilter::All, frame()).unwrap();
    let problems = health_page(&store, None, DeviceFilter::Problems, frame()).unwrap();
    let ids = |p: &super::health::HealthPage| -> Vec<String> {
        p.rows.iter().map(|r| r.day.spec.id.clone()).collect()
    };
    assert!(ids(&all).contains(&"A-pm".to_string()));
    assert!(ids(&problems).contains(&"B-pm".to_string()));
    assert!(
        !ids(&problems).contains(&"A-pm".to_string()),
        "{:?}",
        ids(&problems)
    );
    let html = askama::Template::render(&problems).unwrap();
    assert!(
        html.contains("connection refused") && html.contains("40.0%"),
        "{html}"
    );
}

#[test]
fn alarm_steps_go_through_the_alarm_book() {
    use crate::alarms::{AlarmBook, Raise};
    use crate::store::{AlarmKind, AlarmSubject, Averaging, Direction, Measure, Observation};
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path());
    let raise = Raise {
        rule: "pm25-1h".into(),
        subject: AlarmSubject::StationParameter("B".into(), Parameter::Pm25),
        kind: AlarmKind::Threshold,
        severity: crate::store::Severity::Major,
        measure: Measure::Value {
            parameter: Parameter::Pm25,
            averaging: Averaging::Hour,
        },
        direction: Direction::Above,
        threshold: 115.0,
        clear_level: 75.0,
        value: Observation {
            time: label(6),
            value: 130.0,
        },
        warning: None,
        stale: false,
    };
    let id = AlarmBook::new(&mut store)
        .raise(&raise, label(6))
        .unwrap()
        .alarm()
        .id();
    let prefix: AlarmIdPrefix = id.to_string().parse().unwrap();
    let now = label(7);
    let acked = take_step(&mut store, None, &prefix, &Step::Acknowledge, "wang", now).unwrap();
    assert_eq!(acked.alarm.state(), AlarmState::Acknowledged);
    let again = take_step(&mut store, None, &prefix, &Step::Acknowledge, "li", now);
    assert!(again.is_err(), "a second acknowledgement is refused");
    take_step(
        &mut store,
        None,
        &prefix,
        &Step::Close("fixed".into()),
        "wang",
        now,
    )
    .unwrap();
    assert!(
        alarm_list(&store, AlarmList::Active, now)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        alarm_list(&store, AlarmList::RecentlyClosed, now)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn the_rankings_page_shows_the_ranking_reports_rows() {
    use crate::assess::{GroupBy, Period};
    use crate::report::ranking_figures;
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let period = super::rankings::default_period(&store).unwrap();
    assert_eq!(
        period,
        Period::YearToDate {
            year: 2026,
            end: None
        }
    );
    let figures = ranking_figures(&store, period, GroupBy::Station).unwrap();
    let page = super::rankings::RankingsPage {
        frame: Frame::new(Lang::En, "rankings", "/rankings", None, None),
        rt: crate::report::i18n::Words::text(Lang::En),
        asked: period.to_string(),
        by: GroupBy::Station,
        figures: figures.clone(),
        can_export: false,
    };
    let html = askama::Template::render(&page).unwrap();
    for row in &figures.rows {
        assert!(html.contains(&format!(r#"data-id="{}""#, row.id)), "{html}");
        let total = crate::report::figures::fixed(row.stats.total(), 2);
        assert!(
            html.contains(&format!("<b>{total}</b>")),
            "{total} in {html}"
        );
    }
    assert!(
        !html.contains(r#"id="csv""#),
        "no CSV link without the export permission"
    );
}

#[test]
fn the_station_page_shows_values_flags_charts_and_devices() {
    use super::station::{Span, station_page};
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path());
    store.put_health(&[DeviceHealth::new("B-pm", "B")]).unwrap();
    let frame = || Frame::new(Lang::Zh, "overview", "/stations/B", None, None);
    assert!(
        station_page(&store, "nowhere", Span::Day, frame())
            .unwrap()
            .is_none()
    );
    let page = station_page(&store, "B", Span::Month, frame())
        .unwrap()
        .unwrap();
    assert_eq!(page.latest.len(), 6, "the six pollutants' latest hours");
    assert_eq!(
        page.charts.len(),
        2 + 6,
        "hourly and daily AQI, one per parameter"
    );
    let html = askama::Template::render(&page).unwrap();
    assert!(
        html.contains(r#"data-parameter="pm25" data-flag="N""#),
        "{html}"
    );
    assert!(html.contains(r#"data-device="B-pm""#) && html.contains("离线"));
    assert!(html.contains("<svg") && html.contains("小时AQI"));
}
