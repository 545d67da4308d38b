//! Records the store can never accept: isolated from their batch and set aside.
//!
//! A store may reject a write for good — a value it cannot represent, a field-type conflict
//! in InfluxDB ([`StoreError::is_rejection`]). Retrying such a batch forever would block the
//! spool's head until the spool fills and the collectors stop. Instead, the forwarder splits
//! the rejected batch in halves until every record either is written or is rejected alone
//! (`isolate`), and appends the rejected ones, with the store's reason, to
//! `quarantine.jsonl` in the spool directory (`Quarantine`) before acknowledging the batch.
//! Nothing is dropped silently: each line holds the whole record, and the count shows in the
//! spool status. A transient error (the store went away in the middle) aborts the split; the
//! batch stays at the head and is retried whole — already written halves are rewritten,
//! which is harmless since the same key replaces.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{SecondsFormat, Utc};

use crate::store::{Record, StoreError};

/// The file name of the quarantine in a spool directory.
pub const QUARANTINE_FILE: &str = "quarantine.jsonl";

/// A record the store refused for good, with its reason.
pub(super) type Refused = (Record, String);

/// Writes `records` with `write`, isolating the ones it rejects for good: returns the
/// accepted records and the rejected ones with the store's reasons, both in record order.
/// A transient error stops the split and is returned.
pub(super) fn isolate(
    records: &[Record],
    write: &mut impl FnMut(&[Record]) -> Result<(), StoreError>,
) -> Result<(Vec<Record>, Vec<Refused>), StoreError> {
    let mut accepted = Vec::new();
    let mut rejected = Vec::new();
    // Depth-first over halves, in record order.
    let mut parts = vec![records];
    while let Some(part) = parts.pop() {
        match write(part) {
            Ok(()) => accepted.extend_from_slice(part),
            Err(e) if !e.is_rejection() => return Err(e),
            Err(e) if part.len() == 1 => rejected.push((part[0].clone(), e.to_string())),
            Err(_) => {
                let (a, b) = part.split_at(part.len() / 2);
                parts.push(b);
                parts.push(a);
            }
        }
    }
    Ok((accepted, rejected))
}

/// The quarantine file cannot be written: the batch stays at the spool's head and is tried
/// again (nothing is acknowledged before its rejected records are set aside).
#[derive(Debug, thiserror::Error)]
#[error("cannot write the quarantine {}: {source}", path.display())]
pub(super) struct QuarantineError {
    /// The quarantine file.
    path: PathBuf,
    /// Why.
    #[source]
    source: std::io::Error,
}

/// Where rejected records go: a JSON-lines file beside the spool, or — for an in-memory
/// spool — the error log.
#[derive(Debug)]
pub(super) struct Quarantine {
    path: Option<PathBuf>,
}

impl Quarantine {
    /// The quarantine of the spool in `dir` (`None`: an in-memory spool).
    pub(super) fn new(dir: Option<&Path>) -> Quarantine {
        Quarantine {
            path: dir.map(|d| d.join(QUARANTINE_FILE)),
        }
    }

