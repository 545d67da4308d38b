//! Backtests with re-training (`forecast backtest --refit DAYS`): no window's models see data at
//! or after its origin, a refit that never re-trains scores exactly as the fixed backtest, and
//! the CLI names the origins.

use std::process::Command;

use lantian::forecast::Target;
use lantian::forecast::backtest::{
    BacktestMode, BacktestOptions, BacktestReport, backtest, issue_times,
};
use lantian::forecast::features::{FeatureContext, Scale};
use lantian::forecast::model::{ModelSet, TrainOptions, train};
use lantian::forecast::refit::{origins, refit_backtest};
use lantian::forecast::series::{Grid, PARAMS};
use lantian::forecast::weather::ForecastWeather;

use super::forecast::grid;
use super::forecast_job::{model, store_with};

/// PM2.5 only, one scale and penalty: quick to train.
fn options(weather: bool) -> TrainOptions {
    TrainOptions {
        targets: vec![Target::Pm25],
        scales: vec![Scale::Sqrt],
        daily_scales: vec![Scale::Sqrt],
        penalties: vec![0.001],
        weather,
        ..Default::default()
    }
}

/// Issues from day `from` to the end, every 6 h.
fn test_period(g: &Grid, from: usize) -> BacktestOptions {
    BacktestOptions {
        from: from * 24,
        to: g.len,
        step: 6,
        daily_issue_hour: 17,
    }
}

/// Runs a refit backtest, returning the report and every set it trained.
fn refit(
    g: &Grid,
    base: &ModelSet,
    opt: BacktestOptions,
    every_days: u32,
) -> (BacktestReport, Vec<ModelSet>) {
    let observed = ForecastWeather::observed(g);
    let weather = base.weather.then_some(&observed);
    let mut sets = Vec::new();
    let report = refit_backtest(g, base, weather, opt, every_days, |r| {
        sets.push(r.models.clone())
    })
    .unwrap();
    (report, sets)
}

#[test]
fn no_window_sees_data_at_or_after_its_origin() {
    let g = grid(90);
    let opt = test_period(&g, 60);
    // The saved set: trained up to the first issue, with forecast weather (the variant with
    // the most inputs: the weather at the valid time too).
    let base = train(&g, opt.from, &options(true)).unwrap();
    let (report, sets) = refit(&g, &base, opt, 10);
    assert_eq!(origins(opt, 10), vec![60 * 24, 70 * 24, 80 * 24]);
    assert_eq!(sets.len(), 3);
    // The first origin is the saved set's end: the same data, the same models.
    assert_eq!(sets[0], base);

    // Everything labelled at or after the second origin changes.
    let cut = 70 * 24;
    let mut changed = g.clone();
    for station in &mut changed.values {
        for (k, &p) in PARAMS.iter().enumerate() {
            for (i, v) in station[p].iter_mut().enumerate().skip(cut) {
                *v = 1.7 * *v + 40.0 * ((i * (k + 3)) as f64 * 0.37).sin();
            }
        }
    }
    let (changed_report, changed_sets) = refit(&changed, &base, opt, 10);
    assert_eq!(changed_sets[0], sets[0]);
    assert_eq!(
        changed_sets[1], sets[1],
        "the window up to the changed hour used data at or after its origin"
    );
    // Later windows do see the changed data (so the comparison can fail), and so does the
    // scoring of the issues after the change.
    assert_ne!(changed_sets[2], sets[2]);
    assert_ne!(changed_report.horizons, report.horizons);

    for (w, set) in report.windows.iter().zip(&sets) {
        assert_eq!(w.trained_from, g.start);
        assert_eq!(w.trained_to, set.trained_to);
        assert_eq!(set.training, base.training);
    }
    let times: Vec<_> = issue_times(&g, opt).collect();
    assert_eq!(
        report.windows.iter().map(|w| w.issues).sum::<usize>(),
        times.len()
    );
    assert_eq!(report.windows[1].first_issue, Some(g.time_of(times[40])));
    assert_eq!(report.mode, BacktestMode::Refit { every_days: 10 });
}

#[test]
fn a_refit_that_never_retrains_scores_as_the_fixed_backtest() {
    // Trained on 1 January – 14 February, tested to 28 February: the climatology (hour ×
    // month) knows the test month.
    let g = grid(59);
    let opt = test_period(&g, 45);
    let base = train(&g, opt.from, &options(false)).unwrap();
    let (refitted, sets) = refit(&g, &base, opt, 1000);
    assert_eq!(sets, vec![base.clone()]);
    let fixed = backtest(&FeatureContext::new(&g, &base.climatology), &base, opt);
    assert!(fixed.horizons.iter().any(|h| h.n > 0));
    // As JSON: horizons without samples have NaN scores (null), which never equal themselves.
    let json = |r: &BacktestReport| {
        serde_json::to_value((&r.horizons, &r.daily, &r.windows, &r.from, &r.to)).unwrap()
    };
    assert_eq!(json(&refitted), json(&fixed));
    assert_eq!(fixed.mode, BacktestMode::Fixed);
}

#[test]
fn the_cli_refits_and_names_the_origins() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let store = store_with(&db, &["A", "B"], 70);
    // Trained on the first 40 days (from 2015-01-01 00:00 UTC).
    let models = dir.path().join("m.json");
    model(&store).save(&models).unwrap();
    drop(store);
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_lantian"))
            .current_dir(dir.path())
            .args(["--store", &format!("sqlite:{}", db.display()), "forecast"])
            .args(["--models", &models.to_string_lossy(), "backtest"])
            .args([
                "--from",
                "2015-02-10",
                "--to",
                "2015-03-11",
                "--refit",
                "10",
            ])
            .args(extra)
            .output()
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        );
        assert!(out.status.success(), "{stdout}\n{stderr}");
        (stdout, stderr)
    };
    let (table, progress) = run(&[]);
    assert!(progress.contains("refit 3/3"), "{progress}");
    assert!(
        table.contains("re-trained every 10 days (3 refits)"),
        "{table}"
    );
    // Local midnights (Asia/Shanghai) of 02-10, 02-20 and 03-02, each trained from the start.
    for origin in [
        "2015-02-09 16:00 UTC",
        "2015-02-19 16:00 UTC",
        "2015-03-01 16:00 UTC",
    ] {
        let line = table
            .lines()
            .find(|l| l.starts_with(origin))
            .unwrap_or_else(|| panic!("no origin {origin} in\n{table}"));
        assert!(line.contains("2015-01-01 00:00 UTC"), "{line}");
    }
    let (json, _) = run(&["--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["mode"]["kind"], "refit");
    assert_eq!(json["mode"]["every_days"], 10);
    let windows = json["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 3);
    assert_eq!(windows[2]["trained_to"], "2015-03-01T16:00:00Z");
    let pm25_1h = json["horizons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["target"] == "pm25" && h["horizon"] == 1)
        .unwrap();
    assert!(pm25_1h["n"].as_u64().unwrap() > 100, "{pm25_1h}");
}
