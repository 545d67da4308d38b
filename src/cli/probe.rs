//! `lantian probe`: read a device once through a profile and print the raw words beside the
//! decoded values and the status bits, to check a profile against the instrument's front
//! panel before it goes into the network.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use lantian::collect::probe::{ProbeReport, probe};
use lantian::config::Config;
use lantian::registry::{Profile, Registry, Transport};
use lantian::units::ReferenceState;

use super::table::Table;

/// Options of `lantian probe`.
#[derive(Debug, Args)]
pub(super) struct ProbeArgs {
    /// A device of the registry: its profile, endpoint and unit id (each can be overridden).
    #[arg(value_name = "DEVICE")]
    device: Option<String>,
    /// The profile to read with: a file, or the id of one in the registry's profiles folder
    /// [default: the device's].
    #[arg(long, value_name = "FILE|ID")]
    profile: Option<String>,
    /// Modbus TCP at HOST:PORT.
    #[arg(long, value_name = "HOST:PORT", group = "endpoint")]
    tcp: Option<String>,
    /// Modbus RTU through a TCP serial gateway at HOST:PORT.
    #[arg(long, value_name = "HOST:PORT", group = "endpoint")]
    rtu_over_tcp: Option<String>,
    /// Modbus RTU on a serial port.
    #[arg(long, value_name = "PATH", group = "endpoint")]
    rtu: Option<PathBuf>,
    /// Serial speed for --rtu.
    #[arg(long, default_value_t = 9600, requires = "rtu")]
    baud: u32,
    /// Modbus unit (slave) id [default: the device's, else 1].
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=247))]
    unit: Option<u8>,
    /// Time allowed for connecting and for each request, in milliseconds.
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    timeout_ms: u64,
}

/// What to read, with what, from where.
struct Target {
    profile: Profile,
    profile_file: PathBuf,
    transport: Transport,
    unit: u8,
    reference: ReferenceState,
}

/// Reads once and prints; fails when the connection fails or any request is refused.
pub(super) async fn run(config: &Config, args: ProbeArgs) -> anyhow::Result<()> {
    let target = target(config, &args)?;
    let profile = &target.profile;
    println!(
        "{} {} — profile {} ({})",
        profile.manufacturer,
        profile.model,
        profile.id,
        target.profile_file.display()
    );
    println!(
        "{} unit {}; ppb/ppm → µg/m³ at {} °C, {} hPa",
        target.transport,
        target.unit,
        target.reference.temperature_c,
        target.reference.pressure_hpa
    );
    let timeout = Duration::from_millis(args.timeout_ms);
    let report = probe(profile, &target.transport, target.unit, timeout)
        .await
        .with_context(|| format!("connecting to {} unit {}", target.transport, target.unit))?;
    print_report(profile, &report);
    let failed = report.failed_requests();
    if failed > 0 {
        bail!(
            "{failed} of {} requests failed (see above)",
            report.requests.len()
        );
    }
    Ok(())
}

/// Resolves the device, profile, endpoint and unit from the arguments and the registry.
fn target(config: &Config, args: &ProbeArgs) -> anyhow::Result<Target> {
    let registry = match &args.device {
        Some(_) => Some(super::load_registry(config)?),
        // Without a device the registry only lends its reference state and profile folder.
        None if config.registry.exists() => match Registry::load(&config.registry) {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::warn!("{e}; using the default reference state");
                None
            }
        },
        None => None,
    };
    let reference = registry
        .as_ref()
        .map(|r| r.network.reference)
        .unwrap_or_default();
    let device = match &args.device {
        Some(id) => {
            let registry = registry.as_ref().expect("loaded for a device");
            let Some(device) = registry.devices().find(|d| &d.id == id) else {
                bail!(
                    "no device `{id}` in {} (`lantian stations --devices` lists them)",
                    config.registry.display()
                );
            };
            Some(device)
        }
        None => None,
    };
    let profile_dir = config
        .registry
        .parent()
        .unwrap_or(Path::new("."))
        .join("profiles");
    let profile_file = match (&args.profile, device) {
        (Some(p), _) if Path::new(p).is_file() => PathBuf::from(p),
        (Some(id), _) => {
            let file = profile_dir.join(format!("{id}.toml"));
            anyhow::ensure!(
                file.is_file(),
                "no profile file `{id}` (nor {})",
                file.display()
            );
            file
        }
        (None, Some(d)) => profile_dir.join(format!("{}.toml", d.profile.id)),
        (None, None) => bail!("give a DEVICE of the registry, or --profile FILE and an endpoint"),
    };
    let (profile, warnings) = Profile::load(&profile_file, &reference)?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let transport = match (&args.tcp, &args.rtu_over_tcp, &args.rtu, device) {
        (Some(address), _, _, _) => Transport::Tcp {
            address: address.clone(),
        },
        (_, Some(address), _, _) => Transport::RtuOverTcp {
            address: address.clone(),
        },
        (_, _, Some(path), _) => Transport::Rtu {
            path: path.clone(),
            baud: args.baud,
        },
        (None, None, None, Some(d)) => d.transport.clone(),
        (None, None, None, None) => bail!("give an endpoint: --tcp, --rtu-over-tcp or --rtu"),
    };
    Ok(Target {
        profile,
        profile_file,
        transport,
        unit: args.unit.or(device.map(|d| d.unit)).unwrap_or(1),
        reference,
    })
}

