//! HJ 212 codec throughput on one core: parsing and validating (length, CRC, every deviation)
//! the corpus's 382 real packets (tests/data/hj212: 2005 and 2017 layouts, valid and broken),
//! a 2017 air-quality hourly packet, encoding, and framing a TCP stream of the corpus.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lantian::hj212::{Command, Cp, FrameEvent, Framer, Mode, Packet, SystemCode, inspect, parse};

/// The corpus packets, as bytes.
fn corpus() -> Vec<Vec<u8>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/hj212/packets.jsonl"
    );
    std::fs::read_to_string(path)
        .expect("the corpus is in tests/data/hj212")
        .lines()
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            record["text"].as_str().unwrap().as_bytes().to_vec()
        })
        .collect()
}

/// An hourly packet of an air-quality station: six pollutants and five weather values.
fn air_hourly() -> Packet<'static> {
    let mut cp = Cp::new();
    cp.push("DataTime", "20260301080000");
    for (code, value) in [
        ("a34004", "35.2"),
        ("a34002", "61.0"),
        ("a21026", "8.1"),
        ("a21004", "32.5"),
        ("a21005", "0.712"),
        ("a05024", "88.0"),
        ("a01001", "12.4"),
        ("a01002", "55.0"),
        ("a01006", "101.82"),
        ("a01007", "2.4"),
        ("a01008", "135"),
    ] {
        cp.push_group([
            (format!("{code}-Avg"), value.to_string()),
            (format!("{code}-Flag"), "N".to_string()),
        ]);
    }
    Packet::new(
        "20260301090012345",
        SystemCode::AirQuality,
        Command::HourlyData,
        "123456",
        "LT0000000000000000000001",
        true,
        cp,
    )
}

fn bench_parse(c: &mut Criterion) {
    let packets = corpus();
    assert_eq!(packets.len(), 382);
    let mut group = c.benchmark_group("hj212_parse");
    group.throughput(Throughput::Elements(packets.len() as u64));
    group.bench_function("corpus_382_lenient", |b| {
        b.iter(|| {
            let mut accepted = 0usize;
            for packet in black_box(&packets) {
                accepted += usize::from(parse(packet, Mode::Lenient).is_ok());
            }
            accepted
        });
    });
    group.bench_function("corpus_382_inspect", |b| {
        b.iter(|| {
            let mut deviations = 0usize;
            for packet in black_box(&packets) {
                deviations += inspect(packet).deviations.len();
            }
            deviations
        });
    });
    let hourly = air_hourly().encode().unwrap();
    group.throughput(Throughput::Elements(1));
    group.bench_function("air_hourly_strict", |b| {
        b.iter(|| parse(black_box(&hourly), Mode::Strict).unwrap());
    });
    group.finish();
}

fn bench_encode_and_frame(c: &mut Criterion) {
    let packet = air_hourly();
    let mut group = c.benchmark_group("hj212_encode");
    group.throughput(Throughput::Elements(1));
    group.bench_function("air_hourly", |b| {
        b.iter(|| black_box(&packet).encode().unwrap());
    });
    group.finish();

    let packets = corpus();
    let stream: Vec<u8> = packets.concat();
    let mut group = c.benchmark_group("hj212_framer");
    group.throughput(Throughput::Bytes(stream.len() as u64));
    group.bench_function("corpus_stream_1460_byte_reads", |b| {
        b.iter(|| {
            let mut framer = Framer::new();
            let mut frames = 0usize;
            for read in black_box(&stream).chunks(1460) {
                framer.push(read);
                while let Some(event) = framer.next_event() {
                    frames += usize::from(matches!(event, FrameEvent::Frame(_)));
                }
            }
            frames
        });
    });
    group.finish();
}

criterion_group!(benches, bench_parse, bench_encode_and_frame);
criterion_main!(benches);
