//! Store-and-forward in the sink against a real SQLite store: writes blocked by another
//! connection's exclusive lock, an unreachable store, a full spool.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::common::recording_store::RecordingStore;
use crate::common::store_conformance::{at, rec};
use chrono::TimeDelta;
use lantian::collect::SpoolConfig;
use lantian::collect::health::HealthBoard;
use lantian::collect::sink::StoreSink;
use lantian::compute::{IndexConfig, IndexStage};
use lantian::store::spool::Spool;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{
    HealthStore, IndexQuery, IndexStore, ReadingStore, Record, Resolution, StationInfo,
    StationRole, StationStore,
};
use lantian::units::Parameter;
use tokio::sync::mpsc;

const PER_BATCH: i64 = 20;

/// Batch `n`: minutes `n·20 … n·20+19` of PM10 at station K, and every tenth batch the
/// PM2.5 hourly mean of one hour (so the index stage has work).
fn batch(n: i64) -> Vec<Record> {
    let mut v: Vec<Record> = (0..PER_BATCH)
        .map(|i| {
            rec(
                "K",
                Parameter::Pm10,
                Resolution::Minute,
                n * PER_BATCH + i,
                40.0 + (n % 7) as f64,
            )
        })
        .collect();
    if n % 10 == 0 {
        v.push(rec(
            "K",
            Parameter::Pm25,
            Resolution::Hour,
            60 * (n / 10 + 1),
            30.0 + n as f64,
        ));
    }
    v
}

fn station() -> StationInfo {
    StationInfo {
        id: "K".into(),
        name: "K".into(),
        name_en: "K".into(),
        district: "D".into(),
        lat: None,
        lon: None,
        time_zone: chrono_tz::Asia::Shanghai,
        city: String::new(),
        role: StationRole::Assessment,
    }
}

async fn send(tx: &mpsc::Sender<Vec<Record>>, n: i64) {
    // The channel holds one batch: a send completes only if the sink keeps taking them.
    tokio::time::timeout(Duration::from_secs(2), tx.send(batch(n)))
        .await
        .unwrap_or_else(|_| panic!("the sink stopped taking batches at {n}"))
        .expect("sink running");
}

