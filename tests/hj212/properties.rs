//! Property tests: build → parse round trip; no byte string makes the parser or the framer
//! panic; any split of a stream into reads gives the same frames; garbage between packets is
//! skipped and counted.

use std::borrow::Cow;
use std::sync::LazyLock;

use lantian::hj212::packet::{Edition, PacketFlag, Split};
use lantian::hj212::{
    Command, Cp, EncodeError, FrameEvent, Framer, Mode, Packet, SystemCode, inspect, parse,
};
use proptest::prelude::*;

use super::corpus::corpus;

/// CP groups with unique keys: coded items `a34004-Avg` (2017 codes) and plain ones.
fn cp_strategy() -> impl Strategy<Value = Cp<'static>> {
    let item = (
        prop_oneof![
            ("[a-z][0-9]{5}", "(Rtd|Avg|Min|Max|Cou|Flag|EFlag|ZsAvg)")
                .prop_map(|(code, suffix)| format!("{code}-{suffix}")),
            "[A-Z][A-Za-z]{0,11}".prop_filter("DataTime is generated apart", |k| k != "DataTime"),
        ],
        "[0-9A-Za-z.+-]{0,12}",
    );
    (
        proptest::option::of(
            "20[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])([01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]",
        ),
        prop::collection::vec(prop::collection::vec(item, 1..4), 0..8),
    )
        .prop_map(|(data_time, groups)| {
            let mut cp = Cp::new();
            if let Some(dt) = data_time {
                cp.push("DataTime", dt);
            }
            let mut seen = std::collections::HashSet::new();
            for group in groups {
                let items: Vec<(String, String)> = group
                    .into_iter()
                    .filter(|(k, _)| seen.insert(k.clone()))
                    .collect();
                cp.push_group(items);
            }
            cp
        })
}

/// Packets of the 2017 layout (and later editions' Flags), split or not.
fn packet_strategy() -> impl Strategy<Value = Packet<'static>> {
    (
        "[0-9]{17}",
        prop_oneof![Just(22u16), Just(31), Just(32), Just(91), 10..100u16],
        prop_oneof![
            prop::sample::select(Command::NAMED.to_vec()),
            (1000..10000u16).prop_map(Command::from_code)
        ],
        "[0-9A-Za-z]{0,8}",
        "[0-9A-F]{1,24}",
        (1u8..4, any::<bool>()),
        proptest::option::of((1u32..50).prop_flat_map(|total| (Just(total), 1..=total))),
        cp_strategy(),
    )
        .prop_map(|(qn, st, cn, pw, mn, (version, reply), split, cp)| Packet {
            qn: Some(Cow::Owned(qn)),
            st: Some(SystemCode::from_code(st)),
            cn,
            pw: Some(Cow::Owned(pw)),
            mn: Some(Cow::Owned(mn)),
            flag: Some(PacketFlag::new(
                Edition::from_version(version),
                split.is_some(),
                reply,
            )),
            split: split.map(|(total, index)| Split { total, index }),
            cp,
        })
}

/// Corpus packets that a stream could carry whole: `##` to CR LF, nothing of another frame
/// inside.
fn stream_packets() -> &'static [Vec<u8>] {
    static PACKETS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
        corpus()
            .iter()
            .map(|r| r["text"].as_str().unwrap().as_bytes().to_vec())
            .filter(|t| t.starts_with(b"##") && t.ends_with(b"\r\n"))
            .filter(|t| {
                let inner = &t[2..t.len() - 2];
                !inner.windows(2).any(|w| w == b"##" || w == b"\r\n")
            })
            .collect()
    });
    &PACKETS
}

