//! Planning one poll as few read requests as possible.

use super::RegisterKind;

/// A location the poll must read: `count` registers (or bits) of `kind` from `address`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanItem {
    /// Table.
    pub kind: RegisterKind,
    /// First protocol address.
    pub address: u16,
    /// Registers (or bits) covered.
    pub count: u16,
}

/// One read request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadRequest {
    /// Table (selects the function code).
    pub kind: RegisterKind,
    /// First protocol address.
    pub start: u16,
    /// Registers (or bits) to read.
    pub count: u16,
}

/// Where one [`PlanItem`] is found in the responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// Index into [`PollPlan::requests`].
    pub request: usize,
    /// Offset of the item's first register (or bit) inside that request's response.
    pub offset: u16,
}

/// The requests of one poll, and where each planned item lands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PollPlan {
    /// Requests in execution order.
    pub requests: Vec<ReadRequest>,
    /// One location per planned item, in the order the items were given.
    pub locations: Vec<Location>,
}

/// Error while planning.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// An item alone is larger than one request may be.
    #[error("{kind} {address}: {count} items exceed the {max} a request may carry")]
    TooLarge {
        /// Table.
        kind: RegisterKind,
        /// Address.
        address: u16,
        /// Size.
        count: u16,
        /// Limit.
        max: u16,
    },
    /// An item reaches past the last protocol address (65535).
    #[error("{kind} {address}: {count} items run past the last address 65535")]
    AddressOverflow {
        /// Table.
        kind: RegisterKind,
        /// Address.
        address: u16,
        /// Size.
        count: u16,
    },
    /// An item covers nothing.
    #[error("{kind} {address}: an item must cover at least one register or bit")]
    Empty {
        /// Table.
        kind: RegisterKind,
        /// Address.
        address: u16,
    },
}

/// Plans `items` into requests, merging items of one table whose gap is at most `max_gap`.
///
/// Requests come grouped by table (in [`RegisterKind`] order), then by address. Items are
/// merged greedily into the current request while the registers (or bits) left unread between
/// them number at most `max_gap` and the request stays within [`RegisterKind::max_per_request`].
/// Overlapping and duplicate items share the registers they have in common.
///
/// # Errors
///
/// The first item (in the given order) that covers nothing ([`PlanError::Empty`]), exceeds one
/// request ([`PlanError::TooLarge`]) or runs past address 65535 ([`PlanError::AddressOverflow`]).
pub fn plan(items: &[PlanItem], max_gap: u16) -> Result<PollPlan, PlanError> {
    items.iter().try_for_each(check)?;

    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_unstable_by_key(|&i| (items[i].kind, items[i].address, i));

    let mut requests: Vec<ReadRequest> = Vec::new();
    let mut locations = vec![
        Location {
            request: 0,
            offset: 0
        };
        items.len()
    ];
    for i in order {
        let item = items[i];
        let merged = requests
            .last_mut()
            .is_some_and(|r| try_extend(r, &item, max_gap));
        if !merged {
            requests.push(ReadRequest {
                kind: item.kind,
                start: item.address,
                count: item.count,
            });
        }
        let request = requests.len() - 1;
        locations[i] = Location {
            request,
            offset: item.address - requests[request].start,
        };
    }
    Ok(PollPlan {
        requests,
        locations,
    })
}

/// Extends `request` to also cover `item` if it is of the same table, at most `max_gap` past the
/// request's end and the result stays within the table's request maximum. `item` must not start
/// before the request.
fn try_extend(request: &mut ReadRequest, item: &PlanItem, max_gap: u16) -> bool {
    let start = u32::from(request.start);
    let end = start + u32::from(request.count);
    let item_end = u32::from(item.address) + u32::from(item.count);
    let count = item_end.max(end) - start;
    let ok = request.kind == item.kind
        && u32::from(item.address) <= end + u32::from(max_gap)
        && count <= u32::from(item.kind.max_per_request());
    if ok {
        // At most the request maximum, so it fits.
        request.count = count as u16;
    }
    ok
}

