//! `lantian rank`: the comprehensive-index ranking of stations, districts or cities over a
//! period.

use std::path::PathBuf;
use std::str::FromStr;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use lantian::aqi::china::RuleSet;
use lantian::assess::city::{CityList, CityRanking, DustDays, focus, rank_cities};
use lantian::assess::{
    AssessConfig, GroupBy, Period, Pollutant, RankRow, Rounding, assign_ranks_by, rank_table,
};
use lantian::config::Config;
use lantian::store::StationRole;

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
    /// Cities of a city list (`--cities`), from their stations' `city` (assessment stations
    /// only: background sites and micro stations excluded).
    City,
}

/// Which stations to rank.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Role {
    /// Assessment stations (评价点): the published ranking.
    Assessment,
    /// Background sites (对照点), by station only.
    Background,
    /// Micro stations (微站, 网格化监测), by station only.
    Micro,
}

/// What orders the ranks.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Order {
    /// The comprehensive index (HJ 663).
    Index,
    /// The period mean of PM2.5.
    Pm25,
    /// The period mean of PM10.
    Pm10,
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
    /// Which stations: assessment stations make stations', districts' and the network's
    /// published ranking; micro stations and background sites get their own ranking by
    /// station, never part of an assessment.
    #[arg(long, value_enum, default_value = "assessment")]
    role: Role,
    /// What orders the ranks [default: the comprehensive index for assessment stations and
    /// background sites, PM2.5 for micro stations, whose sensors measure no index].
    #[arg(long, value_enum)]
    order: Option<Order>,
    /// Rule set of the daily AQI (good-day share).
    #[arg(long, value_enum, default_value = "auto")]
    rules: Rules,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// With --by city: the cities, `168` for the built-in 168 key cities or a CSV file with a
    /// `city` column (and optionally province, region_2023_plan, key_region_2018_plan).
    #[arg(long, value_name = "168|FILE", default_value = "168")]
    cities: String,
    /// With --by city: a city to explain — the places each pollutant costs it and how far it
    /// is from the next rank up.
    #[arg(long, value_name = "CITY")]
    focus: Option<String>,
    /// With --by city: dust-affected city-days (CSV `city,date`) whose PM10 and PM2.5 are
    /// removed before ranking, as the ministry does (扣除沙尘).
    #[arg(long, value_name = "FILE")]
    dust: Option<PathBuf>,
    /// Compute from unrounded daily values and period concentrations (analysis) instead of
    /// HJ 663's rounding (the published figures).
    #[arg(long)]
    unrounded: bool,
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
        rounding: if args.unrounded {
            Rounding::Unrounded
        } else {
            Rounding::Hj663
        },
        ..AssessConfig::default()
    };
    let by = match args.by {
        By::Station => GroupBy::Station,
        By::District => GroupBy::District,
        By::Network => GroupBy::Network,
        By::City if !matches!(args.role, Role::Assessment) || args.order.is_some() => {
            anyhow::bail!("--by city ranks assessment stations' cities by the index only")
        }
        By::City => return run_cities(&*store, period, &args, &cfg),
    };
    if args.focus.is_some() || args.dust.is_some() {
        anyhow::bail!("--focus and --dust apply to --by city");
    }
    let role = match args.role {
        Role::Assessment => StationRole::Assessment,
        Role::Background => StationRole::Background,
        Role::Micro => StationRole::Micro,
    };
    let order = args.order.unwrap_or(match role {
        StationRole::Micro => Order::Pm25,
        _ => Order::Index,
    });
    let mut ranking = lantian::assess::rank_store_role(&*store, period, by, role, &cfg)
        .with_context(|| format!("ranking {period}"))?;
    match order {
        Order::Index => {}
        Order::Pm25 => assign_ranks_by(&mut ranking.rows, Pollutant::Pm25),
        Order::Pm10 => assign_ranks_by(&mut ranking.rows, Pollutant::Pm10),
    }
    let label = ranking_label(role, order);
    if let Format::Json = args.format {
        let rows: Vec<serde_json::Value> = ranking.rows.iter().map(RankRow::to_json).collect();
        let out = serde_json::json!({
            "period": ranking.period.to_string(),
            "range": ranking.period.range().ok().map(|r| [r.first.to_string(), r.last.to_string()]),
            "previous": ranking.previous.to_string(),
            "by": format!("{:?}", args.by).to_lowercase(),
            "role": role.code(),
            "order": format!("{order:?}").to_lowercase(),
            "stations": label,
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
                "{} ({range}), compared with {} · {label}",
                ranking.period, ranking.previous
            );
            print!("{}", table.render());
        }
    }
    Ok(())
}

