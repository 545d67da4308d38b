//! `lantian health`: the devices' health as last stored by the collectors — what a station
//! maintainer checks first.

use clap::Args;
use lantian::config::Config;
use lantian::store::DeviceHealth;
use lantian::store::network_zone;
use lantian::store::spool::Spool;

use super::table::Table;

/// Options of `lantian health`.
#[derive(Debug, Args)]
pub(super) struct HealthArgs {
    /// Only devices that are offline, failing, skipping polls or showing status bits.
    #[arg(long)]
    problems: bool,
    /// Only devices of this station.
    #[arg(long, value_name = "ID")]
    station: Option<String>,
}

/// Prints the table, worst first.
pub(super) fn run(config: &Config, args: HealthArgs) -> anyhow::Result<()> {
    let store = super::open_store(config)?;
    let tz = network_zone(&store.stations()?);
    let mut health: Vec<DeviceHealth> = store
        .health()?
        .into_iter()
        .filter(|h| args.station.as_ref().is_none_or(|s| &h.station == s))
        .filter(|h| !args.problems || h.has_problem())
        .collect();
    health.sort_by(|a, b| {
        (a.online, a.success_ratio())
            .partial_cmp(&(b.online, b.success_ratio()))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let local = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.with_timezone(&tz).format("%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| "—".into())
    };
    let mut table = Table::new(
        &[
            "device",
            "station",
            "online",
            "last success",
            "ok %",
            "latency ms",
            "fails in a row",
            "skipped/gaps",
            "status bits",
            "last failure",
            "last error",
            "peer",
            "rejected",
        ],
        &["ok %", "latency ms", "fails in a row", "skipped/gaps"],
    );
    for h in &health {
        table.push(vec![
            h.device.clone(),
            h.station.clone(),
            if h.online { "yes" } else { "NO" }.to_string(),
            local(h.last_success),
            format!("{:.1}", 100.0 * h.success_ratio()),
            h.last_latency_ms
                .map(|l| format!("{l:.1}"))
                .unwrap_or_else(|| "—".into()),
            h.consecutive_failures.to_string(),
            h.skipped.to_string(),
            h.status.join("; "),
            local(h.last_failure),
            h.last_error.clone().unwrap_or_default(),
            h.peer.clone().unwrap_or_default(),
            h.rejected
                .iter()
                .map(|(cause, n)| format!("{cause} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
        ]);
    }
    print!("{}", table.render());
    let offline = health.iter().filter(|h| !h.online).count();
    eprintln!(
        "{} devices shown ({offline} offline); times in {tz}",
        health.len()
    );
    eprintln!("{}", system_line(config, tz));
    for line in super::uplink::health_lines(config, tz) {
        eprintln!("{line}");
    }
    Ok(())
}

/// The system line: what waits in the collector's spool for the store.
fn system_line(config: &Config, tz: chrono_tz::Tz) -> String {
    let dir = config.spool_dir();
    let local = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&tz).format("%m-%d %H:%M:%S").to_string()
    };
    let mut line = match Spool::inspect(&dir) {
        Ok(s) if s.depth.records == 0 => format!("system: spool {} empty", dir.display()),
        Ok(s) => format!(
            "system: spool {}: {} records in {} batches ({:.1} MiB) waiting for the store; \
             oldest reading {}, spooled since {}",
            dir.display(),
            s.depth.records,
            s.depth.entries,
            s.depth.bytes as f64 / (1 << 20) as f64,
            s.oldest.map(local).unwrap_or_default(),
            s.oldest_spooled_at.map(local).unwrap_or_default(),
        ),
        Err(e) => format!("system: spool {} unreadable: {e}", dir.display()),
    };
    // A full filesystem is what stops a spool without its bound being reached.
    if dir.is_dir()
        && lantian::alarms::rules::system::disk_used_percent(&dir).is_ok_and(|u| u >= 100.0)
    {
        line.push_str(
            "; its filesystem is FULL: a running collector holds what it collects in memory, \
             then pauses, until there is room",
        );
    }
    line
}
