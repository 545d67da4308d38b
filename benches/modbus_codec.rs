//! Hot-path costs of polling: decoding one poll response and planning a device profile.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lantian::modbus::plan::{PlanItem, plan};
use lantian::modbus::{ByteOrder, DataType, RegisterKind, decode};

/// One value of the response: offset in registers, type and byte order.
type Field = (usize, DataType, ByteOrder);

/// A 60-register response: 10 f32 ABCD, 10 f32 CDAB, 10 u16 and 5 i32 (CDAB), interleaved the
/// way analyser register maps mix them.
fn response_layout() -> Vec<Field> {
    let mut fields = Vec::new();
    let mut offset = 0;
    for i in 0..35 {
        let (ty, order) = match i % 7 {
            0 | 3 => (DataType::F32, ByteOrder::ABCD),
            1 | 4 => (DataType::F32, ByteOrder::CDAB),
            2 | 5 => (DataType::U16, ByteOrder::ABCD),
            _ => (DataType::I32, ByteOrder::CDAB),
        };
        fields.push((offset, ty, order));
        offset += usize::from(ty.registers());
    }
    assert_eq!(offset, 60);
    fields
}

/// Register contents for `fields`, made by encoding plausible readings.
fn response_words(fields: &[Field]) -> Vec<u16> {
    let mut words = vec![0u16; 60];
    for (i, &(offset, ty, order)) in fields.iter().enumerate() {
        let value = match ty {
            DataType::F32 => 12.5 + i as f64 * 3.25,
            DataType::I32 => -1000.0 * i as f64,
            _ => 100.0 + i as f64,
        };
        decode::encode(value, ty, order, &mut words[offset..]);
    }
    words
}

/// A 40-item profile: holding floats with small gaps, input status words and a few coils.
fn profile() -> Vec<PlanItem> {
    let mut items = Vec::new();
    for i in 0..24u16 {
        let gap = if i % 6 == 5 { 4 } else { 0 };
        items.push(PlanItem {
            kind: RegisterKind::Holding,
            address: 1000 + 2 * i + gap * (i / 6),
            count: 2,
        });
    }
    for i in 0..12u16 {
        items.push(PlanItem {
            kind: RegisterKind::Input,
            address: 30 + 3 * i,
            count: 1,
        });
    }
    for i in 0..4u16 {
        items.push(PlanItem {
            kind: RegisterKind::Coil,
            address: 10 + i,
            count: 1,
        });
    }
    // Profiles list entries in register-map order, not address order.
    items.reverse();
    items
}

fn bench_decode(c: &mut Criterion) {
    let fields = response_layout();
    let words = response_words(&fields);
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(words.len() as u64));
    group.bench_function("poll_response_60_registers", |b| {
        b.iter(|| {
            let words = black_box(words.as_slice());
            let mut sum = 0.0;
            for &(offset, ty, order) in black_box(fields.as_slice()) {
                sum += decode::decode(&words[offset..], ty, order);
            }
            sum
        });
    });
    group.finish();
}

fn bench_plan(c: &mut Criterion) {
    let items = profile();
    assert_eq!(items.len(), 40);
    let mut group = c.benchmark_group("plan");
    group.throughput(Throughput::Elements(items.len() as u64));
    group.bench_function("profile_40_items", |b| {
        b.iter(|| plan(black_box(&items), black_box(8)).unwrap());
    });
    group.finish();
}

criterion_group!(benches, bench_decode, bench_plan);
criterion_main!(benches);
