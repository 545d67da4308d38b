//! Any byte stream, cut into reads at positions the input chooses, through the HJ 212 framer:
//! no panic, the buffer stays within the maximum packet length plus one read, and every byte
//! comes out exactly once — in a frame or counted as skipped.
#![no_main]

use lantian::hj212::{FrameEvent, Framer, MAX_PACKET_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte chooses the read size (1..=256), the rest is the stream.
    let Some((&size, stream)) = data.split_first() else {
        return;
    };
    let read_len = usize::from(size) + 1;
    let mut framer = Framer::new();
    let mut out = 0usize;
    let mut count = |event: FrameEvent| match event {
        FrameEvent::Frame(frame) => {
            assert!(frame.starts_with(b"##"));
            out += frame.len();
        }
        FrameEvent::Skipped { len, .. } => {
            assert!(len > 0);
            out += len;
        }
    };
    for read in stream.chunks(read_len) {
        framer.push(read);
        while let Some(event) = framer.next_event() {
            count(event);
        }
        assert!(framer.buffered() <= MAX_PACKET_LEN + read_len);
    }
    while let Some(event) = framer.finish() {
        count(event);
    }
    assert_eq!(out, stream.len());
    assert_eq!(framer.buffered(), 0);
});
