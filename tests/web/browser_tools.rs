//! The analysts' pages and the public map in a real browser (as `browser.rs`: Debian's
//! Chromium over WebDriver, driven by `browser_tools.py`): an analyst generates a daily
//! report and opens it, a leader has no generation form and no explorer; the explorer draws a
//! chart and its CSV downloads; an uploaded CSV comes back with the AQI `lantian aqi` writes
//! for it; the station page shows its wind and pollution roses and its source flags (or says
//! there are none); the public map without login in the official colours when it is on, and
//! nothing when it is off; no JavaScript errors. Screenshots in `target/web-screenshots/`.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;

use chrono::TimeDelta;
use lantian::registry::Registry;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{
    ReadingQuery, ReadingStore, Resolution, SourceFlagQuery, SourceFlagStore, StoreUrl,
};
use lantian::units::Parameter;
use lantian::web::{Accounts, LoginPolicy, Role, Server, ServerParts, WebConfig};
use serde_json::{Value, json};

use crate::browser::{PYTHON, aqi_of_hour, end, fill_store, selenium};
use crate::common::peers;

/// The CSV the analyst uploads (a bad number on line 3).
const UPLOAD: &str = "time,station,pm25,pm10,so2,no2,co,o3\n\
                      2026-03-01 01:00,A,80,120,10,40,0.8,60\n\
                      2026-03-01 02:00,A,x,120,10,40,0.8,60\n\
                      2026-03-01 03:00,A,20,30,5,20,0.4,200\n";

/// What `lantian aqi` writes for `input`.
fn lantian_aqi(input: &std::path::Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_lantian"))
        .args([
            "aqi",
            "--standard",
            "hj633-2012",
            "--mode",
            "hourly",
            "--input",
        ])
        .arg(input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analysts_pages_in_a_real_browser() {
    if peers::chromium().is_none() || !selenium() {
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::load(&root.join("stations/dongguan.toml")).unwrap();
    let db = dir.path().join("web.db");
    #[cfg_attr(not(feature = "analysis"), allow(unused_mut))]
    let mut store = fill_store(&db, &registry);
    let tz = registry.network.time_zone;
    let day = (end() - TimeDelta::hours(24))
        .with_timezone(&tz)
        .date_naive();
    // The `sources` job's analysis of the day (with the `analysis` feature).
    #[cfg(feature = "analysis")]
    {
        use lantian::jobs::sources::{FlagRun, flag_day, job_analysis};
        let run = FlagRun {
            job: "sources",
            scheduled: end(),
        };
        flag_day(&mut store, day, tz, 1, &job_analysis(tz), run).unwrap();
    }
    let wind = store
        .readings(
            &ReadingQuery::new(Resolution::Hour, end() - TimeDelta::hours(24), end())
                .for_parameters(lantian::store::Filter::only([Parameter::WindDirection])),
        )
        .unwrap();
    let wind_station = wind
        .first()
        .expect("a station measures wind")
        .station
        .to_string();
    let flags = store
        .source_flags(
            &SourceFlagQuery::new(end() - TimeDelta::days(7), end() + TimeDelta::hours(1))
                .for_stations(lantian::store::Stations::one(wind_station.as_str())),
        )
        .unwrap()
        .len();
    let expected_aqi = aqi_of_hour(&store, end());
    let upload = dir.path().join("upload.csv");
    std::fs::write(&upload, UPLOAD).unwrap();
    let upload_aqi = lantian_aqi(&upload);

    let accounts_path = dir.path().join("accounts.db");
    {
        let accounts = Accounts::open(&accounts_path, LoginPolicy::default()).unwrap();
        accounts
            .add_user("chen", Role::Analyst, "analyst-pass-1", "test")
            .unwrap();
        accounts
            .add_user("li", Role::Leader, "leader-pass-1", "test")
            .unwrap();
    }
    let url: StoreUrl = format!("sqlite:{}", db.display()).parse().unwrap();
    let start = |public_map: bool, accounts: PathBuf| {
        let parts = ServerParts {
            settings: WebConfig {
                public_map,
                ..WebConfig::default()
            },
            store: (
                url.clone(),
                Box::new(SqliteStore::open(&db).unwrap()) as Box<_>,
            ),
            registry: Some(Arc::new(registry.clone())),
            accounts,
            report_dir: dir.path().join("reports"),
            alarm_hook: None,
            loggers: None,
        };
        Server::start(parts, "127.0.0.1:0".parse().unwrap())
    };
    let private = start(false, accounts_path).await.unwrap();
    let public = start(true, dir.path().join("public-accounts.db"))
        .await
        .unwrap();

    let shots = root.join("target/web-screenshots");
    let profile = dir.path().join("chromium-profile");
    std::fs::create_dir_all(&profile).unwrap();
    let mut child = Command::new(PYTHON)
        .arg(root.join("tests/web/browser_tools.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start browser_tools.py");
    let mut to_script = child.stdin.take().unwrap();
    let from_script = BufReader::new(child.stdout.take().unwrap());
    let setup = json!({
        "base": format!("http://{}", private.addr),
        "public_base": format!("http://{}", public.addr),
        "screenshots": shots,
        "profile": profile,
        "analyst": {"name": "chen", "password": "analyst-pass-1"},
        "leader": {"name": "li", "password": "leader-pass-1"},
        "report_date": day.to_string(),
        "first_station": registry.stations[0].id.to_string(),
        "wind_station": wind_station,
        "flags": flags,
        "analysed": cfg!(feature = "analysis"),
        "aqi": expected_aqi,
        "upload": upload,
        "upload_aqi": upload_aqi,
    });
    writeln!(to_script, "{setup}").unwrap();
    let mut done = None;
    for line in tokio::task::block_in_place(|| from_script.lines().collect::<Vec<_>>()) {
        let message: Value = serde_json::from_str(line.unwrap().trim()).expect("a JSON line");
        if message["done"] == true {
            done = Some(message);
        }
    }
    let status = tokio::task::block_in_place(|| child.wait()).unwrap();
    private.stop().await;
    public.stop().await;
    assert!(
        status.success(),
        "browser_tools.py failed (see its message above)"
    );
    let done = done.expect("browser_tools.py said it was done");
    assert!(done["checks"].as_array().unwrap().len() >= 15, "{done}");
    for shot in [
        "reports-generated",
        "report-opened",
        "explore-chart",
        "explore-aqi-upload",
        "station-roses",
        "public-map",
        "public-map-phone",
        "reports-laptop",
    ] {
        assert!(
            shots.join(format!("{shot}.png")).is_file(),
            "screenshot {shot}"
        );
    }
}
