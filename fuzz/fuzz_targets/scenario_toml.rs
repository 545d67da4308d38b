//! Any text as a simulator scenario (`Scenario::from_toml`): a scenario or an error naming
//! the file, never a panic.
#![no_main]

use std::path::Path;

use lantian::sim::scenario::Scenario;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(error) = Scenario::from_toml(text, Path::new("fuzz.toml")) {
        assert!(error.to_string().contains("fuzz.toml"), "{error}");
    }
});
