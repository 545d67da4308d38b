//! The InfluxDB schema: how records become points and points records again.
//!
//! Seven measurements here, the two of issued forecasts (`forecast`, `forecast_daily`)
//! documented in `forecasts`, and the two of alarms (`alarms`, `alarm_actions`) in `alarms`. Tags are the parts of the key that dashboards group
//! by; everything
//! else is a field. Series cardinality stays small: stations × parameters × resolutions for
//! readings (33 × 15 × 4 ≈ 2,000 for the demo network), stations × 2 for indices, one series
//! per device, per station and per scheduled job, stations × pollutant sets for source flags.
//!
//! | measurement | tags | fields | time |
//! |---|---|---|---|
//! | `readings` | `station`, `parameter` ([`Parameter::code`]: `pm25`, `o3`, …), `resolution` (`sample`, `1m`, `1h`, `1d`) | `value` (float, canonical unit), `flag` (string, HJ 212 letter: `N`, `C`, …), `count` (integer) | the record's label time |
//! | `indices` | `station`, `resolution` (`1h`, `1d`) | `standard` (string, `hj633-2012`…), `aqi` (integer), `primary` (string, pollutant codes joined by `;`), and per term `so2`, `no2`, `pm10`, `pm25`, `co`, `o3_1h`, `o3_8h`: `<term>_c` (float), `<term>_iaqi` (integer), `<term>_n` (integer, valid hours) | the index's label time |
//! | `device_health` | `device` | `station`, `status` (JSON array of names), `last_error`, `unset`, `peer`, `rejected` (JSON object: cause → count) (strings); `online` (boolean); `polls`, `successes`, `skipped`, `consecutive_failures`, `last_success`, `last_attempt`, `last_failure` (integers; times in unix ms); `last_latency_ms` (float) | the wall-clock minute of the write |
//! | `stations` | `id` | `name`, `name_en`, `district`, `time_zone` (strings); `lat`, `lon` (floats, absent when unknown) | the wall-clock time of the write (ms, increasing per handle) |
//! | `job_runs` | `job` | `scheduled`, `finished` (integers, unix ms); `ok` (boolean); `outputs` (string: the [`JobOutput`] as a JSON object tagged by `kind`; a JSON array of lines for a [`JobOutput::Text`], as runs were kept before outputs were typed; `[]` for a failed run), `error` (string, the reason; `""` for a successful run) | the run's start |
//! | `source_flags` | `station`, `pollutants` (codes joined by `,`) | see `source_flags`: the flag's times, peak, source type, severity, evidence (JSON) and job run | the episode's start |
//! | `analysed_days` | — | see `source_flags`: the analysed window, stations, flags and job run | the day at 00:00 UTC |
//! | `alarms` | `rule`, `subject` (its code), `station` | see `alarms`: id, kind, severity, state, assignee, stale, times, revision and actions, evidence and handling (JSON) | the alarm's opening |
//! | `alarm_actions` | `rule`, `subject`, `seq` | see `alarms`: time, actor, action, detail (JSON) | the alarm's opening |
//!
//! Times are written with millisecond precision (`precision=ms`): like the SQLite store,
//! sub-millisecond parts are truncated and records less than a millisecond apart share a key.
//!
//! **Rewrites replace every field.** InfluxDB merges a point into an existing one with the same
//! measurement, tag set and time: fields the new point lacks keep their old values. So every
//! point of `readings`, `indices` and `device_health` carries all its fields, with a
//! placeholder where the record has none:
//!
//! - `indices`: `aqi = -1` when there is no AQI; an absent term is `<term>_n = -1` (and
//!   `<term>_c = -1`, `<term>_iaqi = -1`); a term without a sub-index has `<term>_iaqi = -1`.
//!   Dashboards filter with `WHERE "aqi" >= 0`.
//! - `device_health`: `unset` lists (comma-separated) the optional fields that are `None`
//!   (`last_success`, `last_attempt`, `last_failure`, `last_latency_ms`, `last_error`, `peer`);
//!   those are written as `-1` (or `""`) and read back as `None`. Points written before `peer`
//!   and `rejected` existed read back without them.
//! - `job_runs`: every point has all five fields (`outputs` and `error` both, one empty).
//! - `source_flags`: every point has all eleven fields (absent evidence is inside the JSON).
//! - `readings`: every record has all three fields. NaN and ±∞ values cannot be stored in
//!   InfluxDB and are rejected (the pipeline never produces them: a failed poll has no value).
//!
//! A [`JobRun`]'s key is (`job`, `scheduled`, `started`), but a point's is (`job`, time =
//! `started`): two runs of one job that start in the same millisecond for *different*
//! scheduled times share a point, and the one recorded last wins (SQLite keeps both). The
//! scheduler runs one job's times one after another, so only runs shorter than a millisecond
//! can meet, and the survivor is then the later scheduled time: where the job left off is
//! still right. `scheduled` is a field, not a tag, so that a job is one series however long it
//! has run.
//!
//! `stations` points are never rewritten in place: each put adds a point at a newer time and
//! reads take the newest point per id, so an unknown `lat`/`lon` is simply absent. Health
//! snapshots of the same minute overwrite each other; a new minute starts a new point, which
//! leaves a one-point-per-minute history of every device for dashboards.
//!
//! Grafana, hourly PM2.5 of one station:
//! `SELECT mean("value") FROM "readings" WHERE "station" = 'DG-GC' AND "parameter" = 'pm25'
//! AND "resolution" = '1h' AND "flag" = 'N' AND $timeFilter GROUP BY time($__interval)`.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use enum_map::EnumMap;

