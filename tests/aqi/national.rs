//! The national network, January 2019 (CNEMC real-time data, `../shared/data/cnemc_national`;
//! without it, the excerpt in `tests/data/cnemc_national_excerpt`: the 23 stations of 北京, 拉萨
//! and 海口). Checked:
//!
//! - the published hourly AQI, reproduced from the six pollutant columns with HJ 633-2012's
//!   real-time rules — every station-hour with all six values but one (see
//!   [`published_hourly_aqi_is_reproduced`] for the exception);
//! - `lantian import --format cnemc` on the excerpt: stations with city and background flag in
//!   the store, the hourly AQI the index stage computes equal to the published one;
//! - the city level against an independent computation written here (HJ 663 with GB/T 8170
//!   rounding: station daily values rounded, the city's daily mean rounded, the period value
//!   rounded, I_i from it);
//! - with the full data, the ministry's published January 2019 figures (ranks and aggregates).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta, TimeZone};
use lantian::aqi::china::{HourlyInput, RuleSet, hourly_aqi};
use lantian::assess::city::{CityList, rank_city_days};
use lantian::assess::run::{StoreDays, fill_hours};
use lantian::assess::{AssessConfig, Period, Pollutant, daily_stats};
use lantian::import::{Format, ImportOptions, NoProgress};
use lantian::quality::Flag;
use lantian::store::{
    IndexQuery, IndexStore, Record, Resolution, StationInfo, StationRole, StationStore,
    sqlite::SqliteStore,
};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/cnemc_national");
const EXCERPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/cnemc_national_excerpt"
);

/// The files to read: (hourly, published extra, station list, complete?).
fn data() -> (PathBuf, PathBuf, PathBuf, bool) {
    let full = Path::new(DIR);
    if full.is_dir() {
        let m = full.join("2019-01");
        return (
            m.join("cnemc_station_hourly_2019-01.csv.xz"),
            m.join("cnemc_station_hourly_published_extra_2019-01.csv.xz"),
            full.join("stations_2019.csv"),
            true,
        );
    }
    eprintln!("{DIR} is missing: checking the excerpt in {EXCERPT}");
    let e = Path::new(EXCERPT);
    (
        e.join("cnemc_station_hourly_2019-01_excerpt.csv.xz"),
        e.join("cnemc_station_hourly_published_extra_2019-01_excerpt.csv.xz"),
        e.join("stations.csv"),
        false,
    )
}

/// Every record of an `.xz` CSV (header dropped).
fn read_xz(path: &Path) -> Vec<csv::StringRecord> {
    let mut raw = std::io::BufReader::new(std::fs::File::open(path).expect("open"));
    let mut text = Vec::new();
    lzma_rs::xz_decompress(&mut raw, &mut text).expect("xz");
    csv::Reader::from_reader(&text[..])
        .records()
        .map(|r| r.expect("record"))
        .collect()
}

fn number(text: &str) -> Option<f64> {
    (!text.is_empty()).then(|| text.parse().expect("number"))
}

/// One hourly row: time label, code, [SO2, NO2, PM10, PM2.5, CO, O3].
type Hour = (NaiveDateTime, String, [Option<f64>; 6]);

fn hours(path: &Path) -> Vec<Hour> {
    read_xz(path)
        .iter()
        .map(|r| {
            let t = NaiveDateTime::parse_from_str(&r[0], "%Y-%m-%d %H:%M").expect("time");
            let v = [5, 6, 7, 8, 9, 10].map(|i| number(&r[i]));
            (t, r[1].to_string(), v)
        })
        .collect()
}

fn stations(path: &Path) -> Vec<StationInfo> {
    let mut reader = csv::Reader::from_path(path).expect("list");
    reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            StationInfo {
                id: r[0].to_string(),
                name: r[1].to_string(),
                name_en: r[0].to_string(),
                district: String::new(),
                lat: number(&r[4]),
                lon: number(&r[3]),
                time_zone: chrono_tz::Asia::Shanghai,
                city: r[2].to_string(),
                role: if &r[6] == "Y" {
                    StationRole::Background
                } else {
                    StationRole::Assessment
                },
            }
        })
        .collect()
}

