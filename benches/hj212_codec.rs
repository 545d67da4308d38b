//! HJ 212 codec throughput on one core: parsing and validating (length, CRC, every deviation)
//! the corpus's 382 real packets (tests/data/hj212: 2005 and 2017 layouts, valid and broken),
//! a 2017 air-quality hourly packet, encoding, and framing a TCP stream of the corpus.
//!
//! Times are the thread's time **on the CPU** (`CLOCK_THREAD_CPUTIME_ID`), not wall-clock time: on a machine shared with other work, wall-clock time also counts the time
//! the benchmark waited for a core, which says nothing about the codec. On an idle machine the
//! two agree.

use std::hint::black_box;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lantian::hj212::{Command, Cp, FrameEvent, Framer, Mode, Packet, SystemCode, inspect, parse};

/// The calling thread's time on the CPU so far, in nanoseconds.
fn on_cpu_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// Criterion measurement: time on the CPU, formatted like wall-clock time.
struct OnCpu;

/// Wall-clock time's formatter (nanoseconds), shared by [`OnCpu`].
static WALL_TIME: WallTime = WallTime;

impl Measurement for OnCpu {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        on_cpu_ns()
    }

    fn end(&self, start: u64) -> u64 {
        on_cpu_ns() - start
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        WALL_TIME.formatter()
    }
}

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

fn bench_parse(c: &mut Criterion<OnCpu>) {
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

fn bench_encode_and_frame(c: &mut Criterion<OnCpu>) {
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

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(OnCpu);
    targets = bench_parse, bench_encode_and_frame
}
criterion_main!(benches);
