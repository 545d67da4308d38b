//! Any byte string through the HJ 212 parser: `inspect` answers every input without panicking,
//! strict acceptance implies status `valid` and no deviation, lenient acceptance implies a
//! matching CRC, and what strict mode accepts encodes to a packet that parses back to it.
#![no_main]

use lantian::hj212::{Mode, Status, inspect};

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let inspection = inspect(data);
    let status = inspection.status;
    if let Ok(decoded) = inspection.clone().accept(Mode::Lenient) {
        assert!(matches!(
            status,
            Status::Valid | Status::BadLength | Status::Malformed
        ));
        assert!(decoded.deviations.iter().all(|d| !d.is_fatal()));
    }
    if let Ok(decoded) = inspection.accept(Mode::Strict) {
        assert_eq!(status, Status::Valid);
        assert!(decoded.deviations.is_empty());
        let rebuilt = decoded.packet.encode().expect("a strict packet encodes");
        let again = lantian::hj212::parse(&rebuilt, Mode::Strict).expect("and parses back");
        assert_eq!(again.packet, decoded.packet);
    }
});