/// Rejects items that no request could carry.
fn check(item: &PlanItem) -> Result<(), PlanError> {
    let PlanItem {
        kind,
        address,
        count,
    } = *item;
    let max = kind.max_per_request();
    if count == 0 {
        Err(PlanError::Empty { kind, address })
    } else if count > max {
        Err(PlanError::TooLarge {
            kind,
            address,
            count,
            max,
        })
    } else if u32::from(address) + u32::from(count) > 1 << 16 {
        Err(PlanError::AddressOverflow {
            kind,
            address,
            count,
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KINDS: [RegisterKind; 4] = [
        RegisterKind::Coil,
        RegisterKind::DiscreteInput,
        RegisterKind::Holding,
        RegisterKind::Input,
    ];

    fn item(kind: RegisterKind, address: u16, count: u16) -> PlanItem {
        PlanItem {
            kind,
            address,
            count,
        }
    }

    fn req(kind: RegisterKind, start: u16, count: u16) -> ReadRequest {
        ReadRequest { kind, start, count }
    }

    fn loc(request: usize, offset: u16) -> Location {
        Location { request, offset }
    }

    /// Every item lies inside its located request, of its kind, and no request is oversized.
    fn coverage_ok(plan: &PollPlan, items: &[PlanItem]) -> bool {
        let sizes_ok = plan
            .requests
            .iter()
            .all(|r| r.count >= 1 && r.count <= r.kind.max_per_request());
        let items_ok = plan.locations.len() == items.len()
            && items.iter().zip(&plan.locations).all(|(it, l)| {
                plan.requests.get(l.request).is_some_and(|r| {
                    r.kind == it.kind
                        && u32::from(r.start) + u32::from(l.offset) == u32::from(it.address)
                        && l.offset + it.count <= r.count
                })
            });
        sizes_ok && items_ok
    }

    #[test]
    fn empty_profile_plans_nothing() {
        assert_eq!(plan(&[], 10), Ok(PollPlan::default()));
    }

    #[test]
    fn contiguous_items_merge() {
        let h = RegisterKind::Holding;
        let items = [item(h, 4, 2), item(h, 0, 2), item(h, 2, 2)];
        let p = plan(&items, 0).unwrap();
        assert_eq!(p.requests, [req(h, 0, 6)]);
        assert_eq!(p.locations, [loc(0, 4), loc(0, 0), loc(0, 2)]);
    }

    #[test]
    fn gap_up_to_max_gap_merges_beyond_splits() {
        let h = RegisterKind::Input;
        // Gap of 3 registers (2, 3, 4) between the two items.
        let items = [item(h, 0, 2), item(h, 5, 1)];
        let merged = plan(&items, 3).unwrap();
        assert_eq!(merged.requests, [req(h, 0, 6)]);
        assert_eq!(merged.locations, [loc(0, 0), loc(0, 5)]);

        let split = plan(&items, 2).unwrap();
        assert_eq!(split.requests, [req(h, 0, 2), req(h, 5, 1)]);
        assert_eq!(split.locations, [loc(0, 0), loc(1, 0)]);
    }

    #[test]
    fn overlapping_and_duplicate_items_share_registers() {
        let h = RegisterKind::Holding;
        let items = [
            item(h, 10, 4),
            item(h, 12, 4),
            item(h, 10, 4),
            item(h, 11, 1),
        ];
        let p = plan(&items, 0).unwrap();
        assert_eq!(p.requests, [req(h, 10, 6)]);
        assert_eq!(p.locations, [loc(0, 0), loc(0, 2), loc(0, 0), loc(0, 1)]);
    }

    #[test]
    fn seventy_floats_need_two_requests() {
        let h = RegisterKind::Holding;
        let items: Vec<_> = (0..70).map(|i| item(h, 1000 + 2 * i, 2)).collect();
        let p = plan(&items, 0).unwrap();
        // 62 floats = 124 registers; a 63rd would make 126 > 125.
        assert_eq!(p.requests, [req(h, 1000, 124), req(h, 1124, 16)]);
        assert_eq!(p.locations[61], loc(0, 122));
        assert_eq!(p.locations[62], loc(1, 0));
        assert_eq!(p.locations[69], loc(1, 14));
        assert!(coverage_ok(&p, &items));
    }

    #[test]
    fn register_limit_is_inclusive() {
        let h = RegisterKind::Input;
        let items = [item(h, 0, 100), item(h, 120, 5)];
        let p = plan(&items, 20).unwrap();
        assert_eq!(p.requests, [req(h, 0, 125)]);
        let items = [item(h, 0, 100), item(h, 121, 5)];
        let p = plan(&items, 21).unwrap();
        assert_eq!(p.requests, [req(h, 0, 100), req(h, 121, 5)]);
    }

    #[test]
    fn bits_use_the_bit_limit() {
        let c = RegisterKind::Coil;
        let items: Vec<_> = (0..2500).map(|i| item(c, i, 1)).collect();
        let p = plan(&items, 0).unwrap();
        assert_eq!(p.requests, [req(c, 0, 2000), req(c, 2000, 500)]);
        assert_eq!(p.locations[2001], loc(1, 1));
    }

    #[test]
    fn kinds_are_never_mixed_and_come_in_kind_order() {
        let items = [
            item(RegisterKind::Input, 0, 2),
            item(RegisterKind::Holding, 0, 2),
            item(RegisterKind::Holding, 2, 2),
            item(RegisterKind::DiscreteInput, 1, 1),
            item(RegisterKind::Coil, 0, 1),
            item(RegisterKind::Input, 2, 1),
        ];
        let p = plan(&items, 100).unwrap();
        assert_eq!(
            p.requests,
            [
                req(RegisterKind::Coil, 0, 1),
                req(RegisterKind::DiscreteInput, 1, 1),
                req(RegisterKind::Holding, 0, 4),
                req(RegisterKind::Input, 0, 3),
            ]
        );
        assert_eq!(
            p.locations,
            [
                loc(3, 0),
                loc(2, 0),
                loc(2, 2),
                loc(1, 0),
                loc(0, 0),
                loc(3, 2)
            ]
        );
    }

    #[test]
    fn oversized_item_is_rejected() {
        let items = [
            item(RegisterKind::Holding, 0, 2),
            item(RegisterKind::Holding, 7, 126),
        ];
        let err = plan(&items, 0).unwrap_err();
        assert_eq!(
            err,
            PlanError::TooLarge {
                kind: RegisterKind::Holding,
                address: 7,
                count: 126,
                max: 125
            }
        );
        assert_eq!(
            err.to_string(),
            "holding 7: 126 items exceed the 125 a request may carry"
        );
        assert!(plan(&[item(RegisterKind::Coil, 0, 2000)], 0).is_ok());
        assert!(matches!(
            plan(&[item(RegisterKind::Coil, 0, 2001)], 0),
            Err(PlanError::TooLarge { max: 2000, .. })
        ));
    }

    #[test]
    fn address_overflow_is_rejected() {
        let last = item(RegisterKind::Input, u16::MAX, 1);
        let p = plan(&[last], 0).unwrap();
        assert_eq!(p.requests, [req(RegisterKind::Input, u16::MAX, 1)]);

        let err = plan(&[last, item(RegisterKind::Input, 65_534, 4)], 0).unwrap_err();
        assert_eq!(
            err,
            PlanError::AddressOverflow {
                kind: RegisterKind::Input,
                address: 65_534,
                count: 4
            }
        );
        assert_eq!(
            err.to_string(),
            "input 65534: 4 items run past the last address 65535"
        );
    }

    #[test]
    fn empty_item_is_rejected() {
        let err = plan(&[item(RegisterKind::Coil, 3, 0)], 0).unwrap_err();
        assert_eq!(
            err,
            PlanError::Empty {
                kind: RegisterKind::Coil,
                address: 3
            }
        );
    }

    #[test]
    fn huge_gap_does_not_overflow() {
        let h = RegisterKind::Holding;
        let items = [item(h, 65_500, 2), item(h, 65_530, 6), item(h, 0, 1)];
        let p = plan(&items, u16::MAX).unwrap();
        assert_eq!(p.requests, [req(h, 0, 1), req(h, 65_500, 36)]);
        assert!(coverage_ok(&p, &items));
    }

    fn arb_item() -> impl Strategy<Value = PlanItem> {
        (0..4usize, 0u16..600, 1u16..=8, prop::bool::weighted(0.05)).prop_map(
            |(k, address, count, big)| {
                let kind = KINDS[k];
                // Occasionally an item of the maximal size.
                let count = if big { kind.max_per_request() } else { count };
                item(kind, address, count)
            },
        )
    }

    proptest! {
        #[test]
        fn every_item_is_covered(items in prop::collection::vec(arb_item(), 0..80), max_gap in 0u16..200) {
            let p = plan(&items, max_gap).unwrap();
            prop_assert!(coverage_ok(&p, &items));
            // Requests are grouped by kind and sorted by start (they may overlap only when
            // overlapping items cannot share one request).
            for pair in p.requests.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                prop_assert!(a.kind <= b.kind);
                if a.kind == b.kind {
                    prop_assert!(a.start < b.start);
                }
            }
            // With no gap allowed, no request reads a register nobody asked for.
            if max_gap == 0 {
                for (i, r) in p.requests.iter().enumerate() {
                    for off in 0..r.count {
                        let needed = items.iter().zip(&p.locations).any(|(it, l)| {
                            l.request == i && l.offset <= off && off < l.offset + it.count
                        });
                        prop_assert!(needed, "request {i} reads unused offset {off}");
                    }
                }
            }
        }
    }
}