async fn wait_for(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_store_spools_then_replays_everything_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let mut sqlite = SqliteStore::open(&path).unwrap();
    sqlite.put_stations(&[station()]).unwrap();
    let store = RecordingStore::new(Box::new(sqlite));
    let log = store.log.clone();
    let spool = Spool::open(dir.path().join("spool"), 1 << 30).unwrap();
    let config = SpoolConfig {
        retry_max: Duration::from_millis(400),
        ..SpoolConfig::default()
    };
    let (tx, rx) = mpsc::channel(1);
    let sink = StoreSink::spawn(
        Box::new(store),
        IndexStage::new(IndexConfig::default()),
        spool,
        &config,
        rx,
        HealthBoard::new([("K-1", "K")]),
    );
    let status = sink.status().clone();
    for n in 0..30 {
        send(&tx, n).await;
    }
    wait_for("delivery", Duration::from_secs(10), || {
        let s = status.snapshot();
        s.depth.records == 0
            && log.lock().unwrap().iter().map(Vec::len).sum::<usize>() == 30 * 20 + 3
    })
    .await;

    // Another connection takes the write lock: the store blocks, then fails (after SQLite's
    // 5-s busy timeout). The sink keeps taking batches all along.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let locked = Instant::now();
    for n in 30..130 {
        send(&tx, n).await;
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    wait_for("a failed write", Duration::from_secs(10), || {
        status.snapshot().store_failing
    })
    .await;
    let s = status.snapshot();
    assert!(
        s.store_error.as_deref().unwrap_or("").contains("locked"),
        "{s:?}"
    );
    // Everything sent while locked is pending; the oldest pending reading is batch 30's hour.
    assert_eq!(s.depth.records, 100 * 20 + 10, "{s:?}");
    assert_eq!(s.oldest, Some(at(60 * 4)));
    assert!(s.dir.is_some() && s.depth.bytes > 0);
    conn.execute_batch("COMMIT").unwrap();
    drop(conn);
    eprintln!("store locked for {:.1?}", locked.elapsed());
    for n in 130..160 {
        send(&tx, n).await;
    }
    drop(tx);
    let stats = sink.join().await.expect("sink");

    let sent: Vec<Record> = (0..160).flat_map(batch).collect();
    assert_eq!(stats.records, sent.len() as u64);
    assert_eq!(stats.spooled, sent.len() as u64);
    assert_eq!(stats.left_in_spool, 0);
    assert!(stats.store_failures >= 1, "{stats:?}");
    // Exactly once, in order: the successful writes, concatenated, are what was sent.
    let written: Vec<Record> = log.lock().unwrap().concat();
    assert_eq!(written.len(), sent.len());
    assert!(
        written == sent,
        "the store saw the batches in another order or more than once"
    );
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.count_readings(Resolution::Minute).unwrap(), 160 * 20);
    assert_eq!(store.count_readings(Resolution::Hour).unwrap(), 16);
    // The index stage ran for replayed batches too: every hour has its AQI.
    let indices = store
        .indices(&IndexQuery::new(
            Resolution::Hour,
            at(0),
            at(0) + TimeDelta::days(1),
        ))
        .unwrap();
    assert_eq!(indices.len(), 16, "{indices:?}");
    assert!(indices.iter().all(|i| i.aqi.is_some()));
    // Health was written again once the store was back.
    assert_eq!(store.health().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_spool_holds_back_the_collectors_and_drops_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let mut sqlite = SqliteStore::open(&path).unwrap();
    sqlite.put_stations(&[station()]).unwrap();
    let store = RecordingStore::new(Box::new(sqlite));
    let (log, down) = (store.log.clone(), store.down.clone());
    down.store(true, Ordering::SeqCst);
    // Room for about ten batches.
    let spool = Spool::open(dir.path().join("spool"), 10 * 800).unwrap();
    let config = SpoolConfig {
        retry_max: Duration::from_millis(50),
        ..SpoolConfig::default()
    };
    let (tx, rx) = mpsc::channel(1);
    let sink = StoreSink::spawn(
        Box::new(store),
        IndexStage::new(IndexConfig::default()),
        spool,
        &config,
        rx,
        HealthBoard::new([("K-1", "K")]),
    );
    let status = sink.status().clone();
    let producer = tokio::spawn(async move {
        for n in 0..60 {
            tx.send(batch(n)).await.expect("sink running");
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    });
    wait_for("a full spool", Duration::from_secs(10), || {
        status.snapshot().full
    })
    .await;
    // Back-pressure: the producer is stuck, nothing was written, nothing dropped.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!producer.is_finished());
    let s = status.snapshot();
    assert!(s.depth.records > 0 && s.used_bytes <= s.max_bytes, "{s:?}");
    assert!(log.lock().unwrap().is_empty());
    down.store(false, Ordering::SeqCst);
    producer.await.unwrap();
    let stats = sink.join().await.expect("sink");
    let sent: Vec<Record> = (0..60).flat_map(batch).collect();
    assert_eq!(log.lock().unwrap().concat(), sent);
    assert_eq!(stats.records, sent.len() as u64);
    assert!(!status.snapshot().full);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_down_at_stop_leaves_the_batches_for_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    SqliteStore::open(&path)
        .unwrap()
        .put_stations(&[station()])
        .unwrap();
    let config = SpoolConfig {
        retry_max: Duration::from_millis(50),
        drain_timeout: Duration::from_millis(300),
        ..SpoolConfig::default()
    };
    let start = |down: bool| {
        let store = RecordingStore::new(Box::new(SqliteStore::open(&path).unwrap()));
        store.down.store(down, Ordering::SeqCst);
        let log = store.log.clone();
        let spool = Spool::open(dir.path().join("spool"), 1 << 30).unwrap();
        let (tx, rx) = mpsc::channel(8);
        let sink = StoreSink::spawn(
            Box::new(store),
            IndexStage::new(IndexConfig::default()),
            spool,
            &config,
            rx,
            HealthBoard::default(),
        );
        (tx, sink, log)
    };
    let (tx, sink, _) = start(true);
    for n in 0..10 {
        tx.send(batch(n)).await.unwrap();
    }
    drop(tx);
    let stats = sink
        .join()
        .await
        .expect("a durable spool keeps them: no error");
    assert_eq!((stats.records, stats.left_in_spool), (0, 10 * 20 + 1));

    // Next start: the spool is replayed first, then new batches follow.
    let (tx, sink, log) = start(false);
    for n in 10..15 {
        tx.send(batch(n)).await.unwrap();
    }
    drop(tx);
    let stats = sink.join().await.unwrap();
    assert_eq!(stats.replayed, 10 * 20 + 1);
    assert_eq!(stats.left_in_spool, 0);
    assert_eq!(
        log.lock().unwrap().concat(),
        (0..15).flat_map(batch).collect::<Vec<_>>()
    );

    // Without a spool directory the same outage is an error: the records are lost.
    let store = RecordingStore::new(Box::new(SqliteStore::open(&path).unwrap()));
    store.down.store(true, Ordering::SeqCst);
    let (tx, rx) = mpsc::channel(8);
    let sink = StoreSink::spawn(
        Box::new(store),
        IndexStage::new(IndexConfig::default()),
        Spool::memory(1 << 20),
        &config,
        rx,
        HealthBoard::default(),
    );
    tx.send(batch(0)).await.unwrap();
    drop(tx);
    let err = sink.join().await.unwrap_err().to_string();
    assert!(err.contains("21 records could not be written"), "{err}");
}

/// A batch's `spooled` signal fires once its records are in the spool (durable), soon (not
/// after the 250-ms grouping), and before the store has them while the store is locked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_s_spooled_signal_fires_once_it_is_in_the_spool() {
    use lantian::collect::sink::{Batch, SIGNAL_FLUSH};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let mut sqlite = SqliteStore::open(&path).unwrap();
    sqlite.put_stations(&[station()]).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let spool_dir = dir.path().join("spool");
    let spool = Spool::open(&spool_dir, 1 << 30).unwrap();
    let (tx, rx) = mpsc::channel::<Batch>(4);
    let sink = StoreSink::spawn(
        Box::new(sqlite),
        IndexStage::new(IndexConfig::default()),
        spool,
        &SpoolConfig {
            drain_timeout: Duration::from_millis(100),
            ..SpoolConfig::default()
        },
        rx,
        HealthBoard::default(),
    );
    let status = sink.status().clone();
    let started = Instant::now();
    let (spooled, durable) = tokio::sync::oneshot::channel();
    tx.send(Batch {
        records: batch(0),
        spooled: Some(spooled),
    })
    .await
    .unwrap();
    tokio::time::timeout(Duration::from_secs(2), durable)
        .await
        .expect("signalled")
        .expect("not dropped");
    let waited = started.elapsed();
    assert!(
        waited < lantian::collect::sink::FLUSH_EVERY,
        "signalled after {waited:?} (SIGNAL_FLUSH {SIGNAL_FLUSH:?})"
    );
    assert_eq!(
        status.snapshot().depth.records,
        21,
        "in the spool, not yet in the store"
    );
    drop(tx);
    sink.join().await.unwrap();
    conn.execute_batch("ROLLBACK").unwrap();
    let replayed = Spool::open(&spool_dir, 1 << 30).unwrap();
    assert_eq!(
        replayed.depth().records,
        21,
        "still there for the next start"
    );
}
