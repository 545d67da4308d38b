//! `lantian rank`: the comprehensive-index ranking of stations or districts over a period.

use std::str::FromStr;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use lantian::aqi::china::RuleSet;
use lantian::assess::{AssessConfig, GroupBy, Period, RankRow, rank_table};
use lantian::config::Config;

use super::table::Table;

/// Output format.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Csv,
    Json,
}

/// What to rank.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum By {
    Station,
    District,
    Network,
}

/// Rule set of the daily AQI.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Rules {
    /// By date: 2012 rules before 2026-03-01, 2026 rules from then.
    Auto,
    /// HJ 633-2012.
    #[value(name = "2012")]
    Y2012,
    /// The 2026 editions.
    #[value(name = "2026")]
    Y2026,
}

/// Options of `lantian rank`.
#[derive(Debug, Args)]
pub(super) struct RankArgs {
    /// Period: a month `2016-02`, a quarter `2016Q1`, a year `2016` or a year to date `2016-ytd`.
    #[arg(long, value_parser = Period::from_str)]
    period: Period,
    /// Last day of a year to date [default: the last day with data].
    #[arg(long, value_name = "DATE")]
    end: Option<NaiveDate>,
    /// Rank stations, districts (mean of their stations' daily values) or the whole network.
    #[arg(long, value_enum, default_value = "station")]
    by: By,
    /// Rule set of the daily AQI (good-day share).
    #[arg(long, value_enum, default_value = "auto")]
    rules: Rules,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

/// Runs the ranking.
pub(super) fn run(config: &Config, args: RankArgs) -> anyhow::Result<()> {
    let store = super::open_store(config)?;
    let period = match args.end {
        Some(end) if matches!(args.period, Period::YearToDate { .. }) => {
            args.period.with_end(end)?
        }
        Some(_) => anyhow::bail!("--end only applies to a year to date (e.g. 2016-ytd)"),
        None => args.period,
    };
    let cfg = AssessConfig {
        rule_set: match args.rules {
            Rules::Auto => None,
            Rules::Y2012 => Some(RuleSet::Y2012),
            Rules::Y2026 => Some(RuleSet::Y2026),
        },
        ..AssessConfig::default()
    };
    let by = match args.by {
        By::Station => GroupBy::Station,
        By::District => GroupBy::District,
        By::Network => GroupBy::Network,
    };
    let ranking = lantian::assess::rank_store(&*store, period, by, &cfg)
        .with_context(|| format!("ranking {period}"))?;
    if let Format::Json = args.format {
        let rows: Vec<serde_json::Value> = ranking.rows.iter().map(RankRow::to_json).collect();
        let out = serde_json::json!({
            "period": ranking.period.to_string(),
            "range": ranking.period.range().ok().map(|r| [r.first.to_string(), r.last.to_string()]),
            "previous": ranking.previous.to_string(),
            "by": format!("{:?}", args.by).to_lowercase(),
            "rows": rows,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let mut table = Table::new(&rank_table::header(by), &rank_table::NUMERIC_COLUMNS);
    for row in &ranking.rows {
        table.push(row.cells());
    }
    match args.format {
        Format::Csv => print!("{}", table.csv()),
        _ => {
            let range = ranking.period.range()?;
            println!(
                "{} ({range}), compared with {}",
                ranking.period, ranking.previous
            );
            print!("{}", table.render());
        }
    }
    Ok(())
}