use super::InfluxError;
use super::line_protocol::{Line, LineError, Precision};
use super::query::{Row, Series};
use crate::aqi::{Pollutant, Standard};
use crate::quality::Flag;
use crate::store::indices::{join_pollutants, split_pollutants};
use crate::store::{
    DeviceHealth, IndexRecord, IndexTerm, JobOutcome, JobOutput, JobRun, Record, Resolution,
    StationId, StationInfo, StationRole,
};
use crate::units::Parameter;

/// Measurement of [`Record`]s.
pub const READINGS: &str = "readings";
/// Measurement of [`IndexRecord`]s.
pub const INDICES: &str = "indices";
/// Measurement of [`DeviceHealth`] snapshots.
pub const DEVICE_HEALTH: &str = "device_health";
/// Measurement of [`StationInfo`]s.
pub const STATIONS: &str = "stations";
/// Measurement of [`JobRun`]s.
pub const JOB_RUNS: &str = "job_runs";

/// Placeholder for a missing integer or float.
pub const NONE: i64 = -1;
/// The precision of every write.
pub const PRECISION: Precision = Precision::Milliseconds;

/// Fields of `readings`, in the order reads select them.
pub const READING_FIELDS: [&str; 3] = ["value", "flag", "count"];
/// Fields of `device_health`.
pub const HEALTH_FIELDS: [&str; 15] = [
    // The first 13 are in every point; `peer` and `rejected` only in points written since
    // they exist (answers about older points may lack their columns).
    "station",
    "online",
    "polls",
    "successes",
    "skipped",
    "consecutive_failures",
    "last_success",
    "last_attempt",
    "last_failure",
    "last_latency_ms",
    "status",
    "last_error",
    "unset",
    "peer",
    "rejected",
];
/// Fields of `stations`.
/// (`background`: the flag that points written before station roles carry instead of `role`.)
pub const STATION_FIELDS: [&str; 9] = [
    "name",
    "name_en",
    "district",
    "lat",
    "lon",
    "time_zone",
    "city",
    "role",
    "background",
];
/// Fields of `job_runs`.
pub const JOB_RUN_FIELDS: [&str; 5] = ["scheduled", "finished", "ok", "outputs", "error"];

/// Fields of `indices`: `standard`, `aqi`, `primary`, then three per term.
pub fn index_fields() -> Vec<String> {
    let mut f = vec![
        "standard".to_string(),
        "aqi".to_string(),
        "primary".to_string(),
    ];
    for p in Pollutant::ALL {
        for suffix in ["_c", "_iaqi", "_n"] {
            f.push(format!("{}{suffix}", p.code()));
        }
    }
    f
}

fn invalid(what: impl std::fmt::Display, e: LineError) -> InfluxError {
    InfluxError::Invalid {
        what: format!("{what}: {e}"),
    }
}

/// `time` in the write precision, or an error naming `what` when InfluxDB cannot store it.
pub(super) fn stamp(time: DateTime<Utc>, what: impl std::fmt::Display) -> Result<i64, InfluxError> {
    PRECISION
        .timestamp(time)
        .ok_or_else(|| InfluxError::Invalid {
            what: format!("{what}: time {time} is outside 1677–2262, which InfluxDB cannot store"),
        })
}

