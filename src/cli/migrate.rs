//! `lantian migrate`: copy every kind of data from one store to another.

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use lantian::store::migrate::{MigrateOptions, migrate};
use lantian::store::{Resolution, StoreUrl};

/// Options of `lantian migrate`.
#[derive(Debug, Args)]
pub(super) struct MigrateArgs {
    /// The store to copy from (e.g. `sqlite:old.db`).
    #[arg(long, value_name = "STORE")]
    from: StoreUrl,
    /// The store to copy into (e.g. `influx+http://127.0.0.1:8086?db=lantian`).
    #[arg(long, value_name = "STORE")]
    to: StoreUrl,
    /// Only data at or after this time (RFC 3339): readings and indices by label, job runs by
    /// scheduled time, source flags by start, forecasts by issue time.
    #[arg(long, value_name = "TIME")]
    from_time: Option<DateTime<Utc>>,
    /// Only data before this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    to_time: Option<DateTime<Utc>>,
}

/// Copies and prints what was copied.
pub(super) fn run(args: MigrateArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        !args.from.same_store(&args.to),
        "--from and --to name the same store"
    );
    let source = super::open_store_url(&args.from)?;
    let mut target = super::open_bulk_store_url(&args.to)?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:>8} [{wide_bar}] {pos}/{len} readings ({eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let options = MigrateOptions {
        from: args.from_time,
        to: args.to_time,
    };
    let stats = migrate(source.as_ref(), target.as_mut(), &options, &mut |p| {
        bar.set_length(p.total);
        bar.set_position(p.done);
        bar.set_message(p.resolution.code());
    })
    .with_context(|| format!("migrating {} → {}", args.from, args.to))?;
    bar.finish_and_clear();
    let per: Vec<String> = Resolution::ALL
        .iter()
        .zip(stats.records)
        .filter(|(_, n)| *n > 0)
        .map(|(r, n)| format!("{n} {r}"))
        .collect();
    println!(
        "copied {} → {}: {} stations, {} readings ({}), {} index records, {} job runs, {} source flags ({} analysed days), {} forecasts, {} alarms ({} actions), {} device health entries",
        args.from,
        args.to,
        stats.stations,
        stats.total_records(),
        if per.is_empty() {
            "none".to_string()
        } else {
            per.join(", ")
        },
        stats.indices,
        stats.job_runs,
        stats.flags,
        stats.analysed_days,
        stats.forecasts,
        stats.alarms,
        stats.alarm_actions,
        stats.health
    );
    Ok(())
}
