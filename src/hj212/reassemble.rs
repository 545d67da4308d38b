//! Split packets (Flag D bit, `PNUM`/`PNO`) put back together, per (MN, QN).
//!
//! Each part is a packet of its own with the same QN; its CP holds some of the groups (and
//! usually repeats `DataTime`). Parts may arrive in any order and more than once. Memory is
//! bounded: at most [`Limits::max_parts`] parts are held; a packet that would need more is
//! refused, and to make room the oldest incomplete packets are dropped. Incomplete packets
//! older than [`Limits::max_age`] are dropped by [`Reassembler::expire`]. Every drop is
//! reported ([`Reassembler::take_dropped`]), never silent.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::cp::Cp;
use super::packet::{Packet, PacketFlag};

/// Bounds of a reassembler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Parts held at most, over all incomplete packets.
    pub max_parts: usize,
    /// How long an incomplete packet waits for its other parts.
    pub max_age: Duration,
}

impl Default for Limits {
    /// 256 parts (≤ 256 KiB of packets), 10 minutes.
    fn default() -> Self {
        Limits {
            max_parts: 256,
            max_age: Duration::from_secs(600),
        }
    }
}

/// What became of a pushed packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A whole packet: one that was not split, or the last missing part arrived. Its `split`
    /// is `None` and its Flag's D bit cleared; CP holds every part's items in PNO order.
    Complete(Packet<'static>),
    /// A part was kept; the packet is still incomplete.
    Waiting {
        /// Parts held.
        have: u32,
        /// PNUM.
        total: u32,
    },
    /// A part that had already arrived with the same content (ignored).
    Duplicate,
}

/// A part that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReassemblyError {
    /// A split packet without QN cannot be matched with its other parts.
    #[error("split packet (PNO {index}/{total}) without QN")]
    NoQn {
        /// PNO.
        index: u32,
        /// PNUM.
        total: u32,
    },
    /// The part says another PNUM than the parts before it.
    #[error("MN {mn} QN {qn}: PNUM {total}, earlier parts said {expected}")]
    TotalChanged {
        /// MN.
        mn: String,
        /// QN.
        qn: String,
        /// This part's PNUM.
        total: u32,
        /// The earlier parts' PNUM.
        expected: u32,
    },
    /// A part with the same PNO and different content (the first is kept).
    #[error("MN {mn} QN {qn}: part {index} again with different content (the first is kept)")]
    Conflict {
        /// MN.
        mn: String,
        /// QN.
        qn: String,
        /// PNO.
        index: u32,
    },
    /// The packet has more parts than the reassembler may hold.
    #[error("MN {mn} QN {qn}: {total} parts, more than the {max_parts} that may be held")]
    TooManyParts {
        /// MN.
        mn: String,
        /// QN.
        qn: String,
        /// PNUM.
        total: u32,
        /// The limit.
        max_parts: usize,
    },
}

/// An incomplete packet that was given up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// MN.
    pub mn: String,
    /// QN.
    pub qn: String,
    /// Parts that had arrived.
    pub have: u32,
    /// PNUM.
    pub total: u32,
    /// Why.
    pub reason: DropReason,
}

/// Why an incomplete packet was given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// It waited longer than the age limit.
    Expired,
    /// Room was needed for newer parts.
    Evicted,
}

#[derive(Debug)]
struct Pending {
    total: u32,
    first_seen: Instant,
    parts: BTreeMap<u32, Packet<'static>>,
}

/// Reassembly of split packets, for one peer or one server.
#[derive(Debug)]
pub struct Reassembler {
    limits: Limits,
    pending: BTreeMap<(String, String), Pending>,
    held: usize,
    dropped: Vec<Dropped>,
}

impl Reassembler {
    /// A reassembler with these bounds.
    pub fn new(limits: Limits) -> Reassembler {
        Reassembler {
            limits,
            pending: BTreeMap::new(),
            held: 0,
            dropped: Vec::new(),
        }
    }

    /// Parts held now.
    pub fn parts_held(&self) -> usize {
        self.held
    }

    /// Incomplete packets given up since the last call.
    pub fn take_dropped(&mut self) -> Vec<Dropped> {
        std::mem::take(&mut self.dropped)
    }

