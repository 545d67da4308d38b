//! `lantian stations`: list and validate the registry.

use clap::Args;
use lantian::config::Config;
use lantian::registry::{Profile, Registry};

use super::table::Table;

/// Options of `lantian stations`.
#[derive(Debug, Args)]
pub(super) struct StationsArgs {
    /// Also list every device with its profile, endpoint, unit and poll interval.
    #[arg(long)]
    devices: bool,
}

/// Loads (and so validates) the registry and prints it, with its warnings and the profiles no
/// device uses (checked, but not part of the registry).
pub(super) fn run(config: &Config, args: StationsArgs) -> anyhow::Result<()> {
    let registry = Registry::load(&config.registry)?;
    let net = &registry.network;
    println!(
        "{} — {} ({}), time zone {}, {} stations, {} devices, {} profiles, {} HJ 212 loggers",
        net.id,
        net.name,
        net.name_en,
        net.time_zone,
        registry.stations.len(),
        registry.devices().count(),
        registry.profiles.len(),
        registry.hj212_devices().count()
    );
    if args.devices {
        let mut t = Table::new(
            &[
                "device", "station", "profile", "endpoint", "unit", "interval",
            ],
            &["unit"],
        );
        for d in registry.devices() {
            t.push(vec![
                d.id.clone(),
                d.station.to_string(),
                d.profile.id.clone(),
                d.transport.to_string(),
                d.unit.to_string(),
                format!("{}s", d.poll_interval.num_seconds()),
            ]);
        }
        for d in registry.hj212_devices() {
            t.push(vec![
                d.id.clone(),
                d.station.to_string(),
                "—".into(),
                format!("hj212 MN {} (PW {})", d.mn, d.pw),
                "—".into(),
                format!("{}m minute data", d.minute_interval.num_minutes()),
            ]);
        }
        print!("{}", t.render());
    } else {
        let mut t = Table::new(
            &[
                "id", "name", "name_en", "district", "kind", "role", "lat", "lon", "elev_m",
                "devices",
            ],
            &["lat", "lon", "elev_m", "devices"],
        );
        for s in &registry.stations {
            t.push(vec![
                s.id.to_string(),
                s.name.clone(),
                s.name_en.clone(),
                s.district.clone(),
                format!("{:?}", s.kind).to_lowercase(),
                s.kind.role().to_string(),
                format!("{:.4}", s.lat),
                format!("{:.4}", s.lon),
                format!("{:.0}", s.elevation_m),
                (s.devices.len() + s.hj212.len()).to_string(),
            ]);
        }
        print!("{}", t.render());
    }
    print_checks(&registry);
    Ok(())
}

/// The registry's warnings, and each profile file no device uses with whether it would load.
fn print_checks(registry: &Registry) {
    let mut lines: Vec<String> = registry
        .warnings
        .iter()
        .map(|w| format!("warning: {w}"))
        .collect();
    for file in registry.unused_profiles() {
        match Profile::load(&file, &registry.network.reference) {
            Ok((_, warnings)) => {
                lines.push(format!(
                    "unused: {}: no device uses this profile; it is not loaded (it would load{})",
                    file.display(),
                    match warnings.len() {
                        0 => String::new(),
                        n => format!(", with {n} warning(s)"),
                    }
                ));
                lines.extend(warnings.iter().map(|w| format!("warning: {w}")));
            }
            Err(e) => lines.push(format!(
                "unused: {e} (no device uses this profile; it is not loaded)"
            )),
        }
    }
    if !lines.is_empty() {
        println!("\n{}", lines.join("\n"));
    }
}
