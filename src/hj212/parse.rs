//! Reading a packet: [`inspect`] finds every part and every deviation of any byte string;
//! [`parse`] turns it into a typed [`Packet`] in strict or lenient mode.
//!
//! The [`Status`] follows the corpus's rule (tests/data/hj212/README.md), first match wins:
//! `malformed` (no `##` + 4-digit length, no CRC, `CP=&&` missing or not closed, no `ST=` or
//! no `CN=`, text around the CRC), `bad-length` (the length field equals neither the byte
//! nor the character count of the data segment), `bad-crc` (the CRC, compared without regard
//! to case, differs from the HJ CRC), else `valid`.

use std::fmt;
use std::sync::LazyLock;

use memchr::memmem::{Finder, FinderRev};
use serde::Serialize;

use super::cp::Cp;
use super::crc::{crc_text, crc16, parse_crc};
use super::deviation::Deviation;
use super::fields::{Piece, TypedHeader, check_cp, read_cp, read_header, read_typed};
use super::packet::{Field, Packet, PacketFlag};
use super::{MAX_CP_LEN, MAX_SEGMENT_LEN};

/// A packet's integrity class (the corpus's status), first match wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// A required part is missing: `##` + 4-digit length, CRC, `CP=&&…&&`, `ST=`, `CN=`, or
    /// there is text around the CRC.
    Malformed,
    /// The length field matches neither the byte nor the character count.
    BadLength,
    /// The CRC does not match.
    BadCrc,
    /// Length and CRC match.
    Valid,
}

impl Status {
    /// The corpus's name (`bad-length`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Malformed => "malformed",
            Status::BadLength => "bad-length",
            Status::BadCrc => "bad-crc",
            Status::Valid => "valid",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How forgiving [`parse`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// Only packets that follow HJ 212-2017 exactly: status `valid` and no deviation at all.
    #[default]
    Strict,
    /// The broken packets real loggers send: any deviation that leaves the packet's
    /// integrity and parts intact (wrong length with a matching CRC, lower-case CRC, no CR LF,
    /// text between `&&` and the CRC, the 2005 layout, duplicate keys, non-standard codes…)
    /// is reported and the packet recovered. Never recovered: no CRC or a CRC that does not
    /// match, no `CP=&&…&&`, no readable CN ([`Deviation::is_fatal`]). A field that cannot be
    /// read is `None`, never guessed.
    Lenient,
}

/// What [`inspect`] found in a byte string: the parts as written, the status and every
/// deviation. Text borrows from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection<'a> {
    /// The integrity class.
    pub status: Status,
    /// Every deviation, in the order of the packet's parts.
    pub deviations: Vec<Deviation>,
    /// The length field's value (`None` without `##` and digits).
    pub length_field: Option<u32>,
    /// The data segment (after the length field, up to the closing `&&`; for a fragment, from
    /// the start). `None` when `##` is followed by no digit.
    pub segment: Option<&'a [u8]>,
    /// The HJ CRC of the data segment.
    pub computed_crc: Option<u16>,
    /// The CRC as written.
    pub crc_field: Option<&'a str>,
    /// Whether the packet ended with CR LF.
    pub crlf: bool,
    /// The header's `key=value` pieces (before `CP=&&`, or the whole segment without it), in
    /// order.
    pub header: Vec<(&'a str, &'a str)>,
    /// The CP items, when `CP=&&` is there (closed or not).
    pub cp: Option<Cp<'a>>,
    typed: TypedHeader,
}

