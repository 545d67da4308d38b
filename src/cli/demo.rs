//! `lantian demo`: the whole pipeline on a simulated network, end to end.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Days, TimeDelta, TimeZone, Utc};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use lantian::aqi::Category;
use lantian::clock::Clock;
use lantian::collect::Pipeline;
use lantian::config::Config;
use lantian::jobs::kinds::JobKind;
use lantian::jobs::scheduler::{RunLog, ScheduledJob, StoreRunLog, run_once};
use lantian::quality::Flag;
use lantian::registry::Registry;
use lantian::sim::environment::Environment;
use lantian::sim::scenario::Scenario;
use lantian::sim::server::{Bind, Simulator};
use lantian::store::{
    DeviceHealth, IndexQuery, IndexRecord, JobOutcome, Parameters, ReadingQuery, Resolution, Store,
    StoreUrl,
};
use lantian::units::Parameter;

use super::table::Table;

/// Options of `lantian demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder for the demo's store and outputs.
    #[arg(long, default_value = "demo-out", value_name = "DIR")]
    out: PathBuf,
    /// Simulated days.
    #[arg(long, default_value_t = 1)]
    days: u32,
    /// Simulated seconds per real second (1440: one day a minute).
    #[arg(long, default_value_t = 1440.0)]
    speed: f64,
    /// First simulated local day, YYYY-MM-DD [default: yesterday in the network's time zone].
    #[arg(long, value_name = "DATE")]
    date: Option<chrono::NaiveDate>,
    /// Days of hourly history computed from the world model before the collected days (no
    /// Modbus; what a fault-free network would have stored), so that source identification
    /// and the forecast have the context they need. 0 starts from an empty store.
    #[arg(long, default_value_t = 30, value_name = "DAYS")]
    history_days: u32,
}

/// Runs the demo.
pub async fn run(config: &Config, store_given: bool, args: DemoArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.days >= 1, "--days must be at least 1");
    anyhow::ensure!(
        args.speed.is_finite() && args.speed > 0.0,
        "--speed must be positive"
    );
    let real_start = Instant::now();
    let mut registry = super::load_registry(config)?;
    let scenario = Scenario::load(&config.scenario)?;
    let tz = registry.network.time_zone;

    // The simulated period: whole local days, starting at local midnight.
    let first_day = args
        .date
        .unwrap_or_else(|| Utc::now().with_timezone(&tz).date_naive() - Days::new(1));
    let start = tz
        .from_local_datetime(&first_day.and_time(Default::default()))
        .earliest()
        .context("local midnight does not exist")?
        .to_utc();
    let end = start + TimeDelta::days(i64::from(args.days));
    let environment = Arc::new(Environment::new(scenario, &registry, start)?);

    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let store_url = if store_given {
        config.store.clone()
    } else {
        StoreUrl::Sqlite(args.out.join("lantian.db"))
    };
    let mut store = super::open_store_url(&store_url)?;
    store.put_stations(&registry.station_infos())?;
    if args.history_days > 0 {
        seed_history(
            &environment,
            &registry,
            store.as_mut(),
            start,
            args.history_days,
            config,
        )?;
    }
    // The scaled clock starts only now, after the history (seconds of real time, hours at
    // ×1440), a few simulated seconds early so that the first polls land at midnight.
    let clock = Clock::scaled(start - TimeDelta::seconds(5), args.speed);
    let sim = Simulator::start(
        &registry,
        environment.clone(),
        clock.clone(),
        Bind::Loopback(Default::default()),
    )
    .await
    .context("starting the simulator")?;
    sim.redirect(&mut registry);
    let devices: Vec<_> = registry.devices().cloned().collect();
    tracing::info!(
        "demo: {} stations, {} devices over Modbus TCP on loopback; {} → {} ({}) at ×{}",
        registry.stations.len(),
        devices.len(),
        start.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
        end.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
        tz,
        args.speed
    );
    // At ×1440 one real second is 24 simulated minutes: a one-second timeout would make a
    // slow device miss dozens of polls. Real-time collection keeps the configured timeout.
    let mut collect = config.collect.clone();
    collect.timeout = collect.timeout.min(Duration::from_millis(200));
    // The spool `lantian health --store URL` looks at: `<out>/lantian.db-spool` by default.
    let spool_dir = {
        let mut c = config.clone();
        c.store = store_url.clone();
        c.spool_dir()
    };
    let spool = super::open_spool(config, &spool_dir, &store_url)?;
    let pipeline = Pipeline::start_spooled(
        &devices,
        clock.clone(),
        collect,
        config.aqi,
        store,
        spool,
        &config.spool,
    );

    run_with_progress(&clock, start, end, &pipeline).await;
    // Let the last polls of the period land, then close the final hour.
    clock.sleep_until(end + TimeDelta::seconds(1)).await;
    let spool = pipeline.spool.clone();
    let stats = pipeline.stop().await?;
    sim.stop().await;

    let store = super::open_store_url(&store_url)?;
    print_summary(&registry, store.as_ref(), start, end, &store_url)?;
    // The `forecast` job issues at the last hour of the period (its run at 23:10 local, like
    // `lantian jobs run forecast --at`), so that the daily report shows the next two days.
    let issue = end - TimeDelta::hours(1) + TimeDelta::minutes(10);
    run_jobs_once(
        config,
        &registry,
        &store_url,
        &args.out,
        JobKind::Forecast,
        |_| Some(issue),
    )
    .await?;
    println!(
        "\n{} records written in {} transactions; {:.1} s real time for {} simulated day(s).",
        stats.records,
        stats.transactions,
        real_start.elapsed().as_secs_f64(),
        args.days
    );
    println!(
        "spool {}: {} records spooled, {} replayed from an earlier run, {} store failures; {}.",
        spool_dir.display(),
        stats.spooled,
        stats.replayed,
        stats.store_failures,
        super::spool_line(&spool.snapshot())
    );

    // The `sources` job flags the last day's new episodes, as it would at 07:00 the next
    // morning, so that the daily report lists them.
    run_jobs_once(
        config,
        &registry,
        &store_url,
        &args.out,
        JobKind::Sources,
        |job| job.schedule.next_after(end),
    )
    .await?;

    // Reports of the simulated period: the last day's daily and device-health reports and a
    // ranking of the stations over the period (a year to date ending on the last day).
    write_demo_reports(
        config,
        &registry,
        store.as_ref(),
        &args.out,
        first_day,
        args.days,
    )?;
    Ok(())
}

