//! Every packet of `tests/data/hj212/packets.jsonl` (real packets from public repositories,
//! valid and broken) parses to exactly the facts listed with it.

use std::path::Path;
use std::sync::LazyLock;

use lantian::hj212::deviation::Deviation;
use lantian::hj212::{Field, Inspection, inspect};
use serde_json::{Map, Value, json};

/// The corpus records (read once per test binary).
pub(crate) fn corpus() -> &'static [Value] {
    static CORPUS: LazyLock<Vec<Value>> = LazyLock::new(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hj212/packets.jsonl");
        let text = std::fs::read_to_string(&path).expect("the corpus is in tests/data/hj212");
        text.lines()
            .enumerate()
            .map(|(i, line)| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1))
            })
            .collect()
    });
    &CORPUS
}

/// The facts the corpus lists, computed from an inspection.
fn facts(inspection: &Inspection<'_>) -> Value {
    let header = |field| inspection.header_value(field).map(str::to_string);
    let cp = inspection.cp.as_ref().map(|cp| {
        let view = cp.view();
        (
            serde_json::to_value(&view).unwrap(),
            serde_json::to_value(view.plain_map()).unwrap(),
        )
    });
    let duplicates: Vec<String> = inspection
        .deviations
        .iter()
        .filter_map(|d| match d {
            Deviation::DuplicateKey { key, value } => Some(format!("{key}={value}")),
            Deviation::CpItemWithoutValue { text } => Some(text.clone()),
            _ => None,
        })
        .collect();
    json!({
        "status": inspection.status.as_str(),
        "st": header(Field::St),
        "cn": header(Field::Cn),
        "mn": header(Field::Mn),
        "flag": header(Field::Flag),
        "qn": header(Field::Qn),
        "pw": header(Field::Pw),
        "pnum": header(Field::Pnum),
        "pno": header(Field::Pno),
        "datatime": inspection.data_time(),
        "cp": cp.as_ref().map(|c| c.0.clone()),
        "cp_plain": cp.map(|c| c.1),
        "cp_duplicates": (!duplicates.is_empty()).then_some(duplicates),
        "crc_hj": inspection.computed_crc_text(),
        "len_bytes": inspection.segment_len(),
        "declared_len": inspection.length_field,
        "crlf": inspection.crlf,
    })
}

/// The corpus's own facts, with the CN as text (the file keeps it as written, a number
/// when it is one).
fn expected(record: &Value) -> Value {
    let mut expected = Map::new();
    for key in [
        "status",
        "st",
        "cn",
        "mn",
        "flag",
        "qn",
        "pw",
        "pnum",
        "pno",
        "datatime",
        "cp",
        "cp_plain",
        "cp_duplicates",
        "crc_hj",
        "len_bytes",
        "declared_len",
        "crlf",
    ] {
        let value = match &record[key] {
            Value::Number(n) if key == "cn" => Value::String(n.to_string()),
            other => other.clone(),
        };
        expected.insert(key.to_string(), value);
    }
    Value::Object(expected)
}

#[test]
fn every_corpus_packet_parses_to_its_facts() {
    let corpus = corpus();
    assert_eq!(corpus.len(), 382);
    let mut failures = Vec::new();
    for record in corpus {
        let text = record["text"].as_str().unwrap();
        let got = facts(&inspect(text.as_bytes()));
        let want = expected(record);
        if got != want {
            let differing: Vec<String> = want
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, v)| got.get(k.as_str()) != Some(v))
                .map(|(k, v)| format!("  {k}: expected {v}, got {}", got[k.as_str()]))
                .collect();
            failures.push(format!(
                "{} {text:?}\n{}",
                record["id"],
                differing.join("\n")
            ));
        }
    }
    println!(
        "{} of {} corpus packets parse to their facts",
        corpus.len() - failures.len(),
        corpus.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