    /// The file, if any.
    pub(super) fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Appends `rejected` durably (synced before returning) and logs them.
    pub(super) fn put(&self, rejected: &[Refused]) -> Result<(), QuarantineError> {
        let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
        let mut text = String::new();
        for (r, reason) in rejected {
            let line = serde_json::json!({
                "quarantined_at": now,
                "reason": reason,
                "station": &*r.station,
                "parameter": r.parameter.code(),
                "resolution": r.resolution.code(),
                "time": r.time.to_rfc3339_opts(SecondsFormat::Secs, true),
                "value": r.value,
                "flag": r.flag.code().to_string(),
                "count": r.count,
            });
            text.push_str(&line.to_string());
            text.push('\n');
        }
        let Some(path) = &self.path else {
            for line in text.lines() {
                tracing::error!("record rejected by the store (in-memory spool, not kept): {line}");
            }
            return Ok(());
        };
        let append = || -> std::io::Result<()> {
            let mut file: File = OpenOptions::new().create(true).append(true).open(path)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()
        };
        append().map_err(|source| QuarantineError {
            path: path.clone(),
            source,
        })?;
        tracing::error!(
            "{} record(s) rejected by the store for good, set aside in {}: {}",
            rejected.len(),
            path.display(),
            rejected.first().map(|(_, why)| why.as_str()).unwrap_or("")
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::Flag;
    use crate::store::Resolution;
    use crate::store::{DataKind, ErrorKind, Operation};
    use crate::units::Parameter;
    use chrono::{TimeDelta, TimeZone};

    fn error(kind: ErrorKind, message: &str) -> StoreError {
        StoreError::new("test", Operation::Put(DataKind::Readings), kind, message)
    }

    fn records(n: usize) -> Vec<Record> {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        (0..n)
            .map(|i| Record {
                station: "S".into(),
                parameter: Parameter::Pm25,
                resolution: Resolution::Minute,
                time: t0 + TimeDelta::minutes(i as i64),
                value: i as f64,
                flag: Flag::Normal,
                count: 1,
            })
            .collect()
    }

    fn rejecting(bad: &'static [f64]) -> impl FnMut(&[Record]) -> Result<(), StoreError> {
        move |part: &[Record]| {
            if part.iter().any(|r| bad.contains(&r.value)) {
                Err(error(ErrorKind::Rejected, "a value the test rejects"))
            } else {
                Ok(())
            }
        }
    }

    #[test]
    fn isolates_exactly_the_rejected_records_and_writes_the_rest() {
        let recs = records(37);
        let (written, rejected) = isolate(&recs, &mut rejecting(&[3.0, 4.0, 30.0])).unwrap();
        let expected: Vec<Record> = recs
            .iter()
            .filter(|r| ![3.0, 4.0, 30.0].contains(&r.value))
            .cloned()
            .collect();
        assert_eq!(written, expected);
        let values: Vec<f64> = rejected.iter().map(|(r, _)| r.value).collect();
        assert_eq!(values, [3.0, 4.0, 30.0]);
        assert!(rejected[0].1.contains("a value the test rejects"));
    }

    #[test]
    fn a_transient_error_aborts_the_split() {
        let recs = records(8);
        let mut calls = 0;
        let e = isolate(&recs, &mut |_part: &[Record]| {
            calls += 1;
            if calls == 1 {
                Err(error(ErrorKind::Rejected, "x"))
            } else {
                Err(error(ErrorKind::Unavailable, "connection refused"))
            }
        })
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unavailable);
        assert_eq!(calls, 2);
    }

    #[test]
    fn quarantine_lines_hold_the_whole_record_and_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let q = Quarantine::new(Some(dir.path()));
        let recs = records(2);
        q.put(&[(recs[1].clone(), "HTTP 400: field type conflict".into())])
            .unwrap();
        q.put(&[(recs[0].clone(), "again".into())]).unwrap();
        let text = std::fs::read_to_string(q.path().unwrap()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["station"], "S");
        assert_eq!(lines[0]["parameter"], "pm25");
        assert_eq!(lines[0]["value"], 1.0);
        assert_eq!(lines[0]["time"], "2026-01-01T00:01:00Z");
        assert_eq!(lines[0]["reason"], "HTTP 400: field type conflict");
        assert_eq!(lines[1]["reason"], "again");
    }

    #[test]
    fn an_unwritable_quarantine_is_its_own_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("gone");
        let q = Quarantine::new(Some(&missing));
        let e = q.put(&[(records(1)[0].clone(), "x".into())]).unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("cannot write the quarantine "), "{text}");
        assert!(text.contains(QUARANTINE_FILE), "{text}");
        assert!(std::error::Error::source(&e).is_some());
    }
}
