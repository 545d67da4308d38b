//! The scheduled `forecast` job and forecast issuing over a store: one stored forecast per
//! scheduled time (a re-run replaces it), and what happens for a network the model was not
//! trained on.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use lantian::forecast::Target;
use lantian::forecast::features::Scale;
use lantian::forecast::issue::{ClimatologySource, issue};
use lantian::forecast::model::{ModelSet, TrainOptions, train};
use lantian::forecast::series::{Grid, PARAMS};
use lantian::jobs::config::{JobConfig, JobKind};
use lantian::jobs::kinds::{JobContext, build_jobs, forecast_issue_time};
use lantian::jobs::scheduler::CatchUp;
use lantian::quality::Flag;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{
    ForecastAxis, ForecastParameter, ForecastQuery, ForecastStore, JobOutput, Missing,
    ReadingStore, Record, Resolution, StationInfo, StationRole, StationStore, Store,
};

/// 2015-01-01 00:00 UTC.
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2015, 1, 1, 0, 0, 0).unwrap()
}

fn station(id: &str) -> StationInfo {
    StationInfo {
        id: id.into(),
        name: id.into(),
        name_en: id.into(),
        district: "d".into(),
        lat: None,
        lon: None,
        time_zone: chrono_tz::Asia::Shanghai,
        city: String::new(),
        role: StationRole::Assessment,
    }
}

/// Smooth synthetic hourly values of every forecast parameter, hour `i` after [`start`].
fn value(s: usize, k: usize, i: usize) -> f64 {
    let x = i as f64;
    50.0 + 30.0 * (x / 24.0 * std::f64::consts::TAU).sin()
        + 20.0 * (x / 97.0 + s as f64 + k as f64).sin()
        + 5.0 * (x * 7.3).sin()
}

/// A store with `days` days of hourly records of `stations`.
pub(crate) fn store_with(path: &std::path::Path, stations: &[&str], days: usize) -> SqliteStore {
    let mut store = SqliteStore::open(path).unwrap();
    store
        .put_stations(&stations.iter().map(|s| station(s)).collect::<Vec<_>>())
        .unwrap();
    let mut records = Vec::new();
    for (s, id) in stations.iter().enumerate() {
        for (k, &parameter) in PARAMS.iter().enumerate() {
            for i in 1..=days * 24 {
                records.push(Record {
                    station: (*id).into(),
                    parameter,
                    resolution: Resolution::Hour,
                    time: start() + TimeDelta::hours(i as i64),
                    value: value(s, k, i),
                    flag: Flag::Normal,
                    count: 60,
                });
            }
        }
    }
    store.put_readings(&records).unwrap();
    store
}

/// A PM2.5 model trained on the stored data of the first 40 days.
pub(crate) fn model(store: &dyn Store) -> ModelSet {
    let grid = Grid::load(store, &[], start(), start() + TimeDelta::days(40)).unwrap();
    let opt = TrainOptions {
        targets: vec![Target::Pm25],
        scales: vec![Scale::Sqrt],
        penalties: vec![0.001],
        ..Default::default()
    };
    train(&grid, grid.len, &opt).unwrap()
}

