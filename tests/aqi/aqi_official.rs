//! Reproduces officially published AQI values (see tests/data/aqi_checks/SOURCE.md).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use lantian::aqi::china::{HourlyInput, RuleSet, hourly_aqi};
use lantian::aqi::epa::{Table, pm25_aqi};
use lantian::aqi::{Category, Pollutant};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/aqi_checks")
}

/// Every EPA daily row: `DAILY_AQI_VALUE` from the daily mean with the 2012 PM2.5 table.
#[test]
fn epa_daily_pm25_values_reproduce() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data_dir().join("epa_daily"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 7);
    let (mut total, mut matched) = (0usize, 0usize);
    let mut mismatches = Vec::new();
    for file in &files {
        let mut reader = csv::Reader::from_path(file).unwrap();
        let headers = reader.headers().unwrap().clone();
        let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
        let (c_col, a_col) = (
            col("Daily Mean PM2.5 Concentration"),
            col("DAILY_AQI_VALUE"),
        );
        for record in reader.records() {
            let record = record.unwrap();
            let c: f64 = record[c_col].parse().unwrap();
            let published: u32 = record[a_col].parse().unwrap();
            total += 1;
            let ours = pm25_aqi(c, Table::Y2012).unwrap();
            if ours == published {
                matched += 1;
            } else {
                mismatches.push(format!(
                    "{}: {c} → {ours}, published {published}",
                    file.display()
                ));
            }
        }
    }
    println!("EPA daily PM2.5 AQI: {matched} / {total} reproduced");
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    assert_eq!(total, 6618);
    assert_eq!(matched, total);
}

fn value(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || t == "-" || t == "-;" {
        None
    } else {
        Some(t.parse().unwrap_or_else(|e| panic!("`{t}`: {e}")))
    }
}

fn primary_set(s: &str) -> BTreeSet<Pollutant> {
    let t = s.trim();
    if t.is_empty() || t == "-" || t == "-;" {
        return BTreeSet::new();
    }
    t.split([',', '，', ';'])
        .filter(|n| !n.trim().is_empty())
        .map(|n| Pollutant::from_name_zh(n).unwrap_or_else(|| panic!("unknown pollutant `{n}`")))
        .collect()
}

/// Every CNEMC station row with an AQI: the published AQI, primary pollutant(s) and category
/// with the HJ 633-2012 real-time rules.
#[test]
fn cnemc_hourly_values_reproduce() {
    let path = data_dir().join("cnemc_hourly/cnemc_2017-07-07T16_stations.csv");
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (aqi_c, prim_c, qual_c) = (col("aqi"), col("primarypollutant"), col("quality"));
    let (pm25_c, pm10_c, so2_c, no2_c, co_c) =
        (col("pm2_5"), col("pm10"), col("so2"), col("no2"), col("co"));
    // The O3 1-hour value sits in the column labelled `o3_24h` (swapped at the source).
    let o3_c = col("o3_24h");
    let (mut rows, mut with_aqi, mut aqi_ok, mut primary_ok, mut category_ok) =
        (0usize, 0usize, 0usize, 0usize, 0usize);
    let mut mismatches = Vec::new();
    for record in reader.records() {
        let record = record.unwrap();
        rows += 1;
        let Some(published) = value(&record[aqi_c]) else {
            continue;
        };
        with_aqi += 1;
        let input = HourlyInput {
            pm25: value(&record[pm25_c]),
            pm10: value(&record[pm10_c]),
            so2: value(&record[so2_c]),
            no2: value(&record[no2_c]),
            co: value(&record[co_c]),
            o3: value(&record[o3_c]),
            so2_24h: None,
        };
        let r = hourly_aqi(&input, RuleSet::Y2012);
        let ours_aqi = r.aqi.map(f64::from);
        let ours_primary: BTreeSet<Pollutant> = r.primary.iter().copied().collect();
        let published_primary = primary_set(&record[prim_c]);
        let a = ours_aqi == Some(published);
        let p = ours_primary == published_primary;
        let q = r.category.map(Category::name_zh) == Some(record[qual_c].trim());
        aqi_ok += usize::from(a);
        primary_ok += usize::from(p);
        category_ok += usize::from(q);
        if !(a && p && q) {
            mismatches.push(format!(
                "{}: ours {:?} {:?}, published {published} {published_primary:?} {}",
                &record[col("stationcode")],
                r.aqi,
                ours_primary,
                &record[qual_c]
            ));
        }
    }
    println!(
        "CNEMC hourly: {rows} rows, {with_aqi} with an AQI; AQI {aqi_ok}, primary {primary_ok}, \
         category {category_ok} reproduced"
    );
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    assert_eq!(rows, 1495);
    assert_eq!(with_aqi, 1462);
    assert_eq!(aqi_ok, with_aqi);
    assert_eq!(primary_ok, with_aqi);
    assert_eq!(category_ok, with_aqi);
}
