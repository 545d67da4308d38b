//! Breakpoint edges of every table row, worked examples and above-range rules.

use lantian::aqi::china::{
    self, DailyInput, HourlyInput, IAQI_LEVELS, Row, RuleSet, daily_aqi, hourly_aqi, row_iaqi,
};
use lantian::aqi::epa::{self, EpaRow, Lookup, NativeInput, Table, aqi_native, lookup};
use lantian::aqi::nowcast::{NowcastKind, nowcast, nowcast_aqi};
use lantian::aqi::{Category, Note, Pollutant};

const RULES: [RuleSet; 2] = [RuleSet::Y2012, RuleSet::Y2026];
const P: Pollutant = Pollutant::Pm25; // label only

#[test]
fn china_every_breakpoint_gives_its_iaqi() {
    let mut checked = 0;
    for rules in RULES {
        for row in Row::ALL {
            let bp = row.breakpoints(rules);
            for (i, &c) in bp.iter().enumerate() {
                let got = row_iaqi(row, f64::from(c), rules, P).unwrap();
                assert_eq!(got, Some(IAQI_LEVELS[i]), "{row:?} {rules:?} at {c}");
                checked += 1;
                if i + 1 < bp.len() {
                    // Just above: the next segment, one IAQI up (2012; the 2026 rules round
                    // to the resolution first, so step by one resolution unit there).
                    let (eps, expect_next) = match (rules, row.decimals_2026()) {
                        (RuleSet::Y2012, _) => (1e-4, Some(IAQI_LEVELS[i] + 1)),
                        (RuleSet::Y2026, 1) => (0.1, None),
                        (RuleSet::Y2026, _) => (1.0, None),
                    };
                    let above = row_iaqi(row, f64::from(c) + eps, rules, P)
                        .unwrap()
                        .unwrap();
                    assert!(above > IAQI_LEVELS[i] && above <= IAQI_LEVELS[i + 1]);
                    if let Some(e) = expect_next {
                        assert_eq!(above, e, "{row:?} {rules:?} just above {c}");
                    }
                    // Just below (not at 0): the previous segment's top or less.
                    if i > 0 && rules == RuleSet::Y2012 {
                        let below = row_iaqi(row, f64::from(c) - 1e-4, rules, P);
                        assert_eq!(below.unwrap(), Some(IAQI_LEVELS[i]), "ceil just below {c}");
                    }
                } else {
                    // Above the top breakpoint the row has no value.
                    assert_eq!(row_iaqi(row, f64::from(c) + 1.0, rules, P).unwrap(), None);
                }
            }
        }
    }
    assert_eq!(checked, 2 * (8 * 8 + 5 + 6));
}

#[test]
fn china_2026_rows_differ_only_where_the_reference_says() {
    for row in Row::ALL {
        let (a, b) = (
            row.breakpoints(RuleSet::Y2012),
            row.breakpoints(RuleSet::Y2026),
        );
        match row {
            Row::Pm25_24h => assert_eq!(b, &[0, 35, 60, 115, 150, 250, 350, 500]),
            Row::Pm10_24h => assert_eq!(b, &[0, 50, 120, 250, 350, 420, 500, 600]),
            _ => assert_eq!(a, b, "{row:?}"),
        }
    }
    // The SO2 24-h row is not the 1-h row (a known error of another implementation).
    assert_eq!(
        Row::So2_24h.breakpoints(RuleSet::Y2026),
        &[0, 50, 150, 475, 800, 1600, 2100, 2620]
    );
}

#[test]
fn worked_examples_and_exact_integers() {
    let day = |f: fn(&mut DailyInput)| {
        let mut d = DailyInput::default();
        f(&mut d);
        daily_aqi(&d, RuleSet::Y2012)
    };
    assert_eq!(day(|d| d.pm25 = Some(120.0)).aqi, Some(158));
    assert_eq!(day(|d| d.so2 = Some(65.0)).aqi, Some(58));
    assert_eq!(day(|d| d.pm25 = Some(75.0)).aqi, Some(100));
    assert_eq!(day(|d| d.co = Some(0.8)).aqi, Some(20));
    assert_eq!(day(|d| d.co = Some(4.0)).aqi, Some(100));
    // 2026: PM2.5 60 is the new IAQI-100 point; 60.4 rounds to 60, 60.6 to 61.
    let d26 = |pm25: f64| {
        daily_aqi(
            &DailyInput {
                pm25: Some(pm25),
                ..Default::default()
            },
            RuleSet::Y2026,
        )
        .aqi
    };
    assert_eq!(d26(60.0), Some(100));
    assert_eq!(d26(60.4), Some(100));
    assert_eq!(d26(60.5), Some(100)); // half to even: 60
    assert_eq!(d26(61.5), Some(102)); // half to even: 62 → 100 + ⌈50·2/55⌉
    assert_eq!(d26(60.6), Some(101));
}

