//! Reading the parts of a data segment: the header's fields (typed where they have a type)
//! and CP's items, with every deviation found in them.

use super::command::Command;
use super::cp::Cp;
use super::deviation::{Deviation, Place};
use super::packet::{Edition, Field, PacketFlag, Split, SystemCode};

/// Whether `text` holds a character a value may not hold: one that would change the packet's
/// structure (`&`, `=`) or its framing (CR, LF). `;` and `,` cannot occur in a value that was
/// split on them. (All four are ASCII, so the bytes are searched, not the characters.)
pub(crate) fn has_reserved(text: &str) -> bool {
    text.bytes()
        .any(|b| matches!(b, b'&' | b'=' | b'\r' | b'\n'))
}

/// A part of the data segment, with its text when the whole segment is UTF-8 (checked once:
/// a part cut at ASCII separators is then UTF-8 too, and is not checked again).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Piece<'a> {
    bytes: &'a [u8],
    text: Option<&'a str>,
}

impl<'a> Piece<'a> {
    /// The whole of `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Piece<'a> {
        Piece {
            bytes,
            text: std::str::from_utf8(bytes).ok(),
        }
    }

    /// `bytes[range]`, as a piece.
    pub(crate) fn slice(self, range: std::ops::Range<usize>) -> Piece<'a> {
        Piece {
            bytes: &self.bytes[range.clone()],
            text: self.text.and_then(|t| t.get(range)),
        }
    }

    /// The parts between `separator`s.
    fn split(self, separator: u8) -> impl Iterator<Item = Piece<'a>> {
        let ends = memchr::memchr_iter(separator, self.bytes).chain([self.bytes.len()]);
        let mut from = 0;
        ends.map(move |end| {
            let piece = self.slice(from..end);
            from = end + 1;
            piece
        })
    }

    /// Its text, when it is UTF-8.
    fn text(self) -> Option<&'a str> {
        self.text.or_else(|| std::str::from_utf8(self.bytes).ok())
    }

    fn is_empty(self) -> bool {
        self.bytes.is_empty()
    }
}

/// The header fields that have a type, read once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct TypedHeader {
    pub(crate) st: Option<SystemCode>,
    pub(crate) cn: Option<Command>,
    pub(crate) flag: Option<PacketFlag>,
    pub(crate) split: Option<Split>,
}

/// The header's `key=value` pieces (split on `;`; empty pieces skipped).
pub(crate) fn read_header<'a>(
    header: Piece<'a>,
    deviations: &mut Vec<Deviation>,
) -> Vec<(&'a str, &'a str)> {
    let mut fields = Vec::with_capacity(8);
    for piece in header.split(b';').filter(|p| !p.is_empty()) {
        let Some(piece) = piece.text() else {
            deviations.push(Deviation::NotUtf8 {
                place: Place::Header,
            });
            continue;
        };
        match piece.split_once('=') {
            Some((key, value)) => fields.push((key, value)),
            None => deviations.push(Deviation::HeaderPieceWithoutValue {
                text: piece.to_string(),
            }),
        }
    }
    fields
}