/// The published hourly AQI by (time label, code).
fn published_aqi(path: &Path) -> HashMap<(String, String), u32> {
    read_xz(path)
        .iter()
        .filter(|r| !r[2].is_empty())
        .map(|r| {
            (
                (r[0].to_string(), r[1].to_string()),
                r[2].parse().expect("aqi"),
            )
        })
        .collect()
}

/// HJ 633-2012 real-time AQI from the six 1-h values (PM on the 24-h breakpoints, as CNEMC).
fn aqi_of(v: &[Option<f64>; 6]) -> Option<u32> {
    let input = HourlyInput {
        so2: v[0],
        no2: v[1],
        pm10: v[2],
        pm25: v[3],
        co: v[4],
        o3: v[5],
        so2_24h: None,
    };
    hourly_aqi(&input, RuleSet::Y2012).aqi
}

/// The one station-hour of January 2019 whose published AQI the six values do not give:
/// station 2647A at 2019-01-09 13:00 has SO2 915 µg/m³ (the month's maximum), above the end of
/// HJ 633-2012's 1-h SO2 table (800). The standard then reports SO2 by its 24-h sub-index; CNEMC
/// published AQI 200 — the 1-h table's last sub-index, i.e. SO2 capped at 800 — while the other
/// five values give 152 (PM10 249). lantian follows the standard (without a 24-h value at hand
/// here, SO2 drops out of the hour's AQI), so this hour differs.
const EXCEPTION: (&str, &str) = ("2019-01-09 13:00", "2647A");

/// Station-hours of January 2019 with all six values in the hourly file. (The data set's README
/// gives 951,869 for the hours the published AQI was checked on; this file has 923,570 rows
/// with all six 1-h values, and this test counts those.)
const COMPLETE_HOURS: usize = 923_570;

/// How far the region figures may be from the published ones (µg/m³; percentage points).
const REGION_PM25_TOLERANCE: f64 = 1.0;
const REGION_GOOD_TOLERANCE: f64 = 0.3;

#[test]
fn published_hourly_aqi_is_reproduced() {
    let (hourly, extra, _, full) = data();
    let published = published_aqi(&extra);
    let mut complete = 0;
    let mut differ = Vec::new();
    for (t, code, v) in hours(&hourly) {
        if v.iter().any(Option::is_none) {
            continue;
        }
        complete += 1;
        let label = t.format("%Y-%m-%d %H:%M").to_string();
        let want = published.get(&(label.clone(), code.clone())).copied();
        let got = aqi_of(&v);
        if got != want {
            differ.push((label, code, v, got, want));
        }
    }
    eprintln!("{complete} complete station-hours, differing: {differ:?}");
    if full {
        assert_eq!(complete, COMPLETE_HOURS);
        assert_eq!(differ.len(), 1, "{differ:?}");
        assert_eq!((differ[0].0.as_str(), differ[0].1.as_str()), EXCEPTION);
    } else {
        assert!(complete > 15_000, "{complete}");
        assert!(differ.is_empty(), "{differ:?}");
    }
}

