//! The points each record becomes, and back.

use chrono::{TimeZone, Utc};
use enum_map::EnumMap;

use super::*;
use crate::store::influx::query::parse_response;

fn at(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).unwrap()
}

fn record(station: &str, value: f64) -> Record {
    Record {
        station: station.into(),
        parameter: Parameter::Pm25,
        resolution: Resolution::Hour,
        time: at(1_748_739_600_000),
        value,
        flag: Flag::Calibration,
        count: 45,
    }
}

#[test]
fn a_reading_point() {
    let mut buf = String::new();
    encode_record(&mut buf, &record("DG GC,1", 35.25)).unwrap();
    assert_eq!(
        buf,
        "readings,parameter=pm25,resolution=1h,station=DG\\ GC\\,1 value=35.25,flag=\"C\",count=45i 1748739600000\n"
    );
}

#[test]
fn sub_millisecond_times_are_truncated() {
    let mut r = record("A", 1.0);
    r.time = Utc.timestamp_opt(1_748_739_600, 999_999).unwrap();
    let mut buf = String::new();
    encode_record(&mut buf, &r).unwrap();
    assert!(buf.ends_with(" 1748739600000\n"), "{buf}");
}

#[test]
fn unstorable_readings_are_rejected_naming_the_record() {
    let mut buf = String::new();
    for (r, why) in [
        (record("A", f64::NAN), "field value is NaN"),
        (record("A", f64::INFINITY), "field value is inf"),
        (record("A\nB", 1.0), "line break"),
        (record("", 1.0), "empty value of tag station"),
    ] {
        let e = encode_record(&mut buf, &r).unwrap_err().to_string();
        assert!(e.contains(why), "{e}");
        assert!(e.contains("pm25 1h at 2025-06-01 01:00:00 UTC"), "{e}");
    }
    let mut far = record("A", 1.0);
    far.time = Utc.with_ymd_and_hms(2300, 1, 1, 0, 0, 0).unwrap();
    assert!(
        encode_record(&mut buf, &far)
            .unwrap_err()
            .to_string()
            .contains("1677–2262")
    );
    assert!(buf.is_empty());
}

#[test]
fn an_index_point_carries_every_field() {
    let mut terms = EnumMap::default();
    terms[Pollutant::Pm25] = Some(IndexTerm {
        concentration: 55.5,
        iaqi: Some(76),
        valid: 1,
    });
    terms[Pollutant::O3_1h] = Some(IndexTerm {
        concentration: 1300.0,
        iaqi: None,
        valid: 18,
    });
    let r = IndexRecord {
        station: "A".into(),
        resolution: Resolution::Day,
        time: at(0),
        standard: Standard::Hj633_2012,
        aqi: None,
        primary: vec![Pollutant::Pm25, Pollutant::O3_8h],
        terms,
    };
    let mut buf = String::new();
    encode_index(&mut buf, &r).unwrap();
    assert_eq!(
        buf,
        concat!(
            "indices,resolution=1d,station=A standard=\"hj633-2012\",aqi=-1i,primary=\"pm25;o3_8h\",",
            "so2_c=-1,so2_iaqi=-1i,so2_n=-1i,no2_c=-1,no2_iaqi=-1i,no2_n=-1i,",
            "pm10_c=-1,pm10_iaqi=-1i,pm10_n=-1i,pm25_c=55.5,pm25_iaqi=76i,pm25_n=1i,",
            "co_c=-1,co_iaqi=-1i,co_n=-1i,o3_1h_c=1300,o3_1h_iaqi=-1i,o3_1h_n=18i,",
            "o3_8h_c=-1,o3_8h_iaqi=-1i,o3_8h_n=-1i 0\n"
        )
    );
    let minute = IndexRecord {
        resolution: Resolution::Minute,
        ..r
    };
    let e = encode_index(&mut String::new(), &minute).unwrap_err();
    assert!(e.to_string().contains("hourly or daily"), "{e}");
}

fn health() -> DeviceHealth {
    DeviceHealth {
        device: "dev 1".into(),
        station: "S1".into(),
        online: true,
        last_success: Some(at(10)),
        last_attempt: Some(at(11)),
        polls: 7,
        successes: 6,
        skipped: 1,
        consecutive_failures: 0,
        last_latency_ms: Some(1.5),
        status: vec!["flow low".into(), "温度\"报警\"".into()],
        last_error: Some("line 1\nline 2".into()),
        last_failure: Some(at(9)),
        peer: Some("10.0.0.7:40122".into()),
        rejected: [("bad-crc".to_string(), 2)].into(),
    }
}

#[test]
fn a_health_point_with_everything_set() {
    let mut buf = String::new();
    encode_health(&mut buf, &health(), 60_000).unwrap();
    assert_eq!(
        buf,
        concat!(
            "device_health,device=dev\\ 1 station=\"S1\",online=true,polls=7i,successes=6i,",
            "skipped=1i,consecutive_failures=0i,last_success=10i,last_attempt=11i,",
            "last_failure=9i,last_latency_ms=1.5,",
            "status=\"[\\\"flow low\\\",\\\"温度\\\\\\\"报警\\\\\\\"\\\"]\",",
            "last_error=\"line 1\nline 2\",unset=\"\",peer=\"10.0.0.7:40122\",",
            "rejected=\"{\\\"bad-crc\\\":2}\" 60000\n"
        )
    );
}