    /// Takes a packet received at `now`: a packet that is not split comes straight back.
    pub fn push(&mut self, packet: Packet<'_>, now: Instant) -> Result<Outcome, ReassemblyError> {
        let Some(split) = packet.split else {
            return Ok(Outcome::Complete(packet.into_owned()));
        };
        let Some(qn) = packet.qn.as_deref() else {
            return Err(ReassemblyError::NoQn {
                index: split.index,
                total: split.total,
            });
        };
        let key = (
            packet.mn.as_deref().unwrap_or_default().to_string(),
            qn.to_string(),
        );
        if split.total as usize > self.limits.max_parts {
            return Err(ReassemblyError::TooManyParts {
                mn: key.0,
                qn: key.1,
                total: split.total,
                max_parts: self.limits.max_parts,
            });
        }
        if let Some(pending) = self.pending.get(&key) {
            if pending.total != split.total {
                return Err(ReassemblyError::TotalChanged {
                    mn: key.0,
                    qn: key.1,
                    total: split.total,
                    expected: pending.total,
                });
            }
            if let Some(earlier) = pending.parts.get(&split.index) {
                return if *earlier == packet {
                    Ok(Outcome::Duplicate)
                } else {
                    Err(ReassemblyError::Conflict {
                        mn: key.0,
                        qn: key.1,
                        index: split.index,
                    })
                };
            }
        }
        self.make_room(&key);
        let pending = self.pending.entry(key.clone()).or_insert(Pending {
            total: split.total,
            first_seen: now,
            parts: BTreeMap::new(),
        });
        pending.parts.insert(split.index, packet.into_owned());
        self.held += 1;
        let have = pending.parts.len() as u32;
        if have < pending.total {
            return Ok(Outcome::Waiting {
                have,
                total: pending.total,
            });
        }
        let parts = self
            .pending
            .remove(&key)
            .map(|p| p.parts)
            .unwrap_or_default();
        self.held -= parts.len();
        Ok(join(parts).map_or(Outcome::Duplicate, Outcome::Complete))
    }

    /// Gives up incomplete packets older than the age limit at `now`.
    pub fn expire(&mut self, now: Instant) {
        let max_age = self.limits.max_age;
        let old: Vec<(String, String)> = self
            .pending
            .iter()
            .filter(|(_, p)| now.saturating_duration_since(p.first_seen) > max_age)
            .map(|(k, _)| k.clone())
            .collect();
        for key in old {
            self.drop_pending(&key, DropReason::Expired);
        }
    }

    /// Drops the oldest incomplete packets (not `keep`) until one more part fits.
    fn make_room(&mut self, keep: &(String, String)) {
        while self.held >= self.limits.max_parts {
            let oldest = self
                .pending
                .iter()
                .filter(|(k, _)| *k != keep)
                .min_by_key(|(_, p)| p.first_seen)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(key) => self.drop_pending(&key, DropReason::Evicted),
                None => break,
            }
        }
    }

    fn drop_pending(&mut self, key: &(String, String), reason: DropReason) {
        if let Some(pending) = self.pending.remove(key) {
            self.held -= pending.parts.len();
            self.dropped.push(Dropped {
                mn: key.0.clone(),
                qn: key.1.clone(),
                have: pending.parts.len() as u32,
                total: pending.total,
                reason,
            });
        }
    }
}