#[test]
fn above_range_rules() {
    // 2012 hourly SO2 1-h > 800: from the 24-h mean if given, else no SO2 IAQI.
    let h = |so2, so2_24h, rules| {
        hourly_aqi(
            &HourlyInput {
                so2: Some(so2),
                so2_24h,
                pm10: Some(20.0),
                ..Default::default()
            },
            rules,
        )
    };
    let r = h(900.0, Some(65.0), RuleSet::Y2012);
    assert_eq!(r.iaqi(Pollutant::So2), Some(58));
    assert_eq!(r.sub_indices[0].note, Some(Note::So2From24h));
    let r = h(900.0, None, RuleSet::Y2012);
    assert_eq!(r.iaqi(Pollutant::So2), None);
    assert_eq!(r.aqi, Some(20));
    assert_eq!(
        h(800.0, None, RuleSet::Y2012).iaqi(Pollutant::So2),
        Some(200)
    );
    let r = h(900.0, Some(65.0), RuleSet::Y2026);
    assert_eq!(r.iaqi(Pollutant::So2), Some(200));
    assert_eq!(r.sub_indices[0].note, Some(Note::Fixed));
    // O3 8-h > 800: 2012 no 8-h IAQI (1-h stands), 2026 IAQI 300.
    let o3 = |rules| {
        daily_aqi(
            &DailyInput {
                o3_8h_max: Some(850.0),
                o3_1h_max: Some(1000.0),
                ..Default::default()
            },
            rules,
        )
    };
    let r = o3(RuleSet::Y2012);
    assert_eq!(r.iaqi(Pollutant::O3_8h), None);
    assert_eq!(r.aqi, Some(400));
    assert_eq!(r.primary, vec![Pollutant::O3_1h]);
    let r = o3(RuleSet::Y2026);
    assert_eq!(r.iaqi(Pollutant::O3_8h), Some(300));
    assert_eq!(r.aqi, Some(400));
    assert!(r.exceeding.is_empty());
    // Above the top breakpoint: capped at 500, noted.
    let r = daily_aqi(
        &DailyInput {
            pm25: Some(600.0),
            pm10: Some(1000.0),
            ..Default::default()
        },
        RuleSet::Y2012,
    );
    assert_eq!(r.aqi, Some(500));
    assert_eq!(r.category, Some(Category::Severe));
    assert_eq!(r.primary, vec![Pollutant::Pm10, Pollutant::Pm25]);
    assert!(
        r.sub_indices
            .iter()
            .all(|s| s.note == Some(Note::AboveTopBreakpoint))
    );
}

#[test]
fn primary_and_exceeding() {
    let r = daily_aqi(
        &DailyInput {
            pm25: Some(35.0),
            pm10: Some(50.0),
            ..Default::default()
        },
        RuleSet::Y2012,
    );
    assert_eq!(r.aqi, Some(50));
    assert!(r.primary.is_empty(), "no primary pollutant at AQI 50");
    let r = daily_aqi(
        &DailyInput {
            pm25: Some(115.0),
            pm10: Some(250.0),
            no2: Some(100.0),
            ..Default::default()
        },
        RuleSet::Y2012,
    );
    assert_eq!(r.aqi, Some(150));
    assert_eq!(r.primary, vec![Pollutant::Pm10, Pollutant::Pm25]);
    assert_eq!(
        r.exceeding,
        vec![Pollutant::No2, Pollutant::Pm10, Pollutant::Pm25]
    );
    assert!(china::try_hourly_aqi(&HourlyInput::default(), RuleSet::Y2026).is_ok());
    assert_eq!(daily_aqi(&DailyInput::default(), RuleSet::Y2012).aqi, None);
}