#[test]
fn a_fresh_device_writes_placeholders_and_lists_them() {
    let mut buf = String::new();
    encode_health(&mut buf, &DeviceHealth::new("d", "S"), 0).unwrap();
    assert_eq!(
        buf,
        concat!(
            "device_health,device=d station=\"S\",online=false,polls=0i,successes=0i,",
            "skipped=0i,consecutive_failures=0i,last_success=-1i,last_attempt=-1i,",
            "last_failure=-1i,last_latency_ms=-1,status=\"[]\",last_error=\"\",",
            "unset=\"last_success,last_attempt,last_failure,last_latency_ms,last_error,peer\",",
            "peer=\"\",rejected=\"{}\" 0\n"
        )
    );
    let huge = DeviceHealth {
        polls: u64::MAX,
        ..DeviceHealth::new("d", "S")
    };
    assert!(
        encode_health(&mut buf, &huge, 0)
            .unwrap_err()
            .to_string()
            .contains("polls")
    );
}

#[test]
fn a_station_point_omits_unknown_coordinates() {
    let s = StationInfo {
        id: "DG-GC".into(),
        name: "莞城".into(),
        name_en: "Guancheng, \"old town\"".into(),
        district: String::new(),
        lat: Some(23.0437),
        lon: None,
        time_zone: chrono_tz::Asia::Shanghai,
        city: String::new(),
        role: StationRole::Micro,
    };
    let mut buf = String::new();
    encode_station(&mut buf, &s, 5).unwrap();
    assert_eq!(
        buf,
        "stations,id=DG-GC name=\"莞城\",name_en=\"Guancheng, \\\"old town\\\"\",district=\"\",lat=23.0437,time_zone=\"Asia/Shanghai\",role=\"micro\" 5\n"
    );
}

/// A `/query` answer with one series.
fn answer(tags: &str, columns: &str, rows: &str) -> Vec<Series> {
    let body = format!(
        r#"{{"results":[{{"statement_id":0,"series":[{{"name":"m","tags":{tags},"columns":{columns},"values":{rows}}}]}}]}}"#
    );
    parse_response(&body, "q").unwrap()
}

#[test]
fn readings_decode() {
    let s = answer(
        r#"{"station":"A","parameter":"pm25"}"#,
        r#"["time","value","flag","count"]"#,
        r#"[[1748739600000,35.25,"C",45],[1748743200000,20,"N",60]]"#,
    );
    let mut out = Vec::new();
    decode_records(&s, Resolution::Hour, &mut out).unwrap();
    assert_eq!(out[0], record("A", 35.25));
    assert_eq!(
        (out[1].value, out[1].flag, out[1].count),
        (20.0, Flag::Normal, 60)
    );

    let bad = answer(
        r#"{"station":"A","parameter":"pm25"}"#,
        r#"["time","value","flag","count"]"#,
        r#"[[0,1,"X",1]]"#,
    );
    assert!(decode_records(&bad, Resolution::Hour, &mut out).is_err());
}

#[test]
fn health_decodes_placeholders_as_none() {
    let mut buf = String::new();
    encode_health(&mut buf, &DeviceHealth::new("d", "S"), 0).unwrap();
    let s = answer(
        r#"{"device":"d"}"#,
        r#"["time","station","online","polls","successes","skipped","consecutive_failures","last_success","last_attempt","last_failure","last_latency_ms","status","last_error","unset"]"#,
        r#"[[0,"S",false,0,0,0,0,-1,-1,-1,-1,"[]","","last_success,last_attempt,last_failure,last_latency_ms,last_error"]]"#,
    );
    assert_eq!(decode_health(&s).unwrap(), [DeviceHealth::new("d", "S")]);
    let s = answer(
        r#"{"device":"dev 1"}"#,
        r#"["time","station","online","polls","successes","skipped","consecutive_failures","last_success","last_attempt","last_failure","last_latency_ms","status","last_error","unset","peer","rejected"]"#,
        r#"[[0,"S1",true,7,6,1,0,10,11,9,1.5,"[\"flow low\",\"温度\\\"报警\\\"\"]","line 1\nline 2","","10.0.0.7:40122","{\"bad-crc\":2}"]]"#,
    );
    assert_eq!(decode_health(&s).unwrap(), [health()]);
}

#[test]
fn stations_decode_with_missing_coordinate_columns() {
    let s = answer(
        r#"{"id":"X"}"#,
        r#"["time","name","name_en","district","time_zone"]"#,
        r#"[[5,"n","e","d","Europe/London"]]"#,
    );
    let got = decode_stations(&s).unwrap();
    assert_eq!((got[0].lat, got[0].lon), (None, None));
    assert_eq!(got[0].time_zone, chrono_tz::Europe::London);
}
