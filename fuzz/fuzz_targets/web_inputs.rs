//! What the HTTP API reads from a request before it touches a store: the query string
//! (`web::api::params`: lists, times in RFC 3339 or local to the network's zone, ranges,
//! paging, and the enums the handlers parse) and the path parameters (an alarm id, a file of
//! the report folder). The input is `ZONE QUERY \n PATH`: the first byte chooses the network's
//! time zone. Every parameter reads or is a 400 naming it, never a panic; a range is
//! non-empty and within its bound, a page within its limits and its slice of a list
//! consistent; a report path only ever names a regular file inside the report folder.
#![no_main]

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;

use chrono::{NaiveDate, TimeDelta};
use chrono_tz::Tz;
use lantian::lang::Lang;
use lantian::store::{AlarmIdPrefix, AlarmState, Severity};
use lantian::units::Parameter;
use lantian::web::api::params::{MAX_LIMIT, Params};
use lantian::web::api::report_file;
use lantian::web::{ApiError, ErrorCode};
use libfuzzer_sys::fuzz_target;

mod scratch;

/// Zones with and without daylight saving time, and a 45-minute offset.
const ZONES: [Tz; 4] = [
    chrono_tz::Asia::Shanghai,
    chrono_tz::Europe::London,
    chrono_tz::America::New_York,
    chrono_tz::Pacific::Chatham,
];

/// A report folder: two files, a subfolder with one, a hidden file, and a link to a file
/// outside it (which must not be served).
fn report_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let base = scratch::folder("web");
        let root = base.join("reports");
        std::fs::create_dir_all(root.join("daily-2026-12-01")).unwrap();
        for file in [
            "daily-2026-12-01.html",
            "daily-2026-12-01/aqi.png",
            "index.csv",
            ".hidden",
        ] {
            std::fs::write(root.join(file), file).unwrap();
        }
        std::fs::write(base.join("secret.txt"), "outside").unwrap();
        let _ = std::os::unix::fs::symlink(base.join("secret.txt"), root.join("link.html"));
        root
    })
}

/// A parameter's error is a 400 that says what is wrong.
fn bad_request<T>(result: Result<T, ApiError>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) => {
            assert_eq!(error.code, ErrorCode::BadRequest, "{error:?}");
            assert!(!error.message.is_empty());
            None
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&zone, rest)) = data.split_first() else {
        return;
    };
    let zone = ZONES[usize::from(zone) % ZONES.len()];
    let text = String::from_utf8_lossy(rest);
    let (query, path) = text.split_once('\n').unwrap_or((&text, ""));

    let params = Params::parse(Some(query));
    bad_request(params.stations());
    bad_request(params.list::<Parameter>("parameter"));
    bad_request(params.list::<AlarmState>("state"));
    bad_request(params.list::<String>("job"));
    bad_request(params.get::<Severity>("severity"));
    bad_request(params.get::<Lang>("lang"));
    bad_request(params.get::<bool>("download"));
    bad_request(params.get::<NaiveDate>("end"));
    bad_request(params.required::<String>("period"));
    bad_request(params.time("at", zone));
    let max = TimeDelta::days(31);
    if let Some((from, to)) = bad_request(params.range(zone, TimeDelta::days(1), Some(max))) {
        assert!(from < to && to - from <= max, "{from} {to}");
    }
    if let Some(page) = bad_request(params.page()) {
        assert!((1..=MAX_LIMIT).contains(&page.limit));
        let total = rest.len() * 7;
        let paged = page.of((0..total).collect::<Vec<_>>());
        assert_eq!(paged.total, total);
        assert!(paged.items.len() <= page.limit);
        assert_eq!(
            paged.items.first().copied(),
            (page.offset < total).then_some(page.offset)
        );
        match paged.next_offset {
            Some(next) => assert!(next == page.offset + page.limit && next < total),
            None => assert!(page.offset.saturating_add(page.limit) >= total),
        }
    }

    let _ = AlarmIdPrefix::from_str(path);
    let root = report_root();
    if let Some(file) = report_file(root, path) {
        assert!(file.is_file(), "{path:?}: {file:?}");
        assert!(
            file.starts_with(root.canonicalize().unwrap()),
            "{path:?}: {file:?}"
        );
        assert!(
            !path
                .split('/')
                .any(|name| name == ".." || name.starts_with('.')),
            "{path:?}"
        );
    }
});
