//! The typed packet: header fields (QN, ST, CN, PW, MN, Flag, PNUM/PNO) and the CP payload.

use std::borrow::Cow;
use std::fmt;

use super::command::Command;
use super::cp::Cp;

/// A header field of the data segment (the part before `CP=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Field {
    /// `QN=`: request number, `yyyyMMddHHmmssSSS`.
    #[serde(rename = "QN")]
    Qn,
    /// `ST=`: system code.
    #[serde(rename = "ST")]
    St,
    /// `CN=`: command code.
    #[serde(rename = "CN")]
    Cn,
    /// `PW=`: access password.
    #[serde(rename = "PW")]
    Pw,
    /// `MN=`: device (logger) number.
    #[serde(rename = "MN")]
    Mn,
    /// `Flag=`: version and the D/A bits.
    #[serde(rename = "Flag")]
    Flag,
    /// `PNUM=`: number of parts of a split packet.
    #[serde(rename = "PNUM")]
    Pnum,
    /// `PNO=`: this part's number, from 1.
    #[serde(rename = "PNO")]
    Pno,
}

impl Field {
    /// Every header field, in the order the standard writes them.
    pub const ALL: [Field; 8] = [
        Field::Qn,
        Field::St,
        Field::Cn,
        Field::Pw,
        Field::Mn,
        Field::Flag,
        Field::Pnum,
        Field::Pno,
    ];

    /// The key as written in a packet (`QN`, `PNUM`, …; keys are case-sensitive).
    pub const fn key(self) -> &'static str {
        match self {
            Field::Qn => "QN",
            Field::St => "ST",
            Field::Cn => "CN",
            Field::Pw => "PW",
            Field::Mn => "MN",
            Field::Flag => "Flag",
            Field::Pnum => "PNUM",
            Field::Pno => "PNO",
        }
    }

    /// The field whose key is exactly `key`.
    pub fn from_key(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.key() == key)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The system code (`ST=`): which kind of monitoring the packet is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SystemCode {
    /// 22: ambient air quality.
    AirQuality,
    /// 31: air pollution source.
    AirPollutionSource,
    /// 32: water pollution source.
    WaterPollutionSource,
    /// 91: system interaction (replies, acknowledgements).
    SystemInteraction,
    /// Any other number (the standard has more, e.g. 21 surface water, 80 noise…).
    Other(u16),
}

impl SystemCode {
    /// The number written after `ST=`.
    pub const fn code(self) -> u16 {
        match self {
            SystemCode::AirQuality => 22,
            SystemCode::AirPollutionSource => 31,
            SystemCode::WaterPollutionSource => 32,
            SystemCode::SystemInteraction => 91,
            SystemCode::Other(code) => code,
        }
    }

    /// The system code with this number.
    pub const fn from_code(code: u16) -> SystemCode {
        match code {
            22 => SystemCode::AirQuality,
            31 => SystemCode::AirPollutionSource,
            32 => SystemCode::WaterPollutionSource,
            91 => SystemCode::SystemInteraction,
            other => SystemCode::Other(other),
        }
    }
}

impl fmt::Display for SystemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// The edition of the standard a packet claims through its Flag's version bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Edition {
    /// Version 0: no version (HJ/T 212-2005 loggers, which send Flag 0/1 or none).
    Unversioned,
    /// Version 1 (`000001`): HJ 212-2017 — Flag 4/5, 6/7 with D.
    Hj212_2017,
    /// A later version value: HJ 212-2025 (in force since 2026-01-01) uses a later value than
    /// 2017's. Its details were not verified from the 2025 text here, so the number is kept as
    /// sent and the packet is read with the 2017 layout.
    Later(u8),
}

impl Edition {
    /// The version number in bits 2–7 of the Flag.
    pub const fn version(self) -> u8 {
        match self {
            Edition::Unversioned => 0,
            Edition::Hj212_2017 => 1,
            Edition::Later(v) => v,
        }
    }

    /// The edition of a version number.
    pub const fn from_version(version: u8) -> Edition {
        match version {
            0 => Edition::Unversioned,
            1 => Edition::Hj212_2017,
            v => Edition::Later(v),
        }
    }
}

