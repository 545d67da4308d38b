//! The demo: the whole pipeline on a simulated network, end to end — simulated history from
//! the world model, the simulator serving the network over Modbus on loopback (and its HJ 212
//! micro-stations uploading to a listener), the collectors and the store pipeline with the
//! alarm stage on an accelerated clock, then the `forecast` and `sources` jobs and the reports
//! of the last day. Its notifications go to a receiver on loopback that writes them to a file
//! ([`receiver`]), never to the configured channels.
//!
//! [`run`] does the work and tells its caller what happened as it goes ([`DemoEvent`]); the
//! `lantian demo` command prints it.

mod hj212;
#[cfg(feature = "notify")]
pub mod receiver;
mod summary;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[cfg(feature = "reports")]
use chrono::Datelike;
use chrono::{DateTime, Days, NaiveDate, TimeDelta, TimeZone, Utc};

use crate::alarms::rules::stage::AlarmStage;
use crate::assess::DateRange;
#[cfg(feature = "reports")]
use crate::assess::{GroupBy, Period};
use crate::clock::Clock;
use crate::collect::sink::{SinkError, SinkStats};
use crate::collect::{Pipeline, SpoolSnapshot, Stages};
use crate::compute::{RecomputeError, recompute_days};
use crate::config::Config;
use crate::jobs::config::JobKind;
use crate::jobs::kinds::{JobConfigError, JobContext, OpenStore, build_jobs};
use crate::jobs::scheduler::{RunLog, ScheduledJob, StoreRunLog, run_once};
use crate::registry::Registry;
use crate::report::ReportConfig;
#[cfg(feature = "reports")]
use crate::report::{
    DeviceSpec, ReportError, ReportFiles, daily_report, health_report, ranking_report,
};
use crate::sim::environment::{Environment, FaultError};
use crate::sim::scenario::Scenario;
use crate::sim::server::{Bind, SimError, Simulator};
use crate::store::spool::Spool;
use crate::store::{JobRun, Store, StoreError};

pub use hj212::{Hj212DemoError, Hj212Summary};
pub use summary::{AlarmsRaised, Collected, DeviceFaults, SHOWN_PARAMETERS, StationHour};

/// An error of the caller's making, passed through (building the alarm stage).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Builds the demo's alarm stage over the network as the demo serves it, on the demo's
/// accelerated clock (the caller wires its notifications).
pub type MakeAlarmStage = Box<dyn FnOnce(&Registry, Clock) -> Result<AlarmStage, BoxError>>;

/// What to simulate.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Folder for the reports (`<out>/reports`).
    pub out: PathBuf,
    /// Simulated days (at least 1).
    pub days: u32,
    /// Simulated seconds per real second.
    pub speed: f64,
    /// First simulated local day [default: yesterday in the network's time zone].
    pub first_day: Option<NaiveDate>,
    /// Days of hourly history from the world model before the collected days (0: none).
    pub history_days: u32,
}

/// Where the demo keeps what it collects.
pub struct DemoStore {
    /// The store, opened.
    pub store: Box<dyn Store>,
    /// Opens it again (the jobs and the reports, after the collectors).
    pub reopen: OpenStore,
    /// The spool in front of it.
    pub spool: Spool,
}

