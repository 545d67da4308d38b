//! The Grafana dashboard in `grafana/`: valid JSON, every query reads measurements, tags and
//! fields of the InfluxDB schema lantian writes, and the AQI colours are the official ones.

use std::collections::BTreeMap;

use crate::common::harness::root;
use lantian::store::Resolution;
use lantian::units::Parameter;
use serde_json::Value;

/// The schema (version 1, `src/store/influx/schema.rs`): measurement → (tags, fields).
fn schema() -> BTreeMap<&'static str, (Vec<&'static str>, Vec<&'static str>)> {
    BTreeMap::from([
        (
            "readings",
            (
                vec!["station", "parameter", "resolution"],
                vec!["value", "flag", "count"],
            ),
        ),
        (
            "indices",
            (
                vec!["station", "resolution"],
                vec!["aqi", "standard", "primary"],
            ),
        ),
        (
            "device_health",
            (
                vec!["device"],
                vec![
                    "station",
                    "online",
                    "polls",
                    "successes",
                    "skipped",
                    "consecutive_failures",
                    "last_latency_ms",
                    "last_error",
                ],
            ),
        ),
    ])
}

/// HJ 633 / EPA category colours, lower bounds of the integer AQI.
const AQI_COLOURS: [(Option<u64>, &str); 6] = [
    (None, "#00E400"),
    (Some(51), "#FFFF00"),
    (Some(101), "#FF7E00"),
    (Some(151), "#FF0000"),
    (Some(201), "#99004C"),
    (Some(301), "#7E0023"),
];

fn dashboard() -> Value {
    let text = std::fs::read_to_string(root().join("grafana/lantian-influxdb.json")).unwrap();
    serde_json::from_str(&text).expect("the dashboard is valid JSON")
}

fn panels(d: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for p in d["panels"].as_array().unwrap() {
        out.push(p);
        for inner in p["panels"].as_array().into_iter().flatten() {
            out.push(inner);
        }
    }
    out
}

/// Double-quoted identifiers in `s`.
fn identifiers(s: &str) -> Vec<&str> {
    s.split('"').skip(1).step_by(2).collect()
}

/// Single-quoted strings in `s`.
fn literals(s: &str) -> Vec<&str> {
    s.split('\'').skip(1).step_by(2).collect()
}

#[test]
fn queries_use_the_schema() {
    let d = dashboard();
    let schema = schema();
    let mut queries = 0;
    for p in panels(&d) {
        if p["type"] == "row" {
            continue;
        }
        assert_eq!(p["datasource"]["uid"], "${DS_INFLUXDB}", "{}", p["title"]);
        let targets = p["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "{}", p["title"]);
        for t in targets {
            let q = t["query"].as_str().expect("raw InfluxQL");
            queries += 1;
            let (select, rest) = q.split_once(" FROM ").expect("FROM");
            let measurement = identifiers(rest)[0];
            let (tags, fields) = schema
                .get(measurement)
                .unwrap_or_else(|| panic!("unknown measurement {measurement} in {q}"));
            for f in identifiers(select) {
                // `AS "alias"` names are free; everything else is a field.
                if select.contains(&format!("AS \"{f}\"")) {
                    continue;
                }
                assert!(fields.contains(&f), "field {f} of {measurement} in {q}");
            }
            for id in identifiers(rest).into_iter().skip(1) {
                assert!(
                    tags.contains(&id) || fields.contains(&id),
                    "{id} is not a tag or field of {measurement}: {q}"
                );
            }
            for lit in literals(rest) {
                let known = lit.parse::<Parameter>().is_ok()
                    || lit.parse::<Resolution>().is_ok()
                    || lit == "N";
                assert!(known, "literal '{lit}' in {q}");
            }
            if measurement == "readings" || measurement == "indices" {
                assert!(
                    q.contains("\"resolution\" = '1"),
                    "resolution chosen in {q}"
                );
            }
            assert!(q.contains("$timeFilter"), "time filter in {q}");
            assert!(q.contains("${station:regex}"), "station variable in {q}");
        }
    }
    assert!(queries >= 11, "{queries} queries");
    // The six pollutants of the AQI, hourly.
    let all: String = panels(&d)
        .iter()
        .flat_map(|p| p["targets"].as_array().into_iter().flatten())
        .map(|t| t["query"].as_str().unwrap_or_default().to_string())
        .collect();
    for p in ["pm25", "pm10", "o3", "no2", "so2", "co"] {
        assert!(
            all.contains(&format!("\"parameter\" = '{p}' AND \"resolution\" = '1h'")),
            "{p}"
        );
    }
    assert!(
        all.contains("FROM \"indices\" WHERE \"resolution\" = '1d'"),
        "daily AQI"
    );
}

#[test]
fn aqi_panels_use_the_official_colours() {
    let d = dashboard();
    let mut aqi_panels = 0;
    for p in panels(&d) {
        let reads_aqi = p["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|t| t["query"].as_str().unwrap_or("").contains("\"aqi\""));
        if !reads_aqi {
            continue;
        }
        aqi_panels += 1;
        let steps = p["fieldConfig"]["defaults"]["thresholds"]["steps"]
            .as_array()
            .unwrap_or_else(|| panic!("{} has thresholds", p["title"]));
        let got: Vec<(Option<u64>, &str)> = steps
            .iter()
            .map(|s| (s["value"].as_u64(), s["color"].as_str().unwrap()))
            .collect();
        assert_eq!(got, AQI_COLOURS, "{}", p["title"]);
    }
    assert_eq!(aqi_panels, 3, "current, hourly and daily AQI");
}

#[test]
fn variables_and_schema_version() {
    let d = dashboard();
    let vars = d["templating"]["list"].as_array().unwrap();
    let station = vars.iter().find(|v| v["name"] == "station").unwrap();
    assert_eq!(
        station["query"],
        "SHOW TAG VALUES FROM \"readings\" WITH KEY = \"station\""
    );
    assert_eq!(station["multi"], true);
    assert!(
        vars.iter()
            .any(|v| v["name"] == "DS_INFLUXDB" && v["type"] == "datasource")
    );
    assert!(
        d["description"]
            .as_str()
            .unwrap()
            .contains("schema version 1"),
        "the expected schema is stated"
    );
}