impl<'a> Inspection<'a> {
    /// The first value of a header field, as written.
    pub fn header_value(&self, field: Field) -> Option<&'a str> {
        self.header
            .iter()
            .find(|(k, _)| *k == field.key())
            .map(|(_, v)| *v)
    }

    /// The length of the data segment in bytes.
    pub fn segment_len(&self) -> Option<usize> {
        self.segment.map(<[u8]>::len)
    }

    /// The computed CRC as four upper-case hexadecimal digits.
    pub fn computed_crc_text(&self) -> Option<String> {
        self.computed_crc
            .map(|crc| String::from_utf8_lossy(&crc_text(crc)).into_owned())
    }

    /// `DataTime` as written.
    pub fn data_time(&self) -> Option<&str> {
        self.cp.as_ref().and_then(Cp::data_time)
    }

    /// The typed packet, if `mode` accepts it; otherwise why not.
    pub fn accept(self, mode: Mode) -> Result<Decoded<'a>, Rejected> {
        let acceptable = match mode {
            Mode::Strict => self.status == Status::Valid && self.deviations.is_empty(),
            Mode::Lenient => !self.deviations.iter().any(Deviation::is_fatal),
        };
        let (Some(cn), Some(_), true) = (self.typed.cn, self.cp.as_ref(), acceptable) else {
            return Err(Rejected {
                mode,
                status: self.status,
                deviations: self.deviations,
            });
        };
        let text = |field| self.header_value(field).map(Into::into);
        let (qn, pw, mn) = (text(Field::Qn), text(Field::Pw), text(Field::Mn));
        let packet = Packet {
            qn,
            st: self.typed.st,
            cn,
            pw,
            mn,
            flag: self.typed.flag,
            split: self.typed.split,
            cp: self.cp.unwrap_or_default(),
        };
        Ok(Decoded {
            packet,
            status: self.status,
            deviations: self.deviations,
        })
    }
}

/// A packet [`parse`] accepted, with what it had to overlook (empty in strict mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// The packet.
    pub packet: Packet<'a>,
    /// Its status (lenient mode accepts e.g. a `bad-length` packet whose CRC matches).
    pub status: Status,
    /// The deviations found.
    pub deviations: Vec<Deviation>,
}

/// A packet the mode does not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} packet rejected in {mode:?} mode{}", describe(.deviations))]
pub struct Rejected {
    /// The mode that rejected it.
    pub mode: Mode,
    /// Its status.
    pub status: Status,
    /// Every deviation found.
    pub deviations: Vec<Deviation>,
}

/// `: a; b` for a list of deviations.
fn describe(deviations: &[Deviation]) -> String {
    let list: Vec<String> = deviations.iter().map(ToString::to_string).collect();
    if list.is_empty() {
        String::new()
    } else {
        format!(": {}", list.join("; "))
    }
}

/// The searcher for `CP=&&`, built once (building one costs as much as a search).
static CP_OPEN: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"CP=&&"));

/// The searcher for the closing `&&`, from the end.
static CP_CLOSE: LazyLock<FinderRev<'static>> = LazyLock::new(|| FinderRev::new(b"&&"));

/// Parses one packet (`##…\r\n`; CR LF optional) in `mode`.
pub fn parse(bytes: &[u8], mode: Mode) -> Result<Decoded<'_>, Rejected> {
    inspect(bytes).accept(mode)
}

