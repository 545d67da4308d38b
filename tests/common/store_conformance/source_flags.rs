//! Source flags ([`SourceFlagStore`](lantian::store::SourceFlagStore)): every part of the
//! evidence round-trips, replacement by key, the range, station filter and order, paged reads,
//! the span of starts, and unstorable flags refused whole.

use std::collections::BTreeMap;

use chrono::TimeDelta;
use lantian::store::{
    FlagBearing, FlagEvidence, FlagGroup, FlagLocation, FlagPeak, FlagRatios, FlagWindow,
    PollutantExcess, SourceFlag, SourceFlagQuery, Stations,
};
use lantian::units::{Parameter, SourceType};

use super::{Check, TestStore, at, paged, stops_on_error};

/// Every check, by name.
pub(crate) const CHECKS: &[(&str, Check)] = &[
    ("flags_round_trip", flags_round_trip),
    ("flags_replace_by_key", flags_replace_by_key),
    ("flags_range_filter_and_order", flags_range_filter_and_order),
    (
        "flags_unstorable_are_rejected",
        flags_unstorable_are_rejected,
    ),
    ("flags_paged_and_span", flags_paged_and_span),
];

/// A flag of `station` for `pollutants`, starting `start` minutes after [`at`]`(0)`, with every
/// part of the evidence present (awkward text, values that need every digit).
pub(crate) fn flag(station: &str, pollutants: &[Parameter], start: i64) -> SourceFlag {
    let t = at(start);
    SourceFlag {
        station: station.to_string(),
        pollutants: pollutants.to_vec(),
        start: t,
        end: t + TimeDelta::hours(3),
        peak: FlagPeak {
            time: t + TimeDelta::hours(1),
            parameter: pollutants[0],
            value: 182.4,
            excess: 151.123_456_789_012_3,
        },
        source_type: SourceType::CoalIndustrial,
        severity: 15.112_345_678_901_23,
        evidence: FlagEvidence {
            hours: 4,
            excess: BTreeMap::from([
                (
                    Parameter::So2,
                    PollutantExcess {
                        mean: 120.5,
                        excess: 95.25,
                    },
                ),
                (
                    Parameter::Co,
                    PollutantExcess {
                        mean: 1.25,
                        excess: -0.012_5,
                    },
                ),
            ]),
            ratios: FlagRatios {
                so2_nox: Some(0.918_273_645_546_372_8),
                co_nox: Some(41.0),
                pm25_pm10: None,
                o3_depression: Some(-0.25),
            },
            rule: "SO2/NOx ≥ 0.3 and SO2 excess ≥ 5 — \"rule\" \\ {x=1},\n第二行".to_string(),
            group: Some(FlagGroup {
                index: 2,
                label: SourceType::CoalIndustrial,
                size: 17,
                centroid: vec![
                    ("ln(0.01+SO2/NOx)".to_string(), -0.1),
                    ("PM2.5/PM10".to_string(), 0.6),
                ],
            }),
            wind_from_deg: Some(233.7),
            bearing: Some(FlagBearing {
                pollutant: Parameter::So2,
                bearing_deg: 235.0,
                sigma_deg: 15.0,
                confidence: 0.999_97,
                z: 4.1,
                cpf: 0.62,
                hours: 120,
                high_hours: 74,
            }),
            located: Some(FlagLocation {
                lat: 23.012_345_678_9,
                lon: 113.765_432_1,
                radius_m: 1_100.0,
                residual_rms_m: 240.5,
                distance_m: 2_300.25,
                bearing_deg: 240.0,
                pollutants: vec![Parameter::So2, Parameter::Pm25],
                stations: vec![station.to_string(), "其他站 B".to_string()],
            }),
            ongoing: false,
            window: FlagWindow {
                from: at(start - 30 * 1440),
                to: at(start + 1440),
                stations: 33,
            },
        },
        flagged_at: at(start + 1440) + TimeDelta::milliseconds(1_234),
        job: "sources 源".to_string(),
        job_scheduled: at(start + 1440),
    }
}

/// A flag with nothing optional: no ratios, group, bearing, location or wind.
pub(crate) fn bare_flag(station: &str, pollutants: &[Parameter], start: i64) -> SourceFlag {
    let mut f = flag(station, pollutants, start);
    f.evidence.ratios = FlagRatios::default();
    f.evidence.group = None;
    f.evidence.bearing = None;
    f.evidence.located = None;
    f.evidence.wind_from_deg = None;
    f.evidence.excess.clear();
    f.evidence.ongoing = true;
    f.source_type = SourceType::Unclassified;
    f
}

