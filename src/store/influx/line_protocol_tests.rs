//! Hand-written expected lines for the encoder.

use chrono::{TimeZone, Utc};

use super::*;

/// Writes one line with `build` and returns the buffer.
fn line(
    measurement: &str,
    build: impl FnOnce(&mut Line<'_>) -> Result<(), LineError>,
) -> Result<String, LineError> {
    let mut buf = String::new();
    {
        let mut l = Line::new(&mut buf, measurement)?;
        build(&mut l)?;
        l.end(1_700_000_000_000)?;
    }
    Ok(buf)
}

#[test]
fn a_plain_line() {
    let got = line("readings", |l| {
        l.tag("parameter", "pm25")?
            .tag("resolution", "1h")?
            .tag("station", "DG-GC")?;
        l.float("value", 35.5)?
            .string("flag", "N")?
            .int("count", 45)?;
        Ok(())
    })
    .unwrap();
    assert_eq!(
        got,
        "readings,parameter=pm25,resolution=1h,station=DG-GC value=35.5,flag=\"N\",count=45i 1700000000000\n"
    );
}

#[test]
fn measurement_escapes_commas_and_spaces_only() {
    let got = line("my meas,ure=ment", |l| {
        l.bool("ok", true)?;
        Ok(())
    })
    .unwrap();
    assert_eq!(got, "my\\ meas\\,ure=ment ok=true 1700000000000\n");
}

#[test]
fn tag_keys_values_and_field_keys_escape_commas_equals_spaces() {
    let got = line("m", |l| {
        l.tag("a key", "x,y=z w")?;
        l.float("f=1, 2", 1.0)?;
        Ok(())
    })
    .unwrap();
    assert_eq!(
        got,
        "m,a\\ key=x\\,y\\=z\\ w f\\=1\\,\\ 2=1 1700000000000\n"
    );
}

#[test]
fn quotes_in_names_are_literal() {
    let got = line("m\"q", |l| {
        l.tag("t", "it's \"x\"")?;
        l.int("n", -3)?;
        Ok(())
    })
    .unwrap();
    assert_eq!(got, "m\"q,t=it's\\ \"x\" n=-3i 1700000000000\n");
}

#[test]
fn chinese_names_pass_through() {
    let got = line("readings", |l| {
        l.tag("station", "莞城 东城")?;
        l.string("name", "莞城街道")?;
        Ok(())
    })
    .unwrap();
    assert_eq!(
        got,
        "readings,station=莞城\\ 东城 name=\"莞城街道\" 1700000000000\n"
    );
}

#[test]
fn string_fields_escape_quotes_and_backslashes() {
    let got = line("m", |l| {
        l.string("s", r#"say "hi" to C:\dir\ and \"#)?;
        Ok(())
    })
    .unwrap();
    assert_eq!(
        got,
        "m s=\"say \\\"hi\\\" to C:\\\\dir\\\\ and \\\\\" 1700000000000\n"
    );
}

#[test]
fn string_fields_keep_commas_equals_spaces_and_line_breaks() {
    let got = line("m", |l| {
        l.string("s", "a, b=c\nline 2\r\n")?.string("e", "")?;
        Ok(())
    })
    .unwrap();
    assert_eq!(got, "m s=\"a, b=c\nline 2\r\n\",e=\"\" 1700000000000\n");
}

#[test]
fn floats_are_shortest_round_trip_decimals() {
    let cases: [(f64, &str); 9] = [
        (0.0, "0"),
        (-0.0, "-0"),
        (1.0, "1"),
        (0.1, "0.1"),
        (-12.75, "-12.75"),
        (1e21, "1000000000000000000000"),
        (1.5e-7, "0.00000015"),
        (f64::MAX, &format!("{}", f64::MAX)),
        (2.0 / 3.0, "0.6666666666666666"),
    ];
    for (value, text) in cases {
        let got = line("m", |l| {
            l.float("v", value)?;
            Ok(())
        })
        .unwrap();
        assert_eq!(got, format!("m v={text} 1700000000000\n"));
        let parsed: f64 = text.parse().unwrap();
        assert_eq!(parsed.to_bits(), value.to_bits(), "{text} round-trips");
    }
}

#[test]
fn integers_and_booleans() {
    let got = line("m", |l| {
        l.int("min", i64::MIN)?
            .int("max", i64::MAX)?
            .bool("t", true)?
            .bool("f", false)?;
        Ok(())
    })
    .unwrap();
    assert_eq!(
        got,
        "m min=-9223372036854775808i,max=9223372036854775807i,t=true,f=false 1700000000000\n"
    );
}

#[test]
fn nan_and_infinities_are_rejected_and_leave_nothing() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut buf = String::from("earlier line\n");
        let mut l = Line::new(&mut buf, "m").unwrap();
        l.tag("t", "x").unwrap();
        l.int("a", 1).unwrap();
        let e = l.float("v", bad).err().unwrap();
        assert!(matches!(e, LineError::NotFinite { ref field, .. } if field == "v"));
        drop(l);
        assert_eq!(buf, "earlier line\n");
    }
}