fn print_report(profile: &Profile, report: &ProbeReport) {
    let mut requests = Table::new(&["request", "outcome", "ms"], &["ms"]);
    for r in &report.requests {
        let last = u32::from(r.request.start) + u32::from(r.request.count) - 1;
        requests.push(vec![
            format!("{} {}..={}", r.request.kind, r.request.start, last),
            match (&r.result, &r.refusal) {
                (Ok(_), _) => "ok".to_string(),
                (Err(_), Some(refusal)) => refusal.to_string(),
                (Err(e), None) => e.to_string(),
            },
            format!("{:.1}", r.elapsed.as_secs_f64() * 1e3),
        ]);
    }
    println!("\nrequests\n{}", requests.render());

    let mut values = Table::new(
        &[
            "parameter",
            "register",
            "type",
            "order",
            "raw words",
            "decoded",
            "× scale + offset",
            "device value",
            "stored",
            "flag",
        ],
        &["decoded", "device value", "stored"],
    );
    let mut orders = Vec::new();
    for (spec, v) in profile.values.iter().zip(&report.values) {
        let dash = || "—".to_string();
        values.push(vec![
            spec.parameter.to_string(),
            format!("{} {}", spec.kind, spec.address),
            format!("{:?}", spec.data_type).to_lowercase(),
            format!("{:?}", spec.order),
            v.words
                .as_ref()
                .map(|w| {
                    w.iter()
                        .map(|x| format!("{x:04X}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_else(dash),
            v.raw.map(|x| format!("{x}")).unwrap_or_else(dash),
            format!("× {} + {}", spec.scale, spec.offset),
            v.device_value
                .map(|x| format!("{} {}", short(x), spec.unit))
                .unwrap_or_else(dash),
            v.canonical
                .map(|x| format!("{} {}", short(x), spec.parameter.canonical_unit()))
                .unwrap_or_else(dash),
            match v.flag {
                Some(f) => f.code().to_string(),
                None if v.raw.is_some() => "?".to_string(),
                None => dash(),
            },
        ]);
        if !v.other_orders.is_empty() {
            let alternatives: Vec<String> = v
                .other_orders
                .iter()
                .map(|(o, x)| format!("{o:?} {}", short(*x)))
                .collect();
            orders.push(format!(
                "  {} in other byte orders: {}",
                spec.parameter,
                alternatives.join(", ")
            ));
        }
    }
    println!("values\n{}", values.render());
    if !orders.is_empty() {
        println!("{}\n", orders.join("\n"));
    }

    if !profile.status.is_empty() {
        let mut bits = Table::new(&["status bit", "name", "meaning", "affects", "state"], &[]);
        for (s, state) in profile.status.iter().zip(&report.status) {
            bits.push(vec![
                match s.bit {
                    Some(b) => format!("{} {} bit {b}", s.kind, s.address),
                    None => format!("{} {}", s.kind, s.address),
                },
                s.name.clone(),
                format!("{:?}", s.meaning).to_lowercase(),
                if s.parameters.is_empty() {
                    "all".to_string()
                } else {
                    s.parameters
                        .iter()
                        .map(|p| p.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                match state {
                    Some(true) => "SET".to_string(),
                    Some(false) => "clear".to_string(),
                    None => "—".to_string(),
                },
            ]);
        }
        let set = report.status.iter().filter(|s| **s == Some(true)).count();
        println!("status bits ({set} set)\n{}", bits.render());
    }
}

/// A number as a front panel shows it: six significant digits, without trailing zeros.
fn short(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    if x.abs() >= 1e9 || x.abs() < 1e-4 {
        return format!("{x:.4e}");
    }
    let decimals = (5 - x.abs().log10().floor() as i32).clamp(0, 6) as usize;
    let text = format!("{x:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}