/// Appends the point of `r` to `buf` (nothing on error).
pub fn encode_record(buf: &mut String, r: &Record) -> Result<(), InfluxError> {
    let ts = stamp(r.time, RecordName(r))?;
    let mut flag = [0u8; 4];
    let flag = r.flag.code().encode_utf8(&mut flag);
    let mut line = || -> Result<(), LineError> {
        let mut l = Line::new(buf, READINGS)?;
        l.tag("parameter", r.parameter.code())?
            .tag("resolution", r.resolution.code())?
            .tag("station", &r.station)?;
        l.float("value", r.value)?
            .string("flag", flag)?
            .int("count", i64::from(r.count))?;
        l.end(ts)
    };
    line().map_err(|e| invalid(RecordName(r), e))
}

/// Names a record in messages (formatted only on error).
struct RecordName<'a>(&'a Record);

impl std::fmt::Display for RecordName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = self.0;
        write!(
            f,
            "record {} {} {} at {}",
            r.station,
            r.parameter.code(),
            r.resolution,
            r.time
        )
    }
}

/// Appends the point of an index record to `buf`. Only hourly and daily indices are kept.
pub fn encode_index(buf: &mut String, r: &IndexRecord) -> Result<(), InfluxError> {
    let whose = || format!("index of station {} at {}", r.station, r.time);
    if !matches!(r.resolution, Resolution::Hour | Resolution::Day) {
        return Err(InfluxError::Invalid {
            what: format!(
                "{} at resolution {} (indices are hourly or daily)",
                whose(),
                r.resolution
            ),
        });
    }
    let ts = stamp(r.time, whose())?;
    let mut line = || -> Result<(), LineError> {
        let mut l = Line::new(buf, INDICES)?;
        l.tag("resolution", r.resolution.code())?
            .tag("station", &r.station)?;
        l.string("standard", r.standard.name())?
            .int("aqi", r.aqi.map_or(NONE, i64::from))?
            .string("primary", &join_pollutants(&r.primary))?;
        for (p, term) in &r.terms {
            let code = p.code();
            let (c, iaqi, n) = match term {
                Some(t) => (
                    t.concentration,
                    t.iaqi.map_or(NONE, i64::from),
                    i64::from(t.valid),
                ),
                None => (NONE as f64, NONE, NONE),
            };
            l.float(&format!("{code}_c"), c)?
                .int(&format!("{code}_iaqi"), iaqi)?
                .int(&format!("{code}_n"), n)?;
        }
        l.end(ts)
    };
    line().map_err(|e| invalid(whose(), e))
}

/// Appends the snapshot of one device to `buf`, at `slot` (unix ms).
pub fn encode_health(buf: &mut String, h: &DeviceHealth, slot: i64) -> Result<(), InfluxError> {
    let whose = || format!("health of device {}", h.device);
    let int = |name: &str, v: u64| {
        i64::try_from(v).map_err(|_| InfluxError::Invalid {
            what: format!("{}: {name} = {v} is above 2^63 - 1", whose()),
        })
    };
    let (polls, successes, skipped) = (
        int("polls", h.polls)?,
        int("successes", h.successes)?,
        int("skipped", h.skipped)?,
    );
    let mut unset = Vec::new();
    let mut time = |name: &'static str, t: Option<DateTime<Utc>>| match t {
        Some(t) => Ok(t.timestamp_millis()),
        None => {
            unset.push(name);
            Ok::<_, InfluxError>(NONE)
        }
    };
    let last_success = time("last_success", h.last_success)?;
    let last_attempt = time("last_attempt", h.last_attempt)?;
    let last_failure = time("last_failure", h.last_failure)?;
    let latency = h.last_latency_ms.unwrap_or_else(|| {
        unset.push("last_latency_ms");
        NONE as f64
    });
    let error = h.last_error.as_deref().unwrap_or_else(|| {
        unset.push("last_error");
        ""
    });
    let status = serde_json::to_string(&h.status).map_err(|e| InfluxError::Invalid {
        what: format!("{}: status: {e}", whose()),
    })?;
    for (cause, n) in &h.rejected {
        int(cause, *n)?;
    }
    let rejected = serde_json::to_string(&h.rejected).map_err(|e| InfluxError::Invalid {
        what: format!("{}: rejected: {e}", whose()),
    })?;
    let peer = h.peer.as_deref().unwrap_or_else(|| {
        unset.push("peer");
        ""
    });
    let mut line = || -> Result<(), LineError> {
        let mut l = Line::new(buf, DEVICE_HEALTH)?;
        l.tag("device", &h.device)?;
        l.string("station", &h.station)?
            .bool("online", h.online)?
            .int("polls", polls)?
            .int("successes", successes)?
            .int("skipped", skipped)?
            .int("consecutive_failures", i64::from(h.consecutive_failures))?
            .int("last_success", last_success)?
            .int("last_attempt", last_attempt)?
            .int("last_failure", last_failure)?
            .float("last_latency_ms", latency)?
            .string("status", &status)?
            .string("last_error", error)?
            .string("unset", &unset.join(","))?
            .string("peer", peer)?
            .string("rejected", &rejected)?;
        l.end(slot)
    };
    line().map_err(|e| invalid(whose(), e))
}

