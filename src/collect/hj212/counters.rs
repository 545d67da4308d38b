//! What the ingest server counts: connections, packets taken and rejected (by cause, in all
//! and per peer address), the bytes skipped, and the largest buffer any connection held —
//! the figure that shows a hostile client cannot grow memory. Each (peer, cause) and each
//! unknown MN is logged once.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use enum_map::{Enum, EnumMap};

/// Why a packet was not taken. Nothing of a rejected packet is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Enum)]
pub enum Rejection {
    /// A required part is missing (`##` + length, CRC, CP, ST, CN).
    Malformed,
    /// The length field does not match the data segment.
    BadLength,
    /// The CRC does not match.
    BadCrc,
    /// Length and CRC are right, but the packet departs from the standard and
    /// `accept_deviations` is off.
    Nonstandard,
    /// A start of packet with no end within the maximum packet length.
    Oversized,
    /// The MN is no logger of the registry.
    UnknownMn,
    /// The PW is not the logger's.
    WrongPw,
    /// A data packet without a readable `DataTime` (or one that does not exist in the
    /// station's zone).
    BadDataTime,
    /// A split packet whose parts do not fit together (or never all arrived).
    BadSplit,
}

impl Rejection {
    /// The cause's name in logs, counters and device health.
    pub const fn name(self) -> &'static str {
        match self {
            Rejection::Malformed => "malformed",
            Rejection::BadLength => "bad-length",
            Rejection::BadCrc => "bad-crc",
            Rejection::Nonstandard => "nonstandard",
            Rejection::Oversized => "oversized",
            Rejection::UnknownMn => "unknown-mn",
            Rejection::WrongPw => "wrong-pw",
            Rejection::BadDataTime => "bad-datatime",
            Rejection::BadSplit => "bad-split",
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Peer addresses tracked one by one; beyond, they are counted together (a scan from many
/// addresses cannot grow the table).
const MAX_PEERS: usize = 4096;
/// Unknown MNs remembered for logging once.
const MAX_UNKNOWN_MNS: usize = 4096;

/// What one peer address did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerCounts {
    /// Connections opened.
    pub connections: u64,
    /// Connections closed at once: this address had `max_connections_per_ip` open, or the
    /// server `max_connections`.
    pub refused: u64,
    /// Packets taken.
    pub accepted: u64,
    /// Packets rejected, by cause.
    pub rejected: BTreeMap<Rejection, u64>,
}

/// A copy of the server's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountersSnapshot {
    /// Connections open now.
    pub open: u64,
    /// Connections accepted since the start.
    pub connections: u64,
    /// Connections closed at once because `max_connections` were open.
    pub refused: u64,
    /// Connections closed at once because their address had `max_connections_per_ip` open.
    pub refused_per_ip: u64,
    /// Connections closed for idleness (or for not logging in within `login_timeout`).
    pub timed_out: u64,
    /// Packets taken (their records spooled).
    pub accepted: u64,
    /// Records sent to the spool.
    pub records: u64,
    /// Packets rejected, by cause.
    pub rejected: BTreeMap<Rejection, u64>,
    /// Bytes skipped by the framers (noise between packets, oversized starts).
    pub skipped_bytes: u64,
    /// The most bytes any connection's framer held at once.
    pub max_buffered: u64,
    /// Times a connection was slowed down for sending too fast.
    pub throttled: u64,
    /// Per peer address (the busiest `MAX_PEERS`; the rest under none).
    pub peers: BTreeMap<Option<IpAddr>, PeerCounts>,
}

/// The live counters, shared by every connection.
#[derive(Debug, Default)]
pub(super) struct Counters {
    open: AtomicU64,
    connections: AtomicU64,
    refused: AtomicU64,
    refused_per_ip: AtomicU64,
    timed_out: AtomicU64,
    accepted: AtomicU64,
    records: AtomicU64,
    rejected: EnumMap<Rejection, AtomicU64>,
    skipped_bytes: AtomicU64,
    max_buffered: AtomicU64,
    throttled: AtomicU64,
    peers: Mutex<PeerTable>,
}

#[derive(Debug, Default)]
struct PeerTable {
    peers: HashMap<Option<IpAddr>, PeerCounts>,
    logged: HashSet<(Option<IpAddr>, Rejection)>,
    unknown_mns: HashSet<String>,
}

impl PeerTable {
    /// The entry of `ip` (the shared one when the table is full).
    fn entry(&mut self, ip: IpAddr) -> &mut PeerCounts {
        let key = if self.peers.len() < MAX_PEERS || self.peers.contains_key(&Some(ip)) {
            Some(ip)
        } else {
            None
        };
        self.peers.entry(key).or_default()
    }
}

impl Counters {
    pub(super) fn snapshot(&self) -> CountersSnapshot {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let table = self.table();
        CountersSnapshot {
            open: get(&self.open),
            connections: get(&self.connections),
            refused: get(&self.refused),
            refused_per_ip: get(&self.refused_per_ip),
            timed_out: get(&self.timed_out),
            accepted: get(&self.accepted),
            records: get(&self.records),
            rejected: self
                .rejected
                .iter()
                .map(|(cause, n)| (cause, get(n)))
                .filter(|(_, n)| *n > 0)
                .collect(),
            skipped_bytes: get(&self.skipped_bytes),
            max_buffered: get(&self.max_buffered),
            throttled: get(&self.throttled),
            peers: table.peers.iter().map(|(k, v)| (*k, v.clone())).collect(),
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, PeerTable> {
        self.peers.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn opened(&self, ip: IpAddr) {
        self.connections.fetch_add(1, Ordering::Relaxed);
        self.open.fetch_add(1, Ordering::Relaxed);
        self.table().entry(ip).connections += 1;
    }

    pub(super) fn closed(&self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }

    /// Counts a connection from `ip` closed at once, for the address's limit (`per_ip`) or
    /// the server's; true the first time `ip` is refused (log it then).
    pub(super) fn refused(&self, ip: IpAddr, per_ip: bool) -> bool {
        let total = if per_ip {
            &self.refused_per_ip
        } else {
            &self.refused
        };
        total.fetch_add(1, Ordering::Relaxed);
        let mut table = self.table();
        let peer = table.entry(ip);
        peer.refused += 1;
        peer.refused == 1
    }

    pub(super) fn timed_out(&self) {
        self.timed_out.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn throttled(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn skipped(&self, bytes: usize) {
        self.skipped_bytes
            .fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub(super) fn buffered(&self, bytes: usize) {
        self.max_buffered.fetch_max(bytes as u64, Ordering::Relaxed);
    }

    pub(super) fn accepted(&self, ip: IpAddr, records: usize) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
        self.records.fetch_add(records as u64, Ordering::Relaxed);
        self.table().entry(ip).accepted += 1;
    }

    /// Counts a rejection; true the first time `ip` gets this cause (log it then).
    pub(super) fn rejected(&self, ip: IpAddr, cause: Rejection) -> bool {
        self.rejected[cause].fetch_add(1, Ordering::Relaxed);
        let mut table = self.table();
        *table.entry(ip).rejected.entry(cause).or_default() += 1;
        let key = if table.peers.contains_key(&Some(ip)) {
            Some(ip)
        } else {
            None
        };
        table.logged.insert((key, cause))
    }

    /// True the first time `mn` is seen as an unknown MN (log it then).
    pub(super) fn first_unknown_mn(&self, mn: &str) -> bool {
        let mut table = self.table();
        if table.unknown_mns.len() >= MAX_UNKNOWN_MNS || table.unknown_mns.contains(mn) {
            return false;
        }
        table.unknown_mns.insert(mn.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_peer_and_cause_is_logged_once_and_the_table_is_bounded() {
        let counters = Counters::default();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(counters.rejected(a, Rejection::BadCrc));
        assert!(!counters.rejected(a, Rejection::BadCrc));
        assert!(counters.rejected(a, Rejection::WrongPw));
        for i in 0..(MAX_PEERS as u32 + 10) {
            counters.opened(IpAddr::from(i.to_be_bytes()));
        }
        let s = counters.snapshot();
        assert!(s.peers.len() <= MAX_PEERS + 1);
        assert_eq!(s.peers[&Some(a)].rejected[&Rejection::BadCrc], 2);
        assert_eq!(s.rejected[&Rejection::WrongPw], 1);
        assert!(s.peers[&None].connections >= 10);
        assert!(counters.first_unknown_mn("X1"));
        assert!(!counters.first_unknown_mn("X1"));
    }
}
