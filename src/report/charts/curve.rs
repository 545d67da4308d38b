//! The 24-hour AQI curve of the daily report.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::rgb;
use crate::aqi::Category;
use crate::chart::{Chart, DrawResult, font, legend};
use crate::lang::{Bi, Lang};

/// The 24-hour AQI curve of the network (hours 01–24, hour-ending) over the category bands,
/// with the range of the stations' hourly AQI behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct AqiCurve {
    /// Title.
    pub title: Bi,
    /// The network's hourly AQI, hour `h` (1–24) at index `h − 1`.
    pub network: [Option<u32>; 24],
    /// The lowest and highest station AQI of each hour.
    pub range: [Option<(u32, u32)>; 24],
    /// Legend of the curve and of the range.
    pub legend: [Bi; 2],
    /// Axis descriptions (x, y).
    pub axes: [Bi; 2],
}

impl Chart for AqiCurve {
    const NAME: &'static str = "aqi-24h";
    fn size(&self) -> (u32, u32) {
        (960, 400)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        lang: Lang,
    ) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let top = self
            .range
            .iter()
            .flatten()
            .map(|r| r.1)
            .chain(self.network.iter().flatten().copied())
            .max()
            .unwrap_or(0);
        let ymax = f64::from((top + 30).max(150).div_ceil(50) * 50);
        let mut chart = ChartBuilder::on(root)
            .caption(self.title.get(lang), font(24))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(52)
            .build_cartesian_2d(0.5f64..24.5f64, 0f64..ymax)?;
        // Category bands, labelled on the right.
        for c in Category::ALL {
            let (lo, hi) = c.aqi_range();
            let lo = f64::from(lo);
            if lo >= ymax {
                break;
            }
            let hi = (f64::from(hi.min(1000)) + 1.0).min(ymax);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.5, lo), (24.5, hi)],
                rgb(c).mix(0.16).filled(),
            )))?;
            let name = Bi::new(c.name_zh(), c.name_en());
            chart.draw_series(std::iter::once(Text::new(
                name.get(lang).to_string(),
                (24.4, (lo + hi) / 2.0),
                font(15)
                    .color(&RGBColor(0x55, 0x55, 0x55))
                    .pos(Pos::new(HPos::Right, VPos::Center)),
            )))?;
        }
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(RGBColor(0xE0, 0xE0, 0xE0))
            .bold_line_style(RGBColor(0xC8, 0xC8, 0xC8))
            .x_labels(24)
            .x_label_formatter(&|x| {
                if (x - x.round()).abs() < 1e-6 && (1.0..=24.0).contains(x) {
                    format!("{:02}", x.round() as i64)
                } else {
                    String::new()
                }
            })
            .x_desc(self.axes[0].get(lang))
            .y_desc(self.axes[1].get(lang))
            .label_style(font(16))
            .axis_desc_style(font(17))
            .draw()?;
        chart
            .draw_series(self.range.iter().enumerate().filter_map(|(i, r)| {
                let (lo, hi) = (*r)?;
                let x = i as f64 + 1.0;
                Some(Rectangle::new(
                    [(x - 0.28, f64::from(lo)), (x + 0.28, f64::from(hi))],
                    RGBColor(0x70, 0x70, 0x70).mix(0.35).filled(),
                ))
            }))?
            .label(self.legend[1].get(lang))
            .legend(|(x, y)| {
                Rectangle::new(
                    [(x, y - 5), (x + 16, y + 5)],
                    RGBColor(0x70, 0x70, 0x70).mix(0.35).filled(),
                )
            });
        // The curve, broken where an hour has no AQI.
        let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
        for (i, v) in self.network.iter().enumerate() {
            match v {
                Some(a) => runs
                    .last_mut()
                    .map(|r| r.push((i as f64 + 1.0, f64::from(*a))))
                    .unwrap_or(()),
                None => runs.push(Vec::new()),
            }
        }
        let mut first = true;
        for run in runs.into_iter().filter(|r| !r.is_empty()) {
            let series = chart.draw_series(LineSeries::new(run, BLACK.stroke_width(2)))?;
            if first {
                series.label(self.legend[0].get(lang)).legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], BLACK.stroke_width(2))
                });
                first = false;
            }
        }
        chart.draw_series(self.network.iter().enumerate().filter_map(|(i, v)| {
            let a = (*v)?;
            Some(Circle::new(
                (i as f64 + 1.0, f64::from(a)),
                4,
                rgb(Category::from_aqi(a)).filled(),
            ))
        }))?;
        chart.draw_series(self.network.iter().enumerate().filter_map(|(i, v)| {
            Some(Circle::new(
                (i as f64 + 1.0, f64::from((*v)?)),
                4,
                BLACK.stroke_width(1),
            ))
        }))?;
        legend(&mut chart, SeriesLabelPosition::UpperLeft, 0.85)?;
        Ok(())
    }
}
