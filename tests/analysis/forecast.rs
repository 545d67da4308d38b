//! Forecast features, gaps and model files on a synthetic grid (no store needed).

use chrono::{TimeZone, Utc};
use lantian::forecast::Target;
use lantian::forecast::climatology::Climatology;
use lantian::forecast::features::{FeatureContext, Scale};
use lantian::forecast::linear::ValidationRmse;
use lantian::forecast::model::{ModelSet, TrainOptions, train};
use lantian::forecast::run::forecast_station;
use lantian::forecast::series::{Grid, PARAMS};
use lantian::forecast::weather::{ForecastWeather, WeatherError, WeatherVar, read_csv};
use lantian::units::Parameter;

/// Two stations, `days` days of smooth synthetic hourly values for every parameter.
pub(crate) fn grid(days: usize) -> Grid {
    let start = Utc.with_ymd_and_hms(2015, 1, 1, 0, 0, 0).unwrap();
    let len = days * 24;
    let mut g = Grid::empty(
        start,
        len,
        vec!["A".into(), "B".into()],
        chrono_tz::Asia::Shanghai,
    );
    for s in 0..2 {
        for (k, &p) in PARAMS.iter().enumerate() {
            for i in 0..len {
                let x = i as f64;
                g.values[s][p][i] = 50.0
                    + 30.0 * (x / 24.0 * std::f64::consts::TAU).sin()
                    + 20.0 * (x / 97.0 + s as f64 + k as f64).sin()
                    + 5.0 * ((x * 7.3).sin());
            }
        }
    }
    g
}

#[test]
fn features_never_look_ahead() {
    let g = grid(10);
    let clim = Climatology::from_grid(&g, g.len);
    let t = 100;
    let before = FeatureContext::new(&g, &clim).row(0, t, Target::Pm25, 24, Scale::Sqrt);
    let mut future = g.clone();
    for s in 0..2 {
        for p in PARAMS {
            for v in &mut future.values[s][p][t + 1..] {
                *v = 9999.0;
            }
        }
    }
    let after = FeatureContext::new(&future, &clim).row(0, t, Target::Pm25, 24, Scale::Sqrt);
    // Issue-time features; the forecast-weather ones are missing here (no weather given).
    let n = lantian::forecast::features::BASE_FEATURES;
    assert_eq!(before.values[..n], after.values[..n]);
    assert_eq!(before.missing, after.missing);
    assert!(before.missing.iter().all(|m| m.starts_with("fw_")));
    assert!(before.missing_among(n).is_empty());
}

#[test]
fn gaps_are_reported_not_filled() {
    let mut g = grid(10);
    let t = 100;
    g.values[0][Parameter::Pm25][t] = f64::NAN;
    g.values[0][Parameter::Temperature][t] = f64::NAN;
    let clim = Climatology::from_grid(&g, g.len);
    let row = FeatureContext::new(&g, &clim).row(0, t, Target::Pm25, 6, Scale::Identity);
    assert!(row.missing.contains(&"lag0"));
    assert!(row.missing.contains(&"temp"));
    assert!(row.values[0].is_nan(), "lag0 must stay missing, not 0");
    assert!(row.lacks_required());
}

