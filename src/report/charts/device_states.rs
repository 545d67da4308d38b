//! The device-health report's timeline: one row per device over the local day, its states as
//! coloured bands, the devices grouped by station. Stations where anything but "online" shows
//! are drawn first with a labelled row per device; stations whose devices were online all day
//! follow in a compact block (a thin row per device), so that the problems are on the first
//! screen and a network of hundreds of devices still fits a few.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use unicode_width::UnicodeWidthStr;

use super::{MARGIN, Mark, WIDTH, title_and_legend};
use crate::chart::{Chart, DrawResult, font};
use crate::lang::{Bi, Lang};
use crate::report::health_timeline::DeviceState;

/// Pixels per device row and the band's height in it: stations with something to see.
const ROW: i32 = 13;
const BAND: i32 = 10;
/// Pixels per device row in the compact block (stations online all day).
const THIN_ROW: i32 = 3;
/// Space between two stations, and above the compact block (its heading).
const STATION_GAP: i32 = 8;
const THIN_GAP: i32 = 4;
const BLOCK_GAP: i32 = 34;
/// Top of the first row (title, legend and hour labels above it).
const TOP: i32 = 104;
/// Below the last row (hour labels).
const BOTTOM: i32 = 34;

/// The colour of a state. Colour-blind safe (Okabe–Ito hues, no red–green pair) and ordered in
/// lightness for grey print: online lightest, planned work (calibration, maintenance) in the
/// middle, faults and stops darker, no data darkest.
pub fn state_colour(state: DeviceState) -> RGBColor {
    match state {
        DeviceState::Online => RGBColor(0xCF, 0xE3, 0xF1),
        DeviceState::Calibration => RGBColor(0x56, 0xB4, 0xE9),
        DeviceState::Maintenance => RGBColor(0xE6, 0x9F, 0x00),
        DeviceState::Fault => RGBColor(0xD5, 0x5E, 0x00),
        DeviceState::Stopped => RGBColor(0xA3, 0x4D, 0x8A),
        DeviceState::NoData => RGBColor(0x33, 0x33, 0x33),
    }
}

/// One device's row: its label and its bands in minutes from the start of the day.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceRow {
    /// The label (the device id without its station's prefix).
    pub label: String,
    /// States over `[from, to)` minutes, in order, covering the day.
    pub bands: Vec<(DeviceState, u32, u32)>,
}

impl DeviceRow {
    fn quiet(&self) -> bool {
        self.bands.iter().all(|b| b.0 == DeviceState::Online)
    }
}

/// A station's devices.
#[derive(Debug, Clone, PartialEq)]
pub struct StationRows {
    /// The station's name.
    pub name: Bi,
    /// Its devices, in the order drawn.
    pub devices: Vec<DeviceRow>,
}

impl StationRows {
    /// Every device online all day: drawn in the compact block.
    fn quiet(&self) -> bool {
        self.devices.iter().all(DeviceRow::quiet)
    }
}

/// Device states over one local day.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceStates {
    /// Title.
    pub title: Bi,
    /// Stations in the order drawn (top first); quiet ones are drawn after the others.
    pub stations: Vec<StationRows>,
    /// The day's length in minutes (1440, or 1380/1500 on a day the clocks change).
    pub minutes: u32,
    /// Whole local hours: minutes from the start of the day, and the hour on the clock (0–24;
    /// the day's end is 24).
    pub hours: Vec<(u32, u32)>,
    /// The legend: the states and their names.
    pub legend: Vec<(DeviceState, Bi)>,
    /// Heading of the compact block of stations online all day.
    pub quiet: Bi,
}

/// Where each station goes: (station, top, row height, compact), and the bottom of the last
/// row.
struct Layout<'a> {
    stations: Vec<(&'a StationRows, i32, i32, bool)>,
    /// The compact block's heading line, when there is one.
    quiet_at: Option<i32>,
    bottom: i32,
}

impl DeviceStates {
    fn layout(&self) -> Layout<'_> {
        let (busy, quiet): (Vec<&StationRows>, Vec<&StationRows>) =
            self.stations.iter().partition(|s| !s.quiet());
        let mut y = TOP;
        let mut stations = Vec::new();
        for (k, s) in busy.into_iter().enumerate() {
            if k > 0 {
                y += STATION_GAP;
            }
            stations.push((s, y, ROW, false));
            y += ROW * rows(s);
        }
        let quiet_at = (!quiet.is_empty()).then(|| {
            if !stations.is_empty() {
                y += BLOCK_GAP;
            }
            y - 8
        });
        for (k, s) in quiet.into_iter().enumerate() {
            if k > 0 {
                y += THIN_GAP;
            }
            // At least the height of the station's name.
            let height = (THIN_ROW * rows(s)).max(16);
            stations.push((s, y, height / rows(s).max(1), true));
            y += height;
        }
        Layout {
            stations,
            quiet_at,
            bottom: y,
        }
    }

    /// Widths of the station-name and device-label columns for `lang`.
    fn columns(&self, lang: Lang) -> (i32, i32) {
        let width = |s: &str, px: usize| i32::try_from(s.width() * px).unwrap_or(200);
        let names = self
            .stations
            .iter()
            .map(|s| width(s.name.get(lang), 8))
            .max()
            .unwrap_or(40);
        let labels = self
            .stations
            .iter()
            .flat_map(|s| &s.devices)
            .map(|d| width(&d.label, 7))
            .max()
            .unwrap_or(30);
        (names.clamp(40, 170) + 10, labels.clamp(20, 120) + 8)
    }
}

