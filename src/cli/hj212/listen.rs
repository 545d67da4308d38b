//! `lantian hj212 listen`: the HJ 212 ingest server on its own — loggers' data into the store
//! through the spool, with the index stage — and the listener `lantian run` starts with
//! `[hj212] listen`.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use lantian::clock::Clock;
use lantian::collect::Pipeline;
use lantian::collect::hj212::{
    CountersSnapshot, Hj212Listener, LoggerCommand, LoggerControl, Loggers,
};
use lantian::config::Config;
use lantian::registry::{Registry, RtdInterval};

/// Where `lantian hj212 listen` listens without `--listen` or `[hj212] listen`.
const DEFAULT_LISTEN: &str = "127.0.0.1:9212";

/// Options of `lantian hj212 listen`.
#[derive(Debug, Args)]
pub(crate) struct ListenArgs {
    /// Address to listen on [default: `[hj212] listen`, else 127.0.0.1:9212]. A non-loopback
    /// address is taken with a warning.
    #[arg(long, value_name = "HOST:PORT")]
    listen: Option<SocketAddr>,
    /// Set each logger's clock (1012) when it first logs in (besides the automatic setting of
    /// clocks off by more than `[hj212] max_clock_drift_s`).
    #[arg(long)]
    set_time: bool,
    /// Set each logger's real-time interval (1062, 30–3600 s) when it first logs in (a
    /// logger's `rtd_interval` in the network file is set at every login without this).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(30..=3600))]
    rtd_interval: Option<u32>,
    /// Stop after this many real seconds (default: run until Ctrl-C / SIGTERM).
    #[arg(long, value_name = "SECONDS")]
    duration: Option<f64>,
    /// Seconds between progress lines.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    report_every: f64,
}

/// Serves the registry's HJ 212 loggers until stopped.
pub(crate) async fn run(config: &Config, args: ListenArgs) -> anyhow::Result<()> {
    let registry = super::super::load_registry(config)?;
    let addr = args
        .listen
        .or(config.hj212.listen)
        .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("a socket address"));
    let store = super::super::open_store(config)?;
    let clock = Clock::real();
    let pipeline = super::super::start_pipeline(config, &registry, &[], &clock, store, None)?;
    let listener = start(config, &registry, addr, clock, &pipeline).await?;
    let commands = LoginCommands {
        set_time: args.set_time,
        // clap checked the range.
        rtd_interval: args.rtd_interval.and_then(RtdInterval::from_seconds),
        done: HashSet::new(),
    };
    let stop = async {
        match args.duration {
            Some(s) => tokio::time::sleep(Duration::from_secs_f64(s)).await,
            None => super::super::shutdown_signal().await,
        }
    };
    tokio::pin!(stop);
    let mut report = tokio::time::interval(Duration::from_secs_f64(args.report_every.max(0.1)));
    report.tick().await;
    let mut check = tokio::time::interval(Duration::from_secs(1));
    let mut commands = commands;
    loop {
        tokio::select! {
            () = &mut stop => break,
            _ = report.tick() => tracing::info!(
                "{}; {}",
                counters_line(&listener.counters()),
                super::super::spool_line(&pipeline.spool.snapshot())
            ),
            _ = check.tick(), if commands.any() => commands.send(&listener.control()).await,
        }
    }
    tracing::info!("stopping: closing connections, writing what was received");
    let counters = listener.counters();
    listener.stop().await;
    let stats = pipeline.stop().await?;
    tracing::info!(
        "{}; stored {} records ({} replayed from the spool, {} left in it)",
        counters_line(&counters),
        stats.records,
        stats.replayed,
        stats.left_in_spool
    );
    Ok(())
}

/// Starts the HJ 212 listener on `addr` for the registry's loggers, feeding `pipeline`.
pub(crate) async fn start(
    config: &Config,
    registry: &Registry,
    addr: SocketAddr,
    clock: Clock,
    pipeline: &Pipeline,
) -> anyhow::Result<Hj212Listener> {
    let loggers = Loggers::from_registry(registry)?;
    if loggers.is_empty() {
        tracing::warn!(
            "no HJ 212 loggers (transport = \"hj212\") in {}: every packet will be rejected",
            config.registry.display()
        );
    }
    Hj212Listener::start(
        &config.hj212,
        addr,
        loggers,
        clock,
        pipeline.intake(),
        pipeline.health(),
    )
    .await
    .context("starting the HJ 212 listener")
}

/// One line of the listener's counters.
pub(crate) fn counters_line(c: &CountersSnapshot) -> String {
    let mut line = format!(
        "HJ 212: {} connections open, {} packets taken ({} records)",
        c.open, c.accepted, c.records
    );
    let rejected: Vec<String> = c
        .rejected
        .iter()
        .map(|(cause, n)| format!("{cause} {n}"))
        .collect();
    if !rejected.is_empty() {
        line.push_str(&format!(", rejected: {}", rejected.join(", ")));
    }
    if c.refused > 0 {
        line.push_str(&format!(
            ", {} connections refused (max_connections)",
            c.refused
        ));
    }
    if c.refused_per_ip > 0 {
        line.push_str(&format!(
            ", {} refused (max_connections_per_ip)",
            c.refused_per_ip
        ));
    }
    line
}

/// The commands `--set-time` and `--rtd-interval` send each logger once.
struct LoginCommands {
    set_time: bool,
    rtd_interval: Option<RtdInterval>,
    done: HashSet<String>,
}

impl LoginCommands {
    fn any(&self) -> bool {
        self.set_time || self.rtd_interval.is_some()
    }

    /// Sends the commands to the loggers that logged in since the last call.
    async fn send(&mut self, control: &LoggerControl) {
        for mn in control.connected() {
            if !self.done.insert(mn.clone()) {
                continue;
            }
            let mut commands = Vec::new();
            if self.set_time {
                commands.push(LoggerCommand::SyncClock);
            }
            if let Some(interval) = self.rtd_interval {
                commands.push(LoggerCommand::SetRtdInterval(interval));
            }
            for command in commands {
                match control.send(&mn, command).await {
                    Ok(rtn) => tracing::info!("logger {mn}: {command}: ExeRtn {}", rtn.code()),
                    Err(e) => tracing::warn!("logger {mn}: {command}: {e}"),
                }
            }
        }
    }
}
