//! Per-pollutant concentration panels (ranking report).

use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

use crate::chart::{Chart, DrawResult, font, label_width};
use crate::lang::{Bi, Lang};

/// One panel of [`PollutantBars`].
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Title (pollutant and unit).
    pub title: Bi,
    /// The reference limit drawn as a red line (the S_i of the index).
    pub limit: f64,
    /// Rows in display order: name and period concentration.
    pub values: Vec<(Bi, Option<f64>)>,
}

/// Six panels of period concentrations, one per pollutant, rows in rank order; bars above the
/// limit are red.
#[derive(Debug, Clone, PartialEq)]
pub struct PollutantBars {
    /// Title.
    pub title: Bi,
    /// Six panels.
    pub panels: Vec<Panel>,
}

impl Chart for PollutantBars {
    const NAME: &'static str = "pollutants";
    fn size(&self) -> (u32, u32) {
        let n = self
            .panels
            .iter()
            .map(|p| p.values.len())
            .max()
            .unwrap_or(1);
        let n = u32::try_from(n).unwrap_or(40);
        (960, 2 * (80 + 18 * n.max(4)) + 50)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        lang: Lang,
    ) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let root = root.titled(self.title.get(lang), font(24))?;
        for (area, panel) in root.split_evenly((2, 3)).iter().zip(&self.panels) {
            let n = panel.values.len().max(1);
            let top = panel
                .values
                .iter()
                .filter_map(|v| v.1)
                .fold(panel.limit, f64::max);
            let names: Vec<&str> = panel.values.iter().map(|v| v.0.get(lang)).collect();
            let mut chart = ChartBuilder::on(area)
                .caption(panel.title.get(lang), font(17))
                .margin(6)
                .x_label_area_size(22)
                .y_label_area_size(label_width(names.iter().copied()).min(110))
                .build_cartesian_2d(0f64..top * 1.08, (0..n).into_segmented())?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
                .y_labels(n)
                .x_labels(4)
                .y_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(j) if *j < n => names
                        .get(n - 1 - *j)
                        .map(|s| s.to_string())
                        .unwrap_or_default(),
                    _ => String::new(),
                })
                .label_style(font(12))
                .draw()?;
            chart.draw_series(panel.values.iter().enumerate().filter_map(|(i, (_, v))| {
                let v = (*v)?;
                let j = n - 1 - i;
                let colour = if v > panel.limit {
                    RGBColor(0xC0, 0x50, 0x4D)
                } else {
                    RGBColor(0x4F, 0x81, 0xBD)
                };
                let mut bar = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(j)),
                        (v, SegmentValue::Exact(j + 1)),
                    ],
                    colour.filled(),
                );
                bar.set_margin(2, 2, 0, 0);
                Some(bar)
            }))?;
            chart.draw_series(LineSeries::new(
                vec![
                    (panel.limit, SegmentValue::Exact(0)),
                    (panel.limit, SegmentValue::Exact(n)),
                ],
                RED.stroke_width(1),
            ))?;
        }
        Ok(())
    }
}