#[test]
fn import_stores_stations_and_the_published_hourly_aqi() {
    let e = Path::new(EXCERPT);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = SqliteStore::open(dir.path().join("national.db")).expect("store");
    let options = ImportOptions {
        stations: Some(e.join("stations.csv")),
        ..ImportOptions::default()
    };
    let files = [e.join("cnemc_station_hourly_2019-01_excerpt.csv.xz")];
    let summary = lantian::import::import(&mut store, Format::Cnemc, &files, &options, &NoProgress)
        .expect("import");
    assert_eq!(summary.rows_rejected, 0, "{:?}", summary.issues);
    assert_eq!(summary.issues_total, 0, "{:?}", summary.issues);
    let stored = store.stations().expect("stations");
    let dingling = stored.iter().find(|s| s.id == "1002A").expect("1002A");
    assert_eq!(
        (dingling.city.as_str(), dingling.role),
        ("北京", StationRole::Background)
    );
    let dongsi = stored.iter().find(|s| s.id == "1003A").expect("1003A");
    assert_eq!(
        (dongsi.city.as_str(), dongsi.role),
        ("北京", StationRole::Assessment)
    );
    // The hourly AQI of the index stage is the published one wherever all six values exist.
    let published =
        published_aqi(&e.join("cnemc_station_hourly_published_extra_2019-01_excerpt.csv.xz"));
    let from = chrono::Utc.with_ymd_and_hms(2018, 12, 31, 0, 0, 0).unwrap();
    let to = chrono::Utc.with_ymd_and_hms(2019, 2, 2, 0, 0, 0).unwrap();
    let indices = store
        .indices(&IndexQuery::new(Resolution::Hour, from, to))
        .expect("indices");
    let complete: HashMap<(String, String), ()> = hours(&files[0])
        .into_iter()
        .filter(|(_, _, v)| v.iter().all(Option::is_some))
        .map(|(t, c, _)| ((t.format("%Y-%m-%d %H:%M").to_string(), c), ()))
        .collect();
    let mut checked = 0;
    for i in &indices {
        let label = i
            .time
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .format("%Y-%m-%d %H:%M")
            .to_string();
        let key = (label, i.station.to_string());
        if complete.contains_key(&key) {
            assert_eq!(i.aqi, published.get(&key).copied(), "{key:?}");
            checked += 1;
        }
    }
    assert_eq!(checked, complete.len());
}

/// HJ 663 / GB/T 8170: half to even on the exact binary value (Rust's `{:.N}` formatting).
fn round(v: f64, decimals: usize) -> f64 {
    format!("{v:.decimals$}").parse().expect("number")
}

/// The independent daily values of one station: per local day (D 01:00 … D+1 00:00) the 24-h
/// means of SO2, NO2, PM10, PM2.5, CO (≥ 20 hours) and the O3 daily maximum 8-h (17 windows
/// ending 08:00 … 24:00, each ≥ 6 hours; ≥ 14 windows or above 160), rounded.
fn independent_days(
    hours: &HashMap<NaiveDateTime, [Option<f64>; 6]>,
    first: NaiveDate,
    days: usize,
) -> Vec<[Option<f64>; 6]> {
    (0..days)
        .map(|d| {
            let day = first + TimeDelta::days(d as i64);
            let start = day.and_hms_opt(0, 0, 0).expect("midnight");
            let slot = |k: usize, i: usize| {
                hours
                    .get(&(start + TimeDelta::hours(i as i64 + 1)))
                    .and_then(|v| v[k])
            };
            let mut out = [None; 6];
            for (k, o) in out.iter_mut().enumerate().take(5) {
                let vals: Vec<f64> = (0..24).filter_map(|i| slot(k, i)).collect();
                if vals.len() >= 20 {
                    let mean = vals.iter().sum::<f64>() / vals.len() as f64;
                    *o = Some(round(mean, if k == 4 { 1 } else { 0 }));
                }
            }
            let windows: Vec<f64> = (0..17)
                .filter_map(|j| {
                    let vals: Vec<f64> = (j..j + 8).filter_map(|i| slot(5, i)).collect();
                    (vals.len() >= 6).then(|| vals.iter().sum::<f64>() / vals.len() as f64)
                })
                .collect();
            let max = windows.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if !windows.is_empty() && (windows.len() >= 14 || max > 160.0) {
                out[5] = Some(round(max, 0));
            }
            out
        })
        .collect()
}

fn percentile(mut v: Vec<f64>, p: usize) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return None;
    }
    let k = (n - 1) * p;
    let (s, frac) = (k / 100, (k % 100) as f64 / 100.0);
    Some(if s + 1 < n {
        v[s] + frac * (v[s + 1] - v[s])
    } else {
        v[s]
    })
}

