//! Random poll plans and random response words through the Modbus planner and decoder: `plan`
//! answers every list of items (a plan or an error, never a panic); every item lands inside
//! its request, which stays within the table's limit; every item's words decode for any
//! type and byte order, and what decodes to a number encodes back to the same words.
#![no_main]

use lantian::modbus::decode::{decode, encode};
use lantian::modbus::plan::{PlanItem, plan};
use lantian::modbus::{ByteOrder, DataType, RegisterKind};
use libfuzzer_sys::fuzz_target;

const KINDS: [RegisterKind; 4] = [
    RegisterKind::Coil,
    RegisterKind::DiscreteInput,
    RegisterKind::Holding,
    RegisterKind::Input,
];
fuzz_target!(|data: &[u8]| {
    // Byte 0: the largest gap merged; then 6 bytes an item (table and type, address, count);
    // what is left are the response words.
    let Some((&gap, rest)) = data.split_first() else {
        return;
    };
    let items_len = (rest.len() / 7).min(64) * 6;
    let (item_bytes, word_bytes) = rest.split_at(items_len);
    let specs: Vec<(PlanItem, DataType, ByteOrder)> = item_bytes
        .chunks_exact(6)
        .map(|b| {
            let kind = KINDS[usize::from(b[0] & 3)];
            let ty = DataType::ALL[usize::from((b[0] >> 2) & 7)];
            let order = ByteOrder::ALL[usize::from(b[0] >> 6)];
            let address = u16::from_le_bytes([b[1], b[2]]);
            // Mostly the type's own width, sometimes any count.
            let count = if b[5] & 0x80 == 0 {
                ty.registers()
            } else {
                u16::from_le_bytes([b[3], b[4]])
            };
            (
                PlanItem {
                    kind,
                    address,
                    count,
                },
                ty,
                order,
            )
        })
        .collect();
    let items: Vec<PlanItem> = specs.iter().map(|(item, _, _)| *item).collect();
    let words: Vec<u16> = word_bytes
        .chunks_exact(2)
        .map(|w| u16::from_be_bytes([w[0], w[1]]))
        .collect();
    let Ok(poll) = plan(&items, u16::from(gap)) else {
        return;
    };
    assert_eq!(poll.locations.len(), items.len());
    for request in &poll.requests {
        assert!(request.count >= 1 && request.count <= request.kind.max_per_request());
        assert!(u32::from(request.start) + u32::from(request.count) <= 65536);
    }
    for ((item, ty, order), location) in specs.iter().zip(&poll.locations) {
        let request = poll.requests[location.request];
        assert_eq!(request.kind, item.kind);
        assert!(location.offset + item.count <= request.count);
        assert_eq!(request.start + location.offset, item.address);
        if item.kind.is_bit() || item.count < ty.registers() {
            continue;
        }
        // The item's words from the random response (repeated when there are too few).
        let at = usize::from(location.offset);
        let need = usize::from(ty.registers());
        let slice: Vec<u16> = (0..need)
            .map(|i| words.get(at + i).copied().unwrap_or(0x5A5A))
            .collect();
        let value = decode(&slice, *ty, *order);
        let exact = match ty {
            DataType::U64 | DataType::I64 => value.abs() < 2f64.powi(53),
            _ => true,
        };
        if value.is_nan() || !exact {
            continue;
        }
        let mut back = vec![0u16; need];
        encode(value, *ty, *order, &mut back);
        assert_eq!(back, slice, "{ty:?} {order:?} {value}");
    }
});
