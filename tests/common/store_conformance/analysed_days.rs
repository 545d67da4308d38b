//! Days the `sources` job analysed ([`SourceFlagStore`](lantian::store::SourceFlagStore)'s
//! [`AnalysedDay`]s): round trip, replacement by day, the day range and its order, and
//! unstorable records refused whole.

use chrono::{NaiveDate, TimeDelta};
use lantian::store::{AnalysedDay, FlagWindow};

use super::{Check, TestStore, at};

/// Every check, by name.
pub(crate) const CHECKS: &[(&str, Check)] = &[
    ("analysed_days_round_trip", analysed_days_round_trip),
    ("analysed_days_replace_by_day", analysed_days_replace_by_day),
    (
        "analysed_days_range_and_order",
        analysed_days_range_and_order,
    ),
    (
        "analysed_days_unstorable_are_rejected",
        analysed_days_unstorable_are_rejected,
    ),
];

/// 1 June 2025, the local day of [`at`]`(0)` (Shanghai, 8 h ahead of UTC) plus `n` days.
fn day(n: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 1).unwrap() + TimeDelta::days(n)
}

/// The record of day `n` with `flags` flags: a window of 30 days of context, ending with the
/// day (local midnight in Shanghai), analysed by the 07:00 run of the next morning.
pub(crate) fn analysed(n: i64, flags: usize) -> AnalysedDay {
    let end = at((n + 1) * 1440 - 8 * 60);
    AnalysedDay {
        day: day(n),
        window: FlagWindow {
            from: end - TimeDelta::days(31),
            to: end,
            stations: 33,
        },
        flags,
        job: "sources 溯源".to_string(),
        job_scheduled: end + TimeDelta::hours(7),
        analysed_at: end + TimeDelta::hours(7) + TimeDelta::milliseconds(4_321),
    }
}

/// A record comes back as written (a day without flags too), from another handle as well;
/// a day not analysed has none.
pub(crate) fn analysed_days_round_trip(mut t: TestStore) {
    assert!(t.store.analysed_days(day(0), day(9)).unwrap().is_empty());
    let days = [analysed(0, 0), analysed(1, 3)];
    assert_eq!(t.store.put_analysed_days(&days).unwrap(), 2);
    assert_eq!(t.store.analysed_days(day(0), day(1)).unwrap(), days);
    assert_eq!(
        (t.reopen)().analysed_days(day(1), day(1)).unwrap(),
        [days[1].clone()]
    );
    assert!(t.store.analysed_days(day(2), day(2)).unwrap().is_empty());
}

/// Analysing a day again replaces its record.
pub(crate) fn analysed_days_replace_by_day(mut t: TestStore) {
    t.store.put_analysed_days(&[analysed(0, 2)]).unwrap();
    let again = AnalysedDay {
        window: FlagWindow {
            stations: 31,
            ..analysed(0, 0).window
        },
        job_scheduled: analysed(0, 0).job_scheduled + TimeDelta::days(1),
        ..analysed(0, 4)
    };
    t.store
        .put_analysed_days(std::slice::from_ref(&again))
        .unwrap();
    assert_eq!(t.store.analysed_days(day(0), day(0)).unwrap(), [again]);
}

/// Reads select the days from the first to the last (inclusive), in day order, whatever the
/// order written; a range that ends before it starts selects nothing; the widest range reads
/// every day.
pub(crate) fn analysed_days_range_and_order(mut t: TestStore) {
    let days: Vec<AnalysedDay> = [5, 0, 3, 1, 4].iter().map(|&n| analysed(n, 1)).collect();
    t.store.put_analysed_days(&days).unwrap();
    let read = |first: i64, last: i64| -> Vec<NaiveDate> {
        t.store
            .analysed_days(day(first), day(last))
            .unwrap()
            .iter()
            .map(|d| d.day)
            .collect()
    };
    assert_eq!(read(1, 4), [day(1), day(3), day(4)]);
    assert_eq!(read(2, 2), []);
    assert_eq!(read(4, 1), []);
    let all: Vec<NaiveDate> = t
        .store
        .analysed_days(NaiveDate::MIN, NaiveDate::MAX)
        .unwrap()
        .iter()
        .map(|d| d.day)
        .collect();
    assert_eq!(all, [0, 1, 3, 4, 5].map(day));
}

/// A record without a job or with an empty window is refused, and nothing of the call is
/// written.
pub(crate) fn analysed_days_unstorable_are_rejected(mut t: TestStore) {
    let no_job = AnalysedDay {
        job: String::new(),
        ..analysed(1, 0)
    };
    let empty_window = AnalysedDay {
        window: FlagWindow {
            to: analysed(2, 0).window.from,
            ..analysed(2, 0).window
        },
        ..analysed(2, 0)
    };
    for bad in [no_job, empty_window] {
        let err = t
            .store
            .put_analysed_days(&[analysed(0, 0), bad.clone()])
            .expect_err("refused");
        assert!(err.to_string().contains(&bad.day.to_string()), "{err}");
    }
    assert!(t.store.analysed_days(day(0), day(9)).unwrap().is_empty());
}
