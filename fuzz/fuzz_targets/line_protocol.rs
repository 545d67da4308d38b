//! The InfluxDB store's line-protocol encoder against an independent parser (InfluxDB 3's
//! `influxdb-line-protocol` crate), in a round trip. A reading and a job run with values the
//! input chooses (any station or job name, any float, any error text, any time) are encoded
//! as the store writes them; a point that encodes parses back, with the independent parser,
//! to exactly its measurement, tags, fields and timestamp; a point that does not encode holds
//! something line protocol cannot carry (an empty or control-character name, a backslash, a
//! non-finite float, a time outside 1677–2262).
#![no_main]

use std::collections::BTreeMap;

use chrono::DateTime;
use influxdb_line_protocol::{FieldValue, parse_lines};
use lantian::quality::Flag;
use lantian::store::influx::schema::{encode_job_run, encode_record};
use lantian::store::{JobOutcome, JobRun, Record, Resolution};
use lantian::units::Parameter;
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

/// What the independent parser read: measurement, tags, fields (as text) and timestamp.
type Point = (
    String,
    BTreeMap<String, String>,
    BTreeMap<String, String>,
    i64,
);

/// The single point of `text`, read by the independent parser.
fn parse_one(text: &str) -> Point {
    let lines: Vec<_> = parse_lines(text).collect();
    assert_eq!(lines.len(), 1, "{text:?}");
    let line = lines.into_iter().next().unwrap();
    let line = line.unwrap_or_else(|e| panic!("{text:?}: {e}"));
    let tags = line
        .series
        .tag_set
        .iter()
        .flatten()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let fields = line
        .field_set
        .iter()
        .map(|(k, v)| {
            let v = match v {
                FieldValue::I64(i) => format!("i{i}"),
                FieldValue::U64(u) => format!("u{u}"),
                FieldValue::F64(f) => format!("f{f:?}"),
                FieldValue::String(s) => format!("s{s}"),
                FieldValue::Boolean(b) => format!("b{b}"),
            };
            (k.to_string(), v)
        })
        .collect();
    let timestamp = line.timestamp.expect("a timestamp");
    (line.series.measurement.to_string(), tags, fields, timestamp)
}

/// A map of names to texts.
fn texts<const N: usize>(pairs: [(&str, String); N]) -> BTreeMap<String, String> {
    pairs.map(|(k, v)| (k.to_string(), v)).into()
}

/// Whether `text` is something the encoder must refuse as a tag value.
fn unwritable_name(text: &str) -> bool {
    text.is_empty() || text.chars().any(|c| c == '\\' || c.is_control())
}

/// A time from any milliseconds (most inside InfluxDB's range, some outside).
fn time(u: &mut Unstructured) -> Result<DateTime<chrono::Utc>> {
    let ms: i64 = if u.arbitrary::<bool>()? {
        u.int_in_range(-9_000_000_000_000..=9_000_000_000_000)?
    } else {
        u.arbitrary::<i64>()? / 1000
    };
    Ok(DateTime::from_timestamp_millis(ms).unwrap_or_default())
}

/// Whether InfluxDB can store `time` (1677-09-21 … 2262-04-11).
fn storable(time: DateTime<chrono::Utc>) -> bool {
    time.timestamp_nanos_opt()
        .is_some_and(|ns| ns > i64::MIN + 1 && ns < i64::MAX)
}

fn reading(u: &mut Unstructured) -> Result<()> {
    let record = Record {
        station: u.arbitrary::<String>()?.as_str().into(),
        parameter: *u.choose(&Parameter::ALL)?,
        resolution: *u.choose(&Resolution::ALL)?,
        time: time(u)?,
        value: if u.arbitrary::<bool>()? {
            f64::from_bits(u.arbitrary()?)
        } else {
            f64::from(u.arbitrary::<i32>()?) / 10.0
        },
        flag: *u.choose(&Flag::ALL)?,
        count: u.arbitrary()?,
    };
    let mut buf = String::new();
    let encoded = encode_record(&mut buf, &record);
    let writable =
        !unwritable_name(&record.station) && record.value.is_finite() && storable(record.time);
    assert_eq!(encoded.is_ok(), writable, "{record:?}: {encoded:?}");
    if encoded.is_err() {
        assert!(buf.is_empty(), "{buf:?}");
        return Ok(());
    }
    let (measurement, tags, fields, timestamp) = parse_one(&buf);
    assert_eq!(measurement, "readings");
    let expected_tags = texts([
        ("parameter", record.parameter.code().to_string()),
        ("resolution", record.resolution.code().to_string()),
        ("station", record.station.to_string()),
    ]);
    assert_eq!(tags, expected_tags, "{buf:?}");
    let expected_fields = texts([
        ("value", format!("f{:?}", record.value)),
        ("flag", format!("s{}", record.flag.code())),
        ("count", format!("i{}", record.count)),
    ]);
    // -0.0 is written as `-0`, which reads back as 0.0 or -0.0: equal numbers either way.
    let mut fields = fields;
    if record.value == 0.0 {
        fields.insert("value".into(), format!("f{:?}", record.value));
    }
    assert_eq!(fields, expected_fields, "{buf:?}");
    assert_eq!(timestamp, record.time.timestamp_millis());
    Ok(())
}

fn job_run(u: &mut Unstructured) -> Result<()> {
    let run = JobRun {
        job: u.arbitrary()?,
        scheduled: time(u)?,
        started: time(u)?,
        finished: time(u)?,
        outcome: JobOutcome::Failed(u.arbitrary()?),
    };
    let mut buf = String::new();
    let encoded = encode_job_run(&mut buf, &run);
    let writable = !unwritable_name(&run.job) && storable(run.started);
    assert_eq!(encoded.is_ok(), writable, "{run:?}: {encoded:?}");
    if encoded.is_err() {
        assert!(buf.is_empty(), "{buf:?}");
        return Ok(());
    }
    let (measurement, tags, fields, timestamp) = parse_one(&buf);
    assert_eq!(measurement, "job_runs");
    assert_eq!(tags, texts([("job", run.job.clone())]));
    let JobOutcome::Failed(error) = &run.outcome else {
        unreachable!()
    };
    let expected = texts([
        (
            "scheduled",
            format!("i{}", run.scheduled.timestamp_millis()),
        ),
        ("finished", format!("i{}", run.finished.timestamp_millis())),
        ("ok", "bfalse".to_string()),
        ("outputs", "s[]".to_string()),
        ("error", format!("s{error}")),
    ]);
    assert_eq!(fields, expected, "{buf:?}");
    assert_eq!(timestamp, run.started.timestamp_millis());
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = if u.arbitrary::<bool>().unwrap_or(false) {
        job_run(&mut u)
    } else {
        reading(&mut u)
    };
});
