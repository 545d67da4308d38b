//! AQI range and category-span forecasts: the intervals measured at training, the ranges of a
//! run, and the backtest's range scores on cases whose result is known.

use lantian::aqi::Category;
use lantian::forecast::backtest::{BacktestOptions, backtest};
use lantian::forecast::features::{FeatureContext, Scale};
use lantian::forecast::model::{ModelSet, TrainOptions, train};
use lantian::forecast::range::RangeQuantiles;
use lantian::forecast::run::forecast_station;

use super::forecast::grid;

fn trained() -> (lantian::forecast::series::Grid, ModelSet) {
    // 130 days, 2 stations: the last 20 % (26 days) gives ≥ 50 samples per issue hour.
    let g = grid(130);
    let opt = TrainOptions {
        scales: vec![Scale::Sqrt],
        daily_scales: vec![Scale::Sqrt],
        penalties: vec![0.001],
        ..Default::default()
    };
    let set = train(&g, g.len, &opt).unwrap();
    (g, set)
}

#[test]
fn ranges_are_measured_at_training_and_published_with_the_forecast() {
    let (g, set) = trained();
    let r = &set.aqi_range;
    assert_eq!(r.coverage, 0.5);
    // Lead 1 of every issue hour, for the model and for persistence.
    for hour in 0..24 {
        for list in [&r.model, &r.persistence] {
            let q = list
                .iter()
                .find(|q| q.lead == 1 && q.issue_hour == hour)
                .unwrap_or_else(|| panic!("no interval for 1 day ahead issued at {hour}:00"));
            assert!(q.n >= 50 && q.low <= q.high, "{q:?}");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.json");
    set.save(&path).unwrap();
    assert_eq!(ModelSet::load(&path).unwrap(), set);

    let ctx = FeatureContext::new(&g, &set.climatology);
    let f = forecast_station(&ctx, &set, 0, 2000);
    let day = &f.days[0];
    let (aqi, range) = (day.aqi.unwrap(), day.range.unwrap());
    assert!(
        range.low <= aqi && aqi <= range.high,
        "{range:?} around {aqi}"
    );
    assert!(range.span.high.level() - range.span.low.level() <= 1);
    // A range within two categories is published with both: its forecast's among them.
    let (a, b) = (
        Category::from_aqi(range.low),
        Category::from_aqi(range.high),
    );
    if b.level() - a.level() <= 1 {
        assert_eq!((range.span.low, range.span.high), (a, b));
        assert!(range.span.contains(Category::from_aqi(aqi)));
    }
}

#[test]
fn old_model_files_are_refused_with_a_clear_error() {
    let (_, set) = trained();
    let mut json = serde_json::to_value(&set).unwrap();
    json["format"] = 2.into();
    json.as_object_mut().unwrap().remove("aqi_range");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.json");
    std::fs::write(&path, json.to_string()).unwrap();
    let err = ModelSet::load(&path).unwrap_err().to_string();
    assert!(err.contains("format 2") && err.contains("retrain"), "{err}");
}

/// Sets every interval (model and persistence) to `[e^low, e^high]`.
fn with_intervals(set: &ModelSet, low: f64, high: f64) -> ModelSet {
    let mut set = set.clone();
    let all = |v: &mut Vec<RangeQuantiles>| {
        for q in v {
            (q.low, q.high) = (low, high);
        }
    };
    all(&mut set.aqi_range.model);
    all(&mut set.aqi_range.persistence);
    set
}

#[test]
fn backtest_range_scores_of_known_cases() {
    let (g, set) = trained();
    let opt = BacktestOptions {
        from: 24 * 100,
        to: g.len,
        step: 6,
        daily_issue_hour: 17,
    };
    let run = |set: &ModelSet| backtest(&FeatureContext::new(&g, &set.climatology), set, opt);
    // Zero-width ranges: one category each, so the span hit rate is the strict category
    // accuracy, for the model and for persistence alike.
    let point = run(&with_intervals(&set, 0.0, 0.0));
    let d = &point.daily;
    assert!(d.n > 50, "{}", d.n);
    let (m, p) = (&d.range.model, &d.range.persistence);
    assert_eq!((m.n, p.n), (d.n, d.n));
    assert_eq!((m.mean_width, m.two_category_share), (0.0, 0.0));
    assert!((m.span_hit_rate - d.category_accuracy).abs() < 1e-12);
    assert!((p.span_hit_rate - d.persistence_accuracy).abs() < 1e-12);
    // The AQI hit rate of a point is the share of exact AQIs.
    let exact = point
        .days
        .iter()
        .filter(|x| x.aqi == x.observed_aqi)
        .count() as f64
        / d.n as f64;
    assert!((m.aqi_hit_rate - exact).abs() < 1e-12);
    // Ranges from e^-5 to e^5 times the forecast cross every category: each is cut to the
    // forecast's category and a neighbour, so it holds an observed AQI exactly when its span
    // holds the observed category, and it hits at least as often as the point category.
    let wide = run(&with_intervals(&set, -5.0, 5.0));
    let w = &wide.daily.range;
    for s in [&w.model, &w.persistence] {
        assert_eq!(s.two_category_share, 1.0);
        assert!((s.aqi_hit_rate - s.span_hit_rate).abs() < 1e-12, "{s:?}");
    }
    assert!(w.model.span_hit_rate >= d.category_accuracy);
    assert!(w.model.mean_width >= 49.0);
    // The strict metrics never depend on the intervals.
    assert_eq!(wide.daily.category_accuracy, d.category_accuracy);
    assert_eq!(wide.days.len(), point.days.len());
}
