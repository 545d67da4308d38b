//! `lantian compute`: (re)compute the stored hourly and daily AQI from the stored hourly means
//! — after a `--no-indices` import, a change of rule set, or corrected data.

use anyhow::bail;
use chrono::NaiveDate;
use clap::Args;
use lantian::assess::DateRange;
use lantian::compute::recompute_days;
use lantian::config::Config;

/// Options of `lantian compute`.
#[derive(Debug, Args)]
pub(super) struct ComputeArgs {
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
pub(super) fn run(config: &Config, args: ComputeArgs) -> anyhow::Result<()> {
    if args.to < args.from {
        bail!("--to {} is before --from {}", args.to, args.from);
    }
    let mut store = super::open_store(config)?;
    let days = DateRange {
        first: args.from,
        last: args.to,
    };
    let done = recompute_days(store.as_mut(), config.aqi, &args.stations, days)?;
    println!(
        "computed {} hourly and daily index records for {} station(s), {} … {}",
        done.records, done.stations, args.from, args.to
    );
    Ok(())
}
