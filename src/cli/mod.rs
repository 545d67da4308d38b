//! Command-line interface: argument parsing and the commands.

mod alarms;
mod aqi;
mod clock_args;
mod collect;
mod compute;
mod demo;
mod forecast;
mod health;
mod hj212;
mod import;
mod jobs;
pub(crate) mod malloc;
mod migrate;
mod network;
#[cfg(feature = "notify")]
mod notify;
mod nowcast;
mod probe;
mod query;
mod rank;
#[cfg(feature = "reports")]
mod report;
#[cfg(feature = "web")]
mod serve;
mod sim;
#[cfg(all(feature = "analysis", feature = "reports"))]
mod source_flags;
#[cfg(all(feature = "analysis", feature = "reports"))]
mod sources;
mod stations;
mod table;
mod uplink;
#[cfg(feature = "web")]
mod users;

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};
use lantian::config::Config;
use lantian::registry::Registry;
use lantian::store::spool::Spool;
use lantian::store::{Store, StoreUrl};

/// lantian (蓝天) — air-quality monitoring: collect readings from monitoring stations over
/// Modbus, store them, and turn them into AQI, rankings, source analyses and reports.
#[derive(Debug, Parser)]
#[command(name = "lantian", version, propagate_version = true)]
pub(crate) struct Cli {
    /// Configuration file [default: lantian.toml if present, else built-in defaults].
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Network registry file (overrides the configuration).
    #[arg(long, global = true, value_name = "FILE")]
    registry: Option<PathBuf>,
    /// Store URL (overrides the configuration): `sqlite:lantian.db` (or a path ending in .db,
    /// .sqlite, .sqlite3; relative to the working directory), `influx+http://HOST:8086?db=NAME`
    /// (InfluxDB 1.x) or `influx+https://HOST?org=ORG&bucket=B` (2.x/3.x; token from
    /// INFLUX_TOKEN).
    #[arg(long, global = true, value_name = "URL")]
    store: Option<StoreUrl>,
    /// More log output (-v debug, -vv trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on the console.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole pipeline on a simulated network: simulator → Modbus → collectors → store,
    /// one or more simulated days at high speed, then a summary.
    Demo(demo::DemoArgs),
    /// Serve the simulated stations over Modbus (TCP, RTU, RTU over TCP) until Ctrl-C.
    Sim(sim::SimArgs),
    /// Poll the network's devices and store their readings until Ctrl-C.
    Collect(collect::CollectArgs),
    /// The production mode: collectors, the store pipeline and the scheduled jobs (reports,
    /// index recomputation, source flags, forecasts) together, until Ctrl-C / SIGTERM.
    Run(collect::CollectArgs),
    /// List the scheduled jobs, or run one by hand (also for a past time: a backfill).
    Jobs(jobs::JobsArgs),
    /// List the stations and devices of the registry (and validate it: errors, warnings,
    /// profiles no device uses).
    Stations(stations::StationsArgs),
    /// Read a device once through a profile: raw words beside decoded values, units, flags
    /// and status bits, to check a profile against the instrument's front panel.
    Probe(probe::ProbeArgs),
    /// Print stored readings (or, with --aqi, the stored hourly and daily AQI) as a table or CSV.
    Query(query::QueryArgs),
    /// Show every device's health (online, success ratio, latency, status bits, last error;
    /// for HJ 212 loggers also their peer address, gaps and rejected packets by cause).
    Health(health::HealthArgs),
    /// List the alarms (newest first), show one with its evidence and audit log, or take a
    /// step: ack, assign, comment, close.
    Alarms(alarms::AlarmsArgs),
    /// Rank stations or districts by the comprehensive index over a period (HJ 663).
    Rank(rank::RankArgs),
    /// Write a report: the daily report, a ranking report or the device-health report (HTML
    /// with charts, under the configured folder).
    #[cfg(feature = "reports")]
    Report(report::ReportArgs),
    /// Compute HJ 633 or EPA AQI for a CSV of concentrations (see --help for the columns).
    Aqi(aqi::AqiArgs),
    /// Compute the EPA NowCast of hourly PM or ozone from a CSV (see --help).
    Nowcast(nowcast::NowcastArgs),
    /// Recompute the stored hourly and daily AQI from the stored hourly means.
    Compute(compute::ComputeArgs),
    /// Load historical hourly data from files (Beijing PRSA, openair, wide CSV) into the store.
    Import(import::ImportArgs),
    /// Where pollution comes from: CPF bearings, located sources, local vs regional episodes
    /// with source types, factors (and charts with --plots); `sources flags` lists stored flags.
    #[cfg(all(feature = "analysis", feature = "reports"))]
    Sources(sources::SourcesArgs),
    /// Forecast PM2.5, PM10, O3 and AQI 1–72 h ahead: train models, backtest them, issue a
    /// forecast, score the stored forecasts (live skill).
    Forecast(forecast::ForecastArgs),
    /// HJ 212, the national data-transmission protocol: decode packets from a log.
    Hj212(hj212::Hj212Args),
    /// Copy every kind of data from one store to another: stations, readings, indices, job
    /// runs, source flags, forecasts, alarms and device health.
    Migrate(migrate::MigrateArgs),
    /// Send the stored data to provincial/national platforms over HJ 212 (the [[uplink]]
    /// targets; `lantian run` does it too), or show where each target stands.
    Uplink(uplink::UplinkArgs),
    /// Serve the web platform (pages, `/api/v1`, live updates) over the store until Ctrl-C
    /// (`lantian run` serves it too when `[web] listen` is set).
    #[cfg(feature = "web")]
    Serve(serve::ServeArgs),
    /// The web platform's users and API tokens: add, list, passwd, disable, enable, role,
    /// token, tokens, revoke, audit.
    #[cfg(feature = "web")]
    Users(users::UsersArgs),
}

