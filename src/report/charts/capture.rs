//! The device-health report's data capture: valid hours of each parameter at each station, a
//! small bar of 24 hours per cell with the 20-hour line of GB 3095 / HJ 663 across it.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use unicode_width::UnicodeWidthStr;

use super::{MARGIN, Mark, WIDTH, title_and_legend};
use crate::chart::{Chart, DrawResult, font};
use crate::lang::{Bi, Lang};

/// Pixels per station row and the bar's height in it.
const ROW: i32 = 21;
const BAR: i32 = 12;
/// Top of the first row (title, legend and column headings above it).
const TOP: i32 = 104;
const BOTTOM: i32 = 14;

/// Valid hours meeting the rule: a calm light blue.
const MEETS: RGBColor = RGBColor(0x88, 0xB8, 0xDD);
/// Below the rule: vermillion, darker (it also stands out in grey print), with its count.
const BELOW: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
/// The 24 hours behind the bar.
const TRACK: RGBColor = RGBColor(0xEC, 0xEC, 0xEC);
/// The rule's line.
const RULE: RGBColor = RGBColor(0x22, 0x22, 0x22);

/// One station's row.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureRow {
    /// The station's name.
    pub name: Bi,
    /// Valid hours per column; `None` where the station does not measure the parameter.
    pub hours: Vec<Option<u8>>,
}

/// Valid hours per station and parameter against the rule.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureGrid {
    /// Title.
    pub title: Bi,
    /// Column headings (parameter names).
    pub parameters: Vec<String>,
    /// Stations in the order drawn (top first).
    pub stations: Vec<CaptureRow>,
    /// Valid hours a day needs (20).
    pub min_hours: u8,
    /// Legend: meets the rule, below it (with the count), the rule's line.
    pub legend: [Bi; 3],
}

impl Chart for CaptureGrid {
    const NAME: &'static str = "capture";
    fn size(&self) -> (u32, u32) {
        let rows = i32::try_from(self.stations.len()).unwrap_or(100).max(1);
        (
            WIDTH as u32,
            u32::try_from(TOP + rows * ROW + BOTTOM).unwrap_or(400),
        )
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        lang: Lang,
    ) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let names = self
            .stations
            .iter()
            .map(|s| i32::try_from(s.name.get(lang).width() * 8).unwrap_or(150))
            .max()
            .unwrap_or(40);
        let x0 = MARGIN + names.clamp(40, 170) + 12;
        let x1 = WIDTH - MARGIN;
        let columns = i32::try_from(self.parameters.len()).unwrap_or(1).max(1);
        let cell = (x1 - x0) / columns;
        // A cell: the 24-hour track, then room for the count.
        let track = (cell - 22).max(24);
        let at =
            |column: i32, hours: f64| x0 + column * cell + (hours / 24.0 * f64::from(track)) as i32;

        let legend = [
            (Mark::Swatch(MEETS), self.legend[0].get(lang)),
            (Mark::Swatch(BELOW), self.legend[1].get(lang)),
            (Mark::Line(RULE), self.legend[2].get(lang)),
        ];
        title_and_legend(root, self.title.get(lang), &legend)?;
        for (c, p) in (0..).zip(&self.parameters) {
            root.draw(&Text::new(
                p.clone(),
                (at(c, 12.0), TOP - 8),
                font(14).pos(Pos::new(HPos::Center, VPos::Bottom)),
            ))?;
        }
        let rule = f64::from(self.min_hours);
        for (r, station) in (0..).zip(&self.stations) {
            let y = TOP + r * ROW;
            if r % 2 == 1 {
                root.draw(&Rectangle::new(
                    [(MARGIN, y), (x1, y + ROW)],
                    RGBColor(0xF7, 0xF7, 0xF7).filled(),
                ))?;
            }
            root.draw(&Text::new(
                station.name.get(lang).to_string(),
                (MARGIN, y + ROW / 2),
                font(14).pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            let (top, base) = (y + (ROW - BAR) / 2, y + (ROW - BAR) / 2 + BAR);
            for (c, hours) in (0..).zip(&station.hours) {
                let Some(hours) = *hours else {
                    continue;
                };
                root.draw(&Rectangle::new(
                    [(at(c, 0.0), top), (at(c, 24.0), base)],
                    TRACK.filled(),
                ))?;
                let meets = hours >= self.min_hours;
                if hours > 0 {
                    root.draw(&Rectangle::new(
                        [(at(c, 0.0), top), (at(c, f64::from(hours)), base)],
                        if meets { MEETS } else { BELOW }.filled(),
                    ))?;
                }
                root.draw(&PathElement::new(
                    [(at(c, rule), top - 2), (at(c, rule), base + 2)],
                    RULE.stroke_width(2),
                ))?;
                if !meets {
                    root.draw(&Text::new(
                        hours.to_string(),
                        (at(c, 24.0) + 3, y + ROW / 2),
                        font(14)
                            .color(&BELOW.mix(1.0))
                            .pos(Pos::new(HPos::Left, VPos::Center)),
                    ))?;
                }
            }
        }
        Ok(())
    }
}
