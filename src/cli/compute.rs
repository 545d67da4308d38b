//! `lantian compute`: (re)compute the stored hourly and daily AQI from the stored hourly means
//! — after a `--no-indices` import, a change of rule set, or corrected data.

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::Args;
use lantian::compute::IndexStage;
use lantian::config::Config;

/// Options of `lantian compute`.
#[derive(Debug, Args)]
pub struct ComputeArgs {
    /// Stations (all stations the store knows when omitted).
    #[arg(long = "station", value_name = "ID")]
    stations: Vec<String>,
    /// First local day, YYYY-MM-DD.
    #[arg(long)]
    from: NaiveDate,
    /// Last local day (inclusive), YYYY-MM-DD.
    #[arg(long)]
    to: NaiveDate,
}

/// Recomputes and reports how many index records were written.
pub fn run(config: &Config, args: ComputeArgs) -> anyhow::Result<()> {
    if args.to < args.from {
        bail!("--to {} is before --from {}", args.to, args.from);
    }
    let mut store = super::open_store(config)?;
    let known: Vec<String> = store.stations()?.into_iter().map(|s| s.id).collect();
    let stations = if args.stations.is_empty() {
        known.clone()
    } else {
        args.stations
    };
    for s in &stations {
        if !known.contains(s) {
            bail!(
                "unknown station `{s}`: the store has no metadata for it (see `lantian import` or `lantian collect`)"
            );
        }
    }
    let mut stage = IndexStage::new(config.aqi);
    let mut written = 0;
    for s in &stations {
        written += stage
            .recompute(store.as_mut(), s, args.from, args.to)
            .with_context(|| format!("computing indices of {s}"))?;
    }
    println!(
        "computed {written} hourly and daily index records for {} station(s), {} … {}",
        stations.len(),
        args.from,
        args.to
    );
    Ok(())
}