/// Writes `days` days of simulated hourly history before `start` (see
/// [`lantian::sim::history`]) and computes their AQI.
fn seed_history(
    environment: &Environment,
    registry: &Registry,
    store: &mut dyn Store,
    start: DateTime<Utc>,
    days: u32,
    config: &Config,
) -> anyhow::Result<()> {
    let clock = Instant::now();
    let from = start - TimeDelta::days(i64::from(days));
    let records = lantian::sim::history::hourly_history(
        environment,
        registry,
        from,
        start,
        config.collect.min_valid_minutes,
    );
    for chunk in records.chunks(50_000) {
        store.put_readings(chunk)?;
    }
    let tz = registry.network.time_zone;
    let first = from.with_timezone(&tz).date_naive();
    let last = (start - TimeDelta::hours(1))
        .with_timezone(&tz)
        .date_naive();
    let mut stage = lantian::compute::IndexStage::new(config.aqi);
    for station in &registry.stations {
        stage.recompute(store, &station.id, first, last)?;
    }
    println!(
        "history: {days} day(s) of hourly means from the world model before the collected day(s) \
         ({} records, AQI computed) in {:.1} s",
        records.len(),
        clock.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs the configured jobs of `kind` once, each for the time `when` gives it, recording the
/// runs in the store like `lantian jobs run --at`.
async fn run_jobs_once(
    config: &Config,
    registry: &Registry,
    store_url: &StoreUrl,
    out: &std::path::Path,
    kind: JobKind,
    when: impl Fn(&ScheduledJob) -> Option<DateTime<Utc>>,
) -> anyhow::Result<()> {
    let mut config = config.clone();
    config.store = store_url.clone();
    config.report.out_dir = out.join("reports");
    let jobs = super::jobs::scheduled_jobs(&config, registry)?;
    let log: Arc<std::sync::Mutex<dyn RunLog>> = Arc::new(std::sync::Mutex::new(StoreRunLog(
        super::open_store_url(store_url)?,
    )));
    for (job, cfg) in jobs.iter().zip(config.jobs()) {
        if cfg.kind != kind {
            continue;
        }
        let Some(scheduled) = when(job) else {
            continue;
        };
        match run_once(job, scheduled, &Clock::real(), &log).await.outcome {
            JobOutcome::Succeeded(outputs) => println!("\n{}: {}", job.name, outputs.join("; ")),
            JobOutcome::Failed(e) => println!("\n{} failed: {e}", job.name),
        }
    }
    Ok(())
}

/// Writes the demo's reports into `<out>/reports/` and prints their paths.
fn write_demo_reports(
    config: &Config,
    registry: &Registry,
    store: &dyn Store,
    out: &std::path::Path,
    first_day: chrono::NaiveDate,
    days: u32,
) -> anyhow::Result<()> {
    use lantian::report::{DeviceSpec, Lang, ReportConfig};
    let cfg = ReportConfig {
        out_dir: out.join("reports"),
        lang: config.report.lang,
    };
    std::fs::create_dir_all(&cfg.out_dir)?;
    let name = match cfg.lang {
        Lang::Zh => &registry.network.name,
        Lang::En => &registry.network.name_en,
    };
    let last_day = first_day + Days::new(u64::from(days - 1));
    let period = lantian::assess::Period::YearToDate {
        year: chrono::Datelike::year(&last_day),
        end: Some(last_day),
    };
    let daily = lantian::report::daily_report(store, name, last_day, &cfg)
        .context("writing the daily report")?;
    let ranking = lantian::report::ranking_report(
        store,
        name,
        period,
        lantian::assess::GroupBy::Station,
        &cfg,
    )
    .context("writing the ranking report")?;
    let devices = DeviceSpec::from_registry(registry);
    let health = lantian::report::health_report(store, name, last_day, &devices, &cfg)
        .context("writing the device-health report")?;
    println!("\nreports:");
    for files in [&daily, &ranking, &health] {
        println!("  {}", files.html.display());
    }
    println!("  {}", daily.index.display());
    Ok(())
}

async fn run_with_progress(
    clock: &Clock,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    pipeline: &Pipeline,
) {
    let total = (end - start).num_seconds().max(1) as u64;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} simulated {msg} [{wide_bar}] {percent}% (eta {eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    loop {
        let now = clock.now();
        let health = pipeline.collector.health.snapshot();
        let online = health.iter().filter(|h| h.online).count();
        let spool = pipeline.spool.snapshot();
        let pending = if spool.depth.records > 0 || spool.store_failing {
            format!(" · {} spooled", spool.depth.records)
        } else {
            String::new()
        };
        bar.set_message(format!(
            "{} · {online}/{} devices online{pending}",
            now.format("%H:%M"),
            health.len()
        ));
        bar.set_position((now - start).num_seconds().clamp(0, total as i64) as u64);
        if now >= end {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bar.finish_and_clear();
}

fn print_summary(
    registry: &Registry,
    store: &dyn Store,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    store_url: &StoreUrl,
) -> anyhow::Result<()> {
    let tz = registry.network.time_zone;
    let health = store.health()?;
    let online = health.iter().filter(|h| h.online).count();
    let stations_online = registry
        .stations
        .iter()
        .filter(|s| health.iter().any(|h| h.station == *s.id && h.online))
        .count();
    println!("\n== lantian demo: {} ==", registry.network.name);
    println!("store: {store_url}");
    println!(
        "stations online: {stations_online}/{}   devices online: {online}/{}",
        registry.stations.len(),
        health.len()
    );
    let minutes = store.count_readings(Resolution::Minute)?;
    let hours = store.count_readings(Resolution::Hour)?;
    println!("readings stored: {minutes} minute means, {hours} hourly means");

    // Faults seen: failed polls from device health, flagged data from the minute records.
    let all = ReadingQuery::new(Resolution::Minute, start, end + TimeDelta::minutes(1));
    let mut flagged: BTreeMap<(String, Parameter), BTreeMap<char, usize>> = BTreeMap::new();
    for r in store.readings(&all)? {
        if r.flag != Flag::Normal {
            *flagged
                .entry((r.station.to_string(), r.parameter))
                .or_default()
                .entry(r.flag.code())
                .or_default() += 1;
        }
    }
    print_faults(registry, &health, &flagged);

    // Hourly means of the last hour, per station.
    let last_hour = end;
    let params = [
        Parameter::Pm25,
        Parameter::Pm10,
        Parameter::So2,
        Parameter::No2,
        Parameter::Co,
        Parameter::O3,
        Parameter::WindSpeed,
        Parameter::WindDirection,
    ];
    let query = ReadingQuery::new(
        Resolution::Hour,
        last_hour,
        last_hour + TimeDelta::seconds(1),
    )
    .for_parameters(Parameters::only(params));
    let records = store.readings(&query)?;
    let label = last_hour.with_timezone(&tz);
    println!(
        "\nhour ending {} ({tz}): real-time AQI, the day's AQI (HJ 633, with primary pollutants), \
         hourly means in µg/m³ (CO mg/m³), wind m/s and degrees; * = flagged",
        label.format("%Y-%m-%d %H:%M")
    );
    // The stored indices: real-time AQI of the last hour and the daily AQI of the last day.
    let index_query =
        |resolution, at: DateTime<Utc>| IndexQuery::new(resolution, at, at + TimeDelta::seconds(1));
    let hourly = store.indices(&index_query(Resolution::Hour, last_hour))?;
    let daily = store.indices(&index_query(Resolution::Day, end - TimeDelta::days(1)))?;
    let aqi_cell = |records: &[IndexRecord], id: &str| {
        records
            .iter()
            .find(|r| &*r.station == id)
            .and_then(|r| r.aqi.map(|a| (a, r)))
            .map(|(a, r)| {
                let primary: Vec<&str> = r.primary.iter().map(|p| p.code()).collect();
                let primary = if primary.is_empty() {
                    String::new()
                } else {
                    format!(" {}", primary.join(";"))
                };
                format!("{a} {}{primary}", Category::from_aqi(a).name_zh())
            })
            .unwrap_or_else(|| "—".to_string())
    };
    let mut header = vec!["station", "name", "AQI (hour)", "AQI (day)"];
    header.extend(params.iter().map(|p| p.code()));
    let mut table = Table::new(&header, &params.map(|p| p.code()));
    for s in &registry.stations {
        let mut row = vec![
            s.id.to_string(),
            s.name.clone(),
            aqi_cell(&hourly, &s.id),
            aqi_cell(&daily, &s.id),
        ];
        for p in params {
            let cell = records
                .iter()
                .find(|r| r.station == s.id && r.parameter == p)
                .map(|r| {
                    let digits = if p == Parameter::Co || p == Parameter::WindSpeed {
                        1
                    } else {
                        0
                    };
                    let mark = if r.flag.is_valid() { "" } else { "*" };
                    format!("{:.*}{mark}", digits, r.value)
                })
                .unwrap_or_else(|| "—".to_string());
            row.push(cell);
        }
        table.push(row);
    }
    print!("{}", table.render());
    Ok(())
}

/// Devices that failed polls or produced flagged minutes, worst first.
fn print_faults(
    registry: &Registry,
    health: &[DeviceHealth],
    flagged: &BTreeMap<(String, Parameter), BTreeMap<char, usize>>,
) {
    let tz = registry.network.time_zone;
    let mut rows = Vec::new();
    for h in health {
        let device = registry.devices().find(|d| d.id == h.device);
        let mut flags: BTreeMap<char, usize> = BTreeMap::new();
        for p in device.iter().flat_map(|d| d.profile.parameters()) {
            for (f, n) in flagged.get(&(h.station.clone(), p)).into_iter().flatten() {
                *flags.entry(*f).or_default() = (*flags.get(f).unwrap_or(&0)).max(*n);
            }
        }
        let failed = h.polls - h.successes;
        if failed == 0 && flags.is_empty() {
            continue;
        }
        let flags = flags
            .iter()
            .map(|(f, n)| format!("{f} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let last = h
            .last_failure
            .map(|t| t.with_timezone(&tz).format("%H:%M").to_string())
            .unwrap_or_default();
        rows.push((failed, h, flags, last));
    }
    let skipped: u64 = health.iter().map(|h| h.skipped).sum();
    let skipping = health.iter().filter(|h| h.skipped > 0).count();
    println!(
        "polls skipped because the previous poll was still running: {skipped} (on {skipping} devices)"
    );
    if rows.is_empty() {
        println!("faults seen: none");
        return;
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.device.cmp(&b.1.device)));
    println!(
        "faults seen (flagged minutes per parameter; failed polls; last failure, local time):"
    );
    let mut t = Table::new(
        &[
            "device",
            "online",
            "failed polls",
            "skipped",
            "flagged minutes",
            "last failure",
            "last error",
        ],
        &["failed polls", "skipped"],
    );
    for (failed, h, flags, last) in rows {
        t.push(vec![
            h.device.clone(),
            if h.online { "yes" } else { "no" }.to_string(),
            format!("{failed}/{}", h.polls),
            h.skipped.to_string(),
            flags,
            last,
            h.last_error.clone().unwrap_or_default(),
        ]);
    }
    print!("{}", t.render());
}
