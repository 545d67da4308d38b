use super::*;
use crate::store::sqlite::SqliteStore;
use chrono::TimeZone;

const TZ: Tz = chrono_tz::Asia::Shanghai;

fn at(h: u32, m: u32) -> DateTime<Utc> {
    // 2026-03-01 local time; midnight is 2026-02-28T16:00Z.
    TZ.with_ymd_and_hms(2026, 3, 1, h, m, 0).unwrap().to_utc()
}

fn record(resolution: Resolution, time: DateTime<Utc>, p: Parameter, v: f64, f: Flag) -> Record {
    Record {
        station: "S1".into(),
        parameter: p,
        resolution,
        time,
        value: v,
        flag: f,
        count: 1,
    }
}

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path().join("s.db")).unwrap();
    let mut records = Vec::new();
    for m in 1..=60 {
        let t = at(8, 0) + TimeDelta::minutes(m);
        records.push(record(
            Resolution::Minute,
            t,
            Parameter::Pm25,
            m as f64,
            Flag::Normal,
        ));
        records.push(record(
            Resolution::Minute,
            t,
            Parameter::So2,
            5.0,
            Flag::Calibration,
        ));
        // Another station, never read.
        let mut other = record(Resolution::Minute, t, Parameter::Pm25, 1.0, Flag::Normal);
        other.station = "S2".into();
        records.push(other);
    }
    for h in 1..=24 {
        let t = at(0, 0) + TimeDelta::hours(h);
        records.push(record(
            Resolution::Hour,
            t,
            Parameter::Pm25,
            h as f64,
            Flag::Normal,
        ));
    }
    // Not a parameter the target sends.
    records.push(record(
        Resolution::Hour,
        at(9, 0),
        Parameter::Rain,
        1.0,
        Flag::Normal,
    ));
    store.put_readings(&records).unwrap();
    (dir, store)
}

#[test]
fn a_window_is_every_pending_upload_in_order() {
    let (_dir, store) = store();
    let station: StationId = "S1".into();
    let parameters = Parameters::only([Parameter::Pm25, Parameter::So2]);
    let streams = [Stream::Day, Stream::Hour, Stream::Minute];
    let q = WindowQuery {
        station: &station,
        tz: TZ,
        streams: &streams,
        parameters: &parameters,
    };
    let uploads = window(&store, &q, Mark::through(at(8, 0)), at(9, 0)).unwrap();
    // 60 minutes, then the hour ending 09:00 after its last minute.
    assert_eq!(uploads.len(), 61);
    assert!(uploads[..60].iter().all(|u| u.stream == Stream::Minute));
    assert_eq!(uploads[0].ends, at(8, 1));
    assert_eq!(uploads[0].data_time, at(8, 0));
    assert_eq!(
        uploads[0].values,
        vec![
            Value {
                parameter: Parameter::Pm25,
                value: 1.0,
                range: None,
                flag: Flag::Normal
            },
            Value {
                parameter: Parameter::So2,
                value: 5.0,
                range: None,
                flag: Flag::Calibration
            }
        ]
    );
    let hour = &uploads[60];
    assert_eq!(
        (hour.stream, hour.ends, hour.data_time),
        (Stream::Hour, at(9, 0), at(8, 0))
    );
    assert_eq!(hour.values.len(), 1, "rain is not sent");
    // After the first part of the minute of 09:00 was acknowledged, that minute (whose other
    // parts, if it has any, the sender sends) and the hour are left.
    let mark = Mark::after(Key {
        ends: at(9, 0),
        stream: Stream::Minute,
        part: 0,
    });
    let left = window(&store, &q, mark, at(9, 0)).unwrap();
    assert_eq!(
        left.iter().map(|u| u.stream).collect::<Vec<_>>(),
        [Stream::Minute, Stream::Hour]
    );
    assert!(
        window(&store, &q, Mark::through(at(9, 0)), at(9, 0))
            .unwrap()
            .is_empty()
    );
    // The day ends at the next local midnight, after its 24th hour.
    let midnight = at(0, 0) + TimeDelta::days(1);
    let last = window(
        &store,
        &q,
        Mark::through(midnight - TimeDelta::hours(1)),
        midnight,
    )
    .unwrap();
    assert_eq!(
        last.iter().map(|u| u.stream).collect::<Vec<_>>(),
        [Stream::Hour, Stream::Day]
    );
    let day = &last[1];
    assert_eq!((day.ends, day.data_time), (midnight, at(0, 0)));
    assert_eq!(day.values[0].value, 12.5);
    assert_eq!(day.values[0].range, Some((1.0, 24.0)));
    assert_eq!(day.values[0].flag, Flag::Normal);
    // Nothing pending: nothing read.
    assert!(
        window(&store, &q, Mark::through(midnight), midnight)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn real_time_data_are_the_stored_samples_at_their_own_time() {
    let (_dir, mut store) = store();
    let samples: Vec<Record> = (0..6)
        .map(|i| {
            let t = at(8, 0) + TimeDelta::seconds(10 * i);
            record(
                Resolution::Sample,
                t,
                Parameter::Pm25,
                i as f64,
                Flag::Normal,
            )
        })
        .collect();
    store.put_readings(&samples).unwrap();
    let station: StationId = "S1".into();
    let parameters = Parameters::only([Parameter::Pm25]);
    let streams = [Stream::RealTime, Stream::Minute];
    let q = WindowQuery {
        station: &station,
        tz: TZ,
        streams: &streams,
        parameters: &parameters,
    };
    let uploads = window(&store, &q, Mark::through(at(8, 0)), at(8, 1)).unwrap();
    // The sample at 08:00:00 ends where the mark is: sent before. Then five samples, then
    // the minute that ends at 08:01.
    let kinds: Vec<(Stream, DateTime<Utc>)> =
        uploads.iter().map(|u| (u.stream, u.data_time)).collect();
    let mut want: Vec<(Stream, DateTime<Utc>)> = (1..6)
        .map(|i| (Stream::RealTime, at(8, 0) + TimeDelta::seconds(10 * i)))
        .collect();
    want.push((Stream::Minute, at(8, 0)));
    assert_eq!(kinds, want);
    assert_eq!(uploads[0].values[0].value, 1.0);
}