/// Station days through the library: records → `fill_hours` → `daily_stats`.
fn library_days(all: &[Hour], stations: &[StationInfo], first: NaiveDate) -> StoreDays {
    let period: Period = "2019-01".parse().expect("period");
    let range = period.range().expect("range");
    let mut by_code: HashMap<&str, Vec<Record>> = HashMap::new();
    for (t, code, v) in all {
        let time = chrono_tz::Asia::Shanghai
            .from_local_datetime(t)
            .single()
            .expect("time")
            .to_utc();
        let id: Arc<str> = Arc::from(code.as_str());
        for (k, p) in Pollutant::ALL.iter().enumerate() {
            if let Some(value) = v[k] {
                by_code.entry(code).or_default().push(Record {
                    station: id.clone(),
                    parameter: p.parameter(),
                    resolution: Resolution::Hour,
                    time,
                    value,
                    flag: Flag::Normal,
                    count: 1,
                });
            }
        }
    }
    let cfg = AssessConfig::default();
    let mut buf = Vec::new();
    let current = stations
        .iter()
        .map(|s| {
            fill_hours(
                by_code.get(s.id.as_str()).map_or(&[][..], |v| &v[..]),
                s.time_zone,
                range,
                &mut buf,
            );
            buf.iter().map(|h| daily_stats(h, &cfg.daily)).collect()
        })
        .collect();
    assert_eq!(range.first, first);
    StoreDays {
        period,
        previous: period.previous_year(),
        stations: stations.to_vec(),
        current,
        before: vec![Vec::new(); stations.len()],
    }
}

