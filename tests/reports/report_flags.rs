//! The `sources` job over a store with known hourly data, and the daily report's notable
//! events.
//!
//! Four stations (Asia/Shanghai), 31 days up to 2024-03-10 with the wind turning 37° an hour.
//! A coal-like source S (SO2 +60, NO2 +20 µg/m³) lies due south of A and due west of B: each
//! sees its plume in the hours the wind blows from S (single hours, never an episode). On
//! 2024-03-10 the wind holds from the west from 09:00 to 14:00 and B sees S strongly (SO2
//! +150, NO2 +40): a clear local episode. C has a dust episode (PM10 +80) from 22:00 on the
//! 9th to 03:00 on the 10th: new on the 9th, not on the 10th.

use std::process::Command;

use chrono::{NaiveDate, TimeDelta};
use lantian::jobs::sources::{FlagRun, flag_day, job_analysis};
use lantian::quality::Flag;
use lantian::report::{Lang, ReportConfig, daily_report};
use lantian::sources::triangulate::distance_m;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{Record, SourceFlagQuery, SourceFlagStore, StationStore};
use lantian::units::{Parameter, SourceType};

use crate::fixture::{self, hour, label, section, station, table_rows, text};

const SOURCE: (f64, f64) = (23.00, 113.70);

pub(crate) fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 3, 10).unwrap()
}

/// (id, lat, lon, bearing towards S when S plumes reach it).
const STATIONS: [(&str, f64, f64, Option<f64>); 4] = [
    ("A", 23.05, 113.70, Some(180.0)),
    ("B", 23.00, 113.80, Some(270.0)),
    ("C", 22.90, 113.55, None),
    ("D", 23.10, 113.90, None),
];

fn records() -> Vec<Record> {
    let mut out = Vec::new();
    let mut state = 7u64;
    let mut noise = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for d in 0..31 {
        let date = day() - TimeDelta::days(30 - d);
        for h in 1..=24 {
            let n = d * 24 + h;
            let episode = date == day() && (10..=14).contains(&h);
            let wd = if episode {
                270.0
            } else {
                ((n * 37) % 360) as f64 + 5.0 * noise()
            };
            let ws = 1.0 + 4.0 * noise();
            for (id, _, _, towards) in STATIONS {
                let plume =
                    towards.is_some_and(|b| lantian::sources::angle_diff(wd, b).abs() < 15.0);
                let (mut so2, mut no2) = (8.0 + 2.0 * noise(), 25.0 + 3.0 * noise());
                let (mut pm25, mut pm10) = (30.0 + 3.0 * noise(), 50.0 + 4.0 * noise());
                if episode && id == "B" {
                    so2 += 150.0;
                    no2 += 40.0;
                } else if plume {
                    so2 += 60.0;
                    no2 += 20.0;
                }
                let dust = id == "C"
                    && ((date == day() - TimeDelta::days(1) && h >= 23)
                        || (date == day() && h <= 3));
                if dust {
                    pm10 += 80.0;
                    pm25 += 10.0;
                }
                for (p, v) in [
                    (Parameter::WindDirection, wd),
                    (Parameter::WindSpeed, ws),
                    (Parameter::So2, so2),
                    (Parameter::No2, no2),
                    (Parameter::Pm25, pm25),
                    (Parameter::Pm10, pm10),
                    (Parameter::Co, 0.6 + 0.05 * noise()),
                    (Parameter::O3, 60.0 + 5.0 * noise()),
                ] {
                    out.push(hour(id, date, h, p, v, Flag::Normal));
                }
            }
        }
    }
    out
}

pub(crate) fn store(dir: &std::path::Path) -> SqliteStore {
    let mut store = SqliteStore::open(dir.join("flags.db")).unwrap();
    let infos: Vec<_> = STATIONS
        .iter()
        .map(|(id, lat, lon, _)| {
            station(
                id,
                &format!("{id}站"),
                &format!("Station {id}"),
                "东区",
                *lon,
                *lat,
            )
        })
        .collect();
    store.put_stations(&infos).unwrap();
    fixture::write(&mut store, &records());
    store
}

