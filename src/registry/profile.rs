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
}

impl ValueSpec {
    /// Turns a decoded raw register value into the canonical unit.
    #[inline]
    pub fn to_canonical(&self, raw: f64) -> f64 {
        self.conversion.apply(raw.mul_add(self.scale, self.offset))
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