/// Finds the parts of `bytes`, its status and every deviation. Never fails and never panics:
/// any byte string gets an answer.
pub fn inspect(bytes: &[u8]) -> Inspection<'_> {
    let mut deviations = Vec::new();
    // A line end: CR LF as the standard says, or a bare LF (reported as no CR LF).
    let (body, crlf) = match bytes.strip_suffix(b"\r\n") {
        Some(body) => (body, true),
        None => (bytes.strip_suffix(b"\n").unwrap_or(bytes), false),
    };
    let mut framing_ok = true;
    let mut length_field = None;
    let rest = if let Some(after) = body.strip_prefix(b"##") {
        let digits = after
            .iter()
            .take(4)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits < 4 {
            framing_ok = false;
            deviations.push(Deviation::LengthFieldDigits {
                digits: digits as u8,
            });
        }
        if digits == 0 {
            return Inspection {
                status: Status::Malformed,
                deviations,
                length_field,
                segment: None,
                computed_crc: None,
                crc_field: None,
                crlf,
                header: Vec::new(),
                cp: None,
                typed: TypedHeader::default(),
            };
        }
        length_field = Some(
            after[..digits]
                .iter()
                .fold(0u32, |n, d| n * 10 + u32::from(d - b'0')),
        );
        &after[digits..]
    } else {
        framing_ok = false;
        deviations.push(Deviation::NoHeader);
        body
    };

    let cp_open = CP_OPEN.find(rest);
    let search_from = cp_open.map_or(0, |open| open + 5);
    let close = CP_CLOSE
        .rfind(&rest[search_from..])
        .map(|at| at + search_from);
    let (segment, tail) = match close {
        Some(close) => rest.split_at(close + 2),
        None => (rest, &b""[..]),
    };
    let crc_field = find_crc(close.is_some(), tail, &mut deviations);
    let computed_crc = crc16(segment);

    // The segment is `rest` up to the closing `&&` (all of it without one).
    let whole = Piece::new(segment);
    let header_end = cp_open.unwrap_or(segment.len());
    let header = read_header(
        whole.slice(0..header_end.min(segment.len())),
        &mut deviations,
    );
    let cp = cp_open.map(|open| {
        let content = match close {
            Some(close) => whole.slice(open + 5..close),
            None => whole.slice(open + 5..segment.len()),
        };
        let len = close.unwrap_or(segment.len()) - (open + 5);
        if len > MAX_CP_LEN {
            deviations.push(Deviation::CpTooLong { len });
        }
        read_cp(content, &mut deviations)
    });
    match (cp_open, close) {
        (None, _) => deviations.push(Deviation::NoCp),
        (Some(_), None) => deviations.push(Deviation::CpNotClosed),
        _ => {}
    }
    let typed = read_typed(&header, &mut deviations);
    if let Some(cp) = &cp {
        check_cp(cp, typed.flag.map(PacketFlag::edition), &mut deviations);
    }
    if !crlf {
        deviations.push(Deviation::NoCrlf);
    }

    let has = |field: Field| header.iter().any(|(k, _)| *k == field.key());
    let malformed = !framing_ok
        || crc_field.is_none()
        || cp_open.is_none()
        || close.is_none()
        || !has(Field::St)
        || !has(Field::Cn)
        || deviations.iter().any(|d| {
            matches!(
                d,
                Deviation::TextBeforeCrc { .. }
                    | Deviation::TextAfterCrc { .. }
                    | Deviation::TextAfterCp { .. }
            )
        });
    let length_ok = length_field.is_some_and(|declared| {
        let declared = declared as usize;
        declared == segment.len()
            || std::str::from_utf8(segment).is_ok_and(|s| s.chars().count() == declared)
    });
    if let (Some(declared), false) = (length_field, length_ok) {
        deviations.push(Deviation::LengthMismatch {
            declared,
            actual: segment.len(),
        });
    }
    if segment.len() > MAX_SEGMENT_LEN {
        deviations.push(Deviation::SegmentTooLong { len: segment.len() });
    }
    let crc_ok = crc_field.is_some_and(|crc| parse_crc(crc.as_bytes()) == Some(computed_crc));
    if let (Some(crc), false) = (crc_field, crc_ok) {
        deviations.push(Deviation::CrcMismatch {
            declared: crc.to_string(),
            computed: String::from_utf8_lossy(&crc_text(computed_crc)).into_owned(),
        });
    }
    let status = if malformed {
        Status::Malformed
    } else if !length_ok {
        Status::BadLength
    } else if !crc_ok {
        Status::BadCrc
    } else {
        Status::Valid
    };
    Inspection {
        status,
        deviations,
        length_field,
        segment: Some(segment),
        computed_crc: Some(computed_crc),
        crc_field,
        crlf,
        header,
        cp,
        typed,
    }
}

