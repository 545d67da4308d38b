//! A batch a real InfluxDB refuses for good must not block the spool: the records it refuses
//! are isolated and set aside in the quarantine, everything else is written, and collection
//! goes on.
//!
//! The refusal is real: InfluxDB 1.x fixes a field's type per measurement and shard (one
//! shard per week here), so after a point with a *string* `value` in one week, the float
//! readings of that week are refused with HTTP 400 "field type conflict", while other weeks
//! are accepted.

use std::time::{Duration, Instant};

use crate::common::store_conformance::{at, rec};
use crate::common::tsdb::Influxd;
use lantian::collect::SpoolConfig;
use lantian::collect::health::HealthBoard;
use lantian::collect::quarantine::QUARANTINE_FILE;
use lantian::collect::sink::StoreSink;
use lantian::compute::{IndexConfig, IndexStage};
use lantian::store::spool::Spool;
use lantian::store::{Parameters, ReadingQuery, Record, Resolution, Stations};
use lantian::units::Parameter;
use tokio::sync::mpsc;

/// A week in minutes.
const WEEK: i64 = 7 * 24 * 60;

fn minutes(start: i64, n: i64) -> Vec<Record> {
    (0..n)
        .map(|i| {
            rec(
                "Q",
                Parameter::Pm10,
                Resolution::Minute,
                start + i,
                ((start + i) % 500) as f64 + 1.0,
            )
        })
        .collect()
}

#[test]
fn refused_records_are_quarantined_and_the_rest_flows_on() {
    if !crate::common::peers::influxd() {
        return;
    }
    let server = Influxd::start();
    let url = server.new_database();
    // Poison week 2 of `readings`: `value` becomes a string field in that shard.
    let (port, db) = {
        let rest = url.strip_prefix("influx+http://127.0.0.1:").unwrap();
        let (port, db) = rest.split_once("?db=").unwrap();
        (port.to_string(), db.to_string())
    };
    let poison_ms = at(2 * WEEK).timestamp_millis();
    lantian::store::influx::client::install_crypto_provider();
    let response = reqwest::blocking::Client::new()
        .post(format!(
            "http://127.0.0.1:{port}/write?db={db}&precision=ms"
        ))
        .body(format!(
            "readings,station=P,parameter=pm10,resolution=1m value=\"broken\" {poison_ms}"
        ))
        .send()
        .unwrap();
    assert!(response.status().is_success(), "{response:?}");

    let dir = tempfile::tempdir().unwrap();
    let store = lantian::store::open(&url.parse().unwrap()).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async {
        let spool = Spool::open(dir.path().join("spool"), 1 << 30).unwrap();
        let (tx, rx) = mpsc::channel(4);
        let sink = StoreSink::spawn(
            store,
            IndexStage::new(IndexConfig::default()),
            spool,
            &SpoolConfig::default(),
            rx,
            HealthBoard::new([("Q-1", "Q")]),
        );
        let status = sink.status().clone();
        // One batch mixing both weeks (the refused part in the middle), then clean batches.
        let mut mixed = minutes(0, 30);
        mixed.extend(minutes(2 * WEEK, 5));
        mixed.extend(minutes(30, 30));
        tx.send(mixed).await.unwrap();
        tx.send(minutes(60, 60)).await.unwrap();
        tx.send(minutes(3 * WEEK, 10)).await.unwrap();
        let started = Instant::now();
        while status.snapshot().depth.records > 0 || status.snapshot().quarantined < 5 {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the spool did not drain: {:?}",
                status.snapshot()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        drop(tx);
        let stats = sink.join().await.expect("sink");
        assert_eq!((stats.records, stats.quarantined), (130, 5), "{stats:?}");
        assert_eq!(stats.left_in_spool, 0);
        status
    });
    drop(runtime);

    // Everything but the refused week is in the store…
    let store = lantian::store::open(&url.parse().unwrap()).unwrap();
    let stored = store
        .readings(
            &ReadingQuery::new(Resolution::Minute, at(-1), at(4 * WEEK))
                .for_stations(Stations::one("Q"))
                .for_parameters(Parameters::one(Parameter::Pm10)),
        )
        .unwrap();
    let mut expected = minutes(0, 120);
    expected.extend(minutes(3 * WEEK, 10));
    assert!(
        stored == expected,
        "stored {} records, expected {}",
        stored.len(),
        expected.len()
    );

    // …and the refused records are in the quarantine, whole, with the server's reason.
    let snapshot = status.snapshot();
    let file = snapshot.quarantine_file.expect("a quarantine file");
    assert_eq!(file, dir.path().join("spool").join(QUARANTINE_FILE));
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let refused = minutes(2 * WEEK, 5);
    assert_eq!(lines.len(), refused.len());
    for (line, r) in lines.iter().zip(&refused) {
        assert_eq!(line["station"], "Q");
        assert_eq!(line["value"], r.value);
        assert_eq!(
            line["time"],
            r.time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        let reason = line["reason"].as_str().unwrap();
        assert!(
            reason.contains("400") && reason.contains("field type conflict"),
            "{reason}"
        );
    }
}
