//! Forecast features, gaps and model files on a synthetic grid (no store needed).

use chrono::{TimeZone, Utc};
use lantian::forecast::Target;
use lantian::forecast::climatology::Climatology;
use lantian::forecast::features::{FeatureContext, Scale};
use lantian::forecast::model::{ModelSet, TrainOptions, train};
use lantian::forecast::series::{Grid, PARAMS};
use lantian::units::Parameter;

/// Two stations, `days` days of smooth synthetic hourly values for every parameter.
fn grid(days: usize) -> Grid {
    let start = Utc.with_ymd_and_hms(2015, 1, 1, 0, 0, 0).unwrap();
    let len = days * 24;
    let mut g = Grid::empty(
        start,
        len,
        vec!["A".into(), "B".into()],
        chrono_tz::Asia::Shanghai,
    );
    for s in 0..2 {
        for (k, _) in PARAMS.iter().enumerate() {
            for i in 0..len {
                let x = i as f64;
                g.values[s][k][i] = 50.0
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
        for k in 0..PARAMS.len() {
            for v in &mut future.values[s][k][t + 1..] {
                *v = 9999.0;
            }
        }
    }
    let after = FeatureContext::new(&future, &clim).row(0, t, Target::Pm25, 24, Scale::Sqrt);
    assert_eq!(before, after);
    assert!(before.missing.is_empty());
}

#[test]
fn gaps_are_reported_not_filled() {
    let mut g = grid(10);
    let t = 100;
    let k = PARAMS.iter().position(|&p| p == Parameter::Pm25).unwrap();
    g.values[0][k][t] = f64::NAN;
    let w = PARAMS
        .iter()
        .position(|&p| p == Parameter::Temperature)
        .unwrap();
    g.values[0][w][t] = f64::NAN;
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
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("models/forecast.json");
    set.save(&path).unwrap();
    let back = ModelSet::load(&path).unwrap();
    assert_eq!(back, set);

    let mut gap = g.clone();
    let k = PARAMS.iter().position(|&p| p == Parameter::Pm25).unwrap();
    gap.values[0][k][1000] = f64::NAN;
    let ctx = FeatureContext::new(&gap, &back.climatology);
    let f = lantian::forecast::run::forecast_station(&ctx, &back, 0, 1000);
    assert_eq!(f.abstained, vec![Target::Pm25]);
    assert!(f.hours.iter().all(|h| h.pm25.is_none()));
    assert!(f.missing.contains("lag0"));
    let ok = lantian::forecast::run::forecast_station(&ctx, &back, 1, 1000);
    assert!(ok.abstained.is_empty());
    assert!(
        ok.hours
            .iter()
            .all(|h| h.pm25.is_some_and(|v| v.is_finite() && v >= 0.0))
    );
}
