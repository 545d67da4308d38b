//! Device health ([`HealthStore`](lantian::store::HealthStore)): every field round-trips
//! (an HJ 212 logger's peer and rejected packets too), and a device's health is replaced by
//! its id.

use lantian::store::DeviceHealth;

use super::{Check, TestStore, at};

/// Every check, by name.
pub(crate) const CHECKS: &[(&str, Check)] = &[("health_round_trip", health_round_trip)];

/// Device health round-trips every field, including `None`s and status lists.
pub(crate) fn health_round_trip(mut t: TestStore) {
    assert!(t.store.health().unwrap().is_empty());
    let fresh = DeviceHealth::new("dev-b", "S2");
    let busy = DeviceHealth {
        device: "dev-a".into(),
        station: "S1".into(),
        online: true,
        last_success: Some(at(10)),
        last_attempt: Some(at(11)),
        polls: 1_000_000_007,
        successes: 999,
        skipped: 3,
        consecutive_failures: 2,
        last_latency_ms: Some(12.75),
        status: vec!["pump_fault".into(), "flow low".into(), "温度报警".into()],
        last_error: Some("timeout after 1 s".into()),
        last_failure: Some(at(9)),
        peer: Some("[::1]:40122".into()),
        rejected: [("bad-crc".to_string(), 3), ("wrong-pw".to_string(), 1)].into(),
    };
    let single = DeviceHealth {
        status: vec!["span".into()],
        ..DeviceHealth::new("dev-c", "S1")
    };
    t.store
        .put_health(&[fresh.clone(), busy.clone(), single.clone()])
        .unwrap();
    assert_eq!(
        t.store.health().unwrap(),
        [busy.clone(), fresh.clone(), single.clone()]
    );
    let recovered = DeviceHealth {
        online: false,
        status: vec![],
        last_latency_ms: None,
        peer: None,
        rejected: Default::default(),
        ..busy
    };
    t.store
        .put_health(std::slice::from_ref(&recovered))
        .unwrap();
    assert_eq!(t.store.health().unwrap(), [recovered, fresh, single]);
}