/// The whole packet from its parts: the header of part 1, every part's CP in PNO order.
fn join(parts: BTreeMap<u32, Packet<'static>>) -> Option<Packet<'static>> {
    let mut parts = parts.into_values();
    let mut whole = parts.next()?;
    for part in parts {
        whole.cp.append_parts(part.cp);
    }
    whole.split = None;
    whole.flag = whole
        .flag
        .map(|f| PacketFlag::from_bits(f.bits() & !PacketFlag::SPLIT));
    Some(whole)
}

/// Splits `packet` into parts whose CP holds at most `max_cp_len` bytes each, every part
/// starting with the packet's `DataTime` (the inverse of reassembly, for senders). Groups are
/// never cut; a group longer than the limit is a part of its own.
pub fn split(packet: &Packet<'_>, max_cp_len: usize) -> Vec<Packet<'static>> {
    let data_time = packet.cp.data_time().map(str::to_string);
    let mut parts: Vec<Cp<'static>> = Vec::new();
    let mut current = Cp::new();
    let mut len = 0;
    let items = packet.cp.items();
    let mut start = 0;
    while start < items.len() {
        let group = items[start].group;
        let end = items[start..]
            .iter()
            .position(|i| i.group != group)
            .map_or(items.len(), |n| start + n);
        let group_items = &items[start..end];
        start = end;
        if group_items.len() == 1 && group_items[0].key == super::cp::DATA_TIME {
            continue;
        }
        let text_len: usize = group_items
            .iter()
            .map(|i| i.key.len() + i.value.len() + 2)
            .sum();
        if len > 0 && len + text_len > max_cp_len {
            parts.push(std::mem::take(&mut current));
            len = 0;
        }
        if current.is_empty()
            && let Some(dt) = &data_time
        {
            current.push(super::cp::DATA_TIME, dt.clone());
            len += super::cp::DATA_TIME.len() + dt.len() + 2;
        }
        current.push_group(
            group_items
                .iter()
                .map(|i| (i.key.to_string(), i.value.to_string())),
        );
        len += text_len;
    }
    if !current.is_empty() || parts.is_empty() {
        parts.push(current);
    }
    let total = parts.len() as u32;
    parts
        .into_iter()
        .enumerate()
        .map(|(i, cp)| {
            let mut part = packet.clone().into_owned();
            part.cp = cp;
            if total > 1 {
                part.split = Some(super::packet::Split {
                    total,
                    index: i as u32 + 1,
                });
                part.flag = part
                    .flag
                    .map(|f| PacketFlag::from_bits(f.bits() | PacketFlag::SPLIT));
            }
            part
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hj212::command::Command;
    use crate::hj212::packet::SystemCode;

    fn hourly(groups: usize) -> Packet<'static> {
        let mut cp = Cp::new();
        cp.push("DataTime", "20260301080000");
        for g in 0..groups {
            let code = format!("a{:05}", 34000 + g);
            cp.push_group([
                (format!("{code}-Avg"), format!("{}.5", g)),
                (format!("{code}-Flag"), "N".to_string()),
            ]);
        }
        Packet::new(
            "20260301090000123",
            SystemCode::AirQuality,
            Command::HourlyData,
            "123456",
            "LT0001",
            true,
            cp,
        )
    }

    #[test]
    fn split_parts_in_any_order_with_duplicates_come_back_whole() {
        let whole = hourly(40);
        let parts = split(&whole, 200);
        assert!(parts.len() > 3);
        for part in &parts {
            assert!(part.cp.to_text().len() <= 200);
            assert_eq!(part.cp.data_time(), Some("20260301080000"));
            assert!(part.flag.unwrap().is_split());
            part.encode().unwrap();
        }
        let mut r = Reassembler::new(Limits::default());
        let now = Instant::now();
        let mut order: Vec<usize> = (0..parts.len()).rev().collect();
        order.insert(1, parts.len() - 1);
        let mut complete = None;
        for (n, &i) in order.iter().enumerate() {
            match r.push(parts[i].clone(), now).unwrap() {
                Outcome::Complete(p) => complete = Some(p),
                Outcome::Duplicate => assert_eq!(n, 1),
                Outcome::Waiting { total, .. } => assert_eq!(total as usize, parts.len()),
            }
        }
        let mut expected = whole.clone();
        expected.flag = Some(PacketFlag::from_bits(5));
        assert_eq!(complete, Some(expected));
        assert_eq!(r.parts_held(), 0);
    }

    #[test]
    fn conflicts_limits_and_expiry() {
        let parts = split(&hourly(40), 200);
        let total = parts.len();
        let mut r = Reassembler::new(Limits {
            max_parts: total,
            max_age: Duration::from_secs(60),
        });
        let t0 = Instant::now();
        r.push(parts[0].clone(), t0).unwrap();
        let mut changed = parts[0].clone();
        changed.cp.push("a99999-Avg", "1");
        assert!(matches!(
            r.push(changed, t0),
            Err(ReassemblyError::Conflict { index: 1, .. })
        ));
        // Another packet's parts push the first out when room runs out.
        let mut other = split(&hourly(40), 200);
        for p in &mut other {
            p.qn = Some("20260301090000999".into());
        }
        for (i, p) in other.iter().enumerate() {
            let outcome = r.push(p.clone(), t0 + Duration::from_secs(1)).unwrap();
            assert_eq!(matches!(outcome, Outcome::Complete(_)), i == total - 1);
        }
        let dropped = r.take_dropped();
        assert_eq!(dropped.len(), 1);
        assert_eq!(
            (dropped[0].have, dropped[0].reason),
            (1, DropReason::Evicted)
        );
        r.push(parts[1].clone(), t0).unwrap();
        r.expire(t0 + Duration::from_secs(120));
        assert_eq!(r.take_dropped()[0].reason, DropReason::Expired);
        assert_eq!(r.parts_held(), 0);
        let too_many = Reassembler::new(Limits {
            max_parts: 2,
            max_age: Duration::from_secs(60),
        })
        .push(parts[0].clone(), t0);
        assert!(matches!(
            too_many,
            Err(ReassemblyError::TooManyParts { .. })
        ));
    }
}