/// The run of the job for `date`, as the scheduler would make it at 07:00 the next morning.
fn run_for(date: NaiveDate) -> FlagRun<'static> {
    FlagRun {
        job: "sources",
        scheduled: label(date, 24 + 7),
    }
}

/// Runs the job for `date` (it records the day as analysed with its flags; the report reads
/// that, not the run log).
pub(crate) fn flag(store: &mut SqliteStore, date: NaiveDate) -> usize {
    let done = flag_day(
        store,
        date,
        chrono_tz::Asia::Shanghai,
        30,
        &job_analysis(chrono_tz::Asia::Shanghai),
        run_for(date),
    )
    .unwrap();
    assert_eq!(done.day, date);
    done.flags
}

fn whole_days(store: &SqliteStore) -> Vec<lantian::store::SourceFlag> {
    store
        .source_flags(&SourceFlagQuery::new(
            label(day(), -24 * 40),
            label(day(), 48),
        ))
        .unwrap()
}

#[test]
fn the_job_flags_new_episodes_once_with_their_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path());
    assert_eq!(flag(&mut store, day()), 1);
    let flags = whole_days(&store);
    assert_eq!(flags.len(), 1, "{flags:#?}");
    let f = &flags[0];
    assert_eq!(f.station, "B");
    assert_eq!(f.pollutants, [Parameter::So2, Parameter::No2]);
    assert_eq!((f.start, f.end), (label(day(), 10), label(day(), 14)));
    assert_eq!(f.peak.parameter, Parameter::So2);
    assert!((140.0..160.0).contains(&f.peak.excess), "{:?}", f.peak);
    assert!((155.0..170.0).contains(&f.peak.value), "{:?}", f.peak);
    assert!(f.severity > 10.0, "{}", f.severity);
    assert_eq!(f.source_type, SourceType::CoalIndustrial);
    let e = &f.evidence;
    assert!(e.rule.contains("SO2/NOx"), "{}", e.rule);
    assert!(e.ratios.so2_nox.unwrap() > 3.0, "{:?}", e.ratios);
    assert_eq!(e.hours, 5);
    assert!(e.excess[&Parameter::So2].excess > 130.0, "{:?}", e.excess);
    let w = e.wind_from_deg.unwrap();
    assert!(lantian::sources::angle_diff(w, 270.0).abs() < 1.0, "{w}");
    // B's CPF points at S (due west); A's and B's bearings meet at S.
    let b = e.bearing.expect("a CPF bearing at B");
    assert!(
        lantian::sources::angle_diff(b.bearing_deg, 270.0).abs() < 10.0,
        "{b:?}"
    );
    assert!(b.z > 3.0 && b.confidence > 0.95, "{b:?}");
    let l = e.located.as_ref().expect("a located source");
    assert!(distance_m((l.lat, l.lon), SOURCE) < 2_000.0, "{l:?}");
    assert!((8_000.0..12_500.0).contains(&l.distance_m), "{l:?}");
    assert!(!e.ongoing);
    assert_eq!(e.window.stations, 4);
    assert_eq!(e.window.to, label(day(), 25));
    assert_eq!(e.window.from, label(day() - TimeDelta::days(30), 1));
    assert_eq!(
        (f.job.as_str(), f.job_scheduled),
        ("sources", run_for(day()).scheduled)
    );

    // Again for the same day: replaced, not added; the evidence is the same.
    assert_eq!(flag(&mut store, day()), 1);
    let again = whole_days(&store);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].evidence, f.evidence);

    // The 9th: C's dust episode began then (at 23:00). It was not new on the 10th.
    assert_eq!(flag(&mut store, day() - TimeDelta::days(1)), 1);
    let all = whole_days(&store);
    assert_eq!(all.len(), 2);
    let c = all.iter().find(|f| f.station == "C").unwrap();
    assert_eq!(c.start, label(day() - TimeDelta::days(1), 23));
    assert!(c.pollutants.contains(&Parameter::Pm10), "{c:?}");
    assert_eq!(c.source_type, SourceType::Dust, "{c:?}");
    // A quiet day.
    assert_eq!(flag(&mut store, day() - TimeDelta::days(5)), 0);
}