impl Cli {
    /// Whether the command runs until stopped (a service), rather than doing one thing and
    /// exiting: such commands get [`malloc::TUNABLES`].
    pub(crate) fn runs_until_stopped(&self) -> bool {
        match self.command {
            Command::Demo(_)
            | Command::Sim(_)
            | Command::Collect(_)
            | Command::Run(_)
            | Command::Uplink(_) => true,
            #[cfg(feature = "web")]
            Command::Serve(_) => true,
            _ => false,
        }
    }
}

/// Sets up `tracing` output on stderr.
pub(crate) fn init_logging(verbose: u8, quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "info",
        (false, 1) => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("lantian={level},warn")));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Runs the chosen command.
pub(crate) async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = match &cli.config {
        Some(path) => Config::load(path)?,
        None if Path::new("lantian.toml").exists() => Config::load(Path::new("lantian.toml"))?,
        None => Config::default(),
    };
    if let Some(registry) = cli.registry {
        config.registry = registry;
    }
    if let Some(store) = cli.store.clone() {
        config.store = store;
    }
    match cli.command {
        Command::Demo(args) => demo::run(&config, cli.store.is_some(), args).await,
        Command::Sim(args) => sim::run(&config, args).await,
        Command::Collect(args) => collect::run(&config, args, false).await,
        Command::Run(args) => collect::run(&config, args, true).await,
        Command::Jobs(args) => jobs::run(&config, args).await,
        Command::Stations(args) => stations::run(&config, args),
        Command::Probe(args) => probe::run(&config, args).await,
        Command::Query(args) => query::run(&config, args),
        Command::Health(args) => health::run(&config, args),
        Command::Alarms(args) => alarms::run(&config, args),
        Command::Rank(args) => rank::run(&config, args),
        #[cfg(feature = "reports")]
        Command::Report(args) => report::run(&config, args),
        Command::Aqi(args) => aqi::run(args),
        Command::Nowcast(args) => nowcast::run(args),
        Command::Import(args) => import::run(&config, args),
        Command::Compute(args) => compute::run(&config, args),
        Command::Migrate(args) => migrate::run(args),
        Command::Hj212(args) => hj212::run(&config, args).await,
        #[cfg(all(feature = "analysis", feature = "reports"))]
        Command::Sources(args) => sources::run(&config, args),
        Command::Forecast(args) => forecast::run(&config, args),
        Command::Uplink(args) => uplink::run(&config, args).await,
        #[cfg(feature = "web")]
        Command::Serve(args) => serve::run(&config, args).await,
        #[cfg(feature = "web")]
        Command::Users(args) => users::run(&config, args),
    }
}

/// Loads the registry named by the configuration, logging its warnings.
fn load_registry(config: &Config) -> anyhow::Result<Registry> {
    let registry = Registry::load(&config.registry)?;
    for w in &registry.warnings {
        tracing::warn!("{w}");
    }
    Ok(registry)
}

/// Opens the configured store.
/// The alarm stage of the configuration's rules over the registry's network, on `clock`, with
/// a second handle of the store for job runs, forecasts and source flags, the jobs' attempts,
/// and the store's and spool's filesystems for the disk rule.
fn alarm_stage(
    config: &Config,
    registry: &Registry,
    clock: lantian::clock::Clock,
) -> anyhow::Result<lantian::alarms::rules::stage::AlarmStage> {
    use lantian::alarms::rules::{scope::NetworkModel, stage::AlarmStage};
    let network = NetworkModel::from_registry(registry);
    let attempts = config
        .jobs()
        .iter()
        .map(|j| (j.name.clone(), j.retry.attempts + 1))
        .collect();
    let mut disks = vec![config.spool_dir()];
    match &config.store {
        StoreUrl::Sqlite(path) => {
            disks.push(
                path.parent()
                    .map_or_else(|| ".".into(), |p| p.to_path_buf()),
            );
        }
        #[cfg(feature = "influxdb")]
        _ => {}
    }
    let disks = disks
        .into_iter()
        .map(|d| {
            if d.as_os_str().is_empty() {
                ".".into()
            } else {
                d
            }
        })
        .collect();
    Ok(AlarmStage::new(
        config.alarm_settings.clone(),
        &config.alarms,
        network,
        clock,
    )?
    .with_reader(open_store(config)?)
    .with_jobs(attempts)
    .with_disks(disks)
    .with_min_valid_minutes(config.collect.min_valid_minutes))
}

