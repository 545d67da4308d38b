//! Packets from uploads, through the codec: factor codes and units from the target's code
//! map, lantian's flags as the HJ 212 flags they are, `DataTime` in the station's zone.
//!
//! One upload's CP is `DataTime=…` then one group per parameter — `a34004-Avg=35.2,
//! a34004-Flag=N` (2051, 2061), `-Rtd` for 2011, `-Avg`, `-Min`, `-Max` for 2031. When it
//! does not fit in one packet (CP ≤ 950 characters, data segment ≤ 1024) it is cut between
//! groups into parts, each a whole packet with its own `DataTime`, QN and acknowledgement
//! (not PNUM/PNO, whose parts share one QN and cannot be acknowledged one by one). Values
//! are written with at most three decimals.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::config::StationCredentials;
use super::cursor::Key;
use super::outbox::Upload;
use super::stream::Stream;
use crate::hj212::codes::CodeMap;
use crate::hj212::cp::DATA_TIME;
use crate::hj212::flags::FLAG_SUFFIX;
use crate::hj212::time::format_data_time;
use crate::hj212::{Cp, EncodeError, MAX_CP_LEN, MAX_SEGMENT_LEN, Packet, SystemCode};
use crate::units::{Conversion, Parameter, ReferenceState, Unit};

/// How a target's packets are written.
#[derive(Debug, Clone)]
pub(crate) struct Wire {
    /// `ST`.
    pub(crate) st: SystemCode,
    /// Whether the Flag asks for an acknowledgement (A bit).
    pub(crate) ack: bool,
    /// Codes and units.
    pub(crate) codes: CodeMap,
    /// The reference state of ppb/ppm units.
    pub(crate) reference: ReferenceState,
}

/// One packet's content: a part of an upload.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Part {
    /// Its place in the station's sequence.
    pub(crate) key: Key,
    /// `DataTime` (UTC).
    pub(crate) data_time: DateTime<Utc>,
    /// The payload.
    pub(crate) cp: Cp<'static>,
}

/// `QN` (17) and the fixed header pieces: `QN=…;ST=22;CN=2061;PW=;MN=;Flag=5;CP=&&` + `&&`.
const FIXED_HEADER: usize = "QN=;ST=;CN=;PW=;MN=;Flag=;CP=&&&&".len() + 17 + 2 + 4 + 2;

impl Wire {
    /// The parameters that have a code.
    pub(crate) fn parameters(&self) -> Vec<Parameter> {
        let mut out: Vec<Parameter> = self.codes.entries().map(|(_, p, _)| p).collect();
        out.sort();
        out.dedup();
        out
    }

    /// The parts of `upload` for `station`, whose `DataTime` is written in `tz`.
    pub(crate) fn parts(&self, upload: &Upload, station: &StationCredentials, tz: Tz) -> Vec<Part> {
        let header = FIXED_HEADER + station.mn.as_str().len() + station.pw.as_str().len();
        let room = MAX_CP_LEN.min(MAX_SEGMENT_LEN.saturating_sub(header));
        let data_time = format_data_time(upload.data_time, tz);
        let groups: Vec<Vec<(String, String)>> = upload
            .values
            .iter()
            .filter_map(|v| {
                let (code, unit) = self.codes.code_of(v.parameter)?;
                let convert = |x: f64| number(self.in_unit(v.parameter, unit, x));
                let mut group = Vec::with_capacity(4);
                let main = match upload.stream {
                    Stream::RealTime => "Rtd",
                    Stream::Minute | Stream::Hour | Stream::Day => "Avg",
                };
                group.push((format!("{code}-{main}"), convert(v.value)));
                if let Some((lo, hi)) = v.range {
                    group.push((format!("{code}-Min"), convert(lo)));
                    group.push((format!("{code}-Max"), convert(hi)));
                }
                // lantian's flags are HJ 212's, letter for letter.
                group.push((format!("{code}-{FLAG_SUFFIX}"), v.flag.code().to_string()));
                Some(group)
            })
            .collect();
        let text_len = |g: &[(String, String)]| -> usize {
            g.iter().map(|(k, v)| k.len() + 1 + v.len()).sum::<usize>() + g.len() - 1
        };
        let start = || {
            let mut cp = Cp::new();
            cp.push(DATA_TIME, data_time.clone());
            (cp, DATA_TIME.len() + 1 + data_time.len())
        };
        let mut parts = Vec::new();
        let (mut cp, mut len) = start();
        for group in groups {
            let add = 1 + text_len(&group);
            if len + add > room && cp.group_count() > 1 {
                parts.push(std::mem::replace(&mut cp, start().0));
                len = start().1;
            }
            len += add;
            cp.push_group(group);
        }
        if cp.group_count() > 1 {
            parts.push(cp);
        }
        parts
            .into_iter()
            .enumerate()
            .map(|(i, cp)| Part {
                key: upload.key(u16::try_from(i).unwrap_or(u16::MAX)),
                data_time: upload.data_time,
                cp,
            })
            .collect()
    }

    /// The packet of `part` for `station` with request number `qn`.
    pub(crate) fn packet(
        &self,
        part: &Part,
        station: &StationCredentials,
        qn: &str,
    ) -> Result<Vec<u8>, EncodeError> {
        Packet::new(
            qn,
            self.st,
            part.key.stream.command(),
            station.pw.as_str(),
            station.mn.as_str(),
            self.ack,
            part.cp.clone(),
        )
        .encode()
    }

    /// A canonical value in `unit` (the unit was checked against the parameter at load).
    fn in_unit(&self, parameter: Parameter, unit: Unit, value: f64) -> f64 {
        Conversion::to_canonical(parameter, unit, &self.reference)
            .map_or(value, |c| c.invert(value))
    }
}

/// A value with at most three decimals, without trailing zeros (`35.2`, `0.85`, `-3`).
fn number(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    match text {
        "-0" | "" => "0".to_string(),
        t => t.to_string(),
    }
}

#[cfg(test)]
mod tests;
