use super::*;
use crate::hj212::{Command, Mode, PacketFlag, parse};
use crate::quality::Flag;
use crate::uplink::config::HeaderValue;
use crate::uplink::outbox::Value;

const TZ: Tz = chrono_tz::Asia::Shanghai;

fn station() -> StationCredentials {
    StationCredentials {
        station: "S1".into(),
        mn: HeaderValue::try_from("44190000000001".to_string()).unwrap(),
        pw: HeaderValue::try_from("123456".to_string()).unwrap(),
    }
}

fn wire() -> Wire {
    Wire {
        st: SystemCode::AirQuality,
        ack: true,
        codes: CodeMap::air_default(),
        reference: ReferenceState::default(),
    }
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn an_hour_in_the_codes_units_with_its_flags() {
    let upload = Upload {
        stream: Stream::Hour,
        ends: utc("2026-03-01T01:00:00Z"),
        data_time: utc("2026-03-01T00:00:00Z"),
        values: vec![
            Value {
                parameter: Parameter::Pm25,
                value: 35.216_666,
                range: None,
                flag: Flag::Normal,
            },
            Value {
                parameter: Parameter::Pressure,
                value: 1013.25,
                range: None,
                flag: Flag::Calibration,
            },
        ],
    };
    let parts = wire().parts(&upload, &station(), TZ);
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].key, upload.key(0));
    let bytes = wire()
        .packet(&parts[0], &station(), "20260301090000123")
        .unwrap();
    let decoded = parse(&bytes, Mode::Strict).expect("our packet is strictly valid");
    let p = decoded.packet;
    assert_eq!(p.cn, Command::HourlyData);
    assert_eq!(p.st, Some(SystemCode::AirQuality));
    assert_eq!(p.flag, Some(PacketFlag::from_bits(5)));
    assert_eq!(p.mn.as_deref(), Some("44190000000001"));
    assert_eq!(p.qn.as_deref(), Some("20260301090000123"));
    // DataTime starts the hour, in Beijing time.
    assert_eq!(p.cp.data_time(), Some("20260301080000"));
    assert_eq!(p.cp.coded("a34004", "Avg"), Some("35.217"));
    assert_eq!(p.cp.coded("a34004", "Flag"), Some("N"));
    // Pressure goes in kPa, the default table's unit.
    assert_eq!(p.cp.coded("a01006", "Avg"), Some("101.325"));
    assert_eq!(p.cp.coded("a01006", "Flag"), Some("C"));
    assert_eq!(
        p.cp.to_text(),
        "DataTime=20260301080000;a34004-Avg=35.217,a34004-Flag=N;a01006-Avg=101.325,a01006-Flag=C"
    );
}

#[test]
fn a_long_day_is_cut_into_whole_packets() {
    let mut codes = CodeMap::empty();
    for (i, p) in Parameter::ALL.iter().enumerate() {
        codes.set(&format!("a990{i:02}"), *p, p.canonical_unit());
    }
    let wire = Wire { codes, ..wire() };
    let values: Vec<Value> = Parameter::ALL
        .iter()
        .map(|p| Value {
            parameter: *p,
            value: 123.456,
            range: (!p.is_angle()).then_some((-12.345, 999.999)),
            flag: Flag::Normal,
        })
        .collect();
    let upload = Upload {
        stream: Stream::Day,
        ends: utc("2026-03-01T16:00:00Z"),
        data_time: utc("2026-02-28T16:00:00Z"),
        values,
    };
    let parts = wire.parts(&upload, &station(), TZ);
    assert!(parts.len() >= 2, "{} parts", parts.len());
    let mut codes_seen = 0;
    for (i, part) in parts.iter().enumerate() {
        assert_eq!(part.key.part as usize, i);
        let bytes = wire.packet(part, &station(), "20260302000000000").unwrap();
        let p = parse(&bytes, Mode::Strict).unwrap().packet;
        assert!(p.cp.to_text().len() <= MAX_CP_LEN);
        assert_eq!(p.cp.data_time(), Some("20260301000000"));
        assert!(p.split.is_none());
        codes_seen += p.cp.view().coded.len();
    }
    assert_eq!(codes_seen, Parameter::ALL.len());
}

#[test]
fn real_time_data_carry_rtd_at_the_sampling_moment() {
    let upload = Upload {
        stream: Stream::RealTime,
        ends: utc("2026-03-01T00:00:30Z"),
        data_time: utc("2026-03-01T00:00:30Z"),
        values: vec![Value {
            parameter: Parameter::Co,
            value: 0.85,
            range: None,
            flag: Flag::OverRange,
        }],
    };
    let parts = wire().parts(&upload, &station(), TZ);
    let bytes = wire()
        .packet(&parts[0], &station(), "20260301080030000")
        .unwrap();
    let p = parse(&bytes, Mode::Strict).unwrap().packet;
    assert_eq!(p.cn, Command::RealTimeData);
    assert_eq!(
        p.cp.to_text(),
        "DataTime=20260301080030;a21005-Rtd=0.85,a21005-Flag=T"
    );
}

#[test]
fn numbers() {
    assert_eq!(number(35.2), "35.2");
    assert_eq!(number(0.85), "0.85");
    assert_eq!(number(-3.0), "-3");
    assert_eq!(number(-0.0001), "0");
    assert_eq!(number(1.0006), "1.001");
    assert_eq!(number(120.0), "120");
}
