//! Device profiles: the register map of one analyzer model.

use serde::{Deserialize, Serialize};

use crate::modbus::plan::PollPlan;
use crate::modbus::{ByteOrder, DataType, RegisterKind};
use crate::quality::Flag;
use crate::units::{Conversion, Parameter, Unit};

/// The register map of one device model, with its poll already planned.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Profile id (file stem), e.g. `thermo-42i`.
    pub id: String,
    /// Manufacturer.
    pub manufacturer: String,
    /// Model.
    pub model: String,
    /// Where the register facts come from.
    pub source: String,
    /// Measured values.
    pub values: Vec<ValueSpec>,
    /// Status and alarm bits.
    pub status: Vec<StatusSpec>,
    /// The requests that read every value and status bit.
    ///
    /// Planned items are all values (in file order) followed by all status entries (in file
    /// order): `plan.locations[i]` locates `values[i]`, and
    /// `plan.locations[values.len() + j]` locates `status[j]`. Without `[[request]]` entries
    /// the plan comes from [`crate::modbus::plan::plan`] with the profile's `max_gap`;
    /// with them, the requests are used as given (in file order) and each item is located in
    /// the first request of its table that contains it.
    pub plan: PollPlan,
}

impl Profile {
    /// The parameters this profile measures.
    pub fn parameters(&self) -> impl Iterator<Item = Parameter> + '_ {
        self.values.iter().map(|v| v.parameter)
    }

    /// The runs of registers (or bits) that request `request` of the plan reads although no
    /// value or status entry maps them (gaps bridged by `max_gap`, or covered by an explicit
    /// `[[request]]`), as (first, last) protocol addresses.
    pub fn unmapped(&self, request: usize) -> Vec<(u16, u16)> {
        let Some(r) = self.plan.requests.get(request) else {
            return Vec::new();
        };
        let mut mapped = vec![false; usize::from(r.count)];
        let sizes = self
            .values
            .iter()
            .map(|v| v.data_type.registers())
            .chain(self.status.iter().map(|_| 1));
        for (at, size) in self.plan.locations.iter().zip(sizes) {
            if at.request == request {
                let from = usize::from(at.offset);
                let to = (from + usize::from(size)).min(mapped.len());
                mapped[from..to].iter_mut().for_each(|m| *m = true);
            }
        }
        let mut runs = Vec::new();
        let mut i = 0;
        while i < mapped.len() {
            if mapped[i] {
                i += 1;
                continue;
            }
            let start = i;
            while i < mapped.len() && !mapped[i] {
                i += 1;
            }
            // Offsets are below the request's count (a u16), so these fit.
            runs.push((r.start + start as u16, r.start + (i - 1) as u16));
        }
        runs
    }
}

/// One measured value in the register map.
#[derive(Debug, Clone)]
pub struct ValueSpec {
    /// What it measures.
    pub parameter: Parameter,
    /// Register table.
    pub kind: RegisterKind,
    /// Protocol (0-based) address of the first register.
    pub address: u16,
    /// Layout.
    pub data_type: DataType,
    /// Byte/word order.
    pub order: ByteOrder,
    /// Device value = raw × scale + offset, in `unit`.
    pub scale: f64,
    /// See `scale`.
    pub offset: f64,
    /// Unit the device reports in (after scale/offset).
    pub unit: Unit,
    /// Device unit → canonical unit, resolved with the network's reference state.
    pub conversion: Conversion,
    /// The instrument's measurement range in `unit`; values outside are flagged `T`.
    pub range: Option<(f64, f64)>,
    /// Raw values (before scale and offset) the device sends for "no measurement", e.g. the
    /// 32767 of a signed register; a poll that reads one gives no value.
    pub no_value: Vec<f64>,
}

impl ValueSpec {
    /// Turns a decoded raw register value into the canonical unit.
    #[inline]
    pub fn to_canonical(&self, raw: f64) -> f64 {
        self.conversion.apply(raw.mul_add(self.scale, self.offset))
    }

    /// True when a raw register value is one of the device's "no measurement" values.
    #[inline]
    pub fn is_no_value(&self, raw: f64) -> bool {
        self.no_value.contains(&raw)
    }

    /// True when a device value (in `unit`) is outside the measurement range.
    #[inline]
    pub fn out_of_range(&self, device_value: f64) -> bool {
        match self.range {
            Some((lo, hi)) => !(lo..=hi).contains(&device_value),
            None => false,
        }
    }
}

/// What a status bit means for the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusMeaning {
    /// Zero/span check or calibration in progress → `C`.
    Calibration,
    /// Service / maintenance mode → `M`.
    Maintenance,
    /// Fault or alarm → `D`.
    Fault,
    /// Informational; does not affect data.
    Info,
}

impl StatusMeaning {
    /// The flag the bit imposes on affected values while set.
    pub const fn flag(self) -> Option<Flag> {
        match self {
            StatusMeaning::Calibration => Some(Flag::Calibration),
            StatusMeaning::Maintenance => Some(Flag::Maintenance),
            StatusMeaning::Fault => Some(Flag::Fault),
            StatusMeaning::Info => None,
        }
    }
}

/// One status or alarm bit.
#[derive(Debug, Clone)]
pub struct StatusSpec {
    /// Name as the manufacturer gives it.
    pub name: String,
    /// Register table (bits for coils/discrete inputs; a bit of a register otherwise).
    pub kind: RegisterKind,
    /// Protocol (0-based) address.
    pub address: u16,
    /// Bit number (0 = least significant) for register tables; `None` for bit tables.
    pub bit: Option<u8>,
    /// What it means.
    pub meaning: StatusMeaning,
    /// The parameters it affects (empty = all of the device's).
    pub parameters: Vec<Parameter>,
}

impl StatusSpec {
    /// True when the bit affects `parameter`.
    pub fn affects(&self, parameter: Parameter) -> bool {
        self.parameters.is_empty() || self.parameters.contains(&parameter)
    }
}