/// The alarm stage of [`alarm_stage`], with its changes handed to `notifier` (when
/// notifications are configured): each step people hear of becomes a notice, routed and
/// written to the durable outbox by the forwarder's thread before it goes on.
#[cfg(feature = "notify")]
fn notifying_alarm_stage(
    config: &Config,
    registry: &Registry,
    clock: lantian::clock::Clock,
    notifier: Option<std::sync::Arc<lantian::notify::Notifier>>,
) -> anyhow::Result<lantian::alarms::rules::stage::AlarmStage> {
    let stage = alarm_stage(config, registry, clock)?;
    let Some(notifier) = notifier else {
        return Ok(stage);
    };
    let notices = lantian::notify::ChangeNotices::new(notifier, &registry.station_infos());
    Ok(stage.with_hook(move |changes| notices.send(changes)))
}

fn open_store(config: &Config) -> anyhow::Result<Box<dyn Store>> {
    open_store_url(&config.store)
}

/// Opens the store at `url` ([`lantian::store::open`], as the jobs do).
fn open_store_url(url: &StoreUrl) -> anyhow::Result<Box<dyn Store>> {
    lantian::store::open(url).with_context(|| format!("opening store {url}"))
}

/// Opens the store at `url` for a bulk writer that closes it when done
/// ([`lantian::store::open_bulk`]: a SQLite store's large page cache).
fn open_bulk_store_url(url: &StoreUrl) -> anyhow::Result<Box<dyn Store>> {
    lantian::store::open_bulk(url).with_context(|| format!("opening store {url}"))
}

/// Smallest `[spool] max_bytes`: room for a few of the sink's largest batches.
const MIN_SPOOL_BYTES: u64 = 16 << 20;

/// Opens the spool in `dir` for the store `url` ([`Spool::open_for`]: a spool belongs to one
/// store).
fn open_spool(config: &Config, dir: &Path, url: &StoreUrl) -> anyhow::Result<Spool> {
    anyhow::ensure!(
        config.spool.max_bytes >= MIN_SPOOL_BYTES,
        "[spool] max_bytes must be at least {MIN_SPOOL_BYTES} (16 MiB)"
    );
    Spool::open_for(dir, config.spool.max_bytes, url)
        .with_context(|| format!("opening the spool {}", dir.display()))
}

/// Starts the configured store pipeline — spool → store → index stage — polling `devices`
/// (none for `lantian hj212 listen`, whose listener sends to [`Pipeline::intake`]). The
/// registry's stations are registered in the store by the forwarder, before its first write:
/// collection starts (and spools) while the store is down.
fn start_pipeline(
    config: &Config,
    registry: &Registry,
    devices: &[lantian::registry::Device],
    clock: &lantian::clock::Clock,
    store: Box<dyn Store>,
    alarms: Option<lantian::alarms::rules::stage::AlarmStage>,
) -> anyhow::Result<lantian::collect::Pipeline> {
    let spool = open_spool(config, &config.spool_dir(), &config.store)?;
    Ok(lantian::collect::Pipeline::start_spooled(
        devices,
        clock.clone(),
        config.collect.clone(),
        lantian::collect::Stages {
            index: config.aqi,
            alarms,
            stations: registry.station_infos(),
        },
        store,
        spool,
        &config.spool,
    ))
}

/// One line about the spool and the store, for progress and summaries.
fn spool_line(s: &lantian::collect::SpoolSnapshot) -> String {
    let mut line = if s.depth.records == 0 {
        "spool empty".to_string()
    } else {
        format!(
            "spool {} records ({:.1} MiB) pending, oldest reading {}",
            s.depth.records,
            s.depth.bytes as f64 / (1 << 20) as f64,
            s.oldest
                .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                .unwrap_or_default()
        )
    };
    if s.full {
        line.push_str(" — FULL, collectors paused");
    }
    if let Some(e) = &s.disk_full {
        line.push_str(&format!(
            " — DISK FULL, records held in memory until there is room: {e}"
        ));
    }
    if s.quarantined > 0 {
        line.push_str(&format!(
            "; {} records rejected by the store, set aside in {}",
            s.quarantined,
            s.quarantine_file
                .as_deref()
                .map_or("the log (in-memory spool)".to_string(), |p| p
                    .display()
                    .to_string())
        ));
    }
    if s.store_failing {
        line.push_str(&format!(
            "; store failing since {}: {}",
            s.failing_since
                .map(|t| t.format("%H:%M:%S UTC").to_string())
                .unwrap_or_default(),
            s.store_error.as_deref().unwrap_or("")
        ));
    }
    line
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
