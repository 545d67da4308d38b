//! Stacked bars of the comprehensive index (ranking report).

use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::POLLUTANT_COLOURS;
use crate::chart::{Chart, DrawResult, font, label_width, legend};
use crate::lang::{Bi, Lang};

/// One row of a ranking bar chart.
#[derive(Debug, Clone, PartialEq)]
pub struct BarRow {
    /// Name (with the rank).
    pub name: Bi,
    /// The six sub-indices (SO2, NO2, PM10, PM2.5, CO, O3), stacked.
    pub parts: [f64; 6],
    /// The comprehensive index.
    pub total: f64,
}

/// Horizontal stacked bars of the comprehensive index, best at the top.
#[derive(Debug, Clone, PartialEq)]
pub struct RankingBars {
    /// Title.
    pub title: Bi,
    /// Rows in rank order.
    pub rows: Vec<BarRow>,
    /// Axis description.
    pub axis: Bi,
}

/// Names of the six pollutants in charts.
pub(super) const POLLUTANT_LABELS: [&str; 6] = ["SO2", "NO2", "PM10", "PM2.5", "CO", "O3"];

impl Chart for RankingBars {
    const NAME: &'static str = "ranking";
    fn size(&self) -> (u32, u32) {
        let n = u32::try_from(self.rows.len()).unwrap_or(60);
        (960, 120 + 26 * n.max(3))
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        lang: Lang,
    ) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let n = self.rows.len().max(1);
        let xmax = self.rows.iter().map(|r| r.total).fold(1.0f64, f64::max) * 1.12;
        let names: Vec<&str> = self.rows.iter().map(|r| r.name.get(lang)).collect();
        let mut chart = ChartBuilder::on(root)
            .caption(self.title.get(lang), font(24))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(label_width(names.iter().copied()))
            .build_cartesian_2d(0f64..xmax, (0..n).into_segmented())?;
        let row_of = |j: usize| n - 1 - j;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
            .y_labels(n)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(j) if *j < n => names
                    .get(row_of(*j))
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
                _ => String::new(),
            })
            .x_desc(self.axis.get(lang))
            .label_style(font(15))
            .axis_desc_style(font(16))
            .draw()?;
        for (k, colour) in POLLUTANT_COLOURS.iter().enumerate() {
            chart
                .draw_series(self.rows.iter().enumerate().map(|(i, r)| {
                    let j = row_of(i);
                    let x0: f64 = r.parts[..k].iter().sum();
                    let mut bar = Rectangle::new(
                        [
                            (x0, SegmentValue::Exact(j)),
                            (x0 + r.parts[k], SegmentValue::Exact(j + 1)),
                        ],
                        colour.filled(),
                    );
                    bar.set_margin(3, 3, 0, 0);
                    bar
                }))?
                .label(POLLUTANT_LABELS[k])
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour.filled())
                });
        }
        chart.draw_series(self.rows.iter().enumerate().map(|(i, r)| {
            Text::new(
                format!("{:.2}", r.total),
                (r.total + xmax * 0.008, SegmentValue::CenterOf(row_of(i))),
                font(14).pos(Pos::new(HPos::Left, VPos::Center)),
            )
        }))?;
        legend(&mut chart, SeriesLabelPosition::LowerRight, 0.9)?;
        Ok(())
    }
}
