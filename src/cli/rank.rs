//! `lantian rank`: the comprehensive-index ranking of stations or districts over a period.

use std::str::FromStr;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use lantian::aqi::china::RuleSet;
use lantian::assess::{AssessConfig, GroupBy, Period, Pollutant, RankRow, round_half_even};
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

fn fixed(v: Option<f64>, decimals: u32) -> String {
    v.map(|v| format!("{:.*}", decimals as usize, round_half_even(v, decimals)))
        .unwrap_or_else(|| "-".to_string())
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
        let rows: Vec<serde_json::Value> = ranking.rows.iter().map(json_row).collect();
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
    let id_header = match args.by {
        By::Station => "station",
        By::District => "district",
        By::Network => "network",
    };
    let header = [
        "rank",
        id_header,
        "name",
        "so2",
        "no2",
        "pm10",
        "pm25",
        "co",
        "o3",
        "i_sum",
        "valid_days",
        "sufficient",
        "good_share_%",
        "last_i_sum",
        "change",
        "change_%",
    ];
    let numeric = [
        "rank",
        "so2",
        "no2",
        "pm10",
        "pm25",
        "co",
        "o3",
        "i_sum",
        "valid_days",
        "good_share_%",
        "last_i_sum",
        "change",
        "change_%",
    ];
    let mut table = Table::new(&header, &numeric);
    for row in &ranking.rows {
        let s = &row.stats;
        let mut cells = vec![
            row.rank
                .map(|r| r.to_string())
                .unwrap_or_else(|| "-".into()),
            row.id.clone(),
            row.name.clone(),
        ];
        for p in Pollutant::ALL {
            cells.push(fixed(s.index.map(|i| i.of(p)), 2));
        }
        let change = row.change();
        cells.extend([
            fixed(s.total(), 2),
            format!("{}/{}", row.stats.fewest_valid_days(), s.min_valid_days),
            if s.all_sufficient() { "yes" } else { "no" }.to_string(),
            fixed(s.good_share().map(|g| g * 100.0), 1),
            fixed(row.previous_total(), 2),
            fixed(change.map(|c| c.difference), 2),
            fixed(change.and_then(|c| c.percent), 1),
        ]);
        table.push(cells);
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

fn json_row(row: &RankRow) -> serde_json::Value {
    let s = &row.stats;
    let mut sub = serde_json::Map::new();
    let mut conc = serde_json::Map::new();
    let mut valid = serde_json::Map::new();
    for p in Pollutant::ALL {
        sub.insert(p.code().into(), s.index.map(|i| i.of(p)).into());
        conc.insert(p.code().into(), s.concentrations[p].into());
        valid.insert(p.code().into(), s.valid_days[p].into());
    }
    let change = row.change();
    serde_json::json!({
        "rank": row.rank,
        "id": row.id,
        "name": row.name,
        "stations": row.stations,
        "sub_indices": sub,
        "concentrations": conc,
        "i_sum": s.total(),
        "valid_days": valid,
        "min_valid_days": s.min_valid_days,
        "sufficient": s.all_sufficient(),
        "aqi_days": s.aqi.valid,
        "good_days": s.aqi.good,
        "exceedance_days": s.aqi.exceedance,
        "good_share": s.good_share(),
        "last_i_sum": row.previous_total(),
        "change": change.map(|c| c.difference),
        "change_percent": change.and_then(|c| c.percent),
    })
}
