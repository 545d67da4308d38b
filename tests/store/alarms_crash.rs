//! Alarms survive `kill -9`: a process raising, updating, acknowledging and clearing alarms
//! through the lifecycle is killed at arbitrary moments; every time, each stored alarm has
//! exactly the audit log its record counts (the alarm and its action are one SQLite
//! transaction), at most one alarm per rule and subject is open, and the next process goes on
//! from there without duplicating an alarm.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use lantian::alarms::{AlarmBook, Raise};
use lantian::store::sqlite::SqliteStore;
use lantian::store::{
    AlarmKind, AlarmQuery, AlarmStore, AlarmSubject, Averaging, Direction, Measure, Observation,
    Severity,
};
use lantian::units::Parameter;

const CHILD_ENV: &str = "LANTIAN_TEST_ALARM_WRITER";
const STATIONS: usize = 8;

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap() + TimeDelta::minutes(minutes)
}

/// PM2.5 of `station` at `minute`: above 150 for 20 minutes of every hour (each station's
/// hour shifted), then clear.
fn value(station: usize, minute: i64) -> f64 {
    if (minute + 7 * station as i64).rem_euclid(60) < 20 {
        160.0 + (minute % 13) as f64
    } else {
        40.0
    }
}

fn raise(station: usize, minute: i64, v: f64) -> Raise {
    Raise {
        rule: "pm25-1m".into(),
        subject: AlarmSubject::StationParameter(format!("S{station}").into(), Parameter::Pm25),
        kind: AlarmKind::Threshold,
        severity: if v > 170.0 {
            Severity::Critical
        } else {
            Severity::Major
        },
        measure: Measure::Value {
            parameter: Parameter::Pm25,
            averaging: Averaging::Minute,
        },
        direction: Direction::Above,
        threshold: 150.0,
        clear_level: 115.0,
        value: Observation {
            time: t(minute),
            value: v,
        },
        warning: None,
        stale: false,
    }
}

/// Child mode of [`killed_evaluation_leaves_whole_alarms`]: evaluates minute after minute
/// from where the store's alarms say it got to, forever, announcing each minute.
#[test]
fn alarm_writer_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut store = SqliteStore::open(&path).expect("child open");
    // Resume: evaluate again from the latest minute an alarm saw (replays are harmless).
    let start = store
        .alarms(&AlarmQuery::new(t(-1), t(1_000_000)))
        .expect("read")
        .iter()
        .map(|a| a.evidence.last.time.max(a.updated))
        .max()
        .map_or(0, |latest| (latest - t(0)).num_minutes());
    let mut book = AlarmBook::new(&mut store);
    for minute in start.. {
        for s in 0..STATIONS {
            let v = value(s, minute);
            let subject = raise(s, minute, v).subject;
            if v >= 150.0 {
                book.raise(&raise(s, minute, v), t(minute)).expect("raise");
            } else {
                book.clear("pm25-1m", &subject, t(minute), TimeDelta::minutes(5))
                    .expect("clear");
            }
            if minute % 3 == 0 && v >= 150.0 {
                let open = book.open_alarm("pm25-1m", &subject).expect("open");
                if let Some(a) = open.filter(|a| a.acknowledged.is_none()) {
                    let id = a.id().full().parse().unwrap();
                    book.acknowledge(&id, "值班员", t(minute)).expect("ack");
                    book.comment(&id, "on it", "值班员", t(minute))
                        .expect("comment");
                }
            }
        }
        println!("minute {minute}");
    }
}

#[test]
fn killed_evaluation_leaves_whole_alarms() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("alarms.db");
    for (round, kill_after) in [40, 3, 77, 1, 25].into_iter().enumerate() {
        let mut child = Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "--exact",
                "alarms_crash::alarm_writer_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn writer");
        let stdout = child.stdout.take().expect("stdout");
        let mut minutes = 0;
        for line in BufReader::new(stdout).lines() {
            if line.expect("read child").starts_with("minute ") {
                minutes += 1;
                if minutes == kill_after {
                    // Mid-minute, between one alarm's step and the next.
                    std::thread::sleep(std::time::Duration::from_micros(300 * round as u64));
                    child.kill().expect("SIGKILL"); // Child::kill sends SIGKILL on Unix
                    break;
                }
            }
        }
        child.wait().expect("reap");
        check(&path, round);
    }
}

/// Every alarm's log is whole, there is no action without its alarm, at most one alarm per
/// rule and subject is open.
fn check(path: &std::path::Path, round: usize) {
    let store = SqliteStore::open(path).expect("open after kill");
    let alarms = store
        .alarms(&AlarmQuery::new(t(-1), t(1_000_000)))
        .expect("alarms");
    assert!(!alarms.is_empty(), "round {round}: alarms were raised");
    let mut open = std::collections::HashSet::new();
    let mut counted = 0;
    for a in &alarms {
        let log = store.alarm_actions(&[a.key()]).expect("log");
        let seqs: Vec<u32> = log.iter().map(|x| x.seq).collect();
        assert_eq!(
            seqs,
            (1..=a.actions).collect::<Vec<_>>(),
            "round {round}: {}",
            a.key()
        );
        assert_eq!(log[0].event.code(), "opened");
        assert_eq!(
            a.closed.is_some(),
            log.iter().any(|x| x.event.code() == "closed"),
            "round {round}: {}",
            a.key()
        );
        assert_eq!(
            a.acknowledged.is_some(),
            log.iter().any(|x| x.event.code() == "acknowledged"),
            "round {round}: {}",
            a.key()
        );
        counted += log.len();
        if a.closed.is_none() {
            assert!(
                open.insert(a.subject.clone()),
                "round {round}: two open for {}",
                a.subject
            );
        }
    }
    let conn = rusqlite::Connection::open(path).expect("raw");
    let stored: i64 = conn
        .query_row("SELECT count(*) FROM alarm_actions", [], |r| r.get(0))
        .expect("count");
    assert_eq!(
        stored as usize, counted,
        "round {round}: actions without their alarm"
    );
    // Alarms of one subject follow each other: none opened inside another's time.
    let mut by_subject: Vec<_> = alarms.iter().collect();
    by_subject.sort_by_key(|a| (a.subject.clone(), a.opened));
    for w in by_subject.windows(2) {
        if w[0].subject == w[1].subject {
            let end = w[0]
                .closed
                .as_ref()
                .map(|c| c.at)
                .expect("the earlier one closed");
            assert!(
                w[1].opened > end,
                "round {round}: {} inside {}",
                w[1].key(),
                w[0].key()
            );
        }
    }
}