#[test]
fn trained_models_round_trip_and_abstain_on_gaps() {
    let g = grid(60);
    let opt = TrainOptions {
        targets: vec![Target::Pm25],
        scales: vec![Scale::Sqrt],
        penalties: vec![0.001],
        ..Default::default()
    };
    let set = train(&g, g.len, &opt).unwrap();
    assert_eq!(set.models.len(), 7);
    assert_eq!(set.daily.len(), 2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("models/forecast.json");
    set.save(&path).unwrap();
    let back = ModelSet::load(&path).unwrap();
    assert_eq!(back, set);

    let mut gap = g.clone();
    gap.values[0][Parameter::Pm25][1000] = f64::NAN;
    let ctx = FeatureContext::new(&gap, &back.climatology);
    let f = forecast_station(&ctx, &back, 0, 1000);
    assert_eq!(f.abstained, vec![Target::Pm25]);
    assert!(f.hours.iter().all(|h| h.pm25.is_none()));
    assert!(f.days.iter().all(|d| d.pm25.is_none()));
    assert!(f.missing.contains("lag0"));
    // Issue-time models never ask for forecast weather.
    assert!(!f.missing.iter().any(|m| m.starts_with("fw_")));
    let ok = forecast_station(&ctx, &back, 1, 1000);
    assert!(ok.abstained.is_empty());
    assert!(ok.beyond_skill.is_empty(), "{:?}", ok.beyond_skill);
    assert!(
        ok.hours
            .iter()
            .all(|h| h.pm25.is_some_and(|v| v.is_finite() && v >= 0.0))
    );
    assert_eq!(ok.days.len(), 2);
    assert!(ok.days.iter().all(|d| d.pm25.is_some_and(|v| v >= 0.0)));
}

#[test]
fn horizons_without_skill_are_not_published() {
    let g = grid(60);
    let opt = TrainOptions {
        targets: vec![Target::Pm25],
        ..Default::default()
    };
    let trained = train(&g, g.len, &opt).unwrap();
    // A 25–48 h model no better than climatology, then one better than climatology but
    // worse than persistence, on its validation part: neither is published.
    for rmse in [(10.0, 10.0, 20.0), (10.0, 20.0, 9.0)] {
        let mut set = trained.clone();
        let m = set
            .models
            .iter_mut()
            .find(|m| m.horizons == (25, 48))
            .unwrap();
        m.fit.validation_rmse = ValidationRmse {
            model: rmse.0,
            climatology: rmse.1,
            persistence: rmse.2,
        };
        let ctx = FeatureContext::new(&g, &set.climatology);
        let f = forecast_station(&ctx, &set, 0, 1000);
        assert_eq!(f.beyond_skill.get(&Target::Pm25), Some(&25), "{rmse:?}");
        assert!(f.abstained.is_empty());
        for h in &f.hours {
            assert_eq!(
                h.pm25.is_some(),
                !(25..=48).contains(&h.horizon),
                "{rmse:?}: h {}",
                h.horizon
            );
        }
    }
}

#[test]
fn weather_models_report_missing_forecast_weather() {
    let g = grid(60);
    let opt = TrainOptions {
        targets: vec![Target::Pm25],
        weather: true,
        ..Default::default()
    };
    let set = train(&g, g.len, &opt).unwrap();
    assert!(set.weather);
    assert!(set.features.iter().any(|f| f == "fw_v"));
    let observed = ForecastWeather::observed(&g);
    let with = FeatureContext::new(&g, &set.climatology).with_weather(&observed);
    let f = forecast_station(&with, &set, 0, 1000);
    assert!(f.missing.is_empty(), "{:?}", f.missing);
    // Without forecast weather the forecast is degraded and says so — never zero-filled.
    let without = FeatureContext::new(&g, &set.climatology);
    let d = forecast_station(&without, &set, 0, 1000);
    assert!(d.missing.contains("fw_v") && d.missing.contains("fw_temp"));
    let row = without.row(0, 1000, Target::Pm25, 24, Scale::Sqrt);
    let k = lantian::forecast::features::FEATURE_NAMES
        .iter()
        .position(|&n| n == "fw_u")
        .unwrap();
    assert!(
        row.values[k].is_nan(),
        "missing weather must stay missing, not 0"
    );
}

#[test]
fn weather_csv_is_read_and_aligned() {
    let g = grid(10);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wx.csv");
    std::fs::write(
        &path,
        "time,station,wind_speed,wind_direction,temperature,humidity,pressure,rain\n\
         2015-01-03T00:00:00Z,network,3,0,5,50,1015,0\n\
         2015-01-03T00:00:00Z,A,1,90,,,,\n",
    )
    .unwrap();
    let records = read_csv(&path).unwrap();
    assert_eq!(records.len(), 2);
    let w = ForecastWeather::from_records(&records, &g, "test");
    let h = g.index_of(records[0].time).unwrap();
    // Network north wind (air moving south, v < 0) for B; A's own east wind (u < 0).
    assert!((w.values[1][WeatherVar::V][h] + 3.0).abs() < 1e-9);
    assert!((w.values[0][WeatherVar::U][h] + 1.0).abs() < 1e-9);
    // A gave no temperature: the network's fills it; dew point from humidity.
    assert_eq!(w.values[0][WeatherVar::Temperature][h], 5.0);
    assert!(w.values[0][WeatherVar::DewPoint][h] < 5.0);
    assert!(w.values[0][WeatherVar::Temperature][h + 1].is_nan());
}

#[test]
fn weather_csv_errors_name_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    std::fs::write(
        &path,
        "time,station,u,v,temperature\n2015-01-03T00:00:00Z,A,1,2,3\n2015-01-03T01:00:00Z,A,1,2,warm\n",
    )
    .unwrap();
    match read_csv(&path) {
        Err(WeatherError::Field { line, field, .. }) => {
            assert_eq!((line, field.as_str()), (3, "temperature"));
        }
        other => panic!("expected a field error, got {other:?}"),
    }
    std::fs::write(&path, "time,station,u\n").unwrap();
    let e = read_csv(&path).unwrap_err().to_string();
    assert!(e.contains("bad.csv") && e.contains("`u` and `v`"), "{e}");
    std::fs::write(&path, "time,station,rain\nyesterday,A,1\n").unwrap();
    let e = read_csv(&path).unwrap_err().to_string();
    assert!(e.contains("line 2") && e.contains("`time`"), "{e}");
}
