//! The reports' charts (plotters), drawn with the shared [`crate::chart`] machinery: each
//! chart draws once to an SVG string (inlined in the HTML, labels in the report's language)
//! and once to a PNG file (labels in English; see [`crate::chart`] for why).

use plotters::prelude::*;

use crate::aqi::Category;

fn rgb(c: Category) -> RGBColor {
    let c = c.colour();
    RGBColor(c.0, c.1, c.2)
}

/// No-data grey.
const GREY: RGBColor = RGBColor(0xB0, 0xB0, 0xB0);
/// Pollutant colours of stacked bars (SO2, NO2, PM10, PM2.5, CO, O3).
const POLLUTANT_COLOURS: [RGBColor; 6] = [
    RGBColor(0x8C, 0x6D, 0x31),
    RGBColor(0xD6, 0x61, 0x6B),
    RGBColor(0x9C, 0x9E, 0xDE),
    RGBColor(0x39, 0x3B, 0x79),
    RGBColor(0x63, 0x79, 0x39),
    RGBColor(0x31, 0x82, 0xBD),
];

mod capture;
mod curve;
mod device_states;
mod map;
mod pollutant_bars;
mod ranking_bars;

pub use capture::{CaptureGrid, CaptureRow};
pub use curve::AqiCurve;
pub use device_states::{DeviceRow, DeviceStates, StationRows, state_colour};
pub use map::{MapPoint, StationMap};
pub use pollutant_bars::{Panel, PollutantBars};
pub use ranking_bars::{BarRow, RankingBars};