/// Which stations a ranking counts, and by what, in words.
fn ranking_label(role: StationRole, order: Order) -> String {
    let stations = match role {
        StationRole::Assessment => {
            "assessment stations (评价点; background sites and micro stations not counted)"
        }
        StationRole::Background => "background sites (对照点), not part of any assessment",
        StationRole::Micro => "micro stations (微站, 网格化), not part of any assessment",
    };
    let by = match order {
        Order::Index => "ranked by the comprehensive index",
        Order::Pm25 => "ranked by the PM2.5 period mean",
        Order::Pm10 => "ranked by the PM10 period mean",
    };
    format!("{stations}, {by}")
}

/// `--by city`.
fn run_cities(
    store: &dyn lantian::store::Store,
    period: Period,
    args: &RankArgs,
    cfg: &AssessConfig,
) -> anyhow::Result<()> {
    let list = if args.cities == "168" {
        CityList::key_168()
    } else {
        CityList::read(std::path::Path::new(&args.cities))?
    };
    let dust = args.dust.as_deref().map(DustDays::read).transpose()?;
    let cities = rank_cities(store, period, &list, dust.as_ref(), cfg)
        .with_context(|| format!("ranking the cities over {period}"))?;
    let focused = match &args.focus {
        Some(city) => Some(
            focus(&cities.ranking, city, cfg)
                .with_context(|| format!("{city} has no rank in {period}"))?,
        ),
        None => None,
    };
    if let Format::Json = args.format {
        let rows: Vec<serde_json::Value> = cities
            .ranking
            .rows
            .iter()
            .map(|r| {
                let mut row = r.to_json();
                if let Some(c) = cities.list.get(&r.id) {
                    row["province"] = c.province.clone().into();
                    row["region"] = c.region.clone().into();
                }
                row
            })
            .collect();
        let out = serde_json::json!({
            "period": cities.ranking.period.to_string(),
            "previous": cities.ranking.previous.to_string(),
            "by": "city",
            "cities": cities.list.origin,
            "rounding": format!("{:?}", cfg.rounding).to_lowercase(),
            "dust_days_removed": cities.dust_removed,
            "rows": rows,
            "focus": focused.as_ref().map(|f| serde_json::json!({
                "city": args.focus,
                "rank": f.rank,
                "places": f.places.iter().map(|(p, n)| (p.code().to_string(), serde_json::Value::from(*n))).collect::<serde_json::Map<_, _>>(),
                "next_up": f.next_up.as_ref().map(|(c, _)| c),
                "gap_i_sum": f.next_up.as_ref().map(|(_, g)| g),
                "gap_concentration": f.gap_in.iter().map(|(p, v)| (p.code().to_string(), serde_json::Value::from(*v))).collect::<serde_json::Map<_, _>>(),
            })),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let table = city_table(&cities);
    match args.format {
        Format::Csv => print!("{}", table.csv()),
        _ => {
            let range = cities.ranking.period.range()?;
            println!(
                "{} ({range}) · {} cities (list {}) · {} · dust: {}",
                cities.ranking.period,
                cities.list.cities.len(),
                cities.list.origin,
                match cfg.rounding {
                    Rounding::Hj663 => "HJ 663 rounding",
                    Rounding::Unrounded => "unrounded",
                },
                match cities.dust_removed {
                    Some(n) => format!("{n} dust city-days removed from PM"),
                    None => "no dust list (PM as measured)".to_string(),
                }
            );
            print!("{}", table.render());
            if let (Some(f), Some(city)) = (&focused, &args.focus) {
                println!("\n{city}: rank {}", f.rank);
                for (p, n) in &f.places {
                    println!(
                        "  {:<5} costs {n} place(s) (sub-index above the cities' median)",
                        p.code()
                    );
                }
                match &f.next_up {
                    Some((above, gap)) => {
                        println!(
                            "  next up: {above}, {:.2} lower I_sum needed, i.e. one of:",
                            -gap
                        );
                        for (p, v) in &f.gap_in {
                            println!(
                                "    {:<5} −{v:.2} {}",
                                p.code(),
                                p.parameter().canonical_unit().symbol()
                            );
                        }
                    }
                    None => println!("  first place"),
                }
            }
        }
    }
    Ok(())
}

/// The table of a city ranking: `lantian rank`'s columns, with the city's province and region
/// group in place of the name.
fn city_table(cities: &CityRanking) -> Table {
    let mut table = Table::new(&rank_table::city_header(), &rank_table::NUMERIC_COLUMNS);
    for row in &cities.ranking.rows {
        table.push(rank_table::city_cells(row, cities.list.get(&row.id)));
    }
    table
}