/// Appends the point of a station to `buf`, at `stamp` (unix ms).
pub fn encode_station(buf: &mut String, s: &StationInfo, stamp: i64) -> Result<(), InfluxError> {
    let mut line = || -> Result<(), LineError> {
        let mut l = Line::new(buf, STATIONS)?;
        l.tag("id", &s.id)?;
        l.string("name", &s.name)?
            .string("name_en", &s.name_en)?
            .string("district", &s.district)?;
        if let Some(lat) = s.lat {
            l.float("lat", lat)?;
        }
        if let Some(lon) = s.lon {
            l.float("lon", lon)?;
        }
        l.string("time_zone", s.time_zone.name())?;
        if !s.city.is_empty() {
            l.string("city", &s.city)?;
        }
        l.string("role", s.role.code())?;
        l.end(stamp)
    };
    line().map_err(|e| invalid(format!("station {}", s.id), e))
}

/// Appends the point of a job run to `buf`.
pub fn encode_job_run(buf: &mut String, run: &JobRun) -> Result<(), InfluxError> {
    let whose = || {
        format!(
            "run of job {:?} scheduled at {} started at {}",
            run.job, run.scheduled, run.started
        )
    };
    let ts = stamp(run.started, whose())?;
    let (ok, outputs, error) = match &run.outcome {
        JobOutcome::Succeeded(output) => {
            let json = match output {
                JobOutput::Text { lines } => serde_json::to_string(lines),
                typed => serde_json::to_string(typed),
            };
            let json = json.map_err(|e| InfluxError::Invalid {
                what: format!("{}: outputs: {e}", whose()),
            })?;
            (true, json, "")
        }
        JobOutcome::Failed(reason) => (false, "[]".to_string(), reason.as_str()),
    };
    let mut line = || -> Result<(), LineError> {
        let mut l = Line::new(buf, JOB_RUNS)?;
        l.tag("job", &run.job)?;
        l.int("scheduled", run.scheduled.timestamp_millis())?
            .int("finished", run.finished.timestamp_millis())?
            .bool("ok", ok)?
            .string("outputs", &outputs)?
            .string("error", error)?;
        l.end(ts)
    };
    line().map_err(|e| invalid(whose(), e))
}

/// A run's `outputs` field: a typed output (a JSON object), or the lines of a run kept before
/// outputs were typed (a JSON array).
fn decode_output(json: &str) -> Result<JobOutput, serde_json::Error> {
    if json.trim_start().starts_with('[') {
        Ok(JobOutput::Text {
            lines: serde_json::from_str(json)?,
        })
    } else {
        serde_json::from_str(json)
    }
}

/// Reads the series of a `job_runs` query (grouped by job), in no particular order.
pub fn decode_job_runs(series: &[Series]) -> Result<Vec<JobRun>, InfluxError> {
    let mut out = Vec::new();
    for s in series {
        let job = s.tag("job")?;
        let t = s.column("time")?;
        let cols = s.columns(JOB_RUN_FIELDS)?;
        for row in &s.values {
            let row = Row::new(s, row);
            let cell = |i: usize| row.at(cols[i]);
            let outcome = if cell(2).bool()? {
                JobOutcome::Succeeded(
                    decode_output(cell(3).str()?)
                        .map_err(|e| corrupt(format!("outputs of a run of {job}: {e}")))?,
                )
            } else {
                JobOutcome::Failed(cell(4).str()?.to_string())
            };
            out.push(JobRun {
                job: job.to_string(),
                scheduled: cell(0).millis()?,
                started: row.at(t).millis()?,
                finished: cell(1).millis()?,
                outcome,
            });
        }
    }
    Ok(out)
}

