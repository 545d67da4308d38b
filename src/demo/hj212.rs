//! The demo's HJ 212 station group: the registry's `transport = "hj212"` micro-stations upload
//! from the simulator's loggers ([`crate::sim::logger`]) to an HJ 212 listener on a free
//! loopback port ([`crate::collect::hj212`]) that feeds the same pipeline as the Modbus
//! collectors.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use rand::Rng;
use rand::distributions::Alphanumeric;

use crate::clock::Clock;
use crate::collect::Pipeline;
use crate::collect::hj212::{
    Hj212Config, Hj212Listener, ListenError, LoggerPwError, Loggers, Rejection,
};
use crate::registry::{PwSource, Registry};
use crate::sim::environment::Environment;
use crate::sim::logger::{LoggerCounts, LoggerError, LoggerGroup, LoggerSpec};

/// The HJ 212 group could not start.
#[derive(Debug, thiserror::Error)]
pub enum Hj212DemoError {
    /// A generated PW could not be written to the demo's folder.
    #[error("{}: {source}", path.display())]
    PwFile {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The listener's loggers (their PWs).
    #[error(transparent)]
    Loggers(#[from] LoggerPwError),
    /// The listener could not start.
    #[error(transparent)]
    Listen(#[from] ListenError),
    /// The simulated loggers could not start.
    #[error(transparent)]
    Simulated(#[from] LoggerError),
}

/// What the HJ 212 loggers sent and what the listener made of it.
#[derive(Debug, Clone, Default)]
pub struct Hj212Summary {
    /// Simulated loggers.
    pub loggers: usize,
    /// Their counts, summed.
    pub sent: LoggerCounts,
    /// Data packets the listener accepted.
    pub accepted: u64,
    /// Records they carried.
    pub records: u64,
    /// Packets it rejected, per cause.
    pub rejected: BTreeMap<Rejection, u64>,
}

/// The running group: the listener and the loggers sending to it.
pub(super) struct Hj212Group {
    listener: Hj212Listener,
    loggers: LoggerGroup,
}

impl Hj212Group {
    /// Starts the group when the registry has HJ 212 devices and the scenario an `[hj212]`
    /// section (`None` otherwise). A device whose `pw_env` variable is not set gets a PW
    /// generated for this run, kept in a file of `out` readable by its owner only.
    pub(super) async fn start(
        registry: &mut Registry,
        environment: &Arc<Environment>,
        clock: &Clock,
        pipeline: &Pipeline,
        config: &Hj212Config,
        out: &Path,
    ) -> Result<Option<Hj212Group>, Hj212DemoError> {
        if environment.scenario().hj212.is_none() || registry.hj212_devices().next().is_none() {
            return Ok(None);
        }
        let folder =
            std::path::absolute(out.join("hj212-pw")).map_err(|source| Hj212DemoError::PwFile {
                path: out.join("hj212-pw"),
                source,
            })?;
        provide_pws(registry, &folder)?;
        let listener = Hj212Listener::start(
            config,
            SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            Loggers::from_registry(registry)?,
            clock.clone(),
            pipeline.intake(),
            pipeline.health(),
        )
        .await?;
        let specs = LoggerSpec::from_registry(registry)?;
        let loggers = LoggerGroup::start(
            registry,
            specs,
            environment.clone(),
            clock.clone(),
            Some(listener.local_addr().to_string()),
        )?;
        Ok(Some(Hj212Group { listener, loggers }))
    }

    /// Stops the loggers, then the listener (its packets in flight are spooled first).
    pub(super) async fn stop(self) -> Hj212Summary {
        let counts = self.loggers.counts();
        self.loggers.stop().await;
        let counters = self.listener.counters();
        self.listener.stop().await;
        let mut sent = LoggerCounts::default();
        for (_, c) in &counts {
            sent.sent += c.sent;
            sent.acknowledged += c.acknowledged;
            sent.retried += c.retried;
            sent.given_up += c.given_up;
            sent.dropped += c.dropped;
            sent.connections += c.connections;
            sent.backlog += c.backlog;
        }
        Hj212Summary {
            loggers: counts.len(),
            sent,
            accepted: counters.accepted,
            records: counters.records,
            rejected: counters.rejected,
        }
    }
}

/// Points every `pw_env` device whose variable is unset at a file in `folder` holding a PW
/// generated now (never one in the repository).
fn provide_pws(registry: &mut Registry, folder: &Path) -> Result<(), Hj212DemoError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Hj212DemoError::PwFile { path, source }
    };
    for station in &mut registry.stations {
        for device in &mut station.hj212 {
            let PwSource::Env(var) = &device.pw else {
                continue;
            };
            if std::env::var_os(var).is_some() {
                continue;
            }
            std::fs::create_dir_all(folder).map_err(io(folder))?;
            let path = folder.join(format!("{}.pw", device.id));
            let pw: String = rand::thread_rng()
                .sample_iter(&Alphanumeric)
                .take(12)
                .map(char::from)
                .collect();
            write_private(&path, &pw).map_err(io(&path))?;
            device.pw = PwSource::File(path);
        }
    }
    Ok(())
}

/// Writes `text` to `path`, readable and writable by its owner only.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)?
        .write_all(format!("{text}\n").as_bytes())
}
