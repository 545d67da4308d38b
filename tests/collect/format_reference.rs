//! docs/formats.md against the loaders: every key each table of the network, profile and
//! scenario files (and `[hj212]` of `lantian.toml`) accepts is documented there and nothing
//! else is; every value of every
//! enumerated key is named in its row; the parameter and unit tables are complete and every
//! spelling they show is accepted. The loaders are asked, not copied: an unknown key or value
//! makes them list what they accept.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::harness::root;
use lantian::config::Config;
use lantian::registry::{Profile, Registry};
use lantian::sim::scenario::Scenario;
use lantian::units::{Conversion, Parameter, ReferenceState, Unit};

/// The file kinds, and how to make each loader read a text.
#[derive(Clone, Copy)]
enum File {
    Network,
    Profile,
    Scenario,
    Config,
}

/// The error a loader gives for `text`.
fn load_error(file: File, text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    match file {
        File::Network => {
            let path = dir.path().join("network.toml");
            std::fs::write(&path, text).unwrap();
            Registry::load(&path).err().map(|e| e.message)
        }
        File::Profile => {
            let path = dir.path().join("p.toml");
            std::fs::write(&path, text).unwrap();
            Profile::load(&path, &ReferenceState::default())
                .err()
                .map(|e| e.message)
        }
        File::Scenario => Scenario::from_toml(text, Path::new("s.toml"))
            .err()
            .map(|e| e.to_string()),
        File::Config => {
            let path = dir.path().join("lantian.toml");
            std::fs::write(&path, text).unwrap();
            Config::load(&path).err().map(|e| e.to_string())
        }
    }
    .unwrap_or_else(|| panic!("{text:?} loaded"))
}

/// The names in backticks after "expected" in a serde error ("expected one of `a`, `b`",
/// "expected `a` or `b`").
fn expected_names(error: &str) -> BTreeSet<String> {
    let (_, list) = error
        .split_once("expected")
        .unwrap_or_else(|| panic!("no list in {error:?}"));
    let list = list.lines().next().unwrap_or_default();
    list.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn reference() -> String {
    std::fs::read_to_string(root().join("docs/formats.md")).unwrap()
}

/// The rows (first cell without backticks, whole row) of the table after `<!-- {marker} -->`.
fn table(doc: &str, marker: &str) -> Vec<(String, String)> {
    let tag = format!("<!-- {marker} -->");
    let at = doc
        .find(&tag)
        .unwrap_or_else(|| panic!("docs/formats.md has no {tag}"));
    doc[at + tag.len()..]
        .lines()
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|row| {
            let first = row.split('|').nth(1).unwrap_or_default().trim();
            (first.trim_matches('`').to_string(), row.to_string())
        })
        .collect()
}

/// (marker in docs/formats.md, file, a text that reaches the table) for every table.
const TABLES: &[(&str, File, &str)] = &[
    ("network-file", File::Network, ""),
    ("network", File::Network, "[network]\n"),
    ("network.station", File::Network, "[[station]]\n"),
    (
        "network.station.device",
        File::Network,
        "[[station]]\n[[station.device]]\n",
    ),
    (
        "network.station.device.code",
        File::Network,
        "[[station]]\n[[station.device]]\n[[station.device.code]]\n",
    ),
    ("profile-file", File::Profile, ""),
    ("profile", File::Profile, "[profile]\n"),
    ("profile.value", File::Profile, "[[value]]\n"),
    ("profile.status", File::Profile, "[[status]]\n"),
    ("profile.request", File::Profile, "[[request]]\n"),
    ("scenario", File::Scenario, ""),
    ("scenario.background", File::Scenario, "[background]\n"),
    ("scenario.climate", File::Scenario, "[climate]\n"),
    ("scenario.source", File::Scenario, "[[source]]\n"),
    ("scenario.episode", File::Scenario, "[[episode]]\n"),
    ("scenario.fault", File::Scenario, "[[fault]]\n"),
    ("scenario.hj212", File::Scenario, "[hj212]\n"),
    ("config.hj212", File::Config, "[hj212]\n"),
];

