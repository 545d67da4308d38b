//! The Modbus data model shared by collectors, simulator and profiles: register kinds, data
//! types and byte orders ([`decode`]), and the planning of a poll into as few requests as
//! possible ([`plan`]).

pub mod decode;
pub mod plan;

use std::fmt;

use serde::{Deserialize, Serialize};

/// The largest number of 16-bit registers one read request may carry (Modbus spec, fn 3/4).
pub const MAX_REGISTERS_PER_REQUEST: u16 = 125;
/// The largest number of bits one read request may carry (Modbus spec, fn 1/2).
pub const MAX_BITS_PER_REQUEST: u16 = 2000;

/// The four Modbus data tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegisterKind {
    /// Read/write bits (function 1).
    Coil,
    /// Read-only bits (function 2).
    DiscreteInput,
    /// Read/write 16-bit registers (function 3).
    Holding,
    /// Read-only 16-bit registers (function 4).
    Input,
}

impl RegisterKind {
    /// True for the bit tables (coils, discrete inputs).
    pub const fn is_bit(self) -> bool {
        matches!(self, RegisterKind::Coil | RegisterKind::DiscreteInput)
    }

    /// The most items one read request of this kind may cover.
    pub const fn max_per_request(self) -> u16 {
        if self.is_bit() {
            MAX_BITS_PER_REQUEST
        } else {
            MAX_REGISTERS_PER_REQUEST
        }
    }

    /// Name as written in profiles.
    pub const fn name(self) -> &'static str {
        match self {
            RegisterKind::Coil => "coil",
            RegisterKind::DiscreteInput => "discrete_input",
            RegisterKind::Holding => "holding",
            RegisterKind::Input => "input",
        }
    }
}

impl fmt::Display for RegisterKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a value is laid out in registers. Scaled integers are an integer type plus the
/// `scale`/`offset` of the register map entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataType {
    /// Unsigned 16-bit, one register.
    U16,
    /// Signed 16-bit, one register.
    I16,
    /// Unsigned 32-bit, two registers.
    U32,
    /// Signed 32-bit, two registers.
    I32,
    /// Unsigned 64-bit, four registers.
    U64,
    /// Signed 64-bit, four registers.
    I64,
    /// IEEE-754 single precision, two registers.
    F32,
    /// IEEE-754 double precision, four registers.
    F64,
}

impl DataType {
    /// Every data type.
    pub const ALL: [DataType; 8] = [
        DataType::U16,
        DataType::I16,
        DataType::U32,
        DataType::I32,
        DataType::U64,
        DataType::I64,
        DataType::F32,
        DataType::F64,
    ];

    /// Number of 16-bit registers the type occupies.
    pub const fn registers(self) -> u16 {
        match self {
            DataType::U16 | DataType::I16 => 1,
            DataType::U32 | DataType::I32 | DataType::F32 => 2,
            DataType::U64 | DataType::I64 | DataType::F64 => 4,
        }
    }
}

/// Byte and word order of multi-register values, in the notation of Telegraf's modbus input:
/// the letters name the bytes of the value from most to least significant (A = most
/// significant) in the order they travel on the wire.
///
/// - `ABCD`: big-endian, high word first (the Modbus convention; Thermo iSeries floats).
/// - `CDAB`: big-endian words, low word first ("word swapped"; Thermo 49iQ floats).
/// - `BADC`: bytes swapped inside each word, high word first.
/// - `DCBA`: little-endian throughout.
///
/// For 64-bit values the same rule extends to four words (`ABCD` = words 1-2-3-4 big-endian,
/// `CDAB` = words 4-3-2-1); for 16-bit values only the byte swap (`BADC`, `DCBA`) matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum ByteOrder {
    /// Big-endian, high word first.
    #[default]
    ABCD,
    /// Word-swapped.
    CDAB,
    /// Byte-swapped within words.
    BADC,
    /// Little-endian.
    DCBA,
}

impl ByteOrder {
    /// Every byte order.
    pub const ALL: [ByteOrder; 4] = [
        ByteOrder::ABCD,
        ByteOrder::CDAB,
        ByteOrder::BADC,
        ByteOrder::DCBA,
    ];

    /// True when the words travel low word first.
    pub const fn words_swapped(self) -> bool {
        matches!(self, ByteOrder::CDAB | ByteOrder::DCBA)
    }

    /// True when each word's two bytes are swapped.
    pub const fn bytes_swapped(self) -> bool {
        matches!(self, ByteOrder::BADC | ByteOrder::DCBA)
    }
}