/// The packet flag (`Flag=`): `(version << 2) | D | A`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PacketFlag(u8);

impl PacketFlag {
    /// Bit 0 (A): the receiver must answer.
    pub const REPLY: u8 = 0b01;
    /// Bit 1 (D): the packet is one part of a split packet (PNUM/PNO present).
    pub const SPLIT: u8 = 0b10;

    /// The flag with this value (every byte is a flag: version in bits 2–7).
    pub const fn from_bits(bits: u8) -> PacketFlag {
        PacketFlag(bits)
    }

    /// A flag for `edition` with the D and A bits.
    pub const fn new(edition: Edition, split: bool, reply: bool) -> PacketFlag {
        PacketFlag(
            (edition.version() << 2)
                | if split { Self::SPLIT } else { 0 }
                | if reply { Self::REPLY } else { 0 },
        )
    }

    /// The value written after `Flag=`.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// The edition claimed by the version bits.
    pub const fn edition(self) -> Edition {
        Edition::from_version(self.0 >> 2)
    }

    /// A: the sender expects an answer (9011/9014).
    pub const fn needs_reply(self) -> bool {
        self.0 & Self::REPLY != 0
    }

    /// D: the packet is a part of a split packet.
    pub const fn is_split(self) -> bool {
        self.0 & Self::SPLIT != 0
    }
}

impl fmt::Display for PacketFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Which part of a split packet this is (`PNUM=`, `PNO=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Split {
    /// `PNUM`: the number of parts.
    pub total: u32,
    /// `PNO`: this part's number, 1 ..= total.
    pub index: u32,
}

/// An HJ 212 packet: the data segment's fields, typed. Values borrow from the bytes they were
/// parsed from (`Packet<'a>`) or own their text (`Packet<'static>`, built for sending).
///
/// A packet from [`parse`](super::parse::parse) in strict mode has every field of the 2017
/// layout; in lenient mode a field that could not be read is `None` (and a deviation says so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<'a> {
    /// `QN`: request number `yyyyMMddHHmmssSSS` (absent in the 2005 layout).
    pub qn: Option<Cow<'a, str>>,
    /// `ST`: system code.
    pub st: Option<SystemCode>,
    /// `CN`: command.
    pub cn: Command,
    /// `PW`: access password.
    pub pw: Option<Cow<'a, str>>,
    /// `MN`: device number (24 hexadecimal characters in the standard; loggers send others).
    pub mn: Option<Cow<'a, str>>,
    /// `Flag` (absent in the 2005 layout).
    pub flag: Option<PacketFlag>,
    /// `PNUM`/`PNO` of a split packet.
    pub split: Option<Split>,
    /// The payload between `CP=&&` and `&&`.
    pub cp: Cp<'a>,
}

impl<'a> Packet<'a> {
    /// A packet of the 2017 edition: Flag with version 1, the D bit set when `split` is, the A
    /// bit as `reply` says. PNUM/PNO, PW and MN as given.
    pub fn new(
        qn: impl Into<Cow<'a, str>>,
        st: SystemCode,
        cn: Command,
        pw: impl Into<Cow<'a, str>>,
        mn: impl Into<Cow<'a, str>>,
        reply: bool,
        cp: Cp<'a>,
    ) -> Packet<'a> {
        Packet {
            qn: Some(qn.into()),
            st: Some(st),
            cn,
            pw: Some(pw.into()),
            mn: Some(mn.into()),
            flag: Some(PacketFlag::new(Edition::Hj212_2017, false, reply)),
            split: None,
            cp,
        }
    }

    /// The packet with its text owned (no borrow of the bytes it was parsed from).
    pub fn into_owned(self) -> Packet<'static> {
        Packet {
            qn: self.qn.map(|v| Cow::Owned(v.into_owned())),
            st: self.st,
            cn: self.cn,
            pw: self.pw.map(|v| Cow::Owned(v.into_owned())),
            mn: self.mn.map(|v| Cow::Owned(v.into_owned())),
            flag: self.flag,
            split: self.split,
            cp: self.cp.into_owned(),
        }
    }

    /// True when the Flag asks for an answer (A bit).
    pub fn needs_reply(&self) -> bool {
        self.flag.is_some_and(PacketFlag::needs_reply)
    }
}
