//! Writing a packet: the data segment from the typed model, its length and CRC, CR LF.
//! Refuses what cannot be written so that the receiver reads back the same packet.

use super::cp::Cp;
use super::crc::{crc_text, crc16};
use super::fields::has_reserved;
use super::packet::{Field, Packet};
use super::{MAX_CP_LEN, MAX_SEGMENT_LEN};

/// Why a packet cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A header value holds a character that would change the packet's structure.
    #[error("{field}={value:?}: a header value may not contain ';', '=', '&', CR or LF")]
    HeaderValue {
        /// The field.
        field: Field,
        /// The value.
        value: String,
    },
    /// A CP key is empty or holds a separator (`;`, `,`, `=`, `&`, CR, LF).
    #[error("CP key {key:?}: keys are non-empty and contain no ';', ',', '=', '&', CR or LF")]
    CpKey {
        /// The key.
        key: String,
    },
    /// A CP value holds a separator (`;`, `,`, `&`, `=`, CR, LF).
    #[error("CP value {value:?} of {key}: values contain no ';', ',', '&', '=', CR or LF")]
    CpValue {
        /// The key.
        key: String,
        /// The value.
        value: String,
    },
    /// CP longer than 950 characters.
    #[error("CP of {len} bytes is longer than the standard's {MAX_CP_LEN}; split the packet")]
    CpTooLong {
        /// Its length.
        len: usize,
    },
    /// The data segment is longer than 1024 bytes.
    #[error(
        "data segment of {len} bytes is longer than the standard's {MAX_SEGMENT_LEN}; split the packet"
    )]
    SegmentTooLong {
        /// Its length.
        len: usize,
    },
    /// PNUM/PNO present without the Flag's D bit, or the other way round, or PNO outside
    /// 1 ..= PNUM.
    #[error("PNUM/PNO and the Flag's D bit disagree, or PNO is outside 1..=PNUM")]
    Split,
}

impl Packet<'_> {
    /// The data segment: `QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;]CP=&&…&&` (fields that
    /// are `None` are left out, as in the 2005 layout).
    pub fn segment(&self) -> Result<String, EncodeError> {
        let split_flag = self.flag.map(|f| f.is_split());
        match (self.split, split_flag) {
            (Some(s), Some(true)) if (1..=s.total).contains(&s.index) => {}
            (None, Some(false) | None) => {}
            _ => return Err(EncodeError::Split),
        }
        let mut segment = String::with_capacity(256);
        let mut field = |field: Field, value: &str| -> Result<(), EncodeError> {
            if value.contains(';') || has_reserved(value) {
                return Err(EncodeError::HeaderValue {
                    field,
                    value: value.to_string(),
                });
            }
            segment.push_str(field.key());
            segment.push('=');
            segment.push_str(value);
            segment.push(';');
            Ok(())
        };
        if let Some(qn) = &self.qn {
            field(Field::Qn, qn)?;
        }
        if let Some(st) = self.st {
            field(Field::St, &st.to_string())?;
        }
        field(Field::Cn, &self.cn.to_string())?;
        if let Some(pw) = &self.pw {
            field(Field::Pw, pw)?;
        }
        if let Some(mn) = &self.mn {
            field(Field::Mn, mn)?;
        }
        if let Some(flag) = self.flag {
            field(Field::Flag, &flag.to_string())?;
        }
        if let Some(split) = self.split {
            field(Field::Pnum, &split.total.to_string())?;
            field(Field::Pno, &split.index.to_string())?;
        }
        let cp = cp_text(&self.cp)?;
        segment.push_str("CP=&&");
        segment.push_str(&cp);
        segment.push_str("&&");
        if segment.len() > MAX_SEGMENT_LEN {
            return Err(EncodeError::SegmentTooLong { len: segment.len() });
        }
        Ok(segment)
    }

    /// The whole packet: `##` + 4-digit length + data segment + CRC + CR LF.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        Ok(frame(self.segment()?.as_bytes()))
    }
}

/// `##` + length + `segment` + CRC + CR LF, for a data segment of at most 9999 bytes (the
/// caller keeps it within [`MAX_SEGMENT_LEN`]).
pub(crate) fn frame(segment: &[u8]) -> Vec<u8> {
    let mut packet = Vec::with_capacity(segment.len() + 12);
    packet.extend_from_slice(format!("##{:04}", segment.len()).as_bytes());
    packet.extend_from_slice(segment);
    packet.extend_from_slice(&crc_text(crc16(segment)));
    packet.extend_from_slice(b"\r\n");
    packet
}

/// CP's text, after checking every key and value.
fn cp_text(cp: &Cp<'_>) -> Result<String, EncodeError> {
    for item in cp.items() {
        let key: &str = &item.key;
        if key.is_empty() || key.contains([';', ',']) || has_reserved(key) {
            return Err(EncodeError::CpKey {
                key: key.to_string(),
            });
        }
        if item.value.contains([';', ',']) || has_reserved(&item.value) {
            return Err(EncodeError::CpValue {
                key: key.to_string(),
                value: item.value.to_string(),
            });
        }
    }
    let text = cp.to_text();
    if text.len() > MAX_CP_LEN {
        return Err(EncodeError::CpTooLong { len: text.len() });
    }
    Ok(text)
}
