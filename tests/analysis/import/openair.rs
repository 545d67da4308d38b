//! openair files: gases in ppb/ppm converted at the reference temperature, hour-beginning
//! times, the station's metadata.

use lantian::import::{Format, ImportOptions};
use lantian::store::StationStore;
use lantian::units::Parameter;

use super::{Fixture, utc, value};

#[test]
fn openair_ppb_at_20_degrees() {
    let mut f = Fixture::new();
    let path = f.file(
        "mydata.csv",
        "date,ws,wd,nox,no2,o3,pm10,so2,co,pm25\n\
         1998-01-01 00:00:00,0.6,280,285,39,1,29,4.7225,3.3725,NA\n\
         1998-01-01 01:00,2.16,230,NA,NA,NA,37,NA,NA,NA\n",
    );
    let s = f
        .import(
            Format::Openair,
            std::slice::from_ref(&path),
            &ImportOptions::default(),
        )
        .expect("import");
    assert!(s.issues.is_empty(), "{:?}", s.issues);
    assert_eq!(s.records_written(), 8 + 3);
    let all = f.all();
    // openair's 00:00 is the hour beginning: hour-ending label 01:00 UTC.
    let t = utc(1998, 1, 1, 1);
    // By hand: molar volume at 20 °C, 1013 hPa = 8.314462618 × 293.15 / 101300 = 24.06105 L/mol.
    // NO2 39 ppb × 46.0055 / 24.06105 = 74.5692 µg/m³; NOx (as NO2) 285 ppb = 544.929;
    // CO 3.3725 ppm × 28.010 / 24.06105 = 3.92600 mg/m³; SO2 4.7225 ppb = 12.5743 µg/m³.
    let close = |p: Parameter, want: f64| {
        let got = value(&all, "MY1", p, t).expect("value");
        assert!((got - want).abs() < 1e-3, "{p}: {got} vs {want}");
    };
    close(Parameter::No2, 74.5692);
    close(Parameter::Nox, 544.929);
    close(Parameter::Co, 3.92600);
    close(Parameter::So2, 12.5743);
    close(Parameter::O3, 1.99480);
    close(Parameter::Pm10, 29.0);
    close(Parameter::WindSpeed, 0.6);
    close(Parameter::WindDirection, 280.0);
    assert_eq!(value(&all, "MY1", Parameter::Pm25, t), None);
    assert_eq!(
        value(&all, "MY1", Parameter::Pm10, utc(1998, 1, 1, 2)),
        Some(37.0)
    );
    let stations = f.store.stations().expect("stations");
    assert_eq!(stations.len(), 1);
    assert_eq!(stations[0].time_zone, chrono_tz::Europe::London);
    assert_eq!(
        (stations[0].lat, stations[0].lon),
        (Some(51.5225), Some(-0.1546))
    );

    // At 25 °C / 1013 hPa instead (the option), under another id.
    let options = ImportOptions {
        reference_temperature_c: Some(25.0),
        station: Some("MY1-25C".to_string()),
        ..ImportOptions::default()
    };
    f.import(Format::Openair, &[path], &options)
        .expect("import");
    let no2 = value(&f.all(), "MY1-25C", Parameter::No2, t).expect("value");
    // 39 × 46.0055 / (8.314462618 × 298.15 / 101300) = 73.3187.
    assert!((no2 - 73.3187).abs() < 1e-3, "{no2}");
}
