//! The listening socket: accepts connections up to `max_connections` in all and
//! `max_connections_per_ip` from one address (more are closed at once and counted), one task
//! per connection, and the handle the rest of lantian holds.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::command::Routes;
use super::control::LoggerControl;
use super::counters::{Counters, CountersSnapshot};
use super::logger::Loggers;
use super::{Hj212Config, Server, session};
use crate::clock::Clock;
use crate::collect::health::HealthBoard;
use crate::collect::sink::Batch;

/// The listener could not start.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    /// A setting is out of range.
    #[error("{0}")]
    Config(String),
    /// The address cannot be bound.
    #[error("cannot listen for HJ 212 on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// A running HJ 212 ingest server.
pub struct Hj212Listener {
    addr: SocketAddr,
    server: Arc<Server>,
    task: tokio::task::JoinHandle<()>,
}

impl Hj212Listener {
    /// Listens on `addr` for `loggers` (their health slots are added to `health`), sending
    /// their records to `intake` (the pipeline's: [`crate::collect::Pipeline::intake`]).
    /// Times in health come from `clock`. A non-loopback address is taken with a warning.
    pub async fn start(
        config: &Hj212Config,
        addr: SocketAddr,
        loggers: Loggers,
        clock: Clock,
        intake: mpsc::Sender<Batch>,
        health: &HealthBoard,
    ) -> Result<Hj212Listener, ListenError> {
        config.validate().map_err(ListenError::Config)?;
        let socket = TcpListener::bind(addr)
            .await
            .map_err(|source| ListenError::Bind { addr, source })?;
        let addr = socket
            .local_addr()
            .map_err(|source| ListenError::Bind { addr, source })?;
        if !addr.ip().is_loopback() {
            tracing::warn!(
                "HJ 212 listener on {addr}, reachable from other machines: every packet's MN \
                 and PW are checked, but HJ 212 sends them in clear text; prefer a VPN or a \
                 firewall that admits the loggers' networks only"
            );
        }
        let (loggers, zone) = loggers.serve(health);
        let server = Arc::new(Server {
            config: config.clone(),
            loggers,
            zone,
            clock,
            intake,
            counters: Counters::default(),
            routes: Routes::default(),
            shutdown: CancellationToken::new(),
        });
        tracing::info!(
            "HJ 212 listener on {addr} for {} loggers (at most {} connections)",
            server.loggers.len(),
            config.max_connections
        );
        let task = tokio::spawn(accept(socket, server.clone()));
        Ok(Hj212Listener { addr, server, task })
    }

    /// The address it listens on (with the port chosen when 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// What it has counted so far.
    pub fn counters(&self) -> CountersSnapshot {
        self.server.counters.snapshot()
    }

    /// The handle that sends its loggers commands and reads their state; it may be cloned
    /// and kept by other parts of lantian (the web platform).
    pub fn control(&self) -> LoggerControl {
        LoggerControl::new(&self.server)
    }

    /// Closes every connection and waits for them: packets being taken are spooled (and
    /// acknowledged) first. Its records' sender is dropped when this returns.
    pub async fn stop(self) {
        self.server.shutdown.cancel();
        if let Err(e) = self.task.await {
            tracing::error!("HJ 212 listener task failed: {e}");
        }
    }
}

/// The connections open per peer address.
#[derive(Default)]
struct PerIp(Mutex<HashMap<IpAddr, usize>>);

/// One connection of an address, counted while it lives.
struct IpSlot {
    table: Arc<PerIp>,
    ip: IpAddr,
}

impl PerIp {
    /// A slot for a connection of `ip` when fewer than `max` are open.
    fn acquire(table: &Arc<PerIp>, ip: IpAddr, max: usize) -> Option<IpSlot> {
        let mut open = table.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(ip).or_default();
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(IpSlot {
            table: table.clone(),
            ip,
        })
    }
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut open = self.table.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// Accepts connections until the server stops, then waits for them to end.
async fn accept(socket: TcpListener, server: Arc<Server>) {
    let slots = Arc::new(Semaphore::new(server.config.max_connections));
    let per_ip = Arc::new(PerIp::default());
    let mut sessions = JoinSet::new();
    let mut full_logged = false;
    loop {
        tokio::select! {
            () = server.shutdown.cancelled() => break,
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
            accepted = socket.accept() => match accepted {
                Ok((stream, peer)) => {
                    let Ok(permit) = slots.clone().try_acquire_owned() else {
                        server.counters.refused(peer.ip(), false);
                        if !full_logged {
                            tracing::warn!(
                                "HJ 212: {} connections open (max_connections); closing new \
                                 ones (first: {peer})",
                                server.config.max_connections
                            );
                            full_logged = true;
                        }
                        drop(stream);
                        continue;
                    };
                    full_logged = false;
                    let max_per_ip = server.config.max_connections_per_ip;
                    let Some(ip_slot) = PerIp::acquire(&per_ip, peer.ip(), max_per_ip) else {
                        if server.counters.refused(peer.ip(), true) {
                            tracing::warn!(
                                "HJ 212: {max_per_ip} connections from {} open \
                                 (max_connections_per_ip); closing new ones from it",
                                peer.ip()
                            );
                        }
                        drop(stream);
                        continue;
                    };
                    if let Err(e) = stream.set_nodelay(true) {
                        tracing::debug!("HJ 212: TCP_NODELAY for {peer}: {e}");
                    }
                    server.counters.opened(peer.ip());
                    let server = server.clone();
                    sessions.spawn(async move {
                        session::serve(server.clone(), stream, peer).await;
                        server.counters.closed();
                        drop((permit, ip_slot));
                    });
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!("HJ 212: accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
    drop(socket);
    while let Some(result) = sessions.join_next().await {
        if let Err(e) = result {
            tracing::error!("HJ 212 connection task failed: {e}");
        }
    }
}