/// The header fields with a type, and the deviations of the header.
pub(crate) fn read_typed(header: &[(&str, &str)], deviations: &mut Vec<Deviation>) -> TypedHeader {
    let mut typed = TypedHeader::default();
    let mut seen = [false; Field::ALL.len()];
    let (mut pnum, mut pno) = (None, None);
    for &(key, value) in header {
        let Some(index) = Field::ALL.iter().position(|f| f.key() == key) else {
            deviations.push(Deviation::UnknownField {
                key: key.to_string(),
                value: value.to_string(),
            });
            continue;
        };
        let field = Field::ALL[index];
        if std::mem::replace(&mut seen[index], true) {
            deviations.push(Deviation::DuplicateField {
                field,
                value: value.to_string(),
            });
            continue;
        }
        let number = |digits: usize| {
            let plain = !value.is_empty()
                && value.len() <= digits
                && value.bytes().all(|b| b.is_ascii_digit());
            plain.then(|| value.parse::<u32>().ok()).flatten()
        };
        let ok = match field {
            Field::Qn => value.len() == 17 && value.bytes().all(|b| b.is_ascii_digit()),
            Field::Pw | Field::Mn => !has_reserved(value),
            Field::St => {
                typed.st = number(4).map(|n| SystemCode::from_code(n as u16));
                typed.st.is_some()
            }
            Field::Cn => {
                typed.cn = number(4).map(|n| Command::from_code(n as u16));
                typed.cn.is_some()
            }
            Field::Flag => {
                typed.flag = number(3)
                    .and_then(|n| u8::try_from(n).ok())
                    .map(PacketFlag::from_bits);
                typed.flag.is_some()
            }
            Field::Pnum => {
                pnum = number(4).filter(|&n| n > 0);
                pnum.is_some()
            }
            Field::Pno => {
                pno = number(4).filter(|&n| n > 0);
                pno.is_some()
            }
        };
        if !ok {
            deviations.push(Deviation::InvalidField {
                field,
                value: value.to_string(),
            });
        }
    }
    for (index, field) in Field::ALL.into_iter().enumerate() {
        if !seen[index] && !matches!(field, Field::Pnum | Field::Pno) {
            deviations.push(Deviation::MissingField { field });
        }
    }
    let (has_pnum, has_pno) = (seen[6], seen[7]);
    if has_pnum != has_pno {
        let field = if has_pnum { Field::Pno } else { Field::Pnum };
        deviations.push(Deviation::MissingField { field });
    }
    typed.split = match (pnum, pno) {
        (Some(total), Some(index)) if index <= total => Some(Split { total, index }),
        (Some(total), Some(index)) => {
            deviations.push(Deviation::InvalidField {
                field: Field::Pno,
                value: format!("{index} (PNUM={total})"),
            });
            None
        }
        _ => None,
    };
    let has_split_fields = has_pnum || has_pno;
    if let Some(flag) = typed.flag
        && flag.is_split() != has_split_fields
    {
        deviations.push(Deviation::SplitFlagMismatch {
            flag_split: flag.is_split(),
            has_split_fields,
        });
    }
    typed
}

/// A cheap fingerprint of a key: equal keys have equal fingerprints, so only keys whose
/// fingerprints match are compared as text.
fn fingerprint(key: &str) -> u64 {
    key.as_bytes().chunks(8).fold(key.len() as u64, |h, chunk| {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        h.rotate_left(23) ^ u64::from_le_bytes(word)
    })
}

/// A 256-bit Bloom filter of fingerprints: a key whose bit is not set was not seen before, so
/// the earlier keys are searched only when it is (rarely, for the two dozen keys of a packet).
#[derive(Default)]
struct SeenKeys([u64; 4]);

impl SeenKeys {
    /// Sets the bit of `print`; whether it was set already.
    fn insert(&mut self, print: u64) -> bool {
        let bit = (print.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize;
        let (word, mask) = (bit / 64, 1u64 << (bit % 64));
        let was = self.0[word] & mask != 0;
        self.0[word] |= mask;
        was
    }
}

/// CP's items: groups on `;`, items on `,`, each split at its first `=`; empty pieces skipped.
/// Pieces without `=` and keys that occurred before are reported in order.
pub(crate) fn read_cp<'a>(content: Piece<'a>, deviations: &mut Vec<Deviation>) -> Cp<'a> {
    let bytes = content.bytes;
    let separators = memchr::memchr2_iter(b';', b',', bytes).count();
    let mut cp = Cp::with_capacity(separators + 1);
    let mut fingerprints: Vec<u64> = Vec::with_capacity(separators + 1);
    let mut seen = SeenKeys::default();
    let mut group: u16 = 0;
    let mut group_has_items = false;
    // One pass over the separators: `,` ends an item, `;` an item and its group.
    let ends = memchr::memchr2_iter(b';', b',', bytes)
        .map(|at| (at, bytes[at] == b';'))
        .chain([(bytes.len(), true)]);
    let mut from = 0;
    for (end, ends_group) in ends {
        let piece = content.slice(from..end);
        from = end + 1;
        if !piece.is_empty()
            && let Some((key, value)) = read_item(piece, deviations)
        {
            let print = fingerprint(key);
            let duplicate = seen.insert(print)
                && fingerprints
                    .iter()
                    .zip(cp.items())
                    .any(|(&f, item)| f == print && item.key == key);
            if duplicate {
                deviations.push(Deviation::DuplicateKey {
                    key: key.to_string(),
                    value: value.to_string(),
                });
            }
            if key.is_empty() || has_reserved(key) || has_reserved(value) {
                deviations.push(Deviation::ReservedCharacter {
                    key: key.to_string(),
                    value: value.to_string(),
                });
            }
            fingerprints.push(print);
            cp.push_parsed(group, key, value);
            group_has_items = true;
        }
        if ends_group && group_has_items {
            group = group.saturating_add(1);
            group_has_items = false;
        }
    }
    cp
}

