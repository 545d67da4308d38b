//! The live health of every device, shared between the pollers (and the HJ 212 listener) that
//! update it and the writer, summaries and reports that read it.

use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use crate::store::DeviceHealth;

/// One slot per device, each behind its own lock so pollers never contend with each other.
/// Devices can be added after the board is shared ([`HealthBoard::append`]: the HJ 212
/// listener adds its loggers to the board the pipeline writes).
#[derive(Debug, Clone, Default)]
pub struct HealthBoard {
    slots: Arc<RwLock<Vec<Slot>>>,
}

/// One device's entry on a [`HealthBoard`].
#[derive(Debug, Clone)]
pub struct Slot(Arc<Mutex<DeviceHealth>>);

impl Slot {
    /// Locks the entry for update.
    pub fn lock(&self) -> MutexGuard<'_, DeviceHealth> {
        // A task that panicked mid-update leaves a usable entry: recover it.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl HealthBoard {
    /// A board with one fresh entry per `(device, station)`; slots are numbered in order.
    pub fn new<'a>(devices: impl IntoIterator<Item = (&'a str, &'a str)>) -> HealthBoard {
        let board = HealthBoard::default();
        board.append(devices);
        board
    }

    /// Adds one fresh entry per `(device, station)` after the existing ones and returns their
    /// slots.
    pub fn append<'a>(&self, devices: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<Slot> {
        let added: Vec<Slot> = devices
            .into_iter()
            .map(|(d, s)| Slot(Arc::new(Mutex::new(DeviceHealth::new(d, s)))))
            .collect();
        self.write().extend(added.iter().cloned());
        added
    }

    /// The slot of the `index`-th device on the board.
    pub fn slot(&self, index: usize) -> Slot {
        let slots = self.read();
        assert!(index < slots.len(), "no health slot {index}");
        slots[index].clone()
    }

    /// Locks one device's entry for update.
    pub fn entry<'s>(&self, slot: &'s Slot) -> MutexGuard<'s, DeviceHealth> {
        slot.lock()
    }

    /// A copy of every device's health, in slot order.
    pub fn snapshot(&self) -> Vec<DeviceHealth> {
        self.read().iter().map(|s| s.lock().clone()).collect()
    }

    /// Number of devices.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// True when there are no devices.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Slot>> {
        self.slots.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<Slot>> {
        self.slots.write().unwrap_or_else(|e| e.into_inner())
    }
}