#[test]
fn line_breaks_control_characters_and_backslashes_in_names_are_rejected() {
    let cases = [
        ("a\nb", "a line break"),
        ("a\rb", "a line break"),
        ("a\tb", "a control character"),
        ("a\u{0}b", "a control character"),
        ("a\\b", "a backslash"),
        ("trailing\\", "a backslash"),
    ];
    for (text, found) in cases {
        for part in 0..4 {
            let mut buf = String::new();
            let got = match part {
                0 => Line::new(&mut buf, text).map(|_| ()),
                1 => Line::new(&mut buf, "m").and_then(|mut l| l.tag(text, "v").map(|_| ())),
                2 => Line::new(&mut buf, "m").and_then(|mut l| l.tag("k", text).map(|_| ())),
                _ => Line::new(&mut buf, "m").and_then(|mut l| l.int(text, 1).map(|_| ())),
            };
            match got {
                Err(LineError::Forbidden { found: f, .. }) => assert_eq!(f, found, "{text:?}"),
                other => panic!("{text:?} in part {part}: {other:?}"),
            }
            assert!(buf.is_empty(), "nothing written for {text:?}");
        }
    }
}

#[test]
fn empty_names_and_tag_values_are_rejected() {
    let mut buf = String::new();
    assert!(matches!(
        Line::new(&mut buf, ""),
        Err(LineError::Empty { .. })
    ));
    let mut l = Line::new(&mut buf, "m").unwrap();
    let e = l.tag("station", "").err().unwrap();
    assert_eq!(e.to_string(), "empty value of tag station");
    drop(l);
    assert!(buf.is_empty());
}

#[test]
fn a_line_without_fields_is_rejected() {
    let mut buf = String::new();
    let mut l = Line::new(&mut buf, "m").unwrap();
    l.tag("t", "v").unwrap();
    assert!(matches!(l.end(0), Err(LineError::NoFields { .. })));
    assert!(buf.is_empty());
}

#[test]
fn an_unfinished_line_is_removed() {
    let mut buf = String::new();
    {
        let mut l = Line::new(&mut buf, "m").unwrap();
        l.int("a", 1).unwrap();
    }
    assert!(buf.is_empty());
}

#[test]
fn lines_accumulate() {
    let mut buf = String::new();
    for i in 0..3 {
        let mut l = Line::new(&mut buf, "m").unwrap();
        l.int("i", i).unwrap();
        l.end(i).unwrap();
    }
    assert_eq!(buf, "m i=0i 0\nm i=1i 1\nm i=2i 2\n");
}

#[test]
fn precision_truncates_towards_the_past_and_bounds_the_range() {
    let t = Utc.timestamp_opt(1_700_000_000, 123_456_789).unwrap();
    assert_eq!(
        Precision::Nanoseconds.timestamp(t),
        Some(1_700_000_000_123_456_789)
    );
    assert_eq!(
        Precision::Milliseconds.timestamp(t),
        Some(1_700_000_000_123)
    );
    let before = Utc.timestamp_opt(-1, 999_999_999).unwrap(); // 1 ns before the epoch
    assert_eq!(Precision::Milliseconds.timestamp(before), Some(-1));
    assert_eq!(Precision::Nanoseconds.timestamp(before), Some(-1));
    let far = Utc.with_ymd_and_hms(2300, 1, 1, 0, 0, 0).unwrap();
    assert_eq!(Precision::Milliseconds.timestamp(far), None);
    let early = Utc.with_ymd_and_hms(1600, 1, 1, 0, 0, 0).unwrap();
    assert_eq!(Precision::Nanoseconds.timestamp(early), None);
    assert_eq!(Precision::Milliseconds.code(), "ms");
    assert_eq!(Precision::Nanoseconds.code(), "ns");
}
