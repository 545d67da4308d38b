//! The live health of every device, shared between the pollers that update it and the writer,
//! summaries and reports that read it.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::store::DeviceHealth;

/// One slot per device, each behind its own lock so pollers never contend with each other.
#[derive(Debug, Clone, Default)]
pub struct HealthBoard {
    slots: Arc<Vec<Mutex<DeviceHealth>>>,
}

/// Index of a device's slot on a [`HealthBoard`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot(usize);

impl HealthBoard {
    /// A board with one fresh entry per `(device, station)`; slots are numbered in order.
    pub fn new<'a>(devices: impl IntoIterator<Item = (&'a str, &'a str)>) -> HealthBoard {
        let slots = devices
            .into_iter()
            .map(|(d, s)| Mutex::new(DeviceHealth::new(d, s)))
            .collect();
        HealthBoard {
            slots: Arc::new(slots),
        }
    }

    /// The slot of the `index`-th device given to [`HealthBoard::new`].
    pub fn slot(&self, index: usize) -> Slot {
        assert!(index < self.slots.len(), "no health slot {index}");
        Slot(index)
    }

    /// Locks one device's entry for update.
    pub fn entry(&self, slot: Slot) -> MutexGuard<'_, DeviceHealth> {
        // A poller that panicked mid-update leaves a usable entry: recover it.
        self.slots[slot.0].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of every device's health, in slot order.
    pub fn snapshot(&self) -> Vec<DeviceHealth> {
        (0..self.slots.len())
            .map(|i| self.entry(Slot(i)).clone())
            .collect()
    }

    /// Number of devices.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when there are no devices.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}