#[test]
fn the_daily_report_lists_the_flags_or_says_why_there_are_none() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path());
    let quiet = day() - TimeDelta::days(5);
    let not_run = day() - TimeDelta::days(6);
    flag(&mut store, day());
    flag(&mut store, quiet);
    for (lang, none, absent) in [
        (
            Lang::Zh,
            "当日未识别出新的局地污染过程",
            "尚未对当日数据运行",
        ),
        (
            Lang::En,
            "No new local pollution episode",
            "has not run for this day",
        ),
    ] {
        let cfg = ReportConfig {
            out_dir: dir.path().join(format!("out-{lang}")),
            lang,
        };
        let html = |date| {
            let files = daily_report(&store, "测试", date, &cfg).unwrap();
            let html = std::fs::read_to_string(files.html).unwrap();
            lantian::report::html::check_well_formed(&html).unwrap();
            section(&html, "events").to_string()
        };
        let events = html(day());
        let rows = table_rows(&events);
        assert_eq!(rows.len(), 1, "{events}");
        let row = &rows[0];
        eprintln!("{lang}: {row:?}");
        let (name, source) = match lang {
            Lang::Zh => ("B站", "燃煤/工业"),
            Lang::En => ("Station B", "coal/industrial"),
        };
        assert_eq!(row[0], "09:00–14:00", "{row:?}");
        assert_eq!(row[1], name);
        assert!(
            row[2].starts_with("SO2") && row[2].contains("NO2"),
            "{row:?}"
        );
        assert!(
            row[3].starts_with("SO2 1") && row[3].contains("µg/m³"),
            "{row:?}"
        );
        assert_eq!(row[5], source);
        assert!(row[6].contains("SO2/NOx"), "{row:?}");
        assert!(row[6].contains(&format!("→ {source}")), "{row:?}");
        assert!(
            row[6].contains("CPF SO2 2") || row[6].contains("CPF NO2 2"),
            "{row:?}"
        );
        assert!(row[6].contains(" km ± "), "{row:?}");
        let count = match lang {
            Lang::Zh => "当日识别出1起新的局地污染过程",
            Lang::En => "1 new local pollution episode was flagged",
        };
        assert!(text(&events).contains(count), "{events}");

        let quiet_events = text(&html(quiet));
        assert!(quiet_events.contains(none), "{quiet_events}");
        let absent_events = text(&html(not_run));
        assert!(absent_events.contains(absent), "{absent_events}");
    }
}

#[test]
fn the_command_runs_the_job_and_lists_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    drop(store(dir.path()));
    let db = format!("sqlite:{}", dir.path().join("flags.db").display());
    let lantian = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_lantian"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["--store", &db, "-q"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let out = lantian(&["jobs", "run", "sources", "--at", "2024-03-11 07:00"]);
    assert!(out.contains("source flags for 2024-03-10: 1 new"), "{out}");
    let json = lantian(&[
        "sources",
        "flags",
        "--from",
        "2024-03-10",
        "--format",
        "json",
    ]);
    let flags: Vec<lantian::store::SourceFlag> = serde_json::from_str(&json).unwrap();
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].station, "B");
    assert_eq!(flags[0].job, "sources");
    let table = lantian(&[
        "sources",
        "flags",
        "--from",
        "2024-03-09",
        "--to",
        "2024-03-10",
        "--station",
        "B",
    ]);
    assert!(
        table.contains("coal_industrial") && table.contains("SO2/NOx"),
        "{table}"
    );
    let none = lantian(&["sources", "flags", "--from", "2024-03-09", "--station", "A"]);
    assert!(!none.contains("coal_industrial"), "{none}");
}
