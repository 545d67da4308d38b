//! `lantian collect`: poll the network and store its readings; `lantian run`: the same plus
//! the scheduler (reports, index recomputation) and the `[[uplink]]` targets — the
//! production mode. Both receive HJ 212 loggers' data too when `[hj212] listen` is set.

use std::time::Duration;

use clap::Args;
use std::sync::{Arc, Mutex};

use lantian::config::Config;
use lantian::jobs::scheduler::{Scheduler, StoreRunLog};
use lantian::uplink::Pending;

use super::clock_args::ClockArgs;

/// Options of `lantian collect`.
#[derive(Debug, Args)]
pub(super) struct CollectArgs {
    #[command(flatten)]
    clock: ClockArgs,
    /// Stop after this many real seconds (default: run until Ctrl-C / SIGTERM).
    #[arg(long, value_name = "SECONDS")]
    duration: Option<f64>,
    /// Seconds between progress lines.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    report_every: f64,
}

/// Collects (and, with `scheduler`, runs the scheduled jobs on the same clock) until stopped.
pub(super) async fn run(config: &Config, args: CollectArgs, scheduler: bool) -> anyhow::Result<()> {
    let registry = super::load_registry(config)?;
    let devices: Vec<_> = registry.devices().cloned().collect();
    // The forwarder registers the stations (`start_pipeline`): the store may be down now.
    let store = super::open_store(config)?;
    let clock = args.clock.clock()?;
    // The jobs are built (and their schedules checked) before anything starts.
    let jobs = if scheduler {
        Some(super::jobs::scheduled_jobs(config, &registry)?)
    } else {
        None
    };
    let spool_dir = config.spool_dir();
    // Notifications (when channels are configured): the alarm stage writes to the outbox
    // (escalations included, from its timer), the delivery tasks send from it; a message
    // waits there while a receiver is down.
    #[cfg(feature = "notify")]
    let (alarms, delivery, notifier) = {
        let notifier = if config.notify.channels.is_empty() {
            None
        } else {
            // What became of each message goes into its alarm's audit log (a store handle
            // of its own).
            let notifier = lantian::notify::Notifier::open(
                config.notify.clone(),
                &config.outbox_path(),
                registry.network.time_zone,
            )?
            .with_audit(super::open_store(config)?, clock.clone());
            Some(std::sync::Arc::new(notifier))
        };
        let delivery = match &notifier {
            Some(n) => Some(n.start(None, None)?),
            None => None,
        };
        let stage =
            super::notifying_alarm_stage(config, &registry, clock.clone(), notifier.clone())?;
        (stage, delivery, notifier)
    };
    #[cfg(not(feature = "notify"))]
    let alarms = super::alarm_stage(config, &registry, clock.clone())?;
    tracing::info!(
        "alarm rules: {} ({}), evaluated every {} s",
        alarms_summary(config),
        if config.alarms.configured {
            "configured"
        } else {
            "defaults"
        },
        config.alarm_settings.interval.num_seconds()
    );
    let started = std::time::Instant::now();
    let pipeline = super::start_pipeline(config, &registry, &devices, &clock, store, Some(alarms))?;
    tracing::info!(
        "collecting from {} devices into {} (spool {})",
        devices.len(),
        config.store,
        spool_dir.display()
    );
    // The uplink reads what the forwarder wrote; it waits for readings still in the spool.
    let uplinks = if scheduler && !config.uplinks.is_empty() {
        let spool = pipeline.spool.clone();
        let pending = Pending::Live(Arc::new(move || spool.snapshot().oldest));
        Some(super::uplink::start(
            config,
            &config.uplinks,
            &registry.station_infos(),
            clock.clone(),
            pending,
        )?)
    } else {
        None
    };
    let hj212 = match config.hj212.listen {
        Some(addr) => Some(
            super::hj212::listen::start(config, &registry, addr, clock.clone(), &pipeline).await?,
        ),
        None => {
            let loggers = registry.hj212_devices().count();
            if loggers > 0 {
                tracing::warn!(
                    "{loggers} HJ 212 loggers in the registry, but no `[hj212] listen` in the \
                     configuration: their data is not received"
                );
            }
            None
        }
    };
    // The web platform in the same process (`[web] listen`): it reads the store like
    // `lantian serve` would.
    #[cfg(feature = "web")]
    let web = match config.web.listen {
        Some(listen) if scheduler => {
            let extras = super::serve::Extras {
                #[cfg(feature = "notify")]
                notifier,
                loggers: hj212.as_ref().map(|l| l.control()),
            };
            Some(super::serve::start(config, listen, extras).await?)
        }
        _ => None,
    };
    // Without the web, the notifier is the alarm stage's and the delivery's alone.
    #[cfg(all(feature = "notify", not(feature = "web")))]
    drop(notifier);
    let scheduler = match jobs {
        Some(jobs) => {
            let names: Vec<String> = jobs
                .iter()
                .map(|j| format!("{} ({})", j.name, j.schedule.expression()))
                .collect();
            tracing::info!("scheduler: {}", names.join(", "));
            let log = StoreRunLog(super::open_store(config)?);
            Some(Scheduler::start(
                jobs,
                clock.clone(),
                Arc::new(Mutex::new(log)),
            )?)
        }
        None => None,
    };
    // Ctrl-C and SIGTERM stop cleanly with --duration too (they killed the process, leaving
    // the spool's backlog for the next start, before the soak found it).
    let stop = async {
        match args.duration {
            Some(s) => tokio::select! {
                () = tokio::time::sleep(Duration::from_secs_f64(s)) => {}
                () = super::shutdown_signal() => {}
            },
            None => super::shutdown_signal().await,
        }
    };
    tokio::pin!(stop);
    let mut report = tokio::time::interval(Duration::from_secs_f64(args.report_every.max(0.1)));
    report.tick().await;
    let mut last_polls = 0;
    loop {
        tokio::select! {
            () = &mut stop => break,
            _ = report.tick() => {
                let health = pipeline.collector.health.snapshot();
                let polls: u64 = health.iter().map(|h| h.polls).sum();
                let online = health.iter().filter(|h| h.online).count();
                let latency = &pipeline.collector.latency;
                let hj212_line = hj212
                    .as_ref()
                    .map(|l| format!("; {}", super::hj212::listen::counters_line(&l.counters())))
                    .unwrap_or_default();
                tracing::info!(
                    "{online}/{} devices online, {:.0} polls/s, latency p50 {:?} p99 {:?}; {}{hj212_line}",
                    health.len(),
                    (polls - last_polls) as f64 / args.report_every,
                    latency.quantile(0.5).unwrap_or_default(),
                    latency.quantile(0.99).unwrap_or_default(),
                    super::spool_line(&pipeline.spool.snapshot()),
                );
                last_polls = polls;
            }
        }
    }
    tracing::info!("stopping: finishing polls and running jobs, writing what was collected");
    #[cfg(feature = "web")]
    if let Some(web) = web {
        web.stop().await;
    }
    if let Some(listener) = hj212 {
        listener.stop().await;
    }
    if let Some(scheduler) = scheduler {
        scheduler.stop().await;
    }
    if let Some(uplinks) = uplinks {
        uplinks.stop().await;
    }
    let stats = pipeline.stop().await?;
    // After the pipeline: the forwarder's last evaluation may have queued messages (those
    // not sent now wait in the outbox for the next start).
    #[cfg(feature = "notify")]
    if let Some(delivery) = delivery {
        delivery.stop().await;
    }
    tracing::info!(
        "stored {} records in {} transactions over {:.1} s ({} replayed from the spool, {} left \
         in it for the next start)",
        stats.records,
        stats.transactions,
        started.elapsed().as_secs_f64(),
        stats.replayed,
        stats.left_in_spool,
    );
    Ok(())
}

/// The ids of the alarm rules, comma-separated.
fn alarms_summary(config: &Config) -> String {
    let ids: Vec<&str> = config.alarms.rules.iter().map(|r| r.id.as_str()).collect();
    ids.join(", ")
}
