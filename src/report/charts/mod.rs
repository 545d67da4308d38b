//! The reports' charts (plotters), drawn with the shared [`crate::chart`] machinery: each
//! chart draws once to an SVG string (inlined in the HTML, labels in the report's language)
//! and once to a PNG file (labels in English; see [`crate::chart`] for why).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use unicode_width::UnicodeWidthStr;

use crate::aqi::Category;
use crate::chart::{DrawResult, font};

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

/// Width of the device-health charts, and their left and right margin.
const WIDTH: i32 = 960;
const MARGIN: i32 = 12;

/// How a legend entry is marked: a filled swatch, or a vertical line.
#[derive(Debug, Clone, Copy)]
enum Mark {
    Swatch(RGBColor),
    Line(RGBColor),
}

/// The title at the top left and under it a one-line legend, each mark followed by its name
/// (the device-health charts).
fn title_and_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    entries: &[(Mark, &str)],
) -> DrawResult<DB> {
    root.draw(&Text::new(title.to_string(), (MARGIN, 8), font(22)))?;
    let mut x = MARGIN;
    for (mark, name) in entries {
        match *mark {
            Mark::Swatch(colour) => {
                let swatch = [(x, 46), (x + 24, 58)];
                root.draw(&Rectangle::new(swatch, colour.filled()))?;
                root.draw(&Rectangle::new(swatch, RGBColor(0x88, 0x88, 0x88)))?;
            }
            Mark::Line(colour) => {
                root.draw(&PathElement::new(
                    [(x + 12, 43), (x + 12, 61)],
                    colour.stroke_width(2),
                ))?;
            }
        }
        root.draw(&Text::new(
            name.to_string(),
            (x + 30, 52),
            font(15).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        x += 30 + i32::try_from(name.width() * 9).unwrap_or(80) + 20;
    }
    Ok(())
}

mod capture;
mod city_map;
mod curve;
mod device_states;
mod map;
mod pollutant_bars;
mod ranking_bars;

pub use capture::{CaptureGrid, CaptureRow};
pub use city_map::{CityMap, CityPoint};
pub use curve::AqiCurve;
pub use device_states::{DeviceRow, DeviceStates, StationRows, state_colour};
pub use map::{MapPoint, StationMap};
pub use pollutant_bars::{Panel, PollutantBars};
pub use ranking_bars::{BarRow, RankingBars};
