//! The HJ 212 checksum: a 16-bit CRC printed in the standard, which is **not** CRC-16/MODBUS.
//!
//! Both start from `0xFFFF` and use the reflected polynomial `0xA001`, but where MODBUS
//! XORs each byte into the low byte (`crc ^= b`), HJ 212 first shifts the register right by
//! eight bits (`crc = (crc >> 8) ^ b`), so the high byte of the running value is thrown away
//! at every byte. The two give different values for every packet (the standard's vector:
//! HJ `1C80`, MODBUS `0759`); a library CRC-16/MODBUS, byte-swapped or not, is wrong for
//! HJ 212. The value is printed as four upper-case hexadecimal digits, high byte first, and
//! covers the data segment only (from `QN=` to the closing `&&`, without the `##`, the length
//! field, the CRC itself and CR LF).

/// The HJ 212 CRC of `data` (the data segment of a packet).
///
/// After `crc >> 8` the register's high byte is zero, so `(crc >> 8) ^ b` is below 256 and the
/// eight shift-and-XOR steps that follow depend on that byte alone: they are one lookup in
/// `TABLE` (the steps run once per possible byte at compile time). Between bytes only the
/// high byte of the register matters, so the loop carries that byte and looks the whole
/// register up for the last byte only.
///
/// The steps are linear over GF(2) (shifts and XORs), so the high byte after a byte is
/// `H(high) ^ H(byte)` with `H` the table's high byte: eight bytes at a time, the new high byte
/// is `H⁸(high ^ b₀) ^ H⁷(b₁) ^ … ^ H¹(b₇)` (`SLICES`). Only the first lookup depends on the
/// previous high byte; the other seven run in parallel, so the chain from byte to byte that
/// limited the byte-serial loop is eight times shorter.
pub fn crc16(data: &[u8]) -> u16 {
    let Some((&last, body)) = data.split_last() else {
        return 0xFFFF;
    };
    let mut chunks = body.chunks_exact(8);
    let mut high = 0xFFu8;
    for chunk in &mut chunks {
        let b: [u8; 8] = chunk.try_into().expect("chunks of eight");
        high = SLICES[7][usize::from(high ^ b[0])]
            ^ SLICES[6][usize::from(b[1])]
            ^ SLICES[5][usize::from(b[2])]
            ^ SLICES[4][usize::from(b[3])]
            ^ SLICES[3][usize::from(b[4])]
            ^ SLICES[2][usize::from(b[5])]
            ^ SLICES[1][usize::from(b[6])]
            ^ SLICES[0][usize::from(b[7])];
    }
    let high = chunks
        .remainder()
        .iter()
        .fold(high, |high, &byte| SLICES[0][usize::from(high ^ byte)]);
    TABLE[usize::from(high ^ last)]
}

/// `SLICES[k][x]` = `H`ᵏ⁺¹`(x)`, where `H(x)` is the high byte of `TABLE[x]`: the effect of a
/// byte on the register's high byte `k` bytes later.
const SLICES: [[u8; 256]; 8] = {
    let mut slices = [[0u8; 256]; 8];
    let mut x = 0;
    while x < 256 {
        slices[0][x] = (TABLE[x] >> 8) as u8;
        x += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut x = 0;
        while x < 256 {
            slices[k][x] = slices[0][slices[k - 1][x] as usize];
            x += 1;
        }
        k += 1;
    }
    slices
};

/// The eight steps of the standard's loop after a byte is mixed in: shift right, XOR the
/// reflected polynomial `0xA001` when a one fell out.
const fn eight_steps(mut crc: u16) -> u16 {
    let mut step = 0;
    while step < 8 {
        crc = if crc & 1 == 1 {
            (crc >> 1) ^ 0xA001
        } else {
            crc >> 1
        };
        step += 1;
    }
    crc
}

/// [`eight_steps`] of each value below 256.
const TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = eight_steps(i as u16);
        i += 1;
    }
    table
};

/// `crc` as the four upper-case hexadecimal digits a packet carries (`1C80`).
pub fn crc_text(crc: u16) -> [u8; 4] {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let nibble = |shift: u16| HEX[usize::from((crc >> shift) & 0xF)];
    [nibble(12), nibble(8), nibble(4), nibble(0)]
}

/// The value of four hexadecimal digits in either case (`1c80` → `0x1C80`); `None` for
/// anything else.
pub fn parse_crc(text: &[u8]) -> Option<u16> {
    if text.len() != 4 {
        return None;
    }
    text.iter().try_fold(0u16, |acc, &b| {
        let digit = char::from(b).to_digit(16)?;
        Some((acc << 4) | digit as u16)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The standard's own example (HJ 212-2017): length 101, CRC 1C80.
    const STANDARD_SEGMENT: &str = "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&";

    /// The loop as printed, with the way a byte is mixed in: HJ 212 `(crc >> 8) ^ b`, or
    /// CRC-16/MODBUS `crc ^ b` (only to show that it is a different function).
    fn bitwise(data: &[u8], mix: fn(u16, u8) -> u16) -> u16 {
        data.iter()
            .fold(0xFFFF, |crc, &byte| eight_steps(mix(crc, byte)))
    }

    fn hj_mix(crc: u16, byte: u8) -> u16 {
        (crc >> 8) ^ u16::from(byte)
    }

    fn modbus_mix(crc: u16, byte: u8) -> u16 {
        crc ^ u16::from(byte)
    }

    #[test]
    fn the_standards_test_vector() {
        assert_eq!(STANDARD_SEGMENT.len(), 101);
        assert_eq!(crc16(STANDARD_SEGMENT.as_bytes()), 0x1C80);
        assert_eq!(&crc_text(0x1C80), b"1C80");
        // The usual CRC-16/MODBUS gives another value for the same bytes.
        assert_eq!(bitwise(STANDARD_SEGMENT.as_bytes(), modbus_mix), 0x0759);
    }

    #[test]
    fn the_table_is_the_printed_loop() {
        let data: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        for len in 0..data.len() {
            assert_eq!(crc16(&data[..len]), bitwise(&data[..len], hj_mix));
        }
        assert_eq!(bitwise(STANDARD_SEGMENT.as_bytes(), hj_mix), 0x1C80);
    }

    #[test]
    fn crc_text_and_back() {
        for crc in [0u16, 0x000F, 0x1C80, 0xABCD, 0xFFFF] {
            assert_eq!(parse_crc(&crc_text(crc)), Some(crc));
        }
        assert_eq!(parse_crc(b"f9c1"), Some(0xF9C1));
        assert_eq!(parse_crc(b"F9C"), None);
        assert_eq!(parse_crc(b"G9C1"), None);
        assert_eq!(parse_crc(b"+9C1"), None);
        assert_eq!(crc16(b""), 0xFFFF);
    }
}
