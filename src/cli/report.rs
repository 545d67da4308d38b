//! `lantian report`: the daily report, a ranking report or the device-health report, written
//! as HTML (with PNG charts, and a CSV for rankings) under the configured folder.

use std::path::PathBuf;
use std::str::FromStr;

use anyhow::Context;
use chrono::{Days, NaiveDate, Utc};
use clap::{Args, Subcommand, ValueEnum};
use lantian::assess::{GroupBy, Period};
use lantian::config::Config;
use lantian::report::{Lang, ReportConfig, ReportFiles};

use super::network::NetworkFacts;

/// Options of `lantian report`.
#[derive(Debug, Args)]
pub(super) struct ReportArgs {
    #[command(subcommand)]
    kind: Kind,
    /// Language of the report [default: the configuration's, `zh`].
    #[arg(long, global = true, value_parser = Lang::from_str)]
    lang: Option<Lang>,
    /// Output folder [default: the configuration's, `reports/out`].
    #[arg(long, global = true, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// What to rank.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum By {
    Station,
    District,
}

#[derive(Debug, Subcommand)]
enum Kind {
    /// The daily report (network AQI, categories, rankings, year to date, charts).
    Daily {
        /// Local day, YYYY-MM-DD [default: yesterday in the network's time zone].
        #[arg(long)]
        date: Option<NaiveDate>,
    },
    /// A ranking report by the comprehensive index, with a CSV beside it.
    Ranking {
        /// Period: a month `2016-02`, a quarter `2016Q1`, a year `2016` or `2016-ytd`.
        #[arg(long, value_parser = Period::from_str)]
        period: Period,
        /// Rank stations or districts (towns).
        #[arg(long, value_enum, default_value = "station")]
        by: By,
    },
    /// The device-health report of a day (uptime, capture, alarms, data checks).
    Health {
        /// Local day, YYYY-MM-DD [default: yesterday in the network's time zone].
        #[arg(long)]
        date: Option<NaiveDate>,
    },
}

/// Prints the files a report wrote.
pub(super) fn print_files(files: &ReportFiles) {
    for path in files.paths() {
        println!("{}", path.display());
    }
    println!("{}", files.index.display());
}

/// Runs the command.
pub(super) fn run(config: &Config, args: ReportArgs) -> anyhow::Result<()> {
    let cfg = ReportConfig {
        out_dir: args.out.unwrap_or_else(|| config.report.out_dir.clone()),
        lang: args.lang.unwrap_or(config.report.lang),
    };
    std::fs::create_dir_all(&cfg.out_dir)
        .with_context(|| format!("creating {}", cfg.out_dir.display()))?;
    let store = super::open_store(config)?;
    // The registry gives the issuing unit and the devices; reports still work without it
    // (imported data, another folder), with the store's stations.
    let network = NetworkFacts::load(config, store.as_ref())?;
    let network_name = network.name(cfg.lang);
    let yesterday = || Utc::now().with_timezone(&network.time_zone).date_naive() - Days::new(1);
    let files = match args.kind {
        Kind::Daily { date } => {
            let date = date.unwrap_or_else(yesterday);
            lantian::report::daily_report(store.as_ref(), &network_name, date, &cfg)
                .with_context(|| format!("daily report of {date}"))?
        }
        Kind::Ranking { period, by } => {
            let by = match by {
                By::Station => GroupBy::Station,
                By::District => GroupBy::District,
            };
            lantian::report::ranking_report(store.as_ref(), &network_name, period, by, &cfg)
                .with_context(|| format!("ranking report of {period}"))?
        }
        Kind::Health { date } => {
            let date = date.unwrap_or_else(yesterday);
            lantian::report::health_report(
                store.as_ref(),
                &network_name,
                date,
                &network.devices,
                &cfg,
            )
            .with_context(|| format!("device-health report of {date}"))?
        }
    };
    print_files(&files);
    Ok(())
}
