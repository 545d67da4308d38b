//! Decoding register words into numbers and encoding numbers into words, for every
//! [`DataType`] × [`ByteOrder`].
//!
//! A "word" is one 16-bit register as received: the big-endian interpretation of its two wire
//! bytes. The byte order then says how the words (and the bytes inside them) map onto the value;
//! see [`ByteOrder`].

use super::{ByteOrder, DataType};

/// Decodes the `ty.registers()` words at the start of `words` (as they arrived on the wire).
///
/// Words beyond `ty.registers()` are ignored. Callers must pass at least `ty.registers()` words
/// (checked by a debug assertion); in release builds a too-short slice yields `NaN` instead of a
/// panic. Integers are converted to `f64` exactly up to 2^53 and rounded beyond.
#[inline]
pub fn decode(words: &[u16], ty: DataType, order: ByteOrder) -> f64 {
    debug_assert!(
        words.len() >= usize::from(ty.registers()),
        "decode {ty:?}: {} words given, {} needed",
        words.len(),
        ty.registers()
    );
    // The `as` casts below reinterpret the assembled bits at the type's width on purpose.
    match ty {
        DataType::U16 => read::<1>(words, order).map_or(f64::NAN, |r| f64::from(r as u16)),
        DataType::I16 => read::<1>(words, order).map_or(f64::NAN, |r| f64::from(r as i16)),
        DataType::U32 => read::<2>(words, order).map_or(f64::NAN, |r| f64::from(r as u32)),
        DataType::I32 => read::<2>(words, order).map_or(f64::NAN, |r| f64::from(r as i32)),
        DataType::F32 => {
            read::<2>(words, order).map_or(f64::NAN, |r| f64::from(f32::from_bits(r as u32)))
        }
        DataType::U64 => read::<4>(words, order).map_or(f64::NAN, |r| r as f64),
        DataType::I64 => read::<4>(words, order).map_or(f64::NAN, |r| r as i64 as f64),
        DataType::F64 => read::<4>(words, order).map_or(f64::NAN, f64::from_bits),
    }
}

/// Encodes `value` into `out[..ty.registers()]` as a device would send it (integers are rounded
/// and saturated to the type's range).
///
/// Integers round to nearest (halves away from zero), saturate at the type's bounds, and encode
/// `NaN` as 0. Floats are cast (`f32` may round, or overflow to ±∞). Words of `out` beyond
/// `ty.registers()` are left untouched.
///
/// # Panics
///
/// If `out` is shorter than `ty.registers()`.
pub fn encode(value: f64, ty: DataType, order: ByteOrder, out: &mut [u16]) {
    // Float-to-integer `as` casts saturate and map NaN to 0, which is exactly the contract; the
    // signed-to-unsigned casts then keep the two's complement bits.
    let raw = match ty {
        DataType::U16 => u64::from(value.round() as u16),
        DataType::I16 => u64::from(value.round() as i16 as u16),
        DataType::U32 => u64::from(value.round() as u32),
        DataType::I32 => u64::from(value.round() as i32 as u32),
        DataType::F32 => u64::from((value as f32).to_bits()),
        DataType::U64 => value.round() as u64,
        DataType::I64 => value.round() as i64 as u64,
        DataType::F64 => value.to_bits(),
    };
    let n = usize::from(ty.registers());
    let out = &mut out[..n];
    for (pos, slot) in out.iter_mut().enumerate() {
        // Significance rank of the word travelling at `pos` (0 = most significant).
        let rank = if order.words_swapped() {
            n - 1 - pos
        } else {
            pos
        };
        let word = (raw >> (16 * (n - 1 - rank))) as u16;
        *slot = if order.bytes_swapped() {
            word.swap_bytes()
        } else {
            word
        };
    }
}