/// What the demo did, as it goes.
#[derive(Debug)]
pub enum DemoEvent<'a> {
    /// The simulated history was stored and its AQI computed.
    History(&'a History),
    /// Collecting (every 200 ms of real time, the last one `done`).
    Collecting(&'a Collecting),
    /// The collected days, read back from the store.
    Collected(&'a Collected),
    /// A job ran (the `forecast` job at the last hour; the `sources` job the next morning).
    JobRan(&'a JobRun),
    /// The alarms the collected days raised, read back from the store.
    Alarms(&'a AlarmsRaised),
    /// What the HJ 212 loggers sent and the listener took (when the network has some).
    Hj212(&'a Hj212Summary),
    /// What the pipeline stored.
    Stored(&'a Stored),
    /// The reports of the last day.
    #[cfg(feature = "reports")]
    Reports(&'a Reports),
}

/// The simulated history.
#[derive(Debug, Clone, Copy)]
pub struct History {
    /// Days of history.
    pub days: u32,
    /// Hourly records written.
    pub records: usize,
    /// Real time taken.
    pub took: Duration,
}

/// Progress of the collection.
#[derive(Debug, Clone, Copy)]
pub struct Collecting {
    /// The simulated time.
    pub now: DateTime<Utc>,
    /// The simulated period.
    pub start: DateTime<Utc>,
    /// Its end.
    pub end: DateTime<Utc>,
    /// Devices online.
    pub devices_online: usize,
    /// Devices.
    pub devices: usize,
    /// Records waiting in the spool, when there are some or the store is failing.
    pub spooled: Option<u64>,
    /// The period is over.
    pub done: bool,
}

/// What the collectors' pipeline stored.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The sink's counts.
    pub stats: SinkStats,
    /// The spool at the end.
    pub spool: SpoolSnapshot,
    /// Real time since the demo started.
    pub real_time: Duration,
}

/// The reports written.
#[cfg(feature = "reports")]
#[derive(Debug, Clone)]
pub struct Reports {
    /// The daily report of the last day.
    pub daily: ReportFiles,
    /// The stations' ranking, year to date on the last day.
    pub ranking: ReportFiles,
    /// The device-health report of the last day.
    pub health: ReportFiles,
}

/// Why the demo failed.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// An option is out of range.
    #[error("{0}")]
    Option(&'static str),
    /// The first day's local midnight does not exist.
    #[error("local midnight of {0} does not exist")]
    Midnight(NaiveDate),
    /// The scenario's faults do not fit the network.
    #[error(transparent)]
    Scenario(#[from] FaultError),
    /// The simulator could not start.
    #[error("starting the simulator")]
    Simulator(#[source] SimError),
    /// The HJ 212 station group could not start.
    #[error("starting the HJ 212 loggers")]
    Hj212(#[source] Hj212DemoError),
    /// The alarm stage could not be built.
    #[error("building the alarm stage")]
    Alarms(#[source] BoxError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Computing the history's AQI failed.
    #[error(transparent)]
    Indices(#[from] RecomputeError),
    /// The pipeline ended with an error.
    #[error(transparent)]
    Sink(#[from] SinkError),
    /// The configured jobs are wrong.
    #[error(transparent)]
    Jobs(#[from] JobConfigError),
    /// A report could not be written.
    #[cfg(feature = "reports")]
    #[error("writing the {what} report")]
    Report {
        /// Which.
        what: &'static str,
        /// Why.
        #[source]
        source: ReportError,
    },
    /// The reports' folder could not be created.
    #[cfg(feature = "reports")]
    #[error("{}: {source}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Runs the demo on `registry`'s network with `scenario` (see the [module
/// documentation](self)), with `config`'s collector, AQI, spool, report language and jobs;
/// with the alarm stage `alarms` builds when given.
pub async fn run(
    config: &Config,
    mut registry: Registry,
    scenario: Scenario,
    store: DemoStore,
    options: &DemoOptions,
    alarms: Option<MakeAlarmStage>,
    mut events: impl FnMut(DemoEvent<'_>),
) -> Result<(), DemoError> {
    if options.days < 1 {
        return Err(DemoError::Option("--days must be at least 1"));
    }
    if !(options.speed.is_finite() && options.speed > 0.0) {
        return Err(DemoError::Option("--speed must be positive"));
    }
    let real_start = Instant::now();
    let tz = registry.network.time_zone;
    // The simulated period: whole local days, starting at local midnight.
    let first_day = options
        .first_day
        .unwrap_or_else(|| Utc::now().with_timezone(&tz).date_naive() - Days::new(1));
    let start = tz
        .from_local_datetime(&first_day.and_time(Default::default()))
        .earliest()
        .ok_or(DemoError::Midnight(first_day))?
        .to_utc();
    let end = start + TimeDelta::days(i64::from(options.days));
    let environment = Arc::new(Environment::new(scenario, &registry, start)?);

    let DemoStore {
        mut store,
        reopen,
        spool,
    } = store;
    store.put_stations(&registry.station_infos())?;
    if options.history_days > 0 {
        let history = seed_history(
            &environment,
            &registry,
            store.as_mut(),
            start,
            options,
            config,
        )?;
        events(DemoEvent::History(&history));
    }
    // The scaled clock starts only now, after the history (seconds of real time, hours at
    // ×1440), a few simulated seconds early so that the first polls land at midnight.
    let clock = Clock::scaled(start - TimeDelta::seconds(5), options.speed);
    let sim = Simulator::start(
        &registry,
        environment.clone(),
        clock.clone(),
        Bind::Loopback(Default::default()),
    )
    .await
    .map_err(DemoError::Simulator)?;
    sim.redirect(&mut registry);
    let devices: Vec<_> = registry.devices().cloned().collect();
    tracing::info!(
        "demo: {} stations, {} devices over Modbus TCP on loopback; {} → {} ({}) at ×{}",
        registry.stations.len(),
        devices.len(),
        start.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
        end.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
        tz,
        options.speed
    );
    // At ×1440 one real second is 24 simulated minutes: a one-second timeout would make a
    // slow device miss dozens of polls. Real-time collection keeps the configured timeout.
    let mut collect = config.collect.clone();
    collect.timeout = collect.timeout.min(Duration::from_millis(200));
    let alarms = match alarms {
        Some(make) => Some(make(&registry, clock.clone()).map_err(DemoError::Alarms)?),
        None => None,
    };
    let pipeline = Pipeline::start_spooled(
        &devices,
        clock.clone(),
        collect,
        Stages {
            index: config.aqi,
            alarms,
            // Registered above, before the history.
            stations: Vec::new(),
        },
        store,
        spool,
        &config.spool,
    );
    // Likewise the HJ 212 loggers send a day's packets in a minute: no throttling at the
    // listener's real-time default.
    let mut listen = config.hj212.clone();
    listen.max_packets_per_second = listen.max_packets_per_second.max(10_000);
    let hj212 = hj212::Hj212Group::start(
        &mut registry,
        &environment,
        &clock,
        &pipeline,
        &listen,
        &options.out,
    )
    .await
    .map_err(DemoError::Hj212)?;
    follow(&clock, start, end, &pipeline, &mut events).await;
    // Let the last polls of the period land, then close the final hour.
    clock.sleep_until(end + TimeDelta::seconds(1)).await;
    let hj212 = match hj212 {
        Some(group) => Some(group.stop().await),
        None => None,
    };
    let spool = pipeline.spool.clone();
    let stats = pipeline.stop().await?;
    sim.stop().await;

    let store = reopen()?;
    events(DemoEvent::Collected(&summary::collected(
        &registry,
        store.as_ref(),
        start,
        end,
    )?));
    events(DemoEvent::Alarms(&summary::alarms_raised(
        &registry,
        store.as_ref(),
        start,
        end,
    )?));
    let reports = ReportConfig {
        out_dir: options.out.join("reports"),
        lang: config.report.lang,
    };
    let context = JobContext::new(&registry, reports.clone(), config.aqi, reopen.clone());
    let jobs = build_jobs(&config.jobs(), &context)?;
    let log: Arc<Mutex<dyn RunLog>> = Arc::new(Mutex::new(StoreRunLog(reopen()?)));
    // The `forecast` job issues at the last hour of the period (its run at 23:10 local, like
    // `lantian jobs run forecast --at`), so that the daily report shows the next two days.
    let issue = end - TimeDelta::hours(1) + TimeDelta::minutes(10);
    for job in jobs_of(&jobs, |k| matches!(k, JobKind::Forecast { .. })) {
        events(DemoEvent::JobRan(
            &run_once(job, issue, &Clock::real(), &log).await,
        ));
    }
    if let Some(summary) = &hj212 {
        events(DemoEvent::Hj212(summary));
    }
    events(DemoEvent::Stored(&Stored {
        stats,
        spool: spool.snapshot(),
        real_time: real_start.elapsed(),
    }));
    // The `sources` job flags the last day's new episodes, as it would at 07:00 the next
    // morning, so that the daily report lists them.
    for job in jobs_of(&jobs, |k| matches!(k, JobKind::Sources { .. })) {
        if let Some(morning) = job.schedule.next_after(end) {
            events(DemoEvent::JobRan(
                &run_once(job, morning, &Clock::real(), &log).await,
            ));
        }
    }
    // A build without the `reports` feature ends with what it stored.
    #[cfg(feature = "reports")]
    {
        let last_day = first_day + Days::new(u64::from(options.days - 1));
        let reports = write_reports(&registry, store.as_ref(), &reports, last_day)?;
        events(DemoEvent::Reports(&reports));
    }
    Ok(())
}

/// The jobs whose kind `is` holds for, in the configuration's order.
fn jobs_of(
    jobs: &[ScheduledJob],
    is: impl Fn(&JobKind) -> bool,
) -> impl Iterator<Item = &ScheduledJob> {
    jobs.iter().filter(move |j| is(&j.kind))
}

/// Writes `options.history_days` days of simulated hourly history before `start` (see
/// [`crate::sim::history`]) and computes their AQI.
fn seed_history(
    environment: &Environment,
    registry: &Registry,
    store: &mut dyn Store,
    start: DateTime<Utc>,
    options: &DemoOptions,
    config: &Config,
) -> Result<History, DemoError> {
    let clock = Instant::now();
    let from = start - TimeDelta::days(i64::from(options.history_days));
    let records = crate::sim::history::hourly_history(
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
    let days = DateRange {
        first: from.with_timezone(&tz).date_naive(),
        last: (start - TimeDelta::hours(1))
            .with_timezone(&tz)
            .date_naive(),
    };
    let stations: Vec<String> = registry.stations.iter().map(|s| s.id.to_string()).collect();
    recompute_days(store, config.aqi, &stations, days)?;
    Ok(History {
        days: options.history_days,
        records: records.len(),
        took: clock.elapsed(),
    })
}

/// Reports the collection's progress every 200 ms of real time until the period is over.
async fn follow(
    clock: &Clock,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    pipeline: &Pipeline,
    events: &mut impl FnMut(DemoEvent<'_>),
) {
    loop {
        let now = clock.now();
        let health = pipeline.collector.health.snapshot();
        let spool = pipeline.spool.snapshot();
        let progress = Collecting {
            now,
            start,
            end,
            devices_online: health.iter().filter(|h| h.online).count(),
            devices: health.len(),
            spooled: (spool.depth.records > 0 || spool.store_failing)
                .then_some(spool.depth.records),
            done: now >= end,
        };
        events(DemoEvent::Collecting(&progress));
        if progress.done {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg(feature = "reports")]
/// Writes the last day's daily and device-health reports and a ranking of the stations over
/// the year to the last day.
fn write_reports(
    registry: &Registry,
    store: &dyn Store,
    config: &ReportConfig,
    last_day: NaiveDate,
) -> Result<Reports, DemoError> {
    std::fs::create_dir_all(&config.out_dir).map_err(|source| DemoError::Folder {
        path: config.out_dir.clone(),
        source,
    })?;
    let network = &registry.network;
    let name = config.lang.pick(&network.name, &network.name_en);
    let period = Period::YearToDate {
        year: last_day.year(),
        end: Some(last_day),
    };
    let report = |what| move |source| DemoError::Report { what, source };
    Ok(Reports {
        daily: daily_report(store, name, last_day, config).map_err(report("daily"))?,
        ranking: ranking_report(store, name, period, GroupBy::Station, config)
            .map_err(report("ranking"))?,
        health: health_report(
            store,
            name,
            last_day,
            &DeviceSpec::from_registry(registry),
            config,
        )
        .map_err(report("device-health"))?,
    })
}
