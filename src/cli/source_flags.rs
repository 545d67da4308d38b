//! `lantian sources flags`: the stored source flags (new local episodes flagged by the
//! `sources` job) with their evidence, as a table or JSON.

use chrono::NaiveDate;
use clap::Args;
use lantian::config::Config;
use lantian::report::Lang;
use lantian::report::events::{evidence_line, flags_of_days};
use lantian::store::Stations;
use lantian::store::network_zone;

use super::sources::Format;
use super::table::Table;

/// Options of `lantian sources flags`.
#[derive(Debug, Args)]
pub(super) struct FlagsArgs {
    /// First local day (network time zone) on which flagged episodes began.
    #[arg(long, value_name = "DATE")]
    from: NaiveDate,
    /// Last local day, inclusive [default: --from].
    #[arg(long, value_name = "DATE")]
    to: Option<NaiveDate>,
    /// Only the flags of this station.
    #[arg(long, value_name = "ID")]
    station: Option<String>,
    /// Output format (`json` has the whole evidence).
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

/// Lists the flags.
pub(super) fn run(config: &Config, args: FlagsArgs) -> anyhow::Result<()> {
    let last = args.to.unwrap_or(args.from);
    anyhow::ensure!(
        last >= args.from,
        "--to {last} is before --from {}",
        args.from
    );
    let store = super::open_store(config)?;
    let stations = store.stations()?;
    let tz = network_zone(&stations);
    let stations = match &args.station {
        Some(s) => Stations::one(s.as_str()),
        None => Stations::All,
    };
    let flags = flags_of_days(store.as_ref(), args.from, last, tz, &stations)?;
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&flags)?),
        Format::Table => {
            let mut t = Table::new(
                &[
                    "station",
                    "start",
                    "end",
                    "hours",
                    "pollutants",
                    "peak",
                    "severity",
                    "source_type",
                    "evidence",
                    "flagged by",
                ],
                &["hours", "severity"],
            );
            let local = |t: chrono::DateTime<chrono::Utc>| {
                t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
            };
            for f in &flags {
                let pollutants: Vec<&str> = f.pollutants.iter().map(|p| p.code()).collect();
                t.push(vec![
                    f.station.clone(),
                    local(f.start),
                    local(f.end),
                    f.evidence.hours.to_string(),
                    pollutants.join(","),
                    format!(
                        "{} {:.1} {} (+{:.1}) at {}",
                        f.peak.parameter.code(),
                        f.peak.value,
                        f.peak.parameter.canonical_unit().display(),
                        f.peak.excess,
                        local(f.peak.time)
                    ),
                    format!("{:.1}", f.severity),
                    f.source_type.to_string(),
                    evidence_line(f, Lang::En),
                    format!("{} @ {}", f.job, local(f.job_scheduled)),
                ]);
            }
            print!("{}", t.render());
            eprintln!(
                "{} flag(s) of episodes that began {} – {last} ({tz}; hour-ending labels)",
                flags.len(),
                args.from
            );
        }
    }
    Ok(())
}
