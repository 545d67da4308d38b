//! `lantian sim`: serve the simulated network over Modbus, and run its HJ 212 loggers
//! (uploading to the scenario's `[hj212] platform`).

use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use lantian::config::Config;
use lantian::sim::environment::Environment;
use lantian::sim::logger::{LoggerGroup, LoggerSpec};
use lantian::sim::scenario::Scenario;
use lantian::sim::server::{Bind, Simulator};

use super::clock_args::ClockArgs;

/// Options of `lantian sim`.
#[derive(Debug, Args)]
pub(super) struct SimArgs {
    #[command(flatten)]
    clock: ClockArgs,
    /// Scenario file (overrides the configuration).
    #[arg(long, value_name = "FILE")]
    scenario: Option<std::path::PathBuf>,
    /// When stopped, write what each device served (JSON: per device the runs of minutes in
    /// which it answered with its registers, at once or late) to FILE — the truth a soak or
    /// fault test compares the store with.
    #[arg(long, value_name = "FILE")]
    served: Option<std::path::PathBuf>,
}

/// Serves until Ctrl-C.
pub(super) async fn run(config: &Config, args: SimArgs) -> anyhow::Result<()> {
    let registry = super::load_registry(config)?;
    let path = args.scenario.as_ref().unwrap_or(&config.scenario);
    let scenario = Scenario::load(path)?;
    let clock = args.clock.clock()?;
    let environment = Arc::new(Environment::new(scenario, &registry, clock.now())?);
    let sim = Simulator::start(
        &registry,
        environment.clone(),
        clock.clone(),
        Bind::AsConfigured,
    )
    .await
    .context("starting the simulator")?;
    // The registry's HJ 212 loggers upload to the scenario's `[hj212] platform`.
    let loggers = match &environment.scenario().hj212 {
        Some(settings) if registry.hj212_devices().next().is_some() => {
            let specs = LoggerSpec::from_registry(&registry)?;
            tracing::info!(
                "{} HJ 212 loggers upload to {}",
                specs.len(),
                settings.platform
            );
            Some(LoggerGroup::start(
                &registry,
                specs,
                environment.clone(),
                clock.clone(),
                None,
            )?)
        }
        _ => None,
    };
    tracing::info!(
        "simulating {} stations, {} devices on {} endpoints (clock ×{}); Ctrl-C to stop",
        registry.stations.len(),
        registry.devices().count(),
        sim.endpoints.len(),
        clock.speed()
    );
    super::shutdown_signal().await;
    if let Some(loggers) = loggers {
        loggers.stop().await;
    }
    let served = sim.served();
    sim.stop().await;
    if let Some(path) = &args.served {
        let json = serde_json::to_vec(&served)?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
        tracing::info!("what each device served: {}", path.display());
    }
    Ok(())
}