#[test]
fn every_key_is_documented_and_every_documented_key_exists() {
    let doc = reference();
    let mut failures = Vec::new();
    for (marker, file, table_text) in TABLES {
        let accepted = expected_names(&load_error(*file, &format!("{table_text}__probe = 1\n")));
        let documented: BTreeSet<String> = table(&doc, &format!("keys: {marker}"))
            .into_iter()
            .map(|(key, _)| key)
            .collect();
        if accepted != documented {
            failures.push(format!(
                "{marker}: undocumented {:?}, documented but not accepted {:?}",
                accepted.difference(&documented).collect::<Vec<_>>(),
                documented.difference(&accepted).collect::<Vec<_>>()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_value_of_an_enumerated_key_is_named_in_its_row() {
    let enumerated: [(&str, File, &str, &str); 14] = [
        ("network.station", File::Network, "[[station]]\n", "kind"),
        (
            "network.station.device",
            File::Network,
            "[[station]]\n[[station.device]]\n",
            "transport",
        ),
        ("profile", File::Profile, "[profile]\n", "addressing"),
        ("profile", File::Profile, "[profile]\n", "byte_order"),
        ("profile.value", File::Profile, "[[value]]\n", "kind"),
        ("profile.value", File::Profile, "[[value]]\n", "type"),
        ("profile.value", File::Profile, "[[value]]\n", "order"),
        ("profile.status", File::Profile, "[[status]]\n", "kind"),
        ("profile.status", File::Profile, "[[status]]\n", "meaning"),
        ("profile.request", File::Profile, "[[request]]\n", "kind"),
        ("scenario.source", File::Scenario, "[[source]]\n", "kind"),
        (
            "scenario.source",
            File::Scenario,
            "[[source]]\n",
            "source_type",
        ),
        (
            "scenario.episode",
            File::Scenario,
            "[[episode]]\n",
            "source_type",
        ),
        ("scenario.fault", File::Scenario, "[[fault]]\n", "kind"),
    ];
    let doc = reference();
    let mut failures = Vec::new();
    for (marker, file, table_text, key) in enumerated {
        let values = expected_names(&load_error(
            file,
            &format!("{table_text}{key} = \"__probe\"\n"),
        ));
        assert!(values.len() >= 2, "{marker}.{key}: {values:?}");
        let rows = table(&doc, &format!("keys: {marker}"));
        let (_, row) = rows.iter().find(|(k, _)| k == key).unwrap();
        for value in values {
            if !row.contains(&format!("`{value}`")) {
                failures.push(format!("{marker}.{key}: `{value}` is not named"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_parameter_and_unit_tables_are_complete() {
    let doc = reference();
    let reference = ReferenceState::default();
    let parameters = table(&doc, "values: parameters");
    let codes: Vec<&str> = parameters.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(codes, Parameter::ALL.map(Parameter::code));
    for (code, row) in &parameters {
        let p: Parameter = code.parse().unwrap();
        let given = row.rsplit('|').nth(1).unwrap();
        let listed: BTreeSet<&str> = given
            .split(',')
            .map(|u| u.trim().trim_end_matches(" (as mm/h)"))
            .collect();
        let convertible: BTreeSet<&str> = Unit::ALL
            .into_iter()
            .filter(|u| Conversion::to_canonical(p, *u, &reference).is_ok())
            .map(Unit::symbol)
            .collect();
        assert_eq!(listed, convertible, "units of {code}");
    }
    let units = table(&doc, "values: units");
    let symbols: Vec<&str> = units.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(symbols, Unit::ALL.map(Unit::symbol));
    for (symbol, row) in &units {
        let unit: Unit = symbol.parse().unwrap();
        let also = row.split('|').nth(2).unwrap();
        for spelling in also.split('`').skip(1).step_by(2) {
            assert_eq!(spelling.parse::<Unit>(), Ok(unit), "{spelling}");
        }
    }
}

#[test]
fn the_worked_example_loads_without_warnings() {
    let path = root().join("docs/examples/vaisala-wxt536.toml");
    let (profile, warnings) = Profile::load(&path, &ReferenceState::default()).unwrap();
    assert!(warnings.is_empty(), "{warnings:#?}");
    assert_eq!(profile.values.len(), 4);
    // 0x001F, as the manual's "Address" column gives it.
    assert_eq!(profile.values[2].address, 31);
    assert_eq!(profile.values[2].no_value, vec![32767.0]);
}

#[test]
fn the_hj212_code_table_is_the_codec_s() {
    let doc = reference();
    let rows = table(&doc, "values: hj212 codes");
    let documented: Vec<(String, String, String)> = rows
        .iter()
        .map(|(code, row)| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            (
                code.clone(),
                cells[2].trim_matches('`').to_string(),
                cells[3].to_string(),
            )
        })
        .collect();
    let codec: Vec<(String, String, String)> = lantian::hj212::codes::DEFAULT_AIR_CODES
        .iter()
        .map(|e| {
            (
                e.code.to_string(),
                e.parameter.code().to_string(),
                e.unit.symbol().to_string(),
            )
        })
        .collect();
    assert_eq!(documented, codec);
}
