//! `lantian sources`: where pollution comes from — bearings (CPF), triangulated sources,
//! local vs regional episodes with source types; optional polar plots and a station map.
//! `lantian sources flags` lists the stored flags of the `sources` job with their evidence.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use lantian::config::Config;
use lantian::sources::AnalysisConfig;
use lantian::sources::days::{DaysAnalysis, analyse_days};
use lantian::sources::plots::write_plots;
use lantian::store::network_zone;
use lantian::units::Parameter;

use super::table::Table;

/// Output format.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum Format {
    Table,
    Json,
}

/// Options of `lantian sources`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(super) struct SourcesArgs {
    #[command(subcommand)]
    command: Option<SourcesCommand>,
    /// First day (local days of the network's time zone).
    #[arg(long, value_name = "DATE", required = true)]
    from: Option<NaiveDate>,
    /// Last day (local, inclusive).
    #[arg(long, value_name = "DATE", required = true)]
    to: Option<NaiveDate>,
    /// Stations to analyse (repeatable) [default: all]. The network background always uses
    /// every station.
    #[arg(long = "station", value_name = "ID")]
    stations: Vec<String>,
    /// Pollutants for bearings (codes, comma-separated) [default: so2,no2,pm10,co].
    #[arg(long, value_delimiter = ',')]
    pollutants: Vec<Parameter>,
    /// Percentile of the CPF.
    #[arg(long, default_value_t = 75.0)]
    percentile: f64,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Number of NMF factors per station [default: chosen by Q/Qexp, up to 4].
    #[arg(long, value_name = "N")]
    factors: Option<usize>,
    /// Folder for polar plots, CPF roses and percentile roses (PNG + SVG per station and
    /// pollutant) and the station map.
    #[arg(long, value_name = "DIR")]
    plots: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum SourcesCommand {
    /// List the stored source flags (new local episodes flagged by the `sources` job, with
    /// their evidence) of the episodes that began in a range of local days.
    Flags(super::source_flags::FlagsArgs),
}

/// Runs the analysis, or `lantian sources flags`.
pub(super) fn run(config: &Config, args: SourcesArgs) -> anyhow::Result<()> {
    if let Some(SourcesCommand::Flags(flags)) = args.command {
        return super::source_flags::run(config, flags);
    }
    let (Some(first), Some(last)) = (args.from, args.to) else {
        anyhow::bail!("--from and --to are required");
    };
    anyhow::ensure!(last >= first, "--to {last} is before --from {first}");
    let store = super::open_store(config)?;
    // Local days of the network.
    let tz = network_zone(&store.stations()?);
    let mut cfg = AnalysisConfig::default();
    cfg.cpf.percentile = args.percentile;
    if !args.pollutants.is_empty() {
        cfg.pollutants = args.pollutants.clone();
    }
    if let Some(k) = args.factors {
        anyhow::ensure!((1..=4).contains(&k), "--factors {k}: give 1 to 4");
        if let Some(fc) = cfg.factors.as_mut() {
            fc.factors = Some(k);
        }
    }
    cfg.time_zone = tz;
    let DaysAnalysis {
        analysis,
        series: all,
    } = analyse_days(store.as_ref(), first, last, &args.stations, &cfg)?;
    if let Some(dir) = &args.plots {
        write_plots(&analysis, &all, (first, last), cfg.min_confidence, dir)?;
    }
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&analysis)?),
        Format::Table => print_tables(&analysis),
    }
    for p in &analysis.problems {
        eprintln!("not analysed: {p}");
    }
    Ok(())
}

fn print_tables(a: &lantian::sources::Analysis) {
    let mut t = Table::new(
        &[
            "station",
            "pollutant",
            "bearing",
            "confidence",
            "z",
            "CPF",
            "hours",
        ],
        &["bearing", "confidence", "z", "CPF", "hours"],
    );
    for b in &a.bearings {
        let x = &b.bearing;
        t.push(vec![
            b.station.clone(),
            b.pollutant.to_string(),
            format!("{:.0}°", x.bearing_deg),
            format!("{:.3}", x.confidence),
            format!("{:.1}", x.z),
            format!("{:.2}", x.cpf),
            x.n.to_string(),
        ]);
    }
    println!("Bearings\n{}", t.render());
    let mut t = Table::new(
        &[
            "lat",
            "lon",
            "radius_m",
            "misfit",
            "pollutants",
            "stations",
            "contradicting",
        ],
        &["lat", "lon", "radius_m", "misfit"],
    );
    for l in &a.located {
        t.push(vec![
            format!("{:.4}", l.lat),
            format!("{:.4}", l.lon),
            format!("{:.0}", l.radius_m),
            format!("{:.1}°", l.misfit_deg),
            codes(&l.pollutants),
            l.stations.join(","),
            l.contradicting.join(","),
        ]);
    }
    println!("Located sources\n{}", t.render());
    let mut t = Table::new(
        &[
            "station",
            "start",
            "end",
            "hours",
            "peak",
            "pollutants",
            "source_type",
            "rule",
        ],
        &["hours", "peak"],
    );
    for e in &a.episodes {
        let x = &e.episode;
        t.push(vec![
            x.scope.to_string(),
            x.start.format("%Y-%m-%d %H:%M").to_string(),
            x.end.format("%Y-%m-%d %H:%M").to_string(),
            x.hours.to_string(),
            format!("{:.1} {}", x.peak, x.peak_pollutant),
            codes(&x.pollutants),
            e.source_type.to_string(),
            e.rule.clone(),
        ]);
    }
    println!("Episodes\n{}", t.render());
    let mut t = Table::new(
        &[
            "station",
            "factor",
            "share",
            "resembles",
            "profile",
            "peak hour",
            "Q/Qexp",
        ],
        &["factor", "share", "peak hour", "Q/Qexp"],
    );
    for s in &a.factors {
        for (i, f) in s.factors.iter().enumerate() {
            let peak = (0..f.diurnal.len())
                .max_by(|x, y| f.diurnal[*x].total_cmp(&f.diurnal[*y]))
                .unwrap_or(0);
            t.push(vec![
                s.station.clone(),
                (i + 1).to_string(),
                format!("{:.0}%", f.share * 100.0),
                f.resembles.to_string(),
                f.profile
                    .iter()
                    .map(|(k, v)| format!("{k} {v:.2}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                format!("{:02}–{:02}", peak, peak + 1),
                format!("{:.2}", s.q / s.q_expected.max(1.0)),
            ]);
        }
    }
    println!("Factors (NMF)\n{}", t.render());
}

/// Parameter codes joined by commas.
fn codes(parameters: &[Parameter]) -> String {
    parameters
        .iter()
        .map(|p| p.code())
        .collect::<Vec<_>>()
        .join(",")
}
