//! `lantian uplink run|status`: the `[[uplink]]` targets on their own (`lantian run` sends
//! them beside the collectors), and where each stands.

use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use lantian::config::Config;
use lantian::store::{StationInfo, network_zone};
use lantian::uplink::{Pending, TargetReport, UplinkTarget, Uplinks, report};

use super::clock_args::ClockArgs;
use super::table::Table;

/// Options of `lantian uplink`.
#[derive(Debug, Args)]
pub(super) struct UplinkArgs {
    #[command(subcommand)]
    command: UplinkCommand,
}

#[derive(Debug, Subcommand)]
enum UplinkCommand {
    /// Send the stored data to the configured platforms until Ctrl-C / SIGTERM (what
    /// `lantian run` does beside the collectors).
    Run(RunArgs),
    /// Where each target stands: connection, last acknowledgement, backlog, last error,
    /// and with --stations each station's position.
    Status(StatusArgs),
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Only these targets (by name; default: every [[uplink]]).
    #[arg(long = "target", value_name = "NAME")]
    targets: Vec<String>,
    #[command(flatten)]
    clock: ClockArgs,
    /// Stop after this many real seconds (default: run until Ctrl-C / SIGTERM).
    #[arg(long, value_name = "SECONDS")]
    duration: Option<f64>,
}

#[derive(Debug, Args)]
struct StatusArgs {
    /// Only these targets (by name).
    #[arg(long = "target", value_name = "NAME")]
    targets: Vec<String>,
    /// Also each station's position (every interval ending before it was acknowledged).
    #[arg(long)]
    stations: bool,
}

/// Runs the chosen subcommand.
pub(super) async fn run(config: &Config, args: UplinkArgs) -> anyhow::Result<()> {
    match args.command {
        UplinkCommand::Run(args) => run_targets(config, args).await,
        UplinkCommand::Status(args) => status(config, &args),
    }
}

/// The configured targets named in `names` (all of them without names).
fn chosen<'c>(config: &'c Config, names: &[String]) -> anyhow::Result<Vec<&'c UplinkTarget>> {
    anyhow::ensure!(
        !config.uplinks.is_empty(),
        "no [[uplink]] target in the configuration"
    );
    for name in names {
        anyhow::ensure!(
            config.uplinks.iter().any(|t| t.name.as_str() == name),
            "no [[uplink]] named `{name}` (configured: {})",
            config
                .uplinks
                .iter()
                .map(|t| t.name.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(config
        .uplinks
        .iter()
        .filter(|t| names.is_empty() || names.iter().any(|n| n == t.name.as_str()))
        .collect())
}

async fn run_targets(config: &Config, args: RunArgs) -> anyhow::Result<()> {
    let targets: Vec<UplinkTarget> = chosen(config, &args.targets)?
        .into_iter()
        .cloned()
        .collect();
    let clock = args.clock.clock()?;
    // On its own the uplink sends the stations of the store, which another process fills.
    let uplinks = start(
        config,
        &targets,
        &[],
        clock,
        Pending::SpoolDir(config.spool_dir()),
    )?;
    match args.duration {
        Some(s) => tokio::time::sleep(Duration::from_secs_f64(s)).await,
        None => super::shutdown_signal().await,
    }
    tracing::info!("stopping the uplink");
    uplinks.stop().await;
    Ok(())
}

/// Starts `targets` reading the configured store (its own connection), on `clock`, for the
/// store's stations and `registered` (the registry's, which the collectors register).
pub(super) fn start(
    config: &Config,
    targets: &[UplinkTarget],
    registered: &[StationInfo],
    clock: lantian::clock::Clock,
    pending: Pending,
) -> anyhow::Result<Uplinks> {
    let store = super::open_store(config)?;
    Ok(Uplinks::start(
        targets,
        registered,
        store,
        &config.store,
        &config.uplink_dir(),
        clock,
        pending,
    )?)
}

fn status(config: &Config, args: &StatusArgs) -> anyhow::Result<()> {
    let targets = chosen(config, &args.targets)?;
    let dir = config.uplink_dir();
    let tz = super::open_store(config)
        .and_then(|s| Ok(network_zone(&s.stations()?)))
        .unwrap_or(chrono_tz::Asia::Shanghai);
    let local = |t: Option<DateTime<Utc>>| {
        t.map(|t| t.with_timezone(&tz).format("%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| "—".into())
    };
    let mut table = Table::new(
        &[
            "target",
            "address",
            "state",
            "last ack",
            "sent through",
            "backlog h",
            "backlog intervals",
            "acknowledged",
            "resent",
            "last error",
        ],
        &["backlog h", "backlog intervals", "acknowledged", "resent"],
    );
    let mut positions = Vec::new();
    for target in targets {
        let r = report(&dir, target.name.as_str())?;
        let s = r.status.as_ref();
        table.push(vec![
            target.name.to_string(),
            target.address.to_string(),
            state_word(&r),
            local(s.and_then(|s| s.last_ack)),
            local(s.and_then(|s| s.sent_through)),
            s.map_or("—".into(), |s| format!("{:.1}", s.backlog_hours)),
            s.map_or("—".into(), |s| s.backlog_intervals.to_string()),
            s.map_or("—".into(), |s| s.acknowledged.to_string()),
            s.map_or("—".into(), |s| s.resent.to_string()),
            s.and_then(|s| s.last_error.clone()).unwrap_or_default(),
        ]);
        for (station, through) in r.positions {
            positions.push(vec![target.name.to_string(), station, local(Some(through))]);
        }
    }
    print!("{}", table.render());
    if args.stations {
        let mut table = Table::new(&["target", "station", "sent through"], &[]);
        for row in positions {
            table.push(row);
        }
        print!("\n{}", table.render());
    }
    eprintln!("times in {tz}; state in {}", dir.display());
    Ok(())
}

/// `connected`, `disconnected`, `not running` (a stale state file) or `never ran`.
fn state_word(r: &TargetReport) -> String {
    match &r.status {
        None => "never ran".into(),
        Some(s) if s.is_stale(Utc::now()) => "not running".into(),
        Some(s) if s.connected => "connected".into(),
        Some(_) => "DISCONNECTED".into(),
    }
}

/// One line per target for `lantian health`.
pub(super) fn health_lines(config: &Config, tz: chrono_tz::Tz) -> Vec<String> {
    let dir = config.uplink_dir();
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%m-%d %H:%M:%S").to_string();
    config
        .uplinks
        .iter()
        .map(|target| {
            let head = format!("uplink {} → {}", target.name, target.address);
            match report(&dir, target.name.as_str()) {
                Err(e) => format!("{head}: {e}"),
                Ok(r) => {
                    let word = state_word(&r);
                    let Some(s) = r.status else {
                        return format!("{head}: {word}");
                    };
                    let mut line = format!(
                        "{head}: {word}; last acknowledgement {}; backlog {:.1} h ({} intervals)",
                        s.last_ack.map(local).unwrap_or_else(|| "never".into()),
                        s.backlog_hours,
                        s.backlog_intervals
                    );
                    if let (Some(e), Some(at)) = (&s.last_error, s.last_error_at) {
                        line.push_str(&format!("; last error {}: {e}", local(at)));
                    }
                    line
                }
            }
        })
        .collect()
}