fn rows(s: &StationRows) -> i32 {
    i32::try_from(s.devices.len()).unwrap_or(1)
}

impl Chart for DeviceStates {
    const NAME: &'static str = "device-states";
    fn size(&self) -> (u32, u32) {
        let h = self.layout().bottom + BOTTOM;
        (WIDTH as u32, u32::try_from(h).unwrap_or(400))
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        lang: Lang,
    ) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let layout = self.layout();
        let (name_w, label_w) = self.columns(lang);
        let x0 = MARGIN + name_w + label_w;
        let x1 = WIDTH - MARGIN - 16;
        let day = f64::from(self.minutes.max(1));
        let x = |minute: u32| x0 + ((f64::from(minute) / day) * f64::from(x1 - x0)).round() as i32;
        let bottom = layout.bottom;

        let legend: Vec<(Mark, &str)> = self
            .legend
            .iter()
            .map(|(state, name)| (Mark::Swatch(state_colour(*state)), name.get(lang)))
            .collect();
        title_and_legend(root, self.title.get(lang), &legend)?;
        // Every third hour labelled, above and below the rows.
        for &(minute, hour) in self.hours.iter().filter(|h| h.1 % 3 == 0) {
            for (y, v) in [(TOP - 8, VPos::Bottom), (bottom + 8, VPos::Top)] {
                root.draw(&Text::new(
                    format!("{hour:02}:00"),
                    (x(minute), y),
                    font(14).pos(Pos::new(HPos::Center, v)),
                ))?;
            }
        }
        if let Some(y) = layout.quiet_at {
            root.draw(&Text::new(
                self.quiet.get(lang).to_string(),
                (MARGIN, y),
                font(14).pos(Pos::new(HPos::Left, VPos::Bottom)),
            ))?;
        }

        for (k, &(station, top, row, compact)) in layout.stations.iter().enumerate() {
            if k > 0 {
                let line = top - if compact { THIN_GAP } else { STATION_GAP } / 2;
                root.draw(&PathElement::new(
                    [(MARGIN, line), (x1, line)],
                    RGBColor(0xC8, 0xC8, 0xC8),
                ))?;
            }
            let (name_y, name_size, v) = if compact {
                (top + row * rows(station) / 2, 13, VPos::Center)
            } else {
                (top, 14, VPos::Top)
            };
            root.draw(&Text::new(
                station.name.get(lang).to_string(),
                (MARGIN, name_y),
                font(name_size).pos(Pos::new(HPos::Left, v)),
            ))?;
            let band = if compact { row - 1 } else { BAND };
            for (y, device) in (0..).map(|i| top + i * row).zip(&station.devices) {
                if !compact {
                    root.draw(&Text::new(
                        device.label.clone(),
                        (x0 - 5, y + row / 2),
                        font(11).pos(Pos::new(HPos::Right, VPos::Center)),
                    ))?;
                }
                let (a, b) = (y + (row - band) / 2, y + (row - band) / 2 + band);
                // The day in the online colour, then every other state over it (half the
                // shapes of drawing each band: a day of scattered gaps stays a small SVG).
                let (first, last) = (
                    device.bands.first().map_or(0, |b| b.1),
                    device.bands.last().map_or(0, |b| b.2),
                );
                if first < last {
                    root.draw(&Rectangle::new(
                        [(x(first), a), (x(last), b)],
                        state_colour(DeviceState::Online).filled(),
                    ))?;
                }
                for &(state, from, to) in &device.bands {
                    if state == DeviceState::Online {
                        continue;
                    }
                    let (left, right) = (x(from), x(to));
                    // A short band stays visible: at least one pixel.
                    root.draw(&Rectangle::new(
                        [(left, a), (right.max(left + 1), b)],
                        state_colour(state).filled(),
                    ))?;
                }
            }
        }
        // The hour grid over the bands: light, every sixth hour darker.
        for &(minute, hour) in &self.hours {
            let alpha = if hour % 6 == 0 { 0.55 } else { 0.22 };
            root.draw(&PathElement::new(
                [(x(minute), TOP - 4), (x(minute), bottom + 4)],
                RGBColor(0x55, 0x55, 0x55).mix(alpha),
            ))?;
        }
        Ok(())
    }
}