#[test]
fn cities_match_an_independent_computation_and_the_published_figures() {
    let (hourly, _, list, full) = data();
    let all = hours(&hourly);
    let stations = stations(&list);
    let first = NaiveDate::from_ymd_opt(2019, 1, 1).expect("date");
    let d = library_days(&all, &stations, first);
    let cfg = AssessConfig::default();
    let ranking = rank_city_days(&d, &CityList::key_168(), None, &cfg)
        .expect("ranking")
        .ranking;
    let row = |city: &str| ranking.rows.iter().find(|r| r.id == city).expect("city");
    // Independent: station days → city days (mean of the non-background stations' rounded
    // values, rounded) → period values (means; CO P95, O3 P90), rounded → I_i.
    let s = [60.0, 40.0, 70.0, 35.0, 4.0, 160.0];
    for city in ["北京", "拉萨", "海口"] {
        let members: Vec<&StationInfo> = stations
            .iter()
            .filter(|s| s.city == city && s.role == StationRole::Assessment)
            .collect();
        let per_station: Vec<Vec<[Option<f64>; 6]>> = members
            .iter()
            .map(|m| {
                let h: HashMap<NaiveDateTime, [Option<f64>; 6]> = all
                    .iter()
                    .filter(|(_, c, _)| *c == m.id)
                    .map(|(t, _, v)| (*t, *v))
                    .collect();
                independent_days(&h, first, 31)
            })
            .collect();
        let city_days: Vec<[Option<f64>; 6]> = (0..31)
            .map(|d| {
                std::array::from_fn(|k| {
                    let vals: Vec<f64> = per_station.iter().filter_map(|s| s[d][k]).collect();
                    (!vals.is_empty()).then(|| {
                        round(
                            vals.iter().sum::<f64>() / vals.len() as f64,
                            if k == 4 { 1 } else { 0 },
                        )
                    })
                })
            })
            .collect();
        let lib = row(city);
        let index = lib.stats.index.expect("index");
        let mut total = 0.0;
        for (k, p) in Pollutant::ALL.iter().enumerate() {
            let vals: Vec<f64> = city_days.iter().filter_map(|d| d[k]).collect();
            assert_eq!(
                lib.stats.valid_days[*p] as usize,
                vals.len(),
                "{city} {p:?}"
            );
            let c = match k {
                4 => percentile(vals, 95),
                5 => percentile(vals, 90),
                _ => Some(vals.iter().sum::<f64>() / vals.len() as f64),
            }
            .expect("value");
            let reported = round(c, if k == 4 { 1 } else { 0 });
            let i = round(reported / s[k], 2);
            assert_eq!(index.of(*p), i, "{city} I_{p:?}");
            total += i;
        }
        assert_eq!(index.total, round(total, 2), "{city} I_sum");
    }
    // Beijing, published: PM2.5 52 µg/m³, good days 77.4 % (24 of 31).
    let beijing = row("北京");
    assert_eq!(
        round(
            beijing.stats.concentrations[Pollutant::Pm25].expect("pm25"),
            0
        ),
        52.0
    );
    assert_eq!(beijing.stats.aqi.good, 24);
    assert_eq!(beijing.stats.aqi.valid, 31);
    if !full {
        return;
    }
    let rank = |city: &str| row(city).rank.expect("ranked");
    eprintln!(
        "{:?}",
        ranking
            .rows
            .iter()
            .map(|r| (r.rank, r.id.as_str(), r.stats.total()))
            .collect::<Vec<_>>()
    );
    let total = |city: &str| row(city).stats.total().expect("index");
    // The ministry's January 2019 ranks (the first and last three of 168): 拉萨 1, 海口 2,
    // 昆明 3 … 邢台 166, 石家庄 167, 临汾 168. Four of the six are reproduced exactly.
    assert_eq!([rank("拉萨"), rank("海口")], [1, 2]);
    assert_eq!([rank("石家庄"), rank("临汾")], [167, 168]);
    // 昆明 and 邢台 each swap with a neighbour 0.01 away: 贵阳 3.24 / 昆明 3.25 (the ministry has
    // 昆明 3rd), 邢台 10.71 / 保定 10.72 (the ministry has 邢台 166th). A difference of 0.01 in
    // I_sum is within what the data cannot settle: which stations CNEMC counted for each city
    // that month (the station list is of 2022), the real-time values here against the values
    // the ministry ranked on (spikes later invalidated), and dust days removed from PM (no dust
    // flags in the data).
    assert_eq!([rank("贵阳"), rank("昆明")], [3, 4]);
    assert_eq!(round(total("昆明") - total("贵阳"), 2), 0.01);
    assert_eq!([rank("邢台"), rank("保定")], [165, 166]);
    assert_eq!(round(total("保定") - total("邢台"), 2), 0.01);
    // Published region figures: 2+26 (28 cities) PM2.5 108, good days 35.3 %; 汾渭平原 (11)
    // 128, 28.2 %. A region's PM2.5 = the mean of its cities' (reported) values, its good-day
    // share = its cities' good days / valid days. Computed here: 2+26 108 and 35.5 % (two
    // city-days of 868 more counted good than the ministry did), 汾渭平原 129 and 28.2 % — the
    // same station-set, real-time-data and dust reasons as the ranks above. The 337-city and
    // 长三角 41-city figures need city lists the data set does not carry.
    let list = CityList::key_168();
    for (prefix, n, (pm25, ours_pm25), (good, ours_good)) in [
        ("京津冀", 28, (108.0, 108.0), (35.3, 35.5)),
        ("汾渭", 11, (128.0, 129.0), (28.2, 28.2)),
    ] {
        let cities: Vec<&str> = list
            .cities
            .iter()
            .filter(|c| c.key_region_2018.starts_with(prefix))
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(cities.len(), n, "{prefix}");
        let pm: Vec<f64> = cities
            .iter()
            .map(|c| {
                round(
                    row(c).stats.concentrations[Pollutant::Pm25].expect("pm25"),
                    0,
                )
            })
            .collect();
        let mean = round(pm.iter().sum::<f64>() / n as f64, 0);
        let (g, v) = cities.iter().fold((0, 0), |(g, v), c| {
            let a = row(c).stats.aqi;
            (g + a.good, v + a.valid)
        });
        let share = round(f64::from(g) / f64::from(v) * 100.0, 1);
        eprintln!("{prefix}: PM2.5 {mean} (published {pm25}), good {share} % (published {good})");
        assert_eq!((mean, share), (ours_pm25, ours_good), "{prefix}");
        assert!(
            (mean - pm25).abs() <= REGION_PM25_TOLERANCE,
            "{prefix} PM2.5 {mean}"
        );
        assert!(
            (share - good).abs() <= REGION_GOOD_TOLERANCE,
            "{prefix} good {share}"
        );
    }
}
