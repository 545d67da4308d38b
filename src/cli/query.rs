//! `lantian query`: stored readings as a table or CSV.

use std::str::FromStr;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use clap::{Args, ValueEnum};
use lantian::config::Config;
use lantian::store::network_zone;
use lantian::store::{IndexQuery, IndexStore, Parameters, ReadingQuery, Resolution, Stations};
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
pub(super) struct QueryArgs {
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
    /// Show the stored AQI (hourly real-time AQI with `--resolution 1h`, daily AQI and daily
    /// statistics with `1d`) instead of the readings: per term the concentration/IAQI.
    #[arg(long)]
    aqi: bool,
}

/// Parses a user-given time in `tz` (or with its own offset).
pub(super) fn parse_time(text: &str, tz: Tz) -> anyhow::Result<DateTime<Utc>> {
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
pub(super) fn run(config: &Config, args: QueryArgs) -> anyhow::Result<()> {
    let store = super::open_store(config)?;
    // Stations are those the store knows (collected or imported); times are shown in the
    // first requested station's time zone, else in the network's.
    let known = store.stations()?;
    for s in &args.stations {
        if !known.iter().any(|k| &k.id == s) {
            let ids: Vec<&str> = known.iter().map(|k| k.id.as_str()).collect();
            bail!(
                "unknown station `{s}`: the store knows {}",
                if ids.is_empty() {
                    "no stations".to_string()
                } else {
                    ids.join(", ")
                }
            );
        }
    }
    let tz = match args
        .stations
        .first()
        .and_then(|id| known.iter().find(|k| &k.id == id))
    {
        Some(station) => station.time_zone,
        None => network_zone(&known),
    };
    let to = match &args.to {
        Some(t) => parse_time(t, tz)?,
        // Index records are labelled at or before the hourly means they come from.
        None => match store
            .latest_readings(
                if args.aqi {
                    Resolution::Hour
                } else {
                    args.resolution
                },
                &Stations::All,
            )?
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
    // No --station or --parameter: all of them.
    let stations = match args.stations.is_empty() {
        true => Stations::All,
        false => Stations::only(args.stations.iter().map(String::as_str)),
    };
    if args.aqi {
        let query = IndexQuery::new(args.resolution, from, to).for_stations(stations);
        return print_indices(store.as_ref(), &query, tz, args.utc, args.format);
    }
    let parameters = match args.parameters.is_empty() {
        true => Parameters::All,
        false => Parameters::Only(args.parameters.clone()),
    };
    let query = ReadingQuery::new(args.resolution, from, to)
        .for_stations(stations)
        .for_parameters(parameters);
    let records = store.readings(&query)?;
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

/// Prints stored index records (hourly or daily AQI).
fn print_indices(
    store: &dyn IndexStore,
    query: &IndexQuery,
    tz: Tz,
    utc: bool,
    format: Format,
) -> anyhow::Result<()> {
    use lantian::aqi::{Category, Pollutant};
    if !matches!(query.resolution, Resolution::Hour | Resolution::Day) {
        bail!("--aqi needs --resolution 1h (real-time AQI) or 1d (daily AQI)");
    }
    let records = store.indices(query)?;
    let mut header = vec![
        "time".to_string(),
        "station".into(),
        "aqi".into(),
        "category".into(),
        "primary".into(),
    ];
    header.extend(Pollutant::ALL.iter().map(|p| format!("{p} c/iaqi")));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut table = Table::new(&header, &["aqi"]);
    for r in &records {
        let time = if utc {
            r.time.naive_utc()
        } else {
            r.time.with_timezone(&tz).naive_local()
        };
        let time = match query.resolution {
            Resolution::Day => time.format("%Y-%m-%d").to_string(),
            _ => time.format("%Y-%m-%d %H:%M").to_string(),
        };
        let mut row = vec![
            time,
            r.station.to_string(),
            r.aqi.map(|a| a.to_string()).unwrap_or_default(),
            r.aqi
                .map(|a| Category::from_aqi(a).name_zh().to_string())
                .unwrap_or_default(),
            r.primary
                .iter()
                .map(|p| p.code())
                .collect::<Vec<_>>()
                .join(";"),
        ];
        for term in r.terms.values() {
            row.push(match term {
                Some(t) => format!(
                    "{:.prec$}/{}",
                    t.concentration,
                    t.iaqi.map(|i| i.to_string()).unwrap_or_else(|| "—".into()),
                    prec = if t.concentration < 10.0 { 1 } else { 0 }
                ),
                None => String::new(),
            });
        }
        table.push(row);
    }
    match format {
        Format::Table => {
            print!("{}", table.render());
            eprintln!(
                "{} records (concentrations in µg/m³, CO mg/m³)",
                records.len()
            );
        }
        Format::Csv => print!("{}", table.csv()),
    }
    Ok(())
}
