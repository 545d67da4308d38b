//! The `[[alarm]]` reader: defaults, every kind, and bad configurations named by file, line
//! and field.

use std::path::Path;

use chrono::TimeDelta;

use serde::Deserialize;
use toml::Spanned;

use super::config::{AlarmRules, AlarmSettings, Check, Measured, Reference};
use super::read::{RawRule, RawSettings, read_rules, read_settings};
use crate::store::Severity;
use crate::units::Parameter;

/// A file with only `[alarms]` and `[[alarm]]` (what `Config::load` reads of them).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    alarms: RawSettings,
    #[serde(default)]
    alarm: Vec<Spanned<RawRule>>,
}

#[derive(Debug)]
struct Loaded {
    alarm_settings: AlarmSettings,
    alarms: AlarmRules,
}

fn load(text: &str) -> Result<Loaded, String> {
    let path = Path::new("/etc/lantian/lantian.toml");
    let located = |e: crate::registry::ConfigError| e.to_string();
    let file: File = toml::from_str(text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Loaded {
        alarm_settings: read_settings(&file.alarms, path, text).map_err(located)?,
        alarms: read_rules(&file.alarm, path, text).map_err(located)?,
    })
}

#[test]
fn without_rules_the_defaults() {
    let config = load("").unwrap();
    assert!(!config.alarms.configured);
    assert_eq!(
        config.alarms.rules.len(),
        super::config::default_rules().len()
    );
    assert_eq!(config.alarm_settings.interval, TimeDelta::minutes(1));
    assert_eq!(config.alarm_settings.stale_after(), TimeDelta::minutes(7));
}

#[test]
fn rules_of_every_family_read() {
    let config = load(
        r#"
[alarms]
interval = "5m"
collection_lag = "10m"

[[alarm]]
id = "o3"
kind = "threshold"
parameter = "o3"
window = "8h"
above = 160.0
clear_below = 150.0
clear_after = "2h"
severity = "major"
districts = ["莞城街道"]

[[alarm]]
id = "aqi"
kind = "threshold"
parameter = "aqi"
category = "重度污染"

[[alarm]]
id = "rise"
kind = "sudden-rise"
parameter = "pm10"
hours = 3
rise = 60.0

[[alarm]]
id = "near"
kind = "outlier"
parameter = "pm25"
reference = "neighbours"
radius_km = 8.0
excess = 30.0

[[alarm]]
id = "silent"
kind = "no-data"
parameters = ["pm25", "pm10"]
duration = "30m"

[[alarm]]
id = "warn"
kind = "heavy-pollution-warning"
heavy_aqi = 150
"#,
    )
    .unwrap();
    let s = &config.alarm_settings;
    assert_eq!(
        (s.interval, s.collection_lag),
        (TimeDelta::minutes(5), TimeDelta::minutes(10))
    );
    let r = &config.alarms.rules;
    assert!(config.alarms.configured);
    assert_eq!(r.len(), 6);
    assert_eq!(r[0].severity, Severity::Major);
    assert_eq!(r[0].clear_after, TimeDelta::hours(2));
    assert_eq!(r[0].scope.districts[0].value, "莞城街道");
    assert_eq!(r[0].scope.districts[0].at.line, 15);
    let Check::Threshold(t) = &r[0].check else {
        panic!()
    };
    assert_eq!(
        (t.measured, t.window_hours, t.above, t.clear_below),
        (Measured::Parameter(Parameter::O3), 8, 160.0, 150.0)
    );
    let Check::Threshold(t) = &r[1].check else {
        panic!()
    };
    assert_eq!((t.measured, t.above), (Measured::Aqi, 200.0));
    let Check::SuddenRise(x) = &r[2].check else {
        panic!()
    };
    assert_eq!((x.hours, x.rise, x.relative), (3, 60.0, 0.5));
    let Check::Outlier(o) = &r[3].check else {
        panic!()
    };
    assert_eq!(o.reference, Reference::Neighbours { radius_km: 8.0 });
    let Check::NoData {
        parameters,
        duration,
    } = &r[4].check
    else {
        panic!()
    };
    assert_eq!((parameters.len(), *duration), (2, TimeDelta::minutes(30)));
    let Check::HeavyPollutionWarning(w) = &r[5].check else {
        panic!()
    };
    assert_eq!((w.heavy_aqi, w.severe_aqi), (150, 300));
}

/// The error of `text` names the file, the line, the field and says `what`.
fn refused(text: &str, line: usize, field: &str, what: &str) {
    let e = load(text).unwrap_err();
    assert!(e.contains("lantian.toml"), "{e}");
    let located = e.contains(&format!(":{line}:")) || e.contains(&format!("line {line},"));
    assert!(located, "line {line}: {e}");
    assert!(e.contains(field), "field {field}: {e}");
    assert!(e.contains(what), "{what}: {e}");
}