/// Every event of a framer fed `reads`, then finished.
fn frame_all<'r>(reads: impl IntoIterator<Item = &'r [u8]>) -> (Vec<Vec<u8>>, Framer) {
    let mut framer = Framer::new();
    let mut frames = Vec::new();
    let mut take = |event| {
        if let FrameEvent::Frame(frame) = event {
            frames.push(frame);
        }
    };
    for read in reads {
        framer.push(read);
        while let Some(event) = framer.next_event() {
            take(event);
        }
    }
    while let Some(event) = framer.finish() {
        take(event);
    }
    (frames, framer)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn built_packets_parse_back_to_themselves(packet in packet_strategy()) {
        match packet.encode() {
            Ok(bytes) => {
                let decoded = parse(&bytes, Mode::Strict);
                prop_assert!(decoded.is_ok(), "{:?}: {:?}", String::from_utf8_lossy(&bytes), decoded);
                prop_assert_eq!(decoded.unwrap().packet, packet);
            }
            Err(EncodeError::CpTooLong { len }) => prop_assert!(len > 950),
            Err(EncodeError::SegmentTooLong { len }) => prop_assert!(len > 1024),
            Err(e) => prop_assert!(false, "{e}"),
        }
    }

    #[test]
    fn no_byte_string_makes_the_parser_panic(bytes in prop::collection::vec(any::<u8>(), 0..1500)) {
        let inspection = inspect(&bytes);
        let _ = inspection.clone().accept(Mode::Strict);
        let _ = inspection.accept(Mode::Lenient);
    }

    #[test]
    fn mutated_packets_never_panic_and_strict_implies_valid(
        index in 0usize..382,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let records = corpus();
        let mut bytes = records[index]["text"].as_str().unwrap().as_bytes().to_vec();
        for (at, byte, kind) in edits {
            let at = at.index(bytes.len() + 1);
            match kind {
                0 if at < bytes.len() => bytes[at] = byte,
                1 if at < bytes.len() => { bytes.remove(at); }
                _ => bytes.insert(at, byte),
            }
        }
        let inspection = inspect(&bytes);
        if inspection.clone().accept(Mode::Strict).is_ok() {
            prop_assert_eq!(inspection.status, lantian::hj212::Status::Valid);
        }
        let _ = inspection.accept(Mode::Lenient);
        let (_, framer) = frame_all([&bytes[..]]);
        prop_assert_eq!(framer.buffered(), 0);
    }

    #[test]
    fn any_split_into_reads_gives_the_same_packets(
        picks in prop::collection::vec(any::<prop::sample::Index>(), 1..20),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..40),
    ) {
        let pool = stream_packets();
        let packets: Vec<Vec<u8>> = picks.iter().map(|i| pool[i.index(pool.len())].clone()).collect();
        let stream = packets.concat();
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(stream.len() + 1)).collect();
        cuts.sort_unstable();
        cuts.push(stream.len());
        let mut reads = Vec::new();
        let mut from = 0;
        for cut in cuts {
            reads.push(&stream[from..cut]);
            from = cut;
        }
        let (frames, framer) = frame_all(reads);
        prop_assert_eq!(frames, packets);
        prop_assert_eq!(framer.stats().garbage_bytes, 0);
    }

    #[test]
    fn garbage_between_packets_is_skipped_and_counted(
        parts in prop::collection::vec(
            (any::<prop::sample::Index>(), prop::collection::vec(any::<u8>().prop_filter("no #", |b| *b != b'#'), 0..40)),
            1..12,
        ),
        read_len in 1usize..300,
    ) {
        let pool = stream_packets();
        let mut stream = Vec::new();
        let mut packets = Vec::new();
        let mut garbage = 0;
        for (pick, noise) in parts {
            stream.extend_from_slice(&noise);
            garbage += noise.len();
            let packet = pool[pick.index(pool.len())].clone();
            stream.extend_from_slice(&packet);
            packets.push(packet);
        }
        let (frames, framer) = frame_all(stream.chunks(read_len));
        prop_assert_eq!(frames, packets);
        prop_assert_eq!(framer.stats().garbage_bytes, garbage as u64);
    }
}