fn by_issue(from: DateTime<Utc>, to: DateTime<Utc>) -> ForecastQuery {
    ForecastQuery::new(ForecastAxis::Issued, from, to)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_job_stores_one_forecast_per_scheduled_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store = store_with(&path, &["A", "B"], 50);
    let set = model(&store);
    let models = dir.path().join("models/forecast.json");
    set.save(&models).unwrap();
    drop(store);

    let open_path = path.clone();
    let context = JobContext {
        network_name: "test".into(),
        time_zone: chrono_tz::Asia::Shanghai,
        devices: vec![],
        report: lantian::report::ReportConfig {
            out_dir: dir.path().join("out"),
            lang: lantian::report::Lang::En,
        },
        index: Default::default(),
        open_store: Arc::new(
            move || Ok(Box::new(SqliteStore::open(&open_path)?) as Box<dyn Store>),
        ),
    };
    let config: JobConfig = toml::from_str(&format!(
        "name = \"forecast\"\nschedule = \"10 5,17 * * *\"\nkind = \"forecast\"\nmodels = {:?}\n",
        models.display().to_string()
    ))
    .unwrap();
    assert_eq!(
        config.kind,
        JobKind::Forecast {
            models: Some(models.clone()),
            weather: None
        }
    );
    assert_eq!(config.catch_up, CatchUp::Latest);
    let jobs = build_jobs(&[config], &context).unwrap();
    let job = &jobs[0];

    // 17:10 Shanghai on day 45: issued at 17:00 local = 09:00 UTC.
    let first = Utc.with_ymd_and_hms(2015, 2, 14, 9, 10, 0).unwrap();
    assert_eq!(
        forecast_issue_time(first),
        Utc.with_ymd_and_hms(2015, 2, 14, 9, 0, 0).unwrap()
    );
    let output = (job.run)(first).await.unwrap();
    let JobOutput::Forecast {
        issued,
        forecast,
        abstained,
        ref summary,
        stored,
    } = output
    else {
        panic!("not a forecast: {output:?}");
    };
    assert_eq!(
        (issued, forecast, abstained),
        (forecast_issue_time(first), 2, 0)
    );
    assert!(
        summary.contains("2 station(s) forecast, 0 abstained"),
        "{summary}"
    );
    let reader = SqliteStore::open(&path).unwrap();
    let all = || by_issue(start(), start() + TimeDelta::days(400));
    let once = reader.forecast_hours(&all()).unwrap();
    // PM2.5 and its AQI, 72 hours, two stations (no PM10 or O3 model: nothing stored).
    assert_eq!(once.len(), 2 * 2 * 72);
    // The hourly entries and the stations' daily forecasts.
    assert!(stored > once.len(), "{stored}");
    assert!(once.iter().all(|f| matches!(
        f.parameter,
        ForecastParameter::Target(Target::Pm25) | ForecastParameter::Aqi
    )));
    let days = reader.forecast_days(&all()).unwrap();
    assert_eq!(days.len(), 2 * 2, "tomorrow and the day after, per station");
    // A daily AQI needs PM2.5, PM10 and O3: with a PM2.5 model only, the day has its PM2.5
    // forecast and no AQI (never one from PM2.5 alone).
    assert!(
        days.iter()
            .all(|d| d.pm25.is_some() && d.aqi.is_none() && d.abstained.is_empty()),
        "{days:#?}"
    );

    // The same scheduled time again (a catch-up or a manual re-run) replaces it.
    (job.run)(first).await.unwrap();
    assert_eq!(reader.forecast_hours(&all()).unwrap(), once);
    assert_eq!(reader.forecast_days(&all()).unwrap(), days);

    // The next scheduled time is another forecast.
    let second = first + TimeDelta::hours(12);
    (job.run)(second).await.unwrap();
    let twice = reader.forecast_hours(&all()).unwrap();
    assert_eq!(twice.len(), 2 * once.len());
    let issues: std::collections::BTreeSet<_> = twice.iter().map(|f| f.issued).collect();
    assert_eq!(issues.len(), 2);
}

