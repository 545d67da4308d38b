//! `lantian query`: stored readings as a table or CSV.

use std::str::FromStr;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use clap::{Args, ValueEnum};
use lantian::config::Config;
use lantian::store::{Query, Resolution};
use lantian::units::Parameter;

use super::table::Table;

/// Output format.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Csv,
}

/// Options of `lantian query`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Station ids (all when omitted).
    #[arg(long = "station", value_name = "ID")]
    stations: Vec<String>,
    /// Parameter codes: pm25 pm10 so2 no2 no nox co o3 ws wd temp dewp rh pres rain (all when omitted).
    #[arg(long = "parameter", short = 'p', value_name = "CODE", value_parser = Parameter::from_str)]
    parameters: Vec<Parameter>,
    /// Resolution: sample, 1m, 1h or 1d.
    #[arg(long, default_value = "1h", value_parser = Resolution::from_str)]
    resolution: Resolution,
    /// Start (inclusive), in the network's time zone unless it carries an offset:
    /// `2026-11-26`, `2026-11-26 08:00` or RFC 3339 [default: 24 h before --to].
    #[arg(long)]
    from: Option<String>,
    /// End (exclusive), same forms as --from [default: the latest stored record].
    #[arg(long)]
    to: Option<String>,
    /// Show times in UTC instead of the network's time zone.
    #[arg(long)]
    utc: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

/// Parses a user-given time in `tz` (or with its own offset).
pub fn parse_time(text: &str, tz: Tz) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.to_utc());
    }
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M"))
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map(|d| d.and_time(Default::default()))
        })
        .with_context(|| {
            format!("cannot read time `{text}` (use 2026-11-26, 2026-11-26 08:00 or RFC 3339)")
        })?;
    match tz.from_local_datetime(&naive).earliest() {
        Some(t) => Ok(t.to_utc()),
        None => bail!("`{text}` does not exist in time zone {tz}"),
    }
}

/// Runs the query.
pub fn run(config: &Config, args: QueryArgs) -> anyhow::Result<()> {
    let registry = super::load_registry(config)?;
    let tz = registry.network.time_zone;
    let store = super::open_store(config)?;
    let to = match &args.to {
        Some(t) => parse_time(t, tz)?,
        None => match store
            .latest(args.resolution, None)?
            .iter()
            .map(|r| r.time)
            .max()
        {
            Some(t) => t + chrono::TimeDelta::seconds(1),
            None => bail!(
                "the store {} holds no {} records",
                config.store,
                args.resolution
            ),
        },
    };
    let from = match &args.from {
        Some(t) => parse_time(t, tz)?,
        None => to - chrono::TimeDelta::hours(24),
    };
    for s in &args.stations {
        if registry.station(s).is_none() {
            bail!("unknown station `{s}` (see `lantian stations`)");
        }
    }
    let query = Query {
        stations: args.stations.iter().map(|s| s.as_str().into()).collect(),
        parameters: args.parameters.clone(),
        resolution: args.resolution,
        from,
        to,
    };
    let records = store.read(&query)?;
    let time_header = if args.utc {
        "time (UTC)".to_string()
    } else {
        format!("time ({tz})")
    };
    let mut table = Table::new(
        &[
            &time_header,
            "station",
            "parameter",
            "value",
            "unit",
            "flag",
            "n",
        ],
        &["value", "n"],
    );
    for r in &records {
        let time = if args.utc {
            r.time.format("%Y-%m-%d %H:%M:%S").to_string()
        } else {
            r.time
                .with_timezone(&tz)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        };
        table.push(vec![
            time,
            r.station.to_string(),
            r.parameter.code().to_string(),
            format!("{:.3}", r.value),
            r.parameter.canonical_unit().symbol().to_string(),
            r.flag.code().to_string(),
            r.count.to_string(),
        ]);
    }
    match args.format {
        Format::Table => {
            print!("{}", table.render());
            eprintln!("{} records", records.len());
        }
        Format::Csv => print!("{}", table.csv()),
    }
    Ok(())
}