/// Assembles the first `N` words into an integer (most significant word in the top bits of the
/// low `16 * N` bits), or `None` if fewer than `N` words are given.
#[inline(always)]
fn read<const N: usize>(words: &[u16], order: ByteOrder) -> Option<u64> {
    let words = words.first_chunk::<N>()?;
    let mut raw = 0u64;
    for rank in 0..N {
        let pos = if order.words_swapped() {
            N - 1 - rank
        } else {
            rank
        };
        let word = if order.bytes_swapped() {
            words[pos].swap_bytes()
        } else {
            words[pos]
        };
        raw = (raw << 16) | u64::from(word);
    }
    Some(raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ORDERS: [ByteOrder; 4] = ByteOrder::ALL;
    const TYPES: [DataType; 8] = DataType::ALL;

    /// Checks the hand-written wire words of `expected` in every order: `[ABCD, CDAB, BADC, DCBA]`.
    fn check(ty: DataType, expected: f64, words: [&[u16]; 4]) {
        for (order, w) in ORDERS.into_iter().zip(words) {
            let got = decode(w, ty, order);
            assert_eq!(
                got.to_bits(),
                expected.to_bits(),
                "decode {ty:?} {order:?} {w:04X?}: {got} != {expected}"
            );
            let mut out = [0u16; 4];
            encode(expected, ty, order, &mut out);
            assert_eq!(&out[..w.len()], w, "encode {ty:?} {order:?} {expected}");
        }
    }

    #[test]
    fn u16_by_hand() {
        // 4660 = 0x1234.
        check(
            DataType::U16,
            4660.0,
            [&[0x1234], &[0x1234], &[0x3412], &[0x3412]],
        );
        check(
            DataType::U16,
            65535.0,
            [&[0xFFFF], &[0xFFFF], &[0xFFFF], &[0xFFFF]],
        );
    }

    #[test]
    fn i16_by_hand() {
        // -12345 = 65536 - 12345 = 53191 = 0xCFC7.
        check(
            DataType::I16,
            -12345.0,
            [&[0xCFC7], &[0xCFC7], &[0xC7CF], &[0xC7CF]],
        );
        // 0x8000 is the minimum.
        check(
            DataType::I16,
            -32768.0,
            [&[0x8000], &[0x8000], &[0x0080], &[0x0080]],
        );
        check(
            DataType::I16,
            1.0,
            [&[0x0001], &[0x0001], &[0x0100], &[0x0100]],
        );
    }

    #[test]
    fn u32_by_hand() {
        // 305419896 = 0x12345678.
        check(
            DataType::U32,
            305_419_896.0,
            [
                &[0x1234, 0x5678],
                &[0x5678, 0x1234],
                &[0x3412, 0x7856],
                &[0x7856, 0x3412],
            ],
        );
    }

    #[test]
    fn i32_by_hand() {
        // 123456789 = 0x075BCD15, so -123456789 = !0x075BCD15 + 1 = 0xF8A432EB.
        check(
            DataType::I32,
            -123_456_789.0,
            [
                &[0xF8A4, 0x32EB],
                &[0x32EB, 0xF8A4],
                &[0xA4F8, 0xEB32],
                &[0xEB32, 0xA4F8],
            ],
        );
    }

    #[test]
    fn f32_by_hand() {
        // 123.456f32 = 0x42F6E979.
        check(
            DataType::F32,
            f64::from(123.456f32),
            [
                &[0x42F6, 0xE979],
                &[0xE979, 0x42F6],
                &[0xF642, 0x79E9],
                &[0x79E9, 0xF642],
            ],
        );
        // -1.5 = sign 1, exponent 127 (0x7F), mantissa 0.5 -> 0xBFC00000.
        check(
            DataType::F32,
            -1.5,
            [
                &[0xBFC0, 0x0000],
                &[0x0000, 0xBFC0],
                &[0xC0BF, 0x0000],
                &[0x0000, 0xC0BF],
            ],
        );
    }

    #[test]
    fn u64_by_hand() {
        // 0x0012_3456_789A_BCDE < 2^53, so it converts to f64 exactly.
        check(
            DataType::U64,
            5_124_095_576_030_430.0,
            [
                &[0x0012, 0x3456, 0x789A, 0xBCDE],
                &[0xBCDE, 0x789A, 0x3456, 0x0012],
                &[0x1200, 0x5634, 0x9A78, 0xDEBC],
                &[0xDEBC, 0x9A78, 0x5634, 0x1200],
            ],
        );
        assert_eq!(
            decode(&[0xFFFF; 4], DataType::U64, ByteOrder::ABCD),
            18_446_744_073_709_551_615.0
        );
    }

    #[test]
    fn i64_by_hand() {
        // -0x0012_3456_789A_BCDE = !0x0012_3456_789A_BCDE + 1 = 0xFFED_CBA9_8765_4322.
        check(
            DataType::I64,
            -5_124_095_576_030_430.0,
            [
                &[0xFFED, 0xCBA9, 0x8765, 0x4322],
                &[0x4322, 0x8765, 0xCBA9, 0xFFED],
                &[0xEDFF, 0xA9CB, 0x6587, 0x2243],
                &[0x2243, 0x6587, 0xA9CB, 0xEDFF],
            ],
        );
        check(
            DataType::I64,
            -1.0,
            [&[0xFFFF; 4], &[0xFFFF; 4], &[0xFFFF; 4], &[0xFFFF; 4]],
        );
    }

    #[test]
    fn f64_by_hand() {
        // 1.0 = exponent 1023 (0x3FF), mantissa 0 -> 0x3FF0_0000_0000_0000.
        check(
            DataType::F64,
            1.0,
            [
                &[0x3FF0, 0, 0, 0],
                &[0, 0, 0, 0x3FF0],
                &[0xF03F, 0, 0, 0],
                &[0, 0, 0, 0xF03F],
            ],
        );
        // 0.1 = 0x3FB9_9999_9999_999A.
        check(
            DataType::F64,
            0.1,
            [
                &[0x3FB9, 0x9999, 0x9999, 0x999A],
                &[0x999A, 0x9999, 0x9999, 0x3FB9],
                &[0xB93F, 0x9999, 0x9999, 0x9A99],
                &[0x9A99, 0x9999, 0x9999, 0xB93F],
            ],
        );
    }

    #[test]
    fn extra_words_are_ignored() {
        let words = [0x42F6, 0xE979, 0xDEAD, 0xBEEF];
        assert_eq!(
            decode(&words, DataType::F32, ByteOrder::ABCD),
            f64::from(123.456f32)
        );
        assert_eq!(decode(&words, DataType::U16, ByteOrder::DCBA), 63_042.0);
        let mut out = [0xAAAA; 4];
        encode(7.0, DataType::U16, ByteOrder::ABCD, &mut out);
        assert_eq!(out, [7, 0xAAAA, 0xAAAA, 0xAAAA]);
    }

    #[test]
    fn short_input_is_nan_in_release() {
        let result = std::panic::catch_unwind(|| decode(&[0x42F6], DataType::F32, ByteOrder::ABCD));
        if cfg!(debug_assertions) {
            assert!(result.is_err(), "debug_assert must catch short input");
        } else {
            assert!(result.unwrap().is_nan());
        }
    }

    #[test]
    #[should_panic]
    fn encode_into_short_buffer_panics() {
        encode(1.0, DataType::F64, ByteOrder::ABCD, &mut [0; 3]);
    }

    #[test]
    fn encode_rounds_to_nearest() {
        let cases = [
            (DataType::U16, 2.5, 3.0),
            (DataType::U16, 2.49, 2.0),
            (DataType::I16, -2.5, -3.0),
            (DataType::I16, -2.4, -2.0),
            (DataType::U32, 1e6 + 0.6, 1_000_001.0),
            (DataType::I32, -0.4, 0.0),
            (DataType::U64, 41.5, 42.0),
            (DataType::I64, -41.5, -42.0),
        ];
        for (ty, value, want) in cases {
            for order in ORDERS {
                let mut out = [0u16; 4];
                encode(value, ty, order, &mut out);
                assert_eq!(decode(&out, ty, order), want, "{ty:?} {order:?} {value}");
            }
        }
    }

    #[test]
    fn encode_saturates() {
        let cases = [
            (DataType::U16, 1e9, 65_535.0),
            (DataType::U16, -5.0, 0.0),
            (DataType::I16, 40_000.0, 32_767.0),
            (DataType::I16, -40_000.0, -32_768.0),
            (DataType::U32, 1e12, 4_294_967_295.0),
            (DataType::U32, -1.0, 0.0),
            (DataType::I32, 3e9, 2_147_483_647.0),
            (DataType::I32, -3e9, -2_147_483_648.0),
            (DataType::U64, 1e30, 18_446_744_073_709_551_615.0),
            (DataType::U64, -1e30, 0.0),
            (DataType::I64, 1e30, 9_223_372_036_854_775_807.0),
            (DataType::I64, -1e30, -9_223_372_036_854_775_808.0),
            (DataType::I16, f64::INFINITY, 32_767.0),
            (DataType::I16, f64::NEG_INFINITY, -32_768.0),
        ];
        for (ty, value, want) in cases {
            for order in ORDERS {
                let mut out = [0u16; 4];
                encode(value, ty, order, &mut out);
                assert_eq!(decode(&out, ty, order), want, "{ty:?} {order:?} {value}");
            }
        }
        // Exact bit patterns at the i16 limits.
        let mut out = [0u16; 1];
        encode(1e9, DataType::I16, ByteOrder::ABCD, &mut out);
        assert_eq!(out, [0x7FFF]);
        encode(-1e9, DataType::I16, ByteOrder::BADC, &mut out);
        assert_eq!(out, [0x0080]);
    }

    #[test]
    fn encode_nan_is_zero_for_integers_and_nan_for_floats() {
        for ty in TYPES {
            for order in ORDERS {
                let mut out = [0x5555u16; 4];
                encode(f64::NAN, ty, order, &mut out);
                let back = decode(&out, ty, order);
                if matches!(ty, DataType::F32 | DataType::F64) {
                    assert!(back.is_nan(), "{ty:?} {order:?}");
                } else {
                    assert_eq!(back, 0.0, "{ty:?} {order:?}");
                }
            }
        }
    }

    #[test]
    fn round_trip_all_combinations() {
        let values = [0.0, 1.0, -1.0, 12.0, -300.0, 32_767.0, 65_535.0, 1e6, -2e9];
        for ty in TYPES {
            for order in ORDERS {
                for value in values {
                    let mut out = [0u16; 4];
                    encode(value, ty, order, &mut out);
                    let mut want = [0u16; 4];
                    let back = decode(&out, ty, order);
                    encode(back, ty, order, &mut want);
                    assert_eq!(out, want, "{ty:?} {order:?} {value}: not a fixed point");
                    if in_range(ty, value) {
                        assert_eq!(back, value, "{ty:?} {order:?}");
                    }
                }
            }
        }
    }

    /// True when `value` is an integer representable by `ty` (or any value for floats, all the
    /// test values being exact in `f32`).
    fn in_range(ty: DataType, value: f64) -> bool {
        let (lo, hi) = match ty {
            DataType::U16 => (0.0, 65_535.0),
            DataType::I16 => (-32_768.0, 32_767.0),
            DataType::U32 => (0.0, 4_294_967_295.0),
            DataType::I32 => (-2_147_483_648.0, 2_147_483_647.0),
            DataType::U64 => (0.0, f64::MAX),
            DataType::I64 | DataType::F32 | DataType::F64 => (f64::MIN, f64::MAX),
        };
        (lo..=hi).contains(&value)
    }

    proptest! {
        #[test]
        fn words_round_trip(words in proptest::array::uniform4(any::<u16>()), t in 0..8usize, o in 0..4usize) {
            let (ty, order) = (TYPES[t], ORDERS[o]);
            let n = usize::from(ty.registers());
            let value = decode(&words, ty, order);
            // Every word pattern of the non-lossy types survives decode -> encode (NaN payloads
            // aside, and 64-bit integers beyond 2^53 lose low bits in f64).
            let lossless = match ty {
                DataType::U64 | DataType::I64 => value.abs() < 9_007_199_254_740_992.0,
                DataType::F32 | DataType::F64 => !value.is_nan(),
                _ => true,
            };
            if lossless {
                let mut out = [0u16; 4];
                encode(value, ty, order, &mut out);
                prop_assert_eq!(&out[..n], &words[..n]);
            }
        }

        #[test]
        fn f64_values_round_trip(value in any::<f64>(), o in 0..4usize) {
            let mut out = [0u16; 4];
            encode(value, DataType::F64, ORDERS[o], &mut out);
            let back = decode(&out, DataType::F64, ORDERS[o]);
            prop_assert_eq!(back.to_bits(), value.to_bits());
        }
    }
}
