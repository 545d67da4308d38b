//! What the world answers: all parameters at a station, and per-source contributions.

use std::sync::Arc;

use enum_map::EnumMap;

use super::scenario::SourceType;
use crate::units::{AirPollutant, Parameter};

/// The value of every [`Parameter`] at one station and instant, in canonical units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conditions {
    /// The values.
    pub values: EnumMap<Parameter, f64>,
}

impl Conditions {
    /// The value of `p`.
    pub fn get(&self, p: Parameter) -> f64 {
        self.values[p]
    }

    /// `(parameter, value)` pairs in [`Parameter::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Parameter, f64)> + '_ {
        self.values.iter().map(|(p, &v)| (p, v))
    }
}

/// Where a station is, for building a [`World`](super::world::World) without a registry.
#[derive(Debug, Clone, PartialEq)]
pub struct StationSite {
    /// Station id.
    pub id: Arc<str>,
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
    /// Elevation, m.
    pub elevation_m: f64,
}

/// What contributed a part of a station's pollution (ground truth for source identification).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContributionKind {
    /// A `[[source]]` plume.
    Source,
    /// A regional `[[episode]]`.
    Episode,
}

/// The increment one source or episode adds at a station, after rain washout and before
/// titration.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    /// Source or episode name.
    pub name: String,
    /// Its activity label.
    pub source_type: SourceType,
    /// Source or episode.
    pub kind: ContributionKind,
    /// Increments in canonical units (NOx as NO2 mass).
    pub values: EnumMap<AirPollutant, f64>,
}