#[test]
fn another_network_uses_its_own_history_or_abstains_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    // A model trained on stations X and Y.
    let trained = store_with(&dir.path().join("x.db"), &["X", "Y"], 45);
    let set = model(&trained);

    // Network A/B with 45 days of history: its own climatology (≥ 5 values per cell).
    let long = store_with(&dir.path().join("long.db"), &["A", "B"], 45);
    let at = start() + TimeDelta::days(44);
    let run = issue(&long, &set, &[], at, None).unwrap();
    assert!(matches!(run.climatology, ClimatologySource::Stored { days } if days >= 44));
    assert_eq!(run.forecast_count(), 2);
    // Where the climatology came from is in the run's record; a day forecast with it lists
    // nothing as missing (the note only explains an abstention).
    assert!(
        run.summary().contains("climatology: network unknown"),
        "{}",
        run.summary()
    );
    assert!(run.days.iter().all(|d| {
        !d.missing
            .iter()
            .any(|m| matches!(m, Missing::ClimatologyFromHistory { .. }))
    }));

    // One day of history (the network's pooled hours would pass the climatology's five values
    // per cell): no climatology, every station abstains and says so.
    let short = store_with(&dir.path().join("short.db"), &["A", "B"], 1);
    let run = issue(&short, &set, &[], start() + TimeDelta::hours(23), None).unwrap();
    // 24 hours from 08:00 local touch two local days.
    assert_eq!(run.climatology, ClimatologySource::Missing { days: 2 });
    assert_eq!(run.forecast_count(), 0, "{}", run.summary());
    assert_eq!(run.abstained_count(), 2);
    assert!(run.hours.is_empty(), "no value is invented");
    assert!(
        run.summary().contains("missing clim_target"),
        "{}",
        run.summary()
    );
    assert!(run.days.iter().all(|d| {
        d.aqi.is_none()
            && d.abstained.contains(&Target::Pm25)
            && d.missing.contains(&Missing::Input("clim_target".into()))
            && d.missing
                .contains(&Missing::ClimatologyTooShort { days: 2, needs: 14 })
    }));

    // The trained network itself uses the model's climatology.
    let run = issue(&trained, &set, &[], start() + TimeDelta::days(44), None).unwrap();
    assert_eq!(run.climatology, ClimatologySource::Model);
    assert_eq!(run.forecast_count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forecast_job_with_forecast_weather_the_model_cannot_use_fails_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store = store_with(&path, &["A", "B"], 50);
    let models = dir.path().join("forecast.json");
    model(&store).save(&models).unwrap();
    drop(store);
    let weather = dir.path().join("weather.csv");
    std::fs::write(
        &weather,
        "time,station,u,v,temperature,dew_point,pressure,rain\n\
         2015-02-14T10:00:00Z,network,1.0,-2.0,5.0,-3.0,1020.0,0.0\n",
    )
    .unwrap();
    let open_path = path.clone();
    let context = JobContext {
        network_name: "test".into(),
        time_zone: chrono_tz::Asia::Shanghai,
        devices: vec![],
        report: lantian::report::ReportConfig {
            out_dir: dir.path().join("out"),
            lang: lantian::report::Lang::En,
        },
        index: Default::default(),
        open_store: Arc::new(
            move || Ok(Box::new(SqliteStore::open(&open_path)?) as Box<dyn Store>),
        ),
    };
    let job = |weather: &std::path::Path| {
        let config: JobConfig = toml::from_str(&format!(
            "name = \"forecast\"\nschedule = \"10 5,17 * * *\"\nkind = \"forecast\"\n\
             models = {:?}\nweather = {:?}\n",
            models.display().to_string(),
            weather.display().to_string()
        ))
        .unwrap();
        build_jobs(&[config], &context).unwrap().remove(0)
    };
    let at = Utc.with_ymd_and_hms(2015, 2, 14, 9, 10, 0).unwrap();
    // The issue-time model refuses forecast weather, naming the file.
    let e = (job(&weather).run)(at).await.unwrap_err().reason();
    assert!(
        e.contains("weather.csv") && e.contains("issue-time information only"),
        "{e}"
    );
    // A missing weather file is named too; nothing is stored either way.
    let e = (job(&dir.path().join("absent.csv")).run)(at)
        .await
        .unwrap_err()
        .reason();
    assert!(e.contains("absent.csv"), "{e}");
    let stored = SqliteStore::open(&path)
        .unwrap()
        .forecast_hours(&by_issue(start(), start() + TimeDelta::days(400)))
        .unwrap();
    assert!(stored.is_empty());
}