/// Reads the series of a `readings` query (grouped by station and parameter) into `out`.
pub fn decode_records(
    series: &[Series],
    resolution: Resolution,
    out: &mut Vec<Record>,
) -> Result<(), InfluxError> {
    for s in series {
        let station: StationId = s.tag("station")?.into();
        let code = s.tag("parameter")?;
        let parameter = Parameter::from_code(code)
            .ok_or_else(|| corrupt(format!("unknown parameter `{code}`")))?;
        let [t, v, f, c] = ["time", "value", "flag", "count"].map(|n| s.column(n));
        let (t, v, f, c) = (t?, v?, f?, c?);
        for row in &s.values {
            let row = Row::new(s, row);
            let flag = row.at(f).str()?;
            let count = row.at(c).i64()?;
            out.push(Record {
                station: station.clone(),
                parameter,
                resolution,
                time: row.at(t).millis()?,
                value: row.at(v).opt_f64()?.unwrap_or(f64::NAN),
                flag: flag
                    .parse::<Flag>()
                    .map_err(|e| corrupt(format!("{e} ({station} {code})")))?,
                count: u32::try_from(count)
                    .map_err(|_| corrupt(format!("count {count} out of range")))?,
            });
        }
    }
    Ok(())
}

fn corrupt(reason: String) -> InfluxError {
    InfluxError::Corrupt { reason }
}

/// Reads the series of an `indices` query (grouped by station) into `out`.
pub fn decode_indices(
    series: &[Series],
    resolution: Resolution,
    out: &mut Vec<IndexRecord>,
) -> Result<(), InfluxError> {
    let names = index_fields();
    for s in series {
        let station: StationId = s.tag("station")?.into();
        let t = s.column("time")?;
        let cols = names
            .iter()
            .map(|n| s.column(n))
            .collect::<Result<Vec<_>, _>>()?;
        for row in &s.values {
            let row = Row::new(s, row);
            let time = row.at(t).millis()?;
            let opt_u32 = |i: usize, what: &str| -> Result<Option<u32>, InfluxError> {
                match row.at(cols[i]).i64()? {
                    NONE => Ok(None),
                    v => u32::try_from(v)
                        .map(Some)
                        .map_err(|_| corrupt(format!("{what} {v} out of range ({station})"))),
                }
            };
            let standard_name = row.at(cols[0]).str()?;
            let standard: Standard = standard_name
                .parse()
                .map_err(|_| corrupt(format!("unknown standard `{standard_name}`")))?;
            let primary = split_pollutants(row.at(cols[2]).str()?).map_err(corrupt)?;
            let mut terms: EnumMap<Pollutant, Option<IndexTerm>> = EnumMap::default();
            for (k, term) in terms.values_mut().enumerate() {
                let base = 3 + 3 * k;
                let n = row.at(cols[base + 2]).i64()?;
                if n == NONE {
                    continue;
                }
                *term = Some(IndexTerm {
                    concentration: row.at(cols[base]).f64()?,
                    iaqi: opt_u32(base + 1, "IAQI")?,
                    valid: u8::try_from(n)
                        .map_err(|_| corrupt(format!("valid count {n} out of range")))?,
                });
            }
            out.push(IndexRecord {
                station: station.clone(),
                resolution,
                time,
                standard,
                aqi: opt_u32(1, "AQI")?,
                primary,
                terms,
            });
        }
    }
    Ok(())
}

