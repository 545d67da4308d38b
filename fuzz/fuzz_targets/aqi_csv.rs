//! Any text as the CSV of `lantian aqi` (and the web explorer's upload), through
//! `aqi::csv::aqi_csv` with the standard, mode and category language the first byte chooses:
//! no panic; a refused input is a typed error; an accepted one writes one output row per row
//! it read, each with the input's cells, and an `aqi` cell that is empty or a whole number;
//! every problem names a line within the input.
#![no_main]

use lantian::aqi::Standard;
use lantian::aqi::csv::{AqiCsvOptions, CategoryNames, Mode, aqi_csv};
use libfuzzer_sys::fuzz_target;

const STANDARDS: [Standard; 4] = [
    Standard::Hj633_2012,
    Standard::Hj633_2026,
    Standard::Epa2012,
    Standard::Epa2024,
];

fuzz_target!(|data: &[u8]| {
    let Some((&choice, csv)) = data.split_first() else {
        return;
    };
    let options = AqiCsvOptions {
        standard: STANDARDS[usize::from(choice & 3)],
        mode: if choice & 4 == 0 { Mode::Hourly } else { Mode::Daily },
        names: if choice & 8 == 0 { CategoryNames::Zh } else { CategoryNames::En },
    };
    let lines = 1 + csv.iter().filter(|&&b| b == b'\n').count() as u64;
    let mut output = Vec::new();
    let mut problems = Vec::new();
    let result = aqi_csv(csv, &mut output, options, &mut |p| problems.push(p));
    for p in &problems {
        assert!(p.line >= 1 && p.line <= lines, "problem on line {} of {lines}", p.line);
    }
    let Ok(summary) = result else {
        return;
    };
    assert!(summary.bad_rows <= summary.rows);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(output.as_slice());
    let header = reader.headers().expect("the output's header").clone();
    let aqi = header.iter().position(|h| h == "aqi").expect("an aqi column");
    let mut written = 0;
    for record in reader.records() {
        let record = record.expect("the output is CSV");
        written += 1;
        if let Some(cell) = record.get(aqi).filter(|c| !c.is_empty()) {
            cell.parse::<u32>().expect("the aqi is a whole number");
        }
    }
    assert_eq!(written, summary.rows, "one output row per row read");
});