/// One CP item's key and value, split at its first `=`; `None` (reported) when it is not
/// UTF-8 or has no `=`.
fn read_item<'a>(piece: Piece<'a>, deviations: &mut Vec<Deviation>) -> Option<(&'a str, &'a str)> {
    let Some(text) = piece.text() else {
        deviations.push(Deviation::NotUtf8 { place: Place::Cp });
        return None;
    };
    let split = text.split_once('=');
    if split.is_none() {
        deviations.push(Deviation::CpItemWithoutValue {
            text: text.to_string(),
        });
    }
    split
}

/// Deviations in CP's content: `DataTime`'s form; factor codes in a 2017 (or later) packet.
pub(crate) fn check_cp(cp: &Cp<'_>, edition: Option<Edition>, deviations: &mut Vec<Deviation>) {
    if let Some(value) = cp.data_time()
        && (value.len() != 14 || !value.bytes().all(|b| b.is_ascii_digit()))
    {
        deviations.push(Deviation::DataTimeForm {
            value: value.to_string(),
        });
    }
    if matches!(edition, None | Some(Edition::Unversioned)) {
        return;
    }
    let mut reported: Vec<&str> = Vec::new();
    for (code, _) in cp.items().iter().filter_map(|i| i.code_suffix()) {
        if !is_standard_code(code) && !reported.contains(&code) {
            reported.push(code);
            deviations.push(Deviation::NonStandardCode {
                code: code.to_string(),
            });
        }
    }
}

/// The 2017 form of a factor code: a lower-case letter and five digits (`a34004`, `w01018`),
/// or `SB` and a number for a device's run status.
pub(crate) fn is_standard_code(code: &str) -> bool {
    let b = code.as_bytes();
    let factor = b.len() == 6 && b[0].is_ascii_lowercase() && b[1..].iter().all(u8::is_ascii_digit);
    let device = b.len() > 2 && b.starts_with(b"SB") && b[2..].iter().all(u8::is_ascii_digit);
    factor || device
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_reserved_characters_and_codes() {
        let mut deviations = Vec::new();
        let cp = read_cp(
            Piece::new(
                b"DataTime=2016082410450;a34004-ZsAvg=1,a34004-ZsMax=2;a34004-ZsAvg=3;x=a&b;bare",
            ),
            &mut deviations,
        );
        assert_eq!(cp.items().len(), 5);
        assert_eq!(
            deviations,
            vec![
                Deviation::DuplicateKey {
                    key: "a34004-ZsAvg".into(),
                    value: "3".into()
                },
                Deviation::ReservedCharacter {
                    key: "x".into(),
                    value: "a&b".into()
                },
                Deviation::CpItemWithoutValue {
                    text: "bare".into()
                },
            ]
        );
        check_cp(&cp, Some(Edition::Hj212_2017), &mut deviations);
        assert_eq!(
            deviations[3..],
            [Deviation::DataTimeForm {
                value: "2016082410450".into()
            }]
        );
        assert!(is_standard_code("a34004") && is_standard_code("SB1"));
        assert!(!is_standard_code("O3") && !is_standard_code("a21") && !is_standard_code("SB"));
    }

    #[test]
    fn header_fields() {
        let mut deviations = Vec::new();
        let header = read_header(
            Piece::new(b"QN=1;ST=22;ST=31;CN=x;PNUM=2;Flag=7;Leader=1;MN"),
            &mut deviations,
        );
        let typed = read_typed(&header, &mut deviations);
        assert_eq!(typed.st, Some(SystemCode::AirQuality));
        assert_eq!(typed.cn, None);
        assert_eq!(typed.split, None);
        assert_eq!(
            deviations,
            vec![
                Deviation::HeaderPieceWithoutValue { text: "MN".into() },
                Deviation::InvalidField {
                    field: Field::Qn,
                    value: "1".into()
                },
                Deviation::DuplicateField {
                    field: Field::St,
                    value: "31".into()
                },
                Deviation::InvalidField {
                    field: Field::Cn,
                    value: "x".into()
                },
                Deviation::UnknownField {
                    key: "Leader".into(),
                    value: "1".into()
                },
                Deviation::MissingField { field: Field::Pw },
                Deviation::MissingField { field: Field::Mn },
                Deviation::MissingField { field: Field::Pno },
            ]
        );
    }
}
