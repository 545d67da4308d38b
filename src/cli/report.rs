//! `lantian report`: the daily report, a ranking report, the national key-city ranking or the
//! device-health report, written as HTML (with PNG charts, and a CSV for rankings) under the
//! configured folder.

use std::path::PathBuf;
use std::str::FromStr;

use anyhow::Context;
use chrono::{Days, NaiveDate, Utc};
use clap::{Args, Subcommand, ValueEnum};
use lantian::assess::city::{CityList, DustDays};
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
    /// The national key-city ranking of a month (`national-YYYY-MM.html`, with its CSV and a
    /// map): the cities' table, the best and worst 20, region groups, the chosen city.
    National {
        /// The month, YYYY-MM.
        #[arg(long, value_parser = month)]
        month: Period,
        /// The cities, `168` for the built-in 168 key cities or a CSV file with a `city` column
        /// (and optionally province, region_2023_plan, key_region_2018_plan).
        #[arg(long, value_name = "168|FILE", default_value = "168")]
        cities: String,
        /// A city to highlight and explain (the places each pollutant costs it).
        #[arg(long, value_name = "CITY")]
        focus: Option<String>,
        /// Dust-affected city-days (CSV `city,date`) whose PM10 and PM2.5 are removed before
        /// ranking, as the ministry does (扣除沙尘); the report says which way it was computed.
        #[arg(long, value_name = "FILE")]
        dust: Option<PathBuf>,
    },
    /// The device-health report of a day (uptime, capture, alarms, data checks).
    Health {
        /// Local day, YYYY-MM-DD [default: yesterday in the network's time zone].
        #[arg(long)]
        date: Option<NaiveDate>,
    },
}

/// A month `YYYY-MM`.
fn month(text: &str) -> Result<Period, String> {
    match Period::from_str(text) {
        Ok(p @ Period::Month { .. }) => Ok(p),
        Ok(_) => Err(format!("`{text}` is not a month (YYYY-MM)")),
        Err(e) => Err(e.to_string()),
    }
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
        Kind::National {
            month,
            cities,
            focus,
            dust,
        } => {
            let list = if cities == "168" {
                CityList::key_168()
            } else {
                CityList::read(std::path::Path::new(&cities))?
            };
            let dust = dust.as_deref().map(DustDays::read).transpose()?;
            lantian::report::national_report(
                store.as_ref(),
                month,
                &list,
                dust.as_ref(),
                focus.as_deref(),
                &cfg,
            )
            .with_context(|| format!("national ranking report of {month}"))?
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
