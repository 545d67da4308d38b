//! PRSA files (the Beijing multi-site data set's format): units, wind compass points, hour
//! labels, station metadata, and the lines and values it rejects.

use lantian::import::{Format, ImportOptions};
use lantian::quality::Flag;
use lantian::store::{Resolution, StationStore};
use lantian::units::Parameter;

use super::{Fixture, PRSA_HEADER, utc, value};

#[test]
fn prsa_excerpt() {
    let mut f = Fixture::new();
    let text = format!(
        "{PRSA_HEADER}\
         1,2013,3,1,0,4,4,4,7,300,77,-0.7,1023,-18.8,0,NNW,4.4,Aotizhongxin\n\
         2,2013,3,1,1,8,NA,4,7,1300,77,-1.1,1023.2,-18.2,0,N,4.7,Aotizhongxin\n\
         3,2013,3,1,2,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,Aotizhongxin\n\
         4,2013,3,1,3,6,6,11,11,300,72,-1.4,1024.5,-19.4,0.3,ESE,3.1,Aotizhongxin\n\
         5,2013,3,1,4,6,6,11,11,300,72,-1.4,1024.5,-19.4,0,WSW,3.1,Dongsi\n"
    );
    let path = f.file("PRSA_Data_excerpt.csv", &text);
    let s = f
        .import(Format::Prsa, &[path], &ImportOptions::default())
        .expect("import");
    assert_eq!(s.rows_read, 5);
    assert_eq!(s.rows_rejected, 0);
    assert!(s.issues.is_empty(), "{:?}", s.issues);
    // Row 1: 12 values; row 2: 11 (PM10 NA); row 3: none; rows 4, 5: 12 each.
    assert_eq!(s.records_written(), 12 + 11 + 12 + 12);
    assert_eq!(s.records[&Parameter::Pm10], 3);
    assert_eq!(s.stations_created, ["BJ-Aotizhongxin", "BJ-Dongsi"]);

    let all = f.all();
    assert_eq!(all.len(), 47);
    assert!(
        all.iter()
            .all(|r| r.flag == Flag::Normal && r.count == 1 && r.resolution == Resolution::Hour)
    );
    let a = "BJ-Aotizhongxin";
    // 2013-03-01 00:00 Beijing (hour-ending) = 2013-02-28 16:00 UTC.
    let t0 = utc(2013, 2, 28, 16);
    assert_eq!(value(&all, a, Parameter::Pm25, t0), Some(4.0));
    assert_eq!(
        value(&all, a, Parameter::Co, t0),
        Some(0.3),
        "CO µg/m³ ÷ 1000"
    );
    assert_eq!(
        value(&all, a, Parameter::Co, utc(2013, 2, 28, 17)),
        Some(1.3)
    );
    assert_eq!(value(&all, a, Parameter::WindDirection, t0), Some(337.5));
    assert_eq!(
        value(&all, a, Parameter::WindDirection, utc(2013, 2, 28, 17)),
        Some(0.0)
    );
    assert_eq!(
        value(&all, a, Parameter::WindDirection, utc(2013, 2, 28, 19)),
        Some(112.5),
        "ESE"
    );
    assert_eq!(value(&all, a, Parameter::Temperature, t0), Some(-0.7));
    assert_eq!(value(&all, a, Parameter::Pressure, t0), Some(1023.0));
    assert_eq!(value(&all, a, Parameter::DewPoint, t0), Some(-18.8));
    assert_eq!(value(&all, a, Parameter::WindSpeed, t0), Some(4.4));
    assert_eq!(
        value(&all, a, Parameter::Rain, utc(2013, 2, 28, 19)),
        Some(0.3)
    );
    assert_eq!(
        value(&all, a, Parameter::Pm10, utc(2013, 2, 28, 17)),
        None,
        "NA"
    );
    assert!(
        all.iter().all(|r| r.time != utc(2013, 2, 28, 18)),
        "an all-NA row writes nothing"
    );
    assert_eq!(
        value(
            &all,
            "BJ-Dongsi",
            Parameter::WindDirection,
            utc(2013, 2, 28, 20)
        ),
        Some(247.5),
        "WSW"
    );

    let stations = f.store.stations().expect("stations");
    assert_eq!(stations.len(), 2);
    let aoti = &stations[0];
    assert_eq!(
        (
            aoti.id.as_str(),
            aoti.name.as_str(),
            aoti.name_en.as_str(),
            aoti.district.as_str()
        ),
        ("BJ-Aotizhongxin", "奥体中心", "Aotizhongxin", "朝阳区")
    );
    assert_eq!(aoti.time_zone, chrono_tz::Asia::Shanghai);
    let (lat, lon) = (aoti.lat.unwrap(), aoti.lon.unwrap());
    assert!((39.9..40.1).contains(&lat) && (116.3..116.5).contains(&lon));
    assert_eq!(stations[1].name, "东四");
    assert_eq!(stations[1].district, "东城区");

    // Importing again changes nothing (idempotent store, stations already known).
    let path = f.dir.path().join("PRSA_Data_excerpt.csv");
    let again = f
        .import(Format::Prsa, &[path], &ImportOptions::default())
        .expect("again");
    assert!(again.stations_created.is_empty());
    assert_eq!(f.all(), all);
}

