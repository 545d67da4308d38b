//! Any text as the answer of InfluxDB's `/query`, read by the InfluxDB store: the JSON
//! documents parsed (series split across chunks joined again) and decoded by one of the
//! store's readers (the first byte chooses: readings, indices, device health, stations, job
//! runs, alarms, forecast hours and days, source flags, analysed days). The items, or an
//! error saying the answer is corrupt or reports a query error — never a panic.
#![no_main]

use lantian::store::influx::{InfluxError, decode_response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&reader, body)) = data.split_first() else {
        return;
    };
    // The client reads the body as UTF-8 text (reqwest's `text()`, lossy).
    let body = String::from_utf8_lossy(body);
    if let Err(error) = decode_response(&body, reader) {
        assert!(
            matches!(
                error,
                InfluxError::Corrupt { .. } | InfluxError::Query { .. }
            ),
            "{error:?}"
        );
        assert!(!error.to_string().is_empty());
    }
});