/// Flags come back exactly as put, with all their evidence or none of the optional parts, to
/// the millisecond; another handle sees them.
pub(crate) fn flags_round_trip(mut t: TestStore) {
    let (from, to) = (at(-10_000), at(10_000));
    assert!(
        t.store
            .source_flags(&SourceFlagQuery::new(from, to))
            .unwrap()
            .is_empty()
    );
    let full = flag("DG-GC 莞城", &[Parameter::So2, Parameter::Co], 60);
    let bare = bare_flag("DG-GC 莞城", &[Parameter::No2], 120);
    assert_eq!(
        t.store
            .put_source_flags(&[full.clone(), bare.clone()])
            .unwrap(),
        2
    );
    let expected = vec![full, bare];
    assert_eq!(
        t.store
            .source_flags(&SourceFlagQuery::new(from, to))
            .unwrap(),
        expected
    );
    assert_eq!(
        (t.reopen)()
            .source_flags(&SourceFlagQuery::new(from, to))
            .unwrap(),
        expected
    );
    assert_eq!(t.store.put_source_flags(&[]).unwrap(), 0);
}

/// The key is (station, pollutant set, start): the same key replaces every part of a flag
/// (nothing of the old evidence survives), another pollutant set or start is another flag.
pub(crate) fn flags_replace_by_key(mut t: TestStore) {
    let (from, to) = (at(-10_000), at(10_000));
    let first = flag("A", &[Parameter::So2, Parameter::No2], 0);
    t.store
        .put_source_flags(std::slice::from_ref(&first))
        .unwrap();
    // A re-run: same key, other label, less evidence, a later job run.
    let mut rerun = bare_flag("A", &[Parameter::So2, Parameter::No2], 0);
    rerun.end = first.end + TimeDelta::hours(2);
    rerun.job_scheduled = first.job_scheduled + TimeDelta::days(1);
    t.store
        .put_source_flags(std::slice::from_ref(&rerun))
        .unwrap();
    assert_eq!(
        t.store
            .source_flags(&SourceFlagQuery::new(from, to))
            .unwrap(),
        [rerun.clone()]
    );
    // Again, twice in one batch: the last one wins.
    let mut again = rerun.clone();
    again.severity = 2.5;
    t.store
        .put_source_flags(&[rerun.clone(), again.clone()])
        .unwrap();
    assert_eq!(
        t.store
            .source_flags(&SourceFlagQuery::new(from, to))
            .unwrap(),
        [again.clone()]
    );
    // Another pollutant set, station or start: other flags.
    let other_set = flag("A", &[Parameter::So2], 0);
    let other_station = flag("B", &[Parameter::So2, Parameter::No2], 0);
    let other_start = flag("A", &[Parameter::So2, Parameter::No2], 60);
    t.store
        .put_source_flags(&[
            other_start.clone(),
            other_station.clone(),
            other_set.clone(),
        ])
        .unwrap();
    assert_eq!(
        t.store
            .source_flags(&SourceFlagQuery::new(from, to))
            .unwrap(),
        [other_set, again, other_station, other_start]
    );
}

/// Reads take starts in `[from, to)`, optionally of one station, ordered by start, station,
/// then pollutant key.
pub(crate) fn flags_range_filter_and_order(mut t: TestStore) {
    let flags = [
        flag("B", &[Parameter::Pm10], 120),
        flag("A", &[Parameter::So2, Parameter::No2], 60),
        flag("A", &[Parameter::Pm25], 60),
        flag("B", &[Parameter::So2], 60),
        flag("A", &[Parameter::So2], 0),
        flag("A", &[Parameter::So2], 180),
    ];
    t.store.put_source_flags(&flags).unwrap();
    let keys = |f: Vec<SourceFlag>| -> Vec<(i64, String, String)> {
        f.iter()
            .map(|f| {
                (
                    (f.start - at(0)).num_minutes(),
                    f.station.clone(),
                    f.pollutant_key(),
                )
            })
            .collect()
    };
    let k = |m: i64, s: &str, p: &str| (m, s.to_string(), p.to_string());
    assert_eq!(
        keys(
            t.store
                .source_flags(&SourceFlagQuery::new(at(60), at(180)))
                .unwrap()
        ),
        [
            k(60, "A", "pm25"),
            k(60, "A", "so2,no2"),
            k(60, "B", "so2"),
            k(120, "B", "pm10"),
        ]
    );
    assert_eq!(
        keys(
            t.store
                .source_flags(
                    &SourceFlagQuery::new(at(0), at(181)).for_stations(Stations::one("A"))
                )
                .unwrap()
        ),
        [
            k(0, "A", "so2"),
            k(60, "A", "pm25"),
            k(60, "A", "so2,no2"),
            k(180, "A", "so2"),
        ]
    );
    assert!(
        t.store
            .source_flags(&SourceFlagQuery::new(at(0), at(1000)).for_stations(Stations::one("C")))
            .unwrap()
            .is_empty()
    );
    assert!(
        t.store
            .source_flags(&SourceFlagQuery::new(at(60), at(60)))
            .unwrap()
            .is_empty()
    );
}

