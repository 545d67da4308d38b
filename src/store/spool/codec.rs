//! The byte format of spool entries, and the CRC-32 that guards them.
//!
//! A frame is `len: u32 LE` (payload bytes) · `crc: u32 LE` (CRC-32/IEEE of the payload) ·
//! payload. The payload is `seq: u64` · `spooled_at: i64` (unix ms, wall clock) ·
//! `n: u32` · `n` records, each
//!
//! | field | encoding |
//! |---|---|
//! | station | `u16` length + UTF-8 bytes |
//! | parameter | `u8` length + [`Parameter::code`] |
//! | resolution | `u8` length + [`Resolution::code`] |
//! | time | `i64` unix seconds + `u32` nanoseconds (exact, not truncated to ms) |
//! | value | `u64`: the IEEE-754 bits (NaN and its payload round-trip) |
//! | flag | `u8`: the HJ 212 letter |
//! | count | `u32` |
//!
//! All integers are little-endian. Codes rather than enum positions keep old spools readable
//! when enums grow.

use chrono::{DateTime, Utc};

use crate::quality::Flag;
use crate::store::{Record, Resolution, StationId};
use crate::units::Parameter;

/// Bytes before each payload: length and CRC.
pub(super) const FRAME_HEADER: usize = 8;
/// Bytes of the payload before the records.
const PAYLOAD_HEADER: usize = 8 + 8 + 4;
/// Largest payload accepted when reading (guards against a corrupt length).
pub(super) const MAX_PAYLOAD: usize = 256 << 20;

const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// CRC-32 (IEEE 802.3, as zlib and PNG): reflected, polynomial 0xEDB88320.
pub(crate) fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c = CRC_TABLE[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

/// Encoded size of one record.
fn record_len(r: &Record) -> usize {
    2 + r.station.len() + 1 + r.parameter.code().len() + 1 + r.resolution.code().len() + 25
}

/// The size of the frame [`encode`] makes for `records`.
pub(super) fn frame_len(records: &[Record]) -> usize {
    FRAME_HEADER + PAYLOAD_HEADER + records.iter().map(record_len).sum::<usize>()
}

/// Appends the frame of entry `seq` to `out`. Fails when a station id is longer than
/// 65,535 bytes.
pub(super) fn encode(
    seq: u64,
    spooled_at_ms: i64,
    records: &[Record],
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let start = out.len();
    out.extend_from_slice(&[0; FRAME_HEADER]);
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&spooled_at_ms.to_le_bytes());
    let n = u32::try_from(records.len()).map_err(|_| "more than 2³² records".to_string())?;
    out.extend_from_slice(&n.to_le_bytes());
    for r in records {
        let station = u16::try_from(r.station.len())
            .map_err(|_| format!("station id of {} bytes", r.station.len()))?;
        out.extend_from_slice(&station.to_le_bytes());
        out.extend_from_slice(r.station.as_bytes());
        for code in [r.parameter.code(), r.resolution.code()] {
            out.push(code.len() as u8);
            out.extend_from_slice(code.as_bytes());
        }
        out.extend_from_slice(&r.time.timestamp().to_le_bytes());
        out.extend_from_slice(&r.time.timestamp_subsec_nanos().to_le_bytes());
        out.extend_from_slice(&r.value.to_bits().to_le_bytes());
        out.push(r.flag.code() as u8);
        out.extend_from_slice(&r.count.to_le_bytes());
    }
    let payload_len = out.len() - start - FRAME_HEADER;
    let len = u32::try_from(payload_len).map_err(|_| "entry above 4 GiB".to_string())?;
    let crc = crc32(&out[start + FRAME_HEADER..]);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// A decoded payload.
#[derive(Debug)]
pub(super) struct Decoded {
    /// Entry sequence number.
    pub seq: u64,
    /// When it was spooled (unix ms).
    pub spooled_at_ms: i64,
    /// The records, in the order they were appended.
    pub records: Vec<Record>,
}

impl Decoded {
    /// The earliest record time.
    pub(super) fn oldest(&self) -> Option<DateTime<Utc>> {
        self.records.iter().map(|r| r.time).min()
    }
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or_else(|| format!("payload ends inside a field at byte {}", self.at))?;
        let bytes = &self.data[self.at..end];
        self.at = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        Ok(self.take(N)?.try_into().expect("N bytes"))
    }

    fn str(&mut self, len: usize) -> Result<&'a str, String> {
        std::str::from_utf8(self.take(len)?).map_err(|_| "text is not UTF-8".to_string())
    }
}

/// Decodes a payload whose CRC was checked. Station ids are shared between the records of
/// one entry.
pub(super) fn decode(payload: &[u8]) -> Result<Decoded, String> {
    let mut r = Reader {
        data: payload,
        at: 0,
    };
    let seq = u64::from_le_bytes(r.array()?);
    let spooled_at_ms = i64::from_le_bytes(r.array()?);
    let n = u32::from_le_bytes(r.array()?) as usize;
    let mut records = Vec::with_capacity(n.min(payload.len() / 30));
    let mut stations: Vec<StationId> = Vec::new();
    for _ in 0..n {
        let len = u16::from_le_bytes(r.array()?) as usize;
        let name = r.str(len)?;
        let station = match stations.iter().find(|s| &***s == name) {
            Some(s) => s.clone(),
            None => {
                let s: StationId = name.into();
                stations.push(s.clone());
                s
            }
        };
        let len = r.array::<1>()?[0] as usize;
        let code = r.str(len)?;
        let parameter =
            Parameter::from_code(code).ok_or_else(|| format!("unknown parameter `{code}`"))?;
        let len = r.array::<1>()?[0] as usize;
        let resolution: Resolution = r.str(len)?.parse().map_err(|e| format!("{e}"))?;
        let secs = i64::from_le_bytes(r.array()?);
        let nanos = u32::from_le_bytes(r.array()?);
        let time = DateTime::from_timestamp(secs, nanos)
            .ok_or_else(|| format!("time {secs}.{nanos:09} out of range"))?;
        let value = f64::from_bits(u64::from_le_bytes(r.array()?));
        let letter = r.array::<1>()?[0];
        let flag = *Flag::ALL
            .iter()
            .find(|f| f.code() as u32 == u32::from(letter))
            .ok_or_else(|| format!("unknown flag {letter:#04x}"))?;
        let count = u32::from_le_bytes(r.array()?);
        records.push(Record {
            station,
            parameter,
            resolution,
            time,
            value,
            flag,
            count,
        });
    }
    if r.at != payload.len() {
        return Err(format!(
            "{} bytes after the last record",
            payload.len() - r.at
        ));
    }
    Ok(Decoded {
        seq,
        spooled_at_ms,
        records,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_check_value() {
        // The standard check value of CRC-32/ISO-HDLC.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn frame_len_matches_encoding() {
        let r = Record {
            station: "东莞-1".into(),
            parameter: Parameter::WindDirection,
            resolution: Resolution::Sample,
            time: DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap(),
            value: f64::NAN,
            flag: Flag::CommError,
            count: 7,
        };
        let records = vec![r.clone(), r];
        let mut out = Vec::new();
        encode(3, 42, &records, &mut out).unwrap();
        assert_eq!(out.len(), frame_len(&records));
        let d = decode(&out[FRAME_HEADER..]).unwrap();
        assert_eq!((d.seq, d.spooled_at_ms), (3, 42));
        assert_eq!(d.records.len(), 2);
        assert!(d.records[0].value.is_nan());
        assert_eq!(d.records[1].time, records[1].time);
        assert!(std::sync::Arc::ptr_eq(
            &d.records[0].station,
            &d.records[1].station
        ));
    }
}