#[test]
fn epa_every_breakpoint() {
    let mut checked = 0;
    for table in [Table::Y2012, Table::Y2024] {
        for row in EpaRow::ALL {
            let step = 1.0 / f64::from(row.steps_per_unit());
            let segs = row.segments(table);
            for (k, s) in segs.iter().enumerate() {
                for (c, want) in [(s.lo, s.aqi_lo), (s.hi, s.aqi_hi)] {
                    let x = f64::from(c) * step;
                    match lookup(row, x, table, P).unwrap() {
                        Lookup::Index { aqi, note, .. } => {
                            assert_eq!(aqi, want, "{row:?} {table:?} at {x}");
                            assert_eq!(note, None);
                        }
                        other => panic!("{row:?} {x}: {other:?}"),
                    }
                    checked += 1;
                }
                // Truncation: just below the next segment stays in this one.
                let near = (f64::from(s.hi) + 0.99) * step;
                if let Ok(Lookup::Index { aqi, .. }) = lookup(row, near, table, P) {
                    assert_eq!(aqi, s.aqi_hi, "{row:?} truncates {near}");
                }
                if k + 1 == segs.len() {
                    let above = f64::from(s.hi + (s.hi - s.lo)) * step;
                    match lookup(row, above, table, P).unwrap() {
                        Lookup::Index { aqi, note, .. } => {
                            assert_eq!(aqi, s.aqi_hi + (s.aqi_hi - s.aqi_lo));
                            assert_eq!(note, Some(Note::AboveTopBreakpoint));
                        }
                        other => panic!("{other:?}"),
                    }
                }
            }
        }
    }
    assert!(checked > 100);
    // Negative → 0.
    assert_eq!(epa::pm25_aqi(-0.5, Table::Y2024), Ok(0));
    // Float noise on a boundary: 35.5 computed as 35.49999999999999 is 35.5.
    assert_eq!(epa::pm25_aqi(35.499_999_999_999_99, Table::Y2012), Ok(101));
    assert_eq!(epa::pm25_aqi(0.1 + 0.2 + 12.0 - 0.2, Table::Y2012), Ok(51));
    // 2024 vs 2012 at PM2.5 = 100: 2012 → 174, 2024 → 182.
    assert_eq!(epa::pm25_aqi(100.0, Table::Y2012), Ok(174));
    assert_eq!(epa::pm25_aqi(100.0, Table::Y2024), Ok(182));
}

#[test]
fn epa_multi_pollutant() {
    let r = aqi_native(
        &NativeInput {
            pm25: Some(40.0),
            o3_8h: Some(0.080),
            co_8h: Some(5.0),
            no2_1h: Some(120.0),
            ..Default::default()
        },
        Table::Y2024,
    );
    assert_eq!(r.iaqi(Pollutant::Pm25), Some(112));
    assert_eq!(r.iaqi(Pollutant::O3_8h), Some(133)); // 132.5, halves up
    assert_eq!(r.aqi, Some(133));
    assert_eq!(r.primary, vec![Pollutant::O3_8h]);
    assert_eq!(
        r.category.map(Category::epa_name),
        Some("Unhealthy for Sensitive Groups")
    );
}

#[test]
fn nowcast_reference_vector() {
    let v = [
        Some(34.9),
        Some(43.0),
        Some(50.0),
        Some(64.9),
        Some(69.2),
        Some(66.2),
        Some(53.7),
        Some(48.6),
        Some(49.2),
        Some(35.0),
        None,
        Some(21.0),
    ];
    let n = nowcast(&v, NowcastKind::Pm25).unwrap();
    assert_eq!(n.concentration, 28.4);
    assert_eq!(
        nowcast_aqi(n.concentration, NowcastKind::Pm25, Table::Y2024),
        Some(87)
    );
    assert_eq!(
        nowcast_aqi(n.concentration, NowcastKind::Pm25, Table::Y2012),
        Some(85)
    );
    // Older hours beyond 12 are ignored.
    let mut longer = vec![Some(500.0); 5];
    longer.extend(v);
    assert_eq!(
        nowcast(&longer, NowcastKind::Pm25).unwrap().concentration,
        28.4
    );
}