#[test]
fn escalation_by_severity() {
    let off = load("").unwrap().alarm_settings.escalation;
    assert!(off.is_off(), "escalation is configured, not a default");
    let every = load("[alarms]\nescalate_after = \"30m\"\n").unwrap();
    let e = &every.alarm_settings.escalation;
    assert_eq!(e.after.len(), Severity::ALL.len());
    assert_eq!(
        (e.after[&Severity::Info], e.levels),
        (TimeDelta::minutes(30), 3)
    );
    let some = load(
        "[alarms]\nescalate_after = { critical = \"15m\", major = \"1h\" }\nescalate_levels = 2\n",
    )
    .unwrap();
    let e = &some.alarm_settings.escalation;
    let expected = [
        (Severity::Major, TimeDelta::hours(1)),
        (Severity::Critical, TimeDelta::minutes(15)),
    ];
    assert_eq!(e.after, expected.into());
    assert_eq!(e.levels, 2);
    refused(
        "[alarms]\ninterval = \"1m\"\nescalate_after = { urgent = \"15m\" }\n",
        3,
        "alarms.escalate_after.urgent",
        "not a severity",
    );
    refused(
        "[alarms]\nescalate_after = \"0m\"\n",
        2,
        "alarms.escalate_after",
        "positive",
    );
    refused(
        "[alarms]\nescalate_after = \"30m\"\nescalate_levels = 0\n",
        3,
        "alarms.escalate_levels",
        "at least 1",
    );
}

#[test]
fn bad_rules_are_located() {
    refused(
        "[[alarm]]\nid = \"x\"\nkind = \"threshold\"\nparameter = \"pm25\"\nabove = 100.0\nclear_below = 120.0\n",
        6,
        "clear_below",
        "above the raise level",
    );
    refused(
        "[[alarm]]\nid = \"x\"\nkind = \"threshold\"\nparameter = \"pm2.5x\"\nabove = 1.0\n",
        4,
        "parameter",
        "pm2.5x",
    );
    refused(
        "[[alarm]]\nid = \"x\"\nkind = \"treshold\"\n",
        3,
        "kind",
        "unknown kind `treshold`",
    );
    refused(
        "[[alarm]]\nid = \"x\"\nkind = \"offline\"\nwindow = \"8h\"\n",
        4,
        "window",
        "not an option of `offline` rules",
    );
    refused(
        "[[alarm]]\nid = \"x\"\nkind = \"threshold\"\nparameter = \"pm25\"\ncategory = \"heavy\"\n",
        5,
        "category",
        "applies to the AQI",
    );
    refused(
        "[[alarm]]\nid = \"a\"\nkind = \"job-failed\"\n[[alarm]]\nid = \"a\"\nkind = \"job-failed\"\n",
        5,
        "id",
        "unique",
    );
    refused(
        "[[alarm]]\nid = \"x\"\nkind = \"no-data\"\nduration = \"soon\"\n",
        4,
        "duration",
        "soon",
    );
    refused(
        "[[alarm]]\nid = \"x\"\nkind = \"job-failed\"\nseverity = \"urgent\"\n",
        4,
        "severity",
        "urgent",
    );
    refused(
        "[[alarm]]\nid = \"x\"\nkind = \"heavy-pollution-warning\"\nsevere_aqi = 100\n",
        4,
        "severe_aqi",
        "must rise",
    );
    refused("[alarms]\ninterval = \"0s\"\n", 2, "interval", "positive");
    refused(
        "[[alarm]]\nid = \"x\"\nkind = \"stuck\"\nfoo = 1\n",
        4,
        "foo",
        "unknown field",
    );
}

#[test]
fn unknown_stations_and_districts_are_located() {
    use super::scope::NetworkModel;
    let registry = crate::registry::Registry::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("stations/dongguan.toml"),
    )
    .unwrap();
    let network = NetworkModel::from_registry(&registry);
    let config =
        load("[[alarm]]\nid = \"x\"\nkind = \"no-data\"\nstations = [\"DG-GC\",\n  \"DG-XX\"]\n")
            .unwrap();
    let e = network.check(&config.alarms).unwrap_err();
    assert_eq!((e.line, e.column), (5, 3), "{e}");
    assert!(e.to_string().contains("unknown station `DG-XX`"), "{e}");
    let config =
        load("[[alarm]]\nid = \"x\"\nkind = \"no-data\"\ndistricts = [\"火星\"]\n").unwrap();
    let e = network.check(&config.alarms).unwrap_err();
    assert_eq!(e.line, 4);
    assert!(e.to_string().contains("unknown district `火星`"), "{e}");
    let config =
        load("[[alarm]]\nid = \"x\"\nkind = \"no-data\"\nclasses = [\"national\"]\n").unwrap();
    assert!(network.check(&config.alarms).is_ok());
}