/// Flags that cannot be stored fail the whole call before anything is written: no pollutants,
/// pollutants out of order or repeated, an end before the start, a NaN anywhere, an empty
/// station.
pub(crate) fn flags_unstorable_are_rejected(mut t: TestStore) {
    let good = flag("A", &[Parameter::So2], 0);
    let bad: Vec<(&str, SourceFlag)> = vec![
        (
            "no pollutants",
            SourceFlag {
                pollutants: vec![],
                ..good.clone()
            },
        ),
        (
            "order",
            SourceFlag {
                pollutants: vec![Parameter::So2, Parameter::Pm25],
                ..good.clone()
            },
        ),
        (
            "repeat",
            SourceFlag {
                pollutants: vec![Parameter::So2, Parameter::So2],
                ..good.clone()
            },
        ),
        (
            "end",
            SourceFlag {
                end: good.start - TimeDelta::hours(1),
                ..good.clone()
            },
        ),
        ("peak", {
            let mut f = good.clone();
            f.peak.value = f64::NAN;
            f
        }),
        ("ratio", {
            let mut f = good.clone();
            f.evidence.ratios.so2_nox = Some(f64::INFINITY);
            f
        }),
        ("located", {
            let mut f = good.clone();
            if let Some(l) = f.evidence.located.as_mut() {
                l.radius_m = f64::NAN;
            }
            f
        }),
        (
            "station",
            SourceFlag {
                station: String::new(),
                ..good.clone()
            },
        ),
    ];
    for (what, f) in bad {
        let err = t
            .store
            .put_source_flags(&[good.clone(), f])
            .expect_err(what);
        assert!(err.is_rejection(), "{what}: {err}");
        assert!(
            t.store
                .source_flags(&SourceFlagQuery::new(at(-10_000), at(10_000)))
                .unwrap()
                .is_empty(),
            "{what}: nothing written"
        );
    }
}

/// Paged reads across page boundaries give what the collecting read gives; the span of
/// episode starts; an empty station list selects nothing.
pub(crate) fn flags_paged_and_span(mut t: TestStore) {
    assert_eq!(t.store.source_flags_span().unwrap(), None);
    let mut flags = Vec::new();
    for h in (0..7).rev() {
        for station in ["B", "A"] {
            flags.push(flag(station, &[Parameter::So2, Parameter::No2], 60 * h));
            flags.push(flag(station, &[Parameter::Pm25], 60 * h + 30));
        }
    }
    t.store.put_source_flags(&flags).unwrap();
    let span = t.store.source_flags_span().unwrap().unwrap();
    assert_eq!((span.first, span.last), (at(0), at(6 * 60 + 30)));
    let q = SourceFlagQuery::new(span.first, span.end());
    let whole = t.store.source_flags(&q).unwrap();
    assert_eq!(whole.len(), 28);
    for size in [1, 3, 28, 50] {
        let mut all = paged(size, |size, each| {
            t.store.source_flags_paged(&q, size, each)
        })
        .concat();
        all.sort_by_key(|f| (f.start, f.station.clone(), f.pollutant_key()));
        assert_eq!(all, whole, "pages of {size}");
    }
    stops_on_error(|size, each| t.store.source_flags_paged(&q, size, each));
    let none = q.clone().for_stations(Stations::Only(vec![]));
    assert!(t.store.source_flags(&none).unwrap().is_empty());
    let b = t
        .store
        .source_flags(&q.for_stations(Stations::only(["B", "C"])))
        .unwrap();
    assert_eq!(b.len(), 14);
    assert!(b.iter().all(|f| f.station == "B"));
}
