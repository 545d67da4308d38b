//! Everything a parse finds that departs from the standard, typed (never a sentence parsed
//! back). Serialised with a stable `kind` and the facts of each case.

use serde::Serialize;

use super::packet::Field;

/// Where in the packet a text that is not UTF-8 was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Place {
    /// A piece of the header (before `CP=`).
    Header,
    /// A piece of CP.
    Cp,
}

/// A departure from HJ 212-2017 found in a packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Deviation {
    /// The packet does not start with `##`: a fragment (its start was lost).
    #[error("no ## at the start (a fragment)")]
    NoHeader,
    /// `##` is followed by fewer than four digits (0: nothing after `##` is a length, so
    /// nothing else is read).
    #[error("the length field has {digits} digit(s), not 4")]
    LengthFieldDigits {
        /// How many digits follow `##`.
        digits: u8,
    },
    /// The length field equals neither the byte count nor the character count of the data
    /// segment.
    #[error("length field {declared}, data segment {actual} bytes")]
    LengthMismatch {
        /// The length field.
        declared: u32,
        /// The data segment's length in bytes.
        actual: usize,
    },
    /// The data segment is longer than the standard's 1024.
    #[error("data segment of {len} bytes (at most 1024)")]
    SegmentTooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// No four hexadecimal digits after the closing `&&`.
    #[error("no CRC")]
    NoCrc,
    /// The CRC is written with lower-case letters (the standard prints upper case).
    #[error("CRC {crc} in lower case")]
    LowerCaseCrc {
        /// The CRC as written.
        crc: String,
    },
    /// The CRC field differs from the HJ 212 CRC of the data segment.
    #[error("CRC {declared}, computed {computed}")]
    CrcMismatch {
        /// The CRC as written.
        declared: String,
        /// The HJ 212 CRC of the data segment (upper case).
        computed: String,
    },
    /// Text between the closing `&&` and the CRC (not covered by length or CRC).
    #[error("text between the closing && and the CRC: {text:?}")]
    TextBeforeCrc {
        /// The text.
        text: String,
    },
    /// Text after the CRC (before CR LF).
    #[error("text after the CRC: {text:?}")]
    TextAfterCrc {
        /// The text.
        text: String,
    },
    /// Text after the closing `&&` that holds no CRC.
    #[error("text after the closing && that is no CRC: {text:?}")]
    TextAfterCp {
        /// The text.
        text: String,
    },
    /// The packet does not end with CR LF.
    #[error("no CR LF at the end")]
    NoCrlf,
    /// No `CP=&&` in the data segment.
    #[error("no CP=&&")]
    NoCp,
    /// `CP=&&` is not closed by `&&`.
    #[error("CP not closed with &&")]
    CpNotClosed,
    /// CP is longer than the standard's 950 characters.
    #[error("CP of {len} characters (at most 950)")]
    CpTooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// A field the 2017 layout requires is absent (QN and Flag are absent in the 2005 layout).
    #[error("no {field}")]
    MissingField {
        /// The field.
        field: Field,
    },
    /// A field whose value cannot be read (ST or CN not a number, PNO beyond PNUM, a QN that
    /// is not 17 digits, `&`, `=`, CR or LF in PW or MN…).
    #[error("{field}={value:?} cannot be read")]
    InvalidField {
        /// The field.
        field: Field,
        /// The value as written.
        value: String,
    },
    /// A header field that occurs again (the first is used).
    #[error("{field} again ({value:?}; the first is used)")]
    DuplicateField {
        /// The field.
        field: Field,
        /// The later value.
        value: String,
    },
    /// A header key the standard does not define.
    #[error("unknown header field {key}={value:?}")]
    UnknownField {
        /// The key.
        key: String,
        /// The value.
        value: String,
    },
    /// A header piece without `=`.
    #[error("header piece without '=': {text:?}")]
    HeaderPieceWithoutValue {
        /// The piece.
        text: String,
    },
    /// The Flag's D bit and the presence of PNUM/PNO disagree.
    #[error("Flag D bit {flag_split}, PNUM/PNO present {has_split_fields}")]
    SplitFlagMismatch {
        /// The D bit.
        flag_split: bool,
        /// Whether PNUM and PNO are there.
        has_split_fields: bool,
    },
    /// A CP key that already occurred (the first value is kept in the view).
    #[error("CP key {key} again (={value:?}; the first is kept)")]
    DuplicateKey {
        /// The key.
        key: String,
        /// The later value.
        value: String,
    },
    /// A CP key that is empty or holds `&`, CR or LF, or a CP value that holds `&`, `=`, CR or
    /// LF (from a corrupted packet, or a vendor's text; such a packet cannot be written back).
    #[error("CP item {key}={value:?} holds a reserved character")]
    ReservedCharacter {
        /// The key.
        key: String,
        /// The value.
        value: String,
    },
    /// A CP piece without `=`.
    #[error("CP piece without '=': {text:?}")]
    CpItemWithoutValue {
        /// The piece.
        text: String,
    },
    /// A factor code that is not of the 2017 form (a letter and five digits, e.g. `a34004`,
    /// or `SBn` for a device), in a packet that claims the 2017 edition or later.
    #[error("non-standard factor code {code}")]
    NonStandardCode {
        /// The code.
        code: String,
    },
    /// `DataTime` not of the form `yyyyMMddHHmmss` (e.g. with milliseconds, or cut short).
    #[error("DataTime={value:?} is not yyyyMMddHHmmss")]
    DataTimeForm {
        /// The value as written.
        value: String,
    },
    /// A piece that is not UTF-8 (it is left out).
    #[error("a {place:?} piece is not UTF-8")]
    NotUtf8 {
        /// Where.
        place: Place,
    },
}

impl Deviation {
    /// True when the packet cannot be used at all, even in lenient mode: its integrity is not
    /// established (no CRC, a CRC that does not match: the bytes are not what the sender
    /// computed) or its parts cannot be found (no length field, no CP, CP not closed, no
    /// readable CN).
    pub fn is_fatal(&self) -> bool {
        match self {
            Deviation::LengthFieldDigits { digits } => *digits == 0,
            Deviation::NoCrc
            | Deviation::CrcMismatch { .. }
            | Deviation::NoCp
            | Deviation::CpNotClosed => true,
            Deviation::MissingField { field } | Deviation::InvalidField { field, .. } => {
                *field == Field::Cn
            }
            _ => false,
        }
    }
}