/// The CRC in the text after the closing `&&`: its last four characters when they are
/// hexadecimal (anything before them is reported), else its first four (anything after them
/// is reported).
fn find_crc<'a>(closed: bool, tail: &'a [u8], deviations: &mut Vec<Deviation>) -> Option<&'a str> {
    let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let is_crc = |b: &[u8]| parse_crc(b).is_some();
    let (crc, before, after) = if tail.len() >= 4 && is_crc(&tail[tail.len() - 4..]) {
        let (before, crc) = tail.split_at(tail.len() - 4);
        (crc, before, &b""[..])
    } else if tail.len() >= 4 && is_crc(&tail[..4]) {
        let (crc, after) = tail.split_at(4);
        (crc, &b""[..], after)
    } else {
        deviations.push(Deviation::NoCrc);
        if closed && !tail.is_empty() {
            deviations.push(Deviation::TextAfterCp { text: lossy(tail) });
        }
        return None;
    };
    if !before.is_empty() {
        deviations.push(Deviation::TextBeforeCrc {
            text: lossy(before),
        });
    }
    if !after.is_empty() {
        deviations.push(Deviation::TextAfterCrc { text: lossy(after) });
    }
    // Hexadecimal digits are ASCII.
    let crc = std::str::from_utf8(crc).ok()?;
    if crc.bytes().any(|b| b.is_ascii_lowercase()) {
        deviations.push(Deviation::LowerCaseCrc {
            crc: crc.to_string(),
        });
    }
    Some(crc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hj212::command::Command;
    use crate::hj212::packet::{Edition, SystemCode};

    const STANDARD: &[u8] = b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n";

    #[test]
    fn the_standards_packet_is_valid_in_strict_mode() {
        let decoded = parse(STANDARD, Mode::Strict).unwrap();
        let p = &decoded.packet;
        assert_eq!(p.qn.as_deref(), Some("20160801085857223"));
        assert_eq!(p.st, Some(SystemCode::WaterPollutionSource));
        assert_eq!(p.cn, Command::SetRtdInterval);
        assert_eq!(p.mn.as_deref(), Some("010000A8900016F000169DC0"));
        let flag = p.flag.unwrap();
        assert_eq!(flag.edition(), Edition::Hj212_2017);
        assert!(flag.needs_reply() && !flag.is_split());
        assert_eq!(p.cp.get("RtdInterval"), Some("30"));
        // Built again from the model, it is the same bytes.
        assert_eq!(p.encode().unwrap(), STANDARD);
    }

    #[test]
    fn lenient_mode_recovers_form_never_integrity() {
        let mut lower_c = STANDARD[..STANDARD.len() - 2].to_vec();
        let at = lower_c.len() - 3;
        lower_c[at] = b'c';
        // Lower-case CRC, no CR LF: strict rejects, lenient recovers and says why.
        let rejected = parse(&lower_c, Mode::Strict).unwrap_err();
        assert_eq!(rejected.status, Status::Valid);
        let decoded = parse(&lower_c, Mode::Lenient).unwrap();
        assert_eq!(
            decoded.deviations,
            vec![
                Deviation::LowerCaseCrc { crc: "1c80".into() },
                Deviation::NoCrlf
            ]
        );
        // A CRC that does not match is never recovered.
        let mut bad = STANDARD.to_vec();
        bad[20] = b'9';
        let rejected = parse(&bad, Mode::Lenient).unwrap_err();
        assert_eq!(rejected.status, Status::BadCrc);
        // A wrong length with a matching CRC is.
        let mut long = STANDARD.to_vec();
        long[5] = b'2';
        let decoded = parse(&long, Mode::Lenient).unwrap();
        assert_eq!(decoded.status, Status::BadLength);
        assert_eq!(
            decoded.deviations,
            vec![Deviation::LengthMismatch {
                declared: 102,
                actual: 101
            }]
        );
    }

    #[test]
    fn edition_2025_is_recognised_not_rejected() {
        let mut packet = Packet::new(
            "20260301080000000",
            SystemCode::AirQuality,
            Command::HourlyData,
            "123456",
            "LT0000000000000000000001",
            false,
            Cp::new(),
        );
        packet.flag = Some(PacketFlag::new(Edition::Later(2), false, true));
        packet.cp.push("DataTime", "20260301080000");
        let bytes = packet.encode().unwrap();
        let decoded = parse(&bytes, Mode::Strict).unwrap();
        let flag = decoded.packet.flag.unwrap();
        assert_eq!((flag.bits(), flag.edition()), (9, Edition::Later(2)));
        assert_eq!(decoded.packet, packet);
    }
}