/// Reads the newest `device_health` point of each device (a query grouped by device).
pub fn decode_health(series: &[Series]) -> Result<Vec<DeviceHealth>, InfluxError> {
    let mut out = Vec::with_capacity(series.len());
    for s in series {
        let device = s.tag("device")?;
        let [required @ .., peer_field, rejected_field] = HEALTH_FIELDS;
        let cols = s.columns(required)?;
        let optional = |name: &str| s.column(name).ok();
        let (peer_col, rejected_col) = (optional(peer_field), optional(rejected_field));
        let Some(row) = s.values.first() else {
            continue;
        };
        let row = Row::new(s, row);
        let cell = |i: usize| row.at(cols[i]);
        let unset: HashSet<&str> = cell(12).str()?.split(',').collect();
        let set = |name: &str| !unset.contains(name);
        let time = |i: usize| -> Result<Option<DateTime<Utc>>, InfluxError> {
            if !set(HEALTH_FIELDS[i]) {
                return Ok(None);
            }
            let ms = cell(i).i64()?;
            DateTime::from_timestamp_millis(ms)
                .map(Some)
                .ok_or_else(|| corrupt(format!("time {ms} ms out of range ({device})")))
        };
        let count = |i: usize| -> Result<u64, InfluxError> {
            let v = cell(i).i64()?;
            u64::try_from(v).map_err(|_| corrupt(format!("{} = {v} ({device})", HEALTH_FIELDS[i])))
        };
        let status: Vec<String> = serde_json::from_str(cell(10).str()?)
            .map_err(|e| corrupt(format!("status of {device}: {e}")))?;
        let failures = cell(5).i64()?;
        out.push(DeviceHealth {
            device: device.to_string(),
            station: cell(0).str()?.to_string(),
            online: cell(1).bool()?,
            polls: count(2)?,
            successes: count(3)?,
            skipped: count(4)?,
            consecutive_failures: u32::try_from(failures)
                .map_err(|_| corrupt(format!("consecutive_failures = {failures} ({device})")))?,
            last_success: time(6)?,
            last_attempt: time(7)?,
            last_failure: time(8)?,
            last_latency_ms: if set("last_latency_ms") {
                Some(cell(9).f64()?)
            } else {
                None
            },
            status,
            last_error: if set("last_error") {
                Some(cell(11).str()?.to_string())
            } else {
                None
            },
            // Points written before these fields existed have none (no column, or null).
            peer: match peer_col.map(|i| row.at(i)) {
                Some(c) if set("peer") && !c.is_null() => Some(c.str()?.to_string()),
                _ => None,
            },
            rejected: match rejected_col.map(|i| row.at(i)) {
                Some(c) if !c.is_null() => serde_json::from_str(c.str()?)
                    .map_err(|e| corrupt(format!("rejected of {device}: {e}")))?,
                _ => Default::default(),
            },
        });
    }
    out.sort_by(|a, b| a.device.cmp(&b.device));
    Ok(out)
}

/// Reads the newest `stations` point of each id (a query grouped by id).
pub fn decode_stations(series: &[Series]) -> Result<Vec<StationInfo>, InfluxError> {
    let mut out = Vec::with_capacity(series.len());
    for s in series {
        let id = s.tag("id")?;
        let Some(row) = s.values.first() else {
            continue;
        };
        let row = Row::new(s, row);
        // A field that no point ever had (e.g. `lat` when every latitude is unknown) may be
        // missing from the columns altogether.
        let opt = |name: &str| -> Result<Option<f64>, InfluxError> {
            match s.columns.iter().position(|c| c == name) {
                Some(i) => row.at(i).opt_f64(),
                None => Ok(None),
            }
        };
        let text = |name: &str| -> Result<String, InfluxError> {
            Ok(row.at(s.column(name)?).str()?.to_string())
        };
        // `city` is written only when set; points written before station roles have no
        // `role` (but `background` when it was set), and before cities no `city`.
        let cell = |name: &str| {
            s.columns
                .iter()
                .position(|c| c == name)
                .map(|i| row.at(i))
                .filter(|c| !c.is_null())
        };
        let opt_text = |name: &str| -> Result<Option<String>, InfluxError> {
            cell(name).map(|c| c.str().map(str::to_string)).transpose()
        };
        let opt_bool = |name: &str| -> Result<Option<bool>, InfluxError> {
            cell(name).map(|c| c.bool()).transpose()
        };
        let zone = text("time_zone")?;
        out.push(StationInfo {
            id: id.to_string(),
            name: text("name")?,
            name_en: text("name_en")?,
            district: text("district")?,
            lat: opt("lat")?,
            lon: opt("lon")?,
            time_zone: zone
                .parse()
                .map_err(|_| corrupt(format!("unknown time zone `{zone}` (station {id})")))?,
            city: opt_text("city")?.unwrap_or_default(),
            role: match opt_text("role")? {
                Some(role) => role
                    .parse()
                    .map_err(|e| corrupt(format!("{e} (station {id})")))?,
                None if opt_bool("background")? == Some(true) => StationRole::Background,
                None => StationRole::Assessment,
            },
        });
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

#[cfg(test)]
#[path = "schema_tests.rs"]
mod tests;