#[test]
fn prsa_bad_values_and_rows() {
    let mut f = Fixture::new();
    let text = format!(
        "{PRSA_HEADER}\
         1,2013,3,1,0,-4,4,4,7,300,77,-0.7,1023,-18.8,0,NNW,4.4,Wanliu\n\
         2,2013,2,30,1,8,8,4,7,300,77,-1.1,1023.2,-18.2,0,N,4.7,Wanliu\n\
         3,2013,3,1,2,7,x7,5,10,300,73,-1.1,1023.5,-18.2,0,NXW,5.6,Wanliu\n\
         4,2013,3,1,3,6,6\n\
         5,2013,3,1,3,6,6,11,11,300,72,-1.4,1024.5,-19.4,0,NW,3.1,Wanliu\n"
    );
    let path = f.file("bad.csv", &text);
    let s = f
        .import(
            Format::Prsa,
            std::slice::from_ref(&path),
            &ImportOptions::default(),
        )
        .expect("import");
    assert_eq!((s.rows_read, s.rows_rejected, s.values_rejected), (5, 2, 3));
    let messages: Vec<String> = s.issues.iter().map(|i| i.to_string()).collect();
    let expect = [
        (2, "PM2.5", "negative concentration"),
        (3, "2013-2-30", "no such date"),
        (4, "x7", "PM10"),
        (4, "NXW", "compass"),
        (5, "fields", "row skipped"),
    ];
    assert_eq!(messages.len(), expect.len(), "{messages:#?}");
    for (m, (line, a, b)) in messages.iter().zip(expect) {
        assert!(
            m.starts_with(&format!("{}:{line}: ", path.display())),
            "{m}"
        );
        assert!(m.contains(a) && m.contains(b), "{m}");
        assert!(
            m.matches("column `").count() <= 1,
            "the column is named once: {m}"
        );
    }
    assert_eq!(f.all().len(), 11 + 10 + 12);
}

/// Found by the `import_csv` fuzz target (an out-of-memory abort): one row of a file dated
/// thousands of years after the others made the daily indices read the station's hours over
/// the whole span between them (a day's hours of every pollutant held in memory for each of
/// millions of days). The touched days are read in runs of nearby days now, so the far-off
/// row costs one more read and its day gets its indices like any other.
#[test]
fn prsa_row_dated_far_from_the_others() {
    let mut f = Fixture::new();
    let text = format!(
        "{PRSA_HEADER}\
         1,2015,12,1,0,231,231,2.2,0,2000,2,-1,1013,-2,0,WNW,1.6,Dingling\n\
         2,20015,12,1,1,250,250,19,76,5900,2,-0.1,1013.4,-2.8,0,WNW,0.9,Dingling\n"
    );
    let path = f.file("PRSA_far_year.csv", &text);
    let s = f
        .import(Format::Prsa, &[path], &ImportOptions::default())
        .expect("import");
    assert_eq!(s.rows_read, 2);
    let days: Vec<i32> = lantian::store::IndexStore::indices(
        &f.store,
        &lantian::store::IndexQuery::new(
            Resolution::Day,
            utc(2015, 1, 1, 0),
            chrono::DateTime::from_timestamp(600_000_000_000, 0).unwrap(),
        ),
    )
    .expect("read indices")
    .iter()
    .map(|r| chrono::Datelike::year(&r.time))
    .collect();
    assert!(days.contains(&2015) && days.contains(&20015), "{days:?}");
}
